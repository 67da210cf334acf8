#!/bin/sh
# Compile-fail check: md_control.cpp must compile, md_inner_key.cpp must not, and its
# diagnostics must contain the md_link static_assert text (RFC 8723 §5.2: an MD holds only
# outer keys).
# Usage: run.sh COMPILER [FLAGS...]   e.g. run.sh g++ -I include -isystem /usr/include/botan-2
set -u
if [ "$#" -lt 1 ]; then
    echo "usage: $0 COMPILER [FLAGS...]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
expected='media_distributor holds only outer (hop-by-hop) keys'
log=$(mktemp) || exit 2
trap 'rm -f "$log"' EXIT

if ! "$@" -std=c++20 -fsyntax-only "$here/md_control.cpp" >"$log" 2>&1; then
    echo "FAIL: control program md_control.cpp does not compile:" >&2
    cat "$log" >&2
    exit 1
fi
if "$@" -std=c++20 -fsyntax-only "$here/md_inner_key.cpp" >"$log" 2>&1; then
    echo "FAIL: md_inner_key.cpp compiled; a media_distributor accepted a double transform" >&2
    exit 1
fi
if ! grep -qF "$expected" "$log"; then
    echo "FAIL: md_inner_key.cpp failed for another reason (expected \"$expected\"):" >&2
    cat "$log" >&2
    exit 1
fi
echo "PASS: control compiles; md_inner_key.cpp rejected with \"$expected\""
exit 0
