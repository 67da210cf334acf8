// Zero-allocation proof for the per-packet path (DESIGN rule 4; STYLE "Zero overhead is a claim
// to prove"). Every global operator new/delete form is replaced by a counting version and, on
// glibc without sanitizers, malloc/calloc/realloc too (Botan's secure_vector allocates with
// calloc, not operator new). Keys and tables are set up first (allocation allowed there); then
// the counters are reset and 10,000+ packets — good ones and ones rejected for auth failure,
// replay, truncation, short buffers and unknown SSRCs — go through srtp_aead_transform with
// srtp_stream and through srtp_session, for both RFC 7714 key sizes. Both counters must end at 0.
// A plain program (no doctest): prints the counts and "N passed, M failed"; exit 1 on failure.
#include <perc/srtp_aead_transform.hpp>

#include <perc/botan/srtp.hpp>
#include <perc/srtp_session.hpp>

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

// ------------------------------------------------------------------ counters

namespace {

std::atomic<std::size_t> new_calls{0};
std::atomic<std::size_t> malloc_calls{0};

void* counted_new(std::size_t n)
{
    new_calls.fetch_add(1, std::memory_order_relaxed);
    if (n == 0) n = 1;
    return std::malloc(n);
}

void* counted_new_aligned(std::size_t n, std::align_val_t a)
{
    new_calls.fetch_add(1, std::memory_order_relaxed);
    const auto al = static_cast<std::size_t>(a);
    std::size_t size = n == 0 ? al : (n + al - 1) / al * al; // aligned_alloc wants a multiple
    return std::aligned_alloc(al, size);
}

} // namespace

[[gnu::noinline]] void* operator new(std::size_t n)
{
    if (void* p = counted_new(n)) return p;
    throw std::bad_alloc{};
}
[[gnu::noinline]] void* operator new[](std::size_t n)
{
    if (void* p = counted_new(n)) return p;
    throw std::bad_alloc{};
}
[[gnu::noinline]] void* operator new(std::size_t n, const std::nothrow_t&) noexcept
{
    return counted_new(n);
}
[[gnu::noinline]] void* operator new[](std::size_t n, const std::nothrow_t&) noexcept
{
    return counted_new(n);
}
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a)
{
    if (void* p = counted_new_aligned(n, a)) return p;
    throw std::bad_alloc{};
}
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a)
{
    if (void* p = counted_new_aligned(n, a)) return p;
    throw std::bad_alloc{};
}
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept
{
    return counted_new_aligned(n, a);
}
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept
{
    return counted_new_aligned(n, a);
}

[[gnu::noinline]] void operator delete(void* p) noexcept
{
    std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p) noexcept
{
    std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept
{
    std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, const std::nothrow_t&) noexcept
{
    std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, const std::nothrow_t&) noexcept
{
    std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::align_val_t) noexcept
{
    std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t) noexcept
{
    std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::size_t, std::align_val_t) noexcept
{
    std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, std::size_t, std::align_val_t) noexcept
{
    std::free(p);
}
[[gnu::noinline]] void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept
{
    std::free(p);
}
[[gnu::noinline]] void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept
{
    std::free(p);
}

// glibc documents replacing malloc by defining malloc/free/calloc/realloc in the program
// ("Replacing malloc"); forwarding to the __libc_ entry points keeps glibc's allocator.
// Sanitizers interpose malloc themselves, so the C-level count is left out there.
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) ||                         \
    __has_feature(memory_sanitizer)
#define ALLOC_COUNT_NO_MALLOC_HOOK 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ALLOC_COUNT_NO_MALLOC_HOOK 1
#endif

#if defined(__GLIBC__) && !defined(ALLOC_COUNT_NO_MALLOC_HOOK)
constexpr bool counting_malloc = true;
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);

[[gnu::noinline]] void* malloc(std::size_t n) noexcept
{
    malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
[[gnu::noinline]] void* calloc(std::size_t n, std::size_t m) noexcept
{
    malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(n, m);
}
[[gnu::noinline]] void* realloc(void* p, std::size_t n) noexcept
{
    malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
[[gnu::noinline]] void free(void* p) noexcept
{
    __libc_free(p);
}
}
#else
constexpr bool counting_malloc = false;
#endif

// Under valgrind its own allocator replaces these functions (none of them counts), so only the
// results are checked there. The replacements are noinline so that valgrind's redirection
// sees every call and never pairs its operator new with glibc's free.
bool under_valgrind()
{
    const char* preload = std::getenv("LD_PRELOAD");
    return preload != nullptr && std::strstr(preload, "vgpreload") != nullptr;
}

// ------------------------------------------------------------------ checks

namespace {

using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

// Failures are recorded without allocating and printed after the measured loop.
struct failure {
    const char* what;
    int line;
    unsigned detail;
};
std::array<failure, 32> failures{};
std::size_t passed = 0, failed = 0;

void check(bool ok, const char* what, int line, unsigned detail = 0)
{
    if (ok) {
        ++passed;
        return;
    }
    if (failed < failures.size()) failures[failed] = failure{what, line, detail};
    ++failed;
}
#define ALLOC_CHECK(cond, detail) check((cond), #cond, __LINE__, static_cast<unsigned>(detail))

std::size_t packets = 0;
std::size_t total_allocations = 0;

constexpr std::size_t max_packet = 256;
using buffer = std::array<std::uint8_t, max_packet>;

void put16(std::uint8_t* p, std::uint32_t v)
{
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
void put32(std::uint8_t* p, std::uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xFFFF);
}

// RTP (RFC 3550 §5.1), CC = cc, optional one-byte extension (RFC 8285 §4.2) of 1 word,
// payload of `payload` octets. Returns the size; no allocation.
std::size_t make_rtp(buffer& b, std::uint32_t ssrc, std::uint16_t seq, std::size_t cc, bool ext,
                     std::size_t payload)
{
    b[0] = static_cast<std::uint8_t>(0x80 | (ext ? 0x10 : 0) | cc);
    b[1] = 96;
    put16(&b[2], seq);
    put32(&b[4], 3000u * seq);
    put32(&b[8], ssrc);
    std::size_t at = 12;
    for (std::size_t i = 0; i < cc; ++i, at += 4) put32(&b[at], 0xC5000000u + static_cast<std::uint32_t>(i));
    if (ext) {
        put32(&b[at], 0xBEDE0001u);
        put32(&b[at + 4], 0x10AB0000u);
        at += 8;
    }
    for (std::size_t i = 0; i < payload; ++i) b[at + i] = static_cast<std::uint8_t>(seq + 7 * i);
    return at + payload;
}

// RFC 3550 §6.4.1 sender report with no report blocks (28 octets) + 8 octets of data.
std::size_t make_rtcp(buffer& b, std::uint32_t ssrc, std::uint32_t n)
{
    put32(&b[0], 0x80C80008u);
    put32(&b[4], ssrc);
    for (std::size_t i = 8; i < 36; ++i) b[i] = static_cast<std::uint8_t>(n + i);
    return 36;
}

bool same(bytes_view a, bytes_view b)
{
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size()) == 0;
}

constexpr std::uint8_t master_salt[12] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a,
                                          0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a};
constexpr std::uint8_t master_key[32] = {0xf0, 0xf0, 0x49, 0x14, 0xb5, 0x13, 0xf2, 0x76,
                                         0x3a, 0x1b, 0x1f, 0xa1, 0x30, 0xf1, 0x0e, 0x29,
                                         0x98, 0xf6, 0xf6, 0xe4, 0x3e, 0x43, 0x09, 0xd1,
                                         0xe6, 0x22, 0xa0, 0xe3, 0x32, 0xb9, 0xf1, 0xb6};

// Keys, streams and sessions, built before the counters are reset.
template <class T>
struct rig {
    T t;
    perc::srtp_stream<128> tx, rx;
    perc::srtp_session<T> stx, srx, strict;

    void setup()
    {
        const bytes_view key{master_key, T::master_key_size};
        ALLOC_CHECK(t.set_master_key(key, master_salt) == errc::ok, 0);
        perc::session_options o;
        o.max_streams = 16;
        ALLOC_CHECK(stx.init(key, master_salt, o) == errc::ok, 0);
        ALLOC_CHECK(srx.init(key, master_salt, o) == errc::ok, 0);
        o.auto_create = false;
        ALLOC_CHECK(strict.init(key, master_salt, o) == errc::ok, 0);
        tx.set_roc(3);
        rx.set_roc(3);
    }

    // Transform + stream: one good RTP packet and its rejections, one good RTCP packet and its.
    void transform_round(unsigned i)
    {
        buffer plain{}, prot{}, out{}, bad{};
        const auto seq = static_cast<std::uint16_t>(0xFF00u + i); // wraps: ROC 3 -> 4
        const std::size_t cc = i % 3;
        const bool ext = (i & 4) != 0;
        const std::size_t n = make_rtp(plain, 0x5EC0DE01u, seq, cc, ext, 20 + i % 90);
        const std::size_t hs = 12 + 4 * cc + (ext ? 8 : 0);

        auto p = t.protect_rtp(tx, bytes_view{plain.data(), n}, prot);
        ++packets;
        ALLOC_CHECK(p.has_value() && p->size() == n + 16, i);
        const std::size_t m = n + 16;
        const bytes_view srtp{prot.data(), m};

        // Rejections before the good packet: forged tag, truncated, short output.
        bad = prot;
        bad[m - 1 - i % 16] ^= 0x20;
        ALLOC_CHECK(t.unprotect_rtp(rx, bytes_view{bad.data(), m}, out).error() == errc::auth_failed, i);
        ALLOC_CHECK(t.unprotect_rtp(rx, srtp.first(hs + 15), out).error() == errc::truncated, i);
        ALLOC_CHECK(t.unprotect_rtp(rx, srtp, bytes_span{out.data(), n - 1}).error() ==
                        errc::buffer_too_small,
                    i);
        ALLOC_CHECK(t.protect_rtp(tx, bytes_view{plain.data(), n}, bytes_span{out.data(), m - 1})
                            .error() == errc::buffer_too_small,
                    i);
        packets += 4;

        // The good packet, alternately into a separate buffer and in place.
        if (i % 2 == 0) {
            auto u = t.unprotect_rtp(rx, srtp, out);
            ALLOC_CHECK(u.has_value() && same(*u, bytes_view{plain.data(), n}), i);
        } else {
            bad = prot;
            auto u = t.unprotect_rtp(rx, bytes_view{bad.data(), m}, bytes_span{bad.data(), m});
            ALLOC_CHECK(u.has_value() && same(*u, bytes_view{plain.data(), n}), i);
        }
        ALLOC_CHECK(t.unprotect_rtp(rx, srtp, out).error() == errc::replayed, i);
        ALLOC_CHECK(t.protect_rtp(tx, bytes_view{plain.data(), n}, prot).error() == errc::index_reused, i);
        packets += 3;

        // SRTCP, E = 1 and E = 0 alternately (RFC 7714 §9.2, §9.3).
        const std::size_t c = make_rtcp(plain, 0x5EC0DE01u, i);
        auto pc = t.protect_rtcp(tx, bytes_view{plain.data(), c}, prot, i % 2 == 0);
        ALLOC_CHECK(pc.has_value() && pc->size() == c + 20, i);
        const bytes_view srtcp{prot.data(), c + 20};
        bad = prot;
        bad[4 + i % 24] ^= 0x01;
        ALLOC_CHECK(t.unprotect_rtcp(rx, bytes_view{bad.data(), c + 20}, out).error() ==
                        errc::auth_failed,
                    i);
        ALLOC_CHECK(t.unprotect_rtcp(rx, srtcp.first(27), out).error() == errc::truncated, i);
        ALLOC_CHECK(t.unprotect_rtcp(rx, srtcp, bytes_span{out.data(), c - 1}).error() ==
                        errc::buffer_too_small,
                    i);
        auto uc = t.unprotect_rtcp(rx, srtcp, out);
        ALLOC_CHECK(uc.has_value() && same(*uc, bytes_view{plain.data(), c}), i);
        ALLOC_CHECK(t.unprotect_rtcp(rx, srtcp, out).error() == errc::replayed, i);
        packets += 6;
    }

    // Session: eight SSRCs round-robin (streams created inside the measured loop), RTCP too,
    // strict-mode refusals, and a stream removed and re-added now and then.
    void session_round(unsigned i)
    {
        buffer plain{}, prot{}, out{}, bad{};
        const std::uint32_t ssrc = 0xA0000000u + i % 8;
        const auto seq = static_cast<std::uint16_t>(0xFFC0u + i / 8);
        const std::size_t n = make_rtp(plain, ssrc, seq, i % 2, (i & 2) != 0, 40 + i % 50);

        auto p = stx.protect_rtp(bytes_view{plain.data(), n}, prot);
        ALLOC_CHECK(p.has_value() && p->size() == n + 16, i);
        const std::size_t m = n + 16;
        const bytes_view srtp{prot.data(), m};
        bad = prot;
        bad[m - 1 - i % 16] ^= 0x04; // RFC 7714 §8.2: forged tag, for new SSRCs too
        ALLOC_CHECK(srx.unprotect_rtp(bytes_view{bad.data(), m}, out).error() == errc::auth_failed, i);
        ALLOC_CHECK(srx.unprotect_rtp(srtp.first(11), out).error() == errc::truncated, i);
        ALLOC_CHECK(strict.unprotect_rtp(srtp, out).error() == errc::no_stream, i);
        auto u = srx.unprotect_rtp(srtp, out);
        ALLOC_CHECK(u.has_value() && same(*u, bytes_view{plain.data(), n}), i);
        ALLOC_CHECK(srx.unprotect_rtp(srtp, out).error() == errc::replayed, i);
        packets += 6;

        const std::size_t c = make_rtcp(plain, ssrc, i);
        auto pc = stx.protect_rtcp(bytes_view{plain.data(), c}, prot);
        ALLOC_CHECK(pc.has_value(), i);
        const bytes_view srtcp{prot.data(), c + 20};
        auto uc = srx.unprotect_rtcp(srtcp, out);
        ALLOC_CHECK(uc.has_value() && same(*uc, bytes_view{plain.data(), c}), i);
        ALLOC_CHECK(srx.unprotect_rtcp(srtcp, out).error() == errc::replayed, i);
        ALLOC_CHECK(strict.protect_rtcp(bytes_view{plain.data(), c}, prot).error() == errc::no_stream, i);
        packets += 4;

        if (i % 97 == 96) {
            // Forget a receiving stream and re-create it with the ROC it had.
            const auto* s = srx.find_stream(ssrc);
            ALLOC_CHECK(s != nullptr, i);
            const std::uint32_t roc = s != nullptr ? s->roc() : 0;
            ALLOC_CHECK(srx.remove_stream(ssrc), i);
            ALLOC_CHECK(srx.add_stream(ssrc, roc) == errc::ok, i);
        }
    }
};

template <class T>
void run(unsigned rounds)
{
    const std::size_t failed_before = failed;
    const std::size_t news_before = new_calls.load();
    const std::size_t mallocs_before = malloc_calls.load();
    rig<T> r; // built and keyed before the counters are reset
    r.setup();
    const std::size_t setup_failures = failed - failed_before;
    // The hooks are live: key setup allocates (Botan key schedules, the stream tables).
    const bool counting = !under_valgrind();
    ALLOC_CHECK(!counting || new_calls.load() > news_before, 0);
    ALLOC_CHECK(!counting || !counting_malloc || malloc_calls.load() > mallocs_before, 0);

    new_calls.store(0);
    malloc_calls.store(0);
    for (unsigned i = 0; i < rounds; ++i) {
        r.transform_round(i);
        r.session_round(i);
    }
    const std::size_t news = new_calls.load();
    const std::size_t mallocs = malloc_calls.load();

    ALLOC_CHECK(!counting || news == 0, news);
    ALLOC_CHECK(!counting || !counting_malloc || mallocs == 0, mallocs);
    // The loop did real work: the wrap moved the ROC, the session holds eight streams.
    ALLOC_CHECK(r.tx.roc() == 4 && r.rx.roc() == 4, r.rx.roc());
    ALLOC_CHECK(r.srx.stream_count() == 8 && r.stx.stream_count() == 8, r.srx.stream_count());
    ALLOC_CHECK(r.srx.find_stream(0xA0000000u) != nullptr &&
                    r.srx.find_stream(0xA0000000u)->roc() == 1,
                0);
    ALLOC_CHECK(setup_failures == 0, setup_failures);
    std::printf("%s: operator new %zu, malloc/calloc/realloc %zu%s\n",
                T::master_key_size == 16 ? "AEAD_AES_128_GCM" : "AEAD_AES_256_GCM", news, mallocs,
                !counting          ? " (not counted: running under valgrind)"
                : counting_malloc ? ""
                                  : " (malloc not counted in this build)");
    total_allocations += news + (counting_malloc ? mallocs : 0);
}

} // namespace

int main()
{
    constexpr unsigned rounds = 1000; // 24 packet calls per round, per key size
    run<perc::botan::srtp_aes_128_gcm>(rounds);
    run<perc::botan::srtp_aes_256_gcm>(rounds);
    std::printf("alloc: %zu packets, %zu allocations\n", packets, total_allocations);
    for (std::size_t k = 0; k < failed && k < failures.size(); ++k)
        std::printf("FAILED line %d: %s (detail %u)\n", failures[k].line, failures[k].what,
                    failures[k].detail);
    std::printf("%zu passed, %zu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
