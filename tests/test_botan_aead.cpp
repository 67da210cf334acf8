// Botan AES-GCM adapter (perc::botan::aead_gcm): NIST SP 800-38D / McGrew–Viega known answers,
// the raw GCM values of RFC 7714 §16/§17, Botan's own GCM_Mode as an independent oracle, and the
// open() contract of RFC 7714 §5.3 (verify first; nothing written on failure).
#include <perc/botan/aead.hpp>

#include "gcm_vectors.hpp"
#include "test_util.hpp"

#include <botan/aead.h>
#include <botan/secmem.h>

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using namespace perc_test;

namespace {

using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

template <class A>
const char* botan_name()
{
    return A::key_size == 16 ? "AES-128/GCM" : "AES-256/GCM";
}

/// Botan's own GCM_Mode (a different code path from the adapter): returns cipher ‖ tag.
template <class A>
bytes oracle_seal(const bytes& key, const bytes& iv, const bytes& aad, const bytes& pt)
{
    auto mode = Botan::AEAD_Mode::create(botan_name<A>(), Botan::ENCRYPTION);
    REQUIRE(mode != nullptr);
    mode->set_key(key.data(), key.size());
    mode->set_associated_data(aad.data(), aad.size());
    mode->start(iv.data(), iv.size());
    Botan::secure_vector<std::uint8_t> buf(pt.begin(), pt.end());
    mode->finish(buf);
    return bytes(buf.begin(), buf.end());
}

template <class A>
A keyed(const bytes& key)
{
    A a;
    REQUIRE(a.set_key(fixed<A::key_size>(key)) == errc::ok);
    REQUIRE(a.has_key());
    return a;
}

/// A random key, IV and `aad_size`-octet AAD, and an adapter keyed with that key.
template <class A>
struct random_keyed {
    bytes key, iv, aad;
    A a;
};
template <class A>
random_keyed<A> make_random_keyed(rng& r, std::size_t aad_size)
{
    bytes key(A::key_size), iv(12), aad(aad_size);
    r.fill(key);
    r.fill(iv);
    r.fill(aad);
    A a = keyed<A>(key);
    return {std::move(key), std::move(iv), std::move(aad), std::move(a)};
}

perc::aad_view split(const bytes& aad, std::size_t at)
{
    const perc::bytes_view v{aad};
    return perc::aad_view{v.first(at), v.subspan(at)};
}

std::span<std::uint8_t, 16> tag_of(std::array<std::uint8_t, 16>& t)
{
    return t;
}

template <class A>
void check_vector(const gcm_vector& v)
{
    INFO(v.name);
    const bytes key = from_hex(v.key), iv = from_hex(v.iv), aad = from_hex(v.aad),
                pt = from_hex(v.pt), ct = from_hex(v.ct), tag = from_hex(v.tag);
    REQUIRE(key.size() == A::key_size);
    REQUIRE(iv.size() == 12);
    REQUIRE(ct.size() == pt.size());
    REQUIRE(tag.size() == 16);
    // The transcription agrees with Botan's GCM_Mode, an independent implementation.
    bytes expected = ct;
    expected.insert(expected.end(), tag.begin(), tag.end());
    CHECK(to_hex(oracle_seal<A>(key, iv, aad, pt)) == to_hex(expected));

    A a = keyed<A>(key);
    const auto nonce = fixed<12>(iv);
    // Seal out of place, with the AAD split at every point (RFC 7714 §9.2 uses two pieces).
    for (std::size_t at = 0; at <= aad.size(); ++at) {
        bytes out(pt.size(), 0xA5);
        std::array<std::uint8_t, 16> t{};
        REQUIRE(a.seal(nonce, split(aad, at), pt, out, tag_of(t)) == errc::ok);
        CHECK(to_hex(out) == to_hex(ct));
        CHECK(to_hex(t) == to_hex(tag));
    }
    // Seal in place.
    {
        bytes buf = pt;
        std::array<std::uint8_t, 16> t{};
        REQUIRE(a.seal(nonce, perc::aad_view{aad}, buf, buf, tag_of(t)) == errc::ok);
        CHECK(to_hex(buf) == to_hex(ct));
        CHECK(to_hex(t) == to_hex(tag));
    }
    // Open out of place and in place, every split point.
    for (std::size_t at = 0; at <= aad.size(); ++at) {
        bytes out(ct.size(), 0xA5);
        REQUIRE(a.open(nonce, split(aad, at), ct, fixed<16>(tag), out) == errc::ok);
        CHECK(to_hex(out) == to_hex(pt));
        bytes buf = ct;
        REQUIRE(a.open(nonce, split(aad, at), buf, fixed<16>(tag), buf) == errc::ok);
        CHECK(to_hex(buf) == to_hex(pt));
    }
}

} // namespace

TEST_CASE("GCM (NIST SP 800-38D / McGrew–Viega) known answers, AES-128: cases 1-4")
{
    for (const auto& v : nist128) check_vector<perc::botan::aead_aes_128_gcm>(v);
}

TEST_CASE("GCM (NIST SP 800-38D / McGrew–Viega) known answers, AES-256: cases 13-16")
{
    for (const auto& v : nist256) check_vector<perc::botan::aead_aes_256_gcm>(v);
}

TEST_CASE("RFC 7714 §16.1/§17.1/§17.3 raw AEAD_AES_128_GCM values")
{
    for (const auto& v : rfc128) check_vector<perc::botan::aead_aes_128_gcm>(v);
}

TEST_CASE("RFC 7714 §16.2/§17.2/§17.4 raw AEAD_AES_256_GCM values")
{
    for (const auto& v : rfc256) check_vector<perc::botan::aead_aes_256_gcm>(v);
}

TEST_CASE_TEMPLATE("GCM oracle: every AAD size 0..100 split at every point equals Botan GCM_Mode",
                   A, perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm)
{
    rng r(0xA11D5EEDu + A::key_size);
    const std::size_t pt_sizes[] = {0, 1, 17, 33};
    for (std::size_t aad_size = 0; aad_size <= 100; ++aad_size) {
        auto [key, iv, aad, a] = make_random_keyed<A>(r, aad_size);
        for (std::size_t ps : pt_sizes) {
            bytes pt(ps);
            r.fill(pt);
            const bytes expected = oracle_seal<A>(key, iv, aad, pt);
            for (std::size_t at = 0; at <= aad_size; ++at) {
                bytes out(ps);
                std::array<std::uint8_t, 16> t{};
                REQUIRE(a.seal(fixed<12>(iv), split(aad, at), pt, out, tag_of(t)) == errc::ok);
                out.insert(out.end(), t.begin(), t.end());
                if (out != expected) {
                    INFO("aad ", aad_size, " split ", at, " pt ", ps);
                    CHECK(to_hex(out) == to_hex(expected));
                }
                bytes back(ps, 0xA5);
                REQUIRE(a.open(fixed<12>(iv), split(aad, (at * 7) % (aad_size + 1)),
                               perc::bytes_view{out}.first(ps),
                               std::span<const std::uint8_t, 16>{t}, back) == errc::ok);
                CHECK(back == pt);
            }
        }
    }
}

TEST_CASE_TEMPLATE("GCM oracle: every plaintext size 0..600 (16-octet and batch boundaries) equals "
                   "Botan GCM_Mode; in place == out of place; open round-trips",
                   A, perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm)
{
    rng r(0x5EA1u + A::key_size);
    for (std::size_t ps = 0; ps <= 600; ++ps) {
        bytes key(A::key_size), iv(12), aad(r.below(101)), pt(ps);
        r.fill(key);
        r.fill(iv);
        r.fill(aad);
        r.fill(pt);
        const std::size_t at = r.below(static_cast<std::uint32_t>(aad.size() + 1));
        const bytes expected = oracle_seal<A>(key, iv, aad, pt);
        A a = keyed<A>(key);

        bytes out(ps, 0xA5);
        std::array<std::uint8_t, 16> t{};
        REQUIRE(a.seal(fixed<12>(iv), split(aad, at), pt, out, tag_of(t)) == errc::ok);
        bytes sealed = out;
        sealed.insert(sealed.end(), t.begin(), t.end());
        if (sealed != expected) {
            INFO("pt size ", ps);
            CHECK(to_hex(sealed) == to_hex(expected));
        }

        bytes buf = pt;
        std::array<std::uint8_t, 16> t2{};
        REQUIRE(a.seal(fixed<12>(iv), split(aad, at), buf, buf, tag_of(t2)) == errc::ok);
        CHECK(buf == out);
        CHECK(t2 == t);

        bytes back(ps, 0x5A);
        REQUIRE(a.open(fixed<12>(iv), split(aad, aad.size() - at), out,
                       std::span<const std::uint8_t, 16>{expected.data() + ps, 16},
                       back) == errc::ok);
        CHECK(back == pt);
        REQUIRE(a.open(fixed<12>(iv), perc::aad_view{aad}, buf,
                       std::span<const std::uint8_t, 16>{t2}, buf) == errc::ok);
        CHECK(buf == pt);
    }
}

TEST_CASE_TEMPLATE("GCM oracle, GHASH staging: every AAD block count mod 4 and text size across "
                   "the one-call / three-call boundary equals Botan GCM_Mode",
                   A, perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm)
{
    // The adapter feeds GHASH zero blocks in front, copies of the first and last text
    // blocks and one call or three, by the AAD's and the text's block counts (aead.hpp,
    // ghash()): every combination of AAD blocks (0..4 and the > 64-octet form), text blocks
    // mod 4, partial block or none, on both sides of ghash_staged and at RTP sizes.
    rng r(0x6A5Au + A::key_size);
    const std::size_t aad_sizes[] = {0, 1, 12, 16, 17, 28, 32, 44, 48, 60, 64, 65, 80};
    std::vector<std::size_t> text_sizes;
    for (std::size_t n = 0; n <= 400; ++n) text_sizes.push_back(n);
    for (std::size_t n = 1180; n <= 1240; ++n) text_sizes.push_back(n);
    for (std::size_t as : aad_sizes) {
        auto [key, iv, aad, a] = make_random_keyed<A>(r, as);
        for (std::size_t ps : text_sizes) {
            bytes pt(ps);
            r.fill(pt);
            const bytes expected = oracle_seal<A>(key, iv, aad, pt);
            bytes out(ps);
            std::array<std::uint8_t, 16> t{};
            REQUIRE(a.seal(fixed<12>(iv), split(aad, as / 2), pt, out, tag_of(t)) == errc::ok);
            bytes sealed = out;
            sealed.insert(sealed.end(), t.begin(), t.end());
            if (sealed != expected) {
                INFO("aad ", as, " text ", ps);
                CHECK(to_hex(sealed) == to_hex(expected));
            }
            bytes back(ps, 0xA5);
            REQUIRE(a.open(fixed<12>(iv), perc::aad_view{aad}, out,
                           std::span<const std::uint8_t, 16>{t}, back) == errc::ok);
            CHECK(back == pt);
        }
    }
}

namespace {

struct sealed_fixture {
    bytes key, iv, aad, pt, ct;
    std::array<std::uint8_t, 16> tag{};
    std::size_t at = 7;
};

template <class A>
sealed_fixture make_fixture(A& a, std::size_t pt_size)
{
    rng r(0xF1A6u + pt_size);
    sealed_fixture f;
    f.key.resize(A::key_size);
    f.iv.resize(12);
    f.aad.resize(20);
    f.pt.resize(pt_size);
    r.fill(f.key);
    r.fill(f.iv);
    r.fill(f.aad);
    r.fill(f.pt);
    f.ct.resize(pt_size);
    REQUIRE(a.set_key(fixed<A::key_size>(f.key)) == errc::ok);
    REQUIRE(a.seal(fixed<12>(f.iv), split(f.aad, f.at), f.pt, f.ct, tag_of(f.tag)) == errc::ok);
    return f;
}

/// open() must fail with auth_failed and leave both an out-of-place output (sentinel-filled)
/// and an in-place buffer exactly as they were (RFC 7714 §5.3).
template <class A>
void expect_rejected(A& a, const bytes& iv, perc::aad_view aad, const bytes& ct,
                     std::span<const std::uint8_t, 16> tag)
{
    bytes out(ct.size(), 0xA5);
    CHECK(a.open(fixed<12>(iv), aad, ct, tag, out) == errc::auth_failed);
    CHECK(out == bytes(ct.size(), 0xA5));
    bytes buf = ct;
    CHECK(a.open(fixed<12>(iv), aad, buf, tag, buf) == errc::auth_failed);
    CHECK(buf == ct);
}

} // namespace

TEST_CASE_TEMPLATE("RFC 7714 §5.3: a flipped tag, ciphertext, AAD or nonce bit fails with "
                   "auth_failed and writes nothing",
                   A, perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm)
{
    A a;
    // 50 octets: four keystream blocks, the last one partial.
    const sealed_fixture f = make_fixture(a, 50);
    const std::span<const std::uint8_t, 16> good_tag{f.tag};

    SUBCASE("every tag bit")
    {
        for (std::size_t bit = 0; bit < 128; ++bit) {
            auto t = f.tag;
            t[bit / 8] = static_cast<std::uint8_t>(t[bit / 8] ^ (1u << (bit % 8)));
            expect_rejected(a, f.iv, split(f.aad, f.at), f.ct,
                            std::span<const std::uint8_t, 16>{t});
        }
    }
    SUBCASE("every ciphertext bit")
    {
        for (std::size_t bit = 0; bit < 8 * f.ct.size(); ++bit) {
            bytes c = f.ct;
            c[bit / 8] = static_cast<std::uint8_t>(c[bit / 8] ^ (1u << (bit % 8)));
            expect_rejected(a, f.iv, split(f.aad, f.at), c, good_tag);
        }
    }
    SUBCASE("every AAD bit, in either piece")
    {
        for (std::size_t bit = 0; bit < 8 * f.aad.size(); ++bit) {
            bytes d = f.aad;
            d[bit / 8] = static_cast<std::uint8_t>(d[bit / 8] ^ (1u << (bit % 8)));
            expect_rejected(a, f.iv, split(d, f.at), f.ct, good_tag);
        }
    }
    SUBCASE("every nonce bit")
    {
        for (std::size_t bit = 0; bit < 96; ++bit) {
            bytes n = f.iv;
            n[bit / 8] = static_cast<std::uint8_t>(n[bit / 8] ^ (1u << (bit % 8)));
            expect_rejected(a, n, split(f.aad, f.at), f.ct, good_tag);
        }
    }
    SUBCASE("AAD and ciphertext boundary moved (GHASH length block differs)")
    {
        bytes longer_aad = f.aad;
        longer_aad.push_back(f.ct[0]);
        const bytes shorter_ct(f.ct.begin() + 1, f.ct.end());
        expect_rejected(a, f.iv, perc::aad_view{longer_aad}, shorter_ct, good_tag);
        bytes longer_ct = f.ct;
        longer_ct.insert(longer_ct.begin(), f.aad.back());
        const bytes shorter_aad(f.aad.begin(), f.aad.end() - 1);
        expect_rejected(a, f.iv, perc::aad_view{shorter_aad}, longer_ct, good_tag);
    }
    SUBCASE("truncated or extended ciphertext")
    {
        expect_rejected(a, f.iv, split(f.aad, f.at), bytes(f.ct.begin(), f.ct.end() - 1), good_tag);
        bytes ext = f.ct;
        ext.push_back(0);
        expect_rejected(a, f.iv, split(f.aad, f.at), ext, good_tag);
        expect_rejected(a, f.iv, split(f.aad, f.at), bytes{}, good_tag);
    }
    SUBCASE("the same AAD split differently still verifies (only the concatenation counts)")
    {
        for (std::size_t at = 0; at <= f.aad.size(); ++at) {
            bytes out(f.ct.size(), 0xA5);
            CHECK(a.open(fixed<12>(f.iv), split(f.aad, at), f.ct, good_tag, out) == errc::ok);
            CHECK(out == f.pt);
        }
    }
}

TEST_CASE_TEMPLATE("aead_gcm misuse: overlap, size mismatch, no key", A,
                   perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm)
{
    SUBCASE("no key: seal and open return no_key and write nothing")
    {
        A a;
        CHECK_FALSE(a.has_key());
        const bytes iv(12, 1), aad(5, 2), pt(33, 3);
        bytes out(33, 0xA5);
        std::array<std::uint8_t, 16> t{};
        t.fill(0xA5);
        CHECK(a.seal(fixed<12>(iv), perc::aad_view{aad}, pt, out, tag_of(t)) == errc::no_key);
        CHECK(out == bytes(33, 0xA5));
        CHECK(t == std::array<std::uint8_t, 16>{0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5,
                                                0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5});
        CHECK(a.open(fixed<12>(iv), perc::aad_view{aad}, pt, std::span<const std::uint8_t, 16>{t},
                     out) == errc::no_key);
        CHECK(out == bytes(33, 0xA5));
    }

    A a;
    const sealed_fixture f = make_fixture(a, 40);
    const std::span<const std::uint8_t, 16> tag{f.tag};
    const auto nonce = fixed<12>(f.iv);
    const perc::aad_view aad = split(f.aad, f.at);

    SUBCASE("size mismatch: invalid_argument, output untouched")
    {
        for (std::size_t n : {std::size_t{0}, std::size_t{39}, std::size_t{41}, std::size_t{80}}) {
            bytes out(n, 0xA5);
            std::array<std::uint8_t, 16> t{};
            CHECK(a.seal(nonce, aad, f.pt, out, tag_of(t)) == errc::invalid_argument);
            CHECK(out == bytes(n, 0xA5));
            CHECK(a.open(nonce, aad, f.ct, tag, out) == errc::invalid_argument);
            CHECK(out == bytes(n, 0xA5));
        }
    }
    SUBCASE("partial overlap: buffer_overlap, buffer untouched")
    {
        for (std::size_t shift :
             {std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{39}}) {
            for (bool out_after : {true, false}) {
                INFO("shift ", shift, " out after in ", out_after);
                bytes buf(40 + shift, 0);
                const std::size_t in_at = out_after ? 0 : shift;
                const std::size_t out_at = out_after ? shift : 0;
                std::copy(f.pt.begin(), f.pt.end(),
                          buf.begin() + static_cast<std::ptrdiff_t>(in_at));
                const bytes before = buf;
                const perc::bytes_view in{buf.data() + in_at, 40};
                const perc::bytes_span out{buf.data() + out_at, 40};
                std::array<std::uint8_t, 16> t{};
                CHECK(a.seal(nonce, aad, in, out, tag_of(t)) == errc::buffer_overlap);
                CHECK(buf == before);
                std::copy(f.ct.begin(), f.ct.end(),
                          buf.begin() + static_cast<std::ptrdiff_t>(in_at));
                const bytes before_open = buf;
                CHECK(a.open(nonce, aad, in, tag, out) == errc::buffer_overlap);
                CHECK(buf == before_open);
            }
        }
    }
    SUBCASE("exactly in place and fully disjoint give identical bytes")
    {
        bytes buf = f.pt;
        std::array<std::uint8_t, 16> t{};
        REQUIRE(a.seal(nonce, aad, buf, buf, tag_of(t)) == errc::ok);
        CHECK(buf == f.ct);
        CHECK(t == f.tag);
        // Adjacent (touching, not overlapping) halves of one buffer are disjoint.
        bytes two(80, 0);
        std::copy(f.pt.begin(), f.pt.end(), two.begin());
        REQUIRE(a.seal(nonce, aad, perc::bytes_view{two}.first(40),
                       perc::bytes_span{two}.subspan(40), tag_of(t)) == errc::ok);
        CHECK(bytes(two.begin() + 40, two.end()) == f.ct);
        CHECK(t == f.tag);
    }
}

TEST_CASE_TEMPLATE("aead_gcm re-key: set_key twice uses only the newest key", A,
                   perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm)
{
    rng r(0x4E4Bu);
    bytes k1(A::key_size), k2(A::key_size), iv(12), aad(13), pt(70);
    r.fill(k1);
    r.fill(k2);
    r.fill(iv);
    r.fill(aad);
    r.fill(pt);
    const bytes expect1 = oracle_seal<A>(k1, iv, aad, pt);
    const bytes expect2 = oracle_seal<A>(k2, iv, aad, pt);
    REQUIRE(expect1 != expect2);

    auto seal_with = [&](A& a) {
        bytes out(pt.size());
        std::array<std::uint8_t, 16> t{};
        REQUIRE(a.seal(fixed<12>(iv), perc::aad_view{aad}, pt, out, tag_of(t)) == errc::ok);
        out.insert(out.end(), t.begin(), t.end());
        return out;
    };

    A a = keyed<A>(k1);
    CHECK(seal_with(a) == expect1);
    REQUIRE(a.set_key(fixed<A::key_size>(k2)) == errc::ok);
    CHECK(seal_with(a) == expect2);
    // A packet sealed under k1 no longer opens.
    const perc::bytes_view c1{expect1};
    expect_rejected(a, iv, perc::aad_view{aad}, bytes(c1.begin(), c1.begin() + 70),
                    std::span<const std::uint8_t, 16>{expect1.data() + 70, 16});
    REQUIRE(a.set_key(fixed<A::key_size>(k1)) == errc::ok);
    CHECK(seal_with(a) == expect1);

    // A moved-to object keeps the key.
    A b = std::move(a);
    CHECK(b.has_key());
    CHECK(seal_with(b) == expect1);
}

// ------------------------------------------------ re-encryption (perc::aead_recrypt)

static_assert(perc::aead_recrypt<perc::botan::aead_aes_128_gcm>);
static_assert(perc::aead_recrypt<perc::botan::aead_aes_256_gcm>);

TEST_CASE_TEMPLATE("aead_recrypt: open_peek + recrypt equal open + seal of P[0..keep) ‖ tail for "
                   "every size 0..600 and sizes past several keystream batches",
                   A, perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm)
{
    rng r(0x2EC2u + A::key_size);
    std::vector<std::size_t> sizes;
    for (std::size_t n = 0; n <= 600; ++n) sizes.push_back(n);
    for (std::size_t n : {1199u, 1200u, 1201u, 1400u, 1500u, 4113u}) sizes.push_back(n);
    for (const std::size_t in_size : sizes) {
        bytes key_in(A::key_size), key_out(A::key_size), iv_in(12), iv_out(12);
        bytes aad_in(r.below(65)), aad_out(r.below(65)), pt(in_size);
        for (bytes* b : {&key_in, &key_out, &iv_in, &iv_out, &aad_in, &aad_out, &pt}) r.fill(*b);
        A in = keyed<A>(key_in);
        A out = keyed<A>(key_out);
        bytes ct(in_size);
        std::array<std::uint8_t, 16> t_in{};
        REQUIRE(in.seal(fixed<12>(iv_in), perc::aad_view{aad_in}, pt, ct, tag_of(t_in)) ==
                errc::ok);

        // What is kept, what is peeked and what replaces the rest, all at random.
        const std::size_t keep = r.below(static_cast<std::uint32_t>(in_size + 1));
        const std::size_t peek_n =
            r.below(static_cast<std::uint32_t>(std::min<std::size_t>(A::max_peek, in_size) + 1));
        bytes tail(r.below(A::max_peek + 1));
        r.fill(tail);
        bytes want_pt(pt.begin(), pt.begin() + static_cast<std::ptrdiff_t>(keep));
        want_pt.insert(want_pt.end(), tail.begin(), tail.end());
        bytes want(want_pt.size());
        std::array<std::uint8_t, 16> want_tag{};
        REQUIRE(out.seal(fixed<12>(iv_out), perc::aad_view{aad_out}, want_pt, want,
                         tag_of(want_tag)) == errc::ok);

        typename A::recrypt_state st;
        bytes peek(peek_n, 0xEE);
        REQUIRE(in.open_peek(fixed<12>(iv_in), split(aad_in, aad_in.size() / 2), ct,
                             std::span<const std::uint8_t, 16>{t_in}, peek, st) == errc::ok);
        CHECK(st.opened());
        CHECK(peek == bytes(pt.end() - static_cast<std::ptrdiff_t>(peek_n), pt.end()));
        bytes buf(ct.begin(), ct.begin() + static_cast<std::ptrdiff_t>(keep));
        buf.resize(keep + tail.size(), 0x77);
        std::array<std::uint8_t, 16> t_out{};
        REQUIRE(out.recrypt(st, fixed<12>(iv_out), split(aad_out, aad_out.size() / 3), buf, tail,
                            tag_of(t_out)) == errc::ok);
        CHECK_FALSE(st.opened()); // consumed
        if (buf != want || t_out != want_tag) {
            INFO("in ", in_size, " keep ", keep, " tail ", tail.size());
            CHECK(to_hex(buf) == to_hex(want));
            CHECK(to_hex(bytes(t_out.begin(), t_out.end())) ==
                  to_hex(bytes(want_tag.begin(), want_tag.end())));
        }
    }
}

TEST_CASE_TEMPLATE("aead_recrypt: under the same key and nonce, keeping everything re-creates "
                   "the received ciphertext and tag",
                   A, perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm)
{
    A a;
    for (std::size_t n : {0u, 1u, 15u, 16u, 17u, 239u, 240u, 241u, 1200u}) {
        const sealed_fixture f = make_fixture(a, n);
        typename A::recrypt_state st;
        REQUIRE(a.open_peek(fixed<12>(f.iv), split(f.aad, f.at), f.ct,
                            std::span<const std::uint8_t, 16>{f.tag}, {}, st) == errc::ok);
        bytes buf = f.ct;
        std::array<std::uint8_t, 16> t{};
        REQUIRE(a.recrypt(st, fixed<12>(f.iv), perc::aad_view{f.aad}, buf, {}, tag_of(t)) ==
                errc::ok);
        CHECK(buf == f.ct);
        CHECK(t == f.tag);
    }
}

TEST_CASE_TEMPLATE("RFC 7714 §5.3 / aead_recrypt: a forged packet fails open_peek with "
                   "auth_failed; nothing is peeked and recrypt then refuses",
                   A, perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm)
{
    A a;
    const sealed_fixture f = make_fixture(a, 50);
    for (std::size_t bit = 0; bit < 8 * 16; bit += 7) {
        std::array<std::uint8_t, 16> bad = f.tag;
        bad[bit / 8] = static_cast<std::uint8_t>(bad[bit / 8] ^ (1u << (bit % 8)));
        typename A::recrypt_state st;
        bytes peek(4, 0xEE);
        CHECK(a.open_peek(fixed<12>(f.iv), split(f.aad, f.at), f.ct,
                          std::span<const std::uint8_t, 16>{bad}, peek, st) == errc::auth_failed);
        CHECK(peek == bytes(4, 0xEE));
        CHECK_FALSE(st.opened());
        bytes buf = f.ct;
        std::array<std::uint8_t, 16> t{};
        CHECK(a.recrypt(st, fixed<12>(f.iv), perc::aad_view{f.aad}, buf, {}, tag_of(t)) ==
              errc::invalid_argument);
        CHECK(buf == f.ct);
    }
    // A flipped ciphertext bit: the same.
    bytes ct = f.ct;
    ct[49] ^= 0x01;
    typename A::recrypt_state st;
    bytes peek(4, 0xEE);
    CHECK(a.open_peek(fixed<12>(f.iv), split(f.aad, f.at), ct,
                      std::span<const std::uint8_t, 16>{f.tag}, peek, st) == errc::auth_failed);
    CHECK(peek == bytes(4, 0xEE));
}

TEST_CASE_TEMPLATE("aead_recrypt misuse: no key, sizes, overlap, an unopened or reused state — "
                   "precise errors and nothing written",
                   A, perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm)
{
    A a;
    const sealed_fixture f = make_fixture(a, 40);
    const std::span<const std::uint8_t, 16> tag{f.tag};
    typename A::recrypt_state st;
    A unkeyed;
    bytes peek(17, 0xEE);
    CHECK(unkeyed.open_peek(fixed<12>(f.iv), perc::aad_view{f.aad}, f.ct, tag,
                            bytes_span{peek}.first(4), st) == errc::no_key);
    CHECK(a.open_peek(fixed<12>(f.iv), perc::aad_view{f.aad}, f.ct, tag, peek, st) ==
          errc::invalid_argument); // longer than max_peek
    const sealed_fixture g = make_fixture(a, 3);
    CHECK(a.open_peek(fixed<12>(g.iv), perc::aad_view{g.aad}, g.ct,
                      std::span<const std::uint8_t, 16>{g.tag}, bytes_span{peek}.first(4),
                      st) == errc::invalid_argument); // longer than the text
    CHECK(peek == bytes(17, 0xEE));
    CHECK_FALSE(st.opened());

    REQUIRE(a.set_key(fixed<A::key_size>(f.key)) == errc::ok);
    REQUIRE(a.open_peek(fixed<12>(f.iv), split(f.aad, f.at), f.ct, tag, {}, st) == errc::ok);
    const bytes before = f.ct;
    bytes buf = f.ct;
    buf.resize(41, 0x11);
    const bytes buf0 = buf;
    std::array<std::uint8_t, 16> t{};
    const bytes long_tail(17, 0x22);
    CHECK(unkeyed.recrypt(st, fixed<12>(f.iv), perc::aad_view{f.aad}, buf,
                          bytes_view{long_tail}.first(1), tag_of(t)) == errc::no_key);
    CHECK(a.recrypt(st, fixed<12>(f.iv), perc::aad_view{f.aad}, buf, long_tail, tag_of(t)) ==
          errc::invalid_argument); // tail longer than max_peek
    buf.resize(42, 0x11);
    CHECK(a.recrypt(st, fixed<12>(f.iv), perc::aad_view{f.aad}, buf, bytes_view{long_tail}.first(1),
                    tag_of(t)) == errc::invalid_argument); // keeps 41 of the 40 octets opened
    buf.resize(41);
    CHECK(a.recrypt(st, fixed<12>(f.iv), perc::aad_view{f.aad}, buf, bytes_view{buf}.last(1),
                    tag_of(t)) == errc::buffer_overlap);
    CHECK(buf == buf0);
    CHECK(st.opened()); // none of those consumed it
    CHECK(a.recrypt(st, fixed<12>(f.iv), perc::aad_view{f.aad}, bytes_span{buf}.first(40), {},
                    tag_of(t)) == errc::ok);
    CHECK(bytes(buf.begin(), buf.begin() + 40) == before);
    CHECK(a.recrypt(st, fixed<12>(f.iv), perc::aad_view{f.aad}, bytes_span{buf}.first(40), {},
                    tag_of(t)) == errc::invalid_argument); // consumed
}
