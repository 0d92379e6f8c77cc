// An owned MPI communicator: a duplicate of the one given, with MPI_ERRORS_RETURN so every call's
// result is checked and turned into an MpiError, freed by the destructor.
#pragma once

#include <mpi.h>

#include <string>
#include <vector>

namespace multirank::detail {

/// Throws MpiError naming `call` unless `code` is MPI_SUCCESS. Every MPI call goes through it.
void check_mpi(int code, const char* call);

/// The dispatch tree's plan: for each rank (indexed by rank), the rank that relays for it (itself
/// for a relay), or 0 where it talks to the driver directly. `node_leaders` gives each rank's
/// node (its lowest rank); with `node_ranks` > 0 the driver counts as a node of its own and the
/// other ranks of each node as pseudo-nodes of that many consecutive ranks. A node's lowest rank
/// relays for it, except on the driver's node and on a node of one rank, whose ranks talk to the
/// driver directly.
std::vector<int> plan_relays(const std::vector<int>& node_leaders, int node_ranks);

class Communicator {
 public:
  /// With `dispatch_tree` (rank 0's setting decides for all), relays() gives the tree's plan
  /// (plan_relays, with `tree_node_ranks`); without it, every rank talks to the driver directly.
  explicit Communicator(MPI_Comm base, bool dispatch_tree = false, int tree_node_ranks = 0);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  MPI_Comm get() const noexcept { return comm_; }
  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  /// Ranks sharing this rank's node (MPI_COMM_TYPE_SHARED).
  int ranks_on_node() const noexcept { return ranks_on_node_; }
  /// Host name of every rank, indexed by rank.
  const std::vector<std::string>& hosts() const noexcept { return hosts_; }
  /// Process id of every rank (meaningful on its own node).
  const std::vector<int>& pids() const noexcept { return pids_; }
  /// Whether `rank` shares this rank's node (and so its process table).
  bool on_my_node(int rank) const { return node_leaders_.at(rank) == node_leaders_.at(rank_); }
  /// Whether `rank` shares this node and its process has ended (gone, or a zombie not yet
  /// reaped). False for ranks elsewhere: nothing can be told from here.
  bool process_gone(int rank) const;
  /// Per rank, the rank that relays its tasks and results (itself for a relay), or 0 where it
  /// talks to the driver directly (plan_relays).
  const std::vector<int>& relays() const noexcept { return relays_; }

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0;
  int size_ = 1;
  int ranks_on_node_ = 1;
  std::vector<std::string> hosts_;
  std::vector<int> pids_;
  std::vector<int> node_leaders_;
  std::vector<int> relays_;
};

}  // namespace multirank::detail
