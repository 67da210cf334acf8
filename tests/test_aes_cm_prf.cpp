// The backend-neutral AES-CM PRF recipe (RFC 3711 §4.3.1-§4.3.3, kdr = 0), driven by fake
// "block ciphers" so that the exact block layout is visible:
//   B[0..13] = master salt (12-octet salt ‖ 00 00), B[7] ^= label, B[14..15] = counter.
#include <perc/aes_cm_prf.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace perc_test;
using perc::errc;

namespace {

// Identity "cipher": the PRF output is the sequence of input blocks itself.
struct identity_cipher {
    std::size_t calls = 0;
    std::size_t blocks = 0;
    void operator()(std::uint8_t*, std::size_t n)
    {
        ++calls;
        blocks += n;
    }
};

// A keyless byte permutation: reverse each block and XOR 0x5A, so outputs differ from inputs.
struct reverse_xor_cipher {
    void operator()(std::uint8_t* b, std::size_t n) const
    {
        for (std::size_t k = 0; k < n; ++k) {
            std::uint8_t* blk = b + 16 * k;
            for (std::size_t i = 0; i < 8; ++i) {
                const std::uint8_t t = blk[i];
                blk[i] = static_cast<std::uint8_t>(blk[15 - i] ^ 0x5A);
                blk[15 - i] = static_cast<std::uint8_t>(t ^ 0x5A);
            }
        }
    }
};

std::string prf_identity(const bytes& salt, std::uint8_t label, std::size_t n)
{
    bytes out(n, 0xEE);
    identity_cipher c;
    REQUIRE(perc::aes_cm_prf(c, salt, label, out) == errc::ok);
    CHECK(c.blocks == (n + 15) / 16); // ceil(n/128 bits) blocks, no more
    return to_hex(out);
}

} // namespace

TEST_CASE("RFC 3711 Appendix B.3: PRF input blocks (x · 2^16) for labels 0x00, 0x01, 0x02")
{
    // With the identity cipher the output is the AES input, which the digest (§12.1) lists:
    // "x*2^16 (AES input)" and, for the 94-octet auth key, the six counter blocks.
    const bytes salt = from_hex("0ec675ad498afeebb6960b3aabe6");
    CHECK(prf_identity(salt, 0x00, 16) == "0ec675ad498afeebb6960b3aabe60000");
    CHECK(prf_identity(salt, 0x02, 16) == "0ec675ad498afee9b6960b3aabe60000");
    CHECK(prf_identity(salt, 0x01, 96) == to_hex(from_hex("0ec675ad 498afeea b6960b3a abe60000"
                                                          "0ec675ad 498afeea b6960b3a abe60001"
                                                          "0ec675ad 498afeea b6960b3a abe60002"
                                                          "0ec675ad 498afeea b6960b3a abe60003"
                                                          "0ec675ad 498afeea b6960b3a abe60004"
                                                          "0ec675ad 498afeea b6960b3a abe60005")));
}

TEST_CASE("RFC 3711 §4.3.3: output truncated to the requested length")
{
    const bytes salt = from_hex("0ec675ad498afeebb6960b3aabe6");
    // 14-octet session salt (label 0x02): the first 14 octets of block 0.
    CHECK(prf_identity(salt, 0x02, 14) == "0ec675ad498afee9b6960b3aabe6");
    // 94-octet auth key: six blocks, the last cut to 14 octets.
    const std::string full = prf_identity(salt, 0x01, 96);
    CHECK(prf_identity(salt, 0x01, 94) == full.substr(0, 188));
    // Every length 1..70 is a prefix of the same stream.
    const std::string stream = prf_identity(salt, 0x05, 80);
    for (std::size_t n = 1; n <= 70; ++n) {
        CAPTURE(n);
        CHECK(prf_identity(salt, 0x05, n) == stream.substr(0, 2 * n));
    }
}

TEST_CASE("RFC 7714 §11 / rfc3711 digest §8.6: a 12-octet salt enters as salt ‖ 00 00")
{
    // Digest §12.5, key A: "AES input, label 00: 51756964 2070726f 2071756f 00000000".
    const bytes salt = from_hex("517569642070726f2071756f");
    CHECK(prf_identity(salt, 0x00, 16) == "517569642070726f2071756f00000000");
    // Label at octet 7 (erratum 3712 keeps it there for SRTCP too): 0x6f ^ 0x05 = 0x6a.
    CHECK(prf_identity(salt, 0x05, 16) == "51756964207072"
                                          "6a"
                                          "2071756f00000000");
    CHECK(prf_identity(salt, 0x03, 32) == "51756964207072"
                                          "6c"
                                          "2071756f0000"
                                          "0000"
                                          "51756964207072"
                                          "6c"
                                          "2071756f0000"
                                          "0001");
}

TEST_CASE("RFC 3711 §4.3.1: the label XORs octet 7 only, for every label value")
{
    const bytes salt(14, 0);
    for (unsigned label = 0; label < 256; ++label) {
        bytes out(16);
        REQUIRE(perc::aes_cm_prf(identity_cipher{}, salt, static_cast<std::uint8_t>(label), out) ==
                errc::ok);
        bytes expected(16, 0);
        expected[7] = static_cast<std::uint8_t>(label);
        CAPTURE(label);
        CHECK(to_hex(out) == to_hex(expected));
    }
}

TEST_CASE("RFC 3711 §4.3.3: the block counter runs in octets 14-15, across many blocks")
{
    const bytes salt = from_hex("ffffffffffffffffffffffffffff");
    bytes out(16 * 300);
    identity_cipher c;
    REQUIRE(perc::aes_cm_prf(c, salt, 0x00, out) == errc::ok);
    CHECK(c.blocks == 300);
    for (std::size_t j = 0; j < 300; ++j) {
        const perc::bytes_view blk = perc::bytes_view{out}.subspan(16 * j, 16);
        CAPTURE(j);
        CHECK(to_hex(blk.first(14)) == "ffffffffffffffffffffffffffff");
        CHECK(perc::load_be16(blk.data() + 14) == j);
    }
}

TEST_CASE("RFC 3711 §4.3.3: the largest output, 2^16 blocks; one octet more is refused")
{
    const bytes salt = from_hex("0102030405060708090a0b0c");
    bytes out(16u * 65536u);
    identity_cipher c;
    REQUIRE(perc::aes_cm_prf(c, salt, 0x00, out) == errc::ok);
    CHECK(c.blocks == 65536);
    CHECK(to_hex(perc::bytes_view{out}.last(16)) == "0102030405060708090a0b0c0000ffff");

    bytes too_big(16u * 65536u + 1, 0xEE);
    identity_cipher c2;
    CHECK(perc::aes_cm_prf(c2, salt, 0x00, too_big) == errc::invalid_argument);
    CHECK(c2.calls == 0);
    CHECK(too_big.front() == 0xEE);
}

TEST_CASE("aes_cm_prf: the output is the cipher's output, not its input")
{
    const bytes salt = from_hex("000102030405060708090a0b0c0d");
    bytes out(32);
    REQUIRE(perc::aes_cm_prf(reverse_xor_cipher{}, salt, 0x02, out) == errc::ok);
    // Block 0 input: 00 01 02 03 04 05 06 (07^02=05) 08 09 0a 0b 0c 0d 00 00, reversed, ^5a.
    CHECK(to_hex(perc::bytes_view{out}.first(16)) == "5a5a575651505352"
                                                     "5f5c5f5e59585b5a");
    // Block 1 differs only in the counter octet.
    CHECK(to_hex(perc::bytes_view{out}.subspan(16)) == "5b5a575651505352"
                                                       "5f5c5f5e59585b5a");
}

TEST_CASE("aes_cm_prf: salts other than 12 or 14 octets are bad_salt_size, output untouched")
{
    for (const std::size_t n : {0u, 1u, 11u, 13u, 15u, 16u, 30u}) {
        const bytes salt(n, 0x42);
        bytes out(16, 0xEE);
        identity_cipher c;
        CAPTURE(n);
        CHECK(perc::aes_cm_prf(c, salt, 0x00, out) == errc::bad_salt_size);
        CHECK(c.calls == 0);
        CHECK(to_hex(out) == "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee");
    }
}

TEST_CASE("aes_cm_prf: an empty output needs no cipher call")
{
    identity_cipher c;
    CHECK(perc::aes_cm_prf(c, from_hex("0102030405060708090a0b0c"), 0x00, perc::bytes_span{}) ==
          errc::ok);
    CHECK(c.calls == 0);
}
