// perc fuzzing — SRTP/SRTCP unprotect (RFC 7714 §8, §9; RFC 3711 §3.3) with fixed keys on
// arbitrary packets, out of place, in place and through srtp_session, plus protect→unprotect
// round trips of the input read as a plaintext RTP or RTCP packet.
// Invariants (srtp_aead_transform's contract): on failure the input is byte-identical, the
// output untouched and the stream state unchanged; on success the output is the input minus
// 16 (SRTP) or 20 (SRTCP) octets and a second delivery is a replay.
#include <perc/botan/srtp.hpp>

#include "fuzz_common.hpp"
#include "fuzz_keys.hpp"

#include <perc/srtp_session.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using perc::bytes_span;
using perc::bytes_view;
using perc::errc;
using perc_fuzz::all_equal;
using perc_fuzz::require;
using perc_fuzz::same_bytes;
using buffer = std::vector<std::uint8_t>;
using stream = perc::srtp_stream<128>;

constexpr std::uint8_t sentinel = 0xA5; // fills every output buffer before a call

template <class Transform>
struct keyed {
    Transform transform;
    perc::srtp_session<Transform> session;

    keyed()
    {
        const bytes_view key{perc_fuzz::master_key.data(), Transform::master_key_size};
        require(transform.set_master_key(key, perc_fuzz::master_salt) == errc::ok);
        require(session.init(key, perc_fuzz::master_salt) == errc::ok);
    }
};

template <class Transform>
keyed<Transform>& instance()
{
    static keyed<Transform> k; // keying once keeps the target fast; per-input state is fresh
    return k;
}

stream fresh_stream(std::uint32_t roc)
{
    stream s;
    s.set_roc(roc);
    return s;
}

// State a failed call must have left alone: a stream straight from fresh_stream(roc).
bool untouched(const stream& s, std::uint32_t roc)
{
    return !s.rtp_index.started() && s.roc() == roc && s.rtp_replay.empty() &&
           s.rtcp_replay.empty() && s.srtcp_next_index == 0;
}

std::size_t pick_bit(bytes_view in, std::size_t bits)
{
    std::uint64_t h = 0x9E3779B97F4A7C15ull ^ in.size();
    for (std::uint8_t b : in) h = (h ^ b) * 0x100000001B3ull;
    return static_cast<std::size_t>(h % bits);
}

// ------------------------------------------------------------------------- unprotect_rtp

template <class T>
void check_unprotect_rtp(keyed<T>& k, std::uint32_t roc, bytes_view in)
{
    constexpr std::size_t tag = T::srtp_overhead;
    const buffer orig(in.begin(), in.end());

    // Out of place, into an output larger than needed.
    buffer out(in.size() + 8, sentinel);
    stream s = fresh_stream(roc);
    auto r = k.transform.unprotect_rtp(s, in, out);
    require(same_bytes(in, orig));

    auto h = perc::decode_rtp_header(in);
    if (!r) {
        // RFC 7714 §8.2/§5.3: malformed → the parse error; otherwise only the tag can fail.
        if (!h) require(r.error() == h.error());
        else if (in.size() - h->header_size < tag) require(r.error() == errc::truncated);
        else require(r.error() == errc::auth_failed);
        require(all_equal(out, sentinel));
        require(untouched(s, roc));
    } else {
        require(h.has_value());
        const std::size_t hs = h->header_size;
        require(r->data() == out.data());
        require(r->size() + tag == in.size());
        require(r->size() >= hs);
        require(same_bytes(r->first(hs), in.first(hs)));
        require(all_equal(bytes_view{out}.subspan(r->size()), sentinel));
        require(s.rtp_index.started() && s.roc() == roc);
        require(s.rtp_replay.highest() == perc::srtp_index(roc, h->seq));

        // RFC 3711 §3.3.2: the same packet again is a replay, and changes nothing.
        buffer again(in.size(), sentinel);
        require(k.transform.unprotect_rtp(s, in, again).error() == errc::replayed);
        require(all_equal(again, sentinel));
        require(same_bytes(in, orig));

        // An output one octet short is refused before anything is written.
        stream s_short = fresh_stream(roc);
        buffer too_small(r->size() - 1, sentinel);
        require(k.transform.unprotect_rtp(s_short, in, too_small).error() ==
                errc::buffer_too_small);
        require(all_equal(too_small, sentinel));
        require(untouched(s_short, roc));
    }

    // Output overlapping the input other than exactly in place is refused.
    if (r || r.error() == errc::auth_failed) {
        buffer both(in.size() + 1, sentinel);
        std::copy(in.begin(), in.end(), both.begin());
        stream s_overlap = fresh_stream(roc);
        auto ro = k.transform.unprotect_rtp(s_overlap, bytes_view{both.data(), in.size()},
                                            bytes_span{both.data() + 1, in.size()});
        require(ro.error() == errc::buffer_overlap);
        require(same_bytes(bytes_view{both}.first(in.size()), orig));
        require(both.back() == sentinel);
        require(untouched(s_overlap, roc));
    }

    // In place: same verdict, same bytes; on failure the packet is intact (DESIGN rule 5).
    buffer buf = orig;
    stream s_in = fresh_stream(roc);
    auto ri = k.transform.unprotect_rtp(s_in, buf, buf);
    require(ri.error() == r.error());
    if (!ri) {
        require(same_bytes(buf, orig));
        require(untouched(s_in, roc));
    } else {
        require(ri->data() == buf.data());
        require(same_bytes(*ri, *r));
    }

    // srtp_session: a stream for an unknown SSRC is created only by an authenticated packet.
    if (roc == 0) {
        require(k.session.stream_count() == 0);
        buffer sout(in.size() + 8, sentinel);
        auto rs = k.session.unprotect_rtp(in, sout);
        require(rs.error() == r.error());
        require(same_bytes(in, orig));
        if (!rs) {
            require(all_equal(sout, sentinel));
            require(k.session.stream_count() == 0);
        } else {
            require(same_bytes(*rs, *r));
            require(k.session.stream_count() == 1);
            require(k.session.unprotect_rtp(in, sout).error() == errc::replayed);
            require(k.session.remove_stream(h->ssrc));
        }
    }
}

// ------------------------------------------------------------------------ unprotect_rtcp

template <class T>
void check_unprotect_rtcp(keyed<T>& k, bytes_view in)
{
    constexpr std::size_t overhead = T::srtcp_overhead;
    const buffer orig(in.begin(), in.end());

    buffer out(in.size() + 8, sentinel);
    stream s = fresh_stream(0);
    auto r = k.transform.unprotect_rtcp(s, in, out);
    require(same_bytes(in, orig));

    if (!r) {
        // RFC 7714 §9: header(8) ‖ ... ‖ tag(16) ‖ ESRTCP word(4) is the least there can be.
        if (in.size() < perc::rtcp_header_size + overhead) require(r.error() == errc::truncated);
        else if ((in[0] >> 6) != 2) require(r.error() == errc::bad_rtp_version);
        else require(r.error() == errc::auth_failed);
        require(all_equal(out, sentinel));
        require(untouched(s, 0));
    } else {
        require(r->data() == out.data());
        require(r->size() + overhead == in.size());
        const std::uint32_t word = perc::load_be32(in.data() + in.size() - 4);
        // E = 1: the first 8 octets are clear; E = 0 (RFC 7714 §9.3): all of it is.
        const std::size_t clear = (word & 0x80000000u) != 0 ? perc::rtcp_header_size : r->size();
        require(same_bytes(r->first(clear), in.first(clear)));
        require(all_equal(bytes_view{out}.subspan(r->size()), sentinel));
        require(!s.rtcp_replay.empty() && s.rtcp_replay.highest() == (word & 0x7FFFFFFFu));
        require(!s.rtp_index.started() && s.rtp_replay.empty());

        buffer again(in.size(), sentinel);
        require(k.transform.unprotect_rtcp(s, in, again).error() == errc::replayed);
        require(all_equal(again, sentinel));

        stream s_short = fresh_stream(0);
        buffer too_small(r->size() - 1, sentinel);
        require(k.transform.unprotect_rtcp(s_short, in, too_small).error() ==
                errc::buffer_too_small);
        require(all_equal(too_small, sentinel));
        require(untouched(s_short, 0));
    }

    if (r || r.error() == errc::auth_failed) {
        buffer both(in.size() + 1, sentinel);
        std::copy(in.begin(), in.end(), both.begin());
        stream s_overlap = fresh_stream(0);
        auto ro = k.transform.unprotect_rtcp(s_overlap, bytes_view{both.data(), in.size()},
                                             bytes_span{both.data() + 1, in.size()});
        require(ro.error() == errc::buffer_overlap);
        require(same_bytes(bytes_view{both}.first(in.size()), orig));
        require(untouched(s_overlap, 0));
    }

    buffer buf = orig;
    stream s_in = fresh_stream(0);
    auto ri = k.transform.unprotect_rtcp(s_in, buf, buf);
    require(ri.error() == r.error());
    if (!ri) {
        require(same_bytes(buf, orig));
        require(untouched(s_in, 0));
    } else {
        require(ri->data() == buf.data());
        require(same_bytes(*ri, *r));
    }

    // srtp_session: no stream appears for a packet that fails.
    require(k.session.stream_count() == 0);
    buffer sout(in.size() + 8, sentinel);
    auto rs = k.session.unprotect_rtcp(in, sout);
    require(same_bytes(in, orig));
    if (!rs) {
        // The session parses the 8-octet header before the transform checks the total size.
        if (in.size() < perc::rtcp_header_size) require(rs.error() == errc::truncated);
        else if ((in[0] >> 6) != 2) require(rs.error() == errc::bad_rtp_version);
        else require(rs.error() == r.error());
        require(all_equal(sout, sentinel));
        require(k.session.stream_count() == 0);
    } else {
        require(r.has_value() && same_bytes(*rs, *r));
        require(k.session.stream_count() == 1);
        require(k.session.remove_stream(perc::load_be32(in.data() + 4)));
    }
}

// --------------------------------------------------------------- protect → unprotect

template <class T>
void check_round_trip_rtp(keyed<T>& k, std::uint32_t roc, bytes_view in)
{
    auto h = perc::decode_rtp_header(in);
    if (!h) return;
    constexpr std::size_t tag = T::srtp_overhead;
    const std::size_t hs = h->header_size;

    buffer sealed(in.size() + tag, sentinel);
    stream tx = fresh_stream(roc);
    auto p = k.transform.protect_rtp(tx, in, sealed);
    require(p.has_value());
    require(p->data() == sealed.data() && p->size() == sealed.size());
    require(same_bytes(p->first(hs), in.first(hs))); // RFC 7714 §8.2: header stays clear
    require(tx.rtp_replay.highest() == perc::srtp_index(roc, h->seq));

    // RFC 7714 §8.4: an IV must never repeat, so the same index is not protected twice.
    buffer again(in.size() + tag, sentinel);
    require(k.transform.protect_rtp(tx, in, again).error() == errc::index_reused);
    require(all_equal(again, sentinel));

    // In place gives the same bytes (same key, SSRC and index → same IV).
    buffer buf(in.size() + tag, sentinel);
    std::copy(in.begin(), in.end(), buf.begin());
    stream tx_in = fresh_stream(roc);
    auto pi = k.transform.protect_rtp(tx_in, bytes_view{buf.data(), in.size()}, buf);
    require(pi.has_value() && same_bytes(buf, sealed));

    // The receiver recovers the packet, out of place and in place.
    buffer opened(in.size(), sentinel);
    stream rx = fresh_stream(roc);
    auto o = k.transform.unprotect_rtp(rx, sealed, opened);
    require(o.has_value() && same_bytes(*o, in));
    stream rx_in = fresh_stream(roc);
    auto oi = k.transform.unprotect_rtp(rx_in, buf, buf);
    require(oi.has_value() && same_bytes(*oi, in));

    // Any single flipped bit (header = AAD, ciphertext or tag) fails and changes nothing.
    const std::size_t bit = pick_bit(in, sealed.size() * 8);
    sealed[bit / 8] = static_cast<std::uint8_t>(sealed[bit / 8] ^ (1u << (bit % 8)));
    const buffer forged = sealed;
    buffer fout(in.size(), sentinel);
    stream rx_f = fresh_stream(roc);
    auto f = k.transform.unprotect_rtp(rx_f, sealed, fout);
    require(!f.has_value());
    require(same_bytes(sealed, forged));
    require(all_equal(fout, sentinel));
    require(untouched(rx_f, roc));
}

template <class T>
void check_round_trip_rtcp(keyed<T>& k, std::uint32_t first_index, bool encrypt, bytes_view in)
{
    if (!perc::decode_rtcp_header(in)) return;
    constexpr std::size_t overhead = T::srtcp_overhead;
    const std::size_t clear = encrypt ? perc::rtcp_header_size : in.size();

    buffer sealed(in.size() + overhead, sentinel);
    stream tx;
    require(tx.set_srtcp_next_index(first_index) == errc::ok);
    auto p = k.transform.protect_rtcp(tx, in, sealed, encrypt);
    require(p.has_value());
    require(p->data() == sealed.data() && p->size() == sealed.size());
    require(same_bytes(p->first(clear), in.first(clear)));
    // RFC 7714 §9.2: ESRTCP word = E ‖ 31-bit index, last on the wire.
    require(perc::load_be32(sealed.data() + sealed.size() - 4) ==
            ((encrypt ? 0x80000000u : 0u) | first_index));
    require(tx.srtcp_next_index == first_index + 1);

    buffer buf(in.size() + overhead, sentinel);
    std::copy(in.begin(), in.end(), buf.begin());
    stream tx_in;
    require(tx_in.set_srtcp_next_index(first_index) == errc::ok);
    auto pi = k.transform.protect_rtcp(tx_in, bytes_view{buf.data(), in.size()}, buf, encrypt);
    require(pi.has_value() && same_bytes(buf, sealed));

    buffer opened(in.size(), sentinel);
    stream rx;
    auto o = k.transform.unprotect_rtcp(rx, sealed, opened);
    require(o.has_value() && same_bytes(*o, in));
    require(rx.rtcp_replay.highest() == first_index);
    stream rx_in;
    auto oi = k.transform.unprotect_rtcp(rx_in, buf, buf);
    require(oi.has_value() && same_bytes(*oi, in));

    // Header, ciphertext, tag and ESRTCP word (E flag and index are in the AAD) are covered.
    const std::size_t bit = pick_bit(in, sealed.size() * 8);
    sealed[bit / 8] = static_cast<std::uint8_t>(sealed[bit / 8] ^ (1u << (bit % 8)));
    const buffer forged = sealed;
    buffer fout(in.size(), sentinel);
    stream rx_f;
    auto f = k.transform.unprotect_rtcp(rx_f, sealed, fout);
    require(!f.has_value());
    require(same_bytes(sealed, forged));
    require(all_equal(fout, sentinel));
    require(untouched(rx_f, 0));
}

template <class T>
void run(perc_fuzz::selector sel, bytes_view packet)
{
    keyed<T>& k = instance<T>();
    check_unprotect_rtp(k, sel.roc(), packet);
    check_unprotect_rtcp(k, packet);
    check_round_trip_rtp(k, sel.roc(), packet);
    check_round_trip_rtcp(k, sel.roc(), sel.rtcp_encrypt(), packet);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size == 0) return 0;
    const perc_fuzz::selector sel{data[0]};
    // A heap copy of exactly the packet's size, so ASan sees any read past its end.
    const buffer packet(data + 1, data + size);
    if (sel.aes_256()) run<perc::botan::srtp_aes_256_gcm>(sel, packet);
    else run<perc::botan::srtp_aes_128_gcm>(sel, packet);
    return 0;
}
