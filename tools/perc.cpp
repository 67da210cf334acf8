// perc — command-line tool: protect, unprotect and relay packets with the perc library.
#include <perc/botan/profiles.hpp>
#include <perc/errc.hpp>
#include <perc/keying_material.hpp>
#include <perc/media_distributor.hpp>
#include <perc/rtcp_header.hpp>
#include <perc/rtp_header.hpp>
#include <perc/suites.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

using bytes = std::vector<std::uint8_t>;

constexpr const char* main_help = R"(perc — PERC media security (RFC 8723 double SRTP, RFC 7714 AES-GCM)

usage: perc <command> [options] [PACKET_HEX ...]

commands:
  protect     protect RTP (or with --rtcp, RTCP) packets
  unprotect   verify and decrypt SRTP (or SRTCP) packets
  relay       act as a Media Distributor: outer-decrypt, rewrite, outer-encrypt

Packets come as arguments or, if none are given, one hex packet per line on standard input.
All packets of one invocation go through one context in order, so ROC and replay behave as
in a real stream. Each result is one lowercase hex line; a packet that fails prints
`error: <reason>` on its line, processing goes on, and the exit status is 1.

Run `perc <command> --help` for the options of a command.
)";

constexpr const char* protect_help = R"(usage: perc protect   --profile P --key HEX --salt HEX [--rtcp] [--roc N] [PACKET_HEX ...]
       perc unprotect --profile P --key HEX --salt HEX [--rtcp] [--roc N] [PACKET_HEX ...]

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

protect prints each packet as sent. unprotect prints the recovered packet; for the double
profiles its header carries the ORIGINAL PT, SEQ and marker restored from the OHB, the header
extension as received, then the payload.
)";

constexpr const char* relay_help = R"(usage: perc relay --profile P --in-key HEX --in-salt HEX --out-key HEX --out-salt HEX
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

int run_protect(int argc, char** argv, bool protect)
{
    options o;
    std::string err;
    if (!parse_options(argc, argv, 2, {"--profile", "--key", "--salt", "--roc"},
                       {"--rtcp", "--help"}, o, err))
        return usage_error(err, protect_help);
    if (o.flags.count("--help")) {
        std::cout << protect_help;
        return 0;
    }
    const auto prof = o.values.find("--profile");
    if (prof == o.values.end()) return usage_error("missing --profile", protect_help);
    const perc::profile_info* info = perc::find_profile(prof->second);
    if (!info) return usage_error("unknown profile " + prof->second, protect_help);
    bytes key, salt;
    if (!require_hex(o, "--key", info->master_key_size, key, err) ||
        !require_hex(o, "--salt", info->master_salt_size, salt, err))
        return usage_error(err, protect_help);
    std::uint64_t roc = 0;
    if (auto r = o.values.find("--roc"); r != o.values.end() && !parse_uint(r->second, 0xFFFFFFFFu, roc))
        return usage_error("--roc must be 0..4294967295", protect_help);
    const bool rtcp = o.flags.count("--rtcp") != 0;

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
    if (!require_hex(o, "--in-key", k, in_key, err) || !require_hex(o, "--in-salt", s, in_salt, err) ||
        !require_hex(o, "--out-key", k, out_key, err) ||
        !require_hex(o, "--out-salt", s, out_salt, err))
        return usage_error(err, relay_help);
    perc::relay_changes changes;
    std::uint64_t v = 0;
    if (auto it = o.values.find("--set-pt"); it != o.values.end()) {
        if (!parse_uint(it->second, 127, v)) return usage_error("--set-pt must be 0..127", relay_help);
        changes.payload_type = static_cast<std::uint8_t>(v);
    }
    std::optional<std::uint16_t> next_seq;
    if (auto it = o.values.find("--set-seq"); it != o.values.end()) {
        if (!parse_uint(it->second, 0xFFFF, v)) return usage_error("--set-seq must be 0..65535", relay_help);
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
                       {"--profile", "--in-key", "--in-salt", "--out-key", "--out-salt",
                        "--set-pt", "--set-seq", "--set-marker"},
                       {"--rtcp", "--help"}, o, err))
        return usage_error(err, relay_help);
    if (o.flags.count("--help")) {
        std::cout << relay_help;
        return 0;
    }
    const auto prof = o.values.find("--profile");
    if (prof == o.values.end()) return usage_error("missing --profile", relay_help);
    const perc::profile_info* info = perc::find_profile(prof->second);
    if (!info) return usage_error("unknown profile " + prof->second, relay_help);
    if (!info->is_double)
        return usage_error("relay needs a double profile (a Media Distributor rewrites the OHB)",
                           relay_help);
    if (info->profile == perc::srtp_profile::double_aead_aes_128_gcm_aead_aes_128_gcm)
        return relay_with<perc::botan::media_distributor_aes_128_gcm>(o, *info);
    return relay_with<perc::botan::media_distributor_aes_256_gcm>(o, *info);
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
    return usage_error("unknown command " + std::string(cmd), main_help);
}
