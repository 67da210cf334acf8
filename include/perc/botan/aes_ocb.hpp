// perc — Botan 2 backend: OCB (RFC 7253) with AES and a 128-bit tag as an aead_cipher, built
// from Botan's AES block cipher so that it allocates nothing per packet, takes the associated
// data in two pieces, throws nothing, and leaves the caller's buffers as they were on a bad tag.
// NON-STANDARD for SRTP: no DTLS-SRTP profile (see perc::aead_aes_128_ocb).
#pragma once

#include <perc/botan/future_internal.hpp> // botan/aes.h
#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/errc.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/suites.hpp>

#include <botan/secmem.h>

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <type_traits>

namespace perc::botan {

/// OCB (RFC 7253) with AES-128 or AES-256, TAGLEN 128 and a 12-octet nonce, for
/// Suite = aead_aes_128_ocb (AEAD_AES_128_OCB_TAGLEN128, §3.1).
///
/// Why not Botan's OCB_Encryption / OCB_Decryption: per message they allocate (the AD hash is
/// returned as a fresh secure_vector, finish() builds the tag in one and appends it to the
/// caller's vector), they take the associated data as one contiguous string (SRTCP has two
/// pieces, RFC 7714 §9.2), and a bad tag throws after the plaintext is already in the buffer.
///
/// Unlike GCM or ChaCha20-Poly1305, OCB's tag covers a checksum of the PLAINTEXT, so the tag
/// can only be checked after decrypting. open() therefore never lets the caller see the
/// plaintext before the check, and on errc::auth_failed leaves both buffers as they were:
///  - in place: decrypts in place, checks, and on failure re-encrypts in place — OCB
///    encryption under the same key and nonce is deterministic and exactly inverts the
///    decryption, so the input octets come back bit for bit. Cost: a valid packet one pass,
///    a forged packet two passes.
///  - out of place: decrypts into a stack scratch buffer of scratch_size octets (wiped
///    afterwards), checks, and only then writes `out` — by copying the scratch if the whole
///    payload fitted, or else by decrypting a second time straight into `out`. Cost: up to
///    scratch_size octets one pass and a copy; larger payloads two passes when valid, one
///    when forged.
/// On backend_failure (Botan threw; not expected once keyed) an in-place buffer is zeroed
/// rather than left holding partial plaintext.
///
/// Allocation: set_key only (AES key schedule and the L table). Per packet: none
/// (tests/alloc_count.cpp). Stack: about scratch_size + 600 octets in open().
/// Thread safety: distinct objects safe; one object is not.
template <class Suite>
class aes_ocb {
    static_assert(Suite::key_size == 16 || Suite::key_size == 32, "AES-128 or AES-256");
    static_assert(Suite::nonce_size == 12 && Suite::tag_size == 16,
                  "RFC 7253 with a 96-bit nonce and TAGLEN 128");
    using aes_type = std::conditional_t<Suite::key_size == 16, Botan::AES_128, Botan::AES_256>;
    static constexpr std::size_t batch_blocks = 16; // blocks per AES call
    static constexpr std::size_t l_count = 32;      // L_0 .. L_31: block indices below 2^32

public:
    using suite = Suite;
    static constexpr std::size_t key_size = Suite::key_size;
    static constexpr std::size_t nonce_size = Suite::nonce_size;
    static constexpr std::size_t tag_size = Suite::tag_size;
    static constexpr std::uint64_t max_plaintext_size = Suite::max_plaintext_size;
    static_assert(max_plaintext_size <= 16 * ((std::uint64_t{1} << l_count) - 1),
                  "the L table must cover every block index");
    /// Out-of-place open() decrypts payloads up to this size once; larger ones twice.
    static constexpr std::size_t scratch_size = 1536;

    aes_ocb() noexcept = default;
    aes_ocb(aes_ocb&&) noexcept = default;
    aes_ocb& operator=(aes_ocb&&) noexcept = default;
    aes_ocb(const aes_ocb&) = delete;
    aes_ocb& operator=(const aes_ocb&) = delete;
    ~aes_ocb() = default; // Botan wipes the key schedule and the table (secure_vector)

    /// Installs `key`: the AES key schedule and RFC 7253 §4.1's key-dependent values
    /// L_* = ENCIPHER(K, zeros(128)), L_$ = double(L_*), L_0 = double(L_$),
    /// L_i = double(L_{i-1}), precomputed for i < 32.
    /// Errors: backend_failure (allocation or Botan error; the object then has no key).
    errc set_key(std::span<const std::uint8_t, key_size> key) noexcept
    {
        try {
            auto aes = std::make_unique<aes_type>();
            aes->set_key(key.data(), key.size());
            Botan::secure_vector<std::uint8_t> table(16 * (2 + l_count));
            std::uint8_t* t = table.data();
            aes->encrypt(t); // the table starts zeroed: L_* = E(0^128)
            for (std::size_t i = 1; i < 2 + l_count; ++i) dbl(t + 16 * (i - 1), t + 16 * i);
            aes_ = std::move(aes);
            table_ = std::move(table);
            return errc::ok;
        } catch (...) {
            aes_.reset();
            return errc::backend_failure;
        }
    }

    bool has_key() const noexcept { return aes_ != nullptr; }

    /// RFC 7253 §4.2 OCB-ENCRYPT: out = the ciphertext, tag = TAGLEN-bit tag.
    /// `out` has in.size() octets and is either `in` itself or disjoint from it.
    /// Errors: no_key, invalid_argument (sizes), buffer_overlap, backend_failure.
    /// Allocation: none.
    errc seal(std::span<const std::uint8_t, nonce_size> nonce, const aad_view& aad, bytes_view in,
              bytes_span out, std::span<std::uint8_t, tag_size> tag) noexcept
    {
        if (errc e = check(aad, in, out); e != errc::ok) return e;
        try {
            std::uint8_t h[16];
            scoped_wipe wipe_h{h};
            hash(aad, h);
            pass_state s;
            start(nonce, s);
            process(s, direction::encrypt, in.data(), out.data(), in.size());
            std::uint8_t t[16];
            scoped_wipe wipe_t{t};
            finish(s, h, t);
            for (std::size_t i = 0; i < tag_size; ++i) tag[i] = t[i];
            return errc::ok;
        } catch (...) {
            return errc::backend_failure;
        }
    }

    /// RFC 7253 §4.3 OCB-DECRYPT: writes the plaintext to `out` only if `tag` verifies.
    /// On errc::auth_failed `in` and `out` hold exactly what they held before (see the class
    /// comment for how, and what it costs).
    /// Errors: no_key, invalid_argument, buffer_overlap, auth_failed, backend_failure.
    /// Allocation: none.
    errc open(std::span<const std::uint8_t, nonce_size> nonce, const aad_view& aad, bytes_view in,
              std::span<const std::uint8_t, tag_size> tag, bytes_span out) noexcept
    {
        if (errc e = check(aad, in, out); e != errc::ok) return e;
        const bool in_place = out.data() == in.data() || in.empty();
        try {
            std::uint8_t h[16], t[16];
            scoped_wipe wipe_h{h}, wipe_t{t};
            hash(aad, h);
            pass_state s;
            start(nonce, s);
            const std::size_t n = in.size();
            if (in_place) {
                process(s, direction::decrypt, in.data(), out.data(), n);
                finish(s, h, t);
                if (!ct_equal(t, tag)) {
                    pass_state r;
                    start(nonce, r);
                    process(r, direction::encrypt, out.data(), out.data(), n); // restore
                    return errc::auth_failed;
                }
                return errc::ok;
            }
            std::uint8_t scratch[scratch_size];
            scoped_wipe wipe_scratch{bytes_span{scratch, n < scratch_size ? n : scratch_size}};
            for (std::size_t at = 0; at < n; at += scratch_size) {
                const std::size_t chunk = n - at < scratch_size ? n - at : scratch_size;
                process(s, direction::decrypt, in.data() + at, scratch, chunk);
            }
            finish(s, h, t);
            if (!ct_equal(t, tag)) return errc::auth_failed; // `out` never written
            if (n <= scratch_size) {
                std::memcpy(out.data(), scratch, n);
            } else {
                pass_state again;
                start(nonce, again);
                process(again, direction::decrypt, in.data(), out.data(), n);
            }
            return errc::ok;
        } catch (...) {
            if (in_place) secure_wipe(out);
            return errc::backend_failure;
        }
    }

private:
    enum class direction : std::uint8_t { encrypt, decrypt };

    // Offset and Checksum of one pass, and the index of the last whole block processed.
    struct pass_state {
        std::uint8_t offset[16] = {};
        std::uint8_t checksum[16] = {};
        std::uint64_t block = 0;
        pass_state() = default;
        pass_state(const pass_state&) = delete;
        pass_state& operator=(const pass_state&) = delete;
        ~pass_state()
        {
            secure_wipe(offset);
            secure_wipe(checksum);
        }
    };

    errc check(const aad_view& aad, bytes_view in, bytes_span out) const noexcept
    {
        if (errc e = check_aead_arguments(aes_ != nullptr, in, out, max_plaintext_size);
            e != errc::ok)
            return e;
        return aad.size() > max_plaintext_size ? errc::invalid_argument : errc::ok;
    }

    const std::uint8_t* l_star() const noexcept { return table_.data(); }
    const std::uint8_t* l_dollar() const noexcept { return table_.data() + 16; }
    const std::uint8_t* l(std::uint64_t i) const noexcept
    {
        return table_.data() + 32 + 16 * static_cast<std::size_t>(std::countr_zero(i));
    }

    // RFC 7253 §2: double(S) = S << 1, xor 0x87 into the last octet if S[1] was 1.
    static void dbl(const std::uint8_t* s, std::uint8_t* d) noexcept
    {
        const std::uint8_t carry = static_cast<std::uint8_t>(s[0] >> 7);
        for (std::size_t i = 0; i < 15; ++i)
            d[i] = static_cast<std::uint8_t>((s[i] << 1) | (s[i + 1] >> 7));
        d[15] = static_cast<std::uint8_t>((s[15] << 1) ^ (0x87 * carry));
    }

    static void xor16(std::uint8_t* d, const std::uint8_t* a) noexcept
    {
        std::uint64_t x[2], y[2];
        std::memcpy(x, d, 16);
        std::memcpy(y, a, 16);
        x[0] ^= y[0];
        x[1] ^= y[1];
        std::memcpy(d, x, 16);
    }

    // RFC 7253 §4.2 nonce-dependent values, for a 96-bit N and TAGLEN 128:
    //   Nonce  = num2str(TAGLEN mod 128, 7) ‖ zeros(120 − 96) ‖ 1 ‖ N   = 00 00 00 01 ‖ N
    //   bottom = str2num(Nonce[123..128]);  Ktop = ENCIPHER(K, Nonce[1..122] ‖ zeros(6))
    //   Stretch = Ktop ‖ (Ktop[1..64] ⊕ Ktop[9..72]);  Offset_0 = Stretch[1+bottom..128+bottom]
    // (bottom depends on the nonce only, which is public: branching on it is fine.)
    void start(std::span<const std::uint8_t, nonce_size> nonce, pass_state& s) const
    {
        std::uint8_t stretch[24] = {0, 0, 0, 1};
        scoped_wipe wipe_stretch{stretch};
        std::memcpy(stretch + 4, nonce.data(), 12);
        const unsigned bottom = stretch[15] & 0x3Fu;
        stretch[15] = static_cast<std::uint8_t>(stretch[15] & 0xC0u);
        aes_->encrypt(stretch);
        for (std::size_t i = 0; i < 8; ++i)
            stretch[16 + i] = static_cast<std::uint8_t>(stretch[i] ^ stretch[i + 1]);
        const std::size_t bytes = bottom / 8;
        const unsigned bits = bottom % 8;
        for (std::size_t i = 0; i < 16; ++i)
            s.offset[i] = static_cast<std::uint8_t>((stretch[i + bytes] << bits) |
                                                    (stretch[i + bytes + 1] >> (8 - bits)));
        std::memset(s.checksum, 0, 16);
        s.block = 0;
    }

    // The block loop of §4.2 / §4.3 over n octets from src to dst (== src or disjoint),
    // continuing s. Only the last call of a pass may have a partial final block.
    //   Offset_i = Offset_{i-1} ⊕ L_{ntz(i)}
    //   C_i = Offset_i ⊕ ENCIPHER(K, P_i ⊕ Offset_i)  /  P_i = Offset_i ⊕ DECIPHER(K, C_i ⊕
    //   Offset_i) Checksum_i = Checksum_{i-1} ⊕ P_i final: Offset_* = Offset_m ⊕ L_*, Pad =
    //   ENCIPHER(K, Offset_*), C_* = P_* ⊕ Pad[..],
    //          Checksum_* = Checksum_m ⊕ (P_* ‖ 1 ‖ zeros)
    void process(pass_state& s, direction dir, const std::uint8_t* src, std::uint8_t* dst,
                 std::size_t n) const
    {
        std::uint8_t buf[16 * batch_blocks], offs[16 * batch_blocks];
        std::size_t whole = n / 16;
        const std::size_t used = 16 * (whole < batch_blocks ? whole : batch_blocks);
        scoped_wipe wipe_buf{bytes_span{buf, used}}, wipe_offs{bytes_span{offs, used}};
        while (whole != 0) {
            const std::size_t b = whole < batch_blocks ? whole : batch_blocks;
            for (std::size_t k = 0; k < b; ++k) {
                xor16(s.offset, l(++s.block));
                std::memcpy(offs + 16 * k, s.offset, 16);
                std::memcpy(buf + 16 * k, src + 16 * k, 16);
                if (dir == direction::encrypt) xor16(s.checksum, buf + 16 * k);
                xor16(buf + 16 * k, s.offset);
            }
            if (dir == direction::encrypt) aes_->encrypt_n(buf, buf, b);
            else aes_->decrypt_n(buf, buf, b);
            for (std::size_t k = 0; k < b; ++k) {
                xor16(buf + 16 * k, offs + 16 * k);
                if (dir == direction::decrypt) xor16(s.checksum, buf + 16 * k);
            }
            std::memcpy(dst, buf, 16 * b);
            src += 16 * b;
            dst += 16 * b;
            whole -= b;
        }
        const std::size_t rest = n % 16;
        if (rest == 0) return;
        xor16(s.offset, l_star());
        std::uint8_t pad[16], last[16] = {};
        scoped_wipe wipe_pad{pad}, wipe_last{last};
        std::memcpy(pad, s.offset, 16);
        aes_->encrypt(pad);
        std::memcpy(last, src, rest);
        if (dir == direction::encrypt) {
            last[rest] = 0x80;
            xor16(s.checksum, last);
            for (std::size_t i = 0; i < rest; ++i)
                dst[i] = static_cast<std::uint8_t>(src[i] ^ pad[i]);
        } else {
            for (std::size_t i = 0; i < rest; ++i)
                last[i] = static_cast<std::uint8_t>(last[i] ^ pad[i]);
            std::memcpy(dst, last, rest);
            last[rest] = 0x80;
            xor16(s.checksum, last);
        }
    }

    // §4.2: Tag = ENCIPHER(K, Checksum_* ⊕ Offset_* ⊕ L_$) ⊕ HASH(K, A).
    void finish(const pass_state& s, const std::uint8_t h[16], std::uint8_t t[16]) const
    {
        std::memcpy(t, s.checksum, 16);
        xor16(t, s.offset);
        xor16(t, l_dollar());
        aes_->encrypt(t);
        xor16(t, h);
    }

    // §4.1 HASH(K, A) over the concatenation aad.first ‖ aad.second:
    //   Sum = ⊕_i ENCIPHER(K, A_i ⊕ Offset_i) with Offset_i = Offset_{i-1} ⊕ L_{ntz(i)},
    //   plus, for a partial A_*, ENCIPHER(K, (A_* ‖ 1 ‖ zeros) ⊕ Offset_m ⊕ L_*).
    void hash(const aad_view& aad, std::uint8_t sum[16]) const
    {
        std::memset(sum, 0, 16);
        std::uint8_t offset[16] = {};
        std::uint8_t buf[16 * batch_blocks];
        const std::size_t total = aad.size();
        std::size_t whole = total / 16;
        const std::size_t used = 16 * (whole < batch_blocks ? whole : batch_blocks);
        scoped_wipe wipe_offset{offset}, wipe_buf{bytes_span{buf, used < 16 ? 16 : used}};
        std::size_t at = 0;
        std::uint64_t block = 0;
        while (whole != 0) {
            const std::size_t b = whole < batch_blocks ? whole : batch_blocks;
            gather(aad, at, buf, 16 * b);
            for (std::size_t k = 0; k < b; ++k) {
                xor16(offset, l(++block));
                xor16(buf + 16 * k, offset);
            }
            aes_->encrypt_n(buf, buf, b);
            for (std::size_t k = 0; k < b; ++k) xor16(sum, buf + 16 * k);
            at += 16 * b;
            whole -= b;
        }
        const std::size_t rest = total - at;
        if (rest == 0) return;
        std::memset(buf, 0, 16);
        gather(aad, at, buf, rest);
        buf[rest] = 0x80;
        xor16(offset, l_star());
        xor16(buf, offset);
        aes_->encrypt(buf);
        xor16(sum, buf);
    }

    // Copies n octets of aad.first ‖ aad.second, starting at position `at`, to dst.
    static void gather(const aad_view& aad, std::size_t at, std::uint8_t* dst,
                       std::size_t n) noexcept
    {
        const std::size_t f = aad.first.size();
        if (at < f) {
            const std::size_t take = f - at < n ? f - at : n;
            std::memcpy(dst, aad.first.data() + at, take);
            dst += take;
            n -= take;
            at = f;
        }
        if (n != 0) std::memcpy(dst, aad.second.data() + (at - f), n);
    }

    std::unique_ptr<aes_type> aes_;
    Botan::secure_vector<std::uint8_t> table_; // L_*, L_$, L_0 .. L_31
};

using aead_aes_128_ocb = aes_ocb<perc::aead_aes_128_ocb>;

static_assert(aead_cipher<aead_aes_128_ocb>);

} // namespace perc::botan
