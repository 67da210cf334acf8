// perc fuzzing — the fixed master keys of the SRTP fuzz targets and the meaning of their first
// input octets. Shared with make_seeds.cpp so that the seeds authenticate under these keys.
#pragma once

#include <array>
#include <cstdint>

namespace perc_fuzz {

/// Arbitrary fixed values: fuzzing needs keys the seeds were made with, not secret ones.
/// SRTP_AEAD_AES_128_GCM uses the first 16 octets, SRTP_AEAD_AES_256_GCM all 32.
inline constexpr std::array<std::uint8_t, 32> master_key = {
    0x3b, 0x9c, 0x21, 0x7e, 0x55, 0x0d, 0xa4, 0x68, 0xf1, 0x2c, 0x93, 0x4a, 0xbe, 0x07, 0x6f, 0xd2,
    0x18, 0xe5, 0x70, 0x39, 0xc6, 0x8b, 0x02, 0x5d, 0xaf, 0x44, 0x9e, 0x13, 0x7a, 0xd8, 0x61, 0xc0};
inline constexpr std::array<std::uint8_t, 12> master_salt = {0x9a, 0x51, 0xe2, 0x0c, 0x77, 0x3f,
                                                             0xb8, 0x46, 0x05, 0xdd, 0x6a, 0x2e};

/// First input octet of fuzz_srtp_unprotect; the packet is the rest of the input.
///   bit 0     suite: 0 = SRTP_AEAD_AES_128_GCM, 1 = SRTP_AEAD_AES_256_GCM
///   bits 1-2  ROC the RTP streams start from (srtp_stream::set_roc), so the IV's ROC part
///             varies; also the first SRTCP index of the round-trip check
///   bit 3     SRTCP made by the round-trip check: 0 = encrypted (E = 1), 1 = E = 0
///   bits 4-7  unused
struct selector {
    std::uint8_t value;
    constexpr bool aes_256() const noexcept { return (value & 0x01) != 0; }
    constexpr std::uint32_t roc() const noexcept { return (value >> 1) & 0x03u; }
    constexpr bool rtcp_encrypt() const noexcept { return (value & 0x08) == 0; }
};

constexpr std::uint8_t make_selector(bool aes_256, std::uint32_t roc, bool rtcp_encrypt) noexcept
{
    return static_cast<std::uint8_t>((aes_256 ? 0x01u : 0u) | ((roc & 0x03u) << 1) |
                                     (rtcp_encrypt ? 0u : 0x08u));
}

// ---------------------------------------------------------------- fuzz_double_unprotect

/// RFC 8723 double transform: every endpoint shares the inner (end-to-end) key; each hop has
/// its own outer key. The fuzz topology is
///   sender (inner ‖ A) → MD hop 1 (A → B) → MD hop 2 (B → C) → receiver (inner ‖ C)
/// and D is the unused direction of each MD link (an md_link needs two different keys).
/// Octets 0..15 / 0..31 of each array are the AES-128 / AES-256 keys.
inline constexpr std::array<std::uint8_t, 32> inner_key = {
    0x47, 0xa0, 0x1d, 0x83, 0x6e, 0xf9, 0x32, 0xc5, 0x0b, 0x98, 0x54, 0xe7, 0x29, 0x7c, 0xb3, 0x16,
    0xd4, 0x61, 0x8f, 0x3a, 0x05, 0xcb, 0x7e, 0x92, 0x58, 0x2d, 0xe0, 0x13, 0xa6, 0x49, 0xfc, 0x37};
inline constexpr std::array<std::uint8_t, 12> inner_salt = {0x6c, 0x15, 0xd8, 0x93, 0x2a, 0xe1,
                                                            0x74, 0x0f, 0xb6, 0x59, 0xc2, 0x8d};
struct hop_key {
    std::array<std::uint8_t, 32> key;
    std::array<std::uint8_t, 12> salt;
};
inline constexpr hop_key outer_a = {
    {0xa1, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab,
     0xbc, 0xcd, 0xde, 0xef, 0xf0, 0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a,
     0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0},
    {0x5e, 0x3a, 0x91, 0x04, 0xcf, 0x68, 0x27, 0xb0, 0x1d, 0xe6, 0x73, 0x4a}};
inline constexpr hop_key outer_b = {
    {0xb2, 0x24, 0x46, 0x68, 0x8a, 0xac, 0xce, 0xe0, 0x02, 0x13, 0x35,
     0x57, 0x79, 0x9b, 0xbd, 0xdf, 0xf1, 0xe3, 0xd5, 0xc7, 0xb9, 0xab,
     0x9d, 0x8f, 0x71, 0x63, 0x55, 0x47, 0x39, 0x2b, 0x1d, 0x0f},
    {0x83, 0xc9, 0x0e, 0x54, 0x9a, 0xdf, 0x25, 0x6b, 0xb1, 0xf7, 0x3c, 0x82}};
inline constexpr hop_key outer_c = {
    {0xc3, 0x36, 0x69, 0x9c, 0xcf, 0x02, 0x35, 0x68, 0x9b, 0xce, 0x01,
     0x34, 0x67, 0x9a, 0xcd, 0x00, 0x33, 0x66, 0x99, 0xcc, 0xff, 0x32,
     0x65, 0x98, 0xcb, 0xfe, 0x31, 0x64, 0x97, 0xca, 0xfd, 0x30},
    {0x1f, 0x8e, 0x7d, 0x6c, 0x5b, 0x4a, 0x39, 0x28, 0x17, 0x06, 0xf5, 0xe4}};
inline constexpr hop_key outer_d = {
    {0xd4, 0x48, 0xbc, 0x30, 0xa4, 0x18, 0x8c, 0x00, 0x74, 0xe8, 0x5c,
     0xd0, 0x44, 0xb8, 0x2c, 0xa0, 0x14, 0x88, 0xfc, 0x70, 0xe4, 0x58,
     0xcc, 0x40, 0xb4, 0x28, 0x9c, 0x10, 0x84, 0xf8, 0x6c, 0xe0},
    {0xe9, 0x7b, 0x0d, 0x9f, 0x31, 0xc3, 0x55, 0xe7, 0x79, 0x0b, 0x9d, 0x2f}};

/// First two input octets of fuzz_double_unprotect; the packet is the rest.
///   octet 0  bit 0     suite: 0 = DOUBLE_AEAD_AES_128_GCM_..., 1 = ..._256_GCM_...
///            bit 1     hop 1 sets PT := octet 1 & 0x7F
///            bit 2     hop 1 sets SEQ := SEQ + 1 + octet 1
///            bit 3     hop 1 flips M
///            bits 4-5  hop 1 header extension: 0 keep, 1 remove, 2 replace, 3 keep
///            bit 6     hop 2 restores the sender's PT, SEQ and M (else it forwards as is)
///            bit 7     the receiver rejects header extensions (RFC 8723 §5.3 policy)
///   octet 1  parameter of the hop 1 changes; a replacement extension body has
///            4 · (octet 1 & 3) octets
struct double_selector {
    std::uint8_t value;
    std::uint8_t param;
    constexpr bool aes_256() const noexcept { return (value & 0x01) != 0; }
    constexpr bool change_pt() const noexcept { return (value & 0x02) != 0; }
    constexpr bool change_seq() const noexcept { return (value & 0x04) != 0; }
    constexpr bool change_marker() const noexcept { return (value & 0x08) != 0; }
    constexpr unsigned extension_action() const noexcept { return (value >> 4) & 0x03u; }
    constexpr bool restore_at_hop2() const noexcept { return (value & 0x40) != 0; }
    constexpr bool reject_extensions() const noexcept { return (value & 0x80) != 0; }
};

} // namespace perc_fuzz
