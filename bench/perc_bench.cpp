// perc-bench — per-packet cost of perc on each AEAD backend (Botan; Intel IPsec-MB when
// built with it), measured in the same rounds as (a) the raw AEAD passes of the SAME backend
// over the same IVs, AADs and payloads — the floor any implementation on that backend pays —
// and (b) Debian's libsrtp2 doing the same job. Raw is the perc adapter for Botan (a thin
// layer over Botan's AES/CTR/GHASH) and the library's own one-shot GCM calls for IPsec-MB.
// Cases: one RFC 7714 AES-GCM layer (srtp_*, srtcp_*, forged_reject, key_setup) and the
// RFC 8723 double transform (double_protect, double_unprotect, double_forged_reject,
// double_inner_forged: raw = two passes, libsrtp2 = two composed sessions), Media
// Distributor relay (md_relay: raw = one open + one seal, libsrtp2 = unprotect, header and
// OHB rewrite, protect) and fan-out (md_fanout: one open, four forwards; raw = one open +
// four seals, libsrtp2 = one unprotect + four rewrites and protects) and RFC 8870 EKT
// receive. See docs/performance.md for how to read the output.
//
// Method: a "case" owns three implementations (ours, raw, libsrtp2). Each implementation is
// a pair of lambdas: stage(batch) copies the next batch of packets into hot work buffers and
// resets per-round state (untimed); run() processes that batch (timed) and returns how many
// packets had the expected outcome. measure() runs many rounds; within a round the three
// implementations take turns batch by batch, in a rotating order, and it reports medians of
// per-packet nanoseconds and medians of per-round ratios — so load from other processes on a
// shared machine hits all three alike. Heap allocations inside run() are counted
// (operator new, Botan's allocate_memory, malloc/calloc/realloc).
//
// Every case is written once, as a template over a suite<Backend, KeySize> (the backend
// traits name the transform, double endpoint, Media Distributor, KDF and raw AEAD types), and
// instantiated for each backend and key size by run_suite().
//
// Adding a case: write a function like case_srtp_protect() — build the three impl{stage, run}
// objects (or `absent{}`), call measure(), then report(). No virtual call sits in a timed loop.

#include <perc/botan/srtp.hpp>

#include <perc/aead_nonce.hpp>
#include <perc/botan/aead.hpp>
#include <perc/botan/aes_cm_kdf.hpp>
#include <perc/botan/double.hpp>
#include <perc/bytes.hpp>
#include <perc/errc.hpp>
#include <perc/srtp_stream.hpp>

#include <botan/mem_ops.h>
#include <botan/version.h>

#if PERC_BENCH_HAVE_LIBSRTP2
#include <srtp2/srtp.h>
#endif

#ifndef PERC_BENCH_HAVE_IPSEC_MB
#define PERC_BENCH_HAVE_IPSEC_MB 0
#endif
#if PERC_BENCH_HAVE_IPSEC_MB
#include <perc/ipsec_mb/aead.hpp>
#include <perc/ipsec_mb/aes_cm_kdf.hpp>
#include <perc/ipsec_mb/double.hpp>
#include <perc/ipsec_mb/manager.hpp>
#include <perc/ipsec_mb/srtp.hpp>

#include <intel-ipsec-mb.h>
#endif
// Define to 1 to time the IPsec-MB backend against its perc adapter (perc::ipsec_mb::aead_gcm)
// instead of the library's bare one-shot GCM calls: separates the adapter's cost (verify
// before decrypt, wiping its scratch) from the rest of perc's per-packet glue.
#ifndef PERC_BENCH_IPSEC_MB_RAW_ADAPTER
#define PERC_BENCH_IPSEC_MB_RAW_ADAPTER 0
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define PERC_BENCH_HAVE_RDTSC 1
#else
#define PERC_BENCH_HAVE_RDTSC 0
#endif

// Sanitizer runtimes own malloc: interposing it as well would crash, so such builds count
// operator new only.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define PERC_BENCH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define PERC_BENCH_SANITIZED 1
#endif
#endif
#ifndef PERC_BENCH_SANITIZED
#define PERC_BENCH_SANITIZED 0
#endif

#if defined(__GLIBC__) && !PERC_BENCH_SANITIZED
#include <dlfcn.h>
#define PERC_BENCH_COUNT_MALLOC 1
#else
#define PERC_BENCH_COUNT_MALLOC 0
#endif

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

// ============================================================== allocation counting
//
// Every heap allocation made by this process is one "event": operator new (our code, Botan's
// std::vector/unique_ptr), Botan::allocate_memory (secure_vector; Botan's locking pool does
// not go through malloc), and malloc/calloc/realloc called directly (libsrtp2, NSS). A
// thread-local guard keeps the malloc inside operator new or allocate_memory from counting
// twice. The bench is single-threaded; the counter is atomic only to be safe with helpers.

namespace {
std::atomic<std::uint64_t> g_alloc_events{0};
thread_local bool g_in_counted_alloc = false;

std::uint64_t alloc_events() noexcept
{
    return g_alloc_events.load(std::memory_order_relaxed);
}
void count_alloc() noexcept
{
    g_alloc_events.fetch_add(1, std::memory_order_relaxed);
}

struct alloc_guard {
    bool saved = g_in_counted_alloc;
    alloc_guard() noexcept { g_in_counted_alloc = true; }
    ~alloc_guard() { g_in_counted_alloc = saved; }
    alloc_guard(const alloc_guard&) = delete;
    alloc_guard& operator=(const alloc_guard&) = delete;
};
} // namespace

#if PERC_BENCH_COUNT_MALLOC
extern "C" {
void* __libc_malloc(std::size_t) noexcept;
void* __libc_calloc(std::size_t, std::size_t) noexcept;
void* __libc_realloc(void*, std::size_t) noexcept;
void __libc_free(void*) noexcept;

// glibc supports replacing malloc in the executable; these forward to its own allocator.
void* malloc(std::size_t n) noexcept
{
    if (!g_in_counted_alloc) count_alloc();
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) noexcept
{
    if (!g_in_counted_alloc) count_alloc();
    return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) noexcept
{
    if (!g_in_counted_alloc) count_alloc();
    return __libc_realloc(p, n);
}
void free(void* p) noexcept
{
    __libc_free(p);
}
}

// Botan's own calls reach this through the PLT (ELF interposition), so secure_vector
// allocations inside libbotan are counted too. Forwards to the library's definition.
void* Botan::allocate_memory(std::size_t elems, std::size_t elem_size)
{
    using fn = void* (*)(std::size_t, std::size_t);
    static fn real = [] {
        void* sym = dlsym(RTLD_NEXT, "_ZN5Botan15allocate_memoryEmm");
        if (sym == nullptr) {
            std::fputs("perc-bench: cannot find Botan::allocate_memory\n", stderr);
            std::abort();
        }
        fn f = nullptr;
        static_assert(sizeof f == sizeof sym);
        std::memcpy(&f, &sym, sizeof f);
        return f;
    }();
    count_alloc();
    alloc_guard guard;
    return real(elems, elem_size);
}
#endif

namespace {
void* counted_new(std::size_t n)
{
    count_alloc();
    alloc_guard guard;
    void* p = std::malloc(n == 0 ? 1 : n);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}
void* counted_new_aligned(std::size_t n, std::align_val_t al)
{
    count_alloc();
    alloc_guard guard;
    const auto a = static_cast<std::size_t>(al);
    const std::size_t rounded = ((n == 0 ? 1 : n) + a - 1) / a * a;
    void* p = std::aligned_alloc(a, rounded);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}
} // namespace

void* operator new(std::size_t n)
{
    return counted_new(n);
}
void* operator new[](std::size_t n)
{
    return counted_new(n);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept
{
    try {
        return counted_new(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept
{
    try {
        return counted_new(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new(std::size_t n, std::align_val_t a)
{
    return counted_new_aligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a)
{
    return counted_new_aligned(n, a);
}
void operator delete(void* p) noexcept
{
    std::free(p);
}
void operator delete[](void* p) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept
{
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept
{
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept
{
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept
{
    std::free(p);
}

namespace {

using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

[[noreturn]] void die(const char* what)
{
    std::fprintf(stderr, "perc-bench: %s\n", what);
    std::exit(1);
}

// ============================================================== options and clock

struct options {
    std::size_t rounds = 41;
    std::size_t packets = 2048; ///< distinct packets per implementation per round
    std::size_t batch = 64;     ///< packets staged into hot buffers per timed run()
    std::size_t key_setups = 128;
    bool json = false;
    bool quick = false;
    std::string filter;          ///< run only cases whose name contains this
    std::string backend = "all"; ///< "botan", "ipsec-mb" or "all"
};

struct plan {
    std::size_t rounds;
    std::size_t batches; ///< timed run() calls per implementation per round
    std::size_t batch;   ///< packets per run()
    std::size_t packets() const { return batches * batch; }
};

using clock_type = std::chrono::steady_clock;

std::int64_t elapsed_ns(clock_type::time_point a, clock_type::time_point b)
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(b - a).count();
}

/// TSC ticks per nanosecond, from rdtsc against steady_clock over `ms` milliseconds
/// (0 when there is no TSC). With constant_tsc the TSC runs at the nominal rate, which is
/// not the core clock under turbo or throttling: cycles/byte is an estimate.
double calibrate_tsc_ghz(int ms)
{
#if PERC_BENCH_HAVE_RDTSC
    const auto t0 = clock_type::now();
    const std::uint64_t c0 = __rdtsc();
    while (elapsed_ns(t0, clock_type::now()) < std::int64_t{ms} * 1000000) {
    }
    const auto t1 = clock_type::now();
    const std::uint64_t c1 = __rdtsc();
    return static_cast<double>(c1 - c0) / static_cast<double>(elapsed_ns(t0, t1));
#else
    (void)ms;
    return 0.0;
#endif
}

double median(std::vector<double> v)
{
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

double quantile(std::vector<double> v, double q)
{
    if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
    std::sort(v.begin(), v.end());
    const double pos = q * static_cast<double>(v.size() - 1);
    const auto lo = static_cast<std::size_t>(pos);
    const std::size_t hi = lo + 1 < v.size() ? lo + 1 : lo;
    const double frac = pos - static_cast<double>(lo);
    return v[lo] * (1.0 - frac) + v[hi] * frac;
}

// ============================================================== the case abstraction

/// One implementation of a case. stage(batch) is untimed: it copies the batch's packets into
/// the work buffers (batch 0 also resets per-round state such as a fresh stream). run() is
/// timed: it processes one batch and returns how many packets had the expected outcome.
template <class Stage, class Run>
struct impl {
    Stage stage;
    Run run;
};
template <class Stage, class Run>
impl(Stage, Run) -> impl<Stage, Run>;

/// An implementation that is not available (libsrtp2 compiled out) or not applicable.
struct absent {};

struct samples {
    bool present = false;
    std::vector<double> ns; ///< per round: median over its batches of ns per packet
    std::uint64_t allocs = 0;
    std::uint64_t packets = 0;
};

enum which : std::size_t { ours = 0, raw = 1, lib = 2 };

struct measurement {
    samples s[3];
    std::vector<double> vs_raw, vs_lib; ///< per-round ours/raw, ours/libsrtp2
};

/// One batch of one implementation: staged (untimed), then run (timed). Returns ns per packet
/// (NaN for an absent implementation).
template <class I>
double time_batch(const plan& p, I& im, std::size_t b, samples& s, const char* label)
{
    if constexpr (std::is_same_v<I, absent>) {
        (void)p, (void)im, (void)b, (void)s, (void)label;
        return std::numeric_limits<double>::quiet_NaN();
    } else {
        s.present = true;
        im.stage(b);
        const std::uint64_t a0 = alloc_events();
        const auto t0 = clock_type::now();
        const std::size_t good = im.run();
        const auto t1 = clock_type::now();
        s.allocs += alloc_events() - a0;
        s.packets += p.batch;
        if (good != p.batch) {
            std::fprintf(stderr, "perc-bench: %s: %zu of %zu packets had the wrong outcome\n",
                         label, p.batch - good, p.batch);
            std::exit(1);
        }
        return static_cast<double>(elapsed_ns(t0, t1)) / static_cast<double>(p.batch);
    }
}

/// Runs one warm-up round, then p.rounds rounds. Within a round the three implementations
/// take turns batch by batch (batch b of each, in an order rotated by round and batch, so
/// none always runs first), so a slow stretch of a shared machine lands on all three alike.
/// A round's value per implementation is the median over its batches of ns per packet (a
/// batch the scheduler preempted does not move it); a round's ratio is ours ÷ the other,
/// and the report gives medians over rounds.
template <class Ours, class Raw, class Lib>
measurement measure(const plan& p, const char* name, Ours& a, Raw& b, Lib& c)
{
    measurement m;
    samples warm[3];
    auto one = [&](std::size_t w, std::size_t batch, samples* into) -> double {
        switch (w) {
        case ours: return time_batch(p, a, batch, into[ours], name);
        case raw: return time_batch(p, b, batch, into[raw], "raw");
        default: return time_batch(p, c, batch, into[lib], "libsrtp2");
        }
    };
    std::vector<double> per_batch[3];
    for (std::size_t r = 0; r <= p.rounds; ++r) {
        const bool warm_up = r == 0;
        for (auto& v : per_batch) v.clear();
        for (std::size_t batch = 0; batch < p.batches; ++batch)
            for (std::size_t k = 0; k < 3; ++k) {
                const std::size_t w = (r + batch + k) % 3;
                per_batch[w].push_back(one(w, batch, warm_up ? warm : m.s));
            }
        if (warm_up) continue;
        double ns[3];
        for (std::size_t w = 0; w < 3; ++w) {
            ns[w] = median(per_batch[w]);
            if (m.s[w].present) m.s[w].ns.push_back(ns[w]);
        }
        if (m.s[raw].present) m.vs_raw.push_back(ns[ours] / ns[raw]);
        if (m.s[lib].present) m.vs_lib.push_back(ns[ours] / ns[lib]);
    }
    return m;
}

// ============================================================== reporting

struct context {
    options opt;
    double tsc_ghz = 0;
    bool header_printed = false;
    const char* backend = ""; ///< backend of the cases being run ("botan", "ipsec-mb")
};

struct row {
    const char* name;
    const char* suite;
    std::size_t payload; ///< bytes of payload per packet (0: not per packet, e.g. key_setup)
    /// Forged-packet cases: ours ÷ ours for the matching valid unprotect case (same suite and
    /// payload, measured just before; a ratio of medians, not of rounds). NaN elsewhere.
    double vs_valid = std::numeric_limits<double>::quiet_NaN();
};

void print_table_header()
{
    std::printf("%-20s %-8s %-10s %5s | %9s %8s %6s %6s %6s | %9s %6s %6s | %9s %6s %6s | %6s %8s "
                "%8s\n",
                "case", "backend", "suite", "bytes", "ours_ns", "Mpkt/s", "cyc/B", "+-%", "allocs",
                "raw_ns", "cyc/B", "allocs", "srtp2_ns", "cyc/B", "allocs", "vs_raw", "vs_srtp2",
                "vs_valid");
}

std::string fmt(const char* f, double v)
{
    if (std::isnan(v)) return "n/a";
    char buf[32];
    std::snprintf(buf, sizeof buf, f, v);
    return buf;
}

std::string json_num(double v)
{
    if (std::isnan(v)) return "null";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4g", v);
    return buf;
}

/// Prints one case and returns ours' median ns per packet.
double report(context& ctx, const plan& p, const row& r, const measurement& m)
{
    const double nan = std::numeric_limits<double>::quiet_NaN();
    double ns[3], allocs[3], cpb[3];
    for (std::size_t w = 0; w < 3; ++w) {
        const samples& s = m.s[w];
        ns[w] = s.present ? median(s.ns) : nan;
        allocs[w] = s.present && s.packets != 0
                        ? static_cast<double>(s.allocs) / static_cast<double>(s.packets)
                        : nan;
        const bool per_byte = r.payload != 0 && ctx.tsc_ghz > 0;
        cpb[w] = per_byte ? ns[w] * ctx.tsc_ghz / static_cast<double>(r.payload) : nan;
    }
    const double spread = (quantile(m.s[ours].ns, 0.75) - quantile(m.s[ours].ns, 0.25)) / 2.0 /
                          ns[ours] * 100.0;
    const double vs_raw = median(m.vs_raw);
    const double vs_lib = median(m.vs_lib);
    if (ctx.opt.json) {
        std::printf("{\"case\":\"%s\",\"backend\":\"%s\",\"suite\":\"%s\",\"payload\":%zu,"
                    "\"ns\":%s,\"ns_min\":%s,\"ns_iqr_half_pct\":%s,\"pps\":%s,"
                    "\"cycles_per_byte\":%s,\"allocs\":%s,\"raw_ns\":%s,\"raw_allocs\":%s,"
                    "\"libsrtp_ns\":%s,\"libsrtp_allocs\":%s,\"vs_raw\":%s,\"vs_libsrtp\":%s,"
                    "\"vs_valid\":%s,\"rounds\":%zu,\"packets_per_round\":%zu,\"tsc_ghz\":%s}\n",
                    r.name, ctx.backend, r.suite, r.payload, json_num(ns[ours]).c_str(),
                    json_num(quantile(m.s[ours].ns, 0.0)).c_str(), json_num(spread).c_str(),
                    json_num(1e9 / ns[ours]).c_str(), json_num(cpb[ours]).c_str(),
                    json_num(allocs[ours]).c_str(), json_num(ns[raw]).c_str(),
                    json_num(allocs[raw]).c_str(), json_num(ns[lib]).c_str(),
                    json_num(allocs[lib]).c_str(), json_num(vs_raw).c_str(),
                    json_num(vs_lib).c_str(), json_num(r.vs_valid).c_str(), p.rounds, p.packets(),
                    json_num(ctx.tsc_ghz).c_str());
    } else {
        if (!ctx.header_printed) {
            print_table_header();
            ctx.header_printed = true;
        }
        std::printf("%-20s %-8s %-10s %5zu | %9s %8s %6s %6s %6s | %9s %6s %6s | %9s %6s %6s | "
                    "%6s %8s %8s\n",
                    r.name, ctx.backend, r.suite, r.payload, fmt("%.1f", ns[ours]).c_str(),
                    fmt("%.3f", 1e3 / ns[ours]).c_str(), fmt("%.2f", cpb[ours]).c_str(),
                    fmt("%.1f", spread).c_str(), fmt("%.2f", allocs[ours]).c_str(),
                    fmt("%.1f", ns[raw]).c_str(), fmt("%.2f", cpb[raw]).c_str(),
                    fmt("%.2f", allocs[raw]).c_str(), fmt("%.1f", ns[lib]).c_str(),
                    fmt("%.2f", cpb[lib]).c_str(), fmt("%.2f", allocs[lib]).c_str(),
                    fmt("%.3f", vs_raw).c_str(), fmt("%.3f", vs_lib).c_str(),
                    fmt("%.3f", r.vs_valid).c_str());
    }
    std::fflush(stdout);
    return ns[ours];
}

// ============================================================== packets

/// `count` packet slots of `capacity` octets each (64-octet aligned), all holding packets
/// of the same `size`.
class packet_set {
public:
    packet_set(std::size_t count, std::size_t capacity)
        : stride_((capacity + 63) / 64 * 64), count_(count), storage_(count * stride_ + 64)
    {
        const auto addr = reinterpret_cast<std::uintptr_t>(storage_.data());
        base_ = storage_.data() + ((64 - addr % 64) % 64);
    }
    std::size_t count() const { return count_; }
    std::size_t size = 0;
    bytes_span slot(std::size_t i) { return {base_ + i * stride_, stride_}; }
    bytes_span packet(std::size_t i) { return slot(i).first(size); }

    /// Copies packets [first, first + n) of `from` into slots 0..n-1.
    void stage(packet_set& from, std::size_t first, std::size_t n)
    {
        size = from.size;
        for (std::size_t i = 0; i < n; ++i)
            std::memcpy(slot(i).data(), from.slot(first + i).data(), size);
    }

private:
    std::size_t stride_;
    std::size_t count_;
    std::vector<std::uint8_t> storage_;
    std::uint8_t* base_ = nullptr;
};

/// xorshift64*: deterministic payload bytes and keys.
struct rng {
    std::uint64_t state = 0x853C49E6748FEA9Bull;
    std::uint8_t byte()
    {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        return static_cast<std::uint8_t>((state * 0x2545F4914F6CDD1Dull) >> 56);
    }
    void fill(bytes_span s)
    {
        for (auto& x : s) x = byte();
    }
};

constexpr std::uint32_t bench_ssrc = 0xCAFEBABEu;
constexpr std::size_t rtp_header_size = 12;
constexpr std::size_t rtcp_header_size = 8;
constexpr std::size_t slack = 64; // room for tags, the ESRTCP word and libsrtp2's trailer

/// Packet i has SEQ 1 + i: distinct, increasing, no ROC wrap within a round.
std::uint16_t seq_of(std::size_t i)
{
    return static_cast<std::uint16_t>(1 + i);
}

void write_rtp_header(std::uint8_t* h, std::uint16_t seq)
{
    h[0] = 0x80; // V = 2, no padding, extension or CSRC
    h[1] = 96;   // dynamic PT, M = 0
    perc::store_be16(h + 2, seq);
    perc::store_be32(h + 4, 0x10000000u + 960u * seq); // timestamp
    perc::store_be32(h + 8, bench_ssrc);
}

void write_rtcp_header(std::uint8_t* h, std::size_t total)
{
    h[0] = 0x80;                                                        // V = 2, RC = 0
    h[1] = 200;                                                         // SR
    perc::store_be16(h + 2, static_cast<std::uint16_t>(total / 4 - 1)); // RFC 3550 length
    perc::store_be32(h + 4, bench_ssrc);
}

/// The raw baseline: one adapter call over a packet in place. `clear` octets at the front are
/// AAD (plus `aad2`, the ESRTCP word for SRTCP), then `ps` octets of payload, then the tag.
template <class Aead>
errc raw_seal(Aead& a, const perc::aead_nonce& n, std::uint8_t* pkt, std::size_t clear,
              std::size_t ps, bytes_view aad2 = {}) noexcept
{
    const bytes_span payload{pkt + clear, ps};
    return a.seal(n, perc::aad_view{bytes_view{pkt, clear}, aad2}, payload, payload,
                  std::span<std::uint8_t, 16>{pkt + clear + ps, 16});
}

template <class Aead>
errc raw_open(Aead& a, const perc::aead_nonce& n, std::uint8_t* pkt, std::size_t clear,
              std::size_t ps, bytes_view aad2 = {}) noexcept
{
    const bytes_span payload{pkt + clear, ps};
    return a.open(n, perc::aad_view{bytes_view{pkt, clear}, aad2}, payload,
                  std::span<const std::uint8_t, 16>{pkt + clear + ps, 16}, payload);
}

// ============================================================== backends and suites

/// K == 16 picks A128, K == 32 picks A256.
template <std::size_t K, class A128, class A256>
using by_key = std::conditional_t<K == 16, A128, A256>;

/// Backend traits: the perc types a user of the backend would name (the ready-made aliases),
/// and `raw`, the bare AEAD floor of the same backend (an aead_cipher-shaped type with
/// set_key, seal and open). EKT always uses Botan's AES key wrap (IPsec-MB 1.3 has none).
struct botan_backend {
    static constexpr const char* name = "botan";
    template <std::size_t K>
    using transform = by_key<K, perc::botan::srtp_aes_128_gcm, perc::botan::srtp_aes_256_gcm>;
    template <std::size_t K>
    using endpoint = by_key<K, perc::botan::double_aes_128_gcm, perc::botan::double_aes_256_gcm>;
    template <std::size_t K>
    using distributor = by_key<K, perc::botan::media_distributor_aes_128_gcm,
                               perc::botan::media_distributor_aes_256_gcm>;
    template <std::size_t K>
    using kdf = perc::botan::aes_cm_kdf<K>;
    /// The perc adapter: Botan's AES, CTR and GHASH with the tag checked before decryption.
    template <std::size_t K>
    using raw = by_key<K, perc::botan::aead_aes_128_gcm, perc::botan::aead_aes_256_gcm>;
};

#if PERC_BENCH_HAVE_IPSEC_MB
/// The IPsec-MB floor: the library's one-shot GCM encryption / decryption (the same function
/// table, hence the same code path — AVX-512/VAES where the CPU has it — as the perc adapter),
/// with the AAD passed in one piece (header ‖ ESRTCP word joined on the stack for SRTCP).
/// open() decrypts, then compares the computed tag: what a caller of the bare library does,
/// without perc's verify-before-decrypt, scratch wiping or argument checks.
template <std::size_t K>
class imb_raw_gcm {
public:
    errc set_key(std::span<const std::uint8_t, K> key) noexcept
    {
        fn_ = perc::ipsec_mb::detail::gcm_table<K>(IMB_ARCH_NONE);
        if (fn_ == nullptr) return errc::backend_failure;
        fn_->pre(key.data(), &key_);
        return errc::ok;
    }
    errc seal(std::span<const std::uint8_t, 12> nonce, const perc::aad_view& aad, bytes_view in,
              bytes_span out, std::span<std::uint8_t, 16> tag) noexcept
    {
        std::uint8_t joined[64];
        const std::uint8_t* a = join(aad, joined);
        fn_->enc(&key_, &ctx_, out.data(), in.data(), in.size(), nonce.data(), a, aad.size(),
                 tag.data(), 16);
        return errc::ok;
    }
    errc open(std::span<const std::uint8_t, 12> nonce, const perc::aad_view& aad, bytes_view in,
              std::span<const std::uint8_t, 16> tag, bytes_span out) noexcept
    {
        std::uint8_t joined[64];
        const std::uint8_t* a = join(aad, joined);
        std::uint8_t t[16];
        fn_->dec(&key_, &ctx_, out.data(), in.data(), in.size(), nonce.data(), a, aad.size(), t,
                 16);
        return perc::ct_equal(bytes_view{t}, bytes_view{tag}) ? errc::ok : errc::auth_failed;
    }

private:
    static const std::uint8_t* join(const perc::aad_view& aad, std::uint8_t (&buf)[64]) noexcept
    {
        if (aad.second.empty()) return aad.first.data();
        std::memcpy(buf, aad.first.data(), aad.first.size());
        std::memcpy(buf + aad.first.size(), aad.second.data(), aad.second.size());
        return buf;
    }
    alignas(64) gcm_key_data key_{};
    alignas(64) gcm_context_data ctx_{};
    const perc::ipsec_mb::detail::gcm_functions* fn_ = nullptr;
};

struct ipsec_mb_backend {
    static constexpr const char* name = "ipsec-mb";
    template <std::size_t K>
    using transform = by_key<K, perc::ipsec_mb::srtp_aes_128_gcm, perc::ipsec_mb::srtp_aes_256_gcm>;
    template <std::size_t K>
    using endpoint =
        by_key<K, perc::ipsec_mb::double_aes_128_gcm, perc::ipsec_mb::double_aes_256_gcm>;
    template <std::size_t K>
    using distributor = by_key<K, perc::ipsec_mb::media_distributor_aes_128_gcm,
                               perc::ipsec_mb::media_distributor_aes_256_gcm>;
    template <std::size_t K>
    using kdf = perc::ipsec_mb::aes_cm_kdf<K>;
#if PERC_BENCH_IPSEC_MB_RAW_ADAPTER
    template <std::size_t K>
    using raw = by_key<K, perc::ipsec_mb::aead_aes_128_gcm, perc::ipsec_mb::aead_aes_256_gcm>;
#else
    template <std::size_t K>
    using raw = imb_raw_gcm<K>;
#endif
};
#endif

/// One (backend, key size): AEAD_AES_128_GCM (K = 16) or AEAD_AES_256_GCM (K = 32).
template <class Backend, std::size_t K>
struct suite {
    static_assert(K == 16 || K == 32);
    using backend = Backend;
    using transform = typename Backend::template transform<K>;
    using aead = typename Backend::template raw<K>;
    using endpoint = typename Backend::template endpoint<K>;
    using distributor = typename Backend::template distributor<K>;
    using kdf = typename Backend::template kdf<K>;
    static constexpr const char* name = K == 16 ? "aes128-gcm" : "aes256-gcm";
#if PERC_BENCH_HAVE_LIBSRTP2
    static void srtp2_policy(srtp_crypto_policy_t* p)
    {
        if constexpr (K == 16) srtp_crypto_policy_set_aes_gcm_128_16_auth(p);
        else srtp_crypto_policy_set_aes_gcm_256_16_auth(p);
    }
#endif
};

template <class Suite>
struct keys {
    static constexpr std::size_t key_size = Suite::transform::master_key_size;
    std::array<std::uint8_t, key_size> master_key{};
    std::array<std::uint8_t, 12> master_salt{};
    std::array<std::uint8_t, key_size + 12> key_salt{}; ///< libsrtp2 wants key ‖ salt
    // Session keys (RFC 7714 §11), so the raw adapter uses exactly our keys and IVs.
    std::array<std::uint8_t, key_size> rtp_key{}, rtcp_key{};
    std::array<std::uint8_t, 12> rtp_salt{}, rtcp_salt{};

    explicit keys(std::uint64_t seed = rng{}.state)
    {
        rng g{seed};
        g.fill(master_key);
        g.fill(master_salt);
        std::copy(master_key.begin(), master_key.end(), key_salt.begin());
        std::copy(master_salt.begin(), master_salt.end(), key_salt.begin() + key_size);
        const std::span<const std::uint8_t, key_size> mk{master_key};
        if (Suite::kdf::derive(mk, master_salt, 0x00, rtp_key) != errc::ok ||
            Suite::kdf::derive(mk, master_salt, 0x02, rtp_salt) != errc::ok ||
            Suite::kdf::derive(mk, master_salt, 0x03, rtcp_key) != errc::ok ||
            Suite::kdf::derive(mk, master_salt, 0x05, rtcp_salt) != errc::ok)
            die("key derivation failed");
    }

    typename Suite::transform transform() const
    {
        typename Suite::transform t;
        if (t.set_master_key(master_key, master_salt) != errc::ok) die("set_master_key failed");
        return t;
    }
    static typename Suite::aead aead(const std::array<std::uint8_t, key_size>& key)
    {
        typename Suite::aead a;
        if (a.set_key(std::span<const std::uint8_t, key_size>{key}) != errc::ok) die("set_key");
        return a;
    }
    typename Suite::aead rtp_aead() const { return aead(rtp_key); }
    typename Suite::aead rtcp_aead() const { return aead(rtcp_key); }
};

// ============================================================== libsrtp2

#if PERC_BENCH_HAVE_LIBSRTP2
/// One libsrtp2 session (one SSRC, one direction), re-created per round so its replay
/// window and sender state start fresh like ours.
class srtp2_session {
public:
    srtp2_session() = default;
    ~srtp2_session() { reset(); }
    srtp2_session(const srtp2_session&) = delete;
    srtp2_session& operator=(const srtp2_session&) = delete;

    template <class Suite>
    void create(keys<Suite>& k)
    {
        reset();
        srtp_policy_t pol;
        std::memset(&pol, 0, sizeof pol);
        Suite::srtp2_policy(&pol.rtp);
        Suite::srtp2_policy(&pol.rtcp);
        pol.ssrc.type = ssrc_specific;
        pol.ssrc.value = bench_ssrc;
        pol.key = k.key_salt.data();
        pol.window_size = 128; // same as perc::srtp_stream<>
        pol.allow_repeat_tx = 0;
        if (srtp_create(&s_, &pol) != srtp_err_status_ok) die("srtp_create failed");
    }
    void reset()
    {
        if (s_ != nullptr) (void)srtp_dealloc(s_);
        s_ = nullptr;
    }
    srtp_t get() const { return s_; }

private:
    srtp_t s_ = nullptr;
};

int as_int(std::size_t n)
{
    return static_cast<int>(n);
}
#endif

// ============================================================== fixtures

/// Everything a (suite, payload) pair needs, built once: plaintext packets, the same packets
/// protected by us and by libsrtp2, forged copies, and the per-packet IVs for the raw runs.
template <class Suite>
struct fixture {
    keys<Suite> k;
    std::size_t payload;
    packet_set rtp_plain, rtp_ours, rtp_ours_forged, rtcp_plain, rtcp_ours;
    std::vector<perc::aead_nonce> rtp_nonce, rtcp_nonce;
    std::vector<std::array<std::uint8_t, 4>> esrtcp;
#if PERC_BENCH_HAVE_LIBSRTP2
    packet_set rtp_lib, rtp_lib_forged, rtcp_lib;
#endif

    fixture(std::size_t n, std::size_t payload_size)
        : payload(payload_size), rtp_plain(n, rtp_header_size + payload_size + slack),
          rtp_ours(n, rtp_header_size + payload_size + slack),
          rtp_ours_forged(n, rtp_header_size + payload_size + slack),
          rtcp_plain(n, rtcp_header_size + payload_size + slack),
          rtcp_ours(n, rtcp_header_size + payload_size + slack)
#if PERC_BENCH_HAVE_LIBSRTP2
          ,
          rtp_lib(n, rtp_header_size + payload_size + slack),
          rtp_lib_forged(n, rtp_header_size + payload_size + slack),
          rtcp_lib(n, rtcp_header_size + payload_size + slack)
#endif
    {
        rng g;
        rtp_plain.size = rtp_header_size + payload_size;
        rtcp_plain.size = rtcp_header_size + payload_size;
        for (std::size_t i = 0; i < n; ++i) {
            auto p = rtp_plain.packet(i);
            write_rtp_header(p.data(), seq_of(i));
            g.fill(p.subspan(rtp_header_size));
            auto c = rtcp_plain.packet(i);
            write_rtcp_header(c.data(), c.size());
            g.fill(c.subspan(rtcp_header_size));
        }

        auto t = k.transform();
        perc::srtp_stream<> tx;
        rtp_ours.size = rtp_ours_forged.size = rtp_plain.size + t.srtp_overhead;
        rtcp_ours.size = rtcp_plain.size + t.srtcp_overhead;
        for (std::size_t i = 0; i < n; ++i) {
            if (!t.protect_rtp(tx, rtp_plain.packet(i), rtp_ours.slot(i))) die("protect_rtp");
            if (!t.protect_rtcp(tx, rtcp_plain.packet(i), rtcp_ours.slot(i))) die("protect_rtcp");
            std::memcpy(rtp_ours_forged.slot(i).data(), rtp_ours.slot(i).data(), rtp_ours.size);
            rtp_ours_forged.packet(i).back() ^= 0x01; // last tag octet
            rtp_nonce.push_back(perc::srtp_aead_nonce(k.rtp_salt, bench_ssrc, 0, seq_of(i)));
            rtcp_nonce.push_back(
                perc::srtcp_aead_nonce(k.rtcp_salt, bench_ssrc, static_cast<std::uint32_t>(i)));
            std::array<std::uint8_t, 4> e{};
            perc::store_be32(e.data(), 0x80000000u | static_cast<std::uint32_t>(i));
            esrtcp.push_back(e);
        }

#if PERC_BENCH_HAVE_LIBSRTP2
        srtp2_session s;
        s.create(k);
        rtp_lib.size = rtp_lib_forged.size = rtp_ours.size;
        rtcp_lib.size = rtcp_ours.size;
        for (std::size_t i = 0; i < n; ++i) {
            std::memcpy(rtp_lib.slot(i).data(), rtp_plain.slot(i).data(), rtp_plain.size);
            int len = as_int(rtp_plain.size);
            if (srtp_protect(s.get(), rtp_lib.slot(i).data(), &len) != srtp_err_status_ok ||
                static_cast<std::size_t>(len) != rtp_lib.size)
                die("libsrtp2 srtp_protect failed");
            // Independent check: RFC 7714 bytes must agree between the two implementations.
            if (std::memcmp(rtp_lib.slot(i).data(), rtp_ours.slot(i).data(), rtp_lib.size) != 0)
                die("libsrtp2 and perc disagree on SRTP bytes");
            std::memcpy(rtp_lib_forged.slot(i).data(), rtp_lib.slot(i).data(), rtp_lib.size);
            rtp_lib_forged.packet(i).back() ^= 0x01;
            std::memcpy(rtcp_lib.slot(i).data(), rtcp_plain.slot(i).data(), rtcp_plain.size);
            len = as_int(rtcp_plain.size);
            if (srtp_protect_rtcp(s.get(), rtcp_lib.slot(i).data(), &len) != srtp_err_status_ok ||
                static_cast<std::size_t>(len) != rtcp_lib.size)
                die("libsrtp2 srtp_protect_rtcp failed");
        }
#endif
    }
};

// ============================================================== cases

/// Helpers shared by the cases: a fresh round starts at batch 0.
struct batches {
    const plan& p;
    packet_set& work;
    void stage(packet_set& from, std::size_t b) { work.stage(from, b * p.batch, p.batch); }
};

template <class Suite>
void case_srtp_protect(context& ctx, const plan& p, fixture<Suite>& f, packet_set& work)
{
    batches w{p, work};
    auto t = f.k.transform();
    perc::srtp_stream<> stream;
    auto ours_impl = impl{[&](std::size_t b) {
                              if (b == 0) stream = {};
                              w.stage(f.rtp_plain, b);
                          },
                          [&] {
                              std::size_t good = 0;
                              const std::size_t in_size = work.size;
                              for (std::size_t i = 0; i < p.batch; ++i) {
                                  bytes_span s = work.slot(i);
                                  good += t.protect_rtp(stream, s.first(in_size), s).has_value();
                              }
                              return good;
                          }};
    auto aead = f.k.rtp_aead();
    std::size_t first = 0;
    auto raw_impl = impl{[&](std::size_t b) {
                             first = b * p.batch;
                             w.stage(f.rtp_plain, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             const std::size_t ps = work.size - rtp_header_size;
                             for (std::size_t i = 0; i < p.batch; ++i)
                                 good += raw_seal(aead, f.rtp_nonce[first + i], work.slot(i).data(),
                                                  rtp_header_size, ps) == errc::ok;
                             return good;
                         }};
#if PERC_BENCH_HAVE_LIBSRTP2
    srtp2_session s;
    auto lib_impl = impl{[&](std::size_t b) {
                             if (b == 0) s.create(f.k);
                             w.stage(f.rtp_plain, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             for (std::size_t i = 0; i < p.batch; ++i) {
                                 int len = as_int(work.size);
                                 good += srtp_protect(s.get(), work.slot(i).data(), &len) ==
                                         srtp_err_status_ok;
                             }
                             return good;
                         }};
#else
    absent lib_impl;
#endif
    report(ctx, p, {"srtp_protect", Suite::name, f.payload},
           measure(p, "srtp_protect", ours_impl, raw_impl, lib_impl));
}

/// srtp_unprotect of valid packets (expect ok) or forged ones (expect auth_failed).
template <class Suite>
double case_srtp_unprotect(context& ctx, const plan& p, fixture<Suite>& f, packet_set& work,
                           bool forged, double valid_ns = std::numeric_limits<double>::quiet_NaN())
{
    const char* name = forged ? "forged_reject" : "srtp_unprotect";
    batches w{p, work};
    packet_set& ours_src = forged ? f.rtp_ours_forged : f.rtp_ours;
    const errc want = forged ? errc::auth_failed : errc::ok;
    auto t = f.k.transform();
    perc::srtp_stream<> stream;
    auto ours_impl = impl{[&](std::size_t b) {
                              if (b == 0) stream = {};
                              w.stage(ours_src, b);
                          },
                          [&] {
                              std::size_t good = 0;
                              const std::size_t in_size = work.size;
                              for (std::size_t i = 0; i < p.batch; ++i) {
                                  bytes_span s = work.slot(i);
                                  auto r = t.unprotect_rtp(stream, s.first(in_size), s);
                                  good += (r ? errc::ok : r.error()) == want;
                              }
                              return good;
                          }};
    auto aead = f.k.rtp_aead();
    std::size_t first = 0;
    auto raw_impl = impl{[&](std::size_t b) {
                             first = b * p.batch;
                             w.stage(ours_src, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             const std::size_t ps = work.size - rtp_header_size - 16;
                             for (std::size_t i = 0; i < p.batch; ++i)
                                 good += raw_open(aead, f.rtp_nonce[first + i], work.slot(i).data(),
                                                  rtp_header_size, ps) == want;
                             return good;
                         }};
#if PERC_BENCH_HAVE_LIBSRTP2
    packet_set& lib_src = forged ? f.rtp_lib_forged : f.rtp_lib;
    const srtp_err_status_t lib_want = forged ? srtp_err_status_auth_fail : srtp_err_status_ok;
    srtp2_session s;
    auto lib_impl = impl{[&](std::size_t b) {
                             if (b == 0) s.create(f.k);
                             w.stage(lib_src, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             for (std::size_t i = 0; i < p.batch; ++i) {
                                 int len = as_int(work.size);
                                 good += srtp_unprotect(s.get(), work.slot(i).data(), &len) ==
                                         lib_want;
                             }
                             return good;
                         }};
#else
    absent lib_impl;
#endif
    const measurement m = measure(p, name, ours_impl, raw_impl, lib_impl);
    row r{name, Suite::name, f.payload};
    if (forged) r.vs_valid = median(m.s[ours].ns) / valid_ns;
    return report(ctx, p, r, m);
}

template <class Suite>
void case_srtcp_protect(context& ctx, const plan& p, fixture<Suite>& f, packet_set& work)
{
    batches w{p, work};
    auto t = f.k.transform();
    perc::srtp_stream<> stream;
    auto ours_impl = impl{[&](std::size_t b) {
                              if (b == 0) stream = {};
                              w.stage(f.rtcp_plain, b);
                          },
                          [&] {
                              std::size_t good = 0;
                              const std::size_t in_size = work.size;
                              for (std::size_t i = 0; i < p.batch; ++i) {
                                  bytes_span s = work.slot(i);
                                  good += t.protect_rtcp(stream, s.first(in_size), s).has_value();
                              }
                              return good;
                          }};
    auto aead = f.k.rtcp_aead();
    std::size_t first = 0;
    auto raw_impl = impl{[&](std::size_t b) {
                             first = b * p.batch;
                             w.stage(f.rtcp_plain, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             const std::size_t ps = work.size - rtcp_header_size;
                             for (std::size_t i = 0; i < p.batch; ++i)
                                 good += raw_seal(aead, f.rtcp_nonce[first + i],
                                                  work.slot(i).data(), rtcp_header_size, ps,
                                                  f.esrtcp[first + i]) == errc::ok;
                             return good;
                         }};
#if PERC_BENCH_HAVE_LIBSRTP2
    srtp2_session s;
    auto lib_impl = impl{[&](std::size_t b) {
                             if (b == 0) s.create(f.k);
                             w.stage(f.rtcp_plain, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             for (std::size_t i = 0; i < p.batch; ++i) {
                                 int len = as_int(work.size);
                                 good += srtp_protect_rtcp(s.get(), work.slot(i).data(), &len) ==
                                         srtp_err_status_ok;
                             }
                             return good;
                         }};
#else
    absent lib_impl;
#endif
    report(ctx, p, {"srtcp_protect", Suite::name, f.payload},
           measure(p, "srtcp_protect", ours_impl, raw_impl, lib_impl));
}

template <class Suite>
void case_srtcp_unprotect(context& ctx, const plan& p, fixture<Suite>& f, packet_set& work)
{
    batches w{p, work};
    auto t = f.k.transform();
    perc::srtp_stream<> stream;
    auto ours_impl = impl{[&](std::size_t b) {
                              if (b == 0) stream = {};
                              w.stage(f.rtcp_ours, b);
                          },
                          [&] {
                              std::size_t good = 0;
                              const std::size_t in_size = work.size;
                              for (std::size_t i = 0; i < p.batch; ++i) {
                                  bytes_span s = work.slot(i);
                                  good += t.unprotect_rtcp(stream, s.first(in_size), s).has_value();
                              }
                              return good;
                          }};
    auto aead = f.k.rtcp_aead();
    std::size_t first = 0;
    auto raw_impl = impl{[&](std::size_t b) {
                             first = b * p.batch;
                             w.stage(f.rtcp_ours, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             // header(8) ‖ ciphertext ‖ tag ‖ ESRTCP word (RFC 7714 §9.2)
                             const std::size_t ps = work.size - rtcp_header_size - 20;
                             for (std::size_t i = 0; i < p.batch; ++i) {
                                 std::uint8_t* d = work.slot(i).data();
                                 const bytes_view esrtcp{d + work.size - 4, 4};
                                 good += raw_open(aead, f.rtcp_nonce[first + i], d,
                                                  rtcp_header_size, ps, esrtcp) == errc::ok;
                             }
                             return good;
                         }};
#if PERC_BENCH_HAVE_LIBSRTP2
    srtp2_session s;
    auto lib_impl = impl{[&](std::size_t b) {
                             if (b == 0) s.create(f.k);
                             w.stage(f.rtcp_lib, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             for (std::size_t i = 0; i < p.batch; ++i) {
                                 int len = as_int(work.size);
                                 good += srtp_unprotect_rtcp(s.get(), work.slot(i).data(), &len) ==
                                         srtp_err_status_ok;
                             }
                             return good;
                         }};
#else
    absent lib_impl;
#endif
    report(ctx, p, {"srtcp_unprotect", Suite::name, f.payload},
           measure(p, "srtcp_unprotect", ours_impl, raw_impl, lib_impl));
}

/// key_setup: ours = set_master_key (4 KDF outputs + 2 AEAD keys); raw = the two AEAD
/// set_key calls alone (SRTP and SRTCP session keys, no KDF); libsrtp2 = srtp_create +
/// srtp_dealloc of a one-stream session (libsrtp2 has no cheaper re-key call).
template <class Suite>
void case_key_setup(context& ctx, const plan& p, keys<Suite>& k)
{
    using key_span = std::span<const std::uint8_t, keys<Suite>::key_size>;
    typename Suite::transform t;
    auto ours_impl = impl{[](std::size_t) {},
                          [&] {
                              std::size_t good = 0;
                              for (std::size_t i = 0; i < p.batch; ++i)
                                  good += t.set_master_key(k.master_key, k.master_salt) == errc::ok;
                              return good;
                          }};
    typename Suite::aead a1, a2;
    auto raw_impl = impl{[](std::size_t) {},
                         [&] {
                             std::size_t good = 0;
                             for (std::size_t i = 0; i < p.batch; ++i) {
                                 const errc e1 = a1.set_key(key_span{k.rtp_key});
                                 const errc e2 = a2.set_key(key_span{k.rtcp_key});
                                 good += e1 == errc::ok && e2 == errc::ok;
                             }
                             return good;
                         }};
#if PERC_BENCH_HAVE_LIBSRTP2
    srtp2_session s;
    auto lib_impl = impl{[](std::size_t) {},
                         [&] {
                             for (std::size_t i = 0; i < p.batch; ++i) s.create(k);
                             return p.batch;
                         }};
#else
    absent lib_impl;
#endif
    report(ctx, p, {"key_setup", Suite::name, 0},
           measure(p, "key_setup", ours_impl, raw_impl, lib_impl));
}

// ============================================================== RFC 8723 double transform

/// MD rewrite in md_relay: new PT, M set, SEQ renumbered by this offset, so the OHB grows from
/// 1 to 4 octets (PT ‖ SEQ ‖ Config, RFC 8723 §4) — the largest rewrite an MD makes.
constexpr std::uint8_t relay_pt = 111;
constexpr std::uint16_t relay_seq_offset = 1000;
constexpr std::uint8_t relay_ohb_config = 0x07; // Q | P | M, B = 0 (original M was 0)
constexpr std::size_t tag_size = 16;

std::uint16_t relay_seq_of(std::size_t i)
{
    return static_cast<std::uint16_t>(seq_of(i) + relay_seq_offset);
}

/// The double-transform packets of one (suite, payload), built once beside fixture<Suite>:
/// keys for the inner (end-to-end) layer, the sender's outer hop and the MD's outgoing hop;
/// the plaintext packets double-protected by perc (byte-compared with the raw composition and
/// with two composed libsrtp2 sessions); copies with a flipped outer tag and with a corrupted
/// inner tag under a valid outer layer; per-packet IVs of each layer for the raw runs.
/// The packets have no CSRC and no extension, so the synthetic header of the inner layer
/// (RFC 8723 §5.1 step 3) is the header itself and every composition works in place.
template <class Suite>
struct double_fixture {
    keys<Suite> inner{0x1111111111111111ull}, outer{0x2222222222222222ull},
        hop{0x3333333333333333ull}, spare_a{0x4444444444444444ull}, spare_b{0x5555555555555555ull};
    std::array<std::uint8_t, 2 * keys<Suite>::key_size> master_key{};
    std::array<std::uint8_t, 24> master_salt{};
    std::size_t payload;
    packet_set& plain; ///< fixture<Suite>::rtp_plain
    packet_set dbl, dbl_outer_forged, dbl_inner_forged;
    std::vector<perc::aead_nonce> inner_nonce, outer_nonce, hop_nonce;

    double_fixture(std::size_t n, fixture<Suite>& f)
        : payload(f.payload), plain(f.rtp_plain), dbl(n, rtp_header_size + f.payload + slack),
          dbl_outer_forged(n, rtp_header_size + f.payload + slack),
          dbl_inner_forged(n, rtp_header_size + f.payload + slack)
    {
        constexpr std::size_t ks = keys<Suite>::key_size;
        std::copy_n(inner.master_key.begin(), ks, master_key.begin());
        std::copy_n(outer.master_key.begin(), ks, master_key.begin() + ks);
        std::copy_n(inner.master_salt.begin(), 12, master_salt.begin());
        std::copy_n(outer.master_salt.begin(), 12, master_salt.begin() + 12);

        typename Suite::endpoint tx;
        if (tx.init(master_key, master_salt) != errc::ok) die("double_endpoint init");
        auto ia = inner.rtp_aead();
        auto oa = outer.rtp_aead();
        const std::size_t ps = payload;
        dbl.size = dbl_outer_forged.size = dbl_inner_forged.size =
            plain.size + Suite::endpoint::protect_overhead;
        for (std::size_t i = 0; i < n; ++i) {
            inner_nonce.push_back(perc::srtp_aead_nonce(inner.rtp_salt, bench_ssrc, 0, seq_of(i)));
            outer_nonce.push_back(perc::srtp_aead_nonce(outer.rtp_salt, bench_ssrc, 0, seq_of(i)));
            hop_nonce.push_back(
                perc::srtp_aead_nonce(hop.rtp_salt, bench_ssrc, 0, relay_seq_of(i)));
            if (!tx.protect_rtp(plain.packet(i), dbl.slot(i))) die("double protect_rtp");
            std::memcpy(dbl_outer_forged.slot(i).data(), dbl.slot(i).data(), dbl.size);
            dbl_outer_forged.packet(i).back() ^= 0x01; // last octet of the outer tag

            // The raw composition must give perc's bytes; with the inner tag's last octet
            // flipped before the outer seal it gives the inner-forged packet.
            for (bool corrupt : {false, true}) {
                std::uint8_t* d = dbl_inner_forged.slot(i).data();
                std::memcpy(d, plain.slot(i).data(), plain.size);
                if (raw_seal(ia, inner_nonce[i], d, rtp_header_size, ps) != errc::ok)
                    die("raw inner seal");
                if (corrupt) d[rtp_header_size + ps + tag_size - 1] ^= 0x01;
                d[rtp_header_size + ps + tag_size] = 0x00; // RFC 8723 §5.1 step 5: empty OHB
                if (raw_seal(oa, outer_nonce[i], d, rtp_header_size, ps + tag_size + 1) != errc::ok)
                    die("raw outer seal");
                if (!corrupt && std::memcmp(d, dbl.slot(i).data(), dbl.size) != 0)
                    die("perc double_endpoint and the raw two-pass composition disagree");
            }
        }
    }
};

#if PERC_BENCH_HAVE_LIBSRTP2
/// RFC 8723 §5.1 with two libsrtp2 sessions: inner srtp_protect of the synthetic packet (here
/// the packet itself), append the empty OHB, outer srtp_protect. In place; returns the length.
int srtp2_double_protect(srtp_t inner, srtp_t outer, std::uint8_t* d, int len)
{
    if (srtp_protect(inner, d, &len) != srtp_err_status_ok) return -1;
    d[len++] = 0x00;
    if (srtp_protect(outer, d, &len) != srtp_err_status_ok) return -1;
    return len;
}

/// RFC 8723 §5.3 with two libsrtp2 sessions: outer srtp_unprotect, drop the empty OHB (the
/// sender's packets carry 0x00), inner srtp_unprotect.
srtp_err_status_t srtp2_double_unprotect(srtp_t inner, srtp_t outer, std::uint8_t* d, int& len)
{
    if (srtp_err_status_t st = srtp_unprotect(outer, d, &len); st != srtp_err_status_ok) return st;
    len -= 1;
    return srtp_unprotect(inner, d, &len);
}

/// RFC 8723 §5.2 steps 2–4 on a packet whose outer layer libsrtp2 removed (`len` octets,
/// ending in the sender's empty OHB): rewrite PT / SEQ / M, replace the empty OHB by PT ‖ SEQ
/// ‖ Config (the original values), srtp_protect with the outgoing hop key. In place; returns
/// the length.
int srtp2_forward(srtp_t out_hop, std::uint8_t* d, int len, std::uint16_t new_seq)
{
    const std::uint8_t orig_pt = d[1] & 0x7F;
    const std::uint8_t orig_seq_hi = d[2], orig_seq_lo = d[3];
    d[1] = static_cast<std::uint8_t>(0x80 | relay_pt);
    perc::store_be16(d + 2, new_seq);
    std::uint8_t* o = d + len - 1; // where the empty OHB was
    o[0] = orig_pt;
    o[1] = orig_seq_hi;
    o[2] = orig_seq_lo;
    o[3] = relay_ohb_config;
    len += 3;
    if (srtp_protect(out_hop, d, &len) != srtp_err_status_ok) return -1;
    return len;
}

/// RFC 8723 §5.2 with two libsrtp2 sessions: srtp_unprotect with the incoming hop key, then
/// srtp2_forward with the outgoing one.
int srtp2_relay(srtp_t in_hop, srtp_t out_hop, std::uint8_t* d, int len, std::uint16_t new_seq)
{
    if (srtp_unprotect(in_hop, d, &len) != srtp_err_status_ok) return -1;
    return srtp2_forward(out_hop, d, len, new_seq);
}

/// libsrtp2 must produce perc's double-protected bytes for every packet, and its MD relay
/// the bytes of media_distributor::relay_rtp (independent checks of RFC 8723 §5.1, §5.2).
template <class Suite>
void check_double_against_srtp2(double_fixture<Suite>& df)
{
    srtp2_session si, so, hin, hout;
    si.create(df.inner);
    so.create(df.outer);
    hin.create(df.outer);
    hout.create(df.hop);
    typename Suite::distributor md;
    typename Suite::distributor::link_type from, to;
    if (from.init(df.outer.master_key, df.outer.master_salt, df.spare_a.master_key,
                  df.spare_a.master_salt) != errc::ok ||
        to.init(df.spare_b.master_key, df.spare_b.master_salt, df.hop.master_key,
                df.hop.master_salt) != errc::ok)
        die("md_link init");
    perc::relay_changes ch;
    ch.payload_type = relay_pt;
    ch.marker = true;
    std::vector<std::uint8_t> a(df.dbl.slot(0).size()), b(a.size());
    for (std::size_t i = 0; i < df.dbl.count(); ++i) {
        std::memcpy(a.data(), df.plain.slot(i).data(), df.plain.size);
        if (srtp2_double_protect(si.get(), so.get(), a.data(), as_int(df.plain.size)) !=
                as_int(df.dbl.size) ||
            std::memcmp(a.data(), df.dbl.slot(i).data(), df.dbl.size) != 0)
            die("libsrtp2 and perc disagree on double-protected bytes");
        const int n = srtp2_relay(hin.get(), hout.get(), a.data(), as_int(df.dbl.size),
                                  relay_seq_of(i));
        ch.seq = relay_seq_of(i);
        auto r = md.relay_rtp(from, to, df.dbl.packet(i), b, ch);
        if (!r || n < 0 || static_cast<std::size_t>(n) != r->packet.size() ||
            std::memcmp(a.data(), b.data(), r->packet.size()) != 0)
            die("libsrtp2 and perc disagree on relayed bytes");
    }
}
#endif

/// double_protect: ours = double_endpoint::protect_rtp in place; raw = two adapter seals
/// (inner over header ‖ payload, outer over header ‖ inner ciphertext ‖ tag ‖ OHB); libsrtp2 =
/// two composed sessions.
template <class Suite>
double case_double_protect(context& ctx, const plan& p, double_fixture<Suite>& f, packet_set& work)
{
    batches w{p, work};
    typename Suite::endpoint tx;
    if (tx.init(f.master_key, f.master_salt) != errc::ok) die("double_endpoint init");
    auto ours_impl = impl{[&](std::size_t b) {
                              if (b == 0) (void)tx.remove_stream(bench_ssrc);
                              w.stage(f.plain, b);
                          },
                          [&] {
                              std::size_t good = 0;
                              const std::size_t in_size = work.size;
                              for (std::size_t i = 0; i < p.batch; ++i) {
                                  bytes_span s = work.slot(i);
                                  good += tx.protect_rtp(s.first(in_size), s).has_value();
                              }
                              return good;
                          }};
    auto ia = f.inner.rtp_aead();
    auto oa = f.outer.rtp_aead();
    std::size_t first = 0;
    auto raw_impl = impl{[&](std::size_t b) {
                             first = b * p.batch;
                             w.stage(f.plain, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             const std::size_t ps = work.size - rtp_header_size;
                             for (std::size_t i = 0; i < p.batch; ++i) {
                                 std::uint8_t* d = work.slot(i).data();
                                 const errc e1 = raw_seal(ia, f.inner_nonce[first + i], d,
                                                          rtp_header_size, ps);
                                 d[rtp_header_size + ps + tag_size] = 0x00;
                                 const errc e2 = raw_seal(oa, f.outer_nonce[first + i], d,
                                                          rtp_header_size, ps + tag_size + 1);
                                 good += e1 == errc::ok && e2 == errc::ok;
                             }
                             return good;
                         }};
#if PERC_BENCH_HAVE_LIBSRTP2
    srtp2_session si, so;
    auto lib_impl = impl{[&](std::size_t b) {
                             if (b == 0) {
                                 si.create(f.inner);
                                 so.create(f.outer);
                             }
                             w.stage(f.plain, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             const int in_size = as_int(work.size);
                             for (std::size_t i = 0; i < p.batch; ++i)
                                 good += srtp2_double_protect(si.get(), so.get(),
                                                              work.slot(i).data(), in_size) > 0;
                             return good;
                         }};
#else
    absent lib_impl;
#endif
    return report(ctx, p, {"double_protect", Suite::name, f.payload},
                  measure(p, "double_protect", ours_impl, raw_impl, lib_impl));
}

enum class double_input { valid, outer_forged, inner_forged };

/// double_unprotect (valid packets, expect ok), double_forged_reject (outer tag flipped,
/// expect auth_failed from the outer layer) and double_inner_forged (inner tag corrupted under
/// a valid outer layer: expect auth_failed after perc re-encrypts the outer layer to restore
/// the caller's buffer). ours = double_endpoint::unprotect_rtp in place; raw = outer open, then
/// (if it verified) inner open — detection only, no restore; libsrtp2 = two composed
/// srtp_unprotect calls (no restore either).
template <class Suite>
double case_double_unprotect(context& ctx, const plan& p, double_fixture<Suite>& f,
                             packet_set& work, double_input kind, double valid_ns)
{
    const char* name = kind == double_input::valid          ? "double_unprotect"
                       : kind == double_input::outer_forged ? "double_forged_reject"
                                                            : "double_inner_forged";
    packet_set& src = kind == double_input::valid          ? f.dbl
                      : kind == double_input::outer_forged ? f.dbl_outer_forged
                                                           : f.dbl_inner_forged;
    const errc want = kind == double_input::valid ? errc::ok : errc::auth_failed;
    batches w{p, work};
    typename Suite::endpoint rx;
    if (rx.init(f.master_key, f.master_salt) != errc::ok) die("double_endpoint init");
    auto ours_impl = impl{[&](std::size_t b) {
                              if (b == 0) (void)rx.remove_stream(bench_ssrc);
                              w.stage(src, b);
                          },
                          [&] {
                              std::size_t good = 0;
                              const std::size_t in_size = work.size;
                              for (std::size_t i = 0; i < p.batch; ++i) {
                                  bytes_span s = work.slot(i);
                                  auto r = rx.unprotect_rtp(s.first(in_size), s);
                                  good += (r ? errc::ok : r.error()) == want;
                              }
                              return good;
                          }};
    auto ia = f.inner.rtp_aead();
    auto oa = f.outer.rtp_aead();
    std::size_t first = 0;
    auto raw_impl = impl{[&](std::size_t b) {
                             first = b * p.batch;
                             w.stage(src, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             // header ‖ inner ciphertext ‖ inner tag ‖ OHB(1) ‖ outer tag
                             const std::size_t ps = work.size - rtp_header_size - 2 * tag_size - 1;
                             for (std::size_t i = 0; i < p.batch; ++i) {
                                 std::uint8_t* d = work.slot(i).data();
                                 errc e = raw_open(oa, f.outer_nonce[first + i], d, rtp_header_size,
                                                   ps + tag_size + 1);
                                 if (e == errc::ok)
                                     e = raw_open(ia, f.inner_nonce[first + i], d, rtp_header_size,
                                                  ps);
                                 good += e == want;
                             }
                             return good;
                         }};
#if PERC_BENCH_HAVE_LIBSRTP2
    const srtp_err_status_t lib_want = kind == double_input::valid ? srtp_err_status_ok
                                                                   : srtp_err_status_auth_fail;
    srtp2_session si, so;
    auto lib_impl = impl{[&](std::size_t b) {
                             if (b == 0) {
                                 si.create(f.inner);
                                 so.create(f.outer);
                             }
                             w.stage(src, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             for (std::size_t i = 0; i < p.batch; ++i) {
                                 int len = as_int(work.size);
                                 good += srtp2_double_unprotect(si.get(), so.get(),
                                                                work.slot(i).data(),
                                                                len) == lib_want;
                             }
                             return good;
                         }};
#else
    absent lib_impl;
#endif
    const measurement m = measure(p, name, ours_impl, raw_impl, lib_impl);
    row r{name, Suite::name, f.payload};
    if (kind != double_input::valid) r.vs_valid = median(m.s[ours].ns) / valid_ns;
    return report(ctx, p, r, m);
}

/// md_relay: ours = media_distributor::relay_rtp between two md_links, changing PT, SEQ and M
/// (the OHB grows from 1 to 4 octets); raw = one adapter open with the incoming hop key and
/// one seal with the outgoing hop key over the same sizes (no header or OHB rewrite: the bare
/// crypto floor); libsrtp2 = srtp_unprotect (incoming hop session), the same rewrite by hand,
/// srtp_protect (outgoing hop session).
template <class Suite>
double case_md_relay(context& ctx, const plan& p, double_fixture<Suite>& f, packet_set& work)
{
    batches w{p, work};
    typename Suite::distributor md;
    typename Suite::distributor::link_type from, to;
    if (from.init(f.outer.master_key, f.outer.master_salt, f.spare_a.master_key,
                  f.spare_a.master_salt) != errc::ok ||
        to.init(f.spare_b.master_key, f.spare_b.master_salt, f.hop.master_key, f.hop.master_salt) !=
            errc::ok)
        die("md_link init");
    perc::relay_changes ch;
    ch.payload_type = relay_pt;
    ch.marker = true;
    std::size_t first = 0;
    auto ours_impl = impl{[&](std::size_t b) {
                              first = b * p.batch;
                              if (b == 0) {
                                  // A fresh round: both hops' stream state starts anew.
                                  if (auto* s = from.find_receive_stream(bench_ssrc)) *s = {};
                                  if (auto* s = to.find_send_stream(bench_ssrc)) *s = {};
                              }
                              w.stage(f.dbl, b);
                          },
                          [&] {
                              std::size_t good = 0;
                              const std::size_t in_size = work.size;
                              for (std::size_t i = 0; i < p.batch; ++i) {
                                  bytes_span s = work.slot(i);
                                  ch.seq = relay_seq_of(first + i);
                                  good +=
                                      md.relay_rtp(from, to, s.first(in_size), s, ch).has_value();
                              }
                              return good;
                          }};
    auto in_hop = f.outer.rtp_aead();
    auto out_hop = f.hop.rtp_aead();
    auto raw_impl = impl{[&](std::size_t b) {
                             first = b * p.batch;
                             w.stage(f.dbl, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             // in: header ‖ inner ct ‖ inner tag ‖ OHB(1) ‖ outer tag
                             const std::size_t inner_part = work.size - rtp_header_size - 1 -
                                                            tag_size;
                             for (std::size_t i = 0; i < p.batch; ++i) {
                                 std::uint8_t* d = work.slot(i).data();
                                 const errc e1 = raw_open(in_hop, f.outer_nonce[first + i], d,
                                                          rtp_header_size, inner_part + 1);
                                 const errc e2 = raw_seal(out_hop, f.hop_nonce[first + i], d,
                                                          rtp_header_size, inner_part + 4);
                                 good += e1 == errc::ok && e2 == errc::ok;
                             }
                             return good;
                         }};
#if PERC_BENCH_HAVE_LIBSRTP2
    srtp2_session hin, hout;
    auto lib_impl = impl{[&](std::size_t b) {
                             first = b * p.batch;
                             if (b == 0) {
                                 hin.create(f.outer);
                                 hout.create(f.hop);
                             }
                             w.stage(f.dbl, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             const int in_size = as_int(work.size);
                             for (std::size_t i = 0; i < p.batch; ++i)
                                 good += srtp2_relay(hin.get(), hout.get(), work.slot(i).data(),
                                                     in_size, relay_seq_of(first + i)) > 0;
                             return good;
                         }};
#else
    absent lib_impl;
#endif
    return report(ctx, p, {"md_relay", Suite::name, f.payload},
                  measure(p, "md_relay", ours_impl, raw_impl, lib_impl));
}

/// Receivers of one incoming packet in md_fanout.
constexpr std::size_t fanout_receivers = 4;

/// md_fanout: what an SFU does with each packet (RFC 8723 §5.2: the outer layer is removed
/// once, then re-applied for every outgoing hop). Ours = media_distributor::open_rtp on the
/// incoming link (in place), then forward_rtp to fanout_receivers links, each with its own
/// hop key and its own output buffer, with md_relay's rewrite; raw = one adapter open and
/// fanout_receivers seals from the opened packet into the receivers' buffers (header copied,
/// no rewrite); libsrtp2 = one srtp_unprotect, then per receiver a copy, the rewrite and
/// srtp_protect (srtp2_forward). ns are per incoming packet, all receivers included. Before
/// timing, every receiver's bytes are compared with libsrtp2's for every packet.
template <class Suite>
double case_md_fanout(context& ctx, const plan& p, double_fixture<Suite>& f, packet_set& work)
{
    constexpr std::size_t n_out = fanout_receivers;
    using distributor = typename Suite::distributor;
    using link = typename distributor::link_type;
    std::vector<keys<Suite>> hops;
    for (std::size_t k = 0; k < n_out; ++k) hops.emplace_back(0x6666666666666666ull + k);
    std::vector<std::vector<perc::aead_nonce>> hop_nonce(n_out);
    for (std::size_t k = 0; k < n_out; ++k)
        for (std::size_t i = 0; i < f.dbl.count(); ++i)
            hop_nonce[k].push_back(
                perc::srtp_aead_nonce(hops[k].rtp_salt, bench_ssrc, 0, relay_seq_of(i)));
    distributor md;
    link from;
    std::array<link, n_out> to;
    if (from.init(f.outer.master_key, f.outer.master_salt, f.spare_a.master_key,
                  f.spare_a.master_salt) != errc::ok)
        die("md_link init");
    for (std::size_t k = 0; k < n_out; ++k)
        if (to[k].init(f.spare_b.master_key, f.spare_b.master_salt, hops[k].master_key,
                       hops[k].master_salt) != errc::ok)
            die("md_link init");
    auto fresh_links = [&] {
        if (auto* st = from.find_receive_stream(bench_ssrc)) *st = {};
        for (link& l : to)
            if (auto* st = l.find_send_stream(bench_ssrc)) *st = {};
    };
    perc::relay_changes ch;
    ch.payload_type = relay_pt;
    ch.marker = true;
    packet_set out(p.batch * n_out, work.slot(0).size());
    // One packet through perc: open in place, forward to every receiver's slot.
    auto ours_one = [&](bytes_span s, std::size_t in_size, std::size_t index,
                        std::size_t slot0) -> bool {
        auto opened = md.open_rtp(from, s.first(in_size), s);
        if (!opened) return false;
        ch.seq = relay_seq_of(index);
        bool ok = true;
        for (std::size_t k = 0; k < n_out; ++k)
            ok &= md.forward_rtp(*opened, to[k], out.slot(slot0 + k), ch).has_value();
        return ok;
    };

#if PERC_BENCH_HAVE_LIBSRTP2
    srtp2_session hin;
    std::array<srtp2_session, n_out> hout;
    auto fresh_sessions = [&] {
        hin.create(f.outer);
        for (std::size_t k = 0; k < n_out; ++k) hout[k].create(hops[k]);
    };
    // One packet through libsrtp2, the same way.
    auto lib_one = [&](std::uint8_t* d, int len, std::size_t index, std::size_t slot0) -> bool {
        if (srtp_unprotect(hin.get(), d, &len) != srtp_err_status_ok) return false;
        bool ok = true;
        for (std::size_t k = 0; k < n_out; ++k) {
            std::uint8_t* o = out.slot(slot0 + k).data();
            std::memcpy(o, d, static_cast<std::size_t>(len));
            ok &= srtp2_forward(hout[k].get(), o, len, relay_seq_of(index)) > 0;
        }
        return ok;
    };
    {
        // Every receiver's bytes from perc and from libsrtp2 must agree, packet by packet.
        fresh_links();
        fresh_sessions();
        packet_set a(1, work.slot(0).size()), b(n_out, work.slot(0).size());
        for (std::size_t i = 0; i < f.dbl.count(); ++i) {
            std::memcpy(a.slot(0).data(), f.dbl.slot(i).data(), f.dbl.size);
            if (!lib_one(a.slot(0).data(), as_int(f.dbl.size), i, 0))
                die("md_fanout: libsrtp2 failed");
            for (std::size_t k = 0; k < n_out; ++k)
                std::memcpy(b.slot(k).data(), out.slot(k).data(), b.slot(k).size());
            std::memcpy(a.slot(0).data(), f.dbl.slot(i).data(), f.dbl.size);
            if (!ours_one(a.slot(0), f.dbl.size, i, 0)) die("md_fanout: perc failed");
            const std::size_t sent = f.dbl.size + 3; // the OHB grew from 1 to 4 octets
            for (std::size_t k = 0; k < n_out; ++k)
                if (std::memcmp(b.slot(k).data(), out.slot(k).data(), sent) != 0)
                    die("libsrtp2 and perc disagree on fanned-out bytes");
        }
    }
#endif

    batches w{p, work};
    std::size_t first = 0;
    auto ours_impl = impl{[&](std::size_t b) {
                              first = b * p.batch;
                              if (b == 0) fresh_links(); // a fresh round
                              w.stage(f.dbl, b);
                          },
                          [&] {
                              std::size_t good = 0;
                              const std::size_t in_size = work.size;
                              for (std::size_t i = 0; i < p.batch; ++i)
                                  good += ours_one(work.slot(i), in_size, first + i, i * n_out);
                              return good;
                          }};
    auto in_hop = f.outer.rtp_aead();
    std::vector<typename Suite::aead> out_hop;
    for (const auto& k : hops) out_hop.push_back(k.rtp_aead());
    auto raw_impl = impl{
        [&](std::size_t b) {
            first = b * p.batch;
            w.stage(f.dbl, b);
        },
        [&] {
            std::size_t good = 0;
            // in: header ‖ inner ct ‖ inner tag ‖ OHB(1) ‖ outer tag; out: the OHB grown to 4
            const std::size_t inner_part = work.size - rtp_header_size - 1 - tag_size;
            const std::size_t sealed = inner_part + 4;
            for (std::size_t i = 0; i < p.batch; ++i) {
                std::uint8_t* d = work.slot(i).data();
                bool ok = raw_open(in_hop, f.outer_nonce[first + i], d, rtp_header_size,
                                   inner_part + 1) == errc::ok;
                for (std::size_t k = 0; k < n_out; ++k) {
                    std::uint8_t* o = out.slot(i * n_out + k).data();
                    std::memcpy(o, d, rtp_header_size);
                    ok &= out_hop[k].seal(hop_nonce[k][first + i],
                                          perc::aad_view{bytes_view{o, rtp_header_size}},
                                          bytes_view{d + rtp_header_size, sealed},
                                          bytes_span{o + rtp_header_size, sealed},
                                          std::span<std::uint8_t, tag_size>{
                                              o + rtp_header_size + sealed, tag_size}) == errc::ok;
                }
                good += ok;
            }
            return good;
        }};
#if PERC_BENCH_HAVE_LIBSRTP2
    auto lib_impl = impl{[&](std::size_t b) {
                             first = b * p.batch;
                             if (b == 0) fresh_sessions();
                             w.stage(f.dbl, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             const int in_size = as_int(work.size);
                             for (std::size_t i = 0; i < p.batch; ++i)
                                 good += lib_one(work.slot(i).data(), in_size, first + i,
                                                 i * n_out);
                             return good;
                         }};
#else
    absent lib_impl;
#endif
    return report(ctx, p, {"md_fanout", Suite::name, f.payload},
                  measure(p, "md_fanout", ours_impl, raw_impl, lib_impl));
}

bool wanted(const context& ctx, std::string_view name)
{
    return ctx.opt.filter.empty() || name.find(ctx.opt.filter) != std::string_view::npos;
}

/// ekt_receive_short / ekt_receive_full (RFC 8870 §4.3.2): perc::unprotect_rtp_with_ekt of
/// double-protected packets ending in a ShortEKTField, or in the same FullEKTField the
/// sender repeats (after the first, which installs the key, a repeat costs a comparison with
/// the cached ciphertext, not an unwrap). The "raw" column here is the same packet without
/// its tag through double_endpoint::unprotect_rtp, so vs_raw is the price of EKT.
template <class Suite>
void case_ekt_receive(context& ctx, const plan& p, double_fixture<Suite>& f, bool full)
{
    constexpr std::size_t ks = keys<Suite>::key_size;
    using wrap = perc::botan::aes_key_wrap_padded<ks>;
    const char* name = full ? "ekt_receive_full" : "ekt_receive_short";
    const std::array<std::uint8_t, ks> ekt_key{0xC0, 0xC1, 0xC2, 0xC3};
    const bytes_view inner_key{f.master_key.data(), ks};
    const bytes_view inner_salt{f.master_salt.data(), 12};
    std::array<std::uint8_t, perc::ekt_sender<wrap>::max_field_size> field{};
    std::size_t field_size = 1;
    if (full) {
        perc::ekt_sender<wrap> tx;
        if (tx.set_ekt_key({0x1234, ekt_key, inner_salt, 0}, 0) != errc::ok ||
            tx.set_master_key(bench_ssrc, inner_key, 0) != errc::ok)
            die("ekt_sender setup");
        auto n = tx.write_field(0, 0, false, field);
        if (!n) die("ekt write_field");
        field_size = *n;
    }
    packet_set tagged(f.dbl.count(), f.dbl.size + field.size());
    tagged.size = f.dbl.size + field_size;
    for (std::size_t i = 0; i < f.dbl.count(); ++i) {
        std::memcpy(tagged.slot(i).data(), f.dbl.slot(i).data(), f.dbl.size);
        std::memcpy(tagged.slot(i).data() + f.dbl.size, field.data(), field_size);
    }
    packet_set work(p.batch, tagged.size);
    batches w{p, work};
    typename Suite::endpoint rx, plain_rx;
    perc::ekt_receiver<wrap> ekt;
    if (rx.init(f.master_key, f.master_salt) != errc::ok ||
        plain_rx.init(f.master_key, f.master_salt) != errc::ok || ekt.init(16) != errc::ok ||
        ekt.add_key({0x1234, ekt_key, inner_salt, 0}, 0) != errc::ok)
        die("ekt receiver setup");
    auto ours_impl = impl{
        [&](std::size_t b) {
            if (b == 0) (void)rx.remove_stream(bench_ssrc);
            w.stage(tagged, b);
        },
        [&] {
            std::size_t good = 0;
            const std::size_t in_size = work.size;
            for (std::size_t i = 0; i < p.batch; ++i) {
                bytes_span s = work.slot(i);
                good += perc::unprotect_rtp_with_ekt(rx, ekt, s.first(in_size), s, 0).has_value();
            }
            return good;
        }};
    auto raw_impl = impl{[&](std::size_t b) {
                             if (b == 0) (void)plain_rx.remove_stream(bench_ssrc);
                             w.stage(f.dbl, b);
                         },
                         [&] {
                             std::size_t good = 0;
                             const std::size_t in_size = work.size;
                             for (std::size_t i = 0; i < p.batch; ++i) {
                                 bytes_span s = work.slot(i);
                                 good += plain_rx.unprotect_rtp(s.first(in_size), s).has_value();
                             }
                             return good;
                         }};
    absent lib_impl;
    report(ctx, p, {name, Suite::name, f.payload}, measure(p, name, ours_impl, raw_impl, lib_impl));
}

template <class Suite>
void run_suite(context& ctx)
{
    ctx.backend = Suite::backend::name;
    const options& o = ctx.opt;
    const plan p{o.rounds, o.packets / o.batch, o.batch};
    for (std::size_t payload : {64u, 160u, 1200u, 1400u}) {
        fixture<Suite> f(p.packets(), payload);
        packet_set work(p.batch, rtcp_header_size + rtp_header_size + payload + slack);
        const double nan = std::numeric_limits<double>::quiet_NaN();
        if (wanted(ctx, "srtp_protect")) case_srtp_protect(ctx, p, f, work);
        double valid = nan;
        if (wanted(ctx, "srtp_unprotect")) valid = case_srtp_unprotect(ctx, p, f, work, false);
        if (wanted(ctx, "forged_reject")) case_srtp_unprotect(ctx, p, f, work, true, valid);
        if (wanted(ctx, "srtcp_protect")) case_srtcp_protect(ctx, p, f, work);
        if (wanted(ctx, "srtcp_unprotect")) case_srtcp_unprotect(ctx, p, f, work);

        // RFC 8723 double transform and Media Distributor.
        const bool any_double = wanted(ctx, "double_protect") || wanted(ctx, "double_unprotect") ||
                                wanted(ctx, "double_forged_reject") ||
                                wanted(ctx, "double_inner_forged") || wanted(ctx, "md_relay") ||
                                wanted(ctx, "md_fanout") || wanted(ctx, "ekt_receive_short") ||
                                wanted(ctx, "ekt_receive_full");
        if (!any_double) continue;
        double_fixture<Suite> df(p.packets(), f);
#if PERC_BENCH_HAVE_LIBSRTP2
        check_double_against_srtp2(df);
#endif
        if (wanted(ctx, "double_protect")) case_double_protect(ctx, p, df, work);
        valid = nan;
        if (wanted(ctx, "double_unprotect"))
            valid = case_double_unprotect(ctx, p, df, work, double_input::valid, nan);
        if (wanted(ctx, "double_forged_reject"))
            case_double_unprotect(ctx, p, df, work, double_input::outer_forged, valid);
        if (wanted(ctx, "double_inner_forged"))
            case_double_unprotect(ctx, p, df, work, double_input::inner_forged, valid);
        if (wanted(ctx, "md_relay")) case_md_relay(ctx, p, df, work);
        if (wanted(ctx, "md_fanout")) case_md_fanout(ctx, p, df, work);
        if (wanted(ctx, "ekt_receive_short")) case_ekt_receive(ctx, p, df, false);
        if (wanted(ctx, "ekt_receive_full")) case_ekt_receive(ctx, p, df, true);
    }
    if (wanted(ctx, "key_setup")) {
        keys<Suite> k;
        const std::size_t kb = 16;
        const plan kp{o.rounds, o.key_setups / kb == 0 ? 1 : o.key_setups / kb, kb};
        case_key_setup(ctx, kp, k);
    }
}

std::size_t parse_count(const char* s, const char* what)
{
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (end == s || *end != '\0' || v == 0 || v > 60000) die(what);
    return static_cast<std::size_t>(v);
}

void usage()
{
    std::puts("usage: perc-bench [--quick] [--json] [--rounds N] [--packets N] [--filter CASE]\n"
              "                  [--backend botan|ipsec-mb|all]\n"
              "  --quick        15 rounds x 1024 packets (about 20 s for both backends on a\n"
              "                 loaded 2-vCPU VM)\n"
              "  --json         one JSON object per case on stdout (notes go to stderr)\n"
              "  --rounds N     rounds per case (default 41)\n"
              "  --packets N    distinct packets per implementation per round (default 2048,\n"
              "                 a multiple of 64; at most 60000 so SEQ never wraps)\n"
              "  --filter CASE  run only cases whose name contains CASE (srtp_protect,\n"
              "                 srtp_unprotect, forged_reject, srtcp_protect, srtcp_unprotect,\n"
              "                 key_setup, double_protect, double_unprotect,\n"
              "                 ekt_receive_short, ekt_receive_full,\n"
              "                 double_forged_reject, double_inner_forged, md_relay,\n"
              "                 md_fanout)\n"
              "  --backend B    botan, ipsec-mb or all (default: all the backends built in)");
}

} // namespace

int main(int argc, char** argv)
{
    context ctx;
    options& o = ctx.opt;
    bool rounds_set = false, packets_set = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto next = [&](const char* what) -> const char* {
            if (i + 1 >= argc) die(what);
            return argv[++i];
        };
        if (a == "--quick") o.quick = true;
        else if (a == "--json") o.json = true;
        else if (a == "--rounds") {
            o.rounds = parse_count(next("--rounds needs N"), "bad --rounds");
            rounds_set = true;
        } else if (a == "--packets") {
            o.packets = parse_count(next("--packets needs N"), "bad --packets");
            packets_set = true;
        } else if (a == "--filter") o.filter = next("--filter needs a case name");
        else if (a == "--backend") {
            o.backend = next("--backend needs botan, ipsec-mb or all");
            if (o.backend != "botan" && o.backend != "ipsec-mb" && o.backend != "all") {
                usage();
                return 2;
            }
        } else if (a == "--help" || a == "-h") {
            usage();
            return 0;
        } else {
            usage();
            return 2;
        }
    }
    if (o.quick) {
        if (!rounds_set) o.rounds = 15;
        if (!packets_set) o.packets = 1024;
        o.key_setups = 64;
    }
    if (o.packets % o.batch != 0) die("--packets must be a multiple of 64");

#if PERC_BENCH_HAVE_LIBSRTP2
    if (srtp_init() != srtp_err_status_ok) die("srtp_init failed");
    const char* lib_version = srtp_get_version_string();
#else
    const char* lib_version = "n/a (built without libsrtp2)";
#endif
    const bool want_botan = o.backend != "ipsec-mb";
    bool want_imb = o.backend != "botan";
#if PERC_BENCH_HAVE_IPSEC_MB
    // The arch init_mb_mgr_auto picks, which is the one the adapter's function table uses.
    const char* imb_arch = "unavailable on this CPU";
    if (const auto m = perc::ipsec_mb::make_manager();
        m && perc::ipsec_mb::detail::gcm_table<16>(IMB_ARCH_NONE) != nullptr &&
        perc::ipsec_mb::detail::gcm_table<32>(IMB_ARCH_NONE) != nullptr) {
        switch (m->used_arch) {
        case IMB_ARCH_SSE: imb_arch = "SSE"; break;
        case IMB_ARCH_AVX: imb_arch = "AVX"; break;
        case IMB_ARCH_AVX2: imb_arch = "AVX2"; break;
        case IMB_ARCH_AVX512: imb_arch = "AVX512"; break;
        default: imb_arch = "other"; break;
        }
    } else {
        if (o.backend == "ipsec-mb") die("IPsec-MB cannot run on this CPU");
        want_imb = false;
    }
    char imb_note[128];
    std::snprintf(imb_note, sizeof imb_note, "IPsec-MB %s (%s code path, raw = %s)",
                  imb_get_version_str(), imb_arch,
                  PERC_BENCH_IPSEC_MB_RAW_ADAPTER ? "perc adapter" : "one-shot GCM calls");
#else
    if (o.backend == "ipsec-mb") die("built without IPsec-MB");
    want_imb = false;
    const char* imb_note = "IPsec-MB n/a (not built in)";
#endif
    ctx.tsc_ghz = calibrate_tsc_ghz(o.quick ? 100 : 300);

    FILE* notes = o.json ? stderr : stdout;
#if defined(__OPTIMIZE__)
    const char* opt = "optimized";
#else
    const char* opt = "NOT optimized (numbers meaningless)";
#endif
    std::fprintf(
        notes,
        "perc-bench: perc vs raw AEAD of the same backend vs %s\n"
        "backends: Botan %s (raw = perc adapter); %s\n"
        "build: %s, %s; %zu rounds x %zu packets per implementation (batches of %zu), "
        "implementations take turns batch by batch, order rotated; medians\n"
        "ns: steady_clock per batch of %zu packets, median over a round's batches, then over "
        "rounds; cycles/byte = ns x %.3f GHz / payload, "
        "the TSC rate calibrated with rdtsc against steady_clock (a constant-rate TSC, "
        "not the core clock under turbo: an estimate)\n"
        "+-%%: half the inter-quartile range of ours, in %% of the median; allocs: heap "
        "allocations per packet inside timed loops (%s)\n",
        lib_version, Botan::short_version_cstr(), imb_note,
#if defined(__clang__)
        "clang " __clang_version__,
#elif defined(__GNUC__)
        "g++ " __VERSION__,
#else
        "unknown compiler",
#endif
        opt, o.rounds, o.packets, o.batch, o.batch, ctx.tsc_ghz,
        PERC_BENCH_COUNT_MALLOC ? "operator new + Botan::allocate_memory + malloc/calloc/realloc"
                                : "operator new only: sanitizer or non-glibc build");
    std::fflush(notes);

    const auto start = clock_type::now();
    if (want_botan) {
        run_suite<suite<botan_backend, 16>>(ctx);
        run_suite<suite<botan_backend, 32>>(ctx);
    }
#if PERC_BENCH_HAVE_IPSEC_MB
    if (want_imb) {
        run_suite<suite<ipsec_mb_backend, 16>>(ctx);
        run_suite<suite<ipsec_mb_backend, 32>>(ctx);
    }
#else
    (void)want_imb;
#endif
    std::fprintf(notes, "total %.2f s\n",
                 static_cast<double>(elapsed_ns(start, clock_type::now())) / 1e9);
#if PERC_BENCH_HAVE_LIBSRTP2
    (void)srtp_shutdown();
#endif
    return 0;
}
