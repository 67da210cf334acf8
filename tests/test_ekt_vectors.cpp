// RFC 8870 EKT known answers: the computed example of rfc8870-ekt.md §11.1 (AESKW128 over the
// inner key of DOUBLE_AEAD_AES_128_GCM_AEAD_AES_128_GCM, appended to the RFC 8723 digest's D1
// packet), computed independently by the digest (Python `cryptography.keywrap`).
#include <perc/botan/double.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

using namespace perc_test;

namespace {
const bytes ekt_key = from_hex("c0c1c2c3c4c5c6c7c8c9cacbcccdcecf");
const bytes inner_key = from_hex("000102030405060708090a0b0c0d0e0f");
const bytes inner_salt = from_hex("517569642070726f2071756f");
const bytes full_field = from_hex("47c99c2e 8a84efe4 4654d5e6 801b12ed 997d289c 6729c4b6 43e1ed04"
                                  "9f7971e1 178bf6a8 bd054acf 12340000 002f02");
const bytes d1_in = from_hex("80601234 decafbad cafebabe 47616c6c 69612065 7374206f 6d6e6973"
                             "20646976 69736120 696e2070 61727465 73207472 6573");
const bytes d1_wire = from_hex(
    "80601234 decafbad cafebabe 515e5e45 169812fc ebf55615 2f25679b a9712a90 b9317e18 53740bb4"
    "bb7fd056 911a9097 d130ed40 60b15725 2ebaab0b 401fb122 a4bdd399 c6d7cef0 e0f13d2c a7e7038f"
    "0dc0a2");
const bytes double_key =
    from_hex("000102030405060708090a0b0c0d0e0f 404142434445464748494a4b4c4d4e4f");
const bytes double_salt = from_hex("517569642070726f2071756f a0a1a2a3a4a5a6a7a8a9aaab");
} // namespace

TEST_CASE(
    "RFC 8870 §4.1/§4.3.1 + RFC 5649: FullEKTField of the digest §11.1 (AESKW128, SPI 0x1234)")
{
    perc::botan::ekt_sender_aes_128 tx;
    REQUIRE(tx.set_ekt_key({0x1234, ekt_key, inner_salt, 0}, 0) == perc::errc::ok);
    REQUIRE(tx.set_master_key(0xcafebabe, inner_key, 0) == perc::errc::ok);
    bytes out(80);
    auto n = tx.write_field(0, 0, false, out);
    REQUIRE(n);
    CHECK(to_hex(perc::bytes_view{out.data(), *n}) == to_hex(full_field));
    CHECK(*n == 47); // RFC 8870 §4.4.1 with RFC 5649 sizes: 40-octet ciphertext + 7

    // The endpoint path: protect D1 with the announced inner key, append the field.
    perc::botan::double_aes_128_gcm ep;
    REQUIRE(ep.init(double_key, double_salt) == perc::errc::ok);
    perc::botan::ekt_sender_aes_128 tx2;
    REQUIRE(tx2.set_ekt_key({0x1234, ekt_key, inner_salt, 0}, 0) == perc::errc::ok);
    REQUIRE(tx2.set_master_key(0xcafebabe, inner_key, 0) == perc::errc::ok);
    bytes wire(d1_in.size() + 33 + tx2.max_field_size);
    auto w = perc::protect_rtp_with_ekt(ep, tx2, d1_in, wire, 0);
    REQUIRE(w);
    bytes expected = d1_wire;
    expected.insert(expected.end(), full_field.begin(), full_field.end());
    CHECK(to_hex(*w) == to_hex(expected));
}

TEST_CASE("RFC 8870 §4.3.2: a late joiner learns the inner key and ROC from the first FullEKTField")
{
    // The receiver knows only the hop's outer half (and a different, useless inner half).
    bytes rx_key = double_key;
    for (std::size_t i = 0; i < 16; ++i) rx_key[i] = 0xEE;
    perc::botan::double_aes_128_gcm rx;
    REQUIRE(rx.init(rx_key, double_salt) == perc::errc::ok);
    perc::botan::ekt_receiver_aes_128 ekt;
    REQUIRE(ekt.init(16) == perc::errc::ok);

    bytes pkt = d1_wire;
    pkt.push_back(0x00); // ShortEKTField: no key yet -> the inner layer fails
    bytes out(pkt.size());
    auto before = perc::unprotect_rtp_with_ekt(rx, ekt, pkt, out, 0);
    REQUIRE_FALSE(before);
    CHECK(before.error() == perc::errc::auth_failed);

    // §4.3.2 step 2: the FullEKTField's SPI is unknown until the EKTKey arrives.
    pkt = d1_wire;
    pkt.insert(pkt.end(), full_field.begin(), full_field.end());
    out.assign(pkt.size(), 0);
    auto unknown_spi = perc::unprotect_rtp_with_ekt(rx, ekt, pkt, out, 0);
    REQUIRE_FALSE(unknown_spi);
    CHECK(unknown_spi.error() == perc::errc::auth_failed);

    REQUIRE(ekt.add_key({0x1234, ekt_key, inner_salt, 60}, 0) == perc::errc::ok);
    auto got = perc::unprotect_rtp_with_ekt(rx, ekt, pkt, out, 0);
    REQUIRE(got);
    CHECK(to_hex(got->packet) == to_hex(d1_in));

    // ekt_ttl (§5.2.2): after 60 s the EKTKey must not be used to decrypt.
    bytes again = d1_wire;
    again[3] ^= 1; // another SEQ; the tag check of SRTP is not reached
    again.insert(again.end(), full_field.begin(), full_field.end());
    bytes field_only_changed = again;
    out.assign(again.size(), 0);
    // A different ciphertext is needed to get past the cache: flip one ciphertext bit.
    field_only_changed[d1_wire.size()] ^= 1;
    auto expired = perc::unprotect_rtp_with_ekt(rx, ekt, field_only_changed, out, 60'000);
    REQUIRE_FALSE(expired);
    CHECK(expired.error() == perc::errc::auth_failed);
}
