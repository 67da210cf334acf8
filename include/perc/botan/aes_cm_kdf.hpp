// perc — Botan backend: AES_CM PRF (RFC 3711 §4.3.3) and AES_256_CM_PRF (RFC 6188 §6).
#pragma once

#include <perc/aes_cm_prf.hpp>
#include <perc/botan/future_internal.hpp> // botan/aes.h
#include <perc/errc.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>

namespace perc::botan {

/// srtp_kdf policy keyed by a 16- or 32-octet master key. Allocates (Botan key schedule);
/// for key setup only, never on the per-packet path.
template <std::size_t KeySize>
struct aes_cm_kdf {
    static_assert(KeySize == 16 || KeySize == 32, "AES_CM PRF (16) or AES_256_CM_PRF (32)");
    static constexpr std::size_t master_key_size = KeySize;

    /// Errors: bad_salt_size, invalid_argument, backend_failure (Botan threw).
    static errc derive(std::span<const std::uint8_t, KeySize> master_key, bytes_view master_salt,
                       std::uint8_t label, bytes_span out) noexcept
    {
        try {
            std::conditional_t<KeySize == 16, Botan::AES_128, Botan::AES_256> aes;
            aes.set_key(master_key.data(), master_key.size());
            return aes_cm_prf(
                [&](std::uint8_t* blocks, std::size_t n) { aes.encrypt_n(blocks, blocks, n); },
                master_salt, label, out);
        } catch (...) {
            return errc::backend_failure;
        }
    }
};

} // namespace perc::botan
