// Zero-allocation proof for the per-packet path (DESIGN rule 4; STYLE "Zero overhead is a claim
// to prove"). Every global operator new/delete form is replaced by a counting version and, on
// glibc without sanitizers, malloc/calloc/realloc too (Botan's secure_vector allocates with
// calloc, not operator new). Keys and tables are set up first (allocation allowed there); then
// the counters are reset and 10,000+ packets — good ones and ones rejected for auth failure,
// replay, truncation, short buffers and unknown SSRCs — go through srtp_aead_transform with
// srtp_stream and through srtp_session, for both RFC 7714 key sizes. Then the same for RFC 8723:
// double_endpoint for both double profiles (also forged inner layers and invalid OHB Config under
// a valid outer tag, which take the open-then-restore path; repair mode; SRTCP), and
// media_distributor relay_rtp (PT/SEQ/M changes, extension keep/remove/replace) and relay_rtcp,
// rejections included. Then RFC 8870 EKT for both pairings: once the first FullEKTField has been
// unwrapped (setup), Short fields, repeats of the SAME Full field (receiver cache hit, sender's
// cached EKTCiphertext), unknown message types and rejections that need no unwrap.
// Then the researcher suites (non-standard, docs/adding-a-suite.md): ChaCha20-Poly1305 and
// AES-128-OCB as single layers, as both layers, mixed with AES-GCM, and at a Media Distributor
// (OCB's forged-packet path re-encrypts in place, also without allocating).
// Then the conference roles (issue #5): endpoint_session protect/unprotect with EKT, and an
// md_session opening once and forwarding (with rewrites) or skipping per receiver, RTCP via
// open_rtcp/forward_rtcp, after the keys were learned in setup.
// Both counters must end at 0 for every part.
// A plain program (no doctest): prints the counts and "N passed, M failed"; exit 1 on failure.
#include <perc/srtp_aead_transform.hpp>

#include <perc/botan/double.hpp>
#include <perc/botan/random.hpp>
#include <perc/botan/research_suites.hpp>
#include <perc/botan/srtp.hpp>
#include <perc/double_endpoint.hpp>
#include <perc/endpoint_session.hpp>
#include <perc/key_distributor.hpp>
#include <perc/md_session.hpp>
#include <perc/media_distributor.hpp>
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
[[gnu::noinline]] void* operator new(std::size_t n, std::align_val_t a,
                                     const std::nothrow_t&) noexcept
{
    return counted_new_aligned(n, a);
}
[[gnu::noinline]] void* operator new[](std::size_t n, std::align_val_t a,
                                       const std::nothrow_t&) noexcept
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
    for (std::size_t i = 0; i < cc; ++i, at += 4)
        put32(&b[at], 0xC5000000u + static_cast<std::uint32_t>(i));
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
constexpr std::uint8_t master_key[32] = {
    0xf0, 0xf0, 0x49, 0x14, 0xb5, 0x13, 0xf2, 0x76, 0x3a, 0x1b, 0x1f, 0xa1, 0x30, 0xf1, 0x0e, 0x29,
    0x98, 0xf6, 0xf6, 0xe4, 0x3e, 0x43, 0x09, 0xd1, 0xe6, 0x22, 0xa0, 0xe3, 0x32, 0xb9, 0xf1, 0xb6};

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
        ALLOC_CHECK(
            t.unprotect_rtp(rx, bytes_view{bad.data(), m}, out).error() == errc::auth_failed, i);
        ALLOC_CHECK(t.unprotect_rtp(rx, srtp.first(hs + 15), out).error() == errc::truncated, i);
        ALLOC_CHECK(t.unprotect_rtp(rx, srtp, bytes_span{out.data(), n - 1}).error() ==
                        errc::buffer_too_small,
                    i);
        ALLOC_CHECK(
            t.protect_rtp(tx, bytes_view{plain.data(), n}, bytes_span{out.data(), m - 1}).error() ==
                errc::buffer_too_small,
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
        ALLOC_CHECK(
            t.protect_rtp(tx, bytes_view{plain.data(), n}, prot).error() == errc::index_reused, i);
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
        ALLOC_CHECK(srx.unprotect_rtp(bytes_view{bad.data(), m}, out).error() == errc::auth_failed,
                    i);
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
        ALLOC_CHECK(
            strict.protect_rtcp(bytes_view{plain.data(), c}, prot).error() == errc::no_stream, i);
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

    void round(unsigned i)
    {
        transform_round(i);
        session_round(i);
    }

    // The loop did real work: the wrap moved the ROC, the session holds eight streams.
    void final_checks()
    {
        ALLOC_CHECK(tx.roc() == 4 && rx.roc() == 4, rx.roc());
        ALLOC_CHECK(srx.stream_count() == 8 && stx.stream_count() == 8, srx.stream_count());
        ALLOC_CHECK(
            srx.find_stream(0xA0000000u) != nullptr && srx.find_stream(0xA0000000u)->roc() == 1, 0);
    }
};

// ------------------------------------------------------------------ RFC 8723 double endpoints

// Key material for the double parts: distinct slices of these pools (inner, outer, hop keys).
constexpr std::array<std::uint8_t, 192> make_pool(unsigned mul, unsigned add)
{
    std::array<std::uint8_t, 192> a{};
    for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<std::uint8_t>(i * mul + add);
    return a;
}
constexpr auto key_pool = make_pool(37, 11);
constexpr auto salt_pool = make_pool(53, 5);

// The full header size of a packet built by make_rtp.
std::size_t header_size(std::size_t cc, bool ext)
{
    return 12 + 4 * cc + (ext ? 8 : 0);
}

// Rewrites the OHB Config octet (RFC 8723 §4) or an inner ciphertext octet of a double packet
// the way a malicious holder of the outer key could: open the outer layer with a single-layer
// transform keyed with the outer half, change the outer plaintext, seal it again with a valid
// outer tag. The inner check (or the OHB check) must then fail at the receiver, after the
// library has opened its outer layer — the path that re-encrypts (restores) the buffer.
template <class Outer>
bool reforge(Outer& forger, std::uint32_t ssrc, std::uint64_t index, bytes_view packet,
             std::size_t hs, std::size_t at_from_end, std::uint8_t value, bool xor_value,
             buffer& dst)
{
    std::array<std::uint8_t, max_packet> plain{};
    const std::size_t body = packet.size() - hs;
    const std::size_t op = body - Outer::tag_size;
    if (forger.open_rtp(ssrc, index, perc::aad_view{packet.first(hs)}, packet.subspan(hs),
                        bytes_span{plain.data(), op}) != errc::ok)
        return false;
    std::uint8_t& target = plain[op - 1 - at_from_end];
    target = xor_value ? static_cast<std::uint8_t>(target ^ value) : value;
    std::memcpy(dst.data(), packet.data(), hs);
    return forger.seal_rtp(ssrc, index, perc::aad_view{packet.first(hs)},
                           bytes_view{plain.data(), op},
                           bytes_span{dst.data() + hs, body}) == errc::ok;
}

// One double endpoint sending, one receiving (RFC 8723 §5.1, §5.3), repair mode (§7) and
// SRTCP (§6); every rejection class that the receiver can meet, including the two that make
// it open the outer layer and then restore it (forged inner ciphertext, invalid OHB config).
template <class D>
struct double_rig {
    using outer_type = typename D::outer_type;
    static constexpr std::size_t k = D::inner_key_size;
    static constexpr std::uint32_t ssrc = 0xD0AB1E01u;
    static constexpr std::uint32_t rtx_ssrc = 0xD0AB1E02u;
    D tx, rx;
    outer_type forger; // holds only the outer half, like a Media Distributor

    void setup()
    {
        std::array<std::uint8_t, 2 * 32> key{};
        std::memcpy(key.data(), key_pool.data(), k);          // inner half
        std::memcpy(key.data() + k, key_pool.data() + 32, k); // outer half
        const bytes_view double_key{key.data(), 2 * k};
        const bytes_view double_salt{salt_pool.data(), 24};
        perc::double_options o;
        o.max_streams = 8;
        ALLOC_CHECK(tx.init(double_key, double_salt, o) == errc::ok, 0);
        ALLOC_CHECK(rx.init(double_key, double_salt, o) == errc::ok, 0);
        // RFC 8723 §3: the second halves of key and salt are the outer master key and salt.
        ALLOC_CHECK(
            forger.set_master_key(double_key.subspan(k), double_salt.subspan(12)) == errc::ok, 0);
    }

    void round(unsigned i)
    {
        buffer plain{}, prot{}, out{}, bad{}, saved{};
        const std::uint32_t full = 0xFF00u + i; // SEQ wraps at i = 256: ROC 0 -> 1
        const auto seq = static_cast<std::uint16_t>(full);
        const std::uint64_t index = full; // ROC << 16 | SEQ, starting at ROC 0
        const std::size_t cc = i % 3;
        const bool ext = (i & 4) != 0;
        const std::size_t hs = header_size(cc, ext);
        const std::size_t n = make_rtp(plain, ssrc, seq, cc, ext, 20 + i % 90);

        auto p = tx.protect_rtp(bytes_view{plain.data(), n}, prot);
        ++packets;
        ALLOC_CHECK(p.has_value() && p->size() == n + D::protect_overhead, i);
        const std::size_t m = n + D::protect_overhead;
        const bytes_view srtp{prot.data(), m};

        // RFC 8723 §5.3 step 1: forged outer tag.
        bad = prot;
        bad[m - 1 - i % 16] ^= 0x10;
        ALLOC_CHECK(rx.unprotect_rtp(bytes_view{bad.data(), m}, out).error() == errc::auth_failed,
                    i);
        // §5.3 step 4: forged inner ciphertext under a valid outer tag; the receiver opens the
        // outer layer, fails the inner tag and re-encrypts. In place: the buffer is restored;
        // separate output: it holds the outer ciphertext again, never plaintext.
        const std::size_t inner_octet = 1 + i % (n - hs); // counted back from the OHB
        ALLOC_CHECK(reforge(forger, ssrc, index, srtp, hs, inner_octet, 0x01, true, bad), i);
        saved = bad;
        if (i % 2 == 0) {
            ALLOC_CHECK(
                rx.unprotect_rtp(bytes_view{bad.data(), m}, bytes_span{bad.data(), m}).error() ==
                    errc::auth_failed,
                i);
            ALLOC_CHECK(same(bytes_view{bad.data(), m}, bytes_view{saved.data(), m}), i);
        } else {
            ALLOC_CHECK(
                rx.unprotect_rtp(bytes_view{bad.data(), m}, out).error() == errc::auth_failed, i);
            ALLOC_CHECK(same(bytes_view{out.data() + hs, m - hs - 16},
                             bytes_view{saved.data() + hs, m - hs - 16}),
                        i);
        }
        // RFC 8723 §4: invalid OHB Config (R bits; B without M) under a valid outer tag.
        const bool reserved = i % 2 == 0;
        ALLOC_CHECK(reforge(forger, ssrc, index, srtp, hs, 0, reserved ? 0x10 : 0x08, false, bad),
                    i);
        ALLOC_CHECK(rx.unprotect_rtp(bytes_view{bad.data(), m}, out).error() ==
                        (reserved ? errc::ohb_reserved_bits : errc::ohb_bad_marker),
                    i);
        // Truncations and short buffers.
        ALLOC_CHECK(rx.unprotect_rtp(srtp.first(hs + 32), out).error() == errc::truncated, i);
        // Cut inside the header: RFC 3550 §5.3.1 extension length past the end, or no room
        // for the CSRC list.
        ALLOC_CHECK(rx.unprotect_rtp(srtp.first(hs - 1), out).error() ==
                        (ext ? errc::bad_extension : errc::truncated),
                    i);
        ALLOC_CHECK(rx.unprotect_rtp(srtp, bytes_span{out.data(), m - 17}).error() ==
                        errc::buffer_too_small,
                    i);
        ALLOC_CHECK(
            tx.protect_rtp(bytes_view{plain.data(), n}, bytes_span{out.data(), m - 1}).error() ==
                errc::buffer_too_small,
            i);
        packets += 8;

        // The good packet, alternately into a separate buffer and in place.
        if (i % 2 == 0) {
            auto u = rx.unprotect_rtp(srtp, out);
            ALLOC_CHECK(u.has_value() && same(u->packet, bytes_view{plain.data(), n}), i);
        } else {
            bad = prot;
            auto u = rx.unprotect_rtp(bytes_view{bad.data(), m}, bytes_span{bad.data(), m});
            ALLOC_CHECK(u.has_value() && same(u->packet, bytes_view{plain.data(), n}), i);
        }
        ALLOC_CHECK(rx.unprotect_rtp(srtp, out).error() == errc::replayed, i);
        ALLOC_CHECK(tx.protect_rtp(bytes_view{plain.data(), n}, prot).error() == errc::index_reused,
                    i);
        packets += 3;

        // RFC 8723 §7 repair mode (RTX on its own SSRC): outer layer only.
        const std::size_t r = make_rtp(plain, rtx_ssrc, seq, 0, false, 30 + i % 40);
        auto pr = tx.protect_repair_rtp(bytes_view{plain.data(), r}, prot);
        ALLOC_CHECK(pr.has_value() && pr->size() == r + D::repair_overhead, i);
        const bytes_view repair{prot.data(), r + D::repair_overhead};
        bad = prot;
        bad[12 + i % (r - 12)] ^= 0x80;
        ALLOC_CHECK(rx.unprotect_repair_rtp(bytes_view{bad.data(), repair.size()}, out).error() ==
                        errc::auth_failed,
                    i);
        ALLOC_CHECK(rx.unprotect_repair_rtp(repair.first(12 + 15), out).error() == errc::truncated,
                    i);
        auto ur = rx.unprotect_repair_rtp(repair, out);
        ALLOC_CHECK(ur.has_value() && same(*ur, bytes_view{plain.data(), r}), i);
        ALLOC_CHECK(rx.unprotect_repair_rtp(repair, out).error() == errc::replayed, i);
        packets += 5;

        // RFC 8723 §6: SRTCP with the outer key, E = 1 and E = 0 alternately.
        const std::size_t c = make_rtcp(plain, ssrc, i);
        auto pc = tx.protect_rtcp(bytes_view{plain.data(), c}, prot, i % 2 == 0);
        ALLOC_CHECK(pc.has_value() && pc->size() == c + D::srtcp_overhead, i);
        const bytes_view srtcp{prot.data(), c + D::srtcp_overhead};
        bad = prot;
        bad[8 + i % 20] ^= 0x02;
        ALLOC_CHECK(rx.unprotect_rtcp(bytes_view{bad.data(), srtcp.size()}, out).error() ==
                        errc::auth_failed,
                    i);
        ALLOC_CHECK(rx.unprotect_rtcp(srtcp.first(27), out).error() == errc::truncated, i);
        ALLOC_CHECK(rx.unprotect_rtcp(srtcp, bytes_span{out.data(), c - 1}).error() ==
                        errc::buffer_too_small,
                    i);
        auto uc = rx.unprotect_rtcp(srtcp, out);
        ALLOC_CHECK(uc.has_value() && same(*uc, bytes_view{plain.data(), c}), i);
        ALLOC_CHECK(rx.unprotect_rtcp(srtcp, out).error() == errc::replayed, i);
        packets += 6;
    }

    // Both layers followed the wrap (RFC 8723 §3: independent ROCs, here equal).
    void final_checks()
    {
        const auto* s = rx.find_stream(ssrc);
        ALLOC_CHECK(s != nullptr && s->inner.roc() == 1 && s->outer.roc() == 1, 0);
        ALLOC_CHECK(rx.stream_count() == 2 && tx.stream_count() == 2, rx.stream_count());
    }
};

// ------------------------------------------------------------------ RFC 8723 Media Distributor

// Sender -> MD (hop A) -> receiver (hop B). The MD holds outer keys only. Two SSRCs: X keeps
// its SEQ, Y is renumbered on hop B; PT, M and the extension (keep / remove / replace) change
// from packet to packet. Rejections at the MD (forged tag, invalid OHB, truncation, short
// buffer, bad arguments, replay) and at the receiver (forged inner layer relayed by the MD).
template <class T>
struct md_rig {
    using D = perc::double_endpoint<T, T>;
    static constexpr std::size_t k = T::master_key_size;
    static constexpr std::uint32_t ssrc_x = 0x3D000001u;
    static constexpr std::uint32_t ssrc_y = 0x3D000002u;
    static constexpr std::uint8_t ext_body[8] = {0x20, 0xAA, 0x31, 0xBB, 0xCC, 0x00, 0x00, 0x00};
    D sender, receiver;
    perc::md_link<T> a, b;
    perc::media_distributor<T> md;
    T forger; // hop A's outer key

    static bytes_view key(std::size_t slot) { return bytes_view{key_pool.data() + 32 * slot, k}; }
    static bytes_view salt(std::size_t slot)
    {
        return bytes_view{salt_pool.data() + 12 * slot, 12};
    }

    void setup()
    {
        // Slots: 0 inner, 1 sender -> MD (outer A), 2 MD -> sender, 3 receiver -> MD, 4 MD ->
        // receiver.
        std::array<std::uint8_t, 64> dk{};
        std::array<std::uint8_t, 24> ds{};
        std::memcpy(dk.data(), key(0).data(), k);
        std::memcpy(ds.data(), salt(0).data(), 12);
        std::memcpy(dk.data() + k, key(1).data(), k);
        std::memcpy(ds.data() + 12, salt(1).data(), 12);
        perc::double_options o;
        o.max_streams = 8;
        ALLOC_CHECK(sender.init(bytes_view{dk.data(), 2 * k}, ds, o) == errc::ok, 0);
        std::memcpy(dk.data() + k, key(4).data(), k);
        std::memcpy(ds.data() + 12, salt(4).data(), 12);
        ALLOC_CHECK(receiver.init(bytes_view{dk.data(), 2 * k}, ds, o) == errc::ok, 0);
        perc::session_options so;
        so.max_streams = 8;
        ALLOC_CHECK(a.init(key(1), salt(1), key(2), salt(2), so) == errc::ok, 0);
        ALLOC_CHECK(b.init(key(3), salt(3), key(4), salt(4), so) == errc::ok, 0);
        ALLOC_CHECK(forger.set_master_key(key(1), salt(1)) == errc::ok, 0);
    }

    void round(unsigned i)
    {
        using action = perc::relay_changes::extension_action;
        buffer plain{}, prot{}, out{}, bad{}, saved{}, got{};
        const bool y = i % 2 == 1;
        const std::uint32_t ssrc = y ? ssrc_y : ssrc_x;
        const std::uint32_t full = 0xFF00u + i / 2; // per SSRC: wraps at i / 2 = 256
        const auto seq = static_cast<std::uint16_t>(full);
        const std::size_t cc = (i / 2) % 2;
        const bool ext = (i & 8) != 0;
        const std::size_t hs = header_size(cc, ext);
        const std::size_t base = 12 + 4 * cc;
        const std::size_t n = make_rtp(plain, ssrc, seq, cc, ext, 20 + i % 60);

        auto p = sender.protect_rtp(bytes_view{plain.data(), n}, prot);
        ++packets;
        ALLOC_CHECK(p.has_value(), i);
        const std::size_t m = n + D::protect_overhead;
        const bytes_view srtp{prot.data(), m};

        // RFC 8723 §5.2 step 2: the header changes of this packet.
        perc::relay_changes ch;
        if (i & 2) ch.payload_type = std::uint8_t{100};
        if (i & 4) ch.marker = true;
        if (y) ch.seq = static_cast<std::uint16_t>(0x0100u + i / 2);
        const unsigned e = (i / 2) % 3;
        ch.extension = e == 0 ? action::keep : e == 1 ? action::remove : action::replace;
        if (ch.extension == action::replace)
            ch.extension_body = bytes_view{ext_body, 4 + 4 * (i % 2)};
        const std::size_t new_hs = ch.extension == action::remove ? base
                                   : ch.extension == action::replace
                                       ? base + 4 + ch.extension_body.size()
                                       : hs;
        const std::size_t need = new_hs + (m - hs - T::tag_size) +
                                 perc::media_distributor<T>::relay_growth + T::tag_size;

        // Rejections at the MD; none of them changes any state.
        bad = prot;
        bad[m - 1 - i % 16] ^= 0x40;
        ALLOC_CHECK(
            md.relay_rtp(a, b, bytes_view{bad.data(), m}, out, ch).error() == errc::auth_failed, i);
        ALLOC_CHECK(md.relay_rtp(a, b, srtp.first(hs + 16), out, ch).error() == errc::truncated, i);
        ALLOC_CHECK(md.relay_rtp(a, b, srtp, bytes_span{out.data(), need - 1}, ch).error() ==
                        errc::buffer_too_small,
                    i);
        {
            perc::relay_changes wrong = ch;
            wrong.payload_type = std::uint8_t{128};
            ALLOC_CHECK(md.relay_rtp(a, b, srtp, out, wrong).error() == errc::invalid_argument, i);
            wrong = ch;
            wrong.extension = action::replace;
            wrong.extension_body = bytes_view{ext_body, 3};
            ALLOC_CHECK(md.relay_rtp(a, b, srtp, out, wrong).error() == errc::invalid_argument, i);
        }
        // RFC 8723 §4 / §5.2 step 1: invalid OHB Config under a valid hop-A tag, relayed in
        // place: the MD opens, refuses and re-encrypts, so the buffer is as it came.
        ALLOC_CHECK(reforge(forger, ssrc, full, srtp, hs, 0, i % 4 < 2 ? 0x80 : 0x0A, false, bad),
                    i);
        saved = bad;
        ALLOC_CHECK(
            md.relay_rtp(a, b, bytes_view{bad.data(), m}, bytes_span{bad.data(), max_packet}, ch)
                    .error() == (i % 4 < 2 ? errc::ohb_reserved_bits : errc::ohb_bad_marker),
            i);
        ALLOC_CHECK(same(bytes_view{bad.data(), m}, bytes_view{saved.data(), m}), i);
        packets += 6;

        const perc::rtp_mutable_fields expect{96, seq, false};
        const perc::rtp_mutable_fields sent{ch.payload_type.value_or(std::uint8_t{96}),
                                            ch.seq.value_or(seq), ch.marker.value_or(false)};
        if (i % 4 == 3) {
            // A forged inner layer under a valid hop-A tag: the MD cannot tell (outer keys only)
            // and relays it; the receiver's inner check refuses it (RFC 8723 §5.3 step 4).
            ALLOC_CHECK(reforge(forger, ssrc, full, srtp, hs, 1 + i % (n - hs), 0x04, true, bad),
                        i);
            auto r = md.relay_rtp(a, b, bytes_view{bad.data(), m}, out, ch);
            const std::size_t inner_part = m - hs - T::tag_size - 1; // E2E ct || tag
            ALLOC_CHECK(r.has_value() && r->packet.size() ==
                                             new_hs + inner_part + r->ohb_sent.size() + T::tag_size,
                        i);
            const std::size_t rs = r.has_value() ? r->packet.size() : 0;
            ALLOC_CHECK(receiver.unprotect_rtp(bytes_view{out.data(), rs}, got).error() ==
                            errc::auth_failed,
                        i);
            packets += 2;
            return;
        }

        // The good relay, alternately in place and into a separate buffer (exact size).
        bytes_view relayed_packet;
        if (i % 3 == 0) {
            bad = prot;
            auto r = md.relay_rtp(a, b, bytes_view{bad.data(), m},
                                  bytes_span{bad.data(), max_packet}, ch);
            ALLOC_CHECK(r.has_value() && r->sent == sent, i);
            if (r.has_value()) relayed_packet = r->packet;
        } else {
            auto r = md.relay_rtp(a, b, srtp, bytes_span{out.data(), need}, ch);
            ALLOC_CHECK(r.has_value() && r->sent == sent, i);
            if (r.has_value()) relayed_packet = r->packet;
        }
        ALLOC_CHECK(md.relay_rtp(a, b, srtp, out, ch).error() == errc::replayed, i);
        packets += 2;

        // The receiver: original PT, SEQ, M restored; payload intact; replay refused.
        auto u = receiver.unprotect_rtp(relayed_packet, got);
        ALLOC_CHECK(u.has_value() && u->original == expect && u->outer == sent &&
                        u->header_size == new_hs &&
                        same(u->payload(), bytes_view{plain.data() + hs, n - hs}),
                    i);
        ALLOC_CHECK(receiver.unprotect_rtp(relayed_packet, got).error() == errc::replayed, i);
        packets += 2;

        // RFC 8723 §6: SRTCP relayed with outer keys only.
        const std::size_t c = make_rtcp(plain, ssrc, i);
        auto pc = sender.protect_rtcp(bytes_view{plain.data(), c}, prot, i % 2 == 0);
        ALLOC_CHECK(pc.has_value(), i);
        const bytes_view srtcp{prot.data(), c + D::srtcp_overhead};
        bad = prot;
        bad[8 + i % 20] ^= 0x08;
        ALLOC_CHECK(md.relay_rtcp(a, b, bytes_view{bad.data(), srtcp.size()}, out).error() ==
                        errc::auth_failed,
                    i);
        ALLOC_CHECK(md.relay_rtcp(a, b, srtcp.first(27), out).error() == errc::truncated, i);
        ALLOC_CHECK(md.relay_rtcp(a, b, srtcp, bytes_span{out.data(), srtcp.size() - 1}).error() ==
                        errc::buffer_too_small,
                    i);
        auto rc = md.relay_rtcp(a, b, srtcp, out, i % 2 == 1);
        ALLOC_CHECK(rc.has_value() && rc->size() == srtcp.size(), i);
        ALLOC_CHECK(md.relay_rtcp(a, b, srtcp, got).error() == errc::replayed, i);
        const std::size_t rcs = rc.has_value() ? rc->size() : 0;
        auto uc = receiver.unprotect_rtcp(bytes_view{out.data(), rcs}, got);
        ALLOC_CHECK(uc.has_value() && same(*uc, bytes_view{plain.data(), c}), i);
        packets += 7;
    }

    // X kept its SEQ (ROC 1 on both hops), Y was renumbered (ROC 0 on hop B, inner ROC 1).
    void final_checks()
    {
        const auto* x = receiver.find_stream(ssrc_x);
        const auto* yy = receiver.find_stream(ssrc_y);
        ALLOC_CHECK(x != nullptr && x->inner.roc() == 1 && x->outer.roc() == 1, 0);
        ALLOC_CHECK(yy != nullptr && yy->inner.roc() == 1 && yy->outer.roc() == 0, 0);
        ALLOC_CHECK(b.find_send_stream(ssrc_y) != nullptr && b.find_send_stream(ssrc_y)->roc() == 0,
                    0);
        ALLOC_CHECK(a.find_receive_stream(ssrc_y) != nullptr &&
                        a.find_receive_stream(ssrc_y)->roc() == 1,
                    0);
    }
};

// ------------------------------------------------------------------ RFC 8870 EKT

// Sender (double_endpoint + ekt_sender, protect_rtp_with_ekt) -> receiver (double_endpoint +
// ekt_receiver, unprotect_rtp_with_ekt) over one hop. Setup sends the three Full fields of the
// start (RFC 8870 §4.6): the receiver unwraps the first (Botan allocates) and installs the key.
// Measured, 10 ms per packet and SEQ below the wrap (so ROC and EKTCiphertext stay the same):
// the sender's Short fields and periodic Full fields (its cached ciphertext, §4.3.1); at the
// receiver, cache hits on the same Full field (§4.3.2), Short fields, unknown message types
// (§4.1), and rejections decided without an unwrap: unknown SPI (§4.3.2 step 2), bad Length,
// forged outer tag. (A Full field that must be unwrapped allocates inside Botan's RFC 5649.)
template <class D, class Sender, class Receiver>
struct ekt_rig {
    static constexpr std::size_t k = D::inner_key_size; // = the AESKW key size of the pairing
    static constexpr std::uint32_t ssrc = 0xE4700001u;
    static constexpr std::uint16_t spi = 0x1234;
    static constexpr std::uint8_t unknown_tag[7] = {0xC0, 0xFF, 0xEE, 0x00, 0x00, 0x07, 0x03};
    D tx, rx;
    Sender sender;
    Receiver receiver;
    std::array<std::uint8_t, Sender::max_field_size> full{}; // the Full field of the start
    std::uint64_t now = 0;
    std::uint16_t seq = 1;
    std::size_t fulls_sent = 0, fulls_received = 0;

    static bytes_view key(std::size_t slot) { return bytes_view{key_pool.data() + 32 * slot, k}; }

    // Protects the next packet (RFC 8723 + EKT Tag); returns its size and the tag size.
    std::size_t send(buffer& plain, buffer& prot, unsigned i, std::size_t& tag)
    {
        const std::size_t n = make_rtp(plain, ssrc, seq++, i % 3, (i & 4) != 0, 20 + i % 90);
        auto p = perc::protect_rtp_with_ekt(tx, sender, bytes_view{plain.data(), n}, prot, now);
        ALLOC_CHECK(p.has_value(), i);
        const std::size_t m = p.has_value() ? p->size() : n + D::protect_overhead + 1;
        tag = m - n - D::protect_overhead;
        return m;
    }

    void setup()
    {
        std::array<std::uint8_t, 64> dk{};
        std::memcpy(dk.data(), key(3).data(), k); // placeholder inner half, replaced by EKT
        std::memcpy(dk.data() + k, key(1).data(), k);
        const bytes_view double_salt{salt_pool.data(), 24};
        perc::double_options o;
        o.max_streams = 8;
        ALLOC_CHECK(tx.init(bytes_view{dk.data(), 2 * k}, double_salt, o) == errc::ok, 0);
        std::memcpy(dk.data(), key(4).data(), k); // the receiver's own, useless inner half
        ALLOC_CHECK(rx.init(bytes_view{dk.data(), 2 * k}, double_salt, o) == errc::ok, 0);
        const perc::ekt_key_params ekt{spi, key(2), bytes_view{salt_pool.data() + 36, 12}, 0};
        ALLOC_CHECK(sender.set_ekt_key(ekt, 0) == errc::ok, 0);
        ALLOC_CHECK(sender.set_master_key(ssrc, key(0), 0) == errc::ok, 0);
        ALLOC_CHECK(receiver.init(8) == errc::ok, 0);
        ALLOC_CHECK(receiver.add_key(ekt, 0) == errc::ok, 0);
        buffer plain{}, prot{}, out{};
        for (unsigned i = 0; i < 3; ++i) {
            std::size_t tag = 0;
            const std::size_t m = send(plain, prot, i, tag);
            ALLOC_CHECK(tag == Sender::max_field_size, tag);
            if (i == 0) std::memcpy(full.data(), prot.data() + (m - tag), tag);
            auto u = perc::unprotect_rtp_with_ekt(rx, receiver, bytes_view{prot.data(), m}, out,
                                                  now);
            ALLOC_CHECK(u.has_value(), i);
        }
    }

    void round(unsigned i)
    {
        buffer plain{}, prot{}, out{}, bad{};
        now += 10; // §4.6: a periodic Full field every 100 ms, i.e. every 10th packet
        std::size_t tag = 0;
        const std::size_t m = send(plain, prot, i, tag);
        ++packets;
        const std::size_t srtp = m - tag;
        if (tag == full.size()) {
            ++fulls_sent; // the same field as at the start: the cached EKTCiphertext
            ALLOC_CHECK(same(bytes_view{prot.data() + srtp, tag}, bytes_view{full}), i);
        } else {
            ALLOC_CHECK(tag == 1 && prot[srtp] == 0x00, i);
        }

        // Rejections first; none of them changes any state.
        // Unknown SPI (RFC 8870 §4.3.2 step 2): the start's Full field with another SPI.
        bad = prot;
        std::memcpy(bad.data() + srtp, full.data(), full.size());
        bad[srtp + full.size() - 6] ^= static_cast<std::uint8_t>(1u << (i % 8));
        ALLOC_CHECK(perc::unprotect_rtp_with_ekt(
                        rx, receiver, bytes_view{bad.data(), srtp + full.size()}, out, now)
                            .error() == errc::auth_failed,
                    i);
        // EKTMsgLength larger than the packet (§4.1).
        bad[srtp + full.size() - 6] = full[full.size() - 6];
        bad[srtp + full.size() - 3] = 0xFF;
        ALLOC_CHECK(perc::unprotect_rtp_with_ekt(
                        rx, receiver, bytes_view{bad.data(), srtp + full.size()}, out, now)
                            .error() == errc::ekt_bad_length,
                    i);
        // Forged outer tag under a Short field.
        bad = prot;
        bad[srtp - 1 - i % 16] ^= 0x08;
        bad[srtp] = 0x00;
        ALLOC_CHECK(
            perc::unprotect_rtp_with_ekt(rx, receiver, bytes_view{bad.data(), srtp + 1}, out, now)
                    .error() == errc::auth_failed,
            i);
        packets += 3;

        // The good packet: with its own tag, or with the start's Full field (cache hit), or
        // with an unknown message type (tag discarded, §4.1).
        std::size_t len = m;
        if (i % 4 == 0) {
            std::memcpy(prot.data() + srtp, full.data(), full.size());
            len = srtp + full.size();
        } else if (i % 4 == 2) {
            std::memcpy(prot.data() + srtp, unknown_tag, sizeof unknown_tag);
            len = srtp + sizeof unknown_tag;
        }
        if (len - srtp == full.size()) ++fulls_received;
        auto u = perc::unprotect_rtp_with_ekt(rx, receiver, bytes_view{prot.data(), len}, out, now);
        ALLOC_CHECK(u.has_value() &&
                        same(u->packet, bytes_view{plain.data(), srtp - D::protect_overhead}),
                    i);
        ALLOC_CHECK(
            perc::unprotect_rtp_with_ekt(rx, receiver, bytes_view{prot.data(), len}, out, now)
                    .error() == errc::replayed,
            i);
        packets += 2;
    }

    void final_checks()
    {
        const auto* s = rx.find_stream(ssrc);
        ALLOC_CHECK(s != nullptr && s->has_own_key && !s->has_previous && s->inner.roc() == 0, 0);
        ALLOC_CHECK(fulls_sent == 100 && fulls_received == 350, fulls_received);
        ALLOC_CHECK(sender.epoch() == 0, sender.epoch());
    }
};

// The conference roles: two endpoint sessions keyed as after DTLS-SRTP and the EKTKey, and an
// md_session with both links keyed by MediaKeys. Setup sends the first packets, so the
// receiver has unwrapped the sender's key (the one allocation EKT makes per new key).
template <class Outer, class D, class Sender, class Receiver, perc::ekt_cipher Cipher,
          std::uint16_t Profile>
struct conference_rig {
    using session = perc::endpoint_session<D, Sender, Receiver, 2>;
    perc::botan::seeded_random rng{77};
    perc::key_distributor<1, 4> kd;
    perc::md_session<Outer, 4> md;
    session a, b;
    std::size_t link_a = 0, link_b = 0;
    std::uint16_t seq = 100;
    std::uint64_t now = 0;
    static constexpr std::uint32_t ssrc_a = 0xA0000001u, ssrc_b = 0xB0000001u;

    void join(session& e, std::size_t& link, std::size_t tunnel, std::uint32_t ssrc)
    {
        auto l = md.add_endpoint(rng);
        ALLOC_CHECK(l.has_value(), 0);
        link = l.value_or(0);
        std::array<std::uint8_t, 64> msg{};
        const std::uint8_t hello[] = {22, 0xFE, 0xFD};
        auto n = md.wrap_dtls(link, hello, msg);
        ALLOC_CHECK(n.has_value(), 0);
        std::array<std::uint8_t, 16> reply{};
        ALLOC_CHECK(
            kd.on_tunnel_message(tunnel, bytes_view{msg.data(), n.value_or(0)}, reply).has_value(),
            0);
        std::array<std::uint8_t, perc::max_keying_material_size> km{};
        auto material = perc::generate_keying_material(Profile, rng, km);
        ALLOC_CHECK(material.has_value(), 0);
        std::array<std::uint8_t, perc::key_distributor<>::max_media_keys_size> mk{};
        auto m = kd.association_established(md.association(link), Profile, *material, mk);
        ALLOC_CHECK(m.has_value() &&
                        md.on_tunnel_message(bytes_view{mk.data(), m.value_or(0)}).has_value(),
                    0);
        const std::uint32_t own[] = {ssrc};
        ALLOC_CHECK(e.init(Profile, *material, own) == errc::ok, 0);
        std::array<std::uint8_t, perc::key_distributor<>::max_ekt_key_message_size> body{};
        auto k = kd.encode_ekt_key(body);
        ALLOC_CHECK(k.has_value() && e.on_ekt_key(bytes_view{body.data(), k.value_or(0)}, Cipher,
                                                  rng, 0) == errc::ok,
                    0);
    }

    // a -> MD -> b; every 5th packet skipped for b (its SEQ renumbered afterwards).
    void one(unsigned i, bool expect_delivery)
    {
        buffer plain{}, prot{}, scratch{}, fwd{}, out{};
        const std::size_t n = make_rtp(plain, ssrc_a, seq++, i % 2, (i & 2) != 0, 30 + i % 90);
        auto p = a.protect_rtp(bytes_view{plain.data(), n}, prot, now);
        ALLOC_CHECK(p.has_value(), i);
        if (!p) return;
        auto o = md.open_rtp(link_a, *p, scratch);
        ALLOC_CHECK(o.has_value(), i);
        if (!o) return;
        ++packets;
        if (!expect_delivery) {
            ALLOC_CHECK(md.skip_rtp(*o, link_b) == errc::ok, i);
            return;
        }
        perc::relay_changes ch;
        ch.payload_type = 100;
        ch.marker = (i & 1) != 0;
        auto f = md.forward_rtp(*o, link_b, fwd, ch);
        ALLOC_CHECK(f.has_value(), i);
        if (!f) return;
        auto r = b.unprotect_rtp(f->packet, out, now);
        ALLOC_CHECK(r.has_value() &&
                        same(r->media.payload(),
                             bytes_view{plain.data() + (n - (30 + i % 90)), 30 + i % 90}),
                    i);
        // The same packet again: refused, nothing allocated.
        ALLOC_CHECK(b.unprotect_rtp(f->packet, out, now).error() == errc::replayed, i);
        packets += 2;
    }

    void setup()
    {
        const std::uint16_t p[] = {Profile};
        ALLOC_CHECK(kd.init(p, Cipher, 3600, rng) == errc::ok, 0);
        ALLOC_CHECK(md.init(p) == errc::ok, 0);
        auto t = kd.open_tunnel();
        ALLOC_CHECK(t.has_value(), 0);
        std::array<std::uint8_t, 16> hello{}, reply{};
        auto h = md.tunnel_hello(hello);
        ALLOC_CHECK(
            h.has_value() &&
                kd.on_tunnel_message(t.value_or(0), bytes_view{hello.data(), h.value_or(0)}, reply)
                    .has_value(),
            0);
        join(a, link_a, t.value_or(0), ssrc_a);
        join(b, link_b, t.value_or(0), ssrc_b);
        for (unsigned i = 0; i < 3; ++i) one(i, true);
    }

    void round(unsigned i)
    {
        now += 10;
        one(i, i % 5 != 4);
        // RTCP from b to a through the MD: open once, forward.
        buffer sr{}, prot{}, plain{}, fwd{}, out{};
        sr[0] = 0x80;
        sr[1] = 200;
        sr[3] = 6;
        put32(sr.data() + 4, ssrc_b);
        put32(sr.data() + 8, i);
        auto p = b.protect_rtcp(bytes_view{sr.data(), 28}, prot);
        auto o = p ? md.open_rtcp(link_b, *p, plain) : perc::result<perc::bytes_span>{errc::no_key};
        auto f = o ? md.forward_rtcp(*o, link_a, fwd)
                   : perc::result<perc::bytes_span>{errc::no_key};
        auto u = f ? a.unprotect_rtcp(*f, out) : perc::result<perc::bytes_span>{errc::no_key};
        ALLOC_CHECK(u.has_value() && same(*u, bytes_view{sr.data(), 28}), i);
        packets += 3;
    }

    void final_checks() { ALLOC_CHECK(md.stats(link_b).rtp_dropped == 200, 0); }
};

// Builds a rig, keys it (allocation allowed), resets the counters, runs `rounds` rounds and
// checks that nothing was allocated; prints one summary line.
template <class Rig>
void measure(const char* label, unsigned rounds)
{
    const std::size_t failed_before = failed;
    const std::size_t news_before = new_calls.load();
    const std::size_t mallocs_before = malloc_calls.load();
    Rig r; // built and keyed before the counters are reset
    r.setup();
    const std::size_t setup_failures = failed - failed_before;
    // The hooks are live: key setup allocates (Botan key schedules, the stream tables).
    const bool counting = !under_valgrind();
    ALLOC_CHECK(!counting || new_calls.load() > news_before, 0);
    ALLOC_CHECK(!counting || !counting_malloc || malloc_calls.load() > mallocs_before, 0);

    new_calls.store(0);
    malloc_calls.store(0);
    for (unsigned i = 0; i < rounds; ++i) r.round(i);
    const std::size_t news = new_calls.load();
    const std::size_t mallocs = malloc_calls.load();

    ALLOC_CHECK(!counting || news == 0, news);
    ALLOC_CHECK(!counting || !counting_malloc || mallocs == 0, mallocs);
    r.final_checks();
    ALLOC_CHECK(setup_failures == 0, setup_failures);
    std::printf("%s: operator new %zu, malloc/calloc/realloc %zu%s\n", label, news, mallocs,
                !counting         ? " (not counted: running under valgrind)"
                : counting_malloc ? ""
                                  : " (malloc not counted in this build)");
    total_allocations += news + (counting_malloc ? mallocs : 0);
}

} // namespace

int main()
{
    constexpr unsigned rounds = 1000; // 24 packet calls per round, per key size
    measure<rig<perc::botan::srtp_aes_128_gcm>>("AEAD_AES_128_GCM", rounds);
    measure<rig<perc::botan::srtp_aes_256_gcm>>("AEAD_AES_256_GCM", rounds);
    // RFC 8723: 22 packet calls per round per double profile; 14 to 19 per MD round.
    measure<double_rig<perc::botan::double_aes_128_gcm>>("DOUBLE_AEAD_AES_128_GCM_AEAD_AES_128_GCM",
                                                         rounds);
    measure<double_rig<perc::botan::double_aes_256_gcm>>("DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM",
                                                         rounds);
    measure<md_rig<perc::botan::srtp_aes_128_gcm>>("media_distributor AEAD_AES_128_GCM", rounds);
    measure<md_rig<perc::botan::srtp_aes_256_gcm>>("media_distributor AEAD_AES_256_GCM", rounds);
    // RFC 8870: 6 packet calls per round per pairing.
    measure<ekt_rig<perc::botan::double_aes_128_gcm, perc::botan::ekt_sender_aes_128,
                    perc::botan::ekt_receiver_aes_128>>("EKT AESKW128 + DOUBLE_AEAD_AES_128_GCM",
                                                        rounds);
    measure<ekt_rig<perc::botan::double_aes_256_gcm, perc::botan::ekt_sender_aes_256,
                    perc::botan::ekt_receiver_aes_256>>("EKT AESKW256 + DOUBLE_AEAD_AES_256_GCM",
                                                        rounds);
    // Researcher suites: the same rigs (mixed doubles whose halves have equal key sizes).
    measure<rig<perc::botan::srtp_chacha20_poly1305>>("AEAD_CHACHA20_POLY1305 (non-standard)",
                                                      rounds);
    measure<rig<perc::botan::srtp_aes_128_ocb>>("AEAD_AES_128_OCB_TAGLEN128 (non-standard)",
                                                rounds);
    measure<double_rig<perc::botan::double_chacha20_poly1305>>(
        "double AEAD_CHACHA20_POLY1305 (non-standard)", rounds);
    measure<double_rig<perc::botan::double_aes_128_ocb>>(
        "double AEAD_AES_128_OCB_TAGLEN128 (non-standard)", rounds);
    measure<double_rig<
        perc::double_endpoint<perc::botan::srtp_chacha20_poly1305, perc::botan::srtp_aes_256_gcm>>>(
        "double inner CHACHA20_POLY1305, outer AES_256_GCM (non-standard)", rounds);
    measure<double_rig<
        perc::double_endpoint<perc::botan::srtp_aes_128_gcm, perc::botan::srtp_aes_128_ocb>>>(
        "double inner AES_128_GCM, outer AES_128_OCB (non-standard)", rounds);
    measure<md_rig<perc::botan::srtp_chacha20_poly1305>>(
        "media_distributor AEAD_CHACHA20_POLY1305 (non-standard)", rounds);
    measure<md_rig<perc::botan::srtp_aes_128_ocb>>(
        "media_distributor AEAD_AES_128_OCB_TAGLEN128 (non-standard)", rounds);
    // Conference roles (issue #5): 4 to 6 packet calls per round.
    measure<conference_rig<perc::botan::srtp_aes_128_gcm, perc::botan::double_aes_128_gcm,
                           perc::botan::ekt_sender_aes_128, perc::botan::ekt_receiver_aes_128,
                           perc::ekt_cipher::aeskw_128, 0x0009>>(
        "endpoint_session + md_session DOUBLE_AEAD_AES_128_GCM", rounds);
    measure<conference_rig<perc::botan::srtp_aes_256_gcm, perc::botan::double_aes_256_gcm,
                           perc::botan::ekt_sender_aes_256, perc::botan::ekt_receiver_aes_256,
                           perc::ekt_cipher::aeskw_256, 0x000A>>(
        "endpoint_session + md_session DOUBLE_AEAD_AES_256_GCM", rounds);
    std::printf("alloc: %zu packets, %zu allocations\n", packets, total_allocations);
    for (std::size_t k = 0; k < failed && k < failures.size(); ++k)
        std::printf("FAILED line %d: %s (detail %u)\n", failures[k].line, failures[k].what,
                    failures[k].detail);
    std::printf("%zu passed, %zu failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
