// Constant-time check of perc's glue code under valgrind memcheck (docs/hardening.md).
//
// Secrets (master keys and salts, payload plaintext, the EKTPlaintext after unwrap) are marked
// UNDEFINED with memcheck's client requests. Memcheck propagates undefinedness through every
// computation and reports a branch, conditional move or memory address that depends on it
// ("Conditional jump or move depends on uninitialised value(s)", "Use of uninitialised value
// of size 8"). So a clean run means: along the paths exercised, no branch and no index in our
// code depends on a secret. Values the protocol makes public are marked DEFINED where they
// become public (the declassification points are listed at each mark).
//
// The cipher policies here are toys (XOR keystream and a multiply-xor MAC, branch-free and
// table-free) so that what is checked is OUR glue — KDF recipe, IV construction, double
// layering, OHB handling, EKT plaintext handling — not Botan's AES or GHASH.
//
//   valgrind --error-exitcode=1 ct_check          every real check, must report nothing
//   valgrind --error-exitcode=1 ct_check --leaky  only deliberately leaky code, must fail
//
// Without valgrind the program exits 77 (meson: skipped): the client requests are no-ops and
// nothing would be checked.
#include <perc/aead_nonce.hpp>
#include <perc/aes_cm_prf.hpp>
#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/double_endpoint.hpp>
#include <perc/ekt.hpp>
#include <perc/ekt_endpoint.hpp>
#include <perc/ekt_field.hpp>
#include <perc/errc.hpp>
#include <perc/media_distributor.hpp>
#include <perc/ohb.hpp>
#include <perc/result.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/srtp_aead_transform.hpp>
#include <perc/srtp_stream.hpp>

#include "mock_aead.hpp"

#include <valgrind/memcheck.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <span>
#include <utility>

namespace {

using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

// ------------------------------------------------------------------ memcheck helpers

void make_secret(bytes_span s)
{
    (void)VALGRIND_MAKE_MEM_UNDEFINED(s.data(), s.size());
}
void make_public(bytes_span s)
{
    (void)VALGRIND_MAKE_MEM_DEFINED(s.data(), s.size());
}
template <class T>
void make_public(T& v)
{
    (void)VALGRIND_MAKE_MEM_DEFINED(&v, sizeof v);
}

int failures = 0;

void fail(const char* what)
{
    std::printf("FAIL %s\n", what);
    ++failures;
}

/// True when every bit of `s` is undefined for memcheck: the secret really flowed there, so
/// the check above it was not vacuous.
bool tainted(bytes_view s)
{
    std::array<std::uint8_t, 512> vbits{};
    if (s.size() > vbits.size()) return false;
    if (VALGRIND_GET_VBITS(s.data(), vbits.data(), s.size()) != 1) return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (vbits[i] != 0xFF) return false;
    return true;
}
/// True when every bit of `s` is defined.
bool untainted(bytes_view s)
{
    std::array<std::uint8_t, 512> vbits{};
    if (s.size() > vbits.size()) return false;
    if (VALGRIND_GET_VBITS(s.data(), vbits.data(), s.size()) != 1) return false;
    for (std::size_t i = 0; i < s.size(); ++i)
        if (vbits[i] != 0x00) return false;
    return true;
}

void expect(bool ok, const char* what)
{
    if (!ok) fail(what);
}

/// Compares after declassifying a copy (the harness's own check of the result, not part of
/// the code under test).
bool same(bytes_view a, bytes_view b)
{
    if (a.size() != b.size() || a.size() > 512) return false;
    std::array<std::uint8_t, 512> x{}, y{};
    std::memcpy(x.data(), a.data(), a.size());
    std::memcpy(y.data(), b.data(), b.size());
    make_public(bytes_span{x.data(), a.size()});
    make_public(bytes_span{y.data(), b.size()});
    return std::memcmp(x.data(), y.data(), a.size()) == 0;
}

// ------------------------------------------------------------ constant-time toy ciphers

constexpr std::uint64_t rotl(std::uint64_t x, int r) noexcept
{
    return (x << r) | (x >> (64 - r));
}
/// Branch-free, table-free 64-bit mixer (multiply, xor, rotate).
constexpr std::uint64_t mix(std::uint64_t h, std::uint64_t v) noexcept
{
    h ^= v;
    h *= 0x9E3779B97F4A7C15ull;
    h = rotl(h, 29);
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}
std::uint64_t absorb(std::uint64_t h, bytes_view s) noexcept
{
    for (const std::uint8_t b : s) h = mix(h, b);
    return mix(h, s.size());
}

/// Constant-time toy AEAD satisfying perc::aead_cipher (NOT a real cipher):
///   keystream word j = mix(S, j), S = absorb(key, nonce); tag = two lanes over key, nonce,
///   aad, ciphertext. The only branch on a value derived from the key is the accept/reject
///   decision, declassified after perc::ct_equal (an attacker sees accept/reject anyway).
/// PublicPlaintext: the plaintext this layer releases is public by the protocol — true for
/// the outer (hop-by-hop) layer of RFC 8723, whose plaintext (E2E ciphertext ‖ E2E tag ‖ OHB)
/// every Media Distributor sees; false for the inner layer and single SRTP (media plaintext).
template <std::size_t KeySize, bool PublicPlaintext>
class ct_aead {
public:
    static constexpr std::size_t key_size = KeySize;
    static constexpr std::size_t nonce_size = 12;
    static constexpr std::size_t tag_size = 16;

    ct_aead() noexcept = default;
    ct_aead(const ct_aead&) = delete;
    ct_aead& operator=(const ct_aead&) = delete;
    ct_aead(ct_aead&& o) noexcept : key_(std::move(o.key_)), has_key_(o.has_key_)
    {
        o.has_key_ = false;
    }
    ct_aead& operator=(ct_aead&& o) noexcept
    {
        key_ = std::move(o.key_);
        has_key_ = o.has_key_;
        o.has_key_ = false;
        return *this;
    }
    ~ct_aead() = default;

    errc set_key(std::span<const std::uint8_t, key_size> key) noexcept
    {
        key_ = perc::secret_bytes<key_size>{key};
        has_key_ = true;
        return errc::ok;
    }
    bool has_key() const noexcept { return has_key_; }

    errc seal(std::span<const std::uint8_t, nonce_size> nonce, perc::aad_view aad, bytes_view in,
              bytes_span out, std::span<std::uint8_t, tag_size> tag_out) noexcept
    {
        if (!has_key_) return errc::no_key;
        if (out.size() != in.size()) return errc::buffer_too_small;
        crypt(nonce, in, out);
        compute_tag(nonce, aad, out, tag_out);
        // Declassify: ciphertext and tag go on the wire.
        make_public(out);
        make_public(bytes_span{tag_out});
        return errc::ok;
    }

    errc open(std::span<const std::uint8_t, nonce_size> nonce, perc::aad_view aad, bytes_view in,
              std::span<const std::uint8_t, tag_size> tag_in, bytes_span out) noexcept
    {
        if (!has_key_) return errc::no_key;
        if (out.size() != in.size()) return errc::buffer_too_small;
        std::array<std::uint8_t, tag_size> expected{};
        perc::scoped_wipe wipe{expected};
        compute_tag(nonce, aad, in, expected);
        bool ok = perc::ct_equal(expected, tag_in);
        // Declassify: whether the tag verified is public (the packet is accepted or dropped).
        make_public(ok);
        if (!ok) return errc::auth_failed;
        crypt(nonce, in, out);
        if constexpr (PublicPlaintext) make_public(out);
        return errc::ok;
    }

private:
    void crypt(std::span<const std::uint8_t, nonce_size> nonce, bytes_view in,
               bytes_span out) const noexcept
    {
        const std::uint64_t s = absorb(absorb(0x243F6A8885A308D3ull, key_.span()), nonce);
        for (std::size_t i = 0; i < in.size(); ++i) {
            const std::uint64_t w = mix(s, i / 8);
            out[i] =
                static_cast<std::uint8_t>(in[i] ^ static_cast<std::uint8_t>(w >> (8 * (i % 8))));
        }
    }
    void compute_tag(std::span<const std::uint8_t, nonce_size> nonce, perc::aad_view aad,
                     bytes_view cipher, std::span<std::uint8_t, tag_size> tag) const noexcept
    {
        std::uint64_t lane[2] = {0x13198A2E03707344ull, 0xA4093822299F31D0ull};
        for (std::uint64_t& h : lane) {
            h = absorb(h, key_.span());
            h = absorb(h, nonce);
            h = absorb(h, aad.first);
            h = absorb(h, aad.second);
            h = absorb(h, cipher);
        }
        perc::store_be64(tag.data(), lane[0]);
        perc::store_be64(tag.data() + 8, lane[1]);
    }

    perc::secret_bytes<key_size> key_;
    bool has_key_ = false;
};

/// Constant-time toy key wrap satisfying perc::ekt_key_wrap (NOT RFC 3394/5649; Botan's wrap
/// is outside this check): wrapped = (plaintext XOR keystream) ‖ 8-octet MAC of the plaintext.
class ct_key_wrap {
public:
    static constexpr std::size_t key_size = 16;
    static constexpr std::size_t wrapped_size(std::size_t n) noexcept { return n + 8; }

    ct_key_wrap() noexcept = default;
    ct_key_wrap(const ct_key_wrap&) = delete;
    ct_key_wrap& operator=(const ct_key_wrap&) = delete;
    ct_key_wrap(ct_key_wrap&&) noexcept = default;
    ct_key_wrap& operator=(ct_key_wrap&&) noexcept = default;
    ~ct_key_wrap() = default;

    errc set_key(std::span<const std::uint8_t, key_size> key) noexcept
    {
        key_ = perc::secret_bytes<key_size>{key};
        has_key_ = true;
        return errc::ok;
    }
    bool has_key() const noexcept { return has_key_; }

    perc::result<bytes_span> wrap(bytes_view in, bytes_span out) const noexcept
    {
        const std::size_t n = wrapped_size(in.size());
        if (out.size() < n) return errc::buffer_too_small;
        std::array<std::uint8_t, 8> mac{};
        compute_mac(in, mac);
        crypt(in, out.first(in.size()));
        for (std::size_t i = 0; i < 8; ++i) out[in.size() + i] = mac[i];
        // Declassify: the EKTCiphertext goes on the wire.
        make_public(out.first(n));
        return out.first(n);
    }

    perc::result<bytes_span> unwrap(bytes_view in, bytes_span out) const noexcept
    {
        if (in.size() < 9) return errc::key_unwrap_failed;
        const std::size_t n = in.size() - 8;
        if (out.size() < n) return errc::buffer_too_small;
        crypt(in.first(n), out.first(n));
        std::array<std::uint8_t, 8> mac{};
        compute_mac(out.first(n), mac);
        bool ok = perc::ct_equal(mac, in.subspan(n));
        make_public(ok); // accept/reject is public
        if (!ok) {
            perc::secure_wipe(out.first(n));
            return errc::key_unwrap_failed;
        }
        // The unwrapped EKTPlaintext is secret (the master key) except what the protocol
        // makes public, declassified here where it becomes known (RFC 8870 §4.1 layout
        // length(1) ‖ key ‖ SSRC(4) ‖ ROC(4)):
        //  - the key length octet: for a plaintext that decodes it equals in.size() − 17,
        //    a function of the public ciphertext size;
        //  - SSRC: compared with the SSRC in the packet's clear RTP header (§4.3.2 step 5);
        //  - ROC: public SRTP state (STYLE: header fields, SSRC, ROC and SEQ are public).
        make_secret(out.first(n));
        make_public(out.first(1));
        if (n >= 9) make_public(out.subspan(n - 8, 8));
        return out.first(n);
    }

private:
    void crypt(bytes_view in, bytes_span out) const noexcept
    {
        const std::uint64_t s = absorb(0x452821E638D01377ull, key_.span());
        for (std::size_t i = 0; i < in.size(); ++i)
            out[i] = static_cast<std::uint8_t>(in[i] ^ static_cast<std::uint8_t>(mix(s, i)));
    }
    void compute_mac(bytes_view plain, std::span<std::uint8_t, 8> mac) const noexcept
    {
        const std::uint64_t h = absorb(absorb(0xBE5466CF34E90C6Cull, key_.span()), plain);
        perc::store_be64(mac.data(), h);
    }

    perc::secret_bytes<key_size> key_;
    bool has_key_ = false;
};

static_assert(perc::aead_cipher<ct_aead<16, false>>);
static_assert(perc::ekt_key_wrap<ct_key_wrap>);

using kdf = perc_test::mock_kdf; // RFC 3711 recipe (perc::aes_cm_prf) around a CT toy block
using inner_transform = perc::srtp_aead_transform<ct_aead<16, false>, kdf>;
using outer_transform = perc::srtp_aead_transform<ct_aead<16, true>, kdf>;
using single_transform = inner_transform;
using endpoint = perc::double_endpoint<inner_transform, outer_transform>;
using md = perc::media_distributor<outer_transform>;

template <std::size_t N>
std::array<std::uint8_t, N> pattern(std::uint8_t seed)
{
    std::array<std::uint8_t, N> a{};
    for (std::size_t i = 0; i < N; ++i) a[i] = static_cast<std::uint8_t>(seed + 37 * i);
    return a;
}

/// RTP header (V = 2, PT 96, the given SEQ, SSRC) followed by a secret payload.
template <std::size_t Payload>
std::array<std::uint8_t, 12 + Payload> rtp_packet(std::uint16_t seq, std::uint32_t ssrc)
{
    std::array<std::uint8_t, 12 + Payload> p = {0x80, 96};
    perc::store_be16(p.data() + 2, seq);
    perc::store_be32(p.data() + 4, 0x01020304);
    perc::store_be32(p.data() + 8, ssrc);
    for (std::size_t i = 12; i < p.size(); ++i) p[i] = static_cast<std::uint8_t>(i * 11);
    return p;
}

// ------------------------------------------------------------------------ the checks

void check_ct_equal()
{
    auto a = pattern<32>(1);
    auto b = pattern<32>(1);
    make_secret(a);
    make_secret(b);
    bool eq = perc::ct_equal(a, b);
    make_public(eq);
    expect(eq, "ct_equal: equal secrets");
    b[31] = static_cast<std::uint8_t>(b[31] ^ 1); // b[31] stays undefined
    bool ne = perc::ct_equal(a, b);
    make_public(ne);
    expect(!ne, "ct_equal: different secrets");
    expect(!perc::ct_equal(bytes_view{a}.first(16), b), "ct_equal: sizes are public");
}

void check_secure_wipe()
{
    auto k = pattern<64>(3);
    make_secret(k);
    perc::secure_wipe(k);
    expect(untainted(k), "secure_wipe: wiped octets are defined");
    bool zero = true;
    for (std::uint8_t x : k) zero = zero && x == 0;
    expect(zero, "secure_wipe: zeros");
    perc::secret_bytes<32> s{std::span<const std::uint8_t, 32>{pattern<32>(5)}};
    make_secret(s.span());
    s.wipe();
    expect(untainted(s.span()), "secret_bytes::wipe");
}

void check_nonce()
{
    // RFC 7714 §8.1 / §9.1: the session salt is secret; SSRC, ROC, SEQ, SRTCP index public.
    auto salt = pattern<12>(7);
    const auto want_rtp = perc::srtp_aead_nonce(salt, 0xCAFEBABE, 0x12345678, 0x9ABC);
    const auto want_rtcp = perc::srtcp_aead_nonce(salt, 0xCAFEBABE, 0x7654321);
    make_secret(salt);
    auto n = perc::srtp_aead_nonce(salt, 0xCAFEBABE, 0x12345678, 0x9ABC);
    expect(tainted(n), "srtp_aead_nonce: the salt reaches every IV octet");
    expect(same(n, want_rtp), "srtp_aead_nonce: value");
    auto m = perc::srtcp_aead_nonce(salt, 0xCAFEBABE, 0x7654321);
    expect(tainted(m), "srtcp_aead_nonce: the salt reaches every IV octet");
    expect(same(m, want_rtcp), "srtcp_aead_nonce: value");
}

void check_kdf()
{
    // RFC 3711 §4.3 recipe: master key and salt secret, label and output size public.
    auto key = pattern<16>(11);
    auto salt12 = pattern<12>(13);
    auto salt14 = pattern<14>(17);
    make_secret(key);
    make_secret(salt12);
    make_secret(salt14);
    std::array<std::uint8_t, 48> out{};
    const std::span<const std::uint8_t, 16> k{key};
    expect(kdf::derive(k, salt12, 0x00, out) == errc::ok, "aes_cm_prf: 12-octet salt");
    expect(tainted(out), "aes_cm_prf: output derives from the secrets");
    expect(kdf::derive(k, salt14, 0x05, bytes_span{out}.first(14)) == errc::ok,
           "aes_cm_prf: 14-octet salt");
    // Directly, with an encrypt_blocks that is the identity: the salt alone taints blocks.
    std::array<std::uint8_t, 32> raw{};
    expect(perc::aes_cm_prf([](std::uint8_t*, std::size_t) noexcept {}, salt12, 0x02, raw) ==
               errc::ok,
           "aes_cm_prf: identity block");
    expect(tainted(bytes_view{raw}.first(12)), "aes_cm_prf: salt octets stay secret");
}

void check_srtp()
{
    // One RFC 7714 layer: set_master_key (KDF), protect/unprotect RTP and RTCP, a forgery.
    auto mk = pattern<16>(19);
    auto ms = pattern<12>(23);
    make_secret(mk);
    make_secret(ms);
    single_transform tx, rx;
    expect(tx.set_master_key(mk, ms) == errc::ok, "srtp: set_master_key tx");
    expect(rx.set_master_key(mk, ms) == errc::ok, "srtp: set_master_key rx");
    perc::srtp_stream<> ts, rs;

    auto pkt = rtp_packet<40>(0xFFF0, 0x11223344);
    const auto orig = pkt;
    make_secret(bytes_span{pkt}.subspan(12));
    std::array<std::uint8_t, 12 + 40 + 16> wire{};
    for (std::uint16_t i = 0; i < 20; ++i) { // crosses a SEQ wrap (ROC 0 -> 1)
        perc::store_be16(pkt.data() + 2, static_cast<std::uint16_t>(0xFFF0 + i));
        auto p = tx.protect_rtp(ts, pkt, wire);
        expect(p.has_value(), "srtp: protect_rtp");
        std::array<std::uint8_t, 12 + 40> back{};
        auto u = rx.unprotect_rtp(rs, wire, back);
        expect(u.has_value(), "srtp: unprotect_rtp");
        expect(tainted(bytes_view{back}.subspan(12)), "srtp: released payload is secret");
        auto want = orig;
        perc::store_be16(want.data() + 2, static_cast<std::uint16_t>(0xFFF0 + i));
        expect(same(back, want), "srtp: round trip");
    }
    // A forged tag: rejected, the failure path is constant time too.
    perc::store_be16(pkt.data() + 2, 0x0100);
    auto p = tx.protect_rtp(ts, pkt, wire);
    expect(p.has_value(), "srtp: protect_rtp");
    wire.back() ^= 0x01;
    std::array<std::uint8_t, 12 + 40> back{};
    auto bad = rx.unprotect_rtp(rs, wire, back);
    expect(!bad && bad.error() == errc::auth_failed, "srtp: forgery rejected");

    // SRTCP, encrypted (E = 1) and authenticated only (E = 0).
    for (bool encrypt : {true, false}) {
        std::array<std::uint8_t, 8 + 24> rtcp = {0x80, 200, 0, 7};
        perc::store_be32(rtcp.data() + 4, 0x11223344);
        for (std::size_t i = 8; i < rtcp.size(); ++i) rtcp[i] = static_cast<std::uint8_t>(i);
        if (encrypt) make_secret(bytes_span{rtcp}.subspan(8));
        std::array<std::uint8_t, 8 + 24 + 20> sw{};
        auto pr = tx.protect_rtcp(ts, rtcp, sw, encrypt);
        expect(pr.has_value(), "srtcp: protect_rtcp");
        std::array<std::uint8_t, 8 + 24> rb{};
        auto ur = rx.unprotect_rtcp(rs, sw, rb);
        expect(ur.has_value(), "srtcp: unprotect_rtcp");
        expect(same(rb, rtcp), "srtcp: round trip");
    }
}

/// The double key for the sender/receiver pair and the hop keys of the MD.
struct double_keys {
    std::array<std::uint8_t, 32> key = pattern<32>(29);  // inner ‖ outer (RFC 8723 §3)
    std::array<std::uint8_t, 24> salt = pattern<24>(31); // inner ‖ outer
    std::array<std::uint8_t, 16> hop2_key = pattern<16>(37);
    std::array<std::uint8_t, 12> hop2_salt = pattern<12>(41);
    double_keys()
    {
        make_secret(key);
        make_secret(salt);
        make_secret(hop2_key);
        make_secret(hop2_salt);
    }
};

void check_double_and_md()
{
    double_keys k;
    endpoint sender, receiver;
    expect(sender.init(k.key, k.salt) == errc::ok, "double: sender init");

    // The receiver decrypts the second hop: inner half of the double key, hop-2 outer key.
    std::array<std::uint8_t, 32> rkey{};
    std::array<std::uint8_t, 24> rsalt{};
    std::memcpy(rkey.data(), k.key.data(), 16);
    std::memcpy(rkey.data() + 16, k.hop2_key.data(), 16);
    std::memcpy(rsalt.data(), k.salt.data(), 12);
    std::memcpy(rsalt.data() + 12, k.hop2_salt.data(), 12);
    expect(receiver.init(rkey, rsalt) == errc::ok, "double: receiver init");

    // The MD holds the outer halves only: hop 1 in, hop 2 out (RFC 8723 §5.2).
    md relay;
    md::link_type from, to;
    const bytes_view outer1_key = bytes_view{k.key}.subspan(16);
    const bytes_view outer1_salt = bytes_view{k.salt}.subspan(12);
    expect(from.init(outer1_key, outer1_salt, k.hop2_key, k.hop2_salt) == errc::ok,
           "md: link from");
    expect(to.init(outer1_key, outer1_salt, k.hop2_key, k.hop2_salt) == errc::ok, "md: link to");

    auto pkt = rtp_packet<48>(100, 0x55667788);
    const auto orig = pkt;
    make_secret(bytes_span{pkt}.subspan(12));
    constexpr std::size_t wire_size = 12 + 48 + endpoint::max_overhead;
    for (std::uint16_t i = 0; i < 8; ++i) {
        perc::store_be16(pkt.data() + 2, static_cast<std::uint16_t>(100 + i));
        std::array<std::uint8_t, wire_size> w1{}, w2{};
        auto s = sender.protect_rtp(pkt, w1);
        expect(s.has_value(), "double: protect_rtp");
        if (!s) return;
        // The MD renumbers and changes PT and M: the OHB records the originals.
        perc::relay_changes ch;
        ch.seq = static_cast<std::uint16_t>(5000 + i);
        ch.payload_type = 111;
        ch.marker = (i % 2) == 0;
        auto r = relay.relay_rtp(from, to, *s, w2, ch);
        expect(r.has_value(), "md: relay_rtp");
        if (!r) return;
        std::array<std::uint8_t, wire_size> back{};
        auto u = receiver.unprotect_rtp(r->packet, back);
        expect(u.has_value(), "double: unprotect_rtp");
        if (!u) return;
        expect(tainted(u->payload()), "double: released payload is secret");
        auto want = orig;
        perc::store_be16(want.data() + 2, static_cast<std::uint16_t>(100 + i));
        expect(same(u->packet, want), "double: round trip with original header");
    }

    // Failure paths: an inner forgery (the outer layer opens, the inner tag fails, and the
    // outer layer is re-encrypted — reseal_rtp under the secret outer key) ...
    perc::store_be16(pkt.data() + 2, 200);
    std::array<std::uint8_t, wire_size> w1{}, w2{}, back{};
    auto s = sender.protect_rtp(pkt, w1);
    expect(s.has_value(), "double: protect_rtp");
    if (!s) return;
    perc::relay_changes next; // keep the out-hop SEQ increasing after the renumbering above
    next.seq = 5100;
    auto r = relay.relay_rtp(from, to, *s, w2, next);
    expect(r.has_value(), "md: relay_rtp");
    if (!r) return;
    // Re-seal the hop-2 outer layer around a flipped inner-tag bit, as a malicious MD could.
    {
        outer_transform evil;
        expect(evil.set_master_key(k.hop2_key, k.hop2_salt) == errc::ok, "evil md key");
        auto h = perc::decode_rtp_header(r->packet);
        const std::size_t hs = h->header_size;
        const std::size_t body = r->packet.size() - hs - outer_transform::tag_size;
        std::array<std::uint8_t, wire_size> plain{};
        const perc::aad_view aad{bytes_view{r->packet}.first(hs)};
        const std::uint64_t idx = perc::srtp_index(0, h->seq);
        expect(evil.open_rtp(h->ssrc, idx, aad, bytes_view{r->packet}.subspan(hs),
                             bytes_span{plain}.first(body)) == errc::ok,
               "evil md open");
        plain[body - 2] ^= 0x01; // last octet of the inner tag (the OHB 0x00 follows)
        expect(evil.seal_rtp(h->ssrc, idx, aad, bytes_view{plain}.first(body),
                             r->packet.subspan(hs, body + outer_transform::tag_size)) == errc::ok,
               "evil md seal");
    }
    auto u = receiver.unprotect_rtp(r->packet, back);
    expect(!u && u.error() == errc::auth_failed, "double: inner forgery rejected");
    // ... and an outer forgery.
    std::array<std::uint8_t, wire_size> w3{};
    perc::store_be16(pkt.data() + 2, 201);
    auto s2 = sender.protect_rtp(pkt, w1);
    expect(s2.has_value(), "double: protect_rtp");
    if (!s2) return;
    next.seq = 5101;
    auto r2 = relay.relay_rtp(from, to, *s2, w3, next);
    expect(r2.has_value(), "md: relay_rtp");
    if (!r2) return;
    r2->packet.back() ^= 0x80;
    auto u2 = receiver.unprotect_rtp(r2->packet, back);
    expect(!u2 && u2.error() == errc::auth_failed, "double: outer forgery rejected");

    // Repair mode and RTCP: outer layer only (RFC 8723 §6, §7).
    std::array<std::uint8_t, 12 + 48 + 16> rw{};
    std::array<std::uint8_t, 12 + 48> rb{};
    perc::store_be16(pkt.data() + 2, 300);
    endpoint hop1_receiver;
    expect(hop1_receiver.init(k.key, k.salt) == errc::ok, "double: hop-1 receiver init");
    auto rp = sender.protect_repair_rtp(pkt, rw);
    expect(rp.has_value(), "double: protect_repair_rtp");
    auto ru = hop1_receiver.unprotect_repair_rtp(rw, rb);
    expect(ru.has_value() && same(rb, pkt), "double: repair round trip");
}

void check_ekt()
{
    // RFC 8870: the sender wraps its (secret) end-to-end master key; the receiver unwraps,
    // decodes the EKTPlaintext and installs the key into the double endpoint.
    double_keys k;
    auto ekt_key = pattern<16>(43);
    auto ekt_salt = pattern<12>(47);
    make_secret(ekt_key);
    make_secret(ekt_salt);
    const perc::ekt_key_params params{0x1234, ekt_key, ekt_salt, 0};

    perc::ekt_sender<ct_key_wrap> es;
    perc::ekt_receiver<ct_key_wrap> er;
    expect(es.set_ekt_key(params, 0) == errc::ok, "ekt: sender key");
    expect(er.init(8) == errc::ok, "ekt: receiver init");
    expect(er.add_key(params, 0) == errc::ok, "ekt: receiver key");

    endpoint sender, receiver;
    expect(sender.init(k.key, k.salt) == errc::ok, "ekt: sender init");
    expect(receiver.init(k.key, k.salt, perc::double_options{64, true, false, true}) == errc::ok,
           "ekt: receiver init");

    auto e2e = pattern<16>(53); // the sender's new end-to-end (inner) master key
    make_secret(e2e);
    const std::uint32_t ssrc = 0x99AABBCC;
    expect(es.set_master_key(ssrc, e2e, 0) == errc::ok, "ekt: set_master_key");

    auto pkt = rtp_packet<32>(7, ssrc);
    make_secret(bytes_span{pkt}.subspan(12));
    for (std::uint16_t i = 0; i < 4; ++i) { // Full fields first, then a Short one
        perc::store_be16(pkt.data() + 2, static_cast<std::uint16_t>(7 + i));
        std::array<std::uint8_t, 12 + 32 + endpoint::protect_overhead + 64> w{};
        auto p = perc::protect_rtp_with_ekt(sender, es, pkt, w, 1 + i);
        expect(p.has_value(), "ekt: protect_rtp_with_ekt");
        if (!p) return;
        std::array<std::uint8_t, sizeof w> back{};
        perc::ekt_received info;
        auto u = perc::unprotect_rtp_with_ekt(receiver, er, *p, back, 1 + i, &info);
        expect(u.has_value(), "ekt: unprotect_rtp_with_ekt");
        if (!u) return;
        expect(tainted(u->payload()), "ekt: released payload is secret");
        expect(same(u->payload(), bytes_view{pkt}.subspan(12)), "ekt: round trip");
    }

    // The EKTPlaintext codec alone: the key octets stay secret through encode and decode.
    std::array<std::uint8_t, 1 + 16 + 8> plain{};
    auto n = perc::encode_ekt_plaintext({e2e, ssrc, 5}, plain);
    expect(n.has_value() && *n == plain.size(), "ekt: encode_ekt_plaintext");
    expect(tainted(bytes_view{plain}.subspan(1, 16)), "ekt: encoded key is secret");
    make_public(bytes_span{plain}.first(1)); // length octet: public (see ct_key_wrap)
    make_public(bytes_span{plain}.subspan(17));
    auto d = perc::decode_ekt_plaintext(plain);
    expect(d.has_value() && d->ssrc == ssrc && d->roc == 5, "ekt: decode_ekt_plaintext");
    if (d) expect(tainted(d->master_key) && same(d->master_key, e2e), "ekt: decoded key");
}

// ------------------------------------------------------------- deliberately leaky code

/// An early-exit comparison: its running time (and memcheck's view of it) depends on the
/// first differing secret octet. ct_check --leaky must be flagged for this.
__attribute__((noinline)) bool leaky_equal(const std::uint8_t* a, const std::uint8_t* b,
                                           std::size_t n)
{
    for (std::size_t i = 0; i < n; ++i)
        if (a[i] != b[i]) return false;
    return true;
}

/// A secret-indexed table lookup, the classic cache-timing leak of table-based AES.
__attribute__((noinline)) std::uint8_t leaky_lookup(std::uint8_t secret)
{
    static const std::array<std::uint8_t, 256> table = [] {
        std::array<std::uint8_t, 256> t{};
        for (std::size_t i = 0; i < t.size(); ++i) t[i] = static_cast<std::uint8_t>(i * 7 + 3);
        return t;
    }();
    return table[secret];
}

int run_leaky()
{
    auto a = pattern<16>(59);
    auto b = pattern<16>(59);
    make_secret(a);
    make_secret(b);
    const unsigned before = VALGRIND_COUNT_ERRORS;
    volatile bool eq = leaky_equal(a.data(), b.data(), a.size());
    const unsigned after_compare = VALGRIND_COUNT_ERRORS;
    volatile std::uint8_t sink = leaky_lookup(a[3]);
    const unsigned after_lookup = VALGRIND_COUNT_ERRORS;
    (void)eq;
    (void)sink;
    // Exit 0 here: valgrind --error-exitcode turns the reported errors into the failure the
    // test expects, so a leak that memcheck misses makes the test pass unexpectedly (an error).
    std::printf("ct_check --leaky: early-exit compare %s, secret-indexed lookup %s\n",
                after_compare > before ? "flagged" : "NOT FLAGGED",
                after_lookup > after_compare ? "flagged" : "NOT FLAGGED");
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    if (!RUNNING_ON_VALGRIND) {
        std::printf("ct_check: not running under valgrind, nothing checked (skip)\n");
        return 77;
    }
    if (argc > 1 && std::strcmp(argv[1], "--leaky") == 0) return run_leaky();
    if (argc > 1) {
        std::printf("usage: ct_check [--leaky]\n");
        return 2;
    }
    check_ct_equal();
    check_secure_wipe();
    check_nonce();
    check_kdf();
    check_srtp();
    check_double_and_md();
    check_ekt();
    const unsigned errors = VALGRIND_COUNT_ERRORS;
    std::printf("ct_check: %d harness failures, %u memcheck errors\n", failures, errors);
    return failures == 0 && errors == 0 ? 0 : 1;
}
