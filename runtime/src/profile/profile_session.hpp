// Profiling for the lifetime of a Runtime: started on every rank when rank 0's RuntimeOptions
// name a profile directory, clocks synchronised at start and end, every rank's log gathered to
// rank 0 over MPI, and rank 0 writing the reports. A rank that sees the profile directory (a
// shared file system) writes its own log there and sends rank 0 only the reports' share of it;
// any other rank's log goes to rank 0 whole, which writes it to a file as it arrives, through a
// buffer of a fixed size.
#pragma once

#include <mpi.h>

#include <algorithm>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

#include "multirank/options.hpp"
#include "profile/log_spool.hpp"
#include "recording/profile_recorder.hpp"
#include "wire/communicator.hpp"

namespace multirank::detail {

class ProfileSession {
 public:
  /// Collective: every rank follows rank 0's RuntimeOptions::profile_dir, so a variable set on
  /// rank 0 only still profiles the whole job. Null when profiling is off. A directory rank 0
  /// cannot create is a ConfigError there, and the other ranks leave quietly.
  static std::unique_ptr<ProfileSession> start_if_enabled(const Communicator& comm,
                                                          const RuntimeOptions& options);
  ~ProfileSession();
  ProfileSession(const ProfileSession&) = delete;
  ProfileSession& operator=(const ProfileSession&) = delete;

  ProfileRecorder& recorder() noexcept { return recorder_; }
  /// Rank 0 only: whether it runs tasks on a worker thread beside driving.
  void set_driver_runs_tasks(bool runs_tasks) noexcept { header_.runs_tasks = runs_tasks; }

  /// Collective, once every thread that records has stopped: the closing clock estimate and the
  /// logs gathered to rank 0, which then writes DIR/rank-<r>.binlog and the reports on a thread of
  /// its own while the Runtime finalises MPI (MPI_Finalize's own exchange is mostly waiting, time
  /// the writing needs no MPI for). wait_until_written() or the destructor
  /// waits for it. Errors in writing are logged, not thrown: the run itself succeeded.
  void finish() noexcept;
  /// Rank 0, after finish(): a phase that ended after the logs were gathered (MPI_Finalize), times
  /// on CLOCK_MONOTONIC. It cannot be in the reports written from the gathered logs: once they are
  /// written, it is appended to rank-0.binlog (multirank-report renders it) and to summary.txt,
  /// with the writing's own time.
  void add_closing_phase(std::string_view name, std::int64_t start_ns,
                         std::int64_t end_ns) noexcept;
  /// Rank 0, after finish(): returns once the files are written (at once on the other ranks).
  void wait_until_written() noexcept;
  /// Rank 0, on a fatal error: writes its own log (marked incomplete) and whatever reports it
  /// can, without MPI. Best effort: the threads that record may still be running.
  void save_on_fatal_error() noexcept;

 private:
  ProfileSession(const Communicator& comm, const RuntimeOptions& options, std::filesystem::path dir,
                 std::int64_t clock_offset_ns, std::int64_t entered_ns);
  /// Rank 0: its own log into own_log_, every other rank's into spools_ (on disk as it arrives,
  /// through one buffer of gather_buffer_bytes_). Other ranks send theirs (straight from the
  /// recorder's buffers, in pieces of at most that size) and get nothing back.
  void gather_logs();
  /// A rank other than 0: its log to rank 0, all of it, or only the reports' share when it
  /// writes the whole log itself (own_log_path_).
  void send_log(std::size_t piece);
  /// A rank other than 0, once it has sent its share: the whole log as DIR/rank-<r>.binlog,
  /// with `header` (the rank's own, not the share's). A failure is logged (the run succeeded),
  /// and false.
  bool write_own_log(const RankLogHeader& header) const;
  /// Rank 0, at the end of finish(): returns once every rank that writes its own log has
  /// written it (or said it could not), so that no file is missing when the Runtime has closed,
  /// whether or not it finalises MPI.
  void await_own_logs() noexcept;
  /// rank-<r>.binlog for rank 0 (`own`) and every spooled rank, and the reports, rendered from
  /// `own`, the `shares` of the ranks that wrote their own logs, and each spool's share.
  void write_outputs(const RankLog& own, std::vector<RankLog> shares,
                     std::vector<std::unique_ptr<LogSpool>>& spools) const;
  /// The events of each kind the reports keep of one rank: an equal share of report_events_.
  std::size_t report_share() const noexcept {
    return std::max<std::size_t>(1, report_events_ / static_cast<std::size_t>(size_));
  }
  /// What the program recorded itself (profile::Task), moved into the recorder and the header.
  void take_program_records();
  /// Rank 0, once the files are written: the phases that ended after the gather, appended.
  void append_closing_phases() noexcept;

  MPI_Comm comm_ = MPI_COMM_NULL;  // a duplicate: profiling messages never meet the runtime's
  int rank_ = 0;
  int size_ = 1;
  std::filesystem::path dir_;
  RankLogHeader header_;
  ProfileRecorder recorder_;
  bool finished_ = false;
  std::vector<SpanEvent> spans_;           // the program's spans, taken when the run ends
  std::uint64_t gather_buffer_bytes_ = 0;  // rank 0's setting, on every rank
  std::size_t report_events_ = 0;
  RankLog own_log_;  // rank 0, from finish() on
  // Rank 0, from finish() on: the ranks that sent all of their logs, and the reports' share of
  // those that wrote their own.
  std::vector<std::unique_ptr<LogSpool>> spools_;
  std::vector<RankLog> shares_;
  std::vector<int> own_writers_;  // rank 0: the ranks whose shares those are, until they wrote
  // A rank other than 0 that sees the profile directory: where it writes its own log before
  // renaming it to rank-<r>.binlog (empty: rank 0 gets all of it).
  std::filesystem::path own_log_path_;
  std::future<void> writing_;  // rank 0, from finish() until the files are written
  // Rank 0: the phases past the gather (on the profile's clock), appended once the files are.
  std::vector<PhaseEvent> closing_phases_;
  std::mutex closing_mutex_;  // the writing thread adds its own phase
  bool written_ = false;      // rank 0: every file written without error
};

/// MULTIRANK_PROFILE_TEST_CLOCK_OFFSET_NS, for tests only: "RANK:NS[,RANK:NS...]" shifts the
/// profile clock of those ranks by NS nanoseconds, so a test can check that the offset estimate
/// removes it. Returns this rank's shift (0 when unset); a malformed value is a ConfigError.
std::int64_t test_clock_offset_ns(const char* text, int rank);

}  // namespace multirank::detail
