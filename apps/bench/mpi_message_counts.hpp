// Counts of the messages this process sent and received, by MPI tag (the runtime's tag is its
// message kind), taken by wrapping MPI_Isend, MPI_Improbe and MPI_Mprobe through MPI's profiling
// interface (PMPI). The runtime has no counters of its own; this layer sees its traffic without
// changing it. Linked before MPI into a benchmark, or LD_PRELOADed into any program: with
// MULTIRANK_MPI_COUNTS_FILE set, rank 0 writes its counts there as JSON at MPI_Finalize.
#pragma once

#include <cstdint>

/// The tags counted: 0 to this - 1 (every message kind of the wire format fits); others are
/// added to the last.
inline constexpr int mpi_counted_tags = 16;

/// What one process sent and received so far, per tag.
struct MpiMessageCounts {
  std::uint64_t sent[mpi_counted_tags];
  std::uint64_t sent_bytes[mpi_counted_tags];
  std::uint64_t received[mpi_counted_tags];
  std::uint64_t received_bytes[mpi_counted_tags];
};

extern "C" {
/// This process's counts so far (any thread may call it at any time).
void mpi_message_counts_read(MpiMessageCounts* out);
/// 1 once any wrapped call has run in this process: the wrappers are the ones MPI's callers reach.
int mpi_message_counts_active();
}
