// perc — Intel IPsec-MB backend: an owned, initialized IMB_MGR (library version 1.3).
#pragma once

#include <intel-ipsec-mb.h>

#include <cstdint>
#include <memory>

namespace perc::ipsec_mb {

/// Frees a manager obtained from alloc_mb_mgr().
struct manager_deleter {
    void operator()(IMB_MGR* m) const noexcept { free_mb_mgr(m); }
};

/// Owning pointer to an initialized IMB_MGR (move-only).
using manager_ptr = std::unique_ptr<IMB_MGR, manager_deleter>;

/// CPU features the library needs for `arch` (IMB_ARCH_NONE: none beyond what
/// init_mb_mgr_auto picks by itself), or ~0 for an arch this backend does not offer.
/// IMB_ARCH_NOAESNI is not offered: in 1.3, init_mb_mgr_sse on a manager allocated with
/// IMB_FLAG_AESNI_OFF crashes in the library's self-test.
constexpr std::uint64_t required_features(IMB_ARCH arch) noexcept
{
    switch (arch) {
    case IMB_ARCH_NONE: return 0;
    case IMB_ARCH_SSE: return IMB_CPUFLAGS_SSE;
    case IMB_ARCH_AVX: return IMB_CPUFLAGS_AVX;
    case IMB_ARCH_AVX2: return IMB_CPUFLAGS_AVX2;
    case IMB_ARCH_AVX512: return IMB_CPUFLAGS_AVX512;
    default: return ~std::uint64_t{0};
    }
}

/// True when this CPU can run the library's `arch` code path.
inline bool arch_supported(IMB_ARCH arch) noexcept
{
    const std::uint64_t need = required_features(arch);
    return (imb_get_feature_flags() & need) == need;
}

/// Allocates a manager and initializes it for `arch` (IMB_ARCH_NONE: init_mb_mgr_auto, the
/// best path this CPU supports). Null when allocation fails, the CPU lacks `arch`, the
/// library reports an error, or its power-on self-test did not pass.
/// Allocation: one (about 200 KB in 1.3). Thread safety: the result is not shared.
inline manager_ptr make_manager(IMB_ARCH arch = IMB_ARCH_NONE) noexcept
{
    if (!arch_supported(arch)) return nullptr;
    manager_ptr m{alloc_mb_mgr(0)};
    if (!m) return m;
    switch (arch) {
    case IMB_ARCH_SSE: init_mb_mgr_sse(m.get()); break;
    case IMB_ARCH_AVX: init_mb_mgr_avx(m.get()); break;
    case IMB_ARCH_AVX2: init_mb_mgr_avx2(m.get()); break;
    case IMB_ARCH_AVX512: init_mb_mgr_avx512(m.get()); break;
    default: init_mb_mgr_auto(m.get(), nullptr); break;
    }
    if (imb_get_errno(m.get()) != 0) return nullptr;
    // Builds with the self-test report its result in the feature mask.
    if ((m->features & IMB_FEATURE_SELF_TEST) != 0 &&
        (m->features & IMB_FEATURE_SELF_TEST_PASS) == 0)
        return nullptr;
    return m;
}

} // namespace perc::ipsec_mb
