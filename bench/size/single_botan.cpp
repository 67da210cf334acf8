// perc — -Os code-size probe: one RFC 7714 layer on the Botan backend (the baseline the
// double endpoint is compared with). See double_botan.cpp.
#include <perc/botan/srtp.hpp>

#include <array>
#include <cstdint>
#include <cstdio>

int main()
{
    std::array<std::uint8_t, 16> key{};
    std::array<std::uint8_t, 12> salt{};
    std::array<std::uint8_t, 1500> buf{};
    const std::size_t n = std::fread(buf.data(), 1, 1400, stdin);
    perc::botan::srtp_aes_128_gcm t;
    if (t.set_master_key(key, salt) != perc::errc::ok) return 2;
    perc::srtp_stream<> tx, rx;
    auto p = t.protect_rtp(tx, perc::bytes_view{buf.data(), n}, buf);
    if (!p) return 1;
    auto u = t.unprotect_rtp(rx, *p, buf);
    return u ? 0 : 1;
}
