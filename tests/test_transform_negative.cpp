// Negative matrix for srtp_aead_transform (RFC 7714 over RFC 3711): every truncation, every
// single-bit flip, replays, short and overlapping buffers, sender-side limits, each with its
// exact errc. After every rejection the input bytes, the output buffer, the stream state and
// the key's counters are unchanged, and the untouched packet still opens (DESIGN rule 5).
#include <perc/srtp_aead_transform.hpp>

#include <perc/botan/srtp.hpp>

#include "backend.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <vector>

using namespace perc_test;
using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

namespace {

constexpr std::size_t window = 128;
using stream = perc::srtp_stream<window>;
constexpr std::size_t tag_size = 16;
constexpr std::size_t esrtcp_size = 4;

// Byte readers of the test's own (not the library's load_be16/32).
std::uint16_t rd16(const std::uint8_t* p)
{
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
std::uint32_t rd32(const std::uint8_t* p)
{
    return (std::uint32_t{rd16(p)} << 16) | rd16(p + 2);
}

// ------------------------------------------------------------------ keys

const bytes master_key16 = from_hex("e1f97a0d3e018be0d64fa32c06de4139");
const bytes master_key32 =
    from_hex("f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6");
const bytes master_salt12 = from_hex("0ec675ad498afeebb6960b3a");

template <class T>
const bytes& master_key()
{
    return T::master_key_size == 16 ? master_key16 : master_key32;
}

template <class T>
T keyed_master()
{
    T t;
    REQUIRE(t.set_master_key(master_key<T>(), master_salt12) == errc::ok);
    return t;
}

// RFC 7714 §16/§17 session keys and packets (values from the rfc7714 digest §11).
const bytes rfc_key16 = from_hex("000102030405060708090a0b0c0d0e0f");
const bytes rfc_key32 =
    from_hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
const bytes rfc_salt = from_hex("517569642070726f2071756f");
const bytes rfc_rtp = from_hex("8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973"
                               "20646976 69736120 696e2070 61727465 73207472 6573");
const bytes rfc_rtcp = from_hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930"
                                "4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef");
const bytes rfc_srtp16 = from_hex("8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca"
                                  "be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1"
                                  "6a9152cf 765ee439 0cce");
const bytes rfc_srtp32 = from_hex("8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa"
                                  "b1801238 9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff"
                                  "d6b0f9bb 7878d7a7 6c13");
const bytes rfc_srtcp16 = from_hex("81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7"
                                   "6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458"
                                   "96cf4d2f c5abf872 45d9eade 800005d4");
const bytes rfc_srtcp32 = from_hex("81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d"
                                   "bffe0a50 a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c"
                                   "4446839f 57ff6f6c b26ac3be 800005d4");
const bytes rfc_srtcp16_e0 = from_hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                                      "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef"
                                      "deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4");
const bytes rfc_srtcp32_e0 = from_hex("81c8000d 4d617273 4e545031 4e545032 52545020 0000042a"
                                      "0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef"
                                      "deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4");

template <class T>
T keyed_rfc()
{
    T t;
    constexpr std::size_t n = T::master_key_size;
    const bytes& k = n == 16 ? rfc_key16 : rfc_key32;
    REQUIRE(t.set_session_keys(fixed<n>(k), fixed<12>(rfc_salt), fixed<n>(k),
                               fixed<12>(rfc_salt)) == errc::ok);
    return t;
}
template <class T>
const bytes& rfc_srtp()
{
    return T::master_key_size == 16 ? rfc_srtp16 : rfc_srtp32;
}
template <class T>
const bytes& rfc_srtcp(bool encrypted)
{
    if (T::master_key_size == 16) return encrypted ? rfc_srtcp16 : rfc_srtcp16_e0;
    return encrypted ? rfc_srtcp32 : rfc_srtcp32_e0;
}

// ------------------------------------------------ independent receiver model

// What the receiver has accepted, kept by the test itself (RFC 3711 §3.3.1, §3.3.2, App. A).
struct rx_model {
    std::uint32_t roc = 0;
    std::uint16_t s_l = 0;
    bool started = false;
    std::set<std::uint64_t> rtp_seen;
    std::set<std::uint64_t> rtcp_seen;
};

// RFC 3711 §3.3.2: left of the window -> too old; in the window and seen -> replayed.
errc model_replay(const std::set<std::uint64_t>& seen, std::uint64_t i)
{
    if (seen.empty()) return errc::ok;
    const std::uint64_t top = *seen.rbegin();
    if (i > top) return errc::ok;
    if (top - i >= window) return errc::too_old;
    return seen.count(i) != 0 ? errc::replayed : errc::ok;
}

struct estimate_result {
    errc e;
    std::uint64_t index;
};

// RFC 3711 Appendix A. v = ROC − 1 with ROC = 0 is a packet from before the stream began
// (too_old); v = ROC + 1 with ROC = 2^32 − 1 would wrap the 48-bit index (index_exhausted,
// RFC 7714 §13) — the library's documented choices for the two edges the RFC leaves open.
estimate_result model_estimate(const rx_model& m, std::uint16_t seq)
{
    if (!m.started) return {errc::ok, (std::uint64_t{m.roc} << 16) | seq};
    std::int64_t v = m.roc;
    if (m.s_l < 32768) {
        if (int{seq} - int{m.s_l} > 32768) v = std::int64_t{m.roc} - 1;
    } else if (int{m.s_l} - 32768 > int{seq}) {
        v = std::int64_t{m.roc} + 1;
    }
    if (v < 0) return {errc::too_old, 0};
    if (v > 0xFFFFFFFF) return {errc::index_exhausted, 0};
    return {errc::ok, (static_cast<std::uint64_t>(v) << 16) | seq};
}

// RFC 3711 §3.3.1 update after an authenticated packet.
void model_commit(rx_model& m, std::uint64_t i)
{
    const auto v = static_cast<std::uint32_t>(i >> 16);
    const auto seq = static_cast<std::uint16_t>(i & 0xFFFF);
    if (!m.started) {
        m.started = true;
        m.roc = v;
        m.s_l = seq;
    } else if (std::uint64_t{v} == std::uint64_t{m.roc} + 1) {
        m.roc = v;
        m.s_l = seq;
    } else if (v == m.roc && seq > m.s_l) {
        m.s_l = seq;
    }
    m.rtp_seen.insert(i);
}

// The errc unprotect_rtp must give for `p`, computed from the packet structure
// (RFC 3550 §5.1 header, RFC 8285 extension block, RFC 7714 §8.2 tag) and the model.
// `authentic`: p is exactly a packet the sender produced.
// RFC 3550 §5.1 + RFC 8285 §4.1: header size, or the error its structure gives.
errc expect_rtp_header(bytes_view p, std::size_t& hs)
{
    if (p.size() < 12) return errc::truncated;
    if ((p[0] >> 6) != 2) return errc::bad_rtp_version;
    hs = 12 + 4 * std::size_t{static_cast<std::uint8_t>(p[0] & 0x0F)};
    if (p.size() < hs) return errc::truncated;
    if ((p[0] & 0x10) != 0) {
        if (p.size() - hs < 4) return errc::truncated;
        const std::size_t body = 4 * std::size_t{rd16(p.data() + hs + 2)};
        hs += 4;
        if (p.size() - hs < body) return errc::bad_extension;
        hs += body;
    }
    return errc::ok;
}

errc expect_unprotect_rtp(const rx_model& m, bytes_view p, bool authentic)
{
    std::size_t hs = 0;
    if (errc e = expect_rtp_header(p, hs); e != errc::ok) return e;
    if (p.size() - hs < tag_size) return errc::truncated;
    const estimate_result est = model_estimate(m, rd16(p.data() + 2));
    if (est.e != errc::ok) return est.e;
    if (errc r = model_replay(m.rtp_seen, est.index); r != errc::ok) return r;
    return authentic ? errc::ok : errc::auth_failed;
}

// Same for unprotect_rtcp (RFC 7714 §9.2: 8-octet clear header, tag, E ‖ SRTCP index).
errc expect_unprotect_rtcp(const rx_model& m, bytes_view p, bool authentic)
{
    if (p.size() < 8 + tag_size + esrtcp_size) return errc::truncated;
    if ((p[0] >> 6) != 2) return errc::bad_rtp_version;
    const std::uint32_t index = rd32(p.data() + p.size() - 4) & 0x7FFFFFFFu;
    if (errc r = model_replay(m.rtcp_seen, index); r != errc::ok) return r;
    return authentic ? errc::ok : errc::auth_failed;
}

// ------------------------------------------------------------ state snapshot

template <std::size_t W>
bool same_window(const perc::replay_window<W>& a, const perc::replay_window<W>& b)
{
    if (a.empty() != b.empty() || a.highest() != b.highest()) return false;
    const std::uint64_t top = a.highest();
    const std::uint64_t lo = top > W + 4 ? top - W - 4 : 0;
    for (std::uint64_t i = lo; i <= top + 4; ++i)
        if (a.check(i) != b.check(i)) return false;
    for (std::uint64_t i :
         {std::uint64_t{0}, std::uint64_t{1}, top + W, std::uint64_t{0xFFFFFFFFFFFF}})
        if (a.check(i) != b.check(i)) return false;
    return true;
}

template <std::size_t W>
bool same_state(const perc::srtp_stream<W>& a, const perc::srtp_stream<W>& b)
{
    return a.roc() == b.roc() && a.rtp_index.highest_seq() == b.rtp_index.highest_seq() &&
           a.rtp_index.started() == b.rtp_index.started() &&
           a.srtcp_next_index == b.srtcp_next_index && same_window(a.rtp_replay, b.rtp_replay) &&
           same_window(a.rtcp_replay, b.rtcp_replay);
}

bytes sentinel(std::size_t n)
{
    bytes b(n);
    for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(0xA5 ^ (i * 29));
    return b;
}

constexpr std::size_t guard = 8; // sentinel octets after the input, which no call may touch

// Calls op(stream, in, out) expecting `want`:
//  1. `in` = packet followed by guard octets, `out` a disjoint sentinel buffer of out_size;
//  2. when out_size >= packet size: in place, out = the input buffer's first out_size octets.
// Each time the whole input buffer, the output buffer, the stream and the key's packet
// counters must be exactly as before (RFC 7714 §5.3 and DESIGN rule 5).
template <class T, class S, class Op>
void require_rejected(T& t, S& s, bytes_view packet, std::size_t out_size, errc want, Op&& op)
{
    REQUIRE(want != errc::ok);
    const std::uint64_t srtp_count = t.srtp_packets_protected();
    const std::uint64_t srtcp_count = t.srtcp_packets_protected();
    {
        bytes in = sentinel(packet.size() + guard);
        std::copy(packet.begin(), packet.end(), in.begin());
        const bytes in0 = in;
        bytes out = sentinel(out_size);
        std::reverse(out.begin(), out.end());
        const bytes out0 = out;
        const S before = s;
        auto r = op(s, bytes_view{in}.first(packet.size()), bytes_span{out});
        CHECK(name(r.error()) == name(want));
        CHECK(in == in0);
        CHECK(out == out0);
        CHECK(same_state(before, s));
        CHECK(t.srtp_packets_protected() == srtp_count);
        CHECK(t.srtcp_packets_protected() == srtcp_count);
    }
    if (out_size >= packet.size()) {
        bytes buf = sentinel(out_size + guard);
        std::copy(packet.begin(), packet.end(), buf.begin());
        const bytes buf0 = buf;
        const S before = s;
        auto r = op(s, bytes_view{buf}.first(packet.size()), bytes_span{buf}.first(out_size));
        CHECK(name(r.error()) == name(want));
        CHECK(buf == buf0);
        CHECK(same_state(before, s));
        CHECK(t.srtp_packets_protected() == srtp_count);
        CHECK(t.srtcp_packets_protected() == srtcp_count);
    }
}

template <class T>
auto unprotect_rtp_op(T& t)
{
    return [&t](stream& s, bytes_view in, bytes_span out) { return t.unprotect_rtp(s, in, out); };
}
template <class T>
auto unprotect_rtcp_op(T& t)
{
    return [&t](stream& s, bytes_view in, bytes_span out) { return t.unprotect_rtcp(s, in, out); };
}
template <class T>
auto protect_rtp_op(T& t)
{
    return [&t](stream& s, bytes_view in, bytes_span out) { return t.protect_rtp(s, in, out); };
}
template <class T>
auto protect_rtcp_op(T& t, bool encrypt = true)
{
    return [&t, encrypt](stream& s, bytes_view in, bytes_span out) {
        return t.protect_rtcp(s, in, out, encrypt);
    };
}

bytes to_bytes(bytes_view v)
{
    return bytes(v.begin(), v.end());
}

// The retry property: on a copy of the stream, the unmodified packet still opens to `plain`.
template <class T>
void require_still_opens_rtp(T& t, const stream& s, const bytes& packet, const bytes& plain)
{
    stream probe = s;
    bytes out(packet.size());
    auto r = t.unprotect_rtp(probe, packet, out);
    REQUIRE(r.has_value());
    CHECK(to_bytes(*r) == plain);
}
template <class T>
void require_still_opens_rtcp(T& t, const stream& s, const bytes& packet, const bytes& plain)
{
    stream probe = s;
    bytes out(packet.size());
    auto r = t.unprotect_rtcp(probe, packet, out);
    REQUIRE(r.has_value());
    CHECK(to_bytes(*r) == plain);
}

// --------------------------------------------------------------- packet makers

constexpr std::uint32_t ssrc_a = 0x11223344;

bytes make_rtp(std::uint16_t seq, std::uint8_t cc, bool ext, std::uint16_t ext_profile,
               std::size_t ext_words, std::size_t payload_size, std::uint32_t ssrc = ssrc_a)
{
    rtp_spec s;
    s.pt = 96;
    s.marker = (seq & 1) != 0;
    s.seq = seq;
    s.ts = 160u * seq;
    s.ssrc = ssrc;
    for (std::uint32_t i = 0; i < cc; ++i) s.csrcs.push_back(0xC0DE0000u + i);
    s.extension = ext;
    s.ext_profile = ext_profile;
    s.ext_body.resize(4 * ext_words);
    // RFC 8285 §4.2 one-byte elements: ID 1, L = 2 (3 octets) then padding.
    if (ext && ext_words != 0 && ext_profile == 0xBEDE) {
        s.ext_body[0] = 0x12;
        s.ext_body[1] = 0xAA;
        s.ext_body[2] = 0xBB;
        s.ext_body[3] = 0xCC;
    } else {
        for (std::size_t i = 0; i < s.ext_body.size(); ++i)
            s.ext_body[i] = static_cast<std::uint8_t>(i + 1);
    }
    rng r{seq + 1u};
    s.payload.resize(payload_size);
    r.fill(s.payload);
    return build_rtp(s);
}

// A compound RTCP packet (RFC 3550 §6.4.1 SR with one report block, then SDES CNAME): 72 octets.
bytes make_rtcp(std::uint32_t n, std::uint32_t ssrc = ssrc_a)
{
    bytes p = from_hex("81c8000c 00000000 e0000000 00000000 00001000 00000000 00000000"
                       "55667788 00000000 00000005 00000000 00000000 00000000"
                       "81ca0004 00000000 01087065 72632d74 73740000");
    auto put32 = [&](std::size_t at, std::uint32_t v) {
        p[at] = static_cast<std::uint8_t>(v >> 24);
        p[at + 1] = static_cast<std::uint8_t>(v >> 16);
        p[at + 2] = static_cast<std::uint8_t>(v >> 8);
        p[at + 3] = static_cast<std::uint8_t>(v);
    };
    put32(4, ssrc);
    put32(20, n);        // sender's packet count
    put32(24, 1000 * n); // sender's octet count
    put32(56, ssrc);     // SDES chunk SSRC
    REQUIRE(p.size() == 72);
    return p;
}

// -------------------------------------------------------------- RTP scenarios

struct rtp_scenario {
    const char* what;
    std::uint32_t roc;               // both sides start here (set_roc)
    std::vector<std::uint16_t> seqs; // sent in this order
    std::size_t test;                // position of the packet under test (not delivered)
    bool (*skip)(std::uint16_t seq); // other packets the receiver never got
    std::uint8_t cc;
    bool ext;
    std::uint16_t ext_profile;
    std::size_t ext_words;
    std::size_t payload;
    std::vector<errc> flip_codes;  // codes the bit-flip matrix must produce
    std::vector<errc> trunc_codes; // codes the truncation matrix must produce
};

std::vector<std::uint16_t> seq_range(std::uint32_t from, std::uint32_t count)
{
    std::vector<std::uint16_t> v;
    for (std::uint32_t i = 0; i < count; ++i) v.push_back(static_cast<std::uint16_t>(from + i));
    return v;
}

// Every truncation and every single-bit flip of `packet` (valid for `rx` in state `m`).
template <class T>
void rtp_matrix(T& t, stream& rx, const rx_model& m, const bytes& packet, const bytes& plain,
                const std::vector<errc>& trunc_codes, const std::vector<errc>& flip_codes)
{
    REQUIRE(expect_unprotect_rtp(m, packet, true) == errc::ok);
    auto op = unprotect_rtp_op(t);
    std::map<errc, int> seen;
    // RFC 3550 §5.1, RFC 8285, RFC 7714 §8.2: every length 0 .. size − 1.
    for (std::size_t len = 0; len < packet.size(); ++len) {
        const bytes_view cut = bytes_view{packet}.first(len);
        const errc want = expect_unprotect_rtp(m, cut, false);
        ++seen[want];
        INFO("truncated to ", len, " of ", packet.size());
        require_rejected(t, rx, cut, packet.size(), want, op);
        require_still_opens_rtp(t, rx, packet, plain);
    }
    for (errc e : trunc_codes) {
        INFO("truncation matrix produced no ", name(e));
        CHECK(seen[e] > 0);
    }
    seen.clear();
    // RFC 7714 §8.2/§8.3: header, ciphertext and tag are all authenticated.
    for (std::size_t byte = 0; byte < packet.size(); ++byte) {
        for (unsigned bit = 0; bit < 8; ++bit) {
            bytes flipped = packet;
            flipped[byte] = static_cast<std::uint8_t>(flipped[byte] ^ (1u << bit));
            const errc want = expect_unprotect_rtp(m, flipped, false);
            ++seen[want];
            INFO("byte ", byte, " bit ", bit);
            require_rejected(t, rx, flipped, packet.size(), want, op);
            require_still_opens_rtp(t, rx, packet, plain);
        }
    }
    for (errc e : flip_codes) {
        INFO("bit-flip matrix produced no ", name(e));
        CHECK(seen[e] > 0);
    }
    // Finally the packet itself, in place, on the real stream.
    bytes buf = packet;
    auto r = t.unprotect_rtp(rx, buf, buf);
    REQUIRE(r.has_value());
    CHECK(to_bytes(*r) == plain);
}

template <class T>
void run_rtp_scenario(const rtp_scenario& sc)
{
    INFO(sc.what);
    T t = keyed_master<T>();
    stream tx, rx;
    tx.set_roc(sc.roc);
    rx.set_roc(sc.roc);
    rx_model m;
    m.roc = sc.roc;
    std::vector<bytes> plain, sent;
    for (std::uint16_t seq : sc.seqs) {
        plain.push_back(make_rtp(seq, sc.cc, sc.ext, sc.ext_profile, sc.ext_words, sc.payload));
        bytes out(plain.back().size() + tag_size);
        auto r = t.protect_rtp(tx, plain.back(), out);
        REQUIRE(r.has_value());
        sent.push_back(to_bytes(*r));
    }
    for (std::size_t i = 0; i < sent.size(); ++i) {
        if (i == sc.test || sc.skip(sc.seqs[i])) continue;
        const estimate_result est = model_estimate(m, sc.seqs[i]);
        REQUIRE(est.e == errc::ok);
        REQUIRE(model_replay(m.rtp_seen, est.index) == errc::ok);
        bytes out(sent[i].size());
        auto r = t.unprotect_rtp(rx, sent[i], out);
        REQUIRE(r.has_value());
        REQUIRE(to_bytes(*r) == plain[i]);
        model_commit(m, est.index);
    }
    // The library's state agrees with the model before the matrix starts.
    REQUIRE(rx.roc() == m.roc);
    REQUIRE(rx.rtp_index.highest_seq() == m.s_l);
    REQUIRE(rx.rtp_index.started() == m.started);
    rtp_matrix(t, rx, m, sent[sc.test], plain[sc.test], sc.trunc_codes, sc.flip_codes);
}

bool skip_none(std::uint16_t)
{
    return false;
}
bool skip_mult5(std::uint16_t seq)
{
    return seq % 5 == 0;
}
bool skip_mod7_3(std::uint16_t seq)
{
    return seq % 7 == 3;
}
bool skip_mult3(std::uint16_t seq)
{
    return seq % 3 == 0;
}

std::vector<rtp_scenario> rtp_scenarios()
{
    std::vector<rtp_scenario> v;
    {
        // ROC 0, s_l = 1007, window 880..1007 with every 5th missing; test SEQ 1008 = 0x03F0.
        // SEQ flips land on: 1009..1016 (fresh), 992/976/944 (received: replayed), 880 (in the
        // window, missing), 752 (left of the window: too_old), 0x83F0 (v = ROC − 1 = −1: too_old).
        auto seqs = seq_range(880, 129);
        v.push_back({"ROC 0, no CSRC, no extension",
                     0,
                     seqs,
                     128,
                     skip_mult5,
                     0,
                     false,
                     0,
                     0,
                     64,
                     {errc::auth_failed, errc::bad_rtp_version, errc::replayed, errc::too_old},
                     {errc::truncated, errc::auth_failed}});
    }
    {
        // ROC 3, 2 CSRCs, one-byte extension (RFC 8285 §4.2) of 1 word.
        auto seqs = seq_range(20000, 129);
        v.push_back({"ROC 3, 2 CSRCs, one-byte extension",
                     3,
                     seqs,
                     128,
                     skip_mod7_3,
                     2,
                     true,
                     0xBEDE,
                     1,
                     48,
                     {errc::auth_failed, errc::bad_rtp_version, errc::replayed, errc::too_old},
                     {errc::truncated, errc::bad_extension, errc::auth_failed}});
    }
    {
        // SEQ wraps: history 0xFF90..0xFFFF at ROC 5, test SEQ 0x0002 -> v = ROC + 1 (RFC 3711
        // App. A). 1 CSRC, one-byte extension of 2 words.
        // 0xFFFF is skipped (multiple of 3), so s_l = 0xFFFE when 0x0002 arrives.
        auto seqs = seq_range(0xFF90, 0x70);
        seqs.push_back(0x0002);
        v.push_back({"SEQ wrap (v = ROC + 1), 1 CSRC, 2-word extension",
                     5,
                     seqs,
                     0x70,
                     skip_mult3,
                     1,
                     true,
                     0xBEDE,
                     2,
                     40,
                     {errc::auth_failed, errc::bad_rtp_version, errc::too_old},
                     {errc::truncated, errc::bad_extension, errc::auth_failed}});
    }
    {
        // Late packet from before the wrap: history 0xFFC0..0x0020, test SEQ 0xFFF0 arrives after
        // 0x0020 -> v = ROC − 1. Two-byte extension profile (RFC 8285 §4.3), 1 word.
        auto seqs = seq_range(0xFFC0, 0x61);
        v.push_back({"late packet (v = ROC - 1), two-byte extension",
                     5,
                     seqs,
                     0x30,
                     skip_mult3,
                     0,
                     true,
                     0x1000,
                     1,
                     56,
                     {errc::auth_failed, errc::bad_rtp_version, errc::replayed, errc::too_old},
                     {errc::truncated, errc::bad_extension, errc::auth_failed}});
    }
    {
        // First packet of a stream (nothing received), 15 CSRCs, no extension.
        v.push_back({"first packet, 15 CSRCs",
                     0,
                     {0x1234},
                     0,
                     skip_none,
                     15,
                     false,
                     0,
                     0,
                     20,
                     {errc::auth_failed, errc::bad_rtp_version},
                     {errc::truncated, errc::auth_failed}});
    }
    return v;
}

// ------------------------------------------------------------- RTCP scenarios

template <class T>
void rtcp_matrix(T& t, stream& rx, const rx_model& m, const bytes& packet, const bytes& plain,
                 const std::vector<errc>& flip_codes)
{
    REQUIRE(expect_unprotect_rtcp(m, packet, true) == errc::ok);
    auto op = unprotect_rtcp_op(t);
    std::map<errc, int> seen;
    // RFC 7714 §9.2: every length 0 .. size − 1 (the ESRTCP word is read from the new end).
    for (std::size_t len = 0; len < packet.size(); ++len) {
        const bytes_view cut = bytes_view{packet}.first(len);
        const errc want = expect_unprotect_rtcp(m, cut, false);
        ++seen[want];
        INFO("truncated to ", len, " of ", packet.size());
        require_rejected(t, rx, cut, packet.size(), want, op);
        require_still_opens_rtcp(t, rx, packet, plain);
    }
    CHECK(seen[errc::truncated] == 8 + 16 + 4);
    CHECK(seen[errc::truncated] + seen[errc::auth_failed] + seen[errc::too_old] +
              seen[errc::replayed] ==
          static_cast<int>(packet.size()));
    seen.clear();
    // RFC 7714 §9.2/§9.3: header, ciphertext (or clear payload), tag and E ‖ index word.
    for (std::size_t byte = 0; byte < packet.size(); ++byte) {
        for (unsigned bit = 0; bit < 8; ++bit) {
            bytes flipped = packet;
            flipped[byte] = static_cast<std::uint8_t>(flipped[byte] ^ (1u << bit));
            const errc want = expect_unprotect_rtcp(m, flipped, false);
            ++seen[want];
            INFO("byte ", byte, " bit ", bit);
            require_rejected(t, rx, flipped, packet.size(), want, op);
            require_still_opens_rtcp(t, rx, packet, plain);
        }
    }
    for (errc e : flip_codes) {
        INFO("bit-flip matrix produced no ", name(e));
        CHECK(seen[e] > 0);
    }
    bytes buf = packet;
    auto r = t.unprotect_rtcp(rx, buf, buf);
    REQUIRE(r.has_value());
    CHECK(to_bytes(*r) == plain);
}

template <class T>
void run_rtcp_scenario(bool encrypt, std::uint32_t first, std::uint32_t count, std::uint32_t test,
                       const std::vector<errc>& flip_codes)
{
    T t = keyed_master<T>();
    stream tx, rx;
    REQUIRE(tx.set_srtcp_next_index(first) == errc::ok);
    rx_model m;
    std::vector<bytes> plain, sent;
    for (std::uint32_t i = 0; i < count; ++i) {
        plain.push_back(make_rtcp(i));
        bytes out(plain.back().size() + tag_size + esrtcp_size);
        auto r = t.protect_rtcp(tx, plain.back(), out, encrypt);
        REQUIRE(r.has_value());
        sent.push_back(to_bytes(*r));
    }
    for (std::uint32_t i = 0; i < count; ++i) {
        if (i == test || i % 4 == 1) continue;
        bytes out(sent[i].size());
        auto r = t.unprotect_rtcp(rx, sent[i], out);
        REQUIRE(r.has_value());
        REQUIRE(to_bytes(*r) == plain[i]);
        m.rtcp_seen.insert(first + i);
    }
    rtcp_matrix(t, rx, m, sent[test], plain[test], flip_codes);
}

} // namespace

// ================================================================== test cases

TEST_CASE_TEMPLATE("RFC 7714 §8.2, RFC 3711 §3.3: SRTP truncations and bit flips give the exact "
                   "errc and change nothing",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    for (const rtp_scenario& sc : rtp_scenarios()) run_rtp_scenario<T>(sc);
}

TEST_CASE_TEMPLATE("RFC 7714 §16: the RFC's own SRTP packet, truncated and bit-flipped", T,
                   perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_rfc<T>();
    stream rx;
    rx_model m;
    rtp_matrix(t, rx, m, rfc_srtp<T>(), rfc_rtp, {errc::truncated, errc::auth_failed},
               {errc::auth_failed, errc::bad_rtp_version});
}

TEST_CASE_TEMPLATE("RFC 7714 §9.2 (E = 1): SRTCP truncations and bit flips give the exact errc "
                   "and change nothing",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    // Indices 0..139 sent, every i % 4 == 1 and 137 missing; 137 = 0b10001001: index-bit flips
    // give 136 (received: replayed), 129 (missing: auth_failed), 9 (left of window: too_old).
    run_rtcp_scenario<T>(true, 0, 140, 137,
                         {errc::auth_failed, errc::bad_rtp_version, errc::replayed, errc::too_old});
}

TEST_CASE_TEMPLATE("RFC 7714 §9.3 (E = 0): SRTCP truncations and bit flips give the exact errc "
                   "and change nothing",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    run_rtcp_scenario<T>(false, 0x5d0, 140, 137,
                         {errc::auth_failed, errc::bad_rtp_version, errc::replayed, errc::too_old});
}

TEST_CASE_TEMPLATE("RFC 7714 §17: the RFC's own SRTCP packets (E = 1 and E = 0), truncated and "
                   "bit-flipped",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_rfc<T>();
    for (bool encrypted : {true, false}) {
        stream rx;
        rx_model m;
        rtcp_matrix(t, rx, m, rfc_srtcp<T>(encrypted), rfc_rtcp,
                    {errc::auth_failed, errc::bad_rtp_version});
    }
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.2: SRTP replays and packets left of the window", T,
                   perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_master<T>();
    stream tx, rx;
    std::vector<bytes> plain, sent;
    for (std::uint16_t seq = 100; seq <= 400; ++seq) {
        plain.push_back(make_rtp(seq, 1, false, 0, 0, 30));
        bytes out(plain.back().size() + tag_size);
        auto r = t.protect_rtp(tx, plain.back(), out);
        REQUIRE(r.has_value());
        sent.push_back(to_bytes(*r));
    }
    auto at = [](std::uint16_t seq) { return static_cast<std::size_t>(seq - 100); };
    auto open = [&](std::uint16_t seq) {
        bytes out(sent[at(seq)].size());
        auto r = t.unprotect_rtp(rx, sent[at(seq)], out);
        REQUIRE(r.has_value());
        CHECK(to_bytes(*r) == plain[at(seq)]);
    };
    auto op = unprotect_rtp_op(t);

    open(100);
    // Exact replay of the only packet received.
    require_rejected(t, rx, sent[at(100)], sent[at(100)].size(), errc::replayed, op);
    open(300);
    // Highest is 300: 300 − 127 = 173 is the oldest index the window still holds.
    open(173);
    require_rejected(t, rx, sent[at(173)], sent[at(173)].size(), errc::replayed, op);
    require_rejected(t, rx, sent[at(172)], sent[at(172)].size(), errc::too_old, op);
    require_rejected(t, rx, sent[at(100)], sent[at(100)].size(), errc::too_old, op);
    require_rejected(t, rx, sent[at(300)], sent[at(300)].size(), errc::replayed, op);
    // A late, never-seen packet inside the window is accepted once, then replayed.
    open(174);
    require_rejected(t, rx, sent[at(174)], sent[at(174)].size(), errc::replayed, op);
    // Advancing the window by one pushes 173 out: it was "replayed", now it is "too_old".
    open(301);
    require_rejected(t, rx, sent[at(174)], sent[at(174)].size(), errc::replayed, op);
    require_rejected(t, rx, sent[at(173)], sent[at(173)].size(), errc::too_old, op);
    // A jump of more than the window leaves everything before it too old.
    open(400);
    require_rejected(t, rx, sent[at(272)], sent[at(272)].size(), errc::too_old, op);
    require_rejected(t, rx, sent[at(174)], sent[at(174)].size(), errc::too_old, op);
    require_rejected(t, rx, sent[at(301)], sent[at(301)].size(), errc::replayed, op);
    open(273); // 400 − 127: still inside, never received
    require_rejected(t, rx, sent[at(400)], sent[at(400)].size(), errc::replayed, op);
    CHECK(rx.rtp_index.highest_seq() == 400);
}

TEST_CASE_TEMPLATE("RFC 3711 §3.4, §3.3.2: SRTCP replays and indices left of the window", T,
                   perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_master<T>();
    for (bool encrypt : {true, false}) {
        INFO("E = ", encrypt);
        stream tx, rx;
        std::vector<bytes> plain, sent;
        for (std::uint32_t i = 0; i <= 300; ++i) {
            plain.push_back(make_rtcp(i));
            bytes out(plain.back().size() + tag_size + esrtcp_size);
            auto r = t.protect_rtcp(tx, plain.back(), out, encrypt);
            REQUIRE(r.has_value());
            sent.push_back(to_bytes(*r));
            CHECK(rd32(sent.back().data() + sent.back().size() - 4) ==
                  ((encrypt ? 0x80000000u : 0u) | i));
        }
        auto open = [&](std::uint32_t i) {
            bytes out(sent[i].size());
            auto r = t.unprotect_rtcp(rx, sent[i], out);
            REQUIRE(r.has_value());
            CHECK(to_bytes(*r) == plain[i]);
        };
        auto op = unprotect_rtcp_op(t);
        open(0);
        require_rejected(t, rx, sent[0], sent[0].size(), errc::replayed, op);
        open(200);
        open(73); // 200 − 127
        require_rejected(t, rx, sent[73], sent[73].size(), errc::replayed, op);
        require_rejected(t, rx, sent[72], sent[72].size(), errc::too_old, op);
        require_rejected(t, rx, sent[0], sent[0].size(), errc::too_old, op);
        require_rejected(t, rx, sent[200], sent[200].size(), errc::replayed, op);
        open(300);
        require_rejected(t, rx, sent[172], sent[172].size(), errc::too_old, op);
        require_rejected(t, rx, sent[73], sent[73].size(), errc::too_old, op);
        open(173); // 300 − 127
        require_rejected(t, rx, sent[173], sent[173].size(), errc::replayed, op);
        require_rejected(t, rx, sent[200], sent[200].size(), errc::replayed, op);
    }
}

TEST_CASE_TEMPLATE("RFC 3711 Appendix A edges: ROC − 1 at ROC 0 is too_old, ROC + 1 at "
                   "2^32 − 1 is index_exhausted (RFC 7714 §13)",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_master<T>();
    auto op = unprotect_rtp_op(t);
    {
        stream tx, rx;
        bytes p10 = make_rtp(10, 0, false, 0, 0, 20);
        bytes p40000 = make_rtp(40000, 0, false, 0, 0, 20);
        bytes o10(p10.size() + tag_size), o40000(p40000.size() + tag_size);
        stream tx2; // a sender for which 40000 is the first SEQ (index 40000, ROC 0)
        auto s10 = t.protect_rtp(tx, p10, o10);
        auto s40000 = t.protect_rtp(tx2, p40000, o40000);
        REQUIRE(s10.has_value());
        REQUIRE(s40000.has_value());
        bytes out(o10.size());
        REQUIRE(t.unprotect_rtp(rx, o10, out).has_value());
        // s_l = 10, SEQ 40000: 40000 − 10 > 2^15 so v = ROC − 1 = −1.
        require_rejected(t, rx, o40000, o40000.size(), errc::too_old, op);
    }
    {
        stream tx, tx2, rx;
        tx.set_roc(0xFFFFFFFFu);
        tx2.set_roc(0xFFFFFFFFu);
        rx.set_roc(0xFFFFFFFFu);
        bytes pa = make_rtp(0xFFF0, 0, false, 0, 0, 20);
        bytes pb = make_rtp(0x0001, 0, false, 0, 0, 20);
        bytes oa(pa.size() + tag_size), ob(pb.size() + tag_size);
        REQUIRE(t.protect_rtp(tx, pa, oa).has_value());
        REQUIRE(t.protect_rtp(tx2, pb, ob).has_value()); // index 2^48 − 2^16 + 1 for tx2
        bytes out(oa.size());
        auto r = t.unprotect_rtp(rx, oa, out);
        REQUIRE(r.has_value());
        CHECK(rx.roc() == 0xFFFFFFFFu);
        // s_l = 0xFFF0, SEQ 1: v = ROC + 1 would need a 49-bit index.
        require_rejected(t, rx, ob, ob.size(), errc::index_exhausted, op);
    }
}

TEST_CASE_TEMPLATE("Output one octet short gives buffer_too_small and changes nothing", T,
                   perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_master<T>();
    stream tx, rx;
    const bytes rtp = make_rtp(7, 3, true, 0xBEDE, 1, 33);
    const bytes rtcp = make_rtcp(7);

    // protect_rtp: needs in + 16 (RFC 7714 §8.2 tag).
    require_rejected(t, tx, rtp, rtp.size() + tag_size - 1, errc::buffer_too_small,
                     protect_rtp_op(t));
    require_rejected(t, tx, rtp, rtp.size() - 1, errc::buffer_too_small, protect_rtp_op(t));
    require_rejected(t, tx, rtp, 0, errc::buffer_too_small, protect_rtp_op(t));
    bytes srtp(rtp.size() + tag_size);
    auto p = t.protect_rtp(tx, rtp, srtp);
    REQUIRE(p.has_value());
    REQUIRE(p->size() == srtp.size());

    // unprotect_rtp: needs in − 16.
    require_rejected(t, rx, srtp, rtp.size() - 1, errc::buffer_too_small, unprotect_rtp_op(t));
    require_rejected(t, rx, srtp, 0, errc::buffer_too_small, unprotect_rtp_op(t));
    {
        bytes out(rtp.size());
        auto u = t.unprotect_rtp(rx, srtp, out);
        REQUIRE(u.has_value());
        CHECK(to_bytes(*u) == rtp);
    }

    // protect_rtcp: needs in + 16 + 4 (RFC 7714 §9.2), for E = 1 and E = 0.
    for (bool encrypt : {true, false}) {
        require_rejected(t, tx, rtcp, rtcp.size() + tag_size + esrtcp_size - 1,
                         errc::buffer_too_small, protect_rtcp_op(t, encrypt));
        require_rejected(t, tx, rtcp, rtcp.size() - 1, errc::buffer_too_small,
                         protect_rtcp_op(t, encrypt));
    }
    bytes srtcp(rtcp.size() + tag_size + esrtcp_size);
    auto pc = t.protect_rtcp(tx, rtcp, srtcp);
    REQUIRE(pc.has_value());
    CHECK(tx.srtcp_next_index == 1);
    CHECK(rd32(srtcp.data() + srtcp.size() - 4) == 0x80000000u); // E = 1, index 0 (§3.4)

    // unprotect_rtcp: needs in − 20.
    require_rejected(t, rx, srtcp, rtcp.size() - 1, errc::buffer_too_small, unprotect_rtcp_op(t));
    {
        bytes out(rtcp.size());
        auto u = t.unprotect_rtcp(rx, srtcp, out);
        REQUIRE(u.has_value());
        CHECK(to_bytes(*u) == rtcp);
    }
}

TEST_CASE_TEMPLATE("Partially overlapping input and output give buffer_overlap and change "
                   "nothing",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_master<T>();
    stream tx, rx;
    const bytes rtp = make_rtp(9, 0, false, 0, 0, 40);
    const bytes rtcp = make_rtcp(9);
    bytes srtp(rtp.size() + tag_size), srtcp(rtcp.size() + tag_size + esrtcp_size);
    REQUIRE(t.protect_rtp(tx, rtp, srtp).has_value());
    REQUIRE(t.protect_rtcp(tx, rtcp, srtcp).has_value());

    // One shared buffer; `in` sits at offset 8; `out` starts 1 octet before / after it.
    auto check_overlap = [&](const bytes& packet, std::size_t out_size, auto call) {
        for (std::size_t out_at :
             {std::size_t{7}, std::size_t{9}, std::size_t{0}, std::size_t{16}}) {
            INFO("out offset ", out_at);
            bytes buf = sentinel(8 + packet.size() + out_size + 16);
            std::copy(packet.begin(), packet.end(), buf.begin() + 8);
            const bytes buf0 = buf;
            const stream tx0 = tx, rx0 = rx;
            const auto n_srtp = t.srtp_packets_protected(), n_srtcp = t.srtcp_packets_protected();
            auto r = call(bytes_view{buf}.subspan(8, packet.size()),
                          bytes_span{buf}.subspan(out_at, out_size));
            CHECK(name(r.error()) == name(errc::buffer_overlap));
            CHECK(buf == buf0);
            CHECK(same_state(tx0, tx));
            CHECK(same_state(rx0, rx));
            CHECK(t.srtp_packets_protected() == n_srtp);
            CHECK(t.srtcp_packets_protected() == n_srtcp);
        }
    };
    check_overlap(rtp, rtp.size() + tag_size,
                  [&](bytes_view in, bytes_span out) { return t.protect_rtp(tx, in, out); });
    check_overlap(srtp, rtp.size(),
                  [&](bytes_view in, bytes_span out) { return t.unprotect_rtp(rx, in, out); });
    check_overlap(rtcp, rtcp.size() + 20,
                  [&](bytes_view in, bytes_span out) { return t.protect_rtcp(tx, in, out); });
    check_overlap(srtcp, rtcp.size(),
                  [&](bytes_view in, bytes_span out) { return t.unprotect_rtcp(rx, in, out); });

    // The packets themselves are still good.
    require_still_opens_rtp(t, rx, srtp, rtp);
    require_still_opens_rtcp(t, rx, srtcp, rtcp);
}

TEST_CASE_TEMPLATE("Malformed plaintext headers are refused by protect with the exact errc", T,
                   perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_master<T>();
    stream tx;
    // RFC 3550 §5.1 / RFC 8285: every cut inside the header (2 CSRCs + 2-word extension).
    const bytes rtp = make_rtp(5, 2, true, 0xBEDE, 2, 10);
    const std::size_t hs = 12 + 8 + 4 + 8;
    std::map<errc, int> seen;
    for (std::size_t len = 0; len < hs; ++len) {
        const bytes_view cut = bytes_view{rtp}.first(len);
        std::size_t cut_hs = 0;
        const errc want = expect_rtp_header(cut, cut_hs);
        ++seen[want];
        INFO("len ", len);
        require_rejected(t, tx, cut, rtp.size() + tag_size, want, protect_rtp_op(t));
    }
    CHECK(seen[errc::truncated] == 12 + 8 + 4);
    CHECK(seen[errc::bad_extension] == 8);
    // RFC 3550 §5.1: V must be 2, for every other value of the two bits.
    for (unsigned v : {0x00u, 0x40u, 0xC0u}) {
        bytes bad = rtp;
        bad[0] = static_cast<std::uint8_t>((bad[0] & 0x3F) | v);
        require_rejected(t, tx, bad, rtp.size() + tag_size, errc::bad_rtp_version,
                         protect_rtp_op(t));
        bytes badc = make_rtcp(1);
        badc[0] = static_cast<std::uint8_t>((badc[0] & 0x3F) | v);
        require_rejected(t, tx, badc, badc.size() + 20, errc::bad_rtp_version, protect_rtcp_op(t));
    }
    // RTCP shorter than its 8-octet clear header (RFC 7714 §9.2).
    const bytes rtcp = make_rtcp(1);
    for (std::size_t len = 0; len < 8; ++len)
        require_rejected(t, tx, bytes_view{rtcp}.first(len), 100, errc::truncated,
                         protect_rtcp_op(t));
    // The header itself protects fine (empty payload).
    bytes out(hs + tag_size);
    auto r = t.protect_rtp(tx, bytes_view{rtp}.first(hs), out);
    REQUIRE(r.has_value());
    CHECK(r->size() == hs + tag_size);
}

TEST_CASE_TEMPLATE("RFC 7714 §8.4: protecting an index twice gives index_reused", T,
                   perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_master<T>();
    stream tx;
    const bytes p1000 = make_rtp(1000, 0, false, 0, 0, 20);
    bytes out(p1000.size() + tag_size);
    REQUIRE(t.protect_rtp(tx, p1000, out).has_value());
    CHECK(t.srtp_packets_protected() == 1);
    // Same SEQ again (even with a different payload): the IV would repeat.
    require_rejected(t, tx, p1000, p1000.size() + tag_size, errc::index_reused, protect_rtp_op(t));
    require_rejected(t, tx, make_rtp(1000, 1, false, 0, 0, 5), 60, errc::index_reused,
                     protect_rtp_op(t));
    // 1000 − 128 is left of the window: the sender cannot prove it was never used.
    require_rejected(t, tx, make_rtp(872, 0, false, 0, 0, 20), 60, errc::index_reused,
                     protect_rtp_op(t));
    // SEQ 40000 after 1000 at ROC 0 would be v = ROC − 1 = −1: refused the same way.
    require_rejected(t, tx, make_rtp(40000, 0, false, 0, 0, 20), 60, errc::index_reused,
                     protect_rtp_op(t));
    // 873 is inside the window and unused: allowed (a retransmission with a fresh index).
    const bytes p873 = make_rtp(873, 0, false, 0, 0, 20);
    bytes o873(p873.size() + tag_size);
    REQUIRE(t.protect_rtp(tx, p873, o873).has_value());
    require_rejected(t, tx, p873, p873.size() + tag_size, errc::index_reused, protect_rtp_op(t));
    CHECK(t.srtp_packets_protected() == 2);
    CHECK(tx.rtp_index.highest_seq() == 1000);
}

TEST_CASE_TEMPLATE("RFC 3711 §9.2: packet limits give key_usage_exhausted until re-key", T,
                   perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_master<T>();
    t.set_packet_limits(3, 2);
    stream tx, rx;
    std::vector<bytes> sent;
    for (std::uint16_t seq = 1; seq <= 3; ++seq) {
        const bytes p = make_rtp(seq, 0, false, 0, 0, 10);
        bytes out(p.size() + tag_size);
        auto r = t.protect_rtp(tx, p, out);
        REQUIRE(r.has_value());
        sent.push_back(out);
    }
    CHECK(t.srtp_packets_protected() == 3);
    const bytes p4 = make_rtp(4, 0, false, 0, 0, 10);
    require_rejected(t, tx, p4, p4.size() + tag_size, errc::key_usage_exhausted, protect_rtp_op(t));
    // seal_rtp (the layered-transform building block) honours the same limit.
    {
        bytes out(10 + tag_size);
        const bytes pt(10, 0x42);
        CHECK(name(t.seal_rtp(ssrc_a, 4, perc::aad_view{bytes_view{p4}.first(12)}, pt, out)) ==
              name(errc::key_usage_exhausted));
        CHECK(t.srtp_packets_protected() == 3);
    }

    // RFC 3711 §9.2: SRTP and SRTCP share the master key; whichever limit is reached first
    // ends it for both, so SRTCP is refused now too.
    const bytes c = make_rtcp(1);
    require_rejected(t, tx, c, c.size() + 20, errc::key_usage_exhausted, protect_rtcp_op(t));
    require_rejected(t, tx, c, c.size() + 20, errc::key_usage_exhausted, protect_rtcp_op(t, false));
    CHECK(tx.srtcp_next_index == 0);
    {
        // The SRTCP limit likewise ends SRTP.
        T t2 = keyed_master<T>();
        t2.set_packet_limits(10, 2);
        stream tx2;
        for (int i = 0; i < 2; ++i) {
            bytes out(c.size() + 20);
            REQUIRE(t2.protect_rtcp(tx2, c, out).has_value());
        }
        CHECK(tx2.srtcp_next_index == 2);
        require_rejected(t2, tx2, c, c.size() + 20, errc::key_usage_exhausted, protect_rtcp_op(t2));
        const bytes p1 = make_rtp(1, 0, false, 0, 0, 10);
        require_rejected(t2, tx2, p1, p1.size() + tag_size, errc::key_usage_exhausted,
                         protect_rtp_op(t2));
    }

    // Receiving is not limited.
    for (const bytes& s : sent) {
        bytes out(s.size());
        CHECK(t.unprotect_rtp(rx, s, out).has_value());
    }
    // A new master key resets the counters (the limits stay).
    REQUIRE(t.set_master_key(master_key<T>(), from_hex("00112233445566778899aabb")) == errc::ok);
    CHECK(t.srtp_packets_protected() == 0);
    bytes out(p4.size() + tag_size);
    REQUIRE(t.protect_rtp(tx, p4, out).has_value());
    CHECK(t.srtp_packets_protected() == 1);
}

TEST_CASE_TEMPLATE("RFC 7714 §9.4, RFC 3711 §3.4: the 31-bit SRTCP index never wraps", T,
                   perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_master<T>();
    stream tx, rx;
    CHECK(name(tx.set_srtcp_next_index(0x80000000u)) == name(errc::invalid_argument));
    CHECK(tx.srtcp_next_index == 0);
    REQUIRE(tx.set_srtcp_next_index(0x7FFFFFFFu) == errc::ok);
    const bytes c = make_rtcp(3);
    bytes out(c.size() + 20);
    auto r = t.protect_rtcp(tx, c, out);
    REQUIRE(r.has_value());
    CHECK(rd32(out.data() + out.size() - 4) == 0xFFFFFFFFu); // E = 1, index 2^31 − 1
    CHECK(tx.srtcp_next_index == 0x80000000u);
    require_rejected(t, tx, c, c.size() + 20, errc::index_exhausted, protect_rtcp_op(t));
    require_rejected(t, tx, c, c.size() + 20, errc::index_exhausted, protect_rtcp_op(t, false));
    CHECK(t.srtcp_packets_protected() == 1);
    // The last one is a good packet.
    require_still_opens_rtcp(t, rx, out, c);
}

TEST_CASE_TEMPLATE("RFC 7714 §13, RFC 3711 §3.3.1: the sender's ROC never wraps past 2^32 − 1", T,
                   perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_master<T>();
    stream tx, rx;
    tx.set_roc(0xFFFFFFFFu);
    rx.set_roc(0xFFFFFFFFu);
    std::vector<bytes> plain, sent;
    for (std::uint16_t seq : {std::uint16_t{0xFFFE}, std::uint16_t{0xFFFF}}) {
        plain.push_back(make_rtp(seq, 0, false, 0, 0, 12));
        bytes out(plain.back().size() + tag_size);
        REQUIRE(t.protect_rtp(tx, plain.back(), out).has_value());
        sent.push_back(out);
    }
    // SEQ 0 after 0xFFFF means ROC + 1: the 48-bit index is exhausted.
    require_rejected(t, tx, make_rtp(0, 0, false, 0, 0, 12), 60, errc::index_exhausted,
                     protect_rtp_op(t));
    require_rejected(t, tx, make_rtp(5, 0, false, 0, 0, 12), 60, errc::index_exhausted,
                     protect_rtp_op(t));
    CHECK(tx.roc() == 0xFFFFFFFFu);
    CHECK(t.srtp_packets_protected() == 2);
    for (std::size_t i = 0; i < 2; ++i) {
        bytes out(sent[i].size());
        auto r = t.unprotect_rtp(rx, sent[i], out);
        REQUIRE(r.has_value());
        CHECK(to_bytes(*r) == plain[i]);
    }
}

TEST_CASE_TEMPLATE("No key installed: every call gives no_key; the packet opens once keyed", T,
                   perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T keyed = keyed_master<T>();
    stream tx;
    const bytes rtp = make_rtp(77, 1, false, 0, 0, 25);
    const bytes rtcp = make_rtcp(2);
    bytes srtp(rtp.size() + tag_size), srtcp(rtcp.size() + 20);
    REQUIRE(keyed.protect_rtp(tx, rtp, srtp).has_value());
    REQUIRE(keyed.protect_rtcp(tx, rtcp, srtcp).has_value());

    T t;
    CHECK_FALSE(t.has_key());
    stream s;
    require_rejected(t, s, rtp, rtp.size() + tag_size, errc::no_key, protect_rtp_op(t));
    require_rejected(t, s, rtcp, rtcp.size() + 20, errc::no_key, protect_rtcp_op(t));
    require_rejected(t, s, srtp, srtp.size(), errc::no_key, unprotect_rtp_op(t));
    require_rejected(t, s, srtcp, srtcp.size(), errc::no_key, unprotect_rtcp_op(t));
    // A key that arrives later (EKT, DTLS) opens the untouched packets.
    REQUIRE(t.set_master_key(master_key<T>(), master_salt12) == errc::ok);
    require_still_opens_rtp(t, s, srtp, rtp);
    require_still_opens_rtcp(t, s, srtcp, rtcp);
}

TEST_CASE_TEMPLATE("RFC 7714 §12, RFC 5764 §4.1.2: set_master_key refuses bad sizes and kdr != 0 "
                   "and keeps the previous keys",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_rfc<T>();
    constexpr std::size_t n = T::master_key_size;
    const bytes salt(12, 0x5A), key(n, 0x3C);
    for (std::size_t bad :
         {std::size_t{0}, n - 1, n + 1, std::size_t{n == 16 ? 32 : 16}, std::size_t{24}})
        CHECK(name(t.set_master_key(bytes(bad, 0x3C), salt)) == name(errc::bad_key_size));
    // 14 is the RFC 3711 AES-CM salt size; AEAD suites use 12 (RFC 7714 §12).
    for (std::size_t bad : {std::size_t{0}, std::size_t{11}, std::size_t{13}, std::size_t{14}})
        CHECK(name(t.set_master_key(key, bytes(bad, 0x5A))) == name(errc::bad_salt_size));
    CHECK(name(t.set_master_key(bytes(n + 1, 0), bytes(14, 0))) == name(errc::bad_key_size));
    for (std::uint64_t kdr : {std::uint64_t{1}, std::uint64_t{1} << 24, ~std::uint64_t{0}})
        CHECK(name(t.set_master_key(key, salt, kdr)) == name(errc::unsupported));
    // RFC 7714 §16: the session keys installed first are still in use.
    stream tx;
    bytes out(rfc_rtp.size() + tag_size);
    auto r = t.protect_rtp(tx, rfc_rtp, out);
    REQUIRE(r.has_value());
    CHECK(to_hex(*r) == to_hex(rfc_srtp<T>()));
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.1: a late joiner with a wrong ROC guess fails cleanly and "
                   "retries with the right ROC",
                   T, perc_test::backend::srtp_aes_128_gcm, perc_test::backend::srtp_aes_256_gcm)
{
    T t = keyed_master<T>();
    stream tx;
    tx.set_roc(7);
    const bytes rtp = make_rtp(500, 2, true, 0xBEDE, 1, 60);
    bytes srtp(rtp.size() + tag_size);
    REQUIRE(t.protect_rtp(tx, rtp, srtp).has_value());

    stream rx; // joined late: assumes ROC 0
    for (std::uint32_t guess : {0u, 6u, 8u, 0xFFFFFFFFu}) {
        rx.set_roc(guess);
        INFO("ROC guess ", guess);
        require_rejected(t, rx, srtp, srtp.size(), errc::auth_failed, unprotect_rtp_op(t));
        CHECK(rx.roc() == guess);
        CHECK_FALSE(rx.rtp_index.started());
        CHECK(rx.rtp_replay.empty());
    }
    // In place: the failed attempt must have left the buffer intact for the retry.
    bytes buf = srtp;
    rx.set_roc(0);
    auto bad = t.unprotect_rtp(rx, buf, buf);
    CHECK(name(bad.error()) == name(errc::auth_failed));
    CHECK(buf == srtp);
    rx.set_roc(7); // learned out of band (RFC 8870 EKT carries the ROC)
    auto good = t.unprotect_rtp(rx, buf, buf);
    REQUIRE(good.has_value());
    CHECK(to_bytes(*good) == rtp);
    CHECK(rx.roc() == 7);
    CHECK(rx.rtp_index.highest_seq() == 500);
    CHECK(rx.rtp_index.started());
    // And now it is a replay.
    require_rejected(t, rx, srtp, srtp.size(), errc::replayed, unprotect_rtp_op(t));
}
