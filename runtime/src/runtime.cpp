// Start-up and shut-down of a multirank job on every rank.
#include "multirank/runtime.hpp"

#include <mpi.h>
#include <spdlog/spdlog.h>

#include <cxxabi.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <thread>

#include <exception>
#include <filesystem>
#include <map>
#include <sstream>
#include <string_view>

#include "core/backoff.hpp"
#include "core/exit_status.hpp"
#include "core/interruption.hpp"
#include "core/launcher_connection.hpp"
#include "core/library_log.hpp"
#include "engine/progress_engine.hpp"
#include "multirank/detail/registry.hpp"
#include "multirank/detail/runtime_access.hpp"
#include "multirank/error.hpp"
#include "objects/object_host.hpp"
#include "profile/profile_session.hpp"
#include "recording/program_records.hpp"
#include "tasks/task_execution.hpp"
#include "wire/communicator.hpp"
#include "worker/worker_loop.hpp"

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

/// The type of the exception being handled, as written in source.
std::string current_exception_type() {
  const std::type_info* type = abi::__cxa_current_exception_type();
  return type != nullptr ? detail::demangle(type->name()) : std::string("unknown type");
}

/// Any exception escaping main ends the whole job with its type and message instead of leaving the
/// other ranks waiting for a driver that is gone. An uncaught Interrupted ends it as cleanly as a
/// caught one: running tasks get their grace, the profile is written, the status is 128 + signal.
[[noreturn]] void on_terminate() {
  if (auto error = std::current_exception()) {
    try {
      std::rethrow_exception(error);
    } catch (const Interrupted& e) {
      std::fprintf(stderr, "multirank: rank %d (%s): %s\n", terminate_rank, terminate_host,
                   e.what());
      std::fflush(stderr);
      Runtime* runtime = current_runtime.load();
      int signal = e.signal();
      if (runtime != nullptr && terminate_rank == 0)
        signal = detail::RuntimeAccess::close(*runtime);
      if (signal == 0) signal = e.signal();
      std::fflush(nullptr);
      detail::record_driver_end(detail::DriverEnd::interrupted, 128 + signal, signal);
      std::_Exit(128 + signal);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "multirank: rank %d (%s): uncaught exception %s: %s\n", terminate_rank,
                   terminate_host, current_exception_type().c_str(), e.what());
    } catch (...) {
      std::fprintf(stderr, "multirank: rank %d (%s): uncaught exception of type %s\n",
                   terminate_rank, terminate_host, current_exception_type().c_str());
    }
  } else {
    std::fprintf(stderr, "multirank: rank %d (%s): std::terminate called\n", terminate_rank,
                 terminate_host);
  }
  std::fflush(nullptr);
  if (auto* profile = fatal_error_profile.exchange(nullptr)) profile->save_on_fatal_error();
  detail::record_driver_end(detail::DriverEnd::aborted, 1);
  abort_job();
}

/// Ends this rank without MPI_Finalize, which waits for ever for ranks that died (it is a
/// collective): once ranks were lost, the job's work is done and there is nothing to wait for.
[[noreturn]] void end_rank_after_loss(int status) {
  std::fflush(nullptr);
  std::_Exit(status);
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

/// The number of ranks mpirun started on this node, read before MPI_Init (0 when unknown).
int local_ranks_from_launcher() {
  for (const char* name :
       {"OMPI_COMM_WORLD_LOCAL_SIZE", "SLURM_NTASKS_PER_NODE", "MPI_LOCALNRANKS"}) {
    if (const char* value = std::getenv(name)) return std::atoi(value);
  }
  return 0;
}

/// MULTIRANK_SPIN_YIELD's 1 or 0, read before MPI_Init; nothing for auto, no setting or a malformed
/// one (the Runtime reports that once MPI is up).
std::optional<bool> spin_yield_setting() {
  try {
    return RuntimeOptions::from_env().spin_yield;
  } catch (const ConfigError&) {
    return std::nullopt;
  }
}

/// Every rank's `text`, on rank 0 (in rank order; empty elsewhere). Collective.
std::vector<std::string> gather_texts(const std::string& text, const detail::Communicator& comm) {
  int length = static_cast<int>(text.size());
  std::vector<int> lengths(static_cast<std::size_t>(comm.size()));
  detail::check_mpi(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, 0, comm.get()),
                    "MPI_Gather");
  std::vector<int> offsets(lengths.size(), 0);
  for (std::size_t r = 1; r < lengths.size(); ++r) offsets[r] = offsets[r - 1] + lengths[r - 1];
  std::string all(comm.rank() == 0 ? static_cast<std::size_t>(offsets.back() + lengths.back()) : 0,
                  '\0');
  detail::check_mpi(MPI_Gatherv(text.data(), length, MPI_CHAR, all.data(), lengths.data(),
                                offsets.data(), MPI_CHAR, 0, comm.get()),
                    "MPI_Gatherv");
  std::vector<std::string> texts;
  if (comm.rank() != 0) return texts;
  for (std::size_t r = 0; r < lengths.size(); ++r) {
    texts.push_back(
        all.substr(static_cast<std::size_t>(offsets[r]), static_cast<std::size_t>(lengths[r])));
  }
  return texts;
}

/// Nanoseconds of CLOCK_MONOTONIC, which std::chrono::steady_clock reads on Linux.
std::int64_t steady_ns(std::chrono::steady_clock::time_point at) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
}

/// A phase of start-up or close, for the profile: kept until the session takes it, or dropped
/// when the run is not profiled.
void record_phase(std::string_view name, std::chrono::steady_clock::time_point from,
                  std::chrono::steady_clock::time_point to) {
  try {
    detail::ProgramRecords::instance().record_phase(name, steady_ns(from), steady_ns(to));
  } catch (...) {
    // Out of memory for one phase: the profile lacks it, the job goes on.
  }
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
  // asks): the extra syscall per probe only slows every round trip (apps/bench/startup_results.md).
  // Only where many ranks share each core is yielding worth it: there start-up's collectives move
  // only when the ranks that wait step aside.
  // MULTIRANK_SPIN_YIELD=1 or 0 decides for Open MPI's waits too: on namespace hosts or containers
  // sharing one machine, each "node" counts only its own ranks.
  const auto yield = detail::mpi_yield_when_idle(spin_yield_setting(), local_ranks_from_launcher(),
                                                 std::thread::hardware_concurrency());
  if (yield) setenv("OMPI_MCA_mpi_yield_when_idle", *yield ? "1" : "0", 1);
  // On a node without a high-speed fabric Open MPI ends up with the ob1 messaging layer anyway
  // (pml_base_verbose says so), but first opens the cm layer, whose libfabric and PSM probing
  // takes most of every rank's MPI_Init (apps/bench/startup_results.md). Naming ob1 skips that
  // probing and changes nothing else; a
  // node with RDMA devices (InfiniBand, RoCE, Omni-Path, EFA) or Slingshot keeps Open MPI's
  // choice, and so does any pml the user or mpirun's --mca set.
  if (std::getenv("OMPI_MCA_pml") == nullptr && !has_high_speed_fabric())
    setenv("OMPI_MCA_pml", "ob1", 1);
}

namespace {

/// The settings from the environment, or the defaults and what is wrong with the environment.
RuntimeOptions options_from_env(std::string& problem) {
  try {
    return RuntimeOptions::from_env();
  } catch (const ConfigError& e) {
    problem = e.what();
    return RuntimeOptions{};
  }
}

/// What is wrong with settings a program chose itself.
std::string options_problem(const RuntimeOptions& options) {
  try {
    options.validate();
    return {};
  } catch (const ConfigError& e) {
    return e.what();
  }
}

/// Initialises MPI unless the program did, and says whether it did; a thread level too low for
/// multirank becomes `problem` (unless there is one already).
bool initialise_mpi(int* argc, char*** argv, std::string& problem) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized) return false;
  prepare_mpi_environment();
  // Engine MPI calls are made by several threads, but only ever one at a time (engine lock).
  int provided = 0;
  detail::check_mpi(MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided),
                    "MPI_Init_thread");
  if (provided < MPI_THREAD_SERIALIZED && problem.empty()) {
    problem =
        "this MPI library does not provide MPI_THREAD_SERIALIZED, which multirank needs "
        "(its engine makes MPI calls from several threads, one at a time)";
  }
  return true;
}

/// Spares MPI_Finalize a delayed-ACK wait (launcher_connection.hpp); where the connection is not
/// TCP there is nothing to set.
void speed_up_launcher_connection() {
  if (const auto server = detail::pmix_server_endpoint_from_environment()) {
    const int set = detail::set_nodelay_towards(*server);
    spdlog::debug("multirank: TCP_NODELAY set on {} connection(s) to the PMIx server at {}:{}", set,
                  server->address, server->port);
  }
}

/// Whether this rank's spinning threads yield, unless the settings say: where ranks (and the
/// driver's worker thread) outnumber the node's cores.
void choose_spin_yield(const detail::Communicator& comm, RuntimeOptions& options) {
  if (options.spin_yield) return;
  const auto& hosts = comm.hosts();
  const bool drivers_node = hosts.at(0) == hosts.at(static_cast<std::size_t>(comm.rank()));
  const unsigned cores = std::thread::hardware_concurrency();
  options.spin_yield = detail::spinning_should_yield(
      comm.ranks_on_node(), drivers_node && detail::driver_runs_tasks(comm, options), cores);
  spdlog::debug("multirank: rank {}: {} ranks on this node, {} cores: spinning threads {}",
                comm.rank(), comm.ranks_on_node(), cores,
                *options.spin_yield ? "yield" : "do not yield");
}

/// A worker rank's whole life after start-up: it serves tasks until the driver leads it out,
/// then finalises MPI (even when the program initialised it: a worker never returns to main)
/// and exits the process. `comm` and `profile` are the Runtime's own, which its processes use
/// while it serves.
[[noreturn]] void serve_then_exit(std::unique_ptr<detail::Communicator>& comm,
                                  std::unique_ptr<detail::ProfileSession>& profile,
                                  const RuntimeOptions& options) {
  const auto outcome =
      detail::serve_tasks(*comm, options, profile ? &profile->recorder() : nullptr);
  if (profile && !outcome.ranks_lost) profile->finish();
  profile.reset();
  comm.reset();
  if (outcome.ranks_lost) end_rank_after_loss(outcome.status);
  MPI_Finalize();
  if (outcome.processes_left_running) {
    // Daemon processes still run on this rank's threads: end them with the rank, without
    // destroying statics they may be using.
    std::fflush(nullptr);
    std::_Exit(outcome.status);
  }
  std::exit(outcome.status);
}

}  // namespace

Runtime::Runtime(int& argc, char**& argv) {
  std::string problem;
  options_ = options_from_env(problem);
  start(&argc, &argv, std::move(problem));
}

Runtime::Runtime(int& argc, char**& argv, const std::function<void(RuntimeOptions&)>& adjust) {
  std::string problem;
  options_ = options_from_env(problem);
  if (problem.empty()) {
    adjust(options_);
    problem = options_problem(options_);
  }
  start(&argc, &argv, std::move(problem));
}

Runtime::Runtime(int& argc, char**& argv, RuntimeOptions options) : options_(std::move(options)) {
  start(&argc, &argv, options_problem(options_));
}

Runtime::Runtime() {
  std::string problem;
  options_ = options_from_env(problem);
  start(nullptr, nullptr, std::move(problem));
}

Runtime::Runtime(RuntimeOptions options) : options_(std::move(options)) {
  start(nullptr, nullptr, options_problem(options_));
}

void Runtime::start(int* argc, char*** argv, std::string problem) {
  Runtime* expected = nullptr;
  if (!current_runtime.compare_exchange_strong(expected, this)) {
    throw Error("a multirank::Runtime already exists in this process: create one, in main");
  }
  detail::install_library_log();
  if (problem.empty()) spdlog::set_level(spdlog::level::from_str(options_.log_level));
  using Clock = std::chrono::steady_clock;
  const auto starting = Clock::now();
  try {
    // Before the Runtime: the loader, then the program's own start (its static initialisers and
    // main up to here). The kernel's start time is to its clock tick: never after the library's.
    auto& records = detail::ProgramRecords::instance();
    const std::int64_t loaded = records.library_loaded_ns();
    records.record_phase("process start to main",
                         std::min(detail::ProgramRecords::process_start_ns(), loaded), loaded);
    records.record_phase("main to the Runtime", loaded, steady_ns(starting));
  } catch (...) {
    // Out of memory for a phase: the profile lacks it, the job goes on.
  }
  owns_mpi_ = initialise_mpi(argc, argv, problem);
  const auto mpi_initialised = Clock::now();
  record_phase("MPI_Init", starting, mpi_initialised);
  speed_up_launcher_connection();
  // From here a SIGINT or SIGTERM is only recorded, on every rank: the driver leads the stop.
  signals_ = std::make_unique<detail::InterruptSignals>();
  comm_ = std::make_unique<detail::Communicator>(MPI_COMM_WORLD, options_.dispatch_tree,
                                                 static_cast<int>(options_.tree_node_ranks));
  terminate_rank = comm_->rank();
  std::snprintf(terminate_host, sizeof(terminate_host), "%s",
                comm_->hosts()[comm_->rank()].c_str());
  if (comm_->rank() == 0) detail::watch_driver_exit(terminate_host);
  std::set_terminate(on_terminate);

  const auto connected = Clock::now();
  record_phase("communicator and hosts", mpi_initialised, connected);
  stop_if_start_failed(problem);
  choose_spin_yield(*comm_, options_);
  const auto initialised = Clock::now();
  record_phase("settings and registry check", connected, initialised);
  // The session records its own start and clock estimate, and takes the phases above.
  profile_ = detail::ProfileSession::start_if_enabled(*comm_, options_);
  const auto started = Clock::now();
  const auto seconds = [](auto from, auto to) {
    return std::chrono::duration<double>(to - from).count();
  };
  spdlog::debug(
      "multirank: rank {}: starting took {:.4f} s: MPI_Init {:.4f}, the communicator and hosts "
      "{:.4f}, the settings and registry checks {:.4f}, the profile's start {:.4f}",
      comm_->rank(), seconds(starting, started), seconds(starting, mpi_initialised),
      seconds(mpi_initialised, connected), seconds(connected, initialised),
      seconds(initialised, started));

  if (comm_->rank() != 0) serve_then_exit(comm_, profile_, options_);
  engine_ = std::make_unique<detail::ProgressEngine>(*comm_, options_,
                                                     profile_ ? &profile_->recorder() : nullptr);
  if (profile_) {
    profile_->set_driver_runs_tasks(engine_->worker_slots() > comm_->size() - 1);
    fatal_error_profile.store(profile_.get());
  }
  objects_ = std::make_unique<detail::ObjectHost>(*comm_, *engine_, options_);
  channel_ = objects_.get();
  detail::current_client();  // the driver's main thread is thread 1 in diagnostics
}

void Runtime::stop_if_start_failed(const std::string& problem) {
  auto& registry = detail::Registry::instance();
  registry.seal();
  const std::uint64_t digest = registry.digest();
  // One reduction answers both questions, as every collective of start-up costs most where many
  // ranks share a core: whether any rank has a problem (the least "fine"), and whether all hold
  // the same registry (the smallest digest equals the largest, taken as the smallest complement).
  const std::array<std::uint64_t, 3> mine{problem.empty() ? 1U : 0U, digest, ~digest};
  std::array<std::uint64_t, 3> least{};
  detail::check_mpi(
      MPI_Allreduce(mine.data(), least.data(), 3, MPI_UINT64_T, MPI_MIN, comm_->get()),
      "MPI_Allreduce");
  if (least[0] == 0) end_start(problem, true);
  // Rank 0 explains a difference for all: the others only know that there is one.
  if (least[1] != ~least[2]) end_start(registry_difference(digest), false);
}

void Runtime::end_start(const std::string& problem, bool name_ranks) {
  // Every rank usually has the same problem (the same environment, the same binary): rank 0 says
  // each distinct one once, naming the ranks that have it where not all do.
  const auto problems = gather_texts(problem, *comm_);
  if (comm_->rank() == 0) {
    std::map<std::string, std::vector<int>> ranks_by_problem;
    for (std::size_t r = 0; r < problems.size(); ++r) {
      if (!problems[r].empty()) ranks_by_problem[problems[r]].push_back(static_cast<int>(r));
    }
    for (const auto& [text, ranks] : ranks_by_problem) {
      std::string where;
      if (name_ranks && static_cast<int>(ranks.size()) != comm_->size()) {
        where = ranks.size() == 1 ? " (rank " : " (ranks ";
        for (std::size_t i = 0; i < ranks.size(); ++i)
          where += (i ? ", " : "") + std::to_string(ranks[i]);
        where += ")";
      }
      std::fprintf(stderr, "multirank: cannot start%s: %s\n", where.c_str(), text.c_str());
    }
    std::fflush(stderr);
  }
  comm_.reset();
  if (owns_mpi_) MPI_Finalize();
  std::exit(2);
}

std::string Runtime::registry_difference(std::uint64_t digest) {
  const auto& registry = detail::Registry::instance();
  // Rank 0 collects every rank's digest and task list.
  std::vector<std::uint64_t> digests(static_cast<std::size_t>(comm_->size()));
  detail::check_mpi(
      MPI_Gather(&digest, 1, MPI_UINT64_T, digests.data(), 1, MPI_UINT64_T, 0, comm_->get()),
      "MPI_Gather");
  const auto lists = gather_texts(join_lines(registry.describe()), *comm_);
  if (comm_->rank() != 0) return {};
  std::ostringstream report;
  report << "the ranks hold different task registries (were they built from different "
            "binaries?):";
  for (std::size_t r = 1; r < digests.size(); ++r) {
    if (digests[r] == digests[0]) continue;
    report << "\n  rank " << r << " (" << comm_->hosts()[r] << ") has:\n";
    std::istringstream lines(lists[r]);
    for (std::string line; std::getline(lines, line);) report << "    " << line << "\n";
  }
  report << "  rank 0 (" << comm_->hosts()[0] << ") has:";
  for (const auto& line : registry.describe()) report << "\n    " << line;
  return report.str();
}

Runtime::~Runtime() {
  if (const int signal = close()) {
    // The job was interrupted: its status says so, whatever main returns.
    std::fflush(nullptr);
    detail::record_driver_end(detail::DriverEnd::interrupted, 128 + signal, signal);
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
  const bool ranks_lost = engine_ && engine_->lost_worker_ranks() > 0;
  const int signal = engine_ ? engine_->interrupted_by() : 0;
  channel_ = nullptr;
  objects_.reset();
  engine_.reset();
  fatal_error_profile.store(nullptr);
  const auto stopped = Clock::now();
  record_phase("stopping the workers", closing, stopped);
  if (profile_ && ranks_lost) {
    profile_->save_on_fatal_error();  // the lost ranks' logs are gone: rank 0's own, marked so
  } else if (profile_) {
    profile_->finish();  // gathers every rank's log; rank 0 starts writing the reports
  }
  const int rank = comm_->rank();
  comm_.reset();
  const auto gathered = Clock::now();
  // MPI_Finalize is a collective that waits for ever for ranks that died: after a loss the
  // driver goes on without it (its program may still have work to do after the Runtime).
  if (owns_mpi_ && !ranks_lost) MPI_Finalize();
  const auto finalized = Clock::now();
  // Past the gather: the session appends it to rank 0's log and summary once its files are written.
  if (profile_ && owns_mpi_ && !ranks_lost)
    profile_->add_closing_phase("MPI_Finalize", steady_ns(gathered), steady_ns(finalized));
  profile_.reset();  // after MPI_Finalize, which the writing overlaps: waits for the files
  // Where a job's last moments go (shutdown's share of a short job's wall time is its overhead).
  auto seconds = [](Clock::duration span) { return std::chrono::duration<double>(span).count(); };
  spdlog::debug(
      "multirank: rank {}: closing took {:.4f} s: stopping the workers {:.4f}, the profile's "
      "gathering {:.4f}, MPI_Finalize {:.4f}, then waiting for the profile's files {:.4f}",
      rank, seconds(Clock::now() - closing), seconds(stopped - closing),
      seconds(gathered - stopped), seconds(finalized - gathered),
      seconds(Clock::now() - finalized));
  signals_.reset();
  current_runtime.store(nullptr);
  return signal;
}

int Runtime::rank() const noexcept { return comm_->rank(); }
int Runtime::size() const noexcept { return comm_->size(); }
int Runtime::worker_slots() const noexcept { return engine_->worker_slots(); }
int Runtime::lost_worker_ranks() const noexcept { return engine_->lost_worker_ranks(); }
const std::string& Runtime::host() const { return comm_->hosts()[comm_->rank()]; }

Runtime& Runtime::current() {
  Runtime* runtime = current_runtime.load();
  if (runtime == nullptr) {
    throw Error("no multirank::Runtime is alive: create one at the start of main");
  }
  return *runtime;
}

}  // namespace multirank

namespace multirank::detail {
DriverEngine& RuntimeAccess::engine(Runtime& runtime) { return *runtime.engine_; }

const Communicator& RuntimeAccess::communicator(const Runtime& runtime) noexcept {
  return *runtime.comm_;
}

ObjectChannel& RuntimeAccess::object_channel(Runtime& runtime) {
  if (runtime.channel_ == nullptr) throw JobEnding("the job is ending: shared objects are gone");
  return *runtime.channel_;
}

ObjectHost& RuntimeAccess::object_host(Runtime& runtime) {
  if (!runtime.objects_) throw Error("processes are started from the driver (rank 0) only");
  return *runtime.objects_;
}

std::uint32_t RuntimeAccess::next_thread_number(Runtime& runtime) noexcept {
  return runtime.next_thread_number_.fetch_add(1) + 1;
}

void RuntimeAccess::set_object_channel(Runtime& runtime, ObjectChannel* channel) noexcept {
  runtime.channel_ = channel;
}

int RuntimeAccess::close(Runtime& runtime) noexcept { return runtime.close(); }

DriverEngine& driver_engine_of_runtime() { return RuntimeAccess::engine(Runtime::current()); }

void end_job_now(int status) {
  std::fflush(nullptr);
  if (auto* profile = fatal_error_profile.exchange(nullptr)) profile->save_on_fatal_error();
  const int signal = received_interrupt();
  record_driver_end(
      signal != 0 && status == 128 + signal ? DriverEnd::interrupted : DriverEnd::aborted, status,
      signal != 0 && status == 128 + signal ? signal : 0);
  int initialized = 0;
  int finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, status);
  std::_Exit(status);
}
}  // namespace multirank::detail
