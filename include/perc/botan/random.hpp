// perc — random_source policies on Botan: the operating system's generator for keys, and a
// seeded deterministic generator for reproducible simulations and tests.
#pragma once

#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/errc.hpp>

#include <botan/chacha_rng.h>
#include <botan/secmem.h>
#include <botan/system_rng.h>

#include <cstdint>
#include <memory>

namespace perc::botan {

/// Keys from the operating system's CSPRNG (getrandom / /dev/urandom through Botan's
/// System_RNG). Use this for real conferences. Allocation: none per call.
class system_random {
public:
    errc fill(bytes_span out) noexcept
    {
        try {
            Botan::system_rng().randomize(out.data(), out.size());
            return errc::ok;
        } catch (...) {
            return errc::backend_failure;
        }
    }
};

/// A deterministic stream (Botan's ChaCha_RNG) from a 64-bit seed: the same seed gives the
/// same keys, so a simulated conference can be replayed bit for bit (`perc demo --seed`).
/// NOT for real keys: 64 bits of seed are guessable. Allocation: construction only.
class seeded_random {
public:
    explicit seeded_random(std::uint64_t seed)
    {
        Botan::secure_vector<std::uint8_t> s(32, 0);
        for (unsigned i = 0; i < 8; ++i) s[i] = static_cast<std::uint8_t>(seed >> (8 * i));
        rng_ = std::make_unique<Botan::ChaCha_RNG>(s);
    }

    errc fill(bytes_span out) noexcept
    {
        try {
            rng_->randomize(out.data(), out.size());
            return errc::ok;
        } catch (...) {
            return errc::backend_failure;
        }
    }

private:
    std::unique_ptr<Botan::ChaCha_RNG> rng_;
};

static_assert(random_source<system_random>);
static_assert(random_source<seeded_random>);

} // namespace perc::botan
