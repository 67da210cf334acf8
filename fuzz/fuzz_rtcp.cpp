// perc fuzzing — RTCP header decode and compound-packet validation (RFC 3550 §6.1, §6.4.1;
// RFC 3711 §3.4) on arbitrary bytes, checked against an independent model of the rules.
#include <perc/rtcp_header.hpp>

#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>

namespace {

using perc::bytes_view;
using perc::errc;
using perc_fuzz::require;

std::size_t part_size(bytes_view p, std::size_t at)
{
    return 4 * ((std::size_t{p[at + 2]} << 8 | p[at + 3]) + 1);
}

// RFC 3550 §6.1: each packet of a compound starts with V = 2 and its length in 32-bit words
// minus one; the packets follow each other with no gap and the last ends at the end.
errc model_compound(bytes_view p)
{
    if (p.size() < 8) return errc::truncated;
    std::size_t at = 0;
    for (;;) {
        if (at == p.size()) return errc::ok;
        if (at + 4 > p.size()) return errc::bad_rtcp_length;
        if ((p[at] & 0xC0) != 0x80) return errc::bad_rtp_version;
        const std::size_t part = part_size(p, at);
        if (at + part > p.size()) return errc::bad_rtcp_length;
        at += part;
    }
}

void check_header(bytes_view p)
{
    auto h = perc::decode_rtcp_header(p);
    if (p.size() < 8) {
        require(h.error() == errc::truncated);
        return;
    }
    if ((p[0] & 0xC0) != 0x80) {
        require(h.error() == errc::bad_rtp_version);
        return;
    }
    require(h.has_value());
    require(h->padding == ((p[0] & 0x20) != 0));
    require(h->count == (p[0] & 0x1F));
    require(h->packet_type == p[1]);
    require(h->size == part_size(p, 0));
    require(h->size >= 4 && h->size % 4 == 0 && h->size <= 4 * 65536);
    require(h->ssrc == perc::load_be32(p.data() + 4));
}

void check_compound(bytes_view p)
{
    const errc e = perc::validate_rtcp_compound(p);
    require(e == model_compound(p));
    if (e != errc::ok) {
        require(e == errc::truncated || e == errc::bad_rtp_version || e == errc::bad_rtcp_length);
        return;
    }
    // A valid compound has a valid first header whose packet fits, and the parts tile it.
    auto h = perc::decode_rtcp_header(p);
    require(h.has_value());
    require(h->size <= p.size());
    require(p.size() % 4 == 0);
    std::size_t at = 0;
    while (at < p.size()) {
        require(perc::decode_rtcp_header(p.subspan(at)).has_value() || p.size() - at < 8);
        at += part_size(p, at);
    }
    require(at == p.size());
    // Dropping the last octet always breaks the tiling.
    require(perc::validate_rtcp_compound(p.first(p.size() - 1)) != errc::ok);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const bytes_view input{data, size};
    check_header(input);
    check_compound(input);
    return 0;
}
