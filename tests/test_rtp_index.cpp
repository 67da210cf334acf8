// SRTP packet index i = 2^16·ROC + SEQ and the receiver's ROC estimate (RFC 3711 §3.3.1,
// Appendix A), with the state update applied only after authentication (§3.3 step 7).
#include <perc/rtp_index.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

using namespace perc_test;
using perc::errc;
using perc::rtp_index_tracker;

namespace {

// RFC 3711 Appendix A pseudocode (rfc3711 digest §4), written out literally, with the §3.3.1
// update rules. ROC ± 1 wrap mod 2^32 here; the edge behaviour is tested separately.
struct reference_index {
    std::uint32_t roc = 0;
    std::uint16_t s_l = 0;
    bool started = false;

    std::uint64_t estimate(std::uint16_t seq) const
    {
        if (!started) return (std::uint64_t{roc} << 16) | seq;
        const auto seq_i = static_cast<std::int32_t>(seq);
        const auto s_l_i = static_cast<std::int32_t>(s_l);
        std::uint32_t v;
        if (s_l < 32768) {
            if (seq_i - s_l_i > 32768) v = roc - 1;
            else v = roc;
        } else {
            if (s_l_i - 32768 > seq_i) v = roc + 1;
            else v = roc;
        }
        return (std::uint64_t{v} << 16) | seq;
    }
    void update(std::uint64_t i)
    {
        const auto v = static_cast<std::uint32_t>(i >> 16);
        const auto seq = static_cast<std::uint16_t>(i);
        if (!started) {
            started = true;
            roc = v;
            s_l = seq;
        } else if (v == roc + 1) {
            roc = v;
            s_l = seq;
        } else if (v == roc && seq > s_l) {
            s_l = seq;
        } // v == ROC − 1: no change
    }
};

// A tracker that has committed one packet (roc, s_l).
rtp_index_tracker tracker_at(std::uint32_t roc, std::uint16_t s_l)
{
    rtp_index_tracker t;
    t.set_roc(roc);
    t.commit(perc::srtp_index(roc, s_l));
    return t;
}

constexpr std::uint64_t idx(std::uint32_t roc, std::uint16_t seq)
{
    return perc::srtp_index(roc, seq);
}

} // namespace

// RFC 3711 §3.3.1: i = 2^16 · ROC + SEQ (48 bits).
static_assert(perc::srtp_index(0, 0) == 0);
static_assert(perc::srtp_index(1, 0) == 0x10000);
static_assert(perc::srtp_index(0x12345678, 0x9abc) == 0x123456789abcull);
static_assert(perc::srtp_index(0xFFFFFFFFu, 0xFFFF) == 0xFFFFFFFFFFFFull);
static_assert(perc::index_roc(0x123456789abcull) == 0x12345678u);
static_assert(perc::index_seq(0x123456789abcull) == 0x9abc);
static_assert([] {
    rtp_index_tracker t;
    t.commit(idx(3, 65535));
    return t.estimate(0).value() == idx(4, 0) && t.estimate(65000).value() == idx(3, 65000);
}());

TEST_CASE("RFC 3711 §3.3.1: before the first packet the index is ROC || SEQ")
{
    rtp_index_tracker t;
    CHECK(!t.started());
    CHECK(t.roc() == 0);
    for (std::uint32_t seq : {0u, 1u, 32767u, 32768u, 65535u})
        CHECK(t.estimate(static_cast<std::uint16_t>(seq)).value() == seq);
    t.set_roc(7);
    CHECK(t.estimate(40000).value() == idx(7, 40000));
    t.set_roc(0xFFFFFFFFu);
    CHECK(t.estimate(65535).value() == idx(0xFFFFFFFFu, 65535));
    // The first commit initialises s_l to its SEQ (§3.3.1).
    t.set_roc(2);
    t.commit(idx(2, 50000));
    CHECK(t.started());
    CHECK(t.roc() == 2);
    CHECK(t.highest_seq() == 50000);
}

TEST_CASE("RFC 3711 Appendix A: s_l < 2^15, SEQ − s_l > 2^15 -> ROC − 1")
{
    const auto t = tracker_at(5, 100);
    CHECK(t.estimate(100 + 32769).value() == idx(4, 100 + 32769));
    CHECK(t.estimate(65535).value() == idx(4, 65535));
    // Exactly 2^15 ahead is still ROC.
    CHECK(t.estimate(100 + 32768).value() == idx(5, 100 + 32768));
    // Behind or moderately ahead: ROC.
    CHECK(t.estimate(0).value() == idx(5, 0));
    CHECK(t.estimate(99).value() == idx(5, 99));
    CHECK(t.estimate(101).value() == idx(5, 101));
    // s_l = 0 and s_l = 32767 (the largest value of this branch).
    const auto t0 = tracker_at(5, 0);
    CHECK(t0.estimate(32768).value() == idx(5, 32768));
    CHECK(t0.estimate(32769).value() == idx(4, 32769));
    const auto t1 = tracker_at(5, 32767);
    CHECK(t1.estimate(65535).value() == idx(5, 65535));
    CHECK(t1.estimate(0).value() == idx(5, 0));
}

TEST_CASE("RFC 3711 Appendix A: s_l ≥ 2^15, s_l − 2^15 > SEQ -> ROC + 1")
{
    const auto t = tracker_at(5, 40000);
    CHECK(t.estimate(7231).value() == idx(6, 7231));
    CHECK(t.estimate(0).value() == idx(6, 0));
    // s_l − 2^15 == SEQ: ROC.
    CHECK(t.estimate(7232).value() == idx(5, 7232));
    CHECK(t.estimate(39999).value() == idx(5, 39999));
    CHECK(t.estimate(65535).value() == idx(5, 65535));
    // s_l = 32768 (the smallest value of this branch): SEQ is never < 0, so always ROC.
    const auto t1 = tracker_at(5, 32768);
    CHECK(t1.estimate(0).value() == idx(5, 0));
    // s_l = 65535: SEQ 0..32766 is after the wrap.
    const auto t2 = tracker_at(5, 65535);
    CHECK(t2.estimate(0).value() == idx(6, 0));
    CHECK(t2.estimate(32766).value() == idx(6, 32766));
    CHECK(t2.estimate(32767).value() == idx(5, 32767));
}

TEST_CASE("RFC 3711 Appendix A: every SEQ against the literal pseudocode, for many s_l")
{
    for (const std::uint32_t s_l :
         {0u, 1u, 100u, 16384u, 32767u, 32768u, 32769u, 40000u, 65534u, 65535u}) {
        const auto t = tracker_at(1000, static_cast<std::uint16_t>(s_l));
        reference_index ref;
        ref.update(idx(1000, static_cast<std::uint16_t>(s_l)));
        std::size_t mismatches = 0;
        for (std::uint32_t seq = 0; seq <= 0xFFFF; ++seq) {
            const auto s = static_cast<std::uint16_t>(seq);
            const auto e = t.estimate(s);
            if (!e || *e != ref.estimate(s)) ++mismatches;
        }
        CAPTURE(s_l);
        CHECK(mismatches == 0);
    }
}

TEST_CASE("RFC 3711 §3.3.1: ROC + 1 when SEQ wraps, in order")
{
    rtp_index_tracker t;
    std::uint64_t expected = idx(0, 65530);
    for (int k = 0; k < 20; ++k, ++expected) {
        const auto seq = perc::index_seq(expected);
        const auto e = t.estimate(seq);
        REQUIRE(e);
        CHECK(*e == expected);
        t.commit(*e);
        CHECK(t.roc() == perc::index_roc(expected));
        CHECK(t.highest_seq() == seq);
    }
    CHECK(t.roc() == 1);
}

TEST_CASE("RFC 3711 §3.3.1: a late packet from before the wrap gets ROC − 1 and changes nothing")
{
    rtp_index_tracker t = tracker_at(0, 65533);
    t.commit(t.estimate(2).value()); // wrapped: ROC 1, s_l 2
    REQUIRE(t.roc() == 1);
    REQUIRE(t.highest_seq() == 2);
    const auto late = t.estimate(65534);
    REQUIRE(late);
    CHECK(*late == idx(0, 65534));
    t.commit(*late);
    CHECK(t.roc() == 1);
    CHECK(t.highest_seq() == 2);
}

TEST_CASE("RFC 3711 §3.3.1: commit rules for v = ROC − 1, ROC, ROC + 1")
{
    SUBCASE("v = ROC, SEQ > s_l: s_l := SEQ")
    {
        auto t = tracker_at(9, 1000);
        t.commit(idx(9, 1001));
        CHECK(t.roc() == 9);
        CHECK(t.highest_seq() == 1001);
    }
    SUBCASE("v = ROC, SEQ <= s_l: no change")
    {
        auto t = tracker_at(9, 1000);
        t.commit(idx(9, 999));
        CHECK(t.highest_seq() == 1000);
        t.commit(idx(9, 1000));
        CHECK(t.highest_seq() == 1000);
        CHECK(t.roc() == 9);
    }
    SUBCASE("v = ROC + 1: ROC := v, s_l := SEQ (even if SEQ < s_l)")
    {
        auto t = tracker_at(9, 60000);
        t.commit(idx(10, 5));
        CHECK(t.roc() == 10);
        CHECK(t.highest_seq() == 5);
    }
    SUBCASE("v = ROC − 1: no change")
    {
        auto t = tracker_at(9, 10);
        t.commit(idx(8, 65000));
        CHECK(t.roc() == 9);
        CHECK(t.highest_seq() == 10);
    }
    SUBCASE("estimate() is const and never changes state")
    {
        const auto t = tracker_at(9, 10);
        for (std::uint32_t s = 0; s <= 0xFFFF; s += 97)
            (void)t.estimate(static_cast<std::uint16_t>(s));
        CHECK(t.roc() == 9);
        CHECK(t.highest_seq() == 10);
        CHECK(t.started());
    }
}

TEST_CASE("RFC 3711 §3.3.1: ROC = 0 cannot go back -> too_old")
{
    const auto t = tracker_at(0, 10);
    CHECK(t.estimate(10 + 32769).error() == errc::too_old);
    CHECK(t.estimate(65535).error() == errc::too_old);
    CHECK(t.estimate(10 + 32768).value() == idx(0, 10 + 32768));
    // Same SEQ with ROC 1: ROC − 1 = 0 is fine.
    const auto t1 = tracker_at(1, 10);
    CHECK(t1.estimate(65535).value() == idx(0, 65535));
}

TEST_CASE("RFC 3711 §3.3.1 / RFC 7714 §13: ROC = 2^32 − 1 cannot go forward -> index_exhausted")
{
    const auto t = tracker_at(0xFFFFFFFFu, 65000);
    CHECK(t.estimate(5).error() == errc::index_exhausted);
    CHECK(t.estimate(65000 - 32769).error() == errc::index_exhausted);
    CHECK(t.estimate(65000 - 32768).value() == idx(0xFFFFFFFFu, 65000 - 32768));
    CHECK(t.estimate(65535).value() == idx(0xFFFFFFFFu, 65535));
    // ROC − 1 still works at the top.
    const auto t2 = tracker_at(0xFFFFFFFFu, 5);
    CHECK(t2.estimate(40000).value() == idx(0xFFFFFFFEu, 40000));
    // A commit that would wrap the ROC is ignored rather than wrapping to 0.
    auto t3 = tracker_at(0xFFFFFFFFu, 65000);
    t3.commit(idx(0, 5));
    CHECK(t3.roc() == 0xFFFFFFFFu);
    CHECK(t3.highest_seq() == 65000);
}

TEST_CASE("RFC 3711 §3.3.1: set_roc for a late joiner restarts s_l from the next packet")
{
    auto t = tracker_at(3, 60000);
    t.set_roc(500);
    CHECK(!t.started());
    CHECK(t.roc() == 500);
    CHECK(t.highest_seq() == 0);
    // No s_l yet: even SEQ far from 60000 maps to ROC 500.
    CHECK(t.estimate(10).value() == idx(500, 10));
    t.commit(idx(500, 10));
    CHECK(t.highest_seq() == 10);
    CHECK(t.estimate(32778).value() == idx(500, 32778));
    CHECK(t.estimate(32779).value() == idx(499, 32779));
}

TEST_CASE("RFC 3711 §3.3.1: random sequences with bounded reordering match Appendix A and the "
          "sender's index")
{
    rng r{0xA11CE};
    for (const std::uint32_t max_delay : {1u, 64u, 1000u, 12000u, 30000u}) {
        // Sender: consecutive indices from a random start; receiver: delivery time
        // k + jitter (jitter < max_delay), about 5% lost. Reordering stays below 2^15 (§3.3.1).
        const std::uint64_t start = idx(1 + r.below(1000), static_cast<std::uint16_t>(r.next()));
        const std::size_t count = 250000;
        std::vector<std::pair<std::uint64_t, std::uint64_t>> arrivals; // (time, index)
        arrivals.reserve(count);
        arrivals.emplace_back(0, start); // the first packet arrives first
        for (std::size_t k = 1; k < count; ++k) {
            if (r.below(100) < 5) continue;
            arrivals.emplace_back(k + r.below(max_delay), start + k);
        }
        std::stable_sort(arrivals.begin(), arrivals.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });

        rtp_index_tracker t;
        reference_index ref;
        t.set_roc(perc::index_roc(start));
        ref.roc = perc::index_roc(start);
        std::size_t wrong_vs_ref = 0, wrong_vs_sender = 0, errors = 0;
        for (const auto& a : arrivals) {
            const std::uint16_t seq = perc::index_seq(a.second);
            const auto e = t.estimate(seq);
            if (!e) {
                ++errors;
                continue;
            }
            if (*e != ref.estimate(seq)) ++wrong_vs_ref;
            if (*e != a.second) ++wrong_vs_sender;
            t.commit(*e);
            ref.update(*e);
            if (t.roc() != ref.roc || t.highest_seq() != ref.s_l) ++wrong_vs_ref;
        }
        CAPTURE(max_delay);
        CHECK(errors == 0);
        CHECK(wrong_vs_ref == 0);
        CHECK(wrong_vs_sender == 0);
        CHECK(t.roc() >= perc::index_roc(start) + 3); // crossed several wraps
    }
}
