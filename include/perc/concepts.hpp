// perc — policy concepts: what a cipher backend and a key-derivation policy provide.
#pragma once

#include <perc/bytes.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace perc {

/// Associated data in up to two pieces, authenticated as their concatenation.
/// SRTCP needs two (RFC 7714 §9.2: header ‖ ESRTCP word, which sits after the cipher on the wire).
struct aad_view {
    bytes_view first;
    bytes_view second{};

    constexpr std::size_t size() const noexcept { return first.size() + second.size(); }
};

/// Writes aad ‖ zeros (`padded` octets, a multiple of 16 and at least aad.size()) to `a`,
/// each 16-octet block with ONE store, for ciphers that read the AAD back a block (or a
/// masked block) at a time: a load spanning several narrower stores still in the store
/// buffer cannot be forwarded from them and waits until they reach the cache. SRTP and
/// SRTCP AADs are whole 4-octet words (RTP headers; SRTCP header ‖ index), read as such —
/// the size their writers store them in, so these loads do forward; other sizes are copied
/// octet by octet first.
inline void gather_aad_blocks(const aad_view& aad, std::uint8_t* a, std::size_t padded) noexcept
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

// clang-format off
/// An AEAD with fixed sizes (RFC 5116 interface as used by RFC 7714 §5).
///  - set_key: installs a key (allocation allowed here, nowhere else).
///  - seal: out = E(in) (same size as in; out == in or disjoint), tag written separately.
///  - open: verifies `tag` over aad ‖ in BEFORE writing anything; on failure returns
///    errc::auth_failed and leaves `out` untouched (RFC 7714 §5.3: no unauthenticated plaintext).
/// Move-only so keys are never copied. Per-packet calls: noexcept, no heap.
template <class A>
concept aead_cipher =
    std::default_initializable<A> && std::movable<A> && !std::copyable<A> &&
    requires(A a, const A ca,
             std::span<const std::uint8_t, A::key_size> key,
             std::span<const std::uint8_t, A::nonce_size> nonce,
             aad_view aad, bytes_view in, bytes_span out,
             std::span<std::uint8_t, A::tag_size> tag_out,
             std::span<const std::uint8_t, A::tag_size> tag_in) {
        { A::key_size } -> std::convertible_to<std::size_t>;
        { A::nonce_size } -> std::convertible_to<std::size_t>;
        { A::tag_size } -> std::convertible_to<std::size_t>;
        { a.set_key(key) } noexcept -> std::same_as<errc>;
        { ca.has_key() } noexcept -> std::same_as<bool>;
        { a.seal(nonce, aad, in, out, tag_out) } noexcept -> std::same_as<errc>;
        { a.open(nonce, aad, in, tag_in, out) } noexcept -> std::same_as<errc>;
    };

/// Optional, beside aead_cipher: re-encryption of a verified packet under another object's
/// key without storing its plaintext (C' = C ⊕ KS_in ⊕ KS_out for counter modes whose
/// keystream positions line up, as GCM's do). An RFC 8723 Media Distributor relays this way
/// when the outer cipher offers it, and with open + seal otherwise.
///  - open_peek(nonce, aad, in, tag, peek, st): open()'s verification; on success only the
///    last peek.size() (≤ A::max_peek) plaintext octets are written, to `peek`, and `st`
///    keeps what recrypt() needs; on failure nothing is written;
///  - recrypt(st, nonce, aad, text, tail, tag): seal() of P[0..keep) ‖ tail under this
///    object's key, where P is the plaintext `st` verified and text[0..keep) holds that
///    packet's ciphertext octets, keep = text.size() − tail.size(); consumes `st`.
template <class A>
concept aead_recrypt =
    aead_cipher<A> && std::default_initializable<typename A::recrypt_state> &&
    requires(A a, typename A::recrypt_state& st,
             std::span<const std::uint8_t, A::nonce_size> nonce, aad_view aad, bytes_view in,
             bytes_span out, std::span<std::uint8_t, A::tag_size> tag_out,
             std::span<const std::uint8_t, A::tag_size> tag_in) {
        { A::max_peek } -> std::convertible_to<std::size_t>;
        { a.open_peek(nonce, aad, in, tag_in, out, st) } noexcept -> std::same_as<errc>;
        { a.recrypt(st, nonce, aad, out, in, tag_out) } noexcept -> std::same_as<errc>;
    };

// clang-format on

/// The argument contract shared by every aead_cipher's seal() and open(): errc::no_key when
/// not keyed, errc::invalid_argument unless `out` is as long as `in` and within the suite's
/// plaintext limit (RFC 7714 §10 for AES-GCM), errc::buffer_overlap unless `out` is `in`
/// itself or disjoint from it. Backend adapters call it first.
inline errc check_aead_arguments(bool keyed, bytes_view in, bytes_span out,
                                 std::uint64_t max_plaintext_size) noexcept
{
    if (!keyed) return errc::no_key;
    if (out.size() != in.size() || in.size() > max_plaintext_size) return errc::invalid_argument;
    if (!in_place_or_disjoint(in, out)) return errc::buffer_overlap;
    return errc::ok;
}

// clang-format off
/// An SRTP key-derivation function (RFC 3711 §4.3): fills `out` with the PRF output for
/// `label` (key_derivation_rate 0, so r = 0). master_salt is 14 octets, or 12 octets for the
/// AEAD suites (then extended as salt ‖ 0x0000, rfc3711 digest §8.6).
template <class K>
concept srtp_kdf =
    requires(std::span<const std::uint8_t, K::master_key_size> master_key,
             bytes_view master_salt, std::uint8_t label, bytes_span out) {
        { K::master_key_size } -> std::convertible_to<std::size_t>;
        { K::derive(master_key, master_salt, label, out) } noexcept -> std::same_as<errc>;
    };

/// An EKT cipher (RFC 8870 §4.4): E(K, P) -> C with integrity, D(K, C) -> P or FAIL.
///  - wrapped_size(n): ciphertext octets for an n-octet plaintext;
///  - wrap: writes wrapped_size(in.size()) octets, returns them;
///  - unwrap: returns the plaintext, or errc::key_unwrap_failed having written nothing
///    that survives (the output range is wiped).
template <class W>
concept ekt_key_wrap =
    std::default_initializable<W> && std::movable<W> && !std::copyable<W> &&
    requires(W w, const W cw, std::span<const std::uint8_t, W::key_size> key, bytes_view in,
             bytes_span out, std::size_t n) {
        { W::key_size } -> std::convertible_to<std::size_t>;
        { W::wrapped_size(n) } noexcept -> std::same_as<std::size_t>;
        { w.set_key(key) } noexcept -> std::same_as<errc>;
        { cw.has_key() } noexcept -> std::same_as<bool>;
        { cw.wrap(in, out) } noexcept -> std::same_as<result<bytes_span>>;
        { cw.unwrap(in, out) } noexcept -> std::same_as<result<bytes_span>>;
    };

/// A source of cryptographically secure random octets for key generation (the Key
/// Distributor's EKTKeys, an endpoint's end-to-end master keys, association ids):
///  - fill: writes out.size() random octets, or returns an errc (backend_failure) having
///    written nothing usable.
/// Used at key setup only, never per packet.
template <class R>
concept random_source = requires(R r, bytes_span out) {
    { r.fill(out) } noexcept -> std::same_as<errc>;
};
// clang-format on

} // namespace perc
