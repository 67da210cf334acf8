// Runtime choice of a DTLS-SRTP profile (perc::botan::any_endpoint): each of the four profiles
// (RFC 7714 §14.2: 0x0007, 0x0008; RFC 8723 §10.1: 0x0009, 0x000A) keyed from a split
// RFC 5764 §4.2 exporter output. Known answers: the single-layer packets and the double D1
// packets of rfc8723-double.md §12.1/§12.2 (computed there with Python `cryptography`; the
// inner layer of D1 is exactly an RFC 7714 packet, because D1 has no extension and its
// synthetic header equals its header). Then: the bytes equal those of the concrete type used
// directly, RTCP, error codes, and late joiners (RFC 3711 §3.3.1).
#include <perc/botan/profiles.hpp>

#include <perc/botan/double.hpp>
#include <perc/keying_material.hpp>
#include <perc/media_distributor.hpp>
#include <perc/ohb.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

using namespace perc_test;
using perc::bytes_span;
using perc::bytes_view;
using perc::errc;
using perc::botan::any_endpoint;

namespace {

bytes to_bytes(bytes_view v)
{
    return bytes(v.begin(), v.end());
}

bytes cat(std::initializer_list<const bytes*> parts)
{
    bytes out;
    for (const bytes* p : parts) out.insert(out.end(), p->begin(), p->end());
    return out;
}

// rfc8723-double.md §12: payload "Gallia est omnis divisa in partes tres", PT 96, SEQ 0x1234,
// TS 0xdecafbad, SSRC 0xcafebabe, ROC 0.
const bytes d1_in = from_hex("80601234 decafbad cafebabe 47616c6c 69612065 7374206f 6d6e6973"
                             "20646976 69736120 696e2070 61727465 73207472 6573");
const bytes d2_in = from_hex("90601235 decafbad cafebabe bede0001 102a0000 47616c6c 69612065"
                             "7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472"
                             "6573");

/// Known-answer material for one profile: the client write key/salt (the digest's sender key
/// material), a different server write key/salt, and the expected SRTP packets.
struct profile_case {
    std::uint16_t id;
    bytes client_key, client_salt;
    bytes server_key, server_salt;
    bytes d1_wire;
    bytes d2_wire; // empty: no D2 vector for single-layer profiles
};

const bytes inner_key_128 = from_hex("000102030405060708090a0b0c0d0e0f");
const bytes outer_key_128 = from_hex("404142434445464748494a4b4c4d4e4f");
const bytes inner_key_256 =
    from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const bytes outer_key_256 =
    from_hex("404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f");
const bytes inner_salt = from_hex("517569642070726f2071756f");
const bytes outer_salt = from_hex("a0a1a2a3a4a5a6a7a8a9aaab");
const bytes d1_header = from_hex("80601234 decafbad cafebabe");

profile_case case_0007()
{
    // §12.1 inner layer: master key 000102.., salt 5175.., "inner cipher (ct||tag)".
    const bytes inner_cipher = from_hex(
        "a71a1e54 d0102604 ba748e32 4180b0bd c4665189 8958578c dcdcb3c6 08298dfa 0cc93180 6ce9e921"
        "d32bb23f f06c85dd 2f67cbe4 cdd7");
    return {0x0007,
            inner_key_128,
            inner_salt,
            from_hex("808182838485868788898a8b8c8d8e8f"),
            from_hex("b0b1b2b3b4b5b6b7b8b9babb"),
            cat({&d1_header, &inner_cipher}),
            {}};
}

profile_case case_0008()
{
    // §12.2 inner layer: master key 000102..1f, salt 5175.., "inner cipher (ct||tag)".
    const bytes inner_cipher = from_hex(
        "46866524 b60262be 1f11f364 c3ace65c 70475dbe 9f16b202 5eb99b43 df70231b 12887f4d 3186277e"
        "2158f244 5c1b1d22 f4d2646a 684d");
    return {0x0008,
            inner_key_256,
            inner_salt,
            from_hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
            from_hex("b0b1b2b3b4b5b6b7b8b9babb"),
            cat({&d1_header, &inner_cipher}),
            {}};
}

profile_case case_0009()
{
    return {0x0009,
            cat({&inner_key_128, &outer_key_128}),
            cat({&inner_salt, &outer_salt}),
            from_hex("808182838485868788898a8b8c8d8e8f 909192939495969798999a9b9c9d9e9f"),
            from_hex("b0b1b2b3b4b5b6b7b8b9babb c0c1c2c3c4c5c6c7c8c9cacb"),
            from_hex("80601234 decafbad cafebabe 515e5e45 169812fc ebf55615 2f25679b a9712a90"
                     "b9317e18 53740bb4 bb7fd056 911a9097 d130ed40 60b15725 2ebaab0b 401fb122"
                     "a4bdd399 c6d7cef0 e0f13d2c a7e7038f 0dc0a2"),
            from_hex("90601235 decafbad cafebabe bede0001 102a0000 3e3d864a ca9fdd1d 10182f0e"
                     "33902f19 80a714a0 bb96ced0 a2557d7e a2cf6614 dcd47245 f1f605c1 e2b0b708"
                     "dbe7ac22 c2da1ce9 3003440c 74b34f2b 776cadf4 c35ee616 e36c86")};
}

profile_case case_000a()
{
    return {0x000A,
            cat({&inner_key_256, &outer_key_256}),
            cat({&inner_salt, &outer_salt}),
            from_hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
                     "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"),
            from_hex("b0b1b2b3b4b5b6b7b8b9babb c0c1c2c3c4c5c6c7c8c9cacb"),
            from_hex("80601234 decafbad cafebabe 1ca3af1d ed8f20c9 f04a292f 9740ed5d 478210cf"
                     "d1c35893 8c90d6e6 3986532d 441d7ce3 77e9d778 1540cd92 0dc6fabf f03088aa"
                     "b62c7c6e 122e6f5f 2ec9ec87 140cd89f 9348df"),
            from_hex("90601235 decafbad cafebabe bede0001 102a0000 ca7fb982 8ad16575 77bddf36"
                     "083b181e ad379743 2b99c927 95f08031 bdca2b99 19be6f35 b74a90e7 fe95bb3f"
                     "6285b774 96c97fb3 254361d6 7ad1d818 79e04f4a 78a79e74 35f5ea")};
}

/// RFC 5764 §4.2: client_write_key | server_write_key | client_write_salt | server_write_salt.
bytes exporter_output(const profile_case& c)
{
    return cat({&c.client_key, &c.server_key, &c.client_salt, &c.server_salt});
}

/// An endpoint for profile `id`, keyed with the CLIENT write key and salt of `exporter`.
errc make_client_endpoint(std::uint16_t id, const bytes& exporter, any_endpoint& e)
{
    const perc::profile_info* info = perc::find_profile(id);
    REQUIRE(info != nullptr);
    auto km = perc::split_keying_material(exporter, info->master_key_size, info->master_salt_size);
    REQUIRE(km.has_value());
    return perc::botan::make_endpoint(id, km->client_write_key, km->client_write_salt, e);
}

// Profiles with the concrete type each must map to, and the single-layer session of the same
// AES key size (for a double profile: what its outer layer alone must produce).
template <std::uint16_t Id, class T, class Single>
struct profile {
    static constexpr std::uint16_t id = Id;
    using type = T;
    using single = Single;
    static constexpr bool is_double = !std::is_same_v<T, Single>;
};
using session_128 = perc::srtp_session<perc::botan::srtp_aes_128_gcm>;
using session_256 = perc::srtp_session<perc::botan::srtp_aes_256_gcm>;
using p0007 = profile<0x0007, session_128, session_128>;
using p0008 = profile<0x0008, session_256, session_256>;
using p0009 = profile<0x0009, perc::botan::double_aes_128_gcm, session_128>;
using p000a = profile<0x000A, perc::botan::double_aes_256_gcm, session_256>;

profile_case case_for(std::uint16_t id)
{
    switch (id) {
    case 0x0007: return case_0007();
    case 0x0008: return case_0008();
    case 0x0009: return case_0009();
    default: return case_000a();
    }
}

/// unprotect_rtp of a concrete type, as the recovered packet (the double types return more).
template <class T>
perc::result<bytes_span> unprotect_concrete(T& t, bytes_view in, bytes_span out)
{
    auto r = t.unprotect_rtp(in, out);
    if (!r) return r.error();
    if constexpr (std::is_same_v<std::decay_t<decltype(*r)>, bytes_span>) return *r;
    else return r->packet;
}

/// A varied RTP packet: CSRCs, extension, payload size and SSRC drawn from `g`.
bytes random_rtp(rng& g, std::uint16_t seq, std::uint32_t ssrc)
{
    rtp_spec s;
    s.pt = static_cast<std::uint8_t>(96 + g.below(8));
    s.marker = g.below(2) == 1;
    s.seq = seq;
    s.ts = static_cast<std::uint32_t>(g.next());
    s.ssrc = ssrc;
    for (std::uint32_t i = 0, n = g.below(4); i < n; ++i) s.csrcs.push_back(0xC0000000u + i);
    if (g.below(2) == 1) {
        s.extension = true;
        s.ext_body = {0x10, g.byte(), 0x00, 0x00}; // RFC 8285 one-byte element, ID 1
    }
    s.payload.resize(g.below(200));
    g.fill(s.payload);
    return build_rtp(s);
}

/// RFC 3550 §6.4.1 sender report without report blocks, plus `extra` octets.
bytes make_rtcp(rng& g, std::uint32_t ssrc, std::size_t extra_words)
{
    bytes p = {0x80, 200, 0x00, 0x00, 0, 0, 0, 0};
    const std::size_t words = 6 + extra_words;
    p[2] = static_cast<std::uint8_t>(words >> 8);
    p[3] = static_cast<std::uint8_t>(words);
    p[4] = static_cast<std::uint8_t>(ssrc >> 24);
    p[5] = static_cast<std::uint8_t>(ssrc >> 16);
    p[6] = static_cast<std::uint8_t>(ssrc >> 8);
    p[7] = static_cast<std::uint8_t>(ssrc);
    for (std::size_t i = 0; i < 4 * words - 4; ++i) p.push_back(g.byte());
    return p;
}

} // namespace

#define ALL_PROFILES p0007, p0008, p0009, p000a

TEST_CASE("RFC 8723 §8: any_endpoint_max_overhead is 16 + 4 + 16 octets")
{
    CHECK(perc::botan::any_endpoint_max_overhead == 36);
}

TEST_CASE_TEMPLATE("RFC 5764 §4.1.2: make_endpoint maps each profile id to its concrete type", P,
                   ALL_PROFILES)
{
    const profile_case c = case_for(P::id);
    any_endpoint e;
    CHECK(std::holds_alternative<std::monostate>(e));
    CHECK(name(make_client_endpoint(P::id, exporter_output(c), e)) == "ok");
    CHECK(std::holds_alternative<typename P::type>(e));
    CHECK(e.index() == (P::id == 0x0007 ? 1u : P::id == 0x0008 ? 2u : P::id == 0x0009 ? 3u : 4u));
}

TEST_CASE_TEMPLATE("RFC 5764 §4.2 exporter -> client write key/salt -> digest §12 packets", P,
                   ALL_PROFILES)
{
    const profile_case c = case_for(P::id);
    const bytes ex = exporter_output(c);
    // RFC 5764 §4.2, RFC 7714 §14.2, RFC 8723 §10.1: 56, 88, 112, 176 octets.
    CHECK(ex.size() == (P::id == 0x0007   ? 56u
                        : P::id == 0x0008 ? 88u
                        : P::id == 0x0009 ? 112u
                                          : 176u));

    any_endpoint tx, rx;
    REQUIRE(make_client_endpoint(P::id, ex, tx) == errc::ok);
    REQUIRE(make_client_endpoint(P::id, ex, rx) == errc::ok);

    bytes out(d1_in.size() + perc::botan::any_endpoint_max_overhead);
    auto p = perc::botan::protect_rtp(tx, d1_in, out);
    REQUIRE(p.has_value());
    CHECK(to_hex(*p) == to_hex(c.d1_wire));
    if constexpr (P::is_double) {
        // RFC 8723 §5.1: the extension stays outside the inner AAD; digest D2.
        bytes out2(d2_in.size() + perc::botan::any_endpoint_max_overhead);
        auto p2 = perc::botan::protect_rtp(tx, d2_in, out2);
        REQUIRE(p2.has_value());
        CHECK(to_hex(*p2) == to_hex(c.d2_wire));
    }

    // The receiver keyed with the same client write key/salt recovers the packets.
    bytes back(c.d1_wire.size());
    auto u = perc::botan::unprotect_rtp(rx, c.d1_wire, back);
    REQUIRE(u.has_value());
    CHECK(to_hex(*u) == to_hex(d1_in));
    if constexpr (P::is_double) {
        bytes back2(c.d2_wire.size());
        auto u2 = perc::botan::unprotect_rtp(rx, c.d2_wire, back2);
        REQUIRE(u2.has_value());
        CHECK(to_hex(*u2) == to_hex(d2_in));
    }
    // RFC 3711 §3.3.2 through the variant: the same packet again is a replay.
    CHECK(name(perc::botan::unprotect_rtp(rx, c.d1_wire, back).error()) == "replayed");

    // RFC 5764 §4.2: the server write key belongs to the other direction.
    const perc::profile_info* info = perc::find_profile(P::id);
    auto km = perc::split_keying_material(ex, info->master_key_size, info->master_salt_size);
    REQUIRE(km.has_value());
    any_endpoint wrong;
    REQUIRE(perc::botan::make_endpoint(P::id, km->server_write_key, km->server_write_salt, wrong) ==
            errc::ok);
    CHECK(name(perc::botan::unprotect_rtp(wrong, c.d1_wire, back).error()) == "auth_failed");
}

TEST_CASE_TEMPLATE("RFC 8723 §5.3 through any_endpoint: unprotect_rtp_fields gives the wire PT, "
                   "SEQ and M (which a Media Distributor may change) beside the original ones",
                   P, ALL_PROFILES)
{
    const profile_case c = case_for(P::id);
    const bytes ex = exporter_output(c);
    const perc::rtp_mutable_fields d1{96, 0x1234, false}; // d1_in's header
    any_endpoint rx;
    REQUIRE(make_client_endpoint(P::id, ex, rx) == errc::ok);
    bytes back(c.d1_wire.size());
    auto u = perc::botan::unprotect_rtp_fields(rx, c.d1_wire, back);
    REQUIRE(u.has_value());
    CHECK(to_hex(u->packet) == to_hex(d1_in));
    CHECK(u->wire == d1);
    CHECK(u->original == d1);
    any_endpoint empty;
    CHECK(name(perc::botan::unprotect_rtp_fields(empty, c.d1_wire, back).error()) == "no_key");

    if constexpr (P::is_double) {
        // An MD relays D1 with the sender's outer key to a receiver's hop key, changing PT,
        // SEQ and M (§5.2); the receiver holds the sender's inner key and that hop key.
        using md_type =
            std::conditional_t<P::id == 0x0009, perc::botan::media_distributor_aes_128_gcm,
                               perc::botan::media_distributor_aes_256_gcm>;
        const perc::profile_info* info = perc::find_profile(P::id);
        auto km = perc::split_keying_material(ex, info->master_key_size, info->master_salt_size);
        REQUIRE(km.has_value());
        const std::size_t half = info->master_key_size / 2;
        const bytes_view sender_outer_key = bytes_view{km->client_write_key}.subspan(half);
        const bytes_view sender_outer_salt = bytes_view{km->client_write_salt}.subspan(12);
        const bytes hop_key(half, 0x22), hop_salt(12, 0x33), other_key(half, 0x44);
        typename md_type::link_type from, to;
        REQUIRE(from.init(sender_outer_key, sender_outer_salt, other_key, hop_salt) == errc::ok);
        REQUIRE(to.init(other_key, hop_salt, hop_key, hop_salt) == errc::ok);
        md_type md;
        perc::relay_changes ch;
        ch.payload_type = 111;
        ch.seq = 0x2000;
        ch.marker = true;
        bytes relay_buf(c.d1_wire.size() + md_type::relay_growth);
        auto r = md.relay_rtp(from, to, c.d1_wire, relay_buf, ch);
        REQUIRE(r.has_value());
        const bytes wire = to_bytes(r->packet);

        bytes rx_key = to_bytes(bytes_view{km->client_write_key}.first(half));
        rx_key.insert(rx_key.end(), hop_key.begin(), hop_key.end());
        bytes rx_salt = to_bytes(bytes_view{km->client_write_salt}.first(12));
        rx_salt.insert(rx_salt.end(), hop_salt.begin(), hop_salt.end());
        any_endpoint receiver;
        REQUIRE(perc::botan::make_endpoint(P::id, rx_key, rx_salt, receiver) == errc::ok);
        bytes out(wire.size());
        auto v = perc::botan::unprotect_rtp_fields(receiver, wire, out);
        REQUIRE(v.has_value());
        CHECK(v->wire == perc::rtp_mutable_fields{111, 0x2000, true});
        CHECK(v->original == d1);
        CHECK(to_hex(v->packet) == to_hex(d1_in)); // the original header restored
    }
}

TEST_CASE_TEMPLATE("any_endpoint produces the bytes of the concrete type used directly", P,
                   ALL_PROFILES)
{
    const profile_case c = case_for(P::id);
    any_endpoint tx, rx;
    REQUIRE(make_client_endpoint(P::id, exporter_output(c), tx) == errc::ok);
    REQUIRE(make_client_endpoint(P::id, exporter_output(c), rx) == errc::ok);
    typename P::type direct_tx, direct_rx;
    REQUIRE(direct_tx.init(c.client_key, c.client_salt) == errc::ok);
    REQUIRE(direct_rx.init(c.client_key, c.client_salt) == errc::ok);

    rng g(0x5EED0000u + P::id);
    const std::uint32_t ssrcs[] = {0x11111111u, 0xCAFEBABEu, 0x00000001u};
    std::size_t compared = 0;
    for (std::uint32_t i = 0; i < 60; ++i) {
        CAPTURE(i);
        // SEQ crosses 0xFFFF -> 0 for every SSRC: ROC 0 -> 1 (RFC 3711 §3.3.1).
        const auto seq = static_cast<std::uint16_t>(0xFFF0u + i / 3);
        const bytes in = random_rtp(g, seq, ssrcs[i % 3]);
        bytes a(in.size() + perc::botan::any_endpoint_max_overhead);
        bytes b(a.size());
        auto pa = perc::botan::protect_rtp(tx, in, a);
        auto pb = direct_tx.protect_rtp(in, b);
        REQUIRE(pa.has_value());
        REQUIRE(pb.has_value());
        CHECK(to_hex(*pa) == to_hex(*pb));
        CHECK(pa->size() == in.size() + (P::is_double ? 33u : 16u));

        const bytes wire = to_bytes(*pa);
        bytes ua(wire.size()), ub(wire.size());
        auto ra = perc::botan::unprotect_rtp(rx, wire, ua);
        auto rb = unprotect_concrete(direct_rx, wire, ub);
        REQUIRE(ra.has_value());
        REQUIRE(rb.has_value());
        CHECK(to_hex(*ra) == to_hex(in));
        CHECK(to_hex(*rb) == to_hex(in));
        ++compared;
    }
    CHECK(compared == 60);

    // SRTCP (RFC 7714 §9.2, E = 1; RFC 8723 §6 for the double profiles).
    for (std::uint32_t i = 0; i < 12; ++i) {
        CAPTURE(i);
        const bytes in = make_rtcp(g, ssrcs[i % 3], i % 4);
        bytes a(in.size() + 20), b(in.size() + 20);
        auto pa = perc::botan::protect_rtcp(tx, in, a);
        auto pb = direct_tx.protect_rtcp(in, b);
        REQUIRE(pa.has_value());
        REQUIRE(pb.has_value());
        CHECK(to_hex(*pa) == to_hex(*pb));
        CHECK(pa->size() == in.size() + 20);
        CHECK(((*pa)[pa->size() - 4] & 0x80) == 0x80); // E flag
        const bytes wire = to_bytes(*pa);
        bytes ua(wire.size()), ub(wire.size());
        auto ra = perc::botan::unprotect_rtcp(rx, wire, ua);
        auto rb = direct_rx.unprotect_rtcp(wire, ub);
        REQUIRE(ra.has_value());
        REQUIRE(rb.has_value());
        CHECK(to_hex(*ra) == to_hex(in));
        CHECK(to_hex(*rb) == to_hex(in));
        CHECK(name(perc::botan::unprotect_rtcp(rx, wire, ua).error()) == "replayed");
    }
}

TEST_CASE_TEMPLATE("RFC 8723 §3, §6: double-profile SRTCP is SRTCP under the outer half alone", P,
                   p0009, p000a)
{
    const profile_case c = case_for(P::id);
    any_endpoint tx;
    REQUIRE(make_client_endpoint(P::id, exporter_output(c), tx) == errc::ok);
    auto halves = perc::split_double_key(c.client_key, c.client_salt);
    REQUIRE(halves.has_value());
    typename P::single outer_only, inner_only;
    REQUIRE(outer_only.init(halves->outer_key, halves->outer_salt) == errc::ok);
    REQUIRE(inner_only.init(halves->inner_key, halves->inner_salt) == errc::ok);

    rng g(0xC0FFEEu);
    for (std::uint32_t i = 0; i < 6; ++i) {
        const bytes in = make_rtcp(g, 0xCAFEBABEu, i);
        bytes a(in.size() + 20), o(in.size() + 20), n(in.size() + 20);
        auto pa = perc::botan::protect_rtcp(tx, in, a);
        auto po = outer_only.protect_rtcp(in, o);
        auto pn = inner_only.protect_rtcp(in, n);
        REQUIRE(pa.has_value());
        REQUIRE(po.has_value());
        REQUIRE(pn.has_value());
        CHECK(to_hex(*pa) == to_hex(*po));
        CHECK(to_hex(*pa) != to_hex(*pn)); // never the inner (end-to-end) key
    }
}

TEST_CASE("make_endpoint: profile ids we do not implement -> errc::unsupported")
{
    const profile_case c = case_0007();
    // 0x0001..0x0006: RFC 5764 §4.1.2 profiles (AES-CM/HMAC, NULL) we do not offer.
    const std::uint16_t ids[] = {0x0000, 0x0001, 0x0002, 0x0005, 0x0006, 0x000B, 0x0700, 0xFFFF};
    for (std::uint16_t id : ids) {
        CAPTURE(id);
        any_endpoint e;
        CHECK(name(perc::botan::make_endpoint(id, c.client_key, c.client_salt, e)) ==
              "unsupported");
        CHECK(std::holds_alternative<std::monostate>(e));
        bytes out(d1_in.size() + perc::botan::any_endpoint_max_overhead);
        CHECK(name(perc::botan::protect_rtp(e, d1_in, out).error()) == "no_key");
    }
}

TEST_CASE_TEMPLATE("make_endpoint: key or salt size wrong for the profile -> bad_key_size / "
                   "bad_salt_size, and the endpoint then refuses with no_key",
                   P, ALL_PROFILES)
{
    const profile_case c = case_for(P::id);
    const std::size_t k = c.client_key.size();
    const std::size_t s = c.client_salt.size();
    const bytes pool(80, 0x5A);
    // RFC 7714 §14.2 / RFC 8723 §10.1 sizes: every other profile's key size is wrong too.
    for (std::size_t bad :
         {std::size_t{0}, k - 1, k + 1, std::size_t{16}, std::size_t{32}, std::size_t{64}}) {
        if (bad == k) continue;
        CAPTURE(bad);
        any_endpoint e;
        CHECK(name(perc::botan::make_endpoint(P::id, bytes_view{pool}.first(bad), c.client_salt,
                                              e)) == "bad_key_size");
        // Whatever it holds now has no key: nothing is protected or released.
        bytes out(c.d1_wire.size() + perc::botan::any_endpoint_max_overhead);
        CHECK(name(perc::botan::protect_rtp(e, d1_in, out).error()) == "no_key");
        CHECK(name(perc::botan::unprotect_rtp(e, c.d1_wire, out).error()) == "no_key");
    }
    for (std::size_t bad :
         {std::size_t{0}, s - 1, s + 1, std::size_t{12}, std::size_t{24}, std::size_t{14}}) {
        if (bad == s) continue;
        CAPTURE(bad);
        any_endpoint e;
        CHECK(name(perc::botan::make_endpoint(P::id, c.client_key, bytes_view{pool}.first(bad),
                                              e)) == "bad_salt_size");
    }
    // A failed re-key leaves a working endpoint as it was (failure changes nothing).
    any_endpoint keyed;
    REQUIRE(perc::botan::make_endpoint(P::id, c.client_key, c.client_salt, keyed) ==
            perc::errc::ok);
    CHECK(name(perc::botan::make_endpoint(P::id, bytes_view{pool}.first(k + 1), c.client_salt,
                                          keyed)) == "bad_key_size");
    bytes out(d1_in.size() + perc::botan::any_endpoint_max_overhead);
    auto p = perc::botan::protect_rtp(keyed, d1_in, out);
    REQUIRE(p);
    CHECK(to_hex(*p) == to_hex(c.d1_wire));
}

TEST_CASE("An empty any_endpoint (std::monostate) -> errc::no_key from every free function")
{
    any_endpoint e;
    REQUIRE(std::holds_alternative<std::monostate>(e));
    rng g(7);
    const bytes rtcp = make_rtcp(g, 0xCAFEBABEu, 0);
    bytes out(256);
    CHECK(name(perc::botan::protect_rtp(e, d1_in, out).error()) == "no_key");
    CHECK(name(perc::botan::unprotect_rtp(e, case_0009().d1_wire, out).error()) == "no_key");
    CHECK(name(perc::botan::protect_rtcp(e, rtcp, out).error()) == "no_key");
    CHECK(name(perc::botan::unprotect_rtcp(e, rtcp, out).error()) == "no_key");
    CHECK(name(perc::botan::add_stream(e, 0xCAFEBABEu, 5)) == "no_key");
    // Resetting a keyed endpoint to monostate forgets it.
    REQUIRE(make_client_endpoint(0x0009, exporter_output(case_0009()), e) == errc::ok);
    e = std::monostate{};
    CHECK(name(perc::botan::protect_rtp(e, d1_in, out).error()) == "no_key");
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.1: add_stream gives a late joiner the sender's ROC", P,
                   ALL_PROFILES)
{
    const profile_case c = case_for(P::id);
    const bytes ex = exporter_output(c);
    constexpr std::uint32_t ssrc = 0xCAFEBABEu;
    constexpr std::uint32_t roc = 7;
    any_endpoint tx, late, fresh;
    REQUIRE(make_client_endpoint(P::id, ex, tx) == errc::ok);
    REQUIRE(make_client_endpoint(P::id, ex, late) == errc::ok);
    REQUIRE(make_client_endpoint(P::id, ex, fresh) == errc::ok);
    // A sender that has been running for 7 SEQ cycles; for the double profiles both layers.
    CHECK(name(perc::botan::add_stream(tx, ssrc, roc)) == "ok");
    CHECK(name(perc::botan::add_stream(late, ssrc, roc)) == "ok");
    CHECK(name(perc::botan::add_stream(late, ssrc, roc)) == "stream_exists");

    auto& t = std::get<typename P::type>(late);
    REQUIRE(t.find_stream(ssrc) != nullptr);
    if constexpr (P::is_double) {
        CHECK(t.find_stream(ssrc)->inner.roc() == roc);
        CHECK(t.find_stream(ssrc)->outer.roc() == roc);
    } else {
        CHECK(t.find_stream(ssrc)->roc() == roc);
    }

    rng g(0xA11CEu);
    for (std::uint32_t i = 0; i < 4; ++i) {
        CAPTURE(i);
        // The last two packets cross a SEQ wrap: ROC 7 -> 8 on both sides.
        const auto seq = static_cast<std::uint16_t>(0xFFFEu + i);
        const bytes in = random_rtp(g, seq, ssrc);
        bytes wire(in.size() + perc::botan::any_endpoint_max_overhead);
        auto p = perc::botan::protect_rtp(tx, in, wire);
        REQUIRE(p.has_value());
        const bytes w = to_bytes(*p);
        bytes out(w.size());
        auto u = perc::botan::unprotect_rtp(late, w, out);
        REQUIRE(u.has_value());
        CHECK(to_hex(*u) == to_hex(in));
        // Without the ROC the receiver guesses ROC 0: a different IV, so the tag fails.
        CHECK(name(perc::botan::unprotect_rtp(fresh, w, out).error()) == "auth_failed");
    }
    if constexpr (P::is_double) {
        CHECK(t.find_stream(ssrc)->inner.roc() == roc + 1);
        CHECK(t.find_stream(ssrc)->outer.roc() == roc + 1);
    } else {
        CHECK(t.find_stream(ssrc)->roc() == roc + 1);
    }
}

TEST_CASE_TEMPLATE("make_endpoint max_streams: add_stream beyond it -> stream_table_full", P,
                   ALL_PROFILES)
{
    const profile_case c = case_for(P::id);
    any_endpoint e;
    REQUIRE(perc::botan::make_endpoint(P::id, c.client_key, c.client_salt, e, 2) == errc::ok);
    CHECK(name(perc::botan::add_stream(e, 1, 0)) == "ok");
    CHECK(name(perc::botan::add_stream(e, 2, 0)) == "ok");
    CHECK(name(perc::botan::add_stream(e, 3, 0)) == "stream_table_full");
}
