// perc — RTCP compound packet checks needed by SRTCP (RFC 3550 §6.4, RFC 3711 §3.4).
#pragma once

#include <perc/bytes.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>

#include <cstddef>
#include <cstdint>

namespace perc {

/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|    RC   |      PT       |        length (words - 1)     |
/// |                         SSRC of sender                        |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
inline constexpr std::size_t rtcp_header_size = 8; ///< what SRTCP leaves in the clear

struct rtcp_header_view {
    bool padding = false;
    std::uint8_t count = 0;       ///< RC / SC / FMT
    std::uint8_t packet_type = 0; ///< PT (200 SR, 201 RR, ...)
    std::size_t size = 0;         ///< octets of this (first) RTCP packet: 4·(length + 1)
    std::uint32_t ssrc = 0;       ///< sender SSRC (SRTCP IV input, RFC 7714 §9.1)
};

/// Parses the first 8 octets of an RTCP packet (the part SRTCP never encrypts).
/// Errors: truncated (< 8 octets), bad_rtp_version (V != 2).
/// The length field is returned, not checked: on a protected packet the rest is ciphertext.
constexpr result<rtcp_header_view> decode_rtcp_header(bytes_view packet) noexcept
{
    if (packet.size() < rtcp_header_size) return errc::truncated;
    if ((packet[0] >> 6) != 2) return errc::bad_rtp_version;
    rtcp_header_view h;
    h.padding = (packet[0] & 0x20) != 0;
    h.count = static_cast<std::uint8_t>(packet[0] & 0x1F);
    h.packet_type = packet[1];
    h.size = 4u * (std::size_t{load_be16(packet.data() + 2)} + 1);
    h.ssrc = load_be32(packet.data() + 4);
    return h;
}

/// Checks that `packet` is a well-formed compound RTCP packet: every part has V = 2 and the
/// length fields tile the packet exactly (RFC 3550 §6.4.1 / §6.1).
/// Errors: truncated, bad_rtp_version, bad_rtcp_length.
constexpr errc validate_rtcp_compound(bytes_view packet) noexcept
{
    if (packet.size() < rtcp_header_size) return errc::truncated;
    std::size_t at = 0;
    while (at < packet.size()) {
        if (packet.size() - at < 4) return errc::bad_rtcp_length;
        if ((packet[at] >> 6) != 2) return errc::bad_rtp_version;
        const std::size_t part = 4u * (std::size_t{load_be16(packet.data() + at + 2)} + 1);
        if (packet.size() - at < part) return errc::bad_rtcp_length;
        at += part;
    }
    return errc::ok;
}

} // namespace perc
