// perc fuzzing — RTP header view (RFC 3550 §5.1), RFC 8285 extension elements and RTP padding
// on arbitrary bytes. Each result is checked against the invariants the API documents and
// against a small independent model of the wire rules written here.
#include <perc/rtp_header.hpp>

#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using perc::bytes_view;
using perc::errc;
using perc_fuzz::inside;
using perc_fuzz::require;

struct model_element {
    std::uint8_t id;
    std::size_t offset; // within the block
    std::size_t size;
};

// RFC 8285 §4.2 (one-byte, 0xBEDE) and §4.3 (two-byte, 0x100X), read independently of the
// library: a 0x00 octet is padding; in the one-byte form ID 15 (§4.2) and ID 0 with a
// non-zero length (§4.1.2) end the block; an element whose data runs past the block is
// malformed. Other profiles are opaque.
errc model_elements(std::uint16_t profile, bytes_view block, std::vector<model_element>& out)
{
    const bool one_byte = profile == 0xBEDE;
    const bool two_byte = (profile >> 4) == 0x100;
    if (!one_byte && !two_byte) return errc::ok;
    std::size_t pos = 0;
    while (pos != block.size()) {
        const unsigned first = block[pos];
        if (first == 0) {
            pos += 1;
            continue;
        }
        std::size_t start = 0;
        std::size_t size = 0;
        std::uint8_t id = 0;
        if (one_byte) {
            if ((first >> 4) == 15 || (first >> 4) == 0) return errc::ok;
            id = static_cast<std::uint8_t>(first >> 4);
            size = (first & 0x0Fu) + 1u;
            start = pos + 1;
        } else {
            if (pos + 2 > block.size()) return errc::bad_extension_element;
            id = static_cast<std::uint8_t>(first);
            size = block[pos + 1];
            start = pos + 2;
        }
        if (start + size > block.size()) return errc::bad_extension_element;
        out.push_back(model_element{id, start, size});
        pos = start + size;
    }
    return errc::ok;
}

// Runs the library's element walker and the model on the same block; both must agree on the
// result and on every element (id, position, size), and every element must lie in the block.
errc check_elements(std::uint16_t profile, bytes_view block)
{
    std::vector<model_element> want;
    const errc want_e = model_elements(profile, block, want);

    std::size_t seen = 0;
    std::size_t last_end = 0;
    const errc got_e = perc::for_each_extension_element(
        profile, block, [&](const perc::rtp_extension_element& el) {
            require(inside(el.data, block));
            const auto offset = static_cast<std::size_t>(el.data.data() - block.data());
            require(offset >= last_end); // in order, never overlapping
            last_end = offset + el.data.size();
            require(seen < want.size());
            require(el.id == want[seen].id);
            require(offset == want[seen].offset);
            require(el.data.size() == want[seen].size);
            if (profile == perc::rtp_one_byte_profile) {
                require(el.data.size() >= 1 && el.data.size() <= 16); // RFC 8285 §4.2
                require(el.id >= 1 && el.id <= 14);
            } else {
                require(el.data.size() <= 255); // RFC 8285 §4.3
                require(el.id != 0);
            }
            ++seen;
        });
    require(got_e == want_e);
    require(got_e == errc::ok || got_e == errc::bad_extension_element);
    // The walker stops at the first malformed element; everything before it was visited.
    require(seen == want.size());
    if (perc::extension_form(profile) == perc::rtp_extension_form::other) require(seen == 0);
    return got_e;
}

void check_header(bytes_view packet)
{
    auto r = perc::decode_rtp_header(packet);

    // Expected outcome, from RFC 3550 §5.1 / RFC 8285 §4.1 length rules.
    errc want = errc::ok;
    const std::size_t n = packet.size();
    std::size_t want_size = 0;
    if (n < 12) {
        want = errc::truncated;
    } else if ((packet[0] >> 6) != 2) {
        want = errc::bad_rtp_version;
    } else {
        want_size = 12u + 4u * (packet[0] & 0x0Fu);
        if (n < want_size) {
            want = errc::truncated;
        } else if ((packet[0] & 0x10) != 0) {
            if (n < want_size + 4) {
                want = errc::truncated;
            } else {
                const std::size_t words = (std::size_t{packet[want_size + 2]} << 8) |
                                          packet[want_size + 3];
                want_size += 4 + 4 * words;
                if (n < want_size) want = errc::bad_extension;
            }
        }
    }
    require(r.error() == want);
    if (!r) return;

    const perc::rtp_header_view& h = *r;
    require(h.packet.data() == packet.data() && h.packet.size() == n);
    require(h.header_size == want_size);
    require(h.header_size <= n);
    require(h.header_size >= perc::rtp_fixed_header_size);
    require(h.base_header_size() == 12u + 4u * h.csrc_count);
    require(h.csrc_count <= 15);
    require(h.payload_type <= 127);
    require(h.padding == ((packet[0] & 0x20) != 0));
    require(h.extension == ((packet[0] & 0x10) != 0));
    require(h.marker == ((packet[1] & 0x80) != 0));
    require(h.seq == ((unsigned{packet[2]} << 8) | packet[3]));
    require(h.ssrc == perc::load_be32(packet.data() + 8));
    require(h.header().data() == packet.data() && h.header().size() == h.header_size);
    require(h.payload().data() == packet.data() + h.header_size);
    require(h.payload().size() == n - h.header_size);
    for (std::size_t i = 0; i < h.csrc_count; ++i)
        require(h.csrc(i) == perc::load_be32(packet.data() + 12 + 4 * i));

    if (h.extension) {
        require(inside(h.extension_data, h.header()));
        require(h.extension_data.data() == packet.data() + h.base_header_size() + 4);
        require(h.extension_data.size() % 4 == 0);
        require(h.base_header_size() + 4 + h.extension_data.size() == h.header_size);
        require(h.extension_profile == perc::load_be16(packet.data() + h.base_header_size()));
        const errc v = perc::validate_extension(h);
        require(v == check_elements(h.extension_profile, h.extension_data));
    } else {
        require(h.extension_data.empty());
        require(h.header_size == h.base_header_size());
        require(perc::validate_extension(h) == errc::ok);
    }

    // RFC 3550 §5.1: the last payload octet counts the padding octets, itself included.
    auto u = perc::rtp_unpadded_payload(h);
    const bytes_view p = h.payload();
    if (!h.padding) {
        require(u.has_value());
        require(u->data() == p.data() && u->size() == p.size());
    } else if (p.empty() || p.back() == 0 || p.back() > p.size()) {
        require(u.error() == errc::bad_padding);
    } else {
        require(u.has_value());
        require(u->data() == p.data());
        require(u->size() + p.back() == p.size());
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const bytes_view input{data, size};
    check_header(input);
    // The element walker on its own: the first two octets choose the profile, the rest is the
    // block (any length, not only the multiples of 4 that a decoded header can give).
    if (size >= 2) {
        const auto profile = static_cast<std::uint16_t>((data[0] << 8) | data[1]);
        (void)check_elements(profile, input.subspan(2));
        (void)check_elements(perc::rtp_one_byte_profile, input.subspan(2));
        (void)check_elements(static_cast<std::uint16_t>(0x1000 | (data[1] & 0x0F)),
                             input.subspan(2));
    }
    return 0;
}
