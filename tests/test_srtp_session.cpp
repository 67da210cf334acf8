// srtp_session: per-SSRC streams (RFC 3711 §3.2) in a stream_table behind one RFC 7714
// transform — auto-creation, strict mode (RFC 3711 §3.2.3), thousands of SSRCs, removal, a full
// table, late joiners (RFC 3711 §3.3.1), and no stream created by a packet that failed.
#include <perc/srtp_session.hpp>

#include <perc/botan/srtp.hpp>

#include "test_util.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using namespace perc_test;
using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

namespace {

constexpr std::size_t tag_size = 16;
constexpr std::size_t srtcp_extra = 20; // tag ‖ E ‖ SRTCP index (RFC 7714 §9.2)

bytes to_bytes(bytes_view v)
{
    return bytes(v.begin(), v.end());
}

std::uint32_t rd32(const std::uint8_t* p)
{
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

const bytes key16 = from_hex("e1f97a0d3e018be0d64fa32c06de4139");
const bytes key32 = from_hex("f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6");
const bytes salt12 = from_hex("0ec675ad498afeebb6960b3a");

template <class T>
const bytes& key_for()
{
    return T::master_key_size == 16 ? key16 : key32;
}

template <class T>
using session = perc::srtp_session<T>;

template <class T>
void init(session<T>& s, std::size_t max_streams, bool auto_create = true)
{
    perc::session_options o;
    o.max_streams = max_streams;
    o.auto_create = auto_create;
    REQUIRE(s.init(key_for<T>(), salt12, o) == errc::ok);
}

bytes rtp(std::uint32_t ssrc, std::uint16_t seq, std::size_t payload = 24)
{
    rtp_spec s;
    s.seq = seq;
    s.ts = 90u * seq;
    s.ssrc = ssrc;
    rng r{(std::uint64_t{ssrc} << 16) ^ seq ^ 0x5EED};
    s.payload.resize(payload);
    r.fill(s.payload);
    return build_rtp(s);
}

// RFC 3550 §6.4.2 receiver report with no report blocks: 8 octets + 8 octets of profile data.
bytes rtcp(std::uint32_t ssrc, std::uint32_t n)
{
    bytes p = from_hex("81c90003 00000000 00000000 00000000");
    for (int i = 0; i < 4; ++i) {
        p[static_cast<std::size_t>(4 + i)] = static_cast<std::uint8_t>(ssrc >> (24 - 8 * i));
        p[static_cast<std::size_t>(12 + i)] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
    }
    return p;
}

template <class T>
bytes protect(session<T>& s, const bytes& p)
{
    bytes out(p.size() + tag_size);
    auto r = s.protect_rtp(p, out);
    REQUIRE(r.has_value());
    REQUIRE(r->size() == out.size());
    return out;
}

template <class T>
bytes protect_c(session<T>& s, const bytes& p, bool encrypt = true)
{
    bytes out(p.size() + srtcp_extra);
    auto r = s.protect_rtcp(p, out, encrypt);
    REQUIRE(r.has_value());
    REQUIRE(r->size() == out.size());
    return out;
}

// Unprotects and expects `plain`.
template <class T>
void open_ok(session<T>& s, const bytes& packet, const bytes& plain)
{
    bytes out(packet.size());
    auto r = s.unprotect_rtp(packet, out);
    REQUIRE(r.has_value());
    CHECK(to_bytes(*r) == plain);
}

// Expects `want`, the output untouched, the input untouched and no stream added or removed.
template <class T, class Call>
void rejected(session<T>& s, const bytes& packet, errc want, Call&& call)
{
    const std::size_t count = s.stream_count();
    bytes in = packet;
    bytes out(packet.size() + 32, 0xEE);
    auto r = call(s, bytes_view{in}, bytes_span{out});
    CHECK(name(r.error()) == name(want));
    CHECK(in == packet);
    CHECK(out == bytes(packet.size() + 32, 0xEE));
    CHECK(s.stream_count() == count);
}

template <class T>
auto unprotect_rtp_call()
{
    return [](session<T>& s, bytes_view in, bytes_span out) { return s.unprotect_rtp(in, out); };
}
template <class T>
auto protect_rtp_call()
{
    return [](session<T>& s, bytes_view in, bytes_span out) { return s.protect_rtp(in, out); };
}
template <class T>
auto unprotect_rtcp_call()
{
    return [](session<T>& s, bytes_view in, bytes_span out) { return s.unprotect_rtcp(in, out); };
}
template <class T>
auto protect_rtcp_call()
{
    return [](session<T>& s, bytes_view in, bytes_span out) { return s.protect_rtcp(in, out); };
}

// RFC 7714 §16/§17 session keys and packets (rfc7714 digest §11).
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

} // namespace

TEST_CASE_TEMPLATE("srtp_session::init: key, salt and table size errors", T,
                   perc::botan::srtp_aes_128_gcm, perc::botan::srtp_aes_256_gcm)
{
    session<T> s;
    constexpr std::size_t n = T::master_key_size;
    CHECK(name(s.init(bytes(n - 1, 1), salt12)) == name(errc::bad_key_size));
    CHECK(name(s.init(key_for<T>(), bytes(14, 1))) == name(errc::bad_salt_size)); // RFC 7714 §12
    perc::session_options o;
    o.max_streams = 0;
    CHECK(name(s.init(key_for<T>(), salt12, o)) == name(errc::invalid_argument));
    o.max_streams = (std::size_t{1} << 24) + 1;
    CHECK(name(s.init(key_for<T>(), salt12, o)) == name(errc::invalid_argument));
    o.max_streams = 4;
    CHECK(s.init(key_for<T>(), salt12, o) == errc::ok);
    CHECK(s.stream_count() == 0);
}

TEST_CASE_TEMPLATE("RFC 7714 §16.1.1/§17.1 known answers through the session's streams", T,
                   perc::botan::srtp_aes_128_gcm, perc::botan::srtp_aes_256_gcm)
{
    session<T> tx, rx;
    init(tx, 8);
    init(rx, 8);
    constexpr std::size_t n = T::master_key_size;
    const bytes& k = n == 16 ? rfc_key16 : rfc_key32;
    for (session<T>* s : {&tx, &rx})
        REQUIRE(s->transform().set_session_keys(fixed<n>(k), fixed<12>(rfc_salt), fixed<n>(k),
                                                fixed<12>(rfc_salt)) == errc::ok);
    CHECK(to_hex(protect(tx, rfc_rtp)) == to_hex(n == 16 ? rfc_srtp16 : rfc_srtp32));
    REQUIRE(tx.stream_count() == 1);
    REQUIRE(tx.find_stream(0x5501a0b2) != nullptr);
    CHECK(tx.find_stream(0x5501a0b2)->rtp_index.highest_seq() == 0xf17b);

    // §17.1: SRTCP index 0x5d4 on the stream of SSRC 0x4d617273.
    REQUIRE(tx.add_stream(0x4d617273) == errc::ok);
    REQUIRE(tx.find_stream(0x4d617273)->set_srtcp_next_index(0x5d4) == errc::ok);
    CHECK(to_hex(protect_c(tx, rfc_rtcp)) == to_hex(n == 16 ? rfc_srtcp16 : rfc_srtcp32));
    CHECK(tx.find_stream(0x4d617273)->srtcp_next_index == 0x5d5);
    CHECK(tx.stream_count() == 2);

    open_ok(rx, n == 16 ? rfc_srtp16 : rfc_srtp32, rfc_rtp);
    bytes out(rfc_rtcp.size());
    auto r = rx.unprotect_rtcp(n == 16 ? rfc_srtcp16 : rfc_srtcp32, out);
    REQUIRE(r.has_value());
    CHECK(to_bytes(*r) == rfc_rtcp);
    CHECK(rx.stream_count() == 2);
}

TEST_CASE_TEMPLATE("auto_create on: streams appear on first protect / first authenticated packet",
                   T, perc::botan::srtp_aes_128_gcm, perc::botan::srtp_aes_256_gcm)
{
    session<T> tx, rx;
    init(tx, 8);
    init(rx, 8);
    const bytes p = rtp(0xAAAA0001, 10);
    const bytes s = protect(tx, p);
    CHECK(tx.stream_count() == 1);
    REQUIRE(tx.find_stream(0xAAAA0001) != nullptr);
    CHECK(tx.find_stream(0xAAAA0001)->rtp_index.highest_seq() == 10);
    CHECK(rx.stream_count() == 0);
    CHECK(rx.find_stream(0xAAAA0001) == nullptr);
    open_ok(rx, s, p);
    CHECK(rx.stream_count() == 1);
    REQUIRE(rx.find_stream(0xAAAA0001) != nullptr);
    CHECK(rx.find_stream(0xAAAA0001)->rtp_index.started());
    // The created stream is the one used next: the same packet is now a replay (RFC 3711 §3.3.2).
    rejected(rx, s, errc::replayed, unprotect_rtp_call<T>());
    // Same SEQ again on the sender: RFC 7714 §8.4, the IV must not repeat.
    rejected(tx, p, errc::index_reused, protect_rtp_call<T>());
}

TEST_CASE_TEMPLATE("RFC 3711 §3.2.3: auto_create off discards unknown SSRCs with no_stream", T,
                   perc::botan::srtp_aes_128_gcm, perc::botan::srtp_aes_256_gcm)
{
    session<T> tx, rx, strict_tx;
    init(tx, 8);
    init(rx, 8, false);
    init(strict_tx, 8, false);
    const bytes p = rtp(0xBBBB0001, 1);
    const bytes c = rtcp(0xBBBB0001, 1);
    const bytes s = protect(tx, p);
    const bytes sc = protect_c(tx, c);

    rejected(rx, s, errc::no_stream, unprotect_rtp_call<T>());
    rejected(rx, sc, errc::no_stream, unprotect_rtcp_call<T>());
    rejected(strict_tx, p, errc::no_stream, protect_rtp_call<T>());
    rejected(strict_tx, c, errc::no_stream, protect_rtcp_call<T>());
    CHECK(rx.stream_count() == 0);
    CHECK(strict_tx.stream_count() == 0);

    // Once the stream is signalled, the untouched packets open.
    REQUIRE(rx.add_stream(0xBBBB0001) == errc::ok);
    open_ok(rx, s, p);
    bytes out(c.size());
    auto r = rx.unprotect_rtcp(sc, out);
    REQUIRE(r.has_value());
    CHECK(to_bytes(*r) == c);
    CHECK(rx.stream_count() == 1);
    // Other SSRCs are still refused.
    rejected(rx, protect(tx, rtp(0xBBBB0002, 1)), errc::no_stream, unprotect_rtp_call<T>());

    REQUIRE(strict_tx.add_stream(0xBBBB0001) == errc::ok);
    CHECK(protect(strict_tx, p) == s); // same key, same stream start: same bytes as tx
}

TEST_CASE_TEMPLATE("A packet that fails for an unknown SSRC creates no stream", T,
                   perc::botan::srtp_aes_128_gcm, perc::botan::srtp_aes_256_gcm)
{
    session<T> tx, rx;
    init(tx, 8);
    init(rx, 8);
    const std::uint32_t ssrc = 0xCCCC0001;
    const bytes p = rtp(ssrc, 500, 40);
    const bytes s = protect(tx, p);
    const bytes c = rtcp(ssrc, 9);
    const bytes sc = protect_c(tx, c);

    // RFC 7714 §8.2: forged tag, forged payload, forged header.
    for (std::size_t at : {s.size() - 1, s.size() - 20, std::size_t{3}, std::size_t{5}}) {
        bytes bad = s;
        bad[at] ^= 0x01;
        rejected(rx, bad, errc::auth_failed, unprotect_rtp_call<T>());
        CHECK(rx.find_stream(ssrc) == nullptr);
    }
    // RFC 3550 §5.1: malformed headers.
    rejected(rx, bytes(s.begin(), s.begin() + 11), errc::truncated, unprotect_rtp_call<T>());
    rejected(rx, bytes(s.begin(), s.begin() + 12 + 15), errc::truncated, unprotect_rtp_call<T>());
    {
        bytes bad = s;
        bad[0] = 0x40;
        rejected(rx, bad, errc::bad_rtp_version, unprotect_rtp_call<T>());
    }
    // RFC 7714 §9.3: the E bit is authenticated; RFC 7714 §9.2: no room for tag ‖ ESRTCP.
    {
        bytes bad = sc;
        bad[bad.size() - 4] ^= 0x80;
        rejected(rx, bad, errc::auth_failed, unprotect_rtcp_call<T>());
        rejected(rx, bytes(sc.begin(), sc.begin() + 27), errc::truncated, unprotect_rtcp_call<T>());
    }
    // Output one octet short: no plaintext anywhere, no stream.
    {
        bytes out(p.size() - 1, 0xEE);
        auto r = rx.unprotect_rtp(s, out);
        CHECK(name(r.error()) == name(errc::buffer_too_small));
        CHECK(out == bytes(p.size() - 1, 0xEE));
    }
    CHECK(rx.stream_count() == 0);
    CHECK(rx.find_stream(ssrc) == nullptr);

    // Unknown SSRC on the sender side with a bad buffer: no stream either.
    session<T> tx2;
    init(tx2, 8);
    {
        bytes out(p.size() + tag_size - 1, 0xEE);
        auto r = tx2.protect_rtp(p, out);
        CHECK(name(r.error()) == name(errc::buffer_too_small));
        CHECK(tx2.stream_count() == 0);
    }

    // The genuine packets then create it.
    open_ok(rx, s, p);
    bytes out(c.size());
    REQUIRE(rx.unprotect_rtcp(sc, out).has_value());
    CHECK(rx.stream_count() == 1);
    REQUIRE(rx.find_stream(ssrc) != nullptr);
    CHECK(rx.find_stream(ssrc)->rtp_index.highest_seq() == 500);
    CHECK(name(rx.find_stream(ssrc)->rtcp_replay.check(0)) == name(errc::replayed));
}

TEST_CASE_TEMPLATE("5000 SSRCs: each has its own state, lookups, removal and a full table", T,
                   perc::botan::srtp_aes_128_gcm, perc::botan::srtp_aes_256_gcm)
{
    constexpr std::uint32_t count = 5000;
    session<T> tx, rx;
    init(tx, count);
    init(rx, count);
    auto ssrc_of = [](std::uint32_t i) { return 0x9E3779B9u * (i + 1); }; // distinct (odd factor)
    auto first_seq = [](std::uint32_t i) { return static_cast<std::uint16_t>(i * 37u + 1); };
    auto packets_of = [](std::uint32_t i) { return 1 + i % 3; };

    std::vector<std::vector<bytes>> plain(count), sent(count);
    for (std::uint32_t i = 0; i < count; ++i) {
        for (std::uint32_t j = 0; j < packets_of(i); ++j) {
            plain[i].push_back(rtp(ssrc_of(i), static_cast<std::uint16_t>(first_seq(i) + j), 8));
            sent[i].push_back(protect(tx, plain[i].back()));
        }
    }
    CHECK(tx.stream_count() == count);
    // Interleave SSRCs on the receiver: all first packets, then all second packets, ...
    for (std::uint32_t j = 0; j < 3; ++j)
        for (std::uint32_t i = 0; i < count; ++i)
            if (j < packets_of(i)) open_ok(rx, sent[i][j], plain[i][j]);
    CHECK(rx.stream_count() == count);

    bool all_ok = true;
    for (std::uint32_t i = 0; i < count; ++i) {
        const auto* st = rx.find_stream(ssrc_of(i));
        const auto* ts = tx.find_stream(ssrc_of(i));
        const auto last = static_cast<std::uint16_t>(first_seq(i) + packets_of(i) - 1);
        all_ok = all_ok && st != nullptr && ts != nullptr && st->roc() == 0 &&
                 st->rtp_index.highest_seq() == last && ts->rtp_index.highest_seq() == last &&
                 st->rtp_replay.check(first_seq(i)) == errc::replayed &&
                 st->rtp_replay.check(last + 1u) == errc::ok;
    }
    CHECK(all_ok);
    CHECK(rx.find_stream(0x12345678) == nullptr);

    // A replay on one SSRC does not disturb its neighbours.
    rejected(rx, sent[42][0], errc::replayed, unprotect_rtp_call<T>());
    CHECK(rx.find_stream(ssrc_of(43))->rtp_index.highest_seq() ==
          first_seq(43) + packets_of(43) - 1);

    // RFC 3711 §3.2: the table is full — a new SSRC is refused on both sides and nothing is
    // written (the check happens before any plaintext is produced).
    session<T> other;
    init(other, 4);
    const bytes extra = rtp(0xFEEDF00D, 1);
    const bytes extra_s = protect(other, extra);
    rejected(tx, extra, errc::stream_table_full, protect_rtp_call<T>());
    rejected(rx, extra_s, errc::stream_table_full, unprotect_rtp_call<T>());
    CHECK(name(rx.add_stream(0xFEEDF00D)) == name(errc::stream_table_full));
    CHECK(rx.stream_count() == count);

    // Remove every other SSRC; the rest keep their state (backward-shift deletion).
    for (std::uint32_t i = 0; i < count; i += 2) CHECK(rx.remove_stream(ssrc_of(i)));
    CHECK(rx.stream_count() == count / 2);
    CHECK_FALSE(rx.remove_stream(ssrc_of(0)));
    CHECK_FALSE(rx.remove_stream(0x12345678));
    CHECK(name(rx.add_stream(ssrc_of(7))) == name(errc::stream_exists));
    CHECK(rx.find_stream(ssrc_of(7))->rtp_index.started());
    all_ok = true;
    for (std::uint32_t i = 0; i < count; ++i) {
        const auto* st = rx.find_stream(ssrc_of(i));
        if (i % 2 == 0) {
            all_ok = all_ok && st == nullptr;
        } else {
            all_ok = all_ok && st != nullptr &&
                     st->rtp_index.highest_seq() == first_seq(i) + packets_of(i) - 1 &&
                     st->rtp_replay.check(first_seq(i)) == errc::replayed;
        }
    }
    CHECK(all_ok);
    // Room again: the new SSRC is accepted; a removed one starts over (its old state is gone,
    // so its old packet is accepted once more — removal is the application's decision).
    open_ok(rx, extra_s, extra);
    open_ok(rx, sent[0][0], plain[0][0]);
    rejected(rx, sent[0][0], errc::replayed, unprotect_rtp_call<T>());
    rejected(rx, sent[1][0], errc::replayed, unprotect_rtp_call<T>());
    CHECK(rx.stream_count() == count / 2 + 2);
}

TEST_CASE_TEMPLATE("RFC 3711 §3.4, RFC 7714 §9: SRTCP through the session", T,
                   perc::botan::srtp_aes_128_gcm, perc::botan::srtp_aes_256_gcm)
{
    session<T> tx, rx;
    init(tx, 8);
    init(rx, 8);
    const std::uint32_t a = 0xDDDD0001, b = 0xDDDD0002;
    std::vector<bytes> plain, sent;
    for (std::uint32_t n = 0; n < 6; ++n) {
        plain.push_back(rtcp(n % 2 == 0 ? a : b, n));
        sent.push_back(protect_c(tx, plain.back(), n < 4)); // last two with E = 0 (§9.3)
    }
    // Each SSRC has its own SRTCP index, starting at 0 (RFC 3711 §3.4).
    CHECK(rd32(sent[0].data() + sent[0].size() - 4) == 0x80000000u);
    CHECK(rd32(sent[1].data() + sent[1].size() - 4) == 0x80000000u);
    CHECK(rd32(sent[2].data() + sent[2].size() - 4) == 0x80000001u);
    CHECK(rd32(sent[4].data() + sent[4].size() - 4) == 0x00000002u);
    CHECK(rd32(sent[5].data() + sent[5].size() - 4) == 0x00000002u);
    CHECK(tx.find_stream(a)->srtcp_next_index == 3);
    CHECK(tx.find_stream(b)->srtcp_next_index == 3);

    for (std::size_t i = 0; i < sent.size(); ++i) {
        bytes out(plain[i].size());
        auto r = rx.unprotect_rtcp(sent[i], out);
        REQUIRE(r.has_value());
        CHECK(to_bytes(*r) == plain[i]);
    }
    CHECK(rx.stream_count() == 2);
    for (const bytes& s : sent) rejected(rx, s, errc::replayed, unprotect_rtcp_call<T>());
    // RTP and RTCP of one SSRC share one stream entry.
    open_ok(rx, protect(tx, rtp(a, 3)), rtp(a, 3));
    CHECK(rx.stream_count() == 2);
    CHECK(tx.stream_count() == 2);
    // Malformed RTCP never reaches a stream.
    rejected(rx, bytes(sent[0].begin(), sent[0].begin() + 7), errc::truncated,
             unprotect_rtcp_call<T>());
    bytes bad = sent[0];
    bad[0] = 0xC1;
    rejected(rx, bad, errc::bad_rtp_version, unprotect_rtcp_call<T>());
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.1: each SSRC keeps its own ROC", T, perc::botan::srtp_aes_128_gcm,
                   perc::botan::srtp_aes_256_gcm)
{
    session<T> tx, rx;
    init(tx, 8);
    init(rx, 8);
    const std::uint32_t a = 0xEEEE0001, b = 0xEEEE0002;
    // A wraps; B stops just before the wrap.
    for (std::uint16_t seq :
         {std::uint16_t{0xFFFE}, std::uint16_t{0xFFFF}, std::uint16_t{0}, std::uint16_t{1}})
        open_ok(rx, protect(tx, rtp(a, seq)), rtp(a, seq));
    for (std::uint16_t seq : {std::uint16_t{0xFFFD}, std::uint16_t{0xFFFE}})
        open_ok(rx, protect(tx, rtp(b, seq)), rtp(b, seq));
    CHECK(tx.find_stream(a)->roc() == 1);
    CHECK(rx.find_stream(a)->roc() == 1);
    CHECK(tx.find_stream(b)->roc() == 0);
    CHECK(rx.find_stream(b)->roc() == 0);
    CHECK(rx.find_stream(b)->rtp_index.highest_seq() == 0xFFFE);

    // B's SEQ 0xFFFF belongs to ROC 0 (its IV uses ROC 0); A's SEQ 2 to ROC 1.
    open_ok(rx, protect(tx, rtp(b, 0xFFFF)), rtp(b, 0xFFFF));
    open_ok(rx, protect(tx, rtp(a, 2)), rtp(a, 2));
    CHECK(rx.find_stream(b)->roc() == 0);
    CHECK(rx.find_stream(a)->roc() == 1);
    // Now B wraps too.
    open_ok(rx, protect(tx, rtp(b, 3)), rtp(b, 3));
    CHECK(rx.find_stream(b)->roc() == 1);
    CHECK(rx.find_stream(a)->roc() == 1);
    CHECK(rx.find_stream(a)->rtp_index.highest_seq() == 2);
}

TEST_CASE_TEMPLATE("RFC 3711 §3.3.1: add_stream with the ROC for a late joiner", T,
                   perc::botan::srtp_aes_128_gcm, perc::botan::srtp_aes_256_gcm)
{
    session<T> tx, rx;
    init(tx, 3);
    init(rx, 3);
    const std::uint32_t ssrc = 0xF00D0001;
    REQUIRE(tx.add_stream(ssrc, 9) == errc::ok);
    CHECK(tx.find_stream(ssrc)->roc() == 9);
    const bytes p = rtp(ssrc, 100);
    const bytes s = protect(tx, p);
    CHECK(tx.find_stream(ssrc)->roc() == 9);

    // The receiver does not know the ROC: a fresh stream assumes 0 and the tag fails; nothing is
    // created and the packet bytes are intact for the retry.
    rejected(rx, s, errc::auth_failed, unprotect_rtp_call<T>());
    CHECK(rx.find_stream(ssrc) == nullptr);
    REQUIRE(rx.add_stream(ssrc, 9) == errc::ok);
    bytes buf = s;
    auto r = rx.unprotect_rtp(buf, buf);
    REQUIRE(r.has_value());
    CHECK(to_bytes(*r) == p);
    CHECK(rx.find_stream(ssrc)->roc() == 9);
    CHECK(rx.find_stream(ssrc)->rtp_index.highest_seq() == 100);

    // A second add for the same SSRC is refused and leaves the stream as it was.
    CHECK(name(rx.add_stream(ssrc, 1)) == name(errc::stream_exists));
    CHECK(rx.find_stream(ssrc)->roc() == 9);
    CHECK(rx.find_stream(ssrc)->rtp_index.started());
    // Capacity 3: two more fit, the fourth does not.
    CHECK(rx.add_stream(0xF00D0002, 4) == errc::ok);
    CHECK(rx.add_stream(0xF00D0003) == errc::ok);
    CHECK(name(rx.add_stream(0xF00D0004)) == name(errc::stream_table_full));
    CHECK(rx.stream_count() == 3);
    CHECK(rx.find_stream(0xF00D0002)->roc() == 4);
    CHECK_FALSE(rx.find_stream(0xF00D0002)->rtp_index.started());
    // After removal the slot is free again.
    CHECK(rx.remove_stream(0xF00D0003));
    CHECK(rx.add_stream(0xF00D0004, 2) == errc::ok);
    CHECK(rx.find_stream(0xF00D0004)->roc() == 2);
}
