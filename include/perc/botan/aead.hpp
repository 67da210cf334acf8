// perc — Botan 2 backend: AES-GCM (NIST SP 800-38D) as an aead_cipher, built from Botan's
// AES and GHASH so that open() verifies before it decrypts, throws nothing and allocates nothing.
#pragma once

#include <perc/botan/future_internal.hpp> // botan/aes.h, botan/ghash.h
#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/errc.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/suites.hpp>

#include <botan/secmem.h>

#include <algorithm>
#include <array>
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
/// Re-encryption (aead_recrypt): open_peek() verifies a packet under this key and decrypts
/// only its last few octets; recrypt() then encrypts under another object's key, turning the
/// kept ciphertext octets into the new ciphertext with both keystreams at once — C' = C ⊕
/// KS_in ⊕ KS_out, one pass, the plaintext never stored — and appends a new plaintext tail.
/// GCM's counter blocks are the same in both layers (counter 2 at text octet 0), so the
/// keystreams line up octet for octet. An RFC 8723 Media Distributor relays this way: it
/// reads and rewrites only the OHB at the end of the outer plaintext (§5.2).
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
    /// The most octets open_peek() reveals.
    static constexpr std::size_t max_peek = 16;

    /// What open_peek() hands to recrypt(): the opened layer's key (by pointer: that object
    /// must stay keyed and unchanged in between), nonce and size, and its first batch of
    /// keystream — secret, wiped by recrypt() and by the destructor.
    class recrypt_state {
    public:
        recrypt_state() noexcept = default;
        recrypt_state(const recrypt_state&) = delete;
        recrypt_state& operator=(const recrypt_state&) = delete;
        ~recrypt_state() { clear(); }
        bool opened() const noexcept { return aes_ != nullptr; }

    private:
        friend class aead_gcm;
        void clear() noexcept
        {
            if (first_ != 0) secure_wipe(bytes_span{ks_, 16 * first_});
            first_ = 0;
            aes_ = nullptr;
        }
        const aes_type* aes_ = nullptr;
        std::array<std::uint8_t, nonce_size> nonce_{};
        std::size_t size_ = 0; // octets of the opened text
        // Blocks written to ks_ (what clear() wipes): E(J0), keystream from counter 2, and
        // up to two blocks of the peeked octets' keystream after that first batch.
        std::size_t first_ = 0;
        alignas(16) std::uint8_t ks_[16 * (batch_blocks + 2)];
    };

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

    /// Verifies `tag` over aad ‖ in exactly as open() does; only if it matches, writes the
    /// last peek.size() (≤ max_peek) plaintext octets to `peek` and fills `st` for
    /// recrypt(). Nothing else is decrypted or written. On any error `peek` is untouched and
    /// `st` holds nothing.
    /// Errors: no_key, invalid_argument (sizes), auth_failed, backend_failure.
    errc open_peek(std::span<const std::uint8_t, nonce_size> nonce, const aad_view& aad,
                   bytes_view in, std::span<const std::uint8_t, tag_size> tag, bytes_span peek,
                   recrypt_state& st) noexcept
    {
        st.clear();
        if (aes_ == nullptr) return errc::no_key;
        if (in.size() > max_plaintext_size || peek.size() > max_peek || peek.size() > in.size())
            return errc::invalid_argument;
        try {
            // The first batch, and when the peeked octets [from, size) lie past it their own
            // one or two keystream blocks after it, in the same AES call.
            const std::size_t first = first_blocks(in.size());
            const std::size_t from = in.size() - peek.size();
            const std::uint8_t* ks = st.ks_ + 16; // keystream of text octet 0
            std::size_t base = 0;                 // the text octet ks points at
            std::size_t extra = 0;
            fill_counters(nonce, st.ks_, 1, first);
            if (!peek.empty() && in.size() > 16 * (first - 1)) {
                const std::size_t b0 = from / 16;
                extra = (in.size() - 1) / 16 - b0 + 1;
                fill_counters(nonce, st.ks_ + 16 * first, 2 + static_cast<std::uint32_t>(b0),
                              extra);
                ks = st.ks_ + 16 * first;
                base = 16 * b0;
            }
            st.first_ = first + extra;
            aes_->encrypt_n(st.ks_, st.ks_, first + extra);
            std::uint8_t s[16];
            ghash(aad, in, s);
            for (std::size_t i = 0; i < 16; ++i) s[i] = static_cast<std::uint8_t>(s[i] ^ st.ks_[i]);
            if (!ct_equal(s, tag)) { // RFC 7714 §5.3: verify first
                st.clear();
                return errc::auth_failed;
            }
            for (std::size_t i = 0; i < peek.size(); ++i)
                peek[i] = static_cast<std::uint8_t>(in[from + i] ^ ks[from + i - base]);
            st.aes_ = aes_.get();
            std::copy_n(nonce.data(), nonce_size, st.nonce_.data());
            st.size_ = in.size();
            return errc::ok;
        } catch (...) {
            st.clear();
            return errc::backend_failure;
        }
    }

    /// Encrypts under this key, nonce and `aad` the text  P[0..keep) ‖ tail, where P is the
    /// plaintext open_peek() verified into `st` and keep = text.size() − tail.size():
    /// text[0..keep) holds that packet's ciphertext octets 0..keep (in place, or moved
    /// there) and becomes the new ciphertext; text[keep..) receives E(tail). Writes the tag
    /// and consumes `st`. `tail` (≤ max_peek octets) must not overlap `text`.
    /// The same (nonce, key) rules as seal(): never reuse a nonce. With `st` opened by an
    /// object under the same key and nonce this re-creates the received ciphertext.
    /// Errors: no_key, invalid_argument (st not opened, keep > opened size, tail too long,
    /// size), buffer_overlap, backend_failure. On an error other than backend_failure
    /// nothing is written and `st` is left as it was.
    errc recrypt(recrypt_state& st, std::span<const std::uint8_t, nonce_size> nonce,
                 const aad_view& aad, bytes_span text, bytes_view tail,
                 std::span<std::uint8_t, tag_size> tag) noexcept
    {
        if (aes_ == nullptr) return errc::no_key;
        if (!st.opened() || tail.size() > max_peek || tail.size() > text.size() ||
            text.size() - tail.size() > st.size_ || text.size() > max_plaintext_size)
            return errc::invalid_argument;
        if (!tail.empty() && overlaps(tail.data(), tail.size(), text.data(), text.size()))
            return errc::buffer_overlap;
        try {
            recrypt_pass(st, nonce, aad, text, tail, tag);
            st.clear();
            return errc::ok;
        } catch (...) {
            st.clear();
            return errc::backend_failure;
        }
    }

private:
    // recrypt() once its arguments are checked.
    void recrypt_pass(recrypt_state& st, std::span<const std::uint8_t, nonce_size> nonce,
                      const aad_view& aad, bytes_span text, bytes_view tail,
                      std::span<std::uint8_t, tag_size> tag)
    {
        const std::size_t total = text.size();
        const std::size_t keep = total - tail.size();
        std::uint8_t ko_buf[16 * batch_blocks];
        const std::size_t first = first_blocks(total);
        scoped_wipe wipe_ko{bytes_span{ko_buf, 16 * first}};
        first_batch(nonce, ko_buf, first);
        std::uint8_t mask[16];
        scoped_wipe wipe_mask{mask};
        std::copy_n(ko_buf, 16, mask);
        // Both first batches start at counter 2 and cover min(15, blocks) blocks: the
        // incoming one covers all of [0, keep) when it is shorter than 15 blocks, and both
        // cover the same 15 otherwise. Later batches take the same counters in both.
        const std::uint8_t* ko = ko_buf + 16;
        const std::uint8_t* ki = st.ks_ + 16;
        std::size_t ready = first - 1;
        std::size_t done = 0;
        std::uint32_t next_counter = 2 + static_cast<std::uint32_t>(ready);
        std::uint8_t* p = text.data();
        while (true) {
            const std::size_t left = total - done;
            const std::size_t take = left < 16 * ready ? left : 16 * ready;
            const std::size_t kept = keep > done ? (keep - done < take ? keep - done : take) : 0;
            std::size_t i = 0;
            // Whole kept blocks: C' = C ⊕ KS_in ⊕ KS_out with 16-octet stores (GHASH reads
            // them back whole).
            for (; i + 16 <= kept; i += 16) detail::xor3_block(p + i, p + i, ki + i, ko + i);
            // The block where the kept octets end and the tail begins, and the tail.
            for (; i < take; ++i) {
                const std::size_t pos = done + i;
                const std::uint8_t v = pos < keep ? static_cast<std::uint8_t>(p[i] ^ ki[i])
                                                  : tail[pos - keep];
                p[i] = static_cast<std::uint8_t>(v ^ ko[i]);
            }
            done += take;
            p += take;
            if (done == total) break;
            const std::size_t blocks = (total - done + 15) / 16;
            ready = blocks < batch_blocks ? blocks : batch_blocks;
            fill_counters(nonce, ko_buf, next_counter, ready);
            aes_->encrypt_n(ko_buf, ko_buf, ready);
            ko = ko_buf;
            if (done < keep) {
                // The first batch held 15 blocks in both: refill the incoming keystream at
                // the same counters (the state's buffer, wiped with it).
                const std::size_t in_blocks = (keep - done + 15) / 16;
                const std::size_t n = in_blocks < ready ? in_blocks : ready;
                fill_counters(std::span<const std::uint8_t, nonce_size>{st.nonce_}, st.ks_,
                              next_counter, n);
                // st.first_ (what clear() wipes) already covers these: the incoming text
                // had more than 15 blocks, so open_peek filled the whole first batch.
                st.aes_->encrypt_n(st.ks_, st.ks_, n);
                ki = st.ks_;
            }
            next_counter += static_cast<std::uint32_t>(ready);
        }
        std::uint8_t s[16];
        ghash(aad, bytes_view{text.data(), total}, s);
        for (std::size_t i = 0; i < 16; ++i) tag[i] = static_cast<std::uint8_t>(s[i] ^ mask[i]);
    }

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
    // Botan 2.19's CLMUL GHASH multiplies four blocks per reduction and each block left
    // over on its own (a dependent multiply and reduction: ~10 ns here against ~4 ns for a
    // block of a group), and each ghash_update call costs ~8 ns before any data. Two facts
    // make every block part of a group of four in as few calls as the packet allows:
    // - GHASH from a zero state is unchanged by leading zero blocks (X = (0 ⊕ 0)·H = 0), so
    //   z ≤ 3 zero blocks in front make the block count a multiple of four;
    // - a short AAD, the text's partial block and the length block can be staged on the
    //   stack next to copies of the first and last text blocks.
    // AAD ≤ 64 octets (SRTP, SRTCP): up to ghash_staged octets, zeros ‖ AAD ‖ text ‖ partial
    // ‖ lengths in one stack buffer, ONE call; longer text, three calls of whole groups —
    // zeros ‖ AAD ‖ the first k text blocks; the middle in place; the last r text blocks ‖
    // partial ‖ lengths (four blocks). A longer AAD takes the general form (ghash_long_aad).
    // GHASH runs over ciphertext (public) in both directions: the buffers need no wipe.
    // Every block Botan reads is written here with one 16-octet store (detail::store_block,
    // or a 16-octet copy): Botan loads 16 octets at a time, and a load spanning narrower
    // stores still in the store buffer waits for them to drain.
    void ghash(const aad_view& aad, bytes_view text, std::uint8_t s[16])
    {
        detail::store_block(acc_.data(), 0, 0);
        const std::size_t a_size = aad.size();
        const std::size_t t_full = text.size() & ~std::size_t{15};
        const std::size_t t_rest = text.size() - t_full;
        if (a_size > 64) {
            ghash_long_aad(aad);
            if (t_full != 0) ghash_->ghash_update(acc_, text.data(), t_full);
            alignas(16) std::uint8_t last[32];
            const std::size_t n = stage_end(aad, text, t_full, last);
            ghash_->ghash_update(acc_, last, n);
        } else {
            const std::size_t padded = (a_size + 15) & ~std::size_t{15};
            const std::size_t blocks = padded / 16 + t_full / 16 + (t_rest != 0 ? 2 : 1);
            const std::size_t zeros = 16 * ((4 - blocks % 4) % 4);
            if (16 * blocks <= ghash_staged) {
                alignas(16) std::uint8_t buf[ghash_staged + 48];
                zero_blocks(buf, zeros);
                std::uint8_t* p = buf + zeros;
                gather_aad_blocks(aad, p, padded);
                copy_blocks(p + padded, text.data(), t_full);
                const std::size_t n = stage_end(aad, text, t_full, p + padded + t_full);
                ghash_->ghash_update(acc_, buf, zeros + padded + t_full + n);
            } else {
                // Head: zeros ‖ AAD ‖ the first k text blocks, a multiple of four blocks.
                alignas(16) std::uint8_t head[128];
                zero_blocks(head, zeros);
                gather_aad_blocks(aad, head + zeros, padded);
                const std::size_t k = 16 * ((4 - (zeros + padded) / 16 % 4) % 4);
                copy_blocks(head + zeros + padded, text.data(), k);
                if (zeros + padded + k != 0) ghash_->ghash_update(acc_, head, zeros + padded + k);
                // Middle: whole groups of four, in place.
                const std::size_t r = (t_full - k) % 64; // the last r / 16 (≤ 3) full blocks
                const std::size_t middle = t_full - k - r;
                ghash_->ghash_update(acc_, text.data() + k, middle);
                // Tail: those blocks ‖ partial ‖ lengths, four blocks in all.
                alignas(16) std::uint8_t tail[64];
                copy_blocks(tail, text.data() + k + middle, r);
                const std::size_t n = stage_end(aad, text, t_full, tail + r);
                ghash_->ghash_update(acc_, tail, r + n);
            }
        }
        std::memcpy(s, acc_.data(), 16); // one 16-octet store: the tag compare reloads it whole
    }

    // Octets staged for a one-call GHASH (AAD ≤ 64, text, partial block, lengths): below it
    // staging copies less than the two calls it saves cost.
    static constexpr std::size_t ghash_staged = 320;
    // The three-call form takes up to 3 text blocks into its head and 3 into its tail: it
    // is only reached with at least ghash_staged / 16 − 5 ≥ 6 full text blocks.
    static_assert(ghash_staged % 16 == 0 && ghash_staged >= 16 * 11);

    // Writes the text's partial last block (zero-padded, if any) and the length block at
    // `out`; returns the octets written (16 or 32).
    static std::size_t stage_end(const aad_view& aad, bytes_view text, std::size_t t_full,
                                 std::uint8_t* out) noexcept
    {
        std::size_t n = 0;
        if (const std::size_t t_rest = text.size() - t_full; t_rest != 0) {
            std::uint64_t lo, hi;
            detail::load_partial_block(text.data() + t_full, t_rest, lo, hi);
            detail::store_block(out, lo, hi);
            n = 16;
        }
        detail::store_block(out + n, detail::to_be(8 * std::uint64_t{aad.size()}),
                            detail::to_be(8 * std::uint64_t{text.size()}));
        return n + 16;
    }

    // n (a multiple of 16) octets of zeros, then of copies, a 16-octet store per block
    // (GHASH reads them back whole).
    static void zero_blocks(std::uint8_t* dst, std::size_t n) noexcept
    {
        for (std::size_t i = 0; i < n; i += 16) detail::store_block(dst + i, 0, 0);
    }
    static void copy_blocks(std::uint8_t* dst, const std::uint8_t* src, std::size_t n) noexcept
    {
        for (std::size_t i = 0; i < n; i += 16) std::memcpy(dst + i, src + i, 16);
    }

    // GHASH over an AAD longer than 64 octets and its zero padding (RTP headers with many
    // CSRCs or a long extension): whole blocks in place, the block the two pieces share
    // joined on the stack.
    void ghash_long_aad(const aad_view& aad)
    {
        const std::size_t f_full = aad.first.size() & ~std::size_t{15};
        if (f_full != 0) ghash_->ghash_update(acc_, aad.first.data(), f_full);
        const std::size_t f_rest = aad.first.size() - f_full;
        bytes_view second = aad.second;
        if (f_rest != 0) {
            std::uint8_t joint[16] = {};
            std::memcpy(joint, aad.first.data() + f_full, f_rest);
            const std::size_t take = (16 - f_rest) < second.size() ? 16 - f_rest : second.size();
            if (take != 0) std::memcpy(joint + f_rest, second.data(), take);
            ghash_->ghash_update(acc_, joint, 16);
            second = second.subspan(take);
        }
        if (!second.empty()) ghash_->ghash_update(acc_, second.data(), second.size());
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
