// What the program records about its own work through multirank::profile, from any thread and at
// any time: tasks of its own (grayscale's head start converts images while MPI starts) and spans
// inside its work, before the Runtime starts, while it runs, and after. Kept here, process-wide,
// until the profile session takes them when the run ends; dropped at once, and recording stopped,
// when the Runtime starts without profiling.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "recording/profile_event_buffer.hpp"
#include "recording/profile_log.hpp"

namespace multirank::detail {

/// A span as its thread records it: the names as given (strings that live as long as the
/// program), turned into ids only when the run ends.
struct RawSpan {
  std::int64_t start_ns = 0;  // CLOCK_MONOTONIC
  std::int64_t end_ns = 0;
  std::int64_t own_ns = 0;
  const char* name = nullptr;
  const char* counter = nullptr;
  std::uint64_t value = 0;
  std::uint32_t depth = 0;
};

class ProgramRecords {
 public:
  static ProgramRecords& instance();

  /// False once the Runtime started without profiling, or the profile was taken: one load.
  bool recording() const noexcept { return state_.load(std::memory_order_relaxed) != State::off; }

  /// A task the program ran itself (times on CLOCK_MONOTONIC), under `function`'s name.
  void record_task(std::string_view function, const TaskEvent& event);
  /// A span that ended on the calling thread: no lock but its own thread's, uncontended until
  /// the run ends.
  void record_span(const RawSpan& span);

  /// A phase of the Runtime's start-up or close (times on CLOCK_MONOTONIC), kept until the profile
  /// session takes it: most of start-up happens before the session exists.
  void record_phase(std::string_view name, std::int64_t start_ns, std::int64_t end_ns);

  /// At start-up, on every rank: whether this run is profiled, and at most how many spans each
  /// thread keeps. Not profiled drops what was recorded and stops recording.
  void decide(bool profiled, std::size_t max_spans_per_thread);
  /// What was recorded, names and all; recording stops (the run is over). Times stay on
  /// CLOCK_MONOTONIC.
  void take(std::vector<TaskEvent>& tasks, std::map<std::uint64_t, std::string>& functions,
            std::vector<SpanEvent>& spans, std::map<std::uint64_t, std::string>& span_names,
            std::uint64_t& dropped_spans);
  /// The phases recorded so far, in order, and forgets them. Times stay on CLOCK_MONOTONIC.
  std::vector<PhaseEvent> take_phases();

  /// When this process started, on CLOCK_MONOTONIC (to the kernel's clock tick): where the
  /// profile's time axis begins, so the start-up before the Runtime is on it.
  static std::int64_t process_start_ns();
  /// When this library was initialised, on CLOCK_MONOTONIC: after the loader (exec, the shared
  /// libraries), just before the program's own static initialisers and main.
  static std::int64_t library_loaded_ns() noexcept;

  /// A small number for the calling thread, the same for its lifetime (1, 2, ... in the order
  /// threads first ask): what keeps a thread's records on one row of the timeline.
  static std::uint32_t thread_number() noexcept;

 private:
  enum class State { undecided, on, off };
  struct ThreadSpans {
    std::uint32_t thread = 0;
    std::mutex mutex;
    // In blocks faulted in at once, as the recorder's events: a growing vector's copies and
    // page faults made a span many times dearer.
    std::unique_ptr<EventBuffer<RawSpan>> spans = std::make_unique<EventBuffer<RawSpan>>();
    std::uint64_t dropped = 0;
  };
  ThreadSpans& spans_of_this_thread();
  // Before the Runtime says whether it profiles, a program that never starts one must not grow
  // without bound.
  static constexpr std::size_t max_undecided = std::size_t{1} << 16;

  std::atomic<State> state_{State::undecided};
  std::atomic<std::size_t> max_spans_{max_undecided};
  std::mutex mutex_;
  std::vector<TaskEvent> tasks_;
  std::map<std::uint64_t, std::string> functions_;
  std::vector<PhaseEvent> phases_;
  std::vector<std::unique_ptr<ThreadSpans>>
      threads_;  // every thread that recorded a span; never shrinks
};

}  // namespace multirank::detail
