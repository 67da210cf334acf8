// perc — backend-neutral suite descriptors (sizes, RFC names, DTLS-SRTP profile ids).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace perc {

/// RFC 7714 §12, §14.2: AEAD_AES_128_GCM — 16-octet key, 12-octet salt, 16-octet tag.
struct aead_aes_128_gcm {
    static constexpr std::size_t key_size = 16;
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;
    static constexpr std::size_t master_salt_size = 12;
    static constexpr std::string_view name = "AEAD_AES_128_GCM";
    static constexpr std::uint16_t dtls_srtp_profile = 0x0007;
};

/// RFC 7714 §12, §14.2: AEAD_AES_256_GCM — 32-octet key, 12-octet salt, 16-octet tag.
struct aead_aes_256_gcm {
    static constexpr std::size_t key_size = 32;
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;
    static constexpr std::size_t master_salt_size = 12;
    static constexpr std::string_view name = "AEAD_AES_256_GCM";
    static constexpr std::uint16_t dtls_srtp_profile = 0x0008;
};

/// RFC 3711 §4.3.1, RFC 6904: key-derivation labels.
enum class kdf_label : std::uint8_t {
    srtp_encryption = 0x00,
    srtp_authentication = 0x01,
    srtp_salt = 0x02,
    srtcp_encryption = 0x03,
    srtcp_authentication = 0x04,
    srtcp_salt = 0x05,
    header_encryption = 0x06,
    header_salt = 0x07,
};

/// RFC 3711 §9.2, RFC 7714 §12: packets one master key may protect.
inline constexpr std::uint64_t max_srtp_packets_per_key = std::uint64_t{1} << 48;
inline constexpr std::uint64_t max_srtcp_packets_per_key = std::uint64_t{1} << 31;

} // namespace perc
