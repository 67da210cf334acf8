// RFC 8723 double transform: the computed vectors of rfc8723-double.md §12 (D1 sender without
// extension, D2 sender with a one-byte extension, D3 MD relay setting M=1, PT=100, SEQ=0x5678,
// then the receiver), for profiles 0x0009 and 0x000A. The digest computed them independently
// (Python `cryptography`), not with this library.
#include <perc/botan/double.hpp>

#include "backend.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

using namespace perc_test;

namespace {

struct double_case {
    bytes key, salt;       // sender -> MD double master key and salt
    bytes md_key, md_salt; // MD -> receiver outer master key and salt
    bytes d1_wire, d2_wire, d3_wire;
};

const bytes d1_in = from_hex("80601234 decafbad cafebabe 47616c6c 69612065 7374206f 6d6e6973"
                             "20646976 69736120 696e2070 61727465 73207472 6573");
const bytes d2_in = from_hex("90601235 decafbad cafebabe bede0001 102a0000 47616c6c 69612065"
                             "7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472"
                             "6573");

double_case case_128()
{
    return {from_hex("000102030405060708090a0b0c0d0e0f 404142434445464748494a4b4c4d4e4f"),
            from_hex("517569642070726f2071756f a0a1a2a3a4a5a6a7a8a9aaab"),
            from_hex("808182838485868788898a8b8c8d8e8f"),
            from_hex("b0b1b2b3b4b5b6b7b8b9babb"),
            from_hex("80601234 decafbad cafebabe 515e5e45 169812fc ebf55615 2f25679b a9712a90"
                     "b9317e18 53740bb4 bb7fd056 911a9097 d130ed40 60b15725 2ebaab0b 401fb122"
                     "a4bdd399 c6d7cef0 e0f13d2c a7e7038f 0dc0a2"),
            from_hex("90601235 decafbad cafebabe bede0001 102a0000 3e3d864a ca9fdd1d 10182f0e"
                     "33902f19 80a714a0 bb96ced0 a2557d7e a2cf6614 dcd47245 f1f605c1 e2b0b708"
                     "dbe7ac22 c2da1ce9 3003440c 74b34f2b 776cadf4 c35ee616 e36c86"),
            from_hex("80e45678 decafbad cafebabe 4e16a7ed 17dcfd8b b77a452f 5cbc6b8c 3d559e2b"
                     "c4525b70 711595b4 0892f935 23fc9e71 43b0683b 569a7e52 6a9daf26 6c1fd1ae"
                     "f09d1d78 f0ed043e 2e84b783 3ba75e08 5b3d0575 a57b")};
}

double_case case_256()
{
    return {from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
                     "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"),
            from_hex("517569642070726f2071756f a0a1a2a3a4a5a6a7a8a9aaab"),
            from_hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"),
            from_hex("b0b1b2b3b4b5b6b7b8b9babb"),
            from_hex("80601234 decafbad cafebabe 1ca3af1d ed8f20c9 f04a292f 9740ed5d 478210cf"
                     "d1c35893 8c90d6e6 3986532d 441d7ce3 77e9d778 1540cd92 0dc6fabf f03088aa"
                     "b62c7c6e 122e6f5f 2ec9ec87 140cd89f 9348df"),
            from_hex("90601235 decafbad cafebabe bede0001 102a0000 ca7fb982 8ad16575 77bddf36"
                     "083b181e ad379743 2b99c927 95f08031 bdca2b99 19be6f35 b74a90e7 fe95bb3f"
                     "6285b774 96c97fb3 254361d6 7ad1d818 79e04f4a 78a79e74 35f5ea"),
            from_hex("80e45678 decafbad cafebabe 5c69428b 0abeb294 2ab2b7c1 d72e62bd 55209aeb"
                     "f051d17d c3e8916d b92f2186 2fe4c049 440c7a93 aba812eb 56417707 91211dc7"
                     "0615e993 882bb110 6a3d786a cfb69fe1 85fb9459 32e3")};
}

template <class Endpoint, class Md>
void run(const double_case& c)
{
    constexpr std::size_t half = Endpoint::outer_key_size;
    const bytes outer_key(c.key.begin() + half, c.key.end());
    const bytes outer_salt(c.salt.begin() + 12, c.salt.end());

    // D1, D2: RFC 8723 §5.1 sender.
    Endpoint tx;
    REQUIRE(tx.init(c.key, c.salt) == perc::errc::ok);
    bytes out(200);
    auto p1 = tx.protect_rtp(d1_in, out);
    REQUIRE(p1);
    CHECK(to_hex(*p1) == to_hex(c.d1_wire));
    auto p2 = tx.protect_rtp(d2_in, out);
    REQUIRE(p2);
    CHECK(to_hex(*p2) == to_hex(c.d2_wire));

    // D3: RFC 8723 §5.2 MD relays D1 setting M=1, PT=100, SEQ=0x5678; OHB = 60 1234 07.
    typename Md::link_type sender_link, receiver_link;
    // The MD's own send key toward the sender and receive key from the receiver are not part
    // of the vector; any distinct keys do.
    const bytes unused_a(half, 0x11), unused_b(half, 0x22);
    REQUIRE(sender_link.init(outer_key, outer_salt, unused_a, c.md_salt) == perc::errc::ok);
    REQUIRE(receiver_link.init(unused_b, c.md_salt, c.md_key, c.md_salt) == perc::errc::ok);
    Md md;
    perc::relay_changes ch;
    ch.marker = true;
    ch.payload_type = 100;
    ch.seq = 0x5678;
    bytes relay_out(200);
    auto r = md.relay_rtp(sender_link, receiver_link, c.d1_wire, relay_out, ch);
    REQUIRE(r);
    CHECK(to_hex(r->packet) == to_hex(c.d3_wire));
    CHECK(r->ohb_sent.config() == 0x07);
    CHECK(r->ohb_sent.payload_type == std::optional<std::uint8_t>{0x60});
    CHECK(r->ohb_sent.seq == std::optional<std::uint16_t>{0x1234});

    // Receiver: the inner key of the sender, the outer key of the MD -> receiver hop.
    bytes rx_key(c.key.begin(), c.key.begin() + static_cast<std::ptrdiff_t>(half));
    rx_key.insert(rx_key.end(), c.md_key.begin(), c.md_key.end());
    bytes rx_salt(c.salt.begin(), c.salt.begin() + 12);
    rx_salt.insert(rx_salt.end(), c.md_salt.begin(), c.md_salt.end());
    Endpoint rx;
    REQUIRE(rx.init(rx_key, rx_salt) == perc::errc::ok);
    bytes buf = c.d3_wire;
    auto u = rx.unprotect_rtp(buf, buf);
    REQUIRE(u);
    CHECK(to_hex(u->payload()) == to_hex(bytes(d1_in.begin() + 12, d1_in.end())));
    // RFC 8723 §5.3: original values restored in the released header; wire values reported.
    CHECK(to_hex(u->packet) == to_hex(d1_in));
    CHECK(u->original == perc::rtp_mutable_fields{0x60, 0x1234, false});
    CHECK(u->outer == perc::rtp_mutable_fields{100, 0x5678, true});
}

} // namespace

TEST_CASE("RFC 8723 §5.2 + RFC 8870 §4.1: the MD passes the FullEKTField (rfc8870 digest §11.1) "
          "through unchanged")
{
    const double_case c = case_128();
    const bytes ekt = from_hex("47c99c2e 8a84efe4 4654d5e6 801b12ed 997d289c 6729c4b6 43e1ed04"
                               "9f7971e1 178bf6a8 bd054acf 12340000 002f02");
    bytes in = c.d1_wire;
    in.insert(in.end(), ekt.begin(), ekt.end());
    const bytes outer_key(c.key.begin() + 16, c.key.end());
    const bytes outer_salt(c.salt.begin() + 12, c.salt.end());
    perc::session_options opt;
    opt.ekt = true;
    perc_test::backend::media_distributor_aes_128_gcm::link_type from, to;
    REQUIRE(from.init(outer_key, outer_salt, bytes(16, 0x11), c.md_salt, opt) == perc::errc::ok);
    REQUIRE(to.init(bytes(16, 0x22), c.md_salt, c.md_key, c.md_salt, opt) == perc::errc::ok);
    perc_test::backend::media_distributor_aes_128_gcm md;
    perc::relay_changes ch;
    ch.marker = true;
    ch.payload_type = 100;
    ch.seq = 0x5678;
    // In place: the buffer has room for the OHB growth.
    bytes buf = in;
    buf.resize(in.size() + md.relay_growth);
    auto r = md.relay_rtp(from, to, perc::bytes_view{buf.data(), in.size()}, buf, ch);
    REQUIRE(r);
    bytes expected = c.d3_wire;
    expected.insert(expected.end(), ekt.begin(), ekt.end());
    CHECK(to_hex(r->packet) == to_hex(expected));

    // A ShortEKTField passes too; a bad EKT length is rejected before any crypto.
    perc_test::backend::media_distributor_aes_128_gcm::link_type from2, to2;
    REQUIRE(from2.init(outer_key, outer_salt, bytes(16, 0x11), c.md_salt, opt) == perc::errc::ok);
    REQUIRE(to2.init(bytes(16, 0x22), c.md_salt, c.md_key, c.md_salt, opt) == perc::errc::ok);
    bytes bad = c.d1_wire;
    bad.insert(bad.end(), {0xff, 0xff, 0x02});
    bytes out(bad.size() + 8);
    auto rb = md.relay_rtp(from2, to2, bad, out, ch);
    REQUIRE_FALSE(rb);
    CHECK(rb.error() == perc::errc::ekt_bad_length);
    bytes with_short = c.d1_wire;
    with_short.push_back(0x00);
    out.assign(with_short.size() + 8, 0);
    auto rs = md.relay_rtp(from2, to2, with_short, out, ch);
    REQUIRE(rs);
    expected = c.d3_wire;
    expected.push_back(0x00);
    CHECK(to_hex(rs->packet) == to_hex(expected));
}

TEST_CASE("RFC 8723 §5.1-§5.3 vectors (digest §12.1): DOUBLE_AEAD_AES_128_GCM_AEAD_AES_128_GCM")
{
    run<perc_test::backend::double_aes_128_gcm, perc_test::backend::media_distributor_aes_128_gcm>(
        case_128());
}

TEST_CASE("RFC 8723 §5.1-§5.3 vectors (digest §12.2): DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM")
{
    run<perc_test::backend::double_aes_256_gcm, perc_test::backend::media_distributor_aes_256_gcm>(
        case_256());
}
