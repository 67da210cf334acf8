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

// Writes 16 octets — the memory images of `lo` then `hi`, host-order words as load_host
// returns them — with ONE 16-octet store where the compiler has vector types (GCC, Clang),
// else two 8-octet stores. For blocks that a cipher or GHASH reads back at once as 16
// octets: a load spanning several narrower stores cannot be forwarded from the store
// buffer and waits until they, and every store before them, have reached the cache.
#if defined(__GNUC__) || defined(__clang__)
using u64x2 = std::uint64_t __attribute__((vector_size(16)));
#endif
inline void store_block(std::uint8_t* p, std::uint64_t lo, std::uint64_t hi) noexcept
{
#if defined(__GNUC__) || defined(__clang__)
    const u64x2 v = {lo, hi};
    std::memcpy(p, &v, 16);
#else
    std::memcpy(p, &lo, 8);
    std::memcpy(p + 8, &hi, 8);
#endif
}

// out[0..16) = a[0..16) XOR b[0..16), with 16-octet loads and one 16-octet store where the
// compiler has vector types (see store_block).
inline void xor_block(std::uint8_t* out, const std::uint8_t* a, const std::uint8_t* b) noexcept
{
#if defined(__GNUC__) || defined(__clang__)
    u64x2 x, y;
    std::memcpy(&x, a, 16);
    std::memcpy(&y, b, 16);
    x ^= y;
    std::memcpy(out, &x, 16);
#else
    store_block(out, load_host<std::uint64_t>(a) ^ load_host<std::uint64_t>(b),
                load_host<std::uint64_t>(a + 8) ^ load_host<std::uint64_t>(b + 8));
#endif
}

// out[0..16) = a ⊕ b ⊕ c (16 octets each), as xor_block: one 16-octet store.
inline void xor3_block(std::uint8_t* out, const std::uint8_t* a, const std::uint8_t* b,
                       const std::uint8_t* c) noexcept
{
#if defined(__GNUC__) || defined(__clang__)
    u64x2 x, y, z;
    std::memcpy(&x, a, 16);
    std::memcpy(&y, b, 16);
    std::memcpy(&z, c, 16);
    x ^= y ^ z;
    std::memcpy(out, &x, 16);
#else
    store_block(out,
                load_host<std::uint64_t>(a) ^ load_host<std::uint64_t>(b) ^
                    load_host<std::uint64_t>(c),
                load_host<std::uint64_t>(a + 8) ^ load_host<std::uint64_t>(b + 8) ^
                    load_host<std::uint64_t>(c + 8));
#endif
}

// The host-order 8-octet word whose memory image is the image of `a` then that of `b`
// (host-order 4-octet words as load_host returns them).
inline std::uint64_t join_host(std::uint32_t a, std::uint32_t b) noexcept
{
    if constexpr (std::endian::native == std::endian::big) return (std::uint64_t{a} << 32) | b;
    else return std::uint64_t{a} | (std::uint64_t{b} << 32);
}

// The first n (< 16) octets at p, zero-padded to 16, as two host-order words (lo, hi) for
// store_block. Octet by octet: the octets may have just been stored one by one, and a wider
// load would not be forwarded from those stores. Two scalar words, not an array indexed by
// i / 8: GCC kept such an array on the stack, stored it in 8-octet pieces per octet and
// then reloaded it whole — the very stall this avoids (perf put a third of ghash()'s
// samples on that reload). load_partial_word: the first n (≤ 8) octets, one such word.
inline std::uint64_t load_partial_word(const std::uint8_t* p, std::size_t n) noexcept
{
    std::uint64_t w = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const unsigned shift = std::endian::native == std::endian::big
                                   ? static_cast<unsigned>(8 * (7 - i))
                                   : static_cast<unsigned>(8 * i);
        w |= std::uint64_t{p[i]} << shift;
    }
    return w;
}
inline void load_partial_block(const std::uint8_t* p, std::size_t n, std::uint64_t& lo,
                               std::uint64_t& hi) noexcept
{
    lo = load_partial_word(p, n < 8 ? n : 8);
    hi = n > 8 ? load_partial_word(p + 8, n - 8) : 0;
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
