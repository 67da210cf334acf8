#!/usr/bin/env bash
# Runs clang-tidy 14 with the repository's .clang-tidy on every public header under
# include/perc/, one generated translation unit per header (`#include <perc/...>`, as
# tests/header_check.py does), at most 2 in parallel. Findings are reported only for the header
# the unit was generated for, so each appears once.
#
#   -std=c++20 -I include -x c++; core headers also -fno-exceptions -fno-rtti (as the core is
#   built); perc/botan/ with Botan 2 as -isystem (pkg-config botan-2), skipped without Botan;
#   perc/ipsec_mb/ skipped when intel-ipsec-mb.h cannot be compiled.
#
# Usage: tools/run-clang-tidy.sh [HEADER...]   (paths under include/, e.g. perc/ohb.hpp)
# CLANG_TIDY overrides the binary (default clang-tidy-14, else clang-tidy), JOBS the
# parallelism (default 2). Exit status: 0 clean, 1 any finding or compile error.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
inc="$root/include"

tidy="${CLANG_TIDY:-}"
if [ -z "$tidy" ]; then
  if command -v clang-tidy-14 >/dev/null; then tidy=clang-tidy-14; else tidy=clang-tidy; fi
fi
command -v "$tidy" >/dev/null || { echo "run-clang-tidy: $tidy not found" >&2; exit 2; }
jobs="${JOBS:-2}"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/perc-tidy.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

if [ "$#" -gt 0 ]; then
  headers=("$@")
else
  mapfile -t headers < <(cd include && find perc -type f -name '*.hpp' | LC_ALL=C sort)
fi

botan=""
if pkg-config --exists botan-2 2>/dev/null; then
  for tok in $(pkg-config --cflags botan-2); do
    case "$tok" in -I*) botan+=" -isystem ${tok#-I}" ;; *) botan+=" $tok" ;; esac
  done
elif [ -f /usr/include/botan-2/botan/build.h ]; then
  botan="-isystem /usr/include/botan-2"
fi
ipsec_mb=0
if echo '#include <intel-ipsec-mb.h>' | "${CXX:-c++}" -x c++ -fsyntax-only - 2>/dev/null; then
  ipsec_mb=1
fi

: >"$tmp/list"
skipped=0
n=0
for h in "${headers[@]}"; do
  h="${h#include/}"
  case "$h" in
    perc/botan/*)
      if [ -z "$botan" ]; then echo "skip $h (Botan 2 not found)"; skipped=$((skipped + 1)); continue; fi
      flags="$botan" ;;
    perc/ipsec_mb/*)
      if [ -z "$botan" ] || [ "$ipsec_mb" = 0 ]; then
        echo "skip $h (intel-ipsec-mb.h or Botan 2 not found)"; skipped=$((skipped + 1)); continue
      fi
      flags="$botan" ;;
    *) flags="-fno-exceptions -fno-rtti" ;;
  esac
  n=$((n + 1))
  echo "#include <$h>" >"$tmp/tu_$n.cpp"
  # header-filter: this header only (regex-escaped path).
  filter="^$(printf '%s' "$inc/$h" | sed 's/[.[\*^$+?(){}|]/\\&/g')\$"
  printf '%s\t%s\t%s\t%s\n' "$n" "$h" "$filter" "$flags" >>"$tmp/list"
done

one() {
  IFS=$'\t' read -r n h filter flags <<<"$1"
  # shellcheck disable=SC2086  # flags is a word list on purpose
  if "$tidy" --quiet --config-file="$root/.clang-tidy" --header-filter="$filter" \
       "$tmp/tu_$n.cpp" -- -x c++ -std=c++20 -I"$inc" $flags >"$tmp/out_$n" 2>&1; then
    echo "ok   $h"
  else
    echo "FAIL $h"
    grep -E '(error|warning):' "$tmp/out_$n" | sed "s|^$inc/||; s|^|     |" || cat "$tmp/out_$n"
    return 1
  fi
}
export -f one
export tidy root inc tmp

start=$(date +%s)
status=0
tr '\n' '\0' <"$tmp/list" | xargs -0 -P "$jobs" -I{} bash -c 'one "$1"' _ {} || status=1
failed=$(cat "$tmp"/out_* 2>/dev/null | grep -cE '(error|warning):' || true)
echo "run-clang-tidy: $n headers checked, $skipped skipped, $failed findings," \
     "$(( $(date +%s) - start )) s"
exit "$status"
