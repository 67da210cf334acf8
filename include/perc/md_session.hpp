// perc — a Media Distributor session (RFC 8871 §2, §4; RFC 9185 §5.3): the endpoints and
// neighbouring MDs of one MD, their hop-by-hop keys installed from the Key Distributor's
// MediaKeys, and the relay among them (media_distributor) with selective forwarding.
#pragma once

#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/config.hpp>
#include <perc/errc.hpp>
#include <perc/media_distributor.hpp>
#include <perc/result.hpp>
#include <perc/srtp_session.hpp>
#include <perc/stream_table.hpp>
#include <perc/suites.hpp>
#include <perc/tunnel.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace perc {

/// Options of an md_session.
struct md_session_options {
    std::size_t max_streams = 64; ///< SSRCs per link and direction (allocated per link)
    /// RFC 8870 §4.3: endpoints append EKTFields; the MD passes them on unread.
    bool ekt = true;
};

/// What the MD learned from one message of the KD (md_session::on_tunnel_message).
enum class md_event_kind : std::uint8_t {
    version_refused,      ///< UnsupportedVersion: reconnect and send tunnel_hello() again
    keys_installed,       ///< MediaKeys: `link` is keyed, media may flow
    dtls_to_endpoint,     ///< TunneledDtls: send `dtls` (the UDP payload) to `link`'s endpoint
    endpoint_disconnected ///< EndpointDisconnect: `link` was removed
};

struct md_event {
    md_event_kind kind = md_event_kind::keys_installed;
    std::size_t link = 0;
    bytes_view dtls;             ///< dtls_to_endpoint: views the message
    std::uint8_t kd_version = 0; ///< version_refused: the KD's highest version
};

/// Per-link counters (public values only).
struct md_link_stats {
    std::uint64_t rtp_received = 0;  ///< authenticated on this link's incoming hop
    std::uint64_t rtp_rejected = 0;  ///< refused on the incoming hop (any errc)
    std::uint64_t rtp_forwarded = 0; ///< sent on this link's outgoing hop
    std::uint64_t rtp_dropped = 0;   ///< not sent to this link by selective forwarding
    std::uint64_t rtcp_forwarded = 0;
    std::uint64_t rtcp_rejected = 0;
};

/// One Media Distributor: up to MaxLinks links, each an endpoint association (keys from the
/// KD's MediaKeys, RFC 9185 §5.3) or a neighbouring MD (keys from their own DTLS-SRTP,
/// RFC 8871 §4.5). Links are addressed by a small integer handle, so per-packet lookup is an
/// array index; per-SSRC state inside a link is an O(1) table. The MD never holds an
/// end-to-end key: Outer is a single-layer transform (media_distributor enforces it).
///
/// Selective forwarding: skip_rtp() records a packet not sent to a link; later packets of
/// that SSRC to that link are renumbered to close the gap (SEQ rewrite, recorded in the OHB,
/// RFC 8723 §5.2), assuming drops are decided in SEQ order.
///
/// Allocation: init and key installation (transform key schedules, SSRC tables); none per
/// packet. Thread safety: one object is not.
template <class Outer, std::size_t MaxLinks = 64, std::size_t Window = 128>
class md_session {
public:
    using distributor_type = media_distributor<Outer, Window>;
    using link_type = md_link<Outer, Window>;
    static constexpr std::size_t max_profiles = 8;
    /// Octets a relayed packet may need beyond the incoming one.
    static constexpr std::size_t relay_growth = distributor_type::relay_growth + 1;

    /// The profiles this MD supports (RFC 9185 §5.3: it MUST keep supporting them while
    /// associations and the tunnel live): double profiles whose hop-by-hop half is Outer.
    /// Errors: invalid_argument (none, or more than max_profiles), unsupported (a profile
    /// that is not a double profile with Outer's key size).
    errc init(std::span<const std::uint16_t> profile_ids, md_session_options opt = {}) noexcept
    {
        if (profile_ids.empty() || profile_ids.size() > max_profiles) return errc::invalid_argument;
        for (std::uint16_t p : profile_ids)
            if (!usable(p)) return errc::unsupported;
        for (std::size_t i = 0; i < profile_ids.size(); ++i) profiles_[i] = profile_ids[i];
        profile_count_ = profile_ids.size();
        opt_ = opt;
        return errc::ok;
    }

    /// RFC 9185 §5.3: the first message on every (re-)established tunnel. Uses the version
    /// the KD asked for in an earlier UnsupportedVersion (§5.5), else tunnel_version.
    /// Errors: buffer_too_small, tunnel_bad_vector (init not called: no profiles).
    result<std::size_t> tunnel_hello(bytes_span out) const noexcept
    {
        return encode_supported_profiles(version_, std::span{profiles_.data(), profile_count_},
                                         out);
    }

    /// Sets the version tunnel_hello() announces (e.g. to test a KD's version handling).
    void set_tunnel_version(std::uint8_t v) noexcept { version_ = v; }
    std::uint8_t tunnel_version_in_use() const noexcept { return version_; }

    /// A new endpoint-initiated DTLS association: a link with a fresh version 4 UUID as its
    /// association id (RFC 9185 §5.3), keyed later by MediaKeys.
    /// Errors: stream_table_full (MaxLinks links), the random source's error.
    template <random_source Random>
    result<std::size_t> add_endpoint(Random& rng) noexcept
    {
        slot* s = free_slot();
        if (s == nullptr) return errc::stream_table_full;
        std::array<std::uint8_t, 16> r{};
        if (errc e = rng.fill(r); e != errc::ok) return e;
        *s = slot{};
        s->used = true;
        s->endpoint = true;
        s->id = make_association_id(r);
        return handle(*s);
    }

    /// A neighbouring MD (RFC 8871 §4.5: the MD⇄MD hop is keyed by DTLS-SRTP between the two
    /// MDs, without the KD). `receive_*` is the key the peer sends with.
    /// Errors: stream_table_full, and md_link::init's (bad_key_size, bad_salt_size,
    /// same_hop_keys, ...).
    result<std::size_t> add_peer(bytes_view receive_key, bytes_view receive_salt,
                                 bytes_view send_key, bytes_view send_salt) noexcept
    {
        slot* s = free_slot();
        if (s == nullptr) return errc::stream_table_full;
        slot fresh;
        if (errc e = key_slot(fresh, receive_key, receive_salt, send_key, send_salt); e != errc::ok)
            return e;
        fresh.used = true;
        *s = std::move(fresh);
        return handle(*s);
    }

    /// The association id of endpoint link `link`. Precondition: valid endpoint link.
    const association_id& association(std::size_t link) const noexcept
    {
        PERC_ASSERT(link < MaxLinks && slots_[link].used);
        return slots_[link].id;
    }
    bool is_keyed(std::size_t link) const noexcept
    {
        return link < MaxLinks && slots_[link].used && slots_[link].keyed;
    }
    /// The profile of link `link`'s MediaKeys (0 before, and for peer links).
    std::uint16_t profile(std::size_t link) const noexcept
    {
        return link < MaxLinks && slots_[link].used ? slots_[link].profile : 0;
    }

    /// RFC 9185 §5.3: wraps a datagram received from endpoint `link` (its UDP payload) in
    /// TunneledDtls for the KD.
    /// Errors: invalid_argument (not an endpoint link), tunnel_bad_vector, buffer_too_small.
    result<std::size_t> wrap_dtls(std::size_t link, bytes_view datagram,
                                  bytes_span out) const noexcept
    {
        if (!is_endpoint(link)) return errc::invalid_argument;
        return encode_tunneled_dtls(slots_[link].id, datagram, out);
    }

    /// RFC 9185 §5.3: the MD detected that endpoint `link` left (or signalling removed it):
    /// writes EndpointDisconnect for the KD and removes the link and its keys.
    /// Errors: invalid_argument (not an endpoint link), buffer_too_small (nothing removed).
    result<std::size_t> disconnect(std::size_t link, bytes_span out) noexcept
    {
        if (!is_endpoint(link)) return errc::invalid_argument;
        auto n = encode_endpoint_disconnect(slots_[link].id, out);
        if (!n) return n.error();
        slots_[link] = slot{};
        return *n;
    }

    /// Removes a peer (or endpoint) link without telling the KD.
    void remove_link(std::size_t link) noexcept
    {
        if (link < MaxLinks) slots_[link] = slot{};
    }

    /// Handles one message from the KD (framed by next_tunnel_message):
    /// - UnsupportedVersion (§5.5): remembers the KD's highest version for tunnel_hello();
    /// - MediaKeys (§5.3): keys the association's link for RTP and RTCP — client_write (the
    ///   endpoint sends) on the incoming hop, server_write on the outgoing one. A second
    ///   MediaKeys (DTLS re-handshake) replaces the keys and the link's stream state;
    /// - TunneledDtls: the datagram to deliver to the association's endpoint;
    /// - EndpointDisconnect (§5.4): removes the link.
    /// Errors: unknown_association, no_common_profile (MediaKeys with a profile this MD did
    /// not offer), unsupported (an MKI: PERC uses EKT, which forbids MKI, RFC 8870 §4),
    /// bad_key_size / bad_salt_size / same_hop_keys (keys not those of the profile's outer
    /// half), tunnel_bad_message (SupportedProfiles: MD → KD only), tunnel_bad_length, and
    /// the decoders' errors. On error the links are unchanged.
    result<md_event> on_tunnel_message(bytes_view message) noexcept
    {
        auto m = next_tunnel_message(message);
        if (!m) return m.error();
        if (m->size != message.size()) return errc::tunnel_bad_length;
        md_event ev;
        switch (m->type) {
        case tunnel_msg_type::unsupported_version: {
            auto u = decode_unsupported_version(m->body);
            if (!u) return u.error();
            version_ = u->highest_version; // §5.5: MUST use it when re-establishing
            ev.kind = md_event_kind::version_refused;
            ev.kd_version = u->highest_version;
            return ev;
        }
        case tunnel_msg_type::media_keys: {
            auto k = decode_media_keys(m->body);
            if (!k) return k.error();
            slot* s = find(k->id);
            if (s == nullptr) return errc::unknown_association;
            if (!offered(k->profile)) return errc::no_common_profile;
            if (!k->mki.empty()) return errc::unsupported;
            slot fresh;
            if (errc e = key_slot(fresh, k->client_write_key, k->client_write_salt,
                                  k->server_write_key, k->server_write_salt);
                e != errc::ok)
                return e;
            s->link = std::move(fresh.link);
            s->gaps = std::move(fresh.gaps);
            s->keyed = true;
            s->profile = k->profile;
            ev.kind = md_event_kind::keys_installed;
            ev.link = handle(*s);
            return ev;
        }
        case tunnel_msg_type::tunneled_dtls: {
            auto d = decode_tunneled_dtls(m->body);
            if (!d) return d.error();
            slot* s = find(d->id);
            if (s == nullptr) return errc::unknown_association;
            ev.kind = md_event_kind::dtls_to_endpoint;
            ev.link = handle(*s);
            ev.dtls = d->dtls_message;
            return ev;
        }
        case tunnel_msg_type::endpoint_disconnect: {
            auto d = decode_endpoint_disconnect(m->body);
            if (!d) return d.error();
            slot* s = find(d->id);
            if (s == nullptr) return errc::unknown_association;
            ev.kind = md_event_kind::endpoint_disconnected;
            ev.link = handle(*s);
            *s = slot{};
            return ev;
        }
        case tunnel_msg_type::supported_profiles: return errc::tunnel_bad_message;
        }
        return errc::tunnel_unknown_type;
    }

    /// RFC 8723 §5.2 step 1 on the hop from `from`: media_distributor::open_rtp.
    /// Errors: invalid_argument (no such link), no_key (not keyed yet), and open_rtp's.
    result<md_opened> open_rtp(std::size_t from, bytes_view in, bytes_span scratch) noexcept
    {
        if (errc e = media_link_state(from); e != errc::ok) return e;
        slot& s = slots_[from];
        auto r = md_.open_rtp(s.link, in, scratch);
        if (r) ++s.stats.rtp_received;
        else ++s.stats.rtp_rejected;
        return r;
    }

    /// RFC 8723 §5.2 steps 2–4 toward link `to`: media_distributor::forward_rtp with
    /// `changes`; when `changes` sets no SEQ and packets of this SSRC were skipped for `to`,
    /// the SEQ is renumbered to close the gap.
    /// Errors: invalid_argument, no_key, and forward_rtp's.
    result<relayed> forward_rtp(const md_opened& opened, std::size_t to, bytes_span out,
                                relay_changes changes = {}) noexcept
    {
        if (errc e = media_link_state(to); e != errc::ok) return e;
        slot& s = slots_[to];
        // Only links that had packets skipped pay the SSRC lookup.
        if (!changes.seq && s.gaps.size() != 0)
            if (const seq_gap* g = s.gaps.find(opened.ssrc); g != nullptr)
                changes.seq = static_cast<std::uint16_t>(opened.wire.seq - g->dropped);
        auto r = md_.forward_rtp(opened, s.link, out, changes);
        if (r) ++s.stats.rtp_forwarded;
        return r;
    }

    /// Selective forwarding: `opened` is not sent to `to`; its later packets of this SSRC
    /// are renumbered by forward_rtp.
    /// Errors: invalid_argument, no_key, stream_table_full (nothing recorded).
    errc skip_rtp(const md_opened& opened, std::size_t to) noexcept
    {
        if (errc e = media_link_state(to); e != errc::ok) return e;
        slot& s = slots_[to];
        seq_gap* g = s.gaps.find(opened.ssrc);
        if (g == nullptr) {
            auto ins = s.gaps.insert(opened.ssrc, seq_gap{});
            if (!ins) return ins.error();
            g = *ins;
        }
        ++g->dropped;
        ++s.stats.rtp_dropped;
        return errc::ok;
    }

    /// RFC 8723 §6 / RFC 8871 §4.4: opens an SRTCP packet from `from` (outer keys only;
    /// RTCP has no end-to-end layer) into `out`, once — then forward_rtcp() it to any number
    /// of links. Errors: invalid_argument, no_key, and media_distributor::open_rtcp's.
    result<bytes_span> open_rtcp(std::size_t from, bytes_view in, bytes_span out) noexcept
    {
        if (errc e = media_link_state(from); e != errc::ok) return e;
        auto r = md_.open_rtcp(slots_[from].link, in, out);
        if (!r) ++slots_[from].stats.rtcp_rejected;
        return r;
    }

    /// Protects plain RTCP (from open_rtcp, or the MD's own) for link `to`.
    /// Errors: invalid_argument, no_key, and media_distributor::forward_rtcp's.
    result<bytes_span> forward_rtcp(bytes_view plain, std::size_t to, bytes_span out) noexcept
    {
        if (errc e = media_link_state(to); e != errc::ok) return e;
        auto r = md_.forward_rtcp(plain, slots_[to].link, out);
        if (r) ++slots_[to].stats.rtcp_forwarded;
        return r;
    }

    /// Counters of link `link` (zeros for a free handle).
    md_link_stats stats(std::size_t link) const noexcept
    {
        return link < MaxLinks && slots_[link].used ? slots_[link].stats : md_link_stats{};
    }
    /// The link itself, for the lower-level media_distributor calls (e.g. repair packets).
    link_type* link(std::size_t handle) noexcept
    {
        return is_keyed(handle) ? &slots_[handle].link : nullptr;
    }
    distributor_type& distributor() noexcept { return md_; }

private:
    struct seq_gap {
        std::uint16_t dropped = 0;
    };
    struct slot {
        bool used = false;
        bool endpoint = false;
        bool keyed = false;
        association_id id{};
        std::uint16_t profile = 0;
        link_type link;
        stream_table<seq_gap> gaps;
        md_link_stats stats;
    };

    static constexpr bool usable(std::uint16_t profile_id) noexcept
    {
        const profile_info* p = find_profile(profile_id);
        return p != nullptr && p->is_double && p->master_key_size == 2 * Outer::master_key_size;
    }
    // For the media calls: ok for a keyed link; no_key before its MediaKeys; invalid_argument
    // for a free or out-of-range handle.
    errc media_link_state(std::size_t link) const noexcept
    {
        if (link >= MaxLinks || !slots_[link].used) return errc::invalid_argument;
        return slots_[link].keyed ? errc::ok : errc::no_key;
    }
    bool offered(std::uint16_t profile_id) const noexcept
    {
        for (std::size_t i = 0; i < profile_count_; ++i)
            if (profiles_[i] == profile_id) return true;
        return false;
    }
    bool is_endpoint(std::size_t link) const noexcept
    {
        return link < MaxLinks && slots_[link].used && slots_[link].endpoint;
    }
    std::size_t handle(const slot& s) const noexcept
    {
        return static_cast<std::size_t>(&s - slots_.data());
    }
    slot* free_slot() noexcept
    {
        for (slot& s : slots_)
            if (!s.used) return &s;
        return nullptr;
    }
    slot* find(const association_id& id) noexcept
    {
        for (slot& s : slots_)
            if (s.used && s.endpoint && s.id == id) return &s;
        return nullptr;
    }
    errc key_slot(slot& s, bytes_view rx_key, bytes_view rx_salt, bytes_view tx_key,
                  bytes_view tx_salt) const noexcept
    {
        session_options so;
        so.max_streams = opt_.max_streams;
        so.ekt = opt_.ekt;
        if (errc e = s.link.init(rx_key, rx_salt, tx_key, tx_salt, so); e != errc::ok) return e;
        if (errc e = s.gaps.reserve(opt_.max_streams); e != errc::ok) return e;
        s.keyed = true;
        return errc::ok;
    }

    std::array<std::uint16_t, max_profiles> profiles_{};
    std::size_t profile_count_ = 0;
    std::uint8_t version_ = tunnel_version;
    md_session_options opt_;
    distributor_type md_;
    std::array<slot, MaxLinks> slots_{};
};

} // namespace perc
