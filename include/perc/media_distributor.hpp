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
    bytes_span packet;       ///< the packet to send on the outgoing hop
    rtp_mutable_fields sent; ///< PT, SEQ, M in the sent header
    ohb ohb_sent;            ///< the OHB now inside the packet
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

/// A packet an MD has authenticated on its incoming hop (media_distributor::open_rtp): the
/// outer layer is open in a caller buffer — header ‖ E2E ciphertext ‖ E2E tag ‖ OHB — which
/// the MD still cannot read (that needs the end-to-end key). Forward it to any number of
/// links with media_distributor::forward_rtp.
struct md_opened {
    bytes_span packet; ///< header ‖ outer plaintext, in the caller's buffer
    std::size_t header_size = 0;
    std::uint32_t ssrc = 0;
    rtp_mutable_fields wire;    ///< PT, SEQ, M as received
    ohb received;               ///< the OHB as received
    std::size_t inner_size = 0; ///< E2E ciphertext ‖ E2E tag octets
    bytes_view ekt_tag;         ///< the EKTField as received (views the input), or empty
};

/// RFC 8723 §5.2 relay between links. Holds no keys itself; a link holds outer keys only.
/// Every call allocates nothing and throws nothing. On any error other than backend_failure,
/// the input bytes and the links' state are unchanged and `out` holds no plaintext.
/// Thread safety: distinct links safe; concurrent use of one link is not.
template <class Outer, std::size_t Window = 128>
class media_distributor {
public:
    using link_type = md_link<Outer, Window>;
    using stream_type = srtp_stream<Window>;
    /// Octets a relayed packet may grow by besides header changes: the OHB, from 1 to 4.
    static constexpr std::size_t relay_growth = ohb_max_size - 1;

    /// RFC 8723 §5.2 step 1: strips the EKTField if `from` uses EKT (RFC 8870 §4.3.2 step 1;
    /// the MD passes it on unread), then verifies and decrypts the outer layer with the
    /// incoming hop's key (wire SEQ, that hop's ROC and replay state) into `scratch` — `in`
    /// itself or a disjoint buffer of at least in.size() octets — and decodes the OHB.
    /// The incoming hop's state is committed: the packet counts as received.
    /// Errors: truncated, bad_rtp_version, bad_extension, ekt_bad_length, buffer_too_small,
    /// buffer_overlap, no_key, no_stream, stream_table_full, too_old, replayed,
    /// index_exhausted, auth_failed, ohb_truncated (no room for the 16-octet E2E tag,
    /// RFC 8723 §8), ohb_reserved_bits, ohb_bad_marker, backend_failure. On error the input
    /// and state are unchanged (a decrypted outer layer is re-encrypted first).
    result<md_opened> open_rtp(link_type& from, bytes_view in, bytes_span scratch) noexcept
    {
        open_input a;
        if (errc e = open_arguments(from, in, scratch, a); e != errc::ok) return e;
        return from.rx_streams_.apply(
            a.ssrc, from.auto_create_, [&](stream_type& rs) -> result<md_opened> {
                auto oi = receive_index(rs, a.wire.seq);
                if (!oi) return oi.error();
                opened_source o;
                if (errc e = open_on(from, rs, a, *oi, o); e != errc::ok) return e;
                // Filled from `a` (written before the decryption) wherever open_on copied a
                // value of it into `o` just now: GCC loads such field pairs as one 16-octet
                // word, which the CPU cannot forward from open_on's two 8-octet stores.
                return result<md_opened>{fill_in_place, [&](md_opened& m) {
                                             m.packet =
                                                 a.scratch.first(a.header_size + a.outer_plain);
                                             m.header_size = a.header_size;
                                             m.ssrc = a.ssrc;
                                             m.wire.payload_type = a.wire.payload_type;
                                             m.wire.seq = a.wire.seq;
                                             m.wire.marker = a.wire.marker;
                                             to_ohb(o.received, m.received);
                                             m.inner_size = o.inner_size;
                                             m.ekt_tag = a.ekt_tag;
                                             return errc::ok;
                                         }};
            });
    }

    /// RFC 8723 §5.2 steps 2–4 for one outgoing link: applies `changes` to PT, SEQ, M and the
    /// header extension, updates the OHB (updated_ohb), outer-encrypts with `to`'s send key
    /// indexed by the SEQ now on the wire, and appends the EKTField if `to` uses EKT (the one
    /// received, or a ShortEKTField if none came). `out` is either disjoint from
    /// opened.packet — forward the same opened packet to as many links as needed — or starts
    /// at opened.packet (in place, for the last one; it consumes the opened packet).
    /// `out` needs (new header) + inner_size + OHB + Outer::tag_size (+ EKT tag) octets.
    /// Errors: invalid_argument (PT > 127, extension body not a multiple of 4 octets),
    /// buffer_too_small, buffer_overlap, no_key, key_usage_exhausted, no_stream,
    /// stream_table_full, index_exhausted, index_reused (that SEQ was already sent on `to`),
    /// backend_failure. Nothing is written before all checks pass.
    result<relayed> forward_rtp(const md_opened& opened, link_type& to, bytes_span out,
                                const relay_changes& changes = {}) noexcept
    {
        if (errc e = forward_checks(opened, to, out, changes); e != errc::ok) return e;
        const opened_source o{
            .packet = opened.packet,
            .ekt_tag = opened.ekt_tag,
            .header_size = opened.header_size,
            .inner_size = opened.inner_size,
            .ssrc = opened.ssrc,
            .wire = {opened.wire.payload_type, opened.wire.seq, opened.wire.marker},
            .received = to_wire(opened.received)};
        forward_plan f;
        if (errc e = forward_layout(o, to, out, changes, f); e != errc::ok) return e;
        return to.tx_streams_.apply(
            o.ssrc, to.auto_create_, [&](stream_type& ts) -> result<relayed> {
                auto ti = send_index(ts, f.sent.seq);
                if (!ti) return ti.error();
                return forward_on(o, to, ts, out, changes, f, *ti, plain_sealer{});
            });
    }

    /// open_rtp then forward_rtp to one link, in `out` (in place if out starts at `in`).
    /// The outgoing SEQ is checked before anything is decrypted, so a refused relay leaves
    /// both links and the caller's bytes as they were. `out` needs (new header size) +
    /// (in.size() − old header size) + relay_growth octets (+1 if `to` uses EKT and `from`
    /// does not).
    /// Errors: those of open_rtp and forward_rtp.
    result<relayed> relay_rtp(link_type& from, link_type& to, bytes_view in, bytes_span out,
                              const relay_changes& changes = {}) noexcept
    {
        open_input a;
        if (errc e = open_arguments(from, in, out, a); e != errc::ok) return e;
        if (errc e = check_changes(changes, in, out); e != errc::ok) return e;
        const std::size_t hs = a.header_size;
        const std::size_t new_hs = new_header_size(changes, a.base, hs);
        const std::size_t need = new_hs + (in.size() - hs) + relay_growth +
                                 ((to.ekt_ && !from.ekt_) ? 1u : 0u);
        if (out.size() < need) return errc::buffer_too_small;
        if (!to.tx_.has_key()) return errc::no_key;
        if (to.tx_.srtp_packets_remaining() == 0) return errc::key_usage_exhausted;
        // Incoming checks first, then the outgoing SEQ, all before anything is decrypted.
        stream_type* rs = from.rx_streams_.find(a.ssrc);
        std::uint64_t in_index = 0;
        if (rs != nullptr) {
            auto oi = receive_index(*rs, a.wire.seq);
            if (!oi) return oi.error();
            in_index = *oi;
        }
        stream_type* ts = to.tx_streams_.find(a.ssrc);
        std::uint64_t out_index = 0;
        if (ts != nullptr) {
            auto ti = send_index(*ts, changes.seq.value_or(a.wire.seq));
            if (!ti) return ti.error();
            out_index = *ti;
        } else if (!to.auto_create_) {
            return errc::no_stream;
        } else if (to.tx_streams_.full()) {
            return errc::stream_table_full;
        }
        if (rs == nullptr || ts == nullptr) { // a new stream on either hop: the general path
            auto opened = open_rtp(from, in, out);
            if (!opened) return opened.error();
            return forward_rtp(*opened, to, out, changes);
        }
        // Both streams exist (every packet but a stream's first): open and forward on the
        // entries and indices found above, without looking them up again; the opened packet
        // stays in locals rather than an md_opened. forward_checks' conditions all held
        // above (`out` is the opened packet's buffer, or disjoint from `in`).
        if constexpr (aead_recrypt<typename Outer::aead_type>) {
            // The outer cipher re-encrypts without decrypting: only the OHB is read, and
            // the E2E part goes from one hop's ciphertext to the other's in one pass.
            typename Outer::aead_type::recrypt_state st;
            opened_source o;
            if (errc e = peek_on(from, *rs, a, in_index, o, st); e != errc::ok) return e;
            forward_plan f;
            if (errc e = forward_layout(o, to, out, changes, f); e != errc::ok) return e;
            return forward_on(o, to, *ts, out, changes, f, out_index,
                              recrypt_sealer<typename Outer::aead_type::recrypt_state>{st});
        } else {
            opened_source o;
            if (errc e = open_on(from, *rs, a, in_index, o); e != errc::ok) return e;
            forward_plan f;
            if (errc e = forward_layout(o, to, out, changes, f); e != errc::ok) return e;
            return forward_on(o, to, *ts, out, changes, f, out_index, plain_sealer{});
        }
    }

private:
    // The relay helpers below pass their values in small structs filled and read field by
    // field, and never copy a struct that was just written piecewise: such a copy reloads
    // the fields in wider words than they were stored in, which the CPU cannot forward
    // from its store buffer (each costs ~15 cycles, several per packet; see
    // docs/performance.md). Their own fields have no member initialisers: every field is
    // written before it is read, and zeroing them first cost GCC a `rep stos` each.

    // open_rtp's input once parsed and checked (everything but the stream state).
    struct open_input {
        bytes_view in;      // the packet as given (EKTField included)
        bytes_view srtp;    // the SRTP packet (EKTField stripped)
        bytes_view ekt_tag; // the EKTField, or empty
        bytes_span scratch;
        std::size_t header_size;
        std::size_t base;        // 12 + 4·CC
        std::size_t outer_plain; // E2E ciphertext ‖ E2E tag ‖ OHB octets
        std::uint32_t ssrc;
        rtp_mutable_fields wire;
    };

    static errc open_arguments(const link_type& from, bytes_view in, bytes_span scratch,
                               open_input& a) noexcept
    {
        a.in = in;
        a.srtp = in;
        a.scratch = scratch;
        // Written before any early return, so that no path leaves them unset (GCC's
        // -Wmaybe-uninitialized cannot tie the returned errc to the stores below).
        a.header_size = 0;
        a.base = 0;
        a.outer_plain = 0;
        a.ssrc = 0;
        a.wire = {};
        if (from.ekt_) {
            auto split = decode_ekt_field(in);
            if (!split) return split.error();
            // Rebuilt from the tag's size, not copied from the split's views (see open_rtp).
            const std::size_t tag = split->tag.size();
            a.srtp = in.first(in.size() - tag);
            a.ekt_tag = in.last(tag);
        }
        // A local view, not decode_rtp_header's result<>, so that GCC keeps it in registers.
        rtp_header_view h;
        if (errc e = decode_rtp_header_into(a.srtp, h); e != errc::ok) return e;
        const std::size_t hs = h.header_size;
        const std::size_t body = a.srtp.size() - hs;
        if (body < Outer::tag_size + 1) return errc::truncated;
        const std::size_t outer_plain = body - Outer::tag_size;
        if (scratch.size() < hs + outer_plain) return errc::buffer_too_small;
        if (!in_place_or_disjoint(in, scratch)) return errc::buffer_overlap;
        if (!from.rx_.has_key()) return errc::no_key;
        a.header_size = hs;
        a.base = h.base_header_size();
        a.outer_plain = outer_plain;
        a.ssrc = h.ssrc;
        a.wire.payload_type = h.payload_type;
        a.wire.seq = h.seq;
        a.wire.marker = h.marker;
        return errc::ok;
    }

    // The index of `seq` on an incoming stream, if it may be received (RFC 3711 §3.3.2).
    static result<std::uint64_t> receive_index(const stream_type& rs, std::uint16_t seq) noexcept
    {
        auto oi = rs.rtp_index.estimate(seq);
        if (!oi) return oi.error();
        if (errc r = rs.rtp_replay.check(*oi); r != errc::ok) return r;
        return *oi;
    }

    // The index of `seq` on an outgoing stream, if it was never sent there (an IV must
    // never repeat, RFC 7714 §8.4).
    static result<std::uint64_t> send_index(const stream_type& ts, std::uint16_t seq) noexcept
    {
        auto ti = ts.rtp_index.estimate(seq);
        if (!ti)
            return ti.error() == errc::index_exhausted ? errc::index_exhausted : errc::index_reused;
        if (ts.rtp_replay.check(*ti) != errc::ok) return errc::index_reused;
        return *ti;
    }

    static void commit(stream_type& s, std::uint64_t index) noexcept
    {
        s.rtp_index.commit(index);
        s.rtp_replay.commit(index);
    }

    // What forwarding needs of a packet whose outer layer is open: md_opened's facts, with
    // the OHB in its wire form.
    struct opened_source {
        bytes_view packet;  // header ‖ outer plaintext (outer ciphertext after peek_on)
        bytes_view ekt_tag; // the EKTField as received, or empty
        std::size_t header_size;
        std::size_t inner_size; // E2E ciphertext ‖ E2E tag octets
        std::uint32_t ssrc;
        rtp_mutable_fields wire;
        ohb_wire received;
    };

    // Opens the outer layer of `a` on the incoming stream `rs` at `index` (from
    // receive_index) into a.scratch, decodes the OHB and commits the stream; fills `o` (only
    // read on success). On error the layer is re-encrypted and nothing is committed.
    static errc open_on(link_type& from, stream_type& rs, const open_input& a, std::uint64_t index,
                        opened_source& o) noexcept
    {
        const std::size_t hs = a.header_size;
        const bytes_view header = a.srtp.first(hs);
        const bytes_span p = a.scratch.subspan(hs, a.outer_plain);
        if (errc e = from.rx_.open_rtp(a.ssrc, index, aad_view{header}, a.srtp.subspan(hs), p);
            e != errc::ok)
            return e;
        if (errc bad = received_ohb(p, a.outer_plain, o.received); bad != errc::ok) {
            (void)from.rx_.reseal_rtp(a.ssrc, index, aad_view{header}, p, p);
            return bad;
        }
        if (a.scratch.data() != a.in.data()) std::memcpy(a.scratch.data(), a.srtp.data(), hs);
        commit(rs, index);
        o.packet = a.scratch.first(hs + a.outer_plain);
        o.ekt_tag = a.ekt_tag;
        o.header_size = hs;
        o.inner_size = a.outer_plain - o.received.size();
        o.ssrc = a.ssrc;
        o.wire.payload_type = a.wire.payload_type;
        o.wire.seq = a.wire.seq;
        o.wire.marker = a.wire.marker;
        return errc::ok;
    }

    // open_on for an outer cipher that re-encrypts (aead_recrypt): verifies the outer
    // layer of `a` and decrypts only its last ohb_max_size octets, whose OHB is decoded;
    // nothing is written, so on error there is nothing to undo. On success the incoming
    // stream is committed and `o` describes the packet as received — its E2E part still
    // outer ciphertext, which `st` turns into the next hop's (recrypt_sealer).
    template <class State>
    static errc peek_on(link_type& from, stream_type& rs, const open_input& a, std::uint64_t index,
                        opened_source& o, State& st) noexcept
    {
        const std::size_t hs = a.header_size;
        // Room for the cipher's longest peek, although at most ohb_max_size octets are
        // asked for: GCC cannot always see that bound through the adapter's copy loop and
        // would warn of an overflow (-Wstringop-overflow).
        using aead = typename Outer::aead_type;
        std::uint8_t tail[aead::max_peek > ohb_max_size ? aead::max_peek : ohb_max_size];
        const std::size_t peek = a.outer_plain < ohb_max_size ? a.outer_plain : ohb_max_size;
        const bytes_span t{tail, peek};
        if (errc e = from.rx_.open_rtp_peek(a.ssrc, index, aad_view{a.srtp.first(hs)},
                                            a.srtp.subspan(hs), t, st);
            e != errc::ok)
            return e;
        if (errc bad = received_ohb(t, a.outer_plain, o.received); bad != errc::ok) return bad;
        commit(rs, index);
        o.packet = a.srtp.first(hs + a.outer_plain);
        o.ekt_tag = a.ekt_tag;
        o.header_size = hs;
        o.inner_size = a.outer_plain - o.received.size();
        o.ssrc = a.ssrc;
        o.wire.payload_type = a.wire.payload_type;
        o.wire.seq = a.wire.seq;
        o.wire.marker = a.wire.marker;
        return errc::ok;
    }

    // The OHB at the end of an opened outer plaintext of `outer_plain` octets, decoded from
    // `end` (that plaintext, or its last octets). Errors: those of decode_ohb_wire, and
    // ohb_truncated: RFC 8723 §8 — an E2E tag (16 octets in both profiles, the size of the
    // outer tag) must precede the OHB; a shorter packet cannot be valid end to end.
    static errc received_ohb(bytes_view end, std::size_t outer_plain, ohb_wire& w) noexcept
    {
        if (errc e = decode_ohb_wire(end, w); e != errc::ok) return e;
        if (outer_plain - w.size() < Outer::tag_size) return errc::ohb_truncated;
        return errc::ok;
    }

    // forward_on's last step, given the outgoing header as AAD and `sealed` (E2E part ‖ OHB
    // room ‖ tag) whose E2E part is in place: encodes the new OHB and seals.
    // plain_sealer: the E2E part is outer plaintext (open_on, open_rtp); seal it with the OHB.
    struct plain_sealer {
        errc operator()(link_type& to, std::uint32_t ssrc, std::uint64_t index, const aad_view& aad,
                        bytes_span sealed, std::size_t inner_size,
                        const ohb_wire& next) const noexcept
        {
            (void)encode_ohb_wire(next, sealed.data() + inner_size);
            const std::size_t plain = sealed.size() - Outer::tag_size;
            return to.tx_.seal_rtp(ssrc, index, aad, sealed.first(plain), sealed);
        }
    };
    // recrypt_sealer: the E2E part is the incoming outer ciphertext (peek_on); re-encrypt it
    // to the outgoing key and append the OHB.
    template <class State>
    struct recrypt_sealer {
        State& st;
        errc operator()(link_type& to, std::uint32_t ssrc, std::uint64_t index, const aad_view& aad,
                        bytes_span sealed, std::size_t, const ohb_wire& next) const noexcept
        {
            std::uint8_t t[ohb_max_size];
            const std::size_t n = encode_ohb_wire(next, t);
            return to.tx_.recrypt_rtp(st, ssrc, index, aad, sealed, bytes_view{t, n});
        }
    };

    // forward_rtp's sizes and sent values once checked (everything but the stream state).
    struct forward_plan {
        std::size_t base;     // 12 + 4·CC
        std::size_t new_hs;   // the header size after the changes
        std::size_t plain;    // E2E ciphertext ‖ E2E tag ‖ new OHB octets
        std::size_t total;    // the SRTP packet sent, EKTField excluded
        std::size_t ekt_size; // EKTField octets appended (0 when `to` does not use EKT)
        bool in_place;
        bool has_ext;
        rtp_mutable_fields sent;
        ohb_wire next;
    };

    // forward_rtp's checks of the call itself (buffers, changes, the outgoing key), apart from
    // the layout below: relay_rtp has made them all before opening, on its in-place buffer.
    static errc forward_checks(const md_opened& opened, const link_type& to, bytes_span out,
                               const relay_changes& changes) noexcept
    {
        const bytes_view src = opened.packet;
        if (out.data() != src.data() && overlaps(src.data(), src.size(), out.data(), out.size()))
            return errc::buffer_overlap;
        if (errc e = check_changes(changes, src, out); e != errc::ok) return e;
        if (!to.tx_.has_key()) return errc::no_key;
        if (to.tx_.srtp_packets_remaining() == 0) return errc::key_usage_exhausted;
        return errc::ok;
    }

    // The outgoing packet's layout and header values. Errors: buffer_too_small.
    static errc forward_layout(const opened_source& o, const link_type& to, bytes_span out,
                               const relay_changes& changes, forward_plan& f) noexcept
    {
        using action = relay_changes::extension_action;
        const std::uint8_t b0 = o.packet[0];
        f.base = rtp_fixed_header_size + 4u * (b0 & 0x0Fu);
        f.in_place = out.data() == o.packet.data();
        f.new_hs = new_header_size(changes, f.base, o.header_size);
        f.has_ext = changes.extension == action::replace ||
                    (changes.extension == action::keep && (b0 & 0x10) != 0);
        f.sent.payload_type = changes.payload_type.value_or(o.wire.payload_type);
        f.sent.seq = changes.seq.value_or(o.wire.seq);
        f.sent.marker = changes.marker.value_or(o.wire.marker);
        f.next = updated_ohb(o.received, o.wire, f.sent);
        f.plain = o.inner_size + f.next.size();
        f.ekt_size = !to.ekt_ ? 0 : o.ekt_tag.empty() ? 1 : o.ekt_tag.size();
        f.total = f.new_hs + f.plain + Outer::tag_size;
        if (out.size() < f.total + f.ekt_size) return errc::buffer_too_small;
        return errc::ok;
    }

    // forward_rtp on the outgoing stream `ts` of o.ssrc at `index` (from send_index); `seal`
    // is plain_sealer or recrypt_sealer, as o's E2E part is plaintext or ciphertext.
    template <class Seal>
    static result<relayed> forward_on(const opened_source& o, link_type& to, stream_type& ts,
                                      bytes_span out, const relay_changes& changes,
                                      const forward_plan& f, std::uint64_t index,
                                      const Seal& seal) noexcept
    {
        using action = relay_changes::extension_action;
        const bytes_view src = o.packet;
        const std::size_t hs = o.header_size;
        const std::size_t base = f.base;
        // The EKT tag may sit where the grown packet goes (in place): keep it aside.
        std::uint8_t saved[ekt_max_extension_data + 3];
        if (f.ekt_size != 0) {
            if (o.ekt_tag.empty()) saved[0] = ekt_type_short;
            else std::memcpy(saved, o.ekt_tag.data(), o.ekt_tag.size());
        }

        if (out.data() + f.new_hs != src.data() + hs)
            std::memmove(out.data() + f.new_hs, src.data() + hs, o.inner_size);
        // V P X CC, M PT and SEQ in one 4-octet store: the seal reads the header back as
        // its AAD in 4-octet words, which narrower stores would not forward to.
        const std::uint32_t b0 = (src[0] & ~0x10u) | (f.has_ext ? 0x10u : 0u);
        const std::uint32_t b1 = (f.sent.marker ? 0x80u : 0u) | f.sent.payload_type;
        const std::uint32_t first_word = (b0 << 24) | (b1 << 16) | f.sent.seq;
        if (f.in_place) store_be32(out.data(), first_word);
        else store_base_header(out.data(), src.data(), base, first_word);
        if (changes.extension == action::keep && !f.in_place && hs > base)
            std::memcpy(out.data() + base, src.data() + base, hs - base);
        if (changes.extension == action::replace) {
            store_be16(out.data() + base, changes.extension_profile);
            store_be16(out.data() + base + 2,
                       static_cast<std::uint16_t>(changes.extension_body.size() / 4));
            if (!changes.extension_body.empty())
                std::memcpy(out.data() + base + 4, changes.extension_body.data(),
                            changes.extension_body.size());
        }
        if (errc e = seal(to, o.ssrc, index, aad_view{out.first(f.new_hs)},
                          out.subspan(f.new_hs, f.plain + Outer::tag_size), o.inner_size, f.next);
            e != errc::ok)
            return e;
        if (f.ekt_size != 0) std::memcpy(out.data() + f.total, saved, f.ekt_size);
        commit(ts, index);
        return result<relayed>{fill_in_place, [&](relayed& r) {
                                   r.packet = out.first(f.total + f.ekt_size);
                                   r.sent.payload_type = f.sent.payload_type;
                                   r.sent.seq = f.sent.seq;
                                   r.sent.marker = f.sent.marker;
                                   to_ohb(f.next, r.ohb_sent);
                                   return errc::ok;
                               }};
    }

    static errc check_changes(const relay_changes& changes, bytes_view src, bytes_span out) noexcept
    {
        if (changes.payload_type && *changes.payload_type > 0x7F) return errc::invalid_argument;
        if (changes.extension == relay_changes::extension_action::replace) {
            const std::size_t n = changes.extension_body.size();
            if (n % 4 != 0 || n / 4 > 0xFFFF) return errc::invalid_argument;
            if (overlaps(changes.extension_body.data(), n, out.data(), out.size()) ||
                overlaps(changes.extension_body.data(), n, src.data(), src.size()))
                return errc::buffer_overlap;
        }
        return errc::ok;
    }

    static std::size_t new_header_size(const relay_changes& changes, std::size_t base,
                                       std::size_t hs) noexcept
    {
        switch (changes.extension) {
        case relay_changes::extension_action::keep: return hs;
        case relay_changes::extension_action::remove: return base;
        case relay_changes::extension_action::replace:
            return base + 4 + changes.extension_body.size();
        }
        return hs;
    }

public:
    /// RFC 8723 §7: relays a repair-mode packet (RTX, FEC: outer layer only, no OHB) —
    /// decrypt with the incoming hop key, re-encrypt with the outgoing one; the MD cannot
    /// change its header. The outgoing index is checked before decrypting.
    /// Errors: those of unprotect_rtp and protect_rtp, no_stream, stream_table_full.
    result<bytes_span> relay_repair_rtp(link_type& from, link_type& to, bytes_view in,
                                        bytes_span out) noexcept
    {
        auto h = decode_rtp_header(in);
        if (!h) return h.error();
        if (out.size() < in.size()) return errc::buffer_too_small;
        if (!from.rx_.has_key() || !to.tx_.has_key()) return errc::no_key;
        if (to.tx_.srtp_packets_remaining() == 0) return errc::key_usage_exhausted;
        return from.rx_streams_.apply(h->ssrc, from.auto_create_, [&](stream_type& rs) {
            return to.tx_streams_.apply(
                h->ssrc, to.auto_create_, [&](stream_type& ts) -> result<bytes_span> {
                    auto ti = ts.rtp_index.estimate(h->seq);
                    if (!ti || ts.rtp_replay.check(*ti) != errc::ok)
                        return ti.error() == errc::index_exhausted ? errc::index_exhausted
                                                                   : errc::index_reused;
                    auto plain = from.rx_.unprotect_rtp(rs, in, out);
                    if (!plain) return plain.error();
                    return to.tx_.protect_rtp(ts, *plain, out);
                });
        });
    }

    /// RFC 8723 §6, RFC 8871 §4.4: RTCP is protected hop by hop only, so the MD may read it.
    /// Verifies and decrypts an SRTCP packet from `from` (that hop's SRTCP replay state) into
    /// `out` (in.size() octets; `in` itself or disjoint) — once, then forward_rtcp() it to
    /// any number of links, or consume it.
    /// Errors: those of srtp_aead_transform::unprotect_rtcp, no_key, no_stream,
    /// stream_table_full. On error the input and state are unchanged.
    result<bytes_span> open_rtcp(link_type& from, bytes_view in, bytes_span out) noexcept
    {
        auto h = decode_rtcp_header(in);
        if (!h) return h.error();
        if (!from.rx_.has_key()) return errc::no_key;
        return from.rx_streams_.apply(h->ssrc, from.auto_create_, [&](stream_type& rs) {
            return from.rx_.unprotect_rtcp(rs, in, out);
        });
    }

    /// Protects plain RTCP (from open_rtcp, or the MD's own reports, RFC 8871 §4.4) for `to`
    /// with its next SRTCP index for the packet's SSRC. `out` needs
    /// plain.size() + Outer::srtcp_overhead octets.
    /// Errors: those of srtp_aead_transform::protect_rtcp, no_key, key_usage_exhausted,
    /// index_exhausted, no_stream, stream_table_full.
    result<bytes_span> forward_rtcp(bytes_view plain, link_type& to, bytes_span out,
                                    bool encrypt = true) noexcept
    {
        auto h = decode_rtcp_header(plain);
        if (!h) return h.error();
        if (!to.tx_.has_key()) return errc::no_key;
        if (to.tx_.srtcp_packets_remaining() == 0) return errc::key_usage_exhausted;
        return to.tx_streams_.apply(h->ssrc, to.auto_create_,
                                    [&](stream_type& ts) -> result<bytes_span> {
                                        if (ts.srtcp_next_index > 0x7FFFFFFFu)
                                            return errc::index_exhausted;
                                        return to.tx_.protect_rtcp(ts, plain, out, encrypt);
                                    });
    }

    /// open_rtcp then forward_rtcp to one link, in `out` (in.size() octets; in place if it
    /// starts at `in`). The outgoing side is checked before decrypting, so after a
    /// successful decrypt only a backend failure can follow.
    /// Errors: those of open_rtcp and forward_rtcp.
    result<bytes_span> relay_rtcp(link_type& from, link_type& to, bytes_view in, bytes_span out,
                                  bool encrypt = true) noexcept
    {
        auto h = decode_rtcp_header(in);
        if (!h) return h.error();
        if (out.size() < in.size()) return errc::buffer_too_small;
        if (!from.rx_.has_key() || !to.tx_.has_key()) return errc::no_key;
        if (to.tx_.srtcp_packets_remaining() == 0) return errc::key_usage_exhausted;
        if (const stream_type* ts = to.tx_streams_.find(h->ssrc)) {
            if (ts->srtcp_next_index > 0x7FFFFFFFu) return errc::index_exhausted;
        } else if (!to.auto_create_) {
            return errc::no_stream;
        } else if (to.tx_streams_.full()) {
            return errc::stream_table_full;
        }
        auto plain = open_rtcp(from, in, out);
        if (!plain) return plain.error();
        return forward_rtcp(*plain, to, out, encrypt);
    }
};

} // namespace perc
