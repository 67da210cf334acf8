// Test helpers: hex conversion (whitespace ignored) and packet builders.
#pragma once

#include <perc/errc.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace perc_test {

using bytes = std::vector<std::uint8_t>;

/// Calls put(octet) for each pair of hex digits in `s`, skipping anything that is not a hex
/// digit (whitespace, separators). Returns false if a digit is left over.
template <class Put>
constexpr bool parse_hex(std::string_view s, Put put)
{
    int hi = -1;
    for (char c : s) {
        int v = -1;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else continue;
        if (hi < 0) hi = v;
        else {
            put(static_cast<std::uint8_t>(hi * 16 + v));
            hi = -1;
        }
    }
    return hi < 0;
}

inline bytes from_hex(std::string_view s)
{
    bytes out;
    (void)parse_hex(s, [&](std::uint8_t b) { out.push_back(b); });
    return out;
}

// Not constexpr: reaching it makes a hex<N>() call ill-formed at compile time.
inline void hex_literal_has_wrong_size() {}

/// Hex digits to a fixed array at compile time (whitespace ignored), so RFC and digest
/// examples can appear verbatim and feed static_asserts. Exactly N octets, or it does not
/// compile.
template <std::size_t N>
consteval std::array<std::uint8_t, N> hex(std::string_view s)
{
    std::array<std::uint8_t, N> out{};
    std::size_t n = 0;
    const bool whole = parse_hex(s, [&](std::uint8_t b) {
        if (n < N) out[n] = b;
        ++n;
    });
    if (n != N || !whole) hex_literal_has_wrong_size();
    return out;
}

/// An errc's name, for CHECKs that print it on failure.
inline std::string name(perc::errc e)
{
    return std::string{perc::to_string(e)};
}

inline std::string to_hex(std::span<const std::uint8_t> b)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string s;
    for (std::uint8_t x : b) {
        s.push_back(digits[x >> 4]);
        s.push_back(digits[x & 15]);
    }
    return s;
}

template <std::size_t N>
std::span<const std::uint8_t, N> fixed(const bytes& b)
{
    return std::span<const std::uint8_t, N>{b.data(), N};
}

/// Deterministic generator for property tests (xorshift64*), so failures reproduce.
struct rng {
    std::uint64_t state;
    explicit rng(std::uint64_t seed) : state(seed ? seed : 0x9E3779B97F4A7C15ull) {}
    std::uint64_t next()
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return state * 0x2545F4914F6CDD1Dull;
    }
    std::uint32_t below(std::uint32_t n) { return static_cast<std::uint32_t>(next() % n); }
    std::uint8_t byte() { return static_cast<std::uint8_t>(next()); }
    void fill(std::span<std::uint8_t> s)
    {
        for (auto& x : s) x = byte();
    }
};

/// Builds an RTP packet: CSRC count, optional extension (profile, body of 4·words octets),
/// payload, optional padding (pad octets incl. the count octet).
struct rtp_spec {
    std::uint8_t pt = 96;
    bool marker = false;
    std::uint16_t seq = 0;
    std::uint32_t ts = 0;
    std::uint32_t ssrc = 0;
    std::vector<std::uint32_t> csrcs;
    bool extension = false;
    std::uint16_t ext_profile = 0xBEDE;
    bytes ext_body; // length multiple of 4
    bytes payload;
    std::uint8_t padding = 0;
};

inline bytes build_rtp(const rtp_spec& s)
{
    bytes p;
    p.push_back(static_cast<std::uint8_t>(0x80 | (s.padding ? 0x20 : 0) | (s.extension ? 0x10 : 0) |
                                          s.csrcs.size()));
    p.push_back(static_cast<std::uint8_t>((s.marker ? 0x80 : 0) | (s.pt & 0x7F)));
    auto put16 = [&](std::uint32_t v) {
        p.push_back(static_cast<std::uint8_t>(v >> 8));
        p.push_back(static_cast<std::uint8_t>(v));
    };
    auto put32 = [&](std::uint32_t v) {
        put16(v >> 16);
        put16(v & 0xFFFF);
    };
    put16(s.seq);
    put32(s.ts);
    put32(s.ssrc);
    for (auto c : s.csrcs) put32(c);
    if (s.extension) {
        put16(s.ext_profile);
        put16(static_cast<std::uint32_t>(s.ext_body.size() / 4));
        p.insert(p.end(), s.ext_body.begin(), s.ext_body.end());
    }
    p.insert(p.end(), s.payload.begin(), s.payload.end());
    if (s.padding) {
        for (int i = 0; i < s.padding - 1; ++i) p.push_back(0);
        p.push_back(s.padding);
    }
    return p;
}

} // namespace perc_test
