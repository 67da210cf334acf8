// Intel IPsec-MB manager helper (perc/ipsec_mb/manager.hpp), and the library behaviour the
// GCM adapter's verify-first open() is built on (perc/ipsec_mb/aead.hpp), pinned on every code
// path this CPU can run, against Botan's independent AES and GHASH (NIST SP 800-38D §6.4, §7.1).
#include <perc/ipsec_mb/manager.hpp>

#include "test_util.hpp"

#include <botan/aes.h>
#include <botan/ghash.h>
#include <botan/secmem.h>

#include <doctest/doctest.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

using namespace perc_test;

namespace {

std::vector<IMB_ARCH> arches()
{
    std::vector<IMB_ARCH> v;
    for (IMB_ARCH a : {IMB_ARCH_NONE, IMB_ARCH_SSE, IMB_ARCH_AVX, IMB_ARCH_AVX2, IMB_ARCH_AVX512})
        if (perc::ipsec_mb::arch_supported(a)) v.push_back(a);
    return v;
}

struct alignas(64) key_block {
    gcm_key_data data;
};

/// Botan's GHASH over `data` zero-padded to whole blocks, starting from state `s`.
void botan_ghash(const bytes& h, std::array<std::uint8_t, 16>& s, const std::uint8_t* data,
                 std::size_t size)
{
    Botan::GHASH g;
    g.set_key(h.data(), h.size());
    Botan::secure_vector<std::uint8_t> acc(s.begin(), s.end());
    bytes padded(data, data + size);
    padded.resize((size + 15) & ~std::size_t{15}, 0);
    if (!padded.empty()) g.ghash_update(acc, padded.data(), padded.size());
    std::memcpy(s.data(), acc.data(), 16);
}

} // namespace

TEST_CASE("make_manager: the automatic choice works and reports no error")
{
    REQUIRE(perc::ipsec_mb::arch_supported(IMB_ARCH_NONE));
    const perc::ipsec_mb::manager_ptr m = perc::ipsec_mb::make_manager();
    REQUIRE(m != nullptr);
    CHECK(imb_get_errno(m.get()) == 0);
    CHECK(m->used_arch >= static_cast<std::uint32_t>(IMB_ARCH_SSE));
}

TEST_CASE("make_manager: each offered arch initializes to itself; NOAESNI and unknown are refused")
{
    for (IMB_ARCH a : arches()) {
        if (a == IMB_ARCH_NONE) continue;
        const perc::ipsec_mb::manager_ptr m = perc::ipsec_mb::make_manager(a);
        REQUIRE(m != nullptr);
        CHECK(m->used_arch == static_cast<std::uint32_t>(a));
    }
    CHECK_FALSE(perc::ipsec_mb::arch_supported(IMB_ARCH_NOAESNI));
    CHECK(perc::ipsec_mb::make_manager(IMB_ARCH_NOAESNI) == nullptr);
    CHECK(perc::ipsec_mb::make_manager(IMB_ARCH_NUM) == nullptr);
}

TEST_CASE("IMB_GHASH chains through its in/out tag and zero-pads a partial last block "
          "(SP 800-38D §6.4), every arch")
{
    rng r(0x6A5Bu);
    for (IMB_ARCH a : arches()) {
        INFO("arch ", static_cast<int>(a));
        const perc::ipsec_mb::manager_ptr m = perc::ipsec_mb::make_manager(a);
        REQUIRE(m != nullptr);
        bytes key(16);
        r.fill(key);
        key_block kd{};
        IMB_AES128_GCM_PRE(m.get(), key.data(), &kd.data);
        // H = AES_K(0^128) from Botan.
        bytes h(16, 0);
        Botan::AES_128 aes;
        aes.set_key(key.data(), key.size());
        aes.encrypt(h.data());
        for (std::size_t first : {16u, 32u, 48u, 64u, 256u}) {
            for (std::size_t second : {1u, 5u, 15u, 16u, 17u, 31u, 100u, 257u}) {
                bytes data(first + second);
                r.fill(data);
                std::array<std::uint8_t, 16> s{}, want{};
                IMB_GHASH(m.get(), &kd.data, data.data(), first, s.data(), 16);
                IMB_GHASH(m.get(), &kd.data, data.data() + first, second, s.data(), 16);
                botan_ghash(h, want, data.data(), data.size());
                CHECK(to_hex(s) == to_hex(want));
            }
        }
    }
}

TEST_CASE("GCM encryption of empty AAD and empty text returns AES_K(IV ‖ 0^31 ‖ 1) as its tag "
          "(SP 800-38D §7.1: GHASH of the zero length block is 0), every arch, both key sizes")
{
    rng r(0xE0u);
    for (IMB_ARCH a : arches()) {
        INFO("arch ", static_cast<int>(a));
        const perc::ipsec_mb::manager_ptr m = perc::ipsec_mb::make_manager(a);
        REQUIRE(m != nullptr);
        for (std::size_t ks : {16u, 32u}) {
            bytes key(ks), iv(12);
            r.fill(key);
            r.fill(iv);
            key_block kd{};
            gcm_context_data ctx{};
            std::array<std::uint8_t, 16> tag{};
            if (ks == 16) {
                IMB_AES128_GCM_PRE(m.get(), key.data(), &kd.data);
                IMB_AES128_GCM_ENC(m.get(), &kd.data, &ctx, nullptr, nullptr, 0, iv.data(), nullptr,
                                   0, tag.data(), 16);
            } else {
                IMB_AES256_GCM_PRE(m.get(), key.data(), &kd.data);
                IMB_AES256_GCM_ENC(m.get(), &kd.data, &ctx, nullptr, nullptr, 0, iv.data(), nullptr,
                                   0, tag.data(), 16);
            }
            bytes j0 = iv;
            j0.insert(j0.end(), {0, 0, 0, 1});
            if (ks == 16) {
                Botan::AES_128 aes;
                aes.set_key(key.data(), key.size());
                aes.encrypt(j0.data());
            } else {
                Botan::AES_256 aes;
                aes.set_key(key.data(), key.size());
                aes.encrypt(j0.data());
            }
            CHECK(to_hex(tag) == to_hex(j0));
        }
    }
}

TEST_CASE("GCM decryption without AAD is counter mode from IV ‖ 2 (SP 800-38D §7.2), every arch")
{
    rng r(0xC7Eu);
    for (IMB_ARCH a : arches()) {
        INFO("arch ", static_cast<int>(a));
        const perc::ipsec_mb::manager_ptr m = perc::ipsec_mb::make_manager(a);
        REQUIRE(m != nullptr);
        bytes key(16), iv(12);
        r.fill(key);
        r.fill(iv);
        key_block kd{};
        IMB_AES128_GCM_PRE(m.get(), key.data(), &kd.data);
        Botan::AES_128 aes;
        aes.set_key(key.data(), key.size());
        for (std::size_t n : {1u, 15u, 16u, 17u, 160u, 1200u}) {
            bytes in(n);
            r.fill(in);
            bytes want = in;
            for (std::size_t b = 0; 16 * b < n; ++b) {
                std::array<std::uint8_t, 16> ctr{};
                std::memcpy(ctr.data(), iv.data(), 12);
                const std::uint32_t c = static_cast<std::uint32_t>(b + 2);
                ctr[12] = static_cast<std::uint8_t>(c >> 24);
                ctr[13] = static_cast<std::uint8_t>(c >> 16);
                ctr[14] = static_cast<std::uint8_t>(c >> 8);
                ctr[15] = static_cast<std::uint8_t>(c);
                aes.encrypt(ctr.data());
                for (std::size_t i = 0; i < 16 && 16 * b + i < n; ++i) want[16 * b + i] ^= ctr[i];
            }
            bytes out(n, 0);
            gcm_context_data ctx{};
            std::array<std::uint8_t, 16> unused{};
            IMB_AES128_GCM_DEC(m.get(), &kd.data, &ctx, out.data(), in.data(), n, iv.data(),
                               nullptr, 0, unused.data(), 16);
            CHECK(to_hex(out) == to_hex(want));
        }
    }
}
