// A minimal PERC endpoint (RFC 8723 double SRTP over RFC 7714 AES-GCM):
//  1. DTLS-SRTP has negotiated a protection profile (use_srtp) and exported keying material
//     (RFC 5764 §4.2). Both are simulated here: the profile id comes from the command line
//     (default: both double profiles, 0x0009 and 0x000A), the exporter output is fixed bytes.
//  2. make_endpoint() maps the profile id, once, to a concrete type held in a std::variant.
//  3. The sender protects RTP packets carrying CSRCs and a header extension across a SEQ wrap;
//     the receiving side unprotects them. RTCP uses the outer (hop-by-hop) half only (§6).
//  4. A tampered, a truncated and a replayed packet get their exact errc and change nothing.
// Usage: minimal-endpoint [profile-id ...]     e.g. minimal-endpoint 0x0009
#include <perc/botan/profiles.hpp>
#include <perc/keying_material.hpp>
#include <perc/rtp_header.hpp>
#include <perc/suites.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

using bytes = std::vector<std::uint8_t>;
int failures = 0;

void check(bool ok, const char* what)
{
    std::printf("  [%s] %s\n", ok ? "ok" : "FAIL", what);
    if (!ok) ++failures;
}

// V=2, X=1, CC=2, PT 111 (e.g. Opus), two CSRCs, an RFC 8285 one-byte extension with an audio
// level element (ID 1, one octet, two padding octets), then the payload.
bytes make_rtp(std::uint16_t seq, bool marker, const char* text)
{
    // clang-format off
    const std::uint8_t header[] = {
        0x92, 111, 0, 0,                  // V=2 X=1 CC=2 | M=0 PT 111 | SEQ (set below)
        0x00, 0x01, 0xe2, 0x40,           // timestamp
        0x11, 0x22, 0x33, 0x44,           // SSRC
        0xc5, 0x00, 0x00, 0x01,           // CSRC 1
        0xc5, 0x00, 0x00, 0x02,           // CSRC 2
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

void print_fields(const char* label, perc::bytes_view packet)
{
    auto h = perc::decode_rtp_header(packet);
    if (!h) return;
    std::printf("    %-9s PT %3u  SEQ %5u  M %d  %3zu octets\n", label, h->payload_type, h->seq,
                h->marker, packet.size());
}

int run(std::uint16_t profile_id)
{
    // 1. The profile DTLS-SRTP negotiated. A PERC endpoint accepts only the double profiles.
    const perc::profile_info* info = perc::find_profile(profile_id);
    if (info == nullptr || !info->is_double) {
        std::printf("profile 0x%04x: not a PERC (double) profile we implement\n", profile_id);
        return 1;
    }
    std::printf("profile 0x%04x %s\n", profile_id, info->name.data());

    // Exporter output "EXTRACTOR-dtls_srtp": 2·(key + salt) octets, 112 or 176 here.
    bytes exporter(2 * (info->master_key_size + info->master_salt_size));
    for (std::size_t i = 0; i < exporter.size(); ++i)
        exporter[i] = static_cast<std::uint8_t>(i * 37 + 11);
    auto km = perc::split_keying_material(exporter, info->master_key_size, info->master_salt_size);
    if (!km) return std::printf("split: %s\n", perc::to_string(km.error()).data()), 1;

    // 2. The DTLS client sends with client_write key/salt (each is inner ‖ outer, RFC 8723
    // §10.1); the other end of this hop unprotects with the same. (In a conference the
    // receiver has the sender's inner half from EKT and its own outer half: see
    // ekt_late_joiner.cpp and sfu_relay.cpp.)
    perc::botan::any_endpoint tx, rx;
    if (perc::botan::make_endpoint(profile_id, km->client_write_key, km->client_write_salt, tx) !=
            perc::errc::ok ||
        perc::botan::make_endpoint(profile_id, km->client_write_key, km->client_write_salt, rx) !=
            perc::errc::ok)
        return std::puts("key setup failed"), 1;

    // 3. RTP. `out` needs the packet plus any_endpoint_max_overhead (inner tag, OHB up to 4
    // octets, outer tag). Each call returns the written prefix of `out`.
    const char* texts[] = {"first", "second", "third (after the SEQ wrap)", "fourth"};
    const std::uint16_t seqs[] = {65534, 65535, 0, 1};
    bytes last_wire;
    for (int n = 0; n < 4; ++n) {
        const bytes pkt = make_rtp(seqs[n], n == 0, texts[n]);
        bytes out(pkt.size() + perc::botan::any_endpoint_max_overhead);
        auto wire = perc::botan::protect_rtp(tx, pkt, out);
        if (!wire) return std::printf("protect: %s\n", perc::to_string(wire.error()).data()), 1;
        std::printf("  packet %d: \"%s\"\n", n, texts[n]);
        print_fields("sent", pkt);
        print_fields("wire", *wire); // no MD on this hop: the wire header is the sent one
        bytes plain(wire->size());
        auto got = perc::botan::unprotect_rtp(rx, *wire, plain);
        if (!got) return std::printf("unprotect: %s\n", perc::to_string(got.error()).data()), 1;
        print_fields("original", *got); // restored from the OHB when an MD changed them
        check(bytes(got->begin(), got->end()) == pkt, "receiver recovers the exact packet");
        last_wire.assign(wire->begin(), wire->end());
    }

    // 4. Bad input. A tampered payload bit: the outer tag fails, and the caller's buffer (here
    // unprotected in place) is left exactly as it was, so nothing is lost by trying.
    const bytes pkt = make_rtp(2, false, "fifth");
    bytes buf(pkt.size() + perc::botan::any_endpoint_max_overhead);
    auto sent = perc::botan::protect_rtp(tx, pkt, buf);
    if (!sent) return 1;
    bytes wire(sent->begin(), sent->end());
    wire[pkt.size() - 3] ^= 0x01; // inside the encrypted payload
    const bytes tampered = wire;
    auto bad = perc::botan::unprotect_rtp(rx, wire, wire);
    std::printf("  tampered payload bit -> %s (kind %s)\n",
                bad ? "ok" : perc::to_string(bad.error()).data(),
                perc::kind(bad.error()) == perc::error_kind::rejected ? "rejected" : "other");
    check(!bad && bad.error() == perc::errc::auth_failed, "tampered packet: errc::auth_failed");
    check(wire == tampered, "the failed call left the buffer untouched");
    auto cut = perc::botan::unprotect_rtp(rx, perc::bytes_view(wire).first(10), wire);
    check(!cut && cut.error() == perc::errc::truncated &&
              perc::kind(cut.error()) == perc::error_kind::malformed,
          "10-octet packet: errc::truncated (kind malformed)");
    wire[pkt.size() - 3] ^= 0x01; // the genuine packet: the failures changed no state
    auto good = perc::botan::unprotect_rtp(rx, wire, wire);
    check(good && bytes(good->begin(), good->end()) == pkt, "the genuine packet still decrypts");
    bytes scratch(last_wire.size());
    auto again = perc::botan::unprotect_rtp(rx, last_wire, scratch);
    check(!again && again.error() == perc::errc::replayed, "a replayed packet: errc::replayed");

    // RTCP (RFC 8723 §6): outer keys only. An 8-octet receiver report (PT 201, length 1).
    const bytes rr = {0x80, 201, 0x00, 0x01, 0x11, 0x22, 0x33, 0x44};
    bytes srtcp(rr.size() + perc::botan::double_aes_256_gcm::srtcp_overhead);
    auto rtcp = perc::botan::protect_rtcp(tx, rr, srtcp);
    if (!rtcp) return std::printf("protect_rtcp: %s\n", perc::to_string(rtcp.error()).data()), 1;
    std::printf("  RTCP: %zu octets -> SRTCP %zu octets (16-octet tag, E bit + index)\n", rr.size(),
                rtcp->size());
    bytes rr_out(rtcp->size());
    auto rtcp_got = perc::botan::unprotect_rtcp(rx, *rtcp, rr_out);
    check(rtcp_got && bytes(rtcp_got->begin(), rtcp_got->end()) == rr, "receiver recovers RTCP");
    // Proof that only the outer half is involved: a plain RFC 7714 session keyed with the
    // outer half alone (what a Media Distributor holds) opens it too.
    auto halves = perc::split_double_key(km->client_write_key, km->client_write_salt);
    perc::botan::any_endpoint hop;
    const std::uint16_t single_id = profile_id == 0x0009 ? 0x0007 : 0x0008;
    if (!halves || perc::botan::make_endpoint(single_id, halves->outer_key, halves->outer_salt,
                                              hop) != perc::errc::ok)
        return 1;
    auto hop_got = perc::botan::unprotect_rtcp(hop, *rtcp, rr_out);
    check(hop_got && bytes(hop_got->begin(), hop_got->end()) == rr,
          "the outer half alone (single-layer profile) opens the SRTCP packet");
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    std::vector<std::uint16_t> ids;
    for (int i = 1; i < argc; ++i)
        ids.push_back(static_cast<std::uint16_t>(std::strtoul(argv[i], nullptr, 0)));
    if (ids.empty()) ids = {0x0009, 0x000A};
    for (std::uint16_t id : ids)
        if (run(id) != 0) ++failures;
    std::printf("%s\n", failures == 0 ? "all checks passed" : "SOME CHECKS FAILED");
    return failures == 0 ? 0 : 1;
}
