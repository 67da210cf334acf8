// perc — byte vocabulary: span aliases and big-endian load/store.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace perc {

using bytes_view = std::span<const std::uint8_t>;
using bytes_span = std::span<std::uint8_t>;

namespace detail {
// Host-order value of the octets at p (memcpy: no aliasing or alignment requirement).
template <class U>
inline U load_host(const std::uint8_t* p) noexcept
{
    U v;
    std::memcpy(&v, p, sizeof v);
    return v;
}
template <class U>
inline void store_host(std::uint8_t* p, U v) noexcept
{
    std::memcpy(p, &v, sizeof v);
}
inline std::uint16_t to_be(std::uint16_t v) noexcept
{
    if constexpr (std::endian::native == std::endian::big) return v;
    else return static_cast<std::uint16_t>((v >> 8) | (v << 8));
}
inline std::uint32_t to_be(std::uint32_t v) noexcept
{
    if constexpr (std::endian::native == std::endian::big) return v;
    else return __builtin_bswap32(v);
}
inline std::uint64_t to_be(std::uint64_t v) noexcept
{
    if constexpr (std::endian::native == std::endian::big) return v;
    else return __builtin_bswap64(v);
}
} // namespace detail

/// Network byte order reads and writes (no aliasing, no alignment needs). At run time one
/// whole-word access and a byte swap: the octet-by-octet form is what constant evaluation
/// uses, and GCC does not always fuse it (it assembled nonces and GHASH length blocks with
/// chains of shifts, then stored them in pieces that a wider load could not forward from).
constexpr std::uint16_t load_be16(const std::uint8_t* p) noexcept
{
    if (!std::is_constant_evaluated()) return detail::to_be(detail::load_host<std::uint16_t>(p));
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
constexpr std::uint32_t load_be24(const std::uint8_t* p) noexcept
{
    return (std::uint32_t{p[0]} << 16) | (std::uint32_t{p[1]} << 8) | std::uint32_t{p[2]};
}
constexpr std::uint32_t load_be32(const std::uint8_t* p) noexcept
{
    if (!std::is_constant_evaluated()) return detail::to_be(detail::load_host<std::uint32_t>(p));
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}
constexpr std::uint64_t load_be64(const std::uint8_t* p) noexcept
{
    if (!std::is_constant_evaluated()) return detail::to_be(detail::load_host<std::uint64_t>(p));
    return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
constexpr void store_be16(std::uint8_t* p, std::uint16_t v) noexcept
{
    if (!std::is_constant_evaluated()) return detail::store_host(p, detail::to_be(v));
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
    if (!std::is_constant_evaluated()) return detail::store_host(p, detail::to_be(v));
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
}
constexpr void store_be64(std::uint8_t* p, std::uint64_t v) noexcept
{
    if (!std::is_constant_evaluated()) return detail::store_host(p, detail::to_be(v));
    store_be32(p, static_cast<std::uint32_t>(v >> 32));
    store_be32(p + 4, static_cast<std::uint32_t>(v));
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
