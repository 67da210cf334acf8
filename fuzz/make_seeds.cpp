// perc fuzzing — writes the seed corpora in corpus/<target>/seed-*. Not built by meson: run by
// hand when the seeds or the fuzz keys change, and commit its output:
//   cd fuzz && g++ -std=c++20 -I../include -isystem /usr/include/botan-2 make_seeds.cpp
//   -lbotan-2 -o /tmp/perc-make-seeds && /tmp/perc-make-seeds corpus
// SRTP seeds are protected with this library under the fixed keys of fuzz_keys.hpp; they are
// starting points for the fuzzer, not test vectors.
#include <perc/botan/double.hpp>
#include <perc/botan/srtp.hpp>

#include "fuzz_keys.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using bytes = std::vector<std::uint8_t>;

void put8(bytes& b, unsigned v)
{
    b.push_back(static_cast<std::uint8_t>(v));
}
void put16(bytes& b, unsigned v)
{
    put8(b, v >> 8);
    put8(b, v & 0xFF);
}
void put32(bytes& b, std::uint32_t v)
{
    put16(b, v >> 16);
    put16(b, v & 0xFFFF);
}
bytes pattern(std::size_t n, unsigned start)
{
    bytes b;
    for (std::size_t i = 0; i < n; ++i) put8(b, (start + 7 * i) & 0xFF);
    return b;
}

struct rtp {
    unsigned pt = 96;
    bool marker = false;
    unsigned seq = 0x1234;
    std::uint32_t ts = 0x00abcdef;
    std::uint32_t ssrc = 0xcafe0001;
    unsigned csrcs = 0;
    bool extension = false;
    unsigned profile = 0xBEDE;
    bytes ext; // padded here to a multiple of 4
    bytes payload;
    unsigned padding = 0; // octets of RTP padding, count octet included
};

bytes build(const rtp& r)
{
    bytes b;
    put8(b, 0x80u | (r.padding ? 0x20u : 0u) | (r.extension ? 0x10u : 0u) | r.csrcs);
    put8(b, (r.marker ? 0x80u : 0u) | r.pt);
    put16(b, r.seq);
    put32(b, r.ts);
    put32(b, r.ssrc);
    for (unsigned i = 0; i < r.csrcs; ++i) put32(b, 0xc5c50000u + i);
    if (r.extension) {
        bytes ext = r.ext;
        while (ext.size() % 4 != 0) ext.push_back(0);
        put16(b, r.profile);
        put16(b, static_cast<unsigned>(ext.size() / 4));
        b.insert(b.end(), ext.begin(), ext.end());
    }
    b.insert(b.end(), r.payload.begin(), r.payload.end());
    if (r.padding) {
        for (unsigned i = 1; i < r.padding; ++i) put8(b, 0);
        put8(b, r.padding);
    }
    return b;
}

// One RTCP packet: V = 2, count, PT, length in words − 1, SSRC, then `body` (a multiple of 4).
bytes rtcp_part(unsigned count, unsigned pt, std::uint32_t ssrc, const bytes& body)
{
    bytes b;
    put8(b, 0x80u | count);
    put8(b, pt);
    put16(b, static_cast<unsigned>((8 + body.size()) / 4 - 1));
    put32(b, ssrc);
    b.insert(b.end(), body.begin(), body.end());
    return b;
}
bytes cat(bytes a, const bytes& b)
{
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

std::size_t written = 0;
void write(const fs::path& dir, const std::string& name, const bytes& b)
{
    fs::create_directories(dir);
    std::ofstream f{dir / ("seed-" + name), std::ios::binary | std::ios::trunc};
    f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    if (!f) {
        std::fprintf(stderr, "cannot write %s\n", (dir / name).string().c_str());
        std::exit(1);
    }
    ++written;
}

// A representative set of RTP packets: CSRCs, both RFC 8285 forms, an opaque profile, padding.
std::vector<std::pair<std::string, bytes>> rtp_packets()
{
    std::vector<std::pair<std::string, bytes>> v;
    rtp r;
    r.payload = pattern(20, 1);
    v.emplace_back("rtp-plain", build(r));

    rtp e = r;
    e.payload.clear();
    v.emplace_back("rtp-empty-payload", build(e));

    rtp c = r;
    c.csrcs = 15;
    c.marker = true;
    v.emplace_back("rtp-csrc15", build(c));

    rtp one = r;
    one.csrcs = 2;
    one.extension = true;
    // RFC 8285 §4.2: ID 1 len 1 (2 octets), padding octet, ID 3 len 0 (1 octet), ID 14 len 15.
    one.ext = cat(cat({0x11, 0xaa, 0xbb, 0x00, 0x30, 0xcc}, {0xef}), pattern(16, 40));
    v.emplace_back("rtp-ext-one-byte", build(one));

    rtp stop = r;
    stop.extension = true;
    // ID 15 ends processing: its "length" and what follows are ignored (RFC 8285 §4.2).
    stop.ext = {0x22, 0x01, 0x02, 0x03, 0xf5, 0x99};
    v.emplace_back("rtp-ext-id15", build(stop));

    rtp zero = r;
    zero.extension = true;
    // ID 0 with a non-zero length ends processing like ID 15 (RFC 8285 §4.1.2).
    zero.ext = {0x21, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
    v.emplace_back("rtp-ext-id0-length", build(zero));

    rtp two = r;
    two.extension = true;
    two.profile = 0x1003;
    // RFC 8285 §4.3: ID 7 len 0, padding, ID 200 len 3, ID 255 len 5.
    two.ext = cat({0x07, 0x00, 0x00, 0xc8, 0x03, 0x10, 0x20, 0x30, 0xff, 0x05}, pattern(5, 9));
    v.emplace_back("rtp-ext-two-byte", build(two));

    rtp other = r;
    other.extension = true;
    other.profile = 0x4242;
    other.ext = pattern(8, 3);
    v.emplace_back("rtp-ext-opaque", build(other));

    rtp empty_ext = r;
    empty_ext.extension = true;
    v.emplace_back("rtp-ext-empty", build(empty_ext));

    rtp pad = r;
    pad.padding = 4;
    v.emplace_back("rtp-padding", build(pad));

    rtp all = one;
    all.csrcs = 3;
    all.padding = 9;
    all.payload = pattern(300, 77);
    all.seq = 0xffff;
    v.emplace_back("rtp-everything", build(all));
    return v;
}

std::vector<std::pair<std::string, bytes>> rtcp_packets()
{
    std::vector<std::pair<std::string, bytes>> v;
    bytes sender_info;
    put32(sender_info, 0xe5a1b2c3); // NTP
    put32(sender_info, 0x00112233);
    put32(sender_info, 0x0000abcd); // RTP ts
    put32(sender_info, 42);         // packets
    put32(sender_info, 4200);       // octets
    bytes report_block = pattern(24, 5);
    const bytes sr = rtcp_part(1, 200, 0xcafe0001, cat(sender_info, report_block));
    bytes sdes_body;
    put32(sdes_body, 0x01047573); // CNAME item: type 1, length 4, "us"
    put32(sdes_body, 0x65720000); // "er", end, pad
    // SDES: the "SSRC" slot of the generic 8-octet header is the first chunk's SSRC.
    const bytes sdes = rtcp_part(1, 202, 0xcafe0001, sdes_body);
    const bytes rr = rtcp_part(0, 201, 0xcafe0002, {});
    const bytes bye = rtcp_part(1, 203, 0xcafe0002, {});
    v.emplace_back("rtcp-sr-sdes", cat(sr, sdes));
    v.emplace_back("rtcp-rr", rr);
    v.emplace_back("rtcp-rr-bye", cat(rr, bye));
    v.emplace_back("rtcp-sr-rr-sdes-bye", cat(cat(cat(sr, rr), sdes), bye));
    return v;
}

template <class Transform>
Transform keyed_transform()
{
    Transform t;
    const perc::bytes_view key{perc_fuzz::master_key.data(), Transform::master_key_size};
    if (t.set_master_key(key, perc_fuzz::master_salt) != perc::errc::ok) std::exit(1);
    return t;
}

template <class Transform>
void srtp_seeds(const fs::path& dir, bool aes_256, const std::string& suite)
{
    Transform t = keyed_transform<Transform>();
    for (std::uint32_t roc : {0u, 2u}) {
        for (const auto& [name, plain] : rtp_packets()) {
            perc::srtp_stream<> s;
            s.set_roc(roc);
            bytes out(plain.size() + Transform::srtp_overhead);
            auto r = t.protect_rtp(s, plain, out);
            if (!r) std::exit(1);
            bytes seed{perc_fuzz::make_selector(aes_256, roc, true)};
            seed.insert(seed.end(), out.begin(), out.end());
            write(dir, suite + "-s" + name + "-roc" + std::to_string(roc), seed);
        }
    }
    for (bool encrypt : {true, false}) {
        for (const auto& [name, plain] : rtcp_packets()) {
            perc::srtp_stream<> s;
            if (s.set_srtcp_next_index(encrypt ? 0u : 0x7ffffff0u) != perc::errc::ok) std::exit(1);
            bytes out(plain.size() + Transform::srtcp_overhead);
            auto r = t.protect_rtcp(s, plain, out, encrypt);
            if (!r) std::exit(1);
            bytes seed{perc_fuzz::make_selector(aes_256, 1, encrypt)};
            seed.insert(seed.end(), out.begin(), out.end());
            write(dir, suite + "-s" + name + (encrypt ? "-e1" : "-e0"), seed);
        }
    }
    // Plaintext packets exercise the protect → unprotect round trips.
    const auto plain_rtp = rtp_packets();
    const auto plain_rtcp = rtcp_packets();
    bytes a{perc_fuzz::make_selector(aes_256, 3, false)};
    a.insert(a.end(), plain_rtp[3].second.begin(), plain_rtp[3].second.end());
    write(dir, suite + "-plain-" + plain_rtp[3].first, a);
    bytes b{perc_fuzz::make_selector(aes_256, 0, true)};
    b.insert(b.end(), plain_rtcp[0].second.begin(), plain_rtcp[0].second.end());
    write(dir, suite + "-plain-" + plain_rtcp[0].first, b);
}

bytes with_prefix(std::initializer_list<std::uint8_t> prefix, const bytes& b)
{
    bytes r(prefix);
    r.insert(r.end(), b.begin(), b.end());
    return r;
}

template <class Single>
void key_single(Single& t, const perc_fuzz::hop_key& k)
{
    if (t.set_master_key(perc::bytes_view{k.key.data(), Single::master_key_size}, k.salt) !=
        perc::errc::ok)
        std::exit(1);
}

template <class Endpoint>
void key_endpoint(Endpoint& ep, const perc_fuzz::hop_key& outer)
{
    constexpr std::size_t k = Endpoint::inner_key_size;
    bytes key(perc_fuzz::inner_key.begin(), perc_fuzz::inner_key.begin() + k);
    key.insert(key.end(), outer.key.begin(), outer.key.begin() + k);
    bytes salt(perc_fuzz::inner_salt.begin(), perc_fuzz::inner_salt.end());
    salt.insert(salt.end(), outer.salt.begin(), outer.salt.end());
    if (ep.init(key, salt) != perc::errc::ok) std::exit(1);
}

// fuzz_double_unprotect: two selector octets (fuzz_keys.hpp), then the packet.
template <class Single>
void double_seeds(const fs::path& dir, bool aes_256, const std::string& suite)
{
    using endpoint = perc::double_endpoint<Single, Single>;
    using md = perc::media_distributor<Single>;
    const std::uint8_t s0 = aes_256 ? 0x01 : 0x00;
    const auto packets = rtp_packets();

    // Sender output (outer key A, empty OHB), with assorted hop-1 changes in the selector.
    const std::uint8_t selectors[][2] = {{0x00, 0x00}, {0x0e, 0x05}, {0x16, 0x82},
                                         {0x2a, 0x07}, {0x4e, 0x33}, {0x80, 0x00}};
    std::size_t i = 0;
    for (const auto& [name, plain] : packets) {
        endpoint sender;
        key_endpoint(sender, perc_fuzz::outer_a);
        bytes out(plain.size() + endpoint::protect_overhead);
        if (!sender.protect_rtp(plain, out)) std::exit(1);
        const auto* sel = selectors[i++ % std::size(selectors)];
        write(dir, suite + "-double-" + name,
              with_prefix({std::uint8_t(s0 | sel[0]), sel[1]}, out));
    }

    // Outer key A with a non-empty OHB: relayed A → A through two links (PT, SEQ, M changed).
    {
        endpoint sender;
        key_endpoint(sender, perc_fuzz::outer_a);
        const bytes& plain = packets[3].second;
        bytes sealed(plain.size() + endpoint::protect_overhead);
        if (!sender.protect_rtp(plain, sealed)) std::exit(1);
        typename md::link_type from, to;
        const auto& a = perc_fuzz::outer_a;
        const auto& d = perc_fuzz::outer_d;
        constexpr std::size_t k = Single::master_key_size;
        if (from.init({a.key.data(), k}, a.salt, {d.key.data(), k}, d.salt) != perc::errc::ok ||
            to.init({d.key.data(), k}, d.salt, {a.key.data(), k}, a.salt) != perc::errc::ok)
            std::exit(1);
        perc::relay_changes c;
        c.payload_type = 111;
        c.seq = 0x0400;
        c.marker = true;
        bytes out(sealed.size() + 64);
        md relay;
        auto r = relay.relay_rtp(from, to, sealed, out, c);
        if (!r) std::exit(1);
        write(dir, suite + "-double-ohb-pt-seq-m",
              with_prefix({s0, 0x00}, bytes(r->packet.begin(), r->packet.end())));
    }

    // Outer-valid packets (key A) whose OHB is malformed: RFC 8723 §4 rules.
    {
        Single a;
        key_single(a, perc_fuzz::outer_a);
        rtp r;
        r.payload.clear();
        const bytes header = build(r);
        auto outer_wrap = [&](const bytes& plain) {
            bytes out = header;
            out.resize(header.size() + plain.size() + Single::tag_size);
            if (a.seal_rtp(r.ssrc, perc::srtp_index(0, static_cast<std::uint16_t>(r.seq)),
                           perc::aad_view{header}, plain,
                           perc::bytes_span{out}.subspan(header.size())) != perc::errc::ok)
                std::exit(1);
            return out;
        };
        bytes body = pattern(30, 3); // pretend E2E ciphertext ‖ tag
        auto put_ohb = [&](std::initializer_list<std::uint8_t> ohb) {
            bytes b = body;
            b.insert(b.end(), ohb);
            return outer_wrap(b);
        };
        write(dir, suite + "-outer-ohb-reserved", with_prefix({s0, 0}, put_ohb({0x10})));
        write(dir, suite + "-outer-ohb-b-without-m", with_prefix({s0, 0}, put_ohb({0x08})));
        write(dir, suite + "-outer-ohb-full",
              with_prefix({s0, 0}, put_ohb({0x61, 0x12, 0x34, 0x0f})));
        write(dir, suite + "-outer-ohb-inner-bad", with_prefix({s0, 0}, put_ohb({0x00})));
        body.resize(10); // shorter than the E2E tag
        write(dir, suite + "-outer-ohb-short",
              with_prefix({s0, 0}, put_ohb({0x01, 0x00, 0x05, 0x01})));
    }

    // Plain packets: the chain checks protect them.
    write(dir, suite + "-plain-rtp",
          with_prefix({std::uint8_t(s0 | 0x6e), 0x21}, packets[9].second));
    // Outer-only paths: SRTCP and repair RTP under key A.
    {
        endpoint sender;
        key_endpoint(sender, perc_fuzz::outer_a);
        const bytes rtcp = rtcp_packets()[0].second;
        bytes out(rtcp.size() + endpoint::srtcp_overhead);
        if (!sender.protect_rtcp(rtcp, out)) std::exit(1);
        write(dir, suite + "-srtcp", with_prefix({s0, 0}, out));
        const bytes& plain = packets[0].second;
        bytes rep(plain.size() + endpoint::repair_overhead);
        if (!sender.protect_repair_rtp(plain, rep)) std::exit(1);
        write(dir, suite + "-repair", with_prefix({s0, 0}, rep));
    }
}

void ohb_seeds(const fs::path& dir)
{
    bytes body = pattern(20, 9);
    auto with = [&](std::initializer_list<std::uint8_t> ohb) {
        bytes b = body;
        b.insert(b.end(), ohb);
        return b;
    };
    write(dir, "ohb-empty", with({0x00}));
    write(dir, "ohb-q", with({0x12, 0x34, 0x01}));
    write(dir, "ohb-p", with({0x6f, 0x02}));
    write(dir, "ohb-pq", with({0x60, 0xab, 0xcd, 0x03}));
    write(dir, "ohb-m-b", with({0x0c}));
    write(dir, "ohb-all", with({0xe0, 0x00, 0x01, 0x0f}));
    write(dir, "ohb-reserved", with({0x80}));
    write(dir, "ohb-b-without-m", with({0x08}));
    write(dir, "ohb-truncated", bytes{0x05, 0x03});
}

void ekt_seeds(const fs::path& dir)
{
    const bytes srtp = pattern(40, 21); // stands for an SRTP packet
    write(dir, "ekt-short", cat(srtp, {0x00}));
    bytes full = cat(srtp, pattern(24, 5)); // AESKW-wrapped 16-octet key: 24 octets
    put16(full, 0x1234);                    // SPI
    put16(full, 0x0007);                    // Epoch
    put16(full, 24 + 7);                    // EKTMsgLength
    put8(full, 0x02);
    write(dir, "ekt-full", full);
    bytes other = cat(srtp, pattern(9, 1));
    put16(other, 9 + 3);
    put8(other, 0x05); // an unassigned type: skipped whole (RFC 8870 §4.1)
    write(dir, "ekt-unknown-type", other);
    bytes bad = full;
    bad[bad.size() - 2] = 0x06; // EKTMsgLength below the fixed part
    write(dir, "ekt-full-bad-length", bad);
    bytes plain;
    put8(plain, 16);
    const bytes key = pattern(16, 99);
    plain.insert(plain.end(), key.begin(), key.end());
    put32(plain, 0xcafe0001); // SSRC
    put32(plain, 3);          // ROC
    write(dir, "ekt-plaintext-16", plain);
}

// RFC 9185 tunnel streams: the §7 example, the rfc8871 digest §6.4 examples, and the edges
// (version != 0, unknown msg_type, extra octets after UnsupportedVersion, empty dtls_message).
void tunnel_seeds(const fs::path& dir)
{
    auto message = [](unsigned type, const bytes& body) {
        bytes m;
        put8(m, type);
        put16(m, static_cast<unsigned>(body.size()));
        return cat(m, body);
    };
    const bytes id = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x46, 0x77,
                      0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    const bytes supported = {0x01, 0x00, 0x07, 0x00, 0x00, 0x04, 0x00, 0x09, 0x00, 0x0a};
    write(dir, "tunnel-rfc9185-s7-supported-profiles", supported);
    const bytes unsupported = message(2, {0x00});
    write(dir, "tunnel-unsupported-version", unsupported);
    write(dir, "tunnel-unsupported-version-extra", message(2, {0x03, 0xde, 0xad, 0xbe, 0xef}));
    const bytes disconnect = message(5, id);
    write(dir, "tunnel-endpoint-disconnect", disconnect);
    const bytes tunneled = message(4, cat(cat(id, {0x00, 0x03}), {0x16, 0xfe, 0xfd}));
    write(dir, "tunnel-tunneled-dtls", tunneled);
    write(dir, "tunnel-tunneled-dtls-empty", message(4, cat(id, {0x00, 0x00})));
    auto media_keys = [&](unsigned profile, const bytes& mki, std::size_t key, std::size_t salt) {
        bytes b = id;
        put16(b, profile);
        put8(b, static_cast<unsigned>(mki.size()));
        b = cat(b, mki);
        for (unsigned start : {0x40u, 0x80u}) {
            put8(b, static_cast<unsigned>(key));
            b = cat(b, pattern(key, start));
        }
        for (unsigned start : {0xa0u, 0xb0u}) {
            put8(b, static_cast<unsigned>(salt));
            b = cat(b, pattern(salt, start));
        }
        return message(3, b);
    };
    const bytes keys_128 = media_keys(0x0009, {}, 16, 12);
    write(dir, "tunnel-media-keys-0009", keys_128);
    write(dir, "tunnel-media-keys-000a-mki", media_keys(0x000a, {0x01, 0x02}, 32, 12));
    bytes v1 = supported;
    v1[3] = 0x01; // a version this library does not know (RFC 9185 §5.5)
    write(dir, "tunnel-supported-profiles-version1", v1);
    write(dir, "tunnel-unknown-type-then-disconnect", cat(message(6, {0xab, 0xcd}), disconnect));
    write(dir, "tunnel-stream-5-messages",
          cat(cat(cat(cat(supported, tunneled), keys_128), unsupported), disconnect));
    const bytes three = cat(cat(supported, tunneled), keys_128);
    write(dir, "tunnel-stream-truncated", bytes(three.begin(), three.end() - 5));
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s CORPUS_ROOT\n", argv[0]);
        return 2;
    }
    const fs::path root{argv[1]};

    const fs::path rtp_dir = root / "rtp_header";
    for (const auto& [name, b] : rtp_packets()) write(rtp_dir, name, b);
    {
        rtp r;
        r.payload = pattern(8, 0);
        bytes bad = build(r);
        bad[0] = 0x40; // RTP version 1
        write(rtp_dir, "rtp-version1", bad);
        const bytes whole = build(r);
        write(rtp_dir, "rtp-11-octets", bytes(whole.begin(), whole.begin() + 11));
        rtp x = r;
        x.extension = true;
        x.ext = pattern(8, 1);
        bytes over = build(x);
        over[15] = 9; // extension length 9 words, past the packet's end
        write(rtp_dir, "rtp-ext-overrun", over);
        rtp y = r;
        y.extension = true;
        y.ext = {0x1f, 0x00, 0x00, 0x00}; // ID 1 says 16 data octets, block has 3
        write(rtp_dir, "rtp-ext-element-overrun", build(y));
        rtp z = r;
        z.padding = 1;
        bytes badpad = build(z);
        badpad.back() = 200; // padding count larger than the payload
        write(rtp_dir, "rtp-padding-too-long", badpad);
    }

    const fs::path rtcp_dir = root / "rtcp";
    for (const auto& [name, b] : rtcp_packets()) write(rtcp_dir, name, b);
    {
        bytes rr = rtcp_packets()[1].second;
        write(rtcp_dir, "rtcp-7-octets", bytes(rr.begin(), rr.begin() + 7));
        bytes two = rtcp_packets()[2].second;
        two[8] = 0x40; // second part has V = 1
        write(rtcp_dir, "rtcp-second-version1", two);
        bytes longer = rtcp_packets()[0].second;
        longer[3] = static_cast<std::uint8_t>(longer[3] + 1); // first length one word too long
        write(rtcp_dir, "rtcp-bad-length", longer);
        bytes tail = cat(rr, {0x80, 0xc9});
        write(rtcp_dir, "rtcp-trailing-2", tail);
    }

    const fs::path srtp_dir = root / "srtp_unprotect";
    srtp_seeds<perc::botan::srtp_aes_128_gcm>(srtp_dir, false, "aes128");
    srtp_seeds<perc::botan::srtp_aes_256_gcm>(srtp_dir, true, "aes256");

    const fs::path double_dir = root / "double_unprotect";
    double_seeds<perc::botan::srtp_aes_128_gcm>(double_dir, false, "aes128");
    double_seeds<perc::botan::srtp_aes_256_gcm>(double_dir, true, "aes256");

    ohb_seeds(root / "ohb");
    ekt_seeds(root / "ekt_field");
    tunnel_seeds(root / "tunnel");

    std::printf("wrote %zu seeds under %s\n", written, root.string().c_str());
    return 0;
}
