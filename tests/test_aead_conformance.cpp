// One conformance suite for every aead_cipher policy of the Botan backend — AES-128/256-GCM
// (RFC 7714), and the researcher suites ChaCha20-Poly1305 (RFC 8439 §2.8) and AES-128-OCB
// (RFC 7253), which are non-standard for SRTP (no DTLS-SRTP profile): Botan's own AEAD_Mode as
// an independent oracle at every size 0..300 and some large ones, in place and out of place,
// AAD in two pieces; the open() contract (RFC 7714 §5.3: a flipped bit anywhere, a wrong
// nonce or key fails with auth_failed and BOTH buffers stay as they were); misuse errors;
// known answers (RFC 8439 §2.8.2, RFC 7253 Appendix A); each suite as an RFC 7714 layer
// (srtp_aead_transform) checked against the oracle; and RFC 8723 double transforms with the
// new suites in either layer, mixed with AES-GCM, relayed by a Media Distributor that rewrites
// PT, SEQ and M. See docs/adding-a-suite.md for how to add a suite to this list.
#include <perc/botan/research_suites.hpp>

#include <perc/botan/aead.hpp>
#include <perc/botan/aes_cm_kdf.hpp>
#include <perc/botan/double.hpp>
#include <perc/srtp_stream.hpp>
#include <perc/suites.hpp>

#include "test_util.hpp"

#include <botan/aead.h>
#include <botan/mac.h>
#include <botan/secmem.h>

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

using namespace perc_test;
using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

namespace {

// ------------------------------------------------------------------ the policies under test

#define AEAD_POLICIES                                                                              \
    perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm,                                  \
        perc::botan::aead_chacha20_poly1305, perc::botan::aead_aes_128_ocb

#define SRTP_TRANSFORMS                                                                            \
    perc::botan::srtp_aes_128_gcm, perc::botan::srtp_aes_256_gcm,                                  \
        perc::botan::srtp_chacha20_poly1305, perc::botan::srtp_aes_128_ocb

// Same suite in both layers, and mixes (inner first).
#define DOUBLE_TRANSFORMS                                                                          \
    perc::botan::double_aes_128_gcm, perc::botan::double_chacha20_poly1305,                        \
        perc::botan::double_aes_128_ocb, perc::botan::double_chacha20_poly1305_aes_128_gcm,        \
        perc::botan::double_aes_128_ocb_chacha20_poly1305,                                         \
        perc::double_endpoint<perc::botan::srtp_aes_256_gcm, perc::botan::srtp_aes_128_ocb>

/// Botan's name of the same algorithm, for its AEAD_Mode (a different code path: Botan's
/// GCM_Mode, ChaCha20Poly1305_Mode and OCB_Mode).
template <class A>
constexpr const char* oracle_name()
{
    using S = typename A::suite;
    if constexpr (std::is_same_v<S, perc::aead_aes_128_gcm>) return "AES-128/GCM";
    else if constexpr (std::is_same_v<S, perc::aead_aes_256_gcm>) return "AES-256/GCM";
    else if constexpr (std::is_same_v<S, perc::aead_chacha20_poly1305>) return "ChaCha20Poly1305";
    else return "AES-128/OCB(16)";
}

/// Botan AEAD_Mode encryption: ciphertext ‖ tag.
template <class A>
bytes oracle_seal(const bytes& key, const bytes& nonce, const bytes& aad, const bytes& pt)
{
    auto mode = Botan::AEAD_Mode::create(oracle_name<A>(), Botan::ENCRYPTION);
    REQUIRE(mode != nullptr);
    mode->set_key(key.data(), key.size());
    mode->set_associated_data(aad.data(), aad.size());
    mode->start(nonce.data(), nonce.size());
    Botan::secure_vector<std::uint8_t> buf(pt.begin(), pt.end());
    mode->finish(buf);
    return bytes(buf.begin(), buf.end());
}

template <class A>
void key(A& a, const bytes& k)
{
    REQUIRE(name(a.set_key(fixed<A::key_size>(k))) == "ok");
    REQUIRE(a.has_key());
}

perc::aad_view split(const bytes& aad, std::size_t at)
{
    const bytes_view v{aad};
    return perc::aad_view{v.first(at), v.subspan(at)};
}

bytes concat(const bytes& a, const bytes& b)
{
    bytes c = a;
    c.insert(c.end(), b.begin(), b.end());
    return c;
}

bytes flip(bytes b, std::size_t bit)
{
    b[bit / 8] = static_cast<std::uint8_t>(b[bit / 8] ^ (1u << (bit % 8)));
    return b;
}

bytes random_bytes(rng& r, std::size_t n)
{
    bytes b(n);
    r.fill(b);
    return b;
}

/// Seals `pt` four ways (out of place, in place; AAD whole and split at `at`) and checks they
/// agree with the oracle; opens out of place and in place. Returns ciphertext ‖ tag.
template <class A>
bytes round_trip(A& a, const bytes& k, const bytes& nonce, const bytes& aad, std::size_t at,
                 const bytes& pt)
{
    const bytes want = oracle_seal<A>(k, nonce, aad, pt);
    const std::size_t n = pt.size();
    bytes out(n, 0xA5);
    std::array<std::uint8_t, 16> tag{};
    REQUIRE(name(a.seal(fixed<12>(nonce), split(aad, at), pt, out, tag)) == "ok");
    const bytes sealed = concat(out, bytes(tag.begin(), tag.end()));
    if (sealed != want) {
        INFO(oracle_name<A>(), " pt ", n, " aad ", aad.size(), " split ", at);
        CHECK(to_hex(sealed) == to_hex(want));
    }
    bytes buf = pt;
    std::array<std::uint8_t, 16> tag2{};
    REQUIRE(name(a.seal(fixed<12>(nonce), perc::aad_view{aad}, buf, buf, tag2)) == "ok");
    CHECK(buf == out);
    CHECK(tag2 == tag);

    const std::span<const std::uint8_t, 16> t{tag};
    bytes back(n, 0x5A);
    REQUIRE(name(a.open(fixed<12>(nonce), split(aad, aad.size() - at), out, t, back)) == "ok");
    CHECK(back == pt);
    REQUIRE(name(a.open(fixed<12>(nonce), split(aad, at), buf, t, buf)) == "ok");
    CHECK(buf == pt);
    return sealed;
}

/// open() must fail with auth_failed and leave the input, an out-of-place output
/// (sentinel-filled) and an in-place buffer exactly as they were (RFC 7714 §5.3; DESIGN
/// rule 5).
template <class A>
void expect_rejected(A& a, const bytes& nonce, perc::aad_view aad, const bytes& ct,
                     const bytes& tag)
{
    const std::span<const std::uint8_t, 16> t{tag.data(), 16};
    const bytes in = ct;
    bytes out(ct.size(), 0xA5);
    CHECK(name(a.open(fixed<12>(nonce), aad, in, t, out)) == "auth_failed");
    CHECK(out == bytes(ct.size(), 0xA5));
    CHECK(in == ct);
    bytes buf = ct;
    CHECK(name(a.open(fixed<12>(nonce), aad, buf, t, buf)) == "auth_failed");
    CHECK(buf == ct);
}

struct sealed_case {
    bytes k, nonce, aad, pt, ct, tag;
    std::size_t at = 0;
};

template <class A>
sealed_case make_case(A& a, std::size_t pt_size, std::uint64_t seed)
{
    rng r(seed);
    sealed_case c;
    c.k = random_bytes(r, A::key_size);
    c.nonce = random_bytes(r, 12);
    c.aad = random_bytes(r, 20);
    c.pt = random_bytes(r, pt_size);
    c.at = 7;
    key(a, c.k);
    c.ct.resize(pt_size);
    std::array<std::uint8_t, 16> t{};
    REQUIRE(name(a.seal(fixed<12>(c.nonce), split(c.aad, c.at), c.pt, c.ct, t)) == "ok");
    c.tag.assign(t.begin(), t.end());
    return c;
}

} // namespace

// ------------------------------------------------------------------ descriptors

TEST_CASE("conformance: the researcher suites are non-standard — no DTLS-SRTP profile")
{
    static_assert(perc::has_dtls_srtp_profile<perc::aead_aes_128_gcm>);
    static_assert(perc::has_dtls_srtp_profile<perc::aead_aes_256_gcm>);
    static_assert(!perc::has_dtls_srtp_profile<perc::aead_chacha20_poly1305>);
    static_assert(!perc::has_dtls_srtp_profile<perc::aead_aes_128_ocb>);
    CHECK(perc::aead_chacha20_poly1305::name == "AEAD_CHACHA20_POLY1305"); // RFC 8439 §2.8
    CHECK(perc::aead_aes_128_ocb::name == "AEAD_AES_128_OCB_TAGLEN128");   // RFC 7253 §3.1
    CHECK(perc::aead_chacha20_poly1305::status == "non-standard: no DTLS-SRTP profile");
    CHECK(perc::aead_aes_128_ocb::status == "non-standard: no DTLS-SRTP profile");
    // Not negotiable: no profile table entry under either name.
    CHECK(perc::find_profile(perc::aead_chacha20_poly1305::name) == nullptr);
    CHECK(perc::find_profile(perc::aead_aes_128_ocb::name) == nullptr);
    // RFC 8439 §2.8: P_MAX = 274,877,906,880 octets.
    CHECK(perc::aead_chacha20_poly1305::max_plaintext_size == 274877906880ull);
    // The KDF pairing (docs/adding-a-suite.md): master key size = AEAD key size.
    static_assert(perc::botan::srtp_chacha20_poly1305::master_key_size == 32);
    static_assert(perc::botan::srtp_aes_128_ocb::master_key_size == 16);
    static_assert(perc::botan::double_chacha20_poly1305_aes_128_gcm::master_key_size == 48);
    static_assert(perc::botan::double_chacha20_poly1305_aes_128_gcm::master_salt_size == 24);
    static_assert(perc::botan::double_aes_128_ocb_chacha20_poly1305::max_overhead == 16 + 4 + 16);
}

// ------------------------------------------------------------------ known answers

TEST_CASE("conformance: RFC 8439 §2.8.2 AEAD_CHACHA20_POLY1305 test vector")
{
    const bytes k = from_hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
    const bytes nonce = from_hex("070000004041424344454647");
    const bytes aad = from_hex("50515253c0c1c2c3c4c5c6c7");
    const std::string text = "Ladies and Gentlemen of the class of '99: If I could offer you only "
                             "one tip for the future, sunscreen would be it.";
    const bytes pt(text.begin(), text.end());
    const bytes ct = from_hex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                              "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                              "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                              "3ff4def08e4b7a9de576d26586cec64b6116");
    const bytes tag = from_hex("1ae10b594f09e26a7e902ecbd0600691");
    REQUIRE(pt.size() == 114);
    perc::botan::aead_chacha20_poly1305 a;
    key(a, k);
    for (std::size_t at = 0; at <= aad.size(); ++at) {
        const bytes sealed = round_trip(a, k, nonce, aad, at, pt);
        CHECK(to_hex(sealed) == to_hex(concat(ct, tag)));
    }
    expect_rejected(a, nonce, perc::aad_view{aad}, ct, flip(tag, 0));
}

namespace {

// RFC 7253 Appendix A: K = 000102030405060708090A0B0C0D0E0F, TAGLEN 128, N =
// BBAA99887766554433221100
// + i; A and P are prefixes of 000102...; C is ciphertext ‖ tag.
struct ocb_vector {
    unsigned n_low;
    std::size_t a_size, p_size;
    const char* c;
};
constexpr ocb_vector rfc7253_vectors[] = {
    {0x0, 0, 0, "785407BFFFC8AD9EDCC5520AC9111EE6"},
    {0x1, 8, 8, "6820B3657B6F615A5725BDA0D3B4EB3A257C9AF1F8F03009"},
    {0x2, 8, 0, "81017F8203F081277152FADE694A0A00"},
    {0x3, 0, 8, "45DD69F8F5AAE72414054CD1F35D82760B2CD00D2F99BFA9"},
    {0x4, 16, 16, "571D535B60B277188BE5147170A9A22C3AD7A4FF3835B8C5701C1CCEC8FC3358"},
    {0x5, 16, 0, "8CF761B6902EF764462AD86498CA6B97"},
    {0x6, 0, 16, "5CE88EC2E0692706A915C00AEB8B2396F40E1C743F52436BDF06D8FA1ECA343D"},
    {0x7, 24, 24,
     "1CA2207308C87C010756104D8840CE1952F09673A448A122C92C62241051F57356D7F3C90BB0E07F"},
    {0x8, 24, 0, "6DC225A071FC1B9F7C69F93B0F1E10DE"},
    {0x9, 0, 24,
     "221BD0DE7FA6FE993ECCD769460A0AF2D6CDED0C395B1C3CE725F32494B9F914D85C0B1EB38357FF"},
    {0xA, 32, 32,
     "BD6F6C496201C69296C11EFD138A467ABD3C707924B964DEAFFC40319AF5A48540FBBA186C5553C68AD9F592A"
     "79A4240"},
    {0xB, 32, 0, "FE80690BEE8A485D11F32965BC9D2A32"},
    {0xC, 0, 32,
     "2942BFC773BDA23CABC6ACFD9BFD5835BD300F0973792EF46040C53F1432BCDFB5E1DDE3BC18A5F840B52E653"
     "444D5DF"},
    {0xD, 40, 40,
     "D5CA91748410C1751FF8A2F618255B68A0A12E093FF454606E59F9C1D0DDC54B65E8628E568BAD7AED07BA06A"
     "4A69483A7035490C5769E60"},
    {0xE, 40, 0, "C5CD9D1850C141E358649994EE701B68"},
    {0xF, 0, 40,
     "4412923493C57D5DE0D700F753CCE0D1D2D95060122E9F15A5DDBFC5787E50B5CC55EE507BCB084E479AD363A"
     "C366B95A98CA5F3000B1479"},
};

bytes counting(std::size_t n)
{
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i);
    return b;
}

} // namespace

TEST_CASE("conformance: the ChaCha20-Poly1305 adapter's Poly1305 one-time key does not outlive "
          "its packet — Botan's Poly1305 empties its state at final()")
{
    // docs/adding-a-suite.md relies on it: chacha20_poly1305 keys Botan's Poly1305 with each
    // packet's one-time key (RFC 8439 §2.6) and cannot wipe it through the public interface.
    auto poly = Botan::MessageAuthenticationCode::create_or_throw("Poly1305");
    std::array<std::uint8_t, 32> otk{};
    otk[0] = 1;
    poly->set_key(otk.data(), otk.size());
    const std::uint8_t msg[20] = {};
    poly->update(msg, sizeof msg);
    std::array<std::uint8_t, 16> t{};
    poly->final(t.data());
    CHECK_THROWS_AS(poly->update(msg, sizeof msg), Botan::Key_Not_Set);
}

TEST_CASE("conformance: RFC 7253 Appendix A AEAD_AES_128_OCB_TAGLEN128 sample results")
{
    const bytes k = from_hex("000102030405060708090A0B0C0D0E0F");
    perc::botan::aead_aes_128_ocb a;
    key(a, k);
    for (const ocb_vector& v : rfc7253_vectors) {
        CAPTURE(v.n_low);
        bytes nonce = from_hex("BBAA99887766554433221100");
        nonce[11] = static_cast<std::uint8_t>(nonce[11] | v.n_low);
        const bytes aad = counting(v.a_size), pt = counting(v.p_size), c = from_hex(v.c);
        for (std::size_t at = 0; at <= aad.size(); ++at) {
            const bytes sealed = round_trip(a, k, nonce, aad, at, pt);
            CHECK(to_hex(sealed) == to_hex(c));
        }
        const bytes ct(c.begin(), c.end() - 16), tag(c.end() - 16, c.end());
        expect_rejected(a, nonce, perc::aad_view{aad}, ct, flip(tag, 127));
    }
}

TEST_CASE("conformance: RFC 7253 Appendix A iterated test, AEAD_AES_128_OCB_TAGLEN128")
{
    // K = zeros(KEYLEN − 8) ‖ num2str(TAGLEN, 8); for i = 0..127, S = zeros(8i):
    //   C ‖= OCB-ENCRYPT(K, num2str(3i+1, 96), S, S) ‖ OCB-ENCRYPT(K, num2str(3i+2, 96), <>, S)
    //        ‖ OCB-ENCRYPT(K, num2str(3i+3, 96), S, <>);
    // Output: OCB-ENCRYPT(K, num2str(385, 96), C, <>) = 67E944D23256C5E0B6C61FA22FDF1EA2.
    bytes k(16, 0);
    k[15] = 128;
    perc::botan::aead_aes_128_ocb a;
    key(a, k);
    auto nonce = [](std::uint32_t v) {
        bytes n(12, 0);
        perc::store_be32(n.data() + 8, v);
        return n;
    };
    auto encrypt = [&](const bytes& n, const bytes& aad, const bytes& pt) {
        bytes out(pt.size());
        std::array<std::uint8_t, 16> t{};
        REQUIRE(name(a.seal(fixed<12>(n), perc::aad_view{aad}, pt, out, t)) == "ok");
        out.insert(out.end(), t.begin(), t.end());
        return out;
    };
    bytes c;
    for (std::uint32_t i = 0; i < 128; ++i) {
        const bytes s(i, 0);
        const bytes c1 = encrypt(nonce(3 * i + 1), s, s);
        const bytes c2 = encrypt(nonce(3 * i + 2), {}, s);
        const bytes c3 = encrypt(nonce(3 * i + 3), s, {});
        c.insert(c.end(), c1.begin(), c1.end());
        c.insert(c.end(), c2.begin(), c2.end());
        c.insert(c.end(), c3.begin(), c3.end());
    }
    CHECK(c.size() == 22400); // as the RFC states for TAGLEN 128
    CHECK(to_hex(encrypt(nonce(385), c, {})) == "67e944d23256c5e0b6c61fa22fdf1ea2");
}

// ------------------------------------------------------------------ oracle and round trips

TEST_CASE_TEMPLATE("conformance: seal equals Botan's AEAD_Mode and open round-trips, every size "
                   "0..300 and large ones, in place and out of place",
                   A, AEAD_POLICIES)
{
    rng r(0xC0F0u + A::key_size + sizeof(A));
    A a;
    std::vector<std::size_t> sizes;
    for (std::size_t n = 0; n <= 300; ++n) sizes.push_back(n);
    // Batch and scratch boundaries of the adapters (16-block batches, OCB's 1536-octet
    // scratch, ChaCha's 64-octet blocks and 512-octet Botan buffer), and a jumbo payload.
    for (std::size_t n : {511u, 512u, 513u, 1023u, 1535u, 1536u, 1537u, 3073u, 9000u, 65543u})
        sizes.push_back(n);
    for (std::size_t n : sizes) {
        CAPTURE(n);
        const bytes k = random_bytes(r, A::key_size), nonce = random_bytes(r, 12);
        const bytes aad = random_bytes(r, r.below(80)), pt = random_bytes(r, n);
        key(a, k);
        const std::size_t at = r.below(static_cast<std::uint32_t>(aad.size() + 1));
        (void)round_trip(a, k, nonce, aad, at, pt);
    }
}

TEST_CASE_TEMPLATE("conformance: associated data of every size 0..100 in two pieces, split at "
                   "every point, authenticates as the concatenation (aad_view)",
                   A, AEAD_POLICIES)
{
    rng r(0xAADu + A::key_size + sizeof(A));
    A a;
    for (std::size_t aad_size = 0; aad_size <= 100; ++aad_size) {
        const bytes k = random_bytes(r, A::key_size), nonce = random_bytes(r, 12);
        const bytes aad = random_bytes(r, aad_size);
        key(a, k);
        for (std::size_t ps : {std::size_t{0}, std::size_t{1}, std::size_t{17}, std::size_t{48}}) {
            const bytes pt = random_bytes(r, ps);
            const bytes want = oracle_seal<A>(k, nonce, aad, pt);
            for (std::size_t at = 0; at <= aad_size; ++at) {
                bytes out(ps);
                std::array<std::uint8_t, 16> t{};
                REQUIRE(name(a.seal(fixed<12>(nonce), split(aad, at), pt, out, t)) == "ok");
                const bytes got = concat(out, bytes(t.begin(), t.end()));
                if (got != want) {
                    INFO("aad ", aad_size, " split ", at, " pt ", ps);
                    CHECK(to_hex(got) == to_hex(want));
                }
            }
        }
    }
}

// ------------------------------------------------------------------ the open() contract

TEST_CASE_TEMPLATE("conformance: RFC 7714 §5.3 — every flipped bit of tag, ciphertext and AAD, "
                   "a wrong nonce or key: auth_failed, input and output unchanged",
                   A, AEAD_POLICIES)
{
    // 0: empty payload; 50: partial last block; 64: whole blocks; 1600: beyond OCB's
    // out-of-place scratch (its two-pass path).
    for (std::size_t n : {std::size_t{0}, std::size_t{50}, std::size_t{64}, std::size_t{1600}}) {
        CAPTURE(n);
        A a;
        const sealed_case c = make_case(a, n, 0xBADu + n);
        const perc::aad_view aad = split(c.aad, c.at);
        const std::size_t stride = n > 100 ? 13 : 1;

        for (std::size_t bit = 0; bit < 128; ++bit)
            expect_rejected(a, c.nonce, aad, c.ct, flip(c.tag, bit));
        for (std::size_t bit = 0; bit < 8 * c.ct.size(); bit += stride)
            expect_rejected(a, c.nonce, aad, flip(c.ct, bit), c.tag);
        for (std::size_t bit = 0; bit < 8 * c.aad.size(); ++bit) {
            const bytes d = flip(c.aad, bit);
            expect_rejected(a, c.nonce, split(d, c.at), c.ct, c.tag);
        }
        // Wrong nonce: every single-bit change (RFC 7714 §8.1 IVs differ in SSRC/ROC/SEQ bits).
        for (std::size_t bit = 0; bit < 96; ++bit)
            expect_rejected(a, flip(c.nonce, bit), aad, c.ct, c.tag);
        // Wrong key.
        {
            A other;
            key(other, flip(c.k, 5));
            expect_rejected(other, c.nonce, aad, c.ct, c.tag);
        }
        // The AAD/ciphertext boundary moved, truncated or extended ciphertext.
        if (!c.ct.empty()) {
            const bytes longer_aad = concat(c.aad, bytes{c.ct[0]});
            expect_rejected(a, c.nonce, perc::aad_view{longer_aad},
                            bytes(c.ct.begin() + 1, c.ct.end()), c.tag);
            expect_rejected(a, c.nonce, aad, bytes(c.ct.begin(), c.ct.end() - 1), c.tag);
        }
        {
            const bytes shorter_aad(c.aad.begin(), c.aad.end() - 1);
            expect_rejected(a, c.nonce, perc::aad_view{shorter_aad},
                            concat(bytes{c.aad.back()}, c.ct), c.tag);
            expect_rejected(a, c.nonce, aad, concat(c.ct, bytes{0}), c.tag);
        }
        // And after all of that the genuine packet still opens (no state was disturbed).
        bytes back(n, 0x11);
        CHECK(name(a.open(fixed<12>(c.nonce), aad, c.ct,
                          std::span<const std::uint8_t, 16>{c.tag.data(), 16}, back)) == "ok");
        CHECK(back == c.pt);
    }
}

TEST_CASE_TEMPLATE("conformance: misuse — no key, size mismatch, partial overlap — returns the "
                   "exact errc and writes nothing",
                   A, AEAD_POLICIES)
{
    SUBCASE("no key")
    {
        A a;
        CHECK_FALSE(a.has_key());
        const bytes nonce(12, 1), aad(5, 2), pt(33, 3), t_in(16, 4);
        bytes out(33, 0xA5);
        std::array<std::uint8_t, 16> t{};
        t.fill(0xA5);
        CHECK(name(a.seal(fixed<12>(nonce), perc::aad_view{aad}, pt, out, t)) == "no_key");
        CHECK(out == bytes(33, 0xA5));
        CHECK(t == std::array<std::uint8_t, 16>{0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5,
                                                0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5, 0xA5});
        CHECK(name(a.open(fixed<12>(nonce), perc::aad_view{aad}, pt, fixed<16>(t_in), out)) ==
              "no_key");
        CHECK(out == bytes(33, 0xA5));
    }
    A a;
    const sealed_case c = make_case(a, 40, 0x315u);
    const perc::aad_view aad = split(c.aad, c.at);
    const auto tag = fixed<16>(c.tag);
    SUBCASE("output size differs from input: invalid_argument (RFC 5116: |C| = |P|)")
    {
        for (std::size_t n : {std::size_t{0}, std::size_t{39}, std::size_t{41}, std::size_t{80}}) {
            bytes out(n, 0xA5);
            std::array<std::uint8_t, 16> t{};
            CHECK(name(a.seal(fixed<12>(c.nonce), aad, c.pt, out, t)) == "invalid_argument");
            CHECK(out == bytes(n, 0xA5));
            CHECK(name(a.open(fixed<12>(c.nonce), aad, c.ct, tag, out)) == "invalid_argument");
            CHECK(out == bytes(n, 0xA5));
        }
    }
    SUBCASE("partial overlap: buffer_overlap, both buffers untouched")
    {
        for (std::size_t shift : {std::size_t{1}, std::size_t{16}, std::size_t{39}}) {
            for (bool out_after : {true, false}) {
                bytes buf(40 + shift, 0x77);
                const std::size_t in_at = out_after ? 0 : shift, out_at = out_after ? shift : 0;
                std::copy(c.ct.begin(), c.ct.end(),
                          buf.begin() + static_cast<std::ptrdiff_t>(in_at));
                const bytes before = buf;
                const bytes_view in{buf.data() + in_at, 40};
                const bytes_span out{buf.data() + out_at, 40};
                std::array<std::uint8_t, 16> t{};
                CHECK(name(a.seal(fixed<12>(c.nonce), aad, in, out, t)) == "buffer_overlap");
                CHECK(name(a.open(fixed<12>(c.nonce), aad, in, tag, out)) == "buffer_overlap");
                CHECK(buf == before);
            }
        }
    }
}

TEST_CASE_TEMPLATE("conformance: re-keying replaces the key; a moved-from object has no key", A,
                   AEAD_POLICIES)
{
    A a;
    const sealed_case c = make_case(a, 33, 0x4E4u);
    const bytes k2 = flip(c.k, 0);
    key(a, k2);
    expect_rejected(a, c.nonce, split(c.aad, c.at), c.ct, c.tag);
    key(a, c.k);
    A b = std::move(a);
    bytes back(33);
    CHECK(name(b.open(fixed<12>(c.nonce), split(c.aad, c.at), c.ct, fixed<16>(c.tag), back)) ==
          "ok");
    CHECK(back == c.pt);
}

// ------------------------------------------------------------------ one RFC 7714 layer

namespace {

// RFC 7714 §8.1: IV = (0x0000 ‖ SSRC ‖ ROC ‖ SEQ) ⊕ salt.
bytes rtp_iv(const bytes& salt, std::uint32_t ssrc, std::uint32_t roc, std::uint16_t seq)
{
    bytes iv(12, 0);
    perc::store_be32(iv.data() + 2, ssrc);
    perc::store_be32(iv.data() + 6, roc);
    perc::store_be16(iv.data() + 10, seq);
    for (std::size_t i = 0; i < 12; ++i) iv[i] = static_cast<std::uint8_t>(iv[i] ^ salt[i]);
    return iv;
}
// RFC 7714 §9.1: IV = (0x0000 ‖ SSRC ‖ 0x0000 ‖ 0 ‖ SRTCP index) ⊕ salt.
bytes rtcp_iv(const bytes& salt, std::uint32_t ssrc, std::uint32_t index)
{
    bytes iv(12, 0);
    perc::store_be32(iv.data() + 2, ssrc);
    perc::store_be32(iv.data() + 8, index);
    for (std::size_t i = 0; i < 12; ++i) iv[i] = static_cast<std::uint8_t>(iv[i] ^ salt[i]);
    return iv;
}

template <class T>
bytes derive(const bytes& mk, const bytes& salt, std::uint8_t label, std::size_t n)
{
    bytes out(n);
    REQUIRE(name(T::kdf_type::derive(fixed<T::master_key_size>(mk), salt, label, out)) == "ok");
    return out;
}

} // namespace

TEST_CASE_TEMPLATE("conformance: each suite as an RFC 7714 layer — SRTP bytes equal Botan's AEAD "
                   "over the RFC 3711 KDF's session keys and the §8.1 IV; round trips across a "
                   "ROC wrap; a forged packet changes nothing",
                   T, SRTP_TRANSFORMS)
{
    using A = typename T::aead_type;
    rng r(0x7714u + T::master_key_size + sizeof(A));
    const bytes mk = random_bytes(r, T::master_key_size), ms = random_bytes(r, 12);
    T tx, rx;
    REQUIRE(name(tx.set_master_key(mk, ms)) == "ok");
    REQUIRE(name(rx.set_master_key(mk, ms)) == "ok");
    // RFC 7714 §11: labels 0x00 / 0x02 (SRTP), 0x03 / 0x05 (SRTCP).
    const bytes k = derive<T>(mk, ms, 0x00, A::key_size), salt = derive<T>(mk, ms, 0x02, 12);
    const bytes rk = derive<T>(mk, ms, 0x03, A::key_size), rsalt = derive<T>(mk, ms, 0x05, 12);
    perc::srtp_stream<128> s_tx, s_rx;
    const std::uint32_t ssrc = 0x5EC0DE77u;

    for (std::size_t i = 0; i <= 300; ++i) {
        CAPTURE(i);
        rtp_spec spec;
        spec.seq = static_cast<std::uint16_t>(0xFF80u + i); // wraps after 128 packets: ROC 1
        const auto roc = static_cast<std::uint32_t>((0xFF80u + i) >> 16);
        spec.ssrc = ssrc;
        spec.pt = 111;
        spec.marker = i % 5 == 0;
        for (std::size_t c = 0; c < i % 4; ++c)
            spec.csrcs.push_back(static_cast<std::uint32_t>(r.next()));
        if (i % 3 == 0) {
            spec.extension = true;
            spec.ext_body = {0x10, 0xAB, 0x00, 0x00};
        }
        spec.payload = random_bytes(r, i);
        const bytes packet = build_rtp(spec);
        const std::size_t hs = packet.size() - i;
        const bytes header(packet.begin(), packet.begin() + static_cast<std::ptrdiff_t>(hs));

        bytes out(packet.size() + T::srtp_overhead, 0xEE);
        auto p = tx.protect_rtp(s_tx, packet, out);
        REQUIRE(p);
        const bytes srtp(p->begin(), p->end());
        // RFC 7714 §8.2: header ‖ AEAD(payload, AAD = header).
        const bytes want = concat(
            header, oracle_seal<A>(k, rtp_iv(salt, ssrc, roc, spec.seq), header, spec.payload));
        if (srtp != want) CHECK(to_hex(srtp) == to_hex(want));

        // A forged packet (tag bit) is rejected and leaves the buffer and stream as they were.
        bytes forged = srtp;
        forged[forged.size() - 1 - i % 16] ^= 0x40;
        const bytes forged_copy = forged;
        CHECK(name(rx.unprotect_rtp(s_rx, forged, bytes_span{forged}).error()) == "auth_failed");
        CHECK(forged == forged_copy);
        bytes sink(srtp.size(), 0x3C);
        forged[hs + i / 2] ^= 0x01; // a payload bit too (when there is a payload)
        CHECK(name(rx.unprotect_rtp(s_rx, forged, sink).error()) == "auth_failed");
        CHECK(sink == bytes(srtp.size(), 0x3C));

        // The genuine packet, alternately in place and out of place.
        if (i % 2 == 0) {
            bytes buf = srtp;
            auto u = rx.unprotect_rtp(s_rx, buf, bytes_span{buf});
            REQUIRE(u);
            CHECK(bytes(u->begin(), u->end()) == packet);
        } else {
            bytes back(srtp.size());
            auto u = rx.unprotect_rtp(s_rx, srtp, back);
            REQUIRE(u);
            CHECK(bytes(u->begin(), u->end()) == packet);
        }
        CHECK(name(rx.unprotect_rtp(s_rx, srtp, sink).error()) == "replayed");
    }
    CHECK(s_rx.roc() == 1);

    // RFC 7714 §9.2 (E = 1) and §9.3 (E = 0).
    for (std::uint32_t i = 0; i < 8; ++i) {
        bytes rtcp = from_hex("80c8000600000000");
        perc::store_be32(rtcp.data() + 4, ssrc);
        const bytes body = random_bytes(r, 20 + 4 * i);
        rtcp.insert(rtcp.end(), body.begin(), body.end());
        const bool e = i % 2 == 0;
        bytes out(rtcp.size() + T::srtcp_overhead);
        auto p = tx.protect_rtcp(s_tx, rtcp, out, e);
        REQUIRE(p);
        const bytes srtcp(p->begin(), p->end());
        bytes word(4);
        perc::store_be32(word.data(), (e ? 0x80000000u : 0u) | i);
        const bytes clear(rtcp.begin(),
                          rtcp.begin() + (e ? 8 : static_cast<std::ptrdiff_t>(rtcp.size())));
        const bytes secret(rtcp.begin() + static_cast<std::ptrdiff_t>(clear.size()), rtcp.end());
        const bytes want = concat(
            concat(clear, oracle_seal<A>(rk, rtcp_iv(rsalt, ssrc, i), concat(clear, word), secret)),
            word);
        CHECK(to_hex(srtcp) == to_hex(want));
        bytes forged = srtcp;
        forged[9] ^= 0x80;
        const bytes forged_copy = forged;
        CHECK(name(rx.unprotect_rtcp(s_rx, forged, bytes_span{forged}).error()) == "auth_failed");
        CHECK(forged == forged_copy);
        bytes back(srtcp.size());
        auto u = rx.unprotect_rtcp(s_rx, srtcp, back);
        REQUIRE(u);
        CHECK(bytes(u->begin(), u->end()) == rtcp);
    }
}

// ------------------------------------------------------------------ RFC 8723 double, mixed suites

namespace {

template <class E>
struct double_keys {
    bytes inner_key, inner_salt, outer_key, outer_salt;
    explicit double_keys(rng& r)
        : inner_key(random_bytes(r, E::inner_key_size)), inner_salt(random_bytes(r, 12)),
          outer_key(random_bytes(r, E::outer_key_size)), outer_salt(random_bytes(r, 12))
    {
    }
    bytes master_key() const { return concat(inner_key, outer_key); }
    bytes master_salt() const { return concat(inner_salt, outer_salt); }
};

} // namespace

TEST_CASE_TEMPLATE("conformance: RFC 8723 double with every suite pairing — round trips, "
                   "layers independently keyed, a forged inner layer restores the buffer",
                   E, DOUBLE_TRANSFORMS)
{
    using Inner = typename E::inner_type;
    using Outer = typename E::outer_type;
    rng r(0x8723u + E::master_key_size + sizeof(typename Inner::aead_type) +
          3 * sizeof(typename Outer::aead_type));
    const double_keys<E> keys(r);
    E tx, rx;
    REQUIRE(name(tx.init(keys.master_key(), keys.master_salt())) == "ok");
    REQUIRE(name(rx.init(keys.master_key(), keys.master_salt())) == "ok");
    // The layers separately: an outer-only party (like an MD) and an inner-only party.
    Outer outer_only;
    Inner inner_only;
    REQUIRE(name(outer_only.set_master_key(keys.outer_key, keys.outer_salt)) == "ok");
    REQUIRE(name(inner_only.set_master_key(keys.inner_key, keys.inner_salt)) == "ok");
    const std::uint32_t ssrc = 0xD0B1E000u;

    for (std::size_t i = 0; i <= 300; i += (i < 40 ? 1 : 7)) {
        CAPTURE(i);
        rtp_spec spec;
        spec.ssrc = ssrc;
        spec.seq = static_cast<std::uint16_t>(1000 + i);
        spec.pt = 96;
        spec.marker = i % 2 == 1;
        for (std::size_t c = 0; c < i % 3; ++c)
            spec.csrcs.push_back(0xC5000000u + static_cast<std::uint32_t>(c));
        if (i % 4 == 1) {
            spec.extension = true;
            spec.ext_body = {0x22, 0x01, 0x02, 0x03};
        }
        spec.payload = random_bytes(r, i);
        const bytes packet = build_rtp(spec);
        const std::size_t hs = packet.size() - i;
        bytes out(packet.size() + E::protect_overhead);
        auto p = tx.protect_rtp(packet, out);
        REQUIRE(p);
        const bytes wire(p->begin(), p->end());
        REQUIRE(wire.size() == packet.size() + Inner::tag_size + 1 + Outer::tag_size);

        // RFC 8723 §5.1: the outer layer opens with the outer half alone, ending in the empty
        // OHB; the inner layer then opens with the inner half alone over the synthetic header
        // (X cleared, extension removed).
        const std::uint64_t index = spec.seq;
        bytes outer_plain(wire.size() - hs - Outer::tag_size);
        REQUIRE(name(outer_only.open_rtp(ssrc, index, perc::aad_view{bytes_view{wire}.first(hs)},
                                         bytes_view{wire}.subspan(hs), outer_plain)) == "ok");
        REQUIRE(outer_plain.back() == 0x00);
        bytes synthetic(packet.begin(),
                        packet.begin() + static_cast<std::ptrdiff_t>(12 + 4 * spec.csrcs.size()));
        synthetic[0] = static_cast<std::uint8_t>(synthetic[0] & ~0x10u);
        bytes inner_plain(i);
        REQUIRE(name(inner_only.open_rtp(ssrc, index, perc::aad_view{synthetic},
                                         bytes_view{outer_plain}.first(outer_plain.size() - 1),
                                         inner_plain)) == "ok");
        CHECK(inner_plain == spec.payload);

        // §5.3 step 4: a valid outer layer around a forged inner ciphertext or tag. The
        // receiver opens the outer layer, fails the inner tag and re-encrypts: the caller's
        // in-place buffer comes back bit for bit (for OCB and ChaCha20 too: their encryption
        // is deterministic under the same nonce).
        {
            bytes tampered = outer_plain;
            tampered[i % (tampered.size() - 1)] ^= 0x20;
            bytes forged(wire.begin(), wire.begin() + static_cast<std::ptrdiff_t>(hs));
            forged.resize(wire.size());
            REQUIRE(
                name(outer_only.seal_rtp(ssrc, index, perc::aad_view{bytes_view{wire}.first(hs)},
                                         tampered, bytes_span{forged}.subspan(hs))) == "ok");
            const bytes forged_copy = forged;
            CHECK(name(rx.unprotect_rtp(forged, bytes_span{forged}).error()) == "auth_failed");
            CHECK(forged == forged_copy);
        }
        // A flipped outer tag bit.
        {
            bytes forged = wire;
            forged.back() ^= 0x01;
            bytes sink(wire.size(), 0x99);
            CHECK(name(rx.unprotect_rtp(forged, sink).error()) == "auth_failed");
            CHECK(sink == bytes(wire.size(), 0x99));
        }
        // The genuine packet, in place on odd sizes.
        bytes buf = wire;
        bytes back(wire.size());
        auto u = i % 2 ? rx.unprotect_rtp(buf, bytes_span{buf}) : rx.unprotect_rtp(wire, back);
        REQUIRE(u);
        CHECK(bytes(u->packet.begin(), u->packet.end()) == packet);
        CHECK(u->header_size == hs);
    }
}

TEST_CASE_TEMPLATE("conformance: RFC 8723 §5.2 — a Media Distributor holding only outer keys "
                   "relays every suite pairing with PT, SEQ and M rewritten; the receiver "
                   "recovers the originals",
                   E, DOUBLE_TRANSFORMS)
{
    using Outer = typename E::outer_type;
    using md_type = perc::media_distributor<Outer>;
    rng r(0x5D5u + E::master_key_size + sizeof(typename Outer::aead_type));
    const std::size_t ok = E::outer_key_size;
    const bytes inner_key = random_bytes(r, E::inner_key_size), inner_salt = random_bytes(r, 12);
    const bytes hop_a = random_bytes(r, ok), salt_a = random_bytes(r, 12);
    const bytes hop_b = random_bytes(r, ok), salt_b = random_bytes(r, 12);
    E sender, receiver;
    REQUIRE(name(sender.init(concat(inner_key, hop_a), concat(inner_salt, salt_a))) == "ok");
    REQUIRE(name(receiver.init(concat(inner_key, hop_b), concat(inner_salt, salt_b))) == "ok");
    md_type md;
    typename md_type::link_type from, to;
    // The reverse directions of the links are not exercised; any distinct keys do (§5.2, §9).
    REQUIRE(name(from.init(hop_a, salt_a, random_bytes(r, ok), random_bytes(r, 12))) == "ok");
    REQUIRE(name(to.init(random_bytes(r, ok), random_bytes(r, 12), hop_b, salt_b)) == "ok");
    Outer hop_b_only; // an outer-key holder on hop B, to tamper as a rogue MD would
    REQUIRE(name(hop_b_only.set_master_key(hop_b, salt_b)) == "ok");

    const std::uint32_t ssrc = 0x3D0000AAu;
    // SEQ wraps on the incoming hop; the MD renumbers onto another SEQ range (+0x1000), so the
    // two hops' ROCs differ (RFC 8723 §3: independent outer state per hop).
    for (std::uint32_t i = 0; i < 400; ++i) {
        CAPTURE(i);
        rtp_spec spec;
        spec.ssrc = ssrc;
        spec.seq = static_cast<std::uint16_t>(0xFF00u + i);
        spec.pt = 96;
        spec.marker = i % 7 == 0;
        spec.ts = 90000u * i;
        if (i % 5 == 2) {
            spec.extension = true;
            spec.ext_body = {0x10, 0x42, 0x00, 0x00};
        }
        spec.payload = random_bytes(r, 1 + (i * 37) % 240);
        const bytes packet = build_rtp(spec);
        bytes wire(packet.size() + E::protect_overhead);
        auto p = sender.protect_rtp(packet, wire);
        REQUIRE(p);
        wire.resize(p->size());

        perc::relay_changes ch;
        if (i % 2 == 1) ch.payload_type = std::uint8_t{100};
        ch.seq = static_cast<std::uint16_t>(spec.seq + 0x1000u);
        if (i % 3 == 0) ch.marker = !spec.marker;
        if (i % 5 == 2 && i % 10 == 2) ch.extension = perc::relay_changes::extension_action::remove;
        bytes relayed_buf(wire.size() + 64, 0xEE);
        bytes_span dst{relayed_buf};
        if (i % 4 == 3) { // in place
            std::copy(wire.begin(), wire.end(), relayed_buf.begin());
        }
        auto rl = i % 4 == 3
                      ? md.relay_rtp(from, to, bytes_view{relayed_buf}.first(wire.size()), dst, ch)
                      : md.relay_rtp(from, to, wire, dst, ch);
        REQUIRE(rl);
        const bytes relayed(rl->packet.begin(), rl->packet.end());
        CHECK(rl->sent.seq == *ch.seq);

        // A rogue MD on hop B flips an end-to-end ciphertext bit under a valid outer layer:
        // the receiver's inner layer rejects it (§9: an MD cannot forge media) — only before
        // the first genuine packet of this index, so replay state is not involved.
        if (i % 50 == 0) {
            const std::size_t rhs = [&] {
                std::size_t n = 12 + 4u * (relayed[0] & 0x0Fu);
                if (relayed[0] & 0x10u) n += 4 + 4u * perc::load_be16(relayed.data() + n + 2);
                return n;
            }();
            const std::uint64_t index = *ch.seq; // hop B: SEQ 0x0F00.., ROC 0
            bytes plain(relayed.size() - rhs - Outer::tag_size);
            if (name(hop_b_only.open_rtp(ssrc, index,
                                         perc::aad_view{bytes_view{relayed}.first(rhs)},
                                         bytes_view{relayed}.subspan(rhs), plain)) == "ok") {
                plain[0] ^= 0x01;
                bytes forged(relayed.begin(), relayed.begin() + static_cast<std::ptrdiff_t>(rhs));
                forged.resize(relayed.size());
                REQUIRE(name(hop_b_only.seal_rtp(ssrc, index,
                                                 perc::aad_view{bytes_view{relayed}.first(rhs)},
                                                 plain, bytes_span{forged}.subspan(rhs))) == "ok");
                const bytes copy = forged;
                CHECK(name(receiver.unprotect_rtp(forged, bytes_span{forged}).error()) ==
                      "auth_failed");
                CHECK(forged == copy);
            } else {
                FAIL("hop B's outer key did not open the relayed packet");
            }
        }

        bytes back(relayed.size());
        auto u = receiver.unprotect_rtp(relayed, back);
        REQUIRE(u);
        // RFC 8723 §5.3: original PT, SEQ, M restored from the OHB; payload end to end.
        CHECK(u->original == perc::rtp_mutable_fields{spec.pt, spec.seq, spec.marker});
        CHECK(u->outer == rl->sent);
        CHECK(bytes(u->payload().begin(), u->payload().end()) == spec.payload);
        // The header as received (extension as the MD left it) with the originals written back.
        CHECK(u->packet[1] == static_cast<std::uint8_t>((spec.marker ? 0x80 : 0) | spec.pt));
        CHECK(perc::load_be16(u->packet.data() + 2) == spec.seq);
    }
    const auto* s = receiver.find_stream(ssrc);
    REQUIRE(s != nullptr);
    CHECK(s->inner.roc() == 1); // original SEQ wrapped (0xFF00 + 400)
    CHECK(s->outer.roc() == 0); // renumbered SEQ (0x0F00 + 400) did not
}
