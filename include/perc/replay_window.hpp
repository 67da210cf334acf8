// perc — sliding replay window (RFC 3711 §3.3.2).
#pragma once

#include <perc/errc.hpp>

#include <array>
#include <cstddef>
#include <cstdint>

namespace perc {

/// Remembers which of the last `Bits` indices were received and authenticated.
/// RFC 3711 §3.3.2: the window MUST hold at least 64 indices; anything more than the window
/// behind the highest index is treated as already received.
/// Implemented as a ring of bits indexed by (index mod Bits): in-order traffic costs O(1).
/// check() is const; only commit() (after authentication) changes state.
template <std::size_t Bits = 128>
class replay_window {
    static_assert(Bits >= 64, "RFC 3711 §3.3.2: SRTP-WINDOW-SIZE MUST be at least 64");
    static_assert((Bits & (Bits - 1)) == 0, "window size must be a power of two");
    static constexpr std::size_t words = Bits / 64;

public:
    static constexpr std::size_t size = Bits;

    /// errc::ok if `index` may be accepted, errc::replayed if seen, errc::too_old if it is
    /// at least `Bits` behind the highest index committed.
    constexpr errc check(std::uint64_t index) const noexcept
    {
        if (!started_ || index > top_) return errc::ok;
        if (top_ - index >= Bits) return errc::too_old;
        return bit(index) ? errc::replayed : errc::ok;
    }

    /// Records `index` as received (call only after it authenticated and check() passed).
    /// An index already behind the window is ignored: its ring slot belongs to a newer index.
    constexpr void commit(std::uint64_t index) noexcept
    {
        // In order (index == top + 1, nearly every packet): nothing to clear. Apart from the
        // rest so that this part inlines into the per-packet paths.
        if (started_ && index == top_ + 1) {
            top_ = index;
            set(index);
            return;
        }
        commit_out_of_order(index);
    }

    /// Forgets everything (e.g. on an explicit ROC reset of a late-joined stream).
    constexpr void reset() noexcept
    {
        started_ = false;
        top_ = 0;
        bits_ = {};
    }

    constexpr bool empty() const noexcept { return !started_; }
    constexpr std::uint64_t highest() const noexcept { return top_; }

private:
    constexpr void commit_out_of_order(std::uint64_t index) noexcept
    {
        if (!started_) {
            started_ = true;
            bits_ = {};
            top_ = index;
        } else if (index > top_) {
            // The slots of the indices skipped over are cleared; the new top's own slot is
            // set below.
            if (index - top_ >= Bits) {
                bits_ = {};
            } else {
                for (std::uint64_t i = top_ + 1; i < index; ++i) clear(i);
            }
            top_ = index;
        } else if (top_ - index >= Bits) {
            return;
        }
        set(index);
    }

    static constexpr std::size_t slot(std::uint64_t i) noexcept
    {
        return static_cast<std::size_t>(i & (Bits - 1));
    }
    constexpr bool bit(std::uint64_t i) const noexcept
    {
        return ((bits_[slot(i) / 64] >> (slot(i) % 64)) & 1u) != 0;
    }
    constexpr void set(std::uint64_t i) noexcept
    {
        bits_[slot(i) / 64] |= std::uint64_t{1} << (slot(i) % 64);
    }
    constexpr void clear(std::uint64_t i) noexcept
    {
        bits_[slot(i) / 64] &= ~(std::uint64_t{1} << (slot(i) % 64));
    }

    std::array<std::uint64_t, words> bits_{};
    std::uint64_t top_ = 0;
    bool started_ = false;
};

} // namespace perc
