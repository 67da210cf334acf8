// perc — fixed-capacity SSRC -> stream map with O(1) expected lookup.
#pragma once

#include <perc/errc.hpp>
#include <perc/result.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <utility>

namespace perc {

/// Open addressing with linear probing and backward-shift deletion. The slot array is
/// allocated once by reserve() (key setup time); find/insert/erase never allocate.
/// Capacity is at least twice max_streams, so probe sequences stay short.
/// Entries are created only for authenticated traffic (srtp_session does that), so a peer
/// without keys cannot fill or cluster the table.
/// Thread safety: distinct objects safe; one object is not.
template <class T>
class stream_table {
    struct slot {
        std::uint32_t key = 0;
        bool used = false;
        T value{};
    };

public:
    stream_table() noexcept = default;
    stream_table(stream_table&&) noexcept = default;
    stream_table& operator=(stream_table&&) noexcept = default;

    /// Allocates room for `max_streams` streams, dropping any existing entries.
    /// Errors: invalid_argument (0 or more than 2^24), backend_failure (allocation failed).
    errc reserve(std::size_t max_streams) noexcept
    {
        if (max_streams == 0 || max_streams > (std::size_t{1} << 24)) return errc::invalid_argument;
        std::size_t cap = 4;
        unsigned bits = 2;
        while (cap < 2 * max_streams) {
            cap *= 2;
            ++bits;
        }
        std::unique_ptr<slot[]> s{new (std::nothrow) slot[cap]};
        if (!s) return errc::backend_failure;
        slots_ = std::move(s);
        mask_ = cap - 1;
        shift_ = 64 - bits;
        max_ = max_streams;
        size_ = 0;
        return errc::ok;
    }

    std::size_t size() const noexcept { return size_; }
    std::size_t max_size() const noexcept { return max_; }
    bool full() const noexcept { return size_ >= max_; }

    T* find(std::uint32_t ssrc) noexcept
    {
        if (!slots_) return nullptr;
        for (std::size_t i = home(ssrc);; i = (i + 1) & mask_) {
            slot& s = slots_[i];
            if (!s.used) return nullptr;
            if (s.key == ssrc) return &s.value;
        }
    }
    const T* find(std::uint32_t ssrc) const noexcept
    {
        return const_cast<stream_table*>(this)->find(ssrc);
    }

    /// Inserts `value` for `ssrc`. Errors: stream_exists, stream_table_full.
    result<T*> insert(std::uint32_t ssrc, T value) noexcept
    {
        if (!slots_ || full()) return errc::stream_table_full;
        for (std::size_t i = home(ssrc);; i = (i + 1) & mask_) {
            slot& s = slots_[i];
            if (s.used && s.key == ssrc) return errc::stream_exists;
            if (!s.used) {
                s.key = ssrc;
                s.used = true;
                s.value = std::move(value);
                ++size_;
                return &s.value;
            }
        }
    }

    /// Runs `op(T&)` on the entry of `ssrc`. For an unknown SSRC with `create` set, `op` runs
    /// on a fresh T that is inserted only if op's result converts to true, so a failed
    /// operation never adds an entry; the table is checked for room BEFORE op runs, so an
    /// operation is never done and then refused. `op` returns a result<U>.
    /// Errors (besides op's): no_stream (unknown and !create), stream_table_full.
    template <class Op>
    auto apply(std::uint32_t ssrc, bool create, Op&& op) noexcept
        -> decltype(op(std::declval<T&>()))
    {
        if (T* v = find(ssrc)) return op(*v);
        if (!create) return errc::no_stream;
        if (full()) return errc::stream_table_full;
        T fresh{};
        auto r = op(fresh);
        if (r) (void)insert(ssrc, std::move(fresh));
        return r;
    }

    /// Removes `ssrc`; returns whether it was present.
    bool erase(std::uint32_t ssrc) noexcept
    {
        if (!slots_) return false;
        std::size_t i = home(ssrc);
        while (true) {
            if (!slots_[i].used) return false;
            if (slots_[i].key == ssrc) break;
            i = (i + 1) & mask_;
        }
        // Backward shift: move later members of the cluster into the hole when their home
        // position does not lie cyclically in (hole, j].
        std::size_t hole = i;
        for (std::size_t j = (i + 1) & mask_; slots_[j].used; j = (j + 1) & mask_) {
            const std::size_t h = home(slots_[j].key);
            const bool stays = hole <= j ? (hole < h && h <= j) : (hole < h || h <= j);
            if (!stays) {
                slots_[hole] = std::move(slots_[j]);
                hole = j;
            }
        }
        slots_[hole] = slot{};
        --size_;
        return true;
    }

    /// Calls f(ssrc, T&) for every entry.
    template <class F>
    void for_each(F&& f) noexcept
    {
        if (!slots_) return;
        for (std::size_t i = 0; i <= mask_; ++i)
            if (slots_[i].used) f(slots_[i].key, slots_[i].value);
    }

private:
    std::size_t home(std::uint32_t ssrc) const noexcept
    {
        // Fibonacci hashing: the top bits of ssrc · 2^64/φ. One multiply on the lookup's
        // critical path (a Murmur3 finaliser took two and three shift/xor steps); SSRCs
        // with shared structure (sequential ones) still spread over the table. Entries
        // exist only for authenticated streams, so an attacker cannot aim collisions.
        return static_cast<std::size_t>((std::uint64_t{ssrc} * 0x9E3779B97F4A7C15u) >> shift_);
    }

    std::unique_ptr<slot[]> slots_;
    std::size_t mask_ = 0;
    unsigned shift_ = 63; // 64 − log2(capacity)
    std::size_t max_ = 0;
    std::size_t size_ = 0;
};

} // namespace perc
