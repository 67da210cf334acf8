// Byte vocabulary: network-byte-order load/store (RFC 3711 §1.1: network byte order everywhere)
// and the in/out buffer rule of every per-packet call (in place or disjoint).
#include <perc/bytes.hpp>
#include <perc/concepts.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

using namespace perc_test;

namespace {

constexpr std::array<std::uint8_t, 5> be_bytes{0x12, 0x34, 0x56, 0x78, 0x9A};
constexpr std::array<std::uint8_t, 4> high_bytes{0xFF, 0xFE, 0x80, 0x81};

template <std::size_t N, class F>
constexpr std::array<std::uint8_t, N> stored(F f)
{
    std::array<std::uint8_t, N> a{};
    for (auto& x : a) x = 0xEE; // sentinel: shows which octets the store wrote
    f(a.data());
    return a;
}

} // namespace

// constexpr loads, including octets with the high bit set (no sign extension).
static_assert(perc::load_be16(be_bytes.data()) == 0x1234);
static_assert(perc::load_be24(be_bytes.data()) == 0x123456);
static_assert(perc::load_be32(be_bytes.data()) == 0x12345678);
static_assert(perc::load_be32(be_bytes.data() + 1) == 0x3456789A);
static_assert(perc::load_be16(high_bytes.data()) == 0xFFFE);
static_assert(perc::load_be24(high_bytes.data()) == 0xFFFE80);
static_assert(perc::load_be32(high_bytes.data()) == 0xFFFE8081u);

// constexpr stores write exactly their octets, most significant first.
static_assert(stored<3>([](std::uint8_t* p) { perc::store_be16(p, 0xA1B2); }) ==
              std::array<std::uint8_t, 3>{0xA1, 0xB2, 0xEE});
static_assert(stored<4>([](std::uint8_t* p) { perc::store_be24(p, 0x00C1D2E3); }) ==
              std::array<std::uint8_t, 4>{0xC1, 0xD2, 0xE3, 0xEE});
// store_be24 drops the top octet of its 32-bit argument.
static_assert(stored<4>([](std::uint8_t* p) { perc::store_be24(p, 0xFFC1D2E3u); }) ==
              std::array<std::uint8_t, 4>{0xC1, 0xD2, 0xE3, 0xEE});
static_assert(stored<5>([](std::uint8_t* p) { perc::store_be32(p, 0xDEADBEEFu); }) ==
              std::array<std::uint8_t, 5>{0xDE, 0xAD, 0xBE, 0xEF, 0xEE});
static_assert(stored<9>([](std::uint8_t* p) { perc::store_be64(p, 0x0123456789ABCDEFull); }) ==
              std::array<std::uint8_t, 9>{0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xEE});
static_assert([] {
    constexpr std::array<std::uint8_t, 8> b{0xFF, 0x01, 0x80, 0x7F, 0x00, 0x10, 0xFE, 0x02};
    return perc::load_be64(b.data()) == 0xFF01807F0010FE02ull;
}());

// RFC 7714 §16 RTP header: SEQ at octets 2-3, timestamp 4-7, SSRC 8-11.
static_assert([] {
    constexpr std::array<std::uint8_t, 12> h{0x80, 0x40, 0xf1, 0x7b, 0x80, 0x41,
                                             0xf8, 0xd3, 0x55, 0x01, 0xa0, 0xb2};
    return perc::load_be16(h.data() + 2) == 0xf17b &&
           perc::load_be32(h.data() + 4) == 0x8041f8d3u &&
           perc::load_be32(h.data() + 8) == 0x5501a0b2u;
}());

TEST_CASE("bytes: load/store round trip on random values at unaligned offsets")
{
    rng r{0xB17E5};
    std::array<std::uint8_t, 16> buf{};
    for (int n = 0; n < 10000; ++n) {
        const std::size_t off = r.below(12);
        const auto v32 = static_cast<std::uint32_t>(r.next());
        const auto v16 = static_cast<std::uint16_t>(v32);
        perc::store_be32(buf.data() + off, v32);
        CHECK(perc::load_be32(buf.data() + off) == v32);
        CHECK(buf[off] == static_cast<std::uint8_t>(v32 >> 24));
        CHECK(buf[off + 3] == static_cast<std::uint8_t>(v32));
        perc::store_be24(buf.data() + off, v32);
        CHECK(perc::load_be24(buf.data() + off) == (v32 & 0xFFFFFFu));
        perc::store_be16(buf.data() + off, v16);
        CHECK(perc::load_be16(buf.data() + off) == v16);
        const std::uint64_t v64 = r.next();
        const std::size_t off8 = r.below(9);
        perc::store_be64(buf.data() + off8, v64);
        CHECK(perc::load_be64(buf.data() + off8) == v64);
        CHECK(buf[off8] == static_cast<std::uint8_t>(v64 >> 56));
        CHECK(buf[off8 + 7] == static_cast<std::uint8_t>(v64));
    }
}

namespace {
// The octet-by-octet form (what constant evaluation runs), to hold the run-time form to.
constexpr std::array<std::uint8_t, 8> reference_be(std::uint64_t v, std::size_t n)
{
    std::array<std::uint8_t, 8> a{};
    for (std::size_t i = 0; i < n; ++i) a[i] = static_cast<std::uint8_t>(v >> (8 * (n - 1 - i)));
    return a;
}
} // namespace

TEST_CASE("bytes: the run-time load/store (one word and a byte swap) equals the octet form")
{
    // The run-time path is a whole-word access plus a swap on little-endian hosts; this holds
    // it to the octet-by-octet definition (the one the static_asserts above check) at every
    // alignment, and checks that a store writes no octet beside its own.
    rng r{0x5EED64};
    std::array<std::uint8_t, 24> buf{};
    for (int n = 0; n < 20000; ++n) {
        const std::uint64_t v = r.next();
        const std::size_t off = r.below(16);
        buf.fill(0xEE);
        perc::store_be64(buf.data() + off, v);
        auto want = reference_be(v, 8);
        for (std::size_t i = 0; i < 8; ++i) REQUIRE(buf[off + i] == want[i]);
        if (off > 0) REQUIRE(buf[off - 1] == 0xEE);
        REQUIRE(buf[off + 8] == 0xEE);
        REQUIRE(perc::load_be64(buf.data() + off) == v);
        REQUIRE(perc::load_be32(buf.data() + off) == static_cast<std::uint32_t>(v >> 32));
        REQUIRE(perc::load_be16(buf.data() + off) == static_cast<std::uint16_t>(v >> 48));

        buf.fill(0xEE);
        perc::store_be32(buf.data() + off, static_cast<std::uint32_t>(v));
        want = reference_be(static_cast<std::uint32_t>(v), 4);
        for (std::size_t i = 0; i < 4; ++i) REQUIRE(buf[off + i] == want[i]);
        REQUIRE(buf[off + 4] == 0xEE);
        buf.fill(0xEE);
        perc::store_be16(buf.data() + off, static_cast<std::uint16_t>(v));
        want = reference_be(static_cast<std::uint16_t>(v), 2);
        REQUIRE(buf[off] == want[0]);
        REQUIRE(buf[off + 1] == want[1]);
        REQUIRE(buf[off + 2] == 0xEE);
    }
}

TEST_CASE("bytes: overlaps() is true exactly when the ranges share an octet")
{
    std::array<std::uint8_t, 32> a{};
    const std::uint8_t* p = a.data();
    CHECK(perc::overlaps(p, 8, p, 8));       // identical
    CHECK(perc::overlaps(p, 8, p + 7, 8));   // share the last octet of the first
    CHECK(perc::overlaps(p + 7, 8, p, 8));   // symmetric
    CHECK(perc::overlaps(p, 32, p + 10, 4)); // contained
    CHECK(perc::overlaps(p + 10, 4, p, 32)); // containing
    CHECK(!perc::overlaps(p, 8, p + 8, 8));  // adjacent
    CHECK(!perc::overlaps(p + 8, 8, p, 8));  // adjacent, other order
    CHECK(!perc::overlaps(p, 4, p + 20, 4)); // apart
    CHECK(!perc::overlaps(p, 0, p, 8));      // empty ranges share nothing
    CHECK(!perc::overlaps(p, 8, p + 3, 0));
    CHECK(!perc::overlaps(p + 3, 0, p + 3, 0));

    // Exhaustive over small ranges inside one array.
    for (std::size_t x = 0; x < 12; ++x)
        for (std::size_t xn = 0; xn < 8; ++xn)
            for (std::size_t y = 0; y < 12; ++y)
                for (std::size_t yn = 0; yn < 8; ++yn) {
                    bool shared = false;
                    for (std::size_t i = x; i < x + xn; ++i)
                        if (i >= y && i < y + yn) shared = true;
                    CHECK(perc::overlaps(p + x, xn, p + y, yn) == shared);
                }
}

TEST_CASE("bytes: in_place_or_disjoint() accepts exactly in-place or disjoint buffers")
{
    std::array<std::uint8_t, 64> a{};
    const perc::bytes_view in{a.data() + 16, 20};
    CHECK(perc::in_place_or_disjoint(in, perc::bytes_span{a.data() + 16, 20}));
    CHECK(perc::in_place_or_disjoint(in, perc::bytes_span{a.data() + 16, 36})); // in place, larger
    CHECK(perc::in_place_or_disjoint(in, perc::bytes_span{a.data() + 16, 4}));  // in place, smaller
    CHECK(perc::in_place_or_disjoint(in, perc::bytes_span{a.data() + 36, 28})); // right after
    CHECK(perc::in_place_or_disjoint(in, perc::bytes_span{a.data(), 16}));      // right before
    CHECK(!perc::in_place_or_disjoint(in, perc::bytes_span{a.data() + 17, 20})); // shifted by 1
    CHECK(!perc::in_place_or_disjoint(in, perc::bytes_span{a.data() + 15, 20})); // shifted by -1
    CHECK(!perc::in_place_or_disjoint(in, perc::bytes_span{a.data() + 35, 8}));  // last octet
    CHECK(!perc::in_place_or_disjoint(in, perc::bytes_span{a.data(), 17}));      // first octet
    CHECK(!perc::in_place_or_disjoint(in, perc::bytes_span{a.data(), 64}));      // containing

    std::array<std::uint8_t, 8> other{};
    CHECK(perc::in_place_or_disjoint(in, other));
}

TEST_CASE("bytes: store_block, xor_block, join_host and load_partial_block at every offset")
{
    std::array<std::uint8_t, 48> src{}, buf{}, key{};
    for (std::size_t i = 0; i < src.size(); ++i) {
        src[i] = static_cast<std::uint8_t>(0x11 * i + 3);
        key[i] = static_cast<std::uint8_t>(0xA5 ^ (7 * i));
    }
    for (std::size_t off = 0; off + 16 <= src.size(); ++off) {
        CAPTURE(off);
        // store_block writes the images of lo then hi, exactly 16 octets.
        buf.fill(0xEE);
        const auto lo = perc::detail::load_host<std::uint64_t>(src.data());
        const auto hi = perc::detail::load_host<std::uint64_t>(src.data() + 8);
        perc::detail::store_block(buf.data() + off, lo, hi);
        for (std::size_t i = 0; i < buf.size(); ++i)
            CHECK(buf[i] == (i >= off && i < off + 16 ? src[i - off] : 0xEE));
        // xor_block is octet-wise XOR of 16 octets.
        buf.fill(0xEE);
        perc::detail::xor_block(buf.data() + off, src.data() + off, key.data() + (47 - off) / 2);
        for (std::size_t i = 0; i < buf.size(); ++i)
            CHECK(buf[i] == (i >= off && i < off + 16
                                 ? static_cast<std::uint8_t>(src[i] ^ key[i - off + (47 - off) / 2])
                                 : 0xEE));
    }
    // join_host: the image of a then the image of b.
    const auto a = perc::detail::load_host<std::uint32_t>(src.data());
    const auto b = perc::detail::load_host<std::uint32_t>(src.data() + 4);
    CHECK(perc::detail::join_host(a, b) == perc::detail::load_host<std::uint64_t>(src.data()));
    // load_partial_block: the first n octets, zero-padded to 16.
    for (std::size_t n = 0; n < 16; ++n) {
        CAPTURE(n);
        std::uint64_t lo = 1, hi = 1;
        perc::detail::load_partial_block(src.data() + 5, n, lo, hi);
        perc::detail::store_block(buf.data(), lo, hi);
        for (std::size_t i = 0; i < 16; ++i) CHECK(buf[i] == (i < n ? src[5 + i] : 0));
    }
}

TEST_CASE("gather_aad_blocks: aad ‖ zeros for every split of 0..64 octets, word-sized or not")
{
    std::array<std::uint8_t, 64> src{};
    for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<std::uint8_t>(0x3D * i + 1);
    std::array<std::uint8_t, 80> buf{};
    for (std::size_t n = 0; n <= 64; ++n) {
        const std::size_t padded = (n + 15) / 16 * 16 + (n == 0 ? 16 : 0);
        for (std::size_t f = 0; f <= n; ++f) {
            CAPTURE(n);
            CAPTURE(f);
            // The two pieces are not adjacent in memory: the second starts 7 octets on.
            std::array<std::uint8_t, 72> two{};
            std::memcpy(two.data(), src.data(), f);
            std::memcpy(two.data() + f + 7, src.data() + f, n - f);
            const perc::aad_view aad{perc::bytes_view{two.data(), f},
                                     perc::bytes_view{two.data() + f + 7, n - f}};
            buf.fill(0xEE);
            perc::gather_aad_blocks(aad, buf.data(), padded);
            for (std::size_t i = 0; i < buf.size(); ++i)
                CHECK(buf[i] == (i < n ? src[i] : i < padded ? 0 : 0xEE));
        }
    }
}
