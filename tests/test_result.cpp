// result<T>: a value or an errc, with std::expected's member names (STYLE "Vocabulary").
#include <perc/result.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <memory>
#include <type_traits>
#include <utility>

using perc::errc;
using perc::result;

namespace {

struct point {
    int x = 0;
    int y = 0;
    constexpr int sum() const { return x + y; }
};

// Counts live objects, to check that result constructs and destroys its value exactly once.
struct counted {
    static inline int live = 0;
    int v = 0;
    explicit counted(int x) noexcept : v(x) { ++live; }
    counted(const counted& o) noexcept : v(o.v) { ++live; }
    counted(counted&& o) noexcept : v(o.v) { ++live; }
    counted& operator=(const counted&) = default;
    ~counted() { --live; }
};

constexpr result<int> half(int x)
{
    if (x % 2 != 0) return errc::invalid_argument;
    return x / 2;
}

constexpr int copy_and_read(int x)
{
    const result<int> a = half(x);
    const result<int> b = a; // copy
    result<int> tmp = half(x);
    const result<int> c = std::move(tmp); // move
    return b.value_or(-1) + c.value_or(-1);
}

// fill_in_place in a constant expression: a value, or the fill's error.
constexpr result<point> filled(int x)
{
    return result<point>{perc::fill_in_place, [&](point& p) {
                             if (x < 0) return errc::invalid_argument;
                             p.x = x;
                             p.y = 2 * x;
                             return errc::ok;
                         }};
}

constexpr result<point> made(int x)
{
    return result<point>{std::in_place, [&] { return point{x, x + 1}; }};
}

} // namespace

static_assert(filled(4)->sum() == 12);
static_assert(filled(-1).error() == errc::invalid_argument);
static_assert(made(3)->sum() == 7);

// constexpr use: every accessor works in a constant expression.
static_assert(half(8).has_value());
static_assert(half(8).value() == 4);
static_assert(*half(8) == 4);
static_assert(static_cast<bool>(half(8)));
static_assert(half(8).error() == errc::ok);
static_assert(!half(7).has_value());
static_assert(!static_cast<bool>(half(7)));
static_assert(half(7).error() == errc::invalid_argument);
static_assert(half(7).value_or(42) == 42);
static_assert(half(6).value_or(42) == 3);
static_assert(result<point>(point{2, 3})->sum() == 5);
static_assert(copy_and_read(10) == 10);
static_assert(copy_and_read(9) == -2);

// Shape of the type.
static_assert(std::is_nothrow_copy_constructible_v<result<int>>);
static_assert(std::is_nothrow_move_constructible_v<result<int>>);
static_assert(!std::is_copy_assignable_v<result<int>>);
static_assert(!std::is_move_assignable_v<result<int>>);
static_assert(std::is_same_v<decltype(std::declval<result<int>&>().value()), int&>);
static_assert(std::is_same_v<decltype(std::declval<const result<int>&>().value()), const int&>);
static_assert(std::is_same_v<decltype(std::declval<result<int>&&>().value()), int&&>);
static_assert(std::is_same_v<decltype(std::declval<result<int>&>().error()), errc>);

TEST_CASE("result: holds a value")
{
    result<int> r = 17;
    CHECK(r.has_value());
    CHECK(static_cast<bool>(r));
    CHECK(r.value() == 17);
    CHECK(*r == 17);
    CHECK(r.error() == errc::ok);
    CHECK(r.value_or(5) == 17);
    r.value() = 18; // value() & returns a mutable reference
    CHECK(*r == 18);
    *r += 1;
    CHECK(r.value() == 19);
}

TEST_CASE("result: holds an error")
{
    const result<int> r = errc::truncated;
    CHECK(!r.has_value());
    CHECK(!static_cast<bool>(r));
    CHECK(r.error() == errc::truncated);
    CHECK(r.value_or(5) == 5);
}

TEST_CASE("result: value_or converts the fallback to T")
{
    const result<std::int64_t> r = errc::no_key;
    const std::int64_t v = r.value_or(3);
    CHECK(v == 3);
    const result<std::uint8_t> b = errc::no_key;
    CHECK(b.value_or(200) == 200);
}

TEST_CASE("result: operator-> reaches members (const and non-const)")
{
    result<point> r = point{4, 5};
    CHECK(r->x == 4);
    r->y = 7;
    CHECK(r->sum() == 11);
    const result<point>& cr = r;
    CHECK(cr->y == 7);
}

TEST_CASE("result: copies and moves keep the alternative")
{
    const result<point> v = point{1, 2};
    const result<point> v2 = v;
    REQUIRE(v2.has_value());
    CHECK(v2->x == 1);
    CHECK(v2->y == 2);

    result<point> e = errc::replayed;
    const result<point> e2 = e;
    const result<point> e3 = std::move(e);
    CHECK(e2.error() == errc::replayed);
    CHECK(e3.error() == errc::replayed);
}

TEST_CASE("result: move-only values are moved in and out")
{
    result<std::unique_ptr<int>> r = std::make_unique<int>(9);
    REQUIRE(r.has_value());
    CHECK(**r == 9);
    std::unique_ptr<int> p = std::move(r).value();
    REQUIRE(p != nullptr);
    CHECK(*p == 9);
    CHECK(r.has_value());
    CHECK(r.value() == nullptr); // moved-from, still engaged

    result<std::unique_ptr<int>> moved = std::move(r);
    CHECK(moved.has_value());
}

TEST_CASE("result: the value is constructed and destroyed exactly once per copy")
{
    REQUIRE(counted::live == 0);
    {
        result<counted> a = counted{3};
        CHECK(counted::live == 1);
        {
            const result<counted> b = a;
            CHECK(counted::live == 2);
            CHECK(b->v == 3);
            const result<counted> c = std::move(a);
            CHECK(counted::live == 3);
        }
        CHECK(counted::live == 1);
        const result<counted> err = errc::auth_failed;
        CHECK(counted::live == 1); // an error constructs no T
        const result<counted> err2 = err;
        CHECK(counted::live == 1);
    }
    CHECK(counted::live == 0);
}

namespace {
// Counts constructions, destructions and moves: built in place means no move at all.
struct tracked {
    static inline int live = 0;
    static inline int moves = 0;
    int v = 7; // a default member initialiser: fill_in_place runs it
    tracked() noexcept { ++live; }
    tracked(tracked&& o) noexcept : v(o.v)
    {
        ++live;
        ++moves;
    }
    tracked(const tracked&) = delete;
    ~tracked() { --live; }
};
} // namespace

TEST_CASE("result: fill_in_place builds the value where it lives, or holds the fill's error")
{
    tracked::live = 0;
    tracked::moves = 0;
    {
        auto ok = result<tracked>{perc::fill_in_place, [](tracked& t) {
                                      CHECK(t.v == 7); // default-initialised: initialisers ran
                                      t.v = 42;
                                      return errc::ok;
                                  }};
        REQUIRE(ok.has_value());
        CHECK(ok->v == 42);
        CHECK(tracked::live == 1);
        CHECK(tracked::moves == 0);

        // A failing fill: the half-built value is destroyed, the error is kept.
        auto bad = result<tracked>{perc::fill_in_place, [](tracked& t) {
                                       t.v = 1;
                                       return errc::auth_failed;
                                   }};
        CHECK_FALSE(bad.has_value());
        CHECK(bad.error() == errc::auth_failed);
        CHECK(tracked::live == 1); // only `ok`'s value is alive
    }
    CHECK(tracked::live == 0);
}

TEST_CASE("result: in_place constructs from the factory's prvalue without a move")
{
    tracked::live = 0;
    tracked::moves = 0;
    {
        auto r = result<tracked>{std::in_place, [] { return tracked{}; }};
        REQUIRE(r.has_value());
        CHECK(r->v == 7);
        CHECK(tracked::live == 1);
        CHECK(tracked::moves == 0); // guaranteed copy elision into the result
    }
    CHECK(tracked::live == 0);
}
