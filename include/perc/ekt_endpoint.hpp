// perc — EKT at a PERC endpoint: the double transform plus RFC 8870 EKT Tags.
#pragma once

#include <perc/bytes.hpp>
#include <perc/double_endpoint.hpp>
#include <perc/ekt.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>
#include <perc/rtp_header.hpp>
#include <perc/rtp_index.hpp>

#include <cstdint>

namespace perc {

/// Sender: protects `in` with the double transform, then appends the EKTField the `ekt`
/// schedule calls for (RFC 8870 §4.3.1, §4.6). Before protecting, a re-key announced by
/// ekt.set_master_key() takes effect once its overlap has passed (the inner key becomes the
/// announced one, with the EKTKey's salt as inner salt, RFC 8871 §4.5.1).
/// `out` needs in.size() + Endpoint::protect_overhead + the field's size (at most
/// Sender::max_field_size). All-or-nothing: if the field cannot be written, nothing is
/// protected and no index is used; if protection fails, the schedule does not advance.
/// Errors: those of double_endpoint::protect_rtp and ekt_sender::build_field, plus
/// ekt_ssrc_mismatch (the packet's SSRC is not the sender's).
template <class Endpoint, class Sender>
result<bytes_span> protect_rtp_with_ekt(Endpoint& ep, Sender& ekt, bytes_view in, bytes_span out,
                                        std::uint64_t now_ms, bool key_frame = false) noexcept
{
    auto h = decode_rtp_header(in);
    if (!h) return h.error();
    // The field names one SSRC (§4.1: it MUST equal the packet's).
    if (h->ssrc != ekt.ssrc()) return errc::ekt_ssrc_mismatch;
    if (bytes_view k = ekt.key_to_use(now_ms); !k.empty()) {
        const bytes_view salt = ekt.master_salt();
        if (salt.size() < Endpoint::inner_type::master_salt_size) return errc::bad_salt_size;
        if (errc e = ep.set_inner_master_key(k, salt.first(Endpoint::inner_type::master_salt_size));
            e != errc::ok)
            return e;
    }
    // §4.3.1 step 2: the ROC in the EKTPlaintext is the one this packet is protected with.
    // Build the field first so that nothing is protected (no index used) when it cannot be.
    std::uint32_t roc = 0;
    if (const auto* s = ep.find_stream(h->ssrc)) {
        auto i = s->inner.rtp_index.estimate(h->seq);
        if (!i)
            return i.error() == errc::index_exhausted ? errc::index_exhausted : errc::index_reused;
        roc = index_roc(*i);
    }
    std::uint8_t field[Sender::max_field_size];
    auto n = ekt.build_field(roc, now_ms, key_frame, field);
    if (!n) return n.error();
    if (out.size() < *n) return errc::buffer_too_small;
    auto p = ep.protect_rtp(in, out.first(out.size() - *n));
    if (!p) return p;
    for (std::size_t i = 0; i < *n; ++i) out[p->size() + i] = field[i];
    ekt.field_sent(*n, now_ms);
    return out.first(p->size() + *n);
}

/// Receiver: processes the EKT Tag at the end of `in` (RFC 8870 §4.3.2) — installing a new
/// end-to-end key and ROC for the packet's SSRC, so a late joiner decrypts from its first
/// FullEKTField on — then unprotects the SRTP packet that precedes the tag.
/// EKT failures the RFC says to ignore (unknown type, SSRC mismatch, stale Epoch) do not stop
/// the SRTP processing; the others reject the packet.
/// `ekt_info`, when given, receives what was done with the tag (kind, event) once the tag
/// was processed, even if the SRTP packet is then rejected.
/// Errors: those of ekt_receiver::process and double_endpoint::unprotect_rtp.
template <class Endpoint, class Receiver>
result<double_unprotected> unprotect_rtp_with_ekt(Endpoint& ep, Receiver& ekt, bytes_view in,
                                                  bytes_span out, std::uint64_t now_ms,
                                                  ekt_received* ekt_info = nullptr) noexcept
{
    auto h = decode_rtp_header(in);
    if (!h) return h.error();
    auto r = ekt.process(in, h->ssrc, now_ms, Endpoint::inner_key_size,
                         Endpoint::inner_type::master_salt_size, [&](const ekt_new_key& k) {
                             return ep.set_stream_inner_key(k.ssrc, k.master_key, k.master_salt,
                                                            k.roc);
                         });
    if (!r) return r.error();
    if (ekt_info != nullptr) *ekt_info = *r;
    return ep.unprotect_rtp(r->srtp, out);
}

} // namespace perc
