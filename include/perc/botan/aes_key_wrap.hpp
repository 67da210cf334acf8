// perc — Botan backend: AES Key Wrap with Padding (RFC 5649), the RFC 8870 §4.4.1 EKT ciphers
// AESKW128 and AESKW256.
#pragma once

#include <perc/botan/future_internal.hpp> // botan/aes.h
#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>
#include <perc/secret_bytes.hpp>

#include <botan/exceptn.h>
#include <botan/nist_keywrap.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <type_traits>

namespace perc::botan {

/// RFC 5649 key wrap keyed by a 16- (AESKW128) or 32-octet (AESKW256) EKTKey.
/// Botan's nist_key_(un)wrap_padded allocate their result, so every call allocates; the EKT
/// receiver calls unwrap only for a FullEKTField it has not seen before (RFC 8870 §4.3.2
/// allows comparing with a cached ciphertext), which keeps steady-state media allocation-free.
/// Thread safety: distinct objects safe; one object is not.
template <std::size_t KeySize>
class aes_key_wrap_padded {
    static_assert(KeySize == 16 || KeySize == 32, "AESKW128 or AESKW256 (RFC 8870 §4.4.1)");
    using aes_type = std::conditional_t<KeySize == 16, Botan::AES_128, Botan::AES_256>;

public:
    static constexpr std::size_t key_size = KeySize;
    /// RFC 5649: 8·ceil(n/8) + 8 octets (RFC 8870 §4.4.1 writes M + (M mod 8) + 8, which
    /// is wrong in general: 25 octets wrap to 40, not 34).
    static constexpr std::size_t wrapped_size(std::size_t n) noexcept
    {
        return 8 * ((n + 7) / 8) + 8;
    }

    aes_key_wrap_padded() noexcept = default;
    aes_key_wrap_padded(aes_key_wrap_padded&&) noexcept = default;
    aes_key_wrap_padded& operator=(aes_key_wrap_padded&&) noexcept = default;
    aes_key_wrap_padded(const aes_key_wrap_padded&) = delete;
    aes_key_wrap_padded& operator=(const aes_key_wrap_padded&) = delete;

    /// Errors: backend_failure (the object then has no key).
    errc set_key(std::span<const std::uint8_t, key_size> key) noexcept
    {
        try {
            auto aes = std::make_unique<aes_type>();
            aes->set_key(key.data(), key.size());
            aes_ = std::move(aes);
            return errc::ok;
        } catch (...) {
            aes_.reset();
            return errc::backend_failure;
        }
    }
    bool has_key() const noexcept { return aes_ != nullptr; }

    /// Errors: no_key, invalid_argument (empty plaintext), buffer_too_small, backend_failure.
    result<bytes_span> wrap(bytes_view in, bytes_span out) const noexcept
    {
        if (!aes_) return errc::no_key;
        if (in.empty()) return errc::invalid_argument; // RFC 5649: at least one octet
        const std::size_t n = wrapped_size(in.size());
        if (out.size() < n) return errc::buffer_too_small;
        try {
            const std::vector<std::uint8_t> c = Botan::nist_key_wrap_padded(in.data(), in.size(),
                                                                            *aes_);
            if (c.size() != n) return errc::backend_failure;
            for (std::size_t i = 0; i < n; ++i) out[i] = c[i];
            return out.first(n);
        } catch (...) {
            return errc::backend_failure;
        }
    }

    /// Returns the unwrapped plaintext in `out` (needs in.size() − 8 octets).
    /// Errors: no_key, buffer_too_small, key_unwrap_failed (bad length, integrity check or
    /// padding failed — RFC 5649 §3 — with `out` wiped), backend_failure.
    result<bytes_span> unwrap(bytes_view in, bytes_span out) const noexcept
    {
        if (!aes_) return errc::no_key;
        if (in.size() < 16 || in.size() % 8 != 0) return errc::key_unwrap_failed;
        if (out.size() < in.size() - 8) return errc::buffer_too_small;
        try {
            const Botan::secure_vector<std::uint8_t> p =
                Botan::nist_key_unwrap_padded(in.data(), in.size(), *aes_);
            if (p.size() > out.size()) return errc::backend_failure;
            for (std::size_t i = 0; i < p.size(); ++i) out[i] = p[i];
            return out.first(p.size());
        } catch (const Botan::Integrity_Failure&) {
            secure_wipe(out.first(in.size() - 8));
            return errc::key_unwrap_failed;
        } catch (const Botan::Invalid_Argument&) {
            secure_wipe(out.first(in.size() - 8));
            return errc::key_unwrap_failed;
        } catch (...) {
            secure_wipe(out.first(in.size() - 8));
            return errc::backend_failure;
        }
    }

private:
    std::unique_ptr<aes_type> aes_;
};

/// RFC 8870 §4.4.1 EKT ciphers; on the wire (TLS EKTCipherType, §5.2.1) aeskw_128 = 1,
/// aeskw_256 = 2 (the IANA "EKT Ciphers" registry numbers them 0 and 1; see ekt_dtls.hpp).
using aeskw_128 = aes_key_wrap_padded<16>;
using aeskw_256 = aes_key_wrap_padded<32>;

static_assert(ekt_key_wrap<aeskw_128>);
static_assert(ekt_key_wrap<aeskw_256>);

} // namespace perc::botan
