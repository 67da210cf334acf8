// perc — runtime choice of a DTLS-SRTP profile, mapped once to a concrete type.
#pragma once

#include <perc/botan/double.hpp>
#include <perc/botan/srtp.hpp>
#include <perc/bytes.hpp>
#include <perc/errc.hpp>
#include <perc/ohb.hpp>
#include <perc/result.hpp>
#include <perc/rtp_header.hpp>
#include <perc/srtp_session.hpp>
#include <perc/suites.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <variant>

namespace perc::botan {

/// One direction of protection for any profile we implement. Chosen once per association
/// (e.g. from the DTLS-SRTP use_srtp result); per packet std::visit is a jump on the index,
/// with no virtual call, and each alternative runs its own straight-line code.
using any_endpoint =
    std::variant<std::monostate, srtp_session<srtp_aes_128_gcm>, srtp_session<srtp_aes_256_gcm>,
                 double_aes_128_gcm, double_aes_256_gcm>;

/// The most any alternative adds to an RTP packet.
inline constexpr std::size_t any_endpoint_max_overhead = double_aes_256_gcm::max_overhead;

namespace detail {
/// std::visit without its bad_variant_access path (it throws on a valueless variant, which
/// a noexcept function must not): a valueless endpoint is treated as empty.
template <std::size_t I = 0, class F>
auto visit_endpoint(any_endpoint& e, F& f) noexcept
{
    if constexpr (I == 0) {
        if (e.valueless_by_exception()) {
            std::monostate none;
            return f(none);
        }
    }
    if constexpr (I + 1 < std::variant_size_v<any_endpoint>) {
        if (e.index() != I) return visit_endpoint<I + 1>(e, f);
    }
    return f(*std::get_if<I>(&e));
}
} // namespace detail

/// Replaces `out` with the endpoint for DTLS-SRTP profile `profile_id`, keyed with the
/// (double, for 0x0009/0x000A) master key and salt. On error `out` is unchanged.
/// Errors: unsupported (unknown profile), bad_key_size, bad_salt_size, backend_failure.
/// Allocates (key schedules and the SSRC table): call at setup, not per packet.
inline errc make_endpoint(std::uint16_t profile_id, bytes_view master_key, bytes_view master_salt,
                          any_endpoint& out, std::size_t max_streams = 64) noexcept
{
    const profile_info* info = find_profile(profile_id);
    if (info == nullptr) return errc::unsupported;
    // Built aside and moved in only when keyed: a failed re-key leaves `out` as it was.
    any_endpoint fresh;
    errc e = errc::unsupported;
    switch (info->profile) {
    case srtp_profile::aead_aes_128_gcm:
        e = fresh.emplace<srtp_session<srtp_aes_128_gcm>>().init(master_key, master_salt,
                                                                 {max_streams, true});
        break;
    case srtp_profile::aead_aes_256_gcm:
        e = fresh.emplace<srtp_session<srtp_aes_256_gcm>>().init(master_key, master_salt,
                                                                 {max_streams, true});
        break;
    case srtp_profile::double_aead_aes_128_gcm_aead_aes_128_gcm:
        e = fresh.emplace<double_aes_128_gcm>().init(master_key, master_salt, {max_streams});
        break;
    case srtp_profile::double_aead_aes_256_gcm_aead_aes_256_gcm:
        e = fresh.emplace<double_aes_256_gcm>().init(master_key, master_salt, {max_streams});
        break;
    }
    if (e == errc::ok) out = std::move(fresh);
    return e;
}

/// Adds state for `ssrc` starting at `roc` (both layers for the double profiles), for a
/// stream joined mid-way (RFC 3711 §3.3.1). Errors: no_key (empty), stream_exists,
/// stream_table_full.
inline errc add_stream(any_endpoint& e, std::uint32_t ssrc, std::uint32_t roc) noexcept
{
    auto op = [&](auto& x) -> errc {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) return errc::no_key;
        else if constexpr (std::is_same_v<T, double_aes_128_gcm> ||
                           std::is_same_v<T, double_aes_256_gcm>)
            return x.add_stream(ssrc, roc, roc);
        else return x.add_stream(ssrc, roc);
    };
    return detail::visit_endpoint(e, op);
}

/// protect_rtp of whichever alternative `e` holds (errc::no_key when empty).
inline result<bytes_span> protect_rtp(any_endpoint& e, bytes_view in, bytes_span out) noexcept
{
    auto op = [&](auto& x) -> result<bytes_span> {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>)
            return errc::no_key;
        else return x.protect_rtp(in, out);
    };
    return detail::visit_endpoint(e, op);
}

/// What unprotect_rtp_fields() recovers from a packet.
struct any_unprotected {
    /// The recovered RTP packet (for the double profiles: original PT, SEQ and M restored
    /// from the OHB).
    bytes_span packet;
    /// PT, SEQ and M as received. RFC 8723 §5.3: for a double packet the outer values —
    /// which a Media Distributor may have changed — select the codec and order the jitter
    /// buffer; for a single layer they are the packet's own.
    rtp_mutable_fields wire;
    /// The end-to-end values (double: authenticated by the inner layer; single: = wire).
    rtp_mutable_fields original;
};

/// unprotect_rtp of whichever alternative `e` holds, with the wire and original PT, SEQ, M.
/// Errors: no_key (empty), and those of the alternative's unprotect_rtp.
inline result<any_unprotected> unprotect_rtp_fields(any_endpoint& e, bytes_view in,
                                                    bytes_span out) noexcept
{
    auto op = [&](auto& x) -> result<any_unprotected> {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
            return errc::no_key;
        } else if constexpr (std::is_same_v<T, double_aes_128_gcm> ||
                             std::is_same_v<T, double_aes_256_gcm>) {
            auto r = x.unprotect_rtp(in, out);
            if (!r) return r.error();
            return any_unprotected{r->packet, r->outer, r->original};
        } else {
            auto r = x.unprotect_rtp(in, out);
            if (!r) return r.error();
            rtp_header_view h; // the packet unprotect_rtp just parsed: this cannot fail
            if (errc bad = decode_rtp_header_into(*r, h); bad != errc::ok) return bad;
            const rtp_mutable_fields f{h.payload_type, h.seq, h.marker};
            return any_unprotected{*r, f, f};
        }
    };
    return detail::visit_endpoint(e, op);
}

/// unprotect_rtp of whichever alternative `e` holds; returns the recovered RTP packet (for
/// the double profiles: original PT, SEQ and M restored from the OHB). The wire PT, SEQ and
/// M, which a double packet's receiver needs (RFC 8723 §5.3), are in unprotect_rtp_fields().
inline result<bytes_span> unprotect_rtp(any_endpoint& e, bytes_view in, bytes_span out) noexcept
{
    auto r = unprotect_rtp_fields(e, in, out);
    if (!r) return r.error();
    return r->packet;
}

inline result<bytes_span> protect_rtcp(any_endpoint& e, bytes_view in, bytes_span out) noexcept
{
    auto op = [&](auto& x) -> result<bytes_span> {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>)
            return errc::no_key;
        else return x.protect_rtcp(in, out);
    };
    return detail::visit_endpoint(e, op);
}

inline result<bytes_span> unprotect_rtcp(any_endpoint& e, bytes_view in, bytes_span out) noexcept
{
    auto op = [&](auto& x) -> result<bytes_span> {
        if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::monostate>)
            return errc::no_key;
        else return x.unprotect_rtcp(in, out);
    };
    return detail::visit_endpoint(e, op);
}

} // namespace perc::botan
