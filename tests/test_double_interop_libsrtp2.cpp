// Cross-implementation oracle for the RFC 8723 double transform. Debian's libsrtp2 2.5 (an
// independent RFC 7714 AES-GCM SRTP) knows nothing of RFC 8723, so the test composes the
// double transform from two libsrtp2 GCM sessions exactly as RFC 8723 §5.1 describes:
//   inner session (inner key half, inner salt half) protects the SYNTHETIC packet: the RTP
//   header with X cleared, truncated to 12 + 4·CC octets, then the payload (§5.1 step 3-4);
//   original header ‖ inner ciphertext ‖ inner tag ‖ OHB 0x00 is then protected by an outer
//   session (outer key half, outer salt half) (§5.1 steps 5-6).
// It plays a Media Distributor the same way (§5.2): libsrtp2 outer-unprotect with the incoming
// hop key, change PT / SEQ / M (and the extension), rewrite the OHB with the test's own encoder
// (§4), outer-protect with the outgoing hop key.
// Checked, for both profiles (§10.1), over thousands of random packets:
//   - double_endpoint::protect_rtp output equals the composed libsrtp2 bytes;
//   - double_endpoint::unprotect_rtp accepts the composed packets (sender and relayed), and
//     restores payload and the original PT / SEQ / M (§5.3);
//   - media_distributor::relay_rtp output equals the libsrtp2 MD's bytes, over one and two MD
//     hops, and libsrtp2 finds the expected OHB at the end of its outer plaintext.
#include <perc/botan/double.hpp>

#include "backend.hpp"
#include "test_util.hpp"

#include <doctest/doctest.h>
#include <srtp2/srtp.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

using namespace perc_test;
using perc::errc;

namespace {

// ------------------------------------------------------------------------------ profiles

// RFC 8723 §10.1: both profiles have a 24-octet double salt; the double key is 2 × 16 or 2 × 32.
struct profile_128 {
    using endpoint = perc_test::backend::double_aes_128_gcm;
    using distributor = perc_test::backend::media_distributor_aes_128_gcm;
    static constexpr std::size_t half_key = 16;
    static constexpr char name[] = "DOUBLE_AEAD_AES_128_GCM_AEAD_AES_128_GCM";
    static void set_policy(srtp_crypto_policy_t* p)
    {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(p);
    }
};

struct profile_256 {
    using endpoint = perc_test::backend::double_aes_256_gcm;
    using distributor = perc_test::backend::media_distributor_aes_256_gcm;
    static constexpr std::size_t half_key = 32;
    static constexpr char name[] = "DOUBLE_AEAD_AES_256_GCM_AEAD_AES_256_GCM";
    static void set_policy(srtp_crypto_policy_t* p)
    {
        srtp_crypto_policy_set_aes_gcm_256_16_auth(p);
    }
};

constexpr std::size_t salt_half = 12;
constexpr std::size_t tag_size = 16;

struct counts {
    std::size_t identical = 0;        // sender packets byte-identical to the libsrtp2 composition
    std::size_t accepted = 0;         // libsrtp2-composed packets our receiver accepted
    std::size_t relays = 0;           // relay operations byte-identical to the libsrtp2 MD
    std::size_t relayed_accepted = 0; // libsrtp2-relayed packets our receiver accepted
    std::size_t relay_ops = 0;        // relay operations attempted
    std::size_t delivered = 0;        // packets that made it through every MD
    std::set<std::uint8_t> configs;   // OHB Config octets the relays produced
};

// ------------------------------------------------------------------------------ libsrtp2 side

/// libsrtp2 wants srtp_init() once per process: a second call returns
/// srtp_err_status_bad_param (observed with 2.5.0), and srtp_shutdown() allows a later init.
/// Another test file linked into the same binary may already have initialised it and never
/// shut it down, so each test case initialises libsrtp2 for its own duration if nobody has,
/// and otherwise uses the existing initialisation (srtp_create() below fails if there is none).
class libsrtp_scope {
public:
    libsrtp_scope()
    {
        const srtp_err_status_t st = srtp_init();
        owned_ = st == srtp_err_status_ok;
        REQUIRE_MESSAGE((owned_ || st == srtp_err_status_bad_param),
                        "srtp_init() returned " << static_cast<int>(st));
    }
    libsrtp_scope(const libsrtp_scope&) = delete;
    libsrtp_scope& operator=(const libsrtp_scope&) = delete;
    ~libsrtp_scope()
    {
        if (owned_) (void)srtp_shutdown();
    }

private:
    bool owned_ = false;
};

/// One libsrtp2 session with one wildcard policy (ssrc_any_outbound / ssrc_any_inbound).
class lib_session {
public:
    lib_session() = default;
    lib_session(const lib_session&) = delete;
    lib_session& operator=(const lib_session&) = delete;
    ~lib_session()
    {
        if (s_) (void)srtp_dealloc(s_);
    }

    /// policy.key = master key ‖ 12-octet master salt (libsrtp2's layout for GCM policies).
    template <class Profile>
    void create(const bytes& key, const bytes& salt, srtp_ssrc_type_t type)
    {
        key_ = key;
        key_.insert(key_.end(), salt.begin(), salt.end());
        srtp_policy_t p{};
        Profile::set_policy(&p.rtp);
        Profile::set_policy(&p.rtcp);
        p.ssrc.type = type;
        p.key = key_.data();
        p.window_size = 128;
        p.allow_repeat_tx = 0;
        p.next = nullptr;
        const srtp_err_status_t st = srtp_create(&s_, &p);
        if (st != srtp_err_status_ok) {
            s_ = nullptr;
            FAIL("libsrtp2 srtp_create() returned " << static_cast<int>(st)
                                                    << " (built without AES-GCM support?)");
        }
    }

    /// In place; the vector grows by the tag.
    srtp_err_status_t protect(bytes& pkt)
    {
        const std::size_t n = pkt.size();
        pkt.resize(n + SRTP_MAX_TRAILER_LEN);
        int len = static_cast<int>(n);
        const srtp_err_status_t st = srtp_protect(s_, pkt.data(), &len);
        pkt.resize(st == srtp_err_status_ok ? static_cast<std::size_t>(len) : n);
        return st;
    }

    /// In place; the vector shrinks by the tag.
    srtp_err_status_t unprotect(bytes& pkt)
    {
        int len = static_cast<int>(pkt.size());
        const srtp_err_status_t st = srtp_unprotect(s_, pkt.data(), &len);
        if (st == srtp_err_status_ok) pkt.resize(static_cast<std::size_t>(len));
        return st;
    }

private:
    srtp_t s_ = nullptr;
    bytes key_;
};

// ------------------------------------------------------------------------------ RTP helpers

struct fields {
    std::uint8_t pt = 0;
    std::uint16_t seq = 0;
    bool marker = false;
    friend bool operator==(const fields&, const fields&) = default;
};

std::size_t base_header_size(const bytes& p)
{
    return 12 + 4 * std::size_t{p[0] & 0x0Fu};
}

std::size_t header_size(const bytes& p)
{
    const std::size_t base = base_header_size(p);
    if ((p[0] & 0x10) == 0) return base;
    const std::size_t words = (std::size_t{p[base + 2]} << 8) | p[base + 3];
    return base + 4 + 4 * words;
}

fields fields_of(const bytes& p)
{
    return {static_cast<std::uint8_t>(p[1] & 0x7F), static_cast<std::uint16_t>((p[2] << 8) | p[3]),
            (p[1] & 0x80) != 0};
}

void write_fields(bytes& p, const fields& f)
{
    p[1] = static_cast<std::uint8_t>((f.marker ? 0x80 : 0x00) | (f.pt & 0x7F));
    p[2] = static_cast<std::uint8_t>(f.seq >> 8);
    p[3] = static_cast<std::uint8_t>(f.seq);
}

bytes slice(const bytes& b, std::size_t from, std::size_t to)
{
    return bytes(b.begin() + static_cast<std::ptrdiff_t>(from),
                 b.begin() + static_cast<std::ptrdiff_t>(to));
}

// RFC 8285 extension bodies with valid elements, padded with zeros to a 4-octet multiple.
bytes one_byte_extension_body(rng& r)
{
    bytes b;
    const std::uint32_t elements = 1 + r.below(3);
    for (std::uint32_t e = 0; e < elements; ++e) {
        const std::uint32_t len = 1 + r.below(16); // §4.2: L = len − 1
        b.push_back(static_cast<std::uint8_t>(((1 + r.below(14)) << 4) | (len - 1)));
        for (std::uint32_t i = 0; i < len; ++i) b.push_back(r.byte());
    }
    while (b.size() % 4) b.push_back(0);
    return b;
}

bytes two_byte_extension_body(rng& r)
{
    bytes b;
    const std::uint32_t elements = 1 + r.below(3);
    for (std::uint32_t e = 0; e < elements; ++e) {
        const std::uint32_t len = r.below(20);
        b.push_back(static_cast<std::uint8_t>(1 + r.below(255)));
        b.push_back(static_cast<std::uint8_t>(len));
        for (std::uint32_t i = 0; i < len; ++i) b.push_back(r.byte());
    }
    while (b.size() % 4) b.push_back(0);
    return b;
}

/// Where the first difference lies, named by RFC 8723 §5.1 region (for GCM the outer
/// ciphertext is a keystream XOR, so a wrong inner octet shows at the same offset).
std::string diagnose(const bytes& ours, const bytes& lib, std::size_t hs, std::size_t ohb_size)
{
    std::ostringstream os;
    os << "ours " << ours.size() << " octets, libsrtp2 " << lib.size() << " octets";
    const std::size_t n = std::min(ours.size(), lib.size());
    std::size_t i = 0;
    while (i < n && ours[i] == lib[i]) ++i;
    os << "; first difference at offset " << i << " (";
    const std::size_t total = lib.size();
    const std::size_t outer_tag_at = total - tag_size;
    const std::size_t ohb_at = outer_tag_at - ohb_size;
    const std::size_t inner_tag_at = ohb_at - tag_size;
    if (i < hs) os << "RTP header";
    else if (i < inner_tag_at) os << "outer ciphertext over the inner ciphertext";
    else if (i < ohb_at) os << "outer ciphertext over the inner tag";
    else if (i < outer_tag_at) os << "outer ciphertext over the OHB";
    else os << "outer tag only: AAD or the outer IV differs";
    os << ")\n ours: " << to_hex(ours) << "\n lib:  " << to_hex(lib);
    return os.str();
}

// ------------------------------------------------------------------------------ the oracle

/// RFC 8723 §5.1 composed from two libsrtp2 sessions.
bytes lib_double_protect(lib_session& inner, lib_session& outer, const bytes& rtp)
{
    const std::size_t base = base_header_size(rtp);
    const std::size_t hs = header_size(rtp);
    // Step 3: synthetic packet = header with X = 0 truncated to 12 + 4·CC, then the payload.
    bytes synthetic = slice(rtp, 0, base);
    synthetic[0] = static_cast<std::uint8_t>(synthetic[0] & ~0x10u);
    synthetic.insert(synthetic.end(), rtp.begin() + static_cast<std::ptrdiff_t>(hs), rtp.end());
    // Step 4: inner AES-GCM.
    REQUIRE(inner.protect(synthetic) == srtp_err_status_ok);
    REQUIRE(synthetic.size() == base + (rtp.size() - hs) + tag_size);
    // Step 5: original header ‖ inner ciphertext ‖ inner tag ‖ empty OHB.
    bytes pkt = slice(rtp, 0, hs);
    pkt.insert(pkt.end(), synthetic.begin() + static_cast<std::ptrdiff_t>(base), synthetic.end());
    pkt.push_back(0x00);
    // Step 6: outer AES-GCM over that RTP packet.
    REQUIRE(outer.protect(pkt) == srtp_err_status_ok);
    return pkt;
}

/// The test's own RFC 8723 §4 OHB codec: [PT] [SEQ (big-endian)] Config,
/// Config bits Q = 0x01, P = 0x02, M = 0x04, B = 0x08.
/// §5.2 step 3: the original value is recorded exactly when the value sent differs from it
/// (added when first changed, kept by later MDs, removed when restored).
bytes ohb_encode(const fields& original, const fields& sent)
{
    bytes o;
    std::uint8_t config = 0;
    if (sent.pt != original.pt) {
        o.push_back(original.pt);
        config |= 0x02;
    }
    if (sent.seq != original.seq) {
        o.push_back(static_cast<std::uint8_t>(original.seq >> 8));
        o.push_back(static_cast<std::uint8_t>(original.seq));
        config |= 0x01;
    }
    if (sent.marker != original.marker)
        config = static_cast<std::uint8_t>(config | 0x04 | (original.marker ? 0x08 : 0x00));
    o.push_back(config);
    return o;
}

/// Decodes the OHB at the end of an outer plaintext; returns (original fields, OHB size).
std::pair<fields, std::size_t> ohb_decode(const bytes& plain, const fields& wire)
{
    const std::uint8_t config = plain.back();
    REQUIRE((config & 0xF0) == 0);
    REQUIRE((config & 0x0C) != 0x08);
    const std::size_t n = 1 + ((config & 0x02) ? 1u : 0u) + ((config & 0x01) ? 2u : 0u);
    REQUIRE(plain.size() >= n);
    fields orig = wire;
    std::size_t i = plain.size() - n;
    if (config & 0x02) orig.pt = static_cast<std::uint8_t>(plain[i++] & 0x7F);
    if (config & 0x01) {
        orig.seq = static_cast<std::uint16_t>((plain[i] << 8) | plain[i + 1]);
        i += 2;
    }
    if (config & 0x04) orig.marker = (config & 0x08) != 0;
    return {orig, n};
}

/// What an MD does to one packet (mirrors perc::relay_changes, built independently).
struct md_change {
    std::optional<std::uint8_t> pt;
    std::optional<std::uint16_t> seq;
    std::optional<bool> marker;
    enum class ext { keep, remove, replace } extension = ext::keep;
    std::uint16_t ext_profile = 0xBEDE;
    bytes ext_body;
};

struct lib_relay_result {
    bytes packet;    // protected for the outgoing hop
    bytes header;    // its RTP header
    bytes ohb;       // the OHB written
    fields original; // end-to-end original values
    fields sent;     // values in the sent header
};

/// RFC 8723 §5.2 Media Distributor played with libsrtp2.
lib_relay_result lib_md_relay(lib_session& rx, lib_session& tx, const bytes& in, const md_change& c)
{
    // Step 1: outer-decrypt with the incoming hop key.
    bytes p = in;
    REQUIRE(rx.unprotect(p) == srtp_err_status_ok);
    const std::size_t base = base_header_size(p);
    const std::size_t hs = header_size(p);
    const fields wire = fields_of(p);
    const bytes plain = slice(p, hs, p.size());
    const auto [orig, n] = ohb_decode(plain, wire);
    REQUIRE(plain.size() >= n + tag_size);
    // Step 2: new header.
    lib_relay_result r;
    r.original = orig;
    r.sent = {c.pt.value_or(wire.pt), c.seq.value_or(wire.seq), c.marker.value_or(wire.marker)};
    r.header = slice(p, 0, base);
    write_fields(r.header, r.sent);
    bool x = (p[0] & 0x10) != 0;
    if (c.extension == md_change::ext::keep && x) {
        r.header.insert(r.header.end(), p.begin() + static_cast<std::ptrdiff_t>(base),
                        p.begin() + static_cast<std::ptrdiff_t>(hs));
    } else if (c.extension == md_change::ext::replace) {
        x = true;
        r.header.push_back(static_cast<std::uint8_t>(c.ext_profile >> 8));
        r.header.push_back(static_cast<std::uint8_t>(c.ext_profile));
        r.header.push_back(static_cast<std::uint8_t>((c.ext_body.size() / 4) >> 8));
        r.header.push_back(static_cast<std::uint8_t>(c.ext_body.size() / 4));
        r.header.insert(r.header.end(), c.ext_body.begin(), c.ext_body.end());
    } else {
        x = false;
    }
    r.header[0] = static_cast<std::uint8_t>((r.header[0] & ~0x10u) | (x ? 0x10u : 0x00u));
    // Step 3: OHB.
    r.ohb = ohb_encode(orig, r.sent);
    // Step 4: outer-encrypt with the outgoing hop key.
    r.packet = r.header;
    r.packet.insert(r.packet.end(), plain.begin(), plain.end() - static_cast<std::ptrdiff_t>(n));
    r.packet.insert(r.packet.end(), r.ohb.begin(), r.ohb.end());
    REQUIRE(tx.protect(r.packet) == srtp_err_status_ok);
    return r;
}

// ------------------------------------------------------------------------------ generators

struct sender_stream {
    std::uint32_t ssrc = 0;
    std::uint64_t next_index = 0; // 48-bit index: ROC ‖ SEQ (ROC starts at 0)
    std::uint32_t ts = 0;
};

/// Streams whose SEQ starts a few hundred below 65535, so each wraps (ROC 0 -> 1).
std::vector<sender_stream> make_streams(rng& r, std::size_t count)
{
    std::vector<sender_stream> s(count);
    for (auto& x : s) {
        x.ssrc = static_cast<std::uint32_t>(r.next());
        x.next_index = 65535 - (100 + r.below(300));
        x.ts = static_cast<std::uint32_t>(r.next());
    }
    return s;
}

struct generated {
    bytes rtp;
    std::uint64_t index = 0;
};

generated next_packet(rng& r, sender_stream& s)
{
    rtp_spec spec;
    spec.ssrc = s.ssrc;
    spec.seq = static_cast<std::uint16_t>(s.next_index);
    spec.ts = s.ts;
    s.ts += 160 * (1 + r.below(3));
    spec.pt = static_cast<std::uint8_t>(r.below(128));
    spec.marker = r.below(2) == 1;
    const std::uint32_t cc = r.below(16);
    for (std::uint32_t i = 0; i < cc; ++i)
        spec.csrcs.push_back(static_cast<std::uint32_t>(r.next()));
    switch (r.below(3)) {
    case 0: break;
    case 1:
        spec.extension = true;
        spec.ext_profile = 0xBEDE; // RFC 8285 §4.2 one-byte form
        spec.ext_body = one_byte_extension_body(r);
        break;
    default:
        spec.extension = true;
        spec.ext_profile = static_cast<std::uint16_t>(0x1000 | r.below(16)); // §4.3 two-byte
        spec.ext_body = two_byte_extension_body(r);
        break;
    }
    const std::uint32_t size = r.below(8) == 0 ? r.below(4) : r.below(1201);
    spec.payload.resize(size);
    r.fill(spec.payload);
    if (r.below(10) == 0) spec.padding = static_cast<std::uint8_t>(1 + r.below(8));
    generated g{build_rtp(spec), s.next_index};
    ++s.next_index;
    return g;
}

bytes double_key(rng& r, std::size_t half)
{
    bytes k(2 * half);
    r.fill(k);
    return k;
}

bytes random_bytes(rng& r, std::size_t n)
{
    bytes b(n);
    r.fill(b);
    return b;
}

template <class A, class B>
bytes concat(const A& a, const B& b)
{
    bytes out(a.begin(), a.end());
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

// ------------------------------------------------------------------------------ sender + receiver

/// RFC 8723 §5.1 (sender) and §5.3 (receiver) against the libsrtp2 composition.
template <class Profile>
void run_sender(std::uint64_t seed, std::size_t packets, counts& n)
{
    using endpoint = typename Profile::endpoint;
    constexpr std::size_t half = Profile::half_key;
    rng r(seed);
    const bytes key = double_key(r, half);
    const bytes salt = random_bytes(r, 2 * salt_half);
    const bytes inner_key = slice(key, 0, half), outer_key = slice(key, half, 2 * half);
    const bytes inner_salt = slice(salt, 0, salt_half), outer_salt = slice(salt, salt_half, 24);

    // RFC 8723 §3: first half of key and salt -> inner algorithm, second half -> outer.
    lib_session lib_inner, lib_outer;
    lib_inner.template create<Profile>(inner_key, inner_salt, ssrc_any_outbound);
    lib_outer.template create<Profile>(outer_key, outer_salt, ssrc_any_outbound);
    endpoint tx, rx;
    REQUIRE(tx.init(key, salt) == errc::ok);
    REQUIRE(rx.init(key, salt) == errc::ok);

    auto streams = make_streams(r, 4);
    struct sent_packet {
        generated g;
        bytes wire;
    };
    std::vector<sent_packet> all;
    all.reserve(packets);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < packets; ++i) {
        sender_stream& s = streams[r.below(static_cast<std::uint32_t>(streams.size()))];
        generated g = next_packet(r, s);
        const bytes lib = lib_double_protect(lib_inner, lib_outer, g.rtp);
        bytes ours(g.rtp.size() + endpoint::protect_overhead);
        auto p = tx.protect_rtp(g.rtp, ours);
        REQUIRE_MESSAGE(p.has_value(), "protect_rtp: " << perc::to_string(p.error()));
        const bytes out(p->begin(), p->end());
        if (out == lib) {
            ++n.identical;
        } else if (++mismatches <= 3) {
            FAIL_CHECK(Profile::name << " sender packet " << i << " SSRC " << s.ssrc << " index "
                                     << g.index << ": "
                                     << diagnose(out, lib, header_size(g.rtp), 1));
        }
        all.push_back({std::move(g), lib});
    }
    CHECK(mismatches == 0);

    // §5.3: our receiver accepts the libsrtp2-composed packets, delivered with some adjacent
    // swaps (within the replay window; some of them straddle the SEQ wrap).
    for (std::size_t i = 0; i + 1 < all.size(); ++i)
        if (r.below(8) == 0) std::swap(all[i], all[i + 1]);
    for (const auto& sp : all) {
        bytes buf = sp.wire;
        auto u = rx.unprotect_rtp(buf, buf);
        if (!u) {
            FAIL_CHECK(Profile::name << " receiver rejected a libsrtp2 packet (index " << sp.g.index
                                     << "): " << perc::to_string(u.error()));
            continue;
        }
        const fields orig = fields_of(sp.g.rtp);
        const bool ok = bytes(u->packet.begin(), u->packet.end()) == sp.g.rtp &&
                        u->header_size == header_size(sp.g.rtp) &&
                        u->original == perc::rtp_mutable_fields{orig.pt, orig.seq, orig.marker} &&
                        u->outer == u->original && u->inner_index == sp.g.index &&
                        u->outer_index == sp.g.index;
        CHECK_MESSAGE(ok, "index " << sp.g.index << ": released " << to_hex(u->packet)
                                   << "\n expected " << to_hex(sp.g.rtp));
        if (ok) ++n.accepted;
    }
}

// ------------------------------------------------------------------------------ Media Distributors

/// One MD position in the chain: libsrtp2 sessions and our links for the same hop keys.
template <class Profile>
struct md_hop {
    using distributor = typename Profile::distributor;
    lib_session lib_rx;    // incoming hop key, inbound
    lib_session lib_tx;    // outgoing hop key, outbound
    lib_session lib_check; // outgoing hop key, inbound: reads our relay output
    typename distributor::link_type from, to;
    distributor md;
    std::map<std::uint32_t, std::uint64_t> out_index; // per SSRC: 48-bit index of the next SEQ sent
};

/// RFC 8723 §5.2 over `hops` MDs in a row, each selectively forwarding (dropping some packets)
/// and renumbering SEQ, changing PT / M and the extension at random. Every hop is played both
/// by libsrtp2 and by perc::media_distributor; the libsrtp2 chain feeds our receiver.
template <class Profile>
void run_md(std::uint64_t seed, std::size_t packets, std::size_t hops, counts& n)
{
    using endpoint = typename Profile::endpoint;
    constexpr std::size_t half = Profile::half_key;
    rng r(seed);
    const bytes key = double_key(r, half);
    const bytes salt = random_bytes(r, 2 * salt_half);
    const bytes inner_key = slice(key, 0, half), inner_salt = slice(salt, 0, salt_half);

    // hop_key[0] is the sender's outer half; hop_key[h + 1] the key MD h sends with.
    std::vector<bytes> hop_key{slice(key, half, 2 * half)};
    std::vector<bytes> hop_salt{slice(salt, salt_half, 24)};
    for (std::size_t h = 0; h < hops; ++h) {
        hop_key.push_back(random_bytes(r, half));
        hop_salt.push_back(random_bytes(r, salt_half));
    }

    lib_session lib_inner, lib_outer;
    lib_inner.template create<Profile>(inner_key, inner_salt, ssrc_any_outbound);
    lib_outer.template create<Profile>(hop_key[0], hop_salt[0], ssrc_any_outbound);

    std::vector<md_hop<Profile>> chain(hops);
    for (std::size_t h = 0; h < hops; ++h) {
        auto& m = chain[h];
        m.lib_rx.template create<Profile>(hop_key[h], hop_salt[h], ssrc_any_inbound);
        m.lib_tx.template create<Profile>(hop_key[h + 1], hop_salt[h + 1], ssrc_any_outbound);
        m.lib_check.template create<Profile>(hop_key[h + 1], hop_salt[h + 1], ssrc_any_inbound);
        // The unused direction of each link gets its own key (links refuse equal keys).
        REQUIRE(m.from.init(hop_key[h], hop_salt[h], random_bytes(r, half),
                            random_bytes(r, salt_half)) == errc::ok);
        REQUIRE(m.to.init(random_bytes(r, half), random_bytes(r, salt_half), hop_key[h + 1],
                          hop_salt[h + 1]) == errc::ok);
    }

    // The receiver: the sender's inner half, the last MD's outgoing outer key.
    endpoint rx;
    REQUIRE(rx.init(concat(inner_key, hop_key[hops]), concat(inner_salt, hop_salt[hops])) ==
            errc::ok);

    auto streams = make_streams(r, 3);
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < packets; ++i) {
        sender_stream& s = streams[r.below(static_cast<std::uint32_t>(streams.size()))];
        const generated g = next_packet(r, s);
        const fields e2e = fields_of(g.rtp);
        bytes lib_pkt = lib_double_protect(lib_inner, lib_outer, g.rtp);
        bytes our_pkt = lib_pkt;
        lib_relay_result last;
        bool delivered = true;
        for (std::size_t h = 0; h < hops; ++h) {
            auto& m = chain[h];
            // Selective forwarding: the MD drops about 1 packet in 10 of this SSRC.
            if (r.below(10) == 0) {
                delivered = false;
                break;
            }
            auto [it, fresh] = m.out_index.try_emplace(s.ssrc, 0);
            if (fresh) {
                // The MD renumbers from the incoming SEQ, or from a start near 65535 so that
                // the outgoing hop wraps (its ROC differs from the sender's).
                const fields wire = fields_of(lib_pkt);
                it->second = r.below(2) ? wire.seq : 65535 - r.below(600);
            }
            const auto out_seq = static_cast<std::uint16_t>(it->second);

            md_change c;
            perc::relay_changes pc;
            c.seq = out_seq;
            pc.seq = out_seq;
            switch (r.below(4)) {
            case 1: c.pt = static_cast<std::uint8_t>(r.below(128)); break;
            case 2: c.pt = e2e.pt; break; // restores (or keeps) the original value
            default: break;
            }
            pc.payload_type = c.pt;
            switch (r.below(4)) {
            case 1: c.marker = (lib_pkt[1] & 0x80) == 0; break;
            case 2: c.marker = e2e.marker; break;
            default: break;
            }
            pc.marker = c.marker;
            switch (r.below(6)) {
            case 0:
                c.extension = md_change::ext::remove;
                pc.extension = perc::relay_changes::extension_action::remove;
                break;
            case 1:
                c.extension = md_change::ext::replace;
                c.ext_profile = 0xBEDE;
                c.ext_body = one_byte_extension_body(r);
                pc.extension = perc::relay_changes::extension_action::replace;
                pc.extension_profile = c.ext_profile;
                pc.extension_body = c.ext_body;
                break;
            default: break;
            }

            // libsrtp2 MD.
            ++n.relay_ops;
            last = lib_md_relay(m.lib_rx, m.lib_tx, lib_pkt, c);
            // Our MD, fed the same bytes (they stay equal hop after hop unless a mismatch).
            bytes out(our_pkt.size() + 64 + c.ext_body.size());
            auto rel = m.md.relay_rtp(m.from, m.to, our_pkt, out, pc);
            REQUIRE_MESSAGE(rel.has_value(), "relay_rtp: " << perc::to_string(rel.error()));
            const bytes ours(rel->packet.begin(), rel->packet.end());
            const bool same = ours == last.packet;
            if (same) {
                ++n.relays;
            } else if (++mismatches <= 3) {
                FAIL_CHECK(Profile::name
                           << " hop " << h << " relay of index " << g.index << ": "
                           << diagnose(ours, last.packet, last.header.size(), last.ohb.size()));
            }
            CHECK(rel->sent ==
                  perc::rtp_mutable_fields{last.sent.pt, last.sent.seq, last.sent.marker});

            // libsrtp2 (outgoing hop key) opens our relay output and finds the expected
            // header and OHB at the end of the outer plaintext.
            bytes check = ours;
            REQUIRE(m.lib_check.unprotect(check) == srtp_err_status_ok);
            REQUIRE(check.size() >= last.header.size() + tag_size + last.ohb.size());
            CHECK(slice(check, 0, last.header.size()) == last.header);
            CHECK(slice(check, check.size() - last.ohb.size(), check.size()) == last.ohb);
            CHECK(last.original == e2e);
            n.configs.insert(last.ohb.back());

            lib_pkt = last.packet;
            our_pkt = ours;
            ++it->second;
        }
        if (!delivered) continue;
        ++n.delivered;

        // §5.3: our receiver opens the libsrtp2 relay output and restores the original
        // PT / SEQ / M from the OHB; the header extension is the one the last MD sent.
        bytes buf = lib_pkt;
        auto u = rx.unprotect_rtp(buf, buf);
        if (!u) {
            FAIL_CHECK(Profile::name << " receiver rejected a libsrtp2 relay (index " << g.index
                                     << ", OHB " << to_hex(last.ohb)
                                     << "): " << perc::to_string(u.error()));
            continue;
        }
        bytes expected = last.header;
        write_fields(expected, e2e);
        expected.insert(expected.end(),
                        g.rtp.begin() + static_cast<std::ptrdiff_t>(header_size(g.rtp)),
                        g.rtp.end());
        const std::uint64_t out_index = chain[hops - 1].out_index[s.ssrc] - 1;
        const bool ok = bytes(u->packet.begin(), u->packet.end()) == expected &&
                        u->original == perc::rtp_mutable_fields{e2e.pt, e2e.seq, e2e.marker} &&
                        u->outer == perc::rtp_mutable_fields{last.sent.pt, last.sent.seq,
                                                             last.sent.marker} &&
                        u->inner_index == g.index && u->outer_index == out_index;
        CHECK_MESSAGE(ok, "index " << g.index << " OHB " << to_hex(last.ohb) << ": released "
                                   << to_hex(u->packet) << "\n expected " << to_hex(expected)
                                   << "\n inner_index " << u->inner_index << " outer_index "
                                   << u->outer_index << " (expected " << out_index << ")");
        if (ok) ++n.relayed_accepted;
    }
    CHECK(mismatches == 0);
}

} // namespace

TEST_CASE("RFC 8723 §5.1/§5.3 oracle: double_endpoint equals two composed libsrtp2 GCM sessions")
{
    const libsrtp_scope libsrtp;
    counts n;
    run_sender<profile_128>(0x8723'0001, 3000, n);
    run_sender<profile_256>(0x8723'0002, 3000, n);
    CHECK(n.identical == 6000);
    CHECK(n.accepted == 6000);
    MESSAGE("double oracle (RFC 8723 §5.1/§5.3, both profiles): "
            << n.identical << " packets byte-identical to libsrtp2 inner+outer, " << n.accepted
            << " composed packets accepted by double_endpoint");
}

TEST_CASE("RFC 8723 §5.2 oracle: media_distributor equals a libsrtp2 Media Distributor")
{
    const libsrtp_scope libsrtp;
    counts n;
    run_md<profile_128>(0x8723'0101, 1500, 1, n);
    run_md<profile_256>(0x8723'0102, 1500, 1, n);
    run_md<profile_128>(0x8723'0201, 1500, 2, n);
    run_md<profile_256>(0x8723'0202, 1500, 2, n);
    CHECK(n.relay_ops > 4000);
    CHECK(n.relays == n.relay_ops);
    CHECK(n.relayed_accepted == n.delivered);
    // RFC 8723 §4: every valid Config value (0x00-0x07, 0x0C-0x0F) was produced and parsed.
    CHECK(n.configs == std::set<std::uint8_t>{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x0C,
                                              0x0D, 0x0E, 0x0F});
    MESSAGE("double oracle (RFC 8723 §5.2, one and two MD hops, both profiles): "
            << n.relays << " relays byte-identical to libsrtp2, " << n.relayed_accepted
            << " libsrtp2-relayed packets accepted by double_endpoint");
}
