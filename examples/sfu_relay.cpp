// A minimal SFU relay loop (RFC 8723 §5.2): one sender, a Media Distributor holding outer
// (hop-by-hop) keys only, three receivers, each on its own hop with its own key.
// Per incoming packet the MD authenticates and decrypts the outer layer ONCE (open_rtp) and
// re-encrypts it for every receiver (forward_rtp), changing what that receiver needs:
//   R0: the MD drops every fourth packet for it and renumbers SEQ so its hop has no gaps;
//   R1: the MD rewrites PT 111 -> 100 (the number R1 negotiated for the same codec);
//   R2: the MD removes the header extension.
// PT and SEQ changes are recorded in the Original Header Block (OHB) inside the outer layer;
// each receiver checks that it recovers the sender's original PT, SEQ, M and payload.
// RTCP: the sender's report is forwarded to every receiver (open_rtcp once, forward_rtcp
// to each); each receiver's report goes back to the sender (relay_rtcp).
#include <perc/botan/double.hpp>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

using bytes = std::vector<std::uint8_t>;
using md_type = perc::botan::media_distributor_aes_128_gcm;
using endpoint = perc::botan::double_aes_128_gcm;
int failures = 0;

void check(bool ok, const char* what)
{
    if (!ok) std::printf("  [FAIL] %s\n", what);
    if (!ok) ++failures;
}

// Demo keys: 16 octets of one value. Real ones come from DTLS-SRTP and the Key Distributor.
bytes key(std::uint8_t v)
{
    return bytes(16, v);
}
bytes cat(const bytes& a, const bytes& b)
{
    bytes r = a;
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

// V=2, X=1, CC=1, PT 111, one CSRC, an RFC 8285 one-byte extension (audio level), payload.
bytes make_rtp(std::uint16_t seq, bool marker, const char* text)
{
    // clang-format off
    const std::uint8_t header[] = {
        0x91, 111, 0, 0,                  // V=2 X=1 CC=1 | M=0 PT 111 | SEQ (set below)
        0x00, 0x00, 0x10, 0x00,           // timestamp
        0xca, 0xfe, 0xba, 0xbe,           // SSRC
        0xc5, 0x00, 0x00, 0x01,           // CSRC
        0xbe, 0xde, 0x00, 0x01,           // RFC 8285 one-byte extension block, 1 word
        0x10, 0x2a, 0x00, 0x00};          // ID 1 (audio level) = 42, two padding octets
    // clang-format on
    bytes p(sizeof header + std::strlen(text));
    std::memcpy(p.data(), header, sizeof header);
    std::memcpy(p.data() + sizeof header, text, p.size() - sizeof header);
    if (marker) p[1] |= 0x80;
    perc::store_be16(p.data() + 2, seq);
    return p;
}

} // namespace

int main()
{
    const bytes e2e_salt(12, 0x5a), hop_salt(12, 0xa5);
    // The sender's double key: inner (E2E) ‖ outer (sender -> MD hop).
    endpoint sender;
    md_type md;
    md_type::link_type from_sender; // receives with 0x11, sends toward the sender with 0x12
    if (sender.init(cat(key(0x01), key(0x11)), cat(e2e_salt, hop_salt)) != perc::errc::ok ||
        from_sender.init(key(0x11), hop_salt, key(0x12), hop_salt) != perc::errc::ok)
        return std::puts("sender setup failed"), 1;

    // Per receiver: the MD's link, the receive context (sender's E2E key ‖ MD -> Ri key), and
    // a send context for Ri's own RTCP (Ri's own E2E key ‖ Ri -> MD key).
    struct receiver {
        md_type::link_type link;
        endpoint rx, tx;
        std::uint16_t next_seq = 1000; // R0's renumbered SEQ space
        int received = 0;
    };
    std::array<receiver, 3> r;
    for (std::uint8_t i = 0; i < 3; ++i) {
        const auto up = static_cast<std::uint8_t>(0x30 + i),
                   down = static_cast<std::uint8_t>(0x20 + i);
        if (r[i].link.init(key(up), hop_salt, key(down), hop_salt) != perc::errc::ok ||
            r[i].rx.init(cat(key(0x01), key(down)), cat(e2e_salt, hop_salt)) != perc::errc::ok ||
            r[i].tx.init(cat(key(static_cast<std::uint8_t>(0x40 + i)), key(up)),
                         cat(e2e_salt, hop_salt)) != perc::errc::ok)
            return std::puts("receiver setup failed"), 1;
    }

    // Caller-owned buffers, reused for every packet: the relay loop allocates nothing.
    std::array<std::uint8_t, 1500> wire{}, scratch{}, plain{};
    std::array<std::array<std::uint8_t, 1500>, 3> out{};
    std::printf("  %5s | %-23s | %-23s | %s\n", "SEQ", "R0: drop + renumber", "R1: PT 111 -> 100",
                "R2: extension removed");
    for (int n = 0; n < 12; ++n) {
        const auto seq = static_cast<std::uint16_t>(65530 + n); // crosses the SEQ wrap
        char text[32];
        std::snprintf(text, sizeof text, "frame %d", n);
        const bytes pkt = make_rtp(seq, n == 0, text);
        auto sent = sender.protect_rtp(pkt, wire);
        if (!sent) return std::printf("protect: %s\n", perc::to_string(sent.error()).data()), 1;

        // One outer open on the incoming hop. `scratch` now holds header ‖ E2E ciphertext ‖
        // E2E tag ‖ OHB — still unreadable for the MD, which has no E2E key.
        auto opened = md.open_rtp(from_sender, *sent, scratch);
        if (!opened) return std::printf("open: %s\n", perc::to_string(opened.error()).data()), 1;
        std::printf("  %5u", seq);
        for (std::size_t i = 0; i < 3; ++i) {
            perc::relay_changes ch;
            if (i == 0 && n % 4 == 3) { // selective forwarding: R0 does not get this one
                std::printf(" | %-23s", "(dropped)");
                continue;
            }
            if (i == 0) ch.seq = r[0].next_seq++;
            if (i == 1) ch.payload_type = 100;
            if (i == 2) ch.extension = perc::relay_changes::extension_action::remove;
            // `out` needs opened->packet.size() + relay_growth (OHB 1 -> 4) + 16 (outer tag).
            auto f = md.forward_rtp(*opened, r[i].link, out[i], ch);
            if (!f) return std::printf("forward: %s\n", perc::to_string(f.error()).data()), 1;
            std::printf(" | PT %3u SEQ %5u OHB %02x", f->sent.payload_type, f->sent.seq,
                        f->ohb_sent.config());

            auto u = r[i].rx.unprotect_rtp(f->packet, plain);
            check(u.has_value(), "receiver unprotects");
            if (!u) continue;
            ++r[i].received;
            // RFC 8723 §5.3: `original` is end-to-end authenticated (from the OHB); `outer` is
            // what this hop carried (the outer PT selects the codec, the outer SEQ orders the
            // jitter buffer).
            check(u->original == perc::rtp_mutable_fields{111, seq, n == 0}, "original header");
            check(u->outer == f->sent, "outer fields are the ones the MD sent");
            const auto payload = u->payload();
            check(bytes(payload.begin(), payload.end()) == bytes(pkt.begin() + 24, pkt.end()),
                  "payload");
            check(u->header_size == (i == 2 ? 16u : 24u), "extension kept / removed");
        }
        std::puts("");
    }
    std::printf("  each receiver recovered the original PT 111, SEQ, M and payload (OHB);\n"
                "  received: R0 %d, R1 %d, R2 %d of 12\n",
                r[0].received, r[1].received, r[2].received);
    check(r[0].received == 9 && r[1].received == 12 && r[2].received == 12, "packet counts");

    // RTCP (RFC 8723 §6) is hop by hop only, so the MD may read it. The sender's report goes
    // to every receiver like media: open it once on the incoming link, forward it to each.
    // clang-format off
    const bytes sr = {0x80, 200, 0x00, 0x06, 0xca, 0xfe, 0xba, 0xbe,  // SR, length 6, SSRC
                      0xe9, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00,  // NTP timestamp
                      0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x0c,  // RTP timestamp, packets
                      0x00, 0x00, 0x01, 0x00};                         // octets
    // clang-format on
    auto sr_wire = sender.protect_rtcp(sr, wire); // `wire` needs sr.size() + 20
    if (!sr_wire) return 1;
    auto sr_plain = md.open_rtcp(from_sender, *sr_wire, scratch);
    if (!sr_plain)
        return std::printf("open_rtcp: %s\n", perc::to_string(sr_plain.error()).data()), 1;
    for (std::size_t i = 0; i < 3; ++i) {
        auto f = md.forward_rtcp(*sr_plain, r[i].link, out[i]); // next SRTCP index of that hop
        if (!f) return std::printf("forward_rtcp: %s\n", perc::to_string(f.error()).data()), 1;
        auto got = r[i].rx.unprotect_rtcp(*f, plain);
        check(got && bytes(got->begin(), got->end()) == sr, "receiver gets the SR");
        std::printf("  RTCP SR of the sender forwarded to R%zu: %s\n", i,
                    got ? "ok" : perc::to_string(got.error()).data());
    }
    // Each receiver's report goes back to the sender only: relay_rtcp (open + forward).
    endpoint sender_rx; // the sender's receive side: outer key 0x12 (MD -> sender)
    if (sender_rx.init(cat(key(0x01), key(0x12)), cat(e2e_salt, hop_salt)) != perc::errc::ok)
        return 1;
    for (std::uint8_t i = 0; i < 3; ++i) {
        const bytes rr = {0x80, 201, 0x00, 0x01, 0xb0, 0x00, 0x00, i}; // RR from SSRC b000000i
        auto srtcp = r[i].tx.protect_rtcp(rr, wire);
        if (!srtcp) return 1;
        auto relayed = md.relay_rtcp(r[i].link, from_sender, *srtcp, out[0]);
        if (!relayed)
            return std::printf("relay_rtcp: %s\n", perc::to_string(relayed.error()).data()), 1;
        auto got = sender_rx.unprotect_rtcp(*relayed, plain);
        check(got && bytes(got->begin(), got->end()) == rr, "sender receives the RR");
        std::printf("  RTCP RR from R%u relayed to the sender: %s\n", i,
                    got ? "ok" : perc::to_string(got.error()).data());
    }
    std::printf("%s\n", failures == 0 ? "all checks passed" : "SOME CHECKS FAILED");
    return failures == 0 ? 0 : 1;
}
