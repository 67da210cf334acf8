// Fixed-capacity SSRC -> stream map (RFC 3711 §3.2.3: a context per SSRC; unknown SSRC -> no
// context). Open addressing with backward-shift deletion, checked against std::unordered_map.
#include <perc/stream_table.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

using namespace perc_test;
using perc::errc;
using perc::stream_table;

namespace {

struct payload {
    std::uint32_t a = 0;
    std::uint64_t b = 0;
};

// Compares every key of `pool` and the full contents against the reference map.
bool same(stream_table<payload>& t, const std::unordered_map<std::uint32_t, payload>& ref,
          const std::vector<std::uint32_t>& pool)
{
    if (t.size() != ref.size()) return false;
    for (std::uint32_t k : pool) {
        const payload* p = t.find(k);
        const auto it = ref.find(k);
        if ((p != nullptr) != (it != ref.end())) return false;
        if (p != nullptr && (p->a != it->second.a || p->b != it->second.b)) return false;
    }
    std::size_t visited = 0;
    bool ok = true;
    t.for_each([&](std::uint32_t k, payload& v) {
        ++visited;
        const auto it = ref.find(k);
        if (it == ref.end() || it->second.a != v.a || it->second.b != v.b) ok = false;
    });
    return ok && visited == ref.size();
}

} // namespace

static_assert(std::is_nothrow_move_constructible_v<stream_table<payload>>);
static_assert(std::is_nothrow_move_assignable_v<stream_table<payload>>);
static_assert(!std::is_copy_constructible_v<stream_table<payload>>);

TEST_CASE("stream_table: reserve() argument errors")
{
    stream_table<payload> t;
    CHECK(t.reserve(0) == errc::invalid_argument);
    CHECK(t.reserve((std::size_t{1} << 24) + 1) == errc::invalid_argument);
    CHECK(t.reserve(~std::size_t{0}) == errc::invalid_argument);
    CHECK(t.max_size() == 0);
    CHECK(t.reserve(1) == errc::ok);
    CHECK(t.max_size() == 1);
    CHECK(t.size() == 0);
}

TEST_CASE("stream_table: before reserve() nothing is found and nothing fits")
{
    stream_table<payload> t;
    CHECK(t.find(1) == nullptr);
    const stream_table<payload>& ct = t;
    CHECK(ct.find(1) == nullptr);
    CHECK(t.insert(1, payload{}).error() == errc::stream_table_full);
    CHECK(!t.erase(1));
    CHECK(t.size() == 0);
    int visits = 0;
    t.for_each([&](std::uint32_t, payload&) { ++visits; });
    CHECK(visits == 0);
}

TEST_CASE("RFC 3711 §3.2.3: insert, find, erase; a known SSRC is stream_exists")
{
    stream_table<payload> t;
    REQUIRE(t.reserve(8) == errc::ok);
    const auto r = t.insert(0x5501a0b2, payload{1, 2});
    REQUIRE(r);
    CHECK((*r)->a == 1);
    CHECK(t.find(0x5501a0b2) == *r);
    CHECK(t.size() == 1);
    CHECK(t.insert(0x5501a0b2, payload{3, 4}).error() == errc::stream_exists);
    CHECK(t.find(0x5501a0b2)->a == 1); // unchanged
    // SSRC 0 and 2^32 − 1 are ordinary keys.
    REQUIRE(t.insert(0, payload{10, 0}));
    REQUIRE(t.insert(0xFFFFFFFFu, payload{11, 0}));
    CHECK(t.find(0)->a == 10);
    CHECK(t.find(0xFFFFFFFFu)->a == 11);
    CHECK(t.find(12345) == nullptr);
    // The returned pointer writes through.
    t.find(0)->b = 99;
    const stream_table<payload>& ct = t;
    CHECK(ct.find(0)->b == 99);

    CHECK(t.erase(0x5501a0b2));
    CHECK(!t.erase(0x5501a0b2));
    CHECK(t.find(0x5501a0b2) == nullptr);
    CHECK(t.size() == 2);
    CHECK(t.find(0)->a == 10);
    CHECK(t.find(0xFFFFFFFFu)->a == 11);
}

TEST_CASE("stream_table: a full table refuses new SSRCs until one is erased")
{
    stream_table<payload> t;
    REQUIRE(t.reserve(3) == errc::ok);
    REQUIRE(t.insert(1, payload{1, 0}));
    REQUIRE(t.insert(2, payload{2, 0}));
    CHECK(!t.full());
    REQUIRE(t.insert(3, payload{3, 0}));
    CHECK(t.full());
    CHECK(t.insert(4, payload{4, 0}).error() == errc::stream_table_full);
    CHECK(t.size() == 3);
    CHECK(t.find(4) == nullptr);
    CHECK(t.erase(2));
    CHECK(!t.full());
    REQUIRE(t.insert(4, payload{4, 0}));
    CHECK(t.find(4)->a == 4);
    CHECK(t.find(1)->a == 1);
    CHECK(t.find(3)->a == 3);
}

TEST_CASE("stream_table: reserve() again drops all entries")
{
    stream_table<payload> t;
    REQUIRE(t.reserve(4) == errc::ok);
    REQUIRE(t.insert(7, payload{7, 0}));
    REQUIRE(t.reserve(16) == errc::ok);
    CHECK(t.size() == 0);
    CHECK(t.find(7) == nullptr);
    CHECK(t.max_size() == 16);
}

TEST_CASE("stream_table: moving keeps the entries")
{
    stream_table<payload> t;
    REQUIRE(t.reserve(4) == errc::ok);
    REQUIRE(t.insert(7, payload{70, 0}));
    stream_table<payload> u = std::move(t);
    REQUIRE(u.find(7) != nullptr);
    CHECK(u.find(7)->a == 70);
    stream_table<payload> w;
    w = std::move(u);
    CHECK(w.find(7)->a == 70);
    CHECK(w.size() == 1);
}

TEST_CASE("stream_table: random insert/erase/find matches std::unordered_map")
{
    rng r{0x7AB1E};
    // Small tables and key pools several times the capacity: long probe clusters, wrap-around
    // at the end of the slot array, and many backward shifts.
    for (const std::size_t max : {1u, 2u, 3u, 5u, 8u, 13u, 64u, 200u}) {
        stream_table<payload> t;
        REQUIRE(t.reserve(max) == errc::ok);
        std::unordered_map<std::uint32_t, payload> ref;
        std::vector<std::uint32_t> pool;
        for (std::size_t i = 0; i < 3 * max + 4; ++i)
            pool.push_back(static_cast<std::uint32_t>(r.next()));
        pool.push_back(0);
        std::size_t mismatches = 0, inserts = 0, erases = 0, fulls = 0;
        for (int op = 0; op < 40000; ++op) {
            const std::uint32_t k = pool[r.below(static_cast<std::uint32_t>(pool.size()))];
            if (r.below(2) == 0) {
                const payload v{k ^ 0xABCDu, static_cast<std::uint64_t>(op)};
                const auto res = t.insert(k, v);
                errc expected = errc::ok;
                if (ref.size() >= max) expected = errc::stream_table_full;
                else if (ref.count(k) != 0) expected = errc::stream_exists;
                if (res.error() != expected) ++mismatches;
                if (res) {
                    ref.emplace(k, v);
                    ++inserts;
                    if (*res != t.find(k)) ++mismatches;
                }
                if (expected == errc::stream_table_full) ++fulls;
            } else {
                const bool had = ref.erase(k) != 0;
                if (t.erase(k) != had) ++mismatches;
                if (had) ++erases;
            }
            if (op % 97 == 0 && !same(t, ref, pool)) ++mismatches;
            if (t.full() != (ref.size() >= max)) ++mismatches;
        }
        CAPTURE(max);
        CHECK(mismatches == 0);
        CHECK(same(t, ref, pool));
        CHECK(inserts > 1000);
        CHECK(erases > 1000);
        CHECK(fulls > 0);
    }
}
