#!/usr/bin/env python3
"""Every public header compiles on its own (STYLE: "Each header is self-contained and includes
what it uses").

Usage: header_check.py COMPILER [COMPILER ARGS...] [EXTRA FLAGS...]

The compiler command is every leading argument that does not start with '-' (so a meson
cmd_array such as ['ccache', 'c++'] works); the remaining arguments are extra flags added to
every compilation. For each header under include/perc/ (recursively) a temporary .cpp holding
only `#include <perc/...>` is compiled with

    -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Werror -I<include dir>

Core headers (outside include/perc/botan/) are compiled with -fno-exceptions -fno-rtti as well,
since the core must need neither. Headers under include/perc/botan/ get the Botan 2 include
flags exactly as `pkg-config --cflags botan-2` gives them (a plain -I, not a system
directory, as in a consumer's build), and are skipped when Botan 2 cannot be found.

Prints one line per header and a final line "N passed, M failed"; exits 1 on any failure.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BASE_FLAGS = ["-std=c++20", "-fsyntax-only", "-Wall", "-Wextra", "-Wpedantic", "-Werror"]
CORE_FLAGS = ["-fno-exceptions", "-fno-rtti"]
HEADER_SUFFIXES = {".hpp", ".h", ".hh", ".hxx"}


def botan_flags():
    """Botan 2 include flags exactly as `pkg-config --cflags botan-2` gives them (plain -I, as a
    program using perc's pkg-config or CMake package gets them), or None if Botan 2 is not
    found. With -Werror this also checks that perc's Botan headers include Botan's
    future-internal headers without Botan's warning (include/perc/botan/future_internal.hpp)."""
    if shutil.which("pkg-config"):
        r = subprocess.run(["pkg-config", "--cflags", "botan-2"], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split()
    if Path("/usr/include/botan-2/botan/build.h").exists():
        return ["-I/usr/include/botan-2"]
    return None


def split_args(argv):
    compiler = []
    i = 0
    while i < len(argv) and not argv[i].startswith("-"):
        compiler.append(argv[i])
        i += 1
    return compiler, argv[i:]


def main(argv):
    compiler, extra = split_args(argv)
    if not compiler:
        print("usage: header_check.py COMPILER [COMPILER ARGS...] [EXTRA FLAGS...]", file=sys.stderr)
        return 2
    include_dir = Path(__file__).resolve().parent.parent / "include"
    headers = sorted(
        p for p in (include_dir / "perc").rglob("*") if p.is_file() and p.suffix in HEADER_SUFFIXES
    )
    if not headers:
        print(f"no headers found under {include_dir / 'perc'}")
        print("0 passed, 1 failed")
        return 1

    botan = None
    botan_looked_up = False
    ipsec_mb = None
    passed = failed = skipped = 0
    with tempfile.TemporaryDirectory(prefix="perc-header-check-") as tmp:
        for n, header in enumerate(headers):
            rel = header.relative_to(include_dir).as_posix()
            is_botan = rel.startswith("perc/botan/")
            if rel.startswith("perc/ipsec_mb/"):
                # The IPsec-MB backend is optional (x86-64, libipsec-mb-dev): skip it when
                # its header cannot be compiled here.
                if ipsec_mb is None:
                    probe = Path(tmp) / "ipsec_mb_probe.cpp"
                    probe.write_text("#include <intel-ipsec-mb.h>\n")
                    ipsec_mb = subprocess.run(compiler + ["-fsyntax-only", str(probe)],
                                              capture_output=True).returncode == 0
                if not ipsec_mb:
                    print(f"skip {rel} (intel-ipsec-mb.h not found)")
                    skipped += 1
                    continue
            flags = BASE_FLAGS + [f"-I{include_dir}"]
            if is_botan:
                if not botan_looked_up:
                    botan = botan_flags()
                    botan_looked_up = True
                if botan is None:
                    print(f"skip {rel} (Botan 2 not found)")
                    skipped += 1
                    continue
                flags += botan
            else:
                flags += CORE_FLAGS
            source = Path(tmp) / f"header_{n}.cpp"
            source.write_text(f"#include <{rel}>\n")
            cmd = compiler + flags + extra + [str(source)]
            try:
                r = subprocess.run(cmd, capture_output=True, text=True)
            except OSError as e:
                print(f"cannot run {' '.join(compiler)}: {e}")
                print(f"{passed} passed, {failed + 1} failed")
                return 1
            if r.returncode == 0:
                print(f"ok   {rel}{' (core: -fno-exceptions -fno-rtti)' if not is_botan else ''}")
                passed += 1
            else:
                print(f"FAIL {rel}")
                print("     " + " ".join(cmd))
                for line in (r.stdout + r.stderr).splitlines():
                    print(f"     {line}")
                failed += 1
    if skipped:
        print(f"{skipped} skipped")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
