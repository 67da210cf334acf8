// DTLS-SRTP (RFC 5764) between a PERC endpoint (DTLS client) and the Key Distributor (DTLS
// server, RFC 8871 §4.5.1) over Botan 2's DTLS 1.2, in memory: handshake for both double
// profiles (RFC 8723 §10.1) with the exporter of RFC 5764 §4.2, use_srtp preference and
// failure (§4.1.1), supported_ekt_ciphers (RFC 8870 §5.2.1), EKTKey delivery with ACK and
// retransmission (RFC 8870 §5.2.2, §5.4 — in the documented application_data framing), lost
// flights (RFC 6347 §4.2.4), fingerprints (RFC 8122 §5), corrupted and garbage datagrams.
#include <perc/botan/dtls_srtp.hpp>

#include <perc/keying_material.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

using namespace perc_test;
using perc::ekt_cipher;
using perc::errc;
using perc::botan::dtls_role;
using perc::botan::dtls_srtp;
using perc::botan::dtls_srtp_options;

namespace {

constexpr std::uint16_t double_128 = 0x0009;
constexpr std::uint16_t double_256 = 0x000A;
constexpr std::uint16_t aead_128 = 0x0007;

dtls_srtp_options options(std::vector<std::uint16_t> profiles, std::vector<ekt_cipher> ekt = {})
{
    dtls_srtp_options o;
    o.srtp_profiles = std::move(profiles);
    o.ekt_ciphers = std::move(ekt);
    o.initial_timeout = std::chrono::milliseconds{20};
    o.maximum_timeout = std::chrono::milliseconds{80};
    return o;
}

enum class dir { to_server, to_client };
// Returns false to drop the datagram; `n` counts datagrams per direction from 0.
using filter = std::function<bool(dir d, std::size_t n, bytes& datagram)>;

// Client and server joined by an in-memory link that delivers everything unless told not to.
struct dtls_pair {
    dtls_srtp client, server;
    errc client_error = errc::ok, server_error = errc::ok; // first error from receive()
    std::size_t sent[2] = {0, 0};
    filter keep = [](dir, std::size_t, bytes&) { return true; };

    dtls_pair() = default;
    dtls_pair(const dtls_srtp_options& c, const dtls_srtp_options& s)
    {
        REQUIRE(name(server.start(dtls_role::server, s)) == "ok");
        REQUIRE(name(client.start(dtls_role::client, c)) == "ok");
    }

    // Moves datagrams both ways until neither side has any left.
    void pump()
    {
        for (bool moved = true; moved;) {
            moved = false;
            while (auto d = client.next_datagram()) {
                moved = true;
                if (!keep(dir::to_server, sent[0]++, *d)) continue;
                const errc e = server.receive(*d);
                if (e != errc::ok && server_error == errc::ok) server_error = e;
            }
            while (auto d = server.next_datagram()) {
                moved = true;
                if (!keep(dir::to_client, sent[1]++, *d)) continue;
                const errc e = client.receive(*d);
                if (e != errc::ok && client_error == errc::ok) client_error = e;
            }
        }
    }

    bool done() const { return client.established() && server.established(); }

    // pump, then let the retransmission timers run until done or `rounds` timer periods.
    void run(int rounds = 40)
    {
        pump();
        for (int i = 0;
             i < rounds && !done() && client_error == errc::ok && server_error == errc::ok; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds{25});
            CHECK(name(client.on_timeout()) == "ok");
            CHECK(name(server.on_timeout()) == "ok");
            pump();
        }
    }
};

bytes exported(const dtls_srtp& x, std::size_t n)
{
    bytes out(n);
    const errc e = x.export_keying_material(out);
    REQUIRE(name(e) == "ok");
    return out;
}

const bytes ekt_key_128 = from_hex("c0c1c2c3 c4c5c6c7 c8c9cacb cccdcecf");
const bytes ekt_key_256 =
    from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const bytes salt_12 = from_hex("51756964 2070726f 2071756f");

perc::ekt_key_message ekt_msg(const bytes& key, std::uint16_t spi)
{
    perc::ekt_key_message m;
    m.ekt_key_value = key;
    m.srtp_master_salt = salt_12;
    m.ekt_spi = spi;
    m.ekt_ttl = 86400;
    return m;
}

// An ACK record from the client is a short application_data record; the EKTKey record is
// longer. Used to drop one or the other (RFC 8870 §5.4 retransmission).
bool is_app_data(const bytes& d)
{
    return !d.empty() && d[0] == 23;
}

} // namespace

TEST_CASE("dtls_srtp: RFC 5764 handshake for both double profiles; RFC 5764 §4.2 exporter")
{
    struct row {
        std::uint16_t profile;
        std::size_t key_size, salt_size, exported_size;
    };
    // RFC 8723 §10.1 / rfc8871 digest §7.3: 2·(32+24) = 112, 2·(64+24) = 176.
    for (const row r : {row{double_128, 32, 24, 112}, row{double_256, 64, 24, 176}}) {
        CAPTURE(r.profile);
        dtls_pair l{options({r.profile}, {ekt_cipher::aeskw_128}),
                    options({r.profile}, {ekt_cipher::aeskw_128})};
        CHECK(!l.client.established());
        CHECK(l.client.srtp_profile() == 0);
        const auto t0 = std::chrono::steady_clock::now();
        l.pump();
        const auto ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0);
        MESSAGE("profile " << r.profile << ": in-memory handshake " << ms.count() << " ms, "
                           << l.sent[0] << " + " << l.sent[1] << " datagrams");
        REQUIRE(l.done());
        CHECK(name(l.client_error) == "ok");
        CHECK(name(l.server_error) == "ok");
        CHECK(l.client.srtp_profile() == r.profile);
        CHECK(l.server.srtp_profile() == r.profile);

        const bytes kc = exported(l.client, r.exported_size);
        const bytes ks = exported(l.server, r.exported_size);
        CHECK(kc == ks);
        CHECK(std::count(kc.begin(), kc.end(), std::uint8_t{0}) < 16);
        const auto split = perc::split_keying_material(kc, r.key_size, r.salt_size);
        REQUIRE(split.has_value());
        // The four parts tile the output in RFC 5764 §4.2 order.
        CHECK(split->client_write_key.data() == kc.data());
        CHECK(split->server_write_salt.data() + r.salt_size == kc.data() + kc.size());
        CHECK(!std::equal(split->client_write_key.begin(), split->client_write_key.end(),
                          split->server_write_key.begin()));
        const auto halves = perc::split_double_key(split->client_write_key,
                                                   split->client_write_salt);
        REQUIRE(halves.has_value());
        CHECK(halves->outer_key.size() == r.key_size / 2);

        // Wrong output sizes leave `out` untouched.
        bytes small(r.exported_size - 1, 0xEE), large(r.exported_size + 1, 0xEE);
        CHECK(name(l.client.export_keying_material(small)) == "buffer_too_small");
        CHECK(name(l.client.export_keying_material(large)) == "invalid_argument");
        CHECK(std::all_of(small.begin(), small.end(), [](std::uint8_t b) { return b == 0xEE; }));

        // RFC 8122 §5: each side sees the other's certificate fingerprint (mutual auth,
        // RFC 8871 §4.5.1: the server required the client's certificate).
        REQUIRE(l.client.peer_fingerprint().has_value());
        REQUIRE(l.server.peer_fingerprint().has_value());
        CHECK(*l.client.peer_fingerprint() == l.server.local_fingerprint());
        CHECK(*l.server.peer_fingerprint() == l.client.local_fingerprint());
        CHECK(l.client.local_fingerprint() != l.server.local_fingerprint());

        // A second association has fresh certificates and fresh keys.
        dtls_pair l2{options({r.profile}), options({r.profile})};
        l2.pump();
        REQUIRE(l2.done());
        CHECK(exported(l2.client, r.exported_size) != kc);
        CHECK(l2.client.local_fingerprint() != l.client.local_fingerprint());
    }
}

TEST_CASE("dtls_srtp: RFC 5764 §4.1.1 profile choice follows the client's preference")
{
    struct row {
        std::vector<std::uint16_t> offer, accept;
        std::uint16_t chosen;
    };
    for (const row& r :
         {row{{double_256, double_128}, {double_128, double_256}, double_256},
          row{{double_128, double_256}, {double_256, double_128}, double_128},
          row{{double_256, double_128, aead_128}, {aead_128, double_128}, double_128},
          row{{0x0001, aead_128}, {aead_128}, aead_128}}) {
        CAPTURE(r.chosen);
        dtls_pair l{options(r.offer), options(r.accept)};
        l.pump();
        REQUIRE(l.done());
        CHECK(l.client.srtp_profile() == r.chosen);
        CHECK(l.server.srtp_profile() == r.chosen);
    }
    // A single AEAD profile exports 2·(16+12) = 56 octets.
    dtls_pair l{options({aead_128}), options({aead_128})};
    l.pump();
    REQUIRE(l.done());
    CHECK(exported(l.client, 56) == exported(l.server, 56));
}

TEST_CASE("dtls_srtp: RFC 5764 §4.1.1 no common profile fails the handshake")
{
    dtls_pair l{options({double_128}), options({double_256, aead_128})};
    l.pump();
    CHECK(!l.client.established());
    CHECK(!l.server.established());
    CHECK(name(l.server_error) == "no_common_profile");
    CHECK(name(l.server.error()) == "no_common_profile");
    // The client only sees the server's handshake_failure alert.
    CHECK(name(l.client_error) == "auth_failed");
    bytes out(112);
    CHECK(name(l.client.export_keying_material(out)) == "no_key");
    CHECK(name(l.server.receive(bytes(20, 0x16))) == "no_common_profile"); // stays dead
}

TEST_CASE("dtls_srtp: RFC 8870 §5.2.1 supported_ekt_ciphers negotiation")
{
    struct row {
        std::vector<ekt_cipher> offer, support;
        std::optional<ekt_cipher> chosen;
    };
    for (const row& r : {row{{ekt_cipher::aeskw_256, ekt_cipher::aeskw_128},
                             {ekt_cipher::aeskw_128, ekt_cipher::aeskw_256},
                             ekt_cipher::aeskw_256},
                         row{{ekt_cipher::aeskw_128},
                             {ekt_cipher::aeskw_128, ekt_cipher::aeskw_256},
                             ekt_cipher::aeskw_128},
                         row{{ekt_cipher::aeskw_128}, {ekt_cipher::aeskw_256}, std::nullopt},
                         row{{}, {ekt_cipher::aeskw_128}, std::nullopt},
                         row{{ekt_cipher::aeskw_128}, {}, std::nullopt}}) {
        dtls_pair l{options({double_128}, r.offer), options({double_128}, r.support)};
        l.pump();
        REQUIRE(l.done());
        CHECK(l.client.negotiated_ekt_cipher() == r.chosen);
        CHECK(l.server.negotiated_ekt_cipher() == r.chosen);
        if (!r.chosen) {
            // RFC 8870 §5.2.2: without the extension in the ServerHello no EKTKey may be sent.
            CHECK(name(l.server.send_ekt_key(ekt_msg(ekt_key_128, 1))) == "unsupported");
        }
    }
}

TEST_CASE("dtls_srtp: RFC 8870 §5.2.2 EKTKey delivery (application_data framing) and ACK")
{
    dtls_pair l{options({double_256}, {ekt_cipher::aeskw_256}),
                options({double_256}, {ekt_cipher::aeskw_256})};
    CHECK(name(l.server.send_ekt_key(ekt_msg(ekt_key_256, 7))) == "no_key"); // before the handshake
    l.pump();
    REQUIRE(l.done());
    CHECK(name(l.client.send_ekt_key(ekt_msg(ekt_key_256, 7))) == "invalid_argument"); // client
    CHECK(name(l.server.send_ekt_key(ekt_msg(ekt_key_128, 7))) == "bad_key_size");
    auto no_salt = ekt_msg(ekt_key_256, 7);
    no_salt.srtp_master_salt = {};
    CHECK(name(l.server.send_ekt_key(no_salt)) == "invalid_argument");
    CHECK(l.server.unacked_ekt_keys() == 0);

    REQUIRE(name(l.server.send_ekt_key(ekt_msg(ekt_key_256, 7))) == "ok");
    REQUIRE(name(l.server.send_ekt_key(ekt_msg(ekt_key_256, 8))) == "ok"); // re-key: new SPI
    CHECK(l.server.unacked_ekt_keys() == 2);
    l.pump();
    CHECK(name(l.client_error) == "ok");
    CHECK(name(l.server_error) == "ok");
    CHECK(l.server.unacked_ekt_keys() == 0); // both ACKed
    for (const std::uint16_t spi : {std::uint16_t{7}, std::uint16_t{8}}) {
        const auto body = l.client.received_ekt_key();
        REQUIRE(body.has_value());
        CHECK(body->size() == perc::ekt_key_message_size(32, 12));
        const auto m = perc::decode_ekt_key_message(*body);
        REQUIRE(m.has_value());
        CHECK(bytes(m->ekt_key_value.begin(), m->ekt_key_value.end()) == ekt_key_256);
        CHECK(bytes(m->srtp_master_salt.begin(), m->srtp_master_salt.end()) == salt_12);
        CHECK(m->ekt_spi == spi);
        CHECK(m->ekt_ttl == 86400u);
        const auto params = perc::to_ekt_key_params(*m, *l.client.negotiated_ekt_cipher());
        CHECK(params.has_value());
    }
    CHECK(!l.client.received_ekt_key().has_value());
    CHECK(!l.server.received_ekt_key().has_value());
}

TEST_CASE("dtls_srtp: RFC 8870 §5.4 a lost EKTKey or ACK is retransmitted, delivered once")
{
    for (const bool drop_ack : {false, true}) {
        CAPTURE(drop_ack);
        dtls_pair l{options({double_128}, {ekt_cipher::aeskw_128}),
                    options({double_128}, {ekt_cipher::aeskw_128})};
        l.pump();
        REQUIRE(l.done());
        bool dropped = false;
        l.keep = [&](dir d, std::size_t, bytes& dg) {
            const bool target = drop_ack ? d == dir::to_server : d == dir::to_client;
            if (!dropped && target && is_app_data(dg)) {
                dropped = true;
                return false;
            }
            return true;
        };
        REQUIRE(name(l.server.send_ekt_key(ekt_msg(ekt_key_128, 0x1234))) == "ok");
        l.pump();
        CHECK(dropped);
        CHECK(l.server.unacked_ekt_keys() == 1);
        CHECK(l.client.received_ekt_key().has_value() == drop_ack);
        CHECK(name(l.server.on_timeout()) == "ok"); // too early: nothing resent
        CHECK(!l.server.next_datagram().has_value());
        std::this_thread::sleep_for(std::chrono::milliseconds{25});
        CHECK(name(l.server.on_timeout()) == "ok");
        l.pump();
        CHECK(l.server.unacked_ekt_keys() == 0);
        CHECK(l.client.received_ekt_key().has_value() == !drop_ack); // exactly once in total
        CHECK(!l.client.received_ekt_key().has_value());
        CHECK(name(l.client_error) == "ok");
    }
}

TEST_CASE("dtls_srtp: RFC 6347 §4.2.4 lost flights are retransmitted from on_timeout")
{
    // Datagram positions in this exchange (records packed up to the MTU):
    // to_server 0 = ClientHello; to_client 0 = ServerHello..ServerHelloDone;
    // to_server 1 = Certificate..Finished; to_client 1 = ChangeCipherSpec + Finished.
    struct row {
        std::string what;
        dir d;
        std::size_t n;
    };
    for (const row& r :
         {row{"ClientHello", dir::to_server, 0}, row{"server flight 2", dir::to_client, 0},
          row{"client final flight", dir::to_server, 1},
          row{"server final flight", dir::to_client, 1}}) {
        CAPTURE(r.what);
        dtls_pair l{options({double_128}, {ekt_cipher::aeskw_128}),
                    options({double_128}, {ekt_cipher::aeskw_128})};
        l.keep = [&](dir d, std::size_t n, bytes&) { return !(d == r.d && n == r.n); };
        l.pump();
        CHECK(!l.done());
        l.run();
        CHECK(l.done());
        CHECK(name(l.client_error) == "ok");
        CHECK(name(l.server_error) == "ok");
        CHECK(exported(l.client, 112) == exported(l.server, 112));
    }
    // An EKTKey that reaches the client before the server's final flight is dropped (no
    // epoch-1 keys yet) and arrives by retransmission.
    dtls_pair l{options({double_128}, {ekt_cipher::aeskw_128}),
                options({double_128}, {ekt_cipher::aeskw_128})};
    l.keep = [](dir d, std::size_t n, bytes&) { return !(d == dir::to_client && n == 1); };
    l.pump();
    REQUIRE(l.server.established());
    REQUIRE(!l.client.established());
    REQUIRE(name(l.server.send_ekt_key(ekt_msg(ekt_key_128, 1))) == "ok");
    l.pump();
    CHECK(!l.client.received_ekt_key().has_value());
    l.run();
    REQUIRE(l.done());
    for (int i = 0; i < 20 && l.server.unacked_ekt_keys() != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds{25});
        CHECK(name(l.server.on_timeout()) == "ok");
        l.pump();
    }
    CHECK(l.client.received_ekt_key().has_value());
    CHECK(name(l.client_error) == "ok");
}

TEST_CASE("dtls_srtp: RFC 8122 §5 expected peer fingerprint")
{
    // The client knows the server's fingerprint from signalling (RFC 8871 §5.2).
    for (const bool right : {true, false}) {
        CAPTURE(right);
        dtls_pair l;
        REQUIRE(name(l.server.start(dtls_role::server, options({double_128}))) == "ok");
        auto c = options({double_128});
        c.expected_peer_fingerprint = l.server.local_fingerprint();
        if (!right) (*c.expected_peer_fingerprint)[31] ^= 1;
        REQUIRE(name(l.client.start(dtls_role::client, c)) == "ok");
        l.pump();
        CHECK(l.done() == right);
        CHECK(name(l.client_error) == (right ? "ok" : "auth_failed"));
        CHECK(name(l.server_error) == (right ? "ok" : "auth_failed")); // the bad_certificate alert
    }
    // The server, with a wrong expectation for the client's certificate.
    auto s = options({double_128});
    s.expected_peer_fingerprint = std::array<std::uint8_t, 32>{};
    dtls_pair l{options({double_128}), s};
    l.pump();
    CHECK(!l.server.established());
    CHECK(name(l.server_error) == "auth_failed");
    CHECK(!l.client.established());
    CHECK(name(l.client_error) == "auth_failed");
}

TEST_CASE("dtls_srtp: corrupted handshake datagrams fail or recover cleanly")
{
    // One flipped bit at sampled positions (every 13th; every position was run once during
    // development: 1642 cases, none stalled) of each of the four handshake datagrams. A flip in
    // a plaintext (epoch-0) message either breaks the handshake (a signature, the Finished
    // transcript) or is caught by a decoder; a flip in an encrypted Finished fails its record
    // authentication, the record is dropped and the retransmission completes the handshake.
    std::size_t recovered = 0, failed = 0;
    for (const dir target : {dir::to_server, dir::to_client}) {
        for (const std::size_t which : {std::size_t{0}, std::size_t{1}}) {
            for (std::size_t pos = 0; pos < 1200; pos += 13) {
                bool flipped = false;
                dtls_pair l{options({double_128}, {ekt_cipher::aeskw_128}),
                            options({double_128}, {ekt_cipher::aeskw_128})};
                l.keep = [&](dir d, std::size_t n, bytes& dg) {
                    if (d == target && n == which && pos < dg.size()) {
                        dg[pos] ^= 0x10;
                        flipped = true;
                    }
                    return true;
                };
                l.run(20);
                if (!flipped) continue;
                CAPTURE(pos);
                CAPTURE(which);
                CAPTURE(target == dir::to_server);
                if (l.done()) {
                    ++recovered;
                    CHECK(exported(l.client, 112) == exported(l.server, 112));
                    continue;
                }
                ++failed;
                // A failure is a precise errc on at least one side, never a crash or a stall.
                const errc e = l.client_error != errc::ok ? l.client_error : l.server_error;
                CAPTURE(name(e));
                // ekt_unknown_type: the ServerHello's selected EKT cipher hit (RFC 8870 §5.2.1).
                CHECK((e == errc::auth_failed || e == errc::no_common_profile ||
                       e == errc::ekt_unknown_type));
                bytes out(112);
                CHECK(name(l.client.export_keying_material(out)) == "no_key");
            }
        }
    }
    MESSAGE("corrupted handshake datagrams: " << recovered << " recovered, " << failed
                                              << " failed");
    CHECK(recovered > 0);
    CHECK(failed > 0);
}

TEST_CASE("dtls_srtp: garbage datagrams never throw; established associations survive random bytes")
{
    rng r{0xD715};
    auto garbage = [&](std::size_t n) {
        bytes g(n);
        for (auto& b : g) b = static_cast<std::uint8_t>(r.next());
        return g;
    };
    // A fresh server and a client waiting for flight 2.
    dtls_srtp server, client;
    REQUIRE(name(server.start(dtls_role::server, options({double_128}))) == "ok");
    REQUIRE(name(client.start(dtls_role::client, options({double_128}))) == "ok");
    for (std::size_t i = 0; i < 300; ++i) {
        bytes g = garbage(r.next() % 200);
        if (i % 3 == 0 && g.size() >= 13) { // plausible DTLS 1.2 record header
            g[0] = static_cast<std::uint8_t>(20 + r.next() % 4);
            g[1] = 0xFE;
            g[2] = 0xFD;
        }
        const errc es = server.receive(g);
        const errc ec = client.receive(g);
        CHECK((es == errc::ok || es == errc::auth_failed));
        CHECK((ec == errc::ok || ec == errc::auth_failed));
        while (server.next_datagram()) {
        }
        while (client.next_datagram()) {
        }
    }
    CHECK(name(server.on_timeout()) != "backend_failure");

    // Established: random (unauthenticated) records are dropped.
    dtls_pair l{options({double_128}, {ekt_cipher::aeskw_128}),
                options({double_128}, {ekt_cipher::aeskw_128})};
    l.pump();
    REQUIRE(l.done());
    for (std::size_t i = 0; i < 300; ++i) {
        bytes g = garbage(13 + r.next() % 200);
        g[0] = 23; // application_data, epoch 1
        g[1] = 0xFE;
        g[2] = 0xFD;
        g[3] = 0;
        g[4] = 1;
        CHECK(name(l.client.receive(g)) == "ok");
        CHECK(name(l.server.receive(g)) == "ok");
    }
    // Epoch-0 records (plaintext handshake, CCS, alerts) forged after the handshake: dropped,
    // never parsed against the finished handshake.
    for (std::size_t i = 0; i < 300; ++i) {
        bytes g = garbage(13 + r.next() % 200);
        g[0] = static_cast<std::uint8_t>(20 + r.next() % 3);
        g[1] = 0xFE;
        g[2] = 0xFD;
        g[3] = 0;
        g[4] = 0;
        if (i % 2 == 0) perc::store_be16(g.data() + 11, static_cast<std::uint16_t>(g.size() - 13));
        CHECK(name(l.client.receive(g)) == "ok");
        CHECK(name(l.server.receive(g)) == "ok");
    }
    l.pump(); // the server answered handshake-looking records with its final flight: harmless
    CHECK(name(l.client_error) == "ok");
    CHECK(l.done());
    REQUIRE(name(l.server.send_ekt_key(ekt_msg(ekt_key_128, 3))) == "ok");
    l.pump();
    CHECK(l.client.received_ekt_key().has_value());

    // Not started.
    dtls_srtp idle;
    CHECK(name(idle.receive(garbage(40))) == "invalid_argument");
    CHECK(name(idle.on_timeout()) == "invalid_argument");
    CHECK(!idle.next_datagram().has_value());
    CHECK(!idle.established());
    CHECK(!idle.peer_fingerprint().has_value());
}

TEST_CASE("dtls_srtp: start() rejects bad options")
{
    const auto bad = [](dtls_srtp_options o) {
        dtls_srtp x;
        return name(x.start(dtls_role::client, o));
    };
    CHECK(bad(options({})) == "invalid_argument");
    CHECK(bad(options({0x0000})) == "invalid_argument");
    CHECK(bad(options({double_128}, {static_cast<ekt_cipher>(0)})) == "invalid_argument");
    CHECK(bad(options({double_128}, {static_cast<ekt_cipher>(3)})) == "invalid_argument");
    auto o = options({double_128});
    o.mtu = 100;
    CHECK(bad(o) == "invalid_argument");
    o = options({double_128});
    o.initial_timeout = std::chrono::milliseconds{0};
    CHECK(bad(o) == "invalid_argument");
    dtls_srtp x;
    REQUIRE(name(x.start(dtls_role::client, options({double_128}))) == "ok");
    CHECK(name(x.start(dtls_role::client, options({double_128}))) == "invalid_argument");
    CHECK(x.next_datagram().has_value()); // the ClientHello
}
