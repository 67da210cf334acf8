// perc — byte vocabulary: span aliases and big-endian load/store.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace perc {

using bytes_view = std::span<const std::uint8_t>;
using bytes_span = std::span<std::uint8_t>;

/// Network byte order reads and writes, byte by byte (no aliasing, no alignment needs).
constexpr std::uint16_t load_be16(const std::uint8_t* p) noexcept
{
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
constexpr std::uint32_t load_be24(const std::uint8_t* p) noexcept
{
    return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | std::uint32_t{p[2]};
}
constexpr std::uint32_t load_be32(const std::uint8_t* p) noexcept
{
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
constexpr void store_be16(std::uint8_t* p, std::uint16_t v) noexcept
{
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
constexpr void store_be24(std::uint8_t* p, std::uint32_t v) noexcept
{
    p[0] = static_cast<std::uint8_t>(v >> 16);
    p[1] = static_cast<std::uint8_t>(v >> 8);
    p[2] = static_cast<std::uint8_t>(v);
}
constexpr void store_be32(std::uint8_t* p, std::uint32_t v) noexcept
{
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}

/// True when [a, a+an) and [b, b+bn) share a byte. Pointers compared as integers,
/// which is well defined for unrelated objects.
inline bool overlaps(const std::uint8_t* a, std::size_t an, const std::uint8_t* b,
                     std::size_t bn) noexcept
{
    const auto x = reinterpret_cast<std::uintptr_t>(a);
    const auto y = reinterpret_cast<std::uintptr_t>(b);
    return an != 0 && bn != 0 && x < y + bn && y < x + an;
}

/// In/out buffer rule of every per-packet call: `out` either starts exactly at `in`
/// (in place) or shares no byte with it.
inline bool in_place_or_disjoint(bytes_view in, bytes_span out) noexcept
{
    return out.data() == in.data() || !overlaps(in.data(), in.size(), out.data(), out.size());
}

} // namespace perc
