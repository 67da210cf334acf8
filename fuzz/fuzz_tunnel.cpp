// perc fuzzing — RFC 9185 tunnel messages on arbitrary bytes: the input is read as a TLS byte
// stream split by next_tunnel_message / next_tunnel_frame (§6.1), and every body (and the whole
// input, as a body of each type) goes through its decoder (§6.2-§6.6). Results are checked
// against an independent model of the TLS structures; whatever decodes is re-encoded and must
// give the input octets back (round-trip oracle); encoders given one octet too few refuse
// without writing.
#include <perc/tunnel.hpp>

#include "fuzz_common.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace {

using perc::bytes_view;
using perc::errc;
using perc::tunnel_msg_type;
using perc_fuzz::inside;
using perc_fuzz::require;
using perc_fuzz::same_bytes;

std::size_t be16_at(bytes_view p, std::size_t at)
{
    return (std::size_t{p[at]} << 8) | p[at + 1];
}

// Encoded message in `out` must equal `expected`; the same encoder with one octet less must
// say buffer_too_small and leave its buffer alone.
template <class Encode>
void check_encoding(bytes_view expected, Encode encode)
{
    std::vector<std::uint8_t> out(expected.size(), 0xA5);
    auto n = encode(std::span<std::uint8_t>{out});
    require(n.has_value() && *n == expected.size() && same_bytes(out, expected));
    std::vector<std::uint8_t> small(expected.size() - 1, 0xA5);
    require(encode(std::span<std::uint8_t>{small}).error() == errc::buffer_too_small);
    require(perc_fuzz::all_equal(small, 0xA5));
}

// The whole message (msg_type, uint16 length, body) an encoder must produce for `body`.
std::vector<std::uint8_t> framed(tunnel_msg_type t, bytes_view body)
{
    // Sized once and filled by index: g++ 12 -O2 reports a false stringop-overread for
    // vector::insert after a 3-element initializer list.
    std::vector<std::uint8_t> m(3 + body.size());
    m[0] = static_cast<std::uint8_t>(t);
    m[1] = static_cast<std::uint8_t>(body.size() >> 8);
    m[2] = static_cast<std::uint8_t>(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) m[3 + i] = body[i];
    return m;
}

void check_supported_profiles(bytes_view b)
{
    auto d = perc::decode_supported_profiles(b);
    auto v = perc::peek_supported_profiles_version(b);
    // Model of §6.2: version(1) | uint16 n | n octets, n in 2..65535 and even; version 0 only.
    if (b.empty()) {
        require(d.error() == errc::tunnel_bad_length && v.error() == errc::tunnel_bad_length);
        return;
    }
    require(v.has_value() && *v == b[0]);
    if (b[0] != 0) {
        require(d.error() == errc::tunnel_unsupported_version);
        return;
    }
    if (b.size() < 3 || b.size() > 0xFFFF) {
        require(d.error() == errc::tunnel_bad_length);
        return;
    }
    const std::size_t n = be16_at(b, 1);
    if (n < 2 || n % 2 == 1) {
        require(d.error() == errc::tunnel_bad_vector);
        return;
    }
    if (b.size() != 3 + n) {
        require(d.error() == errc::tunnel_bad_length);
        return;
    }
    require(d.has_value() && d->version == 0 && d->size() == n / 2);
    require(inside(d->raw_profiles, b) && d->raw_profiles.data() == b.data() + 3);
    std::vector<std::uint16_t> profiles;
    std::size_t i = 0;
    for (std::uint16_t p : *d) {
        require(i < d->size() && p == be16_at(b, 3 + 2 * i) && (*d)[i] == p && d->contains(p));
        profiles.push_back(p);
        ++i;
    }
    require(i == d->size());
    const auto expected = framed(tunnel_msg_type::supported_profiles, b);
    check_encoding(expected, [&](std::span<std::uint8_t> o) {
        return perc::encode_supported_profiles(perc::tunnel_version, profiles, o);
    });
    check_encoding(expected, [&](std::span<std::uint8_t> o) {
        return perc::encode_supported_profiles(*d, o);
    });
}

void check_unsupported_version(bytes_view b)
{
    auto d = perc::decode_unsupported_version(b);
    // §6.3 + §5.5: one octet; anything after it is ignored.
    if (b.empty()) {
        require(d.error() == errc::tunnel_bad_length);
        return;
    }
    require(d.has_value() && d->highest_version == b[0]);
    const auto expected = framed(tunnel_msg_type::unsupported_version, b.first(1));
    check_encoding(expected, [&](std::span<std::uint8_t> o) {
        return perc::encode_unsupported_version(d->highest_version, o);
    });
}

void check_media_keys(bytes_view b)
{
    auto d = perc::decode_media_keys(b);
    // Model of §6.4: uuid(16) | uint16 | five opaque<min..255> with one-octet lengths.
    const std::size_t mins[5] = {0, 1, 1, 1, 1};
    std::size_t starts[5] = {};
    std::size_t lens[5] = {};
    std::size_t at = 18;
    if (b.size() < at) {
        require(d.error() == errc::tunnel_bad_length);
        return;
    }
    for (std::size_t f = 0; f < 5; ++f) {
        if (b.size() < at + 1) {
            require(d.error() == errc::tunnel_bad_length);
            return;
        }
        lens[f] = b[at];
        if (lens[f] < mins[f]) {
            require(d.error() == errc::tunnel_bad_vector);
            return;
        }
        starts[f] = at + 1;
        at += 1 + lens[f];
        if (b.size() < at) {
            require(d.error() == errc::tunnel_bad_length);
            return;
        }
    }
    if (b.size() != at) {
        require(d.error() == errc::tunnel_bad_length);
        return;
    }
    require(d.has_value() && same_bytes(d->id, b.first(16)) && d->profile == be16_at(b, 16));
    const bytes_view fields[5] = {d->mki, d->client_write_key, d->server_write_key,
                                  d->client_write_salt, d->server_write_salt};
    for (std::size_t f = 0; f < 5; ++f)
        require(inside(fields[f], b) && fields[f].data() == b.data() + starts[f] &&
                fields[f].size() == lens[f]);
    require(perc::media_keys_message_size(*d) == b.size() + 3);
    check_encoding(framed(tunnel_msg_type::media_keys, b),
                   [&](std::span<std::uint8_t> o) { return perc::encode_media_keys(*d, o); });
}

void check_tunneled_dtls(bytes_view b)
{
    auto d = perc::decode_tunneled_dtls(b);
    // Model of §6.5: uuid(16) | opaque<1..2^16-1> with a two-octet length; the body fits §6.1.
    if (b.size() < 18 || b.size() > 0xFFFF) {
        require(d.error() == errc::tunnel_bad_length);
        return;
    }
    const std::size_t n = be16_at(b, 16);
    if (n == 0) {
        require(d.error() == errc::tunnel_bad_vector);
        return;
    }
    if (b.size() != 18 + n) {
        require(d.error() == errc::tunnel_bad_length);
        return;
    }
    require(d.has_value() && same_bytes(d->id, b.first(16)));
    require(inside(d->dtls_message, b) && d->dtls_message.data() == b.data() + 18 &&
            d->dtls_message.size() == n && n <= perc::tunneled_dtls_max_message_size);
    check_encoding(framed(tunnel_msg_type::tunneled_dtls, b), [&](std::span<std::uint8_t> o) {
        return perc::encode_tunneled_dtls(d->id, d->dtls_message, o);
    });
    // In place: the datagram copied to offset 21 of the output is framed where it lies.
    std::vector<std::uint8_t> buf(3 + b.size(), 0xA5);
    for (std::size_t i = 0; i < n; ++i) buf[21 + i] = d->dtls_message[i];
    auto e = perc::encode_tunneled_dtls(d->id, bytes_view{buf}.subspan(21, n), buf);
    require(e.has_value() && same_bytes(buf, framed(tunnel_msg_type::tunneled_dtls, b)));
}

void check_endpoint_disconnect(bytes_view b)
{
    auto d = perc::decode_endpoint_disconnect(b);
    if (b.size() != 16) {
        require(d.error() == errc::tunnel_bad_length);
        return;
    }
    require(d.has_value() && same_bytes(d->id, b));
    check_encoding(framed(tunnel_msg_type::endpoint_disconnect, b), [&](std::span<std::uint8_t> o) {
        return perc::encode_endpoint_disconnect(d->id, o);
    });
}

void check_body(std::uint8_t type, bytes_view body)
{
    switch (type) {
    case 1: check_supported_profiles(body); break;
    case 2: check_unsupported_version(body); break;
    case 3: check_media_keys(body); break;
    case 4: check_tunneled_dtls(body); break;
    case 5: check_endpoint_disconnect(body); break;
    default: break;
    }
}

// The input as a TLS stream: frame by frame until the model says the rest is incomplete.
void check_stream(bytes_view s)
{
    while (true) {
        auto m = perc::next_tunnel_message(s);
        auto f = perc::next_tunnel_frame(s);
        if (s.size() < 3) {
            require(m.error() == errc::truncated && f.error() == errc::truncated);
            return;
        }
        const std::uint8_t type = s[0];
        const std::size_t n = be16_at(s, 1);
        const bool known = type >= 1 && type <= 5;
        if (s.size() < 3 + n) {
            require(f.error() == errc::truncated);
            require(m.error() == (known ? errc::truncated : errc::tunnel_unknown_type));
        } else {
            require(f.has_value() && f->msg_type == type && f->size == 3 + n);
            require(f->body.data() == s.data() + 3 && f->body.size() == n);
            if (known) {
                require(m.has_value() && static_cast<std::uint8_t>(m->type) == type);
                require(m->size == f->size && m->body.data() == f->body.data() &&
                        m->body.size() == n);
            } else {
                require(m.error() == errc::tunnel_unknown_type);
            }
        }
        // §5.5: an UnsupportedVersion is recognised from its first four octets.
        auto pv = perc::peek_unsupported_version(s);
        if (type != 2) require(pv.error() == errc::invalid_argument);
        else if (n == 0) require(pv.error() == errc::tunnel_bad_length);
        else if (s.size() < 4) require(pv.error() == errc::truncated);
        else require(pv.has_value() && *pv == s[3]);

        if (!f) return;
        check_body(type, f->body);
        s = s.subspan(f->size); // an unknown type is skipped by its frame size
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const bytes_view input{data, size};
    check_stream(input);
    // The whole input as a body of each type, too (bodies a frame could not deliver as such,
    // e.g. of the wrong type, still get exact errors).
    for (std::uint8_t t = 1; t <= 5; ++t) check_body(t, input);
    // make_association_id always yields a version 4 UUID and keeps the other 122 bits.
    if (size >= 16) {
        const auto id = perc::make_association_id(std::span<const std::uint8_t, 16>{data, 16});
        require(perc::is_uuid_v4(id) && (id[6] & 0x0F) == (data[6] & 0x0F) &&
                (id[8] & 0x3F) == (data[8] & 0x3F));
        for (std::size_t i = 0; i < 16; ++i) require(i == 6 || i == 8 || id[i] == data[i]);
    }
    return 0;
}
