// Negative matrix for RFC 8723 double_endpoint::unprotect_rtp and media_distributor::relay_rtp,
// for both profiles: every truncation and every single-bit flip of a relayed packet (header,
// CSRC, extension, and the outer ciphertext that carries E2E ciphertext, E2E tag, OHB, plus
// the outer tag); every single-bit flip of the OUTER PLAINTEXT (E2E ciphertext, E2E tag, OHB)
// and every invalid OHB Config, crafted by outer-protecting a hand-built plaintext with a
// single-layer RFC 7714 transform keyed with the hop key, so the outer layer opens and the
// OHB / inner checks decide. Each case asserts the exact errc predicted by the test's own model
// of the packet (header parse, RFC 3711 index/replay rules, OHB rules of RFC 8723 §4), and
// after each rejection: the input bytes are identical (in place: restored exactly — the
// library re-encrypts an opened outer layer), an out-of-place output holds no plaintext, all
// state is unchanged, and the same valid packet is still accepted afterwards with the
// reference result (DESIGN rule 5).
#include <perc/double_endpoint.hpp>

#include <perc/botan/double.hpp>
#include <perc/media_distributor.hpp>

#include "backend.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace perc_test;
using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

namespace {

constexpr std::size_t tag_size = 16;
constexpr std::size_t double_min_body = 16 + 16 + 1; // E2E tag, empty OHB, HBH tag
constexpr std::size_t relay_min_body = 16 + 1;       // HBH tag, Config octet
constexpr std::uint32_t ssrc = 0xcafebabe;

// History and target: the sender sends original SEQ 100..105; MD A relays each with
// PT 0x60 -> 100, SEQ -> original + 5000, M 0 -> 1, so the target on hop 1 carries the full
// OHB "60 0069 07". Receivers and MD B have seen 100..104 (hop-1 SEQ 5100..5104) before.
constexpr std::uint16_t orig_first = 100, orig_target = 105;
constexpr std::uint16_t hop1_first = 5100, hop1_target = 5105;
constexpr std::uint8_t orig_pt = 0x60, hop1_pt = 100;

std::uint16_t rd16(const std::uint8_t* p)
{
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t rd32(const std::uint8_t* p)
{
    return (std::uint32_t{rd16(p)} << 16) | rd16(p + 2);
}

bytes random_bytes(rng& r, std::size_t n)
{
    bytes b(n);
    r.fill(b);
    return b;
}

bool contains(const bytes& hay, bytes_view needle)
{
    return std::search(hay.begin(), hay.end(), needle.begin(), needle.end()) != hay.end();
}

// ----------------------------------------------------------------------- the test's model

struct parsed {
    errc err = errc::ok;
    std::size_t header_size = 0;
    std::uint16_t seq = 0;
    std::uint32_t ssrc = 0;
};

// RFC 3550 §5.1 / RFC 8285 header parse, then the minimum body the call needs.
parsed parse_model(const bytes& m, std::size_t min_body)
{
    parsed p;
    if (m.size() < 12) return {errc::truncated};
    if ((m[0] >> 6) != 2) return {errc::bad_rtp_version};
    const std::size_t base = 12 + 4u * (m[0] & 0x0Fu);
    if (m.size() < base) return {errc::truncated};
    std::size_t hs = base;
    if (m[0] & 0x10u) {
        if (m.size() - base < 4) return {errc::truncated};
        const std::size_t len = 4u * rd16(m.data() + base + 2);
        if (m.size() - base - 4 < len) return {errc::bad_extension};
        hs = base + 4 + len;
    }
    if (m.size() - hs < min_body) return {errc::truncated};
    p.header_size = hs;
    p.seq = rd16(m.data() + 2);
    p.ssrc = rd32(m.data() + 8);
    return p;
}

// RFC 3711 Appendix A / §3.3.2 for a stream at ROC 0 that has received SEQ first..first+4.
errc index_model(std::uint16_t seq, std::uint16_t first)
{
    const std::uint16_t s_l = static_cast<std::uint16_t>(first + 4);
    if (seq > s_l && seq - s_l > 32768) return errc::too_old; // would be ROC - 1 with ROC 0
    if (seq <= s_l) {
        if (s_l - seq >= 128) return errc::too_old;
        if (seq >= first) return errc::replayed;
    }
    return errc::ok;
}

// Errors of an outer layer that does not open (any mutation of authenticated bytes).
errc outer_model(const bytes& m, std::size_t min_body)
{
    const parsed p = parse_model(m, min_body);
    if (p.err != errc::ok) return p.err;
    if (p.ssrc == ssrc)
        if (errc e = index_model(p.seq, hop1_first); e != errc::ok) return e;
    return errc::auth_failed;
}

// Receiver: the outer layer opened to `plain` (crafted); RFC 8723 §4 OHB checks, then the
// inner index/replay state, then the inner tag, which verifies only for the genuine synthetic
// header (original PT as 7 bits, SEQ, M) over the genuine E2E ciphertext and tag.
errc crafted_receiver_model(const bytes& plain, const bytes& inner_part)
{
    if (plain.size() + tag_size < double_min_body) return errc::truncated;
    const std::uint8_t c = plain.back();
    if (c & 0xF0u) return errc::ohb_reserved_bits;
    if ((c & 0x0Cu) == 0x08u) return errc::ohb_bad_marker;
    const std::size_t n = 1 + ((c & 0x02u) ? 1u : 0u) + ((c & 0x01u) ? 2u : 0u);
    if (plain.size() < n) return errc::ohb_truncated;
    const std::size_t rest = plain.size() - n;
    if (rest < tag_size) return errc::ohb_truncated;
    std::size_t i = rest;
    std::uint8_t pt = hop1_pt;
    std::uint16_t seq = hop1_target;
    bool marker = true;
    if (c & 0x02u) pt = static_cast<std::uint8_t>(plain[i++] & 0x7F);
    if (c & 0x01u) {
        seq = rd16(plain.data() + i);
        i += 2;
    }
    if (c & 0x04u) marker = (c & 0x08u) != 0;
    if (errc e = index_model(seq, orig_first); e != errc::ok) return e;
    const bool genuine = pt == orig_pt && seq == orig_target && !marker &&
                         rest == inner_part.size() &&
                         std::equal(inner_part.begin(), inner_part.end(), plain.begin());
    return genuine ? errc::ok : errc::auth_failed;
}

// MD: the outer layer opened to `plain`; only the OHB is checked (RFC 8723 §5.2 step 1).
errc crafted_md_model(const bytes& plain)
{
    if (plain.size() + tag_size < relay_min_body) return errc::truncated;
    const std::uint8_t c = plain.back();
    if (c & 0xF0u) return errc::ohb_reserved_bits;
    if ((c & 0x0Cu) == 0x08u) return errc::ohb_bad_marker;
    const std::size_t n = 1 + ((c & 0x02u) ? 1u : 0u) + ((c & 0x01u) ? 2u : 0u);
    if (plain.size() < n) return errc::ohb_truncated;
    return errc::ok;
}

// ----------------------------------------------------------------------- state snapshots

struct layer_snapshot {
    bool present = false, started = false, window_empty = false;
    std::uint32_t roc = 0;
    std::uint16_t s_l = 0;
    std::uint64_t highest = 0;
    std::vector<errc> window;
    bool operator==(const layer_snapshot&) const = default;
};

template <std::size_t W>
layer_snapshot snapshot(const perc::srtp_stream<W>* s)
{
    layer_snapshot l;
    if (!s) return l;
    l.present = true;
    l.started = s->rtp_index.started();
    l.roc = s->roc();
    l.s_l = s->rtp_index.highest_seq();
    l.window_empty = s->rtp_replay.empty();
    l.highest = s->rtp_replay.highest();
    for (std::uint64_t i = 0; i < 300; ++i) l.window.push_back(s->rtp_replay.check(i));
    for (std::uint64_t i = 4950; i < 5250; ++i) l.window.push_back(s->rtp_replay.check(i));
    return l;
}

// ----------------------------------------------------------------------- fixture

template <class E>
struct fixture {
    using outer_type = typename E::outer_type;
    using md_type = perc::media_distributor<outer_type>;
    using link_type = typename md_type::link_type;
    static constexpr std::size_t half = E::outer_key_size;

    bytes inner_key, inner_salt;
    bytes hop_key[3], hop_salt[3];
    bytes back_key[2], back_salt[2]; // reverse-direction keys of the MD links (unused)
    bytes original;                  // the target RTP packet as the sender built it
    bytes payload;
    std::vector<bytes> history; // hop-1 packets 5100..5104
    bytes target;               // hop-1 packet 5105
    bytes inner_part;           // its E2E ciphertext ‖ E2E tag
    bytes outer_plain;          // inner_part ‖ OHB "60 0069 07"
    bytes md_reference;         // what a pristine MD B sends for `target`
    outer_type hop1_view;       // single-layer transform with the hop-1 key

    explicit fixture(std::uint64_t seed)
    {
        rng r(seed);
        inner_key = random_bytes(r, half);
        inner_salt = random_bytes(r, 12);
        for (auto& k : hop_key) k = random_bytes(r, half);
        for (auto& s : hop_salt) s = random_bytes(r, 12);
        for (auto& k : back_key) k = random_bytes(r, half);
        for (auto& s : back_salt) s = random_bytes(r, 12);
        REQUIRE(name(hop1_view.set_master_key(hop_key[1], hop_salt[1])) == "ok");

        E tx;
        REQUIRE(name(tx.init(cat(inner_key, hop_key[0]), cat(inner_salt, hop_salt[0]))) == "ok");
        link_type a_in, a_out;
        REQUIRE(name(a_in.init(hop_key[0], hop_salt[0], back_key[0], back_salt[0])) == "ok");
        REQUIRE(name(a_out.init(back_key[1], back_salt[1], hop_key[1], hop_salt[1])) == "ok");
        md_type md_a;
        for (std::uint16_t seq = orig_first; seq <= orig_target; ++seq) {
            rtp_spec s;
            s.pt = orig_pt;
            s.seq = seq;
            s.ts = 0xdecafbad;
            s.ssrc = ssrc;
            s.csrcs = {0x11111111, 0x22222222};
            s.extension = true;
            s.ext_body = from_hex("10aa0000");
            s.payload = from_hex("5365637265742073706565636820646f206e6f74206c65616b"); // 25 octets
            const bytes in = build_rtp(s);
            bytes w(in.size() + 33), out(in.size() + 40);
            REQUIRE(tx.protect_rtp(in, w));
            perc::relay_changes ch;
            ch.payload_type = hop1_pt;
            ch.seq = static_cast<std::uint16_t>(seq + 5000);
            ch.marker = true;
            auto rel = md_a.relay_rtp(a_in, a_out, w, out, ch);
            REQUIRE(rel);
            const bytes wire(rel->packet.begin(), rel->packet.end());
            if (seq == orig_target) {
                original = in;
                payload = s.payload;
                target = wire;
            } else {
                history.push_back(wire);
            }
        }
        const std::size_t hs = 12 + 8 + 8;
        outer_plain.resize(target.size() - hs - tag_size);
        REQUIRE(name(hop1_view.open_rtp(
                    ssrc, hop1_target, perc::aad_view{bytes_view{target.data(), hs}},
                    bytes_view{target.data() + hs, target.size() - hs}, outer_plain)) == "ok");
        REQUIRE(to_hex(bytes_view{outer_plain.data() + outer_plain.size() - 4, 4}) == "60006907");
        inner_part.assign(outer_plain.begin(), outer_plain.end() - 4);
        REQUIRE(inner_part.size() == payload.size() + tag_size);

        auto b = make_md();
        bytes out(target.size() + 8);
        auto rel = b->md.relay_rtp(b->from, b->to, target, out, md_changes());
        REQUIRE(rel);
        md_reference.assign(rel->packet.begin(), rel->packet.end());
    }

    static bytes cat(const bytes& a, const bytes& b)
    {
        bytes c = a;
        c.insert(c.end(), b.begin(), b.end());
        return c;
    }

    // A receiver of hop 1 that has received the history.
    std::unique_ptr<E> make_receiver()
    {
        auto rx = std::make_unique<E>();
        REQUIRE(name(rx->init(cat(inner_key, hop_key[1]), cat(inner_salt, hop_salt[1]))) == "ok");
        for (const bytes& h : history) {
            bytes p(h.size());
            REQUIRE(rx->unprotect_rtp(h, p));
        }
        return rx;
    }

    struct md_b {
        link_type from, to;
        md_type md;
    };
    static perc::relay_changes md_changes()
    {
        perc::relay_changes ch;
        ch.payload_type = 101;
        return ch;
    }
    // MD B: receives hop 1, sends hop 2; has relayed the history.
    std::unique_ptr<md_b> make_md()
    {
        auto b = std::make_unique<md_b>();
        REQUIRE(name(b->from.init(hop_key[1], hop_salt[1], back_key[1], back_salt[0])) == "ok");
        REQUIRE(name(b->to.init(back_key[0], back_salt[1], hop_key[2], hop_salt[2])) == "ok");
        for (const bytes& h : history) {
            bytes out(h.size() + 8);
            REQUIRE(b->md.relay_rtp(b->from, b->to, h, out, md_changes()));
        }
        return b;
    }

    // Outer-protects `plain` behind the target's header with the hop-1 key at the target's
    // index (a test-only forgery by a holder of the hop key; the nonce repeats on purpose).
    bytes craft(const bytes& plain)
    {
        const std::size_t hs = 12 + 8 + 8;
        bytes w(target.begin(), target.begin() + static_cast<std::ptrdiff_t>(hs));
        w.resize(hs + plain.size() + tag_size);
        REQUIRE(name(hop1_view.seal_rtp(
                    ssrc, hop1_target, perc::aad_view{bytes_view{target.data(), hs}}, plain,
                    bytes_span{w.data() + hs, plain.size() + tag_size})) == "ok");
        return w;
    }
};

struct counts {
    std::size_t ok = 0, rejected = 0;
};

// One receiver case: fresh receiver with history, call, check everything.
template <class E>
void check_receiver(fixture<E>& f, const bytes& wire, errc want, bool in_place, counts& n)
{
    auto rx = f.make_receiver();
    const std::size_t streams = rx->stream_count();
    auto* st = rx->find_stream(ssrc);
    REQUIRE(st != nullptr);
    const layer_snapshot inner_before = snapshot(&st->inner);
    const layer_snapshot outer_before = snapshot(&st->outer);

    bytes input = wire;
    bytes out(std::max(wire.size(), f.target.size()) + 8, 0xEE);
    auto r = in_place ? rx->unprotect_rtp(input, input) : rx->unprotect_rtp(input, out);
    if (want == errc::ok) {
        REQUIRE(r);
        CHECK(to_hex(r->packet) == to_hex(f.original));
        ++n.ok;
        return;
    }
    REQUIRE_FALSE(r);
    CHECK(name(r.error()) == name(want));
    CHECK(to_hex(input) == to_hex(wire)); // in place: restored exactly; else untouched
    if (!in_place) {
        CHECK_FALSE(contains(out, f.payload));
        CHECK_FALSE(contains(out, bytes_view{f.inner_part.data(), 16}));
    }
    CHECK(rx->stream_count() == streams);
    CHECK(snapshot(&st->inner) == inner_before);
    CHECK(snapshot(&st->outer) == outer_before);
    // The same valid packet is still accepted, with the reference result.
    bytes p(f.target.size());
    auto ok = rx->unprotect_rtp(f.target, p);
    REQUIRE(ok);
    CHECK(to_hex(ok->packet) == to_hex(f.original));
    CHECK(ok->inner_index == orig_target);
    CHECK(ok->outer_index == hop1_target);
    ++n.rejected;
}

// One MD case: fresh MD B with history, relay, check everything.
template <class E>
void check_md(fixture<E>& f, const bytes& wire, errc want, bool in_place, counts& n)
{
    auto b = f.make_md();
    const layer_snapshot rx_before = snapshot(b->from.find_receive_stream(ssrc));
    const layer_snapshot tx_before = snapshot(b->to.find_send_stream(ssrc));
    const std::uint64_t sealed = b->to.send_transform().srtp_packets_protected();

    bytes buf = wire;
    buf.resize(wire.size() + 8, 0xEE);
    bytes out(std::max(wire.size(), f.target.size()) + 8, 0xEE);
    auto r = in_place ? b->md.relay_rtp(b->from, b->to, bytes_view{buf.data(), wire.size()}, buf,
                                        fixture<E>::md_changes())
                      : b->md.relay_rtp(b->from, b->to, wire, out, fixture<E>::md_changes());
    if (want == errc::ok) {
        REQUIRE(r);
        ++n.ok;
        return;
    }
    REQUIRE_FALSE(r);
    CHECK(name(r.error()) == name(want));
    bytes expect_buf = wire;
    expect_buf.resize(wire.size() + 8, 0xEE);
    CHECK(to_hex(buf) == to_hex(expect_buf)); // in place: restored exactly; else untouched
    if (!in_place) CHECK_FALSE(contains(out, bytes_view{f.inner_part.data(), 16}));
    CHECK(snapshot(b->from.find_receive_stream(ssrc)) == rx_before);
    CHECK(snapshot(b->to.find_send_stream(ssrc)) == tx_before);
    CHECK(b->to.send_transform().srtp_packets_protected() == sealed);
    if (wire.size() >= 12) {
        const std::uint32_t s = rd32(wire.data() + 8);
        if (s != ssrc) {
            CHECK(b->from.find_receive_stream(s) == nullptr);
            CHECK(b->to.find_send_stream(s) == nullptr);
        }
    }
    // The same valid packet still relays, to exactly the reference bytes.
    bytes o2(f.target.size() + 8);
    auto ok = b->md.relay_rtp(b->from, b->to, f.target, o2, fixture<E>::md_changes());
    REQUIRE(ok);
    CHECK(to_hex(ok->packet) == to_hex(f.md_reference));
    ++n.rejected;
}

#define DOUBLE_PROFILES                                                                            \
    perc_test::backend::double_aes_128_gcm, perc_test::backend::double_aes_256_gcm

} // namespace

TEST_CASE_TEMPLATE(
    "RFC 8723 §5.3 receiver: every truncation and every bit flip -> exact errc, nothing "
    "changes",
    E, DOUBLE_PROFILES)
{
    fixture<E> f(0xBAD1);
    const bytes& t = f.target;
    REQUIRE(t.size() == 28 + 25 + 16 + 4 + 16);
    counts n;
    std::map<std::string, std::size_t> by_errc;
    for (int mode = 0; mode < 2; ++mode) {
        const bool in_place = mode == 1;
        CAPTURE(in_place);
        for (std::size_t len = 0; len < t.size(); ++len) {
            CAPTURE(len);
            const bytes m(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(len));
            const errc want = outer_model(m, double_min_body);
            ++by_errc[name(want)];
            check_receiver(f, m, want, in_place, n);
        }
        for (std::size_t i = 0; i < t.size(); ++i)
            for (int bit = 0; bit < 8; ++bit) {
                CAPTURE(i);
                CAPTURE(bit);
                bytes m = t;
                m[i] = static_cast<std::uint8_t>(m[i] ^ (1u << bit));
                const errc want = outer_model(m, double_min_body);
                ++by_errc[name(want)];
                check_receiver(f, m, want, in_place, n);
            }
    }
    CHECK(n.ok == 0);
    CHECK(n.rejected == 2 * (t.size() + 8 * t.size()));
    // The matrix reaches each kind of rejection.
    CHECK(by_errc["truncated"] > 0);
    CHECK(by_errc["bad_rtp_version"] == 4);
    CHECK(by_errc["bad_extension"] > 0);
    CHECK(by_errc["replayed"] > 0);
    CHECK(by_errc["too_old"] > 0);
    CHECK(by_errc["auth_failed"] > 0);
}

TEST_CASE_TEMPLATE(
    "RFC 8723 §4/§5.3 receiver: every bit flip of the outer plaintext (E2E ciphertext, "
    "E2E tag, OHB) behind a valid outer layer",
    E, DOUBLE_PROFILES)
{
    fixture<E> f(0xBAD2);
    const bytes& p0 = f.outer_plain;
    REQUIRE(p0.size() == 25 + 16 + 4);
    counts n;
    std::map<std::string, std::size_t> by_errc;
    for (int mode = 0; mode < 2; ++mode) {
        const bool in_place = mode == 1;
        for (std::size_t i = 0; i < p0.size(); ++i)
            for (int bit = 0; bit < 8; ++bit) {
                CAPTURE(in_place);
                CAPTURE(i);
                CAPTURE(bit);
                bytes p = p0;
                p[i] = static_cast<std::uint8_t>(p[i] ^ (1u << bit));
                const errc want = crafted_receiver_model(p, f.inner_part);
                ++by_errc[name(want)];
                check_receiver(f, f.craft(p), want, in_place, n);
            }
    }
    // E2E ciphertext and tag flips: the inner tag fails (RFC 7714 §5.3).
    for (std::size_t i = 0; i < f.inner_part.size(); ++i) {
        bytes p = p0;
        p[i] ^= 0x01;
        CHECK(name(crafted_receiver_model(p, f.inner_part)) == "auth_failed");
    }
    // The exact outcome of each OHB bit, by hand (OHB = 60 0069 07 after 41 octets):
    auto outcome = [&](std::size_t i, int bit) {
        bytes p = p0;
        p[41 + i] = static_cast<std::uint8_t>(p[41 + i] ^ (1u << bit));
        return name(crafted_receiver_model(p, f.inner_part));
    };
    CHECK(outcome(0, 7) == "ok"); // PT octet high bit: restored as 7 bits, same PT
    CHECK(outcome(0, 0) == "auth_failed");
    CHECK(outcome(1, 7) == "too_old");  // original SEQ 0x8069: ROC - 1 at ROC 0
    CHECK(outcome(2, 0) == "replayed"); // original SEQ 104: already received end to end
    CHECK(outcome(2, 1) == "auth_failed");
    CHECK(outcome(3, 3) == "auth_failed");       // B: original M = 1
    CHECK(outcome(3, 2) == "auth_failed");       // M cleared: wire M = 1 used
    CHECK(outcome(3, 4) == "ohb_reserved_bits"); // R bits
    CHECK(outcome(3, 7) == "ohb_reserved_bits");
    CHECK(n.ok == 2);
    CHECK(by_errc["ohb_reserved_bits"] == 8);
    CHECK(by_errc["replayed"] > 0);
    CHECK(by_errc["too_old"] > 0);
}

TEST_CASE_TEMPLATE(
    "RFC 8723 §4: every invalid OHB Config and every too-short OHB, at the receiver and "
    "at an MD",
    E, DOUBLE_PROFILES)
{
    fixture<E> f(0xBAD3);
    counts nr, nm;
    std::size_t invalid = 0;
    for (int mode = 0; mode < 2; ++mode) {
        const bool in_place = mode == 1;
        for (unsigned c = 0; c < 256; ++c) {
            if ((c & 0xF0u) == 0 && (c & 0x0Cu) != 0x08u) continue; // the 12 valid values
            CAPTURE(in_place);
            CAPTURE(c);
            bytes p = f.outer_plain;
            p.back() = static_cast<std::uint8_t>(c);
            const errc want = (c & 0xF0u) ? errc::ohb_reserved_bits : errc::ohb_bad_marker;
            CHECK(name(crafted_receiver_model(p, f.inner_part)) == name(want));
            CHECK(name(crafted_md_model(p)) == name(want));
            const bytes w = f.craft(p);
            check_receiver(f, w, want, in_place, nr);
            check_md(f, w, want, in_place, nm);
            ++invalid;
        }
    }
    CHECK(invalid == 2 * 244);

    // OHB longer than what precedes it. Receiver: fewer than 16 octets left for the E2E tag
    // (it needs at least 17 octets of outer plaintext to open the outer layer at all).
    for (int mode = 0; mode < 2; ++mode) {
        const bool in_place = mode == 1;
        for (std::size_t size = 17; size <= 19; ++size)
            for (std::uint8_t c :
                 {std::uint8_t{0x01}, std::uint8_t{0x02}, std::uint8_t{0x03}, std::uint8_t{0x0F}}) {
                bytes p(f.inner_part.begin(),
                        f.inner_part.begin() + static_cast<std::ptrdiff_t>(size));
                p.back() = c;
                const errc want = crafted_receiver_model(p, f.inner_part);
                CAPTURE(size);
                CAPTURE(static_cast<int>(c));
                const bool fits = size - 1 - ((c & 2) ? 1u : 0u) - ((c & 1) ? 2u : 0u) >= 16;
                if (!fits) CHECK(name(want) == "ohb_truncated");
                check_receiver(f, f.craft(p), want, in_place, nr);
            }
        // MD: the Config asks for more octets than the outer plaintext has.
        for (const char* hex :
             {"01", "03", "02", "0f", "0d", "0e", "6003", "006903", "aa01", "0b0f"}) {
            CAPTURE(hex);
            const bytes p = from_hex(hex);
            const errc want = crafted_md_model(p);
            CHECK(name(want) == "ohb_truncated");
            check_md(f, f.craft(p), want, in_place, nm);
        }
        // Too short for an outer layer at all.
        bytes empty_plain;
        const bytes w = f.craft(empty_plain);
        check_md(f, w, errc::truncated, in_place, nm);
        check_receiver(f, w, errc::truncated, in_place, nr);
    }
    CHECK(nr.ok == 0);
    CHECK(nm.ok == 0);
}

TEST_CASE_TEMPLATE(
    "RFC 8723 §5.2 MD: every truncation and every bit flip -> exact errc, nothing changes", E,
    DOUBLE_PROFILES)
{
    fixture<E> f(0xBAD4);
    const bytes& t = f.target;
    counts n;
    std::map<std::string, std::size_t> by_errc;
    for (int mode = 0; mode < 2; ++mode) {
        const bool in_place = mode == 1;
        CAPTURE(in_place);
        for (std::size_t len = 0; len < t.size(); ++len) {
            CAPTURE(len);
            const bytes m(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(len));
            const errc want = outer_model(m, relay_min_body);
            ++by_errc[name(want)];
            check_md(f, m, want, in_place, n);
        }
        for (std::size_t i = 0; i < t.size(); ++i)
            for (int bit = 0; bit < 8; ++bit) {
                CAPTURE(i);
                CAPTURE(bit);
                bytes m = t;
                m[i] = static_cast<std::uint8_t>(m[i] ^ (1u << bit));
                const errc want = outer_model(m, relay_min_body);
                ++by_errc[name(want)];
                check_md(f, m, want, in_place, n);
            }
    }
    CHECK(n.ok == 0);
    CHECK(by_errc["truncated"] > 0);
    CHECK(by_errc["bad_rtp_version"] == 4);
    CHECK(by_errc["replayed"] > 0);
    CHECK(by_errc["too_old"] > 0);
    CHECK(by_errc["auth_failed"] > 0);
}

TEST_CASE_TEMPLATE("Buffers and keys: exact errc, nothing changes", E, DOUBLE_PROFILES)
{
    fixture<E> f(0xBAD5);
    // unprotect_rtp: output one octet short of in - 16.
    {
        auto rx = f.make_receiver();
        bytes out(f.target.size() - tag_size - 1, 0xEE);
        auto r = rx->unprotect_rtp(f.target, out);
        CHECK(name(r.error()) == "buffer_too_small");
        CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0xEE; }));
        // Overlapping but not in place.
        bytes buf = f.target;
        buf.resize(f.target.size() + 1);
        auto o = rx->unprotect_rtp(bytes_view{buf.data(), f.target.size()},
                                   bytes_span{buf.data() + 1, f.target.size()});
        CHECK(name(o.error()) == "buffer_overlap");
        bytes p(f.target.size());
        CHECK(rx->unprotect_rtp(f.target, p));
    }
    // relay_rtp: output one octet short of in + 3 (the OHB may grow by 3).
    {
        auto b = f.make_md();
        bytes out(f.target.size() + 2, 0xEE);
        auto r = b->md.relay_rtp(b->from, b->to, f.target, out, fixture<E>::md_changes());
        CHECK(name(r.error()) == "buffer_too_small");
        CHECK(std::all_of(out.begin(), out.end(), [](std::uint8_t x) { return x == 0xEE; }));
        perc::relay_changes bad_pt;
        bad_pt.payload_type = 128;
        bytes o2(f.target.size() + 8);
        CHECK(name(b->md.relay_rtp(b->from, b->to, f.target, o2, bad_pt).error()) ==
              "invalid_argument");
        perc::relay_changes bad_ext;
        bad_ext.extension = perc::relay_changes::extension_action::replace;
        const bytes three = from_hex("102a00");
        bad_ext.extension_body = three;
        CHECK(name(b->md.relay_rtp(b->from, b->to, f.target, o2, bad_ext).error()) ==
              "invalid_argument");
        bytes o3(f.target.size() + 3);
        auto ok = b->md.relay_rtp(b->from, b->to, f.target, o3, fixture<E>::md_changes());
        REQUIRE(ok);
        CHECK(to_hex(ok->packet) == to_hex(f.md_reference));
    }
    // Key sizes (RFC 8723 §3, §10.1): the double endpoint takes inner ‖ outer; a link, one half.
    {
        E e;
        for (std::size_t n = 0; n <= 2 * E::master_key_size; ++n) {
            if (n == E::master_key_size) continue;
            CHECK(name(e.init(bytes(n, 0x01), bytes(24, 0x02))) == "bad_key_size");
        }
        for (std::size_t n = 0; n <= 30; ++n) {
            if (n == 24) continue;
            CHECK(name(e.init(bytes(E::master_key_size, 0x01), bytes(n, 0x02))) == "bad_salt_size");
        }
        bytes w(f.original.size() + 33);
        CHECK(name(e.protect_rtp(f.original, w).error()) == "no_key");
        bytes p(f.target.size());
        CHECK(name(e.unprotect_rtp(f.target, p).error()) == "no_key");
        typename fixture<E>::link_type l;
        for (std::size_t n = 0; n <= 2 * E::master_key_size; ++n) {
            if (n == fixture<E>::half) continue;
            CHECK(name(l.init(bytes(n, 0x01), bytes(12, 0x02), f.hop_key[2], f.hop_salt[2])) ==
                  "bad_key_size");
            CHECK(name(l.init(f.hop_key[2], f.hop_salt[2], bytes(n, 0x01), bytes(12, 0x02))) ==
                  "bad_key_size");
        }
    }
}
