// perc — DTLS-SRTP keying material (RFC 5764 §4.2) and the double key halves (RFC 8723 §3).
#pragma once

#include <perc/bytes.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>

#include <cstddef>

namespace perc {

/// Views into the output of the TLS exporter with label "EXTRACTOR-dtls_srtp" (RFC 5764
/// §4.2), 2·(key + salt) octets:
/// ```
///  client_write_SRTP_master_key | server_write_SRTP_master_key |
///  client_write_SRTP_master_salt | server_write_SRTP_master_salt
/// ```
/// For the double profiles each key and salt is itself inner ‖ outer (RFC 8723 §10.1), so
/// the exporter yields 112 octets (0x0009) or 176 octets (0x000A).
struct srtp_keying_material {
    bytes_view client_write_key;
    bytes_view server_write_key;
    bytes_view client_write_salt;
    bytes_view server_write_salt;
};

/// Splits exporter output for a profile with the given master key and salt sizes.
/// Errors: invalid_argument (zero sizes), truncated (size is not 2·(key + salt)).
constexpr result<srtp_keying_material> split_keying_material(bytes_view exporter_output,
                                                             std::size_t master_key_size,
                                                             std::size_t master_salt_size) noexcept
{
    if (master_key_size == 0 || master_salt_size == 0) return errc::invalid_argument;
    if (exporter_output.size() != 2 * (master_key_size + master_salt_size)) return errc::truncated;
    srtp_keying_material m;
    m.client_write_key = exporter_output.subspan(0, master_key_size);
    m.server_write_key = exporter_output.subspan(master_key_size, master_key_size);
    m.client_write_salt = exporter_output.subspan(2 * master_key_size, master_salt_size);
    m.server_write_salt = exporter_output.subspan(2 * master_key_size + master_salt_size,
                                                  master_salt_size);
    return m;
}

/// The two halves of a double master key and salt (RFC 8723 §3): the first half of each is
/// the inner (end-to-end) key/salt, the second the outer (hop-by-hop) one — the only part a
/// Media Distributor ever receives (RFC 8871 §6.2, RFC 9185 MediaKeys).
struct double_key_halves {
    bytes_view inner_key;
    bytes_view outer_key;
    bytes_view inner_salt;
    bytes_view outer_salt;
};

/// Errors: bad_key_size / bad_salt_size when empty or of odd length.
constexpr result<double_key_halves> split_double_key(bytes_view master_key,
                                                     bytes_view master_salt) noexcept
{
    if (master_key.empty() || master_key.size() % 2 != 0) return errc::bad_key_size;
    if (master_salt.empty() || master_salt.size() % 2 != 0) return errc::bad_salt_size;
    const std::size_t k = master_key.size() / 2;
    const std::size_t s = master_salt.size() / 2;
    return double_key_halves{master_key.first(k), master_key.subspan(k), master_salt.first(s),
                             master_salt.subspan(s)};
}

} // namespace perc
