// Issue #5: the PERC conference roles on the Botan backend — perc::key_distributor (RFC 8871
// §6, RFC 9185 §5.4/§5.5), perc::md_session (RFC 9185 §5.3, RFC 8723 §5.2) and
// perc::endpoint_session (RFC 8871 §4.5, RFC 8870 §4.3) — each alone with its documented
// errors ("on error nothing changes" checked after each), then wired together only by real
// RFC 9185 tunnel message bytes as tools/demo.cpp does: one KD, one MD, three endpoints, MD
// rewrites of PT/SEQ/M/extensions recovered end to end, selective forwarding with SEQ
// renumbering, an EKT late joiner, endpoint and KD re-keys, RTCP, and a tampering MD.
// Also perc/botan/random.hpp and media_distributor::open_rtcp / forward_rtcp.
#include <perc/key_distributor.hpp>

#include <perc/botan/double.hpp>
#include <perc/botan/random.hpp>
#include <perc/botan/srtp.hpp>
#include <perc/endpoint_session.hpp>
#include <perc/md_session.hpp>
#include <perc/media_distributor.hpp>
#include <perc/srtp_session.hpp>
#include <perc/tunnel.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

using namespace perc_test;
using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

namespace {

template <class T>
std::string status(const perc::result<T>& r)
{
    return r ? std::string{"ok"} : name(r.error());
}

std::string hex(bytes_view v)
{
    return to_hex(v);
}

std::uint8_t hi(std::uint16_t v)
{
    return static_cast<std::uint8_t>(v >> 8);
}
std::uint8_t lo(std::uint16_t v)
{
    return static_cast<std::uint8_t>(v & 0xFF);
}

/// One double profile with everything that goes with it.
template <class Outer, class Double, class Sender, class Receiver, perc::ekt_cipher Cipher,
          perc::ekt_cipher OtherCipher, std::uint16_t Profile, std::uint16_t OtherProfile>
struct role_suite {
    using outer = Outer;
    using double_type = Double;
    using session_type = perc::endpoint_session<Double, Sender, Receiver, 2>;
    using md_type = perc::md_session<Outer, 8>;
    static constexpr perc::ekt_cipher cipher = Cipher;
    static constexpr perc::ekt_cipher other_cipher = OtherCipher;
    static constexpr std::uint16_t profile = Profile;
    static constexpr std::uint16_t other_profile = OtherProfile; ///< the other double profile
    static constexpr std::size_t outer_key_size = Outer::master_key_size;
    static constexpr std::size_t double_key_size = 2 * Outer::master_key_size; ///< inner ‖ outer
};
using suite_128 =
    role_suite<perc::botan::srtp_aes_128_gcm, perc::botan::double_aes_128_gcm,
               perc::botan::ekt_sender_aes_128, perc::botan::ekt_receiver_aes_128,
               perc::ekt_cipher::aeskw_128, perc::ekt_cipher::aeskw_256, 0x0009, 0x000A>;
using suite_256 =
    role_suite<perc::botan::srtp_aes_256_gcm, perc::botan::double_aes_256_gcm,
               perc::botan::ekt_sender_aes_256, perc::botan::ekt_receiver_aes_256,
               perc::ekt_cipher::aeskw_256, perc::ekt_cipher::aeskw_128, 0x000A, 0x0009>;
#define ROLE_SUITES suite_128, suite_256

/// A random source that always fails (a broken backend).
struct failing_random {
    errc fill(bytes_span) noexcept { return errc::backend_failure; }
};
/// Succeeds `good` times, then fails: an error after some randomness was already drawn.
struct flaky_random {
    perc::botan::seeded_random inner;
    int good;
    flaky_random(std::uint64_t seed, int n) : inner(seed), good(n) {}
    errc fill(bytes_span out) noexcept
    {
        if (good <= 0) return errc::backend_failure;
        --good;
        return inner.fill(out);
    }
};
static_assert(perc::random_source<failing_random>);
static_assert(perc::random_source<flaky_random>);

bytes random_bytes(perc::botan::seeded_random& r, std::size_t n)
{
    bytes b(n);
    REQUIRE(r.fill(b) == errc::ok);
    return b;
}

perc::association_id random_id(perc::botan::seeded_random& r)
{
    std::array<std::uint8_t, 16> b{};
    REQUIRE(r.fill(b) == errc::ok);
    return perc::make_association_id(b);
}

// ------------------------------------------------------------- RFC 9185 message builders

bytes sp_message(std::uint8_t version, const std::vector<std::uint16_t>& list)
{
    bytes out(perc::supported_profiles_message_size(list.size()));
    auto n = perc::encode_supported_profiles(version, list, out);
    REQUIRE(n);
    return out;
}

bytes uv_message(std::uint8_t highest)
{
    bytes out(perc::unsupported_version_message_size);
    REQUIRE(perc::encode_unsupported_version(highest, out));
    return out;
}

bytes dtls_message(const perc::association_id& id, const bytes& datagram)
{
    bytes out(perc::tunneled_dtls_message_size(datagram.size()));
    REQUIRE(perc::encode_tunneled_dtls(id, datagram, out));
    return out;
}

bytes disconnect_message(const perc::association_id& id)
{
    bytes out(perc::endpoint_disconnect_message_size);
    REQUIRE(perc::encode_endpoint_disconnect(id, out));
    return out;
}

struct media_keys_spec {
    perc::association_id id{};
    std::uint16_t profile = 0;
    bytes mki, cw_key, sw_key, cw_salt, sw_salt;
};

bytes mk_message(const media_keys_spec& s)
{
    perc::media_keys_msg m;
    m.id = s.id;
    m.profile = s.profile;
    m.mki = s.mki;
    m.client_write_key = s.cw_key;
    m.server_write_key = s.sw_key;
    m.client_write_salt = s.cw_salt;
    m.server_write_salt = s.sw_salt;
    bytes out(perc::media_keys_message_size(m));
    REQUIRE(perc::encode_media_keys(m, out));
    return out;
}

/// A KD tunnel on which the MD sent SupportedProfiles version 0 with `md_profiles`.
template <class Kd>
std::size_t ready_tunnel(Kd& kd, const std::vector<std::uint16_t>& md_profiles,
                         std::uint64_t md = 0)
{
    auto t = kd.open_tunnel(md);
    REQUIRE(t);
    const bytes hello = sp_message(0, md_profiles);
    bytes reply(16);
    auto ev = kd.on_tunnel_message(*t, hello, reply);
    REQUIRE(ev);
    REQUIRE(ev->kind == perc::kd_event_kind::md_profiles);
    return *t;
}

/// An association created on the KD by its first TunneledDtls (RFC 9185 §5.4).
template <class Kd>
perc::association_id kd_associate(Kd& kd, std::size_t tunnel, perc::botan::seeded_random& r)
{
    const perc::association_id id = random_id(r);
    const bytes hello = {22, 0xFE, 0xFD, 0x00, 0x01};
    const bytes msg = dtls_message(id, hello);
    bytes reply(16);
    auto ev = kd.on_tunnel_message(tunnel, msg, reply);
    REQUIRE(ev);
    REQUIRE(ev->kind == perc::kd_event_kind::dtls_from_endpoint);
    REQUIRE(ev->new_association);
    return id;
}

// ------------------------------------------------------------------- the whole conference

/// KD + one MD + N endpoints, connected only through tunnel message bytes (tools/demo.cpp's
/// wiring): the DTLS handshake is simulated (a ClientHello stand-in carrying the use_srtp
/// offer, a server flight stand-in) and generate_keying_material stands in for the exporter.
template <class S>
struct conference {
    using md_type = typename S::md_type;
    using session_type = typename S::session_type;

    struct member {
        std::size_t link = 0;
        perc::association_id id{};
        std::array<std::uint32_t, 2> ssrc{};
        std::array<std::uint16_t, 2> seq{};
        std::array<std::uint32_t, 2> ts{};
        bytes material;
        std::unique_ptr<session_type> session;
    };
    struct packet {
        bytes plain; ///< the RTP packet the sender protected
        bytes wire;  ///< what it put on the wire (double SRTP ‖ EKT Tag)
    };

    perc::botan::seeded_random rng;
    perc_test::rng payload_rng;
    perc::key_distributor<> kd;
    md_type md;
    std::size_t tunnel = 0;
    std::vector<member> members;
    std::array<std::size_t, 6> tunnel_count{};

    explicit conference(std::uint64_t seed, std::size_t n = 3, perc::md_session_options mo = {})
        : rng(seed), payload_rng(seed)
    {
        const std::uint16_t p[] = {S::profile};
        REQUIRE(name(kd.init(p, S::cipher, 86400, rng)) == "ok");
        REQUIRE(name(md.init(p, mo)) == "ok");
        connect();
        for (std::size_t i = 0; i < n; ++i) join(i);
    }

    void count(const bytes& msg)
    {
        auto m = perc::next_tunnel_message(msg);
        REQUIRE(m);
        REQUIRE(m->size == msg.size());
        ++tunnel_count[static_cast<std::size_t>(m->type)];
    }

    // RFC 9185 §5.3, §5.5: the MD offers version 1, the KD answers UnsupportedVersion (0) and
    // closes; the MD reconnects and sends version 0.
    void connect()
    {
        auto first = kd.open_tunnel();
        REQUIRE(first);
        md.set_tunnel_version(1);
        bytes hello(64);
        auto n = md.tunnel_hello(hello);
        REQUIRE(n);
        hello.resize(*n);
        count(hello);
        CHECK(hello[3] == 1);
        bytes reply(16, 0xEE);
        auto ev = kd.on_tunnel_message(*first, hello, reply);
        REQUIRE(ev);
        REQUIRE(ev->kind == perc::kd_event_kind::version_refused);
        reply.resize(ev->reply_size);
        count(reply);
        CHECK(hex(reply) == "02000100");
        auto mev = md.on_tunnel_message(reply);
        REQUIRE(mev);
        CHECK(mev->kind == perc::md_event_kind::version_refused);
        CHECK(mev->kd_version == 0);
        CHECK(md.tunnel_version_in_use() == 0);
        kd.close_tunnel(*first);

        auto again = kd.open_tunnel();
        REQUIRE(again);
        tunnel = *again;
        bytes hello0(64);
        auto n0 = md.tunnel_hello(hello0);
        REQUIRE(n0);
        hello0.resize(*n0);
        count(hello0);
        // RFC 9185 §6.2: msg_type 1, length 5, version 0, list of one profile.
        CHECK(hex(hello0) == "010005000002" + hex(bytes{hi(S::profile), lo(S::profile)}));
        bytes reply0(16);
        auto ok = kd.on_tunnel_message(tunnel, hello0, reply0);
        REQUIRE(ok);
        CHECK(ok->kind == perc::kd_event_kind::md_profiles);
    }

    void join(std::size_t i)
    {
        member e;
        e.ssrc = {0x1000u * static_cast<std::uint32_t>(i + 1) + 0xA,
                  0x1000u * static_cast<std::uint32_t>(i + 1) + 0xB};
        e.seq = {static_cast<std::uint16_t>(100 + 1000 * i),
                 static_cast<std::uint16_t>(600 + 1000 * i)};
        auto link = md.add_endpoint(rng);
        REQUIRE(link);
        e.link = *link;
        e.id = md.association(e.link);
        CHECK(perc::is_uuid_v4(e.id)); // RFC 9185 §5.3
        for (const member& o : members) CHECK(o.id != e.id);
        CHECK_FALSE(md.is_keyed(e.link));

        // Endpoint -> MD -> KD: the ClientHello stand-in with its use_srtp offer (a single
        // profile first, which the KD must not pick, then the double one).
        const bytes client_hello = {22,   0xFE, 0xFD,           0x00,          0x02,
                                    0x00, 0x07, hi(S::profile), lo(S::profile)};
        bytes up(client_hello.size() + perc::tunneled_dtls_prefix_size);
        auto un = md.wrap_dtls(e.link, client_hello, up);
        REQUIRE(un);
        up.resize(*un);
        count(up);
        bytes reply(16);
        auto ev = kd.on_tunnel_message(tunnel, up, reply);
        REQUIRE(ev);
        REQUIRE(ev->kind == perc::kd_event_kind::dtls_from_endpoint);
        CHECK(ev->new_association);
        CHECK(ev->id == e.id);
        CHECK(hex(ev->dtls) == hex(client_hello));
        std::vector<std::uint16_t> offered;
        for (std::size_t k = 5; k + 1 < ev->dtls.size(); k += 2)
            offered.push_back(static_cast<std::uint16_t>(ev->dtls[k] << 8 | ev->dtls[k + 1]));
        auto profile = kd.select_profile(tunnel, offered);
        REQUIRE(profile);
        CHECK(*profile == S::profile);

        std::array<std::uint8_t, perc::max_keying_material_size> km{};
        auto material = perc::generate_keying_material(*profile, rng, km);
        REQUIRE(material);
        e.material.assign(material->begin(), material->end());

        // KD -> MD: MediaKeys (outer halves only), RFC 9185 §5.4.
        bytes mk(perc::key_distributor<>::max_media_keys_size);
        auto mkn = kd.association_established(e.id, *profile, e.material, mk);
        REQUIRE(mkn);
        mk.resize(*mkn);
        count(mk);
        auto mev = md.on_tunnel_message(mk);
        REQUIRE(mev);
        CHECK(mev->kind == perc::md_event_kind::keys_installed);
        CHECK(mev->link == e.link);
        CHECK(md.is_keyed(e.link));
        CHECK(md.profile(e.link) == S::profile);
        CHECK(*kd.profile_of(e.id) == S::profile);
        CHECK(*kd.tunnel_of(e.id) == tunnel);

        // KD -> MD -> endpoint: the server flight in TunneledDtls.
        const bytes flight = {22, 0xFE, 0xFD, 0x00, 0x02, hi(S::profile), lo(S::profile)};
        bytes down(flight.size() + perc::tunneled_dtls_prefix_size);
        auto dn = kd.wrap_dtls(e.id, flight, down);
        REQUIRE(dn);
        down.resize(*dn);
        count(down);
        auto dev = md.on_tunnel_message(down);
        REQUIRE(dev);
        CHECK(dev->kind == perc::md_event_kind::dtls_to_endpoint);
        CHECK(dev->link == e.link);
        CHECK(hex(dev->dtls) == hex(flight));

        e.session = std::make_unique<session_type>();
        perc::endpoint_session_options opt;
        opt.max_ssrcs = 8;
        REQUIRE(name(e.session->init(*profile, e.material, e.ssrc, opt)) == "ok");
        members.push_back(std::move(e));
        deliver_ekt_key(members.back(), 0);
    }

    void deliver_ekt_key(member& e, std::uint64_t now)
    {
        std::array<std::uint8_t, perc::key_distributor<>::max_ekt_key_message_size> body{};
        auto n = kd.encode_ekt_key(body);
        REQUIRE(n);
        REQUIRE(name(e.session->on_ekt_key(bytes_view{body.data(), *n}, S::cipher, rng, now)) ==
                "ok");
        perc::secure_wipe(body);
    }

    /// Member i sends one packet of its SSRC k (0 audio, 1 video) at `now`: a one-byte
    /// header extension (RFC 8285) and a random payload.
    packet send(std::size_t i, std::size_t k, std::uint64_t now, bool key_frame = false)
    {
        member& e = members[i];
        rtp_spec s;
        s.pt = k == 0 ? 111 : 96;
        s.marker = e.seq[k] % 5 == 0;
        s.seq = e.seq[k]++;
        e.ts[k] += 960;
        s.ts = e.ts[k];
        s.ssrc = e.ssrc[k];
        s.extension = true;
        s.ext_body = {0x10, static_cast<std::uint8_t>(payload_rng.byte() & 0x7F), 0x00, 0x00};
        s.payload.resize(40 + payload_rng.below(120));
        payload_rng.fill(s.payload);
        packet p;
        p.plain = build_rtp(s);
        p.wire.resize(p.plain.size() + session_type::protect_overhead);
        auto r = e.session->protect_rtp(p.plain, p.wire, now, key_frame);
        REQUIRE(r);
        p.wire.resize(r->size());
        return p;
    }

    /// The MD's RFC 8723 §5.2 step 1 on the packet from member i; `scratch` holds the result.
    perc::md_opened open(std::size_t i, const bytes& wire, bytes& scratch)
    {
        scratch.assign(wire.size(), 0);
        auto o = md.open_rtp(members[i].link, wire, scratch);
        REQUIRE(o);
        return *o;
    }

    bytes out_buffer(const perc::md_opened& o) const
    {
        return bytes(o.packet.size() + o.ekt_tag.size() + 16 + md_type::relay_growth + 64);
    }

    /// The MD's steps 2-4 toward member j.
    bytes forward(const perc::md_opened& o, std::size_t j, const perc::relay_changes& ch = {})
    {
        bytes out = out_buffer(o);
        auto f = md.forward_rtp(o, members[j].link, out, ch);
        REQUIRE(f);
        out.resize(f->packet.size());
        return out;
    }

    perc::result<perc::endpoint_received> receive(std::size_t j, const bytes& wire, bytes& out,
                                                  std::uint64_t now)
    {
        out.assign(wire.size(), 0);
        return members[j].session->unprotect_rtp(wire, out, now);
    }
};

/// The receiver got what the sender protected: original PT/SEQ/M (RFC 8723 §5.3 from the
/// OHB), timestamp, SSRC, CSRCs and payload.
void check_original(const bytes& plain, const perc::endpoint_received& r)
{
    auto h = perc::decode_rtp_header(plain);
    REQUIRE(h);
    CHECK(r.media.original.payload_type == h->payload_type);
    CHECK(r.media.original.seq == h->seq);
    CHECK(r.media.original.marker == h->marker);
    CHECK(r.media.ssrc == h->ssrc);
    const bytes got(r.media.packet.begin(), r.media.packet.end());
    REQUIRE(got.size() >= 12);
    CHECK((got[0] & 0xEF) == (plain[0] & 0xEF));
    CHECK(hex(bytes_view{got}.subspan(1, 11)) == hex(bytes_view{plain}.subspan(1, 11)));
    CHECK(hex(r.media.payload()) == hex(bytes_view{plain}.subspan(h->header_size)));
}

} // namespace

// ====================================================================== perc::botan random

TEST_CASE("botan::seeded_random: the same seed gives the same stream, another seed another")
{
    perc::botan::seeded_random a(7), b(7), c(8);
    for (std::size_t n : {std::size_t{1}, std::size_t{16}, std::size_t{33}, std::size_t{1000}}) {
        bytes x(n), y(n), z(n);
        REQUIRE(a.fill(x) == errc::ok);
        REQUIRE(b.fill(y) == errc::ok);
        REQUIRE(c.fill(z) == errc::ok);
        CHECK(hex(x) == hex(y));
        if (n >= 16) {
            CHECK(hex(x) != hex(z));
            CHECK(std::any_of(x.begin(), x.end(), [](std::uint8_t v) { return v != 0; }));
        }
    }
    // Successive calls continue the stream (no repetition), and it keeps going: no reseed
    // limit on a generator that has no entropy source.
    bytes first(32), second(32);
    REQUIRE(a.fill(first) == errc::ok);
    REQUIRE(a.fill(second) == errc::ok);
    CHECK(hex(first) != hex(second));
    bytes small(16);
    for (int i = 0; i < 5000; ++i) REQUIRE(a.fill(small) == errc::ok);
    CHECK(a.fill(bytes_span{}) == errc::ok);
}

TEST_CASE("botan::system_random fills with fresh octets")
{
    perc::botan::system_random r;
    bytes x(32, 0), y(32, 0);
    REQUIRE(r.fill(x) == errc::ok);
    REQUIRE(r.fill(y) == errc::ok);
    CHECK(hex(x) != hex(y));
    CHECK(std::any_of(x.begin(), x.end(), [](std::uint8_t v) { return v != 0; }));
    CHECK(r.fill(bytes_span{}) == errc::ok);
    static_assert(perc::random_source<perc::botan::system_random>);
    static_assert(perc::random_source<perc::botan::seeded_random>);
}

// ======================================================================= key_distributor

TEST_CASE("RFC 5764 §4.2: generate_keying_material sizes and errors")
{
    perc::botan::seeded_random r(3);
    CHECK(perc::keying_material_size(0x0009) == 112);
    CHECK(perc::keying_material_size(0x000A) == 176);
    CHECK(perc::keying_material_size(0x0007) == 56);
    CHECK(perc::keying_material_size(0x1234) == 0);
    std::array<std::uint8_t, perc::max_keying_material_size> km{};
    auto m = perc::generate_keying_material(0x000A, r, km);
    REQUIRE(m);
    CHECK(m->size() == 176);
    CHECK(m->data() == km.data());
    CHECK(status(perc::generate_keying_material(0x1234, r, km)) == "unsupported");
    CHECK(status(perc::generate_keying_material(0x0009, r, bytes_span{km}.first(111))) ==
          "buffer_too_small");
    failing_random bad;
    CHECK(status(perc::generate_keying_material(0x0009, bad, km)) == "backend_failure");
}

TEST_CASE("RFC 8871 §6.3 key_distributor::init: every refusal leaves the KD unchanged")
{
    using kd_type = perc::key_distributor<2, 4>;
    kd_type kd;
    perc::botan::seeded_random rng(1);
    const auto c128 = perc::ekt_cipher::aeskw_128;
    std::array<std::uint8_t, kd_type::max_ekt_key_message_size> body{};
    CHECK(status(kd.encode_ekt_key(body)) == "no_key");
    CHECK(name(kd.rekey(rng)) == "no_key");

    const std::uint16_t both[] = {0x0009, 0x000A};
    const std::uint16_t nine[] = {9, 9, 9, 9, 9, 9, 9, 9, 9};
    const std::uint16_t single[] = {0x0007};
    const std::uint16_t mixed[] = {0x0009, 0x0008};
    const std::uint16_t unknown[] = {0x1234};
    CHECK(name(kd.init(std::span<const std::uint16_t>{}, c128, 60, rng)) == "invalid_argument");
    CHECK(name(kd.init(nine, c128, 60, rng)) == "invalid_argument");
    CHECK(name(kd.init(both, c128, 0, rng)) == "invalid_argument");
    CHECK(name(kd.init(both, c128, 0x1000000, rng)) == "invalid_argument"); // ekt_ttl is uint24
    CHECK(name(kd.init(both, static_cast<perc::ekt_cipher>(0), 60, rng)) == "unsupported");
    CHECK(name(kd.init(both, static_cast<perc::ekt_cipher>(3), 60, rng)) == "unsupported");
    CHECK(name(kd.init(single, c128, 60, rng)) == "unsupported");
    CHECK(name(kd.init(mixed, c128, 60, rng)) == "unsupported");
    CHECK(name(kd.init(unknown, c128, 60, rng)) == "unsupported");
    failing_random bad;
    CHECK(name(kd.init(both, c128, 60, bad)) == "backend_failure");
    for (int good = 1; good <= 2; ++good) {
        flaky_random flaky(5, good);
        CHECK(name(kd.init(both, c128, 60, flaky)) == "backend_failure");
    }
    CHECK(status(kd.encode_ekt_key(body)) == "no_key");

    REQUIRE(name(kd.init(both, c128, perc::ekt_ttl_max, rng)) == "ok");
    auto n = kd.encode_ekt_key(body);
    REQUIRE(n);
    const bytes before(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(*n));
    const std::uint16_t spi = kd.spi();

    // A refused re-init (also one that fails after drawing part of the key) changes nothing.
    CHECK(name(kd.init(both, c128, 0, rng)) == "invalid_argument");
    CHECK(name(kd.init(single, c128, 60, rng)) == "unsupported");
    for (int good = 0; good <= 2; ++good) {
        flaky_random flaky(6, good);
        CHECK(name(kd.init(both, perc::ekt_cipher::aeskw_256, 60, flaky)) == "backend_failure");
    }
    CHECK(kd.spi() == spi);
    CHECK(kd.cipher() == c128);
    auto m = kd.encode_ekt_key(body);
    REQUIRE(m);
    CHECK(hex(bytes_view{body.data(), *m}) == hex(before));
    // The profile list is unchanged too: a tunnel offering both still gets both, in order.
    const std::size_t t = ready_tunnel(kd, {0x000A, 0x0009});
    std::array<std::uint16_t, 8> ok{};
    auto k = kd.acceptable_profiles(t, ok);
    REQUIRE(k);
    REQUIRE(*k == 2);
    CHECK(ok[0] == 0x0009);
    CHECK(ok[1] == 0x000A);
}

TEST_CASE_TEMPLATE("RFC 8870 §5.2.2, RFC 8871 §4.5.2: encode_ekt_key decodes to the EKTKey; "
                   "rekey gives a new key, salt and SPI + 1",
                   S, ROLE_SUITES)
{
    using kd_type = perc::key_distributor<>;
    const std::uint16_t p[] = {S::profile};
    const std::size_t key_size = perc::ekt_cipher_key_size(S::cipher);
    perc::botan::seeded_random rng(11);
    kd_type kd;
    REQUIRE(name(kd.init(p, S::cipher, 3600, rng)) == "ok");
    CHECK(kd.cipher() == S::cipher);
    CHECK(kd.ekt_generation() == 0);

    std::array<std::uint8_t, kd_type::max_ekt_key_message_size> body{};
    auto n = kd.encode_ekt_key(body);
    REQUIRE(n);
    CHECK(*n == perc::ekt_key_message_size(key_size, 12));
    const bytes first(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(*n));
    auto m = perc::decode_ekt_key_message(first);
    REQUIRE(m);
    CHECK(m->ekt_key_value.size() == key_size);
    CHECK(m->srtp_master_salt.size() == kd_type::ekt_salt_size);
    CHECK(m->ekt_spi == kd.spi());
    CHECK(m->ekt_ttl == 3600);
    REQUIRE(perc::to_ekt_key_params(*m, S::cipher));
    std::array<std::uint8_t, kd_type::max_ekt_key_message_size> small{};
    CHECK(status(kd.encode_ekt_key(bytes_span{small}.first(*n - 1))) == "buffer_too_small");

    // Deterministic per seed (a replayable simulation), different across seeds.
    {
        perc::botan::seeded_random same(11), other(12);
        kd_type a, b;
        REQUIRE(a.init(p, S::cipher, 3600, same) == errc::ok);
        REQUIRE(b.init(p, S::cipher, 3600, other) == errc::ok);
        std::array<std::uint8_t, kd_type::max_ekt_key_message_size> ba{}, bb{};
        REQUIRE(a.encode_ekt_key(ba));
        REQUIRE(b.encode_ekt_key(bb));
        CHECK(hex(bytes_view{ba.data(), *n}) == hex(first));
        CHECK(hex(bytes_view{bb.data(), *n}) != hex(first));
    }

    // A failed re-key changes nothing.
    failing_random bad;
    CHECK(name(kd.rekey(bad)) == "backend_failure");
    flaky_random flaky(13, 1);
    CHECK(name(kd.rekey(flaky)) == "backend_failure");
    CHECK(kd.ekt_generation() == 0);
    REQUIRE(kd.encode_ekt_key(body));
    CHECK(hex(bytes_view{body.data(), *n}) == hex(first));

    // RFC 8870 §4.1: each parameter set has its own SPI.
    const std::uint16_t spi = kd.spi();
    REQUIRE(name(kd.rekey(rng)) == "ok");
    CHECK(kd.spi() == static_cast<std::uint16_t>(spi + 1));
    CHECK(kd.ekt_generation() == 1);
    auto n2 = kd.encode_ekt_key(body);
    REQUIRE(n2);
    REQUIRE(*n2 == *n);
    auto m2 = perc::decode_ekt_key_message(bytes_view{body.data(), *n2});
    REQUIRE(m2);
    CHECK(m2->ekt_spi == static_cast<std::uint16_t>(spi + 1));
    CHECK(m2->ekt_ttl == 3600);
    CHECK(hex(m2->ekt_key_value) != hex(m->ekt_key_value));
    CHECK(hex(m2->srtp_master_salt) != hex(m->srtp_master_salt));
}

TEST_CASE("RFC 9185 §5.3, §5.5 KD tunnels: SupportedProfiles first; another version gets "
          "UnsupportedVersion; every refusal changes nothing")
{
    using kd_type = perc::key_distributor<2, 4>;
    kd_type kd;
    perc::botan::seeded_random rng(21);
    const std::uint16_t both[] = {0x0009, 0x000A};
    REQUIRE(kd.init(both, perc::ekt_cipher::aeskw_128, 60, rng) == errc::ok);

    auto t0 = kd.open_tunnel();
    auto t1 = kd.open_tunnel();
    REQUIRE(t0);
    REQUIRE(t1);
    CHECK(*t0 != *t1);
    CHECK(status(kd.open_tunnel()) == "stream_table_full");
    kd.close_tunnel(*t1);
    auto t1b = kd.open_tunnel();
    REQUIRE(t1b);
    CHECK(*t1b == *t1);
    const std::size_t t = *t0;

    const bytes hello0 = sp_message(0, {0x0009, 0x000A});
    const bytes hello1 = sp_message(1, {0x0009, 0x000A});
    const perc::association_id id = random_id(rng);
    const bytes dg = {22, 0xFE, 0xFD, 0x00, 0x01};
    const bytes tdtls = dtls_message(id, dg);
    const bytes disc = disconnect_message(id);
    bytes reply(16, 0xEE);

    // No such tunnel, or a closed one.
    CHECK(status(kd.on_tunnel_message(2, hello0, reply)) == "invalid_argument");
    CHECK(status(kd.on_tunnel_message(99, hello0, reply)) == "invalid_argument");
    kd.close_tunnel(*t1b);
    CHECK(status(kd.on_tunnel_message(*t1b, hello0, reply)) == "invalid_argument");
    std::array<std::uint16_t, 8> ok{};
    CHECK(status(kd.acceptable_profiles(*t1b, ok)) == "invalid_argument");
    CHECK(status(kd.acceptable_profiles(7, ok)) == "invalid_argument");

    auto not_ready = [&] {
        CHECK(status(kd.on_tunnel_message(t, tdtls, reply)) == "tunnel_bad_message");
        CHECK(status(kd.on_tunnel_message(t, disc, reply)) == "tunnel_bad_message");
        CHECK(status(kd.acceptable_profiles(t, ok)) == "tunnel_bad_message");
        const std::uint16_t offer[] = {0x0009};
        CHECK(status(kd.select_profile(t, offer)) == "tunnel_bad_message");
        CHECK(kd.association_count() == 0);
    };
    // RFC 9185 §5.3: SupportedProfiles MUST come first.
    not_ready();

    // RFC 9185 §5.5: another version -> UnsupportedVersion with our highest (0), tunnel not ready.
    for (std::uint8_t v : {std::uint8_t{1}, std::uint8_t{0xFF}}) {
        const bytes hv = sp_message(v, {0x0009});
        reply.assign(16, 0xEE);
        auto ev = kd.on_tunnel_message(t, hv, reply);
        REQUIRE(ev);
        CHECK(ev->kind == perc::kd_event_kind::version_refused);
        REQUIRE(ev->reply_size == 4);
        CHECK(hex(bytes_view{reply}.first(4)) == "02000100");
        CHECK(reply[4] == 0xEE);
        auto fm = perc::next_tunnel_message(bytes_view{reply}.first(ev->reply_size));
        REQUIRE(fm);
        CHECK(fm->type == perc::tunnel_msg_type::unsupported_version);
        auto uv = perc::decode_unsupported_version(fm->body);
        REQUIRE(uv);
        CHECK(uv->highest_version == perc::tunnel_version);
        not_ready();
    }
    // Even with a body a version-0 decoder would refuse (§5.5: only the version octet counts).
    {
        const bytes odd = {0x01, 0x00, 0x02, 0x01, 0x7F};
        auto ev = kd.on_tunnel_message(t, odd, reply);
        REQUIRE(ev);
        CHECK(ev->kind == perc::kd_event_kind::version_refused);
    }
    bytes tiny(3, 0xEE);
    CHECK(status(kd.on_tunnel_message(t, hello1, tiny)) == "buffer_too_small");
    CHECK(hex(tiny) == "eeeeee");
    not_ready();

    // Malformed messages.
    bytes trailing = hello0;
    trailing.push_back(0x00);
    CHECK(status(kd.on_tunnel_message(t, trailing, reply)) == "tunnel_bad_length");
    CHECK(status(kd.on_tunnel_message(t, bytes_view{hello0}.first(hello0.size() - 1), reply)) ==
          "truncated");
    CHECK(status(kd.on_tunnel_message(t, bytes_view{hello0}.first(2), reply)) == "truncated");
    CHECK(status(kd.on_tunnel_message(t, from_hex("010000"), reply)) == "tunnel_bad_length");
    CHECK(status(kd.on_tunnel_message(t, from_hex("010003000000"), reply)) == "tunnel_bad_vector");
    CHECK(status(kd.on_tunnel_message(t, from_hex("01000400000100"), reply)) ==
          "tunnel_bad_vector");
    CHECK(status(kd.on_tunnel_message(t, from_hex("0100050000040009"), reply)) ==
          "tunnel_bad_length");
    CHECK(status(kd.on_tunnel_message(t, from_hex("0000020009"), reply)) == "tunnel_unknown_type");
    CHECK(status(kd.on_tunnel_message(t, from_hex("0600020009"), reply)) == "tunnel_unknown_type");
    not_ready();

    // Version 0: the tunnel is ready; nothing written to `reply`.
    reply.assign(16, 0xEE);
    auto ev = kd.on_tunnel_message(t, hello0, reply);
    REQUIRE(ev);
    CHECK(ev->kind == perc::kd_event_kind::md_profiles);
    CHECK(ev->reply_size == 0);
    CHECK(hex(reply) == std::string(32, 'e'));
    auto k = kd.acceptable_profiles(t, ok);
    REQUIRE(k);
    CHECK(*k == 2);

    // A second SupportedProfiles (any version) and the KD -> MD messages are refused.
    CHECK(status(kd.on_tunnel_message(t, hello0, reply)) == "tunnel_bad_message");
    CHECK(status(kd.on_tunnel_message(t, hello1, reply)) == "tunnel_bad_message");
    CHECK(status(kd.on_tunnel_message(t, uv_message(0), reply)) == "tunnel_bad_message");
    media_keys_spec mks;
    mks.id = id;
    mks.profile = 0x0009;
    mks.cw_key = bytes(16, 1);
    mks.sw_key = bytes(16, 2);
    mks.cw_salt = bytes(12, 3);
    mks.sw_salt = bytes(12, 4);
    CHECK(status(kd.on_tunnel_message(t, mk_message(mks), reply)) == "tunnel_bad_message");
    CHECK(kd.association_count() == 0);
    auto k2 = kd.acceptable_profiles(t, ok);
    REQUIRE(k2);
    CHECK(*k2 == 2);
}

TEST_CASE("RFC 9185 §5.3, §5.4 KD associations: TunneledDtls creates one, EndpointDisconnect "
          "forgets it; wrap_dtls, disconnect, tunnel_of, profile_of")
{
    using kd_type = perc::key_distributor<2, 2>;
    kd_type kd;
    perc::botan::seeded_random rng(31);
    const std::uint16_t p[] = {0x0009};
    REQUIRE(kd.init(p, perc::ekt_cipher::aeskw_128, 60, rng) == errc::ok);
    const std::size_t ta = ready_tunnel(kd, {0x0009});
    const std::size_t tb = ready_tunnel(kd, {0x0009});
    bytes reply(16);

    const perc::association_id id1 = random_id(rng), id2 = random_id(rng), id3 = random_id(rng);
    CHECK(status(kd.tunnel_of(id1)) == "unknown_association");
    CHECK(status(kd.profile_of(id1)) == "unknown_association");

    const bytes dg = {22, 0xFE, 0xFD, 0x00, 0x01, 0xAB, 0xCD};
    const bytes m1 = dtls_message(id1, dg);
    auto ev = kd.on_tunnel_message(ta, m1, reply);
    REQUIRE(ev);
    CHECK(ev->kind == perc::kd_event_kind::dtls_from_endpoint);
    CHECK(ev->new_association);
    CHECK(ev->id == id1);
    CHECK(hex(ev->dtls) == hex(dg));
    CHECK(ev->dtls.data() == m1.data() + perc::tunneled_dtls_prefix_size); // views the input
    CHECK(kd.association_count() == 1);
    CHECK(*kd.tunnel_of(id1) == ta);
    CHECK(*kd.profile_of(id1) == 0); // not established yet

    auto ev2 = kd.on_tunnel_message(ta, m1, reply);
    REQUIRE(ev2);
    CHECK_FALSE(ev2->new_association);
    CHECK(kd.association_count() == 1);

    // RFC 9185 §5.3: the same association may arrive on another tunnel; replies follow it.
    auto ev3 = kd.on_tunnel_message(tb, m1, reply);
    REQUIRE(ev3);
    CHECK_FALSE(ev3->new_association);
    CHECK(*kd.tunnel_of(id1) == tb);
    auto ev4 = kd.on_tunnel_message(ta, m1, reply);
    REQUIRE(ev4);
    CHECK(*kd.tunnel_of(id1) == ta);

    // Malformed TunneledDtls: empty dtls_message, disagreeing vector length.
    bytes empty_dtls = {0x04, 0x00, 0x12};
    empty_dtls.insert(empty_dtls.end(), id2.begin(), id2.end());
    empty_dtls.push_back(0);
    empty_dtls.push_back(0);
    CHECK(status(kd.on_tunnel_message(ta, empty_dtls, reply)) == "tunnel_bad_vector");
    bytes short_vec = dtls_message(id2, dg);
    short_vec[perc::tunneled_dtls_prefix_size - 1] = static_cast<std::uint8_t>(dg.size() + 1);
    CHECK(status(kd.on_tunnel_message(ta, short_vec, reply)) == "tunnel_bad_length");
    CHECK(kd.association_count() == 1);

    const bytes m2 = dtls_message(id2, dg);
    REQUIRE(kd.on_tunnel_message(ta, m2, reply));
    CHECK(kd.association_count() == 2);
    // MaxAssociations reached: refused, nothing recorded.
    const bytes m3 = dtls_message(id3, dg);
    CHECK(status(kd.on_tunnel_message(tb, m3, reply)) == "stream_table_full");
    CHECK(kd.association_count() == 2);
    CHECK(status(kd.tunnel_of(id3)) == "unknown_association");

    // EndpointDisconnect from the MD.
    CHECK(status(kd.on_tunnel_message(ta, disconnect_message(id3), reply)) ==
          "unknown_association");
    bytes bad_disc = disconnect_message(id1);
    bad_disc[2] = 0x0F;
    bad_disc.pop_back();
    CHECK(status(kd.on_tunnel_message(ta, bad_disc, reply)) == "tunnel_bad_length");
    CHECK(kd.association_count() == 2);
    auto ev5 = kd.on_tunnel_message(ta, disconnect_message(id1), reply);
    REQUIRE(ev5);
    CHECK(ev5->kind == perc::kd_event_kind::endpoint_disconnected);
    CHECK(ev5->id == id1);
    CHECK(kd.association_count() == 1);
    CHECK(status(kd.tunnel_of(id1)) == "unknown_association");
    CHECK(status(kd.on_tunnel_message(ta, disconnect_message(id1), reply)) ==
          "unknown_association");

    // Room again for id3, on tunnel b.
    auto ev6 = kd.on_tunnel_message(tb, m3, reply);
    REQUIRE(ev6);
    CHECK(ev6->new_association);
    CHECK(*kd.tunnel_of(id3) == tb);

    // wrap_dtls (RFC 9185 §5.4: every DTLS message to an endpoint goes in TunneledDtls).
    const bytes flight = {22, 0xFE, 0xFD, 0x00, 0x02, 0x00, 0x09};
    bytes w(64);
    auto wn = kd.wrap_dtls(id3, flight, w);
    REQUIRE(wn);
    CHECK(*wn == perc::tunneled_dtls_message_size(flight.size()));
    auto fm = perc::next_tunnel_message(bytes_view{w.data(), *wn});
    REQUIRE(fm);
    CHECK(fm->type == perc::tunnel_msg_type::tunneled_dtls);
    auto td = perc::decode_tunneled_dtls(fm->body);
    REQUIRE(td);
    CHECK(td->id == id3);
    CHECK(hex(td->dtls_message) == hex(flight));
    CHECK(status(kd.wrap_dtls(id1, flight, w)) == "unknown_association");
    CHECK(status(kd.wrap_dtls(id3, bytes_view{}, w)) == "tunnel_bad_vector");
    CHECK(status(kd.wrap_dtls(id3, flight, bytes_span{w}.first(*wn - 1))) == "buffer_too_small");

    // disconnect (RFC 9185 §5.4: the KD MUST send EndpointDisconnect when DTLS ends).
    bytes d(perc::endpoint_disconnect_message_size);
    CHECK(status(kd.disconnect(id3, bytes_span{d}.first(d.size() - 1))) == "buffer_too_small");
    CHECK(*kd.tunnel_of(id3) == tb); // still known
    auto dn = kd.disconnect(id3, d);
    REQUIRE(dn);
    CHECK(*dn == 19);
    CHECK(hex(d) == "050010" + hex(id3));
    CHECK(status(kd.tunnel_of(id3)) == "unknown_association");
    CHECK(status(kd.disconnect(id3, d)) == "unknown_association");
    CHECK(kd.association_count() == 1);

    // Closing a tunnel forgets its associations, not the others'.
    auto ev7 = kd.on_tunnel_message(tb, m3, reply);
    REQUIRE(ev7);
    REQUIRE(kd.association_count() == 2);
    kd.close_tunnel(ta);
    CHECK(kd.association_count() == 1);
    CHECK(status(kd.tunnel_of(id2)) == "unknown_association");
    CHECK(*kd.tunnel_of(id3) == tb);
    kd.close_tunnel(17); // no such tunnel: ignored
    CHECK(kd.association_count() == 1);
}

TEST_CASE("RFC 9185 §9 KD: an association moves between its own MD's tunnels only; another MD "
          "can neither take it over nor disconnect it")
{
    perc::key_distributor<4, 4> kd;
    perc::botan::seeded_random rng(37);
    const std::uint16_t p[] = {0x0009};
    REQUIRE(kd.init(p, perc::ekt_cipher::aeskw_128, 60, rng) == errc::ok);
    const std::size_t a1 = ready_tunnel(kd, {0x0009}, 1); // MD 1 holds two tunnels
    const std::size_t a2 = ready_tunnel(kd, {0x0009}, 1);
    const std::size_t b = ready_tunnel(kd, {0x0009}, 2); // MD 2
    bytes reply(16);
    const bytes dg = {22, 0xFE, 0xFD, 0x00, 0x01, 0xAB, 0xCD};
    const perc::association_id id1 = random_id(rng), id2 = random_id(rng);
    REQUIRE(kd.on_tunnel_message(a1, dtls_message(id1, dg), reply));
    REQUIRE(kd.on_tunnel_message(b, dtls_message(id2, dg), reply));
    REQUIRE(kd.association_count() == 2);

    // MD 2 mislabels a DTLS message as id1's, or claims id1 disconnected: refused, nothing
    // changes (id1 stays on MD 1's tunnel).
    CHECK(status(kd.on_tunnel_message(b, dtls_message(id1, dg), reply)) == "association_elsewhere");
    CHECK(status(kd.on_tunnel_message(b, disconnect_message(id1), reply)) ==
          "association_elsewhere");
    CHECK(*kd.tunnel_of(id1) == a1);
    CHECK(kd.association_count() == 2);
    // Nor can MD 1 touch MD 2's association.
    CHECK(status(kd.on_tunnel_message(a2, dtls_message(id2, dg), reply)) ==
          "association_elsewhere");
    CHECK(status(kd.on_tunnel_message(a1, disconnect_message(id2), reply)) ==
          "association_elsewhere");
    CHECK(*kd.tunnel_of(id2) == b);

    // RFC 9185 §5.3: within one MD the association may use any of its tunnels.
    auto ev = kd.on_tunnel_message(a2, dtls_message(id1, dg), reply);
    REQUIRE(ev);
    CHECK_FALSE(ev->new_association);
    CHECK(*kd.tunnel_of(id1) == a2);
    auto gone = kd.on_tunnel_message(a1, disconnect_message(id1), reply);
    REQUIRE(gone);
    CHECK(gone->kind == perc::kd_event_kind::endpoint_disconnected);
    CHECK(status(kd.tunnel_of(id1)) == "unknown_association");
    // Once forgotten, the id is free for any MD again (a new association, RFC 9185 §5.4).
    auto again = kd.on_tunnel_message(b, dtls_message(id1, dg), reply);
    REQUIRE(again);
    CHECK(again->new_association);
    CHECK(*kd.tunnel_of(id1) == b);
    auto gone2 = kd.on_tunnel_message(b, disconnect_message(id2), reply);
    REQUIRE(gone2);
    CHECK(kd.association_count() == 1);
}

TEST_CASE("RFC 9185 §5.4 KD profile selection: supported by the KD, the MD and the endpoint")
{
    using kd_type = perc::key_distributor<4, 8>;
    kd_type kd;
    perc::botan::seeded_random rng(41);
    const std::uint16_t kd_pref[] = {0x000A, 0x0009}; // the KD prefers AES-256
    REQUIRE(kd.init(kd_pref, perc::ekt_cipher::aeskw_256, 60, rng) == errc::ok);

    // MD with both (and profiles the KD does not do, kept but never selected).
    const std::size_t both = ready_tunnel(kd, {0x0009, 0x0007, 0x000A, 0x1234});
    std::array<std::uint16_t, 8> ok{};
    auto n = kd.acceptable_profiles(both, ok);
    REQUIRE(n);
    REQUIRE(*n == 2);
    CHECK(ok[0] == 0x000A); // the KD's order
    CHECK(ok[1] == 0x0009);
    std::array<std::uint16_t, 1> one{};
    CHECK(status(kd.acceptable_profiles(both, one)) == "buffer_too_small");

    auto pick = [&](std::size_t t, std::vector<std::uint16_t> offer) {
        auto r = kd.select_profile(t, offer);
        return r ? std::to_string(*r) : name(r.error());
    };
    // The endpoint's use_srtp list is in its preference order (RFC 5764 §4.1.1).
    CHECK(pick(both, {0x0009, 0x000A}) == "9");
    CHECK(pick(both, {0x000A, 0x0009}) == "10");
    CHECK(pick(both, {0x0007, 0x0001, 0x000A}) == "10");
    CHECK(pick(both, {0x0007}) == "no_common_profile");
    CHECK(pick(both, {0x1234}) == "no_common_profile"); // the MD has it, the KD does not
    CHECK(pick(both, {}) == "no_common_profile");

    // MD with 0x0009 only: the KD's preferred 0x000A is out.
    const std::size_t only9 = ready_tunnel(kd, {0x0009});
    auto n2 = kd.acceptable_profiles(only9, ok);
    REQUIRE(n2);
    CHECK(*n2 == 1);
    CHECK(ok[0] == 0x0009);
    CHECK(pick(only9, {0x000A}) == "no_common_profile");
    CHECK(pick(only9, {0x000A, 0x0009}) == "9");

    // MD without any double profile the KD does.
    const std::size_t none = ready_tunnel(kd, {0x0007, 0x0008});
    CHECK(status(kd.acceptable_profiles(none, ok)) == "no_common_profile");
    CHECK(pick(none, {0x0007, 0x0009}) == "no_common_profile");
    CHECK(pick(9, {0x0009}) == "invalid_argument");
}

TEST_CASE_TEMPLATE("RFC 9185 §5.4, RFC 8871 §6.2: MediaKeys carries exactly the outer (second) "
                   "halves of the exporter's keys and salts",
                   S, ROLE_SUITES)
{
    using kd_type = perc::key_distributor<2, 8>;
    kd_type kd;
    perc::botan::seeded_random rng(51);
    const std::uint16_t both[] = {0x0009, 0x000A};
    REQUIRE(kd.init(both, S::cipher, 60, rng) == errc::ok);
    const std::size_t t = ready_tunnel(kd, {S::profile}); // this MD offers one profile
    const perc::association_id id = kd_associate(kd, t, rng);

    const std::size_t K = S::double_key_size, H = K / 2; // double key, outer half
    std::array<std::uint8_t, perc::max_keying_material_size> buf{};
    auto gen = perc::generate_keying_material(S::profile, rng, buf);
    REQUIRE(gen);
    const bytes km(gen->begin(), gen->end());
    REQUIRE(km.size() == 2 * (K + 24));
    std::array<std::uint8_t, perc::max_keying_material_size> other_buf{};
    auto other = perc::generate_keying_material(S::other_profile, rng, other_buf);
    REQUIRE(other);

    bytes out(kd_type::max_media_keys_size, 0xEE);
    const bytes untouched = out;
    // Refusals first: nothing changes (no profile recorded, nothing written).
    CHECK(status(kd.association_established(random_id(rng), S::profile, km, out)) ==
          "unknown_association");
    CHECK(status(kd.association_established(id, 0x0007, km, out)) == "no_common_profile");
    CHECK(status(kd.association_established(id, S::other_profile, *other, out)) ==
          "no_common_profile"); // the KD does it, the association's MD does not
    CHECK(status(kd.association_established(id, S::profile, bytes_view{km}.first(km.size() - 1),
                                            out)) == "truncated");
    CHECK(status(kd.association_established(id, S::profile, *other, out)) == "truncated");
    const std::size_t expected_size = perc::tunnel_header_size + 16 + 2 + 5 + 2 * H + 2 * 12;
    CHECK(status(kd.association_established(
              id, S::profile, km, bytes_span{out}.first(expected_size - 1))) == "buffer_too_small");
    CHECK(hex(out) == hex(untouched));
    CHECK(*kd.profile_of(id) == 0);

    auto n = kd.association_established(id, S::profile, km, out);
    REQUIRE(n);
    CHECK(*n == expected_size);
    CHECK(*n <= kd_type::max_media_keys_size);
    CHECK(*kd.profile_of(id) == S::profile);
    const bytes msg(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*n));
    auto fm = perc::next_tunnel_message(msg);
    REQUIRE(fm);
    CHECK(fm->type == perc::tunnel_msg_type::media_keys);
    CHECK(fm->size == msg.size());
    CHECK(fm->body.size() == (S::profile == 0x0009 ? 79u : 111u)); // RFC 9185 §6.4 sizes
    auto mk = perc::decode_media_keys(fm->body);
    REQUIRE(mk);
    CHECK(mk->id == id);
    CHECK(mk->profile == S::profile);
    CHECK(mk->mki.empty()); // RFC 8870 §4: EKT forbids MKI

    // RFC 5764 §4.2 layout: cw key | sw key | cw salt | sw salt, each inner ‖ outer
    // (RFC 8723 §3): the outer half is the SECOND half, by plain offsets...
    const bytes_view v{km};
    CHECK(hex(mk->client_write_key) == hex(v.subspan(H, H)));
    CHECK(hex(mk->server_write_key) == hex(v.subspan(K + H, H)));
    CHECK(hex(mk->client_write_salt) == hex(v.subspan(2 * K + 12, 12)));
    CHECK(hex(mk->server_write_salt) == hex(v.subspan(2 * K + 24 + 12, 12)));
    // ...and as split_keying_material / split_double_key name them.
    auto sk = perc::split_keying_material(km, K, 24);
    REQUIRE(sk);
    auto cw = perc::split_double_key(sk->client_write_key, sk->client_write_salt);
    auto sw = perc::split_double_key(sk->server_write_key, sk->server_write_salt);
    REQUIRE(cw);
    REQUIRE(sw);
    CHECK(hex(mk->client_write_key) == hex(cw->outer_key));
    CHECK(hex(mk->server_write_key) == hex(sw->outer_key));
    CHECK(hex(mk->client_write_salt) == hex(cw->outer_salt));
    CHECK(hex(mk->server_write_salt) == hex(sw->outer_salt));
    // RFC 8871 §6.2: no inner (end-to-end) key or salt octets reach the MD.
    for (bytes_view inner : {cw->inner_key, sw->inner_key, cw->inner_salt, sw->inner_salt})
        CHECK(std::search(msg.begin(), msg.end(), inner.begin(), inner.end()) == msg.end());

    // A DTLS re-handshake (RFC 8871 §4.5.2) sends the new keys.
    std::array<std::uint8_t, perc::max_keying_material_size> buf2{};
    auto gen2 = perc::generate_keying_material(S::profile, rng, buf2);
    REQUIRE(gen2);
    bytes out2(kd_type::max_media_keys_size);
    auto n2 = kd.association_established(id, S::profile, *gen2, out2);
    REQUIRE(n2);
    auto fm2 = perc::next_tunnel_message(bytes_view{out2.data(), *n2});
    REQUIRE(fm2);
    auto mk2 = perc::decode_media_keys(fm2->body);
    REQUIRE(mk2);
    CHECK(hex(mk2->client_write_key) == hex(bytes_view{*gen2}.subspan(H, H)));
    CHECK(hex(mk2->client_write_key) != hex(mk->client_write_key));
}

// ============================================================================ md_session

TEST_CASE_TEMPLATE("RFC 9185 §5.3, §5.5 md_session: init, SupportedProfiles, and the version "
                   "an UnsupportedVersion asks for",
                   S, ROLE_SUITES)
{
    typename S::md_type md;
    const std::uint16_t mine[] = {S::profile};
    const std::uint16_t nine[] = {S::profile, S::profile, S::profile, S::profile, S::profile,
                                  S::profile, S::profile, S::profile, S::profile};
    const std::uint16_t other[] = {S::other_profile}; // outer key of the wrong size
    const std::uint16_t single[] = {0x0007};
    const std::uint16_t unknown[] = {S::profile, 0x1234};
    CHECK(name(md.init(std::span<const std::uint16_t>{})) == "invalid_argument");
    CHECK(name(md.init(nine)) == "invalid_argument");
    CHECK(name(md.init(other)) == "unsupported");
    CHECK(name(md.init(single)) == "unsupported");
    CHECK(name(md.init(unknown)) == "unsupported");
    REQUIRE(name(md.init(mine)) == "ok");

    bytes hello(64);
    auto n = md.tunnel_hello(hello);
    REQUIRE(n);
    CHECK(hex(bytes_view{hello.data(), *n}) ==
          "01000500"
          "0002" +
              hex(bytes{hi(S::profile), lo(S::profile)})); // RFC 9185 §6.2
    CHECK(md.tunnel_version_in_use() == perc::tunnel_version);
    CHECK(status(md.tunnel_hello(bytes_span{hello}.first(*n - 1))) == "buffer_too_small");

    md.set_tunnel_version(1);
    CHECK(md.tunnel_version_in_use() == 1);
    auto n2 = md.tunnel_hello(hello);
    REQUIRE(n2);
    CHECK(hello[3] == 1);

    // A malformed UnsupportedVersion changes nothing.
    CHECK(status(md.on_tunnel_message(from_hex("020000"))) == "tunnel_bad_length");
    CHECK(status(md.on_tunnel_message(from_hex("020001"))) == "truncated");
    CHECK(status(md.on_tunnel_message(from_hex("0200010000"))) == "tunnel_bad_length");
    CHECK(md.tunnel_version_in_use() == 1);

    // RFC 9185 §5.5: the MD MUST use the KD's version when it reconnects; octets after the
    // version are ignored.
    auto ev = md.on_tunnel_message(from_hex("0200020003"));
    REQUIRE(ev);
    CHECK(ev->kind == perc::md_event_kind::version_refused);
    CHECK(ev->kd_version == 0);
    CHECK(md.tunnel_version_in_use() == 0);
    auto n3 = md.tunnel_hello(hello);
    REQUIRE(n3);
    CHECK(hello[3] == 0);
    auto sp = perc::decode_supported_profiles(bytes_view{hello}.subspan(3, *n3 - 3));
    REQUIRE(sp);
    CHECK(sp->size() == 1);
    CHECK((*sp)[0] == S::profile);
}

TEST_CASE_TEMPLATE("RFC 9185 §5.3 md_session links: v4 association ids, peers, wrap_dtls, "
                   "disconnect, unkeyed links",
                   S, ROLE_SUITES)
{
    perc::md_session<typename S::outer, 4> md;
    const std::uint16_t mine[] = {S::profile};
    REQUIRE(md.init(mine) == errc::ok);
    perc::botan::seeded_random rng(61);

    auto e0 = md.add_endpoint(rng);
    auto e1 = md.add_endpoint(rng);
    REQUIRE(e0);
    REQUIRE(e1);
    CHECK(*e0 != *e1);
    CHECK(perc::is_uuid_v4(md.association(*e0)));
    CHECK(perc::is_uuid_v4(md.association(*e1)));
    CHECK(md.association(*e0) != md.association(*e1));
    failing_random bad;
    CHECK(status(md.add_endpoint(bad)) == "backend_failure");

    const std::size_t k = S::outer_key_size;
    const bytes key_a = random_bytes(rng, k), key_b = random_bytes(rng, k);
    const bytes salt_a = random_bytes(rng, 12), salt_b = random_bytes(rng, 12);
    CHECK(status(md.add_peer(bytes_view{key_a}.first(k - 1), salt_a, key_b, salt_b)) ==
          "bad_key_size");
    CHECK(status(md.add_peer(key_a, salt_a, key_a, salt_b)) == "same_hop_keys"); // RFC 8723 §9
    CHECK(status(md.add_peer(key_a, bytes_view{salt_a}.first(11), key_b, salt_b)) ==
          "bad_salt_size");
    auto peer = md.add_peer(key_a, salt_a, key_b, salt_b);
    REQUIRE(peer);
    CHECK(*peer == 2); // the refusals took no slot
    auto e3 = md.add_endpoint(rng);
    REQUIRE(e3);
    CHECK(*e3 == 3);
    CHECK(status(md.add_endpoint(rng)) == "stream_table_full");
    CHECK(status(md.add_peer(key_a, salt_a, key_b, salt_b)) == "stream_table_full");

    CHECK_FALSE(md.is_keyed(*e0));
    CHECK(md.is_keyed(*peer));
    CHECK(md.profile(*e0) == 0);
    CHECK(md.profile(*peer) == 0);
    CHECK(md.link(*e0) == nullptr);
    CHECK(md.link(*peer) != nullptr);

    // wrap_dtls: endpoint links only.
    const bytes dg = {22, 0xFE, 0xFD, 0x00, 0x01, 0x02};
    bytes w(64);
    auto wn = md.wrap_dtls(*e1, dg, w);
    REQUIRE(wn);
    auto fm = perc::next_tunnel_message(bytes_view{w.data(), *wn});
    REQUIRE(fm);
    CHECK(fm->type == perc::tunnel_msg_type::tunneled_dtls);
    auto td = perc::decode_tunneled_dtls(fm->body);
    REQUIRE(td);
    CHECK(td->id == md.association(*e1));
    CHECK(hex(td->dtls_message) == hex(dg));
    CHECK(status(md.wrap_dtls(*peer, dg, w)) == "invalid_argument");
    CHECK(status(md.wrap_dtls(4, dg, w)) == "invalid_argument");
    CHECK(status(md.wrap_dtls(*e1, dg, bytes_span{w}.first(*wn - 1))) == "buffer_too_small");
    CHECK(status(md.wrap_dtls(*e1, bytes_view{}, w)) == "tunnel_bad_vector");

    // Unkeyed endpoint link: no_key; no link at all: invalid_argument.
    const perc::md_opened nothing{};
    bytes in(64, 0), out(64);
    CHECK(status(md.open_rtp(*e0, in, out)) == "no_key");
    CHECK(status(md.open_rtp(7, in, out)) == "invalid_argument");
    CHECK(status(md.forward_rtp(nothing, *e0, out)) == "no_key");
    CHECK(status(md.forward_rtp(nothing, 7, out)) == "invalid_argument");
    CHECK(name(md.skip_rtp(nothing, *e0)) == "no_key");
    CHECK(name(md.skip_rtp(nothing, 7)) == "invalid_argument");
    CHECK(status(md.open_rtcp(*e0, in, out)) == "no_key");
    CHECK(status(md.open_rtcp(7, in, out)) == "invalid_argument");
    CHECK(status(md.forward_rtcp(in, *e0, out)) == "no_key");
    CHECK(status(md.forward_rtcp(in, 7, out)) == "invalid_argument");

    // disconnect (RFC 9185 §5.3): EndpointDisconnect for the KD; the link goes.
    bytes d(perc::endpoint_disconnect_message_size);
    const perc::association_id id1 = md.association(*e1);
    CHECK(status(md.disconnect(*peer, d)) == "invalid_argument");
    CHECK(status(md.disconnect(9, d)) == "invalid_argument");
    CHECK(status(md.disconnect(*e1, bytes_span{d}.first(d.size() - 1))) == "buffer_too_small");
    CHECK(md.association(*e1) == id1); // still there
    REQUIRE(md.wrap_dtls(*e1, dg, w));
    auto dn = md.disconnect(*e1, d);
    REQUIRE(dn);
    CHECK(*dn == 19);
    CHECK(hex(d) == "050010" + hex(id1));
    CHECK(status(md.wrap_dtls(*e1, dg, w)) == "invalid_argument");
    CHECK(status(md.disconnect(*e1, d)) == "invalid_argument");
    CHECK(status(md.open_rtp(*e1, in, out)) == "invalid_argument");
    // The slot is reused, with a new id.
    auto again = md.add_endpoint(rng);
    REQUIRE(again);
    CHECK(*again == *e1);
    CHECK(md.association(*again) != id1);
    md.remove_link(*peer);
    CHECK_FALSE(md.is_keyed(*peer));

    // Many endpoints: all ids distinct v4 UUIDs (RFC 9185 §5.3, RFC 4122 §4.4).
    perc::md_session<typename S::outer, 64> big;
    REQUIRE(big.init(mine) == errc::ok);
    std::set<perc::association_id> ids;
    for (int i = 0; i < 64; ++i) {
        auto l = big.add_endpoint(rng);
        REQUIRE(l);
        CHECK(perc::is_uuid_v4(big.association(*l)));
        ids.insert(big.association(*l));
    }
    CHECK(ids.size() == 64);
}

TEST_CASE_TEMPLATE("RFC 9185 §5.3 md_session::on_tunnel_message: MediaKeys installs client_write "
                   "for the incoming hop; every refusal leaves the links as they were",
                   S, ROLE_SUITES)
{
    using md_type = typename S::md_type;
    using double_type = typename S::double_type;
    md_type md;
    const std::uint16_t mine[] = {S::profile};
    perc::md_session_options mo;
    mo.ekt = false; // plain double packets in this test
    REQUIRE(md.init(mine, mo) == errc::ok);
    perc::botan::seeded_random rng(71);
    auto e0 = md.add_endpoint(rng);
    auto e1 = md.add_endpoint(rng);
    REQUIRE(e0);
    REQUIRE(e1);
    const std::size_t k = S::outer_key_size;

    // The endpoint's double key: inner ‖ outer; the MD gets only the outer halves.
    const bytes inner_key = random_bytes(rng, k), inner_salt = random_bytes(rng, 12);
    media_keys_spec good;
    good.id = md.association(*e0);
    good.profile = S::profile;
    good.cw_key = random_bytes(rng, k);
    good.sw_key = random_bytes(rng, k);
    good.cw_salt = random_bytes(rng, 12);
    good.sw_salt = random_bytes(rng, 12);
    auto cat = [](const bytes& a, const bytes& b) {
        bytes r = a;
        r.insert(r.end(), b.begin(), b.end());
        return r;
    };
    double_type ep_tx, ep_rx; // the endpoint sends with client_write, receives with server_write
    REQUIRE(ep_tx.init(cat(inner_key, good.cw_key), cat(inner_salt, good.cw_salt)) == errc::ok);
    REQUIRE(ep_rx.init(cat(inner_key, good.sw_key), cat(inner_salt, good.sw_salt)) == errc::ok);
    std::uint16_t seq = 500;
    auto protect = [&](double_type& tx) {
        rtp_spec s;
        s.seq = seq++;
        s.ssrc = 0xCAFE;
        s.payload = bytes(30, 0x42);
        const bytes plain = build_rtp(s);
        bytes w(plain.size() + double_type::protect_overhead);
        auto r = tx.protect_rtp(plain, w);
        REQUIRE(r);
        w.resize(r->size());
        return w;
    };

    auto refused = [&](const media_keys_spec& s, const char* why) {
        CHECK(status(md.on_tunnel_message(mk_message(s))) == why);
        CHECK_FALSE(md.is_keyed(*e0));
        CHECK(md.profile(*e0) == 0);
    };
    media_keys_spec s = good;
    s.id = random_id(rng);
    refused(s, "unknown_association");
    s = good;
    s.profile = 0x0007;
    refused(s, "no_common_profile");
    s.profile = S::other_profile;
    refused(s, "no_common_profile");
    s = good;
    s.mki = {0x01};
    refused(s, "unsupported"); // RFC 8870 §4: no MKI with EKT
    s = good;
    s.cw_key.pop_back();
    refused(s, "bad_key_size");
    s = good;
    s.sw_key.push_back(0);
    refused(s, "bad_key_size");
    s = good;
    s.cw_key = cat(inner_key, good.cw_key); // the whole double key: never for an MD
    refused(s, "bad_key_size");
    s = good;
    s.cw_salt.pop_back();
    refused(s, "bad_salt_size");
    s = good;
    s.sw_salt.push_back(0);
    refused(s, "bad_salt_size");
    s = good;
    s.sw_key = s.cw_key;
    refused(s, "same_hop_keys"); // RFC 8723 §9
    bytes trailing = mk_message(good);
    trailing.push_back(0);
    CHECK(status(md.on_tunnel_message(trailing)) == "tunnel_bad_length");
    const bytes whole = mk_message(good);
    CHECK(status(md.on_tunnel_message(bytes_view{whole}.first(whole.size() - 1))) == "truncated");
    bytes zero_key = whole;
    zero_key[3 + 16 + 2 + 1] = 0; // client_write key length 0 (vector <1..255>)
    CHECK(status(md.on_tunnel_message(zero_key)) == "tunnel_bad_vector");
    CHECK(status(md.on_tunnel_message(sp_message(0, {S::profile}))) == "tunnel_bad_message");
    CHECK(status(md.on_tunnel_message(from_hex("0700020000"))) == "tunnel_unknown_type");
    CHECK_FALSE(md.is_keyed(*e0));

    auto ev = md.on_tunnel_message(whole);
    REQUIRE(ev);
    CHECK(ev->kind == perc::md_event_kind::keys_installed);
    CHECK(ev->link == *e0);
    CHECK(md.is_keyed(*e0));
    CHECK(md.profile(*e0) == S::profile);
    CHECK_FALSE(md.is_keyed(*e1));

    // Direction (RFC 5764 §4.2, RFC 9185 §6.4): the MD opens what the endpoint sent with
    // client_write, and what it forwards back opens with server_write.
    const bytes w1 = protect(ep_tx);
    bytes scratch(w1.size());
    auto o = md.open_rtp(*e0, w1, scratch);
    REQUIRE(o);
    bytes fwd(w1.size() + 8);
    auto f = md.forward_rtp(*o, *e0, fwd);
    REQUIRE(f);
    bytes back(f->packet.size());
    auto u = ep_rx.unprotect_rtp(f->packet, back);
    REQUIRE(u);
    CHECK(u->original.seq == 500);

    // e1 keyed with the halves swapped cannot open that endpoint's packets.
    media_keys_spec swapped = good;
    swapped.id = md.association(*e1);
    std::swap(swapped.cw_key, swapped.sw_key);
    std::swap(swapped.cw_salt, swapped.sw_salt);
    REQUIRE(md.on_tunnel_message(mk_message(swapped)));
    const bytes w2 = protect(ep_tx);
    scratch.assign(w2.size(), 0);
    CHECK(status(md.open_rtp(*e1, w2, scratch)) == "auth_failed");
    CHECK(md.stats(*e1).rtp_rejected == 1);
    CHECK(md.stats(*e1).rtp_received == 0);

    // A refused MediaKeys for a keyed link keeps its keys and state.
    s = good;
    s.sw_key = s.cw_key;
    CHECK(status(md.on_tunnel_message(mk_message(s))) == "same_hop_keys");
    CHECK(md.is_keyed(*e0));
    scratch.assign(w2.size(), 0);
    REQUIRE(md.open_rtp(*e0, w2, scratch));
    CHECK(md.stats(*e0).rtp_received == 2);

    // A second MediaKeys (DTLS re-handshake) replaces the keys.
    media_keys_spec next = good;
    next.cw_key = random_bytes(rng, k);
    next.sw_key = random_bytes(rng, k);
    REQUIRE(md.on_tunnel_message(mk_message(next)));
    double_type ep_tx2;
    REQUIRE(ep_tx2.init(cat(inner_key, next.cw_key), cat(inner_salt, next.cw_salt)) == errc::ok);
    const bytes old_key_packet = protect(ep_tx);
    scratch.assign(old_key_packet.size(), 0);
    CHECK(status(md.open_rtp(*e0, old_key_packet, scratch)) == "auth_failed");
    const bytes new_key_packet = protect(ep_tx2);
    scratch.assign(new_key_packet.size(), 0);
    CHECK(status(md.open_rtp(*e0, new_key_packet, scratch)) == "ok");

    // TunneledDtls from the KD: the datagram for the association's endpoint.
    const bytes flight = {22, 0xFE, 0xFD, 0x00, 0x02, 0x03};
    const bytes down = dtls_message(md.association(*e1), flight);
    auto dev = md.on_tunnel_message(down);
    REQUIRE(dev);
    CHECK(dev->kind == perc::md_event_kind::dtls_to_endpoint);
    CHECK(dev->link == *e1);
    CHECK(hex(dev->dtls) == hex(flight));
    CHECK(status(md.on_tunnel_message(dtls_message(random_id(rng), flight))) ==
          "unknown_association");

    // EndpointDisconnect from the KD (RFC 9185 §5.4): the link goes.
    const perc::association_id id0 = md.association(*e0);
    CHECK(status(md.on_tunnel_message(disconnect_message(random_id(rng)))) ==
          "unknown_association");
    CHECK(md.is_keyed(*e0));
    auto gone = md.on_tunnel_message(disconnect_message(id0));
    REQUIRE(gone);
    CHECK(gone->kind == perc::md_event_kind::endpoint_disconnected);
    CHECK(gone->link == *e0);
    CHECK_FALSE(md.is_keyed(*e0));
    CHECK(md.stats(*e0).rtp_received == 0);
    CHECK(status(md.open_rtp(*e0, new_key_packet, scratch)) == "invalid_argument");
    CHECK(status(md.on_tunnel_message(disconnect_message(id0))) == "unknown_association");
    CHECK(status(md.on_tunnel_message(mk_message(good))) == "unknown_association");
}

// ============================================================== the conference, end to end

TEST_CASE_TEMPLATE("RFC 8871 §4.5, RFC 9185 §5.3/§5.4, RFC 8723 §5.2: KD + MD + 3 endpoints over "
                   "tunnel bytes; PT/SEQ/M/extension rewrites recovered; a tampering MD is caught",
                   S, ROLE_SUITES)
{
    conference<S> c(101);
    // SupportedProfiles ×2, UnsupportedVersion, then per endpoint TunneledDtls ×2 + MediaKeys.
    CHECK(c.tunnel_count[1] == 2);
    CHECK(c.tunnel_count[2] == 1);
    CHECK(c.tunnel_count[3] == 3);
    CHECK(c.tunnel_count[4] == 6);
    CHECK(c.kd.association_count() == 3);

    const std::array<std::uint8_t, 4> level = {0x10, 0x55, 0x00, 0x00};
    std::uint64_t now = 0;
    for (int round = 0; round < 4; ++round, now += 20) {
        for (std::size_t i = 0; i < 3; ++i) {
            for (std::size_t kind = 0; kind < 2; ++kind) {
                auto p = c.send(i, kind, now);
                bytes scratch;
                const perc::md_opened o = c.open(i, p.wire, scratch);
                const std::size_t a = (i + 1) % 3, b = (i + 2) % 3;
                // To a: new PT, M set, the MD's own audio-level element (RFC 8723 §5.2).
                perc::relay_changes ca;
                ca.payload_type = 109;
                ca.marker = true;
                ca.extension = perc::relay_changes::extension_action::replace;
                ca.extension_body = bytes_view{level.data(), level.size()};
                // To b: renumbered SEQ, extension removed.
                perc::relay_changes cb;
                cb.seq = static_cast<std::uint16_t>(o.wire.seq + 7000);
                cb.extension = perc::relay_changes::extension_action::remove;
                const bytes to_a = c.forward(o, a, ca);
                const bytes to_b = c.forward(o, b, cb);

                bytes out_a, out_b;
                auto ra = c.receive(a, to_a, out_a, now);
                auto rb = c.receive(b, to_b, out_b, now);
                REQUIRE(ra);
                REQUIRE(rb);
                check_original(p.plain, *ra);
                check_original(p.plain, *rb);
                CHECK(ra->media.outer.payload_type == 109);
                CHECK(ra->media.outer.marker);
                CHECK(ra->media.header_size == 20);
                CHECK(hex(bytes_view{ra->media.packet}.subspan(12, 8)) == "bede0001" + hex(level));
                CHECK(rb->media.outer.seq == static_cast<std::uint16_t>(o.wire.seq + 7000));
                CHECK(rb->media.header_size == 12);
                CHECK((rb->media.packet[0] & 0x10) == 0);
                // The first packets carry FullEKTFields: each receiver learns the sender's key.
                if (round == 0) {
                    CHECK(ra->ekt.kind == perc::ekt_kind::full_field);
                    CHECK(ra->ekt.event == perc::ekt_event::new_key);
                }
            }
        }
    }

    // The MD holds only hop keys: they do not open the end-to-end layer (RFC 8871 §6.2).
    {
        auto p = c.send(0, 0, now);
        bytes scratch;
        const perc::md_opened o = c.open(0, p.wire, scratch);
        auto* link = c.md.link(c.members[0].link);
        REQUIRE(link != nullptr);
        bytes synthetic(o.packet.begin(), o.packet.begin() + 12);
        synthetic[0] = static_cast<std::uint8_t>(synthetic[0] & 0xEF);
        const bytes_view inner{o.packet.data() + o.header_size, o.inner_size};
        bytes sink(o.inner_size);
        const auto out = bytes_span{sink}.first(o.inner_size - 16);
        CHECK(name(link->receive_transform().open_rtp(o.ssrc, o.wire.seq, perc::aad_view{synthetic},
                                                      inner, out)) == "auth_failed");
        CHECK(name(link->send_transform().open_rtp(o.ssrc, o.wire.seq, perc::aad_view{synthetic},
                                                   inner, out)) == "auth_failed");
        // deliver it normally so the stream stays in order
        const bytes to1 = c.forward(o, 1);
        bytes out1;
        REQUIRE(c.receive(1, to1, out1, now));
    }

    // RFC 8723 §9: the MD flips an inner ciphertext octet after open_rtp; its outer layer is
    // valid, the receiver's inner layer rejects it — in place, the buffer left as it was.
    now += 20;
    auto p = c.send(0, 1, now);
    bytes scratch;
    perc::md_opened o = c.open(0, p.wire, scratch);
    const std::size_t at = o.header_size + 3;
    o.packet[at] ^= 0x01;
    const bytes tampered = c.forward(o, 1);
    bytes buf = tampered;
    auto bad = c.members[1].session->unprotect_rtp(buf, buf, now);
    REQUIRE_FALSE(bad);
    CHECK(name(bad.error()) == "auth_failed");
    CHECK(hex(buf) == hex(tampered));
    // Twice: nothing was committed.
    bytes out_t;
    auto bad2 = c.receive(1, tampered, out_t, now);
    REQUIRE_FALSE(bad2);
    CHECK(name(bad2.error()) == "auth_failed");

    // The untampered packet, as the honest MD would have sent it on that hop (same SEQ, same
    // hop key), is then accepted: the failure changed no state.
    auto split = perc::decode_ekt_field(tampered);
    REQUIRE(split);
    auto th = perc::decode_rtp_header(split->srtp);
    REQUIRE(th);
    const std::size_t hs = th->header_size;
    auto* to1 = c.md.link(c.members[1].link);
    REQUIRE(to1 != nullptr);
    const bytes_view header = split->srtp.first(hs);
    const std::size_t plain_size = split->srtp.size() - hs - 16;
    bytes outer_plain(plain_size);
    REQUIRE(name(to1->send_transform().open_rtp(th->ssrc, th->seq, perc::aad_view{header},
                                                split->srtp.subspan(hs), outer_plain)) == "ok");
    outer_plain[at - o.header_size] ^= 0x01;
    bytes honest(header.begin(), header.end());
    honest.resize(hs + plain_size + 16);
    REQUIRE(name(to1->send_transform().seal_rtp(th->ssrc, th->seq, perc::aad_view{header},
                                                outer_plain, bytes_span{honest}.subspan(hs))) ==
            "ok");
    honest.insert(honest.end(), split->tag.begin(), split->tag.end());
    bytes out_h;
    auto good = c.receive(1, honest, out_h, now);
    REQUIRE(good);
    check_original(p.plain, *good);
}

TEST_CASE_TEMPLATE("RFC 8723 §5.2 md_session selective forwarding: skipped packets close the SEQ "
                   "gap and the receiver recovers the original SEQ from the OHB",
                   S, ROLE_SUITES)
{
    conference<S> c(202);
    const std::set<int> skipped_for_2 = {3, 4, 8};
    const std::uint16_t first = c.members[0].seq[0];
    std::uint16_t next_outer = first;
    for (int i = 0; i < 12; ++i) {
        const std::uint64_t now = 20u * static_cast<std::uint64_t>(i);
        auto p = c.send(0, 0, now);
        bytes scratch;
        const perc::md_opened o = c.open(0, p.wire, scratch);
        CHECK(o.wire.seq == static_cast<std::uint16_t>(first + i));
        // E1 gets everything, unchanged SEQ.
        bytes out1;
        auto r1 = c.receive(1, c.forward(o, 1), out1, now);
        REQUIRE(r1);
        CHECK(r1->media.outer.seq == r1->media.original.seq);
        if (skipped_for_2.count(i)) {
            CHECK(name(c.md.skip_rtp(o, c.members[2].link)) == "ok");
            continue;
        }
        bytes out = c.out_buffer(o);
        auto f = c.md.forward_rtp(o, c.members[2].link, out);
        REQUIRE(f);
        CHECK(f->sent.seq == next_outer);
        if (next_outer != o.wire.seq) {
            REQUIRE(f->ohb_sent.seq.has_value());
            CHECK(*f->ohb_sent.seq == o.wire.seq); // RFC 8723 §5.2: the original is recorded
        }
        const bytes wire(f->packet.begin(), f->packet.end());
        bytes out2;
        auto r2 = c.receive(2, wire, out2, now);
        REQUIRE(r2);
        CHECK(r2->media.outer.seq == next_outer); // contiguous on the hop
        CHECK(r2->media.original.seq == static_cast<std::uint16_t>(first + i));
        check_original(p.plain, *r2);
        ++next_outer;
    }
    CHECK(next_outer == static_cast<std::uint16_t>(first + 9));
    const perc::md_link_stats s0 = c.md.stats(c.members[0].link);
    const perc::md_link_stats s1 = c.md.stats(c.members[1].link);
    const perc::md_link_stats s2 = c.md.stats(c.members[2].link);
    CHECK(s0.rtp_received == 12);
    CHECK(s0.rtp_rejected == 0);
    CHECK(s1.rtp_forwarded == 12);
    CHECK(s1.rtp_dropped == 0);
    CHECK(s2.rtp_forwarded == 9);
    CHECK(s2.rtp_dropped == 3);
    CHECK(c.md.stats(99).rtp_received == 0);

    // An explicit SEQ in the changes wins over the renumbering.
    auto p = c.send(0, 0, 400);
    bytes scratch;
    const perc::md_opened o = c.open(0, p.wire, scratch);
    perc::relay_changes ch;
    ch.seq = static_cast<std::uint16_t>(next_outer + 10);
    bytes out = c.out_buffer(o);
    auto f = c.md.forward_rtp(o, c.members[2].link, out, ch);
    REQUIRE(f);
    CHECK(f->sent.seq == static_cast<std::uint16_t>(next_outer + 10));
}

TEST_CASE_TEMPLATE("md_session: skip_rtp refuses when the gap table is full, nothing recorded", S,
                   ROLE_SUITES)
{
    perc::md_session_options mo;
    mo.max_streams = 1;
    conference<S> c(303, 2, mo);
    auto p = c.send(0, 0, 0);
    bytes scratch;
    const perc::md_opened o = c.open(0, p.wire, scratch);
    CHECK(name(c.md.skip_rtp(o, c.members[1].link)) == "ok");
    perc::md_opened other = o;
    other.ssrc = c.members[0].ssrc[1];
    CHECK(name(c.md.skip_rtp(other, c.members[1].link)) == "stream_table_full");
    CHECK(c.md.stats(c.members[1].link).rtp_dropped == 1);
    // The second SSRC does not fit the incoming table either.
    auto v = c.send(0, 1, 0);
    bytes scratch2(v.wire.size());
    CHECK(status(c.md.open_rtp(c.members[0].link, v.wire, scratch2)) == "stream_table_full");
    CHECK(c.md.stats(c.members[0].link).rtp_rejected == 1);
}

TEST_CASE_TEMPLATE("RFC 8723 §5.2 md_session: on any error nothing changes", S, ROLE_SUITES)
{
    conference<S> c(404);
    const std::size_t l0 = c.members[0].link, l1 = c.members[1].link;
    auto p = c.send(0, 0, 0);

    // Incoming hop: a forged outer tag, a short scratch buffer.
    bytes forged = p.wire;
    auto split = perc::decode_ekt_field(p.wire);
    REQUIRE(split);
    forged[split->srtp.size() - 1] ^= 0x80;
    const bytes forged_copy = forged;
    bytes scratch(p.wire.size());
    CHECK(status(c.md.open_rtp(l0, forged, scratch)) == "auth_failed");
    CHECK(hex(forged) == hex(forged_copy));
    CHECK(status(c.md.open_rtp(l0, p.wire, bytes_span{scratch}.first(20))) == "buffer_too_small");
    CHECK(c.md.stats(l0).rtp_rejected == 2);
    CHECK(c.md.stats(l0).rtp_received == 0);
    // The genuine packet still opens (no replay state was taken).
    const perc::md_opened o = c.open(0, p.wire, scratch);
    CHECK(c.md.stats(l0).rtp_received == 1);
    bytes replay_scratch(p.wire.size());
    CHECK(status(c.md.open_rtp(l0, p.wire, replay_scratch)) == "replayed");

    // Outgoing hop: too small, a bad PT, then the real forward (its SEQ was not consumed).
    bytes small(o.packet.size());
    CHECK(status(c.md.forward_rtp(o, l1, small)) == "buffer_too_small");
    perc::relay_changes bad_pt;
    bad_pt.payload_type = 128;
    bytes out = c.out_buffer(o);
    CHECK(status(c.md.forward_rtp(o, l1, out, bad_pt)) == "invalid_argument");
    CHECK(c.md.stats(l1).rtp_forwarded == 0);
    auto f = c.md.forward_rtp(o, l1, out);
    REQUIRE(f);
    CHECK(f->sent.seq == o.wire.seq);
    const bytes sent(f->packet.begin(), f->packet.end());
    bytes again = c.out_buffer(o);
    CHECK(status(c.md.forward_rtp(o, l1, again)) == "index_reused");
    CHECK(c.md.stats(l1).rtp_forwarded == 1);
    bytes r;
    auto got = c.receive(1, sent, r, 0);
    REQUIRE(got);
    check_original(p.plain, *got);
}

TEST_CASE_TEMPLATE("RFC 8871 §4.1, RFC 8723 §6: RTCP both ways through the MD, hop by hop; "
                   "one open_rtcp fans out to several links",
                   S, ROLE_SUITES)
{
    conference<S> c(505);
    auto sr_of = [](std::uint32_t ssrc, std::uint8_t tag) {
        bytes sr(28, 0);
        sr[0] = 0x80;
        sr[1] = 200;
        sr[3] = 6;
        for (std::size_t i = 0; i < 4; ++i)
            sr[4 + i] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
        sr[11] = tag;
        return sr;
    };
    for (std::size_t from = 0; from < 3; ++from) {
        for (std::uint8_t n = 0; n < 3; ++n) {
            const bytes sr = sr_of(c.members[from].ssrc[0],
                                   static_cast<std::uint8_t>(10 * from + n));
            bytes wire(sr.size() + 64);
            auto w = c.members[from].session->protect_rtcp(sr, wire);
            REQUIRE(w);
            wire.resize(w->size());
            // A forgery is refused on the incoming hop, input unchanged, state untouched.
            bytes forged = wire;
            forged[10] ^= 0x01;
            const bytes copy = forged;
            bytes plain(wire.size());
            CHECK(status(c.md.open_rtcp(c.members[from].link, forged, plain)) == "auth_failed");
            CHECK(hex(forged) == hex(copy));
            auto op = c.md.open_rtcp(c.members[from].link, wire, plain);
            REQUIRE(op);
            CHECK(hex(*op) == hex(sr)); // the MD may read RTCP (RFC 8871 §4.4)
            const bytes report(op->begin(), op->end());
            for (std::size_t to = 0; to < 3; ++to) {
                if (to == from) continue;
                bytes out(report.size() + 64);
                auto fw = c.md.forward_rtcp(report, c.members[to].link, out);
                REQUIRE(fw);
                const bytes hop(fw->begin(), fw->end());
                bytes got(hop.size());
                auto u = c.members[to].session->unprotect_rtcp(hop, got);
                REQUIRE(u);
                CHECK(hex(*u) == hex(sr));
            }
            // A replay is refused too.
            bytes again(wire.size());
            CHECK(status(c.md.open_rtcp(c.members[from].link, wire, again)) == "replayed");
        }
    }
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(c.md.stats(c.members[i].link).rtcp_forwarded == 6);
        CHECK(c.md.stats(c.members[i].link).rtcp_rejected == 6);
    }
    // RTCP bytes from an endpoint do not open at another endpoint directly: hop keys differ.
    const bytes sr = sr_of(c.members[0].ssrc[0], 99);
    bytes wire(sr.size() + 64);
    auto w = c.members[0].session->protect_rtcp(sr, wire);
    REQUIRE(w);
    bytes got(w->size());
    CHECK(status(c.members[1].session->unprotect_rtcp(*w, got)) == "auth_failed");
}

// ======================================================================= endpoint_session

TEST_CASE_TEMPLATE("RFC 8871 §4.5 endpoint_session::init: profile, SSRC list and keying-material "
                   "checks; a refused init leaves the session as it was",
                   S, ROLE_SUITES)
{
    using session_type = typename S::session_type;
    perc::botan::seeded_random rng(601);
    std::array<std::uint8_t, perc::max_keying_material_size> buf{};
    auto gen = perc::generate_keying_material(S::profile, rng, buf);
    REQUIRE(gen);
    const bytes km(gen->begin(), gen->end());
    std::array<std::uint8_t, perc::max_keying_material_size> obuf{};
    auto other = perc::generate_keying_material(S::other_profile, rng, obuf);
    REQUIRE(other);
    const std::uint32_t own[] = {0x11, 0x22};
    const std::uint32_t three[] = {1, 2, 3};
    const std::uint32_t dup[] = {7, 7};

    session_type s;
    std::array<std::uint8_t, 64> body{};
    CHECK(name(s.on_ekt_key(body, S::cipher, rng, 0)) == "no_key");
    CHECK(name(s.rekey(rng, 0)) == "no_key");

    auto refusals = [&] {
        CHECK(name(s.init(0x0007, km, own)) == "unsupported");
        CHECK(name(s.init(0x0008, km, own)) == "unsupported");
        CHECK(name(s.init(S::other_profile, *other, own)) == "unsupported");
        CHECK(name(s.init(0x1234, km, own)) == "unsupported");
        CHECK(name(s.init(S::profile, km, std::span<const std::uint32_t>{})) == "invalid_argument");
        CHECK(name(s.init(S::profile, km, three)) == "invalid_argument");
        CHECK(name(s.init(S::profile, km, dup)) == "invalid_argument");
        CHECK(name(s.init(S::profile, bytes_view{km}.first(km.size() - 1), own)) == "truncated");
        bytes longer = km;
        longer.push_back(0);
        CHECK(name(s.init(S::profile, longer, own)) == "truncated");
        CHECK(name(s.init(S::profile, *other, own)) == "truncated");
    };
    refusals();
    CHECK(name(s.on_ekt_key(body, S::cipher, rng, 0)) == "no_key"); // still not keyed

    REQUIRE(name(s.init(S::profile, km, own)) == "ok");
    perc::key_distributor<> kd;
    const std::uint16_t p[] = {S::profile};
    REQUIRE(kd.init(p, S::cipher, 60, rng) == errc::ok);
    auto n = kd.encode_ekt_key(body);
    REQUIRE(n);
    REQUIRE(name(s.on_ekt_key(bytes_view{body.data(), *n}, S::cipher, rng, 0)) == "ok");
    REQUIRE(s.has_ekt_key());

    refusals();
    CHECK(s.has_ekt_key());
    REQUIRE(s.sender(0x11) != nullptr);
    CHECK(s.sender(0x33) == nullptr);
    rtp_spec spec;
    spec.ssrc = 0x22;
    spec.payload = bytes(20, 1);
    const bytes plain = build_rtp(spec);
    bytes wire(plain.size() + session_type::protect_overhead);
    CHECK(status(s.protect_rtp(plain, wire, 0)) == "ok");
}

TEST_CASE_TEMPLATE("RFC 8870 §5.2.2 endpoint_session::on_ekt_key refusals change nothing", S,
                   ROLE_SUITES)
{
    using session_type = typename S::session_type;
    perc::botan::seeded_random rng(701);
    std::array<std::uint8_t, perc::max_keying_material_size> buf{};
    auto km = perc::generate_keying_material(S::profile, rng, buf);
    REQUIRE(km);
    const std::uint32_t own[] = {0x51};
    session_type s;
    REQUIRE(s.init(S::profile, *km, own) == errc::ok);

    const std::uint16_t p[] = {S::profile};
    perc::key_distributor<> kd, kd_other;
    REQUIRE(kd.init(p, S::cipher, 60, rng) == errc::ok);
    REQUIRE(kd_other.init(p, S::other_cipher, 60, rng) == errc::ok);
    std::array<std::uint8_t, 64> body{}, other{};
    auto n = kd.encode_ekt_key(body);
    auto on = kd_other.encode_ekt_key(other);
    REQUIRE(n);
    REQUIRE(on);
    const bytes good(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(*n));
    const bytes wrong_cipher(other.begin(), other.begin() + static_cast<std::ptrdiff_t>(*on));

    rtp_spec spec;
    spec.ssrc = 0x51;
    spec.payload = bytes(20, 1);
    const bytes plain = build_rtp(spec);
    bytes wire(plain.size() + session_type::protect_overhead);
    auto unchanged = [&] {
        CHECK_FALSE(s.has_ekt_key());
        CHECK(status(s.protect_rtp(plain, wire, 0)) == "no_key");
    };

    CHECK(name(s.on_ekt_key(bytes_view{good}.first(good.size() - 1), S::cipher, rng, 0)) ==
          "truncated");
    CHECK(name(s.on_ekt_key(bytes_view{}, S::cipher, rng, 0)) == "truncated");
    bytes longer = good;
    longer.push_back(0);
    CHECK(name(s.on_ekt_key(longer, S::cipher, rng, 0)) == "ekt_bad_length");
    bytes zero_vec = good;
    zero_vec[0] = 0;
    zero_vec[1] = 0;
    CHECK(name(s.on_ekt_key(zero_vec, S::cipher, rng, 0)) == "ekt_bad_length");
    unchanged();
    // RFC 8870 §4.4.1: the key must be L octets for the negotiated cipher.
    CHECK(name(s.on_ekt_key(wrong_cipher, S::cipher, rng, 0)) == "bad_key_size");
    CHECK(name(s.on_ekt_key(good, S::other_cipher, rng, 0)) == "bad_key_size");
    // A key of the right size for the cipher named, which this session's EKT cannot use.
    CHECK(name(s.on_ekt_key(wrong_cipher, S::other_cipher, rng, 0)) == "bad_key_size");
    CHECK(name(s.on_ekt_key(good, static_cast<perc::ekt_cipher>(0), rng, 0)) == "invalid_argument");
    unchanged();
    // RFC 8870 §5.2.2: ekt_ttl 0 allows no use at all.
    {
        auto m = perc::decode_ekt_key_message(good);
        REQUIRE(m);
        perc::ekt_key_message z = *m;
        z.ekt_ttl = 0;
        bytes zb(good.size());
        REQUIRE(perc::encode_ekt_key_message(z, zb));
        CHECK(name(s.on_ekt_key(zb, S::cipher, rng, 0)) == "key_usage_exhausted");
    }
    failing_random bad;
    CHECK(name(s.on_ekt_key(good, S::cipher, bad, 0)) == "backend_failure");
    unchanged();
    CHECK(name(s.rekey(rng, 0)) == "no_key");

    REQUIRE(name(s.on_ekt_key(good, S::cipher, rng, 0)) == "ok");
    CHECK(s.has_ekt_key());
    REQUIRE(s.sender(0x51) != nullptr);
    CHECK(s.sender(0x51)->spi() == kd.spi());
    CHECK(s.sender(0x51)->epoch() == 0);
    auto w = s.protect_rtp(plain, wire, 0);
    REQUIRE(w);
    auto f = perc::decode_ekt_field(*w);
    REQUIRE(f);
    CHECK(f->kind == perc::ekt_kind::full_field); // RFC 8870 §4.6: the first packets carry Full
    CHECK(f->full.spi == kd.spi());
    CHECK(f->full.epoch == 0);

    // RFC 8870 §4.1: one parameter set per SPI. The SPI in use with another key or salt is
    // refused and changes nothing; the same EKTKey again is accepted and changes nothing.
    auto m = perc::decode_ekt_key_message(good);
    REQUIRE(m);
    for (int which = 0; which < 2; ++which) {
        bytes k(m->ekt_key_value.begin(), m->ekt_key_value.end());
        bytes salt(m->srtp_master_salt.begin(), m->srtp_master_salt.end());
        (which == 0 ? k : salt)[0] ^= 0x01;
        perc::ekt_key_message z = *m;
        z.ekt_key_value = k;
        z.srtp_master_salt = salt;
        bytes zb(good.size());
        REQUIRE(perc::encode_ekt_key_message(z, zb));
        CHECK(name(s.on_ekt_key(zb, S::cipher, rng, 10)) == "invalid_argument");
        CHECK(s.sender(0x51)->spi() == kd.spi());
        CHECK(s.sender(0x51)->epoch() == 0);
    }
    CHECK(name(s.on_ekt_key(good, S::cipher, rng, 10)) == "ok");
    CHECK(s.sender(0x51)->epoch() == 0);
}

TEST_CASE_TEMPLATE("RFC 8870 §4.3.2: protect_rtp refuses foreign SSRCs; a late joiner gets no_key "
                   "until the sender's first FullEKTField, then decrypts",
                   S, ROLE_SUITES)
{
    conference<S> c(808);
    // A foreign or malformed packet is not protected.
    {
        rtp_spec spec;
        spec.ssrc = 0xDEAD;
        spec.payload = bytes(10, 0);
        const bytes plain = build_rtp(spec);
        bytes wire(plain.size() + S::session_type::protect_overhead);
        CHECK(status(c.members[0].session->protect_rtp(plain, wire, 0)) == "no_stream");
        CHECK(status(c.members[0].session->protect_rtp(bytes_view{plain}.first(8), wire, 0)) ==
              "truncated");
    }
    // E0's first three packets (Full fields, RFC 8870 §4.6) reach E1 only; E2 joins late.
    std::vector<bytes> to_e2;
    std::vector<typename conference<S>::packet> sent;
    for (int i = 0; i < 5; ++i) {
        const std::uint64_t now = 20u * static_cast<std::uint64_t>(i);
        auto p = c.send(0, 0, now, /*key_frame=*/i == 4);
        auto f = perc::decode_ekt_field(p.wire);
        REQUIRE(f);
        CHECK(f->kind ==
              (i < 3 || i == 4 ? perc::ekt_kind::full_field : perc::ekt_kind::short_field));
        bytes scratch;
        const perc::md_opened o = c.open(0, p.wire, scratch);
        bytes out1;
        REQUIRE(c.receive(1, c.forward(o, 1), out1, now));
        if (i < 3) REQUIRE(c.md.skip_rtp(o, c.members[2].link) == errc::ok);
        else to_e2.push_back(c.forward(o, 2));
        sent.push_back(p);
    }
    // Packet 3 (ShortEKTField): no key for that SSRC yet -> no_key, before any decryption,
    // buffer untouched (in place).
    bytes buf = to_e2[0];
    auto r = c.members[2].session->unprotect_rtp(buf, buf, 60);
    REQUIRE_FALSE(r);
    CHECK(name(r.error()) == "no_key");
    CHECK(hex(buf) == hex(to_e2[0]));
    CHECK(c.members[2].session->receive_transform().find_stream(c.members[0].ssrc[0]) == nullptr);
    // Packet 4 (key frame, FullEKTField): the key is learned, the packet decrypts.
    bytes out;
    auto r4 = c.receive(2, to_e2[1], out, 80);
    REQUIRE(r4);
    CHECK(r4->ekt.kind == perc::ekt_kind::full_field);
    CHECK(r4->ekt.event == perc::ekt_event::new_key);
    check_original(sent[4].plain, *r4);
    CHECK(r4->media.outer.seq == static_cast<std::uint16_t>(r4->media.original.seq - 3));
    // Packet 3 again: accepted now (its earlier no_key recorded nothing).
    bytes out3;
    auto r3 = c.receive(2, to_e2[0], out3, 90);
    REQUIRE(r3);
    CHECK(r3->ekt.kind == perc::ekt_kind::short_field);
    CHECK(r3->ekt.event == perc::ekt_event::none);
    check_original(sent[3].plain, *r3);
}

TEST_CASE_TEMPLATE("RFC 8870 §4.3.1, RFC 8871 §4.5.2: endpoint rekey — Epoch + 1, old key during "
                   "the 250 ms overlap, receivers follow",
                   S, ROLE_SUITES)
{
    conference<S> c(909);
    const std::uint32_t ssrc = c.members[0].ssrc[0];
    // `out` receives the plaintext the result points into.
    auto deliver = [&](std::size_t j, const perc::md_opened& o, std::uint64_t now, bytes& out) {
        return c.receive(j, c.forward(o, j), out, now);
    };
    for (std::uint64_t t = 0; t < 1000; t += 50) {
        auto p = c.send(0, 0, t);
        bytes scratch;
        const perc::md_opened o = c.open(0, p.wire, scratch);
        bytes out1, out2;
        REQUIRE(deliver(1, o, t, out1));
        REQUIRE(deliver(2, o, t, out2));
    }
    REQUIRE(c.members[0].session->sender(ssrc) != nullptr);
    CHECK(c.members[0].session->sender(ssrc)->epoch() == 0);
    failing_random bad;
    CHECK(name(c.members[0].session->rekey(bad, 1000)) == "backend_failure");
    CHECK(c.members[0].session->sender(ssrc)->epoch() == 0);
    REQUIRE(name(c.members[0].session->rekey(c.rng, 1000)) == "ok");
    CHECK(c.members[0].session->sender(ssrc)->epoch() == 1);
    CHECK(c.members[0].session->sender(c.members[0].ssrc[1])->epoch() == 1);

    // E1 gets everything; E2 misses the announcement (Full fields at 1000, 1050, 1100, 1200)
    // but gets 1150 (Short, still the old key) and 1350 (Short, the new key).
    bool learned = false;
    bytes kept;
    for (std::uint64_t t = 1000; t <= 1600; t += 50) {
        auto p = c.send(0, 0, t);
        auto f = perc::decode_ekt_field(p.wire);
        REQUIRE(f);
        const bool full = t <= 1100 || (t >= 1200 && t % 100 == 0);
        CHECK(f->kind == (full ? perc::ekt_kind::full_field : perc::ekt_kind::short_field));
        if (full) CHECK(f->full.epoch == 1);
        bytes scratch;
        const perc::md_opened o = c.open(0, p.wire, scratch);
        bytes out1;
        auto r1 = deliver(1, o, t, out1);
        REQUIRE(r1);
        check_original(p.plain, *r1);
        if (r1->ekt.event == perc::ekt_event::new_key) {
            CHECK(t == 1000);
            learned = true;
        }
        if (t == 1150) {
            bytes out;
            auto r = deliver(2, o, t, out);
            CHECK(status(r) == "ok"); // within the overlap: still the old key, which E2 has
        } else if (t == 1350) {
            kept = c.forward(o, 2);
            bytes out;
            auto r = c.receive(2, kept, out, t);
            CHECK(status(r) == "auth_failed"); // after the switch: E2 lacks the new key
        } else if (t == 1400) {
            bytes out;
            auto r = deliver(2, o, t, out); // a FullEKTField with Epoch 1
            REQUIRE(r);
            CHECK(r->ekt.event == perc::ekt_event::new_key);
            check_original(p.plain, *r);
            bytes out_kept;
            CHECK(status(c.receive(2, kept, out_kept, t)) == "ok"); // the refusal committed nothing
        } else if (t > 1400) {
            bytes out;
            REQUIRE(deliver(2, o, t, out));
        } else {
            REQUIRE(c.md.skip_rtp(o, c.members[2].link) == errc::ok);
        }
    }
    CHECK(learned);
}

TEST_CASE_TEMPLATE("RFC 8870 §4.1: endpoint rekey stops at Epoch 65535 with index_exhausted", S,
                   ROLE_SUITES)
{
    using session_type = typename S::session_type;
    perc::botan::seeded_random rng(1001);
    std::array<std::uint8_t, perc::max_keying_material_size> buf{};
    auto km = perc::generate_keying_material(S::profile, rng, buf);
    REQUIRE(km);
    const std::uint32_t own[] = {0x61, 0x62};
    session_type s;
    REQUIRE(s.init(S::profile, *km, own) == errc::ok);
    perc::key_distributor<> kd;
    const std::uint16_t p[] = {S::profile};
    REQUIRE(kd.init(p, S::cipher, 60, rng) == errc::ok);
    std::array<std::uint8_t, 64> body{};
    auto n = kd.encode_ekt_key(body);
    REQUIRE(n);
    REQUIRE(s.on_ekt_key(bytes_view{body.data(), *n}, S::cipher, rng, 0) == errc::ok);
    for (std::uint32_t i = 0; i < 0xFFFF; ++i)
        if (s.rekey(rng, i) != errc::ok) FAIL("rekey " << i);
    CHECK(s.sender(0x61)->epoch() == 0xFFFF);
    CHECK(name(s.rekey(rng, 70000)) == "index_exhausted");
    CHECK(s.sender(0x61)->epoch() == 0xFFFF);
    CHECK(s.sender(0x62)->epoch() == 0xFFFF);
    // A new EKTKey restarts the Epoch (RFC 8870 §4.1).
    REQUIRE(kd.rekey(rng) == errc::ok);
    auto n2 = kd.encode_ekt_key(body);
    REQUIRE(n2);
    REQUIRE(s.on_ekt_key(bytes_view{body.data(), *n2}, S::cipher, rng, 70000) == errc::ok);
    CHECK(s.sender(0x61)->epoch() == 0);
    CHECK(name(s.rekey(rng, 70001)) == "ok");
}

TEST_CASE_TEMPLATE("RFC 8871 §4.5.2, §6.3: an endpoint leaves, the KD re-keys the EKTKey (new "
                   "SPI) and everyone still there follows",
                   S, ROLE_SUITES)
{
    conference<S> c(1111);
    auto exchange = [&](std::uint64_t t, std::size_t count, bool& learned_new) {
        for (std::size_t i = 0; i < count; ++i) {
            const std::size_t j = 1 - i;
            auto p = c.send(i, 0, t);
            bytes scratch;
            const perc::md_opened o = c.open(i, p.wire, scratch);
            bytes out;
            auto r = c.receive(j, c.forward(o, j), out, t);
            REQUIRE(r);
            check_original(p.plain, *r);
            if (r->ekt.event == perc::ekt_event::new_key) learned_new = true;
        }
    };
    bool ignored = false;
    for (std::uint64_t t = 0; t < 1000; t += 50) exchange(t, 2, ignored);

    // E2 leaves: the MD tells the KD (RFC 9185 §5.3).
    bytes msg(64);
    auto dn = c.md.disconnect(c.members[2].link, msg);
    REQUIRE(dn);
    msg.resize(*dn);
    bytes reply(16);
    auto ev = c.kd.on_tunnel_message(c.tunnel, msg, reply);
    REQUIRE(ev);
    CHECK(ev->kind == perc::kd_event_kind::endpoint_disconnected);
    CHECK(ev->id == c.members[2].id);
    CHECK(c.kd.association_count() == 2);

    const std::uint16_t old_spi = c.kd.spi();
    REQUIRE(c.kd.rekey(c.rng) == errc::ok);
    const std::uint16_t new_spi = c.kd.spi();
    CHECK(new_spi == static_cast<std::uint16_t>(old_spi + 1));
    for (std::size_t i = 0; i < 2; ++i) {
        c.deliver_ekt_key(c.members[i], 1000);
        for (std::uint32_t ssrc : c.members[i].ssrc) {
            CHECK(c.members[i].session->sender(ssrc)->spi() == new_spi);
            CHECK(c.members[i].session->sender(ssrc)->epoch() == 0);
        }
    }
    // The next FullEKTFields are under the new SPI (RFC 8870 §4.5: with a new master key);
    // receivers decrypt through the overlap and after the switch.
    auto p = c.send(0, 1, 1000);
    auto f = perc::decode_ekt_field(p.wire);
    REQUIRE(f);
    CHECK(f->kind == perc::ekt_kind::full_field);
    CHECK(f->full.spi == new_spi);
    CHECK(f->full.epoch == 0);
    bool learned = false;
    for (std::uint64_t t = 1000; t <= 1600; t += 50) exchange(t, 2, learned);
    CHECK(learned);

    // The departed endpoint, which never got the new EKTKey, cannot follow: its FullEKTField
    // names an SPI it does not hold (RFC 8870 §4.3.2 step 2).
    auto q = c.send(0, 0, 1650, /*key_frame=*/true);
    auto qf = perc::decode_ekt_field(q.wire);
    REQUIRE(qf);
    REQUIRE(qf->kind == perc::ekt_kind::full_field);
    bytes q_scratch;
    const perc::md_opened qo = c.open(0, q.wire, q_scratch);
    bytes q_hop = c.out_buffer(qo);
    auto qr = c.md.forward_rtp(qo, c.members[2].link, q_hop);
    CHECK(status(qr) == "invalid_argument"); // the MD removed the link on disconnect
    bytes out(q.wire.size());
    CHECK(status(c.members[2].session->unprotect_rtp(q.wire, out, 1650)) == "auth_failed");
}

// ========================================================== media_distributor RTCP fan-out

TEST_CASE_TEMPLATE(
    "RFC 8723 §6, RFC 8871 §4.4 media_distributor: one open_rtcp, forward_rtcp to "
    "several links; relay_rtcp refuses an exhausted outgoing index without side effects",
    S, ROLE_SUITES)
{
    using outer = typename S::outer;
    using link_type = perc::md_link<outer>;
    perc::media_distributor<outer> md;
    perc::botan::seeded_random rng(1212);
    const std::size_t k = S::outer_key_size;
    struct hop {
        bytes rx_key, rx_salt, tx_key, tx_salt;
    };
    std::array<hop, 3> h;
    std::array<link_type, 3> links;
    std::array<perc::srtp_session<outer>, 3> ep_tx, ep_rx; // the endpoints' ends of each hop
    for (std::size_t i = 0; i < 3; ++i) {
        h[i] = {random_bytes(rng, k), random_bytes(rng, 12), random_bytes(rng, k),
                random_bytes(rng, 12)};
        REQUIRE(links[i].init(h[i].rx_key, h[i].rx_salt, h[i].tx_key, h[i].tx_salt) == errc::ok);
        REQUIRE(ep_tx[i].init(h[i].rx_key, h[i].rx_salt) == errc::ok);
        REQUIRE(ep_rx[i].init(h[i].tx_key, h[i].tx_salt) == errc::ok);
    }
    const bytes rtcp = from_hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930"
                                "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");
    const std::uint32_t ssrc = 0x4d617273;
    for (std::uint32_t n = 0; n < 3; ++n) {
        bytes w(rtcp.size() + outer::srtcp_overhead);
        REQUIRE(ep_tx[0].protect_rtcp(rtcp, w, n != 1));
        bytes plain(w.size());
        auto op = md.open_rtcp(links[0], w, plain);
        REQUIRE(op);
        CHECK(hex(*op) == hex(rtcp));
        for (std::size_t to : {std::size_t{1}, std::size_t{2}}) {
            bytes out(op->size() + outer::srtcp_overhead);
            auto fw = md.forward_rtcp(*op, links[to], out);
            REQUIRE(fw);
            const std::uint32_t word = perc::load_be32(fw->data() + fw->size() - 4);
            CHECK(word == (0x80000000u | n)); // E = 1 and this hop's own index
            bytes got(fw->size());
            auto u = ep_rx[to].unprotect_rtcp(*fw, got);
            REQUIRE(u);
            CHECK(hex(*u) == hex(rtcp));
        }
        // Replayed: refused, input unchanged.
        const bytes copy = w;
        CHECK(status(md.open_rtcp(links[0], w, plain)) == "replayed");
        CHECK(hex(w) == hex(copy));
    }
    // In place.
    {
        bytes w(rtcp.size() + outer::srtcp_overhead);
        REQUIRE(ep_tx[0].protect_rtcp(rtcp, w));
        auto op = md.open_rtcp(links[0], w, w);
        REQUIRE(op);
        CHECK(hex(*op) == hex(rtcp));
    }
    // Refusals of open_rtcp / forward_rtcp.
    bytes w(rtcp.size() + outer::srtcp_overhead);
    REQUIRE(ep_tx[0].protect_rtcp(rtcp, w));
    bytes forged = w;
    forged[12] ^= 0x04;
    bytes scratch(w.size());
    CHECK(status(md.open_rtcp(links[0], forged, scratch)) == "auth_failed");
    CHECK(status(md.open_rtcp(links[0], w, bytes_span{scratch}.first(rtcp.size() - 1))) ==
          "buffer_too_small");
    CHECK(status(md.open_rtcp(links[0], bytes_view{w}.first(6), scratch)) == "truncated");
    link_type unkeyed;
    CHECK(status(md.open_rtcp(unkeyed, w, scratch)) == "no_key");
    CHECK(status(md.forward_rtcp(rtcp, unkeyed, scratch)) == "no_key");
    bytes short_out(rtcp.size() + outer::srtcp_overhead - 1);
    CHECK(status(md.forward_rtcp(rtcp, links[1], short_out)) == "buffer_too_small");
    link_type strict;
    perc::session_options so;
    so.auto_create = false;
    REQUIRE(strict.init(h[1].rx_key, h[1].rx_salt, h[1].tx_key, h[1].tx_salt, so) == errc::ok);
    bytes out(rtcp.size() + outer::srtcp_overhead);
    CHECK(status(md.forward_rtcp(rtcp, strict, out)) == "no_stream");

    // Exhaust link 1's outgoing SRTCP index (31 bits, RFC 7714 §9.4).
    REQUIRE(links[1].find_send_stream(ssrc) != nullptr);
    REQUIRE(links[1].find_send_stream(ssrc)->set_srtcp_next_index(0x7FFFFFFF) == errc::ok);
    auto last = md.forward_rtcp(rtcp, links[1], out);
    REQUIRE(last);
    CHECK(perc::load_be32(last->data() + last->size() - 4) == 0xFFFFFFFFu);
    CHECK(status(md.forward_rtcp(rtcp, links[1], out)) == "index_exhausted");

    // relay_rtcp toward the exhausted link: refused before decrypting — the input, the output
    // buffer and the incoming replay state are untouched.
    const bytes w_copy = w;
    bytes relay_out(w.size(), 0xA5);
    CHECK(status(md.relay_rtcp(links[0], links[1], w, relay_out)) == "index_exhausted");
    CHECK(hex(w) == hex(w_copy));
    CHECK(
        std::all_of(relay_out.begin(), relay_out.end(), [](std::uint8_t v) { return v == 0xA5; }));
    // The same packet still relays to link 2 (link 0 did not record it as received).
    auto ok = md.relay_rtcp(links[0], links[2], w, relay_out);
    REQUIRE(ok);
    bytes got(ok->size());
    auto u = ep_rx[2].unprotect_rtcp(*ok, got);
    REQUIRE(u);
    CHECK(hex(*u) == hex(rtcp));
}

TEST_CASE_TEMPLATE("RFC 8871 §4.3, §4.5.2: six KD re-keys in a row — each endpoint keeps the "
                   "newest EKTKeys (the oldest evicted) and the media keeps flowing",
                   S, ROLE_SUITES)
{
    conference<S> c(1313, 2);
    std::uint64_t t = 0;
    auto exchange = [&](std::uint64_t until) {
        for (; t < until; t += 50) {
            for (std::size_t i = 0; i < 2; ++i) {
                auto p = c.send(i, 0, t);
                bytes scratch;
                const perc::md_opened o = c.open(i, p.wire, scratch);
                bytes out;
                auto r = c.receive(1 - i, c.forward(o, 1 - i), out, t);
                REQUIRE(r);
                check_original(p.plain, *r);
            }
        }
    };
    exchange(400);
    for (int g = 0; g < 6; ++g) {
        REQUIRE(c.kd.rekey(c.rng) == errc::ok);
        for (std::size_t i = 0; i < 2; ++i) c.deliver_ekt_key(c.members[i], t);
        CHECK(c.members[0].session->sender(c.members[0].ssrc[0])->spi() == c.kd.spi());
        exchange(t + 400);
    }
    CHECK(c.kd.ekt_generation() == 6);
}

TEST_CASE_TEMPLATE("RFC 8870 §4.1: the same EKTKey delivered again (a retransmission, or the KD "
                   "resending it after a DTLS re-handshake) must not restart the sender's Epoch",
                   S, ROLE_SUITES)
{
    // Receivers reject a FullEKTField whose Epoch is <= one accepted for the same (SPI, SSRC)
    // (RFC 8870 §4.1); the Epoch only goes back to 0 when the EKTKey (SPI) changes. A second
    // on_ekt_key with the SAME EKTKey must therefore leave the sender's key and Epoch alone
    // (or continue the Epoch), or every receiver stops decrypting it once it switches keys.
    conference<S> c(1414, 2);
    const std::uint32_t ssrc = c.members[0].ssrc[0];
    for (std::uint64_t t = 0; t < 500; t += 50) {
        auto p = c.send(0, 0, t);
        bytes scratch;
        const perc::md_opened o = c.open(0, p.wire, scratch);
        bytes out;
        REQUIRE(c.receive(1, c.forward(o, 1), out, t));
    }
    const std::uint16_t spi = c.kd.spi();
    c.deliver_ekt_key(c.members[0], 500); // the same EKTKey again
    CHECK(c.members[0].session->sender(ssrc)->spi() == spi);
    std::size_t failed = 0;
    std::string first_failure;
    for (std::uint64_t t = 500; t <= 1200; t += 50) {
        auto p = c.send(0, 0, t);
        auto f = perc::decode_ekt_field(p.wire);
        REQUIRE(f);
        if (f->kind == perc::ekt_kind::full_field) CHECK(f->full.spi == spi);
        bytes scratch;
        const perc::md_opened o = c.open(0, p.wire, scratch);
        bytes out;
        auto r = c.receive(1, c.forward(o, 1), out, t);
        if (!r && failed++ == 0) first_failure = std::to_string(t) + " ms: " + name(r.error());
    }
    INFO("first refused packet at " << first_failure);
    CHECK(failed == 0);
}

TEST_CASE_TEMPLATE("RFC 8871 §4.5.2, RFC 5764 §5.2: a DTLS re-handshake gives new hop-by-hop keys "
                   "(endpoint_session::set_hop_keys + a second MediaKeys); end-to-end keys, EKT "
                   "state and Epochs stay",
                   S, ROLE_SUITES)
{
    conference<S> c(2718, 2);
    for (std::uint64_t t = 0; t < 200; t += 20) {
        auto p = c.send(0, 0, t);
        bytes scratch;
        const perc::md_opened o = c.open(0, p.wire, scratch);
        bytes out;
        REQUIRE(c.receive(1, c.forward(o, 1), out, t));
    }
    const std::uint32_t ssrc = c.members[0].ssrc[0];
    const std::uint16_t epoch = c.members[0].session->sender(ssrc)->epoch();

    // New exporter output for both associations; the KD sends a second MediaKeys for each.
    for (std::size_t i = 0; i < 2; ++i) {
        auto& e = c.members[i];
        std::array<std::uint8_t, perc::max_keying_material_size> km{};
        auto material = perc::generate_keying_material(S::profile, c.rng, km);
        REQUIRE(material);
        // Refusals first: nothing changes.
        CHECK(name(e.session->set_hop_keys(S::profile == 0x0009 ? 0x000A : 0x0009, *material)) ==
              "unsupported");
        CHECK(name(e.session->set_hop_keys(S::profile, material->first(material->size() - 1))) ==
              "truncated");
        bytes mk(perc::key_distributor<>::max_media_keys_size);
        auto n = c.kd.association_established(e.id, S::profile, *material, mk);
        REQUIRE(n);
        mk.resize(*n);
        auto ev = c.md.on_tunnel_message(mk);
        REQUIRE(ev);
        CHECK(ev->kind == perc::md_event_kind::keys_installed);
        REQUIRE(name(e.session->set_hop_keys(S::profile, *material)) == "ok");
        e.material.assign(material->begin(), material->end());
    }
    CHECK(c.members[0].session->sender(ssrc)->epoch() == epoch);
    // Media flows on under the new hop keys: the receiver needs no new FullEKTField.
    for (std::uint64_t t = 200; t < 600; t += 20) {
        auto p = c.send(0, 0, t);
        bytes scratch;
        const perc::md_opened o = c.open(0, p.wire, scratch);
        bytes out;
        auto r = c.receive(1, c.forward(o, 1), out, t);
        REQUIRE(r);
        check_original(p.plain, *r);
    }
    // set_hop_keys before init: no_key.
    typename S::session_type fresh;
    std::array<std::uint8_t, perc::max_keying_material_size> km{};
    auto material = perc::generate_keying_material(S::profile, c.rng, km);
    REQUIRE(material);
    CHECK(name(fresh.set_hop_keys(S::profile, *material)) == "no_key");
}
