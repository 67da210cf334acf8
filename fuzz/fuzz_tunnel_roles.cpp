// perc fuzzing — the RFC 9185 procedures on arbitrary tunnel traffic: every message of the
// input stream goes to a Key Distributor (as if from its MD) and to a Media Distributor session
// (as if from its KD). Neither may crash, and a refused message must change nothing: the KD's
// associations and the MD's links (keyed or not, their profile) stay as they were.
// Input: one flag octet (bit 0: rewrite every association id to the MD's endpoint, so MediaKeys,
// TunneledDtls and EndpointDisconnect reach a known association), then the stream.
#include <perc/botan/srtp.hpp>
#include <perc/key_distributor.hpp>
#include <perc/md_session.hpp>
#include <perc/tunnel.hpp>

#include "fuzz_common.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace {

using perc::bytes_span;
using perc::bytes_view;
using perc::errc;
using perc_fuzz::require;

/// Deterministic octets, so every run builds the same association ids and EKTKey.
struct counter_random {
    std::uint8_t next = 1;
    errc fill(bytes_span out) noexcept
    {
        for (auto& b : out) b = next++;
        return errc::ok;
    }
};

struct md_snapshot {
    bool keyed[4];
    std::uint16_t profile[4];
};

md_snapshot snapshot(const perc::md_session<perc::botan::srtp_aes_128_gcm, 4>& md)
{
    md_snapshot s{};
    for (std::size_t l = 0; l < 4; ++l) {
        s.keyed[l] = md.is_keyed(l);
        s.profile[l] = md.profile(l);
    }
    return s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 1) return 0;
    const bool patch_ids = (data[0] & 1) != 0;
    const bool two_mds = (data[0] & 2) != 0; // frames alternate between two MDs' tunnels
    std::vector<std::uint8_t> stream(data + 1, data + size);

    counter_random rng;
    perc::key_distributor<2, 8> kd;
    const std::uint16_t profiles[] = {0x0009};
    require(kd.init(profiles, perc::ekt_cipher::aeskw_128, 3600, rng) == errc::ok);
    // Two tunnels, of two Media Distributors (RFC 9185 §9: neither may touch the other's
    // associations).
    auto tunnel_a = kd.open_tunnel(1);
    auto tunnel_b = kd.open_tunnel(2);
    require(tunnel_a.has_value() && tunnel_b.has_value());

    perc::md_session<perc::botan::srtp_aes_128_gcm, 4> md;
    require(md.init(profiles) == errc::ok);
    auto link = md.add_endpoint(rng);
    require(link.has_value());
    const perc::association_id id = md.association(*link);

    std::size_t at = 0;
    std::size_t frames = 0;
    while (at < stream.size()) {
        auto frame = perc::next_tunnel_frame(bytes_view{stream}.subspan(at));
        if (!frame) break;
        const std::size_t n = frame->size;
        bytes_span msg{stream.data() + at, n};
        at += n;
        const auto type = static_cast<perc::tunnel_msg_type>(msg[0]);
        if (patch_ids && n >= perc::tunnel_header_size + 16 &&
            (type == perc::tunnel_msg_type::media_keys ||
             type == perc::tunnel_msg_type::tunneled_dtls ||
             type == perc::tunnel_msg_type::endpoint_disconnect))
            for (std::size_t i = 0; i < 16; ++i) msg[perc::tunnel_header_size + i] = id[i];

        // The KD, as if the MD sent it.
        const std::size_t tunnel = two_mds && (frames++ % 2) != 0 ? *tunnel_b : *tunnel_a;
        const std::size_t before = kd.association_count();
        const auto where = kd.tunnel_of(id);
        std::array<std::uint8_t, 16> reply{};
        auto ev = kd.on_tunnel_message(tunnel, msg, reply);
        if (!ev) {
            require(kd.association_count() == before);
            const auto after = kd.tunnel_of(id); // a refused message moves nothing
            require(where.has_value() == after.has_value() && (!where || *where == *after));
        } else if (ev->kind == perc::kd_event_kind::version_refused) {
            require(ev->reply_size == perc::unsupported_version_message_size);
        } else if (ev->kind == perc::kd_event_kind::dtls_from_endpoint) {
            require(!ev->dtls.empty());
            require(kd.association_count() == before + (ev->new_association ? 1u : 0u));
        }

        // The MD, as if the KD sent it.
        const md_snapshot s = snapshot(md);
        auto mev = md.on_tunnel_message(msg);
        if (!mev) {
            const md_snapshot t = snapshot(md);
            for (std::size_t l = 0; l < 4; ++l)
                require(t.keyed[l] == s.keyed[l] && t.profile[l] == s.profile[l]);
        } else if (mev->kind == perc::md_event_kind::keys_installed) {
            require(md.is_keyed(mev->link) && md.profile(mev->link) == 0x0009);
        }
    }
    return 0;
}
