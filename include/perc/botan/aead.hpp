// perc — Botan 2 backend: AES-GCM (NIST SP 800-38D) as an aead_cipher, built from Botan's
// AES and GHASH so that open() verifies before it decrypts, throws nothing and allocates nothing.
#pragma once

#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/errc.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/suites.hpp>

#include <botan/aes.h>
#include <botan/ghash.h>
#include <botan/secmem.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <type_traits>

namespace perc::botan {

/// AES-GCM with a 12-octet nonce and a 16-octet tag, for Suite = aead_aes_128_gcm or
/// aead_aes_256_gcm.
///
/// Why not Botan's GCM_Mode: its finish() appends the tag to a secure_vector (a heap
/// allocation per packet) and, on a bad tag, throws after leaving unverified plaintext in the
/// buffer. Here open() computes GHASH over the ciphertext first, compares tags in constant
/// time, and only then runs the counter mode — the input is never touched on failure and a
/// forged packet costs one GHASH and the first batch of AES blocks, not an exception. The price is
/// that this uses Botan 2's public GHASH class, which Botan 3 makes internal (a Botan 3 adapter
/// would decrypt into scratch and wipe it on failure).
///
/// Allocation: set_key only. Thread safety: distinct objects safe; one object is not.
template <class Suite>
class aead_gcm {
    using aes_type = std::conditional_t<Suite::key_size == 16, Botan::AES_128, Botan::AES_256>;
    static constexpr std::size_t batch_blocks = 16; // keystream blocks per AES call

public:
    using suite = Suite;
    static constexpr std::size_t key_size = Suite::key_size;
    static constexpr std::size_t nonce_size = Suite::nonce_size;
    static constexpr std::size_t tag_size = Suite::tag_size;
    static constexpr std::uint64_t max_plaintext_size = Suite::max_plaintext_size;

    aead_gcm() noexcept = default;
    aead_gcm(aead_gcm&&) noexcept = default;
    aead_gcm& operator=(aead_gcm&&) noexcept = default;
    aead_gcm(const aead_gcm&) = delete;
    aead_gcm& operator=(const aead_gcm&) = delete;
    ~aead_gcm() = default; // Botan wipes its key schedules (secure_vector)

    /// Installs `key`: AES key schedule and H = AES_K(0^128) for GHASH.
    /// Errors: backend_failure (allocation or Botan error; the object then has no key).
    errc set_key(std::span<const std::uint8_t, key_size> key) noexcept
    {
        try {
            auto aes = std::make_unique<aes_type>();
            aes->set_key(key.data(), key.size());
            std::uint8_t h[16] = {};
            scoped_wipe wipe_h{h};
            aes->encrypt(h);
            auto ghash = std::make_unique<Botan::GHASH>();
            ghash->set_key(h, sizeof h);
            Botan::secure_vector<std::uint8_t> acc(16);
            aes_ = std::move(aes);
            ghash_ = std::move(ghash);
            acc_ = std::move(acc);
            return errc::ok;
        } catch (...) {
            aes_.reset();
            ghash_.reset();
            return errc::backend_failure;
        }
    }

    bool has_key() const noexcept { return aes_ != nullptr; }

    /// out = CTR(in), tag = GHASH(aad, out) ⊕ AES_K(J0).
    /// `out` has in.size() octets and is either `in` itself or disjoint from it.
    /// Errors: no_key, invalid_argument (size), buffer_overlap, backend_failure.
    errc seal(std::span<const std::uint8_t, nonce_size> nonce, const aad_view& aad, bytes_view in,
              bytes_span out, std::span<std::uint8_t, tag_size> tag) noexcept
    {
        if (errc e = check(in, out); e != errc::ok) return e;
        try {
            std::uint8_t ks[16 * batch_blocks];
            // First batch: block 0 is J0 = IV ‖ 1 (tag mask), then IV ‖ 2, IV ‖ 3, ...
            // Only the blocks written are wiped (a refill uses the whole buffer, and then
            // first == batch_blocks).
            const std::size_t first = first_blocks(in.size());
            scoped_wipe wipe_ks{bytes_span{ks, 16 * first}};
            first_batch(nonce, ks, first);
            // Keep the tag mask E(J0): past 15 keystream blocks xor_keystream refills ks.
            std::uint8_t mask[16];
            scoped_wipe wipe_mask{mask};
            std::copy_n(ks, 16, mask);
            xor_keystream(nonce, ks, first, in, out);
            std::uint8_t s[16];
            ghash(aad, out, s);
            for (std::size_t i = 0; i < 16; ++i) tag[i] = static_cast<std::uint8_t>(s[i] ^ mask[i]);
            return errc::ok;
        } catch (...) {
            return errc::backend_failure;
        }
    }

    /// Verifies `tag` over aad ‖ in; only if it matches, out = CTR(in).
    /// On errc::auth_failed nothing has been written to `out`.
    /// Errors: no_key, invalid_argument, buffer_overlap, auth_failed, backend_failure.
    errc open(std::span<const std::uint8_t, nonce_size> nonce, const aad_view& aad, bytes_view in,
              std::span<const std::uint8_t, tag_size> tag, bytes_span out) noexcept
    {
        if (errc e = check(in, out); e != errc::ok) return e;
        try {
            std::uint8_t ks[16 * batch_blocks];
            const std::size_t first = first_blocks(in.size());
            scoped_wipe wipe_ks{bytes_span{ks, 16 * first}};
            first_batch(nonce, ks, first);
            std::uint8_t s[16];
            ghash(aad, in, s);
            for (std::size_t i = 0; i < 16; ++i) s[i] = static_cast<std::uint8_t>(s[i] ^ ks[i]);
            if (!ct_equal(s, tag)) return errc::auth_failed; // RFC 7714 §5.3: verify first
            xor_keystream(nonce, ks, first, in, out);
            return errc::ok;
        } catch (...) {
            return errc::backend_failure;
        }
    }

private:
    // The checks seal and open share: a key, equal sizes within the GCM limit, and `out`
    // either `in` itself or disjoint from it.
    errc check(bytes_view in, bytes_span out) const noexcept
    {
        return check_aead_arguments(aes_ != nullptr, in, out, max_plaintext_size);
    }

    // Fills ks with E(IV ‖ 1), E(IV ‖ 2), ... — as many blocks as `size` octets need (plus
    // the tag mask), at most one batch. Returns the number of blocks computed.
    static std::size_t first_blocks(std::size_t size) noexcept
    {
        const std::size_t want = 1 + (size + 15) / 16;
        return want < batch_blocks ? want : batch_blocks;
    }
    void first_batch(std::span<const std::uint8_t, nonce_size> nonce, std::uint8_t* ks,
                     std::size_t n) const
    {
        fill_counters(nonce, ks, 1, n);
        aes_->encrypt_n(ks, ks, n);
    }

    static void fill_counters(std::span<const std::uint8_t, nonce_size> nonce, std::uint8_t* ks,
                              std::uint32_t counter, std::size_t n) noexcept
    {
        // Each block IV ‖ counter with one 16-octet store, as AES reads it back (see
        // detail::store_block).
        const std::uint64_t lo = detail::load_host<std::uint64_t>(nonce.data());
        const std::uint64_t iv_tail = std::uint64_t{load_be32(nonce.data() + 8)} << 32;
        for (std::size_t b = 0; b < n; ++b)
            detail::store_block(ks + 16 * b, lo,
                                detail::to_be(iv_tail | (counter + static_cast<std::uint32_t>(b))));
    }

    // XORs the GCM keystream (from counter 2) onto in -> out. `buf` holds `first` blocks from
    // first_batch(): the tag mask, then keystream from counter 2. Later batches reuse all of it.
    void xor_keystream(std::span<const std::uint8_t, nonce_size> nonce, std::uint8_t* buf,
                       std::size_t first, bytes_view in, bytes_span out) const
    {
        const std::uint8_t* ks = buf + 16;
        std::size_t ready = first - 1;
        std::size_t done = 0;
        std::uint32_t next_counter = 2 + static_cast<std::uint32_t>(ready);
        while (true) {
            const std::size_t left = in.size() - done;
            const std::size_t take = left < 16 * ready ? left : 16 * ready;
            std::size_t i = 0;
            // Whole blocks with 16-octet stores: GHASH reads the ciphertext back in
            // 16-octet blocks (here, or in the next layer's open), which narrower stores
            // would not forward to.
            for (; i + 16 <= take; i += 16)
                detail::xor_block(out.data() + done + i, in.data() + done + i, ks + i);
            for (; i < take; ++i) out[done + i] = static_cast<std::uint8_t>(in[done + i] ^ ks[i]);
            done += take;
            if (done == in.size()) return;
            const std::size_t blocks = (in.size() - done + 15) / 16;
            ready = blocks < batch_blocks ? blocks : batch_blocks;
            fill_counters(nonce, buf, next_counter, ready);
            aes_->encrypt_n(buf, buf, ready);
            next_counter += static_cast<std::uint32_t>(ready);
            ks = buf;
        }
    }

    // s = GHASH_H(aad ‖ pad ‖ text ‖ pad ‖ len64(aad) ‖ len64(text)).
    // Each Botan ghash_update call costs ~25 ns before any data (a partial block more), so
    // a short AAD (SRTP/SRTCP: ≤ 64 octets) is padded in one stack buffer and the text's
    // partial last block travels with the length block: three calls, all on whole blocks.
    // Every block Botan reads is written here with one 16-octet store (detail::store_block):
    // Botan loads 16 octets at a time, and a load spanning narrower stores still in the
    // store buffer waits for them to drain — about as long as a block's GHASH.
    void ghash(const aad_view& aad, bytes_view text, std::uint8_t s[16])
    {
        detail::store_block(acc_.data(), 0, 0);
        const std::size_t a_size = aad.size();
        if (a_size <= 64) {
            alignas(16) std::uint8_t a[64];
            const std::size_t padded = (a_size + 15) & ~std::size_t{15};
            gather_aad(aad, a, padded);
            if (a_size != 0) ghash_->ghash_update(acc_, a, padded);
        } else {
            const std::size_t f_full = aad.first.size() & ~std::size_t{15};
            if (f_full != 0) ghash_->ghash_update(acc_, aad.first.data(), f_full);
            const std::size_t f_rest = aad.first.size() - f_full;
            bytes_view second = aad.second;
            if (f_rest != 0) {
                std::uint8_t joint[16] = {};
                std::memcpy(joint, aad.first.data() + f_full, f_rest);
                const std::size_t take = (16 - f_rest) < second.size() ? 16 - f_rest
                                                                       : second.size();
                if (take != 0) std::memcpy(joint + f_rest, second.data(), take);
                ghash_->ghash_update(acc_, joint, 16);
                second = second.subspan(take);
            }
            if (!second.empty()) ghash_->ghash_update(acc_, second.data(), second.size());
        }
        const std::size_t t_full = text.size() & ~std::size_t{15};
        if (t_full != 0) ghash_->ghash_update(acc_, text.data(), t_full);
        // GHASH runs over ciphertext (public) in both directions: no wipe needed.
        alignas(16) std::uint8_t tail[32];
        const std::size_t t_rest = text.size() - t_full;
        if (t_rest != 0) {
            std::uint64_t lo, hi;
            detail::load_partial_block(text.data() + t_full, t_rest, lo, hi);
            detail::store_block(tail, lo, hi);
        }
        std::uint8_t* len = tail + 16;
        detail::store_block(len, detail::to_be(8 * std::uint64_t{a_size}),
                            detail::to_be(8 * std::uint64_t{text.size()}));
        ghash_->ghash_update(acc_, t_rest != 0 ? tail : len, t_rest != 0 ? 32 : 16);
        std::memcpy(s, acc_.data(), 16); // one 16-octet store: the tag compare reloads it whole
    }

    // Writes aad ‖ zeros (`padded` octets, a multiple of 16, ≤ 64) to `a`, a block per
    // 16-octet store. SRTP and SRTCP AADs are whole 4-octet words (RTP headers, SRTCP
    // header ‖ index), read as such — the size their writers store them in; others are
    // copied octet by octet first.
    static void gather_aad(const aad_view& aad, std::uint8_t* a, std::size_t padded) noexcept
    {
        const std::size_t f = aad.first.size();
        const std::size_t n = aad.size();
        if (f % 4 != 0 || n % 4 != 0) {
            std::memset(a, 0, padded);
            if (f != 0) std::memcpy(a, aad.first.data(), f);
            if (!aad.second.empty()) std::memcpy(a + f, aad.second.data(), aad.second.size());
            return;
        }
        auto word = [&](std::size_t pos) -> std::uint32_t {
            if (pos < f) return detail::load_host<std::uint32_t>(aad.first.data() + pos);
            if (pos < n) return detail::load_host<std::uint32_t>(aad.second.data() + (pos - f));
            return 0;
        };
        for (std::size_t b = 0; b < padded; b += 16)
            detail::store_block(a + b, detail::join_host(word(b), word(b + 4)),
                                detail::join_host(word(b + 8), word(b + 12)));
    }

    std::unique_ptr<aes_type> aes_;
    std::unique_ptr<Botan::GHASH> ghash_;
    Botan::secure_vector<std::uint8_t> acc_;
};

using aead_aes_128_gcm = aead_gcm<perc::aead_aes_128_gcm>;
using aead_aes_256_gcm = aead_gcm<perc::aead_aes_256_gcm>;

static_assert(aead_cipher<aead_aes_128_gcm>);
static_assert(aead_cipher<aead_aes_256_gcm>);

} // namespace perc::botan
