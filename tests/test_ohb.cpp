// RFC 8723 §4 Original Header Block codec and the §5.2 step 3 update rules. Core test: no
// backend, built with -fno-exceptions -fno-rtti. Expected bytes and sizes are written out from
// the RFC's Config layout (bit 3 B, bit 2 M, bit 1 P, bit 0 Q; [PT] [SEQ] Config), never taken
// from the library's own output.
#include <perc/ohb.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

using namespace perc_test;
using perc::errc;
using perc::ohb;
using perc::rtp_mutable_fields;

namespace {

// RFC 8723 §4 table of the twelve valid Config values (digest §5.2).
struct valid_config {
    std::uint8_t config;
    bool p, q, m, b;
    std::size_t size;
};

constexpr std::array<valid_config, 12> valid_configs{{
    {0x00, false, false, false, false, 1},
    {0x01, false, true, false, false, 3},
    {0x02, true, false, false, false, 2},
    {0x03, true, true, false, false, 4},
    {0x04, false, false, true, false, 1},
    {0x05, false, true, true, false, 3},
    {0x06, true, false, true, false, 2},
    {0x07, true, true, true, false, 4},
    {0x0C, false, false, true, true, 1},
    {0x0D, false, true, true, true, 3},
    {0x0E, true, false, true, true, 2},
    {0x0F, true, true, true, true, 4},
}};

// The test's own validity rule: RFC 8723 §4, R bits (0xF0) MUST be 0 and (C & 0x0C) MUST NOT
// be 0x08 (the RFC prints "0x80", an evident typo: 0x0C can never equal 0x80).
constexpr bool rfc_valid(unsigned c)
{
    return (c & 0xF0u) == 0 && (c & 0x0Cu) != 0x08u;
}

// Builds "[PT] [SEQ] Config" preceded by `prefix` filler octets (a stand-in for the E2E
// ciphertext and tag), by hand.
constexpr std::array<std::uint8_t, 24> outer_plaintext_for(const valid_config& v, std::uint8_t pt,
                                                           std::uint16_t seq, std::size_t prefix,
                                                           std::size_t& size)
{
    std::array<std::uint8_t, 24> a{};
    std::size_t i = 0;
    for (; i < prefix; ++i) a[i] = static_cast<std::uint8_t>(0xA0 + i);
    if (v.p) a[i++] = pt;
    if (v.q) {
        a[i++] = static_cast<std::uint8_t>(seq >> 8);
        a[i++] = static_cast<std::uint8_t>(seq & 0xFF);
    }
    a[i++] = v.config;
    size = i;
    return a;
}

// constexpr decode of one table row: fields, size and the remaining prefix all as expected.
constexpr bool decodes_as_table_says(const valid_config& v)
{
    std::size_t n = 0;
    const auto a = outer_plaintext_for(v, 0x60, 0x1234, 16, n);
    auto d = perc::decode_ohb(perc::bytes_view{a.data(), n});
    if (!d) return false;
    if (d->rest.size() != 16 || d->rest.data() != a.data()) return false;
    if (d->value.payload_type.has_value() != v.p) return false;
    if (v.p && *d->value.payload_type != 0x60) return false;
    if (d->value.seq.has_value() != v.q) return false;
    if (v.q && *d->value.seq != 0x1234) return false;
    if (d->value.marker.has_value() != v.m) return false;
    if (v.m && *d->value.marker != v.b) return false;
    return d->value.size() == v.size && d->value.config() == v.config && n == 16 + v.size;
}

// constexpr encode of one table row gives exactly the hand-built bytes.
constexpr bool encodes_as_table_says(const valid_config& v)
{
    ohb o;
    if (v.p) o.payload_type = 0x60;
    if (v.q) o.seq = 0x1234;
    if (v.m) o.marker = v.b;
    std::size_t n = 0;
    const auto want = outer_plaintext_for(v, 0x60, 0x1234, 0, n);
    std::array<std::uint8_t, 4> out{0xEE, 0xEE, 0xEE, 0xEE};
    if (perc::encode_ohb(o, out) != v.size || n != v.size) return false;
    for (std::size_t i = 0; i < n; ++i)
        if (out[i] != want[i]) return false;
    for (std::size_t i = n; i < out.size(); ++i)
        if (out[i] != 0xEE) return false;
    return true;
}

constexpr bool all_valid_configs_check()
{
    for (const auto& v : valid_configs) {
        if (perc::check_ohb_config(v.config) != errc::ok) return false;
        if (perc::ohb_size_of(v.config) != v.size) return false;
        if (!decodes_as_table_says(v) || !encodes_as_table_says(v)) return false;
    }
    return true;
}

constexpr std::size_t count_valid_configs()
{
    std::size_t n = 0;
    for (unsigned c = 0; c < 256; ++c)
        if (perc::check_ohb_config(static_cast<std::uint8_t>(c)) == errc::ok) ++n;
    return n;
}

// RFC 8723 §4: the twelve valid values, checked at compile time.
static_assert(all_valid_configs_check());
static_assert(decodes_as_table_says(valid_configs[0]));  // 0x00, the sender's empty OHB (§5.1)
static_assert(decodes_as_table_says(valid_configs[7]));  // 0x07, digest D3 "60 1234 07"
static_assert(decodes_as_table_says(valid_configs[11])); // 0x0F
static_assert(encodes_as_table_says(valid_configs[8]));  // 0x0C: M changed, original M = 1
static_assert(count_valid_configs() == 12);
// RFC 8723 §4 invalid values: R bits, and B without M ((C & 0x0C) == 0x08, the "0x80" typo).
static_assert(perc::check_ohb_config(0x08) == errc::ohb_bad_marker);
static_assert(perc::check_ohb_config(0x0B) == errc::ohb_bad_marker);
static_assert(perc::check_ohb_config(0x10) == errc::ohb_reserved_bits);
static_assert(perc::check_ohb_config(0x80) == errc::ohb_reserved_bits);
static_assert(perc::check_ohb_config(0xFF) == errc::ohb_reserved_bits);
// The size bound of RFC 8723 §8: 1..4 octets.
static_assert(perc::ohb_max_size == 4);
static_assert(perc::ohb_q == 0x01 && perc::ohb_p == 0x02 && perc::ohb_m == 0x04 &&
              perc::ohb_b == 0x08 && perc::ohb_reserved == 0xF0);

// RFC 8723 §5.2 step 3 at compile time: digest D3 (PT 0x60 -> 100, SEQ 0x1234 -> 0x5678,
// M 0 -> 1) records all three originals; config 0x07.
constexpr ohb d3_update()
{
    return perc::update_ohb(ohb{}, rtp_mutable_fields{0x60, 0x1234, false},
                            rtp_mutable_fields{100, 0x5678, true});
}
static_assert(d3_update().config() == 0x07);
static_assert(d3_update().size() == 4);
static_assert(*d3_update().payload_type == 0x60 && *d3_update().seq == 0x1234 &&
              *d3_update().marker == false);

// Hand-encoded OHB for arbitrary optional fields (the test's reference encoder).
bytes reference_encode(std::optional<std::uint8_t> pt, std::optional<std::uint16_t> seq,
                       std::optional<bool> marker)
{
    bytes b;
    std::uint8_t c = 0;
    if (pt) {
        b.push_back(static_cast<std::uint8_t>(*pt & 0x7F));
        c |= 0x02;
    }
    if (seq) {
        b.push_back(static_cast<std::uint8_t>(*seq >> 8));
        b.push_back(static_cast<std::uint8_t>(*seq & 0xFF));
        c |= 0x01;
    }
    if (marker) c = static_cast<std::uint8_t>(c | 0x04 | (*marker ? 0x08 : 0x00));
    b.push_back(c);
    return b;
}

} // namespace

TEST_CASE("RFC 8723 §4: the twelve valid Config values decode with their fields and sizes")
{
    for (const auto& v : valid_configs) {
        CAPTURE(static_cast<int>(v.config));
        CHECK(perc::check_ohb_config(v.config) == errc::ok);
        CHECK(perc::ohb_size_of(v.config) == v.size);
        for (std::size_t prefix :
             {std::size_t{0}, std::size_t{1}, std::size_t{16}, std::size_t{20}}) {
            std::size_t n = 0;
            const auto a = outer_plaintext_for(v, 0x7F, 0xFEDC, prefix, n);
            auto d = perc::decode_ohb(perc::bytes_view{a.data(), n});
            REQUIRE(d);
            CHECK(d->rest.size() == prefix);
            CHECK(d->rest.data() == a.data());
            CHECK(d->value.payload_type ==
                  (v.p ? std::optional<std::uint8_t>{0x7F} : std::nullopt));
            CHECK(d->value.seq == (v.q ? std::optional<std::uint16_t>{0xFEDC} : std::nullopt));
            CHECK(d->value.marker == (v.m ? std::optional<bool>{v.b} : std::nullopt));
            CHECK(d->value.size() == v.size);
            CHECK(d->value.config() == v.config);
            CHECK(d->value.empty() == (v.config == 0x00));
        }
    }
}

TEST_CASE("RFC 8723 §4: every invalid Config value is rejected with its exact errc")
{
    std::size_t invalid = 0;
    for (unsigned c = 0; c < 256; ++c) {
        CAPTURE(c);
        const auto cfg = static_cast<std::uint8_t>(c);
        // R bits are checked first; then B without M ("C & 0x0C MUST NOT be 0x08").
        const errc want = (c & 0xF0u) != 0      ? errc::ohb_reserved_bits
                          : (c & 0x0Cu) == 0x08 ? errc::ohb_bad_marker
                                                : errc::ok;
        CHECK(rfc_valid(c) == (want == errc::ok));
        CHECK(name(perc::check_ohb_config(cfg)) == name(want));
        // decode_ohb rejects the same values even when enough octets precede the Config.
        bytes plain(24, 0x55);
        plain.back() = cfg;
        auto d = perc::decode_ohb(plain);
        CHECK(d.has_value() == (want == errc::ok));
        if (!d) {
            CHECK(name(d.error()) == name(want));
            ++invalid;
        }
    }
    CHECK(invalid == 256 - 12);
    // B without M: exactly 0x08..0x0B.
    for (std::uint8_t c :
         {std::uint8_t{0x08}, std::uint8_t{0x09}, std::uint8_t{0x0A}, std::uint8_t{0x0B}})
        CHECK(name(perc::check_ohb_config(c)) == name(errc::ohb_bad_marker));
    // Each R bit alone.
    for (std::uint8_t c :
         {std::uint8_t{0x10}, std::uint8_t{0x20}, std::uint8_t{0x40}, std::uint8_t{0x80}})
        CHECK(name(perc::check_ohb_config(c)) == name(errc::ohb_reserved_bits));
}

TEST_CASE("RFC 8723 §5.2/§5.3: OHB shorter than its Config says -> ohb_truncated")
{
    CHECK(name(perc::decode_ohb(perc::bytes_view{}).error()) == name(errc::ohb_truncated));
    for (const auto& v : valid_configs) {
        CAPTURE(static_cast<int>(v.config));
        for (std::size_t have = 1; have <= 4; ++have) {
            bytes plain(have, 0x33);
            plain.back() = v.config;
            auto d = perc::decode_ohb(plain);
            if (have < v.size) {
                REQUIRE_FALSE(d);
                CHECK(name(d.error()) == name(errc::ohb_truncated));
            } else {
                REQUIRE(d);
                CHECK(d->rest.size() == have - v.size);
            }
        }
    }
    // An invalid Config is reported as such even when too short for any OHB.
    const bytes r{0xF3};
    CHECK(name(perc::decode_ohb(r).error()) == name(errc::ohb_reserved_bits));
    const bytes bm{0x0B};
    CHECK(name(perc::decode_ohb(bm).error()) == name(errc::ohb_bad_marker));
}

TEST_CASE("RFC 8723 §4: encode/decode round trip over all field combinations")
{
    const std::vector<std::optional<std::uint8_t>> pts{std::nullopt, 0, 1, 0x60, 100, 127};
    const std::vector<std::optional<std::uint16_t>> seqs{std::nullopt, 0,      1,
                                                         0x1234,       0x8000, 0xFFFF};
    const std::vector<std::optional<bool>> markers{std::nullopt, false, true};
    std::size_t n = 0;
    for (const auto& pt : pts)
        for (const auto& seq : seqs)
            for (const auto& m : markers) {
                ohb o;
                o.payload_type = pt;
                o.seq = seq;
                o.marker = m;
                const bytes want = reference_encode(pt, seq, m);
                CAPTURE(to_hex(want));
                CHECK(o.size() == want.size());
                CHECK(o.config() == want.back());
                CHECK(o.empty() == (!pt && !seq && !m));
                std::array<std::uint8_t, 6> buf{};
                buf.fill(0xEE);
                const std::size_t w = perc::encode_ohb(o, buf);
                REQUIRE(w == want.size());
                CHECK(to_hex(perc::bytes_view{buf.data(), w}) == to_hex(want));
                CHECK(buf[w] == 0xEE); // nothing written past the OHB
                // Decode after a 16-octet "E2E tag".
                bytes plain(16, 0xC3);
                plain.insert(plain.end(), want.begin(), want.end());
                auto d = perc::decode_ohb(plain);
                REQUIRE(d);
                CHECK(d->value == o);
                CHECK(d->rest.size() == 16);
                ++n;
            }
    CHECK(n == 6 * 6 * 3);
}

TEST_CASE("RFC 8723 §4: PT octet carries the 7-bit payload type")
{
    // A PT octet with its high bit set decodes to the 7-bit value (digest §5.1 [I]).
    const bytes plain = from_hex("e5 02");
    auto d = perc::decode_ohb(plain);
    REQUIRE(d);
    CHECK(d->value.payload_type == std::optional<std::uint8_t>{0x65});
    // ... and the encoder never writes the high bit.
    ohb o;
    o.payload_type = 0xE5;
    std::array<std::uint8_t, 2> out{};
    REQUIRE(perc::encode_ohb(o, out) == 2);
    CHECK(to_hex(out) == "6502");
}

TEST_CASE("encode_ohb into a too-small buffer writes nothing and returns 0")
{
    ohb o;
    o.payload_type = 0x60;
    o.seq = 0x1234;
    o.marker = true;
    for (std::size_t n = 0; n < 4; ++n) {
        std::array<std::uint8_t, 4> buf{0xEE, 0xEE, 0xEE, 0xEE};
        CHECK(perc::encode_ohb(o, std::span<std::uint8_t>{buf.data(), n}) == 0);
        CHECK(to_hex(buf) == "eeeeeeee");
    }
    std::array<std::uint8_t, 4> buf{};
    CHECK(perc::encode_ohb(o, buf) == 4);
    CHECK(to_hex(buf) == "6012340f");
}

TEST_CASE("RFC 8723 §5.3: original_fields substitutes the recorded values")
{
    const rtp_mutable_fields wire{100, 0x5678, true};
    CHECK(perc::original_fields(wire, ohb{}) == wire);
    ohb o;
    o.payload_type = 0x60;
    CHECK(perc::original_fields(wire, o) == rtp_mutable_fields{0x60, 0x5678, true});
    o.seq = 0x1234;
    CHECK(perc::original_fields(wire, o) == rtp_mutable_fields{0x60, 0x1234, true});
    o.marker = false;
    CHECK(perc::original_fields(wire, o) == rtp_mutable_fields{0x60, 0x1234, false});
    ohb m_only;
    m_only.marker = true; // Config 0x0C: the original M was 1
    CHECK(perc::original_fields(rtp_mutable_fields{1, 2, false}, m_only) ==
          rtp_mutable_fields{1, 2, true});
}

TEST_CASE("RFC 8723 §5.2 step 3: the first MD to change a field records its original value")
{
    const rtp_mutable_fields orig{96, 1000, false};
    // PT changed: OHB = 60 02.
    ohb o = perc::update_ohb(ohb{}, orig, rtp_mutable_fields{100, 1000, false});
    CHECK(o.payload_type == std::optional<std::uint8_t>{96});
    CHECK_FALSE(o.seq);
    CHECK_FALSE(o.marker);
    CHECK(o.config() == 0x02);
    // SEQ changed: OHB = 03e8 01.
    o = perc::update_ohb(ohb{}, orig, rtp_mutable_fields{96, 7, false});
    CHECK(o.seq == std::optional<std::uint16_t>{1000});
    CHECK(o.config() == 0x01);
    // M 0 -> 1: Config 0x04 (M set, B = original 0).
    o = perc::update_ohb(ohb{}, orig, rtp_mutable_fields{96, 1000, true});
    CHECK(o.marker == std::optional<bool>{false});
    CHECK(o.config() == 0x04);
    // M 1 -> 0: Config 0x0C (M set, B = original 1).
    o = perc::update_ohb(ohb{}, rtp_mutable_fields{96, 1000, true},
                         rtp_mutable_fields{96, 1000, false});
    CHECK(o.marker == std::optional<bool>{true});
    CHECK(o.config() == 0x0C);
    // Nothing changed: the empty OHB (Config 0x00) stays as it is.
    o = perc::update_ohb(ohb{}, orig, orig);
    CHECK(o.empty());
    CHECK(o.config() == 0x00);
}

TEST_CASE("RFC 8723 §5.2 step 3: later MDs never overwrite a recorded value")
{
    ohb first;
    first.payload_type = 96;
    first.seq = 1000;
    first.marker = false;
    // Wire values already rewritten by MD1; MD2 rewrites them again.
    const rtp_mutable_fields wire{100, 5000, true};
    const ohb o = perc::update_ohb(first, wire, rtp_mutable_fields{101, 6000, true});
    CHECK(o == first);
    std::array<std::uint8_t, 4> buf{};
    REQUIRE(perc::encode_ohb(o, buf) == 4);
    CHECK(to_hex(buf) == "6003e807");
    // A field untouched by this MD but recorded earlier stays recorded (not modified).
    ohb seq_only;
    seq_only.seq = 1000;
    CHECK(perc::update_ohb(seq_only, rtp_mutable_fields{96, 5000, false},
                           rtp_mutable_fields{96, 5000, false}) == seq_only);
    // Recorded original M = 1 (0x0C): a later MD toggling M again does not touch B.
    ohb m1;
    m1.marker = true;
    CHECK(perc::update_ohb(m1, rtp_mutable_fields{96, 1, false}, rtp_mutable_fields{96, 1, false})
              .config() == 0x0C);
}

TEST_CASE("RFC 8723 §5.2 step 3: a field restored to its original value is removed")
{
    ohb rec;
    rec.payload_type = 96;
    rec.seq = 1000;
    rec.marker = true; // original M = 1, wire M = 0
    const rtp_mutable_fields wire{100, 5000, false};
    // Restore PT only.
    ohb o = perc::update_ohb(rec, wire, rtp_mutable_fields{96, 5000, false});
    CHECK_FALSE(o.payload_type);
    CHECK(o.seq == std::optional<std::uint16_t>{1000});
    CHECK(o.marker == std::optional<bool>{true});
    CHECK(o.config() == 0x0D);
    // Restore SEQ only.
    o = perc::update_ohb(rec, wire, rtp_mutable_fields{100, 1000, false});
    CHECK(o.config() == 0x0E);
    // Restore M only (back to 1): M and B leave the OHB.
    o = perc::update_ohb(rec, wire, rtp_mutable_fields{100, 5000, true});
    CHECK_FALSE(o.marker);
    CHECK(o.config() == 0x03);
    // Restore everything: back to the empty OHB (it shrinks from 4 octets to 1).
    o = perc::update_ohb(rec, wire, rtp_mutable_fields{96, 1000, true});
    CHECK(o.empty());
    CHECK(o.size() == 1);
}

TEST_CASE("RFC 8723 §5.2 step 3: chains of MDs over every change pattern keep the originals")
{
    // Model: after any number of hops the OHB holds exactly the original value of each
    // field whose current value differs from the original (first record wins, restore
    // removes, untouched fields unchanged).
    const rtp_mutable_fields orig{96, 1000, true};
    const std::array<std::uint8_t, 3> pt_vals{96, 100, 0};
    const std::array<std::uint16_t, 3> seq_vals{1000, 2000, 0xFFFF};
    const std::array<bool, 2> m_vals{true, false};
    std::vector<rtp_mutable_fields> all;
    for (auto pt : pt_vals)
        for (auto seq : seq_vals)
            for (auto m : m_vals) all.push_back({pt, seq, m});
    std::size_t checked = 0;
    for (const auto& h1 : all)
        for (const auto& h2 : all)
            for (const auto& h3 : all) {
                ohb o;
                rtp_mutable_fields wire = orig;
                for (const auto& sent : {h1, h2, h3}) {
                    ohb in_place = o;
                    perc::update_ohb_in_place(in_place, wire, sent);
                    o = perc::update_ohb(o, wire, sent);
                    REQUIRE(in_place == o); // one rule, two call forms
                    wire = sent;
                    const bytes want = reference_encode(
                        sent.payload_type != orig.payload_type
                            ? std::optional<std::uint8_t>{orig.payload_type}
                            : std::nullopt,
                        sent.seq != orig.seq ? std::optional<std::uint16_t>{orig.seq}
                                             : std::nullopt,
                        sent.marker != orig.marker ? std::optional<bool>{orig.marker}
                                                   : std::nullopt);
                    std::array<std::uint8_t, 4> buf{};
                    const std::size_t w = perc::encode_ohb(o, buf);
                    REQUIRE(w == want.size());
                    REQUIRE(to_hex(perc::bytes_view{buf.data(), w}) == to_hex(want));
                    REQUIRE(perc::original_fields(wire, o) == orig);
                    ++checked;
                }
            }
    CHECK(checked == 18 * 18 * 18 * 3);
}

TEST_CASE("RFC 8723 §4: decode_ohb_into agrees with decode_ohb and changes nothing on error")
{
    // Every Config octet, with PT and SEQ octets in front and a byte of E2E data before them.
    for (unsigned c = 0; c < 256; ++c) {
        const std::array<std::uint8_t, 5> plain{0xAA, 0xE1, 0x12, 0x34,
                                                static_cast<std::uint8_t>(c)};
        for (std::size_t len = 0; len <= plain.size(); ++len) {
            const perc::bytes_view in{plain.data() + plain.size() - len, len};
            const auto whole = perc::decode_ohb(in);
            ohb value;
            const perc::bytes_view sentinel{plain.data(), 1};
            perc::bytes_view rest = sentinel;
            const perc::errc e = perc::decode_ohb_into(in, value, rest);
            REQUIRE(e == whole.error());
            if (e == perc::errc::ok) {
                REQUIRE(value == whole->value);
                REQUIRE(rest.data() == whole->rest.data());
                REQUIRE(rest.size() == whole->rest.size());
            } else {
                REQUIRE(value.empty()); // untouched
                REQUIRE(rest.data() == sentinel.data());
                REQUIRE(rest.size() == sentinel.size());
            }
        }
    }
}

TEST_CASE("RFC 8723 §4: the wire form (ohb_wire) decodes, encodes and converts like ohb")
{
    // Every Config octet, behind a PT octet with its top bit set and a SEQ: decode_ohb_wire
    // gives the same error as decode_ohb_into, or the same value in wire form.
    for (unsigned c = 0; c < 256; ++c) {
        CAPTURE(c);
        const std::array<std::uint8_t, 5> plain{0xAB, 0xE1, 0x12, 0x34,
                                                static_cast<std::uint8_t>(c)};
        ohb value;
        perc::bytes_view rest;
        const errc want = perc::decode_ohb_into(plain, value, rest);
        perc::ohb_wire w{0x5A, 0x5A, 0x5A5A};
        const errc got = perc::decode_ohb_wire(plain, w);
        REQUIRE(got == want);
        if (got != errc::ok) {
            CHECK(w == perc::ohb_wire{0x5A, 0x5A, 0x5A5A}); // unchanged on error
            continue;
        }
        CHECK(w.config == c);
        CHECK(w.size() == value.size());
        CHECK(perc::to_ohb(w) == value);
        CHECK(perc::to_wire(value) == w);
        // Fields Config does not announce are 0, and the PT is 7 bits: [PT] [SEQ] Config
        // from the end, so PT is 0xE1 (-> 0x61) with SEQ, 0x34 without.
        const unsigned pt = (c & perc::ohb_q) ? 0x61u : 0x34u;
        CHECK(w.payload_type == ((c & perc::ohb_p) ? pt : 0u));
        if (!(c & perc::ohb_q)) CHECK(w.seq == 0);
        std::array<std::uint8_t, 4> a{}, b{};
        REQUIRE(perc::encode_ohb_wire(w, a.data()) == w.size());
        REQUIRE(perc::encode_ohb(value, b) == w.size());
        CHECK(a == b);
        CHECK(a[w.size() - 1] == c);
    }
    std::array<std::uint8_t, 0> none{};
    perc::ohb_wire w;
    CHECK(perc::decode_ohb_wire(none, w) == errc::ohb_truncated);
}

TEST_CASE("RFC 8723 §5.2 step 3: updated_ohb (wire form) and update_ohb agree over MD chains")
{
    const std::array<rtp_mutable_fields, 6> headers{{{96, 1000, true},
                                                     {100, 1000, true},
                                                     {96, 2000, false},
                                                     {0, 0xFFFF, true},
                                                     {127, 1000, false},
                                                     {96, 1000, false}}};
    std::size_t checked = 0;
    for (const auto& h1 : headers)
        for (const auto& h2 : headers)
            for (const auto& h3 : headers) {
                ohb o;
                perc::ohb_wire w;
                rtp_mutable_fields wire = headers[0];
                for (const auto& sent : {h1, h2, h3}) {
                    o = perc::update_ohb(o, wire, sent);
                    w = perc::updated_ohb(w, wire, sent);
                    REQUIRE(perc::to_ohb(w) == o);
                    REQUIRE(perc::to_wire(o) == w);
                    REQUIRE(perc::original_fields(sent, w) == perc::original_fields(sent, o));
                    REQUIRE(perc::check_ohb_config(w.config) == errc::ok);
                    wire = sent;
                    ++checked;
                }
            }
    CHECK(checked == 6 * 6 * 6 * 3);
}

TEST_CASE("to_ohb(w, o) overwrites every field of o")
{
    ohb o{std::uint8_t{5}, std::uint16_t{6}, true};
    perc::to_ohb(perc::ohb_wire{perc::ohb_q, 0, 0x1234}, o);
    CHECK(!o.payload_type.has_value());
    CHECK(o.seq == std::optional<std::uint16_t>{0x1234});
    CHECK(!o.marker.has_value());
    perc::to_ohb(perc::ohb_wire{perc::ohb_m | perc::ohb_b, 0, 0}, o);
    CHECK(o.marker == std::optional<bool>{true});
    CHECK(o.config() == (perc::ohb_m | perc::ohb_b));
}
