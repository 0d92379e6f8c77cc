// The process-wide store of the program's own records, and the public multirank::profile::Task.
#include "recording/program_records.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "multirank/detail/type_name.hpp"
#include "multirank/profile.hpp"

namespace multirank::detail {

namespace {

std::int64_t monotonic_ns() noexcept {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<std::int64_t>(t.tv_sec) * 1'000'000'000 + t.tv_nsec;
}

// A library's dynamic initialisation runs after the loader is done and before the program's own
// initialisers and main: the nearest the library can see of main's start.
const std::int64_t library_loaded_at = monotonic_ns();

std::int64_t read_process_start_ns() {
  // /proc/self/stat's 22nd field: the start in clock ticks since boot (CLOCK_BOOTTIME, which
  // runs on through suspends where CLOCK_MONOTONIC stops). The second field, the command, may
  // hold spaces and parentheses: the fields are counted after its last ')'.
  std::ifstream in("/proc/self/stat");
  const std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = stat.rfind(')');
  const long ticks_per_second = sysconf(_SC_CLK_TCK);
  if (close == std::string::npos || ticks_per_second <= 0) return monotonic_ns();
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int number = 3; number < 22 && fields >> field; ++number) {
  }
  unsigned long long start_ticks = 0;
  if (!(fields >> start_ticks)) return monotonic_ns();
  timespec boot{};
  clock_gettime(CLOCK_BOOTTIME, &boot);
  const std::int64_t monotonic = monotonic_ns();
  const std::int64_t boottime =
      static_cast<std::int64_t>(boot.tv_sec) * 1'000'000'000 + boot.tv_nsec;
  const auto start_boottime =
      static_cast<std::int64_t>(start_ticks) * (1'000'000'000 / ticks_per_second);
  return std::min(monotonic, start_boottime - (boottime - monotonic));
}

}  // namespace

std::int64_t ProgramRecords::process_start_ns() {
  // Read once: the start-up's first phase and the profile's time axis begin at the same instant.
  static const std::int64_t start = read_process_start_ns();
  return start;
}

std::int64_t ProgramRecords::library_loaded_ns() noexcept { return library_loaded_at; }

ProgramRecords& ProgramRecords::instance() {
  static ProgramRecords records;
  return records;
}

std::uint32_t ProgramRecords::thread_number() noexcept {
  static std::atomic<std::uint32_t> next{1};
  thread_local const std::uint32_t mine = next.fetch_add(1, std::memory_order_relaxed);
  return mine;
}

void ProgramRecords::record_task(std::string_view function, const TaskEvent& event) {
  std::lock_guard lock(mutex_);
  const State state = state_.load(std::memory_order_relaxed);
  if (state == State::off || (state == State::undecided && tasks_.size() >= max_undecided)) return;
  tasks_.push_back(event);
  if (functions_.find(event.function_id) == functions_.end())
    functions_.emplace(event.function_id, function);
}

ProgramRecords::ThreadSpans& ProgramRecords::spans_of_this_thread() {
  // Owned by the list, not the thread: a thread that ends before the run does keeps its spans.
  thread_local ThreadSpans* mine = nullptr;
  if (mine == nullptr) {
    auto spans = std::make_unique<ThreadSpans>();
    spans->thread = thread_number();
    std::lock_guard lock(mutex_);
    threads_.push_back(std::move(spans));
    mine = threads_.back().get();
  }
  return *mine;
}

void ProgramRecords::record_span(const RawSpan& span) {
  ThreadSpans& mine = spans_of_this_thread();
  std::lock_guard lock(mine.mutex);
  if (!recording()) return;
  if (mine.spans->size() >= max_spans_.load(std::memory_order_relaxed)) {
    ++mine.dropped;
    return;
  }
  mine.spans->push_back(span);
}

void ProgramRecords::record_phase(std::string_view name, std::int64_t start_ns,
                                  std::int64_t end_ns) {
  std::lock_guard lock(mutex_);
  if (state_.load(std::memory_order_relaxed) == State::off) return;
  phases_.push_back({std::string(name), start_ns, end_ns, 0});
}

std::vector<PhaseEvent> ProgramRecords::take_phases() {
  std::lock_guard lock(mutex_);
  std::vector<PhaseEvent> phases = std::move(phases_);
  phases_.clear();
  return phases;
}

void ProgramRecords::decide(bool profiled, std::size_t max_spans_per_thread) {
  std::lock_guard lock(mutex_);
  max_spans_.store(max_spans_per_thread, std::memory_order_relaxed);
  state_.store(profiled ? State::on : State::off, std::memory_order_relaxed);
  if (profiled) return;
  std::vector<TaskEvent>().swap(tasks_);
  functions_.clear();
  phases_.clear();
  for (auto& thread : threads_) {
    std::lock_guard thread_lock(thread->mutex);
    thread->spans = std::make_unique<EventBuffer<RawSpan>>();
  }
}

void ProgramRecords::take(std::vector<TaskEvent>& tasks,
                          std::map<std::uint64_t, std::string>& functions,
                          std::vector<SpanEvent>& spans,
                          std::map<std::uint64_t, std::string>& span_names,
                          std::uint64_t& dropped_spans) {
  std::lock_guard lock(mutex_);
  state_.store(State::off, std::memory_order_relaxed);
  tasks = std::move(tasks_);
  tasks_.clear();
  functions.insert(functions_.begin(), functions_.end());
  functions_.clear();
  // Names are hashed once per distinct string, not once per span.
  std::map<const char*, std::uint64_t> ids;
  auto id_of = [&](const char* name) -> std::uint64_t {
    if (name == nullptr) return 0;
    auto [at, added] = ids.emplace(name, 0);
    if (added) {
      at->second = fnv1a(name);
      span_names.emplace(at->second, name);
    }
    return at->second;
  };
  for (auto& thread : threads_) {
    std::lock_guard thread_lock(thread->mutex);
    dropped_spans += thread->dropped;
    thread->dropped = 0;
    thread->spans->for_each_span([&](const RawSpan* first, std::size_t count) {
      for (const RawSpan* raw = first; raw != first + count; ++raw) {
        spans.push_back({raw->start_ns, raw->end_ns, raw->own_ns, id_of(raw->name),
                         id_of(raw->counter), raw->value, thread->thread, raw->depth});
      }
    });
    thread->spans = std::make_unique<EventBuffer<RawSpan>>();
  }
}

}  // namespace multirank::detail

namespace multirank::profile {

Task::Task(std::string_view function, std::uint32_t items) noexcept
    : function_(function), items_(items) {
  if (detail::ProgramRecords::instance().recording()) start_ns_ = detail::monotonic_ns();
}

Task::~Task() {
  if (start_ns_ == 0) return;
  detail::TaskEvent event;
  // The registry's id for the name: a task recorded under a registered function's name joins
  // that function's figures.
  event.function_id = detail::fnv1a(function_);
  event.start_ns = start_ns_;
  event.end_ns = detail::monotonic_ns();
  event.items = items_;
  event.thread = detail::ProgramRecords::thread_number();
  try {
    detail::ProgramRecords::instance().record_task(function_, event);
  } catch (...) {
    // Out of memory for one record: the profile lacks it, the program goes on.
  }
}

}  // namespace multirank::profile

namespace multirank::profile {

namespace {
// The innermost open span of this thread: a new one nests inside it.
thread_local Span* innermost = nullptr;
}  // namespace

Span::Span(const char* name) noexcept : name_(name) {
  if (!detail::ProgramRecords::instance().recording()) return;
  parent_ = innermost;
  depth_ = parent_ != nullptr ? parent_->depth_ + 1 : 0;
  innermost = this;
  start_ns_ = detail::monotonic_ns();
}

Span::~Span() {
  if (start_ns_ == 0) return;
  const std::int64_t end = detail::monotonic_ns();
  innermost = parent_;
  const std::int64_t took = end - start_ns_;
  if (parent_ != nullptr) parent_->child_ns_ += took;
  try {
    detail::ProgramRecords::instance().record_span(
        {start_ns_, end, took - child_ns_, name_, counter_, value_, depth_});
  } catch (...) {
    // Out of memory for one record (a thread's first span): the profile lacks it.
  }
}

void Span::add(const char* counter, std::uint64_t value) noexcept {
  counter_ = counter;
  value_ += value;
}

}  // namespace multirank::profile
