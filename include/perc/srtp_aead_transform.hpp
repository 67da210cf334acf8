// perc — one RFC 7714 AEAD SRTP/SRTCP layer, parameterized over cipher and KDF policies.
#pragma once

#include <perc/aead_nonce.hpp>
#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>
#include <perc/rtcp_header.hpp>
#include <perc/rtp_header.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/srtp_stream.hpp>
#include <perc/suites.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace perc {

/// One AEAD SRTP layer (RFC 7714) for one master key: the SRTP and SRTCP session keys and
/// salts derived from it (RFC 3711 §4.3, RFC 7714 §11) and the per-key packet counters
/// (RFC 3711 §9.2). Per-SSRC state lives in srtp_stream, passed to every call.
///
/// Every per-packet call:
///  - takes the input packet and an output span that is either the input itself (in place)
///    or disjoint from it, and returns the written prefix of the output;
///  - allocates nothing, throws nothing, makes no virtual call of its own;
///  - on any error leaves the stream state and the caller's input bytes unchanged and writes
///    no unauthenticated plaintext (RFC 7714 §5.3).
/// Thread safety: distinct objects safe; one object (or stream) is not.
template <aead_cipher Aead, srtp_kdf Kdf>
class srtp_aead_transform {
public:
    using aead_type = Aead;
    using kdf_type = Kdf;
    static constexpr std::size_t master_key_size = Kdf::master_key_size;
    static constexpr std::size_t master_salt_size = 12; ///< RFC 7714 §12: 96-bit master salt
    static constexpr std::size_t salt_size = 12;        ///< session salt (labels 0x02 / 0x05)
    static constexpr std::size_t tag_size = Aead::tag_size;
    static constexpr std::size_t srtp_overhead = tag_size;      ///< RFC 7714 §8.2
    static constexpr std::size_t srtcp_overhead = tag_size + 4; ///< tag ‖ ESRTCP word (§9.2)
    static_assert(Aead::nonce_size == 12, "RFC 7714 §8.1: 12-octet IV");
    static_assert(master_key_size == Aead::key_size, "KDF master key and AEAD key sizes differ");

    /// Derives the session keys and salts (RFC 7714 §11: labels 0x00, 0x02, 0x03, 0x05) and
    /// resets the per-key packet counters.
    /// key_derivation_rate: only 0 is implemented — RFC 5764 §4.1.2 fixes 0 for DTLS-SRTP and
    /// every PERC profile is keyed that way; any other rate returns errc::unsupported.
    /// Errors: bad_key_size, bad_salt_size, unsupported, backend_failure. On error the
    /// previous keys stay installed.
    errc set_master_key(bytes_view master_key, bytes_view master_salt,
                        std::uint64_t key_derivation_rate = 0) noexcept
    {
        if (master_key.size() != master_key_size) return errc::bad_key_size;
        if (master_salt.size() != master_salt_size) return errc::bad_salt_size;
        if (key_derivation_rate != 0) return errc::unsupported;
        const std::span<const std::uint8_t, master_key_size> mk{master_key.data(), master_key_size};
        secret_bytes<master_key_size> rtp_key, rtcp_key;
        secret_bytes<salt_size> rtp_salt, rtcp_salt;
        errc e = Kdf::derive(mk, master_salt, label(kdf_label::srtp_encryption), rtp_key.span());
        if (e == errc::ok)
            e = Kdf::derive(mk, master_salt, label(kdf_label::srtp_salt), rtp_salt.span());
        if (e == errc::ok)
            e = Kdf::derive(mk, master_salt, label(kdf_label::srtcp_encryption), rtcp_key.span());
        if (e == errc::ok)
            e = Kdf::derive(mk, master_salt, label(kdf_label::srtcp_salt), rtcp_salt.span());
        if (e != errc::ok) return e;
        return set_session_keys(rtp_key.span(), rtp_salt.span(), rtcp_key.span(), rtcp_salt.span());
    }

    /// Installs session keys and salts directly (no KDF), as RFC 7714 §16/§17 vectors start.
    /// Errors: backend_failure. Resets the per-key packet counters.
    errc set_session_keys(std::span<const std::uint8_t, master_key_size> srtp_key,
                          std::span<const std::uint8_t, salt_size> srtp_salt,
                          std::span<const std::uint8_t, master_key_size> srtcp_key,
                          std::span<const std::uint8_t, salt_size> srtcp_salt) noexcept
    {
        Aead rtp, rtcp;
        if (errc e = rtp.set_key(srtp_key); e != errc::ok) return e;
        if (errc e = rtcp.set_key(srtcp_key); e != errc::ok) return e;
        rtp_aead_ = std::move(rtp);
        rtcp_aead_ = std::move(rtcp);
        rtp_salt_ = secret_bytes<salt_size>{srtp_salt};
        rtcp_salt_ = secret_bytes<salt_size>{srtcp_salt};
        srtp_packets_ = 0;
        srtcp_packets_ = 0;
        return errc::ok;
    }

    bool has_key() const noexcept { return rtp_aead_.has_key(); }

    /// Lowers the number of packets this key may protect (re-key earlier than RFC 3711 §9.2
    /// requires). Values above 2^48 / 2^31 are clamped to those limits.
    void set_packet_limits(std::uint64_t srtp_max, std::uint64_t srtcp_max) noexcept
    {
        srtp_limit_ = srtp_max < max_srtp_packets_per_key ? srtp_max : max_srtp_packets_per_key;
        srtcp_limit_ = srtcp_max < max_srtcp_packets_per_key ? srtcp_max
                                                             : max_srtcp_packets_per_key;
    }
    std::uint64_t srtp_packets_protected() const noexcept { return srtp_packets_; }
    std::uint64_t srtcp_packets_protected() const noexcept { return srtcp_packets_; }
    /// RFC 3711 §9.2: SRTP and SRTCP share the master key, so when either limit is reached
    /// the key is done for both ("whichever occurs first").
    bool key_exhausted() const noexcept
    {
        return srtp_packets_ >= srtp_limit_ || srtcp_packets_ >= srtcp_limit_;
    }
    std::uint64_t srtp_packets_remaining() const noexcept
    {
        return key_exhausted() ? 0 : srtp_limit_ - srtp_packets_;
    }
    std::uint64_t srtcp_packets_remaining() const noexcept
    {
        return key_exhausted() ? 0 : srtcp_limit_ - srtcp_packets_;
    }

    // ---------------------------------------------------------------- SRTP (RFC 7714 §8)

    /// Protects the RTP packet `in` into `out` (≥ in.size() + srtp_overhead octets):
    /// header ‖ E(payload) ‖ tag, IV per RFC 7714 §8.1, AAD = the whole header (§8.2).
    /// The index comes from SEQ; ROC increments when SEQ wraps (RFC 3711 §3.3.1).
    /// Errors: truncated, bad_rtp_version, bad_extension (malformed header), buffer_too_small,
    /// buffer_overlap, no_key, key_usage_exhausted (RFC 3711 §9.2), index_exhausted (48-bit
    /// index would wrap, RFC 7714 §13), index_reused (this index was already protected or is
    /// too far behind to prove it was not — an IV must never repeat, RFC 7714 §8.4),
    /// backend_failure.
    template <std::size_t W>
    result<bytes_span> protect_rtp(srtp_stream<W>& stream, bytes_view in, bytes_span out) noexcept
    {
        rtp_header_view h; // a local view: GCC keeps it in registers (not so a result<>)
        if (errc e = decode_rtp_header_into(in, h); e != errc::ok) return e;
        if (out.size() < in.size() || out.size() - in.size() < srtp_overhead)
            return errc::buffer_too_small;
        if (!in_place_or_disjoint(in, out)) return errc::buffer_overlap;
        if (!has_key()) return errc::no_key;
        if (key_exhausted()) return errc::key_usage_exhausted;
        auto index = stream.rtp_index.estimate(h.seq);
        if (!index)
            return index.error() == errc::index_exhausted ? errc::index_exhausted
                                                          : errc::index_reused;
        if (stream.rtp_replay.check(*index) != errc::ok) return errc::index_reused;

        const std::size_t hs = h.header_size;
        const std::size_t ps = in.size() - hs;
        if (out.data() != in.data())
            for (std::size_t i = 0; i < hs; ++i) out[i] = in[i];
        const errc e = seal_rtp(h.ssrc, *index, aad_view{in.first(hs)}, in.subspan(hs),
                                out.subspan(hs, ps + tag_size));
        if (e != errc::ok) return e;
        stream.rtp_index.commit(*index);
        stream.rtp_replay.commit(*index);
        return out.first(in.size() + srtp_overhead);
    }

    /// Verifies and decrypts the SRTP packet `in` into `out` (≥ in.size() − srtp_overhead
    /// octets); returns header ‖ payload. Index estimation per RFC 3711 Appendix A, replay
    /// check before and replay/ROC update after authentication (RFC 3711 §3.3 steps 5, 7).
    /// Errors: truncated (no room for the tag), bad_rtp_version, bad_extension,
    /// buffer_too_small, buffer_overlap, no_key, too_old, replayed, index_exhausted,
    /// auth_failed, backend_failure. On any error `out`, `in` and `stream` are unchanged.
    template <std::size_t W>
    result<bytes_span> unprotect_rtp(srtp_stream<W>& stream, bytes_view in, bytes_span out) noexcept
    {
        rtp_header_view h; // a local view: GCC keeps it in registers (not so a result<>)
        if (errc e = decode_rtp_header_into(in, h); e != errc::ok) return e;
        const std::size_t hs = h.header_size;
        if (in.size() - hs < tag_size) return errc::truncated;
        const std::size_t plain = in.size() - srtp_overhead;
        if (out.size() < plain) return errc::buffer_too_small;
        if (!in_place_or_disjoint(in, out)) return errc::buffer_overlap;
        if (!has_key()) return errc::no_key;
        auto index = stream.rtp_index.estimate(h.seq);
        if (!index) return index.error();
        if (errc r = stream.rtp_replay.check(*index); r != errc::ok) return r;

        const errc e = open_rtp(h.ssrc, *index, aad_view{in.first(hs)}, in.subspan(hs),
                                out.subspan(hs, plain - hs));
        if (e != errc::ok) return e;
        if (out.data() != in.data())
            for (std::size_t i = 0; i < hs; ++i) out[i] = in[i];
        stream.rtp_index.commit(*index);
        stream.rtp_replay.commit(*index);
        return out.first(plain);
    }

    /// One AEAD pass with an explicit index: out = E(plaintext) ‖ tag (plaintext.size() + 16
    /// octets), IV from (ssrc, index) per RFC 7714 §8.1. No stream state is read or written
    /// and the per-key counter is advanced. Building block for layered transforms (RFC 8723).
    /// Errors: no_key, buffer_too_small, buffer_overlap, key_usage_exhausted, backend_failure.
    errc seal_rtp(std::uint32_t ssrc, std::uint64_t index, const aad_view& aad,
                  bytes_view plaintext, bytes_span out) noexcept
    {
        if (out.size() != plaintext.size() + tag_size) return errc::buffer_too_small;
        if (!in_place_or_disjoint(plaintext, out)) return errc::buffer_overlap;
        if (key_exhausted()) return errc::key_usage_exhausted;
        const aead_nonce n = srtp_aead_nonce(rtp_salt_.span(), ssrc, index_roc(index),
                                             index_seq(index));
        const std::size_t ps = plaintext.size();
        const errc e = rtp_aead_.seal(n, aad, plaintext, out.first(ps),
                                      out.subspan(ps).template first<tag_size>());
        if (e == errc::ok) ++srtp_packets_;
        return e;
    }

    /// Inverse of seal_rtp: verifies `cipher` (ciphertext ‖ tag) and writes the plaintext
    /// (cipher.size() − 16 octets) to `out`. Nothing is written on failure.
    /// Errors: no_key, truncated, buffer_too_small, buffer_overlap, auth_failed, backend_failure.
    errc open_rtp(std::uint32_t ssrc, std::uint64_t index, const aad_view& aad, bytes_view cipher,
                  bytes_span out) noexcept
    {
        if (cipher.size() < tag_size) return errc::truncated;
        const std::size_t ps = cipher.size() - tag_size;
        if (out.size() != ps) return errc::buffer_too_small;
        const aead_nonce n = srtp_aead_nonce(rtp_salt_.span(), ssrc, index_roc(index),
                                             index_seq(index));
        return rtp_aead_.open(n, aad, cipher.first(ps),
                              cipher.subspan(ps).template first<tag_size>(), out);
    }

    /// open_rtp's verification of `cipher` (ciphertext ‖ tag; same IV and AAD) that writes
    /// only the last peek.size() plaintext octets, to `peek`, and keeps this layer's
    /// keystream in `st` for recrypt_rtp on another layer: for relays that read and replace
    /// only the end of the plaintext (RFC 8723 §5.2: the OHB). Nothing is written on failure.
    /// Errors: no_key, truncated, invalid_argument (peek longer than Aead::max_peek or the
    /// plaintext), auth_failed, backend_failure.
    template <aead_recrypt A = Aead> // a template, so that other ciphers need no recrypt_state
    errc open_rtp_peek(std::uint32_t ssrc, std::uint64_t index, const aad_view& aad,
                       bytes_view cipher, bytes_span peek, typename A::recrypt_state& st) noexcept
    {
        if (cipher.size() < tag_size) return errc::truncated;
        const std::size_t ps = cipher.size() - tag_size;
        const aead_nonce n = srtp_aead_nonce(rtp_salt_.span(), ssrc, index_roc(index),
                                             index_seq(index));
        return rtp_aead_.open_peek(n, aad, cipher.first(ps),
                                   cipher.subspan(ps).template first<tag_size>(), peek, st);
    }

    /// seal_rtp of P[0..keep) ‖ tail, where P is the plaintext open_rtp_peek verified into
    /// `st` (on another layer): out = text ‖ tag, text = out minus its last 16 octets,
    /// text[0..keep) holding that packet's ciphertext octets 0..keep (keep = text.size() −
    /// tail.size()) and text[keep..) receiving E(tail). The plaintext is never stored
    /// (Aead::recrypt). Counted against the key like seal_rtp; consumes `st`.
    /// Errors: no_key, buffer_too_small, invalid_argument, buffer_overlap,
    /// key_usage_exhausted, backend_failure.
    template <aead_recrypt A = Aead>
    errc recrypt_rtp(typename A::recrypt_state& st, std::uint32_t ssrc, std::uint64_t index,
                     const aad_view& aad, bytes_span out, bytes_view tail) noexcept
    {
        if (out.size() < tag_size) return errc::buffer_too_small;
        if (key_exhausted()) return errc::key_usage_exhausted;
        const aead_nonce n = srtp_aead_nonce(rtp_salt_.span(), ssrc, index_roc(index),
                                             index_seq(index));
        const std::size_t ps = out.size() - tag_size;
        const errc e = rtp_aead_.recrypt(st, n, aad, out.first(ps), tail,
                                         out.subspan(ps).template first<tag_size>());
        if (e == errc::ok) ++srtp_packets_;
        return e;
    }

    /// Undoes open_rtp: re-encrypts `plaintext` — which open_rtp produced for the same
    /// (ssrc, index, aad) — into `out` (plaintext.size() octets, no tag), giving back the
    /// ciphertext that was received. Layered transforms use it so that a packet failing a
    /// later check leaves the caller's buffer exactly as it was (DESIGN rule 5).
    /// Not counted against the key: it recreates bytes already on the wire. Calling it with
    /// any other plaintext would reuse a GCM nonce — never do that.
    /// Errors: no_key, buffer_too_small, buffer_overlap, backend_failure.
    errc reseal_rtp(std::uint32_t ssrc, std::uint64_t index, const aad_view& aad,
                    bytes_view plaintext, bytes_span out) noexcept
    {
        if (out.size() != plaintext.size()) return errc::buffer_too_small;
        const aead_nonce n = srtp_aead_nonce(rtp_salt_.span(), ssrc, index_roc(index),
                                             index_seq(index));
        std::array<std::uint8_t, tag_size> discarded{};
        return rtp_aead_.seal(n, aad, plaintext, out, discarded);
    }

    // --------------------------------------------------------------- SRTCP (RFC 7714 §9)

    /// Protects the compound RTCP packet `in` into `out` (≥ in.size() + srtcp_overhead).
    /// encrypt = true (E = 1, RFC 7714 §9.2): header(8) ‖ E(rest) ‖ tag ‖ ESRTCP word, AAD =
    /// header ‖ ESRTCP. encrypt = false (E = 0, §9.3): packet ‖ tag ‖ ESRTCP, AAD = packet ‖
    /// ESRTCP. Uses stream.srtcp_next_index and advances it.
    /// Only the first 8 octets are parsed (V = 2, SSRC): SRTCP never reads the RTCP length
    /// fields, and RFC 7714 §17's own vector carries a length (0x000d = 56 octets) that
    /// disagrees with its 52 octets. Use validate_rtcp_compound() to check the application's
    /// packets.
    /// Errors: truncated, bad_rtp_version, buffer_too_small, buffer_overlap, no_key,
    /// key_usage_exhausted, index_exhausted (31-bit SRTCP index would wrap, RFC 7714 §9.4),
    /// backend_failure.
    template <std::size_t W>
    result<bytes_span> protect_rtcp(srtp_stream<W>& stream, bytes_view in, bytes_span out,
                                    bool encrypt = true) noexcept
    {
        auto h = decode_rtcp_header(in);
        if (!h) return h.error();
        if (out.size() < in.size() || out.size() - in.size() < srtcp_overhead)
            return errc::buffer_too_small;
        if (!in_place_or_disjoint(in, out)) return errc::buffer_overlap;
        if (!has_key()) return errc::no_key;
        if (key_exhausted()) return errc::key_usage_exhausted;
        const std::uint32_t index = stream.srtcp_next_index;
        if (index > 0x7FFFFFFFu) return errc::index_exhausted;

        const std::uint32_t ssrc = h->ssrc;
        std::array<std::uint8_t, 4> esrtcp{};
        store_be32(esrtcp.data(), (encrypt ? 0x80000000u : 0u) | index);
        const aead_nonce n = srtcp_aead_nonce(rtcp_salt_.span(), ssrc, index);
        const std::size_t total = in.size() + srtcp_overhead;
        const std::size_t clear = encrypt ? rtcp_header_size : in.size();
        if (out.data() != in.data())
            for (std::size_t i = 0; i < clear; ++i) out[i] = in[i];
        const errc e = rtcp_aead_.seal(n, aad_view{in.first(clear), esrtcp}, in.subspan(clear),
                                       out.subspan(clear, in.size() - clear),
                                       out.subspan(in.size()).template first<tag_size>());
        if (e != errc::ok) return e;
        for (std::size_t i = 0; i < 4; ++i) out[total - 4 + i] = esrtcp[i];
        ++srtcp_packets_;
        stream.srtcp_next_index = index + 1;
        return out.first(total);
    }

    /// Verifies (and for E = 1 decrypts) the SRTCP packet `in` into `out` (≥ in.size() −
    /// srtcp_overhead); returns the compound RTCP packet. Accepts E = 1 and E = 0 (RFC 7714
    /// §9.3). Replay check on the 31-bit index before, update after authentication.
    /// Errors: truncated, bad_rtp_version, buffer_too_small, buffer_overlap, no_key, too_old,
    /// replayed, auth_failed, backend_failure. On error nothing changes.
    template <std::size_t W>
    result<bytes_span> unprotect_rtcp(srtp_stream<W>& stream, bytes_view in,
                                      bytes_span out) noexcept
    {
        if (in.size() < rtcp_header_size + srtcp_overhead) return errc::truncated;
        auto h = decode_rtcp_header(in);
        if (!h) return h.error();
        const std::size_t plain = in.size() - srtcp_overhead;
        if (out.size() < plain) return errc::buffer_too_small;
        if (!in_place_or_disjoint(in, out)) return errc::buffer_overlap;
        if (!has_key()) return errc::no_key;
        const bytes_view esrtcp = in.last(4);
        const std::uint32_t word = load_be32(esrtcp.data());
        const bool encrypted = (word & 0x80000000u) != 0;
        const std::uint32_t index = word & 0x7FFFFFFFu;
        if (errc r = stream.rtcp_replay.check(index); r != errc::ok) return r;

        const aead_nonce n = srtcp_aead_nonce(rtcp_salt_.span(), h->ssrc, index);
        const std::size_t clear = encrypted ? rtcp_header_size : plain;
        const errc e = rtcp_aead_.open(
            n, aad_view{in.first(clear), esrtcp}, in.subspan(clear, plain - clear),
            in.subspan(plain).template first<tag_size>(), out.subspan(clear, plain - clear));
        if (e != errc::ok) return e;
        if (out.data() != in.data())
            for (std::size_t i = 0; i < clear; ++i) out[i] = in[i];
        stream.rtcp_replay.commit(index);
        return out.first(plain);
    }

private:
    static constexpr std::uint8_t label(kdf_label l) noexcept
    {
        return static_cast<std::uint8_t>(l);
    }

    Aead rtp_aead_;
    Aead rtcp_aead_;
    secret_bytes<salt_size> rtp_salt_;
    secret_bytes<salt_size> rtcp_salt_;
    std::uint64_t srtp_packets_ = 0;
    std::uint64_t srtcp_packets_ = 0;
    std::uint64_t srtp_limit_ = max_srtp_packets_per_key;
    std::uint64_t srtcp_limit_ = max_srtcp_packets_per_key;
};

} // namespace perc
