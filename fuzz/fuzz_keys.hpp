// perc fuzzing — the fixed master keys of the SRTP fuzz target and the meaning of its first
// input octet. Shared with make_seeds.cpp so that the seeds authenticate under these keys.
#pragma once

#include <array>
#include <cstdint>

namespace perc_fuzz {

/// Arbitrary fixed values: fuzzing needs keys the seeds were made with, not secret ones.
/// SRTP_AEAD_AES_128_GCM uses the first 16 octets, SRTP_AEAD_AES_256_GCM all 32.
inline constexpr std::array<std::uint8_t, 32> master_key = {
    0x3b, 0x9c, 0x21, 0x7e, 0x55, 0x0d, 0xa4, 0x68, 0xf1, 0x2c, 0x93, 0x4a, 0xbe, 0x07, 0x6f, 0xd2,
    0x18, 0xe5, 0x70, 0x39, 0xc6, 0x8b, 0x02, 0x5d, 0xaf, 0x44, 0x9e, 0x13, 0x7a, 0xd8, 0x61, 0xc0};
inline constexpr std::array<std::uint8_t, 12> master_salt = {
    0x9a, 0x51, 0xe2, 0x0c, 0x77, 0x3f, 0xb8, 0x46, 0x05, 0xdd, 0x6a, 0x2e};

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

} // namespace perc_fuzz
