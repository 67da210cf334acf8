// perc — RFC 8870 §4.1 EKTField and EKTPlaintext codecs.
#pragma once

#include <perc/bytes.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>

#include <cstddef>
#include <cstdint>

namespace perc {

/// RFC 8870 §4.1, appended after the SRTP packet (after the AEAD tag), decoded from the end:
/// ```
///  FullEKTField:  EKTCiphertext (1..251) | SPI (2) | Epoch (2) | EKTMsgLength (2) | 0x02
///                 EKTMsgLength counts the whole field, itself and the type octet included
///  ShortEKTField: 0x00
///  other types:   ExtensionData (1..1024) | EKTMsgLength (2) | type — skipped whole (§4.1)
/// ```
inline constexpr std::uint8_t ekt_type_short = 0x00;
inline constexpr std::uint8_t ekt_type_full = 0x02;
inline constexpr std::size_t ekt_full_trailer_size = 7;     ///< SPI, Epoch, Length, type
inline constexpr std::size_t ekt_max_ciphertext_size = 251; ///< ABNF: EKTCiphertext = 1*251BYTE
inline constexpr std::size_t ekt_max_master_key_size = 242; ///< ABNF: SRTPMasterKey = 1*242BYTE
inline constexpr std::size_t ekt_max_extension_data = 1024; ///< ABNF: ExtensionData = 1*1024BYTE

/// What an EKT Tag contained.
enum class ekt_kind : std::uint8_t {
    short_field, ///< 0x00: nothing but the marker
    full_field,  ///< 0x02: key material for the packet's SSRC
    unknown,     ///< any other type: RFC 8870 §4.1 says discard the EKT Tag
};

struct ekt_full_field {
    bytes_view ciphertext; ///< EKTCiphertext
    std::uint16_t spi = 0;
    std::uint16_t epoch = 0;
};

/// A packet split into its SRTP part and its EKT Tag.
struct ekt_split {
    bytes_view srtp; ///< the SRTP packet without the EKT Tag
    bytes_view tag;  ///< the EKT Tag octets exactly as received
    ekt_kind kind = ekt_kind::short_field;
    std::uint8_t type = 0; ///< message type octet
    ekt_full_field full;   ///< valid when kind == full_field
};

/// Splits the EKT Tag off the end of an SRTP packet (RFC 8870 §4.3.2 step 1: parsing works
/// backwards from the end). Unknown types are skipped by their EKTMsgLength (§4.1, §7.1: every
/// type but Short carries one).
/// Errors: truncated (empty packet), ekt_bad_length (length field smaller than the fixed part,
/// larger than the packet, or beyond the ABNF bounds).
constexpr result<ekt_split> decode_ekt_field(bytes_view packet) noexcept
{
    if (packet.empty()) return errc::truncated;
    ekt_split s;
    s.type = packet.back();
    if (s.type == ekt_type_short) {
        s.kind = ekt_kind::short_field;
        s.tag = packet.last(1);
        s.srtp = packet.first(packet.size() - 1);
        return s;
    }
    if (packet.size() < 3) return errc::ekt_bad_length;
    const std::size_t len = load_be16(packet.data() + packet.size() - 3);
    if (len > packet.size()) return errc::ekt_bad_length;
    if (s.type == ekt_type_full) {
        if (len < ekt_full_trailer_size + 1 ||
            len > ekt_full_trailer_size + ekt_max_ciphertext_size)
            return errc::ekt_bad_length;
        const bytes_view field = packet.last(len);
        s.kind = ekt_kind::full_field;
        s.full.ciphertext = field.first(len - ekt_full_trailer_size);
        s.full.spi = load_be16(field.data() + (len - 7));
        s.full.epoch = load_be16(field.data() + (len - 5));
    } else {
        if (len < 4 || len > ekt_max_extension_data + 3) return errc::ekt_bad_length;
        s.kind = ekt_kind::unknown;
    }
    s.tag = packet.last(len);
    s.srtp = packet.first(packet.size() - len);
    return s;
}

/// Writes a FullEKTField (ciphertext.size() + 7 octets) at the start of `out`.
/// Errors: ekt_bad_length (ciphertext empty or over 251 octets), buffer_too_small.
constexpr result<std::size_t> encode_full_ekt_field(bytes_view ciphertext, std::uint16_t spi,
                                                    std::uint16_t epoch, bytes_span out) noexcept
{
    if (ciphertext.empty() || ciphertext.size() > ekt_max_ciphertext_size)
        return errc::ekt_bad_length;
    const std::size_t n = ciphertext.size() + ekt_full_trailer_size;
    if (out.size() < n) return errc::buffer_too_small;
    for (std::size_t i = 0; i < ciphertext.size(); ++i) out[i] = ciphertext[i];
    std::uint8_t* t = out.data() + ciphertext.size();
    store_be16(t, spi);
    store_be16(t + 2, epoch);
    store_be16(t + 4, static_cast<std::uint16_t>(n));
    t[6] = ekt_type_full;
    return n;
}

/// EKTPlaintext = SRTPMasterKeyLength (1) | SRTPMasterKey | SSRC (4) | ROC (4) (§4.1).
struct ekt_plaintext {
    bytes_view master_key; ///< secret: points into the caller's (wiped) buffer
    std::uint32_t ssrc = 0;
    std::uint32_t roc = 0;
};

constexpr std::size_t ekt_plaintext_size(std::size_t master_key_size) noexcept
{
    return 1 + master_key_size + 8;
}

/// Writes the EKTPlaintext for `p` into `out`; returns its size.
/// Errors: invalid_argument (key empty or over 242 octets), buffer_too_small.
constexpr result<std::size_t> encode_ekt_plaintext(const ekt_plaintext& p, bytes_span out) noexcept
{
    if (p.master_key.empty() || p.master_key.size() > ekt_max_master_key_size)
        return errc::invalid_argument;
    const std::size_t n = ekt_plaintext_size(p.master_key.size());
    if (out.size() < n) return errc::buffer_too_small;
    out[0] = static_cast<std::uint8_t>(p.master_key.size());
    for (std::size_t i = 0; i < p.master_key.size(); ++i) out[1 + i] = p.master_key[i];
    store_be32(out.data() + 1 + p.master_key.size(), p.ssrc);
    store_be32(out.data() + 5 + p.master_key.size(), p.roc);
    return n;
}

/// Parses an EKTPlaintext (after unwrapping). The key length octet must be 1..242 and
/// account for exactly the octets present.
/// Errors: ekt_bad_length.
constexpr result<ekt_plaintext> decode_ekt_plaintext(bytes_view in) noexcept
{
    if (in.empty()) return errc::ekt_bad_length;
    const std::size_t k = in[0];
    if (k == 0 || k > ekt_max_master_key_size || in.size() != ekt_plaintext_size(k))
        return errc::ekt_bad_length;
    return ekt_plaintext{in.subspan(1, k), load_be32(in.data() + 1 + k),
                         load_be32(in.data() + 5 + k)};
}

} // namespace perc
