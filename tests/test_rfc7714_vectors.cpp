// RFC 7714 §16 (SRTP) and §17 (SRTCP) known answers, both key sizes, both directions.
// Vectors from ../shared/spec/rfc7714-aes-gcm-srtp.md §11 (verified against the RFC).
#include <perc/botan/srtp.hpp>

#include "backend.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

using namespace perc_test;

namespace {

const bytes key128 = from_hex("000102030405060708090a0b0c0d0e0f");
const bytes key256 = from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const bytes salt = from_hex("517569642070726f2071756f");

const bytes rtp_in = from_hex("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973"
                              "20646976 69736120 696e2070 61727465 73207472 6573");
const bytes rtcp_in = from_hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930"
                               "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");

// RFC 7714 §16.1.1 (128) and §16.2.1 (256): encrypted and tagged packets.
const bytes srtp128 = from_hex("8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca"
                               "be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1"
                               "6a9152cf 765ee439 0cce");
const bytes srtp256 = from_hex("8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa"
                               "b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff"
                               "d6b0f9bb 7878d7a7 6c13");
// RFC 7714 §17.1 (128, E=1) and §17.2 (256, E=1).
const bytes srtcp128 = from_hex("81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7"
                                "6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458"
                                "96cf4d2f c5abf872 45d9eade 800005d4");
const bytes srtcp256 = from_hex("81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d"
                                "bffe0a50 a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c"
                                "4446839f 57ff6f6c b26ac3be 800005d4");
// RFC 7714 §17.3 (128, E=0) and §17.4 (256, E=0).
const bytes srtcp128_e0 = from_hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                                   "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef"
                                   "deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4");
const bytes srtcp256_e0 = from_hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                                   "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef"
                                   "deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4");

template <class T>
T keyed(const bytes& key)
{
    T t;
    constexpr std::size_t n = T::master_key_size;
    REQUIRE(t.set_session_keys(fixed<n>(key), fixed<12>(salt), fixed<n>(key), fixed<12>(salt)) ==
            perc::errc::ok);
    return t;
}

template <class T>
void check_vectors(const bytes& key, const bytes& srtp, const bytes& srtcp, const bytes& srtcp_e0)
{
    T t = keyed<T>(key);
    perc::srtp_stream<> tx, rx;

    // §16.x.1: encryption (ROC 0, SEQ f17b).
    bytes out(rtp_in.size() + 16);
    auto p = t.protect_rtp(tx, rtp_in, out);
    REQUIRE(p);
    CHECK(to_hex(*p) == to_hex(srtp));

    // §16.x.2: verification and decryption, in place.
    bytes buf = srtp;
    auto u = t.unprotect_rtp(rx, buf, buf);
    REQUIRE(u);
    CHECK(to_hex(*u) == to_hex(rtp_in));

    // §17.x (E=1): SRTCP index 0x5d4.
    REQUIRE(tx.set_srtcp_next_index(0x5d4) == perc::errc::ok);
    bytes rout(rtcp_in.size() + 20);
    auto rp = t.protect_rtcp(tx, rtcp_in, rout);
    REQUIRE(rp);
    CHECK(to_hex(*rp) == to_hex(srtcp));
    CHECK(tx.srtcp_next_index == 0x5d5);
    bytes rin = srtcp;
    auto ru = t.unprotect_rtcp(rx, rin, rin);
    REQUIRE(ru);
    CHECK(to_hex(*ru) == to_hex(rtcp_in));

    // §17.x (E=0): tagging only; receive must accept it (RFC 7714 §9.3).
    perc::srtp_stream<> tx0, rx0;
    REQUIRE(tx0.set_srtcp_next_index(0x5d4) == perc::errc::ok);
    auto rp0 = t.protect_rtcp(tx0, rtcp_in, rout, false);
    REQUIRE(rp0);
    CHECK(to_hex(*rp0) == to_hex(srtcp_e0));
    bytes rin0 = srtcp_e0;
    auto ru0 = t.unprotect_rtcp(rx0, rin0, rin0);
    REQUIRE(ru0);
    CHECK(to_hex(*ru0) == to_hex(rtcp_in));
}

} // namespace

TEST_CASE("RFC 7714 §16.1/§17.1/§17.3: AEAD_AES_128_GCM known answers")
{
    check_vectors<perc_test::backend::srtp_aes_128_gcm>(key128, srtp128, srtcp128, srtcp128_e0);
}

TEST_CASE("RFC 7714 §16.2/§17.2/§17.4: AEAD_AES_256_GCM known answers")
{
    check_vectors<perc_test::backend::srtp_aes_256_gcm>(key256, srtp256, srtcp256, srtcp256_e0);
}

TEST_CASE("RFC 7714 §16.1.2: a flipped tag bit is rejected and the packet is left intact")
{
    auto t = keyed<perc_test::backend::srtp_aes_128_gcm>(key128);
    perc::srtp_stream<> rx;
    bytes buf = srtp128;
    buf.back() ^= 1;
    const bytes before = buf;
    auto u = t.unprotect_rtp(rx, buf, buf);
    REQUIRE_FALSE(u);
    CHECK(u.error() == perc::errc::auth_failed);
    CHECK(buf == before);
    CHECK_FALSE(rx.rtp_index.started());
}
