// Profiling from start-up to shutdown: agreeing on it, clock estimates, gathering, writing.
#include "multirank/detail/profile_session.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>

#include "multirank/detail/clock_sync.hpp"
#include "multirank/detail/profile_reports.hpp"
#include "multirank/detail/profile_run.hpp"
#include "multirank/detail/registry.hpp"
#include "multirank/error.hpp"

namespace multirank::detail {

namespace {

constexpr int log_size_tag = 3;
constexpr int log_bytes_tag = 4;
constexpr std::size_t log_chunk_bytes = std::size_t{1} << 30;

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

/// A barrier that sleeps between polls, so the ranks waiting while rank 0 writes the reports
/// leave it the cores (Open MPI's blocking calls busy-poll).
void napping_barrier(MPI_Comm comm) {
  MPI_Request request = MPI_REQUEST_NULL;
  check_mpi(MPI_Ibarrier(comm, &request), "MPI_Ibarrier");
  for (int done = 0;;) {
    check_mpi(MPI_Test(&request, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::filesystem::path log_path(const std::filesystem::path& dir, int rank) {
  return dir / ("rank-" + std::to_string(rank) + ".jsonl");
}

}  // namespace

std::int64_t test_clock_offset_ns(const char* text, int rank) {
  if (text == nullptr || *text == '\0') return 0;
  std::istringstream entries(text);
  std::int64_t mine = 0;
  for (std::string entry; std::getline(entries, entry, ',');) {
    const auto colon = entry.find(':');
    try {
      if (colon == std::string::npos) throw std::invalid_argument("no colon");
      std::size_t used_rank = 0;
      std::size_t used_ns = 0;
      const int which = std::stoi(entry.substr(0, colon), &used_rank);
      const std::int64_t ns = std::stoll(entry.substr(colon + 1), &used_ns);
      if (used_rank != colon || used_ns != entry.size() - colon - 1) throw std::invalid_argument("junk");
      if (which == rank) mine = ns;
    } catch (const std::logic_error&) {
      throw ConfigError(std::string("MULTIRANK_PROFILE_TEST_CLOCK_OFFSET_NS='") + text +
                        "' must be RANK:NANOSECONDS[,RANK:NANOSECONDS...]");
    }
  }
  return mine;
}

std::unique_ptr<ProfileSession> ProfileSession::start_if_enabled(const Communicator& comm,
                                                                 const RuntimeOptions& options) {
  // Rank 0 decides, and says whether its directory is usable: -1 means it is not.
  std::string dir = comm.rank() == 0 ? options.profile_dir : std::string();
  std::string problem;
  if (comm.rank() == 0 && !dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(dir, error);
    if (error) problem = error.message();
  }
  long long length = problem.empty() ? static_cast<long long>(dir.size()) : -1;
  check_mpi(MPI_Bcast(&length, 1, MPI_LONG_LONG, 0, comm.get()), "MPI_Bcast");
  if (length < 0) {
    if (comm.rank() == 0) {
      throw ConfigError("MULTIRANK_PROFILE='" + dir + "': cannot create the directory: " + problem);
    }
    MPI_Finalize();
    std::exit(1);
  }
  if (length == 0) return nullptr;
  dir.resize(static_cast<std::size_t>(length));
  check_mpi(MPI_Bcast(dir.data(), static_cast<int>(length), MPI_CHAR, 0, comm.get()), "MPI_Bcast");
  const std::int64_t shift =
      test_clock_offset_ns(std::getenv("MULTIRANK_PROFILE_TEST_CLOCK_OFFSET_NS"), comm.rank());
  return std::unique_ptr<ProfileSession>(new ProfileSession(comm, options, dir, shift));
}

ProfileSession::ProfileSession(const Communicator& comm, const RuntimeOptions& options,
                               std::filesystem::path dir, std::int64_t clock_offset_ns)
    : rank_(comm.rank()),
      size_(comm.size()),
      dir_(std::move(dir)),
      recorder_(options.profile_max_events, clock_offset_ns) {
  check_mpi(MPI_Comm_dup(comm.get(), &comm_), "MPI_Comm_dup");
  header_.rank = rank_;
  header_.size = size_;
  header_.host = comm.hosts().at(static_cast<std::size_t>(rank_));
  header_.pid = static_cast<long>(getpid());
  header_.slurm_job_id = environment("SLURM_JOB_ID");
  header_.slurm_step_id = environment("SLURM_STEP_ID");
  header_.comm_on_own_thread = rank_ == 0;
  header_.runs_tasks = rank_ != 0;
  for (const auto& line : Registry::instance().describe()) {
    const std::string name = line.substr(0, line.find(": "));
    if (const TaskEntry* entry = Registry::instance().find_by_name(name)) header_.functions[entry->id] = name;
  }
  header_.clock_start = synchronise_clock(comm_, [this] { return recorder_.now(); });
  header_.window_start_ns = recorder_.now();
}

ProfileSession::~ProfileSession() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
}

void ProfileSession::finish() noexcept {
  if (finished_) return;
  finished_ = true;
  std::vector<std::string> logs;
  try {
    header_.window_end_ns = recorder_.now();
    header_.clock_end = synchronise_clock(comm_, [this] { return recorder_.now(); });
    RankLog log;
    log.header = header_;
    recorder_.copy_into(log);
    logs = gather_logs(format_rank_log(log));
  } catch (const std::exception& e) {
    spdlog::error("multirank: rank {}: gathering the profile failed: {}", rank_, e.what());
    return;
  }
  if (rank_ == 0) {
    try {
      const auto started = std::chrono::steady_clock::now();
      write_outputs(logs);
      spdlog::info("multirank: profile of {} ranks written to {} in {:.2f} s", size_, dir_.string(),
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    } catch (const std::exception& e) {
      spdlog::error("multirank: writing the profile to {} failed: {}", dir_.string(), e.what());
    }
  }
  try {
    napping_barrier(comm_);
  } catch (const std::exception& e) {
    spdlog::error("multirank: rank {}: waiting for the profile to be written failed: {}", rank_, e.what());
  }
}

std::vector<std::string> ProfileSession::gather_logs(std::string mine) {
  // Point to point, in chunks: a log may exceed what one MPI count can say.
  std::vector<std::string> logs;
  if (rank_ != 0) {
    const std::uint64_t size = mine.size();
    check_mpi(MPI_Send(&size, 1, MPI_UINT64_T, 0, log_size_tag, comm_), "MPI_Send");
    for (std::size_t offset = 0; offset < mine.size(); offset += log_chunk_bytes) {
      const auto count = static_cast<int>(std::min(log_chunk_bytes, mine.size() - offset));
      check_mpi(MPI_Send(mine.data() + offset, count, MPI_CHAR, 0, log_bytes_tag, comm_), "MPI_Send");
    }
    return logs;
  }
  logs.push_back(std::move(mine));
  for (int peer = 1; peer < size_; ++peer) {
    std::uint64_t size = 0;
    check_mpi(MPI_Recv(&size, 1, MPI_UINT64_T, peer, log_size_tag, comm_, MPI_STATUS_IGNORE), "MPI_Recv");
    std::string log(size, '\0');
    for (std::size_t offset = 0; offset < log.size(); offset += log_chunk_bytes) {
      const auto count = static_cast<int>(std::min<std::size_t>(log_chunk_bytes, log.size() - offset));
      check_mpi(MPI_Recv(log.data() + offset, count, MPI_CHAR, peer, log_bytes_tag, comm_, MPI_STATUS_IGNORE),
                "MPI_Recv");
    }
    logs.push_back(std::move(log));
  }
  return logs;
}

void ProfileSession::write_outputs(const std::vector<std::string>& logs) const {
  // The raw logs go to disk on one thread while the others read them, a share of the ranks
  // each, and then write the reports: the user waits for all of it before the job exits.
  auto raw_logs = std::async(std::launch::async, [&] {
    for (std::size_t rank = 0; rank < logs.size(); ++rank) {
      const auto path = log_path(dir_, static_cast<int>(rank));
      std::ofstream out(path, std::ios::binary);
      out.write(logs[rank].data(), static_cast<std::streamsize>(logs[rank].size()));
      out.flush();
      if (!out) throw Error(path.string() + ": cannot be written");
    }
  });
  std::vector<RankLog> parsed(logs.size());
  const std::size_t readers =
      std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, std::max<std::size_t>(1, logs.size()));
  std::vector<std::future<void>> reading;
  for (std::size_t reader = 0; reader < readers; ++reader) {
    reading.push_back(std::async(std::launch::async, [&, reader] {
      for (std::size_t rank = reader; rank < logs.size(); rank += readers) {
        parsed[rank] = parse_rank_log(logs[rank], log_path(dir_, static_cast<int>(rank)).string());
      }
    }));
  }
  for (auto& part : reading) part.get();
  write_reports(assemble_run(std::move(parsed), dir_.string()), dir_);
  raw_logs.get();
}

void ProfileSession::save_on_fatal_error() noexcept {
  if (finished_ || rank_ != 0) return;
  finished_ = true;
  try {
    RankLog log;
    log.header = header_;
    log.header.complete = false;
    log.header.size = 1;  // only this rank's log can be saved
    log.header.window_end_ns = recorder_.now();
    recorder_.copy_into(log);
    const std::string text = format_rank_log(log);
    write_outputs({text});
    std::fprintf(stderr, "multirank: the driver's profile up to the failure is in %s\n", dir_.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "multirank: saving the profile failed: %s\n", e.what());
  }
}

}  // namespace multirank::detail
