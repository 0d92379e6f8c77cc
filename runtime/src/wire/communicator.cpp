// Owned communicators and the MPI error check.
#include "multirank/detail/communicator.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <string>

#include <climits>

#include "multirank/error.hpp"

namespace multirank::detail {

void check_mpi(int code, const char* call) {
  if (code != MPI_SUCCESS) throw MpiError(call, code);
}

Communicator::Communicator(MPI_Comm base) {
  check_mpi(MPI_Comm_dup(base, &comm_), "MPI_Comm_dup");
  check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");

  MPI_Comm node = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
            "MPI_Comm_split_type");
  check_mpi(MPI_Comm_size(node, &ranks_on_node_), "MPI_Comm_size");
  // Each rank's process id and its node's lowest rank: the driver checks its node-mates'
  // processes directly when one falls silent.
  int leader = rank_;
  check_mpi(MPI_Allreduce(&rank_, &leader, 1, MPI_INT, MPI_MIN, node), "MPI_Allreduce");
  MPI_Comm_free(&node);
  const int mine[2] = {static_cast<int>(getpid()), leader};
  std::vector<int> gathered(2 * static_cast<std::size_t>(size_));
  check_mpi(MPI_Allgather(mine, 2, MPI_INT, gathered.data(), 2, MPI_INT, comm_), "MPI_Allgather");
  for (int r = 0; r < size_; ++r) {
    pids_.push_back(gathered[2 * static_cast<std::size_t>(r)]);
    node_leaders_.push_back(gathered[2 * static_cast<std::size_t>(r) + 1]);
  }

  char name[HOST_NAME_MAX + 1] = {};
  gethostname(name, sizeof(name) - 1);
  std::vector<char> all(static_cast<std::size_t>(size_) * sizeof(name));
  check_mpi(MPI_Allgather(name, sizeof(name), MPI_CHAR, all.data(), sizeof(name), MPI_CHAR, comm_),
            "MPI_Allgather");
  for (int r = 0; r < size_; ++r) hosts_.emplace_back(all.data() + r * sizeof(name));
}

bool Communicator::process_gone(int rank) const {
  if (!on_my_node(rank)) return false;
  const int pid = pids_.at(static_cast<std::size_t>(rank));
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string pid_field;
  std::string name;
  char state = '?';
  if (!(stat >> pid_field >> name >> state)) return false;  // no /proc: kill alone decides
  return state == 'Z' || state == 'X';
}

Communicator::~Communicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_NULL) MPI_Comm_free(&comm_);
}

}  // namespace multirank::detail
