// DTLS-SRTP keying material: the RFC 5764 §4.2 exporter layout (client_write_key |
// server_write_key | client_write_salt | server_write_salt), the RFC 8723 §3 double key halves
// (first half inner, second half outer), and the DTLS-SRTP profile table (RFC 5764 §4.1.2,
// RFC 7714 §14.2, RFC 8723 §10.1). Core only: no backend, no exceptions, no RTTI.
#include <perc/keying_material.hpp>

#include <perc/suites.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace {

using perc::bytes_view;
using perc::errc;

/// Exporter output whose octet i is i (mod 256), so every view's position shows in its bytes.
template <std::size_t N>
constexpr std::array<std::uint8_t, N> counting()
{
    std::array<std::uint8_t, N> a{};
    for (std::size_t i = 0; i < N; ++i) a[i] = static_cast<std::uint8_t>(i);
    return a;
}

constexpr auto ex56 = counting<56>();
constexpr auto ex112 = counting<112>();
constexpr auto ex176 = counting<176>();
constexpr auto ex200 = counting<200>();

/// `v` is exactly the `size` octets of `whole` that start at `offset` (same storage).
bool is_subspan(bytes_view v, bytes_view whole, std::size_t offset, std::size_t size)
{
    return v.data() == whole.data() + offset && v.size() == size;
}

struct layout_case {
    std::uint16_t profile;
    std::size_t key_size;
    std::size_t salt_size;
    std::size_t exporter_size; // RFC 5764 §4.2: 2 * (key + salt), written out literally
};

// RFC 7714 §14.2 (16/12, 32/12) and RFC 8723 §10.1 (double: 32/24 -> 112, 64/24 -> 176).
constexpr layout_case layout_cases[] = {
    {0x0007, 16, 12, 56},
    {0x0008, 32, 12, 88},
    {0x0009, 32, 24, 112},
    {0x000A, 64, 24, 176},
};

} // namespace

// ------------------------------------------------------------ constexpr (static_assert)

// RFC 5764 §4.2: client key, server key, client salt, server salt, in that order.
static_assert(perc::split_keying_material(bytes_view{ex56}, 16, 12)->client_write_key[0] == 0);
static_assert(perc::split_keying_material(bytes_view{ex56}, 16, 12)->server_write_key[0] == 16);
static_assert(perc::split_keying_material(bytes_view{ex56}, 16, 12)->client_write_salt[0] == 32);
static_assert(perc::split_keying_material(bytes_view{ex56}, 16, 12)->server_write_salt[0] == 44);
static_assert(perc::split_keying_material(bytes_view{ex56}, 16, 12)->server_write_salt.size() ==
              12);
// RFC 8723 §10.1: the 0x0009 exporter output is 112 octets; 111 is refused.
static_assert(perc::split_keying_material(bytes_view{ex112}, 32, 24).has_value());
static_assert(perc::split_keying_material(bytes_view{ex112}.first(111), 32, 24).error() ==
              errc::truncated);
static_assert(perc::split_keying_material(bytes_view{ex56}, 0, 12).error() ==
              errc::invalid_argument);
// RFC 8723 §3: first half inner, second half outer.
static_assert(perc::split_double_key(bytes_view{ex112}.first(32), bytes_view{ex112}.subspan(64, 24))
                  ->outer_key[0] == 16);
static_assert(perc::split_double_key(bytes_view{ex112}.first(32), bytes_view{ex112}.subspan(64, 24))
                  ->outer_salt[0] == 76);
static_assert(perc::split_double_key(bytes_view{ex112}.first(31), bytes_view{ex112}.first(24))
                  .error() == errc::bad_key_size);
static_assert(perc::split_double_key(bytes_view{ex112}.first(32), bytes_view{ex112}.first(23))
                  .error() == errc::bad_salt_size);
// RFC 8723 §10.1 code points and sizes.
static_assert(perc::find_profile(std::uint16_t{0x0009})->master_key_size == 32);
static_assert(perc::find_profile(std::uint16_t{0x000A})->master_key_size == 64);
static_assert(perc::find_profile(std::uint16_t{0x000B}) == nullptr);
static_assert(perc::find_profile(std::string_view{"DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM"})
                  ->profile == perc::srtp_profile::double_aead_aes_256_gcm_aead_aes_256_gcm);

// ------------------------------------------------------------ split_keying_material

TEST_CASE("RFC 5764 §4.2: exporter output splits into client key | server key | client salt | "
          "server salt, for all four profiles")
{
    for (const layout_case& c : layout_cases) {
        CAPTURE(c.profile);
        REQUIRE(2 * (c.key_size + c.salt_size) == c.exporter_size);
        const bytes_view ex = bytes_view{ex200}.first(c.exporter_size);
        auto m = perc::split_keying_material(ex, c.key_size, c.salt_size);
        REQUIRE(m.has_value());
        CHECK(is_subspan(m->client_write_key, ex, 0, c.key_size));
        CHECK(is_subspan(m->server_write_key, ex, c.key_size, c.key_size));
        CHECK(is_subspan(m->client_write_salt, ex, 2 * c.key_size, c.salt_size));
        CHECK(is_subspan(m->server_write_salt, ex, 2 * c.key_size + c.salt_size, c.salt_size));
        // The last view ends exactly at the end of the exporter output.
        CHECK(m->server_write_salt.data() + m->server_write_salt.size() == ex.data() + ex.size());
    }
}

TEST_CASE("RFC 5764 §4.2 with the profile table's sizes: 56, 88, 112 and 176 octets")
{
    for (const layout_case& c : layout_cases) {
        CAPTURE(c.profile);
        const perc::profile_info* info = perc::find_profile(c.profile);
        REQUIRE(info != nullptr);
        const bytes_view ex = bytes_view{ex200}.first(c.exporter_size);
        auto m = perc::split_keying_material(ex, info->master_key_size, info->master_salt_size);
        REQUIRE(m.has_value());
        CHECK(m->client_write_key.size() == c.key_size);
        CHECK(m->server_write_key.size() == c.key_size);
        CHECK(m->client_write_salt.size() == c.salt_size);
        CHECK(m->server_write_salt.size() == c.salt_size);
    }
}

TEST_CASE("RFC 8723 §10.1: 0x0009 exporter output of 112 octets, exact octet positions")
{
    const bytes_view ex{ex112};
    auto m = perc::split_keying_material(ex, 32, 24);
    REQUIRE(m.has_value());
    CHECK(is_subspan(m->client_write_key, ex, 0, 32));
    CHECK(is_subspan(m->server_write_key, ex, 32, 32));
    CHECK(is_subspan(m->client_write_salt, ex, 64, 24));
    CHECK(is_subspan(m->server_write_salt, ex, 88, 24));
    CHECK(m->client_write_key.back() == 31);
    CHECK(m->server_write_key.front() == 32);
    CHECK(m->client_write_salt.front() == 64);
    CHECK(m->server_write_salt.back() == 111);
}

TEST_CASE("RFC 8723 §10.1: 0x000A exporter output of 176 octets, exact octet positions")
{
    const bytes_view ex{ex176};
    auto m = perc::split_keying_material(ex, 64, 24);
    REQUIRE(m.has_value());
    CHECK(is_subspan(m->client_write_key, ex, 0, 64));
    CHECK(is_subspan(m->server_write_key, ex, 64, 64));
    CHECK(is_subspan(m->client_write_salt, ex, 128, 24));
    CHECK(is_subspan(m->server_write_salt, ex, 152, 24));
    CHECK(m->server_write_salt.back() == 175);
}

TEST_CASE("RFC 5764 §4.2: exporter output one octet short or long -> errc::truncated")
{
    for (const layout_case& c : layout_cases) {
        CAPTURE(c.profile);
        const bytes_view all{ex200};
        CHECK(perc::split_keying_material(all.first(c.exporter_size - 1), c.key_size, c.salt_size)
                  .error() == errc::truncated);
        CHECK(perc::split_keying_material(all.first(c.exporter_size + 1), c.key_size, c.salt_size)
                  .error() == errc::truncated);
        CHECK(perc::split_keying_material(bytes_view{}, c.key_size, c.salt_size).error() ==
              errc::truncated);
        // Key or salt size off by one for an output of the right size.
        const bytes_view ex = all.first(c.exporter_size);
        CHECK(perc::split_keying_material(ex, c.key_size - 1, c.salt_size).error() ==
              errc::truncated);
        CHECK(perc::split_keying_material(ex, c.key_size + 1, c.salt_size).error() ==
              errc::truncated);
        CHECK(perc::split_keying_material(ex, c.key_size, c.salt_size - 1).error() ==
              errc::truncated);
        CHECK(perc::split_keying_material(ex, c.key_size, c.salt_size + 1).error() ==
              errc::truncated);
    }
    // A single-profile output handed to a double split, and vice versa.
    CHECK(perc::split_keying_material(bytes_view{ex56}, 32, 24).error() == errc::truncated);
    CHECK(perc::split_keying_material(bytes_view{ex112}, 16, 12).error() == errc::truncated);
}

TEST_CASE("split_keying_material: zero key or salt size -> errc::invalid_argument")
{
    // Checked before the length, so even an output of "matching" size is refused.
    CHECK(perc::split_keying_material(bytes_view{ex56}.first(24), 0, 12).error() ==
          errc::invalid_argument);
    CHECK(perc::split_keying_material(bytes_view{ex56}.first(32), 16, 0).error() ==
          errc::invalid_argument);
    CHECK(perc::split_keying_material(bytes_view{}, 0, 0).error() == errc::invalid_argument);
    CHECK(perc::split_keying_material(bytes_view{ex56}, 0, 0).error() == errc::invalid_argument);
}

// ------------------------------------------------------------ split_double_key

TEST_CASE("RFC 8723 §3: double master key and salt split in halves, first inner, second outer")
{
    // 0x0009: 32-octet key, 24-octet salt.
    {
        const bytes_view key = bytes_view{ex112}.first(32);
        const bytes_view salt = bytes_view{ex112}.subspan(64, 24);
        auto h = perc::split_double_key(key, salt);
        REQUIRE(h.has_value());
        CHECK(is_subspan(h->inner_key, key, 0, 16));
        CHECK(is_subspan(h->outer_key, key, 16, 16));
        CHECK(is_subspan(h->inner_salt, salt, 0, 12));
        CHECK(is_subspan(h->outer_salt, salt, 12, 12));
    }
    // 0x000A: 64-octet key, 24-octet salt.
    {
        const bytes_view key = bytes_view{ex176}.first(64);
        const bytes_view salt = bytes_view{ex176}.subspan(128, 24);
        auto h = perc::split_double_key(key, salt);
        REQUIRE(h.has_value());
        CHECK(is_subspan(h->inner_key, key, 0, 32));
        CHECK(is_subspan(h->outer_key, key, 32, 32));
        CHECK(is_subspan(h->inner_salt, salt, 0, 12));
        CHECK(is_subspan(h->outer_salt, salt, 12, 12));
    }
}

TEST_CASE("RFC 5764 §4.2 + RFC 8723 §3: 0x0009 exporter -> client/server double keys -> halves")
{
    const bytes_view ex{ex112};
    auto m = perc::split_keying_material(ex, 32, 24);
    REQUIRE(m.has_value());
    auto c = perc::split_double_key(m->client_write_key, m->client_write_salt);
    REQUIRE(c.has_value());
    CHECK(is_subspan(c->inner_key, ex, 0, 16));
    CHECK(is_subspan(c->outer_key, ex, 16, 16));
    CHECK(is_subspan(c->inner_salt, ex, 64, 12));
    CHECK(is_subspan(c->outer_salt, ex, 76, 12));
    auto s = perc::split_double_key(m->server_write_key, m->server_write_salt);
    REQUIRE(s.has_value());
    CHECK(is_subspan(s->inner_key, ex, 32, 16));
    CHECK(is_subspan(s->outer_key, ex, 48, 16));
    CHECK(is_subspan(s->inner_salt, ex, 88, 12));
    CHECK(is_subspan(s->outer_salt, ex, 100, 12));
}

TEST_CASE("RFC 5764 §4.2 + RFC 8723 §3: 0x000A exporter -> client/server double keys -> halves")
{
    const bytes_view ex{ex176};
    auto m = perc::split_keying_material(ex, 64, 24);
    REQUIRE(m.has_value());
    auto c = perc::split_double_key(m->client_write_key, m->client_write_salt);
    REQUIRE(c.has_value());
    CHECK(is_subspan(c->inner_key, ex, 0, 32));
    CHECK(is_subspan(c->outer_key, ex, 32, 32));
    CHECK(is_subspan(c->inner_salt, ex, 128, 12));
    CHECK(is_subspan(c->outer_salt, ex, 140, 12));
    auto s = perc::split_double_key(m->server_write_key, m->server_write_salt);
    REQUIRE(s.has_value());
    CHECK(is_subspan(s->inner_key, ex, 64, 32));
    CHECK(is_subspan(s->outer_key, ex, 96, 32));
    CHECK(is_subspan(s->inner_salt, ex, 152, 12));
    CHECK(is_subspan(s->outer_salt, ex, 164, 12));
}

TEST_CASE("RFC 8723 §3 halves of the digest §12.1 key material: inner 000102.., outer 404142..")
{
    // rfc8723-double.md §12.1: double master key = inner key || outer key, salt likewise.
    constexpr std::uint8_t key[32] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                      0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
                                      0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47,
                                      0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f};
    constexpr std::uint8_t salt[24] = {0x51, 0x75, 0x69, 0x64, 0x20, 0x70, 0x72, 0x6f,
                                       0x20, 0x71, 0x75, 0x6f, 0xa0, 0xa1, 0xa2, 0xa3,
                                       0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
    auto h = perc::split_double_key(key, salt);
    REQUIRE(h.has_value());
    CHECK(h->inner_key.front() == 0x00);
    CHECK(h->inner_key.back() == 0x0f);
    CHECK(h->outer_key.front() == 0x40);
    CHECK(h->outer_key.back() == 0x4f);
    CHECK(h->inner_salt.front() == 0x51);
    CHECK(h->inner_salt.back() == 0x6f);
    CHECK(h->outer_salt.front() == 0xa0);
    CHECK(h->outer_salt.back() == 0xab);
}

TEST_CASE("split_double_key: empty or odd key -> bad_key_size, empty or odd salt -> bad_salt_size")
{
    const bytes_view all{ex200};
    const bytes_view salt24 = all.first(24);
    const bytes_view key32 = all.first(32);
    CHECK(perc::split_double_key(bytes_view{}, salt24).error() == errc::bad_key_size);
    CHECK(perc::split_double_key(all.first(1), salt24).error() == errc::bad_key_size);
    CHECK(perc::split_double_key(all.first(31), salt24).error() == errc::bad_key_size);
    CHECK(perc::split_double_key(all.first(33), salt24).error() == errc::bad_key_size);
    CHECK(perc::split_double_key(all.first(63), salt24).error() == errc::bad_key_size);
    CHECK(perc::split_double_key(key32, bytes_view{}).error() == errc::bad_salt_size);
    CHECK(perc::split_double_key(key32, all.first(1)).error() == errc::bad_salt_size);
    CHECK(perc::split_double_key(key32, all.first(23)).error() == errc::bad_salt_size);
    CHECK(perc::split_double_key(key32, all.first(25)).error() == errc::bad_salt_size);
    // The smallest even sizes split into one octet each.
    auto h = perc::split_double_key(all.first(2), all.subspan(10, 2));
    REQUIRE(h.has_value());
    CHECK(is_subspan(h->inner_key, all, 0, 1));
    CHECK(is_subspan(h->outer_key, all, 1, 1));
    CHECK(is_subspan(h->inner_salt, all, 10, 1));
    CHECK(is_subspan(h->outer_salt, all, 11, 1));
}

// ------------------------------------------------------------ find_profile

TEST_CASE("RFC 7714 §14.2, RFC 8723 §10.1: find_profile by DTLS-SRTP id — names and sizes")
{
    struct expected {
        std::uint16_t id;
        perc::srtp_profile profile;
        std::string_view name;
        std::size_t key_size, salt_size;
        bool is_double;
    };
    const expected table[] = {
        {0x0007, perc::srtp_profile::aead_aes_128_gcm, "SRTP_AEAD_AES_128_GCM", 16, 12, false},
        {0x0008, perc::srtp_profile::aead_aes_256_gcm, "SRTP_AEAD_AES_256_GCM", 32, 12, false},
        {0x0009, perc::srtp_profile::double_aead_aes_128_gcm_aead_aes_128_gcm,
         "DOUBLE_AEAD_AES_128_GCM_AEAD_AES_128_GCM", 32, 24, true},
        {0x000A, perc::srtp_profile::double_aead_aes_256_gcm_aead_aes_256_gcm,
         "DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM", 64, 24, true},
    };
    for (const expected& e : table) {
        CAPTURE(e.id);
        const perc::profile_info* p = perc::find_profile(e.id);
        REQUIRE(p != nullptr);
        CHECK(p->profile == e.profile);
        CHECK(static_cast<std::uint16_t>(p->profile) == e.id);
        CHECK(p->name == e.name);
        CHECK(p->master_key_size == e.key_size);
        CHECK(p->master_salt_size == e.salt_size);
        CHECK(p->is_double == e.is_double);
        // Lookup by RFC name finds the same entry.
        CHECK(perc::find_profile(e.name) == p);
        CHECK(perc::find_profile(p->cli_name) == p);
    }
}

TEST_CASE("find_profile: the single suites' sizes agree with RFC 7714 §14.2 suite descriptors")
{
    CHECK(perc::find_profile(perc::aead_aes_128_gcm::dtls_srtp_profile)->master_key_size ==
          perc::aead_aes_128_gcm::key_size);
    CHECK(perc::find_profile(perc::aead_aes_256_gcm::dtls_srtp_profile)->master_key_size ==
          perc::aead_aes_256_gcm::key_size);
    CHECK(perc::find_profile(perc::aead_aes_128_gcm::dtls_srtp_profile)->master_salt_size ==
          perc::aead_aes_128_gcm::master_salt_size);
    CHECK(perc::find_profile(perc::aead_aes_256_gcm::dtls_srtp_profile)->master_salt_size ==
          perc::aead_aes_256_gcm::master_salt_size);
}

TEST_CASE("find_profile: ids and names not implemented -> nullptr")
{
    // 0x0001 SRTP_AES128_CM_HMAC_SHA1_80 (RFC 5764 §4.1.2) is a real profile we do not offer.
    CHECK(perc::find_profile(std::uint16_t{0x0001}) == nullptr);
    CHECK(perc::find_profile(std::uint16_t{0x0000}) == nullptr);
    CHECK(perc::find_profile(std::uint16_t{0x000B}) == nullptr);
    CHECK(perc::find_profile(std::uint16_t{0x0700}) == nullptr); // byte-swapped 0x0007
    CHECK(perc::find_profile(std::uint16_t{0xFFFF}) == nullptr);
    CHECK(perc::find_profile(std::string_view{"SRTP_AES128_CM_HMAC_SHA1_80"}) == nullptr);
    CHECK(perc::find_profile(std::string_view{""}) == nullptr);
    CHECK(perc::find_profile(std::string_view{"srtp_aead_aes_128_gcm"}) == nullptr); // exact case
    CHECK(perc::find_profile(std::string_view{"SRTP_AEAD_AES_128_GCM "}) == nullptr);
}
