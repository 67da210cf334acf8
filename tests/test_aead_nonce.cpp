// RFC 7714 §8.1 (SRTP) and §9.1 (SRTCP) AEAD IV formation.
// Known answers: rfc7714 digest §11.1 and §11.2 (the IVs of every §16 / §17 vector).
#include <perc/aead_nonce.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <array>
#include <cstdint>

using namespace perc_test;

namespace {

// RFC 7714 §16 preamble: session salt "Quid pro quo".
constexpr std::array<std::uint8_t, 12> rfc_salt{0x51, 0x75, 0x69, 0x64, 0x20, 0x70,
                                                0x72, 0x6f, 0x20, 0x71, 0x75, 0x6f};
constexpr std::array<std::uint8_t, 12> zero_salt{};

constexpr perc::aead_nonce rtp_iv = perc::srtp_aead_nonce(rfc_salt, 0x5501a0b2, 0, 0xf17b);
constexpr perc::aead_nonce rtcp_iv = perc::srtcp_aead_nonce(rfc_salt, 0x4d617273, 0x000005d4);

} // namespace

// RFC 7714 §16 (digest §11.1): IV = 51753c65 80c2726f 20718414.
static_assert(rtp_iv == perc::aead_nonce{0x51, 0x75, 0x3c, 0x65, 0x80, 0xc2, 0x72, 0x6f, 0x20, 0x71,
                                         0x84, 0x14});
// RFC 7714 §17 (digest §11.2): IV = 51752405 5203726f 207170bb.
static_assert(rtcp_iv == perc::aead_nonce{0x51, 0x75, 0x24, 0x05, 0x52, 0x03, 0x72, 0x6f, 0x20,
                                          0x71, 0x70, 0xbb});
// RFC 7714 §9.1: the E flag is not part of the IV.
static_assert(perc::srtcp_aead_nonce(rfc_salt, 0x4d617273, 0x800005d4u) == rtcp_iv);

TEST_CASE("RFC 7714 §8.1: SRTP IV of the §16 vectors")
{
    CHECK(to_hex(rtp_iv) == "51753c6580c2726f20718414");
    const bytes salt = from_hex("517569642070726f2071756f");
    CHECK(to_hex(perc::srtp_aead_nonce(fixed<12>(salt), 0x5501a0b2, 0, 0xf17b)) ==
          "51753c6580c2726f20718414");
}

TEST_CASE("RFC 7714 §9.1: SRTCP IV of the §17 vectors, E flag excluded")
{
    const bytes salt = from_hex("517569642070726f2071756f");
    CHECK(to_hex(perc::srtcp_aead_nonce(fixed<12>(salt), 0x4d617273, 0x000005d4)) ==
          "517524055203726f207170bb");
    // E = 1 (index word 0x800005d4 as it appears on the wire) gives the same IV.
    CHECK(to_hex(perc::srtcp_aead_nonce(fixed<12>(salt), 0x4d617273, 0x800005d4u)) ==
          "517524055203726f207170bb");
}

TEST_CASE("RFC 7714 §8.1: octet layout 00 00 | SSRC | ROC | SEQ")
{
    // With a zero salt the IV is the layout itself.
    CHECK(to_hex(perc::srtp_aead_nonce(zero_salt, 0x11223344, 0x55667788, 0x99aa)) ==
          "00001122334455667788"
          "99aa");
    CHECK(to_hex(perc::srtp_aead_nonce(zero_salt, 0xFFFFFFFFu, 0xFFFFFFFFu, 0xFFFF)) ==
          "0000ffffffffffffffffffff");
    CHECK(to_hex(perc::srtp_aead_nonce(zero_salt, 0, 0, 0)) == "000000000000000000000000");
    // ROC 1 differs from ROC 0 only in octet 9: the 48-bit index is ROC || SEQ.
    CHECK(to_hex(perc::srtp_aead_nonce(zero_salt, 0, 1, 0)) == "000000000000000000010000");
    // Salt XOR: octets 0-1 carry the salt alone.
    std::array<std::uint8_t, 12> ones{};
    ones.fill(0xFF);
    CHECK(to_hex(perc::srtp_aead_nonce(ones, 0x11223344, 0x55667788, 0x99aa)) ==
          "ffffeeddccbbaa9988776655");
}

TEST_CASE("RFC 7714 §9.1: octet layout 00 00 | SSRC | 00 00 | 0 | SRTCP index (31 bits)")
{
    CHECK(to_hex(perc::srtcp_aead_nonce(zero_salt, 0x11223344, 0x7FFFFFFFu)) == "0000112233440000"
                                                                                "7fffffff");
    CHECK(to_hex(perc::srtcp_aead_nonce(zero_salt, 0x11223344, 0xFFFFFFFFu)) == "0000112233440000"
                                                                                "7fffffff");
    CHECK(to_hex(perc::srtcp_aead_nonce(zero_salt, 0xA0B0C0D0u, 1)) == "0000a0b0c0d0000000000001");
    std::array<std::uint8_t, 12> ones{};
    ones.fill(0xFF);
    CHECK(to_hex(perc::srtcp_aead_nonce(ones, 0, 0)) == "ffffffffffffffffffffffff");
    CHECK(to_hex(perc::srtcp_aead_nonce(ones, 0, 0x80000000u)) == "ffffffffffffffffffffffff");
}
