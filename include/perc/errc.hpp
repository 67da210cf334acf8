// perc — error codes. Values are stable: never renumber, only append.
#pragma once

#include <cstdint>
#include <string_view>

namespace perc {

/// Every failure the library reports. Grouped by kind() for coarse handling.
// clang-format 14 misreads `errc : std::uint8_t {` after the attribute as a braced init.
// clang-format off
enum class [[nodiscard]] errc : std::uint8_t {
    // clang-format on
    ok = 0,

    // malformed input (kind::malformed): drop the packet
    truncated = 1,             ///< shorter than the fixed part or than its own length fields say
    bad_rtp_version = 2,       ///< RTP/RTCP version field is not 2
    bad_extension = 3,         ///< RFC 8285 extension block length exceeds the packet
    bad_extension_element = 4, ///< RFC 8285 element overruns its block or uses a reserved form
    bad_padding = 5,           ///< RTP padding count is 0 or exceeds the payload
    bad_rtcp_length = 6,       ///< RTCP length fields do not tile the compound packet
    ohb_reserved_bits = 7,     ///< RFC 8723 §4: R bits of the OHB Config must be 0
    ohb_bad_marker = 8,        ///< RFC 8723 §4: B set while M clear
    ohb_truncated = 9,         ///< outer plaintext shorter than inner tag + OHB
    ekt_bad_length = 10,       ///< EKTField length inconsistent
    ekt_unknown_type = 11,     ///< EKT message type not known
    tunnel_bad_message = 12,   ///< RFC 9185 §6: a field holds a value the RFC does not allow
    tunnel_unknown_type = 13,  ///< RFC 9185 §6.1: msg_type not defined (0 reserved, 6..255)
    tunnel_bad_length = 14,    ///< RFC 9185 §6.1: `length` disagrees with the body's structure
    tunnel_bad_vector = 15,    ///< RFC 9185 §6.2-6.6: a vector length outside its <min..max>

    // rejected by policy or cryptography (kind::rejected)
    auth_failed = 32,                ///< AEAD tag did not verify
    replayed = 33,                   ///< index already received (RFC 3711 §3.3.2)
    too_old = 34,                    ///< index behind the replay window
    no_stream = 35,                  ///< no context for this SSRC (RFC 3711 §3.2.3)
    no_key = 36,                     ///< no key installed yet
    key_unwrap_failed = 37,          ///< AES key wrap integrity check failed
    header_extension_rejected = 38,  ///< RFC 8723 §5.3 policy: extensions refused
    ekt_epoch_rollback = 39,         ///< RFC 8870 §4.1 epoch lower than seen
    ekt_ssrc_mismatch = 40,          ///< RFC 8870 §4.3.2 SSRC differs from the packet's
    tunnel_unsupported_version = 41, ///< RFC 9185 §5.5: tunnel protocol version not supported
    unknown_association = 42,        ///< RFC 9185 §5.3/§5.4: association id not known here
    no_common_profile = 43,     ///< RFC 9185 §5.4: no profile supported by KD, MD and endpoint
    association_elsewhere = 44, ///< RFC 9185 §9: the association is another MD's (tunnel)

    // caller misuse (kind::misuse)
    buffer_too_small = 64,    ///< output span cannot hold the result
    bad_key_size = 65,        ///< key length does not match the suite
    bad_salt_size = 66,       ///< salt length does not match the suite
    buffer_overlap = 67,      ///< input and output overlap other than exactly in place
    index_exhausted = 68,     ///< RFC 3711 §3.3.1/RFC 7714 §13: index would repeat
    key_usage_exhausted = 69, ///< RFC 3711 §9.2: packet limit for this key reached
    index_reused = 70,        ///< sender asked to protect an index it already used
    stream_table_full = 71,   ///< stream table has no free slot
    unsupported = 72,         ///< option not implemented (e.g. key_derivation_rate != 0)
    invalid_argument = 73,    ///< argument outside its documented range
    same_hop_keys = 74,       ///< RFC 8723 §5.2: in-hop and out-hop keys must differ
    stream_exists = 75,       ///< a context for this SSRC already exists

    // backend failures (kind::backend)
    backend_failure = 96, ///< the crypto backend reported an internal error
};

enum class error_kind : std::uint8_t { none, malformed, rejected, misuse, backend };

constexpr error_kind kind(errc e) noexcept
{
    const auto v = static_cast<std::uint8_t>(e);
    if (v == 0) return error_kind::none;
    if (v < 32) return error_kind::malformed;
    if (v < 64) return error_kind::rejected;
    if (v < 96) return error_kind::misuse;
    return error_kind::backend;
}

constexpr std::string_view to_string(errc e) noexcept
{
    switch (e) {
    case errc::ok: return "ok";
    case errc::truncated: return "truncated";
    case errc::bad_rtp_version: return "bad_rtp_version";
    case errc::bad_extension: return "bad_extension";
    case errc::bad_extension_element: return "bad_extension_element";
    case errc::bad_padding: return "bad_padding";
    case errc::bad_rtcp_length: return "bad_rtcp_length";
    case errc::ohb_reserved_bits: return "ohb_reserved_bits";
    case errc::ohb_bad_marker: return "ohb_bad_marker";
    case errc::ohb_truncated: return "ohb_truncated";
    case errc::ekt_bad_length: return "ekt_bad_length";
    case errc::ekt_unknown_type: return "ekt_unknown_type";
    case errc::tunnel_bad_message: return "tunnel_bad_message";
    case errc::tunnel_unknown_type: return "tunnel_unknown_type";
    case errc::tunnel_bad_length: return "tunnel_bad_length";
    case errc::tunnel_bad_vector: return "tunnel_bad_vector";
    case errc::auth_failed: return "auth_failed";
    case errc::replayed: return "replayed";
    case errc::too_old: return "too_old";
    case errc::no_stream: return "no_stream";
    case errc::no_key: return "no_key";
    case errc::key_unwrap_failed: return "key_unwrap_failed";
    case errc::header_extension_rejected: return "header_extension_rejected";
    case errc::ekt_epoch_rollback: return "ekt_epoch_rollback";
    case errc::ekt_ssrc_mismatch: return "ekt_ssrc_mismatch";
    case errc::tunnel_unsupported_version: return "tunnel_unsupported_version";
    case errc::unknown_association: return "unknown_association";
    case errc::no_common_profile: return "no_common_profile";
    case errc::association_elsewhere: return "association_elsewhere";
    case errc::buffer_too_small: return "buffer_too_small";
    case errc::bad_key_size: return "bad_key_size";
    case errc::bad_salt_size: return "bad_salt_size";
    case errc::buffer_overlap: return "buffer_overlap";
    case errc::index_exhausted: return "index_exhausted";
    case errc::key_usage_exhausted: return "key_usage_exhausted";
    case errc::index_reused: return "index_reused";
    case errc::stream_table_full: return "stream_table_full";
    case errc::unsupported: return "unsupported";
    case errc::invalid_argument: return "invalid_argument";
    case errc::same_hop_keys: return "same_hop_keys";
    case errc::stream_exists: return "stream_exists";
    case errc::backend_failure: return "backend_failure";
    }
    return "unknown";
}

} // namespace perc
