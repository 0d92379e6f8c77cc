// The Runtime: MPI's lifetime and the split between the driver (rank 0, which runs main) and
// the workers (every other rank, which serve tasks until the driver is done).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "multirank/fwd.hpp"
#include "multirank/options.hpp"

namespace multirank {

/// Sets what MPI reads at initialisation for multirank's wait loops (Open MPI's
/// mpi_yield_when_idle off: they spin and nap themselves; on a node without a high-speed fabric,
/// the ob1 messaging layer, which Open MPI picks there anyway after a slow probe, unless a
/// pml is already set). The Runtime calls it; a program that
/// calls MPI_Init itself before creating the Runtime calls it first.
void prepare_mpi_environment();

/// Starts multirank on every rank. On rank 0 the constructor returns and the program goes on as
/// the driver; on every other rank it serves tasks until the driver's Runtime is destroyed, then
/// finalises MPI and exits the process, so code after it runs on the driver only. Run without
/// mpirun, the program is a single rank that runs its tasks on a worker thread.
///
/// @code
///   int main(int argc, char** argv) {
///     multirank::Runtime runtime(argc, argv);
///     multirank::Executor executor;
///     std::cout << executor.submit(square, 7).result() << "\n";
///   }
/// @endcode
/// An exception that escapes main on the driver ends the whole job at once (MPI_Abort) with its
/// type and message, so no rank is left waiting. SIGINT and SIGTERM stop the job cleanly
/// (Interrupted, see docs/failures.md): the process then exits with 128 + signal, whether
/// or not the program caught the error. One Runtime per process, as MPI allows one
/// initialisation; it is not copyable. Thread safety: its accessors may be called from any thread.
///
/// Start-up errors end the job cleanly: a malformed MULTIRANK_* setting, ranks built from
/// different binaries (their task registries differ) or MPI refusing the thread level print one
/// message naming the problem (from rank 0, with the ranks concerned where not all) and every rank
/// exits with status 2, without a core dump.
class Runtime {
 public:
  /// Settings from the MULTIRANK_* variables (RuntimeOptions::from_env).
  Runtime(int& argc, char**& argv);
  /// Settings from the MULTIRANK_* variables, then changed by `adjust` (a program's own defaults:
  /// check the variable first where the user's setting should win).
  Runtime(int& argc, char**& argv, const std::function<void(RuntimeOptions&)>& adjust);
  /// Exactly these settings.
  Runtime(int& argc, char**& argv, RuntimeOptions options);
  /// Without the program's arguments; settings from the MULTIRANK_* variables.
  Runtime();
  /// Without the program's arguments; exactly these settings.
  explicit Runtime(RuntimeOptions options);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  /// This process's rank: 0 on the driver (worker ranks never return from the constructor).
  int rank() const noexcept;
  /// How many ranks the job has.
  int size() const noexcept;
  /// Whether this is rank 0, the driver.
  bool is_driver() const noexcept { return rank() == 0; }
  /// How many tasks can run at once: worker ranks, plus the driver when it works too.
  int worker_slots() const noexcept;
  /// Worker ranks lost so far (their processes died or stopped answering; their tasks ran
  /// again on the others, where retries allowed). A program that leaves partial files behind a
  /// task, say, knows from this whether a task may have stopped half-way.
  int lost_worker_ranks() const noexcept;
  /// The name of this rank's host.
  const std::string& host() const;
  /// The settings this Runtime runs with.
  const RuntimeOptions& options() const noexcept { return options_; }

  /// The Runtime of this process; an Error if none is alive.
  static Runtime& current();

 private:
  // The library's own code reaches the engine, the communicator and the shared objects through
  // detail::RuntimeAccess (multirank/detail/runtime_access.hpp), not through this class's API.
  friend struct detail::RuntimeAccess;

  void start(int* argc, char*** argv, std::string problem);
  /// Ends every rank (status 2) if any could not start (`problem`) or the ranks' task registries
  /// differ; collective.
  void stop_if_start_failed(const std::string& problem);
  /// Rank 0's account of how the ranks' task registries differ (collective, once they do).
  std::string registry_difference(std::uint64_t digest);
  /// Ends every rank with status 2; rank 0 prints each distinct reason once. `name_ranks`: say
  /// which ranks have a problem that not all of them have.
  [[noreturn]] void end_start(const std::string& problem, bool name_ranks);
  /// Stops processes, the engine and the worker ranks, writes the profile, finalises MPI.
  /// Returns the signal that interrupted the job, or 0.
  int close() noexcept;

  RuntimeOptions options_;
  bool owns_mpi_ = false;
  std::unique_ptr<detail::InterruptSignals> signals_;
  std::unique_ptr<detail::Communicator> comm_;
  std::unique_ptr<detail::ProfileSession> profile_;  // null unless profiling (MULTIRANK_PROFILE)
  std::unique_ptr<detail::ProgressEngine> engine_;
  std::unique_ptr<detail::ObjectHost> objects_;
  detail::ObjectChannel* channel_ = nullptr;
  std::atomic<std::uint32_t> next_thread_number_{0};
};

}  // namespace multirank
