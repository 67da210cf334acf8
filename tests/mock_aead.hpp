// Deterministic, NON-cryptographic AEAD and KDF policies for backend-free builds: the core
// tests (-fno-exceptions -fno-rtti, no Botan) and the embedded build mode.
//
// NEVER protect real media with these. The keystream and the tag are simple public functions
// of key, nonce and data; anyone can forge them. They exist so that every part of the core that
// does not depend on the cipher (index/ROC, replay, buffer rules, wire layout, IV and AAD
// composition, failure atomicity) can be built and tested with no crypto backend at all.
//
// What they do model faithfully:
//  - the perc::aead_cipher and perc::srtp_kdf contracts (sizes, noexcept, move-only, errc);
//  - integrity: the tag covers key, nonce, AAD (as the concatenation of its pieces) and
//    ciphertext, and ANY change of an equally long input changes it (see absorber), so every
//    single-bit flip of AAD, ciphertext or tag is detected with certainty;
//  - RFC 7714 §5.3: open() verifies before writing and leaves `out` untouched on failure;
//  - the ciphertext depends on key and nonce (a wrong ROC or salt gives other bytes).
// Allocation: none. Thread safety: distinct objects safe.
#pragma once

#include <perc/aes_cm_prf.hpp>
#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/errc.hpp>
#include <perc/secret_bytes.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <utility>

namespace perc_test {

namespace mock_detail {

/// splitmix64 finaliser: a bijection of 64-bit values.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept
{
    x ^= x >> 30;
    x *= 0xBF58476D1CE4E5B9ull;
    x ^= x >> 27;
    x *= 0x94D049BB133111EBull;
    x ^= x >> 31;
    return x;
}

/// Absorbs octets one at a time: h := (h XOR b) · m, m odd. For a fixed octet each step is a
/// bijection of h, and two different octets map one h to two different values, so two inputs of
/// the same length that differ anywhere end in different states, and mix64 keeps them apart.
class absorber {
public:
    constexpr absorber(std::uint64_t seed, std::uint64_t mul) noexcept : h_(seed), m_(mul) {}
    constexpr void byte(std::uint8_t b) noexcept { h_ = (h_ ^ b) * m_; }
    constexpr void bytes(perc::bytes_view s) noexcept
    {
        for (const std::uint8_t b : s) byte(b);
    }
    constexpr void u64(std::uint64_t v) noexcept
    {
        for (int shift = 56; shift >= 0; shift -= 8) byte(static_cast<std::uint8_t>(v >> shift));
    }
    constexpr std::uint64_t finish() const noexcept { return mix64(h_); }

private:
    std::uint64_t h_;
    std::uint64_t m_;
};

// Two lanes with different seeds and odd multipliers give a 128-bit tag.
inline constexpr std::uint64_t seed_a = 0x243F6A8885A308D3ull;
inline constexpr std::uint64_t seed_b = 0x13198A2E03707344ull;
inline constexpr std::uint64_t mul_a = 0x00000100000001B3ull;
inline constexpr std::uint64_t mul_b = 0x9E3779B97F4A7C15ull;

} // namespace mock_detail

/// Mock AEAD with a KeySize-octet key, 12-octet nonce and 16-octet tag (the RFC 7714 shapes).
///   keystream block j (8 octets) = mix64(S XOR mix64(j)), S = hash('K', key, nonce)
///   tag = hash_a('T', key, nonce, |aad|, aad, |c|, c) ‖ hash_b(same)   (over the ciphertext)
template <std::size_t KeySize>
class basic_mock_aead {
public:
    static constexpr std::size_t key_size = KeySize;
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;

    basic_mock_aead() noexcept = default;
    basic_mock_aead(const basic_mock_aead&) = delete;
    basic_mock_aead& operator=(const basic_mock_aead&) = delete;
    basic_mock_aead(basic_mock_aead&& o) noexcept : key_(std::move(o.key_)), has_key_(o.has_key_)
    {
        o.has_key_ = false;
    }
    basic_mock_aead& operator=(basic_mock_aead&& o) noexcept
    {
        if (this != &o) {
            key_ = std::move(o.key_);
            has_key_ = o.has_key_;
            o.has_key_ = false;
        }
        return *this;
    }
    ~basic_mock_aead() = default;

    perc::errc set_key(std::span<const std::uint8_t, key_size> key) noexcept
    {
        key_ = perc::secret_bytes<key_size>{key};
        has_key_ = true;
        return perc::errc::ok;
    }
    bool has_key() const noexcept { return has_key_; }

    /// out = in XOR keystream; tag over aad ‖ out. Errors: no_key, buffer_too_small (out size
    /// differs from in), buffer_overlap.
    perc::errc seal(std::span<const std::uint8_t, nonce_size> nonce, perc::aad_view aad,
                    perc::bytes_view in, perc::bytes_span out,
                    std::span<std::uint8_t, tag_size> tag_out) noexcept
    {
        if (!has_key_) return perc::errc::no_key;
        if (out.size() != in.size()) return perc::errc::buffer_too_small;
        if (!perc::in_place_or_disjoint(in, out)) return perc::errc::buffer_overlap;
        crypt(nonce, in, out);
        compute_tag(nonce, aad, out, tag_out);
        return perc::errc::ok;
    }

    /// Verifies the tag over aad ‖ in, then out = in XOR keystream. On any error `out` is
    /// untouched. Errors: no_key, buffer_too_small, buffer_overlap, auth_failed.
    perc::errc open(std::span<const std::uint8_t, nonce_size> nonce, perc::aad_view aad,
                    perc::bytes_view in, std::span<const std::uint8_t, tag_size> tag_in,
                    perc::bytes_span out) noexcept
    {
        if (!has_key_) return perc::errc::no_key;
        if (out.size() != in.size()) return perc::errc::buffer_too_small;
        if (!perc::in_place_or_disjoint(in, out)) return perc::errc::buffer_overlap;
        std::array<std::uint8_t, tag_size> expected{};
        perc::scoped_wipe wipe{expected};
        compute_tag(nonce, aad, in, expected);
        if (!perc::ct_equal(expected, tag_in)) return perc::errc::auth_failed;
        crypt(nonce, in, out);
        return perc::errc::ok;
    }

private:
    void crypt(std::span<const std::uint8_t, nonce_size> nonce, perc::bytes_view in,
               perc::bytes_span out) const noexcept
    {
        mock_detail::absorber s{mock_detail::seed_a, mock_detail::mul_b};
        s.byte('K');
        s.bytes(key_.span());
        s.bytes(nonce);
        const std::uint64_t stream_seed = s.finish();
        std::uint64_t block = 0;
        for (std::size_t i = 0; i < in.size(); ++i) {
            if (i % 8 == 0) block = mock_detail::mix64(stream_seed ^ mock_detail::mix64(i / 8));
            const auto k = static_cast<std::uint8_t>(block >> (8 * (7 - i % 8)));
            out[i] = static_cast<std::uint8_t>(in[i] ^ k);
        }
    }

    void compute_tag(std::span<const std::uint8_t, nonce_size> nonce, perc::aad_view aad,
                     perc::bytes_view cipher, std::span<std::uint8_t, tag_size> tag) const noexcept
    {
        mock_detail::absorber a{mock_detail::seed_a, mock_detail::mul_a};
        mock_detail::absorber b{mock_detail::seed_b, mock_detail::mul_b};
        for (mock_detail::absorber* x : {&a, &b}) {
            x->byte('T');
            x->bytes(key_.span());
            x->bytes(nonce);
            x->u64(aad.size());
            x->bytes(aad.first);
            x->bytes(aad.second);
            x->u64(cipher.size());
            x->bytes(cipher);
        }
        perc::store_be64(tag.data(), a.finish());
        perc::store_be64(tag.data() + 8, b.finish());
    }

    perc::secret_bytes<key_size> key_;
    bool has_key_ = false;
};

/// Mock srtp_kdf: the real RFC 3711 §4.3 recipe (perc::aes_cm_prf: salt layout, label at
/// octet 7, counter, truncation) around a toy keyed "block cipher" instead of AES.
/// Errors: those of aes_cm_prf (bad_salt_size, invalid_argument).
template <std::size_t KeySize>
struct basic_mock_kdf {
    static constexpr std::size_t master_key_size = KeySize;

    static perc::errc derive(std::span<const std::uint8_t, KeySize> master_key,
                             perc::bytes_view master_salt, std::uint8_t label,
                             perc::bytes_span out) noexcept
    {
        return perc::aes_cm_prf(
            [&](std::uint8_t* blocks, std::size_t count) noexcept {
                for (std::size_t k = 0; k < count; ++k) toy_block(master_key, blocks + 16 * k);
            },
            master_salt, label, out);
    }

    /// The toy "block cipher": 16 octets of two keyed hashes of the input block.
    static void toy_block(std::span<const std::uint8_t, KeySize> key, std::uint8_t* block) noexcept
    {
        mock_detail::absorber a{mock_detail::seed_b, mock_detail::mul_a};
        mock_detail::absorber b{mock_detail::seed_a, mock_detail::mul_b};
        for (mock_detail::absorber* x : {&a, &b}) {
            x->byte('B');
            x->bytes(key);
            x->bytes(perc::bytes_view{block, 16});
        }
        perc::store_be64(block, a.finish());
        perc::store_be64(block + 8, b.finish());
    }
};

using mock_aead = basic_mock_aead<16>;
using mock_kdf = basic_mock_kdf<16>;
using mock_aead_256 = basic_mock_aead<32>;
using mock_kdf_256 = basic_mock_kdf<32>;

static_assert(perc::aead_cipher<mock_aead>);
static_assert(perc::aead_cipher<mock_aead_256>);
static_assert(perc::srtp_kdf<mock_kdf>);
static_assert(perc::srtp_kdf<mock_kdf_256>);

} // namespace perc_test
