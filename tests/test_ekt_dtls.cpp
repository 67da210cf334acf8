// RFC 8870 §5 EKT over DTLS-SRTP: the supported_ekt_ciphers extension (§5.2.1) and the ekt_key
// handshake body (§5.2.2). Core test: no backend, built with -fno-exceptions -fno-rtti. The
// expected octets are written out from the RFC's TLS structures and the computed examples of
// rfc8870-ekt.md §6.1/§6.2 (`02 01 02`, `01`, the 37-octet AESKW128 EKTKey), never taken from
// the library's own output.
#include <perc/ekt_dtls.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <ranges>
#include <string>
#include <vector>

using namespace perc_test;
using perc::ekt_cipher;
using perc::errc;

namespace {

template <class T>
std::string name_of(const perc::result<T>& r)
{
    return name(r.error());
}

std::vector<ekt_cipher> listed(const perc::ekt_cipher_list_view& v)
{
    std::vector<ekt_cipher> out;
    for (ekt_cipher c : v) out.push_back(c);
    return out;
}

// rfc8870-ekt.md §6.2 example: AESKW128 key, 12-octet salt, SPI 0x1234, TTL 86400 (0x015180).
// Key and salt are the §11.1 EKTKey and the inner salt of the RFC 8723 digest's D1.
const bytes ekt_key_128 = from_hex("c0c1c2c3 c4c5c6c7 c8c9cacb cccdcecf");
const bytes salt_12 = from_hex("51756964 2070726f 2071756f");
const bytes ekt_key_body_37 = from_hex("0010"
                                       "c0c1c2c3 c4c5c6c7 c8c9cacb cccdcecf"
                                       "000c"
                                       "51756964 2070726f 2071756f"
                                       "1234"
                                       "015180");

// The same message as a compile-time array, for static_asserts.
constexpr std::array<std::uint8_t, 37> ka_body{
    0x00, 0x10, // len 16
    0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xcb, 0xcc, 0xcd,
    0xce, 0xcf, 0x00, 0x0c,                                                             // len 12
    0x51, 0x75, 0x69, 0x64, 0x20, 0x70, 0x72, 0x6f, 0x20, 0x71, 0x75, 0x6f, 0x12, 0x34, // ekt_spi
    0x01, 0x51, 0x80}; // ekt_ttl 86400

} // namespace

// ---------------------------------------------------------------- constants and numbering

// RFC 8870 §7.3 / §7.4 code points.
static_assert(perc::tls_extension_supported_ekt_ciphers == 39);
static_assert(perc::tls_handshake_ekt_key == 26);
// RFC 8870 §5.2.1 EKTCipherType on the wire: reserved(0), aeskw_128(1), aeskw_256(2) — not the
// §7.2 IANA registry numbers (AESKW128 = 0, AESKW256 = 1).
static_assert(static_cast<std::uint8_t>(ekt_cipher::aeskw_128) == 1);
static_assert(static_cast<std::uint8_t>(ekt_cipher::aeskw_256) == 2);
static_assert(!perc::is_known_ekt_cipher(0) && perc::is_known_ekt_cipher(1) &&
              perc::is_known_ekt_cipher(2) && !perc::is_known_ekt_cipher(3) &&
              !perc::is_known_ekt_cipher(255));
// RFC 8870 §4.4.1: L = 16 (AESKW128), 32 (AESKW256).
static_assert(perc::ekt_cipher_key_size(ekt_cipher::aeskw_128) == 16);
static_assert(perc::ekt_cipher_key_size(ekt_cipher::aeskw_256) == 32);
static_assert(perc::ekt_cipher_key_size(static_cast<ekt_cipher>(0)) == 0);
static_assert(perc::ekt_key_message_size(16, 12) == 37); // digest §6.2: 2+16+2+12+2+3
static_assert(perc::ekt_key_message_size(32, 12) == 53);
static_assert(std::forward_iterator<perc::ekt_cipher_list_view::iterator>);
static_assert(std::ranges::forward_range<perc::ekt_cipher_list_view>);

// ------------------------------------------------------------ compile-time decode (§5.2.1/2)

namespace {

constexpr bool client_offer_both()
{
    constexpr std::array<std::uint8_t, 3> ext{0x02, 0x01, 0x02};
    auto v = perc::decode_supported_ekt_ciphers(ext);
    if (!v) return false;
    auto it = v->begin();
    if (it == v->end() || *it != ekt_cipher::aeskw_128) return false;
    ++it;
    if (it == v->end() || *it != ekt_cipher::aeskw_256) return false;
    ++it;
    return it == v->end() && v->raw().size() == 2 && v->raw().data() == ext.data() + 1;
}

constexpr errc client_error(std::initializer_list<std::uint8_t> octets)
{
    std::array<std::uint8_t, 8> buf{};
    std::size_t n = 0;
    for (std::uint8_t o : octets) buf[n++] = o;
    return perc::decode_supported_ekt_ciphers(perc::bytes_view{buf.data(), n}).error();
}

constexpr errc selected_error(std::initializer_list<std::uint8_t> octets)
{
    std::array<std::uint8_t, 8> buf{};
    std::size_t n = 0;
    for (std::uint8_t o : octets) buf[n++] = o;
    return perc::decode_selected_ekt_cipher(perc::bytes_view{buf.data(), n}).error();
}

constexpr bool server_selects_128()
{
    constexpr std::array<std::uint8_t, 1> ext{0x01};
    auto c = perc::decode_selected_ekt_cipher(ext);
    return c && *c == ekt_cipher::aeskw_128;
}

constexpr bool encodes_client_offer()
{
    constexpr std::array<ekt_cipher, 2> both{ekt_cipher::aeskw_128, ekt_cipher::aeskw_256};
    std::array<std::uint8_t, 3> out{};
    auto n = perc::encode_supported_ekt_ciphers(both, out);
    return n && *n == 3 && out[0] == 0x02 && out[1] == 0x01 && out[2] == 0x02;
}

constexpr bool ka_decodes()
{
    auto m = perc::decode_ekt_key_message(ka_body);
    return m && m->ekt_key_value.size() == 16 && m->ekt_key_value.data() == ka_body.data() + 2 &&
           m->ekt_key_value[0] == 0xc0 && m->ekt_key_value[15] == 0xcf &&
           m->srtp_master_salt.size() == 12 && m->srtp_master_salt.data() == ka_body.data() + 20 &&
           m->srtp_master_salt[0] == 0x51 && m->srtp_master_salt[11] == 0x6f &&
           m->ekt_spi == 0x1234 && m->ekt_ttl == 86400;
}

constexpr bool ka_encodes()
{
    auto m = perc::decode_ekt_key_message(ka_body);
    if (!m) return false;
    std::array<std::uint8_t, 37> out{};
    auto n = perc::encode_ekt_key_message(*m, out);
    return n && *n == 37 && out == ka_body;
}

constexpr errc ka_prefix_error(std::size_t n)
{
    return perc::decode_ekt_key_message(perc::bytes_view{ka_body.data(), n}).error();
}

} // namespace

static_assert(client_offer_both());  // digest §6.1: `02 01 02`
static_assert(server_selects_128()); // digest §6.1: `01`
static_assert(encodes_client_offer());
static_assert(client_error({}) == errc::truncated);
static_assert(client_error({0x00}) == errc::ekt_bad_length); // <1..255>: an empty list
static_assert(client_error({0x02, 0x01}) == errc::truncated);
static_assert(client_error({0x01, 0x01, 0x02}) == errc::ekt_bad_length); // trailing octet
static_assert(selected_error({}) == errc::truncated);
static_assert(selected_error({0x01, 0x02}) == errc::ekt_bad_length);
static_assert(selected_error({0x00}) == errc::ekt_unknown_type); // reserved(0)
static_assert(ka_decodes());                                     // digest §6.2, 37 octets
static_assert(ka_encodes());
static_assert(ka_prefix_error(0) == errc::truncated);
static_assert(ka_prefix_error(19) == errc::truncated);
static_assert(ka_prefix_error(36) == errc::truncated);

// ----------------------------------------------------------------- supported_ekt_ciphers

TEST_CASE("RFC 8870 §5.2.1: ClientHello supported_ciphers `02 01 02` offers AESKW128 then AESKW256")
{
    const bytes ext = from_hex("020102");
    auto v = perc::decode_supported_ekt_ciphers(ext);
    REQUIRE(v);
    CHECK(listed(*v) == std::vector<ekt_cipher>{ekt_cipher::aeskw_128, ekt_cipher::aeskw_256});
    CHECK(v->contains(ekt_cipher::aeskw_128));
    CHECK(v->contains(ekt_cipher::aeskw_256));
    CHECK_FALSE(v->empty());
    CHECK(v->raw().data() == ext.data() + 1);
    CHECK(v->raw().size() == 2);
    // Works with the standard algorithms (forward range).
    CHECK(std::ranges::distance(v->begin(), v->end()) == 2);
    CHECK(std::ranges::find(*v, ekt_cipher::aeskw_256) != v->end());

    bytes out(3, 0xEE);
    const std::array<ekt_cipher, 2> both{ekt_cipher::aeskw_128, ekt_cipher::aeskw_256};
    auto n = perc::encode_supported_ekt_ciphers(both, out);
    REQUIRE(n);
    CHECK(*n == 3);
    CHECK(to_hex(out) == "020102");

    // The full extension as the DTLS stack frames it: type 39 (00 27), length, data.
    bytes framed(4);
    perc::store_be16(framed.data(), perc::tls_extension_supported_ekt_ciphers);
    perc::store_be16(framed.data() + 2, static_cast<std::uint16_t>(*n));
    framed.insert(framed.end(), out.begin(), out.end());
    CHECK(to_hex(framed) == "00270003020102");
}

TEST_CASE("RFC 8870 §5.2.1: ServerHello/EncryptedExtensions selected_cipher `01` is AESKW128")
{
    const bytes ext = from_hex("01");
    auto c = perc::decode_selected_ekt_cipher(ext);
    REQUIRE(c);
    CHECK(*c == ekt_cipher::aeskw_128);
    auto c2 = perc::decode_selected_ekt_cipher(from_hex("02"));
    REQUIRE(c2);
    CHECK(*c2 == ekt_cipher::aeskw_256);

    bytes out(1, 0xEE);
    auto n = perc::encode_selected_ekt_cipher(ekt_cipher::aeskw_128, out);
    REQUIRE(n);
    CHECK(*n == 1);
    CHECK(to_hex(out) == "01");
    // digest §6.1: the full server extension is `00 27 00 01 01`.
    bytes framed(4);
    perc::store_be16(framed.data(), perc::tls_extension_supported_ekt_ciphers);
    perc::store_be16(framed.data() + 2, static_cast<std::uint16_t>(*n));
    framed.push_back(out[0]);
    CHECK(to_hex(framed) == "0027000101");
    auto n256 = perc::encode_selected_ekt_cipher(ekt_cipher::aeskw_256, out);
    REQUIRE(n256);
    CHECK(to_hex(out) == "02");
}

TEST_CASE("RFC 8870 §5.2.1: client list — every truncation and every bad length")
{
    // A list of n octets is truncated at every shorter length (length octet included).
    for (std::size_t n = 1; n <= 255; ++n) {
        bytes ext(n + 1, 0x01);
        ext[0] = static_cast<std::uint8_t>(n);
        auto full = perc::decode_supported_ekt_ciphers(ext);
        REQUIRE(full);
        CHECK(full->raw().size() == n);
        for (std::size_t cut = 0; cut < ext.size(); ++cut) {
            auto r = perc::decode_supported_ekt_ciphers(perc::bytes_view{ext.data(), cut});
            REQUIRE_FALSE(r);
            CHECK(name_of(r) == "truncated");
        }
        // Any octet after the list: the length octet is inconsistent.
        ext.push_back(0x01);
        auto trailing = perc::decode_supported_ekt_ciphers(ext);
        REQUIRE_FALSE(trailing);
        CHECK(name_of(trailing) == "ekt_bad_length");
    }
    // <1..255>: the length octet 0 is never valid, whatever follows.
    for (const char* hex : {"00", "0001", "000102"}) {
        auto r = perc::decode_supported_ekt_ciphers(from_hex(hex));
        REQUIRE_FALSE(r);
        CHECK(name_of(r) == "ekt_bad_length");
    }
}

TEST_CASE("RFC 8870 §5.2.1: reserved(0) and unassigned values in the client list are skipped")
{
    // Documented choice (TLS practice: ignore unknown code points): the list decodes, iteration
    // yields only the known ciphers in the client's order, raw() keeps everything.
    const bytes ext = from_hex("05 00 03 02 ff 01");
    auto v = perc::decode_supported_ekt_ciphers(ext);
    REQUIRE(v);
    CHECK(listed(*v) == std::vector<ekt_cipher>{ekt_cipher::aeskw_256, ekt_cipher::aeskw_128});
    CHECK(to_hex(v->raw()) == "000302ff01");

    const bytes ext_none = from_hex("03 00 03 ff");
    auto none = perc::decode_supported_ekt_ciphers(ext_none);
    REQUIRE(none);
    CHECK(none->empty());
    CHECK(listed(*none).empty());
    CHECK_FALSE(none->contains(ekt_cipher::aeskw_128));
    CHECK_FALSE(none->contains(ekt_cipher::aeskw_256));

    // Each of the 256 values alone: only 1 and 2 are listed.
    for (unsigned x = 0; x < 256; ++x) {
        const bytes one{0x01, static_cast<std::uint8_t>(x)};
        auto r = perc::decode_supported_ekt_ciphers(one);
        REQUIRE(r);
        CHECK(r->empty() == (x != 1 && x != 2));
    }

    // A default view (no extension) is empty.
    CHECK(perc::ekt_cipher_list_view{}.empty());
}

TEST_CASE("RFC 8870 §5.2.1: selected_cipher is exactly one known octet")
{
    auto empty = perc::decode_selected_ekt_cipher({});
    REQUIRE_FALSE(empty);
    CHECK(name_of(empty) == "truncated");
    for (const char* hex : {"0101", "0102", "010203", "00000000"}) {
        auto r = perc::decode_selected_ekt_cipher(from_hex(hex));
        REQUIRE_FALSE(r);
        CHECK(name_of(r) == "ekt_bad_length");
    }
    // A server selecting reserved(0) or an unassigned value cannot be answering our offer.
    for (unsigned x = 0; x < 256; ++x) {
        const bytes one{static_cast<std::uint8_t>(x)};
        auto r = perc::decode_selected_ekt_cipher(one);
        if (x == 1 || x == 2) {
            REQUIRE(r);
            CHECK(static_cast<unsigned>(*r) == x);
        } else {
            REQUIRE_FALSE(r);
            CHECK(name_of(r) == "ekt_unknown_type");
        }
    }
}

TEST_CASE("RFC 8870 §5.2.1: encoder bounds — 1..255 known ciphers, output one octet short")
{
    bytes out(300, 0xEE);
    // Empty list: supported_ciphers<1..255>.
    auto empty = perc::encode_supported_ekt_ciphers({}, out);
    REQUIRE_FALSE(empty);
    CHECK(name_of(empty) == "invalid_argument");
    // 255 entries fit the one length octet; 256 do not.
    std::vector<ekt_cipher> many(255, ekt_cipher::aeskw_256);
    auto n = perc::encode_supported_ekt_ciphers(many, out);
    REQUIRE(n);
    CHECK(*n == 256);
    CHECK(out[0] == 0xFF);
    CHECK(std::all_of(out.begin() + 1, out.begin() + 256, [](std::uint8_t x) { return x == 2; }));
    auto back = perc::decode_supported_ekt_ciphers(perc::bytes_view{out.data(), *n});
    REQUIRE(back);
    CHECK(listed(*back) == many);
    many.push_back(ekt_cipher::aeskw_128);
    std::fill(out.begin(), out.end(), std::uint8_t{0xEE});
    auto too_many = perc::encode_supported_ekt_ciphers(many, out);
    REQUIRE_FALSE(too_many);
    CHECK(name_of(too_many) == "invalid_argument");
    CHECK(out[0] == 0xEE);

    // reserved(0) and unknown values are never sent.
    for (unsigned x : {0u, 3u, 255u}) {
        const std::array<ekt_cipher, 2> bad{ekt_cipher::aeskw_128, static_cast<ekt_cipher>(x)};
        auto r = perc::encode_supported_ekt_ciphers(bad, out);
        REQUIRE_FALSE(r);
        CHECK(name_of(r) == "invalid_argument");
        auto s = perc::encode_selected_ekt_cipher(static_cast<ekt_cipher>(x), out);
        REQUIRE_FALSE(s);
        CHECK(name_of(s) == "invalid_argument");
    }

    // One octet short: buffer_too_small, nothing written.
    const std::array<ekt_cipher, 2> both{ekt_cipher::aeskw_128, ekt_cipher::aeskw_256};
    bytes small(2, 0xEE);
    auto short_out = perc::encode_supported_ekt_ciphers(both, small);
    REQUIRE_FALSE(short_out);
    CHECK(name_of(short_out) == "buffer_too_small");
    CHECK(to_hex(small) == "eeee");
    auto none = perc::encode_selected_ekt_cipher(ekt_cipher::aeskw_128, perc::bytes_span{});
    REQUIRE_FALSE(none);
    CHECK(name_of(none) == "buffer_too_small");
}

TEST_CASE("RFC 8870 §5.2.1: the server selects one cipher from the client's list")
{
    const std::array<ekt_cipher, 2> server_both{ekt_cipher::aeskw_128, ekt_cipher::aeskw_256};
    const std::array<ekt_cipher, 1> server_256{ekt_cipher::aeskw_256};
    const std::array<ekt_cipher, 1> server_128{ekt_cipher::aeskw_128};

    // The client's order of preference decides among ciphers both support.
    const bytes ext_256_128 = from_hex("02 02 01");
    auto prefer_256 = perc::decode_supported_ekt_ciphers(ext_256_128);
    REQUIRE(prefer_256);
    CHECK(perc::select_ekt_cipher(*prefer_256, server_both) == ekt_cipher::aeskw_256);
    CHECK(perc::select_ekt_cipher(*prefer_256, server_128) == ekt_cipher::aeskw_128);

    // Nothing in common: no extension in the reply, and (§5.2.2) no EKTKey.
    const bytes ext_128 = from_hex("01 01");
    auto only_128 = perc::decode_supported_ekt_ciphers(ext_128);
    REQUIRE(only_128);
    CHECK_FALSE(perc::select_ekt_cipher(*only_128, server_256).has_value());

    // Skipped values never get selected.
    const bytes ext_junk = from_hex("03 00 07 02");
    auto with_junk = perc::decode_supported_ekt_ciphers(ext_junk);
    REQUIRE(with_junk);
    CHECK(perc::select_ekt_cipher(*with_junk, server_both) == ekt_cipher::aeskw_256);
    CHECK_FALSE(perc::select_ekt_cipher(*with_junk, std::span<const ekt_cipher>{}).has_value());
}

// -------------------------------------------------------------------------------- ekt_key

TEST_CASE("RFC 8870 §5.2.2: EKTKey body of the digest §6.2 (AESKW128, SPI 0x1234, TTL 86400)")
{
    REQUIRE(ekt_key_body_37.size() == 37);
    auto m = perc::decode_ekt_key_message(ekt_key_body_37);
    REQUIRE(m);
    CHECK(to_hex(m->ekt_key_value) == to_hex(ekt_key_128));
    CHECK(m->ekt_key_value.data() == ekt_key_body_37.data() + 2);
    CHECK(to_hex(m->srtp_master_salt) == to_hex(salt_12));
    CHECK(m->srtp_master_salt.data() == ekt_key_body_37.data() + 20);
    CHECK(m->ekt_spi == 0x1234);
    CHECK(m->ekt_ttl == 86400);

    bytes out(37, 0xEE);
    auto n = perc::encode_ekt_key_message({ekt_key_128, salt_12, 0x1234, 86400}, out);
    REQUIRE(n);
    CHECK(*n == 37);
    CHECK(to_hex(out) == to_hex(ekt_key_body_37));

    // The same with a 32-octet AESKW256 key: 53 octets, `0020` prefix.
    const bytes key_256 =
        from_hex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf d0d1d2d3d4d5d6d7d8d9dadbdcdddedf");
    bytes out256(53);
    auto n256 = perc::encode_ekt_key_message({key_256, salt_12, 0xABCD, 0xFFFFFF}, out256);
    REQUIRE(n256);
    CHECK(*n256 == 53);
    CHECK(to_hex(out256) == "0020c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
                            "000c517569642070726f2071756f"
                            "abcd"
                            "ffffff");
}

TEST_CASE("RFC 8870 §5.2.2: EKTKey — every truncation is truncated")
{
    for (std::size_t cut = 0; cut < ekt_key_body_37.size(); ++cut) {
        auto r = perc::decode_ekt_key_message(perc::bytes_view{ekt_key_body_37.data(), cut});
        REQUIRE_FALSE(r);
        CHECK(name_of(r) == "truncated");
    }
    // Also with the largest vectors (256 + 256): every prefix of the 521-octet body.
    bytes big(perc::ekt_key_message_size(256, 256));
    const bytes k(256, 0x11), s(256, 0x22);
    auto n = perc::encode_ekt_key_message({k, s, 1, 1}, big);
    REQUIRE(n);
    REQUIRE(*n == 521); // 2 + 256 + 2 + 256 + 2 + 3
    CHECK(to_hex(perc::bytes_view{big.data(), 2}) == "0100");
    CHECK(to_hex(perc::bytes_view{big.data() + 258, 2}) == "0100");
    for (std::size_t cut = 0; cut < big.size(); ++cut) {
        auto r = perc::decode_ekt_key_message(perc::bytes_view{big.data(), cut});
        REQUIRE_FALSE(r);
        CHECK(name_of(r) == "truncated");
    }
    auto whole = perc::decode_ekt_key_message(big);
    REQUIRE(whole);
    CHECK(whole->ekt_key_value.size() == 256);
    CHECK(whole->srtp_master_salt.size() == 256);
}

TEST_CASE("RFC 8870 §5.2.2: EKTKey — vector lengths outside <1..256> and trailing octets")
{
    auto with_key_len = [](unsigned len) {
        bytes b = ekt_key_body_37;
        b[0] = static_cast<std::uint8_t>(len >> 8);
        b[1] = static_cast<std::uint8_t>(len);
        return b;
    };
    auto with_salt_len = [](unsigned len) {
        bytes b = ekt_key_body_37;
        b[18] = static_cast<std::uint8_t>(len >> 8);
        b[19] = static_cast<std::uint8_t>(len);
        return b;
    };
    // A length outside the vector's bounds is reported as such, before any presence check.
    for (unsigned len : {0u, 257u, 0x0200u, 0x1000u, 0xFFFFu}) {
        auto k = perc::decode_ekt_key_message(with_key_len(len));
        REQUIRE_FALSE(k);
        CHECK(name_of(k) == "ekt_bad_length");
        auto s = perc::decode_ekt_key_message(with_salt_len(len));
        REQUIRE_FALSE(s);
        CHECK(name_of(s) == "ekt_bad_length");
        // Even when the body ends right after the length field.
        const bytes cut = with_key_len(len);
        auto k2 = perc::decode_ekt_key_message(perc::bytes_view{cut.data(), 2});
        REQUIRE_FALSE(k2);
        CHECK(name_of(k2) == "ekt_bad_length");
    }
    // A length within bounds that does not match the octets present: the fields shift and
    // the body is either cut short or has octets left over.
    for (unsigned len = 1; len <= 256; ++len) {
        if (len == 16) continue;
        auto r = perc::decode_ekt_key_message(with_key_len(len));
        REQUIRE_FALSE(r);
        // From 34 on, the key (or the salt length after it) runs off the 37 octets; below,
        // other octets are read as the salt length and the result depends on their values.
        if (len >= 34) CHECK(name_of(r) == "truncated");
        else CHECK((name_of(r) == "ekt_bad_length" || name_of(r) == "truncated"));
    }
    // Exactly one octet too many: trailing.
    for (std::uint8_t extra : {std::uint8_t{0x00}, std::uint8_t{0xFF}}) {
        bytes b = ekt_key_body_37;
        b.push_back(extra);
        auto r = perc::decode_ekt_key_message(b);
        REQUIRE_FALSE(r);
        CHECK(name_of(r) == "ekt_bad_length");
    }
    // Key length 15 with the same 37 octets: salt length read from (0xcf, 0x00) = 0xcf00.
    auto k15 = perc::decode_ekt_key_message(with_key_len(15));
    REQUIRE_FALSE(k15);
    CHECK(name_of(k15) == "ekt_bad_length");
    // Salt length 11: SPI, TTL shift one octet left and one octet trails.
    auto s11 = perc::decode_ekt_key_message(with_salt_len(11));
    REQUIRE_FALSE(s11);
    CHECK(name_of(s11) == "ekt_bad_length");
    // Salt length 13: the body ends inside ekt_ttl.
    auto s13 = perc::decode_ekt_key_message(with_salt_len(13));
    REQUIRE_FALSE(s13);
    CHECK(name_of(s13) == "truncated");
}

TEST_CASE("RFC 8870 §5.2.2: EKTKey round trips over vector sizes, SPIs and TTLs")
{
    rng r{0xE17D};
    const std::size_t sizes[] = {1, 2, 12, 14, 16, 30, 32, 255, 256};
    for (std::size_t ks : sizes) {
        for (std::size_t ss : sizes) {
            bytes key(ks), salt(ss);
            r.fill(key);
            r.fill(salt);
            const auto spi = static_cast<std::uint16_t>(r.next());
            const auto ttl = static_cast<std::uint32_t>(r.next() & 0xFFFFFF);
            const perc::ekt_key_message m{key, salt, spi, ttl};
            const std::size_t size = perc::ekt_key_message_size(ks, ss);
            bytes out(size + 1, 0xEE);
            auto n = perc::encode_ekt_key_message(m, out);
            REQUIRE(n);
            REQUIRE(*n == size);
            CHECK(out[size] == 0xEE); // nothing written past the message
            // The wire layout, checked octet by octet.
            CHECK(perc::load_be16(out.data()) == ks);
            CHECK(perc::load_be16(out.data() + 2 + ks) == ss);
            CHECK(perc::load_be16(out.data() + 4 + ks + ss) == spi);
            CHECK(perc::load_be24(out.data() + 6 + ks + ss) == ttl);
            auto d = perc::decode_ekt_key_message(perc::bytes_view{out.data(), size});
            REQUIRE(d);
            CHECK(to_hex(d->ekt_key_value) == to_hex(key));
            CHECK(to_hex(d->srtp_master_salt) == to_hex(salt));
            CHECK(d->ekt_spi == spi);
            CHECK(d->ekt_ttl == ttl);
            // One octet short: refused, output untouched.
            bytes small(size - 1, 0xEE);
            auto s = perc::encode_ekt_key_message(m, small);
            REQUIRE_FALSE(s);
            CHECK(name_of(s) == "buffer_too_small");
            CHECK(
                std::all_of(small.begin(), small.end(), [](std::uint8_t x) { return x == 0xEE; }));
        }
    }
}

TEST_CASE("RFC 8870 §5.2.2: EKTKey encoder refuses vectors outside <1..256> and TTLs over uint24")
{
    bytes out(600, 0xEE);
    const bytes k257(257, 1), s257(257, 2);
    const perc::ekt_key_message bad[] = {
        {{}, salt_12, 1, 1},
        {k257, salt_12, 1, 1},
        {ekt_key_128, {}, 1, 1},
        {ekt_key_128, s257, 1, 1},
        {ekt_key_128, salt_12, 1, 0x1000000},
        {ekt_key_128, salt_12, 1, 0xFFFFFFFF},
    };
    for (const auto& m : bad) {
        auto r = perc::encode_ekt_key_message(m, out);
        REQUIRE_FALSE(r);
        CHECK(name_of(r) == "invalid_argument");
        CHECK(out[0] == 0xEE);
    }
}

TEST_CASE(
    "RFC 8870 §5.2.2/§4.4.1: a decoded EKTKey becomes ekt_key_params for the negotiated cipher")
{
    auto m = perc::decode_ekt_key_message(ekt_key_body_37);
    REQUIRE(m);
    auto p = perc::to_ekt_key_params(*m, ekt_cipher::aeskw_128);
    REQUIRE(p);
    CHECK(p->spi == 0x1234);
    CHECK(p->ekt_key.data() == ekt_key_body_37.data() + 2);
    CHECK(p->ekt_key.size() == 16);
    CHECK(p->srtp_master_salt.data() == ekt_key_body_37.data() + 20);
    CHECK(p->srtp_master_salt.size() == 12);
    CHECK(p->ttl_seconds == 86400);

    // L of §4.4.1: a 16-octet key under AESKW256 (or 32 under AESKW128) is refused.
    auto wrong = perc::to_ekt_key_params(*m, ekt_cipher::aeskw_256);
    REQUIRE_FALSE(wrong);
    CHECK(name_of(wrong) == "bad_key_size");
    const bytes key_256(32, 0x42);
    perc::ekt_key_message m256{key_256, salt_12, 7, 60};
    auto ok256 = perc::to_ekt_key_params(m256, ekt_cipher::aeskw_256);
    REQUIRE(ok256);
    CHECK(ok256->ekt_key.size() == 32);
    CHECK(ok256->spi == 7);
    CHECK(ok256->ttl_seconds == 60);
    auto wrong128 = perc::to_ekt_key_params(m256, ekt_cipher::aeskw_128);
    REQUIRE_FALSE(wrong128);
    CHECK(name_of(wrong128) == "bad_key_size");

    // Not a cipher: reserved(0).
    auto reserved = perc::to_ekt_key_params(*m, static_cast<ekt_cipher>(0));
    REQUIRE_FALSE(reserved);
    CHECK(name_of(reserved) == "invalid_argument");

    // ekt_ttl 0: the key may not be used at all (ekt_key_params would read 0 as "no limit").
    perc::ekt_key_message zero = *m;
    zero.ekt_ttl = 0;
    auto expired = perc::to_ekt_key_params(zero, ekt_cipher::aeskw_128);
    REQUIRE_FALSE(expired);
    CHECK(name_of(expired) == "key_usage_exhausted");
    // The largest uint24 TTL passes through unchanged.
    zero.ekt_ttl = 0xFFFFFF;
    auto longest = perc::to_ekt_key_params(zero, ekt_cipher::aeskw_128);
    REQUIRE(longest);
    CHECK(longest->ttl_seconds == 0xFFFFFF);
}
