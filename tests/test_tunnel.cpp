// RFC 9185 DTLS tunnel between Media Distributor and Key Distributor: message framing (§6.1),
// the five message bodies (§6.2-§6.6), versioning (§5.5) and the version 4 association id
// (§5.3, RFC 4122 §4.4). Core test: no backend, built with -fno-exceptions -fno-rtti. The
// expected octets are the RFC 9185 §7 example and the constructed examples of
// rfc8871-framework-and-tunnel.md §6.4 (written out from the TLS structures, not taken from
// this library's output).
#include <perc/tunnel.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <ranges>
#include <span>
#include <string>
#include <string_view>
#include <vector>

using namespace perc_test;
using perc::association_id;
using perc::bytes_view;
using perc::errc;
using perc::tunnel_msg_type;

namespace {

template <class T>
std::string name_of(const perc::result<T>& r)
{
    return name(r.error());
}

// RFC 9185 §7: SupportedProfiles advertising DOUBLE_AEAD_AES_128_GCM_AEAD_AES_128_GCM (0x0009)
// and DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM (0x000A): 0x0100070000040009000A.
constexpr auto rfc_supported = hex<10>("01 0007 00 0004 0009 000A");
// Digest §6.4 [C] examples.
constexpr auto ex_unsupported = hex<4>("02 0001 00");
constexpr auto ex_disconnect = hex<19>("05 0010 00112233445546778899aabbccddeeff");
constexpr auto ex_tunneled = hex<24>("04 0015 00112233445546778899aabbccddeeff 0003 16fefd");
constexpr auto ex_media_keys = hex<82>(
    "03004f00112233445546778899aabbccddeeff00090010404142434445464748494a4b4c4d4e4f"
    "10808182838485868788898a8b8c8d8e8f0ca0a1a2a3a4a5a6a7a8a9aaab0cb0b1b2b3b4b5b6b7b8b9babb");
constexpr association_id ex_id = hex<16>("00112233445546778899aabbccddeeff");

template <std::size_t N>
constexpr bytes_view body_of(const std::array<std::uint8_t, N>& m)
{
    return bytes_view{m}.subspan(perc::tunnel_header_size);
}

bytes body_of(const bytes& m)
{
    return bytes(m.begin() + 3, m.end());
}

template <std::size_t N>
bytes vec(const std::array<std::uint8_t, N>& a)
{
    return bytes(a.begin(), a.end());
}

bytes seq(std::size_t n, std::uint8_t start)
{
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(start + i);
    return b;
}

bool same(bytes_view a, bytes_view b)
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

// ------------------------------------------------------------- compile-time known answers

constexpr bool rfc_example_decodes()
{
    auto m = perc::next_tunnel_message(rfc_supported);
    if (!m || m->type != tunnel_msg_type::supported_profiles || m->size != 10 ||
        m->body.size() != 7 || m->body.data() != rfc_supported.data() + 3)
        return false;
    auto sp = perc::decode_supported_profiles(m->body);
    return sp && sp->version == 0x00 && sp->size() == 2 && (*sp)[0] == 0x0009 &&
           (*sp)[1] == 0x000A && sp->contains(0x0009) && sp->contains(0x000A) &&
           !sp->contains(0x0007) && sp->raw_profiles.data() == rfc_supported.data() + 6;
}

constexpr bool rfc_example_encodes()
{
    constexpr std::array<std::uint16_t, 2> profiles{0x0009, 0x000A};
    std::array<std::uint8_t, 10> out{};
    auto n = perc::encode_supported_profiles(perc::tunnel_version, profiles, out);
    return n && *n == 10 && out == rfc_supported;
}

constexpr bool unsupported_both_ways()
{
    auto m = perc::next_tunnel_message(ex_unsupported);
    if (!m || m->type != tunnel_msg_type::unsupported_version || m->size != 4) return false;
    auto u = perc::decode_unsupported_version(m->body);
    std::array<std::uint8_t, 4> out{};
    auto n = perc::encode_unsupported_version(0x00, out);
    return u && u->highest_version == 0x00 && n && *n == 4 && out == ex_unsupported;
}

constexpr bool disconnect_both_ways()
{
    auto m = perc::next_tunnel_message(ex_disconnect);
    if (!m || m->type != tunnel_msg_type::endpoint_disconnect || m->size != 19) return false;
    auto d = perc::decode_endpoint_disconnect(m->body);
    std::array<std::uint8_t, 19> out{};
    auto n = perc::encode_endpoint_disconnect(ex_id, out);
    return d && d->id == ex_id && n && *n == 19 && out == ex_disconnect;
}

constexpr bool tunneled_both_ways()
{
    auto m = perc::next_tunnel_message(ex_tunneled);
    if (!m || m->type != tunnel_msg_type::tunneled_dtls || m->size != 24) return false;
    auto t = perc::decode_tunneled_dtls(m->body);
    if (!t || t->id != ex_id || t->dtls_message.size() != 3 ||
        t->dtls_message.data() != ex_tunneled.data() + 21 || t->dtls_message[0] != 0x16 ||
        t->dtls_message[1] != 0xfe || t->dtls_message[2] != 0xfd)
        return false;
    std::array<std::uint8_t, 24> out{};
    auto n = perc::encode_tunneled_dtls(t->id, t->dtls_message, out);
    return n && *n == 24 && out == ex_tunneled;
}

constexpr bool media_keys_both_ways()
{
    auto m = perc::next_tunnel_message(ex_media_keys);
    if (!m || m->type != tunnel_msg_type::media_keys || m->size != 82 || m->body.size() != 79)
        return false;
    auto k = perc::decode_media_keys(m->body);
    if (!k || k->id != ex_id || k->profile != 0x0009 || !k->mki.empty() ||
        k->client_write_key.size() != 16 || k->client_write_key[0] != 0x40 ||
        k->client_write_key[15] != 0x4f || k->server_write_key.size() != 16 ||
        k->server_write_key[0] != 0x80 || k->server_write_key[15] != 0x8f ||
        k->client_write_salt.size() != 12 || k->client_write_salt[0] != 0xa0 ||
        k->client_write_salt[11] != 0xab || k->server_write_salt.size() != 12 ||
        k->server_write_salt[0] != 0xb0 || k->server_write_salt[11] != 0xbb)
        return false;
    if (perc::media_keys_message_size(*k) != 82) return false;
    std::array<std::uint8_t, 82> out{};
    auto n = perc::encode_media_keys(*k, out);
    return n && *n == 82 && out == ex_media_keys;
}

} // namespace

// RFC 9185 §6.1 / §8 code points, §6.2 version.
static_assert(perc::tunnel_version == 0x00);
static_assert(perc::tunnel_header_size == 3);
static_assert(static_cast<std::uint8_t>(tunnel_msg_type::supported_profiles) == 1);
static_assert(static_cast<std::uint8_t>(tunnel_msg_type::unsupported_version) == 2);
static_assert(static_cast<std::uint8_t>(tunnel_msg_type::media_keys) == 3);
static_assert(static_cast<std::uint8_t>(tunnel_msg_type::tunneled_dtls) == 4);
static_assert(static_cast<std::uint8_t>(tunnel_msg_type::endpoint_disconnect) == 5);
static_assert(!perc::is_known_tunnel_msg_type(0) && perc::is_known_tunnel_msg_type(1) &&
              perc::is_known_tunnel_msg_type(5) && !perc::is_known_tunnel_msg_type(6) &&
              !perc::is_known_tunnel_msg_type(255));
// Effective maxima from the uint16 `length` of §6.1.
static_assert(perc::tunnel_max_body_size == 65535);
static_assert(perc::tunneled_dtls_max_message_size == 65517); // 65535 - 16 - 2
static_assert(perc::tunneled_dtls_prefix_size == 21);
static_assert(perc::supported_profiles_max_count == 32766); // 3 + 2*32766 = 65535
static_assert(perc::supported_profiles_message_size(2) == 10);
static_assert(perc::unsupported_version_message_size == 4);
static_assert(perc::endpoint_disconnect_message_size == 19);
static_assert(perc::tunneled_dtls_message_size(3) == 24);
static_assert(std::forward_iterator<perc::supported_profiles_msg::iterator>);
static_assert(std::ranges::forward_range<perc::supported_profiles_msg>);

static_assert(rfc_example_decodes());   // RFC 9185 §7
static_assert(rfc_example_encodes());   // RFC 9185 §7
static_assert(unsupported_both_ways()); // digest §6.4: 02 0001 00
static_assert(disconnect_both_ways());  // digest §6.4: 05 0010 <uuid>
static_assert(tunneled_both_ways());    // digest §6.4: 04 0015 <uuid> 0003 16fefd
static_assert(media_keys_both_ways());  // digest §6.4: 03 004f ..., 79-octet body
// RFC 4122 §4.4: the digest's association id is a version 4 UUID; zero octets become one.
static_assert(perc::is_uuid_v4(ex_id));
static_assert(perc::make_association_id(ex_id) == ex_id);
static_assert(perc::make_association_id(association_id{}) ==
              hex<16>("00000000 0000 4000 8000 000000000000"));

// ------------------------------------------------------------------ known answers, runtime

TEST_CASE("RFC 9185 §7: SupportedProfiles example 0x0100070000040009000A, both directions")
{
    const bytes wire = from_hex("0100070000040009000A");
    auto m = perc::next_tunnel_message(wire);
    REQUIRE(m);
    CHECK(m->type == tunnel_msg_type::supported_profiles);
    CHECK(m->size == 10);
    CHECK(m->body.data() == wire.data() + 3);
    auto sp = perc::decode_supported_profiles(m->body);
    REQUIRE(sp);
    CHECK(sp->version == 0x00);
    CHECK(sp->size() == 2);
    CHECK((*sp)[0] == 0x0009);
    CHECK((*sp)[1] == 0x000A);
    CHECK(sp->contains(0x0009));
    CHECK(sp->contains(0x000A));
    CHECK_FALSE(sp->contains(0x0008));
    std::vector<std::uint16_t> listed(sp->begin(), sp->end());
    CHECK(listed == std::vector<std::uint16_t>{0x0009, 0x000A});
    CHECK(std::ranges::distance(*sp) == 2);
    CHECK(std::ranges::find(*sp, 0x000A) != sp->end());

    const std::array<std::uint16_t, 2> profiles{0x0009, 0x000A};
    bytes out(12, 0xEE);
    auto n = perc::encode_supported_profiles(0x00, profiles, out);
    REQUIRE(n);
    CHECK(*n == 10);
    CHECK(to_hex(bytes_view{out}.first(10)) == "0100070000040009000a");
    CHECK(out[10] == 0xEE); // nothing past the message
    // Re-encoding the decoded view gives the same octets.
    bytes again(10);
    auto r = perc::encode_supported_profiles(*sp, again);
    REQUIRE(r);
    CHECK(again == wire);
}

TEST_CASE("RFC 9185 §6.3/§6.6/§6.5: digest examples UnsupportedVersion, EndpointDisconnect, "
          "TunneledDtls")
{
    const bytes uv = from_hex("02 0001 00");
    auto u = perc::decode_unsupported_version(body_of(uv));
    REQUIRE(u);
    CHECK(u->highest_version == 0);
    bytes out(4);
    REQUIRE(perc::encode_unsupported_version(0, out));
    CHECK(out == uv);

    const bytes ed = from_hex("05 0010 00112233445546778899aabbccddeeff");
    auto d = perc::decode_endpoint_disconnect(body_of(ed));
    REQUIRE(d);
    CHECK(d->id == ex_id);
    bytes out2(19);
    auto n2 = perc::encode_endpoint_disconnect(ex_id, out2);
    REQUIRE(n2);
    CHECK(*n2 == 19);
    CHECK(out2 == ed);

    const bytes td = from_hex("04 0015 00112233445546778899aabbccddeeff 0003 16fefd");
    auto m = perc::next_tunnel_message(td);
    REQUIRE(m);
    auto t = perc::decode_tunneled_dtls(m->body);
    REQUIRE(t);
    CHECK(t->id == ex_id);
    CHECK(to_hex(t->dtls_message) == "16fefd");
    CHECK(t->dtls_message.data() == td.data() + 21);
    bytes out3(24);
    const bytes dtls = from_hex("16fefd");
    auto n3 = perc::encode_tunneled_dtls(ex_id, dtls, out3);
    REQUIRE(n3);
    CHECK(*n3 == 24);
    CHECK(out3 == td);
}

TEST_CASE("RFC 9185 §6.4, §5.4: digest MediaKeys example (0x0009, no MKI, 16-octet keys, 12-octet "
          "salts)")
{
    const bytes wire = vec(ex_media_keys);
    auto m = perc::next_tunnel_message(wire);
    REQUIRE(m);
    CHECK(m->type == tunnel_msg_type::media_keys);
    CHECK(m->body.size() == 79); // 16 + 2 + (1+0) + (1+16) + (1+16) + (1+12) + (1+12)
    auto k = perc::decode_media_keys(m->body);
    REQUIRE(k);
    CHECK(k->id == ex_id);
    CHECK(k->profile == 0x0009);
    CHECK(k->mki.empty());
    CHECK(to_hex(k->client_write_key) == to_hex(seq(16, 0x40)));
    CHECK(to_hex(k->server_write_key) == to_hex(seq(16, 0x80)));
    CHECK(to_hex(k->client_write_salt) == to_hex(seq(12, 0xa0)));
    CHECK(to_hex(k->server_write_salt) == to_hex(seq(12, 0xb0)));
    // Views into the received buffer, not copies.
    CHECK(k->client_write_key.data() == wire.data() + 3 + 16 + 2 + 1 + 1);
    CHECK(k->server_write_salt.data() + 12 == wire.data() + wire.size());

    const bytes cwk = seq(16, 0x40), swk = seq(16, 0x80), cws = seq(12, 0xa0), sws = seq(12, 0xb0);
    perc::media_keys_msg in{ex_id, 0x0009, {}, cwk, swk, cws, sws};
    CHECK(perc::media_keys_message_size(in) == 82);
    bytes out(82);
    auto n = perc::encode_media_keys(in, out);
    REQUIRE(n);
    CHECK(*n == 82);
    CHECK(out == wire);
}

// -------------------------------------------------------------------------------- framing

namespace {

// Three messages back to back, as they would arrive on the TLS stream.
bytes three_messages()
{
    bytes s = vec(rfc_supported);
    s.insert(s.end(), ex_tunneled.begin(), ex_tunneled.end());
    s.insert(s.end(), ex_media_keys.begin(), ex_media_keys.end());
    return s;
}

} // namespace

TEST_CASE("RFC 9185 §6.1: concatenated messages are delimited by their length fields")
{
    bytes s = three_messages();
    s.insert(s.end(), ex_unsupported.begin(), ex_unsupported.end());
    s.insert(s.end(), ex_disconnect.begin(), ex_disconnect.end());
    const std::array<tunnel_msg_type, 5> types{
        tunnel_msg_type::supported_profiles, tunnel_msg_type::tunneled_dtls,
        tunnel_msg_type::media_keys, tunnel_msg_type::unsupported_version,
        tunnel_msg_type::endpoint_disconnect};
    const std::array<std::size_t, 5> sizes{10, 24, 82, 4, 19};
    bytes_view rest{s};
    std::size_t at = 0;
    for (std::size_t i = 0; i < 5; ++i) {
        auto m = perc::next_tunnel_message(rest);
        REQUIRE(m);
        CHECK(m->type == types[i]);
        CHECK(m->size == sizes[i]);
        CHECK(m->body.data() == s.data() + at + 3);
        CHECK(m->body.size() == sizes[i] - 3);
        at += m->size;
        rest = rest.subspan(m->size);
    }
    CHECK(rest.empty());
    CHECK(perc::next_tunnel_message(rest).error() == errc::truncated);
}

TEST_CASE("RFC 9185 §6.1: every prefix of a 3-message stream yields the complete messages, then "
          "truncated")
{
    const bytes s = three_messages();
    const std::array<std::size_t, 3> ends{10, 34, 116};
    REQUIRE(s.size() == 116);
    for (std::size_t len = 0; len <= s.size(); ++len) {
        CAPTURE(len);
        bytes_view rest{s.data(), len};
        std::size_t got = 0;
        std::size_t at = 0;
        for (;;) {
            auto m = perc::next_tunnel_message(rest);
            if (!m) {
                CHECK(m.error() == errc::truncated);
                break;
            }
            at += m->size;
            CHECK(at == ends[got]);
            ++got;
            rest = rest.subspan(m->size);
        }
        std::size_t complete = 0;
        while (complete < 3 && ends[complete] <= len) ++complete;
        CHECK(got == complete);
        // The frame-level parser agrees.
        CHECK(perc::next_tunnel_frame(rest).error() == errc::truncated);
    }
}

TEST_CASE("RFC 9185 §6.1, §8: msg_type 0 (reserved) and 6..255 are tunnel_unknown_type; "
          "next_tunnel_frame skips them")
{
    for (unsigned t = 0; t < 256; ++t) {
        CAPTURE(t);
        bytes msg = from_hex("00 0002 abcd");
        msg[0] = static_cast<std::uint8_t>(t);
        msg.insert(msg.end(), ex_unsupported.begin(), ex_unsupported.end());
        auto m = perc::next_tunnel_message(msg);
        auto f = perc::next_tunnel_frame(msg);
        REQUIRE(f);
        CHECK(unsigned{f->msg_type} == t);
        CHECK(f->size == 5);
        CHECK(to_hex(f->body) == "abcd");
        if (t >= 1 && t <= 5) {
            REQUIRE(m);
            CHECK(static_cast<unsigned>(m->type) == t);
            CHECK(m->size == 5);
            continue;
        }
        CHECK(name_of(m) == name(errc::tunnel_unknown_type));
        // Reported as soon as the header is there, before the body arrived.
        CHECK(name_of(perc::next_tunnel_message(bytes_view{msg}.first(3))) ==
              name(errc::tunnel_unknown_type));
        // Below the header it is still only truncated.
        CHECK(perc::next_tunnel_message(bytes_view{msg}.first(2)).error() == errc::truncated);
        // Skipping by the frame's size reaches the next message.
        auto next = perc::next_tunnel_message(bytes_view{msg}.subspan(f->size));
        REQUIRE(next);
        CHECK(next->type == tunnel_msg_type::unsupported_version);
    }
}

TEST_CASE("RFC 9185 §6.1-§6.6: length 0 frames an empty body; every decoder rejects an empty body")
{
    for (unsigned t = 1; t <= 5; ++t) {
        CAPTURE(t);
        const bytes msg{static_cast<std::uint8_t>(t), 0x00, 0x00};
        auto m = perc::next_tunnel_message(msg);
        REQUIRE(m);
        CHECK(m->body.empty());
        CHECK(m->size == 3);
    }
    const bytes_view empty{};
    CHECK(perc::decode_supported_profiles(empty).error() == errc::tunnel_bad_length);
    CHECK(perc::decode_unsupported_version(empty).error() == errc::tunnel_bad_length);
    CHECK(perc::decode_media_keys(empty).error() == errc::tunnel_bad_length);
    CHECK(perc::decode_tunneled_dtls(empty).error() == errc::tunnel_bad_length);
    CHECK(perc::decode_endpoint_disconnect(empty).error() == errc::tunnel_bad_length);
    CHECK(perc::peek_supported_profiles_version(empty).error() == errc::tunnel_bad_length);
}

// ------------------------------------------------------------------------ negative matrix

namespace {

// Decodes a framed message's body with the decoder of its type; errc::ok on success.
errc decode_body(tunnel_msg_type t, bytes_view body)
{
    switch (t) {
    case tunnel_msg_type::supported_profiles: return perc::decode_supported_profiles(body).error();
    case tunnel_msg_type::unsupported_version:
        return perc::decode_unsupported_version(body).error();
    case tunnel_msg_type::media_keys: return perc::decode_media_keys(body).error();
    case tunnel_msg_type::tunneled_dtls: return perc::decode_tunneled_dtls(body).error();
    case tunnel_msg_type::endpoint_disconnect:
        return perc::decode_endpoint_disconnect(body).error();
    }
    return errc::invalid_argument;
}

std::vector<bytes> all_examples()
{
    return {vec(rfc_supported), vec(ex_unsupported), vec(ex_media_keys), vec(ex_tunneled),
            vec(ex_disconnect)};
}

} // namespace

TEST_CASE("RFC 9185 §6.1-§6.6: every truncation of every example — stream truncated, body "
          "tunnel_bad_length")
{
    for (const bytes& msg : all_examples()) {
        CAPTURE(to_hex(msg));
        const auto t = static_cast<tunnel_msg_type>(msg[0]);
        for (std::size_t len = 0; len < msg.size(); ++len) {
            CAPTURE(len);
            CHECK(perc::next_tunnel_message(bytes_view{msg}.first(len)).error() == errc::truncated);
        }
        const bytes body = body_of(msg);
        REQUIRE(decode_body(t, body) == errc::ok);
        for (std::size_t len = 0; len < body.size(); ++len) {
            CAPTURE(len);
            CHECK(name(decode_body(t, bytes_view{body}.first(len))) ==
                  name(errc::tunnel_bad_length));
        }
    }
}

TEST_CASE("RFC 9185 §6.1: the message length field off by ±1")
{
    for (const bytes& msg : all_examples()) {
        CAPTURE(to_hex(msg));
        const auto t = static_cast<tunnel_msg_type>(msg[0]);
        const std::uint16_t len = perc::load_be16(msg.data() + 1);

        // +1: the stream is one octet short ...
        bytes longer = msg;
        perc::store_be16(longer.data() + 1, static_cast<std::uint16_t>(len + 1));
        CHECK(perc::next_tunnel_message(longer).error() == errc::truncated);
        // ... and once an octet arrives, the body has a trailing octet. §5.5: UnsupportedVersion
        // alone ignores everything after its version octet.
        longer.push_back(0x00);
        auto m = perc::next_tunnel_message(longer);
        REQUIRE(m);
        CHECK(m->size == msg.size() + 1);
        if (t == tunnel_msg_type::unsupported_version) CHECK(decode_body(t, m->body) == errc::ok);
        else CHECK(name(decode_body(t, m->body)) == name(errc::tunnel_bad_length));

        // -1: the body loses its last octet (which then starts the next "message").
        bytes shorter = msg;
        perc::store_be16(shorter.data() + 1, static_cast<std::uint16_t>(len - 1));
        auto s = perc::next_tunnel_message(shorter);
        REQUIRE(s);
        CHECK(s->size == msg.size() - 1);
        CHECK(name(decode_body(t, s->body)) == name(errc::tunnel_bad_length));
    }
}

TEST_CASE("RFC 9185 §6.2: SupportedProfiles list length — bounds <2..2^16-1>, even, agrees "
          "with the body")
{
    auto with_list_length = [](std::uint16_t n) {
        bytes b = body_of(vec(rfc_supported)); // 00 0004 0009 000a
        perc::store_be16(b.data() + 1, n);
        return perc::decode_supported_profiles(b).error();
    };
    CHECK(with_list_length(4) == errc::ok);
    CHECK(with_list_length(0) == errc::tunnel_bad_vector); // below the minimum of 2
    CHECK(with_list_length(1) == errc::tunnel_bad_vector);
    CHECK(with_list_length(3) == errc::tunnel_bad_vector); // ±1: odd, not whole profiles
    CHECK(with_list_length(5) == errc::tunnel_bad_vector);
    CHECK(with_list_length(2) == errc::tunnel_bad_length); // ±2: whole profiles, wrong count
    CHECK(with_list_length(6) == errc::tunnel_bad_length);
    CHECK(with_list_length(0xFFFF) == errc::tunnel_bad_vector);
    CHECK(with_list_length(0xFFFE) == errc::tunnel_bad_length);

    // Shortest and longest valid lists: one profile; 32766 profiles filling a 65535-octet body.
    const bytes one = from_hex("00 0002 0007");
    auto a = perc::decode_supported_profiles(one);
    REQUIRE(a);
    CHECK(a->size() == 1);
    CHECK((*a)[0] == 0x0007);
    bytes big(perc::tunnel_max_body_size, 0x00);
    perc::store_be16(big.data() + 1, 0xFFFC);
    for (std::size_t i = 0; i < perc::supported_profiles_max_count; ++i)
        perc::store_be16(big.data() + 3 + 2 * i, static_cast<std::uint16_t>(i));
    auto b = perc::decode_supported_profiles(big);
    REQUIRE(b);
    CHECK(b->size() == 32766);
    CHECK((*b)[32765] == 32765);
    CHECK(b->contains(12345));
    // One more octet than a uint16 length can frame.
    big.push_back(0);
    big.push_back(0);
    perc::store_be16(big.data() + 1, 0xFFFE);
    CHECK(perc::decode_supported_profiles(big).error() == errc::tunnel_bad_length);
}

TEST_CASE("RFC 9185 §5.5, §6.2: SupportedProfiles version != 0x00 is tunnel_unsupported_version; "
          "the version can be peeked")
{
    for (unsigned v = 0; v < 256; ++v) {
        CAPTURE(v);
        bytes b = body_of(vec(rfc_supported));
        b[0] = static_cast<std::uint8_t>(v);
        auto peek = perc::peek_supported_profiles_version(b);
        REQUIRE(peek);
        CHECK(unsigned{*peek} == v);
        auto d = perc::decode_supported_profiles(b);
        if (v == 0) {
            CHECK(d);
            continue;
        }
        CHECK(name_of(d) == name(errc::tunnel_unsupported_version));
        // The rest of the body is not interpreted: any content, any size.
        const bytes other{static_cast<std::uint8_t>(v)};
        CHECK(perc::decode_supported_profiles(other).error() == errc::tunnel_unsupported_version);
        bytes junk(40, 0xFF);
        junk[0] = static_cast<std::uint8_t>(v);
        CHECK(perc::decode_supported_profiles(junk).error() == errc::tunnel_unsupported_version);
    }
    // The encoder writes the version octet it is given (an MD re-connecting with the version
    // UnsupportedVersion told it, §5.5), so a KD's version handling can be tested.
    const std::array<std::uint16_t, 1> p{0x0009};
    bytes out(8);
    REQUIRE(perc::encode_supported_profiles(0x01, p, out));
    CHECK(to_hex(out) == "0100050100020009");
    auto m = perc::next_tunnel_message(out);
    REQUIRE(m);
    CHECK(*perc::peek_supported_profiles_version(m->body) == 0x01);
    CHECK(perc::decode_supported_profiles(m->body).error() == errc::tunnel_unsupported_version);
}

TEST_CASE("RFC 9185 §5.5: UnsupportedVersion is recognised from its first four octets; octets "
          "after the version are ignored")
{
    for (std::size_t extra = 0; extra < 40; ++extra) {
        CAPTURE(extra);
        bytes msg{0x02, 0x00, 0x00, 0x07};
        for (std::size_t i = 0; i < extra; ++i) msg.push_back(static_cast<std::uint8_t>(0xF0 + i));
        perc::store_be16(msg.data() + 1, static_cast<std::uint16_t>(1 + extra));
        auto m = perc::next_tunnel_message(msg);
        REQUIRE(m);
        auto u = perc::decode_unsupported_version(m->body);
        REQUIRE(u);
        CHECK(u->highest_version == 0x07);
        // Four octets suffice, without the rest of the body.
        auto p = perc::peek_unsupported_version(bytes_view{msg}.first(4));
        REQUIRE(p);
        CHECK(*p == 0x07);
    }
    CHECK(perc::peek_unsupported_version(bytes_view{}).error() == errc::truncated);
    CHECK(perc::peek_unsupported_version(from_hex("02 00")).error() == errc::truncated);
    CHECK(perc::peek_unsupported_version(from_hex("02 0001")).error() == errc::truncated);
    CHECK(perc::peek_unsupported_version(from_hex("02 0000 05")).error() ==
          errc::tunnel_bad_length);
    CHECK(perc::peek_unsupported_version(from_hex("01 0001 00")).error() == errc::invalid_argument);
    CHECK(perc::decode_unsupported_version(bytes_view{}).error() == errc::tunnel_bad_length);
    for (unsigned v = 0; v < 256; ++v) {
        bytes out(4, 0xEE);
        REQUIRE(perc::encode_unsupported_version(static_cast<std::uint8_t>(v), out));
        CHECK(unsigned{out[3]} == v);
        CHECK(unsigned{perc::decode_unsupported_version(body_of(out))->highest_version} == v);
    }
}

namespace {

// Builds a MediaKeys body with the given vector sizes (contents: a counting pattern).
bytes media_keys_body(std::size_t mki, std::size_t cwk, std::size_t swk, std::size_t cws,
                      std::size_t sws)
{
    bytes b(ex_id.begin(), ex_id.end());
    b.push_back(0x00);
    b.push_back(0x0A);
    std::uint8_t fill = 1;
    for (std::size_t n : {mki, cwk, swk, cws, sws}) {
        b.push_back(static_cast<std::uint8_t>(n));
        for (std::size_t i = 0; i < n; ++i) b.push_back(fill++);
    }
    return b;
}

// Independent reading of §6.4 for the ±1 matrix: the field sizes as the wire says, or the
// first rule the wire breaks.
errc media_keys_model(bytes_view b)
{
    if (b.size() < 18) return errc::tunnel_bad_length;
    std::size_t at = 18;
    for (std::size_t min : {0u, 1u, 1u, 1u, 1u}) {
        if (b.size() <= at) return errc::tunnel_bad_length;
        if (std::size_t{b[at]} < min) return errc::tunnel_bad_vector;
        at += 1 + std::size_t{b[at]};
        if (b.size() < at) return errc::tunnel_bad_length;
    }
    return b.size() == at ? errc::ok : errc::tunnel_bad_length;
}

} // namespace

TEST_CASE("RFC 9185 §6.4: MediaKeys vector bounds — mki <0..255>, keys and salts <1..255>")
{
    CHECK(perc::decode_media_keys(media_keys_body(0, 1, 1, 1, 1)).has_value());
    CHECK(perc::decode_media_keys(media_keys_body(255, 255, 255, 255, 255)).has_value());
    const bytes body = media_keys_body(4, 32, 32, 12, 12);
    auto k = perc::decode_media_keys(body);
    REQUIRE(k);
    CHECK(k->profile == 0x000A);
    CHECK(k->mki.size() == 4);
    CHECK(k->client_write_key.size() == 32);
    CHECK(k->server_write_salt.size() == 12);
    CHECK(k->server_write_salt[11] == 4 + 32 + 32 + 12 + 12);

    const std::array<std::array<std::size_t, 5>, 4> empty_one{
        {{0, 0, 16, 12, 12}, {0, 16, 0, 12, 12}, {0, 16, 16, 0, 12}, {0, 16, 16, 12, 0}}};
    for (const auto& s : empty_one) {
        CAPTURE(s[1] * 1000 + s[2] * 100 + s[3] * 10 + s[4]);
        CHECK(name_of(perc::decode_media_keys(media_keys_body(s[0], s[1], s[2], s[3], s[4]))) ==
              name(errc::tunnel_bad_vector));
    }
}

TEST_CASE("RFC 9185 §6.4: MediaKeys — each vector length octet off by ±1, and trailing octets")
{
    const bytes good = body_of(vec(ex_media_keys));
    const std::array<std::size_t, 5> length_at{18, 19, 36, 53, 66};
    for (std::size_t at : length_at) {
        for (int delta : {-1, +1}) {
            CAPTURE(at);
            CAPTURE(delta);
            bytes b = good;
            b[at] = static_cast<std::uint8_t>(b[at] + delta);
            const errc want = media_keys_model(b);
            CHECK(want != errc::ok);
            CHECK(name_of(perc::decode_media_keys(b)) == name(want));
        }
    }
    // Exact cases worked by hand:
    bytes b = good;
    b[18] = 0xFF; // mki 0 -> 0xff: mki = 0xff octets, more than the body has
    CHECK(perc::decode_media_keys(b).error() == errc::tunnel_bad_length);
    b = good;
    b[66] = 0x0b; // last salt 12 -> 11: one octet left over
    CHECK(perc::decode_media_keys(b).error() == errc::tunnel_bad_length);
    b = good;
    b[19] = 0x00; // client key length 0
    CHECK(perc::decode_media_keys(b).error() == errc::tunnel_bad_vector);
    b = good;
    b.push_back(0x00);
    CHECK(perc::decode_media_keys(b).error() == errc::tunnel_bad_length);
}

TEST_CASE("RFC 9185 §6.5: TunneledDtls dtls_message <1..2^16-1>, limited to 65517 octets by the "
          "uint16 message length")
{
    const bytes good = body_of(vec(ex_tunneled));
    auto with_length = [&](std::uint16_t n) {
        bytes b = good;
        perc::store_be16(b.data() + 16, n);
        return perc::decode_tunneled_dtls(b).error();
    };
    CHECK(with_length(3) == errc::ok);
    CHECK(with_length(0) == errc::tunnel_bad_vector); // RFC 9185 fixed the lower bound to 1
    CHECK(with_length(2) == errc::tunnel_bad_length);
    CHECK(with_length(4) == errc::tunnel_bad_length);
    CHECK(with_length(0xFFFF) == errc::tunnel_bad_length);

    // One octet and the largest that fits in a message.
    for (std::size_t n : {std::size_t{1}, perc::tunneled_dtls_max_message_size}) {
        CAPTURE(n);
        const bytes dtls = seq(n, 0x17);
        bytes msg(perc::tunneled_dtls_message_size(n));
        auto e = perc::encode_tunneled_dtls(ex_id, dtls, msg);
        REQUIRE(e);
        CHECK(*e == msg.size());
        auto m = perc::next_tunnel_message(msg);
        REQUIRE(m);
        CHECK(m->size == msg.size());
        auto t = perc::decode_tunneled_dtls(m->body);
        REQUIRE(t);
        CHECK(t->id == ex_id);
        CHECK(same(t->dtls_message, dtls));
    }
    CHECK(perc::tunneled_dtls_message_size(65517) - 3 == 65535);

    // A body longer than any frame can hold is refused even though its vector is consistent.
    bytes huge(16 + 2 + 65535, 0x16);
    perc::store_be16(huge.data() + 16, 0xFFFF);
    CHECK(perc::decode_tunneled_dtls(huge).error() == errc::tunnel_bad_length);
}

TEST_CASE("RFC 9185 §6.6: EndpointDisconnect body is exactly the 16-octet association id")
{
    for (std::size_t n = 0; n < 40; ++n) {
        CAPTURE(n);
        const bytes b = seq(n, 0);
        auto d = perc::decode_endpoint_disconnect(b);
        if (n == 16) {
            REQUIRE(d);
            CHECK(same(d->id, b));
        } else {
            CHECK(d.error() == errc::tunnel_bad_length);
        }
    }
}

// ---------------------------------------------------------------------------- encoder errors

TEST_CASE("RFC 9185 §6.2: SupportedProfiles encoder — empty list, 32766/32767/32768 profiles, "
          "output one short")
{
    std::vector<std::uint16_t> profiles;
    bytes out(70000, 0xEE);
    CHECK(perc::encode_supported_profiles(0, profiles, out).error() == errc::tunnel_bad_vector);

    profiles.assign(perc::supported_profiles_max_count, 0x0009);
    auto n = perc::encode_supported_profiles(0, profiles, out);
    REQUIRE(n);
    CHECK(*n == 3 + 65535);
    CHECK(perc::load_be16(out.data() + 1) == 0xFFFF);
    CHECK(perc::load_be16(out.data() + 4) == 0xFFFC);
    auto m = perc::next_tunnel_message(bytes_view{out}.first(*n));
    REQUIRE(m);
    CHECK(perc::decode_supported_profiles(m->body)->size() == 32766);

    // 32767 profiles: the list (65534 octets) fits <2..2^16-1>, the 65537-octet body does not
    // fit the uint16 length.
    profiles.push_back(0x000A);
    std::fill(out.begin(), out.end(), 0xEE);
    CHECK(perc::encode_supported_profiles(0, profiles, out).error() == errc::tunnel_bad_length);
    // 32768 profiles: the list itself (65536 octets) exceeds its vector.
    profiles.push_back(0x000A);
    CHECK(perc::encode_supported_profiles(0, profiles, out).error() == errc::tunnel_bad_vector);
    CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t x) { return x == 0xEE; }));

    const std::array<std::uint16_t, 2> two{0x0009, 0x000A};
    bytes small(9, 0xEE);
    CHECK(perc::encode_supported_profiles(0, two, small).error() == errc::buffer_too_small);
    CHECK(small == bytes(9, 0xEE));

    // The view overload: odd raw list, empty list, overlap with the output.
    perc::supported_profiles_msg odd{0, bytes_view{out}.first(3)};
    bytes o2(20);
    CHECK(perc::encode_supported_profiles(odd, o2).error() == errc::tunnel_bad_vector);
    perc::supported_profiles_msg none{};
    CHECK(perc::encode_supported_profiles(none, o2).error() == errc::tunnel_bad_vector);
    bytes shared(30, 0x00);
    perc::supported_profiles_msg inside{0, bytes_view{shared}.subspan(8, 4)};
    CHECK(perc::encode_supported_profiles(inside, shared).error() == errc::buffer_overlap);
}

TEST_CASE("RFC 9185 §6.4: MediaKeys encoder — vector bounds, output one short, overlap")
{
    const bytes k16 = seq(16, 1), s12 = seq(12, 100), v255 = seq(255, 0), v256 = seq(256, 0);
    const perc::media_keys_msg good{ex_id, 0x0009, {}, k16, k16, s12, s12};
    bytes out(2000, 0xEE);
    REQUIRE(perc::encode_media_keys(good, out));

    auto error_with = [&](auto change) {
        perc::media_keys_msg m = good;
        change(m);
        bytes o(2000, 0xEE);
        errc e = perc::encode_media_keys(m, o).error();
        if (e != errc::ok) CHECK(o == bytes(2000, 0xEE));
        return e;
    };
    CHECK(error_with([&](auto& m) { m.mki = v255; }) == errc::ok);
    CHECK(error_with([&](auto& m) { m.mki = v256; }) == errc::tunnel_bad_vector);
    CHECK(error_with([&](auto& m) { m.client_write_key = {}; }) == errc::tunnel_bad_vector);
    CHECK(error_with([&](auto& m) { m.server_write_key = {}; }) == errc::tunnel_bad_vector);
    CHECK(error_with([&](auto& m) { m.client_write_salt = {}; }) == errc::tunnel_bad_vector);
    CHECK(error_with([&](auto& m) { m.server_write_salt = {}; }) == errc::tunnel_bad_vector);
    CHECK(error_with([&](auto& m) { m.client_write_key = v256; }) == errc::tunnel_bad_vector);
    CHECK(error_with([&](auto& m) { m.server_write_key = v256; }) == errc::tunnel_bad_vector);
    CHECK(error_with([&](auto& m) { m.client_write_salt = v256; }) == errc::tunnel_bad_vector);
    CHECK(error_with([&](auto& m) { m.server_write_salt = v256; }) == errc::tunnel_bad_vector);
    CHECK(error_with([&](auto& m) {
              m.mki = v255;
              m.client_write_key = v255;
              m.server_write_key = v255;
              m.client_write_salt = v255;
              m.server_write_salt = v255;
          }) == errc::ok);

    bytes small(81, 0xEE);
    CHECK(perc::encode_media_keys(good, small).error() == errc::buffer_too_small);
    CHECK(small == bytes(81, 0xEE));

    // A key that lives inside the output region.
    bytes buf(200, 0x00);
    perc::media_keys_msg m = good;
    m.server_write_key = bytes_view{buf}.subspan(50, 16);
    CHECK(perc::encode_media_keys(m, buf).error() == errc::buffer_overlap);
    // Past the message's end it does not overlap.
    m.server_write_key = bytes_view{buf}.subspan(100, 16);
    CHECK(perc::encode_media_keys(m, buf).has_value());
}

TEST_CASE("RFC 9185 §6.5: TunneledDtls encoder — bounds, output one short, in place, overlap")
{
    bytes out(70000, 0xEE);
    CHECK(perc::encode_tunneled_dtls(ex_id, bytes_view{}, out).error() == errc::tunnel_bad_vector);
    for (std::size_t n : {std::size_t{65518}, std::size_t{65535}}) {
        CAPTURE(n);
        const bytes d(n, 0x16); // fits dtls_message<1..2^16-1>, not the message length
        CHECK(perc::encode_tunneled_dtls(ex_id, d, out).error() == errc::tunnel_bad_length);
    }
    const bytes over(65536, 0x16);
    CHECK(perc::encode_tunneled_dtls(ex_id, over, out).error() == errc::tunnel_bad_vector);
    CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t x) { return x == 0xEE; }));

    const bytes dtls = from_hex("16fefd");
    bytes small(23, 0xEE);
    CHECK(perc::encode_tunneled_dtls(ex_id, dtls, small).error() == errc::buffer_too_small);
    CHECK(small == bytes(23, 0xEE));

    // In place: a datagram received at offset 21 is framed by writing the prefix only.
    bytes buf(64, 0x00);
    std::copy(dtls.begin(), dtls.end(), buf.begin() + 21);
    auto n = perc::encode_tunneled_dtls(ex_id, bytes_view{buf}.subspan(21, 3), buf);
    REQUIRE(n);
    CHECK(*n == 24);
    CHECK(bytes(buf.begin(), buf.begin() + 24) == vec(ex_tunneled));
    // Any other overlap is refused and writes nothing.
    bytes buf2(64, 0x00);
    std::copy(dtls.begin(), dtls.end(), buf2.begin() + 10);
    const bytes before = buf2;
    CHECK(perc::encode_tunneled_dtls(ex_id, bytes_view{buf2}.subspan(10, 3), buf2).error() ==
          errc::buffer_overlap);
    CHECK(buf2 == before);
}

TEST_CASE("RFC 9185 §6.3/§6.6: fixed-size encoders refuse an output one octet short")
{
    bytes three(3, 0xEE), eighteen(18, 0xEE);
    CHECK(perc::encode_unsupported_version(0, three).error() == errc::buffer_too_small);
    CHECK(three == bytes(3, 0xEE));
    CHECK(perc::encode_endpoint_disconnect(ex_id, eighteen).error() == errc::buffer_too_small);
    CHECK(eighteen == bytes(18, 0xEE));
}

// --------------------------------------------------------------------------- round trips

TEST_CASE("RFC 9185 §6: random messages round-trip singly and as one concatenated stream")
{
    rng r{0x9185};
    bytes stream;
    std::vector<bytes> sent;
    for (int iter = 0; iter < 600; ++iter) {
        const auto t = static_cast<tunnel_msg_type>(1 + r.below(5));
        std::array<std::uint8_t, 16> raw{};
        r.fill(raw);
        const association_id id = perc::make_association_id(raw);
        bytes msg;
        switch (t) {
        case tunnel_msg_type::supported_profiles: {
            std::vector<std::uint16_t> p(1 + r.below(40));
            for (auto& x : p) x = static_cast<std::uint16_t>(r.next());
            msg.resize(perc::supported_profiles_message_size(p.size()));
            REQUIRE(perc::encode_supported_profiles(0, p, msg));
            const bytes body = body_of(msg);
            auto d = perc::decode_supported_profiles(body);
            REQUIRE(d);
            CHECK(std::ranges::equal(*d, p));
            break;
        }
        case tunnel_msg_type::unsupported_version: {
            msg.resize(4);
            const auto v = r.byte();
            REQUIRE(perc::encode_unsupported_version(v, msg));
            CHECK(perc::decode_unsupported_version(body_of(msg))->highest_version == v);
            break;
        }
        case tunnel_msg_type::media_keys: {
            std::array<bytes, 5> f;
            for (std::size_t i = 0; i < 5; ++i) {
                f[i].resize((i == 0 ? 0 : 1) + r.below(i == 0 ? 256 : 255));
                r.fill(f[i]);
            }
            const perc::media_keys_msg in{
                id, static_cast<std::uint16_t>(r.next()), f[0], f[1], f[2], f[3], f[4]};
            msg.resize(perc::media_keys_message_size(in));
            REQUIRE(perc::encode_media_keys(in, msg));
            const bytes body = body_of(msg);
            auto d = perc::decode_media_keys(body);
            REQUIRE(d);
            CHECK(d->id == id);
            CHECK(d->profile == in.profile);
            CHECK(same(d->mki, f[0]));
            CHECK(same(d->client_write_key, f[1]));
            CHECK(same(d->server_write_key, f[2]));
            CHECK(same(d->client_write_salt, f[3]));
            CHECK(same(d->server_write_salt, f[4]));
            break;
        }
        case tunnel_msg_type::tunneled_dtls: {
            bytes dtls(1 + r.below(300));
            r.fill(dtls);
            msg.resize(perc::tunneled_dtls_message_size(dtls.size()));
            REQUIRE(perc::encode_tunneled_dtls(id, dtls, msg));
            const bytes body = body_of(msg);
            auto d = perc::decode_tunneled_dtls(body);
            REQUIRE(d);
            CHECK(d->id == id);
            CHECK(same(d->dtls_message, dtls));
            break;
        }
        case tunnel_msg_type::endpoint_disconnect: {
            msg.resize(19);
            REQUIRE(perc::encode_endpoint_disconnect(id, msg));
            CHECK(perc::decode_endpoint_disconnect(body_of(msg))->id == id);
            break;
        }
        }
        CHECK(msg[0] == static_cast<std::uint8_t>(t));
        CHECK(std::size_t{perc::load_be16(msg.data() + 1)} == msg.size() - 3);
        stream.insert(stream.end(), msg.begin(), msg.end());
        sent.push_back(std::move(msg));
    }

    // The stream splits back into exactly the messages sent, each of which decodes, and
    // re-encoding each decoded message gives its octets again.
    bytes_view rest{stream};
    for (const bytes& msg : sent) {
        auto m = perc::next_tunnel_message(rest);
        REQUIRE(m);
        REQUIRE(same(rest.first(m->size), msg));
        bytes again(m->size);
        bool ok = false;
        switch (m->type) {
        case tunnel_msg_type::supported_profiles:
            ok = perc::encode_supported_profiles(*perc::decode_supported_profiles(m->body), again)
                     .has_value();
            break;
        case tunnel_msg_type::unsupported_version:
            ok = perc::encode_unsupported_version(
                     perc::decode_unsupported_version(m->body)->highest_version, again)
                     .has_value();
            break;
        case tunnel_msg_type::media_keys:
            ok = perc::encode_media_keys(*perc::decode_media_keys(m->body), again).has_value();
            break;
        case tunnel_msg_type::tunneled_dtls: {
            auto d = perc::decode_tunneled_dtls(m->body);
            ok = perc::encode_tunneled_dtls(d->id, d->dtls_message, again).has_value();
            break;
        }
        case tunnel_msg_type::endpoint_disconnect:
            ok = perc::encode_endpoint_disconnect(perc::decode_endpoint_disconnect(m->body)->id,
                                                  again)
                     .has_value();
            break;
        }
        CHECK(ok);
        CHECK(again == msg);
        rest = rest.subspan(m->size);
    }
    CHECK(rest.empty());
}

// ------------------------------------------------------------------- association id (§5.3)

TEST_CASE("RFC 9185 §5.3, RFC 4122 §4.4: make_association_id sets version 4 and the variant, "
          "keeps the other 122 bits")
{
    association_id ones{};
    ones.fill(0xFF);
    const association_id v = perc::make_association_id(ones);
    CHECK(to_hex(v) == "ffffffffffff4fffbfffffffffffffff");
    CHECK(perc::is_uuid_v4(v));

    rng r{4122};
    for (int i = 0; i < 1000; ++i) {
        association_id raw{};
        r.fill(raw);
        const association_id id = perc::make_association_id(raw);
        CHECK(perc::is_uuid_v4(id));
        CHECK((id[6] >> 4) == 4);
        CHECK((id[8] >> 6) == 2);
        CHECK((id[6] & 0x0F) == (raw[6] & 0x0F));
        CHECK((id[8] & 0x3F) == (raw[8] & 0x3F));
        for (std::size_t k = 0; k < 16; ++k)
            if (k != 6 && k != 8) CHECK(id[k] == raw[k]);
    }
}

TEST_CASE("RFC 4122 §4.1.1/§4.1.3: is_uuid_v4 rejects other versions and variants")
{
    association_id id = ex_id;
    REQUIRE(perc::is_uuid_v4(id));
    for (unsigned version = 0; version < 16; ++version) {
        id[6] = static_cast<std::uint8_t>((version << 4) | 0x5);
        CHECK(perc::is_uuid_v4(id) == (version == 4));
    }
    id = ex_id;
    for (unsigned top = 0; top < 4;
         ++top) { // variant bits: 0x = NCS, 10 = RFC 4122, 11 = MS/future
        id[8] = static_cast<std::uint8_t>((top << 6) | 0x08);
        CHECK(perc::is_uuid_v4(id) == (top == 2));
    }
    CHECK_FALSE(perc::is_uuid_v4(association_id{})); // the nil UUID
    // The decoders carry any id: the KD echoes what the MD chose (§5.4).
    bytes b(16, 0x00);
    CHECK(perc::decode_endpoint_disconnect(b).has_value());
}
