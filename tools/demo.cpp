// perc demo — a whole PERC conference in one process: a Key Distributor, one or two chained
// Media Distributors and N endpoints, wired through the library's role components
// (key_distributor, md_session, endpoint_session) and the RFC 9185 tunnel codec. Every
// packet — and every DTLS handshake, run for real with Botan — crosses the same byte-level
// interfaces a real deployment would use; only the network is simulated (datagrams move in
// memory). The run checks its own invariants and exits 1 if one fails, so `meson test` runs it.
#include "demo.hpp"

#include "pcap_writer.hpp"

#include <perc/botan/double.hpp>
#include <perc/botan/dtls_srtp.hpp>
#include <perc/botan/random.hpp>
#include <perc/botan/srtp.hpp>
#include <perc/endpoint_session.hpp>
#include <perc/key_distributor.hpp>
#include <perc/md_session.hpp>
#include <perc/tunnel.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace perc_demo {
namespace {

constexpr const char* demo_help =
    R"(usage: perc demo [--endpoints N] [--mds 1|2] [--seconds S] [--seed N]
                 [--profile P] [--pcap FILE] [--quiet]

Simulates a PERC conference in one process and prints what every party saw:
  - a Key Distributor (KD): each endpoint runs DTLS-SRTP with it (Botan DTLS 1.2, use_srtp
    with the double profile, RFC 8870 supported_ekt_ciphers), the MD carrying the datagrams
    in RFC 9185 TunneledDtls; the KD then sends the MD only the hop-by-hop key halves in
    MediaKeys, and the endpoint the EKTKey (the MD first offers tunnel version 1 and is told
    to use 0);
  - one MD, or two chained MDs with the endpoints split between them;
  - N endpoints sending audio (20 ms, ~120 octets) and video (~30 fps, ~1100 octets) with
    EKT (RFC 8870) tags, and RTCP sender reports every 500 ms;
  - the MDs forward selectively (one stream pair is never forwarded, a bandwidth-limited
    receiver loses every third video packet with SEQ renumbered), rewrite PT, the marker
    and header extensions, and every receiver recovers the original header (RFC 8723 OHB);
  - the last endpoint joins late and learns every sender's key from its first FullEKTField;
    endpoint 1 re-keys mid-call; with 4 or more endpoints endpoint 2 leaves at 3/4 of the
    call and the KD re-keys the EKTKey for everyone still there;
  - an MD tries its own hop keys on the end-to-end layer (auth_failed), and MD 1 tampers
    with a few packets (a payload octet, or the timestamp) which every receiver rejects.

options:
  --endpoints N   endpoints (2..32, default 4)
  --mds M         Media Distributors, 1 or 2 (default 1)
  --seconds S     simulated call length (1..600, default 4)
  --seed N        seed of every key and payload (default 1): same seed, same bytes
  --profile P     double-aes128-gcm (default) or double-aes256-gcm
  --pcap FILE     write every packet of every hop (UDP/IPv4) to FILE; in Wireshark enable
                  Analyze > Enabled Protocols > rtp_udp (or Decode As RTP)
  --quiet         print only the invariant checks

Exit status: 0 when every invariant held, 1 otherwise, 2 on a usage error.
)";

using bytes = std::vector<std::uint8_t>;
constexpr std::size_t npos = static_cast<std::size_t>(-1);
constexpr std::uint64_t never = ~std::uint64_t{0};

struct config {
    std::size_t endpoints = 4;
    std::size_t mds = 1;
    std::uint64_t seconds = 4;
    std::uint64_t seed = 1;
    std::uint16_t profile = 0x0009;
    std::string pcap;
    bool quiet = false;
};

template <class Outer, class Double, class Sender, class Receiver, perc::ekt_cipher Cipher>
struct suite {
    using outer = Outer;
    using md_type = perc::md_session<Outer, 64>;
    using session_type = perc::endpoint_session<Double, Sender, Receiver, 2>;
    static constexpr perc::ekt_cipher cipher = Cipher;
};
using suite_128 = suite<perc::botan::srtp_aes_128_gcm, perc::botan::double_aes_128_gcm,
                        perc::botan::ekt_sender_aes_128, perc::botan::ekt_receiver_aes_128,
                        perc::ekt_cipher::aeskw_128>;
using suite_256 = suite<perc::botan::srtp_aes_256_gcm, perc::botan::double_aes_256_gcm,
                        perc::botan::ekt_sender_aes_256, perc::botan::ekt_receiver_aes_256,
                        perc::ekt_cipher::aeskw_256>;

enum media : std::size_t { audio = 0, video = 1 };
constexpr std::uint8_t media_pt[2] = {111, 96};

/// What the simulation knows about a packet in flight; the roles never see it.
struct truth {
    std::size_t sender = 0;
    std::uint32_t ssrc = 0;
    std::uint64_t index = 0; ///< the sender's extended SEQ
    media kind = audio;
    bool tampered = false;
};

std::string hex_id(const perc::association_id& id)
{
    static const char* digits = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < id.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
        s += digits[id[i] >> 4];
        s += digits[id[i] & 15];
    }
    return s;
}

std::string ip_string(std::uint32_t ip)
{
    return std::to_string(ip >> 24) + "." + std::to_string((ip >> 16) & 255) + "." +
           std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255);
}

template <class S>
class conference {
public:
    explicit conference(const config& c)
        : cfg_(c), rng_(c.seed), payload_rng_(c.seed ^ 0x5045524355ull)
    {
    }

    int run()
    {
        if (!cfg_.pcap.empty()) {
            if (std::string err = pcap_.open(cfg_.pcap); !err.empty()) {
                std::cerr << "perc demo: " << err << "\n";
                return 2;
            }
        }
        setup();
        const std::uint64_t end_ms = cfg_.seconds * 1000;
        const std::size_t late = cfg_.endpoints - 1;
        const std::size_t rekeyer = 1;
        const std::size_t leaver = cfg_.endpoints >= 4 ? 2 : npos;
        endpoints_[late].join_ms = end_ms / 3;
        rekey_ms_ = end_ms / 2;
        if (leaver != npos) endpoints_[leaver].leave_ms = kd_rekey_ms_ = end_ms * 3 / 4;

        for (std::uint64_t t = 0; t < end_ms; ++t) {
            for (auto& e : endpoints_) {
                if (!e.joined && !e.left && t >= e.join_ms) join(e, t);
                if (e.joined && t >= e.leave_ms) leave(e, t);
            }
            if (t == rekey_ms_) {
                endpoint_node& e = endpoints_[rekeyer];
                check(e.session->rekey(rng_, t) == perc::errc::ok, "endpoint re-key");
                ++e.rekeys;
                note(t,
                     e.name + " re-keys: new end-to-end key, EKT Epoch 1, switched after 250 ms");
            }
            for (auto& e : endpoints_) {
                if (!e.joined) continue;
                const std::uint64_t local = t - e.join_ms;
                if (local % 20 == e.index % 20) send_rtp(e, audio, t);
                if ((local * 30) / 1000 != ((local + 1) * 30) / 1000) send_rtp(e, video, t);
                if (local % 500 == 250) send_rtcp(e, t);
            }
        }
        return report();
    }

private:
    using md_type = typename S::md_type;
    using session_type = typename S::session_type;

    struct endpoint_node {
        std::size_t index = 0;
        std::string name;
        udp_address addr;
        std::size_t md = 0;
        std::size_t link = npos;
        std::uint64_t join_ms = 0;
        std::uint64_t leave_ms = never;
        bool joined = false;
        bool left = false;
        std::uint32_t ssrc[2] = {0, 0};
        std::uint16_t seq[2] = {0, 0};
        std::uint64_t next_index[2] = {0, 0};
        std::uint32_t timestamp[2] = {0, 0};
        std::unique_ptr<session_type> session;
        std::unique_ptr<perc::botan::dtls_srtp> dtls; ///< its association with the KD
        bool media_keys_sent = false;
        std::uint16_t profile = 0;
        std::string association;
        // what it saw
        std::uint64_t sent[2] = {0, 0};
        std::uint64_t rtcp_sent = 0, rtcp_received = 0, dtls_datagrams = 0;
        std::uint64_t accepted = 0, tamper_rejected = 0, awaiting_key = 0, unexpected = 0;
        std::uint64_t rewrites_recovered = 0, ekt_full = 0, ekt_short = 0, keys_learned = 0;
        std::uint64_t ekt_keys = 0, rekeys = 0;
        std::map<std::uint32_t, std::uint64_t> first_ok_ms; ///< sender SSRC -> first accepted
    };
    struct md_node {
        std::string name;
        udp_address addr;
        std::unique_ptr<md_type> session;
        std::size_t tunnel = 0;
        std::uint64_t identity = 0; ///< who the KD knows this MD as (key_distributor::open_tunnel)
        std::size_t peer_link = npos;
        std::size_t peer = npos;
        std::map<std::size_t, std::size_t> endpoint_of_link;
        std::uint64_t opened = 0, from_endpoints = 0, tampered = 0, forwarded = 0, dropped = 0;
        std::uint64_t rtcp_forwarded = 0, rejected = 0;
        std::map<std::size_t, bool> gap; ///< dest link -> a packet was dropped just before
        std::vector<std::pair<std::string, perc::md_link_stats>> departed; ///< links removed
    };

    // ------------------------------------------------------------------------- set-up
    void setup()
    {
        const std::uint16_t profiles[] = {cfg_.profile};
        check(kd_.init(profiles, S::cipher, 86400, rng_) == perc::errc::ok, "KD init");
        note(0, "KD: EKTKey generated (SPI " + std::to_string(kd_.spi()) + ", " +
                    (S::cipher == perc::ekt_cipher::aeskw_128 ? "AESKW128" : "AESKW256") + ")");
        for (std::size_t i = 0; i < cfg_.mds; ++i) {
            md_node m;
            m.name = "MD-" + std::string(1, static_cast<char>('A' + i));
            m.addr = {0x0A000001u + static_cast<std::uint32_t>(i), 5004};
            m.identity = i + 1; // as the KD authenticated its TLS peer (RFC 9185 §9)
            m.session = std::make_unique<md_type>();
            perc::md_session_options o;
            o.max_streams = 2 * cfg_.endpoints + 4;
            check(m.session->init(profiles, o) == perc::errc::ok, "MD init");
            mds_.push_back(std::move(m));
        }
        for (std::size_t i = 0; i < cfg_.mds; ++i) connect_tunnel(mds_[i], i == 0);
        if (cfg_.mds == 2) connect_peers();
        for (std::size_t i = 0; i < cfg_.endpoints; ++i) {
            endpoint_node e;
            e.index = i;
            e.name = "E" + std::to_string(i);
            e.md = i % cfg_.mds;
            e.addr = {0x0A000100u + static_cast<std::uint32_t>(i + 10), 5004};
            e.ssrc[audio] = 0x1000u * static_cast<std::uint32_t>(i + 1) + 0xA;
            e.ssrc[video] = 0x1000u * static_cast<std::uint32_t>(i + 1) + 0xB;
            std::uniform_int_distribution<unsigned> d16(0, 30000);
            e.seq[audio] = static_cast<std::uint16_t>(d16(payload_rng_));
            e.seq[video] = static_cast<std::uint16_t>(d16(payload_rng_));
            endpoints_.push_back(std::move(e));
        }
    }

    // Opens a tunnel for `m` and sends its SupportedProfiles (RFC 9185 §5.3: the first
    // message); returns the KD's answer, with any reply in `reply`.
    perc::result<perc::kd_event> hello(md_node& m, bytes& reply)
    {
        // The identity binds the MD's associations to its own tunnels (RFC 9185 §9).
        auto t = kd_.open_tunnel(m.identity);
        if (!t) return t.error();
        m.tunnel = *t;
        bytes msg(64);
        auto n = m.session->tunnel_hello(msg);
        if (!n) return n.error();
        msg.resize(*n);
        count_tunnel(msg);
        reply.assign(16, 0);
        return kd_.on_tunnel_message(m.tunnel, msg, reply);
    }

    // RFC 9185 §5.5: the first MD offers version 1 to show the KD's UnsupportedVersion
    // answer, then reconnects with the version it was told.
    void connect_tunnel(md_node& m, bool try_newer_version)
    {
        bytes reply;
        if (try_newer_version) {
            m.session->set_tunnel_version(1);
            auto ev = hello(m, reply);
            check(ev && ev->kind == perc::kd_event_kind::version_refused, "KD refuses version 1");
            reply.resize(ev ? ev->reply_size : 0);
            count_tunnel(reply);
            auto mev = m.session->on_tunnel_message(reply);
            check(mev && mev->kind == perc::md_event_kind::version_refused && mev->kd_version == 0,
                  "MD learns version 0");
            note(0, m.name + " -> KD: SupportedProfiles version 1; KD -> " + m.name +
                        ": UnsupportedVersion (highest 0); tunnel closed and re-opened");
            kd_.close_tunnel(m.tunnel);
        }
        auto ev = hello(m, reply);
        check(ev && ev->kind == perc::kd_event_kind::md_profiles, "KD accepts SupportedProfiles");
        note(0, m.name + " -> KD: SupportedProfiles version " +
                    std::to_string(m.session->tunnel_version_in_use()) + " [" + profile_name() +
                    "]");
    }

    // RFC 8871 §4.5: the MD-MD hop is keyed by the two MDs' own DTLS-SRTP (not the KD); the
    // demo draws those keys from the seeded generator.
    void connect_peers()
    {
        const std::size_t k = S::outer::master_key_size, s = S::outer::master_salt_size;
        bytes ab(k), ab_salt(s), ba(k), ba_salt(s);
        check(rng_.fill(ab) == perc::errc::ok && rng_.fill(ab_salt) == perc::errc::ok &&
                  rng_.fill(ba) == perc::errc::ok && rng_.fill(ba_salt) == perc::errc::ok,
              "peer keys");
        auto a = mds_[0].session->add_peer(ba, ba_salt, ab, ab_salt);
        auto b = mds_[1].session->add_peer(ab, ab_salt, ba, ba_salt);
        check(a.has_value() && b.has_value(), "MD peer links");
        mds_[0].peer_link = *a;
        mds_[0].peer = 1;
        mds_[1].peer_link = *b;
        mds_[1].peer = 0;
        note(0, "MD-A <-> MD-B: cascaded hop keyed (their own DTLS-SRTP, RFC 8871 §4.5)");
    }

    // ----------------------------------------------------------------------- join/leave
    // The endpoint's DTLS-SRTP association with the KD (RFC 8871 §4.5.1: endpoint = DTLS
    // client, KD = DTLS server), a real DTLS 1.2 handshake (Botan) whose datagrams the MD
    // carries in RFC 9185 TunneledDtls messages. When it completes, the KD sends MediaKeys to
    // the MD (§5.4) and the EKTKey to the endpoint over the association (RFC 8870 §5.2.2;
    // carried as application data, see perc/botan/dtls_srtp.hpp); the endpoint keys itself
    // from the exporter output (RFC 5764 §4.2).
    void join(endpoint_node& e, std::uint64_t t)
    {
        md_node& m = mds_[e.md];
        auto link = m.session->add_endpoint(rng_);
        check(link.has_value(), "MD add_endpoint");
        e.link = *link;
        m.endpoint_of_link[e.link] = e.index;
        e.association = hex_id(m.session->association(e.link));

        e.dtls = std::make_unique<perc::botan::dtls_srtp>();
        perc::botan::dtls_srtp_options co;
        co.srtp_profiles = {cfg_.profile};
        co.ekt_ciphers = {S::cipher};
        check(e.dtls->start(perc::botan::dtls_role::client, co) == perc::errc::ok, "DTLS client");
        pump(e, t);
        check(e.dtls->established(), "DTLS handshake");
        check(e.media_keys_sent, "MediaKeys sent");

        // The endpoint: keys from its own exporter output, then the EKTKey.
        const std::uint16_t profile = e.dtls->srtp_profile();
        std::array<std::uint8_t, perc::max_keying_material_size> km{};
        const std::size_t km_size = perc::keying_material_size(profile);
        check(km_size != 0 && e.dtls->export_keying_material(
                                  perc::bytes_span{km.data(), km_size}) == perc::errc::ok,
              "endpoint exporter");
        e.session = std::make_unique<session_type>();
        const std::uint32_t own[] = {e.ssrc[audio], e.ssrc[video]};
        perc::endpoint_session_options opt;
        opt.max_ssrcs = 2 * cfg_.endpoints + 2;
        check(e.session->init(profile, perc::bytes_view{km.data(), km_size}, own, opt) ==
                  perc::errc::ok,
              "endpoint init");
        perc::secure_wipe(km);
        take_ekt_key(e, t);
        e.profile = profile;
        e.joined = true;
        note(t, e.name + " joins via " + m.name + ": DTLS-SRTP with the KD through the tunnel (" +
                    std::to_string(e.dtls_datagrams) + " datagrams), association " + e.association);
    }

    // Moves DTLS datagrams endpoint <-> MD <-> tunnel <-> KD until both sides are quiet.
    void pump(endpoint_node& e, std::uint64_t t)
    {
        md_node& m = mds_[e.md];
        const perc::association_id& id = m.session->association(e.link);
        for (bool moved = true; moved;) {
            moved = false;
            while (auto d = e.dtls->next_datagram()) {
                moved = true;
                ++e.dtls_datagrams;
                pcap_write(t, e.addr, m.addr, *d);
                bytes msg(d->size() + perc::tunneled_dtls_prefix_size);
                auto n = m.session->wrap_dtls(e.link, *d, msg);
                check(n.has_value(), "TunneledDtls");
                msg.resize(*n);
                count_tunnel(msg);
                bytes reply(16);
                auto ev = kd_.on_tunnel_message(m.tunnel, msg, reply);
                check(ev && ev->kind == perc::kd_event_kind::dtls_from_endpoint, "KD gets DTLS");
                if (!ev) continue;
                auto& server = kd_servers_[hex_id(ev->id)];
                if (ev->new_association) {
                    // RFC 9185 §5.4: only profiles the KD, the MD and the endpoint support.
                    std::array<std::uint16_t, 8> ok{};
                    auto k = kd_.acceptable_profiles(m.tunnel, ok);
                    check(k.has_value(), "acceptable profiles");
                    perc::botan::dtls_srtp_options so;
                    so.srtp_profiles.assign(
                        ok.begin(), ok.begin() + static_cast<std::ptrdiff_t>(k.value_or(0)));
                    so.ekt_ciphers = {kd_.cipher()};
                    server = std::make_unique<perc::botan::dtls_srtp>();
                    check(server->start(perc::botan::dtls_role::server, so) == perc::errc::ok,
                          "DTLS server");
                }
                if (server) (void)server->receive(ev->dtls);
            }
            auto& server = kd_servers_[hex_id(id)];
            if (!server) continue;
            if (server->established() && !e.media_keys_sent) {
                // RFC 9185 §5.4: MediaKeys right after the handshake, outer halves only.
                const std::uint16_t profile = server->srtp_profile();
                std::array<std::uint8_t, perc::max_keying_material_size> km{};
                const perc::bytes_span material{km.data(), perc::keying_material_size(profile)};
                check(server->export_keying_material(material) == perc::errc::ok, "KD exporter");
                bytes mk(perc::key_distributor<>::max_media_keys_size);
                auto mkn = kd_.association_established(id, profile, material, mk);
                perc::secure_wipe(km);
                check(mkn.has_value(), "MediaKeys");
                mk.resize(mkn.value_or(0));
                count_tunnel(mk);
                auto mev = m.session->on_tunnel_message(mk);
                check(mev && mev->kind == perc::md_event_kind::keys_installed &&
                          mev->link == e.link,
                      "MD installs MediaKeys");
                e.media_keys_sent = true;
                send_ekt_key(*server);
            }
            while (auto d = server->next_datagram()) {
                moved = true;
                bytes msg(d->size() + perc::tunneled_dtls_prefix_size);
                auto n = kd_.wrap_dtls(id, *d, msg);
                check(n.has_value(), "TunneledDtls to endpoint");
                msg.resize(n.value_or(0));
                count_tunnel(msg);
                auto dev = m.session->on_tunnel_message(msg);
                check(dev && dev->kind == perc::md_event_kind::dtls_to_endpoint &&
                          dev->link == e.link,
                      "MD delivers DTLS");
                if (!dev) continue;
                const bytes datagram(dev->dtls.begin(), dev->dtls.end());
                pcap_write(t, m.addr, e.addr, datagram);
                ++e.dtls_datagrams;
                (void)e.dtls->receive(datagram);
            }
        }
    }

    void send_ekt_key(perc::botan::dtls_srtp& server)
    {
        std::array<std::uint8_t, perc::key_distributor<>::max_ekt_key_message_size> body{};
        auto n = kd_.encode_ekt_key(body);
        check(n.has_value(), "EKTKey message");
        auto msg = perc::decode_ekt_key_message(perc::bytes_view{body.data(), n.value_or(0)});
        check(msg.has_value() && server.send_ekt_key(*msg) == perc::errc::ok, "EKTKey sent");
        perc::secure_wipe(body);
    }

    // The EKTKey the endpoint's DTLS association delivered (RFC 8870 §5.2.2).
    void take_ekt_key(endpoint_node& e, std::uint64_t t)
    {
        auto body = e.dtls->received_ekt_key();
        auto cipher = e.dtls->negotiated_ekt_cipher();
        check(body.has_value() && cipher.has_value(), "EKTKey received over DTLS");
        if (!body || !cipher) return;
        check(e.session->on_ekt_key(*body, *cipher, rng_, t) == perc::errc::ok,
              "endpoint takes the EKTKey");
        perc::secure_wipe(*body);
        ++e.ekt_keys;
    }

    // RFC 9185 §5.3: the MD notices the endpoint left and tells the KD; the KD re-keys the
    // EKTKey for everyone still in the call (RFC 8871 §6.3: expect a re-key on leave).
    void leave(endpoint_node& e, std::uint64_t t)
    {
        md_node& m = mds_[e.md];
        bytes msg(64);
        m.departed.emplace_back(e.name + " (left)", m.session->stats(e.link));
        auto n = m.session->disconnect(e.link, msg);
        check(n.has_value(), "EndpointDisconnect");
        msg.resize(*n);
        count_tunnel(msg);
        bytes reply(16);
        auto ev = kd_.on_tunnel_message(m.tunnel, msg, reply);
        check(ev && ev->kind == perc::kd_event_kind::endpoint_disconnected, "KD sees the leave");
        m.endpoint_of_link.erase(e.link);
        e.joined = false;
        e.left = true;
        e.session.reset();
        kd_servers_.erase(e.association);
        e.dtls.reset();
        check(kd_.rekey(rng_) == perc::errc::ok, "KD re-key");
        for (auto& other : endpoints_) {
            if (!other.joined) continue;
            send_ekt_key(*kd_servers_[other.association]);
            pump(other, t);
            take_ekt_key(other, t);
        }
        note(t, e.name + " leaves; " + m.name +
                    " -> KD: EndpointDisconnect; KD re-keys the EKTKey (SPI " +
                    std::to_string(kd_.spi()) + ") for the " + std::to_string(joined_count()) +
                    " endpoints left, each announces a new end-to-end key");
    }

    // ------------------------------------------------------------------------- media
    bytes build_rtp(endpoint_node& e, media k)
    {
        std::uniform_int_distribution<int> size_d(k == audio ? 90 : 900, k == audio ? 150 : 1200);
        std::uniform_int_distribution<int> byte_d(0, 255);
        const std::size_t payload = static_cast<std::size_t>(size_d(payload_rng_));
        bytes p(12 + 8 + payload);
        p[0] = 0x90; // V=2, X=1, CC=0
        p[1] = media_pt[k];
        p[2] = static_cast<std::uint8_t>(e.seq[k] >> 8);
        p[3] = static_cast<std::uint8_t>(e.seq[k]);
        e.timestamp[k] += k == audio ? 960u : 3000u;
        for (int i = 0; i < 4; ++i) {
            p[4 + static_cast<std::size_t>(i)] =
                static_cast<std::uint8_t>(e.timestamp[k] >> (24 - 8 * i));
            p[8 + static_cast<std::size_t>(i)] =
                static_cast<std::uint8_t>(e.ssrc[k] >> (24 - 8 * i));
        }
        // RFC 8285 one-byte block, one word: audio level (RFC 6464, id 1) or video orientation
        // (id 4), then padding.
        p[12] = 0xBE;
        p[13] = 0xDE;
        p[14] = 0x00;
        p[15] = 0x01;
        p[16] = k == audio ? 0x10 : 0x40;
        p[17] = static_cast<std::uint8_t>(byte_d(payload_rng_) & 0x7F);
        for (std::size_t i = 0; i < payload; ++i)
            p[20 + i] = static_cast<std::uint8_t>(byte_d(payload_rng_));
        return p;
    }

    void send_rtp(endpoint_node& e, media k, std::uint64_t t)
    {
        bytes plain = build_rtp(e, k);
        const bool key_frame = k == video && e.sent[video] % 60 == 0;
        bytes wire(plain.size() + session_type::protect_overhead);
        auto r = e.session->protect_rtp(plain, wire, t, key_frame);
        check(r.has_value(), "protect_rtp");
        wire.resize(r->size());
        truth tr{e.index, e.ssrc[k], e.next_index[k], k, false};
        sent_[{tr.ssrc, tr.index}] = plain;
        for (auto& d : endpoints_)
            if (d.joined && d.index != e.index) ++intended_[{d.index, tr.ssrc}];
        ++e.sent[k];
        ++e.seq[k];
        ++e.next_index[k];
        md_node& m = mds_[e.md];
        pcap_write(t, e.addr, m.addr, wire);
        md_receive(e.md, e.link, wire, tr, t);
    }

    // The MD's job for one packet: open once, then forward to each destination with its own
    // rewrite — or drop it for that destination.
    void md_receive(std::size_t md_index, std::size_t from, const bytes& wire, truth tr,
                    std::uint64_t t)
    {
        md_node& m = mds_[md_index];
        bytes scratch = wire;
        auto opened = m.session->open_rtp(from, wire, scratch);
        if (!opened) {
            ++m.rejected;
            fail(m.name + " rejected a packet on its incoming hop: " +
                 std::string(perc::to_string(opened.error())));
            return;
        }
        ++m.opened;
        const bool from_endpoint = from != m.peer_link;
        if (from_endpoint) {
            ++m.from_endpoints;
            if (!md_tried_) try_end_to_end(m, from, *opened);
            // MD-A misbehaves now and then: a payload octet, or the timestamp.
            if (md_index == 0 && m.from_endpoints % 150 == 75) {
                if (m.tampered % 2 == 0) opened->packet[opened->header_size + 3] ^= 0x01;
                else opened->packet[7] ^= 0x01;
                tr.tampered = true;
                ++m.tampered;
            }
        }
        for (auto& [link, dest] : m.endpoint_of_link) {
            if (dest == tr.sender) continue;
            endpoint_node& d = endpoints_[dest];
            std::optional<perc::relay_changes> ch = policy(m, d, tr);
            if (!ch) {
                check(m.session->skip_rtp(*opened, link) == perc::errc::ok, "skip_rtp");
                m.gap[link] = true;
                ++m.dropped;
                ++dropped_[{d.index, tr.ssrc}];
                continue;
            }
            bytes out(wire.size() + md_type::relay_growth + 64);
            auto f = m.session->forward_rtp(*opened, link, out, *ch);
            if (!f) {
                fail(m.name + " could not forward to " + d.name + ": " +
                     std::string(perc::to_string(f.error())));
                continue;
            }
            ++m.forwarded;
            out.resize(f->packet.size());
            pcap_write(t, m.addr, d.addr, out);
            endpoint_receive(d, out, tr, t);
        }
        // Cascade: packets of this MD's endpoints go to the other MD (never back).
        if (from_endpoint && m.peer_link != npos) {
            perc::relay_changes ch;
            if (tr.kind == video) ch.payload_type = 98; // the cascade maps video PT 96 -> 98
            bytes out(wire.size() + md_type::relay_growth + 64);
            auto f = m.session->forward_rtp(*opened, m.peer_link, out, ch);
            if (!f) {
                fail(m.name +
                     " could not forward to its peer: " + std::string(perc::to_string(f.error())));
                return;
            }
            ++m.forwarded;
            out.resize(f->packet.size());
            md_node& p = mds_[m.peer];
            pcap_write(t, m.addr, p.addr, out);
            md_receive(m.peer, p.peer_link, out, tr, t);
        }
    }

    // Selective forwarding and rewrites (RFC 8723 §5.2): nullopt drops the packet for `d`.
    std::optional<perc::relay_changes> policy(md_node& m, const endpoint_node& d, const truth& tr)
    {
        // One pair of endpoints never sees each other's video (e.g. off-screen tiles).
        if (tr.kind == video && (d.index + tr.sender) % 4 == 3) return std::nullopt;
        // E0 is bandwidth-limited: it loses every third video packet (SEQ renumbered).
        if (tr.kind == video && d.index == 0 && tr.index % 3 == 2) return std::nullopt;
        perc::relay_changes ch;
        // Odd endpoints negotiated another audio PT with their MD.
        if (tr.kind == audio && d.index % 2 == 1) ch.payload_type = 109;
        // After a gap the MD sets the marker so the receiver's jitter buffer resyncs.
        if (auto it = m.gap.find(d.link); it != m.gap.end() && it->second && tr.kind == video) {
            ch.marker = true;
            it->second = false;
        }
        // Audio: the MD writes its own audio-level element; E2 gets video without extensions.
        if (tr.kind == audio) {
            ch.extension = perc::relay_changes::extension_action::replace;
            ch.extension_body = perc::bytes_view{audio_level_ext_.data(), audio_level_ext_.size()};
        } else if (d.index == 2) {
            ch.extension = perc::relay_changes::extension_action::remove;
        }
        return ch;
    }

    void endpoint_receive(endpoint_node& d, const bytes& wire, const truth& tr, std::uint64_t t)
    {
        bytes out(wire.size());
        auto r = d.session->unprotect_rtp(wire, out, t);
        ++outcomes_[{d.index, tr.ssrc}];
        if (r) {
            if (r->ekt.kind == perc::ekt_kind::full_field) ++d.ekt_full;
            else if (r->ekt.kind == perc::ekt_kind::short_field) ++d.ekt_short;
        }
        if (!r) {
            const perc::errc e = r.error();
            const bool learned = d.first_ok_ms.count(tr.ssrc) != 0;
            if (tr.tampered &&
                (e == perc::errc::auth_failed || (e == perc::errc::no_key && !learned))) {
                ++d.tamper_rejected;
                ++tamper_caught_;
                if (e == perc::errc::auth_failed) ++tamper_auth_failed_;
            } else if (e == perc::errc::no_key && !learned) {
                ++d.awaiting_key;
            } else {
                ++d.unexpected;
                fail(d.name + " rejected a packet of SSRC " + std::to_string(tr.ssrc) + " (index " +
                     std::to_string(tr.index) + "): " + std::string(perc::to_string(e)));
            }
            if (tr.tampered) ++tamper_delivered_;
            return;
        }
        if (tr.tampered) {
            ++tamper_delivered_;
            fail(d.name + " ACCEPTED a tampered packet");
        }
        if (r->ekt.event == perc::ekt_event::new_key) {
            ++d.keys_learned;
            if (t >= rekey_ms_ && t < kd_rekey_ms_ && tr.sender == 1) ++rekey_followed_[d.index];
        }
        if (!d.first_ok_ms.count(tr.ssrc)) d.first_ok_ms[tr.ssrc] = t;
        const auto& media_out = r->media;
        if (media_out.original.payload_type != media_out.outer.payload_type ||
            media_out.original.seq != media_out.outer.seq ||
            media_out.original.marker != media_out.outer.marker)
            ++d.rewrites_recovered;
        // Invariant 1: what was accepted is what was sent (the end-to-end protected parts:
        // the header without the extension, original PT/SEQ/M, and the payload).
        const bytes& sent = sent_[{tr.ssrc, tr.index}];
        const std::size_t base = 12;
        bool same = media_out.packet.size() - media_out.header_size == sent.size() - 20;
        for (std::size_t i = 0; same && i < base; ++i) {
            const std::uint8_t a = i == 0 ? (media_out.packet[0] & 0xEF) : media_out.packet[i];
            const std::uint8_t b = i == 0 ? (sent[0] & 0xEF) : sent[i];
            same = a == b;
        }
        for (std::size_t i = 0; same && i < sent.size() - 20; ++i)
            same = media_out.packet[media_out.header_size + i] == sent[20 + i];
        if (!same) {
            fail(d.name + " accepted a packet that differs from what was sent");
            ++d.unexpected;
            return;
        }
        ++d.accepted;
    }

    // The MD holds only hop-by-hop keys; applying them to the end-to-end layer fails.
    void try_end_to_end(md_node& m, std::size_t from, const perc::md_opened& o)
    {
        md_tried_ = true;
        auto* link = m.session->link(from);
        bytes synthetic(o.packet.begin(), o.packet.begin() + 12);
        synthetic[0] = static_cast<std::uint8_t>(synthetic[0] & 0xEF);
        const perc::bytes_view inner{o.packet.data() + o.header_size, o.inner_size};
        bytes out(o.inner_size);
        const perc::errc a =
            link->receive_transform().open_rtp(o.ssrc, o.wire.seq, perc::aad_view{synthetic}, inner,
                                               perc::bytes_span{out}.first(o.inner_size - 16));
        const perc::errc b =
            link->send_transform().open_rtp(o.ssrc, o.wire.seq, perc::aad_view{synthetic}, inner,
                                            perc::bytes_span{out}.first(o.inner_size - 16));
        md_decrypt_[0] = a;
        md_decrypt_[1] = b;
    }

    // ------------------------------------------------------------------------- RTCP
    void send_rtcp(endpoint_node& e, std::uint64_t t)
    {
        bytes sr(28, 0);
        sr[0] = 0x80;
        sr[1] = 200; // SR
        sr[3] = 6;
        for (int i = 0; i < 4; ++i) {
            sr[4 + static_cast<std::size_t>(i)] =
                static_cast<std::uint8_t>(e.ssrc[audio] >> (24 - 8 * i));
            sr[16 + static_cast<std::size_t>(i)] =
                static_cast<std::uint8_t>(e.timestamp[audio] >> (24 - 8 * i));
            sr[20 + static_cast<std::size_t>(i)] =
                static_cast<std::uint8_t>(e.sent[audio] >> (24 - 8 * i));
        }
        sr[11] = static_cast<std::uint8_t>(t);
        bytes wire(sr.size() + 64);
        auto r = e.session->protect_rtcp(sr, wire);
        check(r.has_value(), "protect_rtcp");
        wire.resize(r->size());
        ++e.rtcp_sent;
        pcap_write(t, e.addr, mds_[e.md].addr, wire);
        md_rtcp(e.md, e.link, wire, e.index, sr, t);
    }

    void md_rtcp(std::size_t md_index, std::size_t from, const bytes& wire, std::size_t sender,
                 const bytes& expected, std::uint64_t t)
    {
        md_node& m = mds_[md_index];
        bytes plain(wire.size());
        auto p = m.session->open_rtcp(from, wire, plain);
        if (!p) {
            fail(m.name + " rejected RTCP: " + std::string(perc::to_string(p.error())));
            return;
        }
        const bytes report(p->begin(), p->end());
        for (auto& [link, dest] : m.endpoint_of_link) {
            if (dest == sender) continue;
            bytes out(report.size() + 64);
            auto f = m.session->forward_rtcp(report, link, out);
            if (!f) {
                fail(m.name +
                     " could not forward RTCP: " + std::string(perc::to_string(f.error())));
                continue;
            }
            ++m.rtcp_forwarded;
            out.resize(f->size());
            endpoint_node& d = endpoints_[dest];
            pcap_write(t, m.addr, d.addr, out);
            bytes got(out.size());
            auto u = d.session->unprotect_rtcp(out, got);
            if (!u || !std::equal(u->begin(), u->end(), expected.begin(), expected.end()))
                fail(d.name + " did not get the RTCP that was sent");
            else ++d.rtcp_received;
        }
        if (from != m.peer_link && m.peer_link != npos) {
            bytes out(report.size() + 64);
            auto f = m.session->forward_rtcp(report, m.peer_link, out);
            if (!f) {
                fail(m.name + " could not forward RTCP to its peer");
                return;
            }
            out.resize(f->size());
            md_node& p2 = mds_[m.peer];
            pcap_write(t, m.addr, p2.addr, out);
            md_rtcp(m.peer, p2.peer_link, out, sender, expected, t);
        }
    }

    // ------------------------------------------------------------------------- report
    int report()
    {
        const std::size_t late = cfg_.endpoints - 1;
        // Invariant 3: nothing lost except on purpose.
        std::uint64_t lost = 0;
        for (auto& [key, n] : intended_) {
            const std::uint64_t got = outcomes_[key] + dropped_[key];
            if (got != n) lost += n > got ? n - got : got - n;
        }
        // Invariant 4: the late joiner decrypted every sender from its first FullEKTField on.
        const endpoint_node& lj = endpoints_[late];
        std::size_t late_senders = 0, late_decrypted = 0;
        for (const auto& [key, n] : outcomes_) {
            if (key.first != late || n == 0) continue;
            ++late_senders;
            late_decrypted += lj.first_ok_ms.count(key.second);
        }
        // Invariant 5: every receiver of the re-keying endpoint learned its new key.
        std::size_t followers = 0, receivers = 0;
        for (const auto& e : endpoints_) {
            if (e.index == 1 || e.left) continue;
            ++receivers;
            if (rekey_followed_[e.index] > 0) ++followers;
        }

        if (!cfg_.quiet) print_summary();

        std::printf("\nInvariants\n");
        auto line = [&](bool ok, const std::string& s) {
            std::printf("  [%s] %s\n", ok ? "ok" : "FAILED", s.c_str());
            all_ok_ = all_ok_ && ok;
        };
        std::uint64_t accepted = 0, unexpected = 0;
        for (const auto& e : endpoints_) {
            accepted += e.accepted;
            unexpected += e.unexpected;
        }
        line(unexpected == 0, std::to_string(accepted) +
                                  " packets accepted, each equal to what its sender sent; " +
                                  std::to_string(unexpected) + " unexpected rejections");
        line(md_decrypt_[0] == perc::errc::auth_failed && md_decrypt_[1] == perc::errc::auth_failed,
             "an MD applying its hop keys to the end-to-end layer gets " +
                 std::string(perc::to_string(md_decrypt_[0])) + " / " +
                 std::string(perc::to_string(md_decrypt_[1])));
        line(tamper_delivered_ > 0 && tamper_caught_ == tamper_delivered_,
             std::to_string(mds_[0].tampered) + " packets tampered by " + mds_[0].name + ": " +
                 std::to_string(tamper_caught_) + " of " + std::to_string(tamper_delivered_) +
                 " deliveries rejected (" + std::to_string(tamper_auth_failed_) + " auth_failed" +
                 (tamper_auth_failed_ == tamper_caught_
                      ? std::string(")")
                      : ", " + std::to_string(tamper_caught_ - tamper_auth_failed_) +
                            " no_key: the receiver did not have the sender's key yet)"));
        line(lost == 0, "no packet lost except the " + std::to_string(total_dropped()) +
                            " the MDs dropped on purpose (" + std::to_string(lost) +
                            " unaccounted)");
        line(late_senders > 0 && late_decrypted == late_senders,
             lj.name + " (late joiner) decrypted " + std::to_string(late_decrypted) + " of " +
                 std::to_string(late_senders) + " streams from their first FullEKTField on; " +
                 std::to_string(lj.awaiting_key) +
                 " earlier packets waited (no_key), none failed after");
        line(receivers > 0 && followers == receivers,
             std::to_string(followers) + " of " + std::to_string(receivers) +
                 " receivers followed E1's re-key (new key from EKT, old key during the overlap)");
        if (!failures_.empty()) {
            std::printf("\nFirst failures:\n");
            for (std::size_t i = 0; i < failures_.size() && i < 10; ++i)
                std::printf("  %s\n", failures_[i].c_str());
        }
        if (pcap_.is_open()) {
            pcap_.close();
            std::printf("\npcap: %zu packets written to %s\n", pcap_.records(), cfg_.pcap.c_str());
        }
        std::printf("\n%s\n", all_ok_ ? "All invariants held." : "INVARIANT FAILED.");
        return all_ok_ ? 0 : 1;
    }

    void print_summary()
    {
        std::printf("\nPERC conference: %zu endpoints, %zu Media Distributor%s, %llu s simulated, "
                    "seed %llu, %s\n",
                    cfg_.endpoints, cfg_.mds, cfg_.mds == 1 ? "" : "s",
                    static_cast<unsigned long long>(cfg_.seconds),
                    static_cast<unsigned long long>(cfg_.seed), profile_name().c_str());
        std::printf("\nEvents\n");
        for (const auto& ev : events_) std::printf("  %s\n", ev.c_str());
        std::printf("\nTunnel (RFC 9185) messages: ");
        const char* names[] = {"",          "SupportedProfiles", "UnsupportedVersion",
                               "MediaKeys", "TunneledDtls",      "EndpointDisconnect"};
        bool first = true;
        for (std::size_t i = 1; i < 6; ++i) {
            std::printf("%s%s %llu", first ? "" : ", ", names[i],
                        static_cast<unsigned long long>(tunnel_count_[i]));
            first = false;
        }
        std::printf("\n\nEndpoints         sent            received        rejected          "
                    "rewrites  EKT (RFC 8870)\n");
        std::printf("                  audio video rtcp  accepted rtcp   tampered no_key   "
                    "recovered Full  keys learned\n");
        for (const auto& e : endpoints_) {
            std::printf(
                "  %-4s %-10s %5llu %5llu %4llu  %8llu %4llu   %8llu %6llu   %9llu %5llu %4llu\n",
                e.name.c_str(), status(e).c_str(), static_cast<unsigned long long>(e.sent[audio]),
                static_cast<unsigned long long>(e.sent[video]),
                static_cast<unsigned long long>(e.rtcp_sent),
                static_cast<unsigned long long>(e.accepted),
                static_cast<unsigned long long>(e.rtcp_received),
                static_cast<unsigned long long>(e.tamper_rejected),
                static_cast<unsigned long long>(e.awaiting_key),
                static_cast<unsigned long long>(e.rewrites_recovered),
                static_cast<unsigned long long>(e.ekt_full),
                static_cast<unsigned long long>(e.keys_learned));
        }
        std::printf("\nHops          incoming: authenticated rejected   outgoing: forwarded "
                    "dropped  rtcp\n");
        auto hop = [](const std::string& who, const perc::md_link_stats& st) {
            std::printf("    %-12s %24llu %8llu %20llu %7llu %5llu\n", who.c_str(),
                        static_cast<unsigned long long>(st.rtp_received),
                        static_cast<unsigned long long>(st.rtp_rejected),
                        static_cast<unsigned long long>(st.rtp_forwarded),
                        static_cast<unsigned long long>(st.rtp_dropped),
                        static_cast<unsigned long long>(st.rtcp_forwarded));
        };
        for (const auto& m : mds_) {
            std::printf("  %s (%s)\n", m.name.c_str(), ip_string(m.addr.ip).c_str());
            for (std::size_t l = 0; l < 64; ++l) {
                const perc::md_link_stats st = m.session->stats(l);
                if (st.rtp_received + st.rtp_forwarded + st.rtp_dropped + st.rtcp_forwarded == 0)
                    continue;
                std::string who = l == m.peer_link ? mds_[m.peer].name : "?";
                if (auto it = m.endpoint_of_link.find(l); it != m.endpoint_of_link.end())
                    who = endpoints_[it->second].name;
                hop(who, st);
            }
            for (const auto& [who, st] : m.departed) hop(who, st);
            std::printf("    %s tampered with %llu packets\n", m.name.c_str(),
                        static_cast<unsigned long long>(m.tampered));
        }
    }

    std::string status(const endpoint_node& e) const
    {
        if (e.left) return "left";
        if (e.join_ms > 0) return "late";
        if (e.rekeys > 0) return "re-keyed";
        return "";
    }

    // ------------------------------------------------------------------------- helpers
    void count_tunnel(const bytes& msg)
    {
        auto m = perc::next_tunnel_message(msg);
        check(m.has_value(), "tunnel framing");
        if (m) ++tunnel_count_[static_cast<std::size_t>(m->type)];
    }
    void pcap_write(std::uint64_t t_ms, udp_address from, udp_address to, const bytes& b)
    {
        if (!pcap_.is_open()) return;
        // Packets of one simulated millisecond are spread 1 µs apart, in the order sent.
        if (t_ms != pcap_ms_) {
            pcap_ms_ = t_ms;
            pcap_sub_us_ = 0;
        }
        pcap_.write(t_ms * 1000 + std::min<std::uint64_t>(pcap_sub_us_++, 999), from, to, b.data(),
                    b.size());
    }
    std::string profile_name() const { return std::string(perc::find_profile(cfg_.profile)->name); }
    std::size_t joined_count() const
    {
        std::size_t n = 0;
        for (const auto& e : endpoints_) n += e.joined ? 1u : 0u;
        return n;
    }
    std::uint64_t total_dropped() const
    {
        std::uint64_t n = 0;
        for (const auto& [k, v] : dropped_) n += v;
        return n;
    }
    void note(std::uint64_t t, const std::string& s)
    {
        char ts[32];
        std::snprintf(ts, sizeof ts, "%6.3f s  ", static_cast<double>(t) / 1000.0);
        events_.push_back(ts + s);
    }
    void check(bool ok, const char* what)
    {
        if (!ok) fail(std::string("step failed: ") + what);
    }
    void fail(const std::string& s)
    {
        all_ok_ = false;
        failures_.push_back(s);
    }

    config cfg_;
    perc::botan::seeded_random rng_;
    std::mt19937_64 payload_rng_;
    perc::key_distributor<> kd_;
    /// The KD's side of each DTLS association, by association id.
    std::map<std::string, std::unique_ptr<perc::botan::dtls_srtp>> kd_servers_;
    std::vector<md_node> mds_;
    std::vector<endpoint_node> endpoints_;
    pcap_writer pcap_;
    std::uint64_t pcap_ms_ = 0, pcap_sub_us_ = 0;
    std::uint64_t rekey_ms_ = never;
    std::uint64_t kd_rekey_ms_ = never;
    std::map<std::pair<std::uint32_t, std::uint64_t>, bytes> sent_;
    std::map<std::pair<std::size_t, std::uint32_t>, std::uint64_t> intended_, dropped_, outcomes_;
    std::map<std::size_t, std::uint64_t> rekey_followed_;
    std::uint64_t tamper_delivered_ = 0, tamper_caught_ = 0, tamper_auth_failed_ = 0;
    std::array<std::uint64_t, 6> tunnel_count_{};
    std::array<std::uint8_t, 4> audio_level_ext_{0x10, 0x2A, 0x00, 0x00};
    bool md_tried_ = false;
    perc::errc md_decrypt_[2] = {perc::errc::ok, perc::errc::ok};
    std::vector<std::string> events_;
    std::vector<std::string> failures_;
    bool all_ok_ = true;
};

bool parse_number(const std::string& s, std::uint64_t lo, std::uint64_t hi, std::uint64_t& v)
{
    if (s.empty() || s.size() > 19) return false;
    std::uint64_t x = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        x = x * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (x < lo || x > hi) return false;
    v = x;
    return true;
}

} // namespace

int run_demo(int argc, char** argv)
{
    config cfg;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--help" || a == "-h") {
            std::cout << demo_help;
            return 0;
        }
        if (a == "--quiet") {
            cfg.quiet = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << "perc demo: "
                      << (a.rfind("--", 0) == 0 ? a + " needs a value" : "unexpected " + a)
                      << "\n\n"
                      << demo_help;
            return 2;
        }
        const std::string v = argv[++i];
        std::uint64_t n = 0;
        if (a == "--endpoints" && parse_number(v, 2, 32, n)) cfg.endpoints = n;
        else if (a == "--mds" && parse_number(v, 1, 2, n)) cfg.mds = n;
        else if (a == "--seconds" && parse_number(v, 1, 600, n)) cfg.seconds = n;
        else if (a == "--seed" && parse_number(v, 0, ~std::uint64_t{0} >> 1, n)) cfg.seed = n;
        else if (a == "--pcap") cfg.pcap = v;
        else if (a == "--profile" && (v == "double-aes128-gcm" || v == "double-aes256-gcm"))
            cfg.profile = v == "double-aes128-gcm" ? 0x0009 : 0x000A;
        else {
            std::cerr << "perc demo: bad option " << a << " " << v << "\n\n" << demo_help;
            return 2;
        }
    }
    if (cfg.mds > cfg.endpoints) cfg.mds = cfg.endpoints;
    if (cfg.profile == 0x0009) return conference<suite_128>(cfg).run();
    return conference<suite_256>(cfg).run();
}

} // namespace perc_demo
