// perc demo — a whole PERC conference simulated in one process (perc demo --help).
#pragma once

namespace perc_demo {

/// Runs `perc demo` with perc's argv (argv[1] == "demo"). Returns the exit status: 0 when
/// every invariant held, 1 when one failed, 2 on a usage error.
int run_demo(int argc, char** argv);

} // namespace perc_demo
