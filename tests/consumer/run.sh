#!/bin/sh
# perc packaging test: install perc into a temporary prefix, then build and run a tiny consumer
# (consumer.cpp) from outside the source tree three ways:
#   pkg-config  meson project, dependency('perc') through the installed perc.pc
#   subproject  meson project, dependency('perc', fallback : ['perc', 'perc_dep']) with
#               subprojects/perc -> the source tree (fallback forced)
#   cmake       find_package(perc) + perc::perc, after moving the installed prefix elsewhere
#               (the CMake package is relocatable)
# Usage: run.sh SOURCE_DIR. Everything is written under a mktemp -d directory, removed at the
# end (set PERC_KEEP_TMP=1 to keep it). Exits non-zero if any way fails.
set -u

if [ $# -ne 1 ] || [ ! -f "$1/meson.build" ] || [ ! -f "$1/tests/consumer/consumer.cpp" ]; then
  echo "usage: $0 PERC_SOURCE_DIR" >&2
  exit 2
fi
src=$(cd "$1" && pwd)
here=$src/tests/consumer

tmp=$(mktemp -d "${TMPDIR:-/tmp}/perc-consumers.XXXXXX") || exit 2
if [ "${PERC_KEEP_TMP:-0}" = 1 ]; then
  echo "keeping $tmp"
else
  trap 'rm -rf "$tmp"' EXIT
  trap 'exit 130' INT TERM
fi

passed=0
failed=0

# fail WAY LOG REASON: one FAIL line, then the end of the log.
fail() {
  echo "$1: FAIL ($3)"
  if [ -f "$2" ]; then
    tail -n 40 "$2" | sed 's/^/    /'
  fi
  failed=$((failed + 1))
}
pass() {
  echo "$1: PASS ($2)"
  passed=$((passed + 1))
}

# copy_consumer WAY: $tmp/WAY holds the way's project file(s) and consumer.cpp.
copy_consumer() {
  mkdir -p "$tmp/$1" && cp "$here/$1"/* "$here/consumer.cpp" "$tmp/$1/"
}

# run_consumer WAY LOG: runs the built consumer and checks its output line.
run_consumer() {
  if "$tmp/$1-build/consumer" >>"$2" 2>&1 &&
     grep -q '^consumer: double round trip ok$' "$2"; then
    return 0
  fi
  return 1
}

# --- Install headers, perc.pc and the CMake package (tag 'devel': nothing is compiled).
prefix=$tmp/prefix
log=$tmp/install.log
if ! meson setup "$tmp/build" "$src" --prefix="$prefix" -Dbotan=enabled -Dtests=disabled \
       -Dfuzz=disabled -Dbench=disabled -Dexamples=disabled >"$log" 2>&1 ||
   ! meson install -C "$tmp/build" --no-rebuild --tags devel >>"$log" 2>&1; then
  fail install "$log" "meson setup/install of perc"
  echo "$passed passed, 3 failed"
  exit 1
fi
pc=$(find "$prefix" -name perc.pc -path '*/pkgconfig/*' | head -n 1)
cmake_config=$(find "$prefix" -name perc-config.cmake -path '*/cmake/perc/*' | head -n 1)
missing=
[ -n "$pc" ] || missing="$missing perc.pc"
[ -n "$cmake_config" ] || missing="$missing perc-config.cmake"
[ -f "$(dirname "$cmake_config")/perc-config-version.cmake" ] ||
  missing="$missing perc-config-version.cmake"
[ -f "$prefix/include/perc/botan/double.hpp" ] || missing="$missing include/perc/botan/double.hpp"
if [ -n "$missing" ]; then
  echo "install: FAIL (not installed:$missing)"
  echo "$passed passed, 3 failed"
  exit 1
fi
pcdir=$(dirname "$pc")
echo "install: ok (prefix $prefix)"

# --- 1. pkg-config
way=pkgconfig
log=$tmp/$way.log
if ! copy_consumer $way; then
  fail pkg-config "$log" "copy"
elif ! PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" \
       meson setup "$tmp/$way-build" "$tmp/$way" >"$log" 2>&1; then
  fail pkg-config "$log" "meson setup"
elif ! grep -q "^Run-time dependency perc found: YES" "$log"; then
  fail pkg-config "$log" "perc not found through pkg-config"
elif ! meson compile -C "$tmp/$way-build" >>"$log" 2>&1; then
  fail pkg-config "$log" "build"
elif ! grep -q -- "-I$prefix/include" "$tmp/$way-build/compile_commands.json"; then
  fail pkg-config "$log" "compiled without -I$prefix/include"
elif ! run_consumer $way "$log"; then
  fail pkg-config "$log" "consumer run"
else
  pass pkg-config "perc.pc in $pcdir"
fi

# --- 2. meson subproject (the source tree itself, not the installed copy)
way=subproject
log=$tmp/$way.log
if ! copy_consumer $way || ! mkdir "$tmp/$way/subprojects" ||
   ! ln -s "$src" "$tmp/$way/subprojects/perc"; then
  fail subproject "$log" "copy"
elif ! meson setup --force-fallback-for=perc "$tmp/$way-build" "$tmp/$way" >"$log" 2>&1; then
  fail subproject "$log" "meson setup"
elif ! grep -q "^Executing subproject perc" "$log" ||
     ! grep -q "^Dependency perc found: YES .*(overridden)" "$log"; then
  fail subproject "$log" "perc not taken from the subproject"
elif ! meson compile -C "$tmp/$way-build" >>"$log" 2>&1; then
  fail subproject "$log" "build"
elif ! grep -q "subprojects/perc/include" "$tmp/$way-build/compile_commands.json"; then
  fail subproject "$log" "compiled without subprojects/perc/include"
elif ! run_consumer $way "$log"; then
  fail subproject "$log" "consumer run"
else
  pass subproject "dependency fallback to subprojects/perc"
fi

# --- 3. CMake, from a moved prefix: perc-config.cmake locates the headers relative to itself.
way=cmake
log=$tmp/$way.log
moved=$tmp/moved-prefix
generator=
if command -v ninja >/dev/null 2>&1; then generator="-GNinja"; fi
if ! command -v cmake >/dev/null 2>&1; then
  fail cmake "$log" "cmake not found"
elif ! copy_consumer $way || ! mv "$prefix" "$moved"; then
  fail cmake "$log" "copy"
elif ! cmake ${generator:+"$generator"} -S "$tmp/$way" -B "$tmp/$way-build" \
       -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$moved" >"$log" 2>&1; then
  fail cmake "$log" "cmake configure"
elif ! grep -q "^perc_DIR:PATH=$moved/" "$tmp/$way-build/CMakeCache.txt"; then
  fail cmake "$log" "perc-config.cmake not taken from $moved"
elif ! cmake --build "$tmp/$way-build" >>"$log" 2>&1; then
  fail cmake "$log" "build"
elif ! run_consumer $way "$log"; then
  fail cmake "$log" "consumer run"
else
  pass cmake "find_package(perc) from relocated prefix $moved"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
