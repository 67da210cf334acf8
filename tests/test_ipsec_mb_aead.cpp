// Intel IPsec-MB AES-GCM adapter (perc::ipsec_mb::aead_gcm): McGrew–Viega / NIST GCM known
// answers and the raw GCM values of RFC 7714 §16/§17, the Botan adapter as an independent
// oracle (sizes 0..600, split and long AADs), and the open() contract of RFC 7714 §5.3 (verify
// first; `out` untouched on failure) — on every IPsec-MB code path this CPU can run.
#include <perc/ipsec_mb/aead.hpp>

#include "gcm_vectors.hpp"
#include "test_util.hpp"

#include <perc/botan/aead.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

using namespace perc_test;

namespace {

using perc::errc;

/// The library code paths this CPU can run (IMB_ARCH_NONE = the automatic choice).
std::vector<IMB_ARCH> arches()
{
    std::vector<IMB_ARCH> v;
    for (IMB_ARCH a : {IMB_ARCH_NONE, IMB_ARCH_SSE, IMB_ARCH_AVX, IMB_ARCH_AVX2, IMB_ARCH_AVX512})
        if (perc::ipsec_mb::arch_supported(a)) v.push_back(a);
    return v;
}

template <class A>
A keyed(const bytes& key, IMB_ARCH arch = IMB_ARCH_NONE)
{
    A a;
    REQUIRE(a.set_key(fixed<A::key_size>(key), arch) == errc::ok);
    REQUIRE(a.has_key());
    return a;
}

/// The Botan adapter for the same suite (independent AES and GHASH code).
template <class A>
using oracle_of = perc::botan::aead_gcm<typename A::suite>;

template <class A>
oracle_of<A> oracle_keyed(const bytes& key)
{
    oracle_of<A> o;
    REQUIRE(o.set_key(fixed<A::key_size>(key)) == errc::ok);
    return o;
}

perc::aad_view split(const bytes& aad, std::size_t at)
{
    const perc::bytes_view v{aad};
    return perc::aad_view{v.first(at), v.subspan(at)};
}

using tag_t = std::array<std::uint8_t, 16>;
std::span<std::uint8_t, 16> tag_of(tag_t& t)
{
    return t;
}
std::span<const std::uint8_t, 16> ctag(const tag_t& t)
{
    return t;
}

template <class A>
void check_vector(const gcm_vector& v, IMB_ARCH arch)
{
    INFO(v.name, " arch ", static_cast<int>(arch));
    const bytes key = from_hex(v.key), iv = from_hex(v.iv), aad = from_hex(v.aad),
                pt = from_hex(v.pt), ct = from_hex(v.ct), tag = from_hex(v.tag);
    REQUIRE(key.size() == A::key_size);
    REQUIRE(ct.size() == pt.size());
    A a = keyed<A>(key, arch);
    const auto nonce = fixed<12>(iv);
    for (std::size_t at = 0; at <= aad.size(); ++at) {
        // Seal out of place and in place, the AAD split at every point (RFC 7714 §9.2).
        bytes out(pt.size(), 0xA5);
        tag_t t{};
        REQUIRE(a.seal(nonce, split(aad, at), pt, out, tag_of(t)) == errc::ok);
        CHECK(to_hex(out) == to_hex(ct));
        CHECK(to_hex(t) == to_hex(tag));
        bytes buf = pt;
        tag_t t2{};
        REQUIRE(a.seal(nonce, split(aad, at), buf, buf, tag_of(t2)) == errc::ok);
        CHECK(to_hex(buf) == to_hex(ct));
        CHECK(to_hex(t2) == to_hex(tag));
        // Open out of place and in place.
        bytes back(ct.size(), 0xA5);
        REQUIRE(a.open(nonce, split(aad, at), ct, fixed<16>(tag), back) == errc::ok);
        CHECK(to_hex(back) == to_hex(pt));
        REQUIRE(a.open(nonce, split(aad, at), buf, fixed<16>(tag), buf) == errc::ok);
        CHECK(to_hex(buf) == to_hex(pt));
    }
}

template <class A>
void check_all(const gcm_vector* begin, const gcm_vector* end)
{
    for (IMB_ARCH arch : arches())
        for (const gcm_vector* v = begin; v != end; ++v) check_vector<A>(*v, arch);
}

/// Seals (pt, aad split at `at`) with the adapter and the oracle; checks equality, then opens
/// the result with a different split, out of place and in place.
template <class A>
void compare_with_oracle(A& a, oracle_of<A>& o, const bytes& iv, const bytes& aad, std::size_t at,
                         const bytes& pt)
{
    tag_t t{}, ot{};
    bytes out(pt.size(), 0xA5), oout(pt.size(), 0x5A);
    REQUIRE(a.seal(fixed<12>(iv), split(aad, at), pt, out, tag_of(t)) == errc::ok);
    REQUIRE(o.seal(fixed<12>(iv), split(aad, at), pt, oout, tag_of(ot)) == errc::ok);
    if (out != oout || t != ot) {
        INFO("pt ", pt.size(), " aad ", aad.size(), " split ", at);
        CHECK(to_hex(out) == to_hex(oout));
        CHECK(to_hex(t) == to_hex(ot));
    }
    bytes buf = pt;
    tag_t t2{};
    REQUIRE(a.seal(fixed<12>(iv), split(aad, at), buf, buf, tag_of(t2)) == errc::ok);
    CHECK(buf == oout);
    CHECK(t2 == ot);
    const std::size_t other = aad.size() - at;
    bytes back(pt.size(), 0xC3);
    REQUIRE(a.open(fixed<12>(iv), split(aad, other), oout, ctag(ot), back) == errc::ok);
    CHECK(back == pt);
    REQUIRE(a.open(fixed<12>(iv), split(aad, other), buf, ctag(ot), buf) == errc::ok);
    CHECK(buf == pt);
}

} // namespace

TEST_CASE("IPsec-MB GCM known answers (McGrew–Viega cases 2-4), AES-128, every arch")
{
    check_all<perc::ipsec_mb::aead_aes_128_gcm>(std::begin(nist128), std::end(nist128));
}

TEST_CASE("IPsec-MB GCM known answers (McGrew–Viega cases 14-16), AES-256, every arch")
{
    check_all<perc::ipsec_mb::aead_aes_256_gcm>(std::begin(nist256), std::end(nist256));
}

TEST_CASE("IPsec-MB: RFC 7714 §16.1.1/§16.1.3/§17.1/§17.3 raw AEAD_AES_128_GCM values")
{
    check_all<perc::ipsec_mb::aead_aes_128_gcm>(std::begin(rfc128), std::end(rfc128));
}

TEST_CASE("IPsec-MB: RFC 7714 §16.2.1/§16.2.3/§17.2/§17.4 raw AEAD_AES_256_GCM values")
{
    check_all<perc::ipsec_mb::aead_aes_256_gcm>(std::begin(rfc256), std::end(rfc256));
}

TEST_CASE("IPsec-MB: at least the automatic code path is available")
{
    CHECK(perc::ipsec_mb::arch_supported(IMB_ARCH_NONE));
    CHECK_FALSE(arches().empty());
    CHECK(arches().front() == IMB_ARCH_NONE);
}

TEST_CASE_TEMPLATE("IPsec-MB oracle: every plaintext size 0..600 with a random split AAD equals "
                   "the Botan adapter, in place and out of place",
                   A, perc::ipsec_mb::aead_aes_128_gcm, perc::ipsec_mb::aead_aes_256_gcm)
{
    for (IMB_ARCH arch : arches()) {
        INFO("arch ", static_cast<int>(arch));
        rng r(0x1B5ECu + A::key_size + static_cast<unsigned>(arch));
        for (std::size_t ps = 0; ps <= 600; ++ps) {
            bytes key(A::key_size), iv(12), aad(r.below(101)), pt(ps);
            r.fill(key);
            r.fill(iv);
            r.fill(aad);
            r.fill(pt);
            A a = keyed<A>(key, arch);
            auto o = oracle_keyed<A>(key);
            compare_with_oracle(a, o, iv, aad, r.below(static_cast<std::uint32_t>(aad.size() + 1)),
                                pt);
        }
    }
}

TEST_CASE_TEMPLATE("IPsec-MB oracle: every AAD size 0..100 split at every point (RFC 7714 §9.2 "
                   "two-piece AAD)",
                   A, perc::ipsec_mb::aead_aes_128_gcm, perc::ipsec_mb::aead_aes_256_gcm)
{
    rng r(0xAAD0u + A::key_size);
    bytes key(A::key_size);
    r.fill(key);
    A a = keyed<A>(key);
    auto o = oracle_keyed<A>(key);
    for (std::size_t aad_size = 0; aad_size <= 100; ++aad_size) {
        bytes iv(12), aad(aad_size), pt(r.below(50));
        r.fill(iv);
        r.fill(aad);
        r.fill(pt);
        for (std::size_t at = 0; at <= aad_size; ++at) compare_with_oracle(a, o, iv, aad, at, pt);
    }
}

TEST_CASE_TEMPLATE("IPsec-MB oracle: long two-piece AAD (RFC 7714 §9.3, SRTCP E = 0) on both "
                   "sides of joined_aad_max",
                   A, perc::ipsec_mb::aead_aes_128_gcm, perc::ipsec_mb::aead_aes_256_gcm)
{
    constexpr std::size_t m = A::joined_aad_max;
    rng r(0x10A6u + A::key_size);
    for (IMB_ARCH arch : arches()) {
        bytes key(A::key_size);
        r.fill(key);
        A a = keyed<A>(key, arch);
        auto o = oracle_keyed<A>(key);
        for (std::size_t aad_size :
             {m - 1, m, m + 1, m + 4, m + 15, m + 16, m + 17, std::size_t{1500 - 16 + 4}}) {
            for (std::size_t at :
                 {std::size_t{0}, std::size_t{1}, std::size_t{15}, std::size_t{16}, std::size_t{17},
                  aad_size / 2, aad_size - 4, aad_size - 1, aad_size}) {
                for (std::size_t ps : {0u, 1u, 16u, 100u}) {
                    bytes iv(12), aad(aad_size), pt(ps);
                    r.fill(iv);
                    r.fill(aad);
                    r.fill(pt);
                    compare_with_oracle(a, o, iv, aad, at, pt);
                }
            }
        }
    }
}

TEST_CASE_TEMPLATE("IPsec-MB oracle: text and AAD sizes on both sides of ghash_linear_max (one "
                   "GHASH call from the stack vs piecewise in place)",
                   A, perc::ipsec_mb::aead_aes_128_gcm, perc::ipsec_mb::aead_aes_256_gcm)
{
    constexpr std::size_t l = A::ghash_linear_max;
    rng r(0x11AEu + A::key_size);
    for (IMB_ARCH arch : arches()) {
        bytes key(A::key_size);
        r.fill(key);
        A a = keyed<A>(key, arch);
        auto o = oracle_keyed<A>(key);
        for (std::size_t aad_size : {0u, 12u, 48u, 63u, 64u, 65u, 80u}) {
            const std::size_t a_pad = (aad_size + 15) / 16 * 16;
            for (std::size_t ps :
                 {l - a_pad - 33, l - a_pad - 32, l - a_pad - 31, l - a_pad - 17, l - a_pad - 16,
                  l - a_pad - 15, l - a_pad, l, l + 1, 2 * l + 5}) {
                bytes iv(12), aad(aad_size), pt(ps);
                r.fill(iv);
                r.fill(aad);
                r.fill(pt);
                compare_with_oracle(a, o, iv, aad,
                                    r.below(static_cast<std::uint32_t>(aad_size + 1)), pt);
            }
        }
    }
}

TEST_CASE_TEMPLATE(
    "IPsec-MB open: RFC 7714 §5.3 — any flipped bit of tag, ciphertext or either AAD "
    "piece gives auth_failed and leaves `out` untouched",
    A, perc::ipsec_mb::aead_aes_128_gcm, perc::ipsec_mb::aead_aes_256_gcm)
{
    rng r(0xBAD7A6u + A::key_size);
    for (IMB_ARCH arch : arches()) {
        bytes key(A::key_size), iv(12), aad(12), pt(45);
        r.fill(key);
        r.fill(iv);
        r.fill(aad);
        r.fill(pt);
        A a = keyed<A>(key, arch);
        bytes ct(pt.size());
        tag_t tag{};
        REQUIRE(a.seal(fixed<12>(iv), split(aad, 8), pt, ct, tag_of(tag)) == errc::ok);

        auto expect_rejected = [&](const bytes& c, const bytes& ad, const tag_t& t) {
            const bytes sentinel(c.size(), 0xEE);
            bytes out = sentinel;
            CHECK(a.open(fixed<12>(iv), split(ad, 8), c, ctag(t), out) == errc::auth_failed);
            CHECK(out == sentinel); // disjoint output untouched
            bytes buf = c;
            CHECK(a.open(fixed<12>(iv), split(ad, 8), buf, ctag(t), buf) == errc::auth_failed);
            CHECK(buf == c); // in place: ciphertext still there
        };
        for (std::size_t bit = 0; bit < 128; ++bit) {
            tag_t t = tag;
            t[bit / 8] = static_cast<std::uint8_t>(t[bit / 8] ^ (1u << (bit % 8)));
            expect_rejected(ct, aad, t);
        }
        for (std::size_t bit = 0; bit < 8 * ct.size(); bit += 7) {
            bytes c = ct;
            c[bit / 8] = static_cast<std::uint8_t>(c[bit / 8] ^ (1u << (bit % 8)));
            expect_rejected(c, aad, tag);
        }
        for (std::size_t bit = 0; bit < 8 * aad.size(); ++bit) { // first piece 0..63, second 64..95
            bytes ad = aad;
            ad[bit / 8] = static_cast<std::uint8_t>(ad[bit / 8] ^ (1u << (bit % 8)));
            expect_rejected(ct, ad, tag);
        }
        // Moving octets between the two AAD pieces changes nothing (they are concatenated).
        bytes out(ct.size());
        CHECK(a.open(fixed<12>(iv), split(aad, 3), ct, ctag(tag), out) == errc::ok);
        CHECK(out == pt);
        // A different nonce is a different key stream and tag mask.
        bytes iv2 = iv;
        iv2[11] ^= 1;
        const bytes sentinel(ct.size(), 0xEE);
        bytes out2 = sentinel;
        CHECK(a.open(fixed<12>(iv2), split(aad, 8), ct, ctag(tag), out2) == errc::auth_failed);
        CHECK(out2 == sentinel);
    }
}

TEST_CASE_TEMPLATE("IPsec-MB misuse: no_key, size mismatch, partial overlap; moved-from has no key",
                   A, perc::ipsec_mb::aead_aes_128_gcm, perc::ipsec_mb::aead_aes_256_gcm)
{
    const bytes key(A::key_size, 0x42), iv(12, 0x24), aad(8, 0x11);
    bytes buf(64, 0x33);
    tag_t t{};
    A none;
    CHECK_FALSE(none.has_key());
    CHECK(none.seal(fixed<12>(iv), split(aad, 8), buf, buf, tag_of(t)) == errc::no_key);
    CHECK(none.open(fixed<12>(iv), split(aad, 8), buf, ctag(t), buf) == errc::no_key);

    A a = keyed<A>(key);
    const perc::bytes_view in{buf.data(), 32};
    CHECK(a.seal(fixed<12>(iv), split(aad, 8), in, perc::bytes_span{buf.data() + 32, 31},
                 tag_of(t)) == errc::invalid_argument);
    CHECK(a.seal(fixed<12>(iv), split(aad, 8), in, perc::bytes_span{buf.data() + 1, 32},
                 tag_of(t)) == errc::buffer_overlap);
    const bytes before = buf;
    CHECK(a.open(fixed<12>(iv), split(aad, 8), in, ctag(t),
                 perc::bytes_span{buf.data() + 31, 32}) == errc::buffer_overlap);
    CHECK(a.open(fixed<12>(iv), split(aad, 8), in, ctag(t),
                 perc::bytes_span{buf.data() + 32, 33}) == errc::invalid_argument);
    CHECK(buf == before);

    A b = std::move(a);
    CHECK(b.has_key());
    CHECK_FALSE(a.has_key()); // NOLINT(bugprone-use-after-move): the moved-from state is the test
    CHECK(a.seal(fixed<12>(iv), split(aad, 8), in, perc::bytes_span{buf.data() + 32, 32},
                 tag_of(t)) == errc::no_key);
    CHECK(b.seal(fixed<12>(iv), split(aad, 8), in, perc::bytes_span{buf.data() + 32, 32},
                 tag_of(t)) == errc::ok);
}

TEST_CASE_TEMPLATE("IPsec-MB set_key: re-keying replaces the key; an arch the backend does not "
                   "offer is backend_failure and leaves no key",
                   A, perc::ipsec_mb::aead_aes_128_gcm, perc::ipsec_mb::aead_aes_256_gcm)
{
    rng r(0x4E4Bu + A::key_size);
    bytes k1(A::key_size), k2(A::key_size), iv(12), pt(40);
    r.fill(k1);
    r.fill(k2);
    r.fill(iv);
    r.fill(pt);
    A a = keyed<A>(k1);
    REQUIRE(a.set_key(fixed<A::key_size>(k2)) == errc::ok);
    auto o = oracle_keyed<A>(k2);
    const bytes aad(5, 0x77);
    compare_with_oracle(a, o, iv, aad, 2, pt);

    // IMB_ARCH_NOAESNI is deliberately not offered (see perc/ipsec_mb/manager.hpp).
    CHECK(a.set_key(fixed<A::key_size>(k1), IMB_ARCH_NOAESNI) == errc::backend_failure);
    CHECK_FALSE(a.has_key());
    tag_t t{};
    bytes out(pt.size());
    CHECK(a.seal(fixed<12>(iv), split(aad, 5), pt, out, tag_of(t)) == errc::no_key);
}

TEST_CASE_TEMPLATE("IPsec-MB open: both routes (decrypt into wiped scratch up to open_scratch_max, "
                   "verify-first above it, and above joined_aad_max AAD) agree with the oracle and "
                   "leave `out` untouched on a bad tag (RFC 7714 §5.3)",
                   A, perc::ipsec_mb::aead_aes_128_gcm, perc::ipsec_mb::aead_aes_256_gcm)
{
    constexpr std::size_t m = A::open_scratch_max;
    constexpr std::size_t j = A::joined_aad_max;
    rng r(0x5C7A7C4u + A::key_size);
    for (IMB_ARCH arch : arches()) {
        bytes key(A::key_size);
        r.fill(key);
        A a = keyed<A>(key, arch);
        auto o = oracle_keyed<A>(key);
        for (std::size_t aad_size : {std::size_t{12}, j, j + 1}) {
            for (std::size_t ps : {std::size_t{0}, m - 1, m, m + 1}) {
                bytes iv(12), aad(aad_size), pt(ps);
                r.fill(iv);
                r.fill(aad);
                r.fill(pt);
                const std::size_t at = r.below(static_cast<std::uint32_t>(aad_size + 1));
                compare_with_oracle(a, o, iv, aad, at, pt);
                bytes ct(ps);
                tag_t tag{};
                REQUIRE(a.seal(fixed<12>(iv), split(aad, at), pt, ct, tag_of(tag)) == errc::ok);
                tag[ps % 16] ^= 0x40;
                const bytes sentinel(ps, 0xEE);
                bytes out = sentinel;
                CHECK(a.open(fixed<12>(iv), split(aad, at), ct, ctag(tag), out) ==
                      errc::auth_failed);
                CHECK(out == sentinel);
                bytes buf = ct;
                CHECK(a.open(fixed<12>(iv), split(aad, at), buf, ctag(tag), buf) ==
                      errc::auth_failed);
                CHECK(buf == ct);
                tag[ps % 16] ^= 0x40;
                CHECK(a.open(fixed<12>(iv), split(aad, at), buf, ctag(tag), buf) == errc::ok);
                CHECK(buf == pt);
            }
        }
    }
}
