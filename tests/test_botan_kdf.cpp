// RFC 3711 §4.3 / Appendix B.3 and RFC 6188 §7.2 key derivation through the Botan backend,
// plus the 96-bit-salt convention (rfc3711 digest §8.6, §12.5 — computed independently there).
#include <perc/botan/aes_cm_kdf.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

using namespace perc_test;

namespace {
template <std::size_t K>
std::string derive(const bytes& key, const bytes& salt, std::uint8_t label, std::size_t n)
{
    bytes out(n);
    REQUIRE(perc::botan::aes_cm_kdf<K>::derive(fixed<K>(key), salt, label, out) == perc::errc::ok);
    return to_hex(out);
}
} // namespace

TEST_CASE("RFC 3711 Appendix B.3: AES-CM PRF, 112-bit salt, labels 0x00/0x01/0x02")
{
    const bytes key = from_hex("e1f97a0d3e018be0d64fa32c06de4139");
    const bytes salt = from_hex("0ec675ad498afeebb6960b3aabe6");
    CHECK(derive<16>(key, salt, 0x00, 16) == "c61e7a93744f39ee10734afe3ff7a087");
    CHECK(derive<16>(key, salt, 0x02, 14) == "30cbbc08863d8c85d49db34a9ae1");
    CHECK(derive<16>(key, salt, 0x01, 94) ==
          to_hex(from_hex("cebe321f 6ff7716b 6fd4ab49 af256a15 6d38baa4 8f0a0acf 3c34e235 9e6cdbce"
                          "e049646c 43d9327a d175578e f7227098 6371c10c 9a369ac2 f94a8c5f bcdddc25"
                          "6d6e919a 48b610ef 17c2041e 47403576 6b68642c 59bbfc2f 34db60db dfb2")));
}

TEST_CASE("RFC 6188 §7.2: AES_256_CM_PRF")
{
    const bytes key = from_hex("f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6");
    const bytes salt = from_hex("3b04803de51ee7c96423ab5b78d2");
    CHECK(derive<32>(key, salt, 0x00, 32) ==
          "5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4");
    CHECK(derive<32>(key, salt, 0x02, 14) == "fa31791685ca444a9e07c6c64e93");
    CHECK(derive<32>(key, salt, 0x01, 20) == "fd9c32d39ed5fbb5a9dc96b30818454d1313dc05");
}

TEST_CASE("RFC 7714 §11 + rfc3711 digest §8.6: 96-bit master salt enters the KDF as salt || 0000")
{
    // rfc3711 digest §12.5, key A and key B, "DEPLOYED" column.
    const bytes key_a = from_hex("000102030405060708090a0b0c0d0e0f");
    const bytes salt_a = from_hex("517569642070726f2071756f");
    CHECK(derive<16>(key_a, salt_a, 0x00, 16) == "b1bb5ee1803c7cb022c25343feb23261");
    CHECK(derive<16>(key_a, salt_a, 0x02, 12) == "52fa33dcddd7c677e513ce75");
    CHECK(derive<16>(key_a, salt_a, 0x03, 16) == "02657506d1e93c6639357fb793c2b082");
    CHECK(derive<16>(key_a, salt_a, 0x05, 12) == "6f09033e2235e99cc6537c7a");
    const bytes key_b = from_hex("404142434445464748494a4b4c4d4e4f");
    const bytes salt_b = from_hex("a0a1a2a3a4a5a6a7a8a9aaab");
    CHECK(derive<16>(key_b, salt_b, 0x00, 16) == "acf33dd103ac78690f2395327b7f6056");
    CHECK(derive<16>(key_b, salt_b, 0x02, 12) == "6519397043e8f16ac1621b06");
    CHECK(derive<16>(key_b, salt_b, 0x03, 16) == "dc26c1ccdeb7571ef1a42478dc27cce5");
    CHECK(derive<16>(key_b, salt_b, 0x05, 12) == "e62c958de0d132a581ffa9a3");
}

TEST_CASE("KDF rejects salts that are neither 12 nor 14 octets")
{
    const bytes key(16, 1);
    bytes out(16);
    for (std::size_t n : {0u, 11u, 13u, 15u, 16u}) {
        const bytes salt(n, 2);
        CHECK(perc::botan::aes_cm_kdf<16>::derive(fixed<16>(key), salt, 0, out) ==
              perc::errc::bad_salt_size);
    }
}
