// multirank::profile::Span on its own, without a Runtime: off it allocates nothing and records
// nothing; on, nested spans record their depth, own time and counter. And the start-up phases
// kept before the profile exists.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <thread>

#include "multirank/profile.hpp"
#include "recording/program_records.hpp"

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

// Every allocation of the test program is counted. Each form of new and delete that the program
// may pair is replaced, so that what one allocates the other frees with the same allocator (the
// sanitizers check the pairing).
namespace {
void* counted_allocation(std::size_t size) noexcept {
  allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size == 0 ? 1 : size);
}
}  // namespace
void* operator new(std::size_t size) {
  if (void* memory = counted_allocation(size)) return memory;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  if (void* memory = counted_allocation(size)) return memory;
  throw std::bad_alloc();
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  return counted_allocation(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  return counted_allocation(size);
}
void operator delete(void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete(void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }
void operator delete(void* memory, const std::nothrow_t&) noexcept { std::free(memory); }
void operator delete[](void* memory, const std::nothrow_t&) noexcept { std::free(memory); }

namespace {

using multirank::detail::ProgramRecords;
using multirank::detail::SpanEvent;

struct Taken {
  std::vector<multirank::detail::TaskEvent> tasks;
  std::map<std::uint64_t, std::string> functions;
  std::vector<SpanEvent> spans;
  std::map<std::uint64_t, std::string> names;
  std::uint64_t dropped = 0;
};

Taken take() {
  Taken taken;
  ProgramRecords::instance().take(taken.tasks, taken.functions, taken.spans, taken.names,
                                  taken.dropped);
  return taken;
}

}  // namespace

TEST_CASE("profile::Span") {
  SECTION("off, a span allocates nothing and records nothing") {
    ProgramRecords::instance().decide(false, 0);
    const std::size_t before = allocations.load();
    for (int i = 0; i < 1000; ++i) {
      multirank::profile::Span outer("outer");
      multirank::profile::Span inner("inner");
      inner.add("bytes", 10);
      multirank::profile::Task task("task");
    }
    CHECK(allocations.load() == before);
    CHECK(take().spans.empty());
  }

  SECTION("on, nested spans record depth, own time and counter") {
    ProgramRecords::instance().decide(true, 100);
    {
      multirank::profile::Span outer("outer");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      multirank::profile::Span inner("inner");
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      inner.add("bytes", 7);
      inner.add("bytes", 3);
    }
    const Taken taken = take();
    REQUIRE(taken.spans.size() == 2);
    const SpanEvent& inner = taken.spans[0];  // closed first
    const SpanEvent& outer = taken.spans[1];
    CHECK(taken.names.at(inner.name_id) == "inner");
    CHECK(taken.names.at(outer.name_id) == "outer");
    CHECK(taken.names.at(inner.counter_id) == "bytes");
    CHECK(inner.counter == 10);
    CHECK(inner.depth == 1);
    CHECK(outer.depth == 0);
    CHECK(inner.own_ns == inner.end_ns - inner.start_ns);
    CHECK(outer.own_ns == (outer.end_ns - outer.start_ns) - (inner.end_ns - inner.start_ns));
    CHECK(outer.start_ns <= inner.start_ns);
    CHECK(inner.end_ns <= outer.end_ns);
    CHECK(inner.thread == outer.thread);
  }

  SECTION("a thread keeps at most its bound of spans and counts the rest") {
    ProgramRecords::instance().decide(true, 3);
    std::thread([] {
      for (int i = 0; i < 5; ++i) multirank::profile::Span span("many");
    }).join();
    const Taken taken = take();
    CHECK(taken.spans.size() == 3);
    CHECK(taken.dropped == 2);
  }
}

TEST_CASE("start-up phases are kept until the profile takes them") {
  auto& records = ProgramRecords::instance();
  SECTION("profiled: taken once, in the order recorded") {
    records.decide(true, 100);
    records.record_phase("MPI_Init", 10, 20);
    records.record_phase("communicator and hosts", 20, 25);
    const auto phases = records.take_phases();
    REQUIRE(phases.size() == 2);
    CHECK(phases[0].name == "MPI_Init");
    CHECK(phases[0].start_ns == 10);
    CHECK(phases[0].end_ns == 20);
    CHECK(phases[1].name == "communicator and hosts");
    CHECK(records.take_phases().empty());
  }
  SECTION("not profiled: what was recorded is dropped, and nothing more is kept") {
    records.decide(true, 100);
    records.record_phase("MPI_Init", 10, 20);
    records.decide(false, 0);
    records.record_phase("communicator and hosts", 20, 25);
    CHECK(records.take_phases().empty());
  }
  SECTION("the process started before the library was loaded, which was before now") {
    const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::steady_clock::now().time_since_epoch())
                         .count();
    CHECK(ProgramRecords::process_start_ns() <= ProgramRecords::library_loaded_ns());
    CHECK(ProgramRecords::library_loaded_ns() <= now);
    CHECK(ProgramRecords::process_start_ns() > now - std::int64_t{3600} * 1'000'000'000);
  }
}
