// perc — an SRTP session: one transform (master key) and its per-SSRC streams.
#pragma once

#include <perc/bytes.hpp>
#include <perc/errc.hpp>
#include <perc/result.hpp>
#include <perc/rtcp_header.hpp>
#include <perc/rtp_header.hpp>
#include <perc/srtp_stream.hpp>
#include <perc/stream_table.hpp>

#include <cstddef>
#include <cstdint>

namespace perc {

/// What a session does with an SSRC it has no stream for.
struct session_options {
    std::size_t max_streams = 64; ///< table capacity, allocated once by init()
    bool auto_create = true; ///< create the stream on first protect / first authenticated packet;
                             ///< false: RFC 3711 §3.2.3 strict — discard with errc::no_stream
    /// RFC 8870 §4.3: EKT is in use, so every SRTP packet ends in an EKTField (used by
    /// md_link; endpoints get EKT through the EKT components).
    bool ekt = false;
};

/// A Transform (e.g. srtp_aead_transform<...>) plus an SSRC-keyed table of srtp_stream.
/// Lookup is O(1); a stream is created only after a packet for it authenticated, so a
/// failed unprotect never adds an entry.
/// Thread safety: distinct objects safe; one object is not.
template <class Transform, std::size_t Window = 128>
class srtp_session {
public:
    using transform_type = Transform;
    using stream_type = srtp_stream<Window>;
    static constexpr std::size_t srtp_overhead = Transform::srtp_overhead;
    static constexpr std::size_t srtcp_overhead = Transform::srtcp_overhead;

    /// Keys the session and allocates the stream table (the only allocations it makes).
    /// Errors: those of Transform::set_master_key and stream_table::reserve.
    errc init(bytes_view master_key, bytes_view master_salt, session_options opt = {}) noexcept
    {
        if (errc e = transform_.set_master_key(master_key, master_salt); e != errc::ok) return e;
        if (errc e = streams_.reserve(opt.max_streams); e != errc::ok) return e;
        auto_create_ = opt.auto_create;
        return errc::ok;
    }

    /// Adds a stream for `ssrc` starting at `roc` (RFC 3711 §3.3.1: a late joiner learns the
    /// ROC out of band). Errors: stream_exists, stream_table_full.
    errc add_stream(std::uint32_t ssrc, std::uint32_t roc = 0) noexcept
    {
        stream_type s;
        s.set_roc(roc);
        auto r = streams_.insert(ssrc, s);
        return r ? errc::ok : r.error();
    }
    bool remove_stream(std::uint32_t ssrc) noexcept { return streams_.erase(ssrc); }
    stream_type* find_stream(std::uint32_t ssrc) noexcept { return streams_.find(ssrc); }
    std::size_t stream_count() const noexcept { return streams_.size(); }
    Transform& transform() noexcept { return transform_; }

    /// Transform::protect_rtp on the stream of the packet's SSRC.
    /// Extra errors: no_stream (auto_create off), stream_table_full.
    result<bytes_span> protect_rtp(bytes_view in, bytes_span out) noexcept
    {
        auto h = decode_rtp_header(in);
        if (!h) return h.error();
        return with_stream(h->ssrc,
                           [&](stream_type& s) { return transform_.protect_rtp(s, in, out); });
    }
    result<bytes_span> unprotect_rtp(bytes_view in, bytes_span out) noexcept
    {
        auto h = decode_rtp_header(in);
        if (!h) return h.error();
        return with_stream(h->ssrc,
                           [&](stream_type& s) { return transform_.unprotect_rtp(s, in, out); });
    }
    result<bytes_span> protect_rtcp(bytes_view in, bytes_span out, bool encrypt = true) noexcept
    {
        auto h = decode_rtcp_header(in);
        if (!h) return h.error();
        return with_stream(
            h->ssrc, [&](stream_type& s) { return transform_.protect_rtcp(s, in, out, encrypt); });
    }
    result<bytes_span> unprotect_rtcp(bytes_view in, bytes_span out) noexcept
    {
        auto h = decode_rtcp_header(in);
        if (!h) return h.error();
        return with_stream(h->ssrc,
                           [&](stream_type& s) { return transform_.unprotect_rtcp(s, in, out); });
    }

private:
    template <class Op>
    result<bytes_span> with_stream(std::uint32_t ssrc, Op&& op) noexcept
    {
        if (!transform_.has_key()) return errc::no_key; // also: init() not called yet
        return streams_.apply(ssrc, auto_create_, op);
    }

    Transform transform_;
    stream_table<stream_type> streams_;
    bool auto_create_ = true;
};

} // namespace perc
