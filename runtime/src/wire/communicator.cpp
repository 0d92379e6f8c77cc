// Owned communicators and the MPI error check.
#include "wire/communicator.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <utility>

#include <climits>

#include "multirank/error.hpp"

namespace multirank::detail {

void check_mpi(int code, const char* call) {
  if (code != MPI_SUCCESS) throw MpiError(call, code);
}

namespace {

/// A group (ScopedGroup) or communicator (ScopedComm) freed when it goes out of scope, on every
/// path, a thrown MPI error included. Plain structs: Open MPI's null handles are addresses of
/// library objects, not constants a template could take.
struct ScopedGroup {
  MPI_Group group = MPI_GROUP_NULL;
  ScopedGroup() = default;
  ~ScopedGroup() {
    if (group != MPI_GROUP_NULL) MPI_Group_free(&group);
  }
  ScopedGroup(const ScopedGroup&) = delete;
  ScopedGroup& operator=(const ScopedGroup&) = delete;
};

struct ScopedComm {
  MPI_Comm comm = MPI_COMM_NULL;
  ScopedComm() = default;
  ~ScopedComm() {
    if (comm != MPI_COMM_NULL) MPI_Comm_free(&comm);
  }
  ScopedComm(const ScopedComm&) = delete;
  ScopedComm& operator=(const ScopedComm&) = delete;
};

/// The rank in `world` of `node`'s first rank.
int node_leader(MPI_Comm node, MPI_Comm world) {
  ScopedGroup node_group;
  ScopedGroup world_group;
  check_mpi(MPI_Comm_group(node, &node_group.group), "MPI_Comm_group");
  check_mpi(MPI_Comm_group(world, &world_group.group), "MPI_Comm_group");
  const int first = 0;
  int leader = MPI_UNDEFINED;
  check_mpi(MPI_Group_translate_ranks(node_group.group, 1, &first, world_group.group, &leader),
            "MPI_Group_translate_ranks");
  return leader;
}

}  // namespace

std::vector<int> plan_relays(const std::vector<int>& node_leaders, int node_ranks) {
  const int ranks = static_cast<int>(node_leaders.size());
  // Pseudo-nodes leave the driver alone on its own, so that every worker rank is behind a relay
  // (or alone): what a tree over many nodes would look like from the driver.
  auto group_of = [&](int rank) {
    const int pseudo = node_ranks <= 0 ? 0 : rank == 0 ? -1 : (rank - 1) / node_ranks;
    return std::pair{node_leaders[static_cast<std::size_t>(rank)], pseudo};
  };
  std::vector<int> relays(node_leaders.size(), 0);
  // Ranks are visited lowest first, so a group's first rank met is its lowest: its relay.
  std::map<std::pair<int, int>, std::vector<int>> groups;
  for (int rank = 0; rank < ranks; ++rank) groups[group_of(rank)].push_back(rank);
  for (const auto& [group, members] : groups) {
    if (members.size() < 2 || members.front() == 0) continue;
    for (int rank : members) relays[static_cast<std::size_t>(rank)] = members.front();
  }
  return relays;
}

Communicator::Communicator(MPI_Comm base, bool dispatch_tree, int tree_node_ranks) {
  check_mpi(MPI_Comm_dup(base, &comm_), "MPI_Comm_dup");
  check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  check_mpi(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
  check_mpi(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");

  // The node's ranks, ordered by world rank (the split's key), so the node's first is its lowest
  // rank: translating it needs no message. Every collective of start-up costs most where many
  // ranks share a core, so what each rank tells the others travels in one Allgather.
  int leader = MPI_UNDEFINED;
  {
    ScopedComm node;
    check_mpi(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node.comm),
              "MPI_Comm_split_type");
    check_mpi(MPI_Comm_size(node.comm, &ranks_on_node_), "MPI_Comm_size");
    leader = node_leader(node.comm, comm_);
  }

  // Each rank's process id, its node's lowest rank (the driver checks its node-mates' processes
  // directly when one falls silent) and its host name.
  // Rank 0's tree settings travel with it, so the ranks agree on the tree at no extra collective.
  struct Announcement {
    int pid;
    int leader;
    int dispatch_tree;
    int tree_node_ranks;
    char host[HOST_NAME_MAX + 1];
  };
  Announcement mine{static_cast<int>(getpid()), leader, dispatch_tree ? 1 : 0, tree_node_ranks, {}};
  gethostname(mine.host, sizeof(mine.host) - 1);
  std::vector<Announcement> all(static_cast<std::size_t>(size_));
  check_mpi(MPI_Allgather(&mine, sizeof(mine), MPI_BYTE, all.data(), sizeof(mine), MPI_BYTE, comm_),
            "MPI_Allgather");
  for (const auto& announcement : all) {
    pids_.push_back(announcement.pid);
    node_leaders_.push_back(announcement.leader);
    hosts_.emplace_back(announcement.host, strnlen(announcement.host, sizeof(announcement.host)));
  }
  relays_ = all.front().dispatch_tree != 0 ? plan_relays(node_leaders_, all.front().tree_node_ranks)
                                           : std::vector<int>(all.size(), 0);
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
