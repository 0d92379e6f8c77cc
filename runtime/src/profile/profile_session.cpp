// Profiling from start-up to shutdown: agreeing on it, clock estimates, gathering, writing.
#include "profile/profile_session.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cstdlib>
#include <fstream>
#include <future>
#include <memory>
#include <random>
#include <span>
#include <sstream>
#include <system_error>
#include <thread>

#include "multirank/detail/registry.hpp"
#include "multirank/error.hpp"
#include "profile/clock_sync.hpp"
#include "profile/profile_reports.hpp"
#include "profile/profile_run.hpp"
#include "recording/profile_event_buffer.hpp"
#include "recording/program_records.hpp"

namespace multirank::detail {

namespace {

constexpr int log_size_tag = 3;
constexpr int log_bytes_tag = 4;
constexpr int log_written_tag = 5;

std::string environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

/// CPU time of this process, all threads: on a loaded machine, what writing costs, apart from
/// the waiting for a core.
double process_cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

/// Point to point, in pieces of at most `piece` bytes: rank 0 receives each into its buffer of
/// that size (the same arithmetic on both ends says where a piece ends).
void send_bytes(const void* data, std::size_t size, std::size_t piece, MPI_Comm comm) {
  const auto* bytes = static_cast<const char*>(data);
  for (std::size_t offset = 0; offset < size; offset += piece) {
    const auto count = static_cast<int>(std::min(piece, size - offset));
    check_mpi(MPI_Send(bytes + offset, count, MPI_BYTE, 0, log_bytes_tag, comm), "MPI_Send");
  }
}

/// The receiving end of send_bytes(`size` bytes), each piece appended to `spool`.
void receive_bytes(std::span<char> buffer, std::size_t size, int peer, MPI_Comm comm,
                   LogSpool& spool) {
  for (std::size_t offset = 0; offset < size; offset += buffer.size()) {
    const auto count = static_cast<int>(std::min(buffer.size(), size - offset));
    check_mpi(
        MPI_Recv(buffer.data(), count, MPI_BYTE, peer, log_bytes_tag, comm, MPI_STATUS_IGNORE),
        "MPI_Recv");
    spool.append(buffer.data(), static_cast<std::size_t>(count));
  }
}

/// `count` events of T, sent block by block (EventBuffer::for_each_span), into `spool`.
template <class T>
void receive_events(std::span<char> buffer, std::uint64_t count, int peer, MPI_Comm comm,
                    LogSpool& spool) {
  for (std::uint64_t first = 0; first < count; first += EventBuffer<T>::per_block) {
    const auto events = std::min<std::uint64_t>(EventBuffer<T>::per_block, count - first);
    receive_bytes(buffer, static_cast<std::size_t>(events) * sizeof(T), peer, comm, spool);
  }
}

std::int64_t steady_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

constexpr const char* gathering_phase = "gathering the profile";

/// Rank 0, once it holds a rank's whole log: the end of that rank's gathering phase, which the rank
/// could not know when it sent the log. On the rank's clock, as the time that to_rank0_clock takes
/// back to `rank0_now_ns` (a few steps from the closing estimate: the drift's slope is tiny), so
/// the phase ends on the time axis exactly when rank 0 had the log.
void end_gathering(RankLogHeader& header, std::int64_t rank0_now_ns) {
  std::int64_t local = rank0_now_ns + header.clock_end.offset_ns;
  for (int step = 0; step < 3; ++step) local += rank0_now_ns - to_rank0_clock(header, local);
  for (auto& phase : header.phases) {
    if (phase.name == gathering_phase) phase.end_ns = local;
  }
}

std::filesystem::path log_path(const std::filesystem::path& dir, int rank) {
  return dir / ("rank-" + std::to_string(rank) + ".binlog");
}

/// Where rank 0 keeps a rank's events while it gathers and writes them.
std::filesystem::path spool_path(const std::filesystem::path& dir, int rank) {
  return dir / ("rank-" + std::to_string(rank) + ".gathered");
}

/// Receives `size` bytes from `peer` into `into`, as send_bytes sent them (pieces of any size).
void receive_into(char* into, std::size_t size, int peer, MPI_Comm comm) {
  for (std::size_t received = 0; received < size;) {
    const auto most = static_cast<int>(std::min<std::size_t>(size - received, INT_MAX));
    MPI_Status status;
    check_mpi(MPI_Recv(into + received, most, MPI_BYTE, peer, log_bytes_tag, comm, &status),
              "MPI_Recv");
    int count = 0;
    MPI_Get_count(&status, MPI_BYTE, &count);
    if (count <= 0) throw Error("rank " + std::to_string(peer) + " sent an empty piece of its log");
    received += static_cast<std::size_t>(count);
  }
}

/// `count` events of T into `into`, sent in any pieces.
template <class T>
void receive_events_into(std::vector<T>& into, std::uint64_t count, int peer, MPI_Comm comm) {
  reserve_on_huge_pages(into, static_cast<std::size_t>(count));
  into.resize(static_cast<std::size_t>(count));
  receive_into(reinterpret_cast<char*>(into.data()), into.size() * sizeof(T), peer, comm);
}

/// Collective: where this rank (not rank 0) writes its own log while it is being written, or
/// nothing if it must send rank 0 all of it. A rank writes its own when it sees rank 0's profile
/// directory (a shared file system) and can create a file there: rank 0 leaves a file named by a
/// random token in it, so a directory of the same name on another node's own disk does not pass.
/// Rank 0 returns the token file's path, to remove once every rank has looked.
std::filesystem::path find_own_log_path(MPI_Comm comm, int rank, const std::filesystem::path& dir) {
  auto marker_of = [&dir](std::uint64_t token) {
    return dir / fmt::format(".multirank-shared-{:016x}", token);
  };
  if (rank == 0) {
    std::random_device random;
    std::uint64_t token = (static_cast<std::uint64_t>(random()) << 32) ^ random() ^
                          static_cast<std::uint64_t>(steady_now_ns());
    // Written before the token is sent: a rank looks for it as soon as it has the token.
    const auto marker = marker_of(token);
    std::ofstream(marker, std::ios::binary | std::ios::trunc) << "multirank profile directory\n";
    check_mpi(MPI_Bcast(&token, 1, MPI_UINT64_T, 0, comm), "MPI_Bcast");
    return marker;
  }
  std::uint64_t token = 0;
  check_mpi(MPI_Bcast(&token, 1, MPI_UINT64_T, 0, comm), "MPI_Bcast");
  const auto marker = marker_of(token);
  std::error_code error;
  if (!std::filesystem::exists(marker, error)) return {};
  const auto path = spool_path(dir, rank);
  if (!std::ofstream(path, std::ios::binary | std::ios::trunc)) return {};
  std::filesystem::remove(path, error);
  return path;
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
      if (used_rank != colon || used_ns != entry.size() - colon - 1)
        throw std::invalid_argument("junk");
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
  const std::int64_t entered = steady_now_ns();
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
  ProgramRecords::instance().decide(length > 0, options.profile_max_events);
  if (length == 0) return nullptr;
  dir.resize(static_cast<std::size_t>(length));
  check_mpi(MPI_Bcast(dir.data(), static_cast<int>(length), MPI_CHAR, 0, comm.get()), "MPI_Bcast");
  const std::int64_t shift =
      test_clock_offset_ns(std::getenv("MULTIRANK_PROFILE_TEST_CLOCK_OFFSET_NS"), comm.rank());
  return std::unique_ptr<ProfileSession>(new ProfileSession(comm, options, dir, shift, entered));
}

ProfileSession::ProfileSession(const Communicator& comm, const RuntimeOptions& options,
                               std::filesystem::path dir, std::int64_t clock_offset_ns,
                               std::int64_t entered_ns)
    : rank_(comm.rank()),
      size_(comm.size()),
      dir_(std::move(dir)),
      recorder_(options.profile_max_events, clock_offset_ns),
      gather_buffer_bytes_(options.profile_gather_buffer_bytes),
      report_events_(options.profile_report_events) {
  check_mpi(MPI_Comm_dup(comm.get(), &comm_), "MPI_Comm_dup");
  // The sizes of the gather's pieces are rank 0's: they must fit its buffer.
  check_mpi(MPI_Bcast(&gather_buffer_bytes_, 1, MPI_UINT64_T, 0, comm_), "MPI_Bcast");
  // So is the reports' budget: a rank that writes its own log sends rank 0 only its share.
  std::uint64_t report_events = report_events_;
  check_mpi(MPI_Bcast(&report_events, 1, MPI_UINT64_T, 0, comm_), "MPI_Bcast");
  report_events_ = static_cast<std::size_t>(report_events);
  std::filesystem::path marker = find_own_log_path(comm_, rank_, dir_);
  if (rank_ != 0) {
    own_log_path_ = std::move(marker);
    if (own_log_path_.empty()) {
      spdlog::debug(
          "multirank: rank {}: does not see the profile directory {}: sends rank 0 its whole log",
          rank_, dir_.string());
    } else {
      spdlog::debug("multirank: rank {}: sees the profile directory {}: writes its own log there",
                    rank_, dir_.string());
    }
  }
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
    if (const TaskEntry* entry = Registry::instance().find_by_name(name))
      header_.functions[entry->id] = name;
  }
  const auto started = std::chrono::steady_clock::now();
  auto& records = ProgramRecords::instance();
  records.record_phase("profile start", entered_ns, steady_now_ns());
  const std::int64_t estimating = steady_now_ns();
  header_.clock_start = synchronise_clock(comm_, [this] { return recorder_.now(); });
  records.record_phase("clock estimate", estimating, steady_now_ns());
  // Every rank has looked for the marker: the estimate exchanged messages with each.
  if (rank_ == 0) {
    std::error_code ignored;
    std::filesystem::remove(marker, ignored);
  }
  // The profile covers the process from its start: what the program did before MPI was up
  // (profile::Task) and the start-up itself are on the time axis.
  header_.window_start_ns = recorder_.from_steady(ProgramRecords::process_start_ns());
  spdlog::debug("multirank: rank {}: profile clock estimate took {:.4f} s", rank_,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

ProfileSession::~ProfileSession() {
  wait_until_written();
  append_closing_phases();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
}

void ProfileSession::finish() noexcept {
  if (finished_) return;
  finished_ = true;
  try {
    const auto started = std::chrono::steady_clock::now();
    take_program_records();
    header_.window_end_ns = recorder_.now();
    const std::int64_t estimating = recorder_.now();
    header_.clock_end = synchronise_clock(comm_, [this] { return recorder_.now(); });
    const auto estimated = std::chrono::steady_clock::now();
    header_.phases.push_back({"closing clock estimate", estimating, recorder_.now(), 0});
    // Its end is when rank 0 holds the whole log (end_gathering): no rank knows it as it sends.
    header_.phases.push_back({gathering_phase, recorder_.now(), recorder_.now(), 0});
    gather_logs();
    spdlog::debug(
        "multirank: rank {}: profile clock estimate took {:.4f} s, gathering {:.4f} s", rank_,
        std::chrono::duration<double>(estimated - started).count(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - estimated).count());
  } catch (const std::exception& e) {
    spdlog::error("multirank: rank {}: gathering the profile failed: {}", rank_, e.what());
    await_own_logs();
    return;
  }
  if (rank_ != 0) return;
  // The other ranks go on to MPI_Finalize and exit: nothing they do waits for these files.
  const auto caller = std::this_thread::get_id();
  auto write = [this, caller] {
    try {
      const auto started = std::chrono::steady_clock::now();
      const double cpu_started = process_cpu_seconds();
      const std::int64_t writing = recorder_.now();
      write_outputs(own_log_, std::move(shares_), spools_);
      {
        std::lock_guard lock(closing_mutex_);
        closing_phases_.push_back({"writing the reports", writing, recorder_.now(),
                                   std::this_thread::get_id() == caller ? 0U : 1U});
        written_ = true;
      }
      spdlog::info(
          "multirank: profile of {} ranks written to {} in {:.3f} s ({:.3f} s of CPU)", size_,
          dir_.string(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
          process_cpu_seconds() - cpu_started);
    } catch (const std::exception& e) {
      spdlog::error("multirank: writing the profile to {} failed: {}", dir_.string(), e.what());
    }
  };
  try {
    writing_ = std::async(std::launch::async, write);
  } catch (const std::system_error&) {
    write();  // no thread to be had: written here, before MPI_Finalize
  }
  await_own_logs();
}

void ProfileSession::await_own_logs() noexcept {
  if (own_writers_.empty()) return;
  try {
    std::vector<int> failed(own_writers_.size(), 0);
    std::vector<MPI_Request> requests(own_writers_.size(), MPI_REQUEST_NULL);
    for (std::size_t i = 0; i < own_writers_.size(); ++i) {
      check_mpi(
          MPI_Irecv(&failed[i], 1, MPI_INT, own_writers_[i], log_written_tag, comm_, &requests[i]),
          "MPI_Irecv");
    }
    // Polled with naps: a blocking wait would spin on a core that the reports' writing needs.
    for (int done = 0;;) {
      check_mpi(MPI_Testall(static_cast<int>(requests.size()), requests.data(), &done,
                            MPI_STATUSES_IGNORE),
                "MPI_Testall");
      if (done != 0) break;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    for (std::size_t i = 0; i < own_writers_.size(); ++i) {
      if (failed[i] != 0) {
        spdlog::error(
            "multirank: rank {} could not write {} (its own error says why): the "
            "reports have its share of the events",
            own_writers_[i], log_path(dir_, own_writers_[i]).string());
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("multirank: waiting for the ranks' own profile logs failed: {}", e.what());
  }
  own_writers_.clear();
}

void ProfileSession::add_closing_phase(std::string_view name, std::int64_t start_ns,
                                       std::int64_t end_ns) noexcept {
  if (rank_ != 0) return;
  std::lock_guard lock(closing_mutex_);
  try {
    closing_phases_.push_back(
        {std::string(name), recorder_.from_steady(start_ns), recorder_.from_steady(end_ns), 0});
  } catch (...) {
    // Out of memory for one phase: the closing paragraph lacks it.
  }
}

void ProfileSession::append_closing_phases() noexcept {
  if (rank_ != 0) return;
  std::lock_guard lock(closing_mutex_);
  if (!written_ || closing_phases_.empty()) return;
  std::sort(closing_phases_.begin(), closing_phases_.end(),
            [](const PhaseEvent& a, const PhaseEvent& b) { return a.start_ns < b.start_ns; });
  try {
    std::ofstream log(log_path(dir_, 0), std::ios::binary | std::ios::app);
    for (const auto& phase : closing_phases_) log << format_phase_line(phase);
    std::ofstream summary(dir_ / "summary.txt", std::ios::binary | std::ios::app);
    summary
        << "\nClosing on rank 0, after the logs were gathered (so not in the tables above, "
           "trace.json or report.html; `multirank-report DIR` renders them from rank-0.binlog)\n";
    for (const auto& phase : closing_phases_) {
      summary << "  " << phase.name << ": "
              << human_duration(static_cast<double>(phase.end_ns - phase.start_ns) * 1e-9)
              << (phase.row != 0 ? " (on a thread of its own, beside MPI_Finalize)" : "") << "\n";
    }
  } catch (const std::exception& e) {
    spdlog::error("multirank: adding the closing phases to {} failed: {}", dir_.string(), e.what());
  }
}

void ProfileSession::take_program_records() {
  std::vector<TaskEvent> tasks;
  ProgramRecords::instance().take(tasks, header_.functions, spans_, header_.span_names,
                                  header_.dropped_spans);
  for (SpanEvent& span : spans_) {
    span.start_ns = recorder_.from_steady(span.start_ns);
    span.end_ns = recorder_.from_steady(span.end_ns);
  }
  for (PhaseEvent& phase : ProgramRecords::instance().take_phases()) {
    phase.start_ns = recorder_.from_steady(phase.start_ns);
    phase.end_ns = recorder_.from_steady(phase.end_ns);
    header_.phases.push_back(std::move(phase));
  }
  // The program's tasks join the rank's own: the threads that record those have stopped.
  for (TaskEvent& task : tasks) {
    task.start_ns = recorder_.from_steady(task.start_ns);
    task.end_ns = recorder_.from_steady(task.end_ns);
    recorder_.record_task(task);
  }
}

void ProfileSession::wait_until_written() noexcept {
  if (writing_.valid()) writing_.wait();
}

void ProfileSession::gather_logs() {
  // The header as its JSON line, the events as their bytes (every rank runs the same program on
  // the same kind of machine): rank 0 neither parses text nor waits for other ranks to format
  // it. Copying a worker's events into one vector first took longer than sending them (fresh
  // pages fault in one by one): they go block by block from where they were recorded. A rank
  // that sees the profile directory writes its own log there and sends only the reports' share
  // of it; rank 0 appends any other rank's log to a file as it arrives, keeping only that share
  // on the way. Either way what rank 0 holds does not grow with the ranks' logs.
  const auto piece = static_cast<std::size_t>(gather_buffer_bytes_);
  if (rank_ != 0) {
    send_log(piece);
    return;
  }
  own_log_.header = header_;
  recorder_.copy_into(own_log_);
  own_log_.spans = std::move(spans_);
  // Not zeroed: its pages fault in only as far as the largest piece fills it.
  const auto storage = std::make_unique_for_overwrite<char[]>(piece);
  const std::span<char> buffer(storage.get(), piece);
  std::string problem;
  for (int peer = 1; peer < size_; ++peer) {
    std::array<std::uint64_t, 6> sizes{};
    check_mpi(MPI_Recv(sizes.data(), 6, MPI_UINT64_T, peer, log_size_tag, comm_, MPI_STATUS_IGNORE),
              "MPI_Recv");
    // The header is small (names, phases): a message of its own, whatever the buffer's size.
    std::string header(sizes[0], '\0');
    check_mpi(MPI_Recv(header.data(), static_cast<int>(header.size()), MPI_CHAR, peer, log_size_tag,
                       comm_, MPI_STATUS_IGNORE),
              "MPI_Recv");
    // Whatever goes wrong here, every byte the rank sends is received: a rank left blocked in
    // its send would never reach MPI_Finalize. The first problem is thrown once all are in.
    RankLogHeader parsed;
    try {
      parsed = parse_rank_log(header, log_path(dir_, peer).string()).header;
    } catch (const std::exception& e) {
      if (problem.empty()) problem = e.what();
    }
    if (sizes[5] != 0) {
      own_writers_.push_back(peer);
      // Its log is on disk already, written by the rank: these are the reports' share, straight
      // into the vectors they are rendered from.
      RankLog log;
      log.header = std::move(parsed);
      receive_events_into(log.tasks, sizes[1], peer, comm_);
      receive_events_into(log.messages, sizes[2], peer, comm_);
      receive_events_into(log.queue, sizes[3], peer, comm_);
      receive_events_into(log.spans, sizes[4], peer, comm_);
      end_gathering(log.header, recorder_.now());
      shares_.push_back(std::move(log));
      continue;
    }
    auto spool = std::make_unique<LogSpool>(spool_path(dir_, peer), std::move(parsed),
                                            EventCounts{sizes[1], sizes[2], sizes[3], sizes[4]},
                                            report_share());
    receive_events<TaskEvent>(buffer, sizes[1], peer, comm_, *spool);
    receive_events<MessageEvent>(buffer, sizes[2], peer, comm_, *spool);
    receive_events<QueueSample>(buffer, sizes[3], peer, comm_, *spool);
    receive_bytes(buffer, sizes[4] * sizeof(SpanEvent), peer, comm_, *spool);
    try {
      spool->close();
    } catch (const std::exception& e) {
      if (problem.empty()) problem = e.what();
    }
    end_gathering(spool->header(), recorder_.now());
    spools_.push_back(std::move(spool));
  }
  if (!problem.empty()) throw Error(problem);
  end_gathering(own_log_.header, recorder_.now());
}

void ProfileSession::send_log(std::size_t piece) {
  RankLog mine;
  mine.header = header_;
  recorder_.copy_totals_into(mine.header);
  const bool writes_own = !own_log_path_.empty();
  // A rank that writes its own log sends the reports' share and counts the rest in the header
  // it sends, as rank 0 counts what it does not keep of a log it gathers.
  const std::uint64_t limit = writes_own ? report_share() : UINT64_MAX;
  RankLog sent;
  sent.header = mine.header;
  auto count_past = [&](const auto& events) {
    std::uint64_t index = 0;
    events.for_each_span([&](const auto* first, std::size_t count) {
      for (std::size_t i = 0; i < count; ++i, ++index) {
        if (index >= limit) count_past_share(sent.header, first[i]);
      }
    });
  };
  if (writes_own) {
    count_past(recorder_.tasks());
    count_past(recorder_.messages());
    count_past(recorder_.queue());
    for (std::size_t i = limit; i < spans_.size(); ++i) count_past_share(sent.header, spans_[i]);
  }
  const std::string header = format_rank_log(sent);
  auto within = [limit](std::size_t count) { return std::min<std::uint64_t>(count, limit); };
  const std::array<std::uint64_t, 6> sizes{header.size(),
                                           within(recorder_.tasks().size()),
                                           within(recorder_.messages().size()),
                                           within(recorder_.queue().size()),
                                           within(spans_.size()),
                                           writes_own ? 1U : 0U};
  check_mpi(MPI_Send(sizes.data(), 6, MPI_UINT64_T, 0, log_size_tag, comm_), "MPI_Send");
  check_mpi(
      MPI_Send(header.data(), static_cast<int>(header.size()), MPI_CHAR, 0, log_size_tag, comm_),
      "MPI_Send");
  auto send_events = [this, piece, limit](const auto& events) {
    std::uint64_t sent_count = 0;
    events.for_each_span([&](const auto* first, std::size_t count) {
      const auto take = std::min<std::uint64_t>(count, limit - sent_count);
      if (take > 0) send_bytes(first, take * sizeof(*first), piece, comm_);
      sent_count += take;
    });
  };
  send_events(recorder_.tasks());
  send_events(recorder_.messages());
  send_events(recorder_.queue());
  send_bytes(spans_.data(), within(spans_.size()) * sizeof(SpanEvent), piece, comm_);
  if (!writes_own) return;
  // The gathering ends, on this rank, once its share is sent; the whole log is written after
  // that, while rank 0 writes the reports.
  for (auto& phase : mine.header.phases) {
    if (phase.name == gathering_phase) phase.end_ns = recorder_.now();
  }
  // Rank 0 does not let the Runtime close before the log is on disk.
  const int failed = write_own_log(mine.header) ? 0 : 1;
  check_mpi(MPI_Send(&failed, 1, MPI_INT, 0, log_written_tag, comm_), "MPI_Send");
}

bool ProfileSession::write_own_log(const RankLogHeader& header) const {
  const EventCounts counts{recorder_.tasks().size(), recorder_.messages().size(),
                           recorder_.queue().size(), spans_.size()};
  const auto final_path = log_path(dir_, rank_);
  try {
    std::ofstream out(own_log_path_, std::ios::binary | std::ios::trunc);
    out << binary_log_preamble(counts);
    auto write_events = [&out](const auto& events) {
      events.for_each_span([&out](const auto* first, std::size_t count) {
        out.write(reinterpret_cast<const char*>(first),
                  static_cast<std::streamsize>(count * sizeof(*first)));
      });
    };
    write_events(recorder_.tasks());
    write_events(recorder_.messages());
    write_events(recorder_.queue());
    out.write(reinterpret_cast<const char*>(spans_.data()),
              static_cast<std::streamsize>(spans_.size() * sizeof(SpanEvent)));
    write_binary_log_end(header, out);
    out.flush();
    if (!out) throw Error("cannot be written");
    std::filesystem::rename(own_log_path_, final_path);
    return true;
  } catch (const std::exception& e) {
    std::error_code ignored;
    std::filesystem::remove(own_log_path_, ignored);
    spdlog::error(
        "multirank: rank {}: writing its profile log {} failed: {}; the reports have "
        "its share of the events, the log itself is missing",
        rank_, final_path.string(), e.what());
    return false;
  }
}

void ProfileSession::write_outputs(const RankLog& own, std::vector<RankLog> shares,
                                   std::vector<std::unique_ptr<LogSpool>>& spools) const {
  // The reports are rendered from each rank's share of the report budget, its first events, kept
  // as they were gathered. The raw logs are binary: rank 0's written from memory on a thread of
  // its own, every other rank's already on disk, given its header and its name. Nothing of
  // either is formatted: the user waits for all of it before the job exits.
  std::vector<RankLog> logs;
  logs.reserve(shares.size() + spools.size() + 1);
  logs.push_back(own);
  for (auto& share : shares) logs.push_back(std::move(share));
  for (const auto& spool : spools) logs.push_back(spool->take_kept());
  auto raw_logs = std::async(std::launch::async, [&] {
    const auto path = log_path(dir_, 0);
    std::ofstream out(path, std::ios::binary);
    write_binary_log(own, out);
    out.flush();
    if (!out) throw Error(path.string() + ": cannot be written");
    for (const auto& spool : spools) spool->publish(log_path(dir_, spool->header().rank));
  });
  write_reports(assemble_run(std::move(logs), dir_.string()), dir_);
  raw_logs.get();
}

void ProfileSession::save_on_fatal_error() noexcept {
  if (finished_ || rank_ != 0) return;
  finished_ = true;
  try {
    // The task thread may still be recording: the program's tasks are added to the copy.
    std::vector<TaskEvent> program_tasks;
    ProgramRecords::instance().take(program_tasks, header_.functions, spans_, header_.span_names,
                                    header_.dropped_spans);
    for (PhaseEvent& phase : ProgramRecords::instance().take_phases()) {
      phase.start_ns = recorder_.from_steady(phase.start_ns);
      phase.end_ns = recorder_.from_steady(phase.end_ns);
      header_.phases.push_back(std::move(phase));
    }
    RankLog log;
    log.header = header_;
    log.header.complete = false;
    log.header.size = 1;  // only this rank's log can be saved
    log.header.window_end_ns = recorder_.now();
    recorder_.copy_into(log);
    for (TaskEvent& task : program_tasks) {
      task.start_ns = recorder_.from_steady(task.start_ns);
      task.end_ns = recorder_.from_steady(task.end_ns);
      log.tasks.push_back(task);
    }
    for (SpanEvent& span : spans_) {
      span.start_ns = recorder_.from_steady(span.start_ns);
      span.end_ns = recorder_.from_steady(span.end_ns);
    }
    log.spans = std::move(spans_);
    std::vector<std::unique_ptr<LogSpool>> no_other_ranks;
    write_outputs(log, {}, no_other_ranks);
    std::fprintf(stderr, "multirank: the driver's profile up to the failure is in %s\n",
                 dir_.c_str());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "multirank: saving the profile failed: %s\n", e.what());
  }
}

}  // namespace multirank::detail
