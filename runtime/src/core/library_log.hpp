// The library's log: spdlog's default logger, which every part of the runtime logs through, set
// to write where a program's own output is not.
#pragma once

namespace multirank::detail {

/// Makes spdlog's default logger write to stderr, never stdout (spdlog's own default), with its
/// format unchanged, the level in colour only when stderr reaches a terminal
/// (stderr_reaches_terminal), and each line in one write, so that mpirun never cuts two ranks'
/// lines into each other. The first call installs it, keeping the previous logger's level; later
/// calls do nothing. It runs while the program starts, before main, so code that logs before the
/// Runtime exists finds it in place; the Runtime calls it again, which also keeps this file linked
/// into every program (a static library links only what is referred to). Code that adds a sink to
/// the default logger calls it first.
void install_library_log();

}  // namespace multirank::detail
