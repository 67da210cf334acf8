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

// Researcher suites (docs/adding-a-suite.md). NON-STANDARD for SRTP: no RFC defines them for
// SRTP and no DTLS-SRTP protection profile exists, so they have no `dtls_srtp_profile` member
// and cannot be negotiated — both ends must be configured alike. They are used exactly as
// RFC 7714 uses AES-GCM: the §8.1/§9.1 IV as the 12-octet nonce, a 12-octet master salt,
// session keys from the RFC 3711 AES-CM KDF (AES_256_CM_PRF of RFC 6188 for 32-octet keys).

/// RFC 8439 §2.8: AEAD_CHACHA20_POLY1305 — 32-octet key, 12-octet nonce, 16-octet tag.
struct aead_chacha20_poly1305 {
    static constexpr std::size_t key_size = 32;
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;
    static constexpr std::size_t master_salt_size = 12;
    /// RFC 8439 §2.8: P_MAX = 274,877,906,880 octets (2^38 − 64: the 32-bit block counter
    /// starts at 1).
    static constexpr std::uint64_t max_plaintext_size = (std::uint64_t{1} << 38) - 64;
    static constexpr std::string_view name = "AEAD_CHACHA20_POLY1305";
    static constexpr std::string_view status = "non-standard: no DTLS-SRTP profile";
};

/// RFC 7253 §3.1: AEAD_AES_128_OCB_TAGLEN128 — 16-octet key, 12-octet nonce, 16-octet tag.
struct aead_aes_128_ocb {
    static constexpr std::size_t key_size = 16;
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;
    static constexpr std::size_t master_salt_size = 12;
    /// A bound of perc's implementation (its L table covers block indices below 2^32):
    /// 2^32 − 1 whole blocks. Associated data is bounded the same way.
    static constexpr std::uint64_t max_plaintext_size = (std::uint64_t{1} << 36) - 16;
    static constexpr std::string_view name = "AEAD_AES_128_OCB_TAGLEN128";
    static constexpr std::string_view status = "non-standard: no DTLS-SRTP profile";
};

/// Whether `Suite` can be negotiated by DTLS-SRTP (RFC 5764 §4.1.2): it has a profile id.
// clang-format off
template <class Suite>
inline constexpr bool has_dtls_srtp_profile = requires { Suite::dtls_srtp_profile; };
// clang-format on

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
