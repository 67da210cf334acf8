// perc — -Os code-size probe: the smallest useful RFC 8723 endpoint on the Botan backend.
// A sender and a receiver (init), then protect_rtp and unprotect_rtp of a packet read from
// stdin, so that nothing folds away. bench/meson.build builds it at -Os and the `size-report`
// run target prints `size` for every probe (docs/performance.md, "Code size").
#include <perc/botan/double.hpp>

#include <array>
#include <cstdint>
#include <cstdio>

int main()
{
    std::array<std::uint8_t, 32> key{};
    std::array<std::uint8_t, 24> salt{};
    std::array<std::uint8_t, 1500> buf{};
    const std::size_t n = std::fread(buf.data(), 1, 1400, stdin);
    perc::botan::double_aes_128_gcm tx, rx;
    if (tx.init(key, salt) != perc::errc::ok || rx.init(key, salt) != perc::errc::ok) return 2;
    auto p = tx.protect_rtp(perc::bytes_view{buf.data(), n}, buf);
    if (!p) return 1;
    auto u = rx.unprotect_rtp(*p, buf);
    return u ? 0 : 1;
}
