// Cross-implementation tests: our RFC 7714 transform (master key + 12-octet master salt, through
// the RFC 3711 §4.3 / RFC 6188 KDF) against Debian's libsrtp2 2.5, an independent SRTP
// implementation. SRTP and SRTCP output must be byte-identical, each side must unprotect the
// other's packets, and both must take the same accept/reject decision on every delivery.
#include <perc/botan/srtp.hpp>

#include <perc/rtp_header.hpp>
#include <perc/rtp_index.hpp>
#include <perc/srtp_session.hpp>

#include "backend.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>
#include <srtp2/srtp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

using namespace perc_test;
using perc::errc;

namespace {

// ------------------------------------------------------------------------------ suites

struct suite_128 {
    using transform = perc_test::backend::srtp_aes_128_gcm;
    static constexpr char name[] = "AEAD_AES_128_GCM";
    static void set_policy(srtp_crypto_policy_t* p)
    {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(p);
    }
};

struct suite_256 {
    using transform = perc_test::backend::srtp_aes_256_gcm;
    static constexpr char name[] = "AEAD_AES_256_GCM";
    static void set_policy(srtp_crypto_policy_t* p)
    {
        srtp_crypto_policy_set_aes_gcm_256_16_auth(p);
    }
};

template <class Suite>
using our_session = perc::srtp_session<typename Suite::transform>;

// ------------------------------------------------------------------------------ libsrtp2 side

/// libsrtp2 needs srtp_init() once per process, before any other call.
void require_libsrtp_init()
{
    static const srtp_err_status_t status = srtp_init();
    REQUIRE_MESSAGE(status == srtp_err_status_ok,
                    "srtp_init() returned status " << static_cast<int>(status));
}

/// libsrtp2 status -> the errc our library returns for the same decision. Anything without a
/// counterpart maps to backend_failure, which no expectation below ever accepts.
errc from_libsrtp(srtp_err_status_t s)
{
    switch (s) {
    case srtp_err_status_ok: return errc::ok;
    case srtp_err_status_auth_fail: return errc::auth_failed;
    case srtp_err_status_replay_fail: return errc::replayed;
    case srtp_err_status_replay_old: return errc::too_old;
    default: return errc::backend_failure;
    }
}

/// One libsrtp2 session (srtp_t), owned.
class lib_session {
public:
    /// One policy element: a specific SSRC (with the ROC a late joiner is told, RFC 3711
    /// §3.3.1) or a wildcard (ssrc_any_outbound / ssrc_any_inbound).
    struct entry {
        srtp_ssrc_type_t type;
        std::uint32_t ssrc = 0;
        std::uint32_t roc = 0;
    };

    lib_session() = default;
    lib_session(const lib_session&) = delete;
    lib_session& operator=(const lib_session&) = delete;
    ~lib_session()
    {
        if (s_) (void)srtp_dealloc(s_);
    }

    /// libsrtp2 takes master key ‖ master salt in policy.key. rtcp_encrypt = false asks for
    /// SRTCP without confidentiality (E = 0, RFC 7714 §9.3): the 16-octet-tag GCM policy with
    /// its sec_serv lowered to sec_serv_auth (libsrtp2 has a setter only for the 8-octet tag).
    template <class Suite>
    void create(const bytes& master_key, const bytes& master_salt,
                const std::vector<entry>& entries, bool rtcp_encrypt = true)
    {
        require_libsrtp_init();
        key_ = master_key;
        key_.insert(key_.end(), master_salt.begin(), master_salt.end());
        std::vector<srtp_policy_t> policies(entries.size());
        for (std::size_t i = 0; i < entries.size(); ++i) {
            srtp_policy_t& p = policies[i];
            p = srtp_policy_t{};
            Suite::set_policy(&p.rtp);
            Suite::set_policy(&p.rtcp);
            if (!rtcp_encrypt) p.rtcp.sec_serv = sec_serv_auth;
            p.ssrc.type = entries[i].type;
            p.ssrc.value = entries[i].ssrc;
            p.key = key_.data();
            p.window_size = 128; // same as srtp_stream<>'s replay window
            p.allow_repeat_tx = 0;
            p.next = i + 1 < entries.size() ? &policies[i + 1] : nullptr;
        }
        const srtp_err_status_t st = srtp_create(&s_, policies.data());
        if (st != srtp_err_status_ok) {
            s_ = nullptr;
            FAIL("libsrtp2 srtp_create() for "
                 << Suite::name << " returned status " << static_cast<int>(st)
                 << ": this libsrtp2 was built without AES-GCM "
                    "support (it needs a crypto backend such as "
                    "OpenSSL or NSS), so the interop test cannot run");
        }
        for (const entry& e : entries)
            if (e.type == ssrc_specific)
                REQUIRE(srtp_set_stream_roc(s_, e.ssrc, e.roc) == srtp_err_status_ok);
    }

    srtp_err_status_t protect_rtp(const bytes& in, bytes& out)
    {
        return run(in, out, SRTP_MAX_TRAILER_LEN, srtp_protect);
    }
    srtp_err_status_t unprotect_rtp(const bytes& in, bytes& out)
    {
        return run(in, out, 0, srtp_unprotect);
    }
    srtp_err_status_t protect_rtcp(const bytes& in, bytes& out)
    {
        // srtp.h: protect_rtcp may write SRTP_MAX_TRAILER_LEN + 4 octets past the packet.
        return run(in, out, SRTP_MAX_TRAILER_LEN + 4, srtp_protect_rtcp);
    }
    srtp_err_status_t unprotect_rtcp(const bytes& in, bytes& out)
    {
        return run(in, out, 0, srtp_unprotect_rtcp);
    }

    std::uint32_t roc(std::uint32_t ssrc)
    {
        std::uint32_t r = 0;
        REQUIRE(srtp_get_stream_roc(s_, ssrc, &r) == srtp_err_status_ok);
        return r;
    }

private:
    template <class Fn>
    srtp_err_status_t run(const bytes& in, bytes& out, std::size_t room, Fn fn)
    {
        out.assign(in.size() + room, 0);
        std::copy(in.begin(), in.end(), out.begin());
        int len = static_cast<int>(in.size());
        const srtp_err_status_t st = fn(s_, out.data(), &len);
        out.resize(st == srtp_err_status_ok ? static_cast<std::size_t>(len) : 0);
        return st;
    }

    srtp_t s_ = nullptr;
    bytes key_;
};

// ------------------------------------------------------------------------------ packets

/// RFC 8285 §4.2 one-byte form: ID 1..14, 1..16 data octets, optional 0x00 padding octets
/// between elements and up to the 32-bit boundary.
bytes one_byte_extension(rng& r)
{
    bytes b;
    const std::uint32_t n = r.below(5);
    for (std::uint32_t i = 0; i < n; ++i) {
        if (r.below(4) == 0) b.push_back(0);
        const std::uint32_t id = 1 + r.below(14);
        const std::uint32_t len = 1 + r.below(16);
        b.push_back(static_cast<std::uint8_t>((id << 4) | (len - 1)));
        for (std::uint32_t j = 0; j < len; ++j) b.push_back(r.byte());
    }
    while (b.size() % 4 != 0) b.push_back(0);
    return b;
}

/// RFC 8285 §4.3 two-byte form: ID 1..255, 0..255 data octets (kept ≤ 40 here), padding.
bytes two_byte_extension(rng& r)
{
    bytes b;
    const std::uint32_t n = r.below(4);
    for (std::uint32_t i = 0; i < n; ++i) {
        if (r.below(4) == 0) b.push_back(0);
        const std::uint32_t len = r.below(41);
        b.push_back(static_cast<std::uint8_t>(1 + r.below(255)));
        b.push_back(static_cast<std::uint8_t>(len));
        for (std::uint32_t j = 0; j < len; ++j) b.push_back(r.byte());
    }
    while (b.size() % 4 != 0) b.push_back(0);
    return b;
}

/// A random RTP packet (RFC 3550 §5.1): 0..15 CSRCs, no / one-byte / two-byte extension,
/// payload 0..1400 octets (edge sizes drawn on purpose), occasional RTP padding.
bytes random_rtp(rng& r, std::uint32_t ssrc, std::uint16_t seq)
{
    static constexpr std::uint32_t edge_sizes[] = {0, 1, 2, 15, 16, 17, 31, 32, 33, 1399, 1400};
    rtp_spec s;
    s.pt = static_cast<std::uint8_t>(r.below(128));
    s.marker = r.below(2) == 1;
    s.seq = seq;
    s.ts = static_cast<std::uint32_t>(r.next());
    s.ssrc = ssrc;
    const std::uint32_t cc = r.below(16);
    for (std::uint32_t i = 0; i < cc; ++i) s.csrcs.push_back(static_cast<std::uint32_t>(r.next()));
    switch (r.below(3)) {
    case 1:
        s.extension = true;
        s.ext_profile = perc::rtp_one_byte_profile;
        s.ext_body = one_byte_extension(r);
        break;
    case 2:
        s.extension = true;
        s.ext_profile = static_cast<std::uint16_t>(perc::rtp_two_byte_profile_base | r.below(16));
        s.ext_body = two_byte_extension(r);
        break;
    default: break;
    }
    const std::uint32_t size = r.below(16) == 0 ? edge_sizes[r.below(std::size(edge_sizes))]
                                                : r.below(1401);
    s.payload.resize(size);
    r.fill(s.payload);
    if (r.below(16) == 0) s.padding = static_cast<std::uint8_t>(1 + r.below(16));
    return build_rtp(s);
}

/// A random compound-ish RTCP packet: the first 8 octets are a valid SR/RR header (V = 2,
/// PT 200/201, length covering the whole packet, SSRC); the rest is random; size 8..488,
/// a multiple of 4 (RFC 3550 §6.4).
bytes random_rtcp(rng& r, std::uint32_t ssrc)
{
    const std::size_t words = 2 + r.below(121);
    bytes p(4 * words);
    r.fill(p);
    p[0] = static_cast<std::uint8_t>(0x80 | r.below(32));
    p[1] = static_cast<std::uint8_t>(r.below(2) == 0 ? 200 : 201);
    perc::store_be16(&p[2], static_cast<std::uint16_t>(words - 1));
    perc::store_be32(&p[4], ssrc);
    return p;
}

bool same(perc::bytes_view a, perc::bytes_view b)
{
    return std::ranges::equal(a, b);
}

// ------------------------------------------------------------------------------ receiver model

/// Independent model of the RFC 3711 §3.3.2 decision for one stream with a 128-index window:
/// too far behind the highest accepted index -> too_old; accepted before -> replayed.
struct replay_model {
    std::set<std::uint64_t> seen;
    std::uint64_t top = 0;

    errc expect(std::uint64_t i) const
    {
        if (!seen.empty() && i < top && top - i >= 128) return errc::too_old;
        if (seen.count(i) != 0) return errc::replayed;
        return errc::ok;
    }
    void accept(std::uint64_t i)
    {
        if (seen.empty() || i > top) top = i;
        seen.insert(i);
    }
};

// ------------------------------------------------------------------------------ the exchange

struct tally {
    std::size_t rtp_compared = 0, rtp_identical = 0;
    std::size_t rtcp_compared = 0, rtcp_identical = 0;
    std::size_t accepted = 0;          ///< deliveries both sides accepted with the right plaintext
    std::size_t accepted_prev_roc = 0; ///< of those, RTP packets from before the receiver's ROC
    std::size_t replayed = 0, too_old = 0, forged = 0;
};

struct in_flight {
    bool rtcp = false;
    bool forged = false;
    std::uint32_t ssrc = 0;
    std::uint64_t index = 0; ///< true SRTP index (ROC ‖ SEQ) or SRTCP index
    bytes plain;
    bytes ours;   ///< our protect output (delivered to libsrtp2)
    bytes theirs; ///< libsrtp2's protect output (delivered to us)
};

struct sender {
    std::uint32_t ssrc;
    std::uint32_t first_roc;
    std::uint32_t roc;
    std::uint16_t seq;
    std::uint32_t srtcp_index;
    bool wildcard; ///< libsrtp2 stream cloned from the ssrc_any_* template
};

template <class Suite>
class exchange {
public:
    explicit exchange(std::uint64_t seed) : r_(seed) {}

    void run(std::uint64_t steps, tally& t)
    {
        bytes master_key(Suite::transform::master_key_size), master_salt(12);
        r_.fill(master_key);
        r_.fill(master_salt);

        // Two streams start at ROC 0 and use libsrtp2's wildcard template and our
        // auto-created receive streams; two are late joiners told their ROC (RFC 3711
        // §3.3.1): srtp_set_stream_roc() / add_stream(ssrc, roc). Every stream starts a few
        // hundred SEQs below 65535, so its ROC wraps during the run.
        const std::uint32_t rocs[] = {0, 0, 1, 0x89ABCDEFu};
        std::vector<lib_session::entry> tx_entries, rx_entries;
        for (std::size_t i = 0; i < std::size(rocs); ++i) {
            const auto ssrc = static_cast<std::uint32_t>(r_.next());
            const auto seq = static_cast<std::uint16_t>(65535 - 150 - r_.below(350));
            // libsrtp2 sends SRTCP index 1 first, while RFC 3711 §3.4 says the first index
            // is 0: set_srtcp_next_index(1) makes our sender match (checked per packet below).
            senders_.push_back({ssrc, rocs[i], rocs[i], seq, 1, i < 2});
            if (i >= 2) {
                tx_entries.push_back({ssrc_specific, ssrc, rocs[i]});
                rx_entries.push_back({ssrc_specific, ssrc, rocs[i]});
            }
        }
        tx_entries.push_back({ssrc_any_outbound, 0, 0});
        rx_entries.push_back({ssrc_any_inbound, 0, 0});
        lib_tx_.template create<Suite>(master_key, master_salt, tx_entries);
        lib_rx_.template create<Suite>(master_key, master_salt, rx_entries);

        REQUIRE(ours_tx_.init(master_key, master_salt) == errc::ok);
        REQUIRE(ours_rx_.init(master_key, master_salt) == errc::ok);
        for (const sender& s : senders_) {
            REQUIRE(ours_tx_.add_stream(s.ssrc, s.roc) == errc::ok);
            REQUIRE(ours_tx_.find_stream(s.ssrc)->set_srtcp_next_index(1) == errc::ok);
            if (!s.wildcard) REQUIRE(ours_rx_.add_stream(s.ssrc, s.roc) == errc::ok);
        }

        for (std::uint64_t step = 0; step < steps; ++step) {
            sender& s = senders_[r_.below(static_cast<std::uint32_t>(senders_.size()))];
            in_flight f = r_.below(4) == 0 ? send_rtcp(s, t) : send_rtp(s, t);
            schedule(step, std::move(f));
            deliver_until(step, t);
        }
        deliver_until(~std::uint64_t{0}, t);

        for (const sender& s : senders_) {
            CAPTURE(s.ssrc);
            CHECK(s.roc == s.first_roc + 1); // every stream wrapped once
            CHECK(ours_tx_.find_stream(s.ssrc)->roc() == s.roc);
            CHECK(lib_tx_.roc(s.ssrc) == s.roc);
            REQUIRE(ours_rx_.find_stream(s.ssrc) != nullptr);
            CHECK(ours_rx_.find_stream(s.ssrc)->roc() == s.roc);
            CHECK(lib_rx_.roc(s.ssrc) == s.roc);
        }
    }

private:
    in_flight send_rtp(sender& s, tally& t)
    {
        in_flight f;
        f.ssrc = s.ssrc;
        f.index = perc::srtp_index(s.roc, s.seq);
        f.plain = random_rtp(r_, s.ssrc, s.seq);
        f.ours.resize(f.plain.size() + our_session<Suite>::srtp_overhead);
        auto p = ours_tx_.protect_rtp(f.plain, f.ours);
        REQUIRE(p.has_value());
        REQUIRE(p->size() == f.ours.size());
        REQUIRE(lib_tx_.protect_rtp(f.plain, f.theirs) == srtp_err_status_ok);
        ++t.rtp_compared;
        // RFC 7714 §8: header ‖ AES-GCM(payload) ‖ tag, IV from SSRC, ROC, SEQ (§8.1).
        const bool identical = f.ours == f.theirs;
        if (identical) ++t.rtp_identical;
        CHECK_MESSAGE(identical, "SRTP differs: ssrc " << s.ssrc << " roc " << s.roc << " seq "
                                                       << s.seq << "\nplain  " << to_hex(f.plain)
                                                       << "\nours   " << to_hex(f.ours)
                                                       << "\nlibsrtp " << to_hex(f.theirs));
        if (++s.seq == 0) ++s.roc; // RFC 3711 §3.3.1: ROC counts SEQ wraps
        return f;
    }

    in_flight send_rtcp(sender& s, tally& t)
    {
        in_flight f;
        f.rtcp = true;
        f.ssrc = s.ssrc;
        f.index = s.srtcp_index;
        f.plain = random_rtcp(r_, s.ssrc);
        f.ours.resize(f.plain.size() + our_session<Suite>::srtcp_overhead);
        auto p = ours_tx_.protect_rtcp(f.plain, f.ours);
        REQUIRE(p.has_value());
        REQUIRE(p->size() == f.ours.size());
        REQUIRE(lib_tx_.protect_rtcp(f.plain, f.theirs) == srtp_err_status_ok);
        ++t.rtcp_compared;
        // RFC 7714 §9.2: header(8) ‖ AES-GCM(rest) ‖ tag ‖ E=1 ‖ 31-bit SRTCP index.
        const bool identical = f.ours == f.theirs;
        if (identical) ++t.rtcp_identical;
        CHECK_MESSAGE(identical, "SRTCP differs: ssrc " << s.ssrc << " index " << s.srtcp_index
                                                        << "\nplain  " << to_hex(f.plain)
                                                        << "\nours   " << to_hex(f.ours)
                                                        << "\nlibsrtp " << to_hex(f.theirs));
        CHECK(perc::load_be32(&f.ours[f.ours.size() - 4]) == (0x80000000u | s.srtcp_index));
        ++s.srtcp_index;
        return f;
    }

    // Network: 3 % lost, 2 % duplicated, 2 % delivered very late (some beyond the replay
    // window), the last 16 SEQs before a wrap held back, the rest reordered by up to 12 steps;
    // 1 % also get a forged copy (one bit of the encrypted part or the tag flipped).
    void schedule(std::uint64_t step, in_flight f)
    {
        if (r_.below(100) == 0) {
            in_flight g = f;
            g.forged = true;
            const std::size_t from = g.rtcp ? perc::rtcp_header_size
                                            : perc::decode_rtp_header(g.plain)->header_size;
            const std::size_t to = g.ours.size() - (g.rtcp ? 4 : 0); // keep the ESRTCP word
            const std::size_t at = from + r_.below(static_cast<std::uint32_t>(to - from));
            const auto bit = static_cast<std::uint8_t>(1u << r_.below(8));
            g.ours[at] ^= bit;
            g.theirs[at] ^= bit;
            push(step + r_.below(12), std::move(g));
        }
        const std::uint32_t fate = r_.below(100);
        if (fate < 3) return;
        if (fate < 5) {
            push(step + r_.below(12), f);
            push(step + r_.below(40), std::move(f));
        } else if (fate < 7) {
            push(step + 200 + r_.below(1200), std::move(f));
        } else if (!f.rtcp && perc::index_seq(f.index) >= 65520) {
            // The last SEQs before the wrap arrive after the first ones behind it, so both
            // receivers must pick v = ROC − 1 (RFC 3711 Appendix A).
            push(step + 20 + r_.below(60), std::move(f));
        } else {
            push(step + r_.below(12), std::move(f));
        }
    }

    void push(std::uint64_t at, in_flight f)
    {
        queue_.emplace(std::make_pair(at, order_++), std::move(f));
    }

    void deliver_until(std::uint64_t step, tally& t)
    {
        while (!queue_.empty() && queue_.begin()->first.first <= step) {
            auto node = queue_.extract(queue_.begin());
            deliver(node.mapped(), t);
        }
    }

    void deliver(const in_flight& f, tally& t)
    {
        replay_model& m = (f.rtcp ? rtcp_model_ : rtp_model_)[f.ssrc];
        errc expected = m.expect(f.index);
        // RFC 3711 §3.3 step 5: the replay check comes before authentication.
        if (expected == errc::ok && f.forged) expected = errc::auth_failed;

        // libsrtp2 unprotects our packet ...
        bytes lib_plain;
        const srtp_err_status_t ls = f.rtcp ? lib_rx_.unprotect_rtcp(f.ours, lib_plain)
                                            : lib_rx_.unprotect_rtp(f.ours, lib_plain);
        // ... and we unprotect libsrtp2's.
        bytes out(f.theirs.size());
        auto u = f.rtcp ? ours_rx_.unprotect_rtcp(f.theirs, out)
                        : ours_rx_.unprotect_rtp(f.theirs, out);

        CAPTURE(f.rtcp);
        CAPTURE(f.ssrc);
        CAPTURE(f.index);
        CAPTURE(f.forged);
        CHECK(from_libsrtp(ls) == expected);
        CHECK(u.error() == expected);
        if (expected == errc::ok) {
            CHECK(same(lib_plain, f.plain));
            if (u) CHECK(same(*u, f.plain));
            if (from_libsrtp(ls) == errc::ok && u && same(lib_plain, f.plain) &&
                same(*u, f.plain)) {
                ++t.accepted;
                if (!f.rtcp && !m.seen.empty() && (f.index >> 16) < (m.top >> 16))
                    ++t.accepted_prev_roc; // RFC 3711 Appendix A: v = ROC − 1
            }
            m.accept(f.index);
        } else if (expected == errc::replayed) {
            ++t.replayed;
        } else if (expected == errc::too_old) {
            ++t.too_old;
        } else {
            ++t.forged;
        }
    }

    rng r_;
    std::vector<sender> senders_;
    lib_session lib_tx_, lib_rx_;
    our_session<Suite> ours_tx_, ours_rx_;
    std::map<std::pair<std::uint64_t, std::uint64_t>, in_flight> queue_;
    std::uint64_t order_ = 0;
    std::map<std::uint32_t, replay_model> rtp_model_, rtcp_model_;
};

} // namespace

TEST_CASE_TEMPLATE("RFC 7714 §8/§9 interop with libsrtp2: byte-identical SRTP/SRTCP across a ROC "
                   "wrap, several SSRCs, both directions",
                   Suite, suite_128, suite_256)
{
    tally t;
    exchange<Suite> x(0x5EED0000u + Suite::transform::master_key_size);
    x.run(10000, t);

    CHECK(t.rtp_identical == t.rtp_compared);
    CHECK(t.rtcp_identical == t.rtcp_compared);
    CHECK(t.rtp_compared > 7000);
    CHECK(t.rtcp_compared > 2000);
    // The network model must have exercised every decision (fixed seed: stable counts).
    CHECK(t.accepted > 9000);
    CHECK(t.accepted_prev_roc >= 10);
    CHECK(t.replayed > 0);
    CHECK(t.too_old > 0);
    CHECK(t.forged > 0);
    MESSAGE("interop " << Suite::name << ": " << t.rtp_identical << " RTP + " << t.rtcp_identical
                       << " RTCP packets byte-identical with libsrtp2; " << t.accepted
                       << " deliveries accepted by both (" << t.accepted_prev_roc
                       << " RTP with v = ROC-1), rejected identically: " << t.replayed
                       << " replayed, " << t.too_old << " too old, " << t.forged << " forged");
}

TEST_CASE_TEMPLATE(
    "RFC 7714 §9.3 interop with libsrtp2: unencrypted SRTCP (E = 0) is byte-identical "
    "and accepted both ways",
    Suite, suite_128, suite_256)
{
    rng r(0xE0E0u + Suite::transform::master_key_size);
    bytes master_key(Suite::transform::master_key_size), master_salt(12);
    r.fill(master_key);
    r.fill(master_salt);

    // libsrtp2 sends E = 0 when its SRTCP policy lacks confidentiality (sec_serv_auth) ...
    lib_session lib_tx, lib_rx;
    lib_tx.template create<Suite>(master_key, master_salt, {{ssrc_any_outbound, 0, 0}}, false);
    // ... and its receiver, although configured with confidentiality, follows the E flag of
    // each packet (observed with 2.5), so it accepts our E = 0 packets.
    lib_rx.template create<Suite>(master_key, master_salt, {{ssrc_any_inbound, 0, 0}});

    our_session<Suite> ours_tx, ours_rx;
    REQUIRE(ours_tx.init(master_key, master_salt) == errc::ok);
    REQUIRE(ours_rx.init(master_key, master_salt) == errc::ok);
    std::vector<std::uint32_t> ssrcs;
    std::map<std::uint32_t, std::uint32_t> next_index;
    for (int i = 0; i < 3; ++i) {
        const auto ssrc = static_cast<std::uint32_t>(r.next());
        ssrcs.push_back(ssrc);
        next_index[ssrc] = 1; // libsrtp2's first SRTCP index (RFC 3711 §3.4 says 0)
        REQUIRE(ours_tx.add_stream(ssrc) == errc::ok);
        REQUIRE(ours_tx.find_stream(ssrc)->set_srtcp_next_index(1) == errc::ok);
    }

    std::size_t compared = 0, identical = 0, accepted = 0;
    for (int i = 0; i < 600; ++i) {
        const std::uint32_t ssrc = ssrcs[r.below(3)];
        const bytes plain = random_rtcp(r, ssrc);
        bytes ours(plain.size() + our_session<Suite>::srtcp_overhead), theirs;
        auto p = ours_tx.protect_rtcp(plain, ours, false);
        REQUIRE(p.has_value());
        REQUIRE(lib_tx.protect_rtcp(plain, theirs) == srtp_err_status_ok);
        ++compared;
        // RFC 7714 §9.3: packet ‖ tag ‖ (E = 0 ‖ index); the packet itself stays in the clear.
        if (ours == theirs) ++identical;
        CHECK_MESSAGE(ours == theirs, "SRTCP (E=0) differs\nplain   "
                                          << to_hex(plain) << "\nours    " << to_hex(ours)
                                          << "\nlibsrtp " << to_hex(theirs));
        CHECK(same(perc::bytes_view{ours}.first(plain.size()), plain));
        CHECK(perc::load_be32(&ours[ours.size() - 4]) == next_index[ssrc]++);

        bytes lib_plain;
        CHECK(lib_rx.unprotect_rtcp(ours, lib_plain) == srtp_err_status_ok);
        bytes out(theirs.size());
        auto u = ours_rx.unprotect_rtcp(theirs, out);
        REQUIRE(u.has_value());
        if (same(lib_plain, plain) && same(*u, plain)) ++accepted;
    }
    CHECK(identical == compared);
    CHECK(accepted == compared);
    MESSAGE("interop " << Suite::name << ": " << identical
                       << " SRTCP E=0 packets byte-identical with libsrtp2, " << accepted
                       << " accepted by both receivers");
}

// ---------------------------------------------------------------------------------------------
// Observed behaviour differences. These pin down what Debian's libsrtp2 2.5 does where it and
// RFC 3711 / RFC 7714 (which this library follows) part ways; a failure here means libsrtp2's
// behaviour changed, not necessarily a bug on either side.

TEST_CASE("RFC 3711 Appendix A at ROC 0: a forward jump of more than 2^15 is v = ROC - 1 for us "
          "(too old), libsrtp2 keeps ROC 0 (observed difference)")
{
    rng r(0xA11CEu);
    bytes master_key(16), master_salt(12);
    r.fill(master_key);
    r.fill(master_salt);
    constexpr std::uint32_t ssrc = 0x11223344u;
    lib_session lib_tx, lib_rx;
    lib_tx.create<suite_128>(master_key, master_salt, {{ssrc_any_outbound, 0, 0}});
    lib_rx.create<suite_128>(master_key, master_salt, {{ssrc_any_inbound, 0, 0}});
    our_session<suite_128> ours_tx, ours_rx;
    REQUIRE(ours_tx.init(master_key, master_salt) == errc::ok);
    REQUIRE(ours_rx.init(master_key, master_salt) == errc::ok);

    rtp_spec spec;
    spec.ssrc = ssrc;
    spec.payload = from_hex("0102030405060708");
    spec.seq = 100;
    const bytes p100 = build_rtp(spec);
    spec.seq = 40000; // 39900 ahead of s_l = 100: more than 2^15
    const bytes p40000 = build_rtp(spec);

    bytes ours(p100.size() + 16), theirs100, theirs40000;
    REQUIRE(ours_tx.protect_rtp(p100, ours).has_value());
    REQUIRE(lib_tx.protect_rtp(p100, theirs100) == srtp_err_status_ok);
    CHECK(ours == theirs100);

    // RFC 3711 Appendix A: s_l = 100 < 2^15 and SEQ − s_l > 2^15 gives v = ROC − 1; with
    // ROC = 0 that index lies before the stream began, so our sender refuses it ...
    auto p = ours_tx.protect_rtp(p40000, ours);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error() == errc::index_reused);
    // ... while libsrtp2 (whose estimate ignores ROC − 1 while its stored index is ≤ 2^15)
    // protects it with ROC 0.
    REQUIRE(lib_tx.protect_rtp(p40000, theirs40000) == srtp_err_status_ok);
    CHECK(lib_tx.roc(ssrc) == 0);

    // Receivers: libsrtp2 accepts both; we accept the first and call the second too old.
    bytes lib_plain, out(theirs100.size());
    CHECK(lib_rx.unprotect_rtp(theirs100, lib_plain) == srtp_err_status_ok);
    CHECK(lib_rx.unprotect_rtp(theirs40000, lib_plain) == srtp_err_status_ok);
    CHECK(lib_plain == p40000);
    CHECK(ours_rx.unprotect_rtp(theirs100, out).has_value());
    auto u = ours_rx.unprotect_rtp(theirs40000, out);
    REQUIRE_FALSE(u.has_value());
    CHECK(u.error() == errc::too_old);
}

TEST_CASE("RFC 7714 §8.4 / RFC 3711 §3.3.1: at ROC 2^32 - 1 we refuse to wrap the 48-bit index; "
          "libsrtp2 wraps to ROC 0 and reuses the IV of index 0 (observed difference)")
{
    rng r(0xB0B0u);
    bytes master_key(16), master_salt(12);
    r.fill(master_key);
    r.fill(master_salt);
    constexpr std::uint32_t ssrc = 0x55667788u;
    constexpr std::uint32_t last_roc = 0xFFFFFFFFu;
    lib_session lib_tx;
    lib_tx.create<suite_128>(master_key, master_salt, {{ssrc_specific, ssrc, last_roc}});
    our_session<suite_128> ours_tx, ours_rx, ours_fresh;
    REQUIRE(ours_tx.init(master_key, master_salt) == errc::ok);
    REQUIRE(ours_rx.init(master_key, master_salt) == errc::ok);
    REQUIRE(ours_fresh.init(master_key, master_salt) == errc::ok);
    REQUIRE(ours_tx.add_stream(ssrc, last_roc) == errc::ok);
    REQUIRE(ours_rx.add_stream(ssrc, last_roc) == errc::ok);
    REQUIRE(ours_fresh.add_stream(ssrc, 0) == errc::ok);

    rtp_spec spec;
    spec.ssrc = ssrc;
    spec.payload = from_hex("a0a1a2a3a4a5a6a7a8a9");
    spec.seq = 65535;
    const bytes last = build_rtp(spec);
    spec.seq = 0;
    const bytes wrapped = build_rtp(spec);

    // The last index, 2^48 − 1, agrees.
    bytes ours(last.size() + 16), theirs_last, theirs_wrapped;
    REQUIRE(ours_tx.protect_rtp(last, ours).has_value());
    REQUIRE(lib_tx.protect_rtp(last, theirs_last) == srtp_err_status_ok);
    CHECK(ours == theirs_last);
    bytes out(ours.size());
    CHECK(ours_rx.unprotect_rtp(theirs_last, out).has_value());

    // Next SEQ: we refuse (the index would wrap, and RFC 7714 §8.4 forbids repeating
    // (ROC, SEQ, SSRC) under one key); libsrtp2 protects it with ROC 0 ...
    auto p = ours_tx.protect_rtp(wrapped, ours);
    REQUIRE_FALSE(p.has_value());
    CHECK(p.error() == errc::index_exhausted);
    REQUIRE(lib_tx.protect_rtp(wrapped, theirs_wrapped) == srtp_err_status_ok);
    CHECK(lib_tx.roc(ssrc) == 0);
    // ... i.e. byte for byte the packet of index 0 (ROC 0, SEQ 0): the same IV again.
    REQUIRE(ours_fresh.protect_rtp(wrapped, ours).has_value());
    CHECK(ours == theirs_wrapped);
    // Our receiver at ROC 2^32 − 1 will not roll over either.
    auto u = ours_rx.unprotect_rtp(theirs_wrapped, out);
    REQUIRE_FALSE(u.has_value());
    CHECK(u.error() == errc::index_exhausted);
}
