// errc: stable numeric values, a unique name for every value, kind() grouping
// (STYLE "Vocabulary": never renumber, only append).
#include <perc/errc.hpp>

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string_view>

using perc::errc;
using perc::error_kind;

namespace {

// Every enumerator, as declared. The "exactly these have names" test below fails if one is
// added to the enum without being listed here (or without a to_string case).
constexpr std::array<errc, 42> all_errc = {
    errc::ok,
    errc::truncated,
    errc::bad_rtp_version,
    errc::bad_extension,
    errc::bad_extension_element,
    errc::bad_padding,
    errc::bad_rtcp_length,
    errc::ohb_reserved_bits,
    errc::ohb_bad_marker,
    errc::ohb_truncated,
    errc::ekt_bad_length,
    errc::ekt_unknown_type,
    errc::tunnel_bad_message,
    errc::tunnel_unknown_type,
    errc::tunnel_bad_length,
    errc::tunnel_bad_vector,
    errc::auth_failed,
    errc::replayed,
    errc::too_old,
    errc::no_stream,
    errc::no_key,
    errc::key_unwrap_failed,
    errc::header_extension_rejected,
    errc::ekt_epoch_rollback,
    errc::ekt_ssrc_mismatch,
    errc::tunnel_unsupported_version,
    errc::unknown_association,
    errc::no_common_profile,
    errc::association_elsewhere,
    errc::buffer_too_small,
    errc::bad_key_size,
    errc::bad_salt_size,
    errc::buffer_overlap,
    errc::index_exhausted,
    errc::key_usage_exhausted,
    errc::index_reused,
    errc::stream_table_full,
    errc::unsupported,
    errc::invalid_argument,
    errc::same_hop_keys,
    errc::stream_exists,
    errc::backend_failure,
};

constexpr std::uint8_t num(errc e)
{
    return static_cast<std::uint8_t>(e);
}

} // namespace

// The numeric values are part of the ABI/log format: they must never change.
static_assert(num(errc::ok) == 0);
static_assert(num(errc::truncated) == 1);
static_assert(num(errc::bad_rtp_version) == 2);
static_assert(num(errc::bad_rtcp_length) == 6);
static_assert(num(errc::ohb_reserved_bits) == 7);
static_assert(num(errc::tunnel_bad_message) == 12);
static_assert(num(errc::auth_failed) == 32);
static_assert(num(errc::replayed) == 33);
static_assert(num(errc::too_old) == 34);
static_assert(num(errc::ekt_ssrc_mismatch) == 40);
static_assert(num(errc::tunnel_bad_vector) == 15);
static_assert(num(errc::no_common_profile) == 43);
static_assert(num(errc::association_elsewhere) == 44);
static_assert(num(errc::buffer_too_small) == 64);
static_assert(num(errc::index_exhausted) == 68);
static_assert(num(errc::stream_exists) == 75);
static_assert(num(errc::backend_failure) == 96);
static_assert(sizeof(errc) == 1);

// to_string and kind are usable in constant expressions.
static_assert(perc::to_string(errc::auth_failed) == "auth_failed");
static_assert(perc::kind(errc::replayed) == error_kind::rejected);

TEST_CASE("errc: every enumerator has a unique name that is not \"unknown\"")
{
    std::set<std::string_view> names;
    for (const errc e : all_errc) {
        const std::string_view s = perc::to_string(e);
        CAPTURE(num(e));
        CHECK(!s.empty());
        CHECK(s != "unknown");
        CHECK(names.insert(s).second);
    }
    CHECK(names.size() == all_errc.size());
}

TEST_CASE("errc: exactly the declared enumerators have names")
{
    std::set<std::uint8_t> declared;
    for (const errc e : all_errc) declared.insert(num(e));
    for (unsigned v = 0; v < 256; ++v) {
        const auto e = static_cast<errc>(v);
        CAPTURE(v);
        const bool is_declared = declared.count(static_cast<std::uint8_t>(v)) == 1;
        CHECK((perc::to_string(e) != "unknown") == is_declared);
    }
}

TEST_CASE("errc: names equal the enumerator spelling")
{
    CHECK(perc::to_string(errc::ok) == "ok");
    CHECK(perc::to_string(errc::truncated) == "truncated");
    CHECK(perc::to_string(errc::bad_extension_element) == "bad_extension_element");
    CHECK(perc::to_string(errc::replayed) == "replayed");
    CHECK(perc::to_string(errc::too_old) == "too_old");
    CHECK(perc::to_string(errc::index_exhausted) == "index_exhausted");
    CHECK(perc::to_string(errc::stream_table_full) == "stream_table_full");
    CHECK(perc::to_string(errc::backend_failure) == "backend_failure");
    CHECK(perc::to_string(static_cast<errc>(31)) == "unknown");
    CHECK(perc::to_string(static_cast<errc>(255)) == "unknown");
}

TEST_CASE("errc: kind() groups by numeric range")
{
    CHECK(perc::kind(errc::ok) == error_kind::none);
    for (const errc e : all_errc) {
        const unsigned v = num(e);
        CAPTURE(v);
        const error_kind expected = v == 0   ? error_kind::none
                                    : v < 32 ? error_kind::malformed
                                    : v < 64 ? error_kind::rejected
                                    : v < 96 ? error_kind::misuse
                                             : error_kind::backend;
        CHECK(perc::kind(e) == expected);
    }
    // Spot checks of the documented grouping (STYLE "Errors" table).
    CHECK(perc::kind(errc::truncated) == error_kind::malformed);
    CHECK(perc::kind(errc::bad_padding) == error_kind::malformed);
    CHECK(perc::kind(errc::ekt_unknown_type) == error_kind::malformed);
    CHECK(perc::kind(errc::auth_failed) == error_kind::rejected);
    CHECK(perc::kind(errc::key_unwrap_failed) == error_kind::rejected);
    CHECK(perc::kind(errc::no_stream) == error_kind::rejected);
    CHECK(perc::kind(errc::buffer_too_small) == error_kind::misuse);
    CHECK(perc::kind(errc::index_exhausted) == error_kind::misuse);
    CHECK(perc::kind(errc::same_hop_keys) == error_kind::misuse);
    CHECK(perc::kind(errc::backend_failure) == error_kind::backend);
}
