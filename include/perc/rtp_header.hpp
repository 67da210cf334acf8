// perc — RTP header view (RFC 3550 §5.1) with RFC 8285 header extensions.
#pragma once

#include <perc/bytes.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace perc {

/// ```
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers (CC)        |
/// |      defined by profile       |           length (words)      |  if X
/// |                        header extension                       |
/// +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
/// ```
inline constexpr std::size_t rtp_fixed_header_size = 12;
inline constexpr std::uint16_t rtp_one_byte_profile = 0xBEDE;      ///< RFC 8285 §4.2
inline constexpr std::uint16_t rtp_two_byte_profile_base = 0x1000; ///< RFC 8285 §4.3 (0x100X)

/// Non-owning view of a parsed RTP header; all spans point into the packet.
struct rtp_header_view {
    bytes_view packet;      ///< whole packet as given
    bool padding = false;   ///< P
    bool extension = false; ///< X
    bool marker = false;    ///< M
    std::uint8_t csrc_count = 0;
    std::uint8_t payload_type = 0;
    std::uint16_t seq = 0;
    std::uint32_t timestamp = 0;
    std::uint32_t ssrc = 0;
    std::uint16_t extension_profile = 0; ///< "defined by profile" word when X
    bytes_view extension_data;           ///< extension body, without its 4-octet header
    std::size_t header_size = 0;         ///< 12 + 4·CC (+ 4 + 4·length when X)

    /// 12 + 4·CC: the part of the header an MD must not change (RFC 8723 §5.1 inner AAD).
    constexpr std::size_t base_header_size() const noexcept
    {
        return rtp_fixed_header_size + 4u * csrc_count;
    }
    constexpr bytes_view header() const noexcept { return packet.first(header_size); }
    constexpr bytes_view payload() const noexcept { return packet.subspan(header_size); }
    constexpr std::uint32_t csrc(std::size_t i) const noexcept
    {
        return load_be32(packet.data() + rtp_fixed_header_size + 4 * i);
    }
};

/// Parses the RTP header at the start of `packet` into `h` (default-constructed on entry).
/// Errors: truncated (shorter than 12 + 4·CC, or than the extension header),
/// bad_rtp_version (V != 2), bad_extension (extension length runs past the packet); then
/// `h` may hold some fields and must not be used.
/// Does not look inside the payload (padding is only meaningful after decryption).
/// Allocation: none. Thread safety: pure.
constexpr errc decode_rtp_header_into(bytes_view packet, rtp_header_view& h) noexcept
{
    if (packet.size() < rtp_fixed_header_size) return errc::truncated;
    const std::uint8_t b0 = packet[0];
    if ((b0 >> 6) != 2) return errc::bad_rtp_version;
    h.packet = packet;
    h.padding = (b0 & 0x20) != 0;
    h.extension = (b0 & 0x10) != 0;
    h.csrc_count = static_cast<std::uint8_t>(b0 & 0x0F);
    h.marker = (packet[1] & 0x80) != 0;
    h.payload_type = static_cast<std::uint8_t>(packet[1] & 0x7F);
    h.seq = load_be16(packet.data() + 2);
    h.timestamp = load_be32(packet.data() + 4);
    h.ssrc = load_be32(packet.data() + 8);
    std::size_t size = h.base_header_size();
    if (packet.size() < size) return errc::truncated;
    if (h.extension) {
        if (packet.size() - size < 4) return errc::truncated;
        h.extension_profile = load_be16(packet.data() + size);
        const std::size_t body = 4u * load_be16(packet.data() + size + 2);
        size += 4;
        if (packet.size() - size < body) return errc::bad_extension;
        h.extension_data = packet.subspan(size, body);
        size += body;
    }
    h.header_size = size;
    return errc::ok;
}

/// decode_rtp_header_into as a result, the view built in place in it (every per-packet call
/// starts here, and a local view moved into the result copied its 72 octets each time).
constexpr result<rtp_header_view> decode_rtp_header(bytes_view packet) noexcept
{
    return result<rtp_header_view>{
        fill_in_place, [&](rtp_header_view& h) { return decode_rtp_header_into(packet, h); }};
}

/// RFC 3550 §5.1: with P set, the last payload octet counts the padding octets (itself
/// included). Returns the payload without padding. Call on a decrypted packet only.
/// Errors: bad_padding (count 0 or larger than the payload).
constexpr result<bytes_view> rtp_unpadded_payload(const rtp_header_view& h) noexcept
{
    bytes_view p = h.payload();
    if (!h.padding) return p;
    if (p.empty() || p.back() == 0 || p.back() > p.size()) return errc::bad_padding;
    return p.first(p.size() - p.back());
}

/// Writes the 12 + 4·CC octets of an RTP header at `dst` (`base` = 12 + 4·CC): octets 0..3
/// (V P X CC, M PT, SEQ) are `first_word`, in one 4-octet store; timestamp ‖ SSRC and the
/// CSRCs are copied from the header at `src`, the first two with one fixed 8-octet copy.
/// AEADs read a header back as AAD in 4- and 8-octet words, which narrower stores would not
/// forward to, and a variable-length copy of the whole header cost a library call or a
/// `rep movsq` per packet (docs/performance.md). No extension is written.
inline void store_base_header(std::uint8_t* dst, const std::uint8_t* src, std::size_t base,
                              std::uint32_t first_word) noexcept
{
    store_be32(dst, first_word);
    std::memcpy(dst + 4, src + 4, 8);
    if (base > rtp_fixed_header_size)
        std::memcpy(dst + rtp_fixed_header_size, src + rtp_fixed_header_size,
                    base - rtp_fixed_header_size);
}

/// One RFC 8285 extension element.
struct rtp_extension_element {
    std::uint8_t id = 0;
    bytes_view data;
};

enum class rtp_extension_form : std::uint8_t { one_byte, two_byte, other };

constexpr rtp_extension_form extension_form(std::uint16_t profile) noexcept
{
    if (profile == rtp_one_byte_profile) return rtp_extension_form::one_byte;
    if ((profile & 0xFFF0) == rtp_two_byte_profile_base) return rtp_extension_form::two_byte;
    return rtp_extension_form::other;
}

/// Calls `visit(rtp_extension_element)` for each element of an RFC 8285 extension block.
/// - one-byte form (0xBEDE, §4.2): ID 0 is a padding octet and is skipped; ID 15 stops
///   processing ("only elements before it are considered"), and so does ID 0 with L > 0
///   (§4.1.2); length = L + 1 octets.
/// - two-byte form (0x100X, §4.3): ID 0 is a padding octet and is skipped; length 0..255.
/// Other profiles are opaque: no elements are visited and errc::ok is returned.
/// Errors: bad_extension_element (an element runs past the block).
template <class Visit>
constexpr errc for_each_extension_element(std::uint16_t profile, bytes_view block,
                                          Visit&& visit) noexcept
{
    const rtp_extension_form form = extension_form(profile);
    if (form == rtp_extension_form::other) return errc::ok;
    std::size_t i = 0;
    while (i < block.size()) {
        const std::uint8_t b = block[i];
        if (b == 0) { // RFC 8285 §4.2/§4.3: padding octet
            ++i;
            continue;
        }
        std::uint8_t id = 0;
        std::size_t len = 0;
        if (form == rtp_extension_form::one_byte) {
            id = static_cast<std::uint8_t>(b >> 4);
            // RFC 8285 §4.2: stop at ID 15; §4.1.2: ID 0 with a length > 0 stops processing too
            if (id == 15 || id == 0) return errc::ok;
            len = static_cast<std::size_t>(b & 0x0F) + 1;
            i += 1;
        } else {
            if (block.size() - i < 2) return errc::bad_extension_element;
            id = b;
            len = block[i + 1];
            i += 2;
        }
        if (block.size() - i < len) return errc::bad_extension_element;
        visit(rtp_extension_element{id, block.subspan(i, len)});
        i += len;
    }
    return errc::ok;
}

/// Checks every element of the header's extension block (if any).
constexpr errc validate_extension(const rtp_header_view& h) noexcept
{
    if (!h.extension) return errc::ok;
    return for_each_extension_element(h.extension_profile, h.extension_data,
                                      [](const rtp_extension_element&) {});
}

} // namespace perc
