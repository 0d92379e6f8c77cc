// For the benchmarks that start MPI before the Runtime (to time raw MPI, or to gather every
// rank's process id first): MPI starts, then every rank parses the command line, so that only
// rank 0 prints the help or what is wrong and every rank leaves with the same status.
#pragma once

#include <mpi.h>

#include <CLI/CLI.hpp>
#include <optional>

#include "multirank/runtime.hpp"

namespace multirank_bench {

struct MpiRanks {
  int rank = 0;
  int size = 1;
};

/// prepare_mpi_environment, MPI_Init_thread (serialised), this rank and the job's size into
/// `ranks`, then `cli.parse`. On --help or a bad option: MPI is finalised and the status for main
/// to return is given back; otherwise nothing.
inline std::optional<int> start_mpi_then_parse(CLI::App& cli, int& argc, char**& argv,
                                               MpiRanks& ranks) {
  int provided = 0;
  multirank::prepare_mpi_environment();
  MPI_Init_thread(&argc, &argv, MPI_THREAD_SERIALIZED, &provided);
  MPI_Comm_rank(MPI_COMM_WORLD, &ranks.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &ranks.size);
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int status = ranks.rank == 0 ? cli.exit(e) : 0;
    MPI_Finalize();
    return status;
  }
  return std::nullopt;
}

}  // namespace multirank_bench
