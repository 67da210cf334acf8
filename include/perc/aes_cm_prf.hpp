// perc — the AES-CM PRF key-derivation recipe (RFC 3711 §4.3, RFC 6188), backend-neutral.
#pragma once

#include <perc/bytes.hpp>
#include <perc/errc.hpp>
#include <perc/secret_bytes.hpp>

#include <cstddef>
#include <cstdint>

namespace perc {

/// RFC 3711 §4.3.1–§4.3.3 with key_derivation_rate 0 (r = 0, as DTLS-SRTP and PERC use):
/// ```
///  B[0..13]  = master_salt (14 octets; a 12-octet salt is extended as salt ‖ 00 00)
///  B[7]     ^= label                       (label at octet 7 for SRTP and SRTCP, erratum 3712)
///  B[14..15] = block counter, from 0       (x · 2^16)
///  out       = first |out| octets of AES_k(B) ‖ AES_k(B+1) ‖ ...
/// ```
/// `encrypt_blocks(std::uint8_t* blocks, std::size_t count)` must encrypt `count` 16-octet
/// blocks in place with the master key (AES-128 for RFC 3711, AES-256 for RFC 6188).
/// Errors: bad_salt_size (salt not 12 or 14 octets), invalid_argument (more than 2^16 blocks).
template <class EncryptBlocks>
errc aes_cm_prf(EncryptBlocks&& encrypt_blocks, bytes_view master_salt, std::uint8_t label,
                bytes_span out) noexcept
{
    // 12-octet salts: the deployed convention salt ‖ 0x0000 (rfc3711 digest §8.6).
    if (master_salt.size() != 14 && master_salt.size() != 12) return errc::bad_salt_size;
    if (out.size() > 16u * 65536u) return errc::invalid_argument;
    std::uint8_t x[16] = {};
    for (std::size_t i = 0; i < master_salt.size(); ++i) x[i] = master_salt[i];
    x[7] = static_cast<std::uint8_t>(x[7] ^ label);

    constexpr std::size_t batch = 8;
    std::uint8_t blocks[16 * batch];
    scoped_wipe wipe_blocks{blocks};
    scoped_wipe wipe_x{x};
    std::size_t done = 0;
    std::uint32_t counter = 0;
    while (done < out.size()) {
        const std::size_t remaining_blocks = (out.size() - done + 15) / 16;
        const std::size_t n = remaining_blocks < batch ? remaining_blocks : batch;
        for (std::size_t b = 0; b < n; ++b, ++counter) {
            for (std::size_t i = 0; i < 14; ++i) blocks[16 * b + i] = x[i];
            store_be16(blocks + 16 * b + 14, static_cast<std::uint16_t>(counter));
        }
        encrypt_blocks(blocks, n);
        const std::size_t take = (out.size() - done) < 16 * n ? out.size() - done : 16 * n;
        for (std::size_t i = 0; i < take; ++i) out[done + i] = blocks[i];
        done += take;
    }
    return errc::ok;
}

} // namespace perc
