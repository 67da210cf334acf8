// RFC 8870 §4.1 EKTField (Full / Short / other message types) and EKTPlaintext codecs. Core
// test: no backend, built with -fno-exceptions -fno-rtti. Expected octets come from the RFC's
// Figure 1 / Figure 2 / Figure 3 layouts and from the computed example of rfc8870-ekt.md §11.1
// (Python `cryptography`), never from this library's own output.
#include <perc/ekt_field.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace perc_test;
using perc::bytes_view;
using perc::ekt_kind;
using perc::errc;

namespace {

template <class R>
std::string error_of(const R& r)
{
    return r ? std::string{"ok"} : name(r.error());
}

// rfc8870-ekt.md §11.1: AESKW128 EKTCiphertext (40 octets), SPI 0x1234, Epoch 0, Length 0x002f.
const bytes digest_ciphertext = from_hex("47c99c2e 8a84efe4 4654d5e6 801b12ed 997d289c 6729c4b6"
                                         "43e1ed04 9f7971e1 178bf6a8 bd054acf");
const bytes digest_full_field = from_hex("47c99c2e 8a84efe4 4654d5e6 801b12ed 997d289c 6729c4b6"
                                         "43e1ed04 9f7971e1 178bf6a8 bd054acf 12340000 002f02");
// The RFC 8723 digest §12.1 D1 packet on the wire (83 octets) with that field appended.
const bytes digest_d1_with_field = from_hex(
    "80601234 decafbad cafebabe 515e5e45 169812fc ebf55615 2f25679b a9712a90 b9317e18 53740bb4"
    "bb7fd056 911a9097 d130ed40 60b15725 2ebaab0b 401fb122 a4bdd399 c6d7cef0 e0f13d2c a7e7038f"
    "0dc0a247 c99c2e8a 84efe446 54d5e680 1b12ed99 7d289c67 29c4b643 e1ed049f 7971e117 8bf6a8bd"
    "054acf12 34000000 2f02");
// rfc8870-ekt.md §11.1 / §11.2 EKTPlaintexts.
const bytes digest_plaintext_128 =
    from_hex("10000102 03040506 0708090a 0b0c0d0e 0fcafeba be000000 00");
const bytes digest_plaintext_256 = from_hex("20000102 03040506 0708090a 0b0c0d0e 0f101112 13141516"
                                            "1718191a 1b1c1d1e 1fcafeba be000000 00");

bytes concat(const bytes& a, const bytes& b)
{
    bytes r = a;
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

bytes filler(std::size_t n, std::uint8_t seed)
{
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(seed + 13 * i);
    return b;
}

// A FullEKTField written out from RFC 8870 Figure 1: ciphertext | SPI | Epoch | Length | 0x02.
bytes full_field(const bytes& ciphertext, std::uint16_t spi, std::uint16_t epoch,
                 std::size_t length_field)
{
    bytes f = ciphertext;
    f.push_back(static_cast<std::uint8_t>(spi >> 8));
    f.push_back(static_cast<std::uint8_t>(spi));
    f.push_back(static_cast<std::uint8_t>(epoch >> 8));
    f.push_back(static_cast<std::uint8_t>(epoch));
    f.push_back(static_cast<std::uint8_t>(length_field >> 8));
    f.push_back(static_cast<std::uint8_t>(length_field));
    f.push_back(0x02);
    return f;
}

// ExtensionEKTField (Figure 3): ExtensionData | EKTMsgLength | type.
bytes extension_field(const bytes& data, std::size_t length_field, std::uint8_t type)
{
    bytes f = data;
    f.push_back(static_cast<std::uint8_t>(length_field >> 8));
    f.push_back(static_cast<std::uint8_t>(length_field));
    f.push_back(type);
    return f;
}

// What RFC 8870 §4.1 / Figure 3 make of a packet, written independently of the library:
// last octet = type; 0x00 Short (1 octet); otherwise a 2-octet EKTMsgLength precedes it.
// Full: 7-octet trailer + 1..251 ciphertext octets; other types: 1..1024 data octets + 3.
struct expectation {
    std::string error = "ok";
    ekt_kind kind = ekt_kind::short_field;
    std::size_t tag_size = 0;
};

expectation model(const bytes& p)
{
    expectation e;
    if (p.empty()) {
        e.error = "truncated";
        return e;
    }
    const std::uint8_t type = p.back();
    if (type == 0x00) {
        e.tag_size = 1;
        return e;
    }
    if (p.size() < 3) {
        e.error = "ekt_bad_length";
        return e;
    }
    const std::size_t len = static_cast<std::size_t>(p[p.size() - 3]) * 256 + p[p.size() - 2];
    const bool full = type == 0x02;
    const std::size_t lo = full ? 7 + 1 : 3 + 1;
    const std::size_t hi = full ? 7 + 251 : 3 + 1024;
    if (len < lo || len > hi || len > p.size()) {
        e.error = "ekt_bad_length";
        return e;
    }
    e.kind = full ? ekt_kind::full_field : ekt_kind::unknown;
    e.tag_size = len;
    return e;
}

void check_against_model(const bytes& p)
{
    const expectation e = model(p);
    auto r = perc::decode_ekt_field(p);
    CHECK(error_of(r) == e.error);
    if (!r || e.error != "ok") return;
    CHECK(r->kind == e.kind);
    CHECK(r->type == p.back());
    CHECK(r->tag.size() == e.tag_size);
    CHECK(r->srtp.size() == p.size() - e.tag_size);
    CHECK(r->srtp.data() == p.data());
    CHECK(r->tag.data() == p.data() + (p.size() - e.tag_size));
    if (e.kind == ekt_kind::full_field) {
        const std::size_t n = p.size();
        CHECK(r->full.ciphertext.size() == e.tag_size - 7);
        CHECK(r->full.ciphertext.data() == p.data() + (n - e.tag_size));
        CHECK(r->full.spi == static_cast<std::uint16_t>(p[n - 7] * 256 + p[n - 6]));
        CHECK(r->full.epoch == static_cast<std::uint16_t>(p[n - 5] * 256 + p[n - 4]));
    }
}

// ---- constexpr decode/encode (RFC 8870 Figure 1), evaluated by the compiler.
// Packet: SRTP "aa bb" | ciphertext c0 c1 c2 | SPI 1234 | Epoch 0005 | Length 000a | 02.
constexpr std::array<std::uint8_t, 12> fixed_packet{0xaa, 0xbb, 0xc0, 0xc1, 0xc2, 0x12,
                                                    0x34, 0x00, 0x05, 0x00, 0x0a, 0x02};

constexpr bool fixed_full_decodes()
{
    auto r = perc::decode_ekt_field(bytes_view{fixed_packet});
    return r.has_value() && r->kind == ekt_kind::full_field && r->type == 0x02 &&
           r->full.spi == 0x1234 && r->full.epoch == 5 && r->full.ciphertext.size() == 3 &&
           r->full.ciphertext[0] == 0xc0 && r->full.ciphertext[2] == 0xc2 && r->srtp.size() == 2 &&
           r->srtp[1] == 0xbb && r->tag.size() == 10 && r->tag[0] == 0xc0;
}
static_assert(fixed_full_decodes(), "RFC 8870 §4.1 Figure 1 decoded at compile time");

constexpr bool fixed_errors()
{
    // Empty packet: nothing to parse. Length 7 (< 8: no ciphertext octet) is invalid.
    auto empty = perc::decode_ekt_field(bytes_view{});
    std::array<std::uint8_t, 12> bad = fixed_packet;
    bad[10] = 0x07;
    auto seven = perc::decode_ekt_field(bytes_view{bad});
    return empty.error() == errc::truncated && seven.error() == errc::ekt_bad_length;
}
static_assert(fixed_errors());

constexpr bool fixed_encodes()
{
    const std::array<std::uint8_t, 3> ct{0xc0, 0xc1, 0xc2};
    std::array<std::uint8_t, 10> out{};
    auto n = perc::encode_full_ekt_field(bytes_view{ct}, 0x1234, 5, out);
    if (!n || *n != 10) return false;
    for (std::size_t i = 0; i < 10; ++i)
        if (out[i] != fixed_packet[2 + i]) return false;
    return true;
}
static_assert(fixed_encodes());

constexpr bool fixed_plaintext()
{
    // §4.1: KeyLen 02 | key 0a0b | SSRC 01020304 | ROC 00000007.
    const std::array<std::uint8_t, 2> key{0x0a, 0x0b};
    std::array<std::uint8_t, 11> out{};
    auto n = perc::encode_ekt_plaintext({bytes_view{key}, 0x01020304u, 7u}, out);
    const std::array<std::uint8_t, 11> want{0x02, 0x0a, 0x0b, 0x01, 0x02, 0x03,
                                            0x04, 0x00, 0x00, 0x00, 0x07};
    if (!n || *n != 11 || out != want) return false;
    auto d = perc::decode_ekt_plaintext(bytes_view{want});
    return d && d->ssrc == 0x01020304u && d->roc == 7 && d->master_key.size() == 2 &&
           d->master_key[1] == 0x0b;
}
static_assert(fixed_plaintext());

static_assert(perc::ekt_type_short == 0x00 && perc::ekt_type_full == 0x02); // §4.1, §7.1
static_assert(perc::ekt_full_trailer_size == 7);                            // SPI+Epoch+Length+type
static_assert(perc::ekt_max_ciphertext_size == 251 && perc::ekt_max_master_key_size == 242);
static_assert(perc::ekt_plaintext_size(16) == 25 && perc::ekt_plaintext_size(32) == 41);

} // namespace

// ------------------------------------------------------------------------ ShortEKTField

TEST_CASE("RFC 8870 §4.1 Figure 2 / §4.3.2 step 1: ShortEKTField 0x00 is one octet")
{
    const bytes pkt = concat(filler(20, 1), bytes{0x00});
    auto r = perc::decode_ekt_field(pkt);
    REQUIRE(r);
    CHECK(r->kind == ekt_kind::short_field);
    CHECK(r->type == 0x00);
    CHECK(r->tag.size() == 1);
    CHECK(r->tag.data() == pkt.data() + 20);
    CHECK(r->srtp.size() == 20);
    CHECK(r->srtp.data() == pkt.data());

    // A lone Short tag leaves an empty SRTP part (the SRTP layer rejects that, not the codec).
    const bytes alone{0x00};
    auto a = perc::decode_ekt_field(alone);
    REQUIRE(a);
    CHECK(a->kind == ekt_kind::short_field);
    CHECK(a->srtp.empty());

    // Octets before the final 0x00 are never read as a length: 02 002f 00 is still Short.
    const bytes tricky = from_hex("0102002f0200");
    auto t = perc::decode_ekt_field(tricky);
    REQUIRE(t);
    CHECK(t->kind == ekt_kind::short_field);
    CHECK(t->srtp.size() == 5);
}

TEST_CASE("RFC 8870 §4.3.2 step 1: an empty packet has no EKT Tag -> truncated")
{
    auto r = perc::decode_ekt_field(bytes_view{});
    REQUIRE_FALSE(r);
    CHECK(name(r.error()) == "truncated");
}

// ------------------------------------------------------------------------- FullEKTField

TEST_CASE("RFC 8870 §4.1 Figure 1: the digest §11.1 FullEKTField alone and after the D1 packet")
{
    auto f = perc::decode_ekt_field(digest_full_field);
    REQUIRE(f);
    CHECK(f->kind == ekt_kind::full_field);
    CHECK(f->type == 0x02);
    CHECK(f->full.spi == 0x1234);
    CHECK(f->full.epoch == 0x0000);
    CHECK(to_hex(f->full.ciphertext) == to_hex(digest_ciphertext));
    CHECK(f->tag.size() == 47); // Length 0x002f counts the whole field (§4.1)
    CHECK(f->srtp.empty());

    // §11.1 "Receiver parse": SRTP packet = first 83 octets, ciphertext = the 40 before SPI.
    auto p = perc::decode_ekt_field(digest_d1_with_field);
    REQUIRE(p);
    CHECK(p->kind == ekt_kind::full_field);
    CHECK(p->srtp.size() == 83);
    CHECK(p->srtp.data() == digest_d1_with_field.data());
    CHECK(p->tag.data() == digest_d1_with_field.data() + 83);
    CHECK(p->full.ciphertext.data() == digest_d1_with_field.data() + 83);
    CHECK(p->full.ciphertext.size() == 40);
    CHECK(to_hex(p->full.ciphertext) == to_hex(digest_ciphertext));
    CHECK(p->full.spi == 0x1234);
    CHECK(p->full.epoch == 0);
    CHECK(to_hex(p->srtp.last(3)) == "0dc0a2"); // end of the D1 HBH tag
}

TEST_CASE("RFC 8870 §4.1: SPI and Epoch are big-endian; the ciphertext view is exact")
{
    const bytes ct = filler(24, 0x40);
    const struct {
        std::uint16_t spi, epoch;
    } cases[] = {{0x0000, 0x0000}, {0xffff, 0xffff}, {0x0102, 0xfedc}, {0x8000, 0x0001}};
    for (const auto& c : cases) {
        const bytes pkt = concat(filler(30, 7), full_field(ct, c.spi, c.epoch, 31));
        auto r = perc::decode_ekt_field(pkt);
        REQUIRE(r);
        CHECK(r->kind == ekt_kind::full_field);
        CHECK(r->full.spi == c.spi);
        CHECK(r->full.epoch == c.epoch);
        CHECK(to_hex(r->full.ciphertext) == to_hex(ct));
        CHECK(r->srtp.size() == 30);
        check_against_model(pkt);
    }
}

TEST_CASE("RFC 8870 §4.1 ABNF: EKTCiphertext = 1*251BYTE, so Length is 8..258")
{
    for (std::size_t n : {std::size_t{1}, std::size_t{2}, std::size_t{16}, std::size_t{40},
                          std::size_t{250}, std::size_t{251}}) {
        CAPTURE(n);
        const bytes pkt = concat(filler(5, 3), full_field(filler(n, 9), 0x1234, 7, n + 7));
        auto r = perc::decode_ekt_field(pkt);
        REQUIRE(r);
        CHECK(r->full.ciphertext.size() == n);
        CHECK(r->srtp.size() == 5);
        // The field may fill the packet exactly (no SRTP octets left).
        const bytes alone = full_field(filler(n, 9), 0x1234, 7, n + 7);
        auto a = perc::decode_ekt_field(alone);
        REQUIRE(a);
        CHECK(a->srtp.empty());
        CHECK(a->full.ciphertext.size() == n);
    }
}

TEST_CASE("RFC 8870 §4.1: every bad Full Length -> ekt_bad_length")
{
    const bytes srtp = filler(300, 5);
    // Length < 8 (no ciphertext octet): 0..7, with enough octets present.
    for (std::size_t len = 0; len < 8; ++len) {
        CAPTURE(len);
        const bytes pkt = concat(srtp, full_field(filler(5, 1), 0x1234, 0, len));
        auto r = perc::decode_ekt_field(pkt);
        REQUIRE_FALSE(r);
        CHECK(name(r.error()) == "ekt_bad_length");
    }
    // Length > 7 + 251: 259 and above (the packet is long enough to hold them).
    for (std::size_t len :
         {std::size_t{259}, std::size_t{260}, std::size_t{300}, std::size_t{0xffff}}) {
        CAPTURE(len);
        const bytes pkt = concat(srtp, full_field(filler(252, 1), 0x1234, 0, len));
        auto r = perc::decode_ekt_field(pkt);
        REQUIRE_FALSE(r);
        CHECK(name(r.error()) == "ekt_bad_length");
    }
    // 7 + 251 = 258 exactly is valid; one more octet of Length than the packet holds is not.
    {
        const bytes ok = concat(srtp, full_field(filler(251, 1), 0x1234, 0, 258));
        CHECK(perc::decode_ekt_field(ok));
    }
    for (std::size_t n = 1; n < 40; ++n) {
        CAPTURE(n);
        const bytes field = full_field(filler(n, 2), 0x1234, 0, n + 8); // one more than present
        auto r = perc::decode_ekt_field(field);
        REQUIRE_FALSE(r);
        CHECK(name(r.error()) == "ekt_bad_length");
    }
    // Full type with fewer than 3 octets: no room for the Length field.
    for (const bytes& b : {bytes{0x02}, bytes{0x00, 0x02}, bytes{0x08, 0x02}}) {
        auto r = perc::decode_ekt_field(b);
        REQUIRE_FALSE(r);
        CHECK(name(r.error()) == "ekt_bad_length");
    }
}

TEST_CASE("RFC 8870 §4.1: every truncation of a FullEKTField and of packet + field")
{
    // Cut from the front (the field loses its head, Length still says 47): only the complete
    // field decodes; from the end: whatever octet ends the packet is read as the type (model).
    for (std::size_t k = 0; k <= digest_full_field.size(); ++k) {
        CAPTURE(k);
        const bytes tail(digest_full_field.end() - static_cast<std::ptrdiff_t>(k),
                         digest_full_field.end());
        auto r = perc::decode_ekt_field(tail);
        if (k == 0) {
            CHECK(error_of(r) == "truncated");
        } else if (k < 47) {
            CHECK(error_of(r) == "ekt_bad_length");
        } else {
            REQUIRE(r);
            CHECK(r->full.ciphertext.size() == 40);
        }
        const bytes head(digest_full_field.begin(),
                         digest_full_field.begin() + static_cast<std::ptrdiff_t>(k));
        check_against_model(head);
    }
    // Whole packet: every prefix and every suffix of D1 + field.
    const bytes& p = digest_d1_with_field;
    for (std::size_t k = 0; k <= p.size(); ++k) {
        CAPTURE(k);
        const bytes head(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(k));
        check_against_model(head);
        const bytes tail(p.end() - static_cast<std::ptrdiff_t>(k), p.end());
        auto r = perc::decode_ekt_field(tail);
        if (k == 0) {
            CHECK(error_of(r) == "truncated");
        } else if (k < 47) {
            CHECK(error_of(r) == "ekt_bad_length");
        } else {
            REQUIRE(r);
            CHECK(r->srtp.size() == k - 47);
            CHECK(r->full.spi == 0x1234);
        }
    }
    // The known outcomes of a few cuts from the end, spelled out. The field ends in
    // "... cf | 12 34 | 00 00 | 00 2f | 02": dropping 1 octet leaves type 0x2f with Length
    // 0x0000 (< 4, bad); dropping 2..4 leaves a final 0x00 (Short); dropping 5 leaves type 0x34
    // with Length 0xcf12, dropping 6 type 0x12 with Length 0x4acf (both > packet, bad).
    auto cut = [&](std::size_t drop) {
        return perc::decode_ekt_field(bytes_view{p}.first(p.size() - drop));
    };
    CHECK(error_of(cut(1)) == "ekt_bad_length");
    for (std::size_t drop = 2; drop <= 4; ++drop) {
        auto r = cut(drop);
        REQUIRE(r);
        CHECK(r->kind == ekt_kind::short_field);
        CHECK(r->srtp.size() == p.size() - drop - 1);
    }
    CHECK(error_of(cut(5)) == "ekt_bad_length");
    CHECK(error_of(cut(6)) == "ekt_bad_length");
}

// ---------------------------------------------------------------- other message types

TEST_CASE("RFC 8870 §4.1 / §7.1: unknown types (0x01, 0x03, 0xff, ...) are skipped by EKTMsgLength")
{
    const bytes srtp = filler(50, 11);
    for (unsigned t : {0x01u, 0x03u, 0x04u, 0x80u, 0xfeu, 0xffu}) {
        for (std::size_t data :
             {std::size_t{1}, std::size_t{5}, std::size_t{44}, std::size_t{1024}}) {
            CAPTURE(t);
            CAPTURE(data);
            const bytes tag = extension_field(filler(data, 0x21), data + 3,
                                              static_cast<std::uint8_t>(t));
            const bytes pkt = concat(srtp, tag);
            auto r = perc::decode_ekt_field(pkt);
            REQUIRE(r);
            CHECK(r->kind == ekt_kind::unknown);
            CHECK(r->type == t);
            CHECK(r->tag.size() == data + 3);
            CHECK(r->tag.data() == pkt.data() + 50);
            CHECK(r->srtp.size() == 50);
            CHECK(r->srtp.data() == pkt.data());
            CHECK(to_hex(r->srtp) == to_hex(srtp));
        }
    }
    // A legacy type-1 tag shaped like a -08 draft Full field (ciphertext | SPI | Length | 01):
    // its 16-bit Length (whole field) still gives the boundary.
    const bytes legacy = concat(srtp, from_hex("0102030405060708 1234 000d 01"));
    auto l = perc::decode_ekt_field(legacy);
    REQUIRE(l);
    CHECK(l->kind == ekt_kind::unknown);
    CHECK(l->srtp.size() == 50);
}

TEST_CASE("RFC 8870 §4.1 ABNF: ExtensionData = 1*1024BYTE, so an unknown Length is 4..1027")
{
    const bytes srtp = filler(1100, 3);
    for (std::size_t len : {std::size_t{0}, std::size_t{1}, std::size_t{2}, std::size_t{3},
                            std::size_t{1028}, std::size_t{1029}, std::size_t{0xffff}}) {
        CAPTURE(len);
        const bytes pkt = concat(srtp, extension_field(filler(10, 1), len, 0x03));
        auto r = perc::decode_ekt_field(pkt);
        REQUIRE_FALSE(r);
        CHECK(name(r.error()) == "ekt_bad_length");
    }
    for (std::size_t len : {std::size_t{4}, std::size_t{1027}}) {
        const bytes pkt = concat(srtp, extension_field(filler(10, 1), len, 0x03));
        auto r = perc::decode_ekt_field(pkt);
        REQUIRE(r);
        CHECK(r->tag.size() == len);
        CHECK(r->srtp.size() == pkt.size() - len);
    }
    // Longer than the packet.
    const bytes small = extension_field(filler(6, 1), 10, 0xff);
    auto r = perc::decode_ekt_field(small);
    REQUIRE_FALSE(r);
    CHECK(name(r.error()) == "ekt_bad_length");
    // Exactly the packet.
    const bytes exact = extension_field(filler(6, 1), 9, 0xff);
    auto e = perc::decode_ekt_field(exact);
    REQUIRE(e);
    CHECK(e->srtp.empty());
    // Unknown type in a 1- or 2-octet packet: no Length.
    for (const bytes& b : {bytes{0x03}, bytes{0x01}, bytes{0x00, 0xff}}) {
        auto s = perc::decode_ekt_field(b);
        REQUIRE_FALSE(s);
        CHECK(name(s.error()) == "ekt_bad_length");
    }
    // Every truncation (from the end and from the front) of an unknown tag after a packet.
    const bytes pkt = concat(filler(20, 4), extension_field(filler(9, 0x90), 12, 0x05));
    for (std::size_t k = 0; k <= pkt.size(); ++k) {
        CAPTURE(k);
        check_against_model(bytes(pkt.begin(), pkt.begin() + static_cast<std::ptrdiff_t>(k)));
        check_against_model(bytes(pkt.end() - static_cast<std::ptrdiff_t>(k), pkt.end()));
    }
}

TEST_CASE("RFC 8870 §4.1: every single-bit flip of the last 7 octets of packet + FullEKTField")
{
    // Type, Length, Epoch, SPI: the decoder's outcome follows the structure (model); SPI and
    // Epoch flips decode as Full with the flipped value (they are not authenticated here).
    const bytes& p = digest_d1_with_field;
    for (std::size_t j = p.size() - 7; j < p.size(); ++j)
        for (unsigned b = 0; b < 8; ++b) {
            CAPTURE(j);
            CAPTURE(b);
            bytes m = p;
            m[j] = static_cast<std::uint8_t>(m[j] ^ (1u << b));
            check_against_model(m);
            auto r = perc::decode_ekt_field(m);
            const std::size_t from_end = p.size() - j; // 1 = type
            if (from_end == 1) {
                if (b == 1) CHECK(r->kind == ekt_kind::short_field); // 0x02 -> 0x00
                else CHECK(r->kind == ekt_kind::unknown);            // Length 47 still valid
            } else if (from_end >= 4 && from_end <= 7) {
                REQUIRE(r);
                CHECK(r->kind == ekt_kind::full_field);
                if (from_end >= 6)
                    CHECK(r->full.spi == (0x1234 ^ (1u << (b + (from_end == 7 ? 8 : 0)))));
                else CHECK(r->full.epoch == (1u << (b + (from_end == 5 ? 8 : 0))));
            }
        }
}

// ----------------------------------------------------------------------------- encoder

TEST_CASE("RFC 8870 §4.1: encode_full_ekt_field writes Figure 1 (digest §11.1) and round trips")
{
    bytes out(47, 0xee);
    auto n = perc::encode_full_ekt_field(digest_ciphertext, 0x1234, 0, out);
    REQUIRE(n);
    CHECK(*n == 47);
    CHECK(to_hex(out) == to_hex(digest_full_field));

    rng g(0xE7F1E1D);
    for (std::size_t len = 1; len <= 251; ++len) {
        CAPTURE(len);
        bytes ct(len);
        g.fill(ct);
        const auto spi = static_cast<std::uint16_t>(g.next());
        const auto epoch = static_cast<std::uint16_t>(g.next());
        bytes buf(len + 7 + 3, 0x5a);
        auto w = perc::encode_full_ekt_field(ct, spi, epoch, perc::bytes_span{buf});
        REQUIRE(w);
        CHECK(*w == len + 7);
        CHECK(buf[len + 7] == 0x5a); // nothing written past the field
        const bytes pkt = concat(
            filler(12, 1), bytes(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(len + 7)));
        CHECK(to_hex(bytes_view{pkt}.last(len + 7)) ==
              to_hex(full_field(ct, spi, epoch, len + 7))); // independent layout
        auto d = perc::decode_ekt_field(pkt);
        REQUIRE(d);
        CHECK(d->kind == ekt_kind::full_field);
        CHECK(d->full.spi == spi);
        CHECK(d->full.epoch == epoch);
        CHECK(to_hex(d->full.ciphertext) == to_hex(ct));
        CHECK(d->srtp.size() == 12);
    }
}

TEST_CASE("RFC 8870 §4.1: encode_full_ekt_field errors")
{
    bytes out(300);
    auto empty = perc::encode_full_ekt_field(bytes_view{}, 1, 1, perc::bytes_span{out});
    REQUIRE_FALSE(empty);
    CHECK(name(empty.error()) == "ekt_bad_length"); // EKTCiphertext = 1*251BYTE
    const bytes big = filler(252, 1);
    auto over = perc::encode_full_ekt_field(big, 1, 1, perc::bytes_span{out});
    REQUIRE_FALSE(over);
    CHECK(name(over.error()) == "ekt_bad_length");
    // Output one octet short, and empty.
    bytes small(46, 0x77);
    auto s = perc::encode_full_ekt_field(digest_ciphertext, 0x1234, 0, perc::bytes_span{small});
    REQUIRE_FALSE(s);
    CHECK(name(s.error()) == "buffer_too_small");
    CHECK(small == bytes(46, 0x77)); // untouched
    auto z = perc::encode_full_ekt_field(digest_ciphertext, 0x1234, 0, perc::bytes_span{});
    REQUIRE_FALSE(z);
    CHECK(name(z.error()) == "buffer_too_small");
}

// ------------------------------------------------------------------------- EKTPlaintext

TEST_CASE("RFC 8870 §4.1: EKTPlaintext = KeyLen | SRTPMasterKey | SSRC | ROC (digest §11.1/§11.2)")
{
    const bytes key16 = from_hex("000102030405060708090a0b0c0d0e0f");
    const bytes key32 =
        from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    bytes out(64, 0xcc);
    auto n = perc::encode_ekt_plaintext({key16, 0xcafebabeu, 0}, perc::bytes_span{out});
    REQUIRE(n);
    CHECK(*n == 25);
    CHECK(to_hex(bytes_view{out}.first(25)) == to_hex(digest_plaintext_128));
    CHECK(out[25] == 0xcc);
    auto m = perc::encode_ekt_plaintext({key32, 0xcafebabeu, 0}, perc::bytes_span{out});
    REQUIRE(m);
    CHECK(*m == 41);
    CHECK(to_hex(bytes_view{out}.first(41)) == to_hex(digest_plaintext_256));

    auto d = perc::decode_ekt_plaintext(digest_plaintext_128);
    REQUIRE(d);
    CHECK(d->ssrc == 0xcafebabeu);
    CHECK(d->roc == 0);
    CHECK(d->master_key.size() == 16);
    CHECK(d->master_key.data() == digest_plaintext_128.data() + 1); // a view, not a copy
    CHECK(to_hex(d->master_key) == to_hex(key16));
    auto d2 = perc::decode_ekt_plaintext(digest_plaintext_256);
    REQUIRE(d2);
    CHECK(to_hex(d2->master_key) == to_hex(key32));

    // Big-endian SSRC and ROC.
    const bytes roc = from_hex("02 abcd 01234567 89abcdef");
    auto r = perc::decode_ekt_plaintext(roc);
    REQUIRE(r);
    CHECK(r->ssrc == 0x01234567u);
    CHECK(r->roc == 0x89abcdefu);
    CHECK(to_hex(r->master_key) == "abcd");
}

TEST_CASE("RFC 8870 §4.1 ABNF: SRTPMasterKey = 1*242BYTE; round trips over every key length")
{
    rng g(0x5EED);
    for (std::size_t k = 1; k <= 242; ++k) {
        CAPTURE(k);
        bytes key(k);
        g.fill(key);
        const auto ssrc = static_cast<std::uint32_t>(g.next());
        const auto roc = static_cast<std::uint32_t>(g.next());
        bytes out(k + 9);
        auto n = perc::encode_ekt_plaintext({key, ssrc, roc}, perc::bytes_span{out});
        REQUIRE(n);
        CHECK(*n == k + 9);
        CHECK(out[0] == k);
        auto d = perc::decode_ekt_plaintext(out);
        REQUIRE(d);
        CHECK(to_hex(d->master_key) == to_hex(key));
        CHECK(d->ssrc == ssrc);
        CHECK(d->roc == roc);
        // Output one octet short.
        auto s = perc::encode_ekt_plaintext({key, ssrc, roc}, perc::bytes_span{out}.first(k + 8));
        REQUIRE_FALSE(s);
        CHECK(name(s.error()) == "buffer_too_small");
    }
    bytes out(300);
    auto zero = perc::encode_ekt_plaintext({bytes_view{}, 1, 2}, perc::bytes_span{out});
    REQUIRE_FALSE(zero);
    CHECK(name(zero.error()) == "invalid_argument");
    const bytes k243(243, 0x11);
    auto big = perc::encode_ekt_plaintext({k243, 1, 2}, perc::bytes_span{out});
    REQUIRE_FALSE(big);
    CHECK(name(big.error()) == "invalid_argument");
}

TEST_CASE("RFC 8870 §4.1: decode_ekt_plaintext rejects lengths that do not add up")
{
    auto bad = [](const bytes& b) {
        auto r = perc::decode_ekt_plaintext(b);
        return r ? std::string{"ok"} : name(r.error());
    };
    CHECK(bad(bytes{}) == "ekt_bad_length");
    // KeyLen 0 (SRTPMasterKey is 1*242) with 8 octets of SSRC/ROC present.
    CHECK(bad(from_hex("00 01020304 05060708")) == "ekt_bad_length");
    // KeyLen 243..255 with that many octets present.
    for (unsigned k = 243; k <= 255; ++k) {
        bytes b(k + 9, 0x01);
        b[0] = static_cast<std::uint8_t>(k);
        CAPTURE(k);
        CHECK(bad(b) == "ekt_bad_length");
    }
    // KeyLen 242 exactly is fine.
    bytes ok(251, 0x01);
    ok[0] = 242;
    CHECK(bad(ok) == "ok");
    // Every length other than 1 + 16 + 8 for KeyLen 16: each truncation and one extra octet.
    for (std::size_t n = 0; n < digest_plaintext_128.size(); ++n) {
        CAPTURE(n);
        CHECK(bad(bytes(digest_plaintext_128.begin(),
                        digest_plaintext_128.begin() + static_cast<std::ptrdiff_t>(n))) ==
              "ekt_bad_length");
    }
    CHECK(bad(concat(digest_plaintext_128, bytes{0x00})) == "ekt_bad_length");
    // KeyLen says 15 or 17 while 25 octets are present.
    bytes k15 = digest_plaintext_128;
    k15[0] = 15;
    CHECK(bad(k15) == "ekt_bad_length");
    bytes k17 = digest_plaintext_128;
    k17[0] = 17;
    CHECK(bad(k17) == "ekt_bad_length");
}
