// Secrets: wiped storage, move-only, no comparison operators, constant-time equality
// (RFC 7714 §13 / RFC 3711 §9: keys and derived keys are erased when no longer needed).
#include <perc/secret_bytes.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

using namespace perc_test;
using perc::secret_bytes;

namespace {

bool all_zero(perc::bytes_view s)
{
    for (std::uint8_t x : s)
        if (x != 0) return false;
    return true;
}

template <std::size_t N>
std::array<std::uint8_t, N> pattern(std::uint8_t seed)
{
    std::array<std::uint8_t, N> a{};
    for (std::size_t i = 0; i < N; ++i) a[i] = static_cast<std::uint8_t>(seed + 3 * i + 1);
    return a;
}

} // namespace

// Move-only, never compared or copied by accident (STYLE "Vocabulary").
static_assert(!std::is_copy_constructible_v<secret_bytes<16>>);
static_assert(!std::is_copy_assignable_v<secret_bytes<16>>);
static_assert(std::is_nothrow_move_constructible_v<secret_bytes<16>>);
static_assert(std::is_nothrow_move_assignable_v<secret_bytes<16>>);
static_assert(std::is_nothrow_default_constructible_v<secret_bytes<32>>);
static_assert(!std::equality_comparable<secret_bytes<16>>);
static_assert(!std::totally_ordered<secret_bytes<16>>);
// The span constructor is explicit.
static_assert(!std::is_convertible_v<std::span<const std::uint8_t, 16>, secret_bytes<16>>);
static_assert(secret_bytes<12>::size() == 12);
static_assert(secret_bytes<12>::size_bytes == 12);
static_assert(std::is_same_v<decltype(std::declval<secret_bytes<12>&>().span()),
                             std::span<std::uint8_t, 12>>);
static_assert(std::is_same_v<decltype(std::declval<const secret_bytes<12>&>().span()),
                             std::span<const std::uint8_t, 12>>);

TEST_CASE("secret_bytes: default is zero, construction copies the source")
{
    const secret_bytes<16> z;
    CHECK(all_zero(z.span()));
    const auto src = pattern<16>(7);
    const secret_bytes<16> s{std::span<const std::uint8_t, 16>{src}};
    CHECK(to_hex(s.span()) == to_hex(src));
    CHECK(s.data() == s.span().data());
}

TEST_CASE("secret_bytes: move construction wipes the source")
{
    const auto src = pattern<32>(1);
    secret_bytes<32> a{std::span<const std::uint8_t, 32>{src}};
    const secret_bytes<32> b{std::move(a)};
    CHECK(to_hex(b.span()) == to_hex(src));
    CHECK(all_zero(a.span())); // NOLINT(bugprone-use-after-move): the wipe is the property tested
}

TEST_CASE("secret_bytes: move assignment wipes the source and replaces the target")
{
    const auto sa = pattern<12>(10);
    const auto sb = pattern<12>(90);
    secret_bytes<12> a{std::span<const std::uint8_t, 12>{sa}};
    secret_bytes<12> b{std::span<const std::uint8_t, 12>{sb}};
    b = std::move(a);
    CHECK(to_hex(b.span()) == to_hex(sa));
    CHECK(all_zero(a.span())); // NOLINT(bugprone-use-after-move)

    // Self-move keeps the content (no wipe of the only copy).
    secret_bytes<12>& alias = b;
    b = std::move(alias);
    CHECK(to_hex(b.span()) == to_hex(sa));
}

TEST_CASE("secret_bytes: wipe() and the destructor zero the storage")
{
    const auto src = pattern<16>(200);
    secret_bytes<16> s{std::span<const std::uint8_t, 16>{src}};
    s.wipe();
    CHECK(all_zero(s.span()));

    // Destructor: construct in raw storage, destroy, then inspect the storage octets.
    alignas(secret_bytes<16>) std::uint8_t storage[sizeof(secret_bytes<16>)] = {};
    auto* p = new (storage) secret_bytes<16>{std::span<const std::uint8_t, 16>{src}};
    REQUIRE(p->data() == storage); // the octets are the object's only state
    CHECK(storage[0] == src[0]);
    p->~secret_bytes<16>();
    bool zero = true;
    for (std::uint8_t x : storage) zero = zero && x == 0;
    CHECK(zero);
}

TEST_CASE("secret_bytes: span() writes through")
{
    secret_bytes<4> s;
    s.span()[2] = 0xAB;
    CHECK(s.data()[2] == 0xAB);
    CHECK(s.data()[0] == 0);
}

TEST_CASE("ct_equal: equal, every single-bit difference, different sizes")
{
    const auto a = pattern<32>(5);
    auto b = a;
    CHECK(perc::ct_equal(a, b));
    for (std::size_t i = 0; i < b.size(); ++i)
        for (unsigned bit = 0; bit < 8; ++bit) {
            b[i] = static_cast<std::uint8_t>(b[i] ^ (1u << bit));
            CAPTURE(i);
            CAPTURE(bit);
            CHECK(!perc::ct_equal(a, b));
            b[i] = a[i];
        }
    CHECK(perc::ct_equal(a, b));
    CHECK(!perc::ct_equal(perc::bytes_view{a}.first(31), b));
    CHECK(!perc::ct_equal(a, perc::bytes_view{b}.first(31)));
    CHECK(perc::ct_equal(perc::bytes_view{a}.first(31), perc::bytes_view{b}.first(31)));
    CHECK(perc::ct_equal(perc::bytes_view{}, perc::bytes_view{}));
    CHECK(!perc::ct_equal(perc::bytes_view{}, perc::bytes_view{a}.first(1)));
    // Content is irrelevant when sizes differ: a prefix is still unequal.
    CHECK(!perc::ct_equal(perc::bytes_view{a}.first(4), perc::bytes_view{a}.first(5)));
}

TEST_CASE("secure_wipe: zeroes exactly the given span")
{
    auto a = pattern<16>(77);
    perc::secure_wipe(perc::bytes_span{a}.subspan(4, 8));
    for (std::size_t i = 0; i < a.size(); ++i) {
        CAPTURE(i);
        if (i >= 4 && i < 12) CHECK(a[i] == 0);
        else CHECK(a[i] == static_cast<std::uint8_t>(77 + 3 * i + 1));
    }
    perc::secure_wipe(perc::bytes_span{}); // empty: nothing to do, must not crash
    perc::secure_wipe(a);
    CHECK(all_zero(a));
}

TEST_CASE("secure_wipe: every size up to past the 16-octet-store range, at every alignment")
{
    // Sizes 16..1024 take the 16-octet store loop (with an overlapping last store), the
    // others memset: every size must clear exactly its span.
    std::vector<std::uint8_t> buf(1100 + 32);
    for (std::size_t n :
         {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17}, std::size_t{31},
          std::size_t{192}, std::size_t{255}, std::size_t{256}, std::size_t{1023},
          std::size_t{1024}, std::size_t{1025}, std::size_t{1100}})
        for (std::size_t off = 0; off < 16; ++off) {
            CAPTURE(n);
            CAPTURE(off);
            std::fill(buf.begin(), buf.end(), std::uint8_t{0x77});
            perc::secure_wipe(perc::bytes_span{buf}.subspan(off, n));
            std::size_t wrong = 0;
            for (std::size_t i = 0; i < buf.size(); ++i)
                wrong += (buf[i] == ((i >= off && i < off + n) ? 0 : 0x77)) ? 0u : 1u;
            CHECK(wrong == 0);
        }
}

TEST_CASE("scoped_wipe: wipes at end of scope")
{
    auto a = pattern<8>(3);
    {
        const perc::scoped_wipe w{a};
        CHECK(a[0] == 4);
    }
    CHECK(all_zero(a));
}
