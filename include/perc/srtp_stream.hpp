// perc — per-SSRC SRTP/SRTCP state (RFC 3711 §3.2.1): index, ROC, replay lists, SRTCP index.
#pragma once

#include <perc/replay_window.hpp>
#include <perc/rtp_index.hpp>

#include <cstddef>
#include <cstdint>

namespace perc {

/// State of one SSRC in one direction. Keys live in the transform; several streams share
/// them (RFC 3711 §3.2: streams sharing a master key still need their own replay lists,
/// counters and indices). Window is the replay window size in packets (≥ 64; 1024 and more
/// suit NACK-heavy video).
///
/// A sender uses it too: the index tracker computes ROC on SEQ wrap, and the replay window
/// refuses to protect an index twice (RFC 7714 §8.4: an IV must never repeat).
template <std::size_t Window = 128>
struct srtp_stream {
    static constexpr std::size_t window_size = Window;

    rtp_index_tracker rtp_index;        ///< ROC and s_l
    replay_window<Window> rtp_replay;   ///< SRTP indices seen (RFC 3711 §3.3.2)
    std::uint32_t srtcp_next_index = 0; ///< sender: next SRTCP index (RFC 3711 §3.4: first is 0)
    replay_window<Window> rtcp_replay;  ///< receiver: SRTCP indices seen (separate list)

    /// RFC 3711 §3.3.1: a receiver joining late is told the ROC out of band (EKT).
    constexpr void set_roc(std::uint32_t roc) noexcept { rtp_index.set_roc(roc); }
    constexpr std::uint32_t roc() const noexcept { return rtp_index.roc(); }

    /// Sets the next SRTCP index to send (0 per RFC 3711 §3.4; libsrtp2 starts at 1).
    /// Errors: invalid_argument if `index` does not fit in 31 bits.
    constexpr errc set_srtcp_next_index(std::uint32_t index) noexcept
    {
        if (index > 0x7FFFFFFFu) return errc::invalid_argument;
        srtcp_next_index = index;
        return errc::ok;
    }
};

} // namespace perc
