// A sender, a Media Distributor and a receiver in one process (RFC 8723):
// the sender double-protects a packet, the MD rewrites PT/SEQ/marker holding only outer
// keys, the receiver recovers the original header and payload. Also shows that the MD cannot
// read the media and that a tampering MD is caught.
#include <perc/botan/double.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

namespace {

void print(const char* label, perc::bytes_view b)
{
    std::printf("%-28s", label);
    for (std::size_t i = 0; i < b.size(); ++i) std::printf("%02x%s", b[i], (i % 4 == 3) ? " " : "");
    std::printf("\n");
}

} // namespace

int main()
{
    // Keys as the Key Distributor would hand them out (RFC 8871): the double master key is
    // inner (end-to-end) ‖ outer (hop-by-hop); the MD only ever sees outer halves.
    std::uint8_t e2e_key[16], hop_in_key[16], hop_out_key[16], e2e_salt[12], hop_salt[12];
    for (int i = 0; i < 16; ++i) {
        e2e_key[i] = static_cast<std::uint8_t>(i);
        hop_in_key[i] = static_cast<std::uint8_t>(0x40 + i);
        hop_out_key[i] = static_cast<std::uint8_t>(0x80 + i);
    }
    for (int i = 0; i < 12; ++i) {
        e2e_salt[i] = static_cast<std::uint8_t>(0x50 + i);
        hop_salt[i] = static_cast<std::uint8_t>(0xA0 + i);
    }
    auto concat = [](perc::bytes_view a, perc::bytes_view b) {
        std::vector<std::uint8_t> v(a.begin(), a.end());
        v.insert(v.end(), b.begin(), b.end());
        return v;
    };

    perc::botan::double_aes_128_gcm sender, receiver;
    perc::botan::media_distributor_aes_128_gcm::link_type from_sender, to_receiver;
    perc::botan::media_distributor_aes_128_gcm md;
    // The MD's links: it receives from the sender with the sender's outer key and sends to
    // the receiver with that receiver's outer key. (The other direction of each link has its
    // own key; here a fixed distinct value.)
    std::uint8_t unused_a[16], unused_b[16];
    std::memset(unused_a, 0x11, sizeof unused_a);
    std::memset(unused_b, 0x22, sizeof unused_b);
    if (sender.init(concat(e2e_key, hop_in_key), concat(e2e_salt, hop_salt)) != perc::errc::ok ||
        receiver.init(concat(e2e_key, hop_out_key), concat(e2e_salt, hop_salt)) != perc::errc::ok ||
        from_sender.init(hop_in_key, hop_salt, unused_a, hop_salt) != perc::errc::ok ||
        to_receiver.init(unused_b, hop_salt, hop_out_key, hop_salt) != perc::errc::ok) {
        std::puts("key setup failed");
        return 1;
    }

    // RTP: V=2, PT 96, SEQ 0x1234, TS, SSRC, payload "hello, PERC".
    const char text[] = "hello, PERC";
    const std::uint8_t header[12] = {0x80, 0x60, 0x12, 0x34, 0xde, 0xca,
                                     0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe};
    std::vector<std::uint8_t> pkt(sizeof header + sizeof text - 1);
    std::memcpy(pkt.data(), header, sizeof header);
    std::memcpy(pkt.data() + sizeof header, text, sizeof text - 1);
    print("RTP packet:", pkt);

    std::vector<std::uint8_t> wire(pkt.size() + decltype(sender)::max_overhead);
    auto sent = sender.protect_rtp(pkt, wire);
    if (!sent) return std::printf("protect: %s\n", perc::to_string(sent.error()).data()), 1;
    print("sender -> MD (double):", *sent);

    perc::relay_changes ch;
    ch.payload_type = 100;
    ch.seq = 0x5678;
    ch.marker = true;
    std::vector<std::uint8_t> relayed(sent->size() + md.relay_growth);
    auto r = md.relay_rtp(from_sender, to_receiver, *sent, relayed, ch);
    if (!r) return std::printf("relay: %s\n", perc::to_string(r.error()).data()), 1;
    print("MD -> receiver (rewritten):", r->packet);
    std::printf("%-28sconfig 0x%02x (original PT and SEQ recorded, marker changed)\n",
                "OHB:", r->ohb_sent.config());

    std::vector<std::uint8_t> got(r->packet.size());
    auto u = receiver.unprotect_rtp(r->packet, got);
    if (!u) return std::printf("unprotect: %s\n", perc::to_string(u.error()).data()), 1;
    print("receiver recovers:", u->packet);
    std::printf("%-28sPT %u SEQ 0x%04x M %d (wire: PT %u SEQ 0x%04x M %d)\n",
                "original header:", u->original.payload_type, u->original.seq, u->original.marker,
                u->outer.payload_type, u->outer.seq, u->outer.marker);

    // The MD has only outer keys: decrypting the media with a double context built from
    // them fails end to end.
    perc::botan::double_aes_128_gcm nosy;
    (void)nosy.init(concat(hop_out_key, hop_out_key), concat(hop_salt, hop_salt));
    std::vector<std::uint8_t> scratch(r->packet.size());
    auto spy = nosy.unprotect_rtp(r->packet, scratch);
    std::printf("%-28s%s\n", "MD tries to read media:",
                spy ? "DECRYPTED (bug!)" : perc::to_string(spy.error()).data());

    // A tampering MD flips a payload bit and re-encrypts the outer layer validly.
    perc::botan::double_aes_128_gcm receiver2;
    (void)receiver2.init(concat(e2e_key, hop_out_key), concat(e2e_salt, hop_salt));
    std::vector<std::uint8_t> evil(sent->size() + md.relay_growth);
    perc::botan::media_distributor_aes_128_gcm::link_type evil_in, evil_out;
    (void)evil_in.init(hop_in_key, hop_salt, unused_a, hop_salt);
    (void)evil_out.init(unused_b, hop_salt, hop_out_key, hop_salt);
    perc::srtp_stream<> s_in, s_out;
    std::vector<std::uint8_t> plain(sent->size());
    auto opened = evil_in.receive_transform().unprotect_rtp(s_in, *sent, plain);
    if (!opened) return 1;
    (*opened)[12] ^= 0x01; // first octet of the end-to-end ciphertext
    auto resent = evil_out.send_transform().protect_rtp(s_out, *opened, evil);
    if (!resent) return 1;
    auto caught = receiver2.unprotect_rtp(*resent, scratch);
    std::printf("%-28s%s\n", "tampered payload:",
                caught ? "ACCEPTED (bug!)" : perc::to_string(caught.error()).data());
    return (spy || caught || u->payload().size() != sizeof text - 1) ? 1 : 0;
}
