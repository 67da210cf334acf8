// perc — RFC 7714 §8.1 / §9.1 AEAD nonces (IVs).
#pragma once

#include <perc/bytes.hpp>

#include <array>
#include <cstdint>
#include <span>

namespace perc {

using aead_nonce = std::array<std::uint8_t, 12>;

/// RFC 7714 §8.1: IV = session_salt XOR (00 00 ‖ SSRC ‖ ROC ‖ SEQ).
/// ```
///  octet: 0  1  2  3  4  5  6  7  8  9  10 11
///        |00|00|   SSRC    |    ROC    | SEQ |
///   XOR  |      12-octet SRTP session salt   |
/// ```
constexpr aead_nonce srtp_aead_nonce(std::span<const std::uint8_t, 12> session_salt,
                                     std::uint32_t ssrc, std::uint32_t roc,
                                     std::uint16_t seq) noexcept
{
    // Two words, each stored once: octets 0..7 and 8..11, the pieces in which the backends
    // read the nonce back (a load spanning two narrower stores cannot be forwarded from the
    // store buffer and waits ~15 cycles for them to reach the cache, on every layer).
    const std::uint8_t* s = session_salt.data();
    aead_nonce n{};
    store_be64(n.data(), load_be64(s) ^ ((std::uint64_t{ssrc} << 16) | (roc >> 16)));
    store_be32(n.data() + 8, load_be32(s + 8) ^ ((roc << 16) | seq));
    return n;
}

/// RFC 7714 §9.1: IV = session_salt XOR (00 00 ‖ SSRC ‖ 00 00 ‖ 0 ‖ SRTCP index(31)).
/// The E flag is not part of the IV.
constexpr aead_nonce srtcp_aead_nonce(std::span<const std::uint8_t, 12> session_salt,
                                      std::uint32_t ssrc, std::uint32_t srtcp_index) noexcept
{
    // In 8 + 4 octets, as srtp_aead_nonce.
    const std::uint8_t* s = session_salt.data();
    aead_nonce n{};
    store_be64(n.data(), load_be64(s) ^ (std::uint64_t{ssrc} << 16));
    store_be32(n.data() + 8, load_be32(s + 8) ^ (srtcp_index & 0x7FFFFFFFu));
    return n;
}

} // namespace perc
