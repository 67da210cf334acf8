#!/usr/bin/env python3
"""End-to-end tests of the `perc` command-line tool (RFC 8723 protect -> relay -> unprotect).

Expected bytes are the computed vectors of rfc8723-double.md §12.1 (D1 and D3) and
RFC 7714 §16.1.1, not this library's output.
"""
import subprocess
import sys

PERC = sys.argv[1]
failures = 0
checks = 0


def run(args, stdin=None):
    p = subprocess.run([PERC] + args, input=stdin, capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def check(name, cond, detail=""):
    global failures, checks
    checks += 1
    if not cond:
        failures += 1
        print(f"FAIL {name}: {detail}")


KEY = "000102030405060708090a0b0c0d0e0f404142434445464748494a4b4c4d4e4f"
SALT = "517569642070726f2071756fa0a1a2a3a4a5a6a7a8a9aaab"
D1_IN = ("80601234decafbadcafebabe47616c6c696120657374206f6d6e697320646976"
         "69736120696e2070617274657320747265 73").replace(" ", "")
D1_WIRE = ("80601234decafbadcafebabe515e5e45169812fcebf556152f25679ba9712a90"
           "b9317e1853740bb4bb7fd056911a9097d130ed4060b157252ebaab0b401fb122"
           "a4bdd399c6d7cef0e0f13d2ca7e7038f0dc0a2")
D3_WIRE = ("80e45678decafbadcafebabe4e16a7ed17dcfd8bb77a452f5cbc6b8c3d559e2b"
           "c4525b70711595b40892f93523fc9e7143b0683b569a7e526a9daf266c1fd1ae"
           "f09d1d78f0ed043e2e84b7833ba75e085b3d0575a57b")
HOP_IN = ["--in-key", "404142434445464748494a4b4c4d4e4f", "--in-salt", "a0a1a2a3a4a5a6a7a8a9aaab"]
HOP_OUT = ["--out-key", "808182838485868788898a8b8c8d8e8f", "--out-salt", "b0b1b2b3b4b5b6b7b8b9babb"]
RX_KEY = "000102030405060708090a0b0c0d0e0f808182838485868788898a8b8c8d8e8f"
RX_SALT = "517569642070726f2071756fb0b1b2b3b4b5b6b7b8b9babb"

# RFC 8723 §5.1 sender (digest D1).
rc, out, err = run(["protect", "--profile", "double-aes128-gcm", "--key", KEY, "--salt", SALT, D1_IN])
check("protect D1", rc == 0 and out.strip() == D1_WIRE, out + err)

# RFC 8723 §5.2 MD relay setting M=1, PT=100, SEQ=0x5678 (digest D3).
rc, out, err = run(["relay", "--profile", "double-aes128-gcm"] + HOP_IN + HOP_OUT +
                   ["--set-pt", "100", "--set-seq", "0x5678", "--set-marker", "1", D1_WIRE])
check("relay D3", rc == 0 and out.strip() == D3_WIRE, out + err)

# RFC 8723 §5.3 receiver: original PT/SEQ/M restored in the printed packet.
rc, out, err = run(["unprotect", "--profile", "double-aes128-gcm", "--key", RX_KEY, "--salt", RX_SALT, D3_WIRE])
check("unprotect D3", rc == 0 and out.strip() == D1_IN, out + err)

# Packets from stdin, one per line, through one context: a replay is refused.
rc, out, err = run(["unprotect", "--profile", "double-aes128-gcm", "--key", RX_KEY, "--salt", RX_SALT],
                   stdin=D3_WIRE + "\n" + D3_WIRE + "\n")
lines = out.strip().split("\n")
check("stdin + replay", rc == 1 and lines == [D1_IN, "error: replayed"], out + err)

# A failing packet prints its error, processing goes on, exit status 1.
bad = D3_WIRE[:-2] + ("00" if D3_WIRE[-2:] != "00" else "01")
rc, out, err = run(["unprotect", "--profile", "double-aes128-gcm", "--key", RX_KEY, "--salt", RX_SALT,
                    bad, D3_WIRE, "zz"])
check("errors continue", rc == 1 and out.strip().split("\n") == ["error: auth_failed", D1_IN, "error: not_hex"],
      out + err)

# Single RFC 7714 layer: RFC 7714 §16.1.1 uses session keys, so check a round trip instead.
K1, S1 = "000102030405060708090a0b0c0d0e0f", "517569642070726f2071756f"
rtp = "8040f17b8041f8d35501a0b247616c6c69612065"
rc, out, err = run(["protect", "--profile", "aes128-gcm", "--key", K1, "--salt", S1, rtp])
prot = out.strip()
check("single protect size", rc == 0 and len(prot) == len(rtp) + 32, out + err)
rc, out, err = run(["unprotect", "--profile", "aes128-gcm", "--key", K1, "--salt", S1, prot])
check("single round trip", rc == 0 and out.strip() == rtp, out + err)

# --roc: a stream that joined mid-way.
rc, out, err = run(["protect", "--profile", "aes256-gcm", "--key", "11" * 32, "--salt", S1, "--roc", "7", rtp])
p7 = out.strip()
rc0, out0, _ = run(["unprotect", "--profile", "aes256-gcm", "--key", "11" * 32, "--salt", S1, p7])
rc7, out7, _ = run(["unprotect", "--profile", "aes256-gcm", "--key", "11" * 32, "--salt", S1, "--roc", "7", p7])
check("roc", out0.strip() == "error: auth_failed" and out7.strip() == rtp, out0 + out7)

# RTCP through the outer key of a double profile (RFC 8723 §6).
rtcp = "81c8000d4d6172734e5450314e54503252545020"
rc, out, err = run(["protect", "--rtcp", "--profile", "double-aes256-gcm", "--key", "22" * 64, "--salt", "33" * 24, rtcp])
sr = out.strip()
rc, out, err = run(["unprotect", "--rtcp", "--profile", "double-aes256-gcm", "--key", "22" * 64, "--salt", "33" * 24, sr])
check("rtcp double", rc == 0 and out.strip() == rtcp, out + err)

# Usage errors: exit 2 with a message; help: exit 0.
rc, out, err = run(["protect", "--profile", "double-aes128-gcm", "--key", "00", "--salt", SALT])
check("bad key size", rc == 2 and "--key must be 32 octets" in err, err)
rc, out, err = run(["relay", "--profile", "aes128-gcm"] + HOP_IN + HOP_OUT)
check("relay single profile", rc == 2 and "double profile" in err, err)
rc, out, err = run(["relay", "--profile", "double-aes128-gcm"] + HOP_IN +
                   ["--out-key", "404142434445464748494a4b4c4d4e4f", "--out-salt", "a0a1a2a3a4a5a6a7a8a9aaab"])
check("same hop keys", rc == 2 and "same_hop_keys" in err, err)
for cmd in (["--help"], ["protect", "--help"], ["unprotect", "--help"], ["relay", "--help"]):
    rc, out, err = run(cmd)
    check("help " + " ".join(cmd), rc == 0 and "usage" in out.lower(), out + err)

print(f"cli: {checks - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
