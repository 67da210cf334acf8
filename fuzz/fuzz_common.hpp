// perc fuzzing — shared invariant check for the fuzz targets.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>

namespace perc_fuzz {

/// A broken invariant is a library bug: stop at once so libFuzzer (or the replay driver)
/// reports the input. __builtin_trap, not assert: it stays active in every build mode, and
/// the inlined call keeps the failing line in the sanitizer's stack trace.
[[gnu::always_inline]] inline void require(bool condition) noexcept
{
    if (!condition) __builtin_trap();
}

inline bool same_bytes(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept
{
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

inline bool all_equal(std::span<const std::uint8_t> a, std::uint8_t value) noexcept
{
    return std::all_of(a.begin(), a.end(), [value](std::uint8_t x) { return x == value; });
}

/// True when `inner` lies entirely within `outer` (an empty span anywhere inside counts).
inline bool inside(std::span<const std::uint8_t> inner,
                   std::span<const std::uint8_t> outer) noexcept
{
    const auto* b = outer.data();
    const auto* e = outer.data() + outer.size();
    const auto* p = inner.data();
    return std::less_equal<>{}(b, p) && std::less_equal<>{}(p, e) &&
           static_cast<std::size_t>(e - p) >= inner.size();
}

} // namespace perc_fuzz
