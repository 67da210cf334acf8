// perc — SRTP packet index and rollover counter (RFC 3711 §3.3.1, Appendix A).
#pragma once

#include <perc/errc.hpp>
#include <perc/result.hpp>

#include <cstdint>

namespace perc {

/// 48-bit SRTP index i = 2^16 · ROC + SEQ (RFC 3711 §3.3.1).
constexpr std::uint64_t srtp_index(std::uint32_t roc, std::uint16_t seq) noexcept
{
    return (std::uint64_t{roc} << 16) | seq;
}
constexpr std::uint32_t index_roc(std::uint64_t index) noexcept
{
    return static_cast<std::uint32_t>(index >> 16);
}
constexpr std::uint16_t index_seq(std::uint64_t index) noexcept
{
    return static_cast<std::uint16_t>(index);
}

/// ROC and highest SEQ (s_l) of one stream, with RFC 3711 Appendix A estimation.
/// estimate() is const; commit() runs only after the packet authenticated (RFC 3711 §3.3 step 7).
class rtp_index_tracker {
public:
    /// RFC 3711 Appendix A: picks v ∈ {ROC−1, ROC, ROC+1} so that 2^16·v + SEQ is closest to
    /// 2^16·ROC + s_l. Before the first commit, the index is 2^16·ROC + SEQ (s_l is then
    /// initialised from the first packet, §3.3.1).
    /// Errors: too_old (v would be ROC−1 with ROC = 0: a packet from before the stream began),
    /// index_exhausted (v would be ROC+1 with ROC = 2^32−1: the 48-bit index would wrap,
    /// RFC 7714 §13 — a new master key is needed first).
    constexpr result<std::uint64_t> estimate(std::uint16_t seq) const noexcept
    {
        if (!started_) return srtp_index(roc_, seq);
        std::uint32_t v = roc_;
        if (s_l_ < 32768) {
            if (static_cast<std::int32_t>(seq) - static_cast<std::int32_t>(s_l_) > 32768) {
                if (roc_ == 0) return errc::too_old;
                v = roc_ - 1;
            }
        } else if (static_cast<std::int32_t>(s_l_) - 32768 > static_cast<std::int32_t>(seq)) {
            if (roc_ == 0xFFFFFFFFu) return errc::index_exhausted;
            v = roc_ + 1;
        }
        return srtp_index(v, seq);
    }

    /// RFC 3711 §3.3.1 state update for an authenticated packet with index `i`:
    /// v = ROC−1: nothing; v = ROC: s_l := max(s_l, SEQ); v = ROC+1: ROC := v, s_l := SEQ.
    constexpr void commit(std::uint64_t i) noexcept
    {
        const std::uint32_t v = index_roc(i);
        const std::uint16_t seq = index_seq(i);
        if (!started_) {
            started_ = true;
            roc_ = v;
            s_l_ = seq;
        } else if (v == roc_ + 1 && roc_ != 0xFFFFFFFFu) {
            roc_ = v;
            s_l_ = seq;
        } else if (v == roc_ && seq > s_l_) {
            s_l_ = seq;
        }
    }

    /// Sets the ROC for a stream joined late (RFC 3711 §3.3.1: signalled out of band,
    /// e.g. by EKT). The next packet initialises s_l.
    constexpr void set_roc(std::uint32_t roc) noexcept
    {
        roc_ = roc;
        s_l_ = 0;
        started_ = false;
    }

    constexpr std::uint32_t roc() const noexcept { return roc_; }
    constexpr std::uint16_t highest_seq() const noexcept { return s_l_; }
    constexpr bool started() const noexcept { return started_; }

private:
    std::uint32_t roc_ = 0;
    std::uint16_t s_l_ = 0;
    bool started_ = false;
};

} // namespace perc
