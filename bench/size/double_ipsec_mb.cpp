// perc — -Os code-size probe: the RFC 8723 endpoint on the Intel IPsec-MB backend alone (its
// own AES-CM KDF; no Botan), built with -fno-exceptions -fno-rtti as an embedded build would
// be. See double_botan.cpp.
#include <perc/ipsec_mb/double.hpp>

#include <array>
#include <cstdint>
#include <cstdio>

int main()
{
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 24> salt{};
    std::array<std::uint8_t, 1500> buf{};
    const std::size_t n = std::fread(buf.data(), 1, 1400, stdin);
    perc::ipsec_mb::double_aes_128_gcm tx, rx;
    if (tx.init(key, salt) != perc::errc::ok || rx.init(key, salt) != perc::errc::ok) return 2;
    auto p = tx.protect_rtp(perc::bytes_view{buf.data(), n}, buf);
    if (!p) return 1;
    auto u = rx.unprotect_rtp(*p, buf);
    return u ? 0 : 1;
}
