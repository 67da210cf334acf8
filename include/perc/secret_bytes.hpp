// perc — secrets: wiped storage and constant-time comparison.
#pragma once

#include <perc/bytes.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace perc {

/// Overwrites `s` with zeros in a way the optimizer may not remove.
inline void secure_wipe(bytes_span s) noexcept
{
    // The stores cannot be dropped as dead: a compiler barrier after them claims to read the
    // memory. Up to 1 KiB (keystream batches, scratch blocks: the per-packet wipes) they are
    // 16-octet stores, each followed by a barrier so that GCC cannot fuse the loop into a
    // memset, which it expands as `rep stos` — whose start-up alone costs 3x the stores
    // (192 octets: ~13 ns against ~4 ns). Longer spans use memset at full width (a volatile
    // loop would store one octet per cycle).
    std::uint8_t* p = s.data();
    const std::size_t n = s.size();
    if (n >= 16 && n <= 1024) {
        const std::uint64_t zero[2] = {0, 0};
        for (std::size_t i = 0; i + 16 <= n; i += 16) {
            std::memcpy(p + i, zero, 16);
            asm volatile("" ::"r"(p) : "memory");
        }
        std::memcpy(p + n - 16, zero, 16); // the last n % 16 octets (overlapping)
    } else if (n != 0) {
        std::memset(p, 0, n);
    }
    asm volatile("" ::"r"(p) : "memory");
}

/// Constant-time equality of two equally long byte strings (time depends only on the size).
/// Different sizes compare unequal without inspecting content.
inline bool ct_equal(bytes_view a, bytes_view b) noexcept
{
    if (a.size() != b.size()) return false;
    std::uint8_t diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
    // Keep the compiler from turning the loop into an early exit.
    asm volatile("" : "+r"(diff));
    return diff == 0;
}

/// Fixed-size secret: wiped on destruction and on move-from, move-only,
/// no comparison or stream operators (it cannot be logged or compared by accident).
template <std::size_t N>
class secret_bytes {
public:
    static constexpr std::size_t size_bytes = N;

    secret_bytes() noexcept = default;
    explicit secret_bytes(std::span<const std::uint8_t, N> src) noexcept
    {
        for (std::size_t i = 0; i < N; ++i) data_[i] = src[i];
    }
    secret_bytes(const secret_bytes&) = delete;
    secret_bytes& operator=(const secret_bytes&) = delete;
    secret_bytes(secret_bytes&& o) noexcept
    {
        data_ = o.data_;
        o.wipe();
    }
    secret_bytes& operator=(secret_bytes&& o) noexcept
    {
        if (this != &o) {
            data_ = o.data_;
            o.wipe();
        }
        return *this;
    }
    ~secret_bytes() { wipe(); }

    void wipe() noexcept { secure_wipe(data_); }

    static constexpr std::size_t size() noexcept { return N; }
    std::uint8_t* data() noexcept { return data_.data(); }
    const std::uint8_t* data() const noexcept { return data_.data(); }
    std::span<std::uint8_t, N> span() noexcept { return data_; }
    std::span<const std::uint8_t, N> span() const noexcept { return data_; }

private:
    std::array<std::uint8_t, N> data_{};
};

/// Wipes a stack temporary at end of scope.
class scoped_wipe {
public:
    explicit scoped_wipe(bytes_span s) noexcept : s_(s) {}
    scoped_wipe(const scoped_wipe&) = delete;
    scoped_wipe& operator=(const scoped_wipe&) = delete;
    ~scoped_wipe() { secure_wipe(s_); }

private:
    bytes_span s_;
};

} // namespace perc
