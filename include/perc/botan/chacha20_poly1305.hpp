// perc — Botan 2 backend: AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8) as an aead_cipher, composed
// from Botan's ChaCha(20) StreamCipher and Poly1305 MessageAuthenticationCode so that open()
// verifies before it decrypts, throws nothing and allocates nothing.
// NON-STANDARD for SRTP: no DTLS-SRTP profile (see perc::aead_chacha20_poly1305).
#pragma once

#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/errc.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/suites.hpp>

#include <botan/mac.h>
#include <botan/stream_cipher.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

namespace perc::botan {

/// AEAD_CHACHA20_POLY1305 (RFC 8439 §2.8): 32-octet key, 12-octet nonce, 16-octet tag.
///
/// Built from the two primitives rather than Botan's ChaCha20Poly1305_Mode, for the same
/// reasons as aead_gcm: the mode's finish() appends the tag to a secure_vector (a heap
/// allocation per packet) and, on a bad tag, throws after leaving unverified plaintext in
/// the buffer. Here, per RFC 8439 §2.8:
///   otk  = first 32 octets of ChaCha20(key, nonce, counter 0)        (§2.6)
///   tag  = Poly1305(otk, aad ‖ pad16 ‖ ciphertext ‖ pad16 ‖ le64(|aad|) ‖ le64(|ct|))
///   ct   = plaintext ⊕ ChaCha20(key, nonce, counter 1, 2, ...)
/// open() computes the tag over the ciphertext first, compares in constant time, and only
/// then runs the keystream over the input: on a forged packet nothing is written, the input
/// is untouched and no exception is thrown (the forged-packet cost is one ChaCha20 batch for
/// the one-time key plus Poly1305 over the packet).
///
/// The StreamCipher / MessageAuthenticationCode factory interfaces used here stay public in
/// Botan 3 (unlike chacha.h and poly1305.h), so this adapter ports unchanged.
///
/// Allocation: set_key only (Botan key schedule; Poly1305's state is sized there once and
/// reused). Per packet: none (tests/alloc_count.cpp). Thread safety: distinct objects safe;
/// one object is not.
template <class Suite = perc::aead_chacha20_poly1305>
class chacha20_poly1305 {
    static_assert(Suite::key_size == 32 && Suite::nonce_size == 12 && Suite::tag_size == 16,
                  "RFC 8439 §2.8: 256-bit key, 96-bit nonce, 128-bit tag");

public:
    using suite = Suite;
    static constexpr std::size_t key_size = Suite::key_size;
    static constexpr std::size_t nonce_size = Suite::nonce_size;
    static constexpr std::size_t tag_size = Suite::tag_size;
    static constexpr std::uint64_t max_plaintext_size = Suite::max_plaintext_size;

    chacha20_poly1305() noexcept = default;
    chacha20_poly1305(chacha20_poly1305&&) noexcept = default;
    chacha20_poly1305& operator=(chacha20_poly1305&&) noexcept = default;
    chacha20_poly1305(const chacha20_poly1305&) = delete;
    chacha20_poly1305& operator=(const chacha20_poly1305&) = delete;
    ~chacha20_poly1305() = default; // Botan wipes its key state (secure_vector)

    /// Installs `key` (ChaCha20 key schedule) and sizes the Poly1305 state once, so that the
    /// per-packet one-time key never allocates.
    /// Errors: backend_failure (allocation or Botan error; the object then has no key).
    errc set_key(std::span<const std::uint8_t, key_size> key) noexcept
    {
        try {
            auto chacha = Botan::StreamCipher::create_or_throw("ChaCha(20)");
            chacha->set_key(key.data(), key.size());
            auto poly = Botan::MessageAuthenticationCode::create_or_throw("Poly1305");
            // Warm-up with a throw-away key and nonce: the first set_key / set_iv size the
            // state vectors; later calls reuse them.
            const std::uint8_t zero[32] = {};
            poly->set_key(zero, sizeof zero);
            std::uint8_t discard[16];
            poly->final(discard);
            chacha->set_iv(zero, nonce_size);
            chacha_ = std::move(chacha);
            poly_ = std::move(poly);
            return errc::ok;
        } catch (...) {
            chacha_.reset();
            poly_.reset();
            return errc::backend_failure;
        }
    }

    bool has_key() const noexcept { return chacha_ != nullptr; }

    /// RFC 8439 §2.8 encryption: out = in ⊕ keystream (from counter 1), then the tag over
    /// aad ‖ out. `out` has in.size() octets and is either `in` itself or disjoint from it.
    /// Errors: no_key, invalid_argument (size), buffer_overlap, backend_failure.
    /// Allocation: none.
    errc seal(std::span<const std::uint8_t, nonce_size> nonce, const aad_view& aad, bytes_view in,
              bytes_span out, std::span<std::uint8_t, tag_size> tag) noexcept
    {
        if (errc e = check(in, out); e != errc::ok) return e;
        try {
            std::uint8_t otk[64];
            scoped_wipe wipe_otk{otk};
            start(nonce, otk);
            if (!in.empty()) chacha_->cipher(in.data(), out.data(), in.size());
            std::uint8_t t[16];
            mac(otk, aad, out, t);
            for (std::size_t i = 0; i < tag_size; ++i) tag[i] = t[i];
            return errc::ok;
        } catch (...) {
            return errc::backend_failure;
        }
    }

    /// RFC 8439 §2.8 decryption: verifies `tag` over aad ‖ in and only if it matches writes
    /// out = in ⊕ keystream. On errc::auth_failed nothing has been written to `out` and `in`
    /// is unchanged (it is only read).
    /// Errors: no_key, invalid_argument, buffer_overlap, auth_failed, backend_failure.
    /// Allocation: none.
    errc open(std::span<const std::uint8_t, nonce_size> nonce, const aad_view& aad, bytes_view in,
              std::span<const std::uint8_t, tag_size> tag, bytes_span out) noexcept
    {
        if (errc e = check(in, out); e != errc::ok) return e;
        try {
            std::uint8_t otk[64];
            scoped_wipe wipe_otk{otk};
            start(nonce, otk);
            std::uint8_t t[16];
            mac(otk, aad, in, t);
            if (!ct_equal(t, tag)) return errc::auth_failed; // verify before decrypting
            if (!in.empty()) chacha_->cipher(in.data(), out.data(), in.size());
            return errc::ok;
        } catch (...) {
            return errc::backend_failure;
        }
    }

private:
    errc check(bytes_view in, bytes_span out) const noexcept
    {
        return check_aead_arguments(chacha_ != nullptr, in, out, max_plaintext_size);
    }

    // RFC 8439 §2.6: the nonce with block counter 0 gives the Poly1305 one-time key (the first
    // 32 of its 64 octets). Consuming the whole block leaves the stream at counter 1, where
    // §2.8 starts the encryption.
    void start(std::span<const std::uint8_t, nonce_size> nonce, std::uint8_t (&block0)[64])
    {
        chacha_->set_iv(nonce.data(), nonce.size());
        chacha_->write_keystream(block0, sizeof block0);
    }

    // RFC 8439 §2.8: mac_data = aad ‖ pad16(aad) ‖ ct ‖ pad16(ct) ‖ le64(|aad|) ‖ le64(|ct|).
    void mac(const std::uint8_t (&block0)[64], const aad_view& aad, bytes_view ct,
             std::uint8_t (&t)[16])
    {
        static constexpr std::uint8_t zeros[16] = {};
        poly_->set_key(block0, 32);
        if (!aad.first.empty()) poly_->update(aad.first.data(), aad.first.size());
        if (!aad.second.empty()) poly_->update(aad.second.data(), aad.second.size());
        if (const std::size_t r = aad.size() % 16; r != 0) poly_->update(zeros, 16 - r);
        if (!ct.empty()) poly_->update(ct.data(), ct.size());
        if (const std::size_t r = ct.size() % 16; r != 0) poly_->update(zeros, 16 - r);
        std::uint8_t lengths[16];
        store_le64(lengths, aad.size());
        store_le64(lengths + 8, ct.size());
        poly_->update(lengths, sizeof lengths);
        poly_->final(t);
    }

    static void store_le64(std::uint8_t* p, std::uint64_t v) noexcept
    {
        for (std::size_t i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
    }

    std::unique_ptr<Botan::StreamCipher> chacha_;
    std::unique_ptr<Botan::MessageAuthenticationCode> poly_;
};

using aead_chacha20_poly1305 = chacha20_poly1305<perc::aead_chacha20_poly1305>;

static_assert(aead_cipher<aead_chacha20_poly1305>);

} // namespace perc::botan
