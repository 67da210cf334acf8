// perc fuzzing — RFC 8870 §5 DTLS codecs on arbitrary bytes: the supported_ekt_ciphers
// extension_data (ClientHello list and server selection, §5.2.1) and the ekt_key handshake
// body (§5.2.2), checked against an independent model of the TLS structures, with
// encode(decode(x)) == x round trips and the EKTKey -> ekt_key_params conversion.
#include <perc/ekt_dtls.hpp>

#include "fuzz_common.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

namespace {

using perc::bytes_view;
using perc::ekt_cipher;
using perc::errc;
using perc_fuzz::inside;
using perc_fuzz::require;
using perc_fuzz::same_bytes;

bool known(std::uint8_t v)
{
    return v == 1 || v == 2;
}

void check_client_list(bytes_view p)
{
    auto d = perc::decode_supported_ekt_ciphers(p);
    // Model: supported_ciphers<1..255> = one length octet n (1..255) and exactly n octets.
    if (p.empty()) {
        require(d.error() == errc::truncated);
        return;
    }
    const std::size_t n = p[0];
    if (n == 0) {
        require(d.error() == errc::ekt_bad_length);
        return;
    }
    if (p.size() - 1 < n) {
        require(d.error() == errc::truncated);
        return;
    }
    if (p.size() - 1 > n) {
        require(d.error() == errc::ekt_bad_length);
        return;
    }
    require(d.has_value());
    require(inside(d->raw(), p) && d->raw().data() == p.data() + 1 && d->raw().size() == n);

    // Iteration = the known values (1, 2) in order; everything else skipped.
    std::array<ekt_cipher, 255> expected{};
    std::size_t count = 0;
    for (std::size_t i = 1; i < p.size(); ++i)
        if (known(p[i])) expected[count++] = static_cast<ekt_cipher>(p[i]);
    std::size_t seen = 0;
    for (ekt_cipher c : *d) {
        require(seen < count && c == expected[seen]);
        ++seen;
    }
    require(seen == count);
    require(d->empty() == (count == 0));
    bool has128 = false, has256 = false;
    for (std::size_t i = 0; i < count; ++i) {
        has128 = has128 || expected[i] == ekt_cipher::aeskw_128;
        has256 = has256 || expected[i] == ekt_cipher::aeskw_256;
    }
    require(d->contains(ekt_cipher::aeskw_128) == has128);
    require(d->contains(ekt_cipher::aeskw_256) == has256);

    // The server's choice honours the client's order.
    const std::array<ekt_cipher, 2> server{ekt_cipher::aeskw_256, ekt_cipher::aeskw_128};
    const auto chosen = perc::select_ekt_cipher(*d, server);
    require(chosen.has_value() == (count > 0));
    if (count > 0) require(*chosen == expected[0]);
    const auto only256 = perc::select_ekt_cipher(*d, std::span{server}.first(1));
    require(only256.has_value() == has256);

    // Re-encoding the known ciphers: the input itself when nothing was skipped.
    std::array<std::uint8_t, 256> out{};
    auto e = perc::encode_supported_ekt_ciphers(std::span{expected}.first(count), out);
    if (count == 0) {
        require(e.error() == errc::invalid_argument);
        return;
    }
    require(e.has_value() && *e == count + 1 && out[0] == count);
    if (count == n) require(same_bytes(bytes_view{out.data(), *e}, p));
    auto again = perc::decode_supported_ekt_ciphers(bytes_view{out.data(), *e});
    require(again.has_value() && again->raw().size() == count);
    require(perc::encode_supported_ekt_ciphers(std::span{expected}.first(count),
                                               std::span{out}.first(count))
                .error() == errc::buffer_too_small);
}

void check_selected(bytes_view p)
{
    auto d = perc::decode_selected_ekt_cipher(p);
    if (p.empty()) require(d.error() == errc::truncated);
    else if (p.size() != 1) require(d.error() == errc::ekt_bad_length);
    else if (!known(p[0])) require(d.error() == errc::ekt_unknown_type);
    else {
        require(d.has_value() && static_cast<std::uint8_t>(*d) == p[0]);
        std::array<std::uint8_t, 1> out{};
        auto e = perc::encode_selected_ekt_cipher(*d, out);
        require(e.has_value() && *e == 1 && out[0] == p[0]);
    }
}

std::size_t be16_at(bytes_view p, std::size_t at)
{
    return (std::size_t{p[at]} << 8) | p[at + 1];
}

void check_ekt_key(bytes_view p)
{
    auto d = perc::decode_ekt_key_message(p);

    // Model, field by field: opaque<1..256> twice (2-octet lengths), uint16, uint24, nothing
    // after. A length's bounds are judged when it is read; then whether its octets are there.
    std::size_t at = 0;
    std::size_t lens[2] = {0, 0};
    for (std::size_t& len : lens) {
        if (p.size() < at + 2) {
            require(d.error() == errc::truncated);
            return;
        }
        len = be16_at(p, at);
        if (len < 1 || len > 256) {
            require(d.error() == errc::ekt_bad_length);
            return;
        }
        at += 2 + len;
        if (p.size() < at) {
            require(d.error() == errc::truncated);
            return;
        }
    }
    if (p.size() < at + 5) {
        require(d.error() == errc::truncated);
        return;
    }
    if (p.size() > at + 5) {
        require(d.error() == errc::ekt_bad_length);
        return;
    }
    require(d.has_value());
    const std::size_t k = lens[0], s = lens[1];
    require(p.size() == 9 + k + s && perc::ekt_key_message_size(k, s) == p.size());
    require(inside(d->ekt_key_value, p) && d->ekt_key_value.data() == p.data() + 2 &&
            d->ekt_key_value.size() == k);
    require(inside(d->srtp_master_salt, p) && d->srtp_master_salt.data() == p.data() + 4 + k &&
            d->srtp_master_salt.size() == s);
    require(d->ekt_spi == be16_at(p, 4 + k + s));
    require(d->ekt_ttl == ((std::uint32_t{p[6 + k + s]} << 16) |
                           (std::uint32_t{p[7 + k + s]} << 8) | p[8 + k + s]));

    // encode(decode(x)) == x; one octet short is refused without writing.
    std::vector<std::uint8_t> out(p.size(), 0xA5);
    auto e = perc::encode_ekt_key_message(*d, out);
    require(e.has_value() && *e == p.size() && same_bytes(out, p));
    std::vector<std::uint8_t> small(p.size() - 1, 0xA5);
    require(perc::encode_ekt_key_message(*d, small).error() == errc::buffer_too_small);
    require(perc_fuzz::all_equal(small, 0xA5));

    // RFC 8870 §4.4.1: L = 16 / 32; §5.2.2: a TTL of 0 allows no use.
    for (ekt_cipher c : {ekt_cipher::aeskw_128, ekt_cipher::aeskw_256}) {
        auto prm = perc::to_ekt_key_params(*d, c);
        if (k != perc::ekt_cipher_key_size(c)) require(prm.error() == errc::bad_key_size);
        else if (d->ekt_ttl == 0) require(prm.error() == errc::key_usage_exhausted);
        else {
            require(prm.has_value() && prm->spi == d->ekt_spi && prm->ttl_seconds == d->ekt_ttl);
            require(prm->ekt_key.data() == d->ekt_key_value.data() && prm->ekt_key.size() == k);
            require(prm->srtp_master_salt.data() == d->srtp_master_salt.data() &&
                    prm->srtp_master_salt.size() == s);
        }
    }
}

// An EKTKey built from the input (first octet splits key and salt): decodes back.
void check_encode(bytes_view p)
{
    if (p.size() < 8) return;
    const std::uint16_t spi = perc::load_be16(p.data());
    const std::uint32_t ttl = perc::load_be24(p.data() + 2);
    const std::size_t split = p[5];
    const bytes_view rest = p.subspan(6);
    if (split == 0 || split >= rest.size()) return;
    const bytes_view key = rest.first(split), salt = rest.subspan(split);
    std::vector<std::uint8_t> out(perc::ekt_key_message_size(key.size(), salt.size()));
    auto e = perc::encode_ekt_key_message({key, salt, spi, ttl}, out);
    if (salt.size() > 256) {
        require(e.error() == errc::invalid_argument);
        return;
    }
    require(e.has_value() && *e == out.size());
    auto d = perc::decode_ekt_key_message(out);
    require(d.has_value() && same_bytes(d->ekt_key_value, key) &&
            same_bytes(d->srtp_master_salt, salt) && d->ekt_spi == spi && d->ekt_ttl == ttl);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const bytes_view input{data, size};
    check_client_list(input);
    check_selected(input);
    check_ekt_key(input);
    check_encode(input);
    return 0;
}
