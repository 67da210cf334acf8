// perc — Botan 2 backend: the Botan headers that Botan 2.19 marks "will be made internal in
// the future" (botan/aes.h, botan/ghash.h), included without that warning.
#pragma once

// Each of those headers opens with BOTAN_FUTURE_INTERNAL_HEADER(...), which Botan defines as
// `_Pragma("GCC warning ...")` (GCC) or `_Pragma("message ...")` (clang) unless
// BOTAN_NO_DEPRECATED_WARNINGS is set. The GCC form is a warning no option turns off, so a
// program that includes perc's Botan headers through plain `-I` (what `pkg-config --cflags
// botan-2` gives) and builds with -Werror would fail to compile. Here the macro is emptied
// for these two includes only and restored afterwards: the program's own Botan includes keep
// Botan's warnings, and defining BOTAN_NO_DEPRECATED_WARNINGS for the whole program is left to
// the program. (tests/header_check.py compiles every backend header with pkg-config's plain
// -I and -Werror.)
#include <botan/compiler.h> // defines BOTAN_FUTURE_INTERNAL_HEADER, once per program

#pragma push_macro("BOTAN_FUTURE_INTERNAL_HEADER")
#undef BOTAN_FUTURE_INTERNAL_HEADER
#define BOTAN_FUTURE_INTERNAL_HEADER(hdr)
#include <botan/aes.h>
#include <botan/ghash.h>
#pragma pop_macro("BOTAN_FUTURE_INTERNAL_HEADER")
