// RTCP: the 8 octets SRTCP leaves in the clear (RFC 3711 §3.4, RFC 7714 §9.1) and the
// compound-packet tiling check (RFC 3550 §6.1, §6.4.1: length = words − 1).
#include <perc/rtcp_header.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

using namespace perc_test;
using perc::errc;

namespace {

// RFC 7714 §17 RTCP packet (digest §11): SR, RC = 1, length 0x000d, SSRC "Mars".
constexpr std::array<std::uint8_t, 52> rfc7714_rtcp{
    0x81, 0xc8, 0x00, 0x0d, 0x4d, 0x61, 0x72, 0x73, 0x4e, 0x54, 0x50, 0x31, 0x4e,
    0x54, 0x50, 0x32, 0x52, 0x54, 0x50, 0x20, 0x00, 0x00, 0x04, 0x2a, 0x00, 0x00,
    0xe9, 0x30, 0x4c, 0x75, 0x6e, 0x61, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe,
    0xef, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef, 0xde, 0xad, 0xbe, 0xef};

constexpr perc::bytes_view view(const auto& a)
{
    return perc::bytes_view{a.data(), a.size()};
}

// One RTCP packet of `words` 32-bit words (length field = words − 1): header word, then zeros.
bytes part(std::uint8_t first, std::uint8_t pt, std::size_t words)
{
    bytes p(4 * words, 0);
    p[0] = first;
    p[1] = pt;
    p[2] = static_cast<std::uint8_t>((words - 1) >> 8);
    p[3] = static_cast<std::uint8_t>(words - 1);
    return p;
}

bytes concat(std::initializer_list<bytes> parts)
{
    bytes out;
    for (const bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

} // namespace

// RFC 7714 §17 header decoded at compile time.
static_assert(perc::decode_rtcp_header(view(rfc7714_rtcp))->ssrc == 0x4d617273u);
static_assert(perc::decode_rtcp_header(view(rfc7714_rtcp))->packet_type == 200);
static_assert(perc::decode_rtcp_header(view(rfc7714_rtcp))->count == 1);
static_assert(perc::decode_rtcp_header(view(rfc7714_rtcp))->size == 56);
static_assert(!perc::decode_rtcp_header(view(rfc7714_rtcp))->padding);
// Its length field says 56 octets but the packet has 52 (digest §11 quirk): the compound
// check reports it, decode_rtcp_header does not look.
static_assert(perc::validate_rtcp_compound(view(rfc7714_rtcp)) == errc::bad_rtcp_length);
static_assert(perc::validate_rtcp_compound(perc::bytes_view{rfc7714_rtcp.data(), 4}) ==
              errc::truncated);

TEST_CASE("RFC 3550 §6.4.1: RTCP header fields")
{
    const auto h = perc::decode_rtcp_header(view(rfc7714_rtcp));
    REQUIRE(h);
    CHECK(!h->padding);
    CHECK(h->count == 1);
    CHECK(h->packet_type == 200);
    CHECK(h->size == 56);
    CHECK(h->ssrc == 0x4d617273u);

    // P set and the full 5-bit count; PT 255; maximal length.
    const bytes b = from_hex("bfff ffff 01020304");
    const auto h2 = perc::decode_rtcp_header(b);
    REQUIRE(h2);
    CHECK(h2->padding);
    CHECK(h2->count == 31);
    CHECK(h2->packet_type == 255);
    CHECK(h2->size == 4u * 65536u);
    CHECK(h2->ssrc == 0x01020304u);

    // Length 0: 4 octets.
    const bytes b3 = from_hex("80c9 0000 00000000");
    CHECK(perc::decode_rtcp_header(b3)->size == 4);
}

TEST_CASE("RFC 3711 §3.4: decode_rtcp_header needs the 8 clear octets")
{
    for (std::size_t n = 0; n < 8; ++n) {
        CAPTURE(n);
        CHECK(perc::decode_rtcp_header(perc::bytes_view{rfc7714_rtcp.data(), n}).error() ==
              errc::truncated);
    }
    CHECK(perc::decode_rtcp_header(perc::bytes_view{rfc7714_rtcp.data(), 8}).has_value());
}

TEST_CASE("RFC 3550 §6.4.1: decode_rtcp_header rejects V = 0, 1, 3")
{
    for (const int v : {0, 1, 3}) {
        auto p = rfc7714_rtcp;
        p[0] = static_cast<std::uint8_t>((p[0] & 0x3F) | (v << 6));
        CAPTURE(v);
        CHECK(perc::decode_rtcp_header(view(p)).error() == errc::bad_rtp_version);
        CHECK(perc::validate_rtcp_compound(view(p)) == errc::bad_rtp_version);
    }
}

TEST_CASE("RFC 3550 §6.1: well-formed compounds of 1, 2 and 3 packets")
{
    const bytes rr = part(0x80, 201, 2);   // RR, no report blocks: 8 octets
    const bytes sr = part(0x81, 200, 13);  // SR with one report block: 52 octets
    const bytes sdes = part(0x81, 202, 3); // SDES
    const bytes bye = part(0xA1, 203, 2);  // BYE with P set (allowed in the last packet)
    CHECK(perc::validate_rtcp_compound(rr) == errc::ok);
    CHECK(perc::validate_rtcp_compound(sr) == errc::ok);
    CHECK(perc::validate_rtcp_compound(concat({sr, sdes})) == errc::ok);
    CHECK(perc::validate_rtcp_compound(concat({rr, sdes, bye})) == errc::ok);
    CHECK(perc::validate_rtcp_compound(concat({sr, sdes, bye})) == errc::ok);
    // A 4-octet packet (length 0) is a legal tile.
    CHECK(perc::validate_rtcp_compound(concat({rr, part(0x80, 204, 1)})) == errc::ok);
    // The RFC 7714 §17 packet with its length corrected to 52 octets (0x000c).
    auto fixed_len = rfc7714_rtcp;
    fixed_len[3] = 0x0c;
    CHECK(perc::validate_rtcp_compound(view(fixed_len)) == errc::ok);
}

TEST_CASE("RFC 3550 §6.1: compounds shorter than 8 octets are truncated")
{
    const bytes rr = part(0x80, 201, 2);
    for (std::size_t n = 0; n < 8; ++n) {
        CAPTURE(n);
        CHECK(perc::validate_rtcp_compound(perc::bytes_view{rr.data(), n}) == errc::truncated);
    }
}

TEST_CASE("RFC 3550 §6.1: every truncation of a 3-part compound")
{
    const bytes c = concat({part(0x81, 200, 7), part(0x81, 202, 3), part(0x81, 203, 2)});
    for (std::size_t n = 8; n <= c.size(); ++n) {
        CAPTURE(n);
        const std::vector<std::uint8_t> prefix(c.begin(), c.begin() + static_cast<long>(n));
        const bool at_boundary = n == 28 || n == 40 || n == 48;
        CHECK(perc::validate_rtcp_compound(prefix) ==
              (at_boundary ? errc::ok : errc::bad_rtcp_length));
    }
    CHECK(c.size() == 48);
}

TEST_CASE("RFC 3550 §6.1: trailing octets after the last packet")
{
    const bytes c = concat({part(0x81, 200, 7), part(0x81, 202, 3)});
    for (std::size_t extra = 1; extra <= 3; ++extra) {
        bytes p = c;
        p.resize(c.size() + extra, 0x80);
        CAPTURE(extra);
        CHECK(perc::validate_rtcp_compound(p) == errc::bad_rtcp_length);
    }
    // Four more octets that form a V=2, length-0 packet: a valid tile.
    CHECK(perc::validate_rtcp_compound(concat({c, from_hex("80cc0000")})) == errc::ok);
    // Four more octets with V = 0: not an RTCP packet.
    CHECK(perc::validate_rtcp_compound(concat({c, from_hex("00000000")})) == errc::bad_rtp_version);
}

TEST_CASE("RFC 3550 §6.1: V != 2 in a later packet")
{
    for (const int v : {0, 1, 3}) {
        const auto first = static_cast<std::uint8_t>((v << 6) | 1);
        CAPTURE(v);
        CHECK(perc::validate_rtcp_compound(concat({part(0x81, 200, 7), part(first, 202, 3)})) ==
              errc::bad_rtp_version);
        CHECK(perc::validate_rtcp_compound(concat({part(0x81, 200, 7), part(0x81, 202, 3),
                                                   part(first, 203, 2)})) == errc::bad_rtp_version);
    }
}

TEST_CASE("RFC 3550 §6.4.1: every wrong length field in each packet of a compound")
{
    // Packets of 7, 3 and 2 words with all-zero bodies: an octet inside a body reads as V = 0.
    const std::vector<std::size_t> words{7, 3, 2};
    const bytes good = concat({part(0x81, 200, 7), part(0x81, 202, 3), part(0x81, 203, 2)});
    const std::size_t total = good.size(); // 48
    REQUIRE(perc::validate_rtcp_compound(good) == errc::ok);
    std::size_t start = 0;
    for (std::size_t k = 0; k < words.size(); ++k) {
        for (std::size_t len = 0; len < 20; ++len) {
            if (len == words[k] - 1) continue;
            bytes p = good;
            p[start + 2] = 0;
            p[start + 3] = static_cast<std::uint8_t>(len);
            const std::size_t end = start + 4 * (len + 1);
            // Expected, by RFC 3550 §6.1 tiling: past the end -> bad length; on a later
            // packet boundary -> the rest still tiles; inside a zero body -> V = 0, unless
            // fewer than 4 octets remain.
            errc expected;
            if (end > total) expected = errc::bad_rtcp_length;
            else if (end == 28 || end == 40 || end == total) expected = errc::ok;
            else if (total - end < 4) expected = errc::bad_rtcp_length;
            else expected = errc::bad_rtp_version;
            CAPTURE(k);
            CAPTURE(len);
            CHECK(perc::validate_rtcp_compound(p) == expected);
        }
        start += 4 * words[k];
    }
    // The largest length field.
    bytes p = good;
    p[2] = 0xFF;
    p[3] = 0xFF;
    CHECK(perc::validate_rtcp_compound(p) == errc::bad_rtcp_length);
}
