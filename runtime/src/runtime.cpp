// Start-up and shut-down of a multirank job on every rank.
#include "multirank/runtime.hpp"

#include <mpi.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <sstream>

#include "multirank/detail/backoff.hpp"
#include "multirank/detail/communicator.hpp"
#include "multirank/detail/driver_engine.hpp"
#include "multirank/detail/interruption.hpp"
#include "multirank/detail/launcher_connection.hpp"
#include "multirank/detail/library_log.hpp"
#include "multirank/detail/object_host.hpp"
#include "multirank/detail/profile_session.hpp"
#include "multirank/detail/registry.hpp"
#include "multirank/detail/worker_loop.hpp"
#include "multirank/error.hpp"

namespace multirank {

namespace {

std::atomic<Runtime*> current_runtime{nullptr};
// Written once at start-up, read by the terminate handler, which can rely on nothing else.
int terminate_rank = -1;
char terminate_host[256] = "?";
// The driver's profile, saved by the terminate handler if the job dies.
std::atomic<detail::ProfileSession*> fatal_error_profile{nullptr};

[[noreturn]] void abort_job() {
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();
}

/// Any exception escaping main ends the whole job with its message instead of leaving the other
/// ranks waiting for a driver that is gone. An uncaught Interrupted ends it as cleanly as a
/// caught one: running tasks get their grace, the profile is written, the status is 128 + signal.
[[noreturn]] void on_terminate() {
  if (auto error = std::current_exception()) {
    try {
      std::rethrow_exception(error);
    } catch (const Interrupted& e) {
      std::fprintf(stderr, "multirank: rank %d (%s): %s\n", terminate_rank, terminate_host, e.what());
      std::fflush(stderr);
      Runtime* runtime = current_runtime.load();
      int signal = e.signal();
      if (runtime != nullptr && terminate_rank == 0) signal = detail::close_runtime(*runtime);
      std::fflush(nullptr);
      std::_Exit(128 + (signal != 0 ? signal : e.signal()));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "multirank: rank %d (%s): uncaught exception: %s\n", terminate_rank,
                   terminate_host, e.what());
    } catch (...) {
      std::fprintf(stderr, "multirank: rank %d (%s): uncaught exception of unknown type\n",
                   terminate_rank, terminate_host);
    }
  } else {
    std::fprintf(stderr, "multirank: rank %d (%s): std::terminate called\n", terminate_rank,
                 terminate_host);
  }
  std::fflush(stderr);
  if (auto* profile = fatal_error_profile.exchange(nullptr)) profile->save_on_fatal_error();
  abort_job();
}

/// MPI_Finalize, which can wait for ever for a rank that died: after `limit` the process ends
/// with `status` instead (the job's work is done by then).
void finalize_within(std::chrono::seconds limit, int status) {
  std::mutex mutex;
  std::condition_variable finished;
  bool done = false;
  std::thread guard([&] {
    std::unique_lock lock(mutex);
    if (finished.wait_for(lock, limit, [&] { return done; })) return;
    std::fprintf(stderr,
                 "multirank: rank %d: MPI_Finalize did not return within %lld s after ranks were "
                 "lost; ending this rank\n",
                 terminate_rank, static_cast<long long>(limit.count()));
    std::fflush(nullptr);
    std::_Exit(status);
  });
  MPI_Finalize();
  {
    std::lock_guard lock(mutex);
    done = true;
  }
  finished.notify_all();
  guard.join();
}

/// Whether this node has a device that one of Open MPI's other messaging layers (UCX, the cm
/// layer's libfabric or PSM2) could use: RDMA devices all appear under /sys/class/infiniband,
/// HPE Slingshot under /sys/class/cxi, Omni-Path also as /dev/hfi1_*.
bool has_high_speed_fabric() {
  namespace fs = std::filesystem;
  std::error_code error;
  for (const char* directory : {"/sys/class/infiniband", "/sys/class/cxi"}) {
    if (fs::is_directory(directory, error) && !fs::is_empty(directory, error)) return true;
  }
  for (const auto& entry : fs::directory_iterator("/dev", error)) {
    if (entry.path().filename().string().starts_with("hfi1")) return true;
  }
  return false;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  return text;
}

}  // namespace

void prepare_mpi_environment() {
  // mpirun makes every rank of an oversubscribed node call sched_yield() inside each MPI_Iprobe
  // that finds nothing. multirank's wait loops already spin and nap (and yield where spin_yield
  // asks): the extra syscall per probe cut the chunksize-1 map 4-5x and raised the round trip
  // from 2.7 to 8-47 µs with 3 ranks on 2 cores (measured side by side here).
  setenv("OMPI_MCA_mpi_yield_when_idle", "0", 1);
  // On a node without a high-speed fabric Open MPI ends up with the ob1 messaging layer anyway
  // (pml_base_verbose says so here), but first opens the cm layer, whose libfabric and PSM
  // probing took 200 ms of every rank's MPI_Init (290 -> 85 ms, mpirun -np 2 ... 0.44 -> 0.22 s,
  // side by side on the 2-core VM). Naming ob1 skips that probing and changes nothing else; a
  // node with RDMA devices (InfiniBand, RoCE, Omni-Path, EFA) or Slingshot keeps Open MPI's
  // choice, and so does any pml the user or mpirun's --mca set.
  if (std::getenv("OMPI_MCA_pml") == nullptr && !has_high_speed_fabric()) setenv("OMPI_MCA_pml", "ob1", 1);
}

EarlyInterrupts::EarlyInterrupts() : signals_(std::make_unique<detail::InterruptSignals>()) {}
EarlyInterrupts::~EarlyInterrupts() = default;

Runtime::Runtime(int& argc, char**& argv, RuntimeOptions options) : options_(std::move(options)) {
  start(&argc, &argv);
}

Runtime::Runtime(RuntimeOptions options) : options_(std::move(options)) { start(nullptr, nullptr); }

void Runtime::start(int* argc, char*** argv) {
  Runtime* expected = nullptr;
  if (!current_runtime.compare_exchange_strong(expected, this)) {
    throw Error("a multirank::Runtime already exists in this process: create one, in main");
  }
  detail::install_library_log();
  spdlog::set_level(spdlog::level::from_str(options_.log_level));
  using Clock = std::chrono::steady_clock;
  const auto starting = Clock::now();
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {
    prepare_mpi_environment();
    // Engine MPI calls are made by several threads, but only ever one at a time (engine lock).
    int provided = 0;
    detail::check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided),
                      "MPI_Init_thread");
    owns_mpi_ = true;
    if (provided < MPI_THREAD_SERIALIZED) {
      throw MpiError("MPI_Init_thread (MPI_THREAD_SERIALIZED not provided)", MPI_ERR_OTHER);
    }
  }
  // Spares MPI_Finalize a 40 ms wait (launcher_connection.hpp); where the connection is not TCP
  // there is nothing to set.
  if (const auto server = detail::pmix_server_endpoint_from_environment()) {
    const int set = detail::set_nodelay_towards(*server);
    spdlog::debug("multirank: TCP_NODELAY set on {} connection(s) to the PMIx server at {}:{}", set,
                  server->address, server->port);
  }
  // From here a SIGINT or SIGTERM is only recorded, on every rank: the driver leads the stop.
  signals_ = std::make_unique<detail::InterruptSignals>();
  comm_ = std::make_unique<detail::Communicator>(MPI_COMM_WORLD);
  terminate_rank = comm_->rank();
  std::snprintf(terminate_host, sizeof(terminate_host), "%s", comm_->hosts()[comm_->rank()].c_str());
  std::set_terminate(on_terminate);

  check_registries();
  if (!options_.spin_yield) {
    const auto& hosts = comm_->hosts();
    const bool drivers_node = hosts.at(0) == hosts.at(static_cast<std::size_t>(comm_->rank()));
    const unsigned cores = std::thread::hardware_concurrency();
    options_.spin_yield = detail::spinning_should_yield(
        comm_->ranks_on_node(), drivers_node && detail::driver_runs_tasks(*comm_, options_), cores);
    spdlog::debug("multirank: rank {}: {} ranks on this node, {} cores: spinning threads {}", comm_->rank(),
                  comm_->ranks_on_node(), cores, *options_.spin_yield ? "yield" : "do not yield");
  }
  const auto initialised = Clock::now();
  profile_ = detail::ProfileSession::start_if_enabled(*comm_, options_);
  detail::ProfileRecorder* recorder = profile_ ? &profile_->recorder() : nullptr;
  const auto started = Clock::now();
  spdlog::debug("multirank: rank {}: starting took {:.4f} s: MPI_Init and the registry check {:.4f}, "
                "the profile's start {:.4f}",
                comm_->rank(), std::chrono::duration<double>(started - starting).count(),
                std::chrono::duration<double>(initialised - starting).count(),
                std::chrono::duration<double>(started - initialised).count());

  if (comm_->rank() != 0) {
    // A worker never returns to main, so it finalises MPI here even when the program
    // initialised it itself.
    const auto outcome = detail::serve_tasks(*comm_, options_, recorder);
    if (profile_ && !outcome.ranks_lost) profile_->finish();
    profile_.reset();
    comm_.reset();
    if (outcome.ranks_lost) finalize_within(std::chrono::seconds(5), outcome.status);
    else MPI_Finalize();
    if (outcome.processes_left_running || outcome.ranks_lost) {
      // Daemon processes still run on this rank's threads: end them with the rank, without
      // destroying statics they may be using.
      std::fflush(nullptr);
      std::_Exit(outcome.status);
    }
    std::exit(outcome.status);
  }
  engine_ = std::make_unique<detail::DriverEngine>(*comm_, options_, recorder);
  if (profile_) {
    profile_->set_driver_runs_tasks(engine_->worker_slots() > comm_->size() - 1);
    fatal_error_profile.store(profile_.get());
  }
  objects_ = std::make_unique<detail::ObjectHost>(*comm_, *engine_, options_);
  channel_ = objects_.get();
  detail::current_client();  // the driver's main thread is thread 1 in diagnostics
}

void Runtime::check_registries() {
  auto& registry = detail::Registry::instance();
  registry.seal();
  const std::uint64_t digest = registry.digest();
  std::vector<std::uint64_t> digests(static_cast<std::size_t>(comm_->size()));
  detail::check_mpi(MPI_Allgather(&digest, 1, MPI_UINT64_T, digests.data(), 1, MPI_UINT64_T,
                                  comm_->get()),
                    "MPI_Allgather");
  if (std::all_of(digests.begin(), digests.end(), [&](auto d) { return d == digests[0]; })) return;

  // Explain the difference: rank 0 collects every rank's task list.
  const std::string mine = join_lines(registry.describe());
  int length = static_cast<int>(mine.size());
  std::vector<int> lengths(static_cast<std::size_t>(comm_->size()));
  detail::check_mpi(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, comm_->get()),
                    "MPI_Gather");
  std::vector<int> offsets(lengths.size(), 0);
  for (std::size_t r = 1; r < lengths.size(); ++r) offsets[r] = offsets[r - 1] + lengths[r - 1];
  std::string all(comm_->rank() == 0 ? static_cast<std::size_t>(offsets.back() + lengths.back()) : 0,
                  '\0');
  detail::check_mpi(MPI_Gatherv(mine.data(), length, MPI_CHAR, all.data(), lengths.data(),
                                offsets.data(), MPI_CHAR, 0, comm_->get()),
                    "MPI_Gatherv");
  if (comm_->rank() != 0) {
    MPI_Finalize();
    std::exit(1);
  }
  std::ostringstream report;
  report << "the ranks hold different task registries (were they built from different "
            "binaries?):";
  for (std::size_t r = 1; r < digests.size(); ++r) {
    if (digests[r] == digests[0]) continue;
    report << "\n  rank " << r << " (" << comm_->hosts()[r] << ") has:\n";
    std::istringstream lines(all.substr(static_cast<std::size_t>(offsets[r]),
                                        static_cast<std::size_t>(lengths[r])));
    for (std::string line; std::getline(lines, line);) report << "    " << line << "\n";
  }
  report << "  rank 0 (" << comm_->hosts()[0] << ") has:\n";
  for (const auto& line : registry.describe()) report << "    " << line << "\n";
  throw TaskError(report.str());
}

Runtime::~Runtime() {
  if (const int signal = close()) {
    // The job was interrupted: its status says so, whatever main returns.
    std::fflush(nullptr);
    std::exit(128 + signal);
  }
}

int Runtime::close() noexcept {
  if (comm_ == nullptr) return 0;
  if (objects_) {
    try {
      objects_->join_processes();  // non-daemon processes are waited for, as in Python
      objects_->shut_down();       // daemon processes' calls end with JobEnding
    } catch (const std::exception& e) {
      spdlog::error("multirank: ending the processes failed: {}", e.what());
    }
  }
  using Clock = std::chrono::steady_clock;
  const auto closing = Clock::now();
  try {
    if (engine_) engine_->shutdown();  // waits for outstanding work, then stops the worker ranks
  } catch (const std::exception& e) {
    spdlog::error("multirank: stopping the engine failed: {}", e.what());
  }
  const bool ranks_lost = engine_ && engine_->lost_workers() > 0;
  const int signal = engine_ ? engine_->interrupted_by() : 0;
  channel_ = nullptr;
  objects_.reset();
  engine_.reset();
  fatal_error_profile.store(nullptr);
  const auto stopped = Clock::now();
  if (profile_ && ranks_lost) {
    profile_->save_on_fatal_error();  // the lost ranks' logs are gone: rank 0's own, marked so
  } else if (profile_) {
    profile_->finish();  // gathers every rank's log; rank 0 starts writing the reports
  }
  const int rank = comm_->rank();
  comm_.reset();
  const auto gathered = Clock::now();
  if (owns_mpi_ && ranks_lost) {
    finalize_within(std::chrono::seconds(5), 0);
  } else if (owns_mpi_) {
    MPI_Finalize();
  }
  const auto finalized = Clock::now();
  profile_.reset();  // after MPI_Finalize, which the writing overlaps: waits for the files
  // Where a job's last moments go (shutdown's share of a short job's wall time is its overhead).
  auto seconds = [](Clock::duration span) { return std::chrono::duration<double>(span).count(); };
  spdlog::debug("multirank: rank {}: closing took {:.4f} s: stopping the workers {:.4f}, the profile's "
                "gathering {:.4f}, MPI_Finalize {:.4f}, then waiting for the profile's files {:.4f}",
                rank, seconds(Clock::now() - closing), seconds(stopped - closing),
                seconds(gathered - stopped), seconds(finalized - gathered),
                seconds(Clock::now() - finalized));
  signals_.reset();
  current_runtime.store(nullptr);
  return signal;
}

int Runtime::rank() const noexcept { return comm_->rank(); }
const detail::Communicator& Runtime::communicator() const noexcept { return *comm_; }
int Runtime::size() const noexcept { return comm_->size(); }
int Runtime::worker_slots() const noexcept { return engine_->worker_slots(); }
const std::string& Runtime::host() const { return comm_->hosts()[comm_->rank()]; }

Runtime& Runtime::current() {
  Runtime* runtime = current_runtime.load();
  if (runtime == nullptr) {
    throw Error("no multirank::Runtime is alive: create one at the start of main");
  }
  return *runtime;
}

detail::DriverEngine& Runtime::engine() { return *engine_; }

detail::ObjectChannel& Runtime::object_channel() {
  if (channel_ == nullptr) throw detail::JobEnding("the job is ending: shared objects are gone");
  return *channel_;
}

detail::ObjectHost& Runtime::object_host() {
  if (!objects_) throw Error("processes are started from the driver (rank 0) only");
  return *objects_;
}

}  // namespace multirank

namespace multirank::detail {
DriverEngine& driver_engine_of_runtime() { return Runtime::current().engine(); }

int close_runtime(Runtime& runtime) noexcept { return runtime.close(); }

void end_job_now(int status) {
  std::fflush(nullptr);
  if (auto* profile = fatal_error_profile.exchange(nullptr)) profile->save_on_fatal_error();
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, status);
  std::_Exit(status);
}
}  // namespace multirank::detail
