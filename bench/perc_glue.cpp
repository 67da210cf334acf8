// perc-glue — one per-packet path in a plain loop, for profilers. perc-bench answers "how fast,
// compared with what"; this answers "where does perc's own time go": it runs ONE
// implementation over hot buffers with nothing else in the process's timed part, so that
// `perf record` samples or `valgrind --tool=callgrind` instruction counts belong to that path.
//
//   perc-glue MODE [--backend botan|ipsec-mb] [--payload N] [--packets N] [--aes256]
//
// MODE is one of (AES-128-GCM unless --aes256; RTP header of 12 octets; packets with distinct
// SEQs, stream state reset every 4096 packets):
//   double_protect     double_endpoint::protect_rtp in place
//   raw_protect        the same two AEAD passes through the backend's perc adapter, IVs
//                      precomputed: the floor double_protect is compared with
//   double_unprotect   double_endpoint::unprotect_rtp in place
//   raw_unprotect      outer open + inner open through the adapter
//   md_relay           media_distributor::relay_rtp (PT, M and SEQ rewritten: OHB 1 -> 4 octets)
//   md_relay_ekt       the same between links set up for EKT (RFC 8870 §4.3): every packet
//                      ends in a ShortEKTField, which the MD splits off and passes on
//   raw_relay          adapter open with the incoming hop key + seal with the outgoing one
//   raw_recrypt        adapter open_peek + recrypt (aead_recrypt backends: Botan), the
//                      floor of relay_rtp's re-encrypting fast path
//   md_fanout          media_distributor::open_rtp in place, then forward_rtp (md_relay's
//                      rewrite) to 4 links, each into its own buffer
//   raw_fanout         adapter open + 4 out-of-place seals into those buffers
//   stage              only the per-packet copy into the work buffer that every mode does
//
// It prints ns per packet (the minimum over 9 passes: a profiler's overhead and the machine's
// load only ever add time). Instructions of perc's glue per packet, free of timing noise:
//   valgrind --tool=callgrind perc-glue double_protect --packets 6000   (minus the same for
//   raw_protect, divided by the packet count; see docs/performance.md, "Where the glue goes").
#include <perc/aead_nonce.hpp>
#include <perc/botan/double.hpp>
#include <perc/bytes.hpp>
#include <perc/concepts.hpp>
#include <perc/ekt_field.hpp>
#include <perc/errc.hpp>
#include <perc/srtp_session.hpp>

#ifndef PERC_GLUE_HAVE_IPSEC_MB
#define PERC_GLUE_HAVE_IPSEC_MB 0
#endif
#if PERC_GLUE_HAVE_IPSEC_MB
#include <perc/ipsec_mb/double.hpp>
#endif

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

using perc::bytes_span;
using perc::bytes_view;
using perc::errc;

constexpr std::size_t header_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::size_t ring = 4096; // distinct packets; stream state resets when it wraps
constexpr std::uint32_t ssrc = 0x1234ABCDu;

[[noreturn]] void die(const char* what)
{
    std::fprintf(stderr, "perc-glue: %s\n", what);
    std::exit(2);
}

struct options {
    std::string mode;
    std::string backend = "botan";
    std::size_t payload = 160;
    std::size_t packets = 200000;
    bool aes256 = false;
};

std::size_t parse_size(const char* s)
{
    char* end = nullptr;
    const unsigned long long v = std::strtoull(s, &end, 10);
    if (end == s || *end != '\0') die("not a number");
    return static_cast<std::size_t>(v);
}

enum class mode {
    stage,
    double_protect,
    raw_protect,
    double_unprotect,
    raw_unprotect,
    md_relay,
    md_relay_ekt,
    raw_relay,
    raw_recrypt,
    md_fanout,
    raw_fanout
};

mode parse_mode(std::string_view m)
{
    constexpr std::pair<std::string_view, mode> names[] = {
        {"stage", mode::stage},
        {"double_protect", mode::double_protect},
        {"raw_protect", mode::raw_protect},
        {"double_unprotect", mode::double_unprotect},
        {"raw_unprotect", mode::raw_unprotect},
        {"md_relay", mode::md_relay},
        {"md_relay_ekt", mode::md_relay_ekt},
        {"raw_relay", mode::raw_relay},
        {"raw_recrypt", mode::raw_recrypt},
        {"md_fanout", mode::md_fanout},
        {"raw_fanout", mode::raw_fanout},
    };
    for (const auto& [name, value] : names)
        if (name == m) return value;
    die("unknown mode (see the comment at the top of bench/perc_glue.cpp)");
}

template <class Double, class Md, class Aead>
struct types {
    using endpoint = Double;
    using distributor = Md;
    using aead = Aead;
};

/// The keys of both layers and hops, and `ring` plaintext and protected packets of each kind.
template <class T>
class harness {
    using aead = typename T::aead;
    static constexpr std::size_t key_size = aead::key_size;

public:
    explicit harness(const options& o)
        : o_(o), mode_(parse_mode(o.mode)), in_size_(header_size + o.payload)
    {
        cap_ = in_size_ + 2 * tag_size + 8;
        for (std::size_t i = 0; i < key_.size(); ++i) key_[i] = static_cast<std::uint8_t>(i + 1);
        for (std::size_t i = 0; i < salt_.size(); ++i)
            salt_[i] = static_cast<std::uint8_t>(0xA0 + i);
        if (tx_.init(key_, salt_) != errc::ok || rx_.init(key_, salt_) != errc::ok)
            die("double_endpoint init");
        // The MD's links: it receives with the sender's outer half and sends with another key.
        const bytes_view outer_key{key_.data() + key_size, key_size};
        const bytes_view outer_salt{salt_.data() + 12, 12};
        const bytes_view hop_key{key_.data(), key_size};
        const bytes_view hop_salt{salt_.data(), 12};
        if (from_.init(outer_key, outer_salt, hop_key, hop_salt) != errc::ok ||
            to_.init(hop_key, hop_salt, outer_key, outer_salt) != errc::ok)
            die("md_link init");
        perc::session_options ekt;
        ekt.ekt = true;
        if (from_ekt_.init(outer_key, outer_salt, hop_key, hop_salt, ekt) != errc::ok ||
            to_ekt_.init(hop_key, hop_salt, outer_key, outer_salt, ekt) != errc::ok)
            die("md_link init (EKT)");
        // md_fanout's receivers: one send key each (the hop key with its last octet varied).
        for (std::size_t k = 0; k < fanout; ++k) {
            std::array<std::uint8_t, key_size> fk{};
            std::copy_n(key_.begin(), key_size, fk.begin());
            fk[key_size - 1] = static_cast<std::uint8_t>(fk[key_size - 1] ^ (k + 1));
            if (fan_[k].init(hop_key, hop_salt, bytes_view{fk}, outer_salt) != errc::ok)
                die("md_link init");
        }
        std::array<std::uint8_t, key_size> k1{}, k2{};
        k1[0] = 1;
        k2[0] = 2;
        if (a1_.set_key(k1) != errc::ok || a2_.set_key(k2) != errc::ok) die("aead set_key");

        plain_.resize(ring * cap_);
        prot_.resize(ring * cap_);
        raw_.resize(ring * cap_);
        prot_size_.resize(ring);
        work_.resize(cap_);
        fan_out_.resize(fanout * cap_);
        for (std::size_t i = 0; i < ring; ++i) {
            std::uint8_t* p = &plain_[i * cap_];
            p[0] = 0x80;
            p[1] = 96;
            perc::store_be16(p + 2, static_cast<std::uint16_t>(i));
            perc::store_be32(p + 4, static_cast<std::uint32_t>(960 * i));
            perc::store_be32(p + 8, ssrc);
            for (std::size_t j = header_size; j < in_size_; ++j)
                p[j] = static_cast<std::uint8_t>(i ^ j);
            std::uint8_t* q = &prot_[i * cap_];
            std::memcpy(q, p, in_size_);
            auto r = tx_.protect_rtp(bytes_view{q, in_size_}, bytes_span{q, cap_});
            if (!r) die("protect");
            prot_size_[i] = r->size();
            std::uint8_t* w = &raw_[i * cap_];
            std::memcpy(w, p, in_size_);
            if (raw_seal_two(w, nonce(i)) != 2) die("raw seal");
        }
        (void)tx_.remove_stream(ssrc);
        changes_.payload_type = 100;
        changes_.marker = true;
    }

    /// Runs `count` packets of the mode; returns how many had the expected outcome.
    std::size_t run(std::size_t count)
    {
        switch (mode_) {
        case mode::stage:
            return loop(count, [&](std::size_t i, std::uint8_t* w) {
                std::memcpy(w, &prot_[i * cap_], prot_size_[i]);
                return w[0] == 0x80;
            });
        case mode::double_protect:
            return loop(count, [&](std::size_t i, std::uint8_t* w) {
                std::memcpy(w, &plain_[i * cap_], in_size_);
                return tx_.protect_rtp(bytes_view{w, in_size_}, bytes_span{w, cap_}).has_value();
            });
        case mode::raw_protect:
            return loop(count, [&](std::size_t i, std::uint8_t* w) {
                std::memcpy(w, &plain_[i * cap_], in_size_);
                return raw_seal_two(w, nonce(i)) == 2;
            });
        case mode::double_unprotect:
            return loop(count, [&](std::size_t i, std::uint8_t* w) {
                std::memcpy(w, &prot_[i * cap_], prot_size_[i]);
                return rx_.unprotect_rtp(bytes_view{w, prot_size_[i]}, bytes_span{w, cap_})
                    .has_value();
            });
        case mode::raw_unprotect:
            return loop(count, [&](std::size_t i, std::uint8_t* w) {
                std::memcpy(w, &raw_[i * cap_], prot_size_[i]);
                return raw_open_two(w, nonce(i)) == 2;
            });
        case mode::md_relay:
            return loop(count, [&](std::size_t i, std::uint8_t* w) {
                std::memcpy(w, &prot_[i * cap_], prot_size_[i]);
                changes_.seq = static_cast<std::uint16_t>(i + 1000);
                return md_
                    .relay_rtp(from_, to_, bytes_view{w, prot_size_[i]}, bytes_span{w, cap_},
                               changes_)
                    .has_value();
            });
        case mode::md_relay_ekt:
            return loop(count, [&](std::size_t i, std::uint8_t* w) {
                std::memcpy(w, &prot_[i * cap_], prot_size_[i]);
                w[prot_size_[i]] = perc::ekt_type_short; // RFC 8870 §4.1: ShortEKTField
                changes_.seq = static_cast<std::uint16_t>(i + 1000);
                return md_
                    .relay_rtp(from_ekt_, to_ekt_, bytes_view{w, prot_size_[i] + 1},
                               bytes_span{w, cap_}, changes_)
                    .has_value();
            });
        case mode::raw_relay:
            return loop(count, [&](std::size_t i, std::uint8_t* w) {
                std::memcpy(w, &raw_[i * cap_], prot_size_[i]);
                return raw_relay(w, nonce(i)) == 2;
            });
        case mode::md_fanout:
            return loop(count, [&](std::size_t i, std::uint8_t* w) {
                std::memcpy(w, &prot_[i * cap_], prot_size_[i]);
                auto opened = md_.open_rtp(from_, bytes_view{w, prot_size_[i]},
                                           bytes_span{w, cap_});
                if (!opened) return false;
                changes_.seq = static_cast<std::uint16_t>(i + 1000);
                bool ok = true;
                for (std::size_t k = 0; k < fanout; ++k)
                    ok &= md_.forward_rtp(*opened, fan_[k], bytes_span{&fan_out_[k * cap_], cap_},
                                          changes_)
                              .has_value();
                return ok;
            });
        case mode::raw_fanout:
            return loop(count, [&](std::size_t i, std::uint8_t* w) {
                std::memcpy(w, &raw_[i * cap_], prot_size_[i]);
                return raw_fanout(w, nonce(i)) == 1 + static_cast<int>(fanout);
            });
        case mode::raw_recrypt:
            if constexpr (perc::aead_recrypt<aead>) {
                return loop(count, [&](std::size_t i, std::uint8_t* w) {
                    std::memcpy(w, &raw_[i * cap_], prot_size_[i]);
                    return raw_recrypt(w, nonce(i)) == 2;
                });
            } else {
                die("raw_recrypt: this backend's AEAD does not model aead_recrypt");
            }
        }
        return 0;
    }

private:
    template <class Step>
    std::size_t loop(std::size_t count, Step step)
    {
        std::size_t good = 0;
        for (std::size_t n = 0; n < count; ++n) {
            const std::size_t i = n % ring;
            if (i == 0) reset();
            good += step(i, work_.data()) ? 1u : 0u;
        }
        return good;
    }

    static perc::aead_nonce nonce(std::size_t i)
    {
        perc::aead_nonce n{};
        perc::store_be32(n.data() + 8, static_cast<std::uint32_t>(i));
        return n;
    }

    // The outgoing hop's IV (another key; kept distinct all the same), written in the 8 + 4
    // octets the adapters read it in: a narrower store would stall their loads.
    static perc::aead_nonce hop_nonce(const perc::aead_nonce& n)
    {
        perc::aead_nonce h;
        perc::store_be64(h.data(), std::uint64_t{1} << 56);
        std::memcpy(h.data() + 8, n.data() + 8, 4);
        return h;
    }

    void reset()
    {
        (void)tx_.remove_stream(ssrc);
        (void)rx_.remove_stream(ssrc);
        if (auto* s = from_.find_receive_stream(ssrc)) *s = {};
        if (auto* s = to_.find_send_stream(ssrc)) *s = {};
        if (auto* s = from_ekt_.find_receive_stream(ssrc)) *s = {};
        if (auto* s = to_ekt_.find_send_stream(ssrc)) *s = {};
        for (auto& l : fan_)
            if (auto* s = l.find_send_stream(ssrc)) *s = {};
    }

    // header ‖ payload ‖ inner tag ‖ 0x00 ‖ outer tag, as double_protect lays it out.
    int raw_seal_two(std::uint8_t* w, const perc::aead_nonce& n)
    {
        const std::size_t ps = o_.payload;
        const perc::aad_view aad{bytes_view{w, header_size}};
        const bytes_span p{w + header_size, ps};
        int ok = a1_.seal(n, aad, p, p,
                          std::span<std::uint8_t, tag_size>{w + header_size + ps, tag_size}) ==
                 errc::ok;
        w[header_size + ps + tag_size] = 0x00;
        const bytes_span p2{w + header_size, ps + tag_size + 1};
        ok += a2_.seal(n, aad, p2, p2,
                       std::span<std::uint8_t, tag_size>{w + header_size + ps + tag_size + 1,
                                                         tag_size}) == errc::ok;
        return ok;
    }
    int raw_open_two(std::uint8_t* w, const perc::aead_nonce& n)
    {
        const std::size_t ps = o_.payload;
        const perc::aad_view aad{bytes_view{w, header_size}};
        const bytes_span p2{w + header_size, ps + tag_size + 1};
        int ok = a2_.open(n, aad, p2,
                          std::span<const std::uint8_t, tag_size>{
                              w + header_size + ps + tag_size + 1, tag_size},
                          p2) == errc::ok;
        const bytes_span p{w + header_size, ps};
        ok += a1_.open(n, aad, p,
                       std::span<const std::uint8_t, tag_size>{w + header_size + ps, tag_size},
                       p) == errc::ok;
        return ok;
    }
    // One open with the incoming hop key, one seal of the grown packet with the outgoing one.
    int raw_relay(std::uint8_t* w, const perc::aead_nonce& n)
    {
        const std::size_t inner = o_.payload + tag_size;
        const perc::aad_view aad{bytes_view{w, header_size}};
        const bytes_span in{w + header_size, inner + 1};
        int ok =
            a2_.open(n, aad, in,
                     std::span<const std::uint8_t, tag_size>{w + header_size + inner + 1, tag_size},
                     in) == errc::ok;
        const perc::aead_nonce hop = hop_nonce(n);
        const bytes_span out{w + header_size, inner + 4};
        ok += a1_.seal(hop, aad, out, out,
                       std::span<std::uint8_t, tag_size>{w + header_size + inner + 4, tag_size}) ==
              errc::ok;
        return ok;
    }

    // One open with the incoming hop key, then `fanout` seals of the grown packet from it into
    // the receivers' buffers (header copied; one key for all: the floor, not a relay).
    int raw_fanout(std::uint8_t* w, const perc::aead_nonce& n)
    {
        const std::size_t inner = o_.payload + tag_size;
        const bytes_span in{w + header_size, inner + 1};
        int ok =
            a2_.open(n, perc::aad_view{bytes_view{w, header_size}}, in,
                     std::span<const std::uint8_t, tag_size>{w + header_size + inner + 1, tag_size},
                     in) == errc::ok;
        const perc::aead_nonce hop = hop_nonce(n);
        for (std::size_t k = 0; k < fanout; ++k) {
            std::uint8_t* o = &fan_out_[k * cap_];
            std::memcpy(o, w, header_size);
            ok += a1_.seal(hop, perc::aad_view{bytes_view{o, header_size}},
                           bytes_view{w + header_size, inner + 4},
                           bytes_span{o + header_size, inner + 4},
                           std::span<std::uint8_t, tag_size>{o + header_size + inner + 4,
                                                             tag_size}) == errc::ok;
        }
        return ok;
    }

    // raw_relay's job the way relay_rtp's fast path does it: verify and decrypt only the
    // 1-octet OHB, then re-encrypt the E2E part to the outgoing key and append a 4-octet OHB.
    int raw_recrypt(std::uint8_t* w, const perc::aead_nonce& n)
    {
        const std::size_t inner = o_.payload + tag_size;
        const perc::aad_view aad{bytes_view{w, header_size}};
        typename aead::recrypt_state st;
        std::uint8_t ohb_in[1] = {};
        int ok = a2_.open_peek(
                     n, aad, bytes_view{w + header_size, inner + 1},
                     std::span<const std::uint8_t, tag_size>{w + header_size + inner + 1, tag_size},
                     bytes_span{ohb_in, 1}, st) == errc::ok;
        const perc::aead_nonce hop = hop_nonce(n);
        const std::uint8_t ohb_out[4] = {0x81, 100, 0x03, ohb_in[0]};
        ok += a1_.recrypt(st, hop, aad, bytes_span{w + header_size, inner + 4},
                          bytes_view{ohb_out, 4},
                          std::span<std::uint8_t, tag_size>{w + header_size + inner + 4,
                                                            tag_size}) == errc::ok;
        return ok;
    }

    options o_;
    mode mode_;
    std::size_t in_size_;
    std::size_t cap_ = 0;
    std::array<std::uint8_t, 2 * key_size> key_{};
    std::array<std::uint8_t, 24> salt_{};
    typename T::endpoint tx_, rx_;
    typename T::distributor md_;
    typename T::distributor::link_type from_, to_, from_ekt_, to_ekt_;
    static constexpr std::size_t fanout = 4;
    std::array<typename T::distributor::link_type, fanout> fan_;
    aead a1_, a2_;
    perc::relay_changes changes_;
    std::vector<std::uint8_t> plain_, prot_, raw_, work_, fan_out_;
    std::vector<std::size_t> prot_size_;
};

template <class T>
int run(const options& o)
{
    harness<T> h{o};
    (void)h.run(ring); // warm-up
    double best = 1e300;
    std::size_t good = 0;
    for (int pass = 0; pass < 9; ++pass) {
        const auto t0 = std::chrono::steady_clock::now();
        good = h.run(o.packets);
        const auto t1 = std::chrono::steady_clock::now();
        best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count() /
                                  static_cast<double>(o.packets));
    }
    std::printf("%s %s %s %zu B: %.1f ns/packet (min of 9 passes of %zu packets)\n",
                o.backend.c_str(), o.aes256 ? "aes256-gcm" : "aes128-gcm", o.mode.c_str(),
                o.payload, best, o.packets);
    if (good != o.packets) {
        std::fprintf(stderr, "perc-glue: %zu of %zu packets had the wrong outcome\n",
                     o.packets - good, o.packets);
        return 1;
    }
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view a = argv[i];
        auto value = [&]() -> const char* {
            if (i + 1 >= argc) die("option needs a value");
            return argv[++i];
        };
        if (a == "--backend") o.backend = value();
        else if (a == "--payload") o.payload = parse_size(value());
        else if (a == "--packets") o.packets = parse_size(value());
        else if (a == "--aes256") o.aes256 = true;
        else if (!a.empty() && a[0] != '-' && o.mode.empty()) o.mode = std::string(a);
        else
            die("usage: perc-glue MODE [--backend botan|ipsec-mb] [--payload N] [--packets N] "
                "[--aes256]");
    }
    if (o.mode.empty()) die("usage: perc-glue MODE [--backend botan|ipsec-mb] ... (see source)");
    if (o.payload < 1 || o.payload > 1400 || o.packets == 0) die("payload 1..1400, packets > 0");
    if (o.backend == "botan") {
        if (o.aes256)
            return run<
                types<perc::botan::double_aes_256_gcm, perc::botan::media_distributor_aes_256_gcm,
                      perc::botan::aead_aes_256_gcm>>(o);
        return run<
            types<perc::botan::double_aes_128_gcm, perc::botan::media_distributor_aes_128_gcm,
                  perc::botan::aead_aes_128_gcm>>(o);
    }
#if PERC_GLUE_HAVE_IPSEC_MB
    if (o.backend == "ipsec-mb") {
        if (o.aes256)
            return run<types<perc::ipsec_mb::double_aes_256_gcm,
                             perc::ipsec_mb::media_distributor_aes_256_gcm,
                             perc::ipsec_mb::aead_aes_256_gcm>>(o);
        return run<
            types<perc::ipsec_mb::double_aes_128_gcm, perc::ipsec_mb::media_distributor_aes_128_gcm,
                  perc::ipsec_mb::aead_aes_128_gcm>>(o);
    }
#endif
    die("unknown backend (botan, or ipsec-mb when built with it)");
}
