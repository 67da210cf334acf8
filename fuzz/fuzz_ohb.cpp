// perc fuzzing — the RFC 8723 §4 Original Header Block codec and the §5.2 update rule on
// arbitrary bytes: decode_ohb against an independent model, encode(decode(x)) == x, and the
// property every Media Distributor chain relies on: the receiver recovers the original values.
#include <perc/ohb.hpp>

#include "fuzz_common.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <utility>

namespace {

using perc::bytes_view;
using perc::errc;
using perc_fuzz::inside;
using perc_fuzz::require;

void check_decode(bytes_view p)
{
    auto d = perc::decode_ohb(p);

    // Model of RFC 8723 §4: Config is the last octet; R (0xF0) MUST be 0; B without M is
    // invalid; P adds the PT octet and Q the two SEQ octets before Config.
    if (p.empty()) {
        require(d.error() == errc::ohb_truncated);
        return;
    }
    const unsigned c = p.back();
    require(perc::check_ohb_config(p.back()) == ((c & 0xF0) != 0      ? errc::ohb_reserved_bits
                                                 : (c & 0x0C) == 0x08 ? errc::ohb_bad_marker
                                                                      : errc::ok));
    if ((c & 0xF0) != 0) {
        require(d.error() == errc::ohb_reserved_bits);
        return;
    }
    if ((c & 0x0C) == 0x08) {
        require(d.error() == errc::ohb_bad_marker);
        return;
    }
    const std::size_t n = 1 + ((c & 2) ? 1u : 0u) + ((c & 1) ? 2u : 0u);
    require(perc::ohb_size_of(p.back()) == n);
    if (p.size() < n) {
        require(d.error() == errc::ohb_truncated);
        return;
    }
    require(d.has_value());
    const perc::ohb& o = d->value;
    require(o.size() == n);
    require(o.config() == c);
    require(inside(d->rest, p) && d->rest.data() == p.data() && d->rest.size() == p.size() - n);
    const bytes_view field = p.last(n);
    std::size_t at = 0;
    require(o.payload_type.has_value() == ((c & 2) != 0));
    if (o.payload_type) require(*o.payload_type == (field[at++] & 0x7F));
    require(o.seq.has_value() == ((c & 1) != 0));
    if (o.seq) require(*o.seq == ((unsigned{field[at]} << 8) | field[at + 1]));
    require(o.marker.has_value() == ((c & 4) != 0));
    if (o.marker) require(*o.marker == ((c & 8) != 0));
    require(o.empty() == (c == 0));

    // encode(decode(x)) gives back x's OHB octets (the PT octet's top bit is not carried).
    std::array<std::uint8_t, perc::ohb_max_size> out{};
    require(perc::encode_ohb(o, out) == n);
    for (std::size_t i = 0; i < n; ++i) {
        const bool pt_octet = (c & 2) != 0 && i == 0;
        require(out[i] == (pt_octet ? (field[i] & 0x7F) : field[i]));
    }
    // Too small an output is refused without writing.
    std::array<std::uint8_t, perc::ohb_max_size> small{};
    small.fill(0xA5);
    require(perc::encode_ohb(o, std::span<std::uint8_t>{small.data(), n - 1}) == 0);
    require(perc_fuzz::all_equal(small, 0xA5));
}

// Two MD hops over arbitrary field values: what each hop records is decided by update_ohb;
// the receiver must always recover the sender's values, and a field is recorded exactly
// when the value on the wire differs from the original (RFC 8723 §5.2 step 3).
void check_update(bytes_view p)
{
    if (p.size() < 12) return;
    auto fields = [&](std::size_t at) {
        return perc::rtp_mutable_fields{static_cast<std::uint8_t>(p[at] & 0x7F),
                                        static_cast<std::uint16_t>((p[at + 1] << 8) | p[at + 2]),
                                        (p[at] & 0x80) != 0};
    };
    const perc::rtp_mutable_fields sender = fields(0);
    const perc::rtp_mutable_fields hop1 = fields(3);
    const perc::rtp_mutable_fields hop2 = fields(6);
    // A hop may leave any field alone: octet 9 chooses which of hop 1/2's changes happen.
    auto pick = [&](perc::rtp_mutable_fields from, perc::rtp_mutable_fields to, unsigned bits) {
        if (bits & 1) from.payload_type = to.payload_type;
        if (bits & 2) from.seq = to.seq;
        if (bits & 4) from.marker = to.marker;
        return from;
    };
    const perc::rtp_mutable_fields sent1 = pick(sender, hop1, p[9]);
    const perc::rtp_mutable_fields sent2 = pick(sent1, hop2, p[9] >> 3u);

    const perc::ohb start{}; // RFC 8723 §5.1: the sender sends the empty OHB
    const perc::ohb after1 = perc::update_ohb(start, sender, sent1);
    const perc::ohb after2 = perc::update_ohb(after1, sent1, sent2);
    for (const auto& [o, wire] : {std::pair{after1, sent1}, std::pair{after2, sent2}}) {
        require(perc::original_fields(wire, o) == sender);
        require(o.payload_type.has_value() == (wire.payload_type != sender.payload_type));
        require(o.seq.has_value() == (wire.seq != sender.seq));
        require(o.marker.has_value() == (wire.marker != sender.marker));
        // And the OHB survives its wire form.
        std::array<std::uint8_t, perc::ohb_max_size> buf{};
        const std::size_t n = perc::encode_ohb(o, buf);
        require(n == o.size() && n >= 1 && n <= perc::ohb_max_size);
        auto d = perc::decode_ohb(bytes_view{buf.data(), n});
        require(d.has_value() && d->value == o && d->rest.empty());
    }
}

// One hop over an arbitrary received OHB (decoded from the input's end) and arbitrary new
// values: the originals are never lost, and fields the hop leaves alone keep their record
// exactly as received (RFC 8723 §5.2 step 3: "otherwise the OHB MUST NOT be modified").
void check_update_any(bytes_view p)
{
    if (p.size() < 7) return;
    auto d = perc::decode_ohb(p.subspan(7));
    if (!d) return;
    const perc::ohb& received = d->value;
    const perc::rtp_mutable_fields wire{static_cast<std::uint8_t>(p[0] & 0x7F),
                                        static_cast<std::uint16_t>((p[1] << 8) | p[2]),
                                        (p[0] & 0x80) != 0};
    perc::rtp_mutable_fields sent = wire;
    if (p[6] & 1) sent.payload_type = static_cast<std::uint8_t>(p[3] & 0x7F);
    if (p[6] & 2) sent.seq = static_cast<std::uint16_t>((p[4] << 8) | p[5]);
    if (p[6] & 4) sent.marker = (p[3] & 0x80) != 0;
    const perc::ohb next = perc::update_ohb(received, wire, sent);
    require(perc::original_fields(sent, next) == perc::original_fields(wire, received));
    if (sent.payload_type == wire.payload_type) require(next.payload_type == received.payload_type);
    if (sent.seq == wire.seq) require(next.seq == received.seq);
    if (sent.marker == wire.marker) require(next.marker == received.marker);
    require(perc::update_ohb(received, wire, wire) == received);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const bytes_view input{data, size};
    check_decode(input);
    check_update(input);
    check_update_any(input);
    return 0;
}
