// RFC 8723 §5.2 Media Distributor on the Botan backend, for both profiles: chains of 2 and 3
// MDs rewriting PT, SEQ, M and header extensions; after every hop the OHB inside the outer
// layer is read by an independent single-layer RFC 7714 session keyed with that hop's key and
// compared with the bytes §5.2 step 3 prescribes; the final receiver recovers the original
// header and payload. Also: selective forwarding with SEQ renumbering across an outer ROC
// wrap, plain forwarding (§9), key checks (§5.2, §9), SRTCP relay (§6), and a tampering MD
// whose changes the inner layer detects (§9: the MD cannot forge media).
#include <perc/media_distributor.hpp>

#include <perc/botan/double.hpp>
#include <perc/srtp_session.hpp>

#include "backend.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

using namespace perc_test;
using perc::bytes_span;
using perc::bytes_view;
using perc::errc;
using perc::relay_changes;
using ext_action = perc::relay_changes::extension_action;

namespace {

constexpr std::size_t tag_size = 16;

std::uint16_t rd16(const std::uint8_t* p)
{
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

// The test's own header-size computation (RFC 3550 §5.1, RFC 8285).
std::size_t header_size_of(bytes_view p)
{
    std::size_t n = 12 + 4u * (p[0] & 0x0Fu);
    if (p[0] & 0x10u) n += 4 + 4u * rd16(p.data() + n + 2);
    return n;
}

bytes random_bytes(rng& r, std::size_t n)
{
    bytes b(n);
    r.fill(b);
    return b;
}

// What a packet looks like on one hop, as the test models it.
struct fields {
    std::uint8_t pt = 0;
    std::uint16_t seq = 0;
    bool marker = false;
    bool operator==(const fields&) const = default;
};

struct header_model {
    fields f;
    bool extension = false;
    std::uint16_t ext_profile = 0xBEDE;
    bytes ext_body;
};

// RFC 8723 §5.2 step 3 / §4, written out: the OHB holds the ORIGINAL value of every field
// whose value on the wire differs from it — PT octet, SEQ (big-endian), then Config
// (B = original M, M, P, Q). The first MD's record is thus kept, and a restored field leaves.
bytes expected_ohb(const fields& orig, const fields& now)
{
    bytes b;
    std::uint8_t c = 0;
    if (now.pt != orig.pt) {
        b.push_back(orig.pt);
        c |= 0x02;
    }
    if (now.seq != orig.seq) {
        b.push_back(static_cast<std::uint8_t>(orig.seq >> 8));
        b.push_back(static_cast<std::uint8_t>(orig.seq & 0xFF));
        c |= 0x01;
    }
    if (now.marker != orig.marker)
        c = static_cast<std::uint8_t>(c | 0x04 | (orig.marker ? 0x08 : 0));
    b.push_back(c);
    return b;
}

// The header the model predicts: base header of `original` with the hop's PT/SEQ/M and X,
// then the hop's extension.
bytes expected_header(const bytes& original, const header_model& m)
{
    const std::size_t base = 12 + 4u * (original[0] & 0x0Fu);
    bytes h(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(base));
    h[0] = static_cast<std::uint8_t>((h[0] & 0xEF) | (m.extension ? 0x10 : 0));
    h[1] = static_cast<std::uint8_t>((m.f.marker ? 0x80 : 0) | m.f.pt);
    h[2] = static_cast<std::uint8_t>(m.f.seq >> 8);
    h[3] = static_cast<std::uint8_t>(m.f.seq & 0xFF);
    if (m.extension) {
        h.push_back(static_cast<std::uint8_t>(m.ext_profile >> 8));
        h.push_back(static_cast<std::uint8_t>(m.ext_profile & 0xFF));
        h.push_back(static_cast<std::uint8_t>((m.ext_body.size() / 4) >> 8));
        h.push_back(static_cast<std::uint8_t>((m.ext_body.size() / 4) & 0xFF));
        h.insert(h.end(), m.ext_body.begin(), m.ext_body.end());
    }
    return h;
}

// A hop's change, applied to the model.
header_model apply(const header_model& in, const relay_changes& c)
{
    header_model m = in;
    if (c.payload_type) m.f.pt = *c.payload_type;
    if (c.seq) m.f.seq = *c.seq;
    if (c.marker) m.f.marker = *c.marker;
    if (c.extension == ext_action::remove) {
        m.extension = false;
        m.ext_body.clear();
    } else if (c.extension == ext_action::replace) {
        m.extension = true;
        m.ext_profile = c.extension_profile;
        m.ext_body.assign(c.extension_body.begin(), c.extension_body.end());
    }
    return m;
}

// sender --hop 0--> MD 1 --hop 1--> ... MD n --hop n--> receiver.
// Hop h has its own outer master key; the sender uses inner ‖ hop-0 key, the receiver
// inner ‖ hop-n key (RFC 8723 §3, §5.2: independent keys per hop).
template <class E>
struct chain {
    using outer_type = typename E::outer_type;
    using md_type = perc::media_distributor<outer_type>;
    using link_type = typename md_type::link_type;
    using observer_type = perc::srtp_session<outer_type>;
    static constexpr std::size_t half = E::outer_key_size;

    std::size_t n = 0;
    bytes inner_key, inner_salt;
    std::vector<bytes> hop_key, hop_salt;
    E tx, rx;
    md_type md;
    std::vector<std::unique_ptr<link_type>> from_link, to_link; // index 1..n
    std::vector<std::unique_ptr<observer_type>> observer;       // index 0..n

    chain(std::size_t mds, std::uint64_t seed) : n(mds)
    {
        rng r(seed);
        inner_key = random_bytes(r, half);
        inner_salt = random_bytes(r, 12);
        for (std::size_t h = 0; h <= n; ++h) {
            hop_key.push_back(random_bytes(r, half));
            hop_salt.push_back(random_bytes(r, 12));
        }
        REQUIRE(name(tx.init(cat(inner_key, hop_key[0]), cat(inner_salt, hop_salt[0]))) == "ok");
        REQUIRE(name(rx.init(cat(inner_key, hop_key[n]), cat(inner_salt, hop_salt[n]))) == "ok");
        from_link.resize(n + 1);
        to_link.resize(n + 1);
        for (std::size_t i = 1; i <= n; ++i) {
            // The reverse-direction keys of each link are not exercised; any distinct keys do.
            from_link[i] = std::make_unique<link_type>();
            to_link[i] = std::make_unique<link_type>();
            REQUIRE(name(from_link[i]->init(hop_key[i - 1], hop_salt[i - 1], random_bytes(r, half),
                                            random_bytes(r, 12))) == "ok");
            REQUIRE(name(to_link[i]->init(random_bytes(r, half), random_bytes(r, 12), hop_key[i],
                                          hop_salt[i])) == "ok");
        }
        for (std::size_t h = 0; h <= n; ++h) {
            observer.push_back(std::make_unique<observer_type>());
            REQUIRE(name(observer[h]->init(hop_key[h], hop_salt[h])) == "ok");
        }
    }

    static bytes cat(const bytes& a, const bytes& b)
    {
        bytes c = a;
        c.insert(c.end(), b.begin(), b.end());
        return c;
    }

    // Outer plaintext of a packet on hop h (after its header), read by the independent
    // single-layer session with the hop key.
    bytes outer_plaintext(std::size_t h, const bytes& packet)
    {
        bytes out(packet.size());
        auto r = observer[h]->unprotect_rtp(packet, out);
        REQUIRE(r);
        const std::size_t hs = header_size_of(packet);
        return bytes(r->begin() + static_cast<std::ptrdiff_t>(hs), r->end());
    }
};

bytes tail(const bytes& b, std::size_t n)
{
    return bytes(b.end() - static_cast<std::ptrdiff_t>(n), b.end());
}
bytes head(const bytes& b, std::size_t n)
{
    return bytes(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
}

// Sends one packet through the chain with the given per-hop changes and checks every hop
// and the receiver. `want_ohb[h]` (optional) are hand-written expected OHB hex strings.
template <class E>
void run_one(chain<E>& c, const rtp_spec& spec, const std::vector<relay_changes>& changes,
             const std::vector<std::string>& want_ohb = {})
{
    REQUIRE(changes.size() == c.n);
    const bytes original = build_rtp(spec);
    const std::size_t ohs = header_size_of(original);
    const bytes payload(original.begin() + static_cast<std::ptrdiff_t>(ohs), original.end());
    bytes packet(original.size() + 33);
    REQUIRE(c.tx.protect_rtp(original, packet));

    header_model model;
    model.f = {spec.pt, spec.seq, spec.marker};
    model.extension = spec.extension;
    model.ext_profile = spec.ext_profile;
    model.ext_body = spec.ext_body;
    const fields orig = model.f;

    // Hop 0: the sender's empty OHB (RFC 8723 §5.1 step 5).
    const bytes plain0 = c.outer_plaintext(0, packet);
    REQUIRE(plain0.back() == 0x00);
    const bytes inner_part = head(plain0, plain0.size() - 1);
    CHECK(inner_part.size() == payload.size() + tag_size);

    for (std::size_t h = 1; h <= c.n; ++h) {
        CAPTURE(h);
        const relay_changes& ch = changes[h - 1];
        bytes out(packet.size() + 64 + ch.extension_body.size(), 0xEE);
        auto r = c.md.relay_rtp(*c.from_link[h], *c.to_link[h], packet, out, ch);
        REQUIRE(r);
        model = apply(model, ch);
        packet.assign(r->packet.begin(), r->packet.end());

        // The header on the wire of hop h.
        const bytes want_header = expected_header(original, model);
        REQUIRE(header_size_of(packet) == want_header.size());
        CHECK(to_hex(head(packet, want_header.size())) == to_hex(want_header));
        CHECK(r->sent == perc::rtp_mutable_fields{model.f.pt, model.f.seq, model.f.marker});

        // The OHB inside the outer layer of hop h, read independently.
        const bytes want = expected_ohb(orig, model.f);
        const bytes plain = c.outer_plaintext(h, packet);
        REQUIRE(plain.size() == inner_part.size() + want.size());
        CHECK(to_hex(tail(plain, want.size())) == to_hex(want));
        if (h - 1 < want_ohb.size()) CHECK(to_hex(want) == want_ohb[h - 1]);
        // The MD never touches the E2E ciphertext and tag.
        CHECK(to_hex(head(plain, inner_part.size())) == to_hex(inner_part));
        // relayed::ohb_sent agrees.
        std::array<std::uint8_t, 4> enc{};
        const std::size_t w = perc::encode_ohb(r->ohb_sent, enc);
        CHECK(to_hex(bytes_view{enc.data(), w}) == to_hex(want));
        CHECK(packet.size() == want_header.size() + inner_part.size() + want.size() + tag_size);
    }

    // RFC 8723 §5.3: the receiver recovers the original PT, SEQ, M and the payload; the
    // extension is the one it received (not end-to-end protected).
    bytes out(packet.size(), 0xEE);
    auto u = c.rx.unprotect_rtp(packet, out);
    REQUIRE(u);
    header_model restored = model;
    restored.f = orig;
    const bytes want_packet = [&] {
        bytes p = expected_header(original, restored);
        p.insert(p.end(), payload.begin(), payload.end());
        return p;
    }();
    CHECK(to_hex(u->packet) == to_hex(want_packet));
    CHECK(to_hex(u->payload()) == to_hex(payload));
    CHECK(u->original == perc::rtp_mutable_fields{orig.pt, orig.seq, orig.marker});
    CHECK(u->outer == perc::rtp_mutable_fields{model.f.pt, model.f.seq, model.f.marker});
}

relay_changes change(std::optional<std::uint8_t> pt, std::optional<std::uint16_t> seq,
                     std::optional<bool> m)
{
    relay_changes c;
    c.payload_type = pt;
    c.seq = seq;
    c.marker = m;
    return c;
}

rtp_spec d1_spec()
{
    // The digest §12 D1 header: PT 0x60, SEQ 0x1234, TS 0xdecafbad, SSRC 0xcafebabe, M 0.
    rtp_spec s;
    s.pt = 0x60;
    s.seq = 0x1234;
    s.ts = 0xdecafbad;
    s.ssrc = 0xcafebabe;
    const bytes p =
        from_hex("47616c6c69612065737420 6f6d6e6973206469766973612069 6e2070617274657320747265 73");
    s.payload = p;
    return s;
}

#define DOUBLE_PROFILES                                                                            \
    perc_test::backend::double_aes_128_gcm, perc_test::backend::double_aes_256_gcm

} // namespace

TEST_CASE_TEMPLATE("RFC 8723 §5.2: chains of 2 MDs — OHB after every hop", E, DOUBLE_PROFILES)
{
    std::uint64_t seed = 100;
    SUBCASE("PT changed twice: the first MD's record (original 0x60) stays")
    {
        chain<E> c(2, ++seed);
        run_one(c, d1_spec(), {change(100, {}, {}), change(101, {}, {})}, {"6002", "6002"});
    }
    SUBCASE("SEQ and M changed, then SEQ restored: SEQ leaves the OHB")
    {
        chain<E> c(2, ++seed);
        run_one(c, d1_spec(), {change({}, 0x5678, true), change({}, 0x1234, {})}, {"123405", "04"});
    }
    SUBCASE("original M = 1 cleared (Config 0x0C), then PT changed")
    {
        chain<E> c(2, ++seed);
        rtp_spec s = d1_spec();
        s.marker = true;
        run_one(c, s, {change({}, {}, false), change(100, {}, {})}, {"0c", "600e"});
    }
    SUBCASE("digest D3 change (PT, SEQ, M), then everything restored: empty OHB again")
    {
        chain<E> c(2, ++seed);
        run_one(c, d1_spec(), {change(100, 0x5678, true), change(0x60, 0x1234, false)},
                {"60123407", "00"});
    }
    SUBCASE("extensions: replaced, then removed, with no OHB record")
    {
        chain<E> c(2, ++seed);
        rtp_spec s = d1_spec();
        s.extension = true;
        s.ext_body = from_hex("102a0000");
        const bytes body = from_hex("21112233 30aabbcc 00000000");
        relay_changes a;
        a.extension = ext_action::replace;
        a.extension_body = body;
        relay_changes b;
        b.extension = ext_action::remove;
        run_one(c, s, {a, b}, {"00", "00"});
    }
    SUBCASE("extension added by MD 1 (two-byte form), changed by MD 2 with PT and M")
    {
        chain<E> c(2, ++seed);
        rtp_spec s = d1_spec();
        s.csrcs = {0x11223344, 0x55667788};
        const bytes body1 = from_hex("0102abcd");
        const bytes body2 = from_hex("10ee0000");
        relay_changes a;
        a.extension = ext_action::replace;
        a.extension_profile = 0x1000;
        a.extension_body = body1;
        relay_changes b = change(111, {}, true);
        b.extension = ext_action::replace;
        b.extension_body = body2;
        run_one(c, s, {a, b}, {"00", "6006"});
    }
    SUBCASE("an empty replacement extension (length 0)")
    {
        chain<E> c(2, ++seed);
        relay_changes a;
        a.extension = ext_action::replace;
        relay_changes b = change({}, 7, {});
        run_one(c, d1_spec(), {a, b}, {"00", "123401"});
    }
}

TEST_CASE_TEMPLATE("RFC 8723 §5.2: chains of 3 MDs — OHB after every hop", E, DOUBLE_PROFILES)
{
    std::uint64_t seed = 200;
    SUBCASE("PT, then SEQ and an added extension, then M with PT restored and extension changed")
    {
        chain<E> c(3, ++seed);
        const bytes body2 = from_hex("30010203");
        const bytes body3 = from_hex("30040506 10770000");
        relay_changes a = change(100, {}, {});
        relay_changes b = change({}, 0x9999, {});
        b.extension = ext_action::replace;
        b.extension_body = body2;
        relay_changes d = change(0x60, {}, true);
        d.extension = ext_action::replace;
        d.extension_body = body3;
        run_one(c, d1_spec(), {a, b, d}, {"6002", "60123403", "123405"});
    }
    SUBCASE("nothing, then M set, then SEQ changed and M restored")
    {
        chain<E> c(3, ++seed);
        run_one(c, d1_spec(), {change({}, {}, {}), change({}, {}, true), change({}, 1, false)},
                {"00", "04", "123401"});
    }
    SUBCASE("SEQ changed by every MD, the last one restoring it")
    {
        chain<E> c(3, ++seed);
        run_one(c, d1_spec(),
                {change({}, 0x2000, {}), change({}, 0x3000, {}), change({}, 0x1234, {})},
                {"123401", "123401", "00"});
    }
    SUBCASE("original M = 1, PT 127 -> 0 -> 5 -> 127 with extension removed")
    {
        chain<E> c(3, ++seed);
        rtp_spec s = d1_spec();
        s.pt = 127;
        s.marker = true;
        s.extension = true;
        s.ext_body = from_hex("10ff0000 20a1b2c3");
        relay_changes d = change(127, {}, {});
        d.extension = ext_action::remove;
        run_one(c, s, {change(0, {}, false), change(5, 0xFFFF, {}), d},
                {"7f0e", "7f12340f", "12340d"});
    }
}

TEST_CASE_TEMPLATE("RFC 8723 §5.2: random rewrites over 3 MDs match the OHB model", E,
                   DOUBLE_PROFILES)
{
    // Per run each hop maps SEQ by a fixed rule (keep, shift, or restore to the original);
    // PT, M and the extension change at random per packet.
    rng r(0xD15C0);
    std::size_t packets = 0;
    for (unsigned mask = 0; mask < 8; ++mask) {
        CAPTURE(mask);
        chain<E> c(3, 300 + mask);
        std::uint16_t seq = static_cast<std::uint16_t>(r.below(65536));
        for (int i = 0; i < 20; ++i, ++seq) {
            rtp_spec s;
            s.pt = static_cast<std::uint8_t>(r.below(128));
            s.marker = r.below(2) == 1;
            s.seq = seq;
            s.ts = static_cast<std::uint32_t>(r.next());
            s.ssrc = 0x5eed0000u + mask;
            const std::uint32_t ncsrc = r.below(4);
            for (std::uint32_t k = 0; k < ncsrc; ++k)
                s.csrcs.push_back(static_cast<std::uint32_t>(r.next()));
            s.extension = r.below(2) == 1;
            s.ext_body = random_bytes(r, 4 * r.below(3));
            s.payload = random_bytes(r, r.below(200));
            s.padding = static_cast<std::uint8_t>(r.below(3) == 0 ? 1 + r.below(10) : 0);
            std::vector<bytes> bodies(3);
            std::vector<relay_changes> ch(3);
            for (std::size_t h = 0; h < 3; ++h) {
                const bool shift = ((mask >> h) & 1u) != 0;
                const std::uint32_t pick = r.below(4);
                if (shift) ch[h].seq = static_cast<std::uint16_t>(seq + 1000 * (h + 1));
                else if (h > 0) ch[h].seq = seq;          // restore (or keep) the original
                if (pick == 1) ch[h].payload_type = s.pt; // restore
                if (pick == 2) ch[h].payload_type = static_cast<std::uint8_t>(r.below(128));
                const std::uint32_t m = r.below(3);
                if (m < 2) ch[h].marker = m == 1;
                const std::uint32_t e = r.below(3);
                if (e == 1) ch[h].extension = ext_action::remove;
                if (e == 2) {
                    ch[h].extension = ext_action::replace;
                    bodies[h] = random_bytes(r, 4 * r.below(4));
                    ch[h].extension_body = bodies[h];
                }
            }
            run_one(c, s, ch);
            ++packets;
        }
    }
    CHECK(packets == 160);
}

TEST_CASE_TEMPLATE("RFC 8723 §5.2: in-place and out-of-place relays give identical packets", E,
                   DOUBLE_PROFILES)
{
    chain<E> a(1, 400), b(1, 400); // same keys
    rng r(4);
    for (std::uint16_t i = 0; i < 30; ++i) {
        rtp_spec s = d1_spec();
        s.seq = static_cast<std::uint16_t>(100 + i);
        s.extension = i % 2 == 0;
        s.ext_body = random_bytes(r, 4 * (i % 3));
        s.payload = random_bytes(r, 10u * i);
        const bytes in = build_rtp(s);
        bytes w(in.size() + 33);
        REQUIRE(a.tx.protect_rtp(in, w));
        const bytes body = random_bytes(r, 4 * (i % 4));
        relay_changes ch = change(static_cast<std::uint8_t>(i), static_cast<std::uint16_t>(900 + i),
                                  i % 2 == 1);
        ch.extension = static_cast<ext_action>(i % 3);
        ch.extension_body = body;
        bytes out(w.size() + 64, 0xEE);
        auto r1 = a.md.relay_rtp(*a.from_link[1], *a.to_link[1], w, out, ch);
        REQUIRE(r1);
        bytes buf = w;
        buf.resize(w.size() + 64, 0xEE);
        auto r2 = b.md.relay_rtp(*b.from_link[1], *b.to_link[1], bytes_view{buf.data(), w.size()},
                                 buf, ch);
        REQUIRE(r2);
        CHECK(r2->packet.data() == buf.data());
        CHECK(to_hex(r1->packet) == to_hex(r2->packet));
        bytes p(r1->packet.size());
        auto u = a.rx.unprotect_rtp(r1->packet, p);
        REQUIRE(u);
        CHECK(to_hex(u->payload()) == to_hex(s.payload));
    }
}

TEST_CASE_TEMPLATE("RFC 8723 §3/§5.2: selective forwarding renumbers SEQ across an outer ROC wrap",
                   E, DOUBLE_PROFILES)
{
    chain<E> c(1, 500);
    rng r(5);
    const std::uint64_t first_in = 65500;  // sender SEQ wraps after 36 packets (inner ROC 0 -> 1)
    const std::uint64_t first_out = 65480; // hop SEQ wraps after 56 forwarded (outer ROC 0 -> 1)
    std::uint64_t out_index = first_out;
    std::size_t forwarded = 0;
    for (std::uint64_t i = 0; i < 300; ++i) {
        const std::uint64_t in_index = first_in + i;
        rtp_spec s;
        s.ssrc = 0x5f5f5f5f;
        s.seq = static_cast<std::uint16_t>(in_index & 0xFFFF);
        s.ts = static_cast<std::uint32_t>(in_index * 3000);
        s.payload = random_bytes(r, 60 + i % 50);
        const bytes in = build_rtp(s);
        bytes w(in.size() + 33);
        REQUIRE(c.tx.protect_rtp(in, w));
        if (i % 3 != 0) continue; // the MD drops two of three (e.g. a lower simulcast layer)
        CAPTURE(i);
        const auto new_seq = static_cast<std::uint16_t>(out_index & 0xFFFF);
        bytes out(w.size() + 8);
        auto rel = c.md.relay_rtp(*c.from_link[1], *c.to_link[1], w, out, change({}, new_seq, {}));
        REQUIRE(rel);
        CHECK(rel->ohb_sent.seq == std::optional<std::uint16_t>{s.seq});
        bytes p(rel->packet.size());
        auto u = c.rx.unprotect_rtp(rel->packet, p);
        REQUIRE(u);
        CHECK(to_hex(u->packet) == to_hex(in));
        CHECK(u->inner_index == in_index);  // original SEQ, sender's ROC
        CHECK(u->outer_index == out_index); // renumbered SEQ, this hop's ROC
        CHECK(u->outer.seq == new_seq);
        ++out_index;
        ++forwarded;
    }
    CHECK(forwarded == 100);
    auto* st = c.rx.find_stream(0x5f5f5f5f);
    REQUIRE(st != nullptr);
    CHECK(st->inner.roc() == 1);
    CHECK(st->outer.roc() == 1);
    CHECK(st->inner.rtp_index.highest_seq() ==
          static_cast<std::uint16_t>((first_in + 297) & 0xFFFF));
    CHECK(st->outer.rtp_index.highest_seq() ==
          static_cast<std::uint16_t>((first_out + 99) & 0xFFFF));
    auto* ms = c.to_link[1]->find_send_stream(0x5f5f5f5f);
    REQUIRE(ms != nullptr);
    CHECK(ms->roc() == 1);
}

TEST_CASE_TEMPLATE("RFC 8723 §9: plain forwarding equals an RFC 7714 decrypt/re-encrypt relay", E,
                   DOUBLE_PROFILES)
{
    chain<E> c(2, 600);
    using single = perc::srtp_session<typename E::outer_type>;
    single plain_rx, plain_tx;
    REQUIRE(name(plain_rx.init(c.hop_key[0], c.hop_salt[0])) == "ok");
    REQUIRE(name(plain_tx.init(c.hop_key[1], c.hop_salt[1])) == "ok");
    rng r(6);
    for (std::uint16_t i = 0; i < 20; ++i) {
        rtp_spec s = d1_spec();
        s.seq = static_cast<std::uint16_t>(65530 + i);
        s.marker = i % 2 == 0;
        s.csrcs.assign(i % 4, 0xabcdef01u);
        s.extension = i % 3 == 0;
        s.ext_body = from_hex("10550000");
        s.payload = random_bytes(r, 5u * i);
        // Hop 1 of the chain: the double-aware MD and a plain single-layer relay agree.
        const bytes in = build_rtp(s);
        bytes w(in.size() + 33);
        REQUIRE(c.tx.protect_rtp(in, w));
        bytes out(w.size() + 8);
        auto rel = c.md.relay_rtp(*c.from_link[1], *c.to_link[1], w, out);
        REQUIRE(rel);
        CHECK(rel->ohb_sent.empty());
        CHECK(rel->sent == perc::rtp_mutable_fields{s.pt, s.seq, s.marker});
        bytes mid(w.size()), again(w.size());
        auto pr = plain_rx.unprotect_rtp(w, mid);
        REQUIRE(pr);
        auto pt = plain_tx.protect_rtp(*pr, again);
        REQUIRE(pt);
        CHECK(to_hex(rel->packet) == to_hex(*pt));
        // Header unchanged on the wire.
        const std::size_t hs = header_size_of(in);
        CHECK(to_hex(bytes_view{rel->packet.data(), hs}) == to_hex(bytes_view{in.data(), hs}));
        // Hop 2, then the receiver.
        bytes out2(rel->packet.size() + 8);
        auto rel2 = c.md.relay_rtp(*c.from_link[2], *c.to_link[2], rel->packet, out2);
        REQUIRE(rel2);
        CHECK(c.outer_plaintext(2, bytes(rel2->packet.begin(), rel2->packet.end())).back() == 0x00);
        bytes p(rel2->packet.size());
        auto u = c.rx.unprotect_rtp(rel2->packet, p);
        REQUIRE(u);
        CHECK(to_hex(u->packet) == to_hex(in));
    }
}

TEST_CASE_TEMPLATE("RFC 8723 §5.2/§9: md_link key checks", E, DOUBLE_PROFILES)
{
    using link = typename chain<E>::link_type;
    constexpr std::size_t half = E::outer_key_size;
    rng r(7);
    const bytes k1 = random_bytes(r, half), k2 = random_bytes(r, half);
    const bytes s1 = random_bytes(r, 12), s2 = random_bytes(r, 12);
    link l;
    // Decryption and re-encryption MUST use different keys (GCM nonce reuse otherwise).
    CHECK(name(l.init(k1, s1, k1, s1)) == "same_hop_keys");
    CHECK(name(l.init(k1, s1, k1, s2)) == "same_hop_keys");
    // Wrong sizes, on either side.
    CHECK(name(l.init(head(k1, half - 1), s1, k2, s2)) == "bad_key_size");
    CHECK(name(l.init(k1, s1, random_bytes(r, half + 1), s2)) == "bad_key_size");
    CHECK(name(l.init(bytes{}, s1, k2, s2)) == "bad_key_size");
    // A double master key (inner ‖ outer) is never accepted: an MD holds outer keys only.
    const bytes double_key = random_bytes(r, E::master_key_size);
    CHECK(name(l.init(double_key, s1, k2, s2)) == "bad_key_size");
    CHECK(name(l.init(k1, s1, double_key, s2)) == "bad_key_size");
    const bytes double_salt = random_bytes(r, E::master_salt_size);
    CHECK(name(l.init(k1, double_salt, k2, s2)) == "bad_salt_size");
    CHECK(name(l.init(k1, s1, k2, double_salt)) == "bad_salt_size");
    // No key installed: relay refuses.
    link l2;
    REQUIRE(name(l2.init(k1, s1, k2, s2)) == "ok");
    typename chain<E>::md_type md;
    rtp_spec s = d1_spec();
    bytes pkt = build_rtp(s);
    pkt.resize(pkt.size() + 33, 0x00);
    bytes out(pkt.size() + 8);
    link unkeyed;
    CHECK(name(md.relay_rtp(unkeyed, l2, pkt, out).error()) == "no_key");
    CHECK(name(md.relay_rtp(l2, unkeyed, pkt, out).error()) == "no_key");
}

TEST_CASE_TEMPLATE("RFC 8723 §6: SRTCP relayed under the outer keys of each hop", E,
                   DOUBLE_PROFILES)
{
    chain<E> c(2, 700);
    const bytes rtcp = from_hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930"
                                "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");
    for (int i = 0; i < 5; ++i) {
        const bool encrypt = i % 2 == 0;
        bytes w(rtcp.size() + 20);
        REQUIRE(c.tx.protect_rtcp(rtcp, w, encrypt));
        bytes packet = w;
        for (std::size_t h = 1; h <= 2; ++h) {
            bytes out(packet.size());
            auto rel = c.md.relay_rtcp(*c.from_link[h], *c.to_link[h], packet, out, encrypt);
            REQUIRE(rel);
            REQUIRE(rel->size() == rtcp.size() + 20);
            // Readable with the hop key alone; the ESRTCP word carries E and this hop's index.
            bytes p(rel->size());
            auto o = c.observer[h]->unprotect_rtcp(*rel, p);
            REQUIRE(o);
            CHECK(to_hex(*o) == to_hex(rtcp));
            const std::uint32_t word = (std::uint32_t{(*rel)[rel->size() - 4]} << 24) |
                                       (std::uint32_t{(*rel)[rel->size() - 3]} << 16) |
                                       (std::uint32_t{(*rel)[rel->size() - 2]} << 8) |
                                       (*rel)[rel->size() - 1];
            CHECK(word == ((encrypt ? 0x80000000u : 0u) | static_cast<std::uint32_t>(i)));
            packet.assign(rel->begin(), rel->end());
        }
        bytes p(packet.size());
        auto u = c.rx.unprotect_rtcp(packet, p);
        REQUIRE(u);
        CHECK(to_hex(*u) == to_hex(rtcp));
        // A replayed SRTCP packet is refused by the MD, input unchanged.
        const bytes copy = w;
        bytes out(w.size());
        auto again = c.md.relay_rtcp(*c.from_link[1], *c.to_link[1], w, out, encrypt);
        REQUIRE_FALSE(again);
        CHECK(name(again.error()) == "replayed");
        CHECK(to_hex(w) == to_hex(copy));
    }
}

TEST_CASE_TEMPLATE("RFC 8723 §9: a tampering MD re-encrypts validly but the inner layer rejects", E,
                   DOUBLE_PROFILES)
{
    chain<E> c(1, 800);
    using single = perc::srtp_session<typename E::outer_type>;
    single evil_rx;
    REQUIRE(name(evil_rx.init(c.hop_key[0], c.hop_salt[0])) == "ok");

    rtp_spec s = d1_spec();
    s.csrcs = {0x01010101, 0x02020202};
    s.extension = true;
    s.ext_body = from_hex("10770000");
    // One good packet first so the receiver has state to keep.
    {
        const bytes in = build_rtp(s);
        bytes w(in.size() + 33), out(in.size() + 40), p(in.size() + 40);
        REQUIRE(c.tx.protect_rtp(in, w));
        auto rel = c.md.relay_rtp(*c.from_link[1], *c.to_link[1], w, out);
        REQUIRE(rel);
        REQUIRE(c.rx.unprotect_rtp(rel->packet, p));
    }
    s.seq = static_cast<std::uint16_t>(s.seq + 1);
    const bytes in = build_rtp(s);
    const std::size_t hs = header_size_of(in);
    bytes w(in.size() + 33);
    REQUIRE(c.tx.protect_rtp(in, w));
    bytes mid(w.size());
    auto opened = evil_rx.unprotect_rtp(w, mid);
    REQUIRE(opened);
    const bytes outer_plain_packet(opened->begin(), opened->end()); // header ‖ E2E ct ‖ tag ‖ OHB

    struct tamper {
        const char* what;
        std::size_t offset;
        std::uint8_t mask;
    };
    const std::vector<tamper> tampers{
        {"E2E ciphertext, first payload octet (RFC 8723 §9)", hs, 0x01},
        {"E2E ciphertext, last payload octet", hs + s.payload.size() - 1, 0x80},
        {"E2E tag", hs + s.payload.size() + 3, 0x10},
        {"timestamp (RFC 8723 §5.3: only PT, SEQ, M may change)", 4, 0x01},
        {"timestamp high octet", 7, 0x80},
        {"SSRC", 11, 0x01},
        {"CSRC 1", 12, 0x40},
        {"CSRC 2", 19, 0x01},
        {"padding bit P", 0, 0x20},
        {"marker bit, not recorded in the OHB", 1, 0x80},
        {"PT, not recorded in the OHB", 1, 0x01},
        {"SEQ, not recorded in the OHB", 3, 0x02},
        {"OHB Config lies: original M = 1 (0x0C) although M was never changed",
         outer_plain_packet.size() - 1, 0x0C},
    };
    const std::uint32_t ssrc = s.ssrc;
    for (const tamper& t : tampers) {
        CAPTURE(t.what);
        bytes forged = outer_plain_packet;
        forged[t.offset] ^= t.mask;
        const std::uint32_t forged_ssrc = (std::uint32_t{forged[8]} << 24) |
                                          (std::uint32_t{forged[9]} << 16) |
                                          (std::uint32_t{forged[10]} << 8) | forged[11];
        // The MD re-encrypts with the genuine hop key: the outer layer is valid.
        single evil_tx;
        REQUIRE(name(evil_tx.init(c.hop_key[1], c.hop_salt[1])) == "ok");
        bytes wire(forged.size() + 16);
        REQUIRE(evil_tx.protect_rtp(forged, wire));
        auto* st = c.rx.find_stream(ssrc);
        REQUIRE(st != nullptr);
        const auto inner_hi = st->inner.rtp_replay.highest();
        const auto outer_hi = st->outer.rtp_replay.highest();
        const std::size_t streams = c.rx.stream_count();
        const bytes copy = wire;
        auto u = c.rx.unprotect_rtp(wire, wire);
        REQUIRE_FALSE(u);
        CHECK(name(u.error()) == "auth_failed");
        CHECK(to_hex(wire) == to_hex(copy));   // restored in place
        CHECK(c.rx.stream_count() == streams); // no stream for a forged SSRC
        if (forged_ssrc != ssrc) CHECK(c.rx.find_stream(forged_ssrc) == nullptr);
        CHECK(st->inner.rtp_replay.highest() == inner_hi);
        CHECK(st->outer.rtp_replay.highest() == outer_hi);
    }
    // The honest relay of the same packet is still accepted afterwards.
    bytes out(w.size() + 8), p(w.size() + 8);
    auto rel = c.md.relay_rtp(*c.from_link[1], *c.to_link[1], w, out);
    REQUIRE(rel);
    auto u = c.rx.unprotect_rtp(rel->packet, p);
    REQUIRE(u);
    CHECK(to_hex(u->packet) == to_hex(in));
}

TEST_CASE_TEMPLATE(
    "RFC 8723 §5.2: an SFU opens a packet once and forwards it to several receivers, "
    "each with its own hop key, SEQ and rewrites",
    T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    using endpoint = perc::double_endpoint<T, T>;
    using md_type = perc::media_distributor<T>;
    constexpr std::size_t k = T::master_key_size;
    const bytes e2e_key(k, 0x01), e2e_salt(12, 0x02), hop_salt(12, 0x03);
    auto hop_key = [&](std::uint8_t v) { return bytes(k, v); };
    auto cat = [](const bytes& a, const bytes& b) {
        bytes r = a;
        r.insert(r.end(), b.begin(), b.end());
        return r;
    };
    endpoint sender;
    REQUIRE(sender.init(cat(e2e_key, hop_key(0x10)), cat(e2e_salt, hop_salt)) == perc::errc::ok);
    typename md_type::link_type from;
    REQUIRE(from.init(hop_key(0x10), hop_salt, hop_key(0x11), hop_salt) == perc::errc::ok);
    constexpr int receivers = 3;
    typename md_type::link_type to[receivers];
    endpoint rx[receivers];
    for (int i = 0; i < receivers; ++i) {
        const auto out_key = static_cast<std::uint8_t>(0x20 + i);
        REQUIRE(to[i].init(hop_key(static_cast<std::uint8_t>(0x30 + i)), hop_salt, hop_key(out_key),
                           hop_salt) == perc::errc::ok);
        REQUIRE(rx[i].init(cat(e2e_key, hop_key(out_key)), cat(e2e_salt, hop_salt)) ==
                perc::errc::ok);
    }
    md_type md;
    perc_test::rng r(7);
    for (std::uint16_t n = 0; n < 50; ++n) {
        rtp_spec s;
        s.ssrc = 0xABCD0001;
        s.seq = static_cast<std::uint16_t>(65500 + n); // crosses a SEQ wrap
        s.payload.resize(20 + n);
        r.fill(s.payload);
        const bytes original = build_rtp(s);
        bytes wire(original.size() + 33);
        auto sent = sender.protect_rtp(original, wire);
        REQUIRE(sent);

        // One decryption on the incoming hop...
        bytes scratch(sent->size());
        auto opened = md.open_rtp(from, *sent, scratch);
        REQUIRE(opened);
        // ...a second open of the same packet is a replay on that hop.
        bytes scratch2(sent->size());
        CHECK(md.open_rtp(from, *sent, scratch2).error() == perc::errc::replayed);

        for (int i = 0; i < receivers; ++i) {
            perc::relay_changes ch;
            if (i == 1) ch.seq = static_cast<std::uint16_t>(1000 + n); // renumbered hop
            if (i == 2) {
                ch.payload_type = 111;
                ch.marker = true;
            }
            bytes out(opened->packet.size() + 32);
            auto f = md.forward_rtp(*opened, to[i], out, ch);
            REQUIRE(f);
            bytes got(f->packet.size());
            auto u = rx[i].unprotect_rtp(f->packet, got);
            REQUIRE(u);
            CHECK(u->original == perc::rtp_mutable_fields{96, s.seq, false});
            CHECK(to_hex(u->packet) == to_hex(original));
            // Forwarding the same packet twice to one link would reuse its SEQ there.
            bytes again(out.size());
            if (!ch.seq)
                CHECK(md.forward_rtp(*opened, to[i], again, ch).error() ==
                      perc::errc::index_reused);
        }
    }
}
