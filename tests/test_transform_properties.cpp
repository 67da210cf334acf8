// Property tests of perc::srtp_aead_transform (RFC 7714 over RFC 3711) for both suites:
// round trips over payload sizes, CSRC counts, RFC 8285 extensions, padding and marker; the
// RFC 7714 §8.1/§9.1 IVs and §8.2/§9.2/§9.3 layouts checked against Botan's own GCM_Mode; ROC
// tracking across SEQ wraps (RFC 3711 §3.3.1); late join; SRTCP indices (RFC 3711 §3.4);
// IV uniqueness; key separation.
#include <perc/srtp_aead_transform.hpp>

#include <perc/botan/srtp.hpp>

#include "backend.hpp"
#include "test_util.hpp"

#include <botan/aead.h>
#include <botan/secmem.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

using namespace perc_test;

namespace {

using perc::errc;

template <class T>
struct keyed_transform {
    bytes master_key = bytes(T::master_key_size);
    bytes master_salt = bytes(12);
    T t;

    explicit keyed_transform(std::uint64_t seed)
    {
        rng r(seed);
        r.fill(master_key);
        r.fill(master_salt);
        REQUIRE(t.set_master_key(master_key, master_salt) == errc::ok);
    }
};

struct built_packet {
    bytes packet;
    std::size_t header_size = 0;
    bytes payload; // payload without padding
};

/// RTP packet with `cc` CSRCs, extension form ext (0 none, 1 one-byte 0xBEDE, 2 two-byte 0x1000,
/// RFC 8285 §4.2/§4.3), `pad` padding octets (RFC 3550 §5.1; 0 = none).
built_packet make_rtp(rng& r, std::size_t payload_size, unsigned cc, int ext, std::uint8_t pad,
                      bool marker, std::uint16_t seq, std::uint32_t ssrc)
{
    rtp_spec s;
    s.pt = static_cast<std::uint8_t>(96 + r.below(32));
    s.marker = marker;
    s.seq = seq;
    s.ts = static_cast<std::uint32_t>(r.next());
    s.ssrc = ssrc;
    for (unsigned i = 0; i < cc; ++i) s.csrcs.push_back(static_cast<std::uint32_t>(r.next()));
    if (ext == 1) {
        s.extension = true;
        s.ext_profile = 0xBEDE;
        // id 1, 2 octets; id 3, 1 + (size % 4) octets; zero padding to a word.
        s.ext_body = {0x11, r.byte(), r.byte()};
        const std::size_t n = 1 + payload_size % 4;
        s.ext_body.push_back(static_cast<std::uint8_t>(0x30 | (n - 1)));
        for (std::size_t i = 0; i < n; ++i) s.ext_body.push_back(r.byte());
    } else if (ext == 2) {
        s.extension = true;
        s.ext_profile = 0x1000;
        // id 5, length 0..8 octets; zero padding to a word.
        const std::size_t n = payload_size % 9;
        s.ext_body = {0x05, static_cast<std::uint8_t>(n)};
        for (std::size_t i = 0; i < n; ++i) s.ext_body.push_back(r.byte());
    }
    while (s.ext_body.size() % 4 != 0) s.ext_body.push_back(0);
    s.payload.resize(payload_size);
    r.fill(s.payload);
    s.padding = pad;
    built_packet b;
    b.packet = build_rtp(s);
    b.header_size = 12 + 4 * cc + (s.extension ? 4 + s.ext_body.size() : 0);
    b.payload = s.payload;
    return b;
}

bytes rtcp_packet(rng& r, std::size_t size, std::uint32_t ssrc)
{
    // Sender report header; the length word matches the size (RFC 3550 §6.4.1).
    bytes p(size);
    r.fill(p);
    p[0] = 0x80;
    p[1] = 200;
    perc::store_be16(p.data() + 2, static_cast<std::uint16_t>(size / 4 - 1));
    perc::store_be32(p.data() + 4, ssrc);
    return p;
}

template <class T>
const char* botan_name()
{
    return T::master_key_size == 16 ? "AES-128/GCM" : "AES-256/GCM";
}

template <class T>
bytes oracle_seal(const bytes& key, const bytes& iv, const bytes& aad, perc::bytes_view pt)
{
    auto mode = Botan::AEAD_Mode::create(botan_name<T>(), Botan::ENCRYPTION);
    REQUIRE(mode != nullptr);
    mode->set_key(key.data(), key.size());
    mode->set_associated_data(aad.data(), aad.size());
    mode->start(iv.data(), iv.size());
    Botan::secure_vector<std::uint8_t> buf(pt.begin(), pt.end());
    mode->finish(buf);
    return bytes(buf.begin(), buf.end());
}

bytes cat(perc::bytes_view a, perc::bytes_view b)
{
    bytes r(a.begin(), a.end());
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

bytes to_bytes(perc::bytes_view v)
{
    return bytes(v.begin(), v.end());
}

/// protect_rtp into an exactly sized `out` (RFC 7714 §8.2: packet + 16).
template <class T, std::size_t W>
bool protect_ok(T& t, perc::srtp_stream<W>& tx, const bytes& in, bytes& out)
{
    auto p = t.protect_rtp(tx, in, out);
    return p.has_value() && p->data() == out.data() && p->size() == out.size();
}

/// Protects `in` twice (out of place with slack, and in place on a second sender stream),
/// checks the RFC 7714 §8.2 layout, and unprotects both ways. Returns the protected packet.
template <class T, std::size_t W>
bytes round_trip(T& t, perc::srtp_stream<W>& tx, perc::srtp_stream<W>& tx2,
                 perc::srtp_stream<W>& rx, perc::srtp_stream<W>& rx2, const built_packet& b)
{
    const bytes& in = b.packet;
    const std::size_t hs = b.header_size;
    // Out of place, with 9 octets of slack that must stay untouched.
    bytes out(in.size() + 16 + 9, 0xA5);
    auto p = t.protect_rtp(tx, in, out);
    REQUIRE(p);
    // RFC 7714 §8.2: protected size = packet + 16-octet tag exactly.
    CHECK(p->size() == in.size() + 16);
    CHECK(p->data() == out.data());
    CHECK(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(in.size() + 16), out.end(),
                      [](std::uint8_t x) { return x == 0xA5; }));
    const bytes prot = to_bytes(*p);
    // RFC 7714 §8.2: the header is AAD, sent in the clear.
    CHECK(std::equal(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(hs), prot.begin()));
    if (in.size() - hs >= 8)
        CHECK_FALSE(std::equal(in.begin() + static_cast<std::ptrdiff_t>(hs), in.end(),
                               prot.begin() + static_cast<std::ptrdiff_t>(hs)));

    // In place gives identical bytes.
    bytes buf = in;
    buf.resize(in.size() + 16, 0x5A);
    auto q = t.protect_rtp(tx2, perc::bytes_view{buf}.first(in.size()), buf);
    REQUIRE(q);
    CHECK(q->data() == buf.data());
    CHECK(to_bytes(*q) == prot);

    // Unprotect out of place (with slack) and in place.
    bytes back(prot.size(), 0xA5);
    auto u = t.unprotect_rtp(rx, prot, back);
    REQUIRE(u);
    CHECK(u->size() == in.size());
    CHECK(to_bytes(*u) == in);
    CHECK(std::all_of(back.begin() + static_cast<std::ptrdiff_t>(in.size()), back.end(),
                      [](std::uint8_t x) { return x == 0xA5; }));
    auto v = t.unprotect_rtp(rx2, buf, buf);
    REQUIRE(v);
    CHECK(v->data() == buf.data());
    CHECK(to_bytes(*v) == in);

    // The recovered packet parses back to the same payload (RFC 3550 §5.1 padding removed).
    auto h = perc::decode_rtp_header(*u);
    REQUIRE(h);
    CHECK(h->header_size == hs);
    auto pl = perc::rtp_unpadded_payload(*h);
    REQUIRE(pl);
    CHECK(to_bytes(*pl) == b.payload);
    return prot;
}

} // namespace

TEST_CASE_TEMPLATE("RFC 7714 §8.2: round trip for every payload size 0..300 and a sample to 1400",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    keyed_transform<T> k(0x5172 + T::master_key_size);
    rng r(0xB0D1 + T::master_key_size);
    perc::srtp_stream<> tx, tx2, rx, rx2;
    std::vector<std::size_t> sizes;
    for (std::size_t n = 0; n <= 300; ++n) sizes.push_back(n);
    // Around the adapter's 15- and 16-block keystream batches (240 + 256·k octets) and to MTU.
    const std::size_t large[] = {400, 479, 480, 481, 495,  496,  497,  511,  512,  513,  751,
                                 752, 753, 767, 768, 1000, 1023, 1024, 1025, 1200, 1399, 1400};
    for (std::size_t n : large) sizes.push_back(n);
    std::uint16_t seq = static_cast<std::uint16_t>(r.next());
    const auto ssrc = static_cast<std::uint32_t>(r.next());
    for (std::size_t i = 0; i < sizes.size(); ++i) {
        const std::size_t n = sizes[i];
        const unsigned cc = static_cast<unsigned>(i % 16);
        const int ext = static_cast<int>((i / 16) % 3);
        const std::uint8_t pad = (i % 5 == 4) ? static_cast<std::uint8_t>(1 + i % 7) : 0;
        const bool marker = (i % 2) == 1;
        INFO("payload ", n, " cc ", cc, " ext ", ext, " pad ", int{pad}, " marker ", marker);
        const built_packet b = make_rtp(r, n, cc, ext, pad, marker, seq++, ssrc);
        round_trip(k.t, tx, tx2, rx, rx2, b);
    }
    // The stream passed a SEQ wrap or not: in either case both sides agree on the ROC.
    CHECK(tx.roc() == rx.roc());
    CHECK(k.t.srtp_packets_protected() == 2 * sizes.size());
}

TEST_CASE_TEMPLATE("RFC 7714 §8.2: round trip for CSRC count 0..15 × extension form × padding × "
                   "marker",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    keyed_transform<T> k(0xCC + T::master_key_size);
    rng r(0xC5C + T::master_key_size);
    perc::srtp_stream<> tx, tx2, rx, rx2;
    std::uint16_t seq = 65500; // passes a SEQ wrap on the way
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{37}, std::size_t{256}})
        for (unsigned cc = 0; cc < 16; ++cc)
            for (int ext = 0; ext < 3; ++ext)
                for (std::uint8_t pad : {std::uint8_t{0}, std::uint8_t{1}, std::uint8_t{4}})
                    for (bool marker : {false, true}) {
                        INFO("payload ", n, " cc ", cc, " ext ", ext, " pad ", int{pad}, " marker ",
                             marker);
                        const built_packet b = make_rtp(r, n, cc, ext, pad, marker, seq++, 0x1234);
                        round_trip(k.t, tx, tx2, rx, rx2, b);
                    }
    CHECK(tx.roc() == 1);
    CHECK(rx.roc() == 1);
}

TEST_CASE_TEMPLATE(
    "RFC 7714 §8.1/§8.2 and §9.1–§9.3: protected bytes equal Botan GCM_Mode with the "
    "IV and AAD built by the RFC recipe",
    T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    constexpr std::size_t K = T::master_key_size;
    rng r(0x1F + K);
    for (int round = 0; round < 40; ++round) {
        bytes rtp_key(K), rtp_salt(12), rtcp_key(K), rtcp_salt(12);
        r.fill(rtp_key);
        r.fill(rtp_salt);
        r.fill(rtcp_key);
        r.fill(rtcp_salt);
        T t;
        REQUIRE(t.set_session_keys(fixed<K>(rtp_key), fixed<12>(rtp_salt), fixed<K>(rtcp_key),
                                   fixed<12>(rtcp_salt)) == errc::ok);

        // SRTP with a non-zero ROC (set out of band) and random SSRC/SEQ.
        perc::srtp_stream<> tx;
        const std::uint32_t roc = static_cast<std::uint32_t>(r.next()) >> 1;
        tx.set_roc(roc);
        const auto ssrc = static_cast<std::uint32_t>(r.next());
        const auto seq = static_cast<std::uint16_t>(r.next());
        const built_packet b = make_rtp(r, r.below(300), r.below(16), static_cast<int>(r.below(3)),
                                        0, r.below(2) == 1, seq, ssrc);
        bytes out(b.packet.size() + 16);
        auto p = t.protect_rtp(tx, b.packet, out);
        REQUIRE(p);
        // RFC 7714 §8.1: IV = (00 00 ‖ SSRC ‖ ROC ‖ SEQ) XOR session salt.
        bytes iv(12, 0);
        perc::store_be32(iv.data() + 2, ssrc);
        perc::store_be32(iv.data() + 6, roc);
        perc::store_be16(iv.data() + 10, seq);
        for (std::size_t i = 0; i < 12; ++i) iv[i] = static_cast<std::uint8_t>(iv[i] ^ rtp_salt[i]);
        const perc::bytes_view pkt{b.packet};
        const bytes aad = to_bytes(pkt.first(b.header_size));
        CHECK(to_bytes(*p) ==
              cat(aad, oracle_seal<T>(rtp_key, iv, aad, pkt.subspan(b.header_size))));

        // SRTCP, E = 1 and E = 0, from a random 31-bit index.
        perc::srtp_stream<> ctl;
        const std::uint32_t index = static_cast<std::uint32_t>(r.next()) & 0x7FFFFFF0u;
        REQUIRE(ctl.set_srtcp_next_index(index) == errc::ok);
        const bytes rtcp = rtcp_packet(r, 8 + 4 * r.below(30), ssrc);
        for (bool encrypt : {true, false}) {
            const std::uint32_t i = ctl.srtcp_next_index;
            bytes cout(rtcp.size() + 20);
            auto c = t.protect_rtcp(ctl, rtcp, cout, encrypt);
            REQUIRE(c);
            // RFC 7714 §9.1: IV = (00 00 ‖ SSRC ‖ 00 00 ‖ 0 ‖ index) XOR session salt (no E bit).
            bytes civ(12, 0);
            perc::store_be32(civ.data() + 2, ssrc);
            perc::store_be32(civ.data() + 8, i);
            for (std::size_t j = 0; j < 12; ++j)
                civ[j] = static_cast<std::uint8_t>(civ[j] ^ rtcp_salt[j]);
            bytes esrtcp(4);
            perc::store_be32(esrtcp.data(), (encrypt ? 0x80000000u : 0u) | i);
            const perc::bytes_view rv{rtcp};
            bytes expected;
            if (encrypt) { // §9.2: AAD = header(8) ‖ ESRTCP; wire = header ‖ cipher ‖ tag ‖ ESRTCP
                const bytes head = to_bytes(rv.first(8));
                expected = cat(head,
                               oracle_seal<T>(rtcp_key, civ, cat(head, esrtcp), rv.subspan(8)));
            } else { // §9.3: AAD = packet ‖ ESRTCP; wire = packet ‖ tag ‖ ESRTCP
                expected = cat(rtcp, oracle_seal<T>(rtcp_key, civ, cat(rtcp, esrtcp), {}));
            }
            expected = cat(expected, esrtcp);
            CHECK(to_bytes(*c) == expected);
        }
    }
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.1: SEQ wrap increments the sender ROC; the receiver follows "
                   "across several wraps with reordering and loss bursts < 2^15",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    keyed_transform<T> k(0x3A11 + T::master_key_size);
    rng r(0x77 + T::master_key_size);
    perc::srtp_stream<> tx, rx;
    const std::uint32_t ssrc = 0xCAFE0001;

    SUBCASE("sender: ROC is 0 up to SEQ 65535 and 1 from SEQ 0")
    {
        for (std::uint32_t s = 65530; s < 65536 + 6; ++s) {
            const auto seq = static_cast<std::uint16_t>(s);
            const built_packet b = make_rtp(r, 20, 0, 0, 0, false, seq, ssrc);
            bytes out(b.packet.size() + 16);
            REQUIRE(protect_ok(k.t, tx, b.packet, out));
            CHECK(tx.roc() == (s >> 16));
            CHECK(tx.rtp_index.highest_seq() == seq);
            bytes back(out.size());
            auto u = k.t.unprotect_rtp(rx, out, back);
            REQUIRE(u);
            CHECK(to_bytes(*u) == b.packet);
            CHECK(rx.roc() == (s >> 16));
        }
    }

    SUBCASE("wrap delivered out of order: 0, 65534, 1, 65535")
    {
        std::vector<bytes> prot;
        std::vector<bytes> plain;
        for (std::uint32_t s = 65533; s < 65536 + 2; ++s) {
            const built_packet b = make_rtp(r, 30, 1, 1, 0, false, static_cast<std::uint16_t>(s),
                                            ssrc);
            bytes out(b.packet.size() + 16);
            REQUIRE(protect_ok(k.t, tx, b.packet, out));
            prot.push_back(out);
            plain.push_back(b.packet);
        }
        CHECK(tx.roc() == 1);
        // Deliver 65533 first to start the receiver at ROC 0, then the reordered tail.
        for (std::size_t i :
             {std::size_t{0}, std::size_t{3}, std::size_t{1}, std::size_t{4}, std::size_t{2}}) {
            bytes back(prot[i].size());
            auto u = k.t.unprotect_rtp(rx, prot[i], back);
            REQUIRE(u);
            CHECK(to_bytes(*u) == plain[i]);
        }
        CHECK(rx.roc() == 1);
        CHECK(rx.rtp_index.highest_seq() == 1);
    }

    SUBCASE("several wraps, segments reordered locally, random loss bursts")
    {
        std::uint64_t index = 65520; // 48-bit index = 2^16·ROC + SEQ; first wrap mid-segment
        std::uint64_t last = 0;
        std::size_t delivered = 0;
        for (int segment = 0; segment < 64; ++segment) {
            std::vector<bytes> prot, plain;
            for (int j = 0; j < 40; ++j, ++index) {
                const auto seq = static_cast<std::uint16_t>(index);
                const built_packet b = make_rtp(r, r.below(200), r.below(4), 0, 0, false, seq,
                                                ssrc);
                bytes out(b.packet.size() + 16);
                REQUIRE(protect_ok(k.t, tx, b.packet, out));
                // RFC 3711 §3.3.1: the sender's ROC is the index's upper 32 bits.
                CHECK(tx.roc() == static_cast<std::uint32_t>(index >> 16));
                last = index;
                prot.push_back(std::move(out));
                plain.push_back(b.packet);
            }
            // Reorder within the segment (displacement < 40 < replay window 128).
            std::vector<std::size_t> order(prot.size());
            for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
            // The very first packet goes first: it sets the receiver's ROC 0 and s_l.
            const std::size_t fixed_prefix = segment == 0 ? 1 : 0;
            for (std::size_t i = order.size(); i > fixed_prefix + 1; --i)
                std::swap(
                    order[i - 1],
                    order[fixed_prefix + r.below(static_cast<std::uint32_t>(i - fixed_prefix))]);
            for (std::size_t i : order) {
                bytes back(prot[i].size());
                auto u = k.t.unprotect_rtp(rx, prot[i], back);
                REQUIRE(u);
                CHECK(to_bytes(*u) == plain[i]);
                ++delivered;
            }
            CHECK(rx.roc() == tx.roc());
            // Loss burst: skip 0..32000 indices (the next SEQ stays < 2^15 from s_l).
            index += r.below(32001);
        }
        CHECK(delivered == 64 * 40);
        CHECK(tx.roc() == static_cast<std::uint32_t>(last >> 16));
        CHECK(tx.roc() >= 3); // several wraps happened
        CHECK(rx.roc() == tx.roc());
        CHECK(rx.rtp_index.highest_seq() == static_cast<std::uint16_t>(last));
    }
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.1: a late-joining receiver told the sender's ROC decrypts "
                   "mid-stream; a wrong ROC fails authentication",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    keyed_transform<T> k(0x1A7E + T::master_key_size);
    rng r(0x1A7 + T::master_key_size);
    perc::srtp_stream<> tx;
    tx.set_roc(7);
    const std::uint32_t ssrc = 0x0BADF00D;
    std::vector<bytes> prot, plain;
    for (std::uint32_t s = 65000; s < 65000 + 1000; ++s) { // wraps into ROC 8 after 536 packets
        const built_packet b = make_rtp(r, 50, 0, 0, 0, false, static_cast<std::uint16_t>(s), ssrc);
        bytes out(b.packet.size() + 16);
        REQUIRE(protect_ok(k.t, tx, b.packet, out));
        prot.push_back(std::move(out));
        plain.push_back(b.packet);
    }
    REQUIRE(tx.roc() == 8);

    // Join at packet 700 (SEQ 164, ROC 8).
    {
        perc::srtp_stream<> wrong;
        wrong.set_roc(7);
        bytes buf = prot[700];
        auto u = k.t.unprotect_rtp(wrong, buf, buf);
        REQUIRE_FALSE(u);
        CHECK(u.error() == errc::auth_failed);
        CHECK(buf == prot[700]);
        CHECK_FALSE(wrong.rtp_index.started());

        perc::srtp_stream<> unset; // ROC 0
        auto v = k.t.unprotect_rtp(unset, buf, buf);
        REQUIRE_FALSE(v);
        CHECK(v.error() == errc::auth_failed);
        CHECK(buf == prot[700]);
    }
    perc::srtp_stream<> rx;
    rx.set_roc(8);
    for (std::size_t i = 700; i < prot.size(); ++i) {
        bytes back(prot[i].size());
        auto u = k.t.unprotect_rtp(rx, prot[i], back);
        REQUIRE(u);
        CHECK(to_bytes(*u) == plain[i]);
    }
    CHECK(rx.roc() == 8);

    // Joined just before the wrap with ROC 7: follows the wrap to ROC 8.
    perc::srtp_stream<> rx7;
    rx7.set_roc(7);
    for (std::size_t i = 500; i < 600; ++i) {
        bytes back(prot[i].size());
        auto u = k.t.unprotect_rtp(rx7, prot[i], back);
        REQUIRE(u);
        CHECK(to_bytes(*u) == plain[i]);
    }
    CHECK(rx7.roc() == 8);
}

TEST_CASE_TEMPLATE("RFC 3711 §3.4 / RFC 7714 §9.2–§9.3: SRTCP round trips, E = 1 and E = 0, index "
                   "counts from 0",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    keyed_transform<T> k(0xC7 + T::master_key_size);
    rng r(0xC70 + T::master_key_size);
    perc::srtp_stream<> tx, rx, rx2;
    CHECK(tx.srtcp_next_index == 0);
    const std::uint32_t ssrc = 0x5EED5EED;
    std::uint32_t expected_index = 0;
    for (std::size_t words = 2; words <= 150; ++words) {
        const bool encrypt = (words % 3) != 0;
        INFO("size ", 4 * words, " E ", encrypt);
        const bytes in = rtcp_packet(r, 4 * words, ssrc);
        bytes out(in.size() + 20 + 5, 0xA5);
        const std::uint64_t count_before = k.t.srtcp_packets_protected();
        auto p = k.t.protect_rtcp(tx, in, out, encrypt);
        REQUIRE(p);
        // RFC 7714 §9.2/§9.3: + 16-octet tag + 4-octet ESRTCP word.
        CHECK(p->size() == in.size() + 20);
        CHECK(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(in.size() + 20), out.end(),
                          [](std::uint8_t x) { return x == 0xA5; }));
        const bytes prot = to_bytes(*p);
        // RFC 3711 §3.4: the index starts at 0 and increments per packet; E is the top bit.
        CHECK(perc::load_be32(prot.data() + prot.size() - 4) ==
              ((encrypt ? 0x80000000u : 0u) | expected_index));
        ++expected_index;
        CHECK(tx.srtcp_next_index == expected_index);
        CHECK(k.t.srtcp_packets_protected() == count_before + 1);
        // First 8 octets always clear; with E = 0 the whole packet is clear (§9.3).
        const std::size_t clear = encrypt ? 8 : in.size();
        CHECK(
            std::equal(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(clear), prot.begin()));
        if (encrypt && in.size() >= 16)
            CHECK_FALSE(std::equal(in.begin() + 8, in.end(), prot.begin() + 8));

        // In place on a scratch stream at the same index gives the same bytes.
        perc::srtp_stream<> same;
        REQUIRE(same.set_srtcp_next_index(expected_index - 1) == errc::ok);
        bytes buf = in;
        buf.resize(in.size() + 20);
        auto q = k.t.protect_rtcp(same, perc::bytes_view{buf}.first(in.size()), buf, encrypt);
        REQUIRE(q);
        CHECK(to_bytes(*q) == prot);

        bytes back(prot.size(), 0xA5);
        auto u = k.t.unprotect_rtcp(rx, prot, back);
        REQUIRE(u);
        CHECK(to_bytes(*u) == in);
        auto v = k.t.unprotect_rtcp(rx2, buf, buf);
        REQUIRE(v);
        CHECK(v->data() == buf.data());
        CHECK(to_bytes(*v) == in);
        // RFC 3711 §3.3.2 (SRTCP list): the same packet again is a replay.
        auto w = k.t.unprotect_rtcp(rx, prot, back);
        REQUIRE_FALSE(w);
        CHECK(w.error() == errc::replayed);
    }
}

TEST_CASE_TEMPLATE("RFC 7714 §8.4: distinct SSRC, ROC or SEQ give distinct ciphertexts for one "
                   "payload",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    keyed_transform<T> k(0x1D + T::master_key_size);
    rng r(0x1D0);
    bytes payload(64);
    r.fill(payload);
    std::set<bytes> bodies;
    std::size_t packets = 0;
    auto body_of = [&](std::uint32_t roc, std::uint16_t seq, std::uint32_t ssrc) {
        perc::srtp_stream<> tx;
        tx.set_roc(roc);
        rtp_spec s;
        s.seq = seq;
        s.ssrc = ssrc;
        s.payload = payload;
        const bytes in = build_rtp(s);
        bytes out(in.size() + 16);
        auto p = k.t.protect_rtp(tx, in, out);
        REQUIRE(p);
        ++packets;
        return bytes(p->begin() + 12, p->end()); // ciphertext ‖ tag
    };
    for (std::uint32_t ssrc : {0u, 1u, 0x80000000u, 0xFFFFFFFFu})
        for (std::uint32_t roc : {0u, 1u, 0x10000u, 0xFFFFFFFEu})
            for (std::uint16_t seq :
                 {std::uint16_t{0}, std::uint16_t{1}, std::uint16_t{0x100}, std::uint16_t{0xFFFF}})
                bodies.insert(body_of(roc, seq, ssrc));
    CHECK(packets == 4 * 4 * 4);
    CHECK(bodies.size() == packets);

    // SRTCP: distinct index or SSRC, same packet -> distinct ciphertexts.
    std::set<bytes> rtcp_bodies;
    bytes rtcp = rtcp_packet(r, 48, 1);
    std::size_t rtcp_packets = 0;
    for (std::uint32_t ssrc : {1u, 2u, 0xFFFFFFFFu}) {
        perc::store_be32(rtcp.data() + 4, ssrc);
        for (std::uint32_t index : {0u, 1u, 0x10000u, 0x7FFFFFFFu}) {
            perc::srtp_stream<> tx;
            REQUIRE(tx.set_srtcp_next_index(index) == errc::ok);
            bytes out(rtcp.size() + 20);
            auto p = k.t.protect_rtcp(tx, rtcp, out);
            REQUIRE(p);
            rtcp_bodies.insert(bytes(p->begin() + 8, p->end() - 4));
            ++rtcp_packets;
        }
    }
    CHECK(rtcp_bodies.size() == rtcp_packets);
}

TEST_CASE_TEMPLATE("RFC 7714 §5.3: a different master key (or salt) cannot unprotect; auth_failed "
                   "and nothing changes",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    keyed_transform<T> a(0xA + T::master_key_size);
    keyed_transform<T> b(0xB + T::master_key_size);
    T salt_only; // same master key as a, different master salt
    bytes other_salt = a.master_salt;
    other_salt[11] ^= 1;
    REQUIRE(salt_only.set_master_key(a.master_key, other_salt) == errc::ok);

    rng r(0xAB);
    perc::srtp_stream<> tx;
    const built_packet pkt = make_rtp(r, 100, 2, 1, 0, true, 4242, 77);
    bytes prot(pkt.packet.size() + 16);
    REQUIRE(protect_ok(a.t, tx, pkt.packet, prot));
    const bytes rtcp = rtcp_packet(r, 40, 77);
    bytes cprot(rtcp.size() + 20);
    REQUIRE(a.t.protect_rtcp(tx, rtcp, cprot));

    for (T* other : {&b.t, &salt_only}) {
        perc::srtp_stream<> rx;
        bytes out(prot.size(), 0xA5);
        auto u = other->unprotect_rtp(rx, prot, out);
        REQUIRE_FALSE(u);
        CHECK(u.error() == errc::auth_failed);
        CHECK(out == bytes(prot.size(), 0xA5));
        bytes buf = prot;
        auto v = other->unprotect_rtp(rx, buf, buf);
        REQUIRE_FALSE(v);
        CHECK(v.error() == errc::auth_failed);
        CHECK(buf == prot);
        CHECK_FALSE(rx.rtp_index.started());
        CHECK(rx.rtp_replay.empty());

        bytes cout(cprot.size(), 0xA5);
        auto c = other->unprotect_rtcp(rx, cprot, cout);
        REQUIRE_FALSE(c);
        CHECK(c.error() == errc::auth_failed);
        CHECK(cout == bytes(cprot.size(), 0xA5));
        CHECK(rx.rtcp_replay.empty());
    }
    // The right key still works after the failures.
    perc::srtp_stream<> rx;
    bytes out(prot.size());
    auto u = a.t.unprotect_rtp(rx, prot, out);
    REQUIRE(u);
    CHECK(to_bytes(*u) == pkt.packet);
}
