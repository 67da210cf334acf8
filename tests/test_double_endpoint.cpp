// RFC 8723 double_endpoint properties on the Botan backend, for both profiles: round trips over
// payload sizes, CSRC counts, extensions and padding; in-place equals out-of-place; sizes;
// the §5.3 extension policy; §7 repair mode and the RTX (RFC 4588) receive flow; §6 RTCP under
// the outer key; independent inner/outer ROC and replay state (§3). Layer checks decrypt with
// single-layer RFC 7714 transforms keyed by hand with the key halves (§3), not with the
// double_endpoint under test.
#include <perc/double_endpoint.hpp>

#include <perc/botan/double.hpp>
#include <perc/srtp_session.hpp>

#include "backend.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

using namespace perc_test;
using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

namespace {

constexpr std::size_t tag_size = 16;

// RFC 8723 §8: inner tag 16 + empty OHB 1 + outer tag 16 on protect; up to 16 + 4 + 16.
static_assert(perc_test::backend::double_aes_128_gcm::protect_overhead == 33);
static_assert(perc_test::backend::double_aes_256_gcm::protect_overhead == 33);
static_assert(perc_test::backend::double_aes_128_gcm::max_overhead == 36);
static_assert(perc_test::backend::double_aes_256_gcm::max_overhead == 36);
static_assert(perc_test::backend::double_aes_128_gcm::repair_overhead == 16); // §7: outer tag only
static_assert(perc_test::backend::double_aes_128_gcm::srtcp_overhead == 20);  // RFC 7714 §9.2
// RFC 8723 §10.1: 2 x 128-bit / 2 x 256-bit keys, 2 x 96-bit salts.
static_assert(perc_test::backend::double_aes_128_gcm::master_key_size == 32);
static_assert(perc_test::backend::double_aes_256_gcm::master_key_size == 64);
static_assert(perc_test::backend::double_aes_128_gcm::master_salt_size == 24);
static_assert(perc_test::backend::double_aes_256_gcm::master_salt_size == 24);

// Double master key and salt with their halves (RFC 8723 §3: first half inner, second outer).
struct double_keys {
    bytes key, salt;
    std::size_t half = 0;
    bytes inner_key() const
    {
        return bytes(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(half));
    }
    bytes outer_key() const
    {
        return bytes(key.begin() + static_cast<std::ptrdiff_t>(half), key.end());
    }
    bytes inner_salt() const { return bytes(salt.begin(), salt.begin() + 12); }
    bytes outer_salt() const { return bytes(salt.begin() + 12, salt.end()); }
};

template <class E>
double_keys make_keys(std::uint64_t seed)
{
    rng r(seed);
    double_keys k;
    k.half = E::inner_key_size;
    k.key.resize(E::master_key_size);
    k.salt.resize(E::master_salt_size);
    r.fill(k.key);
    r.fill(k.salt);
    return k;
}

template <class E>
void init(E& e, const double_keys& k, perc::double_options opt = {})
{
    REQUIRE(name(e.init(k.key, k.salt, opt)) == "ok");
}

template <class T>
void init_single(T& t, const bytes& key, const bytes& salt)
{
    REQUIRE(name(t.set_master_key(key, salt)) == "ok");
}

std::uint16_t rd16(const std::uint8_t* p)
{
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// The test's own header-size computation (RFC 3550 §5.1, RFC 8285).
std::size_t header_size_of(const bytes& p)
{
    std::size_t n = 12 + 4u * (p[0] & 0x0Fu);
    if (p[0] & 0x10u) n += 4 + 4u * rd16(p.data() + n + 2);
    return n;
}

// RFC 8723 §5.1 step 3: synthetic header = base header (12 + 4·CC) with X cleared.
bytes synthetic_header(const bytes& packet)
{
    bytes h(packet.begin(), packet.begin() + 12 + 4 * (packet[0] & 0x0F));
    h[0] = static_cast<std::uint8_t>(h[0] & 0xEF);
    return h;
}

bool contains(const bytes& hay, const bytes& needle)
{
    if (needle.empty()) return true;
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

constexpr std::uint32_t ssrc_a = 0x0a0b0c0d;

#define DOUBLE_PROFILES                                                                            \
    perc_test::backend::double_aes_128_gcm, perc_test::backend::double_aes_256_gcm

} // namespace

TEST_CASE_TEMPLATE("RFC 8723 §5.1/§5.3: round trip over payload sizes, CSRC counts, extensions and "
                   "padding; in-place equals out-of-place",
                   E, DOUBLE_PROFILES)
{
    const double_keys k = make_keys<E>(0x1001);
    E tx_in_place, tx_out_of_place, rx_in_place, rx_out_of_place;
    init(tx_in_place, k);
    init(tx_out_of_place, k);
    init(rx_in_place, k);
    init(rx_out_of_place, k);

    struct variant {
        std::size_t payload, csrcs;
        bool extension;
        std::uint8_t padding;
    };
    std::vector<variant> variants;
    for (std::size_t n = 0; n <= 300; ++n)
        variants.push_back(
            {n, (n * 7) % 16, n % 2 == 1, static_cast<std::uint8_t>(n % 5 == 2 ? 1 + n % 9 : 0)});
    for (std::size_t n = 301; n < 1400; n += 37)
        variants.push_back({n, n % 16, n % 3 == 0, static_cast<std::uint8_t>(n % 4 == 1 ? 4 : 0)});
    variants.push_back({1400, 15, true, 0});
    variants.push_back({1400, 0, false, 255});
    // Every CSRC count 0..15 with and without extension and padding.
    for (std::size_t cc = 0; cc <= 15; ++cc)
        for (int ext = 0; ext < 2; ++ext)
            for (int pad = 0; pad < 2; ++pad)
                variants.push_back({38, cc, ext == 1, static_cast<std::uint8_t>(pad ? 3 : 0)});

    rng r(77);
    std::uint64_t index = 65300; // SEQ wraps once: ROC 0 -> 1 on both layers
    std::size_t checked = 0;
    for (const variant& v : variants) {
        CAPTURE(v.payload);
        CAPTURE(v.csrcs);
        CAPTURE(v.extension);
        CAPTURE(static_cast<int>(v.padding));
        rtp_spec s;
        s.pt = static_cast<std::uint8_t>(96 + v.payload % 32);
        s.marker = v.payload % 3 == 0;
        s.seq = static_cast<std::uint16_t>(index & 0xFFFF);
        s.ts = static_cast<std::uint32_t>(index * 160);
        s.ssrc = ssrc_a;
        for (std::size_t i = 0; i < v.csrcs; ++i)
            s.csrcs.push_back(0xC0000000u + static_cast<std::uint32_t>(i));
        s.extension = v.extension;
        if (v.extension) {
            s.ext_body.resize(4 * (v.payload % 4));
            r.fill(s.ext_body);
        }
        s.payload.resize(v.payload);
        r.fill(s.payload);
        s.padding = v.padding;
        const bytes in = build_rtp(s);
        const std::size_t hs = header_size_of(in);

        // Sender: out-of-place into a larger buffer, and in place.
        bytes out(in.size() + 40, 0xEE);
        auto w1 = tx_out_of_place.protect_rtp(in, out);
        REQUIRE(w1);
        REQUIRE(w1->size() == in.size() + 33); // RFC 8723 §8
        REQUIRE(w1->data() == out.data());
        const bytes wire(w1->begin(), w1->end());
        bytes buf = in;
        buf.resize(in.size() + 33);
        auto w2 = tx_in_place.protect_rtp(bytes_view{buf.data(), in.size()}, buf);
        REQUIRE(w2);
        REQUIRE(w2->data() == buf.data());
        REQUIRE(to_hex(buf) == to_hex(wire));
        CHECK(out[wire.size()] == 0xEE); // nothing written past the packet
        // The header is sent as is (outer AAD, §5.1 step 6).
        CHECK(to_hex(bytes_view{wire.data(), hs}) == to_hex(bytes_view{in.data(), hs}));

        // Receiver: out-of-place and in place, identical results.
        bytes plain(wire.size(), 0xEE);
        auto u1 = rx_out_of_place.unprotect_rtp(wire, plain);
        REQUIRE(u1);
        REQUIRE(to_hex(u1->packet) == to_hex(in));
        CHECK(u1->packet.data() == plain.data());
        CHECK(u1->header_size == hs);
        CHECK(u1->ssrc == ssrc_a);
        const perc::rtp_mutable_fields f{s.pt, s.seq, s.marker};
        CHECK(u1->original == f);
        CHECK(u1->outer == f);
        CHECK(u1->inner_index == index);
        CHECK(u1->outer_index == index);
        CHECK(to_hex(u1->payload()) == to_hex(bytes_view{in.data() + hs, in.size() - hs}));
        bytes inplace = wire;
        auto u2 = rx_in_place.unprotect_rtp(inplace, inplace);
        REQUIRE(u2);
        CHECK(u2->packet.data() == inplace.data());
        CHECK(to_hex(u2->packet) == to_hex(in));
        CHECK(u2->original == f);
        CHECK(u2->inner_index == index);

        // The extension is reported as received; padding is intact in the payload.
        auto h = perc::decode_rtp_header(u1->packet);
        REQUIRE(h);
        CHECK(h->extension == v.extension);
        if (v.extension) {
            CHECK(h->extension_profile == 0xBEDE);
            CHECK(to_hex(h->extension_data) == to_hex(s.ext_body));
        }
        CHECK(h->padding == (v.padding != 0));
        auto unpadded = perc::rtp_unpadded_payload(*h);
        REQUIRE(unpadded);
        CHECK(to_hex(*unpadded) == to_hex(s.payload));
        ++index;
        ++checked;
    }
    CHECK(checked == variants.size());
    auto* st = rx_out_of_place.find_stream(ssrc_a);
    REQUIRE(st != nullptr);
    CHECK(st->inner.roc() == 1);
    CHECK(st->outer.roc() == 1);
}

TEST_CASE_TEMPLATE("RFC 8723 §8: protect needs in + 33 octets; unprotect needs in - 16", E,
                   DOUBLE_PROFILES)
{
    const double_keys k = make_keys<E>(0x1002);
    E tx, tx2, rx;
    init(tx, k);
    init(tx2, k);
    init(rx, k);
    rtp_spec s;
    s.ssrc = ssrc_a;
    s.seq = 10;
    s.payload = bytes(50, 0x5A);
    const bytes in = build_rtp(s);
    bytes small(in.size() + 32, 0xEE);
    auto bad = tx.protect_rtp(in, small);
    REQUIRE_FALSE(bad);
    CHECK(name(bad.error()) == "buffer_too_small");
    CHECK(std::all_of(small.begin(), small.end(), [](std::uint8_t b) { return b == 0xEE; }));
    CHECK(tx.stream_count() == 0);
    // Nothing was used up: the same SEQ still protects, to the same bytes as a fresh sender.
    bytes out(in.size() + 33);
    auto ok = tx.protect_rtp(in, out);
    REQUIRE(ok);
    bytes out2(in.size() + 33);
    auto ok2 = tx2.protect_rtp(in, out2);
    REQUIRE(ok2);
    CHECK(to_hex(out) == to_hex(out2));
    // A sender never protects one index twice (RFC 7714 §8.4).
    bytes again(in.size() + 33);
    CHECK(name(tx.protect_rtp(in, again).error()) == "index_reused");

    bytes plain_small(out.size() - tag_size - 1);
    CHECK(name(rx.unprotect_rtp(out, plain_small).error()) == "buffer_too_small");
    bytes plain(out.size() - tag_size);
    auto u = rx.unprotect_rtp(out, plain);
    REQUIRE(u);
    CHECK(to_hex(u->packet) == to_hex(in));
}

TEST_CASE_TEMPLATE("RFC 8723 §5.3: reject_header_extensions refuses packets carrying extensions", E,
                   DOUBLE_PROFILES)
{
    const double_keys k = make_keys<E>(0x1003);
    E tx, strict, lax;
    init(tx, k);
    perc::double_options opt;
    opt.reject_header_extensions = true;
    init(strict, k, opt);
    init(lax, k);

    rtp_spec s;
    s.ssrc = ssrc_a;
    s.seq = 100;
    s.extension = true;
    s.ext_body = from_hex("102a0000");
    s.payload = bytes(20, 0x42);
    const bytes with_ext = build_rtp(s);
    s.seq = 101;
    s.extension = false;
    const bytes without_ext = build_rtp(s);

    bytes w1(with_ext.size() + 33), w2(without_ext.size() + 33);
    REQUIRE(tx.protect_rtp(with_ext, w1));
    REQUIRE(tx.protect_rtp(without_ext, w2));

    bytes copy = w1, out(w1.size(), 0xEE);
    auto r = strict.unprotect_rtp(copy, out);
    REQUIRE_FALSE(r);
    CHECK(name(r.error()) == "header_extension_rejected");
    CHECK(to_hex(copy) == to_hex(w1));
    CHECK(strict.stream_count() == 0);
    auto r_in_place = strict.unprotect_rtp(copy, copy);
    CHECK(name(r_in_place.error()) == "header_extension_rejected");
    CHECK(to_hex(copy) == to_hex(w1));
    // Without extensions the strict receiver accepts; the default receiver accepts both.
    bytes p2(w2.size());
    auto ok = strict.unprotect_rtp(w2, p2);
    REQUIRE(ok);
    CHECK(to_hex(ok->packet) == to_hex(without_ext));
    bytes p1(w1.size());
    auto lax_ok = lax.unprotect_rtp(w1, p1);
    REQUIRE(lax_ok);
    CHECK(to_hex(lax_ok->packet) == to_hex(with_ext));

    // Repair-mode packets follow the same policy.
    s.seq = 7;
    s.ssrc = 0x99999999;
    s.extension = true;
    const bytes rtx_ext = build_rtp(s);
    bytes rw(rtx_ext.size() + 16);
    REQUIRE(tx.protect_repair_rtp(rtx_ext, rw));
    bytes rp(rw.size());
    CHECK(name(strict.unprotect_repair_rtp(rw, rp).error()) == "header_extension_rejected");
    auto lax_repair = lax.unprotect_repair_rtp(rw, rp);
    REQUIRE(lax_repair);
    CHECK(to_hex(*lax_repair) == to_hex(rtx_ext));
}

TEST_CASE_TEMPLATE("RFC 8723 §7: repair mode is the outer layer only (no inner layer, no OHB)", E,
                   DOUBLE_PROFILES)
{
    const double_keys k = make_keys<E>(0x1004);
    E tx, rx;
    init(tx, k);
    init(rx, k);
    // An independent single-layer RFC 7714 receiver with the outer half (RFC 8723 §3).
    perc::srtp_session<typename E::outer_type> outer_only;
    REQUIRE(name(outer_only.init(k.outer_key(), k.outer_salt())) == "ok");

    {
        // A repair packet is not a double packet: given to the normal path, the outer layer
        // opens, the last payload octet 0x00 reads as an empty OHB, and the inner check fails.
        rtp_spec s;
        s.pt = 97;
        s.ssrc = 0x0eeeeeee;
        s.seq = 3;
        s.payload = bytes(40, 0x00);
        const bytes in = build_rtp(s);
        bytes wire(in.size() + 16);
        REQUIRE(tx.protect_repair_rtp(in, wire));
        const bytes copy = wire;
        bytes p(wire.size(), 0xEE);
        auto as_media = rx.unprotect_rtp(wire, p);
        REQUIRE_FALSE(as_media);
        CHECK(name(as_media.error()) == "auth_failed");
        CHECK(to_hex(wire) == to_hex(copy));
        CHECK_FALSE(contains(p, s.payload)); // the outer plaintext was re-encrypted
        auto ok = rx.unprotect_repair_rtp(wire, p);
        REQUIRE(ok);
        CHECK(to_hex(*ok) == to_hex(in));
    }

    rng r(5);
    for (std::uint16_t i = 0; i < 40; ++i) {
        rtp_spec s;
        s.pt = 97;
        s.ssrc = 0x0badcafe;
        s.seq = static_cast<std::uint16_t>(65520 + i);
        s.csrcs = {1, 2};
        s.extension = i % 2 == 0;
        s.ext_body = from_hex("10ff0000");
        s.payload.resize(static_cast<std::size_t>(i) * 7);
        r.fill(s.payload);
        const bytes in = build_rtp(s);
        bytes wire(in.size() + 16, 0xEE);
        auto w = tx.protect_repair_rtp(in, wire);
        REQUIRE(w);
        REQUIRE(w->size() == in.size() + E::repair_overhead);
        bytes single(wire.size());
        auto o = outer_only.unprotect_rtp(wire, single);
        REQUIRE(o);
        CHECK(to_hex(*o) == to_hex(in)); // nothing but the outer layer around the packet
        bytes plain(wire.size());
        auto u = rx.unprotect_repair_rtp(wire, plain);
        REQUIRE(u);
        CHECK(to_hex(*u) == to_hex(in));
        // Replays are refused by the outer stream of the repair SSRC.
        CHECK(name(rx.unprotect_repair_rtp(wire, plain).error()) == "replayed");
    }
    auto* st = rx.find_stream(0x0badcafe);
    REQUIRE(st != nullptr);
    CHECK(st->outer.roc() == 1);
    CHECK_FALSE(st->inner.rtp_index.started()); // repair mode never touches the inner layer
}

TEST_CASE_TEMPLATE("RFC 8723 §7 + RFC 4588: RTX of the cached double-protected packet", E,
                   DOUBLE_PROFILES)
{
    const double_keys k = make_keys<E>(0x1005);
    E tx, rx;
    init(tx, k);
    init(rx, k);
    constexpr std::uint32_t media_ssrc = 0x11111111, rtx_ssrc = 0x22222222;
    constexpr std::uint8_t media_pt = 96, rtx_pt = 97; // a=fmtp:97 apt=96
    rng r(9);

    // Sender: protect and cache the wire packets (RFC 8723 §7: cache the double-encrypted bits).
    std::map<std::uint16_t, bytes> cache, media_in;
    for (std::uint16_t seq = 500; seq < 510; ++seq) {
        rtp_spec s;
        s.pt = media_pt;
        s.ssrc = media_ssrc;
        s.seq = seq;
        s.ts = 9000u * seq;
        s.marker = seq % 4 == 0;
        s.csrcs = {0xAAAA0000u + seq};
        s.extension = seq % 2 == 1;
        s.ext_body = from_hex("1101020000000000"); // two words
        s.payload.resize(100 + seq % 7);
        r.fill(s.payload);
        media_in[seq] = build_rtp(s);
        bytes w(media_in[seq].size() + 33);
        REQUIRE(tx.protect_rtp(media_in[seq], w));
        cache[seq] = w;
    }
    // Receiver gets everything but 503 and 506.
    for (auto& [seq, w] : cache) {
        if (seq == 503 || seq == 506) continue;
        bytes p(w.size());
        REQUIRE(rx.unprotect_rtp(w, p));
    }

    std::uint16_t rtx_seq = 7000;
    for (std::uint16_t lost : {std::uint16_t{506}, std::uint16_t{503}}) {
        CAPTURE(lost);
        const bytes& orig = cache[lost];
        const std::size_t hs = header_size_of(orig);
        // RFC 4588 §4: RTX header = its own SSRC, PT and SEQ; the other fields are those of
        // the original (timestamp, and here also M, CSRC and extension so that the original
        // outer AAD can be rebuilt); payload = OSN ‖ original payload — here the WIRE payload.
        bytes rtx(orig.begin(), orig.begin() + static_cast<std::ptrdiff_t>(hs));
        rtx[1] = static_cast<std::uint8_t>((orig[1] & 0x80) | rtx_pt);
        rtx[2] = static_cast<std::uint8_t>(rtx_seq >> 8);
        rtx[3] = static_cast<std::uint8_t>(rtx_seq & 0xFF);
        rtx[8] = 0x22;
        rtx[9] = 0x22;
        rtx[10] = 0x22;
        rtx[11] = 0x22;
        rtx.push_back(static_cast<std::uint8_t>(lost >> 8)); // OSN
        rtx.push_back(static_cast<std::uint8_t>(lost & 0xFF));
        rtx.insert(rtx.end(), orig.begin() + static_cast<std::ptrdiff_t>(hs), orig.end());
        bytes rtx_wire(rtx.size() + 16);
        auto pw = tx.protect_repair_rtp(rtx, rtx_wire);
        REQUIRE(pw);
        ++rtx_seq;

        // Receiver: outer-decrypt the RTX packet (repair mode), undo RTX, then the normal path.
        bytes rtx_plain(rtx_wire.size());
        auto up = rx.unprotect_repair_rtp(rtx_wire, rtx_plain);
        REQUIRE(up);
        REQUIRE(to_hex(*up) == to_hex(rtx));
        const std::size_t rhs = header_size_of(rtx);
        const std::uint16_t osn = rd16(up->data() + rhs);
        CHECK(osn == lost);
        CHECK(rd16(up->data() + 2) != osn);
        bytes rebuilt(up->begin(), up->begin() + static_cast<std::ptrdiff_t>(rhs));
        rebuilt[1] = static_cast<std::uint8_t>((rebuilt[1] & 0x80) | media_pt);
        rebuilt[2] = static_cast<std::uint8_t>(osn >> 8);
        rebuilt[3] = static_cast<std::uint8_t>(osn & 0xFF);
        rebuilt[8] = 0x11;
        rebuilt[9] = 0x11;
        rebuilt[10] = 0x11;
        rebuilt[11] = 0x11;
        rebuilt.insert(rebuilt.end(), up->begin() + static_cast<std::ptrdiff_t>(rhs) + 2,
                       up->end());
        REQUIRE(to_hex(rebuilt) == to_hex(orig));
        bytes media(rebuilt.size());
        auto u = rx.unprotect_rtp(rebuilt, media);
        REQUIRE(u);
        CHECK(to_hex(u->packet) == to_hex(media_in[lost]));
        CHECK(u->original.seq == lost);
        // The recovered packet is now a replay on the media stream, and so is the RTX packet.
        bytes again(rebuilt.size());
        CHECK(name(rx.unprotect_rtp(rebuilt, again).error()) == "replayed");
        CHECK(name(rx.unprotect_repair_rtp(rtx_wire, rtx_plain).error()) == "replayed");
    }
    CHECK(rx.find_stream(rtx_ssrc) != nullptr);
    CHECK(rx.find_stream(media_ssrc) != nullptr);
    CHECK(rx.stream_count() == 2);
}

TEST_CASE_TEMPLATE("RFC 8723 §6: RTCP uses the outer (hop-by-hop) key only", E, DOUBLE_PROFILES)
{
    const double_keys k = make_keys<E>(0x1006);
    E tx, rx;
    init(tx, k);
    init(rx, k);
    using single = perc::srtp_session<typename E::outer_type>;
    single outer_half, inner_half;
    REQUIRE(name(outer_half.init(k.outer_key(), k.outer_salt())) == "ok");
    REQUIRE(name(inner_half.init(k.inner_key(), k.inner_salt())) == "ok");

    // RFC 7714 §17 RTCP packet (SSRC 0x4d617273).
    const bytes rtcp = from_hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930"
                                "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");
    // Index 0 from the double endpoint equals index 0 from a single layer with the outer half.
    bytes a(rtcp.size() + 20), b(rtcp.size() + 20);
    auto pa = tx.protect_rtcp(rtcp, a);
    REQUIRE(pa);
    CHECK(pa->size() == rtcp.size() + E::srtcp_overhead);
    REQUIRE(outer_half.protect_rtcp(rtcp, b));
    CHECK(to_hex(a) == to_hex(b));
    bytes plain(a.size());
    auto ua = rx.unprotect_rtcp(a, plain);
    REQUIRE(ua);
    CHECK(to_hex(*ua) == to_hex(rtcp));

    // Index 1 from the single-layer outer session is accepted by the double endpoint.
    bytes c(rtcp.size() + 20);
    REQUIRE(outer_half.protect_rtcp(rtcp, c));
    auto uc = rx.unprotect_rtcp(c, plain);
    REQUIRE(uc);
    CHECK(to_hex(*uc) == to_hex(rtcp));
    // Unencrypted SRTCP (E = 0, RFC 7714 §9.3) too.
    bytes d(rtcp.size() + 20);
    REQUIRE(outer_half.protect_rtcp(rtcp, d, false));
    auto ud = rx.unprotect_rtcp(d, plain);
    REQUIRE(ud);
    CHECK(to_hex(*ud) == to_hex(rtcp));

    // The inner half never protects RTCP: such a packet fails authentication.
    REQUIRE(name(inner_half.add_stream(0x4d617273)) == "ok");
    REQUIRE(name(inner_half.find_stream(0x4d617273)->set_srtcp_next_index(9)) == "ok");
    bytes e(rtcp.size() + 20);
    REQUIRE(inner_half.protect_rtcp(rtcp, e));
    const bytes e_copy = e;
    auto ue = rx.unprotect_rtcp(e, plain);
    REQUIRE_FALSE(ue);
    CHECK(name(ue.error()) == "auth_failed");
    CHECK(to_hex(e) == to_hex(e_copy));

    // The receiver's own RTCP (e.g. receiver reports) is readable with the outer half alone.
    const bytes rr = from_hex("81c90007 cafebabe 4d617273 00000000 00000000 00000000 00000000"
                              "00000000");
    bytes rw(rr.size() + 20);
    REQUIRE(rx.protect_rtcp(rr, rw, true));
    perc::srtp_session<typename E::outer_type> md_view;
    REQUIRE(name(md_view.init(k.outer_key(), k.outer_salt())) == "ok");
    bytes rp(rw.size());
    auto urr = md_view.unprotect_rtcp(rw, rp);
    REQUIRE(urr);
    CHECK(to_hex(*urr) == to_hex(rr));
}

TEST_CASE_TEMPLATE("RFC 8723 §3: inner and outer layers keep independent ROC and replay state", E,
                   DOUBLE_PROFILES)
{
    const double_keys k = make_keys<E>(0x1007);
    constexpr std::uint32_t inner_roc = 7, outer_roc = 2;
    E tx, rx, rx_wrong_outer, rx_wrong_inner;
    init(tx, k);
    init(rx, k);
    init(rx_wrong_outer, k);
    init(rx_wrong_inner, k);
    REQUIRE(name(tx.add_stream(ssrc_a, inner_roc, outer_roc)) == "ok");
    REQUIRE(name(rx.add_stream(ssrc_a, inner_roc, outer_roc)) == "ok");
    REQUIRE(name(rx_wrong_outer.add_stream(ssrc_a, inner_roc, 0)) == "ok");
    REQUIRE(name(rx_wrong_inner.add_stream(ssrc_a, 0, outer_roc)) == "ok");

    // Independent single-layer views of both halves.
    typename E::inner_type inner_view;
    typename E::outer_type outer_view;
    init_single(inner_view, k.inner_key(), k.inner_salt());
    init_single(outer_view, k.outer_key(), k.outer_salt());

    rng r(3);
    for (std::uint32_t i = 0; i < 12; ++i) {
        const std::uint32_t idx = 65530 + i; // wraps after 6 packets
        const auto seq = static_cast<std::uint16_t>(idx & 0xFFFF);
        const std::uint32_t wrap = idx >> 16;
        CAPTURE(seq);
        rtp_spec s;
        s.ssrc = ssrc_a;
        s.seq = seq;
        s.csrcs = {0x01020304};
        s.extension = i % 3 == 0;
        s.ext_body = from_hex("20abcdef");
        s.payload.resize(30 + i);
        r.fill(s.payload);
        const bytes in = build_rtp(s);
        bytes wire(in.size() + 33);
        REQUIRE(tx.protect_rtp(in, wire));
        const std::size_t hs = header_size_of(in);

        // Outer layer by hand: AAD = the full header, index = outer ROC ‖ SEQ (RFC 8723 §5.1 step
        // 6).
        const std::uint64_t oidx = (std::uint64_t{outer_roc + wrap} << 16) | seq;
        const std::uint64_t iidx = (std::uint64_t{inner_roc + wrap} << 16) | seq;
        bytes outer_plain(wire.size() - hs - tag_size);
        REQUIRE(name(outer_view.open_rtp(ssrc_a, oidx, perc::aad_view{bytes_view{wire.data(), hs}},
                                         bytes_view{wire.data() + hs, wire.size() - hs},
                                         outer_plain)) == "ok");
        REQUIRE(outer_plain.back() == 0x00); // the sender's empty OHB (§5.1 step 5)
        // Inner layer by hand: AAD = synthetic header, index = inner ROC ‖ SEQ.
        const bytes syn = synthetic_header(in);
        bytes payload(outer_plain.size() - 1 - tag_size);
        REQUIRE(name(inner_view.open_rtp(ssrc_a, iidx, perc::aad_view{syn},
                                         bytes_view{outer_plain.data(), outer_plain.size() - 1},
                                         payload)) == "ok");
        CHECK(to_hex(payload) == to_hex(s.payload));

        // Receivers with a wrong ROC on either layer fail and keep their state.
        bytes p(wire.size(), 0xEE);
        auto wo = rx_wrong_outer.unprotect_rtp(wire, p);
        REQUIRE_FALSE(wo);
        CHECK(name(wo.error()) == "auth_failed");
        CHECK_FALSE(contains(p, s.payload));
        bytes copy = wire;
        auto wi = rx_wrong_inner.unprotect_rtp(copy, copy);
        REQUIRE_FALSE(wi);
        CHECK(name(wi.error()) == "auth_failed");
        CHECK(to_hex(copy) == to_hex(wire)); // outer layer re-encrypted in place
        for (E* bad : {&rx_wrong_outer, &rx_wrong_inner}) {
            auto* st = bad->find_stream(ssrc_a);
            REQUIRE(st != nullptr);
            CHECK_FALSE(st->inner.rtp_index.started());
            CHECK_FALSE(st->outer.rtp_index.started());
            CHECK(st->inner.rtp_replay.empty());
            CHECK(st->outer.rtp_replay.empty());
        }

        auto u = rx.unprotect_rtp(wire, p);
        REQUIRE(u);
        CHECK(to_hex(u->packet) == to_hex(in));
        CHECK(u->inner_index == iidx);
        CHECK(u->outer_index == oidx);
        auto* st = rx.find_stream(ssrc_a);
        REQUIRE(st != nullptr);
        CHECK(st->inner.roc() == inner_roc + wrap);
        CHECK(st->outer.roc() == outer_roc + wrap);
        CHECK(st->inner.rtp_replay.highest() == iidx);
        CHECK(st->outer.rtp_replay.highest() == oidx);
    }
    auto* ts = tx.find_stream(ssrc_a);
    REQUIRE(ts != nullptr);
    CHECK(ts->inner.roc() == inner_roc + 1);
    CHECK(ts->outer.roc() == outer_roc + 1);
}

TEST_CASE_TEMPLATE("RFC 8723 §3: re-keying one layer leaves the other layer's key in place", E,
                   DOUBLE_PROFILES)
{
    const double_keys k = make_keys<E>(0x1008);
    const double_keys k2 = make_keys<E>(0x1009);
    E tx, rx;
    init(tx, k);
    init(rx, k);
    // New hop key on both sides (outer half of k2), inner key unchanged.
    REQUIRE(name(tx.set_outer_master_key(k2.outer_key(), k2.outer_salt())) == "ok");
    REQUIRE(name(rx.set_outer_master_key(k2.outer_key(), k2.outer_salt())) == "ok");
    rtp_spec s;
    s.ssrc = ssrc_a;
    s.seq = 1;
    s.payload = bytes(25, 0x17);
    const bytes in = build_rtp(s);
    bytes w(in.size() + 33), p(in.size() + 33);
    REQUIRE(tx.protect_rtp(in, w));
    auto u = rx.unprotect_rtp(w, p);
    REQUIRE(u);
    CHECK(to_hex(u->packet) == to_hex(in));
    // Only the inner half of k2 at the receiver: the inner layer now fails.
    REQUIRE(name(rx.set_inner_master_key(k2.inner_key(), k2.inner_salt())) == "ok");
    s.seq = 2;
    const bytes in2 = build_rtp(s);
    bytes w2(in2.size() + 33), p2(in2.size() + 33);
    REQUIRE(tx.protect_rtp(in2, w2));
    CHECK(name(rx.unprotect_rtp(w2, p2).error()) == "auth_failed");
    // Wrong sizes for a half (RFC 8723 §3: each half has the single-layer size).
    CHECK(name(rx.set_inner_master_key(k.key, k.inner_salt())) == "bad_key_size");
    CHECK(name(rx.set_outer_master_key(k.outer_key(), k.salt)) == "bad_salt_size");
    E bad;
    CHECK(name(bad.init(k.inner_key(), k.salt)) == "bad_key_size");
    CHECK(name(bad.init(k.key, k.inner_salt())) == "bad_salt_size");
    bytes w3(in.size() + 33);
    CHECK(name(bad.protect_rtp(in, w3).error()) == "no_key");
}
