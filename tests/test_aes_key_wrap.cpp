// RFC 5649 AES Key Wrap with Padding as the RFC 8870 §4.4.1 EKT ciphers AESKW128 / AESKW256
// (perc::botan::aeskw_128 / aeskw_256). Known answers: rfc8870-ekt.md §11.1 / §11.2 (computed
// with Python `cryptography.keywrap`), RFC 3394 §4 and RFC 5649 §6 (rfc8870-ekt.md §9, §10);
// the RFC 3394/5649 vectors are run through Botan's nist_key_wrap(_padded) directly, as a
// sanity check of the backend the adapter relies on. Oracle: Botan::nist_key_wrap_padded.
#include <perc/botan/aes_key_wrap.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <botan/aes.h>
#include <botan/block_cipher.h>
#include <botan/nist_keywrap.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

using namespace perc_test;
using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

namespace {

template <class W>
W keyed(const bytes& key)
{
    W w;
    REQUIRE(w.set_key(fixed<W::key_size>(key)) == errc::ok);
    return w;
}

std::unique_ptr<Botan::BlockCipher> aes(const bytes& key)
{
    auto c = Botan::BlockCipher::create_or_throw("AES-" + std::to_string(8 * key.size()));
    c->set_key(key.data(), key.size());
    return c;
}

bool all_zero(bytes_view b)
{
    for (auto x : b)
        if (x != 0) return false;
    return true;
}

// RFC 8870 §4.4.1 wrote N = M + (M mod 8) + 8; RFC 5649 produces 8·ceil(M/8) + 8.
constexpr std::size_t rfc5649_size(std::size_t m)
{
    return 8 * ((m + 7) / 8) + 8;
}
constexpr std::size_t rfc8870_text_size(std::size_t m)
{
    return m + (m % 8) + 8;
}

static_assert(perc::botan::aeskw_128::key_size == 16 && perc::botan::aeskw_256::key_size == 32);
static_assert(perc::botan::aeskw_128::wrapped_size(1) == 16);
static_assert(perc::botan::aeskw_128::wrapped_size(8) == 16);
static_assert(perc::botan::aeskw_128::wrapped_size(9) == 24);
static_assert(perc::botan::aeskw_128::wrapped_size(25) == 40); // PERC AES-128 inner key
static_assert(perc::botan::aeskw_256::wrapped_size(41) == 56); // PERC AES-256 inner key
static_assert(perc::botan::aeskw_256::wrapped_size(251) == 264);
static_assert(rfc8870_text_size(25) == 34 && rfc8870_text_size(41) == 50,
              "the RFC 8870 §4.4.1 formula disagrees with RFC 5649 (see the digest §5)");

template <class W>
struct wrap_case;
template <>
struct wrap_case<perc::botan::aeskw_128> {
    static constexpr const char* ekt_key = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf";
    static constexpr const char* plaintext = "10000102030405060708090a0b0c0d0e0fcafebabe00000000";
    static constexpr const char* ciphertext = "47c99c2e8a84efe44654d5e6801b12ed997d289c6729c4b6"
                                              "43e1ed049f7971e1178bf6a8bd054acf";
};
template <>
struct wrap_case<perc::botan::aeskw_256> {
    static constexpr const char* ekt_key =
        "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf";
    static constexpr const char* plaintext = "20000102030405060708090a0b0c0d0e0f"
                                             "101112131415161718191a1b1c1d1e1fcafebabe00000000";
    static constexpr const char* ciphertext =
        "a721997a5fb3e0e8365c8c03861c8c69a9fd17be006984fbadc8cb947daf746f747cd995141a17ae"
        "be4602391fc5e6971e3ba0a1c5091f2a";
};

} // namespace

TEST_CASE_TEMPLATE("RFC 8870 §4.4.1 / RFC 5649: digest §11 EKTPlaintext -> EKTCiphertext", W,
                   perc::botan::aeskw_128, perc::botan::aeskw_256)
{
    const bytes key = from_hex(wrap_case<W>::ekt_key);
    const bytes plain = from_hex(wrap_case<W>::plaintext);
    const bytes ct = from_hex(wrap_case<W>::ciphertext);
    REQUIRE(ct.size() == rfc5649_size(plain.size()));
    W w = keyed<W>(key);
    CHECK(w.has_key());
    bytes out(ct.size() + 4, 0xee);
    auto c = w.wrap(plain, out);
    REQUIRE(c);
    CHECK(c->size() == ct.size());
    CHECK(c->data() == out.data());
    CHECK(to_hex(*c) == to_hex(ct));
    CHECK(out[ct.size()] == 0xee); // nothing past the ciphertext

    bytes back(ct.size() - 8, 0xee);
    auto p = w.unwrap(ct, back);
    REQUIRE(p);
    CHECK(to_hex(*p) == to_hex(plain));
}

TEST_CASE_TEMPLATE("RFC 5649 §4.1: round trip for every plaintext length 1..64; wrapped_size", W,
                   perc::botan::aeskw_128, perc::botan::aeskw_256)
{
    rng g(W::key_size * 1000 + 7);
    bytes key(W::key_size);
    g.fill(key);
    W w = keyed<W>(key);
    for (std::size_t n = 1; n <= 64; ++n) {
        CAPTURE(n);
        bytes plain(n);
        g.fill(plain);
        CHECK(W::wrapped_size(n) == rfc5649_size(n));
        bytes out(W::wrapped_size(n));
        auto c = w.wrap(plain, out);
        REQUIRE(c);
        CHECK(c->size() == 8 * ((n + 7) / 8) + 8);
        bytes back(c->size() - 8);
        auto p = w.unwrap(*c, back);
        REQUIRE(p);
        CHECK(p->size() == n);
        CHECK(to_hex(*p) == to_hex(plain));
        // RFC 5649 is deterministic: wrapping again gives the same octets.
        bytes again(out.size());
        auto c2 = w.wrap(plain, again);
        REQUIRE(c2);
        CHECK(again == out);
    }
}

TEST_CASE_TEMPLATE("RFC 5649 §3 / RFC 8870 §4.3.2 step 3: every single-bit flip -> "
                   "key_unwrap_failed, output wiped",
                   W, perc::botan::aeskw_128, perc::botan::aeskw_256)
{
    const bytes key = from_hex(wrap_case<W>::ekt_key);
    W w = keyed<W>(key);
    rng g(99);
    // The PERC sizes (25 / 41 octets), a one-block case (<= 8 octets, RFC 5649 §4.1 single
    // AES block) and a two-semiblock case.
    for (std::size_t n :
         {std::size_t{25}, std::size_t{41}, std::size_t{5}, std::size_t{8}, std::size_t{16}}) {
        CAPTURE(n);
        bytes plain(n);
        g.fill(plain);
        bytes ct(W::wrapped_size(n));
        REQUIRE(w.wrap(plain, ct));
        for (std::size_t bit = 0; bit < 8 * ct.size(); ++bit) {
            CAPTURE(bit);
            bytes bad = ct;
            bad[bit / 8] = static_cast<std::uint8_t>(bad[bit / 8] ^ (1u << (bit % 8)));
            bytes out(ct.size() - 8, 0xa5);
            auto p = w.unwrap(bad, out);
            REQUIRE_FALSE(p);
            CHECK(name(p.error()) == "key_unwrap_failed");
            CHECK(all_zero(out)); // no unauthenticated plaintext survives
        }
    }
    // The wrong EKTKey fails the same way.
    bytes other = key;
    other[0] ^= 0x80;
    W w2 = keyed<W>(other);
    const bytes ct = from_hex(wrap_case<W>::ciphertext);
    bytes out(ct.size() - 8, 0xa5);
    auto p = w2.unwrap(ct, out);
    REQUIRE_FALSE(p);
    CHECK(name(p.error()) == "key_unwrap_failed");
    CHECK(all_zero(out));
}

TEST_CASE_TEMPLATE(
    "RFC 5649 §4.2: ciphertext lengths below 16 or not a multiple of 8 -> key_unwrap_failed", W,
    perc::botan::aeskw_128, perc::botan::aeskw_256)
{
    W w = keyed<W>(from_hex(wrap_case<W>::ekt_key));
    const bytes ct = from_hex(wrap_case<W>::ciphertext);
    bytes out(300, 0x11);
    for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{8},
                          std::size_t{15}, std::size_t{17}, std::size_t{23}, std::size_t{31},
                          std::size_t{39}, std::size_t{41}, std::size_t{55}}) {
        CAPTURE(n);
        const bytes in(ct.begin(),
                       ct.begin() + static_cast<std::ptrdiff_t>(std::min(n, ct.size())));
        bytes cut = in;
        cut.resize(n, 0x42);
        auto p = w.unwrap(cut, out);
        REQUIRE_FALSE(p);
        CHECK(name(p.error()) == "key_unwrap_failed");
    }
    // Valid lengths that are truncations of the real ciphertext (multiples of 8, >= 16) fail
    // the integrity check.
    for (std::size_t n = 16; n < ct.size(); n += 8) {
        CAPTURE(n);
        auto p = w.unwrap(bytes_view{ct}.first(n), out);
        REQUIRE_FALSE(p);
        CHECK(name(p.error()) == "key_unwrap_failed");
    }
}

TEST_CASE_TEMPLATE("perc ekt_key_wrap contract: buffer_too_small, no_key, invalid_argument", W,
                   perc::botan::aeskw_128, perc::botan::aeskw_256)
{
    const bytes key = from_hex(wrap_case<W>::ekt_key);
    const bytes ct = from_hex(wrap_case<W>::ciphertext);
    const bytes plain(W::key_size == 16 ? 25 : 41, 0x33);
    REQUIRE(W::wrapped_size(plain.size()) == ct.size());

    W none;
    CHECK_FALSE(none.has_key());
    bytes out(100, 0);
    auto a = none.wrap(plain, out);
    REQUIRE_FALSE(a);
    CHECK(name(a.error()) == "no_key");
    auto b = none.unwrap(ct, out);
    REQUIRE_FALSE(b);
    CHECK(name(b.error()) == "no_key");

    W w = keyed<W>(key);
    // RFC 5649: the plaintext has at least one octet.
    auto e = w.wrap(bytes_view{}, out);
    REQUIRE_FALSE(e);
    CHECK(name(e.error()) == "invalid_argument");
    // Output one octet short of wrapped_size / of in.size() - 8.
    bytes small(ct.size() - 1, 0x77);
    auto s = w.wrap(plain, small);
    REQUIRE_FALSE(s);
    CHECK(name(s.error()) == "buffer_too_small");
    CHECK(small == bytes(ct.size() - 1, 0x77));
    bytes small2(ct.size() - 9, 0x77);
    auto u = w.unwrap(ct, small2);
    REQUIRE_FALSE(u);
    CHECK(name(u.error()) == "buffer_too_small");
    CHECK(small2 == bytes(ct.size() - 9, 0x77));
    // Exactly in.size() - 8 is enough.
    bytes exact(ct.size() - 8);
    CHECK(w.unwrap(ct, exact));

    // Move: the key moves with the object.
    W moved = std::move(w);
    CHECK(moved.has_key());
    CHECK(moved.unwrap(ct, exact));
}

TEST_CASE("RFC 3394 §4.1-§4.6: Botan nist_key_wrap with AES-128/192/256 (backend sanity check)")
{
    const bytes kek = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    const bytes data = from_hex("00112233445566778899aabbccddeeff000102030405060708090a0b0c0d0e0f");
    struct vec {
        const char* section;
        std::size_t kek_size, data_size;
        const char* ciphertext;
    };
    const vec vectors[] = {
        {"4.1", 16, 16, "1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"},
        {"4.2", 24, 16, "96778b25ae6ca435f92b5b97c050aed2468ab8a17ad84e5d"},
        {"4.3", 32, 16, "64e8c3f9ce0f5ba263e9777905818a2a93c8191e7d6e8ae7"},
        {"4.4", 24, 24, "031d33264e15d33268f24ec260743edce1c6c7ddee725a936ba814915c6762d2"},
        {"4.5", 32, 24, "a8f9bc1612c68b3ff6e6f4fbe30e71e4769c8b80a32cb8958cd5d17d6b254da1"},
        {"4.6", 32, 32,
         "28c9f404c4b810f4cbccb35cfb87f8263f5786e2d80ed326cbc7f0e71a99f43bfb988b9b7a02dd21"},
    };
    for (const vec& v : vectors) {
        CAPTURE(v.section);
        auto c = aes(bytes(kek.begin(), kek.begin() + static_cast<std::ptrdiff_t>(v.kek_size)));
        const std::vector<std::uint8_t> w = Botan::nist_key_wrap(data.data(), v.data_size, *c);
        CHECK(to_hex(w) == v.ciphertext);
        const auto u = Botan::nist_key_unwrap(w.data(), w.size(), *c);
        CHECK(to_hex(u) == to_hex(bytes_view{data}.first(v.data_size)));
    }
}

TEST_CASE("RFC 5649 §6: Botan nist_key_wrap_padded with a 192-bit KEK (backend sanity check)")
{
    auto c = aes(from_hex("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8"));
    const bytes k20 = from_hex("c37b7e6492584340bed12207808941155068f738");
    const bytes k7 = from_hex("466f7250617369");
    const auto w20 = Botan::nist_key_wrap_padded(k20.data(), k20.size(), *c);
    CHECK(to_hex(w20) == "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a");
    const auto w7 = Botan::nist_key_wrap_padded(k7.data(), k7.size(), *c);
    CHECK(to_hex(w7) == "afbeb0f07dfbf5419200f2ccb50bb24f"); // single block: AES(KEK, AIV || P)
    CHECK(to_hex(Botan::nist_key_unwrap_padded(w20.data(), w20.size(), *c)) == to_hex(k20));
    CHECK(to_hex(Botan::nist_key_unwrap_padded(w7.data(), w7.size(), *c)) == to_hex(k7));
}

TEST_CASE_TEMPLATE(
    "RFC 5649 oracle: perc wrap equals Botan::nist_key_wrap_padded for random inputs", W,
    perc::botan::aeskw_128, perc::botan::aeskw_256)
{
    rng g(0x0AC1E + W::key_size);
    for (int round = 0; round < 300; ++round) {
        bytes key(W::key_size);
        g.fill(key);
        const std::size_t n = 1 + g.below(300);
        CAPTURE(n);
        bytes plain(n);
        g.fill(plain);
        W w = keyed<W>(key);
        bytes out(W::wrapped_size(n));
        auto c = w.wrap(plain, out);
        REQUIRE(c);
        auto bc = aes(key);
        const auto ref = Botan::nist_key_wrap_padded(plain.data(), plain.size(), *bc);
        CHECK(to_hex(*c) == to_hex(ref));
        bytes back(out.size() - 8);
        auto p = w.unwrap(ref, back);
        REQUIRE(p);
        CHECK(to_hex(*p) == to_hex(plain));
    }
}
