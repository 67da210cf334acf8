// srtp_aead_transform (RFC 7714 §8/§9 over RFC 3711 §3.3) and srtp_session, driven by the mock
// AEAD and KDF of mock_aead.hpp: the core with no crypto backend, built with -fno-exceptions
// -fno-rtti (STYLE "Tests": build modes are tested). Expected packets are assembled here from
// the RFC's IVs and layouts with direct mock calls, never from the transform's own output.
#include <perc/srtp_aead_transform.hpp>
#include <perc/srtp_session.hpp>

#include "mock_aead.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__cpp_exceptions) || defined(__EXCEPTIONS) || defined(__cpp_rtti) || defined(__GXX_RTTI)
#error "the core tests must be built with -fno-exceptions -fno-rtti (see tests/meson.build)"
#endif
static_assert(PERC_HAS_EXCEPTIONS == 0);

using namespace perc_test;
using perc::errc;

namespace {

using transform = perc::srtp_aead_transform<mock_aead, mock_kdf>;
using stream = perc::srtp_stream<>;
using session = perc::srtp_session<transform>;

static_assert(transform::srtp_overhead == 16);    // RFC 7714 §8.2: the tag
static_assert(transform::srtcp_overhead == 20);   // RFC 7714 §9.2: tag ‖ ESRTCP word
static_assert(transform::master_salt_size == 12); // RFC 7714 §12
static_assert(session::srtp_overhead == 16);
static_assert(session::srtcp_overhead == 20);

// RFC 7714 §16/§17 material (digest §11).
const bytes key = from_hex("000102030405060708090a0b0c0d0e0f");
const bytes salt = from_hex("517569642070726f2071756f");
const bytes rtp_in = from_hex("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973"
                              "20646976 69736120 696e2070 61727465 73207472 6573");
const bytes rtcp_in = from_hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930"
                               "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");

transform keyed()
{
    transform t;
    REQUIRE(t.set_session_keys(fixed<16>(key), fixed<12>(salt), fixed<16>(key), fixed<12>(salt)) ==
            errc::ok);
    return t;
}

mock_aead mock_with(const bytes& k)
{
    mock_aead a;
    REQUIRE(a.set_key(fixed<16>(k)) == errc::ok);
    return a;
}

// RFC 7714 §8.1, written out independently of perc::srtp_aead_nonce.
bytes rtp_iv(const bytes& s, std::uint32_t ssrc, std::uint32_t roc, std::uint16_t seq)
{
    const auto octet = [](std::uint32_t v, int shift) {
        return static_cast<std::uint8_t>(v >> shift);
    };
    const bytes layout = {0,
                          0, // 00 00
                          octet(ssrc, 24),
                          octet(ssrc, 16),
                          octet(ssrc, 8),
                          octet(ssrc, 0), // SSRC
                          octet(roc, 24),
                          octet(roc, 16),
                          octet(roc, 8),
                          octet(roc, 0), // ROC
                          octet(seq, 8),
                          octet(seq, 0)}; // SEQ
    bytes iv(12);
    for (std::size_t i = 0; i < 12; ++i) iv[i] = static_cast<std::uint8_t>(layout[i] ^ s[i]);
    return iv;
}

// Header ‖ mock-seal(IV, AAD = header, payload) ‖ tag: the RFC 7714 §8.2 layout.
bytes expected_srtp(const bytes& k, const bytes& iv, const bytes& packet, std::size_t header_size)
{
    mock_aead a = mock_with(k);
    bytes out(packet.size() + 16);
    for (std::size_t i = 0; i < header_size; ++i) out[i] = packet[i];
    const std::size_t ps = packet.size() - header_size;
    REQUIRE(a.seal(fixed<12>(iv), perc::aad_view{perc::bytes_view{packet}.first(header_size)},
                   perc::bytes_view{packet}.subspan(header_size),
                   perc::bytes_span{out}.subspan(header_size, ps),
                   perc::bytes_span{out}.subspan(header_size + ps).first<16>()) == errc::ok);
    return out;
}

// Everything observable about a stream's state.
struct stream_state {
    std::uint32_t roc;
    std::uint16_t s_l;
    bool started;
    std::uint64_t rtp_top;
    bool rtp_empty;
    std::uint32_t srtcp_next;
    std::uint64_t rtcp_top;
    bool rtcp_empty;
    std::vector<errc> rtp_checks;
    std::vector<errc> rtcp_checks;
    bool operator==(const stream_state&) const = default;
};

template <std::size_t W>
stream_state state_of(const perc::srtp_stream<W>& s)
{
    stream_state st{s.rtp_index.roc(),
                    s.rtp_index.highest_seq(),
                    s.rtp_index.started(),
                    s.rtp_replay.highest(),
                    s.rtp_replay.empty(),
                    s.srtcp_next_index,
                    s.rtcp_replay.highest(),
                    s.rtcp_replay.empty(),
                    {},
                    {}};
    for (std::uint64_t d = 0; d < W + 4; ++d) {
        st.rtp_checks.push_back(s.rtp_replay.check(s.rtp_replay.highest() + 2 - d));
        st.rtcp_checks.push_back(s.rtcp_replay.check(s.rtcp_replay.highest() + 2 - d));
    }
    return st;
}

bytes packet(std::uint16_t seq, std::uint32_t ssrc = 0x5501a0b2, std::size_t payload_size = 20)
{
    rtp_spec s;
    s.seq = seq;
    s.ssrc = ssrc;
    s.ts = 1000u * seq;
    for (std::size_t i = 0; i < payload_size; ++i)
        s.payload.push_back(static_cast<std::uint8_t>(i + seq));
    return build_rtp(s);
}

bytes protect(transform& t, stream& s, const bytes& in)
{
    bytes out(in.size() + 16);
    auto r = t.protect_rtp(s, in, out);
    REQUIRE(r);
    REQUIRE(r->size() == in.size() + 16);
    return out;
}

} // namespace

TEST_CASE("mock AEAD: round trip, in place, and every single-bit flip is auth_failed")
{
    mock_aead a = mock_with(key);
    const bytes nonce = from_hex("51753c6580c2726f20718414");
    const bytes aad1 = from_hex("8040f17b8041f8d3");
    const bytes aad2 = from_hex("5501a0b2");
    const bytes plain = from_hex("47616c6c69612065737420");
    bytes c(plain.size());
    std::array<std::uint8_t, 16> tag{};
    REQUIRE(a.seal(fixed<12>(nonce), perc::aad_view{aad1, aad2}, plain, c, tag) == errc::ok);
    CHECK(to_hex(c) != to_hex(plain));

    bytes p(plain.size(), 0xEE);
    REQUIRE(a.open(fixed<12>(nonce), perc::aad_view{aad1, aad2}, c, tag, p) == errc::ok);
    CHECK(to_hex(p) == to_hex(plain));

    // The AAD is authenticated as the concatenation of its pieces.
    const bytes joined = from_hex("8040f17b8041f8d3 5501a0b2");
    bytes p2(plain.size());
    CHECK(a.open(fixed<12>(nonce), perc::aad_view{joined}, c, tag, p2) == errc::ok);

    // In place equals out of place.
    bytes inplace = plain;
    std::array<std::uint8_t, 16> tag2{};
    REQUIRE(a.seal(fixed<12>(nonce), perc::aad_view{joined}, inplace, inplace, tag2) == errc::ok);
    CHECK(to_hex(inplace) == to_hex(c));
    CHECK(to_hex(tag2) == to_hex(tag));
    REQUIRE(a.open(fixed<12>(nonce), perc::aad_view{joined}, inplace, tag2, inplace) == errc::ok);
    CHECK(to_hex(inplace) == to_hex(plain));

    // RFC 7714 §5.3: any change is refused and nothing is written.
    auto refused = [&](const bytes& n, const bytes& aad, const bytes& ct,
                       const std::array<std::uint8_t, 16>& t) {
        bytes out(ct.size(), 0xEE);
        const errc e = a.open(fixed<12>(n), perc::aad_view{aad}, ct, t, out);
        return e == errc::auth_failed && out == bytes(ct.size(), 0xEE);
    };
    std::size_t not_refused = 0;
    for (std::size_t i = 0; i < 8 * joined.size(); ++i) {
        bytes x = joined;
        x[i / 8] = static_cast<std::uint8_t>(x[i / 8] ^ (1u << (i % 8)));
        if (!refused(nonce, x, c, tag)) ++not_refused;
    }
    for (std::size_t i = 0; i < 8 * c.size(); ++i) {
        bytes x = c;
        x[i / 8] = static_cast<std::uint8_t>(x[i / 8] ^ (1u << (i % 8)));
        if (!refused(nonce, joined, x, tag)) ++not_refused;
    }
    for (std::size_t i = 0; i < 8 * tag.size(); ++i) {
        auto x = tag;
        x[i / 8] = static_cast<std::uint8_t>(x[i / 8] ^ (1u << (i % 8)));
        if (!refused(nonce, joined, c, x)) ++not_refused;
    }
    for (std::size_t i = 0; i < 8 * nonce.size(); ++i) {
        bytes x = nonce;
        x[i / 8] = static_cast<std::uint8_t>(x[i / 8] ^ (1u << (i % 8)));
        if (!refused(x, joined, c, tag)) ++not_refused;
    }
    CHECK(not_refused == 0);
    // Moving the AAD/ciphertext boundary is refused too.
    CHECK(refused(nonce, bytes(joined.begin(), joined.end() - 1), bytes{}, tag));

    // A different key neither decrypts nor verifies.
    mock_aead other = mock_with(from_hex("ff0102030405060708090a0b0c0d0e0f"));
    bytes out(c.size(), 0xEE);
    CHECK(other.open(fixed<12>(nonce), perc::aad_view{joined}, c, tag, out) == errc::auth_failed);
}

TEST_CASE("mock AEAD: contract errors and move-only key ownership")
{
    mock_aead a;
    CHECK(!a.has_key());
    const bytes nonce(12, 0);
    bytes buf(4);
    std::array<std::uint8_t, 16> tag{};
    CHECK(a.seal(fixed<12>(nonce), perc::aad_view{}, buf, buf, tag) == errc::no_key);
    CHECK(a.open(fixed<12>(nonce), perc::aad_view{}, buf, tag, buf) == errc::no_key);
    REQUIRE(a.set_key(fixed<16>(key)) == errc::ok);
    CHECK(a.has_key());
    bytes small(3);
    CHECK(a.seal(fixed<12>(nonce), perc::aad_view{}, buf, small, tag) == errc::buffer_too_small);
    bytes big(8);
    CHECK(a.seal(fixed<12>(nonce), perc::aad_view{}, perc::bytes_view{big}.first(4),
                 perc::bytes_span{big}.subspan(1, 4), tag) == errc::buffer_overlap);
    mock_aead b = std::move(a);
    CHECK(b.has_key());
    CHECK(!a.has_key()); // NOLINT(bugprone-use-after-move): the moved-from state is tested
    mock_aead c;
    c = std::move(b);
    CHECK(c.has_key());
    CHECK(!b.has_key()); // NOLINT(bugprone-use-after-move)
}

TEST_CASE("RFC 7714 §8.1/§8.2: protect_rtp = header ‖ AEAD(IV, AAD = header, payload) ‖ tag")
{
    transform t = keyed();
    stream tx;
    const bytes out = protect(t, tx, rtp_in);
    // RFC 7714 §16 IV (digest §11.1) for SSRC 5501a0b2, ROC 0, SEQ f17b.
    const bytes iv = from_hex("51753c6580c2726f20718414");
    CHECK(to_hex(rtp_iv(salt, 0x5501a0b2, 0, 0xf17b)) == to_hex(iv));
    CHECK(to_hex(out) == to_hex(expected_srtp(key, iv, rtp_in, 12)));
    CHECK(to_hex(perc::bytes_view{out}.first(12)) == to_hex(perc::bytes_view{rtp_in}.first(12)));
    CHECK(tx.roc() == 0);
    CHECK(t.srtp_packets_protected() == 1);

    // The AAD is the whole header: CSRCs and extension included (RFC 7714 §8.2).
    rtp_spec s;
    s.seq = 7;
    s.ssrc = 0x01020304;
    s.csrcs = {0xAAAAAAAA, 0xBBBBBBBB};
    s.extension = true;
    s.ext_body = from_hex("10ff 0000");
    s.payload = from_hex("00112233445566778899");
    const bytes p = build_rtp(s);
    stream tx2; // tx has s_l = f17b: SEQ 7 there would be ROC 1
    const bytes out2 = protect(t, tx2, p);
    CHECK(to_hex(out2) == to_hex(expected_srtp(key, rtp_iv(salt, 0x01020304, 0, 7), p, 28)));
}

TEST_CASE("RFC 7714 §9.1/§9.2: protect_rtcp E = 1 = header ‖ AEAD(rest) ‖ tag ‖ ESRTCP")
{
    transform t = keyed();
    stream tx;
    REQUIRE(tx.set_srtcp_next_index(0x5d4) == errc::ok);
    bytes out(rtcp_in.size() + 20);
    const auto r = t.protect_rtcp(tx, rtcp_in, out);
    REQUIRE(r);
    CHECK(r->size() == rtcp_in.size() + 20);

    // RFC 7714 §17 IV (digest §11.2); AAD = first 8 octets ‖ ESRTCP word 800005d4.
    const bytes iv = from_hex("517524055203726f207170bb");
    const bytes aad = from_hex("81c8000d 4d617273 800005d4");
    mock_aead a = mock_with(key);
    bytes expected(rtcp_in.begin(), rtcp_in.begin() + 8);
    bytes enc(rtcp_in.size() - 8);
    std::array<std::uint8_t, 16> tag{};
    REQUIRE(a.seal(fixed<12>(iv), perc::aad_view{aad}, perc::bytes_view{rtcp_in}.subspan(8), enc,
                   tag) == errc::ok);
    expected.insert(expected.end(), enc.begin(), enc.end());
    expected.insert(expected.end(), tag.begin(), tag.end());
    for (std::uint8_t b : from_hex("800005d4")) expected.push_back(b);
    CHECK(to_hex(out) == to_hex(expected));
    CHECK(tx.srtcp_next_index == 0x5d5);
    CHECK(t.srtcp_packets_protected() == 1);
}

TEST_CASE("RFC 7714 §9.3: protect_rtcp E = 0 = packet ‖ tag(AAD = packet ‖ ESRTCP) ‖ ESRTCP")
{
    transform t = keyed();
    stream tx;
    REQUIRE(tx.set_srtcp_next_index(0x5d4) == errc::ok);
    bytes out(rtcp_in.size() + 20);
    REQUIRE(t.protect_rtcp(tx, rtcp_in, out, false));

    const bytes iv = from_hex("517524055203726f207170bb");
    mock_aead a = mock_with(key);
    std::array<std::uint8_t, 16> tag{};
    const bytes word = from_hex("000005d4");
    REQUIRE(a.seal(fixed<12>(iv), perc::aad_view{rtcp_in, word}, perc::bytes_view{},
                   perc::bytes_span{}, tag) == errc::ok);
    bytes expected = rtcp_in;
    expected.insert(expected.end(), tag.begin(), tag.end());
    expected.insert(expected.end(), word.begin(), word.end());
    CHECK(to_hex(out) == to_hex(expected));
}

TEST_CASE("RFC 7714 §11: set_master_key derives SRTP/SRTCP keys and salts with labels 0, 2, 3, 5")
{
    const bytes mk = from_hex("00112233445566778899aabbccddeeff");
    const bytes ms = from_hex("a0a1a2a3a4a5a6a7a8a9aaab");
    auto derive = [&](std::uint8_t label, std::size_t n) {
        bytes out(n);
        REQUIRE(mock_kdf::derive(fixed<16>(mk), ms, label, out) == errc::ok);
        return out;
    };
    const bytes k0 = derive(0x00, 16), s2 = derive(0x02, 12), k3 = derive(0x03, 16),
                s5 = derive(0x05, 12);
    CHECK(to_hex(k0) != to_hex(k3)); // SRTP and SRTCP session keys differ (RFC 3711 §3.2.1)

    transform t;
    REQUIRE(t.set_master_key(mk, ms) == errc::ok);
    CHECK(t.has_key());
    stream tx;
    CHECK(to_hex(protect(t, tx, rtp_in)) ==
          to_hex(expected_srtp(k0, rtp_iv(s2, 0x5501a0b2, 0, 0xf17b), rtp_in, 12)));

    // SRTCP uses the label 0x03 key and label 0x05 salt: compare with set_session_keys.
    transform ref;
    REQUIRE(ref.set_session_keys(fixed<16>(k0), fixed<12>(s2), fixed<16>(k3), fixed<12>(s5)) ==
            errc::ok);
    stream a, b;
    bytes o1(rtcp_in.size() + 20), o2(rtcp_in.size() + 20);
    REQUIRE(t.protect_rtcp(a, rtcp_in, o1));
    REQUIRE(ref.protect_rtcp(b, rtcp_in, o2));
    CHECK(to_hex(o1) == to_hex(o2));
    // ... and not the SRTP key/salt.
    transform wrong;
    REQUIRE(wrong.set_session_keys(fixed<16>(k0), fixed<12>(s2), fixed<16>(k0), fixed<12>(s2)) ==
            errc::ok);
    stream c;
    bytes o3(rtcp_in.size() + 20);
    REQUIRE(wrong.protect_rtcp(c, rtcp_in, o3));
    CHECK(to_hex(o1) != to_hex(o3));
}

TEST_CASE("set_master_key: size and rate errors keep the previous keys")
{
    transform t;
    const bytes ms = from_hex("a0a1a2a3a4a5a6a7a8a9aaab");
    CHECK(t.set_master_key(bytes(15), ms) == errc::bad_key_size);
    CHECK(t.set_master_key(bytes(17), ms) == errc::bad_key_size);
    CHECK(t.set_master_key(bytes{}, ms) == errc::bad_key_size);
    CHECK(t.set_master_key(key, bytes(14)) == errc::bad_salt_size); // RFC 7714 §12: 96-bit salt
    CHECK(t.set_master_key(key, bytes(11)) == errc::bad_salt_size);
    CHECK(t.set_master_key(key, ms, 1) == errc::unsupported); // RFC 5764 §4.1.2: kdr 0 only
    CHECK(t.set_master_key(key, ms, std::uint64_t{1} << 24) == errc::unsupported);
    CHECK(!t.has_key());

    REQUIRE(t.set_master_key(key, ms) == errc::ok);
    stream s1;
    const bytes before = protect(t, s1, rtp_in);
    CHECK(t.set_master_key(bytes(16, 0x77), bytes(13)) == errc::bad_salt_size);
    CHECK(t.set_master_key(bytes(16, 0x77), ms, 2) == errc::unsupported);
    stream s2;
    CHECK(to_hex(protect(t, s2, rtp_in)) == to_hex(before));
}

TEST_CASE("RFC 7714 §8: round trips for payload sizes 0..80, CSRCs, extension, padding; "
          "in place equals out of place")
{
    transform t = keyed();
    stream tx_a, tx_b, rx_a, rx_b;
    rng r{0xC0DE};
    std::uint16_t seq = 65400; // crosses a SEQ wrap along the way
    std::size_t mismatches = 0, failures = 0;
    for (std::size_t size = 0; size <= 80; ++size)
        for (int variant = 0; variant < 4; ++variant, ++seq) {
            rtp_spec s;
            s.seq = seq;
            s.ssrc = 0x5501a0b2;
            s.marker = (variant & 1) != 0;
            for (std::uint32_t c = 0; c < (size + static_cast<std::size_t>(variant)) % 16; ++c)
                s.csrcs.push_back(r.below(0xFFFFFFFFu));
            if (variant >= 2) {
                s.extension = true;
                s.ext_body.assign(4 * (1 + size % 3), 0); // ID 1, one octet, padding
                s.ext_body[0] = 0x10;
                s.ext_body[1] = 0xAA;
            }
            s.payload.resize(size);
            r.fill(s.payload);
            if (variant == 3 && size > 0) s.padding = static_cast<std::uint8_t>(1 + size % 7);
            const bytes p = build_rtp(s);

            bytes out(p.size() + 16);
            const auto pa = t.protect_rtp(tx_a, p, out);
            bytes inplace = p;
            inplace.resize(p.size() + 16);
            const auto pb = t.protect_rtp(tx_b, perc::bytes_view{inplace}.first(p.size()), inplace);
            if (!pa || !pb) {
                ++failures;
                continue;
            }
            if (out != inplace || pb->data() != inplace.data()) ++mismatches;

            bytes plain(out.size() - 16, 0xEE);
            const auto ua = t.unprotect_rtp(rx_a, out, plain);
            const auto ub = t.unprotect_rtp(rx_b, inplace, inplace);
            if (!ua || !ub) {
                ++failures;
                continue;
            }
            if (to_hex(*ua) != to_hex(p) || to_hex(*ub) != to_hex(p)) ++mismatches;
        }
    CHECK(failures == 0);
    CHECK(mismatches == 0);
    CHECK(tx_a.roc() == 1);
    CHECK(rx_a.roc() == 1);
    CHECK(state_of(tx_a) == state_of(tx_b));
    CHECK(state_of(rx_a) == state_of(rx_b));
}

TEST_CASE("RFC 3711 §3.3.2: a replayed or too old packet is refused and changes nothing")
{
    transform t = keyed();
    stream tx, rx;
    std::vector<bytes> sent;
    for (std::uint16_t seq = 100; seq <= 400; ++seq) sent.push_back(protect(t, tx, packet(seq)));

    bytes plain(sent[0].size());
    REQUIRE(t.unprotect_rtp(rx, sent[0], plain));
    const auto before = state_of(rx);
    bytes out(sent[0].size(), 0xEE);
    CHECK(t.unprotect_rtp(rx, sent[0], out).error() == errc::replayed);
    CHECK(out == bytes(sent[0].size(), 0xEE));
    CHECK(state_of(rx) == before);

    // Highest 400; 400 − 128 = 272 is exactly the window behind: too old. 273 is accepted.
    REQUIRE(t.unprotect_rtp(rx, sent[300], plain));
    const auto at400 = state_of(rx);
    CHECK(t.unprotect_rtp(rx, sent[172], out).error() == errc::too_old);
    CHECK(state_of(rx) == at400);
    CHECK(t.unprotect_rtp(rx, sent[173], plain).has_value());
    CHECK(t.unprotect_rtp(rx, sent[173], plain).error() == errc::replayed);
    // Reordered packets inside the window are all accepted once.
    for (std::size_t i = 299; i >= 174; --i) REQUIRE(t.unprotect_rtp(rx, sent[i], plain));
    CHECK(rx.rtp_index.highest_seq() == 400);
}

TEST_CASE("RFC 3711 §3.3.1: ROC wraps on both sides; IVs carry the ROC")
{
    transform t = keyed();
    stream tx, rx;
    std::vector<bytes> sent;
    for (std::uint32_t k = 0; k < 20; ++k)
        sent.push_back(protect(t, tx, packet(static_cast<std::uint16_t>(65530 + k))));
    CHECK(tx.roc() == 1);
    // Packet 10 is SEQ 4 with ROC 1: its IV uses ROC 1.
    CHECK(to_hex(sent[10]) ==
          to_hex(expected_srtp(key, rtp_iv(salt, 0x5501a0b2, 1, 4), packet(4), 12)));

    // Receiver: wrap packets arrive first, pre-wrap stragglers afterwards (v = ROC − 1).
    bytes plain(sent[0].size());
    for (std::size_t i : {0u, 1u, 2u, 8u, 9u, 10u, 3u, 4u, 5u, 6u, 7u, 11u}) {
        const auto u = t.unprotect_rtp(rx, sent[i], plain);
        CAPTURE(i);
        REQUIRE(u);
        CHECK(to_hex(*u) == to_hex(packet(static_cast<std::uint16_t>(65530 + i))));
    }
    CHECK(rx.roc() == 1);
    CHECK(rx.rtp_index.highest_seq() == 5);
}

TEST_CASE("RFC 3711 §3.3.1: a wrong ROC guess fails authentication; the caller can retry")
{
    transform t = keyed();
    stream tx;
    tx.set_roc(1);
    const bytes wire = protect(t, tx, packet(5));
    CHECK(tx.roc() == 1);

    stream rx; // believes ROC 0
    bytes buf = wire;
    const auto before = state_of(rx);
    CHECK(t.unprotect_rtp(rx, buf, buf).error() == errc::auth_failed);
    CHECK(buf == wire); // in place, still intact (DESIGN rule 5)
    CHECK(state_of(rx) == before);
    rx.set_roc(1); // learned out of band (EKT)
    const auto u = t.unprotect_rtp(rx, buf, buf);
    REQUIRE(u);
    CHECK(to_hex(*u) == to_hex(packet(5)));
}

TEST_CASE("RFC 7714 §8.4: the sender never protects an index twice")
{
    transform t = keyed();
    stream tx;
    (void)protect(t, tx, packet(100));
    (void)protect(t, tx, packet(300));
    const auto before = state_of(tx);
    bytes out(packet(100).size() + 16, 0xEE);
    CHECK(t.protect_rtp(tx, packet(100), out).error() == errc::index_reused);
    CHECK(t.protect_rtp(tx, packet(300), out).error() == errc::index_reused);
    // 150 was never used, but is too far behind to prove it: refused as well.
    CHECK(t.protect_rtp(tx, packet(150), out).error() == errc::index_reused);
    CHECK(out == bytes(out.size(), 0xEE));
    CHECK(state_of(tx) == before);
    CHECK(t.srtp_packets_protected() == 2);
    // Inside the window and unused: fine.
    CHECK(t.protect_rtp(tx, packet(250), out).has_value());
    // ROC 0, SEQ far behind the first packet would need ROC − 1: refused, not wrapped.
    stream tx2;
    (void)protect(t, tx2, packet(10));
    CHECK(t.protect_rtp(tx2, packet(40000), out).error() == errc::index_reused);
}

TEST_CASE("RFC 7714 §13 / RFC 3711 §3.3.1: the 48-bit index never wraps (index_exhausted)")
{
    transform t = keyed();
    stream tx, rx;
    tx.set_roc(0xFFFFFFFFu);
    rx.set_roc(0xFFFFFFFFu);
    const bytes last = protect(t, tx, packet(65535));
    const bytes iv = rtp_iv(salt, 0x5501a0b2, 0xFFFFFFFFu, 65535);
    CHECK(to_hex(last) == to_hex(expected_srtp(key, iv, packet(65535), 12)));
    const auto tx_before = state_of(tx);
    bytes out(packet(0).size() + 16, 0xEE);
    CHECK(t.protect_rtp(tx, packet(0), out).error() == errc::index_exhausted);
    CHECK(out == bytes(out.size(), 0xEE));
    CHECK(state_of(tx) == tx_before);

    bytes plain(packet(0).size());
    REQUIRE(t.unprotect_rtp(rx, last, plain));
    // A packet that would need ROC 2^32 (here: the same bytes with SEQ 0, ROC 0 on the sender).
    stream tx0;
    const bytes wrapped = protect(t, tx0, packet(0));
    const auto rx_before = state_of(rx);
    CHECK(t.unprotect_rtp(rx, wrapped, plain).error() == errc::index_exhausted);
    CHECK(state_of(rx) == rx_before);
}

TEST_CASE("RFC 3711 §9.2: per-key packet limits, whichever comes first ends the key for SRTP and "
          "SRTCP; set_session_keys resets the counters")
{
    transform t = keyed();
    t.set_packet_limits(3, 2);
    stream tx;
    for (std::uint16_t seq = 1; seq <= 3; ++seq) (void)protect(t, tx, packet(seq));
    bytes out(packet(4).size() + 16);
    CHECK(t.protect_rtp(tx, packet(4), out).error() == errc::key_usage_exhausted);
    CHECK(t.srtp_packets_protected() == 3);
    CHECK(tx.rtp_index.highest_seq() == 3);

    bytes rout(rtcp_in.size() + 20);
    CHECK(t.protect_rtcp(tx, rtcp_in, rout).error() == errc::key_usage_exhausted);
    CHECK(tx.srtcp_next_index == 0);
    CHECK(t.srtcp_packets_protected() == 0);

    // And the other way round: the SRTCP limit ends SRTP too.
    transform t2 = keyed();
    t2.set_packet_limits(10, 2);
    stream tx2;
    REQUIRE(t2.protect_rtcp(tx2, rtcp_in, rout));
    REQUIRE(t2.protect_rtcp(tx2, rtcp_in, rout));
    CHECK(t2.protect_rtcp(tx2, rtcp_in, rout).error() == errc::key_usage_exhausted);
    CHECK(tx2.srtcp_next_index == 2);
    CHECK(t2.srtcp_packets_protected() == 2);
    CHECK(t2.protect_rtp(tx2, packet(1), out).error() == errc::key_usage_exhausted);

    REQUIRE(t.set_session_keys(fixed<16>(key), fixed<12>(salt), fixed<16>(key), fixed<12>(salt)) ==
            errc::ok);
    CHECK(t.srtp_packets_protected() == 0);
    CHECK(t.protect_rtp(tx, packet(4), out).has_value());
}

TEST_CASE("RFC 7714 §9.4: the 31-bit SRTCP index does not wrap")
{
    transform t = keyed();
    stream tx, rx;
    CHECK(tx.set_srtcp_next_index(0x80000000u) == errc::invalid_argument);
    REQUIRE(tx.set_srtcp_next_index(0x7FFFFFFFu) == errc::ok);
    bytes out(rtcp_in.size() + 20);
    REQUIRE(t.protect_rtcp(tx, rtcp_in, out));
    CHECK(to_hex(perc::bytes_view{out}.last(4)) == "ffffffff"); // E = 1, index 2^31 − 1
    bytes out2(rtcp_in.size() + 20, 0xEE);
    CHECK(t.protect_rtcp(tx, rtcp_in, out2).error() == errc::index_exhausted);
    CHECK(out2 == bytes(out2.size(), 0xEE));
    bytes plain(rtcp_in.size());
    const auto u = t.unprotect_rtcp(rx, out, plain);
    REQUIRE(u);
    CHECK(to_hex(*u) == to_hex(rtcp_in));
}

TEST_CASE("RFC 7714 §9: SRTCP round trips E = 1 and E = 0, in place and out of place; replay")
{
    transform t = keyed();
    for (const bool encrypt : {true, false}) {
        stream tx_a, tx_b, rx_a, rx_b;
        for (int k = 0; k < 5; ++k) {
            bytes out(rtcp_in.size() + 20);
            REQUIRE(t.protect_rtcp(tx_a, rtcp_in, out, encrypt));
            bytes inplace = rtcp_in;
            inplace.resize(rtcp_in.size() + 20);
            REQUIRE(t.protect_rtcp(tx_b, perc::bytes_view{inplace}.first(rtcp_in.size()), inplace,
                                   encrypt));
            CHECK(out == inplace);
            CHECK(perc::load_be32(out.data() + out.size() - 4) ==
                  ((encrypt ? 0x80000000u : 0u) | static_cast<std::uint32_t>(k)));
            // E = 0 leaves the RTCP packet readable; E = 1 only its first 8 octets.
            CHECK((to_hex(perc::bytes_view{out}.first(rtcp_in.size())) == to_hex(rtcp_in)) ==
                  !encrypt);
            CHECK(to_hex(perc::bytes_view{out}.first(8)) ==
                  to_hex(perc::bytes_view{rtcp_in}.first(8)));

            bytes plain(rtcp_in.size(), 0xEE);
            const auto ua = t.unprotect_rtcp(rx_a, out, plain);
            REQUIRE(ua);
            CHECK(to_hex(*ua) == to_hex(rtcp_in));
            const auto ub = t.unprotect_rtcp(rx_b, inplace, inplace);
            REQUIRE(ub);
            CHECK(to_hex(*ub) == to_hex(rtcp_in));
            // RFC 3711 §3.4: SRTCP has its own replay list.
            bytes again(rtcp_in.size(), 0xEE);
            CHECK(t.unprotect_rtcp(rx_a, out, again).error() == errc::replayed);
            CHECK(again == bytes(rtcp_in.size(), 0xEE));
        }
        CHECK(state_of(rx_a) == state_of(rx_b));
        CHECK(rx_a.rtp_replay.empty()); // SRTP list untouched by SRTCP
    }
}

TEST_CASE("RFC 7714 §5.3: every single-bit flip of an SRTP packet is refused; nothing changes")
{
    transform t = keyed();
    stream tx;
    rtp_spec s;
    s.seq = 4242;
    s.ssrc = 0x5501a0b2;
    s.csrcs = {0x11111111};
    s.extension = true;
    s.ext_body = from_hex("10aa 0000");
    s.payload = from_hex("0102030405060708090a");
    const bytes p = build_rtp(s);
    const bytes wire = protect(t, tx, p);
    stream rx;
    {
        stream warm = rx;
        bytes plain(wire.size() - 16);
        REQUIRE(t.unprotect_rtp(warm, wire, plain)); // the untouched packet is fine
    }
    const auto before = state_of(rx);
    std::size_t wrong = 0;
    for (std::size_t bit = 0; bit < 8 * wire.size(); ++bit) {
        bytes x = wire;
        x[bit / 8] = static_cast<std::uint8_t>(x[bit / 8] ^ (1u << (bit % 8)));
        const bytes flipped = x;
        bytes out(wire.size(), 0xEE);
        const auto r = t.unprotect_rtp(rx, x, out);
        // Expected: the header parser's error if the flip broke the header, truncated if no room
        // is left for the tag, otherwise the tag does not verify.
        const auto h = perc::decode_rtp_header(flipped);
        const errc expected = !h                                     ? h.error()
                              : flipped.size() - h->header_size < 16 ? errc::truncated
                                                                     : errc::auth_failed;
        if (r || r.error() != expected) ++wrong;
        if (x != flipped || out != bytes(wire.size(), 0xEE)) ++wrong;
        if (!(state_of(rx) == before)) ++wrong;
    }
    CHECK(wrong == 0);
}

TEST_CASE("RFC 7714 §5.3: every single-bit flip of an SRTCP packet is refused; nothing changes")
{
    transform t = keyed();
    for (const bool encrypt : {true, false}) {
        stream tx, rx;
        bytes wire(rtcp_in.size() + 20);
        REQUIRE(t.protect_rtcp(tx, rtcp_in, wire, encrypt));
        const auto before = state_of(rx);
        std::size_t wrong = 0;
        for (std::size_t bit = 0; bit < 8 * wire.size(); ++bit) {
            bytes x = wire;
            x[bit / 8] = static_cast<std::uint8_t>(x[bit / 8] ^ (1u << (bit % 8)));
            bytes out(wire.size(), 0xEE);
            const auto r = t.unprotect_rtcp(rx, x, out);
            const bool version_bit = bit == 6 || bit == 7; // octet 0, V field
            const errc expected = version_bit ? errc::bad_rtp_version : errc::auth_failed;
            if (r || r.error() != expected) ++wrong;
            if (out != bytes(wire.size(), 0xEE)) ++wrong;
            if (!(state_of(rx) == before)) ++wrong;
        }
        CAPTURE(encrypt);
        CHECK(wrong == 0);
    }
}

TEST_CASE("srtp_aead_transform: buffer, key and length errors")
{
    transform unkeyed;
    stream s;
    bytes out = rtp_in; // well-formed, so that the key check is what fails
    out.resize(rtp_in.size() + 16);
    CHECK(unkeyed.protect_rtp(s, rtp_in, out).error() == errc::no_key);
    CHECK(unkeyed.unprotect_rtp(s, out, out).error() == errc::no_key);
    bytes rout = rtcp_in;
    rout.resize(rtcp_in.size() + 20);
    CHECK(unkeyed.protect_rtcp(s, rtcp_in, rout).error() == errc::no_key);
    CHECK(unkeyed.unprotect_rtcp(s, rout, rout).error() == errc::no_key);
    CHECK(!unkeyed.has_key());

    transform t = keyed();
    // protect_rtp: malformed input, short output, overlap.
    CHECK(t.protect_rtp(s, perc::bytes_view{rtp_in}.first(11), out).error() == errc::truncated);
    bytes v1 = rtp_in;
    v1[0] = 0x40;
    CHECK(t.protect_rtp(s, v1, out).error() == errc::bad_rtp_version);
    bytes short_out(rtp_in.size() + 15);
    CHECK(t.protect_rtp(s, rtp_in, short_out).error() == errc::buffer_too_small);
    bytes shared(rtp_in.size() + 17);
    std::copy(rtp_in.begin(), rtp_in.end(), shared.begin());
    CHECK(t.protect_rtp(s, perc::bytes_view{shared}.first(rtp_in.size()),
                        perc::bytes_span{shared}.subspan(1))
              .error() == errc::buffer_overlap);
    CHECK(s.rtp_replay.empty());
    CHECK(t.srtp_packets_protected() == 0);

    // unprotect_rtp: no room for the tag, short output, overlap.
    const bytes wire = protect(t, s, rtp_in);
    stream rx;
    CHECK(t.unprotect_rtp(rx, perc::bytes_view{wire}.first(12 + 15), out).error() ==
          errc::truncated);
    bytes plain_short(rtp_in.size() - 1);
    CHECK(t.unprotect_rtp(rx, wire, plain_short).error() == errc::buffer_too_small);
    bytes shared2(wire.size() + 1);
    std::copy(wire.begin(), wire.end(), shared2.begin() + 1);
    CHECK(t.unprotect_rtp(rx, perc::bytes_view{shared2}.subspan(1), shared2).error() ==
          errc::buffer_overlap);
    CHECK(rx.rtp_replay.empty());
    // The header alone plus a tag: an empty payload decrypts.
    stream tx_e, rx_e;
    const bytes header_only(rtp_in.begin(), rtp_in.begin() + 12);
    const bytes empty_payload = protect(t, tx_e, header_only);
    bytes p0(12);
    CHECK(t.unprotect_rtp(rx_e, empty_payload, p0).has_value());

    // SRTCP: short input/output, overlap, bad version.
    CHECK(t.protect_rtcp(s, perc::bytes_view{rtcp_in}.first(7), rout).error() == errc::truncated);
    bytes rshort(rtcp_in.size() + 19);
    CHECK(t.protect_rtcp(s, rtcp_in, rshort).error() == errc::buffer_too_small);
    CHECK(s.srtcp_next_index == 0);
    REQUIRE(t.protect_rtcp(s, rtcp_in, rout));
    CHECK(t.unprotect_rtcp(rx, perc::bytes_view{rout}.first(27), rout).error() == errc::truncated);
    bytes rplain_short(rtcp_in.size() - 1);
    CHECK(t.unprotect_rtcp(rx, rout, rplain_short).error() == errc::buffer_too_small);
    bytes rshared(rout.size() + 1);
    std::copy(rout.begin(), rout.end(), rshared.begin() + 1);
    CHECK(t.unprotect_rtcp(rx, perc::bytes_view{rshared}.subspan(1), rshared).error() ==
          errc::buffer_overlap);
    CHECK(rx.rtcp_replay.empty());
}

TEST_CASE("srtp_session: auto-created streams, round trips, replay, RTCP")
{
    session snd, rcv;
    REQUIRE(snd.init(key, salt) == errc::ok);
    REQUIRE(rcv.init(key, salt) == errc::ok);
    for (const std::uint32_t ssrc : {0x11111111u, 0x22222222u}) {
        for (std::uint16_t seq = 65534; seq != 3; ++seq) {
            const bytes p = packet(seq, ssrc);
            bytes wire(p.size() + 16);
            REQUIRE(snd.protect_rtp(p, wire));
            bytes plain(p.size());
            const auto u = rcv.unprotect_rtp(wire, plain);
            REQUIRE(u);
            CHECK(to_hex(*u) == to_hex(p));
            CHECK(rcv.unprotect_rtp(wire, plain).error() == errc::replayed);
        }
    }
    CHECK(snd.stream_count() == 2);
    CHECK(rcv.stream_count() == 2);
    REQUIRE(rcv.find_stream(0x11111111u) != nullptr);
    CHECK(rcv.find_stream(0x11111111u)->roc() == 1);
    CHECK(snd.find_stream(0x22222222u)->roc() == 1);
    CHECK(rcv.find_stream(0x33333333u) == nullptr);

    bytes rwire(rtcp_in.size() + 20);
    REQUIRE(snd.protect_rtcp(rtcp_in, rwire));
    bytes rplain(rtcp_in.size());
    const auto ru = rcv.unprotect_rtcp(rwire, rplain);
    REQUIRE(ru);
    CHECK(to_hex(*ru) == to_hex(rtcp_in));
    CHECK(rcv.unprotect_rtcp(rwire, rplain).error() == errc::replayed);
    CHECK(rcv.stream_count() == 3); // SSRC 4d617273
    CHECK(snd.transform().srtcp_packets_protected() == 1);
}

TEST_CASE("srtp_session: a packet that fails never creates a stream")
{
    session snd, rcv;
    REQUIRE(snd.init(key, salt) == errc::ok);
    REQUIRE(rcv.init(key, salt) == errc::ok);
    const bytes p = packet(1, 0xABCDEF01u);
    bytes wire(p.size() + 16);
    REQUIRE(snd.protect_rtp(p, wire));
    bytes forged = wire;
    forged.back() ^= 1;
    bytes plain(p.size(), 0xEE);
    CHECK(rcv.unprotect_rtp(forged, plain).error() == errc::auth_failed);
    CHECK(rcv.stream_count() == 0);
    CHECK(plain == bytes(p.size(), 0xEE));
    bytes v0 = wire;
    v0[0] = 0x00;
    CHECK(rcv.unprotect_rtp(v0, plain).error() == errc::bad_rtp_version);
    CHECK(rcv.stream_count() == 0);
    REQUIRE(rcv.unprotect_rtp(wire, plain));
    CHECK(rcv.stream_count() == 1);
}

TEST_CASE("RFC 3711 §3.2.3: strict sessions discard unknown SSRCs (no_stream)")
{
    session snd, rcv;
    REQUIRE(snd.init(key, salt) == errc::ok);
    REQUIRE(rcv.init(key, salt, perc::session_options{8, false}) == errc::ok);
    const bytes p = packet(10, 0x0BADCAFEu);
    bytes wire(p.size() + 16);
    REQUIRE(snd.protect_rtp(p, wire));
    bytes plain(p.size());
    CHECK(rcv.unprotect_rtp(wire, plain).error() == errc::no_stream);
    bytes rwire(rtcp_in.size() + 20);
    REQUIRE(snd.protect_rtcp(rtcp_in, rwire));
    CHECK(rcv.unprotect_rtcp(rwire, rwire).error() == errc::no_stream);
    CHECK(rcv.stream_count() == 0);
    REQUIRE(rcv.add_stream(0x0BADCAFEu) == errc::ok);
    CHECK(rcv.add_stream(0x0BADCAFEu) == errc::stream_exists);
    CHECK(rcv.unprotect_rtp(wire, plain).has_value());
    CHECK(rcv.remove_stream(0x0BADCAFEu));
    CHECK(!rcv.remove_stream(0x0BADCAFEu));
    CHECK(rcv.unprotect_rtp(wire, plain).error() == errc::no_stream);
}

TEST_CASE("srtp_session: a full stream table refuses new SSRCs")
{
    session snd;
    REQUIRE(snd.init(key, salt, perc::session_options{2, true}) == errc::ok);
    bytes wire(packet(1).size() + 16);
    REQUIRE(snd.protect_rtp(packet(1, 1), wire));
    REQUIRE(snd.protect_rtp(packet(1, 2), wire));
    CHECK(snd.protect_rtp(packet(1, 3), wire).error() == errc::stream_table_full);
    CHECK(snd.add_stream(3) == errc::stream_table_full);
    CHECK(snd.protect_rtp(packet(2, 1), wire).has_value()); // known SSRCs still work
    CHECK(snd.remove_stream(2));
    CHECK(snd.protect_rtp(packet(1, 3), wire).has_value());
    CHECK(snd.stream_count() == 2);
}

TEST_CASE("RFC 3711 §3.3.1: session add_stream(ssrc, roc) for a late joiner")
{
    session snd, late, naive;
    REQUIRE(snd.init(key, salt) == errc::ok);
    REQUIRE(late.init(key, salt) == errc::ok);
    REQUIRE(naive.init(key, salt) == errc::ok);
    REQUIRE(snd.add_stream(0x5501a0b2, 7) == errc::ok);
    REQUIRE(late.add_stream(0x5501a0b2, 7) == errc::ok);
    const bytes p = packet(60000);
    bytes wire(p.size() + 16);
    REQUIRE(snd.protect_rtp(p, wire));
    // init() keys through the KDF: session key label 0x00, session salt label 0x02.
    bytes k0(16), s2(12);
    REQUIRE(mock_kdf::derive(fixed<16>(key), salt, 0x00, k0) == errc::ok);
    REQUIRE(mock_kdf::derive(fixed<16>(key), salt, 0x02, s2) == errc::ok);
    CHECK(to_hex(wire) == to_hex(expected_srtp(k0, rtp_iv(s2, 0x5501a0b2, 7, 60000), p, 12)));
    bytes plain(p.size());
    CHECK(naive.unprotect_rtp(wire, plain).error() == errc::auth_failed);
    CHECK(naive.stream_count() == 0);
    const auto u = late.unprotect_rtp(wire, plain);
    REQUIRE(u);
    CHECK(to_hex(*u) == to_hex(p));
    CHECK(late.find_stream(0x5501a0b2)->roc() == 7);
}

TEST_CASE("srtp_session: init errors")
{
    session s;
    CHECK(s.init(bytes(15), salt) == errc::bad_key_size);
    CHECK(s.init(key, bytes(14)) == errc::bad_salt_size);
    CHECK(s.init(key, salt, perc::session_options{0, true}) == errc::invalid_argument);
    perc::srtp_session<transform, 1024> big;
    CHECK(big.init(key, salt, perc::session_options{1, true}) == errc::ok);
    static_assert(perc::srtp_session<transform, 1024>::stream_type::window_size == 1024);
}
