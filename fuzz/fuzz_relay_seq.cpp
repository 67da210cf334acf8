// perc fuzzing — media_distributor::relay_rtp over SEQUENCES of packets on the same links, so
// that its fast path (both streams already exist: open and forward on the entries and indices
// found by the pre-checks) runs, not only a stream's first packet. Differential: every packet
// also goes through open_rtp + forward_rtp on a twin MD with twin links, and the two must agree
// on the outcome, the relayed bytes, the sent PT/SEQ/M, the OHB sent and both streams' state;
// a refused relay changes no state and, in place, leaves the buffer as it was.
// Input: octet 0 = suite (bit 2), EKT on the incoming (bit 0) and outgoing (bit 1) link; then
// 8 octets per packet (at most 96): SSRC, CC, X, M, in place, corruption, index step, PT, OHB,
// payload size and the relay changes (see the loop). Packets are valid outer-encrypted RTP
// built here, mostly in order, sometimes reordered, repeated, corrupted or with a bad OHB.
#include <perc/botan/double.hpp>
#include <perc/ohb.hpp>

#include "fuzz_common.hpp"
#include "fuzz_keys.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

namespace {
using perc::bytes_span;
using perc::bytes_view;
using perc::errc;
using perc_fuzz::require;
using perc_fuzz::same_bytes;
using buffer = std::vector<std::uint8_t>;
constexpr std::uint8_t sentinel = 0xA5;

struct snap {
    bool exists = false, started = false;
    std::uint64_t top = 0;
    std::uint32_t roc = 0;
    bool operator==(const snap&) const = default;
};
template <class St>
snap take(St* s)
{
    if (!s) return {};
    return {true, !s->rtp_replay.empty(), s->rtp_replay.empty() ? 0 : s->rtp_replay.highest(),
            s->roc()};
}

template <class Single>
struct world {
    using md = perc::media_distributor<Single>;
    using link = typename md::link_type;
    static constexpr std::size_t ks = Single::master_key_size;
    Single sender; // outer key A, stateless
    md mda, mdb;
    world()
    {
        require(sender.set_master_key(bytes_view{perc_fuzz::outer_a.key.data(), ks},
                                      perc_fuzz::outer_a.salt) == errc::ok);
    }
    static void init(link& l, const perc_fuzz::hop_key& rx, const perc_fuzz::hop_key& tx, bool ekt)
    {
        perc::session_options o;
        o.max_streams = 4;
        o.auto_create = true;
        o.ekt = ekt;
        require(l.init(bytes_view{rx.key.data(), ks}, rx.salt, bytes_view{tx.key.data(), ks},
                       tx.salt, o) == errc::ok);
    }
};

template <class Single>
void run(const std::uint8_t* data, std::size_t size)
{
    static world<Single> w;
    using link = typename world<Single>::link;
    const bool from_ekt = data[0] & 1, to_ekt = data[0] & 2;
    link af, at, bf, bt;
    world<Single>::init(af, perc_fuzz::outer_a, perc_fuzz::outer_d, from_ekt);
    world<Single>::init(at, perc_fuzz::outer_d, perc_fuzz::outer_b, to_ekt);
    world<Single>::init(bf, perc_fuzz::outer_a, perc_fuzz::outer_d, from_ekt);
    world<Single>::init(bt, perc_fuzz::outer_d, perc_fuzz::outer_b, to_ekt);
    std::array<std::int64_t, 2> idx{1000 + data[0], 70000};
    const std::array<std::uint32_t, 2> ssrcs{0x11223344u, 0xCAFEBABEu};
    const std::array<std::uint8_t, 8> ext_body{1, 2, 3, 4, 5, 6, 7, 8};
    ++data;
    --size;
    for (std::size_t k = 0; k + 8 <= size && k < 8 * 96; k += 8) {
        const std::uint8_t* b = data + k;
        const unsigned which = b[0] & 1;
        const std::size_t cc = (b[0] >> 1) & 3;
        const bool ext = b[0] & 8, in_place = b[0] & 16, corrupt = b[0] & 32, m = b[0] & 64;
        const bool long_ekt = b[0] & 128;
        std::int16_t delta;
        std::memcpy(&delta, b + 1, 2);
        if ((b[6] & 0xE0) == 0) delta = 1; // mostly in order
        idx[which] += delta;
        if (idx[which] < 0) idx[which] = 0;
        if (idx[which] > 0xFFFFFFFFFFFFll) idx[which] = 0xFFFFFFFFFFFFll;
        const std::uint64_t index = static_cast<std::uint64_t>(idx[which]);
        const auto seq = static_cast<std::uint16_t>(index);
        const std::uint8_t pt = b[3] & 0x7F;
        // header
        buffer hdr(12 + 4 * cc, 0);
        hdr[0] = static_cast<std::uint8_t>(0x80 | (ext ? 0x10 : 0) | cc);
        hdr[1] = static_cast<std::uint8_t>((m ? 0x80 : 0) | pt);
        perc::store_be16(hdr.data() + 2, seq);
        perc::store_be32(hdr.data() + 4, 0x01020304u * b[5]);
        perc::store_be32(hdr.data() + 8, ssrcs[which]);
        for (std::size_t i = 12; i < hdr.size(); ++i) hdr[i] = static_cast<std::uint8_t>(i);
        if (ext) {
            const std::array<std::uint8_t, 8> e{0xBE, 0xDE, 0, 1, 0x10, 0xAA, 0, 0};
            hdr.insert(hdr.end(), e.begin(), e.end());
        }
        // plaintext: E2E ciphertext ‖ E2E tag (16) ‖ OHB
        buffer plain(16 + (b[5] & 31), 0x5A);
        perc::ohb o;
        if (b[4] & 1) o.payload_type = static_cast<std::uint8_t>(b[4] >> 1);
        if (b[4] & 2) o.seq = static_cast<std::uint16_t>(seq - (b[4] >> 4));
        if (b[4] & 4) o.marker = (b[4] & 8) != 0;
        std::array<std::uint8_t, perc::ohb_max_size> ob{};
        const std::size_t on = perc::encode_ohb(o, ob);
        plain.insert(plain.end(), ob.begin(), ob.begin() + static_cast<std::ptrdiff_t>(on));
        if (b[4] == 0xFF) plain.push_back(0x83); // bad config octet now and then
        buffer pkt = hdr;
        pkt.resize(hdr.size() + plain.size() + Single::tag_size);
        require(w.sender.seal_rtp(ssrcs[which], index, perc::aad_view{hdr}, plain,
                                  bytes_span{pkt}.subspan(hdr.size())) == errc::ok);
        if (from_ekt) {
            if (long_ekt) {
                // not a valid full EKTField: just exercise the error path sometimes
                pkt.push_back(0x02);
            } else {
                pkt.push_back(perc::ekt_type_short);
            }
        }
        if (corrupt) pkt[b[7] % pkt.size()] ^= static_cast<std::uint8_t>(1u << (b[6] & 7));
        // changes
        perc::relay_changes c;
        if (b[6] & 1) c.payload_type = static_cast<std::uint8_t>(b[7] & 0x7F);
        if (b[6] & 2) c.seq = static_cast<std::uint16_t>(seq + b[7]);
        if (b[6] & 4) c.marker = (b[7] & 0x80) != 0;
        switch ((b[6] >> 3) & 3) {
        case 1: c.extension = perc::relay_changes::extension_action::remove; break;
        case 2:
            c.extension = perc::relay_changes::extension_action::replace;
            c.extension_body = bytes_view{ext_body.data(), (b[7] & 1) ? 8u : 4u};
            break;
        default: break;
        }
        const std::uint32_t ssrc = ssrcs[which];
        const snap a_rx0 = take(af.find_receive_stream(ssrc)),
                   a_tx0 = take(at.find_send_stream(ssrc));
        require(a_rx0 == take(bf.find_receive_stream(ssrc)) &&
                a_tx0 == take(bt.find_send_stream(ssrc)));

        // A: relay_rtp
        buffer abuf(pkt.size() + 64, sentinel);
        if (in_place) std::copy(pkt.begin(), pkt.end(), abuf.begin());
        auto ra = in_place ? w.mda.relay_rtp(af, at, bytes_view{abuf.data(), pkt.size()}, abuf, c)
                           : w.mda.relay_rtp(af, at, pkt, abuf, c);
        if (!ra) {
            require(take(af.find_receive_stream(ssrc)) == a_rx0 &&
                    take(at.find_send_stream(ssrc)) == a_tx0);
            if (in_place) {
                require(same_bytes(bytes_view{abuf}.first(pkt.size()), pkt));
            }
        }

        // B oracle: the pre-checks with public members, then open_rtp + forward_rtp.
        const std::uint16_t sent_seq = c.seq.value_or(seq);
        bool pre_fail = false;
        if (auto* rs = bf.find_receive_stream(ssrc)) {
            auto oi = rs->rtp_index.estimate(seq);
            if (!oi || rs->rtp_replay.check(*oi) != errc::ok) pre_fail = true;
        }
        if (auto* ts = bt.find_send_stream(ssrc)) {
            auto ti = ts->rtp_index.estimate(sent_seq);
            if (!ti || ts->rtp_replay.check(*ti) != errc::ok) pre_fail = true;
        }
        if (pre_fail) {
            if (!corrupt) require(!ra);
            if (ra) return; // (corrupt header: another stream) states diverge: stop
            continue;
        }
        buffer scratch(pkt.size() + 64, sentinel);
        auto ob2 = w.mdb.open_rtp(bf, pkt, scratch);
        if (!ob2) {
            require(!ra);
            if (!corrupt) require(ra.error() == ob2.error());
            continue;
        }
        buffer bout(pkt.size() + 64, sentinel);
        auto rb = w.mdb.forward_rtp(*ob2, bt, bout, c);
        if (!rb) {
            require(!ra);
            return; // states diverge (B's incoming stream committed)
        }
        require(ra.has_value());
        require(same_bytes(ra->packet, rb->packet));
        require(ra->sent == rb->sent);
        require(ra->ohb_sent == rb->ohb_sent);
        require(take(af.find_receive_stream(ssrc)) == take(bf.find_receive_stream(ssrc)));
        require(take(at.find_send_stream(ssrc)) == take(bt.find_send_stream(ssrc)));
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 9) return 0;
    if (data[0] & 4) run<perc::botan::srtp_aes_256_gcm>(data, size);
    else run<perc::botan::srtp_aes_128_gcm>(data, size);
    return 0;
}
