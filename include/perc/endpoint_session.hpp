// perc — a PERC endpoint session (RFC 8871 §4.5, §6): the double transform for sending and
// receiving, keyed from the DTLS-SRTP association with the Key Distributor, plus RFC 8870
// EKT — its own end-to-end key announced to everyone, every sender's key learned per SSRC.
#pragma once

#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/double_endpoint.hpp>
#include <perc/ekt.hpp>
#include <perc/ekt_dtls.hpp>
#include <perc/ekt_endpoint.hpp>
#include <perc/errc.hpp>
#include <perc/keying_material.hpp>
#include <perc/result.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/suites.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace perc {

/// Options of an endpoint_session.
struct endpoint_session_options {
    std::size_t max_ssrcs = 64; ///< senders this endpoint can receive from
    ekt_sender_options ekt;     ///< Full-field schedule and re-key overlap (RFC 8870 §4.6)
    /// RFC 8723 §5.3: refuse packets with header extensions (no end-to-end integrity).
    bool reject_header_extensions = false;
};

/// An unprotected packet and what its EKT Tag did.
struct endpoint_received {
    double_unprotected media;
    ekt_received ekt; ///< kind (Short/Full) and event (e.g. new_key: a sender's key learned)
};

/// One PERC endpoint. It is the DTLS client of its association with the Key Distributor
/// (RFC 8871 §4.5.1), so it sends with the client_write keys and receives with the
/// server_write keys (RFC 5764 §4.2) — in PERC only their outer (hop-by-hop) halves matter,
/// because the end-to-end (inner) keys come from EKT: its own, generated here and announced
/// in FullEKTFields, and each sender's, learned from theirs (RFC 8870 §4.3.2).
///
/// Double: a double_endpoint instantiation; Sender/Receiver: ekt_sender/ekt_receiver with
/// the negotiated EKT cipher; MaxSenders: SSRCs this endpoint sends (e.g. audio + video),
/// which share its end-to-end key (RFC 8871 §4.5 allows one per flow or one for all).
///
/// Allocation: init, on_ekt_key, rekey, and the first packet of a new sender's key (key
/// schedules); none otherwise. Thread safety: one object is not.
template <class Double, class Sender, class Receiver, std::size_t MaxSenders = 2>
class endpoint_session {
public:
    using double_type = Double;
    using inner_type = typename Double::inner_type;
    static constexpr std::size_t inner_key_size = Double::inner_key_size;
    /// What protect_rtp adds to a packet at most: the double transform and a FullEKTField.
    static constexpr std::size_t protect_overhead = Double::protect_overhead +
                                                    Sender::max_field_size;
    /// How much longer than the RTP packet a received packet may be (MD rewrites, RFC 8723 §8).
    static constexpr std::size_t max_overhead = Double::max_overhead + Sender::max_field_size;

    /// Keys the session after the DTLS handshake: `profile_id` as negotiated in use_srtp and
    /// the exporter output (RFC 5764 §4.2). `own_ssrcs` are the SSRCs this endpoint sends.
    /// Media can be protected once the EKTKey arrived (on_ekt_key), since the end-to-end key
    /// is announced under it. Calling init again starts over (fresh EKT senders, whose Epochs
    /// restart); for new hop-by-hop keys from a DTLS re-handshake use set_hop_keys.
    /// Errors: unsupported (profile not Double's), invalid_argument (no SSRC, more than
    /// MaxSenders, or a repeated one), truncated (material of the wrong size), and the
    /// transforms' errors. On error the session is unchanged.
    errc init(std::uint16_t profile_id, bytes_view keying_material,
              std::span<const std::uint32_t> own_ssrcs, endpoint_session_options opt = {}) noexcept
    {
        const profile_info* info = find_profile(profile_id);
        if (info == nullptr || !info->is_double ||
            info->master_key_size != Double::master_key_size ||
            info->master_salt_size != Double::master_salt_size)
            return errc::unsupported;
        if (own_ssrcs.empty() || own_ssrcs.size() > MaxSenders) return errc::invalid_argument;
        for (std::size_t i = 0; i < own_ssrcs.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (own_ssrcs[i] == own_ssrcs[j]) return errc::invalid_argument;
        auto km = split_keying_material(keying_material, info->master_key_size,
                                        info->master_salt_size);
        if (!km) return km.error();
        Double tx, rx;
        double_options txo;
        txo.max_streams = MaxSenders;
        if (errc e = tx.init(km->client_write_key, km->client_write_salt, txo); e != errc::ok)
            return e;
        double_options rxo;
        rxo.max_streams = opt.max_ssrcs;
        rxo.reject_header_extensions = opt.reject_header_extensions;
        rxo.require_stream_key = true; // inner keys come from EKT only
        if (errc e = rx.init(km->server_write_key, km->server_write_salt, rxo); e != errc::ok)
            return e;
        Receiver ekt_rx;
        if (errc e = ekt_rx.init(opt.max_ssrcs); e != errc::ok) return e;
        tx_ = std::move(tx);
        rx_ = std::move(rx);
        ekt_rx_ = std::move(ekt_rx);
        sender_count_ = own_ssrcs.size();
        for (std::size_t i = 0; i < sender_count_; ++i) {
            senders_[i] = Sender{};
            ssrcs_[i] = own_ssrcs[i];
        }
        for (std::size_t i = 0; i < spi_count_; ++i) spis_[i] = 0;
        spi_count_ = 0;
        opt_ = opt;
        profile_ = profile_id;
        keyed_ = true;
        has_ekt_key_ = false; // the fresh senders need the EKTKey again
        return errc::ok;
    }

    /// RFC 8870 §5.2.2: the KD's `ekt_key` message body, under the negotiated `cipher`.
    /// Every EKTKey is kept for receiving (§4.3: all parameter sets SHOULD be stored; the
    /// oldest goes when Receiver holds no more). Sending switches to it, and — RFC 8870 §4.5,
    /// RFC 8871 §4.5.2: a new EKTKey MUST come with a new master key — a fresh end-to-end
    /// key is generated and announced for every own SSRC (Epoch 0 under the new SPI).
    /// The EKTKey in use delivered again (same SPI, key and salt: e.g. resent after a DTLS
    /// re-handshake) changes nothing: restarting its Epochs at 0 would make receivers ignore
    /// the next announcements as stale (§4.1).
    /// Errors: no_key (init not called), invalid_argument (the SPI in use with another key
    /// or salt: §4.1 gives each parameter set its own SPI), those of decode_ekt_key_message,
    /// to_ekt_key_params, ekt_receiver::add_key, ekt_sender::set_ekt_key, and the random
    /// source's. On error before the key was added nothing changed.
    template <random_source Random>
    errc on_ekt_key(bytes_view ekt_key_body, ekt_cipher cipher, Random& rng,
                    std::uint64_t now_ms) noexcept
    {
        if (!keyed_) return errc::no_key;
        auto m = decode_ekt_key_message(ekt_key_body);
        if (!m) return m.error();
        auto params = to_ekt_key_params(*m, cipher);
        if (!params) return params.error();
        // Salts longer than ekt_max_salt_size are cut as the EKT classes cut them (§4.3.2 step 4).
        const bytes_view salt = params->srtp_master_salt.first(
            std::min(params->srtp_master_salt.size(), ekt_max_salt_size));
        if (has_ekt_key_ && params->spi == current_spi_) {
            // Both compared in full (constant time), then combined.
            const bool same_key = ct_equal(params->ekt_key,
                                           bytes_view{current_key_.data(), current_key_size_});
            const bool same_salt = ct_equal(salt,
                                            bytes_view{current_salt_.data(), current_salt_size_});
            const bool same = same_key && same_salt;
            return same ? errc::ok : errc::invalid_argument;
        }
        secret_bytes<inner_key_size> key;
        if (errc e = rng.fill(bytes_span{key.data(), key.size()}); e != errc::ok) return e;
        // Validate against a scratch sender first, so a refused key leaves everything as it was.
        {
            Sender probe;
            if (errc e = probe.set_ekt_key(*params, now_ms, opt_.ekt); e != errc::ok) return e;
        }
        if (errc e = add_receive_key(*params, now_ms); e != errc::ok) return e;
        for (std::size_t i = 0; i < sender_count_; ++i) {
            if (errc e = senders_[i].set_ekt_key(*params, now_ms, opt_.ekt); e != errc::ok)
                return e;
            if (errc e = senders_[i].set_master_key(ssrcs_[i], bytes_view{key.data(), key.size()},
                                                    now_ms);
                e != errc::ok)
                return e;
        }
        current_spi_ = params->spi;
        current_key_size_ = params->ekt_key.size();
        current_salt_size_ = salt.size();
        std::memcpy(current_key_.data(), params->ekt_key.data(), current_key_size_);
        std::memcpy(current_salt_.data(), salt.data(), current_salt_size_);
        has_ekt_key_ = true;
        return errc::ok;
    }

    /// RFC 8871 §4.5.2, RFC 5764 §5.2: new hop-by-hop keys from a DTLS re-handshake with the
    /// KD. Only the outer halves of the new exporter output are used (client_write to send,
    /// server_write to receive); the end-to-end keys and the EKT state stay, and each
    /// layer's stream state continues (the index does not restart with a new key).
    /// Errors: no_key (init not called), unsupported (another profile than init's),
    /// truncated (material of the wrong size), and the transforms' errors.
    errc set_hop_keys(std::uint16_t profile_id, bytes_view keying_material) noexcept
    {
        if (!keyed_) return errc::no_key;
        if (profile_id != profile_) return errc::unsupported;
        const profile_info* info = find_profile(profile_id);
        auto km = split_keying_material(keying_material, info->master_key_size,
                                        info->master_salt_size);
        if (!km) return km.error();
        auto cw = split_double_key(km->client_write_key, km->client_write_salt);
        auto sw = split_double_key(km->server_write_key, km->server_write_salt);
        if (!cw) return cw.error();
        if (!sw) return sw.error();
        // Key both aside first, so a failure leaves the session as it was.
        typename Double::outer_type tx_outer, rx_outer;
        if (errc e = tx_outer.set_master_key(cw->outer_key, cw->outer_salt); e != errc::ok)
            return e;
        if (errc e = rx_outer.set_master_key(sw->outer_key, sw->outer_salt); e != errc::ok)
            return e;
        tx_.outer() = std::move(tx_outer);
        rx_.outer() = std::move(rx_outer);
        return errc::ok;
    }

    /// A new end-to-end master key for every own SSRC (RFC 8871 §4.5.2: endpoints MAY change
    /// it at any time), announced in the next FullEKTFields with Epoch + 1 and used after the
    /// overlap (RFC 8870 §4.3.1). Errors: no_key (no EKTKey yet), index_exhausted (Epoch),
    /// the random source's.
    template <random_source Random>
    errc rekey(Random& rng, std::uint64_t now_ms) noexcept
    {
        if (!has_ekt_key_) return errc::no_key;
        secret_bytes<inner_key_size> key;
        if (errc e = rng.fill(bytes_span{key.data(), key.size()}); e != errc::ok) return e;
        for (std::size_t i = 0; i < sender_count_; ++i)
            if (senders_[i].epoch() == 0xFFFF) return errc::index_exhausted;
        for (std::size_t i = 0; i < sender_count_; ++i)
            if (errc e = senders_[i].set_master_key(ssrcs_[i], bytes_view{key.data(), key.size()},
                                                    now_ms);
                e != errc::ok)
                return e;
        return errc::ok;
    }

    /// RFC 8723 §5.1 + RFC 8870 §4.3.1: protects an RTP packet of an own SSRC and appends the
    /// EKTField the schedule calls for. `out` needs in.size() + protect_overhead octets.
    /// Errors: no_key (no EKTKey yet), no_stream (not an own SSRC), and those of
    /// protect_rtp_with_ekt.
    result<bytes_span> protect_rtp(bytes_view in, bytes_span out, std::uint64_t now_ms,
                                   bool key_frame = false) noexcept
    {
        if (!has_ekt_key_) return errc::no_key;
        auto h = decode_rtp_header(in);
        if (!h) return h.error();
        Sender* s = sender(h->ssrc);
        if (s == nullptr) return errc::no_stream;
        return protect_rtp_with_ekt(tx_, *s, in, out, now_ms, key_frame);
    }

    /// RFC 8870 §4.3.2 + RFC 8723 §5.3: processes the EKT Tag (learning the sender's key from
    /// a FullEKTField), then unprotects. Until a sender's first FullEKTField arrives its
    /// packets return errc::no_key without any decryption (a late joiner).
    /// `out` needs in.size() octets. Errors: those of unprotect_rtp_with_ekt.
    result<endpoint_received> unprotect_rtp(bytes_view in, bytes_span out,
                                            std::uint64_t now_ms) noexcept
    {
        endpoint_received r;
        auto u = unprotect_rtp_with_ekt(rx_, ekt_rx_, in, out, now_ms, &r.ekt);
        if (!u) return u.error();
        r.media = *u;
        return r;
    }

    /// RTCP, hop by hop only (RFC 8871 §4.1, RFC 8723 §6): sent with the client_write outer
    /// key, received with the server_write one. Endpoints MUST NOT put confidential
    /// information in RTCP (RFC 8871 §4.1).
    result<bytes_span> protect_rtcp(bytes_view in, bytes_span out, bool encrypt = true) noexcept
    {
        return tx_.protect_rtcp(in, out, encrypt);
    }
    result<bytes_span> unprotect_rtcp(bytes_view in, bytes_span out) noexcept
    {
        return rx_.unprotect_rtcp(in, out);
    }

    /// The EKT sender of own SSRC `ssrc` (nullptr if not one), e.g. for its Epoch.
    Sender* sender(std::uint32_t ssrc) noexcept
    {
        for (std::size_t i = 0; i < sender_count_; ++i)
            if (ssrcs_[i] == ssrc) return &senders_[i];
        return nullptr;
    }
    Double& send_transform() noexcept { return tx_; }
    Double& receive_transform() noexcept { return rx_; }
    Receiver& ekt_receiver() noexcept { return ekt_rx_; }
    bool has_ekt_key() const noexcept { return has_ekt_key_; }

private:
    // Keeps every EKTKey's SPI in arrival order; when the receiver is full, the oldest goes.
    errc add_receive_key(const ekt_key_params& k, std::uint64_t now_ms) noexcept
    {
        errc e = ekt_rx_.add_key(k, now_ms);
        if (e == errc::stream_table_full && spi_count_ != 0) {
            (void)ekt_rx_.remove_key(spis_[0]);
            for (std::size_t i = 1; i < spi_count_; ++i) spis_[i - 1] = spis_[i];
            --spi_count_;
            e = ekt_rx_.add_key(k, now_ms);
        }
        if (e != errc::ok) return e;
        std::size_t at = spi_count_;
        for (std::size_t i = 0; i < spi_count_; ++i)
            if (spis_[i] == k.spi) at = i; // same SPI replaced in the receiver
        if (at == spi_count_ && spi_count_ < spis_.size()) spis_[spi_count_++] = k.spi;
        return errc::ok;
    }

    Double tx_;
    Double rx_;
    Receiver ekt_rx_;
    std::array<Sender, MaxSenders> senders_{};
    std::array<std::uint32_t, MaxSenders> ssrcs_{};
    std::size_t sender_count_ = 0;
    std::array<std::uint16_t, 16> spis_{};
    std::size_t spi_count_ = 0;
    endpoint_session_options opt_;
    std::uint16_t profile_ = 0;
    // The EKTKey in use (RFC 8870 §4.1: one parameter set per SPI), to recognise it resent.
    std::uint16_t current_spi_ = 0;
    secret_bytes<32> current_key_;
    secret_bytes<ekt_max_salt_size> current_salt_;
    std::size_t current_key_size_ = 0;
    std::size_t current_salt_size_ = 0;
    bool keyed_ = false;
    bool has_ekt_key_ = false;
};

} // namespace perc
