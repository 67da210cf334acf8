// RTP header view: RFC 3550 §5.1 fixed header, §5.3.1 extension, RFC 8285 §4 elements,
// RFC 3550 §5.1 padding. Every malformation is checked for its exact errc.
#include <perc/rtp_header.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

using namespace perc_test;
using perc::errc;

namespace {

// RFC 7714 §16 RTP packet (digest §11): V=2, PT=64, SEQ=f17b, TS=8041f8d3, SSRC=5501a0b2,
// 38-octet payload "Gallia est omnis divisa in partes tres".
constexpr std::array<std::uint8_t, 50> rfc7714_packet{
    0x80, 0x40, 0xf1, 0x7b, 0x80, 0x41, 0xf8, 0xd3, 0x55, 0x01, 0xa0, 0xb2, 0x47,
    0x61, 0x6c, 0x6c, 0x69, 0x61, 0x20, 0x65, 0x73, 0x74, 0x20, 0x6f, 0x6d, 0x6e,
    0x69, 0x73, 0x20, 0x64, 0x69, 0x76, 0x69, 0x73, 0x61, 0x20, 0x69, 0x6e, 0x20,
    0x70, 0x61, 0x72, 0x74, 0x65, 0x73, 0x20, 0x74, 0x72, 0x65, 0x73};

// V=2 P=1 X=1 CC=1, M=1 PT=111, one CSRC, a one-byte-form extension (RFC 8285 §4.2) with
// one element (ID 1, 2 octets) and padding, 3 payload octets + 1 padding octet (count 1).
constexpr std::array<std::uint8_t, 28> full_packet{0xB1, 0xEF, 0x00, 0x01, 0x00, 0x00,
                                                   0x00, 0x02, 0xCA, 0xFE, 0xBA, 0xBE, // fixed
                                                   0x01, 0x02, 0x03, 0x04,             // CSRC
                                                   0xBE, 0xDE, 0x00, 0x01,             // ext header
                                                   0x11, 0xAA, 0xBB, 0x00,  // ID1 L=1, pad
                                                   0xD0, 0xD1, 0xD2, 0x01}; // payload+pad

constexpr perc::bytes_view view(const auto& a)
{
    return perc::bytes_view{a.data(), a.size()};
}

constexpr int count_elements(std::uint16_t profile, perc::bytes_view block, errc* e)
{
    int n = 0;
    *e = perc::for_each_extension_element(profile, block,
                                          [&](const perc::rtp_extension_element&) { ++n; });
    return n;
}

struct element {
    std::uint8_t id;
    std::string hex;
    bool operator==(const element&) const = default;
};

// Visits `block` and returns the elements seen plus the errc.
std::pair<std::vector<element>, errc> elements(std::uint16_t profile, const bytes& block)
{
    std::vector<element> v;
    const errc e = perc::for_each_extension_element(
        profile, block, [&](const perc::rtp_extension_element& el) {
            v.push_back(element{el.id, to_hex(el.data)});
        });
    return {v, e};
}

} // namespace

// RFC 3550 §5.1 fields decoded at compile time (STYLE "Codecs": RFC examples as static_asserts).
static_assert(perc::decode_rtp_header(view(rfc7714_packet)).has_value());
static_assert(perc::decode_rtp_header(view(rfc7714_packet))->seq == 0xf17b);
static_assert(perc::decode_rtp_header(view(rfc7714_packet))->timestamp == 0x8041f8d3u);
static_assert(perc::decode_rtp_header(view(rfc7714_packet))->ssrc == 0x5501a0b2u);
static_assert(perc::decode_rtp_header(view(rfc7714_packet))->payload_type == 64);
static_assert(!perc::decode_rtp_header(view(rfc7714_packet))->marker);
static_assert(!perc::decode_rtp_header(view(rfc7714_packet))->padding);
static_assert(!perc::decode_rtp_header(view(rfc7714_packet))->extension);
static_assert(perc::decode_rtp_header(view(rfc7714_packet))->csrc_count == 0);
static_assert(perc::decode_rtp_header(view(rfc7714_packet))->header_size == 12);
static_assert(perc::decode_rtp_header(view(rfc7714_packet))->payload().size() == 38);
static_assert(perc::decode_rtp_header(view(rfc7714_packet))->payload()[0] == 0x47);

static_assert(perc::decode_rtp_header(view(full_packet))->header_size == 24);
static_assert(perc::decode_rtp_header(view(full_packet))->base_header_size() == 16);
static_assert(perc::decode_rtp_header(view(full_packet))->csrc(0) == 0x01020304u);
static_assert(perc::decode_rtp_header(view(full_packet))->extension_profile == 0xBEDE);
static_assert(perc::validate_extension(perc::decode_rtp_header(view(full_packet)).value()) ==
              errc::ok);
static_assert([] {
    errc e = errc::truncated;
    const auto h = perc::decode_rtp_header(view(full_packet));
    return count_elements(h->extension_profile, h->extension_data, &e) == 1 && e == errc::ok;
}());
static_assert(perc::decode_rtp_header(perc::bytes_view{rfc7714_packet.data(), 11}).error() ==
              errc::truncated);
// decode_rtp_header_into: the same parse into caller storage (decode_rtp_header wraps it).
static_assert([] {
    perc::rtp_header_view h;
    return perc::decode_rtp_header_into(view(full_packet), h) == errc::ok && h.header_size == 24 &&
           h.csrc_count == 1 && h.extension_profile == 0xBEDE;
}());
static_assert([] {
    perc::rtp_header_view h;
    return perc::decode_rtp_header_into(perc::bytes_view{rfc7714_packet.data(), 11}, h) ==
           errc::truncated;
}());
static_assert(perc::extension_form(0xBEDE) == perc::rtp_extension_form::one_byte);
static_assert(perc::extension_form(0x1000) == perc::rtp_extension_form::two_byte);
static_assert(perc::extension_form(0x100F) == perc::rtp_extension_form::two_byte);
static_assert(perc::extension_form(0x1010) == perc::rtp_extension_form::other);
static_assert(perc::extension_form(0xBEDF) == perc::rtp_extension_form::other);
static_assert(perc::extension_form(0x0000) == perc::rtp_extension_form::other);

TEST_CASE("RFC 3550 §5.1: fixed header fields of the RFC 7714 §16 packet")
{
    const auto h = perc::decode_rtp_header(view(rfc7714_packet));
    REQUIRE(h);
    CHECK(h->seq == 0xf17b);
    CHECK(h->timestamp == 0x8041f8d3u);
    CHECK(h->ssrc == 0x5501a0b2u);
    CHECK(h->payload_type == 64);
    CHECK(!h->marker);
    CHECK(!h->padding);
    CHECK(!h->extension);
    CHECK(h->csrc_count == 0);
    CHECK(h->header_size == 12);
    CHECK(h->base_header_size() == 12);
    CHECK(h->extension_profile == 0);
    CHECK(h->extension_data.empty());
    CHECK(h->packet.data() == rfc7714_packet.data());
    CHECK(h->packet.size() == 50);
    CHECK(h->header().data() == rfc7714_packet.data());
    CHECK(h->header().size() == 12);
    CHECK(h->payload().data() == rfc7714_packet.data() + 12);
    CHECK(h->payload().size() == 38);
}

TEST_CASE("RFC 3550 §5.1/§5.3.1: every bit of the first two octets, CSRCs and extension")
{
    const auto h = perc::decode_rtp_header(view(full_packet));
    REQUIRE(h);
    CHECK(h->padding);
    CHECK(h->extension);
    CHECK(h->marker);
    CHECK(h->payload_type == 0x6F);
    CHECK(h->csrc_count == 1);
    CHECK(h->seq == 1);
    CHECK(h->timestamp == 2);
    CHECK(h->ssrc == 0xCAFEBABEu);
    CHECK(h->csrc(0) == 0x01020304u);
    CHECK(h->extension_profile == 0xBEDE);
    CHECK(h->extension_data.data() == full_packet.data() + 20);
    CHECK(h->extension_data.size() == 4);
    CHECK(h->base_header_size() == 16);
    CHECK(h->header_size == 24);
    CHECK(to_hex(h->payload()) == "d0d1d201");
    CHECK(to_hex(perc::rtp_unpadded_payload(*h).value()) == "d0d1d2");

    // PT 127 with M clear, PT 0 with M set: the two fields do not bleed into each other.
    auto p = rfc7714_packet;
    p[1] = 0x7F;
    CHECK(perc::decode_rtp_header(view(p))->payload_type == 127);
    CHECK(!perc::decode_rtp_header(view(p))->marker);
    p[1] = 0x80;
    CHECK(perc::decode_rtp_header(view(p))->payload_type == 0);
    CHECK(perc::decode_rtp_header(view(p))->marker);
}

TEST_CASE("RFC 3550 §5.1: CC = 0..15, each CSRC read in order")
{
    for (std::uint8_t cc = 0; cc <= 15; ++cc) {
        rtp_spec s;
        s.ssrc = 0x10203040;
        for (std::uint32_t i = 0; i < cc; ++i) s.csrcs.push_back(0xC0000000u + i);
        s.payload = {1, 2, 3};
        const bytes p = build_rtp(s);
        const auto h = perc::decode_rtp_header(p);
        CAPTURE(cc);
        REQUIRE(h);
        CHECK(h->csrc_count == cc);
        CHECK(h->header_size == 12u + 4u * cc);
        CHECK(h->base_header_size() == 12u + 4u * cc);
        for (std::uint32_t i = 0; i < cc; ++i) CHECK(h->csrc(i) == 0xC0000000u + i);
        CHECK(to_hex(h->payload()) == "010203");
    }
}

TEST_CASE("RFC 3550 §5.1: store_base_header writes octets 0..3, then timestamp, SSRC, CSRCs")
{
    for (std::uint8_t cc = 0; cc <= 15; ++cc) {
        rtp_spec s;
        s.extension = true; // the extension is not part of the base header and is not copied
        s.ext_profile = 0xBEDE;
        s.ext_body = {0x10, 0xAA, 0x00, 0x00};
        s.ts = 0x01020304;
        s.ssrc = 0x10203040;
        for (std::uint32_t i = 0; i < cc; ++i) s.csrcs.push_back(0xC0000000u + i);
        s.payload = {1, 2, 3};
        const bytes p = build_rtp(s);
        const std::size_t base = 12u + 4u * cc;
        bytes out(p.size() + 8, 0xEE);
        perc::store_base_header(out.data(), p.data(), base, 0x8F6F1234u);
        CAPTURE(cc);
        CHECK(to_hex(perc::bytes_view{out.data(), 4}) == "8f6f1234");
        CHECK(std::equal(out.begin() + 4, out.begin() + static_cast<std::ptrdiff_t>(base),
                         p.begin() + 4));
        CHECK(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(base), out.end(),
                          [](std::uint8_t b) { return b == 0xEE; }));
    }
}

TEST_CASE("RFC 3550 §5.1: truncated below the 12-octet fixed header")
{
    for (std::size_t n = 0; n < 12; ++n) {
        CAPTURE(n);
        CHECK(perc::decode_rtp_header(perc::bytes_view{rfc7714_packet.data(), n}).error() ==
              errc::truncated);
    }
    // Even with a bad version: length is checked first.
    const bytes v0 = from_hex("0040f17b 8041f8d3 5501a0");
    CHECK(perc::decode_rtp_header(v0).error() == errc::truncated);
    CHECK(perc::decode_rtp_header(perc::bytes_view{rfc7714_packet.data(), 12}).has_value());
}

TEST_CASE("RFC 3550 §5.1: truncated below 12 + 4·CC")
{
    rtp_spec s;
    s.csrcs = {1, 2, 3};
    const bytes p = build_rtp(s); // exactly 24 octets, no payload
    REQUIRE(p.size() == 24);
    for (std::size_t n = 12; n < 24; ++n) {
        CAPTURE(n);
        CHECK(perc::decode_rtp_header(perc::bytes_view{p.data(), n}).error() == errc::truncated);
    }
    const auto h = perc::decode_rtp_header(p);
    REQUIRE(h);
    CHECK(h->payload().empty());

    // CC = 15 needs 72 octets.
    bytes q = from_hex("8f000000 00000000 00000000");
    q.resize(71);
    CHECK(perc::decode_rtp_header(q).error() == errc::truncated);
    q.resize(72);
    CHECK(perc::decode_rtp_header(q).has_value());
}

TEST_CASE("RFC 3550 §5.3.1: truncated when the extension header is missing")
{
    rtp_spec s;
    s.csrcs = {7, 8};
    s.extension = true;
    s.ext_profile = 0xBEDE;
    const bytes p = build_rtp(s); // 12 + 8 + 4, extension length 0
    REQUIRE(p.size() == 24);
    for (std::size_t n = 20; n < 24; ++n) {
        CAPTURE(n);
        CHECK(perc::decode_rtp_header(perc::bytes_view{p.data(), n}).error() == errc::truncated);
    }
    const auto h = perc::decode_rtp_header(p); // length 0 is legal
    REQUIRE(h);
    CHECK(h->extension);
    CHECK(h->extension_data.empty());
    CHECK(h->header_size == 24);
}

TEST_CASE("RFC 3550 §5.3.1: bad_extension when the extension length overruns the packet")
{
    rtp_spec s;
    s.extension = true;
    s.ext_profile = 0x1234;
    s.ext_body = from_hex("01020304 05060708");
    const bytes p = build_rtp(s); // 12 + 4 + 8
    REQUIRE(p.size() == 24);
    for (std::size_t n = 16; n < 24; ++n) {
        CAPTURE(n);
        CHECK(perc::decode_rtp_header(perc::bytes_view{p.data(), n}).error() ==
              errc::bad_extension);
    }
    const auto h = perc::decode_rtp_header(p);
    REQUIRE(h);
    CHECK(h->extension_profile == 0x1234);
    CHECK(to_hex(h->extension_data) == "0102030405060708");
    CHECK(h->payload().empty());

    // Length 0xFFFF (262140 octets) on a short packet: an error, not an overflow.
    bytes big = from_hex("90000000 00000000 00000000 bede ffff 00000000");
    CHECK(perc::decode_rtp_header(big).error() == errc::bad_extension);
}

TEST_CASE("RFC 3550 §5.1: bad_rtp_version for V = 0, 1, 3")
{
    for (const int v : {0, 1, 3}) {
        auto p = rfc7714_packet;
        p[0] = static_cast<std::uint8_t>((p[0] & 0x3F) | (v << 6));
        CAPTURE(v);
        CHECK(perc::decode_rtp_header(view(p)).error() == errc::bad_rtp_version);
    }
    // The version is checked before the CSRC/extension lengths.
    const bytes v1_cc15 = from_hex("5f000000 00000000 00000000");
    CHECK(perc::decode_rtp_header(v1_cc15).error() == errc::bad_rtp_version);
}

TEST_CASE("RFC 8285 §4.2: one-byte elements, padding octets between and after")
{
    // ID1 L=0 (1 octet), ID2 L=1 (2 octets), two padding octets, ID3 L=3 (4 octets):
    // the layout of the RFC 8285 §4.2 figure.
    const bytes block = from_hex("10aa 21bbcc 0000 33 01020304");
    REQUIRE(block.size() == 12);
    const auto [els, e] = elements(0xBEDE, block);
    CHECK(e == errc::ok);
    REQUIRE(els.size() == 3);
    CHECK(els[0] == element{1, "aa"});
    CHECK(els[1] == element{2, "bbcc"});
    CHECK(els[2] == element{3, "01020304"});

    // Leading and trailing padding; L = 15 means 16 octets.
    const bytes b2 = from_hex("000000 ef 000102030405060708090a0b0c0d0e0f 00000000");
    const auto [els2, e2] = elements(0xBEDE, b2);
    CHECK(e2 == errc::ok);
    REQUIRE(els2.size() == 1);
    CHECK(els2[0] == element{14, "000102030405060708090a0b0c0d0e0f"});

    // An all-padding block and an empty block hold no elements.
    CHECK(elements(0xBEDE, from_hex("00000000")).first.empty());
    CHECK(elements(0xBEDE, from_hex("00000000")).second == errc::ok);
    CHECK(elements(0xBEDE, bytes{}).first.empty());
    CHECK(elements(0xBEDE, bytes{}).second == errc::ok);
}

TEST_CASE("RFC 8285 §4.2: ID 15 stops processing; its length is ignored")
{
    // ID1, then ID 15 with L = 15 (would overrun), then what would be an element.
    const auto [els, e] = elements(0xBEDE, from_hex("10aa ff 21bbcc"));
    CHECK(e == errc::ok);
    REQUIRE(els.size() == 1);
    CHECK(els[0] == element{1, "aa"});
    // ID 15 first: nothing is considered.
    const auto [els2, e2] = elements(0xBEDE, from_hex("f0 10aa 0000"));
    CHECK(e2 == errc::ok);
    CHECK(els2.empty());
}

TEST_CASE("RFC 8285 §4.1.2: one-byte ID 0 with a length > 0 stops processing")
{
    // "An extension element with an ID value equal to 0 MUST NOT have an associated length
    // field greater than 0. If such an extension element is encountered, its length field MUST
    // be ignored, processing of the entire extension MUST terminate at that point".
    const auto [els, e] = elements(0xBEDE, from_hex("10aa 05 21bbcc 00"));
    CHECK(e == errc::ok);
    REQUIRE(els.size() == 1);
    CHECK(els[0] == element{1, "aa"});
    // Its length must be ignored even when it would overrun the block.
    const auto [els2, e2] = elements(0xBEDE, from_hex("0f 00"));
    CHECK(e2 == errc::ok);
    CHECK(els2.empty());
}

TEST_CASE("RFC 8285 §4.2: a one-byte element running past the block is bad_extension_element")
{
    // ID2 L=3 needs 4 octets, only 2 remain. Elements before it were already visited.
    const auto [els, e] = elements(0xBEDE, from_hex("10aa 23bbcc"));
    CHECK(e == errc::bad_extension_element);
    REQUIRE(els.size() == 1);
    CHECK(els[0] == element{1, "aa"});
    // Header octet as the last octet of the block: needs at least 1 data octet.
    CHECK(elements(0xBEDE, from_hex("000000 10")).second == errc::bad_extension_element);
    // Exactly fitting is fine.
    CHECK(elements(0xBEDE, from_hex("23bbccddee")).second == errc::ok);
}

TEST_CASE("RFC 8285 §4.3: two-byte elements (profile 0x100X), lengths 0..255, padding")
{
    // ID1 len 0, ID2 len 1, one padding octet, ID3 len 4: the RFC 8285 §4.3 figure layout.
    const bytes block = from_hex("0100 0201aa 00 0304 01020304");
    REQUIRE(block.size() == 12);
    for (const std::uint16_t profile :
         std::initializer_list<std::uint16_t>{0x1000, 0x1001, 0x100F}) {
        CAPTURE(profile);
        const auto [els, e] = elements(profile, block);
        CHECK(e == errc::ok);
        REQUIRE(els.size() == 3);
        CHECK(els[0] == element{1, ""});
        CHECK(els[1] == element{2, "aa"});
        CHECK(els[2] == element{3, "01020304"});
    }
    // ID 255 with 255 data octets.
    bytes big = from_hex("ffff");
    for (int i = 0; i < 255; ++i) big.push_back(static_cast<std::uint8_t>(i));
    big.push_back(0);
    const auto [els, e] = elements(0x1000, big);
    CHECK(e == errc::ok);
    REQUIRE(els.size() == 1);
    CHECK(els[0].id == 255);
    CHECK(els[0].hex.size() == 2u * 255u);
    // IDs 15 and 16 are ordinary in the two-byte form.
    const auto [els3, e3] = elements(0x1000, from_hex("0f01aa 1000"));
    CHECK(e3 == errc::ok);
    REQUIRE(els3.size() == 2);
    CHECK(els3[0] == element{15, "aa"});
    CHECK(els3[1] == element{16, ""});
}

TEST_CASE("RFC 8285 §4.3: two-byte overruns are bad_extension_element")
{
    // Length octet missing.
    const auto [els, e] = elements(0x1000, from_hex("0201aa 03"));
    CHECK(e == errc::bad_extension_element);
    REQUIRE(els.size() == 1);
    CHECK(els[0] == element{2, "aa"});
    // Data runs past the block.
    CHECK(elements(0x1000, from_hex("0205aabbccdd")).second == errc::bad_extension_element);
    CHECK(elements(0x1000, from_hex("02ff")).second == errc::bad_extension_element);
}

TEST_CASE("RFC 3550 §5.3.1: other profiles are opaque")
{
    // Bytes that would be malformed in either RFC 8285 form.
    const bytes block = from_hex("ff0f 23 01");
    for (const std::uint16_t profile : std::initializer_list<std::uint16_t>{
             0x0000, 0x0001, 0xBEDF, 0xBDDE, 0x0FFF, 0x1010, 0x2000, 0xFFFF}) {
        CAPTURE(profile);
        const auto [els, e] = elements(profile, block);
        CHECK(e == errc::ok);
        CHECK(els.empty());
    }
}

TEST_CASE("validate_extension: checks the decoded header's extension block")
{
    rtp_spec s;
    s.payload = {9, 9};
    CHECK(perc::validate_extension(perc::decode_rtp_header(build_rtp(s)).value()) == errc::ok);

    s.extension = true;
    s.ext_profile = 0xBEDE;
    s.ext_body = from_hex("10aa 2301"); // ID2 L=3 overruns
    bytes p = build_rtp(s);
    auto h = perc::decode_rtp_header(p);
    REQUIRE(h);
    CHECK(perc::validate_extension(*h) == errc::bad_extension_element);

    s.ext_body = from_hex("10aa 2101 02000000");
    p = build_rtp(s);
    auto h2 = perc::decode_rtp_header(p);
    REQUIRE(h2);
    CHECK(perc::validate_extension(*h2) == errc::ok);

    s.ext_profile = 0x4321; // same bytes, opaque profile
    s.ext_body = from_hex("10aa 2301");
    p = build_rtp(s);
    auto h3 = perc::decode_rtp_header(p);
    REQUIRE(h3);
    CHECK(perc::validate_extension(*h3) == errc::ok);
}

TEST_CASE("RFC 3550 §5.1: rtp_unpadded_payload, valid pad counts")
{
    // P clear: the last octet is payload, whatever its value.
    {
        rtp_spec s;
        s.payload = from_hex("010203ff");
        const bytes p = build_rtp(s);
        CHECK(to_hex(perc::rtp_unpadded_payload(perc::decode_rtp_header(p).value()).value()) ==
              "010203ff");
    }
    // P set: every count from 1 (just the count octet) to the whole payload.
    for (std::uint8_t pad = 1; pad <= 20; ++pad) {
        rtp_spec s;
        s.payload = from_hex("a1a2a3a4a5");
        s.padding = pad;
        const bytes p = build_rtp(s);
        const auto h = perc::decode_rtp_header(p);
        REQUIRE(h);
        REQUIRE(h->padding);
        const auto u = perc::rtp_unpadded_payload(*h);
        CAPTURE(pad);
        REQUIRE(u);
        CHECK(to_hex(*u) == "a1a2a3a4a5");
        CHECK(u->data() == p.data() + 12);
    }
    // Count equal to the whole payload: empty payload.
    const bytes all_pad = from_hex("a0000000 00000000 00000000 00000004");
    const auto u = perc::rtp_unpadded_payload(perc::decode_rtp_header(all_pad).value());
    REQUIRE(u);
    CHECK(u->empty());
}

TEST_CASE("RFC 3550 §5.1: rtp_unpadded_payload, invalid pad counts are bad_padding")
{
    // Count 0.
    const bytes zero = from_hex("a0000000 00000000 00000000 aabb00");
    CHECK(perc::rtp_unpadded_payload(perc::decode_rtp_header(zero).value()).error() ==
          errc::bad_padding);
    // Count larger than the payload (3 octets, count 4 and 255).
    const bytes over = from_hex("a0000000 00000000 00000000 aabb04");
    CHECK(perc::rtp_unpadded_payload(perc::decode_rtp_header(over).value()).error() ==
          errc::bad_padding);
    const bytes over2 = from_hex("a0000000 00000000 00000000 aabbff");
    CHECK(perc::rtp_unpadded_payload(perc::decode_rtp_header(over2).value()).error() ==
          errc::bad_padding);
    // P set with an empty payload.
    const bytes empty = from_hex("a0000000 00000000 00000000");
    CHECK(perc::rtp_unpadded_payload(perc::decode_rtp_header(empty).value()).error() ==
          errc::bad_padding);
    // The count is never read from the header: CSRC/extension octets do not count as payload.
    const bytes csrc = from_hex("a1000000 00000000 00000000 00000004 02");
    CHECK(perc::rtp_unpadded_payload(perc::decode_rtp_header(csrc).value()).error() ==
          errc::bad_padding);
}

TEST_CASE("RFC 3550 §5.1: decode never reads past the packet (every prefix of a packet)")
{
    rtp_spec s;
    s.csrcs = {1, 2};
    s.extension = true;
    s.ext_profile = 0xBEDE;
    s.ext_body = from_hex("10aa 0000");
    s.payload = from_hex("0102030405");
    const bytes p = build_rtp(s); // 12 + 8 + 4 + 4 + 5 = 33
    REQUIRE(p.size() == 33);
    for (std::size_t n = 0; n <= p.size(); ++n) {
        // A copy of exactly n octets, so that a read past the end is caught by sanitizers.
        const std::vector<std::uint8_t> prefix(p.begin(), p.begin() + static_cast<long>(n));
        const auto h = perc::decode_rtp_header(prefix);
        CAPTURE(n);
        if (n < 24) CHECK(h.error() == errc::truncated); // fixed, CSRCs, extension header
        else if (n < 28) CHECK(h.error() == errc::bad_extension);
        else {
            REQUIRE(h);
            CHECK(h->header_size == 28);
            CHECK(h->payload().size() == n - 28);
        }
    }
}
