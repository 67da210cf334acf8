// perc — command-line tool: protect, unprotect and relay packets, wrap and unwrap EKT fields.
#include "demo.hpp"

#include <perc/botan/aes_key_wrap.hpp>
#include <perc/botan/profiles.hpp>
#include <perc/ekt.hpp>
#include <perc/ekt_endpoint.hpp>
#include <perc/ekt_field.hpp>
#include <perc/errc.hpp>
#include <perc/keying_material.hpp>
#include <perc/media_distributor.hpp>
#include <perc/rtcp_header.hpp>
#include <perc/rtp_header.hpp>
#include <perc/secret_bytes.hpp>
#include <perc/suites.hpp>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace {

using bytes = std::vector<std::uint8_t>;

constexpr const char* main_help =
    R"(perc — PERC media security (RFC 8723 double SRTP, RFC 7714 AES-GCM, RFC 8870 EKT)

usage: perc <command> [options] [PACKET_HEX ...]

commands:
  protect     protect RTP (or with --rtcp, RTCP) packets
  unprotect   verify and decrypt SRTP (or SRTCP) packets
  relay       act as a Media Distributor: outer-decrypt, rewrite, outer-encrypt
  ekt         wrap or unwrap an RFC 8870 FullEKTField
  demo        simulate a whole PERC conference (Key Distributor, Media Distributors,
              endpoints) and check its security properties

Packets come as arguments or, if none are given, one hex packet per line on standard input.
All packets of one invocation go through one context in order, so ROC and replay behave as
in a real stream. Each result is one lowercase hex line; a packet that fails prints
`error: <reason>` on its line, processing goes on, and the exit status is 1.

Run `perc <command> --help` for the options of a command.
)";

constexpr const char* protect_help =
    R"(usage: perc protect   --profile P --key HEX --salt HEX [--rtcp] [--roc N]
                        [--ekt-key HEX --spi N] [PACKET_HEX ...]
       perc unprotect --profile P --key HEX --salt HEX [--rtcp] [--roc N]
                        [--ekt-key HEX --spi N] [PACKET_HEX ...]

  --profile P   aes128-gcm, aes256-gcm           single RFC 7714 layer (16/32-octet key,
                                                 12-octet salt)
                double-aes128-gcm, double-aes256-gcm
                                                 RFC 8723 double: --key and --salt are the whole
                                                 double master key and salt, inner ‖ outer
                                                 (32/64-octet key, 24-octet salt)
  --key HEX     master key
  --salt HEX    master salt
  --rtcp        the packets are RTCP/SRTCP (double profiles: outer key only, RFC 8723 §6)
  --roc N       rollover counter of every stream at its first packet (default 0), for a
                stream joined mid-way (RFC 3711 §3.3.1)
  --ekt-key HEX RFC 8870 EKT (double profiles, RTP only): the EKTKey, 16 octets (AESKW128)
                or 32 (AESKW256; required with double-aes256-gcm, RFC 8870 §6)
  --spi N       the EKTKey's SPI, 0..65535 (with --ekt-key)

protect prints each packet as sent. unprotect prints the recovered packet; for the double
profiles its header carries the ORIGINAL PT, SEQ and marker restored from the OHB, the header
extension as received, then the payload.

With --ekt-key, protect appends an EKT Tag to every packet: a FullEKTField carrying the INNER
half of --key (with the inner half of --salt as the EKTKey's salt, RFC 8871 §4.5.1) for the
first three packets of each SSRC and then at least every 100 ms, a ShortEKTField otherwise
(RFC 8870 §4.6). Time is simulated: 20 ms per packet. unprotect processes the tags
(RFC 8870 §4.3.2): the inner key and ROC of each SSRC come from its FullEKTFields, so the inner
half of the receiver's --key is only used until one arrives.
)";

constexpr const char* ekt_help =
    R"(usage: perc ekt wrap   --ekt-key HEX --spi N --ssrc HEX --master-key HEX [--epoch N] [--roc N]
       perc ekt unwrap --ekt-key HEX [FIELD_HEX ...]

RFC 8870 EKT with the ciphers of §4.4.1 (AES Key Wrap with Padding, RFC 5649): the length of
--ekt-key picks AESKW128 (16 octets) or AESKW256 (32 octets).

wrap prints, as one lowercase hex line, the FullEKTField (RFC 8870 §4.1)
    EKTCiphertext | SPI (2) | Epoch (2) | Length (2) | 0x02
whose EKTPlaintext carries --master-key for --ssrc at rollover counter --roc.
  --ekt-key HEX     the EKTKey (ekt_key_value of the DTLS ekt_key message)
  --spi N           security parameter index, 0..65535
  --epoch N         keys this SSRC sent before under this EKTKey, 0..65535 (default 0)
  --ssrc HEX        the SSRC, 4 octets (e.g. cafebabe)
  --roc N           rollover counter, 0..4294967295 (default 0)
  --master-key HEX  SRTP master key, 1..242 octets; in PERC the inner (end-to-end) half

unwrap decrypts each FullEKTField (arguments or, if none are given, one per line on standard
input; each must be exactly one field) and prints one `name: value` line per field:
spi, epoch, length (decimal), ssrc (hex), roc (decimal), master_key (hex). A field that fails
prints `error: <reason>` (e.g. key_unwrap_failed), processing goes on, and the exit status is 1.
)";

constexpr const char* relay_help =
    R"(usage: perc relay --profile P --in-key HEX --in-salt HEX --out-key HEX --out-salt HEX
                  [--set-pt N] [--set-seq N] [--set-marker 0|1] [--rtcp] [PACKET_HEX ...]

A Media Distributor (RFC 8723 §5.2): it holds only the OUTER (hop-by-hop) halves of the keys.
  --profile P        double-aes128-gcm or double-aes256-gcm
  --in-key/--in-salt outer key and salt of the incoming hop (sender -> MD): 16/32 + 12 octets
  --out-key/--out-salt outer key and salt of the outgoing hop (MD -> receiver); must differ
                     from the incoming key (RFC 8723 §9)
  --set-pt N         payload type to send (0..127)
  --set-seq N        sequence number of the first relayed packet; later packets get N+1, N+2...
  --set-marker 0|1   marker bit to send
  --rtcp             relay SRTCP packets (outer keys only) instead of SRTP
The original values of changed fields are recorded in the OHB (first change wins, a value
restored to the original is removed). Each relayed packet is printed as sent.
)";

bool parse_hex(std::string_view s, bytes& out)
{
    out.clear();
    int hi = -1;
    for (char c : s) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
        else if (c == ' ' || c == '\t' || c == ':' || c == '\r') continue;
        else return false;
        if (hi < 0) hi = v;
        else {
            out.push_back(static_cast<std::uint8_t>(hi * 16 + v));
            hi = -1;
        }
    }
    return hi < 0;
}

std::string to_hex(perc::bytes_view b)
{
    static constexpr char d[] = "0123456789abcdef";
    std::string s;
    s.reserve(2 * b.size());
    for (std::uint8_t x : b) {
        s.push_back(d[x >> 4]);
        s.push_back(d[x & 15]);
    }
    return s;
}

bool parse_uint(std::string_view s, std::uint64_t max, std::uint64_t& v)
{
    if (s.empty()) return false;
    char* end = nullptr;
    const std::string str(s);
    errno = 0;
    const unsigned long long x = std::strtoull(str.c_str(), &end, 0);
    if (errno != 0 || *end != '\0' || x > max || str[0] == '-') return false;
    v = x;
    return true;
}

struct options {
    std::map<std::string, std::string> values;
    std::set<std::string> flags;
    std::vector<std::string> packets;
};

int usage_error(const std::string& msg, const char* help)
{
    std::cerr << "perc: " << msg << "\n\n" << help;
    return 2;
}

// Parses --name VALUE pairs, the given boolean flags, and positional packets.
bool parse_options(int argc, char** argv, int first, const std::set<std::string>& with_value,
                   const std::set<std::string>& boolean, options& o, std::string& err)
{
    for (int i = first; i < argc; ++i) {
        std::string a = argv[i];
        if (a.rfind("--", 0) == 0) {
            if (boolean.count(a)) {
                o.flags.insert(a);
            } else if (with_value.count(a)) {
                if (i + 1 >= argc) {
                    err = a + " needs a value";
                    return false;
                }
                o.values[a] = argv[++i];
            } else {
                err = "unknown option " + a;
                return false;
            }
        } else {
            o.packets.push_back(a);
        }
    }
    return true;
}

// Calls f(hex_line) for each packet: the arguments, else the lines of stdin.
template <class F>
void for_each_packet(const options& o, F&& f)
{
    if (!o.packets.empty()) {
        for (const auto& p : o.packets) f(p);
        return;
    }
    std::string line;
    while (std::getline(std::cin, line)) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        f(line);
    }
}

bool require_hex(const options& o, const std::string& name, std::size_t size, bytes& out,
                 std::string& err)
{
    auto it = o.values.find(name);
    if (it == o.values.end()) {
        err = "missing " + name;
        return false;
    }
    if (!parse_hex(it->second, out)) {
        err = name + " is not hex";
        return false;
    }
    if (out.size() != size) {
        err = name + " must be " + std::to_string(size) + " octets, got " +
              std::to_string(out.size());
        return false;
    }
    return true;
}

// --ekt-key: 16 octets (AESKW128) or 32 (AESKW256), RFC 8870 §4.4.1.
bool require_ekt_key(const options& o, bytes& out, std::string& err)
{
    auto it = o.values.find("--ekt-key");
    if (it == o.values.end()) {
        err = "missing --ekt-key";
        return false;
    }
    if (!parse_hex(it->second, out)) {
        err = "--ekt-key is not hex";
        return false;
    }
    if (out.size() != 16 && out.size() != 32) {
        err = "--ekt-key must be 16 or 32 octets, got " + std::to_string(out.size());
        return false;
    }
    return true;
}

bool require_spi(const options& o, std::uint16_t& spi, std::string& err)
{
    auto it = o.values.find("--spi");
    std::uint64_t v = 0;
    if (it == o.values.end()) {
        err = "missing --spi";
        return false;
    }
    if (!parse_uint(it->second, 0xFFFF, v)) {
        err = "--spi must be 0..65535";
        return false;
    }
    spi = static_cast<std::uint16_t>(v);
    return true;
}

// protect/unprotect with RFC 8870 EKT Tags on a double profile. Endpoint is the concrete
// double endpoint, KeyWrap the EKT cipher picked by the EKT key's length. The sender's
// end-to-end key is the inner half of --key and the EKTKey's salt the inner half of --salt
// (RFC 8871 §4.5.1); time advances 20 ms per packet, so the Full/Short schedule of
// RFC 8870 §4.6 is reproducible.
template <class Endpoint, class KeyWrap>
int protect_with_ekt(const options& o, bool protect, const bytes& key, const bytes& salt,
                     const bytes& ekt_key, std::uint16_t spi, std::uint32_t roc)
{
    using sender_type = perc::ekt_sender<KeyWrap, Endpoint::inner_key_size>;
    using receiver_type = perc::ekt_receiver<KeyWrap>;
    constexpr std::uint64_t packet_interval_ms = 20;
    const perc::bytes_view inner_key = perc::bytes_view{key}.first(Endpoint::inner_key_size);
    const perc::bytes_view inner_salt =
        perc::bytes_view{salt}.first(Endpoint::inner_type::master_salt_size);
    const perc::ekt_key_params params{spi, ekt_key, inner_salt, 0};

    Endpoint ep;
    if (perc::errc e = ep.init(key, salt, {1024}); e != perc::errc::ok) {
        std::cerr << "perc: cannot key the context: " << perc::to_string(e) << "\n";
        return 2;
    }
    receiver_type rx;
    if (!protect) {
        perc::errc e = rx.init(1024);
        if (e == perc::errc::ok) e = rx.add_key(params, 0);
        if (e != perc::errc::ok) {
            std::cerr << "perc: cannot key EKT: " << perc::to_string(e) << "\n";
            return 2;
        }
    }
    std::map<std::uint32_t, sender_type> senders; // one EKT sender per SSRC
    std::set<std::uint32_t> seen;
    std::uint64_t now_ms = 0;
    int status = 0;
    bytes in, out;
    for_each_packet(o, [&](const std::string& hex) {
        const std::uint64_t now = now_ms;
        now_ms += packet_interval_ms;
        if (!parse_hex(hex, in)) {
            std::cout << "error: not_hex\n";
            status = 1;
            return;
        }
        auto h = perc::decode_rtp_header(in);
        if (h && roc != 0 && seen.insert(h->ssrc).second) (void)ep.add_stream(h->ssrc, roc, roc);
        if (protect) {
            if (!h) {
                std::cout << "error: " << perc::to_string(h.error()) << "\n";
                status = 1;
                return;
            }
            auto it = senders.find(h->ssrc);
            if (it == senders.end()) {
                sender_type tx;
                perc::errc e = tx.set_ekt_key(params, now);
                if (e == perc::errc::ok) e = tx.set_master_key(h->ssrc, inner_key, now);
                if (e != perc::errc::ok) {
                    std::cout << "error: " << perc::to_string(e) << "\n";
                    status = 1;
                    return;
                }
                it = senders.emplace(h->ssrc, std::move(tx)).first;
            }
            out.assign(in.size() + Endpoint::protect_overhead + sender_type::max_field_size, 0);
            auto r = perc::protect_rtp_with_ekt(ep, it->second, in, out, now);
            if (r) {
                std::cout << to_hex(*r) << "\n";
            } else {
                std::cout << "error: " << perc::to_string(r.error()) << "\n";
                status = 1;
            }
            return;
        }
        out.assign(in.size(), 0);
        auto r = perc::unprotect_rtp_with_ekt(ep, rx, in, out, now);
        if (r) {
            std::cout << to_hex(r->packet) << "\n";
        } else {
            std::cout << "error: " << perc::to_string(r.error()) << "\n";
            status = 1;
        }
    });
    return status;
}

// The --profile option, by RFC name or short name.
bool require_profile(const options& o, const perc::profile_info*& info, std::string& err)
{
    const auto prof = o.values.find("--profile");
    if (prof == o.values.end()) {
        err = "missing --profile";
        return false;
    }
    info = perc::find_profile(prof->second);
    if (info == nullptr) err = "unknown profile " + prof->second;
    return info != nullptr;
}

int run_protect(int argc, char** argv, bool protect)
{
    options o;
    std::string err;
    if (!parse_options(argc, argv, 2,
                       {"--profile", "--key", "--salt", "--roc", "--ekt-key", "--spi"},
                       {"--rtcp", "--help"}, o, err))
        return usage_error(err, protect_help);
    if (o.flags.count("--help")) {
        std::cout << protect_help;
        return 0;
    }
    const perc::profile_info* info = nullptr;
    if (!require_profile(o, info, err)) return usage_error(err, protect_help);
    bytes key, salt;
    if (!require_hex(o, "--key", info->master_key_size, key, err) ||
        !require_hex(o, "--salt", info->master_salt_size, salt, err))
        return usage_error(err, protect_help);
    std::uint64_t roc = 0;
    if (auto r = o.values.find("--roc");
        r != o.values.end() && !parse_uint(r->second, 0xFFFFFFFFu, roc))
        return usage_error("--roc must be 0..4294967295", protect_help);
    const bool rtcp = o.flags.count("--rtcp") != 0;

    const bool ekt = o.values.count("--ekt-key") != 0;
    if (ekt != (o.values.count("--spi") != 0))
        return usage_error("--ekt-key and --spi go together", protect_help);
    if (ekt) {
        if (!info->is_double)
            return usage_error("--ekt-key needs a double profile (EKT carries the inner key)",
                               protect_help);
        if (rtcp)
            return usage_error("--ekt-key applies to RTP only (RFC 8870 §4: EKT is for SRTP)",
                               protect_help);
        bytes ekt_key;
        std::uint16_t spi = 0;
        if (!require_ekt_key(o, ekt_key, err) || !require_spi(o, spi, err))
            return usage_error(err, protect_help);
        const auto r = static_cast<std::uint32_t>(roc);
        if (info->profile == perc::srtp_profile::double_aead_aes_128_gcm_aead_aes_128_gcm) {
            if (ekt_key.size() == 16)
                return protect_with_ekt<perc::botan::double_aes_128_gcm, perc::botan::aeskw_128>(
                    o, protect, key, salt, ekt_key, spi, r);
            return protect_with_ekt<perc::botan::double_aes_128_gcm, perc::botan::aeskw_256>(
                o, protect, key, salt, ekt_key, spi, r);
        }
        if (ekt_key.size() != 32)
            return usage_error("--ekt-key must be 32 octets with " + std::string(info->cli_name) +
                                   ": the EKT key must be at least as long as the SRTP key "
                                   "(RFC 8870 §6)",
                               protect_help);
        return protect_with_ekt<perc::botan::double_aes_256_gcm, perc::botan::aeskw_256>(
            o, protect, key, salt, ekt_key, spi, r);
    }

    perc::botan::any_endpoint ep;
    if (perc::errc e = perc::botan::make_endpoint(static_cast<std::uint16_t>(info->profile), key,
                                                  salt, ep, 1024);
        e != perc::errc::ok) {
        std::cerr << "perc: cannot key the context: " << perc::to_string(e) << "\n";
        return 2;
    }
    std::set<std::uint32_t> seen;
    int status = 0;
    bytes in, out;
    for_each_packet(o, [&](const std::string& hex) {
        if (!parse_hex(hex, in)) {
            std::cout << "error: not_hex\n";
            status = 1;
            return;
        }
        // A new SSRC starts at --roc (RTP only: SRTCP carries its index explicitly).
        if (!rtcp && roc != 0) {
            if (auto h = perc::decode_rtp_header(in); h && seen.insert(h->ssrc).second)
                (void)perc::botan::add_stream(ep, h->ssrc, static_cast<std::uint32_t>(roc));
        }
        out.assign(in.size() + perc::botan::any_endpoint_max_overhead + 4, 0);
        perc::result<perc::bytes_span> r =
            rtcp ? (protect ? perc::botan::protect_rtcp(ep, in, out)
                            : perc::botan::unprotect_rtcp(ep, in, out))
                 : (protect ? perc::botan::protect_rtp(ep, in, out)
                            : perc::botan::unprotect_rtp(ep, in, out));
        if (r) {
            std::cout << to_hex(*r) << "\n";
        } else {
            std::cout << "error: " << perc::to_string(r.error()) << "\n";
            status = 1;
        }
    });
    return status;
}

template <class Md>
int relay_with(const options& o, const perc::profile_info& info)
{
    using link_type = typename Md::link_type;
    std::string err;
    const std::size_t k = info.master_key_size / 2, s = info.master_salt_size / 2;
    bytes in_key, in_salt, out_key, out_salt;
    if (!require_hex(o, "--in-key", k, in_key, err) ||
        !require_hex(o, "--in-salt", s, in_salt, err) ||
        !require_hex(o, "--out-key", k, out_key, err) ||
        !require_hex(o, "--out-salt", s, out_salt, err))
        return usage_error(err, relay_help);
    perc::relay_changes changes;
    std::uint64_t v = 0;
    if (auto it = o.values.find("--set-pt"); it != o.values.end()) {
        if (!parse_uint(it->second, 127, v))
            return usage_error("--set-pt must be 0..127", relay_help);
        changes.payload_type = static_cast<std::uint8_t>(v);
    }
    std::optional<std::uint16_t> next_seq;
    if (auto it = o.values.find("--set-seq"); it != o.values.end()) {
        if (!parse_uint(it->second, 0xFFFF, v))
            return usage_error("--set-seq must be 0..65535", relay_help);
        next_seq = static_cast<std::uint16_t>(v);
    }
    if (auto it = o.values.find("--set-marker"); it != o.values.end()) {
        if (it->second != "0" && it->second != "1")
            return usage_error("--set-marker must be 0 or 1", relay_help);
        changes.marker = it->second == "1";
    }
    // One link: it receives with the incoming hop key and sends with the outgoing one.
    link_type link;
    if (perc::errc e = link.init(in_key, in_salt, out_key, out_salt, {1024, true});
        e != perc::errc::ok) {
        std::cerr << "perc: cannot key the relay: " << perc::to_string(e) << "\n";
        return 2;
    }
    Md md;
    const bool rtcp = o.flags.count("--rtcp") != 0;
    int status = 0;
    bytes in, out;
    for_each_packet(o, [&](const std::string& hex) {
        if (!parse_hex(hex, in)) {
            std::cout << "error: not_hex\n";
            status = 1;
            return;
        }
        out.assign(in.size() + Md::relay_growth + 16, 0);
        if (rtcp) {
            auto r = md.relay_rtcp(link, link, in, out);
            if (r) std::cout << to_hex(*r) << "\n";
            else {
                std::cout << "error: " << perc::to_string(r.error()) << "\n";
                status = 1;
            }
            return;
        }
        changes.seq = next_seq;
        auto r = md.relay_rtp(link, link, in, out, changes);
        if (r) {
            std::cout << to_hex(r->packet) << "\n";
            if (next_seq) next_seq = static_cast<std::uint16_t>(*next_seq + 1);
        } else {
            std::cout << "error: " << perc::to_string(r.error()) << "\n";
            status = 1;
        }
    });
    return status;
}

int run_relay(int argc, char** argv)
{
    options o;
    std::string err;
    if (!parse_options(argc, argv, 2,
                       {"--profile", "--in-key", "--in-salt", "--out-key", "--out-salt", "--set-pt",
                        "--set-seq", "--set-marker"},
                       {"--rtcp", "--help"}, o, err))
        return usage_error(err, relay_help);
    if (o.flags.count("--help")) {
        std::cout << relay_help;
        return 0;
    }
    const perc::profile_info* info = nullptr;
    if (!require_profile(o, info, err)) return usage_error(err, relay_help);
    if (!info->is_double)
        return usage_error("relay needs a double profile (a Media Distributor rewrites the OHB)",
                           relay_help);
    if (info->profile == perc::srtp_profile::double_aead_aes_128_gcm_aead_aes_128_gcm)
        return relay_with<perc::botan::media_distributor_aes_128_gcm>(o, *info);
    return relay_with<perc::botan::media_distributor_aes_256_gcm>(o, *info);
}

// RFC 8870 §4.1 FullEKTField for one EKTPlaintext, under the EKT cipher KeyWrap.
template <class KeyWrap>
perc::errc wrap_ekt_field(const bytes& ekt_key, const perc::ekt_plaintext& p, std::uint16_t spi,
                          std::uint16_t epoch, bytes& field)
{
    KeyWrap wrap;
    if (perc::errc e = wrap.set_key(
            std::span<const std::uint8_t, KeyWrap::key_size>{ekt_key.data(), KeyWrap::key_size});
        e != perc::errc::ok)
        return e;
    std::array<std::uint8_t, perc::ekt_plaintext_size(perc::ekt_max_master_key_size)> plain{};
    const perc::scoped_wipe wipe{plain};
    auto n = perc::encode_ekt_plaintext(p, plain);
    if (!n) return n.error();
    std::array<std::uint8_t, KeyWrap::wrapped_size(plain.size())> ciphertext{};
    auto c = wrap.wrap(perc::bytes_view{plain.data(), *n}, ciphertext);
    if (!c) return c.error();
    field.assign(c->size() + perc::ekt_full_trailer_size, 0);
    auto f = perc::encode_full_ekt_field(*c, spi, epoch, field);
    if (!f) return f.error();
    field.resize(*f);
    return perc::errc::ok;
}

int run_ekt_wrap(int argc, char** argv)
{
    options o;
    std::string err;
    if (!parse_options(argc, argv, 3,
                       {"--ekt-key", "--spi", "--epoch", "--ssrc", "--roc", "--master-key"},
                       {"--help"}, o, err))
        return usage_error(err, ekt_help);
    if (o.flags.count("--help")) {
        std::cout << ekt_help;
        return 0;
    }
    if (!o.packets.empty()) return usage_error("ekt wrap takes no packets", ekt_help);
    bytes ekt_key, ssrc, master_key;
    std::uint16_t spi = 0;
    if (!require_ekt_key(o, ekt_key, err) || !require_spi(o, spi, err))
        return usage_error(err, ekt_help);
    std::uint64_t epoch = 0, roc = 0;
    if (auto it = o.values.find("--epoch");
        it != o.values.end() && !parse_uint(it->second, 0xFFFF, epoch))
        return usage_error("--epoch must be 0..65535", ekt_help);
    if (auto it = o.values.find("--roc");
        it != o.values.end() && !parse_uint(it->second, 0xFFFFFFFFu, roc))
        return usage_error("--roc must be 0..4294967295", ekt_help);
    if (auto it = o.values.find("--ssrc"); it == o.values.end()) {
        return usage_error("missing --ssrc", ekt_help);
    } else {
        std::string_view v = it->second;
        if (v.rfind("0x", 0) == 0 || v.rfind("0X", 0) == 0) v.remove_prefix(2);
        if (!parse_hex(v, ssrc) || ssrc.size() != 4)
            return usage_error("--ssrc must be 4 octets of hex, e.g. cafebabe", ekt_help);
    }
    if (auto it = o.values.find("--master-key"); it == o.values.end()) {
        return usage_error("missing --master-key", ekt_help);
    } else if (!parse_hex(it->second, master_key)) {
        return usage_error("--master-key is not hex", ekt_help);
    } else if (master_key.empty() || master_key.size() > perc::ekt_max_master_key_size) {
        return usage_error("--master-key must be 1..242 octets, got " +
                               std::to_string(master_key.size()),
                           ekt_help);
    }
    const perc::ekt_plaintext p{master_key, perc::load_be32(ssrc.data()),
                                static_cast<std::uint32_t>(roc)};
    bytes field;
    const perc::errc e = ekt_key.size() == 16
                             ? wrap_ekt_field<perc::botan::aeskw_128>(
                                   ekt_key, p, spi, static_cast<std::uint16_t>(epoch), field)
                             : wrap_ekt_field<perc::botan::aeskw_256>(
                                   ekt_key, p, spi, static_cast<std::uint16_t>(epoch), field);
    perc::secure_wipe(master_key);
    if (e != perc::errc::ok) {
        std::cout << "error: " << perc::to_string(e) << "\n";
        return 1;
    }
    std::cout << to_hex(field) << "\n";
    return 0;
}

// Prints the contents of each FullEKTField (RFC 8870 §4.1, §4.3.2 steps 1, 3 and 4).
template <class KeyWrap>
int unwrap_ekt_fields(const options& o, const bytes& ekt_key)
{
    KeyWrap wrap;
    if (perc::errc e = wrap.set_key(
            std::span<const std::uint8_t, KeyWrap::key_size>{ekt_key.data(), KeyWrap::key_size});
        e != perc::errc::ok) {
        std::cerr << "perc: cannot key EKT: " << perc::to_string(e) << "\n";
        return 2;
    }
    int status = 0;
    bytes in;
    for_each_packet(o, [&](const std::string& hex) {
        auto fail = [&](perc::errc e) {
            std::cout << "error: " << perc::to_string(e) << "\n";
            status = 1;
        };
        if (!parse_hex(hex, in)) {
            std::cout << "error: not_hex\n";
            status = 1;
            return;
        }
        auto f = perc::decode_ekt_field(in);
        if (!f) return fail(f.error());
        // A ShortEKTField carries nothing to unwrap; other types are not known (§4.1).
        if (f->kind == perc::ekt_kind::short_field) return fail(perc::errc::invalid_argument);
        if (f->kind == perc::ekt_kind::unknown) return fail(perc::errc::ekt_unknown_type);
        // Exactly one field: its Length must account for every octet given.
        if (!f->srtp.empty()) return fail(perc::errc::ekt_bad_length);
        std::array<std::uint8_t, perc::ekt_max_ciphertext_size> plain{};
        const perc::scoped_wipe wipe{plain};
        auto p = wrap.unwrap(f->full.ciphertext, plain);
        if (!p) return fail(p.error());
        auto pt = perc::decode_ekt_plaintext(*p);
        if (!pt) return fail(pt.error());
        std::array<std::uint8_t, 4> ssrc{};
        perc::store_be32(ssrc.data(), pt->ssrc);
        std::cout << "spi: " << f->full.spi << "\n"
                  << "epoch: " << f->full.epoch << "\n"
                  << "length: " << f->tag.size() << "\n"
                  << "ssrc: " << to_hex(ssrc) << "\n"
                  << "roc: " << pt->roc << "\n"
                  << "master_key: " << to_hex(pt->master_key) << "\n";
    });
    return status;
}

int run_ekt_unwrap(int argc, char** argv)
{
    options o;
    std::string err;
    if (!parse_options(argc, argv, 3, {"--ekt-key"}, {"--help"}, o, err))
        return usage_error(err, ekt_help);
    if (o.flags.count("--help")) {
        std::cout << ekt_help;
        return 0;
    }
    bytes ekt_key;
    if (!require_ekt_key(o, ekt_key, err)) return usage_error(err, ekt_help);
    if (ekt_key.size() == 16) return unwrap_ekt_fields<perc::botan::aeskw_128>(o, ekt_key);
    return unwrap_ekt_fields<perc::botan::aeskw_256>(o, ekt_key);
}

int run_ekt(int argc, char** argv)
{
    if (argc < 3) return usage_error("ekt needs wrap or unwrap", ekt_help);
    const std::string_view sub = argv[2];
    if (sub == "--help" || sub == "-h" || sub == "help") {
        std::cout << ekt_help;
        return 0;
    }
    if (sub == "wrap") return run_ekt_wrap(argc, argv);
    if (sub == "unwrap") return run_ekt_unwrap(argc, argv);
    return usage_error("unknown ekt command " + std::string(sub), ekt_help);
}

} // namespace

int main(int argc, char** argv)
{
    if (argc < 2) {
        std::cerr << main_help;
        return 2;
    }
    const std::string_view cmd = argv[1];
    if (cmd == "--help" || cmd == "-h" || cmd == "help") {
        std::cout << main_help;
        return 0;
    }
    if (cmd == "--version") {
        std::cout << "perc " PERC_VERSION_STRING "\n";
        return 0;
    }
    if (cmd == "protect") return run_protect(argc, argv, true);
    if (cmd == "unprotect") return run_protect(argc, argv, false);
    if (cmd == "relay") return run_relay(argc, argv);
    if (cmd == "ekt") return run_ekt(argc, argv);
    if (cmd == "demo") return perc_demo::run_demo(argc, argv);
    return usage_error("unknown command " + std::string(cmd), main_help);
}
