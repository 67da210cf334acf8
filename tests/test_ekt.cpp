// RFC 8870 EKT on the Botan backend for both PERC double profiles (RFC 8723 §10.1 with
// AESKW128 / AESKW256, RFC 8870 §4.4.1, §6): the sender's Full/Short schedule, Epochs and key
// switch (§4.1, §4.3.1, §4.5, §4.6), the receiver's processing (§4.3.2), a negative matrix over
// the FullEKTField, and the Media Distributor passing EKT Tags through (RFC 8871 §4.5 / RFC 8723
// §5.2). Every FullEKTField a sender writes is checked independently: layout by position
// (RFC 8870 Figure 1) and EKTCiphertext unwrapped with Botan's RFC 5649 directly. Packets
// protected "with key K" are compared with an independent double_endpoint keyed with K.
#include <perc/ekt.hpp>

#include <perc/botan/double.hpp>
#include <perc/ekt_endpoint.hpp>
#include <perc/ekt_field.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <botan/block_cipher.h>
#include <botan/nist_keywrap.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using namespace perc_test;
using perc::bytes_span;
using perc::bytes_view;
using perc::ekt_event;
using perc::errc;

namespace {

struct profile_128 {
    using endpoint = perc::botan::double_aes_128_gcm;
    using sender = perc::botan::ekt_sender_aes_128;
    using receiver = perc::botan::ekt_receiver_aes_128;
    using outer = perc::botan::srtp_aes_128_gcm;
    using md = perc::botan::media_distributor_aes_128_gcm;
    static constexpr std::size_t key_size = 16;     // each half of the double master key
    static constexpr std::size_t ekt_key_size = 16; // AESKW128 (RFC 8870 §4.4.1)
    static constexpr std::size_t full_size = 47;    // 40-octet EKTCiphertext + 7 (digest §5)
};
struct profile_256 {
    using endpoint = perc::botan::double_aes_256_gcm;
    using sender = perc::botan::ekt_sender_aes_256;
    using receiver = perc::botan::ekt_receiver_aes_256;
    using outer = perc::botan::srtp_aes_256_gcm;
    using md = perc::botan::media_distributor_aes_256_gcm;
    static constexpr std::size_t key_size = 32;
    static constexpr std::size_t ekt_key_size = 32; // AESKW256: RFC 8870 §6, key >= SRTP key
    static constexpr std::size_t full_size = 63;    // 56 + 7
};

constexpr std::uint16_t spi_a = 0x1234;
constexpr std::uint32_t ssrc_a = 0x5A5A0001u;
constexpr std::uint32_t ssrc_b = 0x5A5A0002u;
constexpr std::uint32_t ssrc_c = 0x5A5A0003u;

bytes pattern(std::size_t n, unsigned seed)
{
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed * 31u + i * 7u + 1u);
    return b;
}

bytes concat(const bytes& a, const bytes& b)
{
    bytes r = a;
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

void put16(bytes& b, std::uint32_t v)
{
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}
void put32(bytes& b, std::uint32_t v)
{
    put16(b, v >> 16);
    put16(b, v & 0xFFFF);
}

std::string ev(ekt_event e)
{
    switch (e) {
    case ekt_event::none: return "none";
    case ekt_event::new_key: return "new_key";
    case ekt_event::unknown_type: return "unknown_type";
    case ekt_event::ssrc_mismatch: return "ssrc_mismatch";
    case ekt_event::stale_epoch: return "stale_epoch";
    }
    return "?";
}

std::unique_ptr<Botan::BlockCipher> aes(const bytes& key)
{
    auto c = Botan::BlockCipher::create_or_throw("AES-" + std::to_string(8 * key.size()));
    c->set_key(key.data(), key.size());
    return c;
}

// RFC 8870 §4.1 EKTPlaintext written out: KeyLen | key | SSRC | ROC.
bytes ekt_plaintext(const bytes& key, std::uint32_t ssrc, std::uint32_t roc)
{
    bytes p{static_cast<std::uint8_t>(key.size())};
    p.insert(p.end(), key.begin(), key.end());
    put32(p, ssrc);
    put32(p, roc);
    return p;
}

// A FullEKTField built by hand (Figure 1): RFC 5649 (Botan) of `plain` | SPI | Epoch | Length | 2.
bytes make_full_field(const bytes& ekt_key, const bytes& plain, std::uint16_t spi,
                      std::uint16_t epoch)
{
    auto c = aes(ekt_key);
    const auto ct = Botan::nist_key_wrap_padded(plain.data(), plain.size(), *c);
    bytes f(ct.begin(), ct.end());
    put16(f, spi);
    put16(f, epoch);
    put16(f, static_cast<std::uint32_t>(ct.size() + 7));
    f.push_back(0x02);
    return f;
}

// Checks a FullEKTField against what it must carry (RFC 8870 §4.1, §4.3.1 steps 1-4).
void check_full_field(bytes_view f, std::uint16_t spi, std::uint16_t epoch, const bytes& ekt_key,
                      const bytes& master_key, std::uint32_t ssrc, std::uint32_t roc)
{
    REQUIRE(f.size() > 7);
    const std::size_t n = f.size();
    CHECK(f[n - 1] == 0x02);
    CHECK(static_cast<std::size_t>(f[n - 3] * 256 + f[n - 2]) == n);
    CHECK(f[n - 5] * 256 + f[n - 4] == epoch);
    CHECK(f[n - 7] * 256 + f[n - 6] == spi);
    auto c = aes(ekt_key);
    const auto p = Botan::nist_key_unwrap_padded(f.data(), n - 7, *c);
    CHECK(to_hex(p) == to_hex(ekt_plaintext(master_key, ssrc, roc)));
}

bytes first_of(const bytes& b, std::size_t n)
{
    return bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}
bytes last_of(const bytes& b, std::size_t n)
{
    return bytes(b.end() - static_cast<std::ptrdiff_t>(n), b.end());
}

// Key material shared by a test's endpoints.
template <class P>
struct material {
    bytes ekt_key = pattern(P::ekt_key_size, 1);
    bytes ekt_salt = pattern(12, 2); // EKTKey srtp_master_salt: the shared E2E salt
    bytes outer_key = pattern(P::key_size, 3);
    bytes outer_salt = pattern(12, 4);
    bytes k1 = pattern(P::key_size, 5), k2 = pattern(P::key_size, 6), k3 = pattern(P::key_size, 7);

    perc::ekt_key_params params(std::uint32_t ttl = 0) const
    {
        return {spi_a, ekt_key, ekt_salt, ttl};
    }
};

struct sent_packet {
    bytes plain; // RTP packet before protection
    bytes wire;  // SRTP packet + EKT Tag
    std::size_t tag = 0;

    bytes srtp() const { return first_of(wire, wire.size() - tag); }
    bytes field() const { return last_of(wire, tag); }
    bytes with_tag(const bytes& t) const { return concat(srtp(), t); }
};

bytes make_rtp(std::uint32_t ssrc, std::uint16_t seq, std::size_t payload)
{
    rtp_spec s;
    s.ssrc = ssrc;
    s.seq = seq;
    s.ts = 160u * seq;
    s.payload = pattern(payload, seq);
    return build_rtp(s);
}

// A sending endpoint: double transform + EKT sender (protect_rtp_with_ekt).
template <class P>
struct tx_side {
    typename P::endpoint ep;
    typename P::sender ekt;
    std::uint32_t ssrc;
    std::uint16_t seq;

    tx_side(std::uint32_t s, std::uint16_t first_seq, const bytes& outer_key,
            const bytes& outer_salt)
        : ssrc(s), seq(first_seq)
    {
        // The inner half is a placeholder: the first key announced by EKT replaces it.
        REQUIRE(ep.init(concat(pattern(P::key_size, 0xE0), outer_key),
                        concat(pattern(12, 0xE1), outer_salt)) == errc::ok);
    }

    sent_packet send(std::uint64_t now, bool key_frame = false, std::uint16_t step = 1)
    {
        sent_packet p;
        p.plain = make_rtp(ssrc, seq, 20 + seq % 17);
        seq = static_cast<std::uint16_t>(seq + step);
        p.wire.resize(p.plain.size() + P::endpoint::protect_overhead + P::sender::max_field_size);
        auto r = perc::protect_rtp_with_ekt(ep, ekt, p.plain, p.wire, now, key_frame);
        REQUIRE(r);
        const std::size_t srtp = p.plain.size() + P::endpoint::protect_overhead;
        p.tag = r->size() - srtp;
        p.wire.resize(r->size());
        return p;
    }
    std::uint32_t inner_roc() { return ep.find_stream(ssrc)->inner.roc(); }
};

// An independent sender keyed with a fixed inner key (the "reference" for "protected with K").
template <class P>
struct reference {
    typename P::endpoint ep;
    reference(const bytes& inner_key, const bytes& inner_salt, const bytes& outer_key,
              const bytes& outer_salt)
    {
        REQUIRE(ep.init(concat(inner_key, outer_key), concat(inner_salt, outer_salt)) == errc::ok);
    }
    bytes protect(const bytes& plain)
    {
        bytes out(plain.size() + P::endpoint::protect_overhead);
        auto r = ep.protect_rtp(plain, out);
        REQUIRE(r);
        return out;
    }
};

struct installed_key {
    std::uint32_t ssrc, roc;
    std::uint16_t spi, epoch;
    bytes key, salt;
};

struct outcome {
    std::string error = "ok"; // ekt_receiver::process
    std::string event = "-";  // its ekt_event
    perc::ekt_kind kind = perc::ekt_kind::short_field;
    std::size_t srtp_size = 0;
    std::string srtp_error = "-"; // double_endpoint::unprotect_rtp on the rest
    bytes payload;
};

// A receiving endpoint. take() mirrors unprotect_rtp_with_ekt but reports the ekt_event and
// records every key installed; take_lib() is the library's own composition.
template <class P>
struct rx_side {
    typename P::endpoint ep;
    typename P::receiver ekt;
    bytes out = bytes(4096);
    std::vector<installed_key> installs;

    rx_side(const bytes& outer_key, const bytes& outer_salt)
    {
        // Its own inner half is useless for other senders' media.
        REQUIRE(ep.init(concat(pattern(P::key_size, 0xD0), outer_key),
                        concat(pattern(12, 0xD1), outer_salt)) == errc::ok);
        REQUIRE(ekt.init(16) == errc::ok);
    }

    outcome take(const bytes& wire, std::uint64_t now)
    {
        outcome o;
        auto h = perc::decode_rtp_header(wire);
        REQUIRE(h);
        auto r = ekt.process(
            wire, h->ssrc, now, P::endpoint::inner_key_size, 12, [&](const perc::ekt_new_key& k) {
                installs.push_back({k.ssrc, k.roc, k.spi, k.epoch,
                                    bytes(k.master_key.begin(), k.master_key.end()),
                                    bytes(k.master_salt.begin(), k.master_salt.end())});
                return ep.set_stream_inner_key(k.ssrc, k.master_key, k.master_salt, k.roc);
            });
        if (!r) {
            o.error = name(r.error());
            return o;
        }
        o.event = ev(r->event);
        o.kind = r->kind;
        o.srtp_size = r->srtp.size();
        auto u = ep.unprotect_rtp(r->srtp, out);
        if (!u) {
            o.srtp_error = name(u.error());
        } else {
            o.srtp_error = "ok";
            o.payload.assign(u->payload().begin(), u->payload().end());
        }
        return o;
    }

    std::string take_lib(const bytes& wire, std::uint64_t now, bytes* packet = nullptr)
    {
        auto u = perc::unprotect_rtp_with_ekt(ep, ekt, wire, out, now);
        if (!u) return name(u.error());
        if (packet != nullptr) packet->assign(u->packet.begin(), u->packet.end());
        return "ok";
    }
};

bytes payload_of(const bytes& plain)
{
    return last_of(plain, plain.size() - 12);
}

} // namespace

#define PROFILES profile_128, profile_256

// ===================================================================== sender (§4.3.1, §4.6)

TEST_CASE_TEMPLATE(
    "RFC 8870 §4.6: Full on the first 3 packets, then Short, Full every full_interval_ms", P,
    PROFILES)
{
    material<P> m;
    typename P::sender s;
    CHECK(P::sender::max_field_size == P::full_size);
    REQUIRE(s.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(s.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    CHECK(s.epoch() == 0); // §4.1: 0 at the start of a session
    CHECK(s.spi() == spi_a);
    CHECK(to_hex(s.master_salt()) == to_hex(m.ekt_salt));

    // One packet every 10 ms: Full at 0, 10, 20 (three consecutive), then the periodic
    // field 100 ms after the last Full: 120, 220.
    std::string got, want;
    bytes out(P::full_size + 5, 0x99);
    for (std::uint64_t t = 0; t <= 300; t += 10) {
        CAPTURE(t);
        const bool full = t == 0 || t == 10 || t == 20 || t == 120 || t == 220;
        want += full ? 'F' : 'S';
        auto n = s.write_field(0, t, false, out);
        REQUIRE(n);
        if (*n == 1) {
            CHECK(out[0] == 0x00); // ShortEKTField (Figure 2)
            got += 'S';
        } else {
            CHECK(*n == P::full_size);
            check_full_field(bytes_view{out}.first(*n), spi_a, 0, m.ekt_key, m.k1, ssrc_a, 0);
            got += 'F';
        }
        CHECK(out[P::full_size] == 0x99); // nothing past the field
    }
    CHECK(got == want);
}

TEST_CASE_TEMPLATE("RFC 8870 §4.6: key frames trigger a Full field; options change the schedule", P,
                   PROFILES)
{
    material<P> m;
    bytes out(P::full_size);
    auto schedule = [&](typename P::sender& s, std::initializer_list<std::uint64_t> times,
                        std::uint64_t key_frame_at) {
        std::string r;
        for (std::uint64_t t : times) {
            auto n = s.write_field(0, t, t == key_frame_at, out);
            REQUIRE(n);
            r += *n == 1 ? 'S' : 'F';
        }
        return r;
    };
    {
        typename P::sender s;
        REQUIRE(s.set_ekt_key(m.params(), 0) == errc::ok);
        REQUIRE(s.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
        // Key frame at 50 -> Full; the periodic timer restarts there (next at 150).
        CHECK(schedule(s, {0, 10, 20, 30, 50, 60, 120, 149, 150, 160}, 50) == "FFFSFSSSFS");
    }
    {
        perc::ekt_sender_options o;
        o.full_on_key_frame = false;
        typename P::sender s;
        REQUIRE(s.set_ekt_key(m.params(), 0, o) == errc::ok);
        REQUIRE(s.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
        CHECK(schedule(s, {0, 10, 20, 30, 50, 60, 119, 120, 130}, 50) == "FFFSSSSFS");
    }
    {
        perc::ekt_sender_options o;
        o.full_repeats = 5;
        o.full_interval_ms = 40;
        typename P::sender s;
        REQUIRE(s.set_ekt_key(m.params(), 0, o) == errc::ok);
        REQUIRE(s.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
        CHECK(schedule(s, {0, 0, 0, 0, 0, 10, 39, 40, 50, 79, 80}, 999) == "FFFFFSSFSSF");
    }
}

TEST_CASE_TEMPLATE(
    "RFC 8870 §4.1/§4.3.1: Epoch 0, +1 per re-key, 3 Full fields per re-key, 250 ms switch", P,
    PROFILES)
{
    material<P> m;
    typename P::sender s;
    bytes out(P::full_size);
    REQUIRE(s.set_ekt_key(m.params(), 0) == errc::ok);
    CHECK(s.key_to_use(0).empty()); // nothing announced yet
    REQUIRE(s.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    // The first key is usable at once, and handed over once.
    CHECK(to_hex(s.key_to_use(0)) == to_hex(m.k1));
    CHECK(s.key_to_use(1).empty());
    for (int i = 0; i < 3; ++i) REQUIRE(s.write_field(0, 0, false, out));

    // Re-key at t = 1000: Epoch 1, the next three fields announce K2 at once.
    REQUIRE(s.set_master_key(ssrc_a, m.k2, 1000) == errc::ok);
    CHECK(s.epoch() == 1);
    for (std::uint64_t t : {1000u, 1010u, 1020u}) {
        auto n = s.write_field(0, t, false, out);
        REQUIRE(n);
        REQUIRE(*n == P::full_size);
        check_full_field(bytes_view{out}.first(*n), spi_a, 1, m.ekt_key, m.k2, ssrc_a, 0);
    }
    CHECK(*s.write_field(0, 1030, false, out) == 1);
    // §4.3.1: the old key stays in use for 250 ms.
    CHECK(s.key_to_use(1000).empty());
    CHECK(s.key_to_use(1249).empty());
    CHECK(to_hex(s.key_to_use(1250)) == to_hex(m.k2));
    CHECK(s.key_to_use(1251).empty());

    REQUIRE(s.set_master_key(ssrc_a, m.k3, 2000) == errc::ok);
    CHECK(s.epoch() == 2);
    auto n = s.write_field(7, 2000, false, out);
    REQUIRE(n);
    check_full_field(bytes_view{out}.first(*n), spi_a, 2, m.ekt_key, m.k3, ssrc_a, 7);
    // §4.3.1 step 2: the ROC in the EKTPlaintext is the packet's; a new ROC re-encrypts.
    auto n8 = s.write_field(8, 2001, false, out);
    REQUIRE(n8);
    check_full_field(bytes_view{out}.first(*n8), spi_a, 2, m.ekt_key, m.k3, ssrc_a, 8);

    // A new EKTKey (§4.1: Epoch restarts at 0 with a new SPI; §4.5: the master key changes).
    const bytes ekt2 = pattern(P::ekt_key_size, 40);
    REQUIRE(s.set_ekt_key({0x0202, ekt2, m.ekt_salt, 0}, 3000) == errc::ok);
    CHECK(s.epoch() == 0);
    CHECK(s.spi() == 0x0202);
    auto none = s.write_field(0, 3000, false, out);
    REQUIRE_FALSE(none); // no master key announced under this EKTKey yet
    CHECK(name(none.error()) == "no_key");
    REQUIRE(s.set_master_key(ssrc_a, m.k1, 3000) == errc::ok);
    CHECK(s.epoch() == 0);
    for (int i = 0; i < 3; ++i) {
        auto f = s.write_field(0, 3000, false, out);
        REQUIRE(f);
        check_full_field(bytes_view{out}.first(*f), 0x0202, 0, ekt2, m.k1, ssrc_a, 0);
    }
    REQUIRE(s.set_master_key(ssrc_a, m.k2, 4000) == errc::ok);
    CHECK(s.epoch() == 1);
}

TEST_CASE_TEMPLATE(
    "RFC 8870 §4.5 + §4.3.1: after a new EKTKey the new master key also waits out the overlap", P,
    PROFILES)
{
    material<P> m;
    typename P::sender s;
    REQUIRE(s.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(s.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    CHECK(to_hex(s.key_to_use(0)) == to_hex(m.k1));
    // §4.5: the source changes its master key and begins encrypting with it "as defined in
    // Section 4.3.1", i.e. after the receivers had 250 ms to learn it.
    REQUIRE(s.set_ekt_key({0x0202, pattern(P::ekt_key_size, 40), m.ekt_salt, 0}, 5000) == errc::ok);
    REQUIRE(s.set_master_key(ssrc_a, m.k2, 5000) == errc::ok);
    CHECK(s.epoch() == 0);
    CHECK(s.key_to_use(5000).empty());
    CHECK(s.key_to_use(5249).empty());
    CHECK(to_hex(s.key_to_use(5250)) == to_hex(m.k2));
}

TEST_CASE_TEMPLATE("RFC 8870 §4.3.1: key_overlap_ms is configurable", P, PROFILES)
{
    material<P> m;
    perc::ekt_sender_options o;
    o.key_overlap_ms = 40;
    typename P::sender s;
    REQUIRE(s.set_ekt_key(m.params(), 0, o) == errc::ok);
    REQUIRE(s.set_master_key(ssrc_a, m.k1, 100) == errc::ok);
    CHECK(to_hex(s.key_to_use(100)) == to_hex(m.k1));
    REQUIRE(s.set_master_key(ssrc_a, m.k2, 1000) == errc::ok);
    CHECK(s.key_to_use(1039).empty());
    CHECK(to_hex(s.key_to_use(1040)) == to_hex(m.k2));
    // Announcing again before the switch: only the newest key is handed over, at its time.
    REQUIRE(s.set_master_key(ssrc_a, m.k3, 2000) == errc::ok);
    REQUIRE(s.set_master_key(ssrc_a, m.k1, 2010) == errc::ok);
    CHECK(s.epoch() == 3);
    CHECK(s.key_to_use(2049).empty());
    CHECK(to_hex(s.key_to_use(2050)) == to_hex(m.k1));
}

TEST_CASE_TEMPLATE(
    "RFC 8870 §5.2.2 / §6: ekt_ttl expiry -> key_usage_exhausted when a Full field is due", P,
    PROFILES)
{
    material<P> m;
    typename P::sender s;
    bytes out(P::full_size);
    REQUIRE(s.set_ekt_key(m.params(1), 0) == errc::ok); // ttl 1 s
    REQUIRE(s.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    for (std::uint64_t t : {0u, 10u, 20u, 500u, 999u}) {
        auto n = s.write_field(0, t, false, out);
        REQUIRE(n);
        CHECK(*n == P::full_size);
    }
    // Short fields do not use the EKTKey.
    auto shortf = s.write_field(0, 1000, false, out);
    REQUIRE(shortf);
    CHECK(*shortf == 1);
    auto kf = s.write_field(0, 1000, true, out);
    REQUIRE_FALSE(kf);
    CHECK(name(kf.error()) == "key_usage_exhausted");
    auto periodic = s.write_field(0, 1099, false, out);
    REQUIRE_FALSE(periodic);
    CHECK(name(periodic.error()) == "key_usage_exhausted");
    // A re-key announced under the expired EKTKey cannot be sent either.
    REQUIRE(s.set_master_key(ssrc_a, m.k2, 1100) == errc::ok);
    CHECK(name(s.write_field(0, 1100, false, out).error()) == "key_usage_exhausted");
    // Signalling delivers a new EKTKey: Full fields flow again.
    REQUIRE(s.set_ekt_key({0x0303, pattern(P::ekt_key_size, 9), m.ekt_salt, 0}, 1200) == errc::ok);
    REQUIRE(s.set_master_key(ssrc_a, m.k3, 1200) == errc::ok);
    auto n = s.write_field(0, 1200, false, out);
    REQUIRE(n);
    check_full_field(bytes_view{out}.first(*n), 0x0303, 0, pattern(P::ekt_key_size, 9), m.k3,
                     ssrc_a, 0);
}

TEST_CASE_TEMPLATE("RFC 8870 §4.1: Epoch 65535 then a re-key -> index_exhausted, nothing changes",
                   P, PROFILES)
{
    material<P> m;
    typename P::sender s;
    REQUIRE(s.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(s.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    for (unsigned i = 1; i <= 65535; ++i) {
        const errc e = s.set_master_key(ssrc_a, i % 2 ? m.k2 : m.k3, i);
        if (e != errc::ok) {
            CHECK(name(e) == "ok");
            break;
        }
    }
    CHECK(s.epoch() == 65535);
    CHECK(name(s.set_master_key(ssrc_a, m.k1, 70000)) == "index_exhausted");
    CHECK(s.epoch() == 65535);
    bytes out(P::full_size);
    auto n = s.write_field(0, 70000, false, out);
    REQUIRE(n);
    // The last accepted announcement (K2 at Epoch 65535, odd i) is still what is sent.
    check_full_field(bytes_view{out}.first(*n), spi_a, 65535, m.ekt_key, m.k2, ssrc_a, 0);
    // A new EKTKey restarts the Epoch.
    REQUIRE(s.set_ekt_key({0x0404, m.ekt_key, m.ekt_salt, 0}, 70001) == errc::ok);
    REQUIRE(s.set_master_key(ssrc_a, m.k1, 70001) == errc::ok);
    CHECK(s.epoch() == 0);
}

TEST_CASE_TEMPLATE(
    "ekt_sender argument errors: no_key, bad_key_size, bad_salt_size, buffer_too_small", P,
    PROFILES)
{
    material<P> m;
    typename P::sender s;
    bytes out(P::full_size);
    CHECK(name(s.set_master_key(ssrc_a, m.k1, 0)) == "no_key");
    CHECK(name(s.write_field(0, 0, false, out).error()) == "no_key");
    const bytes short_key = pattern(P::ekt_key_size - 1, 1);
    const bytes long_key = pattern(P::ekt_key_size + 1, 1);
    CHECK(name(s.set_ekt_key({spi_a, short_key, m.ekt_salt, 0}, 0)) == "bad_key_size");
    CHECK(name(s.set_ekt_key({spi_a, long_key, m.ekt_salt, 0}, 0)) == "bad_key_size");
    CHECK(name(s.set_ekt_key({spi_a, m.ekt_key, bytes_view{}, 0}, 0)) == "bad_salt_size");
    // RFC 8870 §5.2.2: srtp_master_salt<1..256>; longer than SRTP needs is allowed and the
    // first octets are used (§4.3.2 step 4), as the receiver does.
    CHECK(name(s.set_ekt_key({spi_a, m.ekt_key, pattern(257, 1), 0}, 0)) == "bad_salt_size");
    REQUIRE(s.set_ekt_key({spi_a, m.ekt_key, pattern(256, 1), 0}, 0) == errc::ok);
    const bytes long_salt = pattern(256, 1);
    CHECK(to_hex(s.master_salt()) == to_hex(bytes_view{long_salt}.first(32)));
    REQUIRE(s.set_ekt_key({spi_a, m.ekt_key, pattern(32, 1), 0}, 0) == errc::ok);
    CHECK(name(s.set_master_key(ssrc_a, bytes_view{}, 0)) == "bad_key_size");
    CHECK(name(s.set_master_key(ssrc_a, pattern(P::key_size + 1, 1), 0)) == "bad_key_size");
    REQUIRE(s.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    // Full due, output one octet short: nothing is consumed from the schedule.
    bytes small(P::full_size - 1);
    CHECK(name(s.write_field(0, 0, false, small).error()) == "buffer_too_small");
    std::string kinds;
    for (int i = 0; i < 4; ++i) kinds += *s.write_field(0, 1, false, out) == 1 ? 'S' : 'F';
    CHECK(kinds == "FFFS");
    CHECK(name(s.write_field(0, 2, false, bytes_span{}).error()) == "buffer_too_small");
}

// ============================================================ endpoint: key switch (§4.3.1)

TEST_CASE_TEMPLATE("RFC 8870 §4.3.1/§4.3.2: during the overlap packets use the OLD key while Full "
                   "fields announce the NEW one; the receiver decrypts both",
                   P, PROFILES)
{
    material<P> m;
    tx_side<P> tx(ssrc_a, 100, m.outer_key, m.outer_salt);
    REQUIRE(tx.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    reference<P> ref1(m.k1, m.ekt_salt, m.outer_key, m.outer_salt);
    reference<P> ref2(m.k2, m.ekt_salt, m.outer_key, m.outer_salt);
    rx_side<P> rx(m.outer_key, m.outer_salt);
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);

    std::vector<sent_packet> held;
    for (std::uint64_t t = 0; t <= 1200; t += 10) {
        CAPTURE(t);
        if (t == 500) REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k2, 500) == errc::ok);
        const sent_packet p = tx.send(t);
        const bytes by1 = ref1.protect(p.plain);
        const bytes by2 = ref2.protect(p.plain);
        // Which key protected the packet: K1 until 500 + 250 ms, K2 from 750 on.
        CHECK(to_hex(p.srtp()) == to_hex(t < 750 ? by1 : by2));
        const bool announce = t <= 20 || (t >= 500 && t <= 520);
        if (announce) {
            REQUIRE(p.tag == P::full_size);
            check_full_field(p.field(), spi_a, t < 500 ? 0 : 1, m.ekt_key, t < 500 ? m.k1 : m.k2,
                             ssrc_a, 0);
        }
        if (t == 600 || t == 740) { // delivered late, after the switch
            held.push_back(p);
            continue;
        }
        const outcome o = rx.take(p.wire, t);
        CHECK(o.error == "ok");
        CHECK(o.srtp_error == "ok");
        CHECK(o.payload == payload_of(p.plain));
        CHECK(o.event == std::string{t == 0 || t == 500 ? "new_key" : "none"});
        if (t == 800)
            for (const sent_packet& h : held) {
                // §4.3.2: the receiver MAY try the old key too (previous key kept).
                const outcome late = rx.take(h.wire, t);
                CHECK(late.srtp_error == "ok");
                CHECK(late.payload == payload_of(h.plain));
            }
    }
    REQUIRE(rx.installs.size() == 2);
    CHECK(rx.installs[0].epoch == 0);
    CHECK(to_hex(rx.installs[0].key) == to_hex(m.k1));
    CHECK(rx.installs[1].epoch == 1);
    CHECK(to_hex(rx.installs[1].key) == to_hex(m.k2));
    CHECK(to_hex(rx.installs[1].salt) == to_hex(m.ekt_salt));
}

// ============================================================== receiver (§4.3.2, §4.1)

TEST_CASE_TEMPLATE(
    "RFC 8870 §4.3.2 + RFC 8871 §4.5: a late joiner behind the MD starts mid-stream with ROC 3", P,
    PROFILES)
{
    material<P> m;
    const bytes hop_a = pattern(P::key_size, 20), hop_a_back = pattern(P::key_size, 21);
    const bytes hop_c = pattern(P::key_size, 22), hop_c_up = pattern(P::key_size, 23);
    const bytes hop_b = pattern(P::key_size, 24), hop_b_up = pattern(P::key_size, 25);
    const bytes salt = pattern(12, 26);
    perc::session_options so;
    so.ekt = true;
    perc::md_link<typename P::outer> a, b, c;
    REQUIRE(a.init(hop_a, salt, hop_a_back, salt, so) == errc::ok);
    REQUIRE(c.init(hop_c_up, salt, hop_c, salt, so) == errc::ok);
    typename P::md md;

    tx_side<P> tx(ssrc_a, 0, hop_a, salt);
    REQUIRE(tx.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    rx_side<P> early(hop_c, salt);
    REQUIRE(early.ekt.add_key(m.params(), 0) == errc::ok);

    // SEQ advances by 1000 per packet (RFC 3711 §3.3.1 tracks gaps < 2^15), 20 ms apart:
    // 200 packets wrap SEQ three times (ROC 3).
    bytes relayed(4096);
    std::uint64_t t = 0;
    for (int i = 0; i < 200; ++i, t += 20) {
        const sent_packet p = tx.send(t, false, 1000);
        auto r = md.relay_rtp(a, c, p.wire, relayed);
        REQUIRE(r);
        const outcome o = early.take(bytes(r->packet.begin(), r->packet.end()), t);
        CHECK(o.srtp_error == "ok");
    }
    CHECK(tx.inner_roc() == 3);

    // The joiner: a new hop (fresh outer ROC 0 on the MD's side), EKTKey from the KD.
    REQUIRE(b.init(hop_b_up, salt, hop_b, salt, so) == errc::ok);
    rx_side<P> joiner(hop_b, salt);
    REQUIRE(joiner.ekt.add_key(m.params(), t) == errc::ok);
    bool keyed = false;
    int decrypted = 0;
    for (int i = 0; i < 80; ++i, t += 20) {
        const sent_packet p = tx.send(t, false, 1000);
        auto r = md.relay_rtp(a, b, p.wire, relayed);
        REQUIRE(r);
        const outcome o = joiner.take(bytes(r->packet.begin(), r->packet.end()), t);
        CHECK(o.error == "ok");
        if (p.tag == P::full_size && !keyed) {
            keyed = true;
            CHECK(o.event == "new_key");
        }
        if (!keyed) {
            CHECK(o.srtp_error == "auth_failed"); // §4.6: no key until a Full field arrives
        } else {
            CHECK(o.srtp_error == "ok");
            CHECK(o.payload == payload_of(p.plain));
            ++decrypted;
        }
    }
    CHECK(keyed);
    CHECK(decrypted >= 75);
    REQUIRE(joiner.installs.size() == 1);
    CHECK(joiner.installs[0].roc == 3); // learnt from the EKTPlaintext
    CHECK(tx.inner_roc() == 4);
    const auto* st = joiner.ep.find_stream(ssrc_a);
    REQUIRE(st != nullptr);
    CHECK(st->inner.roc() == 4); // kept tracking across the next wrap
    CHECK(st->outer.roc() == 1); // the new hop started at ROC 0
}

TEST_CASE_TEMPLATE("RFC 8870 §4.1/§6: rollback to an older Epoch -> stale_epoch, no key change; "
                   "equal Epoch -> cache",
                   P, PROFILES)
{
    material<P> m;
    perc::ekt_sender_options o;
    o.key_overlap_ms = 0;
    tx_side<P> tx(ssrc_a, 1000, m.outer_key, m.outer_salt);
    REQUIRE(tx.ekt.set_ekt_key(m.params(), 0, o) == errc::ok);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    rx_side<P> rx(m.outer_key, m.outer_salt);
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);

    bytes field_e0, field_e1, field_e2;
    std::uint64_t t = 0;
    for (; t < 300; t += 10) {
        if (t == 100) REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k2, t) == errc::ok);
        if (t == 200) REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k3, t) == errc::ok);
        const sent_packet p = tx.send(t);
        if (t == 0) field_e0 = p.field();
        if (t == 100) field_e1 = p.field();
        if (t == 200) field_e2 = p.field();
        const outcome r = rx.take(p.wire, t);
        CHECK(r.srtp_error == "ok");
    }
    REQUIRE(rx.installs.size() == 3);
    CHECK(rx.installs[2].epoch == 2);

    // The Epoch 0 field (K1) replayed onto a current K3 packet: refused, packet still fine.
    sent_packet p = tx.send(t);
    outcome r = rx.take(p.with_tag(field_e0), t);
    CHECK(r.error == "ok");
    CHECK(r.event == "stale_epoch");
    CHECK(r.srtp_error == "ok");
    CHECK(rx.installs.size() == 3);
    // The Epoch 1 field: also older than 2.
    p = tx.send(t += 10);
    r = rx.take(p.with_tag(field_e1), t);
    CHECK(r.event == "stale_epoch");
    CHECK(r.srtp_error == "ok");
    // The accepted Epoch 2 field again: nothing new (compared with the cached ciphertext).
    p = tx.send(t += 10);
    r = rx.take(p.with_tag(field_e2), t);
    CHECK(r.event == "none");
    CHECK(r.srtp_error == "ok");
    CHECK(rx.installs.size() == 3);

    // A packet under the rolled-back key K1, carrying the K1 field: K1 is not installed, so
    // its inner layer fails (the receiver holds K3 and the previous K2 only).
    reference<P> ref1(m.k1, m.ekt_salt, m.outer_key, m.outer_salt);
    const bytes old_plain = make_rtp(ssrc_a, 1100, 20);
    const bytes old_wire = concat(ref1.protect(old_plain), field_e0);
    r = rx.take(old_wire, t);
    CHECK(r.event == "stale_epoch");
    CHECK(r.srtp_error == "auth_failed");
    CHECK(rx.installs.size() == 3);
    // Packets under K3 keep decrypting.
    p = tx.send(t += 10);
    CHECK(rx.take_lib(p.wire, t) == "ok");
}

TEST_CASE_TEMPLATE(
    "RFC 8870 §4.1: the Epoch has no integrity protection of its own (not in the EKTCiphertext)", P,
    PROFILES)
{
    // A flipped Epoch still carries an authentic key, so it is accepted; the genuine field
    // with the lower Epoch is then stale. (Anyone on path can do this — only a DoS on later
    // re-keys, as RFC 8870 §6 notes for replayed EKT fields.)
    material<P> m;
    perc::ekt_sender_options o;
    o.key_overlap_ms = 0;
    tx_side<P> tx(ssrc_a, 1, m.outer_key, m.outer_salt);
    REQUIRE(tx.ekt.set_ekt_key(m.params(), 0, o) == errc::ok);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    const sent_packet p0 = tx.send(0);
    const sent_packet p1 = tx.send(10);
    rx_side<P> rx(m.outer_key, m.outer_salt);
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);
    bytes forged = p0.wire;
    forged[forged.size() - 4] = 0x40; // Epoch low octet
    outcome r = rx.take(forged, 0);
    CHECK(r.event == "new_key");
    CHECK(r.srtp_error == "ok");
    REQUIRE(rx.installs.size() == 1);
    CHECK(rx.installs[0].epoch == 0x40);
    // The genuine field has the same ciphertext: nothing new.
    r = rx.take(p1.wire, 10);
    CHECK(r.event == "none");
    CHECK(r.srtp_error == "ok");
    // The sender's genuine re-key (Epoch 1 < 0x40) is then refused and its media fails.
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k2, 100) == errc::ok);
    const sent_packet p2 = tx.send(100);
    REQUIRE(p2.tag == P::full_size);
    r = rx.take(p2.wire, 100);
    CHECK(r.event == "stale_epoch");
    CHECK(r.srtp_error == "auth_failed");
    CHECK(rx.installs.size() == 1);
}

TEST_CASE_TEMPLATE("RFC 8870 §4.3.1/§4.1: a Full field re-encrypted for a new ROC (same Epoch) is "
                   "not installed again, then cached",
                   P, PROFILES)
{
    material<P> m;
    tx_side<P> tx(ssrc_a, 65500, m.outer_key, m.outer_salt);
    REQUIRE(tx.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    rx_side<P> rx(m.outer_key, m.outer_salt);
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);
    std::vector<std::string> events;
    for (std::uint64_t t = 0; t < 1000; t += 10) {
        const sent_packet p = tx.send(t); // SEQ wraps at t = 360
        const outcome o = rx.take(p.wire, t);
        CHECK(o.srtp_error == "ok");
        if (p.tag == P::full_size) {
            check_full_field(p.field(), spi_a, 0, m.ekt_key, m.k1, ssrc_a, t < 360 ? 0 : 1);
            events.push_back(o.event);
        }
    }
    // Full at 0, 10, 20, 120, 220, 320 (ROC 0), 420 .. 920 (ROC 1).
    const std::vector<std::string> want = {"new_key",     "none", "none", "none", "none", "none",
                                           "stale_epoch", "none", "none", "none", "none", "none"};
    CHECK(events == want);
    CHECK(rx.installs.size() == 1);
    CHECK(rx.ep.find_stream(ssrc_a)->inner.roc() == 1);
}

TEST_CASE_TEMPLATE("RFC 8870 §4.3.2 step 5: a Full field moved onto another SSRC's packet -> "
                   "ssrc_mismatch, packet processed",
                   P, PROFILES)
{
    material<P> m;
    tx_side<P> a(ssrc_a, 10, m.outer_key, m.outer_salt);
    tx_side<P> b(ssrc_b, 5000, m.outer_key, m.outer_salt);
    REQUIRE(a.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(a.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    REQUIRE(b.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(b.ekt.set_master_key(ssrc_b, m.k2, 0) == errc::ok);
    rx_side<P> rx(m.outer_key, m.outer_salt);
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);

    const sent_packet a0 = a.send(0);
    // B is not known yet: A's field on B's packet is discarded, B's inner layer then fails.
    const sent_packet b0 = b.send(0);
    outcome r = rx.take(b0.with_tag(a0.field()), 0);
    CHECK(r.error == "ok");
    CHECK(r.event == "ssrc_mismatch");
    CHECK(r.srtp_size == b0.srtp().size());
    CHECK(r.srtp_error == "auth_failed");
    CHECK(rx.installs.empty());
    // Both known: the moved field changes nothing and B's packet decrypts.
    CHECK(rx.take(a0.wire, 0).event == "new_key");
    CHECK(rx.take(b.send(10).wire, 10).event == "new_key");
    const sent_packet b2 = b.send(20);
    r = rx.take(b2.with_tag(a0.field()), 20);
    CHECK(r.event == "ssrc_mismatch");
    CHECK(r.srtp_error == "ok");
    CHECK(r.payload == payload_of(b2.plain));
    CHECK(rx.installs.size() == 2);
    // The library composition accepts it too (§4.3.2 step 5: the packet MAY be processed).
    const sent_packet b3 = b.send(30);
    CHECK(rx.take_lib(b3.with_tag(a0.field()), 30) == "ok");
}

TEST_CASE_TEMPLATE("RFC 8870 §4.3.2 steps 2, 3, 6: unknown SPI -> auth_failed, bad ciphertext -> "
                   "key_unwrap_failed, wrong key length -> bad_key_size",
                   P, PROFILES)
{
    material<P> m;
    tx_side<P> tx(ssrc_a, 77, m.outer_key, m.outer_salt);
    REQUIRE(tx.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    const sent_packet p = tx.send(0);
    rx_side<P> rx(m.outer_key, m.outer_salt);

    // Step 2: no EKTKey for SPI 0x1234 yet.
    CHECK(rx.take_lib(p.wire, 0) == "auth_failed");
    REQUIRE(rx.ekt.add_key({0x7777, pattern(P::ekt_key_size, 50), m.ekt_salt, 0}, 0) == errc::ok);
    CHECK(rx.take_lib(p.wire, 0) == "auth_failed");
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);
    CHECK(rx.ekt.remove_key(spi_a));
    CHECK_FALSE(rx.ekt.remove_key(spi_a));
    CHECK(rx.take_lib(p.wire, 0) == "auth_failed");
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);

    // Step 3: a corrupted ciphertext octet.
    bytes bad = p.wire;
    bad[p.srtp().size() + 3] ^= 0x10;
    CHECK(rx.take_lib(bad, 0) == "key_unwrap_failed");

    // Step 6: a key of the other profile's length, correctly wrapped under the EKTKey.
    const bytes other_key = pattern(P::key_size == 16 ? 32 : 16, 60);
    const bytes wrong =
        p.with_tag(make_full_field(m.ekt_key, ekt_plaintext(other_key, ssrc_a, 0), spi_a, 0));
    CHECK(rx.take_lib(wrong, 0) == "bad_key_size");
    // A plaintext whose KeyLen does not match its size (16 / 32 said, one octet more given).
    bytes lying = ekt_plaintext(pattern(P::key_size + 1, 61), ssrc_a, 0);
    lying[0] = static_cast<std::uint8_t>(P::key_size);
    CHECK(rx.take_lib(p.with_tag(make_full_field(m.ekt_key, lying, spi_a, 0)), 0) ==
          "ekt_bad_length");
    CHECK(rx.installs.empty());

    // And the genuine packet still works after all of that.
    bytes got;
    CHECK(rx.take_lib(p.wire, 0, &got) == "ok");
    CHECK(got == p.plain);
}

TEST_CASE_TEMPLATE(
    "RFC 8870 §4.1: unknown message types -> EKT Tag discarded, SRTP packet processed", P, PROFILES)
{
    material<P> m;
    tx_side<P> tx(ssrc_a, 300, m.outer_key, m.outer_salt);
    REQUIRE(tx.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    rx_side<P> rx(m.outer_key, m.outer_salt);
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);
    REQUIRE(rx.take(tx.send(0).wire, 0).event == "new_key");
    for (unsigned type : {0x01u, 0x03u, 0x7fu, 0xffu}) {
        CAPTURE(type);
        const sent_packet p = tx.send(10);
        const bytes tag = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x07, static_cast<std::uint8_t>(type)};
        const outcome r = rx.take(p.with_tag(tag), 10);
        CHECK(r.error == "ok");
        CHECK(r.event == "unknown_type");
        CHECK(r.kind == perc::ekt_kind::unknown);
        CHECK(r.srtp_size == p.srtp().size());
        CHECK(r.srtp_error == "ok");
        CHECK(r.payload == payload_of(p.plain));
        CHECK(rx.take_lib(tx.send(20).with_tag(tag), 20) == "ok");
    }
    // A malformed tag rejects the packet (the SRTP boundary is unknown).
    const sent_packet p = tx.send(30);
    CHECK(rx.take_lib(p.with_tag({0x00, 0x02, 0x03}), 30) == "ekt_bad_length");
    CHECK(rx.take_lib(p.wire, 30) == "ok");
}

TEST_CASE_TEMPLATE(
    "RFC 8870 §5.2.2: after ekt_ttl the EKTKey is not used to decrypt -> auth_failed", P, PROFILES)
{
    material<P> m;
    tx_side<P> tx(ssrc_a, 1, m.outer_key, m.outer_salt);
    REQUIRE(tx.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    rx_side<P> rx(m.outer_key, m.outer_salt);
    REQUIRE(rx.ekt.add_key(m.params(2), 0) == errc::ok); // 2 s
    const sent_packet p0 = tx.send(0);
    CHECK(rx.take(p0.wire, 0).event == "new_key");
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k2, 1000) == errc::ok);
    const sent_packet p1 = tx.send(1999); // Full announcing K2 (in use since 1250)
    CHECK(rx.take(p1.wire, 1999).event == "new_key");
    const sent_packet p2 = tx.send(2000);                 // Full (third repeat)
    CHECK(rx.take(p2.wire, 2000).error == "auth_failed"); // even though it equals the cache
    CHECK(rx.take_lib(p2.wire, 2000) == "auth_failed");
    const sent_packet p3 = tx.send(2010);
    const sent_packet p4 = tx.send(2020);
    REQUIRE(p4.tag == 1);
    CHECK(rx.take_lib(p4.wire, 2020) == "ok"); // Short: installed keys keep working
    CHECK(rx.take(p3.wire, 2010).error == "auth_failed");
}

TEST_CASE_TEMPLATE("RFC 8871 §4.5: several senders with their own E2E keys through one receiver", P,
                   PROFILES)
{
    material<P> m;
    const std::uint32_t ssrcs[3] = {ssrc_a, ssrc_b, ssrc_c};
    const bytes keys[3] = {m.k1, m.k2, m.k3};
    std::vector<std::unique_ptr<tx_side<P>>> tx;
    for (int i = 0; i < 3; ++i) {
        tx.push_back(std::make_unique<tx_side<P>>(
            ssrcs[i], static_cast<std::uint16_t>(1000 * i + 3), m.outer_key, m.outer_salt));
        REQUIRE(tx.back()->ekt.set_ekt_key(m.params(), 0) == errc::ok);
        REQUIRE(tx.back()->ekt.set_master_key(ssrcs[i], keys[i], 0) == errc::ok);
    }
    rx_side<P> rx(m.outer_key, m.outer_salt);
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);
    for (std::uint64_t t = 0; t < 400; t += 10)
        for (int i = 0; i < 3; ++i) {
            const sent_packet p = tx[static_cast<std::size_t>(i)]->send(t);
            if (t % 20 == 0) {
                const outcome o = rx.take(p.wire, t);
                CHECK(o.srtp_error == "ok");
                CHECK(o.payload == payload_of(p.plain));
            } else {
                bytes got;
                CHECK(rx.take_lib(p.wire, t, &got) == "ok");
                CHECK(got == p.plain);
            }
        }
    CHECK(rx.ep.stream_count() == 3);
    REQUIRE(rx.installs.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(rx.installs[i].ssrc == ssrcs[i]);
        CHECK(rx.installs[i].key == keys[i]);
        CHECK(rx.installs[i].epoch == 0);
    }
}

TEST_CASE_TEMPLATE("RFC 8870 §4.3.2 step 4 / RFC 8871 §4.5.1: the E2E salt is the EKTKey's "
                   "srtp_master_salt, first 12 octets",
                   P, PROFILES)
{
    material<P> m;
    const bytes salt30 = pattern(30, 70);
    const perc::ekt_key_params k{spi_a, m.ekt_key, salt30, 0};
    tx_side<P> tx(ssrc_a, 40, m.outer_key, m.outer_salt);
    REQUIRE(tx.ekt.set_ekt_key(k, 0) == errc::ok);
    CHECK(tx.ekt.master_salt().size() == 30);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    reference<P> ref(m.k1, first_of(salt30, 12), m.outer_key, m.outer_salt);
    rx_side<P> rx(m.outer_key, m.outer_salt);
    REQUIRE(rx.ekt.add_key(k, 0) == errc::ok);
    for (std::uint64_t t = 0; t < 50; t += 10) {
        const sent_packet p = tx.send(t);
        CHECK(to_hex(p.srtp()) == to_hex(ref.protect(p.plain)));
        const outcome o = rx.take(p.wire, t);
        CHECK(o.srtp_error == "ok");
    }
    REQUIRE(rx.installs.size() == 1);
    CHECK(to_hex(rx.installs[0].salt) == to_hex(first_of(salt30, 12)));
    CHECK(to_hex(rx.installs[0].key) == to_hex(m.k1));
    CHECK(rx.installs[0].ssrc == ssrc_a);
    CHECK(rx.installs[0].spi == spi_a);

    // A salt shorter than the transform needs is refused by the receiver.
    rx_side<P> rx2(m.outer_key, m.outer_salt);
    REQUIRE(rx2.ekt.add_key({spi_a, m.ekt_key, pattern(8, 1), 0}, 0) == errc::ok);
    tx_side<P> tx2(ssrc_a, 40, m.outer_key, m.outer_salt);
    REQUIRE(tx2.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(tx2.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    CHECK(rx2.take(tx2.send(0).wire, 0).error == "bad_salt_size");
}

TEST_CASE_TEMPLATE("RFC 8870 §4.1/§4.3: add_key with the same SPI replaces the EKTKey; capacity "
                   "and argument errors",
                   P, PROFILES)
{
    material<P> m;
    const bytes e1 = pattern(P::ekt_key_size, 80), e2 = pattern(P::ekt_key_size, 81);
    rx_side<P> rx(m.outer_key, m.outer_salt);
    REQUIRE(rx.ekt.add_key({spi_a, e1, m.ekt_salt, 0}, 0) == errc::ok);
    REQUIRE(rx.ekt.add_key({spi_a, e2, m.ekt_salt, 0}, 0) == errc::ok);

    tx_side<P> t1(ssrc_a, 9, m.outer_key, m.outer_salt);
    REQUIRE(t1.ekt.set_ekt_key({spi_a, e1, m.ekt_salt, 0}, 0) == errc::ok);
    REQUIRE(t1.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    CHECK(rx.take(t1.send(0).wire, 0).error == "key_unwrap_failed");
    tx_side<P> t2(ssrc_b, 9, m.outer_key, m.outer_salt);
    REQUIRE(t2.ekt.set_ekt_key({spi_a, e2, m.ekt_salt, 0}, 0) == errc::ok);
    REQUIRE(t2.ekt.set_master_key(ssrc_b, m.k2, 0) == errc::ok);
    CHECK(rx.take(t2.send(0).wire, 0).event == "new_key");

    // MaxKeys = 4 parameter sets (§4.3: all received sets SHOULD be stored).
    REQUIRE(rx.ekt.add_key({0x0001, e1, m.ekt_salt, 0}, 0) == errc::ok);
    REQUIRE(rx.ekt.add_key({0x0002, e1, m.ekt_salt, 0}, 0) == errc::ok);
    REQUIRE(rx.ekt.add_key({0x0003, e1, m.ekt_salt, 0}, 0) == errc::ok);
    CHECK(name(rx.ekt.add_key({0x0004, e1, m.ekt_salt, 0}, 0)) == "stream_table_full");
    CHECK(name(rx.ekt.add_key({0x0003, e2, m.ekt_salt, 0}, 0)) == "ok"); // replacement fits
    CHECK(rx.ekt.remove_key(0x0002));
    CHECK(name(rx.ekt.add_key({0x0004, e1, m.ekt_salt, 0}, 0)) == "ok");

    CHECK(name(rx.ekt.add_key({0x0005, pattern(P::ekt_key_size + 1, 1), m.ekt_salt, 0}, 0)) ==
          "bad_key_size");
    CHECK(name(rx.ekt.add_key({0x0005, bytes_view{}, m.ekt_salt, 0}, 0)) == "bad_key_size");
    CHECK(name(rx.ekt.add_key({0x0005, e1, bytes_view{}, 0}, 0)) == "bad_salt_size");
    CHECK(name(rx.ekt.add_key({0x0005, e1, pattern(257, 1), 0}, 0)) == "bad_salt_size"); // <1..256>
    CHECK(name(rx.ekt.add_key({0x0003, e1, pattern(256, 1), 0}, 0)) == "ok");
}

// ====================================================================== negative matrix

TEST_CASE_TEMPLATE("RFC 8870 §4.1/§4.3.2 negative matrix: every truncation and single-bit flip of "
                   "the FullEKTField",
                   P, PROFILES)
{
    material<P> m;
    tx_side<P> tx(ssrc_a, 4242, m.outer_key, m.outer_salt);
    REQUIRE(tx.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    const sent_packet good = tx.send(0);
    REQUIRE(good.tag == P::full_size);
    const std::size_t L = P::full_size;
    const std::size_t N = good.srtp().size();
    rx_side<P> rx(m.outer_key, m.outer_salt);
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);

    // The receiver is unchanged after a rejection: the valid field would still be installed
    // (with an install function that refuses, so the probe itself records nothing).
    auto probe = [&] {
        std::vector<installed_key> seen;
        auto r = rx.ekt.process(good.wire, ssrc_a, 0, P::key_size, 12,
                                [&](const perc::ekt_new_key& k) {
                                    seen.push_back({k.ssrc,
                                                    k.roc,
                                                    k.spi,
                                                    k.epoch,
                                                    bytes(k.master_key.begin(), k.master_key.end()),
                                                    {}});
                                    return errc::unsupported;
                                });
        return !r && r.error() == errc::unsupported && seen.size() == 1 && seen[0].ssrc == ssrc_a &&
               seen[0].roc == 0 && seen[0].epoch == 0 && seen[0].spi == spi_a &&
               seen[0].key == m.k1;
    };
    REQUIRE(probe());

    struct expected {
        std::string error = "ok";
        std::string event = "-";
        std::size_t srtp_size = 0;
    };
    auto run = [&](const bytes& pkt, const expected& e) {
        const outcome o = rx.take(pkt, 0);
        CHECK(o.error == e.error);
        if (e.error == "ok") {
            CHECK(o.event == e.event);
            CHECK(o.srtp_size == e.srtp_size);
            // No key was installed, so the inner layer fails even when the SRTP part is
            // exactly the original one (otherwise the outer tag fails first).
            CHECK(o.srtp_error == "auth_failed");
        }
        CHECK(rx.installs.empty());
        CHECK(probe());
    };

    int flips = 0, cuts = 0;
    // Single-bit flips, position by position from the end of the field.
    for (std::size_t j = 0; j < L; ++j)
        for (unsigned b = 0; b < 8; ++b) {
            const std::size_t from_end = L - j;           // 1 = type octet
            if (from_end == 4 || from_end == 5) continue; // Epoch: accepted, see below
            CAPTURE(j);
            CAPTURE(b);
            bytes pkt = good.wire;
            pkt[N + j] = static_cast<std::uint8_t>(pkt[N + j] ^ (1u << b));
            expected e;
            if (from_end == 1) {
                // 0x02 -> 0x00 is Short (the rest goes to SRTP); anything else is unknown,
                // skipped by its (still valid) Length 47/63.
                if (b == 1) {
                    e.event = "none";
                    e.srtp_size = N + L - 1;
                } else {
                    e.event = "unknown_type";
                    e.srtp_size = N;
                }
            } else if (from_end == 2 || from_end == 3) {
                const std::size_t len = L ^ (std::size_t{1} << (b + (from_end == 3 ? 8 : 0)));
                e.error = len >= 8 && len <= 258 && len <= N + L ? "key_unwrap_failed"
                                                                 : "ekt_bad_length";
            } else if (from_end == 6 || from_end == 7) {
                e.error = "auth_failed"; // §4.3.2 step 2: no EKTKey for that SPI
            } else {
                e.error = "key_unwrap_failed"; // §4.3.2 step 3
            }
            run(pkt, e);
            ++flips;
        }
    // For a cut packet, what §4.1 / §4.3.2 make of its tail: the last octet is the type;
    // Short -> nothing; Full with a valid Length -> SPI lookup (step 2), then the unwrap of a
    // misaligned ciphertext fails (step 3); other types with a valid Length are skipped.
    auto structural = [&](const bytes& pkt) {
        const std::size_t n = pkt.size();
        expected e;
        const std::uint8_t type = pkt.back();
        const std::size_t len = static_cast<std::size_t>(pkt[n - 3]) * 256 + pkt[n - 2];
        if (type == 0x00) {
            e.event = "none";
            e.srtp_size = n - 1;
        } else if (type == 0x02) {
            if (len < 8 || len > 258 || len > n) e.error = "ekt_bad_length";
            else if (pkt[n - 7] * 256 + pkt[n - 6] != spi_a) e.error = "auth_failed";
            else e.error = "key_unwrap_failed";
        } else {
            if (len < 4 || len > 1027 || len > n) e.error = "ekt_bad_length";
            else {
                e.event = "unknown_type";
                e.srtp_size = n - len;
            }
        }
        return e;
    };
    // Truncations from the end: the last remaining octet is read as the type (§4.1).
    for (std::size_t k = 1; k <= L; ++k) {
        CAPTURE(k);
        const bytes pkt = first_of(good.wire, N + L - k);
        run(pkt, structural(pkt));
        ++cuts;
    }
    // Truncations of the field's head: while the 7-octet trailer is intact the Length still
    // says L, so the ciphertext taken starts inside the SRTP packet -> key_unwrap_failed;
    // shorter remains take SPI, Length or even the type from the SRTP packet.
    for (std::size_t k = 1; k <= L; ++k) {
        CAPTURE(k);
        const bytes pkt = concat(good.srtp(), last_of(good.field(), L - k));
        const expected e = structural(pkt);
        if (L - k >= 7) CHECK(e.error == "key_unwrap_failed");
        run(pkt, e);
        ++cuts;
    }
    CHECK(flips == 8 * (static_cast<int>(L) - 2));
    CHECK(cuts == 2 * static_cast<int>(L));

    // Epoch flips: the key is authentic, so each is installed with the flipped Epoch
    // (fresh receivers); the genuine Epoch 0 field is then older.
    for (unsigned bit = 0; bit < 16; ++bit) {
        CAPTURE(bit);
        rx_side<P> fresh(m.outer_key, m.outer_salt);
        REQUIRE(fresh.ekt.add_key(m.params(), 0) == errc::ok);
        bytes pkt = good.wire;
        pkt[N + L - (bit < 8 ? 4 : 5)] ^= static_cast<std::uint8_t>(1u << (bit % 8));
        const outcome o = fresh.take(pkt, 0);
        CHECK(o.event == "new_key");
        CHECK(o.srtp_error == "ok");
        REQUIRE(fresh.installs.size() == 1);
        CHECK(fresh.installs[0].epoch == (1u << bit));
    }

    // After everything, the valid packet is accepted as if first seen.
    bytes got;
    CHECK(rx.take_lib(good.wire, 0, &got) == "ok");
    CHECK(got == good.plain);
}

// ================================================================ Media Distributor pass-through

TEST_CASE_TEMPLATE("RFC 8870 §4.3 / RFC 8723 §5.2: relaying from a link without EKT to one "
                   "with EKT appends a ShortEKTField; the other way drops the EKT Tag",
                   P, PROFILES)
{
    material<P> m;
    const bytes hop_a = pattern(P::key_size, 70), hop_a_back = pattern(P::key_size, 71);
    const bytes hop_b = pattern(P::key_size, 72), hop_b_up = pattern(P::key_size, 73);
    const bytes salt = pattern(12, 74);
    perc::session_options with_ekt;
    with_ekt.ekt = true;
    // The sender's hop, once as a link with EKT and once without; the receiver's hop with
    // EKT (b) and without (c).
    perc::md_link<typename P::outer> a_ekt, a_plain, b, c;
    REQUIRE(a_ekt.init(hop_a, salt, hop_a_back, salt, with_ekt) == errc::ok);
    REQUIRE(a_plain.init(hop_a, salt, hop_a_back, salt) == errc::ok);
    REQUIRE(b.init(hop_b_up, salt, hop_b, salt, with_ekt) == errc::ok);
    REQUIRE(c.init(hop_b_up, salt, hop_b, salt) == errc::ok);
    typename P::md md;
    tx_side<P> tx(ssrc_a, 100, hop_a, salt);
    REQUIRE(tx.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    rx_side<P> rx(hop_b, salt);
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);
    bytes out(4096);

    // 1. EKT -> EKT: the FullEKTField passes and installs the sender's key at the receiver.
    const sent_packet p0 = tx.send(0);
    REQUIRE(p0.tag == P::full_size);
    auto r0 = md.relay_rtp(a_ekt, b, p0.wire, out);
    REQUIRE(r0);
    const outcome o0 = rx.take(bytes(r0->packet.begin(), r0->packet.end()), 0);
    CHECK(o0.event == "new_key");
    CHECK(o0.payload == payload_of(p0.plain));

    // 2. no EKT -> EKT: the bare SRTP packet gains a ShortEKTField (one octet, 0x00).
    const sent_packet p1 = tx.send(10);
    const bytes bare = p1.srtp();
    auto r1 = md.relay_rtp(a_plain, b, bare, out);
    REQUIRE(r1);
    const bytes relayed1(r1->packet.begin(), r1->packet.end());
    REQUIRE(relayed1.size() == bare.size() + 1);
    CHECK(relayed1.back() == perc::ekt_type_short);
    const outcome o1 = rx.take(relayed1, 10);
    CHECK(o1.error == "ok");
    CHECK(o1.srtp_error == "ok");
    CHECK(o1.payload == payload_of(p1.plain));

    // 3. EKT -> no EKT: the EKT Tag is dropped; what is left is exactly the SRTP packet the
    //    MD relays between two links without EKT.
    const sent_packet p2 = tx.send(20);
    REQUIRE(p2.tag >= 1);
    auto r2 = md.relay_rtp(a_ekt, c, p2.wire, out);
    REQUIRE(r2);
    const bytes relayed2(r2->packet.begin(), r2->packet.end());
    CHECK(relayed2.size() == p2.srtp().size());
    perc::md_link<typename P::outer> a_plain2, c2;
    REQUIRE(a_plain2.init(hop_a, salt, hop_a_back, salt) == errc::ok);
    REQUIRE(c2.init(hop_b_up, salt, hop_b, salt) == errc::ok);
    bytes out2(4096);
    auto plain_relay = md.relay_rtp(a_plain2, c2, p2.srtp(), out2);
    REQUIRE(plain_relay);
    CHECK(to_hex(relayed2) ==
          to_hex(bytes(plain_relay->packet.begin(), plain_relay->packet.end())));
}

TEST_CASE_TEMPLATE("RFC 8871 §4.5 / RFC 8723 §5.2: the MD passes Full, Short and unknown EKT Tags "
                   "through unchanged",
                   P, PROFILES)
{
    material<P> m;
    const bytes hop_a = pattern(P::key_size, 90), hop_a_back = pattern(P::key_size, 91);
    const bytes hop_b = pattern(P::key_size, 92), hop_b_up = pattern(P::key_size, 93);
    const bytes salt = pattern(12, 94);
    perc::session_options so;
    so.ekt = true;
    perc::md_link<typename P::outer> a, b;
    REQUIRE(a.init(hop_a, salt, hop_a_back, salt, so) == errc::ok);
    REQUIRE(b.init(hop_b_up, salt, hop_b, salt, so) == errc::ok);
    CHECK(a.ekt());
    typename P::md md;
    tx_side<P> tx(ssrc_a, 65530, hop_a, salt);
    REQUIRE(tx.ekt.set_ekt_key(m.params(), 0) == errc::ok);
    REQUIRE(tx.ekt.set_master_key(ssrc_a, m.k1, 0) == errc::ok);
    rx_side<P> rx(hop_b, salt);
    REQUIRE(rx.ekt.add_key(m.params(), 0) == errc::ok);

    const bytes unknown_tag = {0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x08, 0x03};
    bytes out(4096);
    int full = 0, shortf = 0, unknown = 0;
    for (std::uint64_t t = 0; t < 300; t += 10) {
        CAPTURE(t);
        const sent_packet p = tx.send(t);
        const bool use_unknown = t % 70 == 40;
        const bytes in = use_unknown ? p.with_tag(unknown_tag) : p.wire;
        const bytes tag = use_unknown ? unknown_tag : p.field();
        auto r = md.relay_rtp(a, b, in, out);
        REQUIRE(r);
        const bytes relayed(r->packet.begin(), r->packet.end());
        REQUIRE(relayed.size() == in.size());
        CHECK(to_hex(last_of(relayed, tag.size())) == to_hex(tag)); // octets unchanged
        CHECK(first_of(relayed, relayed.size() - tag.size()) !=
              first_of(in, in.size() - tag.size()));
        const outcome o = rx.take(relayed, t);
        CHECK(o.error == "ok");
        CHECK(o.srtp_error == "ok");
        CHECK(o.payload == payload_of(p.plain));
        if (use_unknown) {
            CHECK(o.event == "unknown_type");
            ++unknown;
        } else if (tag.size() == P::full_size) {
            // SEQ wraps at t = 60: the periodic field at 120 is K1 re-encrypted for ROC 1
            // with the same Epoch (§4.1: not installed again), cached for the one at 220.
            CHECK(o.event == std::string{t == 0 ? "new_key" : t == 120 ? "stale_epoch" : "none"});
            ++full;
        } else {
            CHECK(tag == bytes{0x00});
            ++shortf;
        }
    }
    CHECK(full >= 5); // three at the start, then every 100 ms
    CHECK(shortf > 10);
    CHECK(unknown == 4);
    REQUIRE(rx.installs.size() == 1);
    CHECK(to_hex(rx.installs[0].key) == to_hex(m.k1));

    // A malformed tag: the MD cannot find the SRTP packet and refuses, state unchanged.
    const sent_packet p = tx.send(300);
    auto bad = md.relay_rtp(a, b, p.with_tag({0x01, 0x00, 0xff, 0x05}), out);
    REQUIRE_FALSE(bad);
    CHECK(name(bad.error()) == "ekt_bad_length");
    auto ok = md.relay_rtp(a, b, p.wire, out);
    REQUIRE(ok);
    CHECK(rx.take(bytes(ok->packet.begin(), ok->packet.end()), 300).srtp_error == "ok");
}
