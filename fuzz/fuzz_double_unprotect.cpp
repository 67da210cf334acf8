// perc fuzzing — RFC 8723 double transform: double_endpoint::unprotect_rtp (and its repair and
// RTCP paths) and media_distributor::relay_rtp / relay_rtcp on arbitrary packets, on packets
// whose outer layer is valid but whose OHB and inner layer are fuzzer bytes, and on full
// sender → MD → MD → receiver chains built from the input read as plaintext RTP.
// Every outcome is compared with a model built here from single-layer open/seal calls; on
// failure the input is byte-identical and no state changed; out of place, `out` holds no
// plaintext (untouched, or the re-encrypted outer ciphertext); in place, the buffer is
// exactly as it was (the outer layer is re-encrypted).
#include <perc/botan/double.hpp>

#include "fuzz_common.hpp"
#include "fuzz_keys.hpp"

#include <perc/ohb.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <vector>

namespace {

using perc::bytes_span;
using perc::bytes_view;
using perc::errc;
using perc_fuzz::all_equal;
using perc_fuzz::hop_key;
using perc_fuzz::require;
using perc_fuzz::same_bytes;
using buffer = std::vector<std::uint8_t>;

constexpr std::uint8_t sentinel = 0xA5;
constexpr perc::session_options link_options{4, true};

buffer concat(bytes_view a, bytes_view b)
{
    buffer r(a.begin(), a.end());
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

std::size_t pick_bit(bytes_view in, std::size_t bits)
{
    std::uint64_t h = 0xCBF29CE484222325ull ^ in.size();
    for (std::uint8_t b : in) h = (h ^ b) * 0x100000001B3ull;
    return static_cast<std::size_t>(h % bits);
}

// After a failed call that may have opened the outer layer in `out` (out of place): `out`
// holds no plaintext. It is untouched, or it holds the outer ciphertext put back (re-encrypted)
// at `at` (where the call decrypted it: after the received header, or after the header it was
// building), optionally preceded by the received header, and nothing after it.
bool no_plaintext(bytes_view out, bytes_view in, std::size_t hs, std::size_t op,
                  std::initializer_list<std::size_t> offsets)
{
    if (all_equal(out, sentinel)) return true;
    for (std::size_t at : offsets) {
        if (at + op > out.size()) continue;
        const bytes_view front = out.first(at);
        const bool front_ok = all_equal(front, sentinel) ||
                              (at == hs && same_bytes(front, in.first(hs)));
        if (front_ok && same_bytes(out.subspan(at, op), in.subspan(hs, op)) &&
            all_equal(out.subspan(at + op), sentinel))
            return true;
    }
    return false;
}

perc::rtp_mutable_fields wire_fields(const perc::rtp_header_view& h)
{
    return {h.payload_type, h.seq, h.marker};
}

template <class Single>
struct suite {
    using single = Single;
    using endpoint = perc::double_endpoint<Single, Single>;
    using md = perc::media_distributor<Single>;
    using link = typename md::link_type;
    static constexpr std::size_t key_size = Single::master_key_size;
    static constexpr std::size_t tag = Single::tag_size;

    // Stateless single layers for the model: seal_rtp/open_rtp take explicit indices.
    single inner, a, b, c;
    md relay;

    suite()
    {
        key(inner, perc_fuzz::inner_key, perc_fuzz::inner_salt);
        key(a, perc_fuzz::outer_a.key, perc_fuzz::outer_a.salt);
        key(b, perc_fuzz::outer_b.key, perc_fuzz::outer_b.salt);
        key(c, perc_fuzz::outer_c.key, perc_fuzz::outer_c.salt);
    }
    static void key(single& t, const std::array<std::uint8_t, 32>& k,
                    const std::array<std::uint8_t, 12>& s)
    {
        require(t.set_master_key(bytes_view{k.data(), key_size}, s) == errc::ok);
    }
    single& layer(const hop_key& h)
    {
        return &h == &perc_fuzz::outer_a ? a : &h == &perc_fuzz::outer_b ? b : c;
    }
    static void init(endpoint& ep, const hop_key& outer, bool reject)
    {
        const buffer k = concat(bytes_view{perc_fuzz::inner_key.data(), key_size},
                                bytes_view{outer.key.data(), key_size});
        const buffer s = concat(perc_fuzz::inner_salt, outer.salt);
        perc::double_options opt;
        opt.max_streams = 4;
        opt.reject_header_extensions = reject;
        require(ep.init(k, s, opt) == errc::ok);
    }
    // An MD link that receives with `rx` (or D) and sends with `tx` (or D).
    static void init(link& l, const hop_key& rx, const hop_key& tx)
    {
        require(l.init(bytes_view{rx.key.data(), key_size}, rx.salt,
                       bytes_view{tx.key.data(), key_size}, tx.salt, link_options) == errc::ok);
    }
};

template <class S>
S& instance()
{
    static S s;
    return s;
}

// RFC 8723 §5.3 step 3: 12 + 4·CC octets of the received header, X cleared, original values.
buffer synthetic_header(const perc::rtp_header_view& h, const perc::rtp_mutable_fields& f)
{
    buffer s(h.packet.begin(),
             h.packet.begin() + static_cast<std::ptrdiff_t>(h.base_header_size()));
    s[0] = static_cast<std::uint8_t>(s[0] & ~0x10u);
    s[1] = static_cast<std::uint8_t>((f.marker ? 0x80u : 0u) | f.payload_type);
    perc::store_be16(s.data() + 2, f.seq);
    return s;
}

// ------------------------------------------------------------------- endpoint receive

struct model_result {
    errc error = errc::ok;
    buffer packet; // on success
    perc::rtp_mutable_fields original;
};

// What an RFC 8723 receiver keyed (inner ‖ outer) with fresh state must return for `in`,
// from single-layer operations: outer open at index (0, SEQ), OHB decode, inner open at
// (0, original SEQ) over the synthetic header.
template <class S>
model_result model_receive(S& s, typename S::single& outer, bytes_view in, bool reject)
{
    model_result m;
    auto h = perc::decode_rtp_header(in);
    if (!h) return {h.error(), {}, {}};
    if (reject && h->extension) return {errc::header_extension_rejected, {}, {}};
    const std::size_t hs = h->header_size;
    const std::size_t body = in.size() - hs;
    if (body < 2 * S::tag + 1) return {errc::truncated, {}, {}};
    buffer plain(body - S::tag);
    if (outer.open_rtp(h->ssrc, perc::srtp_index(0, h->seq), perc::aad_view{in.first(hs)},
                       in.subspan(hs), plain) != errc::ok)
        return {errc::auth_failed, {}, {}};
    auto o = perc::decode_ohb(plain);
    if (!o) return {o.error(), {}, {}};
    if (o->rest.size() < S::tag) return {errc::ohb_truncated, {}, {}};
    m.original = perc::original_fields(wire_fields(*h), o->value);
    const buffer syn = synthetic_header(*h, m.original);
    buffer payload(o->rest.size() - S::tag);
    if (s.inner.open_rtp(h->ssrc, perc::srtp_index(0, m.original.seq), perc::aad_view{syn}, o->rest,
                         payload) != errc::ok)
        return {errc::auth_failed, {}, {}};
    m.packet = concat(in.first(hs), payload);
    m.packet[1] = syn[1];
    m.packet[2] = syn[2];
    m.packet[3] = syn[3];
    return m;
}

// Checks endpoint.unprotect_rtp on `in` against the model, out of place and in place.
// Returns the unprotected packet on success.
template <class S>
std::optional<buffer> check_receive(S& s, const hop_key& outer, bytes_view in, bool reject)
{
    const model_result m = model_receive(s, s.layer(outer), in, reject);
    const buffer orig(in.begin(), in.end());
    auto h = perc::decode_rtp_header(in);

    typename S::endpoint ep;
    S::init(ep, outer, reject);
    buffer out(in.size() + 8, sentinel);
    auto r = ep.unprotect_rtp(in, out);
    require(same_bytes(in, orig));
    require(r.error() == m.error);
    if (!r) {
        require(ep.stream_count() == 0);
        // No plaintext: untouched, or the outer ciphertext put back where it was decrypted.
        if (!all_equal(out, sentinel)) {
            require(h.has_value());
            const std::size_t hs = h->header_size;
            require(no_plaintext(out, in, hs, in.size() - hs - S::tag, {hs}));
        }
    } else {
        require(r->packet.data() == out.data());
        require(same_bytes(r->packet, m.packet));
        // The inner tag and OHB stay behind the packet, in the outer plaintext's place;
        // nothing is written past it.
        require(all_equal(bytes_view{out}.subspan(in.size() - S::tag), sentinel));
        require(r->header_size == h->header_size && r->ssrc == h->ssrc);
        require(r->original == m.original);
        require(r->outer == wire_fields(*h));
        require(r->outer_index == perc::srtp_index(0, h->seq));
        require(r->inner_index == perc::srtp_index(0, m.original.seq));
        require(r->payload().size() == m.packet.size() - h->header_size);
        require(ep.stream_count() == 1);
        // RFC 3711 §3.3.2 on the outer layer: the same packet again is a replay.
        buffer again(in.size(), sentinel);
        require(ep.unprotect_rtp(in, again).error() == errc::replayed);
        require(all_equal(again, sentinel));
        require(ep.remove_stream(h->ssrc));
    }

    // In place (state is fresh again: nothing committed on failure, stream removed on success).
    buffer buf = orig;
    auto ri = ep.unprotect_rtp(buf, buf);
    require(ri.error() == m.error);
    if (!ri) {
        require(same_bytes(buf, orig)); // DESIGN rule 5: the outer layer was re-encrypted
        require(ep.stream_count() == 0);
        return std::nullopt;
    }
    require(ri->packet.data() == buf.data() && same_bytes(ri->packet, m.packet));
    return m.packet;
}

// ------------------------------------------------------------------------ MD relay

struct relay_plan {
    perc::relay_changes changes;
    std::array<std::uint8_t, 12> ext_body{};
};

relay_plan hop1_plan(const perc_fuzz::double_selector& sel, const perc::rtp_header_view& h)
{
    relay_plan p;
    if (sel.change_pt()) p.changes.payload_type = static_cast<std::uint8_t>(sel.param & 0x7F);
    if (sel.change_seq()) p.changes.seq = static_cast<std::uint16_t>(h.seq + 1 + sel.param);
    if (sel.change_marker()) p.changes.marker = !h.marker;
    using action = perc::relay_changes::extension_action;
    switch (sel.extension_action()) {
    case 1: p.changes.extension = action::remove; break;
    case 2: p.changes.extension = action::replace; break;
    default: break;
    }
    return p;
}

// Fixes the replacement body's storage (the plan may be copied before use).
void bind_body(relay_plan& p, std::uint8_t param)
{
    for (std::size_t i = 0; i < p.ext_body.size(); ++i)
        p.ext_body[i] = static_cast<std::uint8_t>(param + 0x11 * i);
    p.changes.extension_profile = static_cast<std::uint16_t>(0xBEDE ^ (param & 0x01));
    p.changes.extension_body = bytes_view{p.ext_body.data(), 4u * (param & 3u)};
}

// RFC 8723 §5.2: the header the MD sends — base header with the new PT/SEQ/M, X and the
// extension per the chosen action.
buffer relayed_header(const perc::rtp_header_view& h, const perc::relay_changes& c)
{
    using action = perc::relay_changes::extension_action;
    const perc::rtp_mutable_fields w = wire_fields(h);
    const bool has_ext = c.extension == action::replace ||
                         (c.extension == action::keep && h.extension);
    buffer out(h.packet.begin(),
               h.packet.begin() + static_cast<std::ptrdiff_t>(h.base_header_size()));
    out[0] = static_cast<std::uint8_t>((out[0] & ~0x10u) | (has_ext ? 0x10u : 0u));
    out[1] = static_cast<std::uint8_t>((c.marker.value_or(w.marker) ? 0x80u : 0u) |
                                       c.payload_type.value_or(w.payload_type));
    perc::store_be16(out.data() + 2, c.seq.value_or(w.seq));
    if (c.extension == action::keep && h.extension)
        out.insert(out.end(), h.packet.begin() + static_cast<std::ptrdiff_t>(h.base_header_size()),
                   h.packet.begin() + static_cast<std::ptrdiff_t>(h.header_size));
    if (c.extension == action::replace) {
        out.push_back(static_cast<std::uint8_t>(c.extension_profile >> 8));
        out.push_back(static_cast<std::uint8_t>(c.extension_profile));
        const std::size_t words = c.extension_body.size() / 4;
        out.push_back(static_cast<std::uint8_t>(words >> 8));
        out.push_back(static_cast<std::uint8_t>(words));
        out.insert(out.end(), c.extension_body.begin(), c.extension_body.end());
    }
    return out;
}

// Relays `in` from hop key `rx` to hop key `tx` with fresh links, out of place and in place,
// and checks the result against the model (outer open, OHB update, outer seal).
template <class S>
std::optional<buffer> check_relay(S& s, const hop_key& rx, const hop_key& tx, bytes_view in,
                                  const perc::relay_changes& c)
{
    const buffer orig(in.begin(), in.end());
    auto h = perc::decode_rtp_header(in);

    // Model.
    errc want = errc::ok;
    buffer want_packet;
    perc::ohb want_ohb;
    std::size_t new_hs = 0;
    if (!h) {
        want = h.error();
    } else if (in.size() - h->header_size < S::tag + 1) {
        want = errc::truncated;
    } else {
        const std::size_t hs = h->header_size;
        buffer plain(in.size() - hs - S::tag);
        const buffer header = relayed_header(*h, c);
        new_hs = header.size();
        const bool opened = s.layer(rx).open_rtp(h->ssrc, perc::srtp_index(0, h->seq),
                                                 perc::aad_view{in.first(hs)}, in.subspan(hs),
                                                 plain) == errc::ok;
        auto o = perc::decode_ohb(plain);
        if (!opened) {
            want = errc::auth_failed;
        } else if (!o) {
            want = o.error();
        } else if (o->rest.size() < S::tag) {
            want = errc::ohb_truncated; // RFC 8723 §8: no room for the E2E tag
        } else {
            const perc::rtp_mutable_fields w = wire_fields(*h);
            const perc::rtp_mutable_fields sent{c.payload_type.value_or(w.payload_type),
                                                c.seq.value_or(w.seq), c.marker.value_or(w.marker)};
            want_ohb = perc::update_ohb(o->value, w, sent);
            std::array<std::uint8_t, perc::ohb_max_size> ohb_octets{};
            const std::size_t n = perc::encode_ohb(want_ohb, ohb_octets);
            const buffer next_plain = concat(o->rest, bytes_view{ohb_octets.data(), n});
            buffer sealed(next_plain.size() + S::tag);
            require(s.layer(tx).seal_rtp(h->ssrc, perc::srtp_index(0, sent.seq),
                                         perc::aad_view{header}, next_plain, sealed) == errc::ok);
            want_packet = concat(header, sealed);
        }
    }

    typename S::link from, to;
    S::init(from, rx, perc_fuzz::outer_d);
    S::init(to, perc_fuzz::outer_d, tx);
    buffer out(in.size() + 64, sentinel);
    auto r = s.relay.relay_rtp(from, to, in, out, c);
    require(same_bytes(in, orig));
    require(r.error() == want);
    const std::uint32_t ssrc = h ? h->ssrc : 0;
    if (!r) {
        require(from.find_receive_stream(ssrc) == nullptr && to.find_send_stream(ssrc) == nullptr);
        if (!all_equal(out, sentinel)) {
            // Only after a successful outer open: the re-encrypted ciphertext.
            require(h.has_value());
            const std::size_t hs = h->header_size;
            require(no_plaintext(out, in, hs, in.size() - hs - S::tag, {hs, new_hs}));
        }
    } else {
        require(r->packet.data() == out.data() && same_bytes(r->packet, want_packet));
        // `out` doubles as the MD's scratch for the incoming packet: past the relayed packet
        // it may hold leftovers of the outer plaintext (the MD's own view: E2E ciphertext and
        // OHB), but nothing beyond the larger of the two packets.
        require(
            all_equal(bytes_view{out}.subspan(std::max(in.size(), r->packet.size())), sentinel));
        require(r->ohb_sent == want_ohb);
        require(from.find_receive_stream(ssrc) != nullptr && to.find_send_stream(ssrc) != nullptr);
        // The same packet again is refused: a replay on the incoming hop, or (checked first
        // since the MD split into open/forward) its outgoing index is already used.
        buffer again(in.size() + 64, sentinel);
        const errc second = s.relay.relay_rtp(from, to, in, again, c).error();
        require(second == errc::replayed || second == errc::index_reused);
        require(all_equal(again, sentinel));
        // Fresh links for the in-place run.
        from = typename S::link{};
        to = typename S::link{};
        S::init(from, rx, perc_fuzz::outer_d);
        S::init(to, perc_fuzz::outer_d, tx);
    }

    buffer buf(in.size() + 64, sentinel);
    std::copy(in.begin(), in.end(), buf.begin());
    auto ri = s.relay.relay_rtp(from, to, bytes_view{buf.data(), in.size()}, buf, c);
    require(ri.error() == want);
    if (!ri) {
        require(same_bytes(bytes_view{buf}.first(in.size()), orig));
        require(all_equal(bytes_view{buf}.subspan(in.size()), sentinel));
        return std::nullopt;
    }
    require(ri->packet.data() == buf.data() && same_bytes(ri->packet, want_packet));
    return want_packet;
}

// ---------------------------------------------------------------- the checks per input

// The input with its body outer-encrypted under key A: the outer layer verifies, so the OHB
// parser and the inner layer of receiver and MD see the fuzzer's bytes.
template <class S>
void check_outer_wrapped(S& s, const perc_fuzz::double_selector& sel, bytes_view in)
{
    auto h = perc::decode_rtp_header(in);
    if (!h || in.size() - h->header_size < 1) return;
    const std::size_t hs = h->header_size;
    buffer wrapped(in.size() + S::tag);
    std::copy(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(hs), wrapped.begin());
    require(s.a.seal_rtp(h->ssrc, perc::srtp_index(0, h->seq), perc::aad_view{in.first(hs)},
                         in.subspan(hs), bytes_span{wrapped}.subspan(hs)) == errc::ok);
    (void)check_receive(s, perc_fuzz::outer_a, wrapped, sel.reject_extensions());
    relay_plan p = hop1_plan(sel, *h);
    bind_body(p, sel.param);
    (void)check_relay(s, perc_fuzz::outer_a, perc_fuzz::outer_b, wrapped, p.changes);
}

// sender → hop 1 (A → B, selector's changes) → hop 2 (B → C, restore or forward) → receiver.
template <class S>
void check_chain(S& s, const perc_fuzz::double_selector& sel, bytes_view in)
{
    auto h = perc::decode_rtp_header(in);
    if (!h) return;
    const perc::rtp_mutable_fields original = wire_fields(*h);

    typename S::endpoint sender;
    S::init(sender, perc_fuzz::outer_a, false);
    buffer sealed(in.size() + S::endpoint::protect_overhead, sentinel);
    auto p = sender.protect_rtp(in, sealed);
    // RFC 8723 §5.1 step 1: header extensions MUST use RFC 8285 — the sender refuses other
    // profiles; whether it also checks the elements is the library's choice.
    const bool other_profile = h->extension && perc::extension_form(h->extension_profile) ==
                                                   perc::rtp_extension_form::other;
    const bool bad_elements = h->extension && perc::validate_extension(*h) != errc::ok;
    if (other_profile || (bad_elements && !p)) {
        require(p.error() == errc::bad_extension || p.error() == errc::bad_extension_element);
        require(all_equal(sealed, sentinel) && sender.stream_count() == 0);
        return;
    }
    require(p.has_value() && p->size() == sealed.size());
    require(same_bytes(p->first(h->header_size), in.first(h->header_size)));
    // RFC 8723 §5.1 step 5: the sender's OHB is the single octet 0x00.
    {
        buffer plain(sealed.size() - h->header_size - S::tag);
        require(s.a.open_rtp(h->ssrc, perc::srtp_index(0, h->seq),
                             perc::aad_view{in.first(h->header_size)},
                             bytes_view{sealed}.subspan(h->header_size), plain) == errc::ok);
        require(plain.back() == 0x00);
    }
    buffer again(sealed.size(), sentinel);
    require(sender.protect_rtp(in, again).error() == errc::index_reused);
    require(all_equal(again, sentinel));

    // A receiver on the first hop gets the packet back.
    auto direct = check_receive(s, perc_fuzz::outer_a, sealed, false);
    require(direct.has_value() && same_bytes(*direct, in));

    relay_plan p1 = hop1_plan(sel, *h);
    bind_body(p1, sel.param);
    auto hop1 = check_relay(s, perc_fuzz::outer_a, perc_fuzz::outer_b, sealed, p1.changes);
    require(hop1.has_value());

    perc::relay_changes c2;
    if (sel.restore_at_hop2()) {
        c2.payload_type = original.payload_type;
        c2.seq = original.seq;
        c2.marker = original.marker;
    }
    auto hop2 = check_relay(s, perc_fuzz::outer_b, perc_fuzz::outer_c, *hop1, c2);
    require(hop2.has_value());

    auto fh = perc::decode_rtp_header(*hop2);
    require(fh.has_value());
    auto got = check_receive(s, perc_fuzz::outer_c, *hop2, sel.reject_extensions());
    if (sel.reject_extensions() && fh->extension) {
        require(!got.has_value());
    } else {
        // RFC 8723 §5.3: original PT, SEQ, M and the payload, whatever the MDs changed.
        require(got.has_value());
        const std::size_t fhs = fh->header_size;
        require(same_bytes(bytes_view{*got}.subspan(fhs), in.subspan(h->header_size)));
        auto gh = perc::decode_rtp_header(*got);
        require(gh.has_value() && wire_fields(*gh) == original);
        require(same_bytes(bytes_view{*got}.subspan(4, fhs - 4),
                           bytes_view{*hop2}.subspan(4, fhs - 4)));
        if (sel.restore_at_hop2()) {
            // Every field restored: the OHB is empty again (RFC 8723 §5.2 "SHOULD remove").
            require(hop2->size() ==
                    fhs + (in.size() - h->header_size) + S::endpoint::protect_overhead);
        }
    }

    // An outer-valid packet (as an MD holding key C could make) with one flipped bit in its
    // inner part or OHB: the receiver must refuse it — buffer restored in place, no state
    // kept — or, where the flip records nothing new, return exactly what the sender sent.
    // Two such flips exist: the top bit of the OHB's PT octet (PT is restored as 7 bits) and
    // an OHB entry that records the value already on the wire (e.g. Config 0x00 -> 0x04
    // with M = 0): RFC 8723 §5.2 lets an MD leave such records (removal is only a SHOULD),
    // so a receiver cannot treat them as errors. The inner layer still pins every value.
    const std::size_t fhs = fh->header_size;
    buffer plain(hop2->size() - fhs - S::tag);
    require(s.c.open_rtp(fh->ssrc, perc::srtp_index(0, fh->seq),
                         perc::aad_view{bytes_view{*hop2}.first(fhs)},
                         bytes_view{*hop2}.subspan(fhs), plain) == errc::ok);
    const std::size_t bit = pick_bit(in, plain.size() * 8);
    plain[bit / 8] = static_cast<std::uint8_t>(plain[bit / 8] ^ (1u << (bit % 8)));
    buffer forged(hop2->begin(), hop2->begin() + static_cast<std::ptrdiff_t>(fhs));
    forged.resize(hop2->size());
    require(s.c.seal_rtp(fh->ssrc, perc::srtp_index(0, fh->seq),
                         perc::aad_view{bytes_view{*hop2}.first(fhs)}, plain,
                         bytes_span{forged}.subspan(fhs)) == errc::ok);
    auto forged_result = check_receive(s, perc_fuzz::outer_c, forged, false);
    if (forged_result) {
        const auto reference =
            sel.reject_extensions() ? check_receive(s, perc_fuzz::outer_c, *hop2, false) : got;
        require(reference.has_value() && same_bytes(*forged_result, *reference));
        // Only the OHB can be touched this way: the E2E ciphertext and tag cannot.
        require(bit / 8 >= plain.size() - perc::ohb_max_size);
    }
}

// Repair mode (RFC 8723 §7) and RTCP (§6) use the outer layer only.
template <class S>
void check_outer_only(S& s, const perc_fuzz::double_selector& sel, bytes_view in)
{
    const buffer orig(in.begin(), in.end());
    typename S::endpoint ep;
    S::init(ep, perc_fuzz::outer_a, sel.reject_extensions());

    // Repair RTP == a single A layer, except for the extension policy.
    {
        perc::srtp_stream<128> st;
        buffer want(in.size() + 8, sentinel), got(in.size() + 8, sentinel);
        auto w = s.a.unprotect_rtp(st, in, want);
        auto h = perc::decode_rtp_header(in);
        auto g = ep.unprotect_repair_rtp(in, got);
        require(same_bytes(in, orig));
        if (h && sel.reject_extensions() && h->extension) {
            require(g.error() == errc::header_extension_rejected);
            require(all_equal(got, sentinel));
        } else {
            require(g.error() == w.error() && same_bytes(got, want));
            if (g) require(ep.remove_stream(h->ssrc));
        }
    }
    // RTCP == a single A layer.
    {
        perc::srtp_stream<128> st;
        buffer want(in.size() + 8, sentinel), got(in.size() + 8, sentinel);
        auto w = s.a.unprotect_rtcp(st, in, want);
        auto g = ep.unprotect_rtcp(in, got);
        require(same_bytes(in, orig));
        auto h = perc::decode_rtcp_header(in);
        require(g.error() == (h ? w.error() : h.error()));
        require(same_bytes(got, want));
        if (g) require(ep.remove_stream(h->ssrc));
    }
    require(ep.stream_count() == 0);

    // MD RTCP relay A → B: fails like the A layer, else B-protects the same compound packet.
    {
        typename S::link from, to;
        S::init(from, perc_fuzz::outer_a, perc_fuzz::outer_d);
        S::init(to, perc_fuzz::outer_d, perc_fuzz::outer_b);
        perc::srtp_stream<128> st;
        buffer want(in.size() + 8, sentinel), out(in.size() + 8, sentinel);
        auto w = s.a.unprotect_rtcp(st, in, want);
        auto h = perc::decode_rtcp_header(in);
        auto r = s.relay.relay_rtcp(from, to, in, out);
        require(same_bytes(in, orig));
        require(r.error() == (h ? w.error() : h.error()));
        if (!r) {
            require(all_equal(out, sentinel));
        } else {
            require(r->size() == in.size());
            perc::srtp_stream<128> sb;
            buffer back(in.size(), sentinel);
            auto b = s.b.unprotect_rtcp(sb, *r, back);
            require(b.has_value() && same_bytes(*b, *w));
        }
    }
}

// MD repair relay A → B (RFC 8723 §7): fails like the A layer, else B-protects the same packet.
template <class S>
void check_repair_relay(S& s, bytes_view in)
{
    const buffer orig(in.begin(), in.end());
    typename S::link from, to;
    S::init(from, perc_fuzz::outer_a, perc_fuzz::outer_d);
    S::init(to, perc_fuzz::outer_d, perc_fuzz::outer_b);
    perc::srtp_stream<128> st;
    buffer want(in.size() + 8, sentinel), out(in.size() + 8, sentinel);
    auto w = s.a.unprotect_rtp(st, in, want);
    auto r = s.relay.relay_repair_rtp(from, to, in, out);
    require(same_bytes(in, orig));
    require(r.error() == w.error());
    if (!r) {
        require(all_equal(out, sentinel));
        return;
    }
    require(r->data() == out.data() && r->size() == in.size());
    perc::srtp_stream<128> sb;
    buffer back(in.size(), sentinel);
    auto b = s.b.unprotect_rtp(sb, *r, back);
    require(b.has_value() && same_bytes(*b, *w));
}

// RTCP and repair round trips through the endpoints and both MDs.
template <class S>
void check_outer_only_round_trips(S& s, bytes_view in)
{
    if (perc::decode_rtcp_header(in)) {
        typename S::endpoint sender, receiver;
        S::init(sender, perc_fuzz::outer_a, false);
        S::init(receiver, perc_fuzz::outer_c, false);
        typename S::link l1, l2, l3, l4;
        S::init(l1, perc_fuzz::outer_a, perc_fuzz::outer_d);
        S::init(l2, perc_fuzz::outer_d, perc_fuzz::outer_b);
        S::init(l3, perc_fuzz::outer_b, perc_fuzz::outer_d);
        S::init(l4, perc_fuzz::outer_d, perc_fuzz::outer_c);
        buffer x(in.size() + S::endpoint::srtcp_overhead, sentinel);
        auto p = sender.protect_rtcp(in, x);
        require(p.has_value() && p->size() == x.size());
        buffer y(x.size(), sentinel), z(x.size(), sentinel), back(in.size(), sentinel);
        require(s.relay.relay_rtcp(l1, l2, x, y).has_value());
        require(s.relay.relay_rtcp(l3, l4, y, z, false).has_value());
        auto u = receiver.unprotect_rtcp(z, back);
        require(u.has_value() && same_bytes(*u, in));
    }
    if (perc::decode_rtp_header(in)) {
        typename S::endpoint sender, receiver;
        S::init(sender, perc_fuzz::outer_a, false);
        S::init(receiver, perc_fuzz::outer_a, false);
        buffer x(in.size() + S::endpoint::repair_overhead, sentinel), back(in.size(), sentinel);
        auto p = sender.protect_repair_rtp(in, x);
        require(p.has_value() && p->size() == x.size());
        auto u = receiver.unprotect_repair_rtp(x, back);
        require(u.has_value() && same_bytes(*u, in));
        // Through both MDs to a receiver on key C.
        typename S::endpoint far;
        S::init(far, perc_fuzz::outer_c, false);
        typename S::link l1, l2, l3, l4;
        S::init(l1, perc_fuzz::outer_a, perc_fuzz::outer_d);
        S::init(l2, perc_fuzz::outer_d, perc_fuzz::outer_b);
        S::init(l3, perc_fuzz::outer_b, perc_fuzz::outer_d);
        S::init(l4, perc_fuzz::outer_d, perc_fuzz::outer_c);
        buffer y(x.size(), sentinel), z(x.size(), sentinel), back2(in.size(), sentinel);
        require(s.relay.relay_repair_rtp(l1, l2, x, y).has_value());
        require(s.relay.relay_repair_rtp(l3, l4, y, z).has_value());
        auto v = far.unprotect_repair_rtp(z, back2);
        require(v.has_value() && same_bytes(*v, in));
    }
}

template <class S>
void run(const perc_fuzz::double_selector& sel, bytes_view packet)
{
    S& s = instance<S>();
    (void)check_receive(s, perc_fuzz::outer_a, packet, sel.reject_extensions());
    if (auto h = perc::decode_rtp_header(packet)) {
        relay_plan p = hop1_plan(sel, *h);
        bind_body(p, sel.param);
        (void)check_relay(s, perc_fuzz::outer_a, perc_fuzz::outer_b, packet, p.changes);
    } else {
        (void)check_relay(s, perc_fuzz::outer_a, perc_fuzz::outer_b, packet, {});
    }
    check_outer_wrapped(s, sel, packet);
    check_chain(s, sel, packet);
    check_outer_only(s, sel, packet);
    check_repair_relay(s, packet);
    check_outer_only_round_trips(s, packet);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 2) return 0;
    const perc_fuzz::double_selector sel{data[0], data[1]};
    const buffer packet(data + 2, data + size); // exactly sized: ASan sees overreads
    if (sel.aes_256()) run<suite<perc::botan::srtp_aes_256_gcm>>(sel, packet);
    else run<suite<perc::botan::srtp_aes_128_gcm>>(sel, packet);
    return 0;
}
