#!/usr/bin/env python3
"""End-to-end tests of the `perc` command-line tool (RFC 8723 protect -> relay -> unprotect,
RFC 8870 EKT wrap/unwrap and EKT Tags on protect/unprotect).

Expected bytes are the computed vectors of rfc8723-double.md §12.1 (D1 and D3),
rfc8870-ekt.md §11.1/§11.2 and RFC 7714 §16.1.1, not this library's output.
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

# RFC 8870 EKT. Expected bytes are the computed example of rfc8870-ekt.md §11.1 (AESKW128,
# RFC 5649), not this library's output.
EKT_KEY = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
EKT_FIELD = ("47c99c2e8a84efe44654d5e6801b12ed997d289c6729c4b643e1ed049f7971e1"
             "178bf6a8bd054acf12340000002f02")
EKT_KEY_256 = EKT_KEY + "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
EKT_FIELD_256 = ("a721997a5fb3e0e8365c8c03861c8c69a9fd17be006984fbadc8cb947daf746f"
                 "747cd995141a17aebe4602391fc5e6971e3ba0a1c5091f2a12340000003f02")  # §11.2
INNER_KEY = "000102030405060708090a0b0c0d0e0f"
WRAP = ["ekt", "wrap", "--ekt-key", EKT_KEY, "--spi", "0x1234", "--epoch", "0", "--ssrc", "cafebabe",
        "--roc", "0", "--master-key", INNER_KEY]
FIELDS_11_1 = ["spi: 4660", "epoch: 0", "length: 47", "ssrc: cafebabe", "roc: 0",
               "master_key: " + INNER_KEY]

# RFC 8870 §4.1/§4.4.1: FullEKTField = AESKW128(EKTPlaintext) | SPI | Epoch | Length | 0x02.
rc, out, err = run(WRAP)
check("ekt wrap §11.1", rc == 0 and out == EKT_FIELD + "\n", out + err)
rc, out, err = run(["ekt", "wrap", "--ekt-key", EKT_KEY_256, "--spi", "4660", "--ssrc", "0xcafebabe",
                    "--master-key", INNER_KEY + "101112131415161718191a1b1c1d1e1f"])
check("ekt wrap §11.2 (AESKW256, defaults)", rc == 0 and out == EKT_FIELD_256 + "\n", out + err)
# The same key and SSRC at another Epoch and ROC: only the SPI/Epoch trailer and the ciphertext
# (ROC inside the plaintext) change; Length stays 47.
rc, out, err = run(["ekt", "wrap", "--ekt-key", EKT_KEY, "--spi", "7", "--epoch", "3", "--ssrc", "cafebabe",
                    "--roc", "65536", "--master-key", INNER_KEY])
f2 = out.strip()
check("ekt wrap epoch/roc", rc == 0 and len(f2) == 94 and f2.endswith("00070003002f02")
      and f2[:80] != EKT_FIELD[:80], out + err)

# RFC 8870 §4.3.2 steps 1, 3, 4: unwrap prints the fields.
rc, out, err = run(["ekt", "unwrap", "--ekt-key", EKT_KEY, EKT_FIELD])
check("ekt unwrap §11.1", rc == 0 and out.strip().split("\n") == FIELDS_11_1, out + err)
rc, out, err = run(["ekt", "unwrap", "--ekt-key", EKT_KEY], stdin=f2 + "\n")
check("ekt unwrap stdin", rc == 0 and out.strip().split("\n") ==
      ["spi: 7", "epoch: 3", "length: 47", "ssrc: cafebabe", "roc: 65536", "master_key: " + INNER_KEY],
      out + err)
rc, out, err = run(["ekt", "unwrap", "--ekt-key", EKT_KEY_256, EKT_FIELD_256])
check("ekt unwrap §11.2", rc == 0 and out.strip().split("\n") ==
      FIELDS_11_1[:2] + ["length: 63", "ssrc: cafebabe", "roc: 0",
                         "master_key: " + INNER_KEY + "101112131415161718191a1b1c1d1e1f"], out + err)

# Bad fields: each prints its error, the next still unwraps, exit 1. (`000004ff`: a type-255 field
# with one data octet, §4.1: unknown; a bare `00` is a ShortEKTField, nothing to unwrap.)
flipped = ("%02x" % (int(EKT_FIELD[:2], 16) ^ 1)) + EKT_FIELD[2:]  # RFC 5649 integrity check
long_len = EKT_FIELD[:-6] + "0030" + "02"                          # Length beyond the field
extra = "00" + EKT_FIELD                                           # an octet before the field
rc, out, err = run(["ekt", "unwrap", "--ekt-key", EKT_KEY, flipped, long_len, extra, "00", "000004ff", "zz",
                    EKT_FIELD])
check("ekt unwrap errors", rc == 1 and out.strip().split("\n") ==
      ["error: key_unwrap_failed", "error: ekt_bad_length", "error: ekt_bad_length",
       "error: invalid_argument", "error: ekt_unknown_type", "error: not_hex"] + FIELDS_11_1, out + err)
rc, out, err = run(["ekt", "unwrap", "--ekt-key", "d0" + EKT_KEY[2:], EKT_FIELD])
check("ekt unwrap wrong key", rc == 1 and out.strip() == "error: key_unwrap_failed", out + err)
rc, out, err = run(["ekt", "unwrap", "--ekt-key", EKT_KEY_256, EKT_FIELD])
check("ekt unwrap other cipher", rc == 1 and out.strip() == "error: key_unwrap_failed", out + err)

# Usage errors of ekt.
for args, msg in [
    (["ekt", "wrap", "--ekt-key", "00" * 24, "--spi", "1", "--ssrc", "cafebabe", "--master-key", INNER_KEY],
     "--ekt-key must be 16 or 32 octets, got 24"),
    (["ekt", "wrap", "--ekt-key", EKT_KEY, "--spi", "65536", "--ssrc", "cafebabe", "--master-key", INNER_KEY],
     "--spi must be 0..65535"),
    (["ekt", "wrap", "--ekt-key", EKT_KEY, "--spi", "1", "--epoch", "70000", "--ssrc", "cafebabe",
      "--master-key", INNER_KEY], "--epoch must be 0..65535"),
    (["ekt", "wrap", "--ekt-key", EKT_KEY, "--spi", "1", "--ssrc", "cafeba", "--master-key", INNER_KEY],
     "--ssrc must be 4 octets"),
    (["ekt", "wrap", "--ekt-key", EKT_KEY, "--spi", "1", "--ssrc", "cafebabe", "--master-key", "00" * 243],
     "--master-key must be 1..242 octets, got 243"),
    (["ekt", "wrap", "--ekt-key", EKT_KEY, "--spi", "1", "--ssrc", "cafebabe"], "missing --master-key"),
    (["ekt", "wrap", "--ekt-key", EKT_KEY, "--ssrc", "cafebabe", "--master-key", INNER_KEY], "missing --spi"),
    (["ekt", "unwrap", EKT_FIELD], "missing --ekt-key"),
    (["ekt", "unwrap", "--ekt-key", "xyz", EKT_FIELD], "--ekt-key is not hex"),
    (["ekt", "frobnicate"], "unknown ekt command"),
    (["ekt"], "ekt needs wrap or unwrap"),
]:
    rc, out, err = run(args)
    check("ekt usage: " + msg, rc == 2 and msg in err and out == "", out + err)
# RFC 8870 §4.1 ABNF: EKTCiphertext is at most 251 octets, so a 242-octet key (plaintext 251,
# RFC 5649 output 264) cannot be sent in a FullEKTField.
rc, out, err = run(["ekt", "wrap", "--ekt-key", EKT_KEY, "--spi", "1", "--ssrc", "cafebabe",
                    "--master-key", "00" * 242])
check("ekt wrap over 251", rc == 1 and out.strip() == "error: ekt_bad_length", out + err)

# protect --ekt-key: the first packet of D1 carries the §11.1 FullEKTField after the D1 wire bytes
# (the sender's end-to-end key is the inner half of --key, its salt the inner half of --salt).
EKT_OPTS = ["--ekt-key", EKT_KEY, "--spi", "0x1234"]
rc, out, err = run(["protect", "--profile", "double-aes128-gcm", "--key", KEY, "--salt", SALT] + EKT_OPTS + [D1_IN])
check("protect + EKT = D1 | §11.1 field", rc == 0 and out.strip() == D1_WIRE + EKT_FIELD, out + err)

# RFC 8870 §4.6 schedule with 20 ms per packet: Full for the first three packets, then Short,
# then Full again once 100 ms have passed since the last one (packet 7 at 140 ms).
pkts = ["8060%04xdecafbadcafebabe" % (0x1234 + i) + "47616c6c6961%02x" % i for i in range(10)]
rc, out, err = run(["protect", "--profile", "double-aes128-gcm", "--key", KEY, "--salt", SALT] + EKT_OPTS,
                   stdin="\n".join(pkts) + "\n")
wire = out.strip().split("\n")
full_len = 2 * 47
plain_len = [len(p) + 2 * 33 for p in pkts]
kinds = []
for w, n in zip(wire, plain_len):
    if len(w) == n + full_len and w.endswith("002f02"):
        kinds.append("F")
    elif len(w) == n + 2 and w.endswith("00"):
        kinds.append("S")
    else:
        kinds.append("?")
check("EKT schedule", rc == 0 and len(wire) == 10 and "".join(kinds) == "FFFSSSSFSS", out + err)
check("EKT Full field repeated", rc == 0 and all(w[-full_len:-14] == wire[0][-full_len:-14] for w, k in
                                                 zip(wire, kinds) if k == "F"), out)

# The receiver's inner key half is WRONG: the inner key must come from the FullEKTFields.
RX_WRONG_INNER = "ee" * 16 + KEY[32:]
rc, out, err = run(["unprotect", "--profile", "double-aes128-gcm", "--key", RX_WRONG_INNER, "--salt", SALT] +
                   EKT_OPTS, stdin="\n".join(wire) + "\n")
check("EKT round trip, inner key from EKT", rc == 0 and out.strip().split("\n") == pkts, out + err)
# Without EKT the same receiver cannot decrypt (and the tag is not stripped).
rc, out, err = run(["unprotect", "--profile", "double-aes128-gcm", "--key", RX_WRONG_INNER, "--salt", SALT,
                    wire[0]])
check("no EKT, wrong inner key", rc == 1 and out.strip() == "error: auth_failed", out + err)
# A late joiner: packets before the next FullEKTField fail, from it on all decrypt (§4.3.2).
rc, out, err = run(["unprotect", "--profile", "double-aes128-gcm", "--key", RX_WRONG_INNER, "--salt", SALT] +
                   EKT_OPTS, stdin="\n".join(wire[3:]) + "\n")
check("EKT late joiner", rc == 1 and out.strip().split("\n") == ["error: auth_failed"] * 4 + pkts[7:],
      out + err)
# §4.3.2 step 2: an SPI the receiver has no EKTKey for is an authentication failure.
rc, out, err = run(["unprotect", "--profile", "double-aes128-gcm", "--key", RX_WRONG_INNER, "--salt", SALT,
                    "--ekt-key", EKT_KEY, "--spi", "0x1235", wire[0]])
check("EKT unknown SPI", rc == 1 and out.strip() == "error: auth_failed", out + err)
# §4.3.2 step 3: the wrong EKTKey fails the key unwrap.
rc, out, err = run(["unprotect", "--profile", "double-aes128-gcm", "--key", RX_WRONG_INNER, "--salt", SALT,
                    "--ekt-key", "d0" + EKT_KEY[2:], "--spi", "0x1234", wire[0]])
check("EKT wrong EKTKey", rc == 1 and out.strip() == "error: key_unwrap_failed", out + err)

# AESKW256 with the 256 profile, and AESKW256 with the 128 profile (RFC 8870 §6 allows a longer
# EKT key), round trip with a wrong inner half. The field length follows the plaintext (inner key
# 32 or 16 octets -> Length 63 or 47), not the EKT key.
for profile, key, salt, ekt_key, trailer in [
        ("double-aes256-gcm", "22" * 64, "33" * 24, EKT_KEY_256, "003f02"),
        ("double-aes128-gcm", KEY, SALT, EKT_KEY_256, "002f02")]:
    rc, out, err = run(["protect", "--profile", profile, "--key", key, "--salt", salt,
                        "--ekt-key", ekt_key, "--spi", "9"] + pkts[:5])
    w = out.strip().split("\n")
    half = len(key) // 2
    rc2, out2, err2 = run(["unprotect", "--profile", profile, "--key", "ee" * (half // 2) + key[half:],
                           "--salt", salt, "--ekt-key", ekt_key, "--spi", "9"] + w)
    check("EKT round trip " + profile + " AESKW256",
          rc == 0 and rc2 == 0 and w[0].endswith("0009" "0000" + trailer) and out2.strip().split("\n") == pkts[:5],
          out + err + out2 + err2)

# EKT usage errors.
for args, msg in [
    (["--ekt-key", EKT_KEY], "--ekt-key and --spi go together"),
    (["--spi", "1"], "--ekt-key and --spi go together"),
    (["--ekt-key", "00" * 20, "--spi", "1"], "--ekt-key must be 16 or 32 octets, got 20"),
    (["--ekt-key", EKT_KEY, "--spi", "-1"], "--spi must be 0..65535"),
    (["--ekt-key", EKT_KEY, "--spi", "1", "--rtcp"], "RTP only"),
]:
    rc, out, err = run(["protect", "--profile", "double-aes128-gcm", "--key", KEY, "--salt", SALT] + args)
    check("protect EKT usage: " + msg, rc == 2 and msg in err, err)
rc, out, err = run(["protect", "--profile", "aes128-gcm", "--key", K1, "--salt", S1] + EKT_OPTS)
check("EKT needs a double profile", rc == 2 and "double profile" in err, err)
rc, out, err = run(["unprotect", "--profile", "double-aes256-gcm", "--key", "22" * 64, "--salt", "33" * 24] +
                   EKT_OPTS)
check("EKT key shorter than SRTP key (RFC 8870 §6)", rc == 2 and "--ekt-key must be 32 octets" in err, err)

# Usage errors: exit 2 with a message; help: exit 0.
rc, out, err = run(["protect", "--profile", "double-aes128-gcm", "--key", "00", "--salt", SALT])
check("bad key size", rc == 2 and "--key must be 32 octets" in err, err)
rc, out, err = run(["relay", "--profile", "aes128-gcm"] + HOP_IN + HOP_OUT)
check("relay single profile", rc == 2 and "double profile" in err, err)
rc, out, err = run(["relay", "--profile", "double-aes128-gcm"] + HOP_IN +
                   ["--out-key", "404142434445464748494a4b4c4d4e4f", "--out-salt", "a0a1a2a3a4a5a6a7a8a9aaab"])
check("same hop keys", rc == 2 and "same_hop_keys" in err, err)
for cmd in (["--help"], ["protect", "--help"], ["unprotect", "--help"], ["relay", "--help"],
            ["ekt", "--help"], ["ekt", "wrap", "--help"], ["ekt", "unwrap", "--help"]):
    rc, out, err = run(cmd)
    check("help " + " ".join(cmd), rc == 0 and "usage" in out.lower(), out + err)

print(f"cli: {checks - failures} passed, {failures} failed")
sys.exit(1 if failures else 0)
