// perc — RFC 8723 double transform at an endpoint: inner (end-to-end) and outer (hop-by-hop)
// RFC 7714 layers plus the Original Header Block.
#pragma once

#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/errc.hpp>
#include <perc/ohb.hpp>
#include <perc/result.hpp>
#include <perc/rtcp_header.hpp>
#include <perc/rtp_header.hpp>
#include <perc/srtp_stream.hpp>
#include <perc/stream_table.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

namespace perc {

/// The end-to-end authenticated result of double_endpoint::unprotect_rtp.
struct double_unprotected {
    /// The RTP packet: header as received (extension included, it is not end-to-end
    /// protected) but with the ORIGINAL PT, SEQ and M restored from the OHB, then the payload.
    bytes_span packet;
    std::size_t header_size = 0;
    std::uint32_t ssrc = 0;
    rtp_mutable_fields original; ///< end-to-end authenticated values (inner AAD)
    /// Values on the wire. RFC 8723 §5.3: the outer PT selects the codec and the outer SEQ
    /// orders the jitter buffer; the original values may feed statistics.
    rtp_mutable_fields outer;
    std::uint64_t inner_index = 0; ///< 48-bit index of the inner layer
    std::uint64_t outer_index = 0; ///< 48-bit index of the outer (hop) layer

    bytes_span payload() const noexcept { return packet.subspan(header_size); }
};

/// Options of a double_endpoint.
struct double_options {
    std::size_t max_streams = 64; ///< SSRC table capacity, allocated once by init()
    bool auto_create = true;      ///< create stream state on first protect / authenticated packet
    /// RFC 8723 §5.3: header extensions have no end-to-end integrity; receivers that must
    /// not act on MD-controlled data SHOULD reject packets carrying them.
    bool reject_header_extensions = false;
    /// RFC 8870 §4.3.2, RFC 8871 §4.5.1: with EKT every sender announces its own end-to-end
    /// key, so a receiver opens the inner layer only with a key learned for that SSRC
    /// (set_stream_inner_key). A packet of an SSRC without one returns errc::no_key before
    /// any decryption (a late joiner waiting for the first FullEKTField), instead of failing
    /// authentication under the association's own inner key.
    bool require_stream_key = false;
};

/// Per-SSRC state: the layers keep independent ROC and replay state (RFC 8723 §3), and a
/// sender may have its own end-to-end key (RFC 8870 EKT: each sender distributes its key).
template <class Inner, std::size_t Window>
struct double_stream {
    srtp_stream<Window> inner; ///< indexed by the ORIGINAL SEQ
    srtp_stream<Window> outer; ///< indexed by the SEQ on the wire of this hop
    Inner own_key;             ///< this SSRC's end-to-end key (valid if has_own_key)
    Inner previous_key;        ///< the key before the last re-key (valid if has_previous)
    bool has_own_key = false;
    bool has_previous = false;
};

/// One direction of an RFC 8723 endpoint: an Inner and an Outer single-layer transform
/// (srtp_aead_transform instances) keyed from the halves of the double master key, and an
/// SSRC table of per-layer stream state. Use one object to send and another to receive.
///
/// Per-packet calls take a caller buffer (`out` is `in` itself or disjoint from it), allocate
/// nothing and throw nothing. On any error other than backend_failure the caller's input
/// bytes and all state are unchanged, and `out` holds no plaintext (a partially decrypted
/// outer layer is re-encrypted before returning).
/// Thread safety: distinct objects safe; one object is not.
template <class Inner, class Outer, std::size_t Window = 128>
class double_endpoint {
public:
    using inner_type = Inner;
    using outer_type = Outer;
    using stream_type = double_stream<Inner, Window>;
    static constexpr std::size_t inner_key_size = Inner::master_key_size;
    static constexpr std::size_t outer_key_size = Outer::master_key_size;
    /// RFC 8723 §3, §10.1: master key = inner ‖ outer, master salt = inner ‖ outer.
    static constexpr std::size_t master_key_size = inner_key_size + outer_key_size;
    static constexpr std::size_t master_salt_size = Inner::master_salt_size +
                                                    Outer::master_salt_size;
    /// What protect_rtp adds: inner tag, the empty OHB, outer tag (RFC 8723 §5.1).
    static constexpr std::size_t protect_overhead = Inner::tag_size + 1 + Outer::tag_size;
    /// The most a packet can carry after MD rewrites: RFC 8723 §8 (16 + 1..4 + 16).
    static constexpr std::size_t max_overhead = Inner::tag_size + ohb_max_size + Outer::tag_size;
    static constexpr std::size_t repair_overhead = Outer::srtp_overhead;
    static constexpr std::size_t srtcp_overhead = Outer::srtcp_overhead;
    static constexpr std::size_t max_base_header = rtp_fixed_header_size + 4 * 15;

    /// Splits the double master key and salt into halves (first half inner, second outer,
    /// RFC 8723 §3) and derives each layer's session keys from its own half with the
    /// ordinary KDF (RFC 8723 §3.1 PRF_double). Allocates the SSRC table.
    /// Errors: bad_key_size, bad_salt_size, and those of the KDF, AEAD and table.
    errc init(bytes_view master_key, bytes_view master_salt, double_options opt = {}) noexcept
    {
        if (master_key.size() != master_key_size) return errc::bad_key_size;
        if (master_salt.size() != master_salt_size) return errc::bad_salt_size;
        if (errc e = inner_.set_master_key(master_key.first(inner_key_size),
                                           master_salt.first(Inner::master_salt_size));
            e != errc::ok)
            return e;
        if (errc e = outer_.set_master_key(master_key.subspan(inner_key_size),
                                           master_salt.subspan(Inner::master_salt_size));
            e != errc::ok)
            return e;
        if (errc e = streams_.reserve(opt.max_streams); e != errc::ok) return e;
        opt_ = opt;
        return errc::ok;
    }

    /// Re-keys one layer alone (e.g. the inner key from EKT, the outer key of a new hop).
    errc set_inner_master_key(bytes_view key, bytes_view salt) noexcept
    {
        return inner_.set_master_key(key, salt);
    }
    errc set_outer_master_key(bytes_view key, bytes_view salt) noexcept
    {
        return outer_.set_master_key(key, salt);
    }

    /// Adds state for `ssrc` with explicit ROCs (RFC 3711 §3.3.1 late join; the inner ROC
    /// comes from EKT, the outer one from the hop). Errors: stream_exists, stream_table_full.
    errc add_stream(std::uint32_t ssrc, std::uint32_t inner_roc = 0,
                    std::uint32_t outer_roc = 0) noexcept
    {
        stream_type s;
        s.inner.set_roc(inner_roc);
        s.outer.set_roc(outer_roc);
        auto r = streams_.insert(ssrc, std::move(s));
        return r ? errc::ok : r.error();
    }

    /// RFC 8870 §4.3.2 step 6: installs the end-to-end master key that `ssrc` announced by
    /// EKT (in PERC the first, inner half of the double key, with the EKTKey's salt) and the
    /// sender's ROC. The key it replaces stays usable for that SSRC, because a sender keeps
    /// protecting with its old key for a while after announcing a new one (§4.3.1; receivers
    /// MAY try both, §4.3.2). Creates the stream if needed (a late joiner).
    /// Allocates (key schedule). Errors: bad_key_size, bad_salt_size, stream_table_full,
    /// backend_failure; on error nothing changes.
    errc set_stream_inner_key(std::uint32_t ssrc, bytes_view key, bytes_view salt,
                              std::uint32_t roc) noexcept
    {
        Inner fresh;
        if (errc e = fresh.set_master_key(key, salt); e != errc::ok) return e;
        stream_type* s = streams_.find(ssrc);
        if (s == nullptr) {
            stream_type n;
            n.inner.set_roc(roc);
            n.own_key = std::move(fresh);
            n.has_own_key = true;
            auto r = streams_.insert(ssrc, std::move(n));
            return r ? errc::ok : r.error();
        }
        if (s->has_own_key) {
            s->previous_key = std::move(s->own_key);
            s->has_previous = true;
        }
        s->own_key = std::move(fresh);
        s->has_own_key = true;
        // The ROC in the EKTPlaintext is the sender's ROC for this very packet (§4.3.1).
        if (!s->inner.rtp_index.started() || s->inner.roc() != roc) s->inner.set_roc(roc);
        return errc::ok;
    }
    stream_type* find_stream(std::uint32_t ssrc) noexcept { return streams_.find(ssrc); }
    bool remove_stream(std::uint32_t ssrc) noexcept { return streams_.erase(ssrc); }
    std::size_t stream_count() const noexcept { return streams_.size(); }
    Inner& inner() noexcept { return inner_; }
    Outer& outer() noexcept { return outer_; }

    /// RFC 8723 §5.1 sender. `out` needs in.size() + protect_overhead octets.
    /// 1. inner AEAD over the synthetic header (X cleared, truncated to 12 + 4·CC) and the
    ///    payload, with the inner key, ROC and SEQ;
    /// 2. append the empty OHB 0x00 after the inner tag;
    /// 3. outer AEAD with the full header (extension included) as AAD.
    /// Errors: those of srtp_aead_transform::protect_rtp, plus bad_extension (an extension
    /// block whose profile is neither RFC 8285 form), no_stream and stream_table_full.
    result<bytes_span> protect_rtp(bytes_view in, bytes_span out) noexcept
    {
        // A local view rather than decode_rtp_header's result<>: GCC keeps its fields in
        // registers (docs/performance.md, "Store-to-load forwarding").
        rtp_header_view h;
        if (errc e = decode_rtp_header_into(in, h); e != errc::ok) return e;
        // RFC 8723 §5.1 step 1: header extensions MUST use RFC 8285 (one-byte 0xBEDE or
        // two-byte 0x100X blocks); the elements inside are the application's.
        if (h.extension && extension_form(h.extension_profile) == rtp_extension_form::other)
            return errc::bad_extension;
        const std::size_t hs = h.header_size;
        const std::size_t ps = in.size() - hs;
        if (out.size() < in.size() || out.size() - in.size() < protect_overhead)
            return errc::buffer_too_small;
        if (!in_place_or_disjoint(in, out)) return errc::buffer_overlap;
        if (!inner_.has_key() || !outer_.has_key()) return errc::no_key;
        if (inner_.srtp_packets_remaining() == 0 || outer_.srtp_packets_remaining() == 0)
            return errc::key_usage_exhausted;

        return with_stream(h.ssrc, [&](stream_type& s) -> result<bytes_span> {
            auto ii = s.inner.rtp_index.estimate(h.seq);
            auto oi = s.outer.rtp_index.estimate(h.seq);
            if (!ii) return sender_index_error(ii.error());
            if (!oi) return sender_index_error(oi.error());
            if (s.inner.rtp_replay.check(*ii) != errc::ok ||
                s.outer.rtp_replay.check(*oi) != errc::ok)
                return errc::index_reused;

            std::uint8_t synthetic[max_base_header];
            const std::size_t ss = synthetic_header(h, original_of(h), synthetic);
            if (out.data() != in.data()) std::memcpy(out.data(), in.data(), hs);
            const std::size_t inner_total = ps + Inner::tag_size;
            if (errc e = inner_.seal_rtp(h.ssrc, *ii, aad_view{bytes_view{synthetic, ss}},
                                         in.subspan(hs), out.subspan(hs, inner_total));
                e != errc::ok)
                return e;
            out[hs + inner_total] = 0x00; // RFC 8723 §5.1 step 5: the sender's empty OHB
            const std::size_t outer_plain = inner_total + 1;
            if (errc e = outer_.seal_rtp(h.ssrc, *oi, aad_view{out.first(hs)},
                                         out.subspan(hs, outer_plain),
                                         out.subspan(hs, outer_plain + Outer::tag_size));
                e != errc::ok)
                return e;
            commit(s.inner, *ii);
            commit(s.outer, *oi);
            return out.first(in.size() + protect_overhead);
        });
    }

    /// RFC 8723 §5.3 receiver. `out` needs in.size() − Outer::tag_size octets.
    /// 1. outer verify/decrypt with the wire SEQ and the outer ROC/replay state;
    /// 2. decode the OHB from the end of the outer plaintext;
    /// 3. rebuild the synthetic header: OHB values substituted, X := 0, 12 + 4·CC octets;
    /// 4. inner verify/decrypt with the ORIGINAL SEQ and the inner ROC/replay state.
    /// Both layers' state is committed only when both verified.
    /// Errors: truncated, bad_rtp_version, bad_extension, header_extension_rejected,
    /// buffer_too_small, buffer_overlap, no_key (also: require_stream_key and no key learned
    /// for this SSRC yet), no_stream, stream_table_full, too_old,
    /// replayed, index_exhausted, auth_failed (either layer), ohb_truncated,
    /// ohb_reserved_bits, ohb_bad_marker, backend_failure.
    result<double_unprotected> unprotect_rtp(bytes_view in, bytes_span out) noexcept
    {
        rtp_header_view h;
        if (errc e = decode_rtp_header_into(in, h); e != errc::ok) return e;
        // RFC 8723 §5.3: extensions are not end-to-end protected; optional strict policy.
        if (opt_.reject_header_extensions && h.extension) return errc::header_extension_rejected;
        const std::size_t hs = h.header_size;
        const std::size_t body = in.size() - hs;
        if (body < Outer::tag_size + Inner::tag_size + 1) return errc::truncated;
        const std::size_t outer_plain = body - Outer::tag_size;
        if (out.size() < hs + outer_plain) return errc::buffer_too_small;
        if (!in_place_or_disjoint(in, out)) return errc::buffer_overlap;
        if (!inner_.has_key() || !outer_.has_key()) return errc::no_key;

        return with_stream(h.ssrc, [&](stream_type& s) -> result<double_unprotected> {
            if (opt_.require_stream_key && !s.has_own_key) return errc::no_key;
            auto oi = s.outer.rtp_index.estimate(h.seq);
            if (!oi) return oi.error();
            if (errc r = s.outer.rtp_replay.check(*oi); r != errc::ok) return r;
            const bytes_span p = out.subspan(hs, outer_plain);
            if (errc e = outer_.open_rtp(h.ssrc, *oi, aad_view{in.first(hs)}, in.subspan(hs), p);
                e != errc::ok)
                return e;
            // The outer layer is open: any failure below re-encrypts it (restore()). The
            // lambda rebuilds its views rather than capture `p` or a header view: a captured
            // view must live in memory, and GCC then stores it as two words and reloads it
            // whole as the call's argument — a load the CPU cannot forward from the two
            // stores (~6 ns per packet, see docs/performance.md).
            auto restore = [&](errc why) -> result<double_unprotected> {
                const bytes_span q = out.subspan(hs, outer_plain);
                (void)outer_.reseal_rtp(h.ssrc, *oi, aad_view{in.first(hs)}, q, q);
                return why;
            };
            // The OHB in its wire form: integers, not a struct of optionals reloaded whole.
            ohb_wire o;
            if (errc e = decode_ohb_wire(p, o); e != errc::ok) return restore(e);
            const bytes_view rest = p.first(p.size() - o.size());
            if (rest.size() < Inner::tag_size) return restore(errc::ohb_truncated);
            const rtp_mutable_fields wire{h.payload_type, h.seq, h.marker};
            const rtp_mutable_fields orig = original_fields(wire, o);
            auto ii = s.inner.rtp_index.estimate(orig.seq);
            if (!ii) return restore(ii.error());
            if (errc r = s.inner.rtp_replay.check(*ii); r != errc::ok) return restore(r);

            std::uint8_t synthetic[max_base_header];
            const std::size_t ss = synthetic_header(h, orig, synthetic);
            const std::size_t inner_plain = rest.size() - Inner::tag_size;
            const aad_view inner_aad{bytes_view{synthetic, ss}};
            Inner& key = s.has_own_key ? s.own_key : inner_;
            errc e = key.open_rtp(h.ssrc, *ii, inner_aad, rest, p.first(inner_plain));
            // A sender that re-keyed by EKT keeps its old key for a while (RFC 8870 §4.3.1).
            if (e == errc::auth_failed && s.has_previous)
                e = s.previous_key.open_rtp(h.ssrc, *ii, inner_aad, rest, p.first(inner_plain));
            if (e != errc::ok) return restore(e);

            // Both layers verified: release the packet with the original header values.
            if (out.data() != in.data()) std::memcpy(out.data(), in.data(), hs);
            write_fields(out, orig);
            commit(s.outer, *oi);
            commit(s.inner, *ii);
            return result<double_unprotected>{std::in_place, [&] {
                                                  return double_unprotected{
                                                      .packet = out.first(hs + inner_plain),
                                                      .header_size = hs,
                                                      .ssrc = h.ssrc,
                                                      .original = orig,
                                                      .outer = wire,
                                                      .inner_index = *ii,
                                                      .outer_index = *oi};
                                              }};
        });
    }

    /// RFC 8723 §7 repair mode (RTX, FEC): outer layer only, no inner layer and no OHB.
    /// Receivers recognise repair packets by their negotiated payload type.
    result<bytes_span> protect_repair_rtp(bytes_view in, bytes_span out) noexcept
    {
        auto h = decode_rtp_header(in);
        if (!h) return h.error();
        return with_stream(h->ssrc, [&](stream_type& s) -> result<bytes_span> {
            return outer_.protect_rtp(s.outer, in, out);
        });
    }
    result<bytes_span> unprotect_repair_rtp(bytes_view in, bytes_span out) noexcept
    {
        auto h = decode_rtp_header(in);
        if (!h) return h.error();
        if (opt_.reject_header_extensions && h->extension) return errc::header_extension_rejected;
        return with_stream(h->ssrc, [&](stream_type& s) -> result<bytes_span> {
            return outer_.unprotect_rtp(s.outer, in, out);
        });
    }

    /// RFC 8723 §6: RTCP is protected with the outer (hop-by-hop) key only.
    result<bytes_span> protect_rtcp(bytes_view in, bytes_span out, bool encrypt = true) noexcept
    {
        auto h = decode_rtcp_header(in);
        if (!h) return h.error();
        return with_stream(h->ssrc, [&](stream_type& s) -> result<bytes_span> {
            return outer_.protect_rtcp(s.outer, in, out, encrypt);
        });
    }
    result<bytes_span> unprotect_rtcp(bytes_view in, bytes_span out) noexcept
    {
        auto h = decode_rtcp_header(in);
        if (!h) return h.error();
        return with_stream(h->ssrc, [&](stream_type& s) -> result<bytes_span> {
            return outer_.unprotect_rtcp(s.outer, in, out);
        });
    }

private:
    static errc sender_index_error(errc e) noexcept
    {
        return e == errc::index_exhausted ? errc::index_exhausted : errc::index_reused;
    }

    static rtp_mutable_fields original_of(const rtp_header_view& h) noexcept
    {
        return {h.payload_type, h.seq, h.marker};
    }

    // RFC 8723 §5.1 step 3 / §5.3 step 4: the header with X = 0, truncated to 12 + 4·CC,
    // carrying the given (original) PT, SEQ and M.
    static std::size_t synthetic_header(const rtp_header_view& h, const rtp_mutable_fields& f,
                                        std::uint8_t* dst) noexcept
    {
        const std::size_t n = h.base_header_size();
        const std::uint8_t* src = h.packet.data();
        const std::uint32_t b0 = src[0] & ~0x10u; // X = 0
        const std::uint32_t b1 = (f.marker ? 0x80u : 0x00u) | (f.payload_type & 0x7Fu);
        store_base_header(dst, src, n, (b0 << 24) | (b1 << 16) | f.seq);
        return n;
    }

    static void write_fields(bytes_span header, const rtp_mutable_fields& f) noexcept
    {
        header[1] = static_cast<std::uint8_t>((f.marker ? 0x80 : 0x00) | (f.payload_type & 0x7F));
        store_be16(header.data() + 2, f.seq);
    }

    static void commit(srtp_stream<Window>& s, std::uint64_t index) noexcept
    {
        s.rtp_index.commit(index);
        s.rtp_replay.commit(index);
    }

    template <class Op>
    auto with_stream(std::uint32_t ssrc, Op&& op) noexcept
        -> decltype(op(std::declval<stream_type&>()))
    {
        if (!inner_.has_key() || !outer_.has_key()) return errc::no_key; // or init() not called
        return streams_.apply(ssrc, opt_.auto_create, op);
    }

    Inner inner_;
    Outer outer_;
    stream_table<stream_type> streams_;
    double_options opt_;
};

} // namespace perc
