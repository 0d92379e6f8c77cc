// Whether stderr reaches a terminal, for a process started by hand or by Open MPI's launcher.
#include "core/stderr_terminal.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace multirank::detail {

bool stderr_reaches_terminal() {
  if (::isatty(STDERR_FILENO) == 1) return true;
  // mpirun and orted set OMPI_COMM_WORLD_RANK for the ranks they start, who are their children;
  // any other parent (a shell piping us into tee, say) is not asked.
  if (std::getenv("OMPI_COMM_WORLD_RANK") == nullptr) return false;
  const std::string launcher_stderr = "/proc/" + std::to_string(::getppid()) + "/fd/2";
  const int fd = ::open(launcher_stderr.c_str(), O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return false;
  const bool terminal = ::isatty(fd) == 1;
  ::close(fd);
  return terminal;
}

}  // namespace multirank::detail
