// perc — the PERC Key Distributor (RFC 8871 §2, §4.5, §6; RFC 9185 §5.4): the trusted party
// that gives every endpoint the EKTKey and its double key material, and every Media
// Distributor only the hop-by-hop halves, through the RFC 9185 tunnel.
#pragma once

#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/ekt_dtls.hpp>
#include <perc/errc.hpp>
#include <perc/keying_material.hpp>
#include <perc/result.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/suites.hpp>
#include <perc/tunnel.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace perc {

/// Largest DTLS-SRTP exporter output of the profiles we implement (RFC 5764 §4.2 for
/// DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM: 2·(64 + 24) octets).
inline constexpr std::size_t max_keying_material_size = 176;

/// Exporter-output size for `profile_id` (RFC 5764 §4.2: 2·(master key + master salt)), or 0
/// when we do not implement the profile.
constexpr std::size_t keying_material_size(std::uint16_t profile_id) noexcept
{
    const profile_info* p = find_profile(profile_id);
    return p == nullptr ? 0 : 2 * (p->master_key_size + p->master_salt_size);
}

/// Fills `out` with fresh random keying material for `profile_id`, standing in for the
/// DTLS-SRTP exporter (RFC 5764 §4.2) when no DTLS handshake runs (simulations, tests).
/// Returns the material (out.first(keying_material_size(profile_id))).
/// Errors: unsupported (unknown profile), buffer_too_small, and the source's error.
template <random_source Random>
result<bytes_span> generate_keying_material(std::uint16_t profile_id, Random& rng,
                                            bytes_span out) noexcept
{
    const std::size_t n = keying_material_size(profile_id);
    if (n == 0) return errc::unsupported;
    if (out.size() < n) return errc::buffer_too_small;
    if (errc e = rng.fill(out.first(n)); e != errc::ok) return e;
    return out.first(n);
}

/// What the Key Distributor learned from one tunnel message (key_distributor::on_tunnel_message).
enum class kd_event_kind : std::uint8_t {
    md_profiles,        ///< SupportedProfiles accepted: the tunnel is ready
    version_refused,    ///< SupportedProfiles of another version: `reply` holds UnsupportedVersion
    dtls_from_endpoint, ///< TunneledDtls: feed `dtls` to the DTLS server of `id`
    endpoint_disconnected ///< EndpointDisconnect from the MD: association `id` is gone
};

struct kd_event {
    kd_event_kind kind = kd_event_kind::md_profiles;
    association_id id{};
    bytes_view dtls;            ///< dtls_from_endpoint: one or more DTLS records (views the input)
    std::size_t reply_size = 0; ///< version_refused: octets of `reply` to send back, then close
    bool new_association = false; ///< dtls_from_endpoint: first message of this association
};

/// The Key Distributor. Holds the conference's EKTKey (the KEK, RFC 8871 §6.3) and, per
/// tunnel, the Media Distributor's profile list; per endpoint association only its id,
/// tunnel and profile: the DTLS-SRTP key material is handed on and not kept (RFC 8871 §8.3:
/// destroy keying material once it is no longer needed).
///
/// The KD is the DTLS server of every endpoint (RFC 8871 §4.5.1); the DTLS stack is the
/// application's (e.g. perc/botan/dtls_srtp.hpp). This class does the PERC part: tunnel
/// messages, profile selection, the MediaKeys halves, the EKTKey.
///
/// Allocation: none (fixed capacity). Thread safety: one object is not.
template <std::size_t MaxTunnels = 4, std::size_t MaxAssociations = 256>
class key_distributor {
public:
    static constexpr std::size_t max_profiles = 8;
    /// The EKTKey's SRTP master salt: the inner (end-to-end) salt of every sender, 12 octets
    /// for both double AES-GCM profiles (RFC 8871 §4.5.1, RFC 8723 §10.1).
    static constexpr std::size_t ekt_salt_size = 12;
    /// Octets of an encoded ekt_key message body for the configured cipher (at most).
    static constexpr std::size_t max_ekt_key_message_size = ekt_key_message_size(32, ekt_salt_size);
    /// Octets of a MediaKeys message we write (no MKI, outer halves of the largest profile).
    static constexpr std::size_t max_media_keys_size = tunnel_header_size + 16 + 2 + 1 + 4 * 1 +
                                                       2 * 32 + 2 * 12;

    /// Sets the profiles this KD accepts (double profiles we implement, in preference order),
    /// the EKT cipher and the EKTKey lifetime, and generates the first EKTKey.
    /// Errors: invalid_argument (no profile, more than max_profiles, a repeated one, ttl 0 or
    /// over 24 bits),
    /// unsupported (a profile that is not an RFC 8723 double profile we implement, or an
    /// unknown cipher), and the random source's error. On error nothing changes.
    template <random_source Random>
    errc init(std::span<const std::uint16_t> profile_ids, ekt_cipher cipher,
              std::uint32_t ekt_ttl_seconds, Random& rng) noexcept
    {
        if (profile_ids.empty() || profile_ids.size() > max_profiles) return errc::invalid_argument;
        if (ekt_ttl_seconds == 0 || ekt_ttl_seconds > ekt_ttl_max) return errc::invalid_argument;
        if (!is_known_ekt_cipher(static_cast<std::uint8_t>(cipher))) return errc::unsupported;
        for (std::size_t i = 0; i < profile_ids.size(); ++i) {
            const profile_info* info = find_profile(profile_ids[i]);
            if (info == nullptr || !info->is_double) return errc::unsupported;
            for (std::size_t j = 0; j < i; ++j)
                if (profile_ids[j] == profile_ids[i]) return errc::invalid_argument;
        }
        secret_bytes<32> key;
        secret_bytes<ekt_salt_size> salt;
        std::array<std::uint8_t, 2> spi{};
        const std::size_t key_size = ekt_cipher_key_size(cipher);
        if (errc e = rng.fill(bytes_span{key.data(), key_size}); e != errc::ok) return e;
        if (errc e = rng.fill(bytes_span{salt.data(), salt.size()}); e != errc::ok) return e;
        if (errc e = rng.fill(spi); e != errc::ok) return e;
        profile_count_ = profile_ids.size();
        for (std::size_t i = 0; i < profile_ids.size(); ++i) profiles_[i] = profile_ids[i];
        cipher_ = cipher;
        ttl_ = ekt_ttl_seconds;
        ekt_key_ = std::move(key);
        ekt_salt_ = std::move(salt);
        spi_ = load_be16(spi.data());
        initialized_ = true;
        return errc::ok;
    }

    /// RFC 8871 §4.5.2, §6.3: a new EKTKey (new key, salt and SPI) for every participant,
    /// e.g. when one joins or leaves. Send encode_ekt_key()'s message to every endpoint;
    /// each then generates a new end-to-end master key (RFC 8870 §4.5).
    /// Errors: no_key (init not called), the random source's error (nothing changes).
    template <random_source Random>
    errc rekey(Random& rng) noexcept
    {
        if (!initialized_) return errc::no_key;
        secret_bytes<32> key;
        secret_bytes<ekt_salt_size> salt;
        if (errc e = rng.fill(bytes_span{key.data(), ekt_cipher_key_size(cipher_)}); e != errc::ok)
            return e;
        if (errc e = rng.fill(bytes_span{salt.data(), salt.size()}); e != errc::ok) return e;
        ekt_key_ = std::move(key);
        ekt_salt_ = std::move(salt);
        // RFC 8870 §4.1: each parameter set has a distinct SPI.
        spi_ = static_cast<std::uint16_t>(spi_ + 1);
        ++generation_;
        return errc::ok;
    }

    ekt_cipher cipher() const noexcept { return cipher_; }
    std::uint16_t spi() const noexcept { return spi_; }
    /// Counts EKTKeys generated after the first (rekey calls).
    std::uint32_t ekt_generation() const noexcept { return generation_; }

    /// The current EKTKey as an `ekt_key` handshake message body (RFC 8870 §5.2.2), to send
    /// to an endpoint over its DTLS association — never to a Media Distributor (RFC 8871
    /// §6.3). `out` then holds secrets: wipe it once sent.
    /// Errors: no_key, buffer_too_small.
    result<std::size_t> encode_ekt_key(bytes_span out) const noexcept
    {
        if (!initialized_) return errc::no_key;
        ekt_key_message m;
        m.ekt_key_value = bytes_view{ekt_key_.data(), ekt_cipher_key_size(cipher_)};
        m.srtp_master_salt = bytes_view{ekt_salt_.data(), ekt_salt_.size()};
        m.ekt_spi = spi_;
        m.ekt_ttl = ttl_;
        return encode_ekt_key_message(m, out);
    }

    /// A Media Distributor connected: returns the tunnel's handle. Its first message must
    /// be SupportedProfiles (RFC 9185 §5.3).
    /// `md` names the Media Distributor at the other end, as the application authenticated
    /// the tunnel's TLS peer (RFC 9185 §9: mutual authentication). The messages of one
    /// association may use any tunnel of its MD (§5.3), but a TunneledDtls or
    /// EndpointDisconnect naming an association that lives on another MD's tunnel is refused
    /// (association_elsewhere): §9 warns of an MD that mislabels DTLS messages or sends a
    /// false EndpointDisconnect, and so one MD cannot take over or disconnect the endpoints
    /// of another. Giving every tunnel the same `md` (the default) lets an association use
    /// any tunnel at all.
    /// Errors: stream_table_full (MaxTunnels open).
    result<std::size_t> open_tunnel(std::uint64_t md = 0) noexcept
    {
        for (std::size_t t = 0; t < MaxTunnels; ++t)
            if (!tunnels_[t].open) {
                tunnels_[t] = tunnel_state{};
                tunnels_[t].open = true;
                tunnels_[t].md = md;
                return t;
            }
        return errc::stream_table_full;
    }

    /// The tunnel closed: its associations are forgotten (their endpoints must reconnect).
    void close_tunnel(std::size_t tunnel) noexcept
    {
        if (tunnel >= MaxTunnels) return;
        tunnels_[tunnel].open = false;
        for (association& a : associations_)
            if (a.used && a.tunnel == tunnel) a = association{};
    }

    /// Handles one message received on `tunnel` (framed by next_tunnel_message).
    /// - SupportedProfiles (RFC 9185 §5.3, §5.5): version 0 stores the MD's profiles; another
    ///   version writes UnsupportedVersion (our highest, 0x00) into `reply` — send it and
    ///   close the tunnel — and returns version_refused.
    /// - TunneledDtls: returns the DTLS records for the association's DTLS server; the first
    ///   message of an unknown association id creates it (RFC 9185 §5.4: the id names the
    ///   association for its whole life).
    /// - EndpointDisconnect: forgets the association.
    /// Errors: invalid_argument (no such tunnel), tunnel_bad_message (a message before
    /// SupportedProfiles, a second SupportedProfiles, or one the MD must not send:
    /// UnsupportedVersion, MediaKeys), unknown_association (EndpointDisconnect of an id we
    /// do not know), association_elsewhere (TunneledDtls or EndpointDisconnect of an
    /// association on another MD's tunnel, see open_tunnel), stream_table_full
    /// (MaxAssociations), buffer_too_small (reply), and the
    /// decoders' errors (truncated, tunnel_unknown_type, tunnel_bad_length,
    /// tunnel_bad_vector). On error nothing changes.
    result<kd_event> on_tunnel_message(std::size_t tunnel, bytes_view message,
                                       bytes_span reply) noexcept
    {
        if (tunnel >= MaxTunnels || !tunnels_[tunnel].open) return errc::invalid_argument;
        tunnel_state& t = tunnels_[tunnel];
        auto m = next_tunnel_message(message);
        if (!m) return m.error();
        if (m->size != message.size()) return errc::tunnel_bad_length;
        kd_event ev;
        switch (m->type) {
        case tunnel_msg_type::supported_profiles: {
            if (t.ready) return errc::tunnel_bad_message;
            auto v = peek_supported_profiles_version(m->body);
            if (!v) return v.error();
            if (*v != tunnel_version) {
                // RFC 9185 §5.5: answer with the highest version we support, then close.
                auto n = encode_unsupported_version(tunnel_version, reply);
                if (!n) return n.error();
                ev.kind = kd_event_kind::version_refused;
                ev.reply_size = *n;
                return ev;
            }
            auto sp = decode_supported_profiles(m->body);
            if (!sp) return sp.error();
            tunnel_state next = t;
            next.profile_count = 0;
            for (std::uint16_t p : *sp)
                if (next.profile_count < max_profiles && !next.supports(p))
                    next.profiles[next.profile_count++] = p;
            next.ready = true;
            t = next;
            ev.kind = kd_event_kind::md_profiles;
            return ev;
        }
        case tunnel_msg_type::tunneled_dtls: {
            if (!t.ready) return errc::tunnel_bad_message;
            auto d = decode_tunneled_dtls(m->body);
            if (!d) return d.error();
            association* a = find(d->id);
            if (a != nullptr && of_another_md(*a, t)) return errc::association_elsewhere;
            if (a != nullptr && a->tunnel != tunnel) {
                // RFC 9185 §5.3: messages of one association may use any tunnel; replies
                // go back on the one it last used.
                a->tunnel = tunnel;
            }
            if (a == nullptr) {
                a = free_slot();
                if (a == nullptr) return errc::stream_table_full;
                *a = association{};
                a->used = true;
                a->id = d->id;
                a->tunnel = tunnel;
                ev.new_association = true;
            }
            ev.kind = kd_event_kind::dtls_from_endpoint;
            ev.id = d->id;
            ev.dtls = d->dtls_message;
            return ev;
        }
        case tunnel_msg_type::endpoint_disconnect: {
            if (!t.ready) return errc::tunnel_bad_message;
            auto d = decode_endpoint_disconnect(m->body);
            if (!d) return d.error();
            association* a = find(d->id);
            if (a == nullptr) return errc::unknown_association;
            if (of_another_md(*a, t)) return errc::association_elsewhere;
            *a = association{};
            ev.kind = kd_event_kind::endpoint_disconnected;
            ev.id = d->id;
            return ev;
        }
        case tunnel_msg_type::unsupported_version:
        case tunnel_msg_type::media_keys: return errc::tunnel_bad_message; // KD → MD only
        }
        return errc::tunnel_unknown_type;
    }

    /// The profiles the DTLS server of an association on `tunnel` may select: ours, in our
    /// preference order, that the tunnel's MD supports (RFC 9185 §5.4: the KD MUST select a
    /// profile supported by itself, the endpoint and the MD). Returns how many were written.
    /// Errors: invalid_argument (no such tunnel), tunnel_bad_message (no SupportedProfiles
    /// yet), no_common_profile, buffer_too_small.
    result<std::size_t> acceptable_profiles(std::size_t tunnel,
                                            std::span<std::uint16_t> out) const noexcept
    {
        if (tunnel >= MaxTunnels || !tunnels_[tunnel].open) return errc::invalid_argument;
        const tunnel_state& t = tunnels_[tunnel];
        if (!t.ready) return errc::tunnel_bad_message;
        std::size_t n = 0;
        for (std::size_t i = 0; i < profile_count_; ++i) {
            if (!t.supports(profiles_[i])) continue;
            if (n == out.size()) return errc::buffer_too_small;
            out[n++] = profiles_[i];
        }
        if (n == 0) return errc::no_common_profile;
        return n;
    }

    /// Selects the profile for an association on `tunnel` from the endpoint's `offered` list
    /// (use_srtp, in the client's preference order, RFC 5764 §4.1.1): the first one we and
    /// the tunnel's MD both support (RFC 9185 §5.4).
    /// Errors: those of acceptable_profiles, no_common_profile.
    result<std::uint16_t> select_profile(std::size_t tunnel,
                                         std::span<const std::uint16_t> offered) const noexcept
    {
        std::array<std::uint16_t, max_profiles> ok{};
        auto n = acceptable_profiles(tunnel, ok);
        if (!n) return n.error();
        for (std::uint16_t p : offered)
            for (std::size_t i = 0; i < *n; ++i)
                if (ok[i] == p) return p;
        return errc::no_common_profile;
    }

    /// The DTLS handshake of association `id` completed with `profile_id` and the exporter
    /// output `keying_material` (RFC 5764 §4.2 layout, double keys inner ‖ outer). Writes
    /// into `media_keys_out` the MediaKeys message for the association's MD — the profile and
    /// ONLY the second (outer, hop-by-hop) halves of the client and server write keys and
    /// salts (RFC 9185 §5.4, RFC 8871 §6.2) — to send on tunnel_of(id) at once (RFC 9185
    /// §5.4: immediately after the handshake). Then send encode_ekt_key() to the endpoint.
    /// A later call for the same id (a DTLS re-handshake, RFC 8871 §4.5.2) sends new keys.
    /// Errors: unknown_association, no_common_profile (the profile is not acceptable on the
    /// association's tunnel), truncated (material of the wrong size), buffer_too_small.
    result<std::size_t> association_established(const association_id& id, std::uint16_t profile_id,
                                                bytes_view keying_material,
                                                bytes_span media_keys_out) noexcept
    {
        association* a = find(id);
        if (a == nullptr) return errc::unknown_association;
        std::array<std::uint16_t, max_profiles> ok{};
        auto n = acceptable_profiles(a->tunnel, ok);
        if (!n) return n.error();
        bool acceptable = false;
        for (std::size_t i = 0; i < *n; ++i) acceptable = acceptable || ok[i] == profile_id;
        if (!acceptable) return errc::no_common_profile;
        const profile_info* info = find_profile(profile_id);
        auto km = split_keying_material(keying_material, info->master_key_size,
                                        info->master_salt_size);
        if (!km) return km.error();
        auto cw = split_double_key(km->client_write_key, km->client_write_salt);
        auto sw = split_double_key(km->server_write_key, km->server_write_salt);
        if (!cw) return cw.error();
        if (!sw) return sw.error();
        media_keys_msg mk;
        mk.id = id;
        mk.profile = profile_id;
        mk.client_write_key = cw->outer_key;
        mk.server_write_key = sw->outer_key;
        mk.client_write_salt = cw->outer_salt;
        mk.server_write_salt = sw->outer_salt;
        auto w = encode_media_keys(mk, media_keys_out);
        if (!w) return w.error();
        a->profile = profile_id;
        return *w;
    }

    /// The association's DTLS ended (RFC 9185 §5.4: whoever ended it, the KD MUST send
    /// EndpointDisconnect): writes that message for tunnel_of(id) — call tunnel_of first —
    /// and forgets the association.
    /// Errors: unknown_association, buffer_too_small (nothing forgotten).
    result<std::size_t> disconnect(const association_id& id, bytes_span out) noexcept
    {
        association* a = find(id);
        if (a == nullptr) return errc::unknown_association;
        auto n = encode_endpoint_disconnect(id, out);
        if (!n) return n.error();
        *a = association{};
        return *n;
    }

    /// Wraps a DTLS datagram of association `id`'s server in TunneledDtls (RFC 9185 §5.4:
    /// the KD MUST wrap every DTLS message to an endpoint), for tunnel_of(id).
    /// Errors: unknown_association, and the encoder's (tunnel_bad_vector, buffer_too_small).
    result<std::size_t> wrap_dtls(const association_id& id, bytes_view datagram,
                                  bytes_span out) const noexcept
    {
        if (find(id) == nullptr) return errc::unknown_association;
        return encode_tunneled_dtls(id, datagram, out);
    }

    /// The tunnel association `id` last used. Errors: unknown_association.
    result<std::size_t> tunnel_of(const association_id& id) const noexcept
    {
        const association* a = find(id);
        if (a == nullptr) return errc::unknown_association;
        return a->tunnel;
    }

    /// The profile selected for `id` once established (0 before). Errors: unknown_association.
    result<std::uint16_t> profile_of(const association_id& id) const noexcept
    {
        const association* a = find(id);
        if (a == nullptr) return errc::unknown_association;
        return a->profile;
    }

    std::size_t association_count() const noexcept
    {
        std::size_t n = 0;
        for (const association& a : associations_) n += a.used ? 1u : 0u;
        return n;
    }

private:
    struct tunnel_state {
        bool open = false;
        bool ready = false;   ///< SupportedProfiles received
        std::uint64_t md = 0; ///< the Media Distributor at the other end (open_tunnel)
        std::array<std::uint16_t, max_profiles> profiles{};
        std::size_t profile_count = 0;
        bool supports(std::uint16_t p) const noexcept
        {
            for (std::size_t i = 0; i < profile_count; ++i)
                if (profiles[i] == p) return true;
            return false;
        }
    };
    struct association {
        bool used = false;
        association_id id{};
        std::size_t tunnel = 0;
        std::uint16_t profile = 0;
    };

    association* find(const association_id& id) noexcept
    {
        for (association& a : associations_)
            if (a.used && a.id == id) return &a;
        return nullptr;
    }
    const association* find(const association_id& id) const noexcept
    {
        for (const association& a : associations_)
            if (a.used && a.id == id) return &a;
        return nullptr;
    }
    // RFC 9185 §9: whether `a` lives on a tunnel of another MD than `t`'s (open_tunnel), so
    // that a TunneledDtls or EndpointDisconnect for it arriving on `t` must be refused.
    bool of_another_md(const association& a, const tunnel_state& t) const noexcept
    {
        return tunnels_[a.tunnel].md != t.md;
    }
    association* free_slot() noexcept
    {
        for (association& a : associations_)
            if (!a.used) return &a;
        return nullptr;
    }

    std::array<std::uint16_t, max_profiles> profiles_{};
    std::size_t profile_count_ = 0;
    ekt_cipher cipher_ = ekt_cipher::aeskw_128;
    std::uint32_t ttl_ = 0;
    secret_bytes<32> ekt_key_;
    secret_bytes<ekt_salt_size> ekt_salt_;
    std::uint16_t spi_ = 0;
    std::uint32_t generation_ = 0;
    bool initialized_ = false;
    std::array<tunnel_state, MaxTunnels> tunnels_{};
    std::array<association, MaxAssociations> associations_{};
};

} // namespace perc
