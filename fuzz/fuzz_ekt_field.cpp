// perc fuzzing — RFC 8870 §4.1 EKTField and EKTPlaintext codecs on arbitrary bytes, checked
// against an independent model of the wire rules, with encode(decode(x)) == x round trips.
#include <perc/ekt_field.hpp>

#include "fuzz_common.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace {

using perc::bytes_view;
using perc::errc;
using perc_fuzz::inside;
using perc_fuzz::require;
using perc_fuzz::same_bytes;

void check_field(bytes_view p)
{
    auto d = perc::decode_ekt_field(p);

    // Model (RFC 8870 §4.1): the type is the last octet; ShortEKTField is that octet alone;
    // every other type has EKTMsgLength (whole field) in the two octets before it.
    if (p.empty()) {
        require(d.error() == errc::truncated);
        return;
    }
    const unsigned type = p.back();
    std::size_t len = 1;
    if (type != 0x00) {
        if (p.size() < 3) {
            require(d.error() == errc::ekt_bad_length);
            return;
        }
        len = (std::size_t{p[p.size() - 3]} << 8) | p[p.size() - 2];
        // Full: 1..251 ciphertext octets + SPI, Epoch, Length, type (7).
        // Other types: 1..1024 ExtensionData octets + Length, type (3).
        const bool ok = len <= p.size() &&
                        (type == 0x02 ? len >= 8 && len <= 258 : len >= 4 && len <= 1027);
        if (!ok) {
            require(d.error() == errc::ekt_bad_length);
            return;
        }
    }
    require(d.has_value());
    require(d->type == type);
    require(inside(d->tag, p) && inside(d->srtp, p));
    require(d->srtp.data() == p.data() && d->srtp.size() + d->tag.size() == p.size());
    require(d->tag.size() == len);
    require(d->tag.data() == p.data() + p.size() - len);
    if (type == 0x00) {
        require(d->kind == perc::ekt_kind::short_field);
    } else if (type == 0x02) {
        require(d->kind == perc::ekt_kind::full_field);
        const bytes_view t = d->tag;
        require(inside(d->full.ciphertext, t) && d->full.ciphertext.data() == t.data());
        require(d->full.ciphertext.size() == len - 7);
        require(d->full.spi == perc::load_be16(t.data() + len - 7));
        require(d->full.epoch == perc::load_be16(t.data() + len - 5));
        // encode(decode(x)) == x.
        std::array<std::uint8_t, 258> out{};
        auto n = perc::encode_full_ekt_field(d->full.ciphertext, d->full.spi, d->full.epoch, out);
        require(n.has_value() && *n == len);
        require(same_bytes(std::span<const std::uint8_t>{out.data(), len}, t));
        // One octet short is refused.
        require(perc::encode_full_ekt_field(d->full.ciphertext, d->full.spi, d->full.epoch,
                                            std::span<std::uint8_t>{out.data(), len - 1})
                    .error() == errc::buffer_too_small);
    } else {
        require(d->kind == perc::ekt_kind::unknown);
    }
}

void check_plaintext(bytes_view p)
{
    auto d = perc::decode_ekt_plaintext(p);
    // SRTPMasterKeyLength (1..242) | SRTPMasterKey | SSRC (4) | ROC (4), nothing more.
    const bool ok = !p.empty() && p[0] >= 1 && p[0] <= 242 && p.size() == 9u + p[0];
    if (!ok) {
        require(d.error() == errc::ekt_bad_length);
        return;
    }
    require(d.has_value());
    const std::size_t k = p[0];
    require(d->master_key.data() == p.data() + 1 && d->master_key.size() == k);
    require(d->ssrc == perc::load_be32(p.data() + 1 + k));
    require(d->roc == perc::load_be32(p.data() + 5 + k));
    std::array<std::uint8_t, 251> out{};
    auto n = perc::encode_ekt_plaintext(*d, out);
    require(n.has_value() && *n == p.size());
    require(same_bytes(std::span<const std::uint8_t>{out.data(), p.size()}, p));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const bytes_view input{data, size};
    check_field(input);
    check_plaintext(input);
    // A full field encoded from arbitrary input: decodes back to the same values.
    if (size >= 5 && size - 4 <= perc::ekt_max_ciphertext_size) {
        std::array<std::uint8_t, 258> out{};
        const auto spi = perc::load_be16(data);
        const auto epoch = perc::load_be16(data + 2);
        const bytes_view ct = input.subspan(4);
        auto n = perc::encode_full_ekt_field(ct, spi, epoch, out);
        require(n.has_value() && *n == ct.size() + 7);
        auto d = perc::decode_ekt_field(bytes_view{out.data(), *n});
        require(d.has_value() && d->kind == perc::ekt_kind::full_field && d->srtp.empty());
        require(same_bytes(d->full.ciphertext, ct) && d->full.spi == spi && d->full.epoch == epoch);
    }
    return 0;
}
