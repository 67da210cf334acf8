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
    /// RFC 7714 §10 / SP 800-38D: at most 2^36 − 32 plaintext octets per invocation (the
    /// 32-bit block counter must not wrap).
    static constexpr std::uint64_t max_plaintext_size = (std::uint64_t{1} << 36) - 32;
    static constexpr std::string_view name = "AEAD_AES_128_GCM";
    static constexpr std::uint16_t dtls_srtp_profile = 0x0007;
};

/// RFC 7714 §12, §14.2: AEAD_AES_256_GCM — 32-octet key, 12-octet salt, 16-octet tag.
struct aead_aes_256_gcm {
    static constexpr std::size_t key_size = 32;
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;
    static constexpr std::size_t master_salt_size = 12;
    /// RFC 7714 §10 / SP 800-38D: at most 2^36 − 32 plaintext octets per invocation (the
    /// 32-bit block counter must not wrap).
    static constexpr std::uint64_t max_plaintext_size = (std::uint64_t{1} << 36) - 32;
    static constexpr std::string_view name = "AEAD_AES_256_GCM";
    static constexpr std::uint16_t dtls_srtp_profile = 0x0008;
};

/// DTLS-SRTP protection profiles (RFC 5764 §4.1.2, RFC 7714 §14.2, RFC 8723 §10.1).
enum class srtp_profile : std::uint16_t {
    aead_aes_128_gcm = 0x0007,
    aead_aes_256_gcm = 0x0008,
    double_aead_aes_128_gcm_aead_aes_128_gcm = 0x0009,
    double_aead_aes_256_gcm_aead_aes_256_gcm = 0x000A,
};

/// Sizes and names of a profile. For the double profiles, key and salt are the whole double
/// master key and salt (inner ‖ outer, RFC 8723 §10.1).
struct profile_info {
    srtp_profile profile;
    std::string_view name;     ///< RFC name
    std::string_view cli_name; ///< short name used by the `perc` tool
    std::size_t master_key_size;
    std::size_t master_salt_size;
    bool is_double;
};

inline constexpr profile_info profiles[] = {
    {srtp_profile::aead_aes_128_gcm, "SRTP_AEAD_AES_128_GCM", "aes128-gcm", 16, 12, false},
    {srtp_profile::aead_aes_256_gcm, "SRTP_AEAD_AES_256_GCM", "aes256-gcm", 32, 12, false},
    {srtp_profile::double_aead_aes_128_gcm_aead_aes_128_gcm,
     "DOUBLE_AEAD_AES_128_GCM_AEAD_AES_128_GCM", "double-aes128-gcm", 32, 24, true},
    {srtp_profile::double_aead_aes_256_gcm_aead_aes_256_gcm,
     "DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM", "double-aes256-gcm", 64, 24, true},
};

/// The profile with DTLS-SRTP id `id`, or nullptr if we do not implement it.
constexpr const profile_info* find_profile(std::uint16_t id) noexcept
{
    for (const profile_info& p : profiles)
        if (static_cast<std::uint16_t>(p.profile) == id) return &p;
    return nullptr;
}
/// The profile with RFC name or short name `name`, or nullptr.
constexpr const profile_info* find_profile(std::string_view name) noexcept
{
    for (const profile_info& p : profiles)
        if (p.name == name || p.cli_name == name) return &p;
    return nullptr;
}

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
