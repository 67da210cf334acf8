// perc packaging test: a program outside the perc tree that finds perc through pkg-config,
// CMake (find_package) or a meson subproject, double-protects one RTP packet (RFC 8723 §5.1)
// and unprotects it again (RFC 8723 §5.3). Exit status 0 means the round trip was exact.
#include <perc/botan/double.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

int main()
{
    // Double master key and salt: inner (end-to-end) half followed by outer (hop-by-hop) half
    // (RFC 8723 §5.1). Sender and receiver share both halves; there is no Media Distributor.
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 24> salt{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<std::uint8_t>(i + 1);
    for (std::size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<std::uint8_t>(0xA0 + i);

    perc::botan::double_aes_128_gcm sender, receiver;
    if (sender.init(key, salt) != perc::errc::ok || receiver.init(key, salt) != perc::errc::ok) {
        std::puts("consumer: init failed");
        return 1;
    }

    // RTP: V=2, PT 96, SEQ 1, TS 0x01020304, SSRC 0xcafebabe, 4-octet payload.
    const std::array<std::uint8_t, 16> packet = {0x80, 0x60, 0x00, 0x01, 0x01, 0x02, 0x03, 0x04,
                                                 0xca, 0xfe, 0xba, 0xbe, 'p',  'e',  'r',  'c'};
    std::array<std::uint8_t, packet.size() + perc::botan::double_aes_128_gcm::max_overhead> wire{};
    auto sent = sender.protect_rtp(packet, wire);
    if (!sent) {
        std::printf("consumer: protect_rtp: %s\n", perc::to_string(sent.error()).data());
        return 1;
    }
    // Inner tag 16 + empty OHB 1 + outer tag 16 (RFC 8723 §5.1, RFC 7714 §13.1).
    if (sent->size() != packet.size() + 33) {
        std::printf("consumer: protected size %zu, expected %zu\n", sent->size(),
                    packet.size() + 33);
        return 1;
    }

    std::array<std::uint8_t, wire.size()> out{};
    auto got = receiver.unprotect_rtp(*sent, out);
    if (!got) {
        std::printf("consumer: unprotect_rtp: %s\n", perc::to_string(got.error()).data());
        return 1;
    }
    if (!std::ranges::equal(got->packet, packet)) {
        std::puts("consumer: round trip changed the packet");
        return 1;
    }
    std::puts("consumer: double round trip ok");
    return 0;
}
