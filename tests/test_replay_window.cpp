// Sliding replay window, RFC 3711 §3.3.2: window ≥ 64; an index ahead of the window or inside
// it and unseen is accepted; one seen, or more than the window behind the highest, is not.
// Check before authentication, update only after (§3.3 steps 5 and 7).
#include <perc/replay_window.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <type_traits>
#include <vector>

using namespace perc_test;
using perc::errc;

namespace {

// Straightforward model of RFC 3711 §3.3.2: the set of received indices and the highest.
template <std::size_t Bits>
struct reference_window {
    std::set<std::uint64_t> seen;
    std::uint64_t top = 0;

    errc check(std::uint64_t i) const
    {
        if (seen.empty() || i > top) return errc::ok;
        if (top - i >= Bits) return errc::too_old;
        return seen.count(i) != 0 ? errc::replayed : errc::ok;
    }
    void commit(std::uint64_t i)
    {
        if (seen.empty() || i > top) top = i;
        seen.insert(i);
        // Forget what can no longer matter, to keep the model small.
        while (!seen.empty() && top - *seen.begin() >= Bits) seen.erase(seen.begin());
    }
};

// Observable state of a window around `centre`: check() of every index nearby.
template <class W>
std::vector<errc> snapshot(const W& w, std::uint64_t centre)
{
    std::vector<errc> v;
    const std::uint64_t lo = centre > W::size + 8 ? centre - W::size - 8 : 0;
    for (std::uint64_t i = lo; i <= centre + 8; ++i) v.push_back(w.check(i));
    return v;
}

constexpr bool constexpr_window_works()
{
    perc::replay_window<64> w;
    if (w.check(10) != errc::ok) return false;
    w.commit(10);
    w.commit(8);
    return w.check(10) == errc::replayed && w.check(8) == errc::replayed &&
           w.check(9) == errc::ok && w.check(11) == errc::ok && w.highest() == 10;
}

} // namespace

// RFC 3711 §3.3.2 window arithmetic is usable at compile time.
static_assert(constexpr_window_works());
static_assert(perc::replay_window<>::size == 128);
static_assert(perc::replay_window<1024>::size == 1024);
// check() is const (cannot change state); commit() is the only mutator besides reset().
static_assert(std::is_same_v<decltype(&perc::replay_window<64>::check),
                             errc (perc::replay_window<64>::*)(std::uint64_t) const noexcept>);

TEST_CASE_TEMPLATE("RFC 3711 §3.3.2: an empty window accepts anything", W, perc::replay_window<64>,
                   perc::replay_window<128>, perc::replay_window<1024>)
{
    const W w;
    CHECK(w.empty());
    CHECK(w.check(0) == errc::ok);
    CHECK(w.check(1) == errc::ok);
    CHECK(w.check((std::uint64_t{1} << 48) - 1) == errc::ok);
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.2: in-order indices, then each is a replay", W,
                   perc::replay_window<64>, perc::replay_window<128>, perc::replay_window<1024>)
{
    W w;
    for (std::uint64_t i = 0; i < 3 * W::size; ++i) {
        CAPTURE(i);
        REQUIRE(w.check(i) == errc::ok);
        w.commit(i);
        CHECK(!w.empty());
        CHECK(w.highest() == i);
        CHECK(w.check(i) == errc::replayed);
        if (i >= 1) CHECK(w.check(i - 1) == errc::replayed);
        CHECK(w.check(i + 1) == errc::ok);
    }
    const std::uint64_t top = 3 * W::size - 1;
    for (std::uint64_t back = 0; back < W::size; ++back)
        CHECK(w.check(top - back) == errc::replayed);
    CHECK(w.check(top - W::size) == errc::too_old);
    CHECK(w.check(0) == errc::too_old);
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.2: reordered within the window; exactly the window behind is "
                   "too old",
                   W, perc::replay_window<64>, perc::replay_window<128>, perc::replay_window<1024>)
{
    constexpr std::uint64_t n = W::size;
    W w;
    const std::uint64_t top = 5000;
    w.commit(top);
    // Every index from top − (n − 1) to top − 1 is inside the window and unseen.
    for (std::uint64_t i = top - (n - 1); i < top; ++i) CHECK(w.check(i) == errc::ok);
    CHECK(w.check(top - n) == errc::too_old);
    CHECK(w.check(top - n - 1) == errc::too_old);
    CHECK(w.check(0) == errc::too_old);
    // Receive them in reverse order; each becomes a replay, the rest stay acceptable.
    for (std::uint64_t i = top - 1; i >= top - (n - 1); --i) {
        CAPTURE(i);
        REQUIRE(w.check(i) == errc::ok);
        w.commit(i);
        CHECK(w.check(i) == errc::replayed);
        CHECK(w.highest() == top);
        if (i > top - (n - 1)) CHECK(w.check(i - 1) == errc::ok);
    }
    CHECK(w.check(top - n) == errc::too_old);
    // Moving the top by one pushes the oldest out of the window.
    w.commit(top + 1);
    CHECK(w.check(top - (n - 1)) == errc::too_old);
    CHECK(w.check(top - (n - 2)) == errc::replayed);
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.2: check() never changes state", W, perc::replay_window<64>,
                   perc::replay_window<128>, perc::replay_window<1024>)
{
    W w;
    for (std::uint64_t i : {100u, 90u, 101u, 103u, 50u}) w.commit(i);
    const auto before = snapshot(w, 103);
    rng r{7};
    for (int k = 0; k < 5000; ++k) (void)w.check(r.below(5000));
    CHECK(snapshot(w, 103) == before);
    CHECK(w.highest() == 103);
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.2: jumps ahead clear the slots they pass", W,
                   perc::replay_window<64>, perc::replay_window<128>, perc::replay_window<1024>)
{
    constexpr std::uint64_t n = W::size;
    SUBCASE("jump of exactly the window size clears everything")
    {
        W w;
        for (std::uint64_t i = 0; i < n; ++i) w.commit(i);
        w.commit(n - 1 + n);
        CHECK(w.highest() == 2 * n - 1);
        for (std::uint64_t i = n; i < 2 * n - 1; ++i) CHECK(w.check(i) == errc::ok);
        CHECK(w.check(n - 1) == errc::too_old);
        CHECK(w.check(2 * n - 1) == errc::replayed);
    }
    SUBCASE("jump of window − 1 keeps the newest old index")
    {
        W w;
        for (std::uint64_t i = 0; i < n; ++i) w.commit(i);
        w.commit(n - 1 + (n - 1));
        CHECK(w.check(n - 1) == errc::replayed); // exactly n − 1 behind: still in the window
        CHECK(w.check(n - 2) == errc::too_old);
        for (std::uint64_t i = n; i < 2 * n - 2; ++i) CHECK(w.check(i) == errc::ok);
    }
    SUBCASE("a huge jump (2^40) and a jump across the ring")
    {
        W w;
        for (std::uint64_t i = 0; i < 10; ++i) w.commit(i);
        const std::uint64_t far = std::uint64_t{1} << 40;
        w.commit(far);
        CHECK(w.check(far) == errc::replayed);
        CHECK(w.check(far - 1) == errc::ok);
        CHECK(w.check(far - (n - 1)) == errc::ok);
        CHECK(w.check(far - n) == errc::too_old);
        // Same ring slots as 0..9: must not look received.
        for (std::uint64_t i = far + n; i < far + n + 10; ++i) CHECK(w.check(i) == errc::ok);
        w.commit(far + n + 3); // slot of 3, cleared by the advance
        CHECK(w.check(far + n + 2) == errc::ok);
        CHECK(w.check(far + n + 3) == errc::replayed);
    }
    SUBCASE("the first index may be anything, including 0 and 2^48 − 1")
    {
        W a;
        a.commit(0);
        CHECK(a.check(0) == errc::replayed);
        CHECK(a.check(1) == errc::ok);
        W b;
        const std::uint64_t last = (std::uint64_t{1} << 48) - 1;
        b.commit(last);
        CHECK(b.check(last) == errc::replayed);
        CHECK(b.check(last - 1) == errc::ok);
        CHECK(b.check(last - n) == errc::too_old);
    }
}

TEST_CASE_TEMPLATE("replay_window: reset() forgets everything", W, perc::replay_window<64>,
                   perc::replay_window<128>, perc::replay_window<1024>)
{
    W w;
    w.commit(1000);
    w.commit(999);
    w.reset();
    CHECK(w.empty());
    CHECK(w.highest() == 0);
    CHECK(w.check(1000) == errc::ok);
    CHECK(w.check(999) == errc::ok);
    CHECK(w.check(0) == errc::ok);
    w.commit(5);
    CHECK(w.check(5) == errc::replayed);
    CHECK(w.check(1000) == errc::ok);
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.2: equals a std::set model over a long random sequence", W,
                   perc::replay_window<64>, perc::replay_window<128>, perc::replay_window<1024>)
{
    constexpr std::uint64_t n = W::size;
    W w;
    reference_window<W::size> ref;
    rng r{0x5EED0000u + n};
    std::uint64_t next = 1000;
    std::vector<std::uint64_t> recent{next}; // recently committed, for exact replays
    std::size_t accepted = 0, replays = 0, old = 0;
    const auto upto = [&](std::uint64_t m) { return r.below(static_cast<std::uint32_t>(m)); };
    for (int k = 0; k < 60000; ++k) {
        std::uint64_t i = next;
        const std::uint32_t pick = r.below(100);
        if (pick < 45) i = next++;                                            // in order
        else if (pick < 65) i = next > 2 * n ? next - upto(2 * n) : next;     // late
        else if (pick < 75) i = next + upto(n);                               // early
        else if (pick < 85) i = recent[upto(recent.size())];                  // exact replay
        else if (pick < 97) i = next > 3 * n ? next - n - upto(8) + 4 : next; // window edge
        else {                                                                // big jump
            next += n + upto(4 * n);
            i = next;
        }
        const errc got = w.check(i);
        CAPTURE(k);
        CAPTURE(i);
        REQUIRE(got == ref.check(i));
        if (got == errc::replayed) ++replays;
        if (got == errc::too_old) ++old;
        // Commit only "authenticated" packets: a few acceptable ones fail authentication.
        if (got == errc::ok && r.below(10) != 0) {
            w.commit(i);
            ref.commit(i);
            ++accepted;
            if (i >= next) next = i + 1;
            if (recent.size() < 16) recent.push_back(i);
            else recent[upto(16)] = i;
        }
        if (k % 1000 == 0) {
            // Full comparison around the top.
            const std::uint64_t top = w.highest();
            CHECK(top == ref.top);
            const std::uint64_t lo = top > n + 4 ? top - n - 4 : 0;
            for (std::uint64_t j = lo; j <= top + 4; ++j) REQUIRE(w.check(j) == ref.check(j));
        }
    }
    // The sequence exercised every outcome.
    CHECK(accepted > 10000);
    CHECK(replays > 1000);
    CHECK(old > 100);
}
