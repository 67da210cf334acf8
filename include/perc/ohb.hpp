// perc — the Original Header Block of RFC 8723 §4.
#pragma once

#include <perc/bytes.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>

namespace perc {

/// RFC 8723 §4: the OHB sits at the end of the outer plaintext, after the inner tag:
/// ```
///  ... E2E tag (16) | PT (1, if P) | SEQ (2, if Q) | Config (1)
///
///  Config:  bit 7..4 R (MUST be 0) | bit 3 B | bit 2 M | bit 1 P | bit 0 Q
/// ```
/// B is the original marker and is meaningful only with M; M = 0 requires B = 0.
inline constexpr std::size_t ohb_max_size = 4;
inline constexpr std::uint8_t ohb_q = 0x01;        ///< original SEQ present
inline constexpr std::uint8_t ohb_p = 0x02;        ///< original PT present
inline constexpr std::uint8_t ohb_m = 0x04;        ///< marker changed; original in B
inline constexpr std::uint8_t ohb_b = 0x08;        ///< original marker value
inline constexpr std::uint8_t ohb_reserved = 0xF0; ///< R bits

/// Original values recorded by Media Distributors; an empty field was not changed.
struct ohb {
    std::optional<std::uint8_t> payload_type; ///< 7-bit original PT
    std::optional<std::uint16_t> seq;         ///< original SEQ
    std::optional<bool> marker;               ///< original M

    constexpr std::uint8_t config() const noexcept
    {
        std::uint8_t c = 0;
        if (seq) c |= ohb_q;
        if (payload_type) c |= ohb_p;
        if (marker) c = static_cast<std::uint8_t>(c | ohb_m | (*marker ? ohb_b : 0));
        return c;
    }
    /// 1 + (P ? 1 : 0) + (Q ? 2 : 0): one of 1..4.
    constexpr std::size_t size() const noexcept
    {
        return 1 + (payload_type ? 1u : 0u) + (seq ? 2u : 0u);
    }
    constexpr bool empty() const noexcept { return !payload_type && !seq && !marker; }
    friend constexpr bool operator==(const ohb&, const ohb&) = default;
};

/// Checks a Config octet. RFC 8723 §4: R bits MUST be 0; if M is 0 then B MUST be 0 —
/// the RFC writes "C & 0x0C MUST NOT be 0x80", an evident typo for 0x08 (0x0C can never
/// equal 0x80), so the rule enforced is (C & 0x0C) != 0x08.
/// Errors: ohb_reserved_bits, ohb_bad_marker.
constexpr errc check_ohb_config(std::uint8_t config) noexcept
{
    if ((config & ohb_reserved) != 0) return errc::ohb_reserved_bits;
    if ((config & (ohb_m | ohb_b)) == ohb_b) return errc::ohb_bad_marker;
    return errc::ok;
}

/// OHB length implied by a (valid) Config octet.
constexpr std::size_t ohb_size_of(std::uint8_t config) noexcept
{
    return 1 + ((config & ohb_p) ? 1u : 0u) + ((config & ohb_q) ? 2u : 0u);
}

/// The OHB in its wire form: the Config octet and the PT and SEQ it announces. The codecs
/// and the RFC 8723 §5.2 update rule below work on this form — plain integers, which stay in
/// registers on the per-packet paths (an `ohb` of three std::optionals is written octet by
/// octet and, copied whole, reloaded as one word the CPU cannot forward from those stores).
/// `ohb` is the same value with optional fields, for reading and building by hand.
/// Fields that Config does not announce are 0, so == compares values.
struct ohb_wire {
    std::uint8_t config = 0;       ///< Config octet
    std::uint8_t payload_type = 0; ///< original PT (7 bits) when config & ohb_p
    std::uint16_t seq = 0;         ///< original SEQ when config & ohb_q

    /// 1..4 octets (ohb_size_of).
    constexpr std::size_t size() const noexcept { return ohb_size_of(config); }
    friend constexpr bool operator==(const ohb_wire&, const ohb_wire&) = default;
};

/// The wire form of `o` (its Config octet, PT masked to 7 bits).
constexpr ohb_wire to_wire(const ohb& o) noexcept
{
    return {o.config(), static_cast<std::uint8_t>(o.payload_type.value_or(0) & 0x7F),
            o.seq.value_or(0)};
}

/// Writes the readable form of a (valid) wire-form OHB into `o`, field by field. Hot paths
/// fill their result's ohb this way: an ohb built in a temporary and returned is assembled
/// octet by octet and then reloaded whole (see ohb_wire).
constexpr void to_ohb(const ohb_wire& w, ohb& o) noexcept
{
    if (w.config & ohb_p) o.payload_type = w.payload_type;
    else o.payload_type.reset();
    if (w.config & ohb_q) o.seq = w.seq;
    else o.seq.reset();
    if (w.config & ohb_m) o.marker = (w.config & ohb_b) != 0;
    else o.marker.reset();
}

/// The readable form of a (valid) wire-form OHB.
constexpr ohb to_ohb(const ohb_wire& w) noexcept
{
    ohb o;
    to_ohb(w, o);
    return o;
}

/// Decodes the OHB from the END of `outer_plaintext` (RFC 8723 §5.2 step 1, §5.3 step 3)
/// into `w`; the octets before it are outer_plaintext.first(size − w.size()).
/// Errors: ohb_truncated (empty, or shorter than Config says), ohb_reserved_bits,
/// ohb_bad_marker; then `w` is unchanged.
/// The PT octet is restored as a 7-bit value (& 0x7F).
constexpr errc decode_ohb_wire(bytes_view outer_plaintext, ohb_wire& w) noexcept
{
    if (outer_plaintext.empty()) return errc::ohb_truncated;
    const std::uint8_t c = outer_plaintext.back();
    if (errc e = check_ohb_config(c); e != errc::ok) return e;
    const std::size_t n = ohb_size_of(c);
    if (outer_plaintext.size() < n) return errc::ohb_truncated;
    const std::uint8_t* o = outer_plaintext.data() + outer_plaintext.size() - n; // [PT] [SEQ]
    w.config = c;
    w.payload_type = (c & ohb_p) ? static_cast<std::uint8_t>(*o++ & 0x7F) : std::uint8_t{0};
    w.seq = (c & ohb_q) ? load_be16(o) : std::uint16_t{0};
    return errc::ok;
}

/// Writes `w` (w.size() octets: [PT] [SEQ] Config) at `out`; returns w.size().
constexpr std::size_t encode_ohb_wire(const ohb_wire& w, std::uint8_t* out) noexcept
{
    std::size_t i = 0;
    if (w.config & ohb_p) out[i++] = static_cast<std::uint8_t>(w.payload_type & 0x7F);
    if (w.config & ohb_q) {
        store_be16(out + i, w.seq);
        i += 2;
    }
    out[i++] = w.config;
    return i;
}

struct ohb_decoded {
    ohb value;
    bytes_view rest; ///< the outer plaintext before the OHB (E2E ciphertext ‖ E2E tag)
};

/// decode_ohb_wire into the readable form: `value` (which must be empty on entry) and
/// `rest` = the octets before the OHB.
/// Errors: those of decode_ohb_wire; then `value` and `rest` are unchanged.
constexpr errc decode_ohb_into(bytes_view outer_plaintext, ohb& value, bytes_view& rest) noexcept
{
    ohb_wire w;
    if (errc e = decode_ohb_wire(outer_plaintext, w); e != errc::ok) return e;
    to_ohb(w, value);
    rest = outer_plaintext.first(outer_plaintext.size() - w.size());
    return errc::ok;
}

/// decode_ohb_into as a result.
constexpr result<ohb_decoded> decode_ohb(bytes_view outer_plaintext) noexcept
{
    return result<ohb_decoded>{fill_in_place, [&](ohb_decoded& d) {
                                   return decode_ohb_into(outer_plaintext, d.value, d.rest);
                               }};
}

/// Writes `o` at the start of `out`; returns the octets written (o.size()), or 0 if `out`
/// is too small.
constexpr std::size_t encode_ohb(const ohb& o, bytes_span out) noexcept
{
    if (out.size() < o.size()) return 0;
    return encode_ohb_wire(to_wire(o), out.data());
}

/// Current and original values of the three fields an MD may change (RFC 8723 §4).
struct rtp_mutable_fields {
    std::uint8_t payload_type = 0;
    std::uint16_t seq = 0;
    bool marker = false;
    friend constexpr bool operator==(const rtp_mutable_fields&,
                                     const rtp_mutable_fields&) = default;
};

/// The original values, given the values on the wire and the OHB that came with them.
constexpr rtp_mutable_fields original_fields(const rtp_mutable_fields& wire,
                                             const ohb_wire& o) noexcept
{
    return {(o.config & ohb_p) ? o.payload_type : wire.payload_type,
            (o.config & ohb_q) ? o.seq : wire.seq,
            (o.config & ohb_m) ? (o.config & ohb_b) != 0 : wire.marker};
}
constexpr rtp_mutable_fields original_fields(const rtp_mutable_fields& wire, const ohb& o) noexcept
{
    return original_fields(wire, to_wire(o));
}

/// RFC 8723 §5.2 step 3: the OHB to send after changing the header from `wire` to `sent`,
/// given the OHB `received` with `wire`. Per field:
///  - not changed by this MD (sent == wire): its record, if any, is kept as received
///    ("otherwise the OHB MUST NOT be modified");
///  - changed and not yet recorded: the original value MUST be added;
///  - a recorded value is never overwritten (with several MDs the first one's record stays);
///  - changed back to its original value: the record SHOULD be removed (we remove it).
constexpr ohb_wire updated_ohb(const ohb_wire& received, const rtp_mutable_fields& wire,
                               const rtp_mutable_fields& sent) noexcept
{
    const rtp_mutable_fields orig = original_fields(wire, received);
    ohb_wire o = received;
    if (sent.payload_type != wire.payload_type) {
        const bool record = sent.payload_type != orig.payload_type;
        o.config = static_cast<std::uint8_t>(record ? o.config | ohb_p : o.config & ~ohb_p);
        o.payload_type = record ? orig.payload_type : std::uint8_t{0};
    }
    if (sent.seq != wire.seq) {
        const bool record = sent.seq != orig.seq;
        o.config = static_cast<std::uint8_t>(record ? o.config | ohb_q : o.config & ~ohb_q);
        o.seq = record ? orig.seq : std::uint16_t{0};
    }
    if (sent.marker != wire.marker) {
        const bool record = sent.marker != orig.marker;
        const std::uint8_t m = record ? static_cast<std::uint8_t>(ohb_m | (orig.marker ? ohb_b : 0))
                                      : std::uint8_t{0};
        o.config = static_cast<std::uint8_t>((o.config & ~(ohb_m | ohb_b)) | m);
    }
    return o;
}

/// updated_ohb on the readable form: `o` holds the received OHB on entry and the one to
/// send on return.
constexpr void update_ohb_in_place(ohb& o, const rtp_mutable_fields& wire,
                                   const rtp_mutable_fields& sent) noexcept
{
    to_ohb(updated_ohb(to_wire(o), wire, sent), o);
}

/// update_ohb_in_place on a copy of `received`.
constexpr ohb update_ohb(const ohb& received, const rtp_mutable_fields& wire,
                         const rtp_mutable_fields& sent) noexcept
{
    return to_ohb(updated_ohb(to_wire(received), wire, sent));
}

} // namespace perc
