// Whether what this rank writes to stderr reaches the user's terminal: the one question behind
// colour in the library's log and grayscale's redrawn progress bar, answered in one place.
#pragma once

namespace multirank::detail {

/// Whether this process's stderr ends up on a terminal: its own stderr is one, or, when mpirun
/// (or orted, on another node) started it, the launcher's stderr is one. Under Open MPI a rank's
/// stderr is a pipe that the launcher copies to its own stderr as it comes (partial lines and
/// carriage returns included), so the rank's own isatty says nothing about the user's terminal.
bool stderr_reaches_terminal();

}  // namespace multirank::detail
