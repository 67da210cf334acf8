// perc demo — writes simulated UDP/IPv4 datagrams to a pcap file through libpcap, so a
// conference can be opened in Wireshark (enable the rtp_udp heuristic, or Decode As RTP).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#if PERC_HAVE_PCAP
#include <pcap/pcap.h>
#endif

namespace perc_demo {

/// One IPv4 address and UDP port per simulated host.
struct udp_address {
    std::uint32_t ip = 0; ///< host byte order, e.g. 10.0.0.1 = 0x0A000001
    std::uint16_t port = 0;
};

class pcap_writer {
public:
    pcap_writer() = default;
    pcap_writer(const pcap_writer&) = delete;
    pcap_writer& operator=(const pcap_writer&) = delete;
    ~pcap_writer() { close(); }

    static constexpr bool available() noexcept { return PERC_HAVE_PCAP != 0; }

    /// Opens `path` for writing (LINKTYPE_RAW: each record is an IPv4 packet). Returns an
    /// error message, or an empty string.
    std::string open(const std::string& path)
    {
#if PERC_HAVE_PCAP
        pcap_ = pcap_open_dead(DLT_RAW, 65535);
        if (pcap_ == nullptr) return "pcap_open_dead failed";
        dumper_ = pcap_dump_open(pcap_, path.c_str());
        if (dumper_ == nullptr) {
            std::string err = pcap_geterr(pcap_);
            close();
            return "cannot write " + path + ": " + err;
        }
        return {};
#else
        (void)path;
        return "this perc was built without libpcap (install libpcap-dev and rebuild)";
#endif
    }

    bool is_open() const noexcept
    {
#if PERC_HAVE_PCAP
        return dumper_ != nullptr;
#else
        return false;
#endif
    }

    /// Appends one UDP datagram sent at simulated time `t_us` (microseconds).
    void write(std::uint64_t t_us, udp_address from, udp_address to, const std::uint8_t* payload,
               std::size_t size)
    {
#if PERC_HAVE_PCAP
        if (dumper_ == nullptr || size > 65535 - 28) return;
        frame_.assign(28 + size, 0);
        std::uint8_t* ip = frame_.data();
        const std::size_t total = 28 + size;
        ip[0] = 0x45; // IPv4, 20-octet header
        put16(ip + 2, static_cast<std::uint16_t>(total));
        put16(ip + 4, id_++);
        ip[8] = 64; // TTL
        ip[9] = 17; // UDP
        put32(ip + 12, from.ip);
        put32(ip + 16, to.ip);
        std::uint32_t sum = 0;
        for (std::size_t i = 0; i < 20; i += 2)
            sum += static_cast<std::uint32_t>(ip[i] << 8 | ip[i + 1]);
        while (sum > 0xFFFF) sum = (sum & 0xFFFF) + (sum >> 16);
        put16(ip + 10, static_cast<std::uint16_t>(~sum));
        std::uint8_t* udp = ip + 20;
        put16(udp, from.port);
        put16(udp + 2, to.port);
        put16(udp + 4, static_cast<std::uint16_t>(8 + size));
        // UDP checksum 0: "no checksum" is allowed over IPv4 (RFC 768).
        for (std::size_t i = 0; i < size; ++i) udp[8 + i] = payload[i];
        pcap_pkthdr h{};
        h.ts.tv_sec = static_cast<decltype(h.ts.tv_sec)>(t_us / 1000000);
        h.ts.tv_usec = static_cast<decltype(h.ts.tv_usec)>(t_us % 1000000);
        h.caplen = static_cast<bpf_u_int32>(total);
        h.len = static_cast<bpf_u_int32>(total);
        pcap_dump(reinterpret_cast<u_char*>(dumper_), &h, frame_.data());
        ++records_;
#else
        (void)t_us, (void)from, (void)to, (void)payload, (void)size;
#endif
    }

    std::size_t records() const noexcept
    {
        return records_;
    }

    void close() noexcept
    {
#if PERC_HAVE_PCAP
        if (dumper_ != nullptr) pcap_dump_close(dumper_);
        if (pcap_ != nullptr) pcap_close(pcap_);
        dumper_ = nullptr;
        pcap_ = nullptr;
#endif
    }

private:
    static void put16(std::uint8_t* p, std::uint16_t v)
    {
        p[0] = static_cast<std::uint8_t>(v >> 8);
        p[1] = static_cast<std::uint8_t>(v);
    }
    static void put32(std::uint8_t* p, std::uint32_t v)
    {
        put16(p, static_cast<std::uint16_t>(v >> 16));
        put16(p + 2, static_cast<std::uint16_t>(v));
    }

#if PERC_HAVE_PCAP
    pcap_t* pcap_ = nullptr;
    pcap_dumper_t* dumper_ = nullptr;
#endif
    std::vector<std::uint8_t> frame_;
    std::uint16_t id_ = 1;
    std::size_t records_ = 0;
};

} // namespace perc_demo
