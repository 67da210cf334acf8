#!/usr/bin/env python3
"""`perc demo` as a test (issue #5): runs simulated conferences with fixed seeds — the demo
asserts its own invariants and exits 1 if one fails — checks its usage errors, and reads back
the --pcap file to check that every record is an IPv4/UDP datagram carrying RTP or RTCP
version 2 between the hosts the demo announces.

Usage: demo_test.py PATH_TO_PERC
"""

import os
import struct
import subprocess
import sys
import tempfile

PERC = sys.argv[1]
failures = []


def run(*args):
    return subprocess.run([PERC, "demo", *args], capture_output=True, text=True, timeout=300)


def expect(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


# The invariants, for the configurations the README and the issue name.
for args in (["--seed", "1"],
             ["--mds", "2", "--seed", "2"],
             ["--endpoints", "6", "--mds", "2", "--seconds", "5", "--seed", "3"],
             ["--profile", "double-aes256-gcm", "--seed", "4"],
             ["--endpoints", "2", "--seconds", "1", "--seed", "5"]):
    r = run(*args)
    ok = r.returncode == 0 and "All invariants held." in r.stdout and "FAILED" not in r.stdout
    expect(ok, "demo " + " ".join(args))
    if not ok:
        print(r.stdout[-3000:], r.stderr[-2000:])

# Same seed, same output (keys, payloads and every counter are reproducible).
a, b = run("--seed", "9", "--quiet"), run("--seed", "9", "--quiet")
expect(a.returncode == 0 and a.stdout == b.stdout, "same seed gives the same run")

# The summary names the pieces the issue asks for.
r = run("--seed", "1")
for needle in ("UnsupportedVersion", "MediaKeys 4", "EndpointDisconnect 1", "late", "re-keyed",
               "auth_failed / auth_failed", "tampered", "rewrites"):
    expect(needle in r.stdout, "summary mentions " + needle)

# Usage errors exit 2 and change nothing.
for bad in (["--endpoints", "1"], ["--mds", "3"], ["--seconds", "0"], ["--profile", "aes128-gcm"],
            ["--bogus", "1"], ["--seed"]):
    r = run(*bad)
    expect(r.returncode == 2 and "usage: perc demo" in r.stderr, "usage error: " + " ".join(bad))
r = run("--help")
expect(r.returncode == 0 and "--pcap" in r.stdout, "--help")

# --pcap: a well-formed capture Wireshark can open (LINKTYPE_RAW = 101, IPv4/UDP, RTP/RTCP v2).
with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "conference.pcap")
    r = run("--mds", "2", "--seconds", "2", "--seed", "6", "--pcap", path)
    if r.returncode != 0 and "without libpcap" in r.stderr:
        print("skip pcap checks: perc was built without libpcap")
    else:
        expect(r.returncode == 0, "demo --pcap runs")
        data = open(path, "rb").read()
        magic, vmaj, vmin, _, _, snaplen, linktype = struct.unpack("<IHHiIII", data[:24])
        expect(magic == 0xA1B2C3D4 and (vmaj, vmin) == (2, 4), "pcap global header")
        expect(linktype == 101, "pcap link type RAW (IPv4)")
        off, records, rtp, rtcp, dtls, bad, last_ts = 24, 0, 0, 0, 0, 0, 0
        while off < len(data):
            sec, usec, caplen, length = struct.unpack("<IIII", data[off:off + 16])
            pkt = data[off + 16:off + 16 + caplen]
            off += 16 + caplen
            records += 1
            ts = sec * 1_000_000 + usec
            if ts < last_ts:
                bad += 1
            last_ts = ts
            if caplen != length or len(pkt) < 28 or pkt[0] != 0x45 or pkt[9] != 17:
                bad += 1
                continue
            total = struct.unpack(">H", pkt[2:4])[0]
            csum = 0
            for i in range(0, 20, 2):
                csum += (pkt[i] << 8) | pkt[i + 1]
            while csum > 0xFFFF:
                csum = (csum & 0xFFFF) + (csum >> 16)
            udp_len = struct.unpack(">H", pkt[24:26])[0]
            if total != len(pkt) or csum != 0xFFFF or udp_len != len(pkt) - 20:
                bad += 1
                continue
            payload = pkt[28:]
            if payload[0] >> 6 != 2:
                if 20 <= payload[0] <= 63:  # DTLS (RFC 7983 demultiplexing)
                    dtls += 1
                else:
                    bad += 1
                continue
            if 200 <= payload[1] <= 204:
                rtcp += 1
            else:
                rtp += 1
        printed = [l for l in r.stdout.splitlines() if l.startswith("pcap: ")]
        expect(printed and printed[0].split()[1] == str(records),
               "record count matches the summary (%d)" % records)
        expect(bad == 0, "every record is IPv4/UDP with a valid header, in time order")
        expect(rtp > 1000 and rtcp > 10 and dtls >= 12,
               "RTP (%d), RTCP (%d) and DTLS (%d) records present" % (rtp, rtcp, dtls))

print("%d failure(s)" % len(failures))
sys.exit(1 if failures else 0)
