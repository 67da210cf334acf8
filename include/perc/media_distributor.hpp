// perc — RFC 8723 §5.2 Media Distributor: relays double-protected packets holding only the
// outer (hop-by-hop) keys, rewriting PT, SEQ, M and header extensions and keeping the OHB.
#pragma once

#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/ekt_field.hpp>
#include <perc/errc.hpp>
#include <perc/ohb.hpp>
#include <perc/result.hpp>
#include <perc/rtcp_header.hpp>
#include <perc/rtp_header.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/srtp_session.hpp>
#include <perc/srtp_stream.hpp>
#include <perc/stream_table.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

namespace perc {

// clang-format off
/// A single RFC 7714 layer (srtp_aead_transform): what a Media Distributor may hold.
/// A double_endpoint does not satisfy it, so an MD can never be given end-to-end keys.
template <class T>
concept single_layer_transform =
    requires(T t, std::uint32_t ssrc, std::uint64_t index, aad_view aad, bytes_view in,
             bytes_span out) {
        { T::srtp_overhead } -> std::convertible_to<std::size_t>;
        { t.seal_rtp(ssrc, index, aad, in, out) } noexcept -> std::same_as<errc>;
        { t.open_rtp(ssrc, index, aad, in, out) } noexcept -> std::same_as<errc>;
        { t.reseal_rtp(ssrc, index, aad, in, out) } noexcept -> std::same_as<errc>;
    };
// clang-format on

/// Header changes an MD makes while relaying (RFC 8723 §5.2 step 2). Empty = plain forward.
struct relay_changes {
    std::optional<std::uint8_t> payload_type; ///< new PT (0..127)
    std::optional<std::uint16_t> seq;         ///< new SEQ (e.g. renumbering after drops)
    std::optional<bool> marker;               ///< new M
    enum class extension_action : std::uint8_t { keep, remove, replace };
    /// Header extensions are outside the inner AAD, so the MD may add, change or remove them
    /// without an OHB record (RFC 8723 §5.2).
    extension_action extension = extension_action::keep;
    std::uint16_t extension_profile = rtp_one_byte_profile;
    bytes_view extension_body; ///< replacement body: a multiple of 4 octets, not aliasing in/out
};

/// The outcome of a relay.
struct relayed {
    bytes_span packet;          ///< the packet to send on the outgoing hop
    rtp_mutable_fields sent;    ///< PT, SEQ, M in the sent header
    ohb ohb_sent;               ///< the OHB now inside the packet
};

/// The keys and state an MD shares with one endpoint (or one neighbouring MD): the outer
/// key the endpoint sends with (the MD decrypts) and the outer key the MD sends with (the
/// endpoint decrypts), e.g. the client/server write halves of RFC 9185 MediaKeys.
template <class Outer, std::size_t Window = 128>
class md_link {
    static_assert(single_layer_transform<Outer>,
                  "media_distributor holds only outer (hop-by-hop) keys: Outer must be a "
                  "single-layer transform, never a double_endpoint");

public:
    using transform_type = Outer;
    using stream_type = srtp_stream<Window>;

    /// Keys both directions and allocates their SSRC tables.
    /// RFC 8723 §5.2, §9: decryption and re-encryption contexts MUST use different master
    /// keys (else GCM nonces repeat) — identical keys return errc::same_hop_keys.
    /// Errors: bad_key_size, bad_salt_size, same_hop_keys, and those of the transform/table.
    errc init(bytes_view receive_key, bytes_view receive_salt, bytes_view send_key,
              bytes_view send_salt, session_options opt = {}) noexcept
    {
        if (receive_key.size() != Outer::master_key_size ||
            send_key.size() != Outer::master_key_size)
            return errc::bad_key_size;
        if (ct_equal(receive_key, send_key)) return errc::same_hop_keys;
        // Key everything into temporaries first, so a failure leaves the link as it was.
        Outer rx, tx;
        stream_table<stream_type> rx_streams, tx_streams;
        if (errc e = rx.set_master_key(receive_key, receive_salt); e != errc::ok) return e;
        if (errc e = tx.set_master_key(send_key, send_salt); e != errc::ok) return e;
        if (errc e = rx_streams.reserve(opt.max_streams); e != errc::ok) return e;
        if (errc e = tx_streams.reserve(opt.max_streams); e != errc::ok) return e;
        rx_ = std::move(rx);
        tx_ = std::move(tx);
        rx_streams_ = std::move(rx_streams);
        tx_streams_ = std::move(tx_streams);
        auto_create_ = opt.auto_create;
        ekt_ = opt.ekt;
        return errc::ok;
    }

    /// Whether packets on this link carry an EKTField (RFC 8870 §4.3).
    bool ekt() const noexcept { return ekt_; }
    Outer& receive_transform() noexcept { return rx_; }
    Outer& send_transform() noexcept { return tx_; }
    stream_type* find_receive_stream(std::uint32_t ssrc) noexcept { return rx_streams_.find(ssrc); }
    stream_type* find_send_stream(std::uint32_t ssrc) noexcept { return tx_streams_.find(ssrc); }

private:
    template <class, std::size_t>
    friend class media_distributor;

    Outer rx_;
    Outer tx_;
    stream_table<stream_type> rx_streams_;
    stream_table<stream_type> tx_streams_;
    bool auto_create_ = true;
    bool ekt_ = false;
};

/// RFC 8723 §5.2 relay between links. Holds no keys itself; a link holds outer keys only.
/// Every call allocates nothing and throws nothing. On any error other than backend_failure,
/// the input bytes and both links' state are unchanged and `out` holds no plaintext.
/// Thread safety: distinct links safe; concurrent use of one link is not.
template <class Outer, std::size_t Window = 128>
class media_distributor {
public:
    using link_type = md_link<Outer, Window>;
    using stream_type = srtp_stream<Window>;
    /// Octets `out` needs beyond the incoming packet, plus any header growth: the OHB may
    /// grow from 1 to 4 octets.
    static constexpr std::size_t relay_growth = ohb_max_size - 1;

    /// Relays one double-protected RTP packet from `from` to `to`:
    /// 1. outer-decrypt with the incoming hop key (wire SEQ, that hop's ROC and replay state);
    /// 2. apply `changes` to PT, SEQ, M and the header extension;
    /// 3. update the OHB (RFC 8723 §5.2 step 3, see update_ohb());
    /// 4. outer-encrypt with the outgoing hop key, indexed by the SEQ now on the wire.
    /// `out` needs (new header size) + (in.size() − old header size) + relay_growth octets,
    /// and at least in.size() − Outer::tag_size; with EKT, also the EKTField's octets.
    /// EKT (links initialised with session_options::ekt): the EKTField at the end of `in` is
    /// split off (RFC 8870 §4.3.2 step 1), the SRTP packet relayed, and the same octets
    /// appended to the output (the MD neither reads nor changes EKT).
    /// Errors: truncated, bad_rtp_version, bad_extension, invalid_argument (PT > 127, bad
    /// extension body), buffer_too_small, buffer_overlap, no_key, no_stream,
    /// stream_table_full, too_old, replayed, index_exhausted, index_reused (outgoing SEQ
    /// already used), key_usage_exhausted, auth_failed, ohb_truncated, ohb_reserved_bits,
    /// ohb_bad_marker, ekt_bad_length, backend_failure.
    result<relayed> relay_rtp(link_type& from, link_type& to, bytes_view in, bytes_span out,
                              const relay_changes& changes = {}) noexcept
    {
        if (!from.ekt_ && !to.ekt_) return relay_srtp(from, to, in, out, changes);
        // RFC 8870 §4.1: the EKTField is outside SRTP. The MD does not process it: strip it,
        // relay the SRTP packet, append the same octets (RFC 8723 §5.1 step 7 / §5.2).
        // A link without EKT gets no tag; a packet from such a link gets a ShortEKTField.
        bytes_view srtp = in;
        std::uint8_t saved[ekt_max_extension_data + 3];
        std::size_t tag_size = 0;
        if (from.ekt_) {
            auto split = decode_ekt_field(in);
            if (!split) return split.error();
            srtp = split->srtp;
            tag_size = split->tag.size();
            for (std::size_t i = 0; i < tag_size; ++i) saved[i] = split->tag[i];
        } else {
            saved[0] = ekt_type_short;
            tag_size = 1;
        }
        if (!to.ekt_) tag_size = 0;
        if (out.size() < tag_size) return errc::buffer_too_small;
        auto r = relay_srtp(from, to, srtp, out.first(out.size() - tag_size), changes);
        if (!r) return r;
        const std::size_t n = r->packet.size();
        for (std::size_t i = 0; i < tag_size; ++i) out[n + i] = saved[i];
        r->packet = out.first(n + tag_size);
        return r;
    }

private:
    result<relayed> relay_srtp(link_type& from, link_type& to, bytes_view in, bytes_span out,
                               const relay_changes& changes) noexcept
    {
        using action = relay_changes::extension_action;
        auto h = decode_rtp_header(in);
        if (!h) return h.error();
        const std::size_t hs = h->header_size;
        const std::size_t base = h->base_header_size();
        const std::size_t body = in.size() - hs;
        if (body < Outer::tag_size + 1) return errc::truncated;
        const std::size_t outer_plain = body - Outer::tag_size;

        const bool has_ext = changes.extension == action::replace ||
                             (changes.extension == action::keep && h->extension);
        std::size_t new_hs = hs;
        if (changes.extension == action::remove) new_hs = base;
        if (changes.extension == action::replace) {
            const std::size_t n = changes.extension_body.size();
            if (n % 4 != 0 || n / 4 > 0xFFFF) return errc::invalid_argument;
            if (overlaps(changes.extension_body.data(), n, out.data(), out.size()) ||
                overlaps(changes.extension_body.data(), n, in.data(), in.size()))
                return errc::buffer_overlap;
            new_hs = base + 4 + n;
        }
        if (changes.payload_type && *changes.payload_type > 0x7F) return errc::invalid_argument;
        const std::size_t need = new_hs + outer_plain + relay_growth + Outer::tag_size;
        if (out.size() < need || out.size() < hs + outer_plain) return errc::buffer_too_small;
        if (!in_place_or_disjoint(in, out)) return errc::buffer_overlap;
        if (!from.rx_.has_key() || !to.tx_.has_key()) return errc::no_key;
        if (to.tx_.srtp_packets_remaining() == 0) return errc::key_usage_exhausted;

        const std::uint32_t ssrc = h->ssrc;
        const rtp_mutable_fields wire{h->payload_type, h->seq, h->marker};
        const rtp_mutable_fields sent{changes.payload_type.value_or(wire.payload_type),
                                      changes.seq.value_or(wire.seq),
                                      changes.marker.value_or(wire.marker)};
        const bool in_place = out.data() == in.data();

        return from.rx_streams_.apply(ssrc, from.auto_create_, [&](stream_type& rs) {
            return to.tx_streams_.apply(ssrc, to.auto_create_, [&](stream_type& ts) -> result<relayed> {
                auto oi = rs.rtp_index.estimate(wire.seq);
                if (!oi) return oi.error();
                if (errc r = rs.rtp_replay.check(*oi); r != errc::ok) return r;
                auto ti = ts.rtp_index.estimate(sent.seq);
                if (!ti) return ti.error() == errc::index_exhausted ? errc::index_exhausted
                                                                   : errc::index_reused;
                if (ts.rtp_replay.check(*ti) != errc::ok) return errc::index_reused;

                // Decrypt where the payload will end up, or in place and move it afterwards.
                const std::size_t at = in_place ? hs : new_hs;
                const bytes_span p = out.subspan(at, outer_plain);
                const bytes_view header = in.first(hs);
                if (errc e = from.rx_.open_rtp(ssrc, *oi, aad_view{header}, in.subspan(hs), p);
                    e != errc::ok)
                    return e;
                auto o = decode_ohb(p);
                // RFC 8723 §8: an E2E tag (16 octets in both profiles, the size of the outer
                // tag) must precede the OHB; a shorter packet cannot be valid end to end.
                const errc bad = !o ? o.error()
                                    : o->rest.size() < Outer::tag_size ? errc::ohb_truncated
                                                                       : errc::ok;
                if (bad != errc::ok) {
                    (void)from.rx_.reseal_rtp(ssrc, *oi, aad_view{header}, p, p);
                    return bad;
                }
                const ohb next = update_ohb(o->value, wire, sent);
                const std::size_t inner_part = o->rest.size();

                // Everything is checked; build the outgoing packet.
                if (at != new_hs) std::memmove(out.data() + new_hs, out.data() + at, inner_part);
                if (!in_place) std::memcpy(out.data(), in.data(), base);
                out[0] = static_cast<std::uint8_t>((out[0] & ~0x10u) | (has_ext ? 0x10u : 0u));
                out[1] = static_cast<std::uint8_t>((sent.marker ? 0x80 : 0) | sent.payload_type);
                store_be16(out.data() + 2, sent.seq);
                if (changes.extension == action::keep && !in_place && hs > base)
                    std::memcpy(out.data() + base, in.data() + base, hs - base);
                if (changes.extension == action::replace) {
                    store_be16(out.data() + base, changes.extension_profile);
                    store_be16(out.data() + base + 2,
                               static_cast<std::uint16_t>(changes.extension_body.size() / 4));
                    if (!changes.extension_body.empty())
                        std::memcpy(out.data() + base + 4, changes.extension_body.data(),
                                    changes.extension_body.size());
                }
                const std::size_t written = encode_ohb(next, out.subspan(new_hs + inner_part));
                const std::size_t plain = inner_part + written;
                if (errc e = to.tx_.seal_rtp(ssrc, *ti, aad_view{out.first(new_hs)},
                                             out.subspan(new_hs, plain),
                                             out.subspan(new_hs, plain + Outer::tag_size));
                    e != errc::ok)
                    return e;
                rs.rtp_index.commit(*oi);
                rs.rtp_replay.commit(*oi);
                ts.rtp_index.commit(*ti);
                ts.rtp_replay.commit(*ti);
                relayed r;
                r.packet = out.first(new_hs + plain + Outer::tag_size);
                r.sent = sent;
                r.ohb_sent = next;
                return r;
            });
        });
    }

public:
    /// RFC 8723 §6: relays an SRTCP packet (outer keys only): verify/decrypt with the
    /// incoming hop key, protect with the outgoing one (next SRTCP index of `to`).
    /// `out` needs in.size() octets. The outgoing index and key budget are checked before
    /// decrypting, so after a successful decrypt only a backend failure can follow.
    /// Errors: those of unprotect_rtcp and protect_rtcp, no_stream, stream_table_full.
    result<bytes_span> relay_rtcp(link_type& from, link_type& to, bytes_view in, bytes_span out,
                                  bool encrypt = true) noexcept
    {
        auto h = decode_rtcp_header(in);
        if (!h) return h.error();
        if (out.size() < in.size()) return errc::buffer_too_small;
        if (!from.rx_.has_key() || !to.tx_.has_key()) return errc::no_key;
        if (to.tx_.srtcp_packets_remaining() == 0) return errc::key_usage_exhausted;
        return from.rx_streams_.apply(h->ssrc, from.auto_create_, [&](stream_type& rs) {
            return to.tx_streams_.apply(h->ssrc, to.auto_create_, [&](stream_type& ts) -> result<bytes_span> {
                if (ts.srtcp_next_index > 0x7FFFFFFFu) return errc::index_exhausted;
                auto plain = from.rx_.unprotect_rtcp(rs, in, out);
                if (!plain) return plain.error();
                return to.tx_.protect_rtcp(ts, *plain, out, encrypt);
            });
        });
    }
};

} // namespace perc
