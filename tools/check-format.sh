#!/usr/bin/env bash
# Checks C++ formatting against the repository's .clang-format with clang-format 14, changing
# nothing: prints the offending places and exits 1 if any file would be reformatted.
#
# Usage: tools/check-format.sh [FILE...]
#   no arguments: every tracked *.hpp / *.cpp / *.h under include/ tests/ tools/ examples/
#   bench/ fuzz/ (git ls-files, so build directories and corpora are never scanned).
# CLANG_FORMAT overrides the binary (default: clang-format-14, else clang-format).
set -euo pipefail
cd "$(dirname "$0")/.."

cf="${CLANG_FORMAT:-}"
if [ -z "$cf" ]; then
  if command -v clang-format-14 >/dev/null; then cf=clang-format-14; else cf=clang-format; fi
fi
command -v "$cf" >/dev/null || { echo "check-format: $cf not found" >&2; exit 2; }

if [ "$#" -gt 0 ]; then
  files=("$@")
else
  mapfile -t files < <(git ls-files -- include tests tools examples bench fuzz |
                       grep -E '\.(hpp|cpp|h)$')
fi
[ "${#files[@]}" -gt 0 ] || { echo "check-format: no files" >&2; exit 2; }

bad=0
for f in "${files[@]}"; do
  [ -f "$f" ] || continue
  if ! "$cf" --style=file --dry-run -Werror "$f"; then bad=$((bad + 1)); fi
done
if [ "$bad" -ne 0 ]; then
  echo "check-format: $bad of ${#files[@]} files need clang-format ($cf -i FILE)" >&2
  exit 1
fi
echo "check-format: ${#files[@]} files formatted"
