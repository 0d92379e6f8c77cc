// The failure matrix, after CPython's test_concurrent_futures/test_deadlock.py: one fault at one
// stage of a task's life, through an Executor or a Pool, and what the driver makes of it.
//   failure_matrix API STAGE FAULT
//     API    executor | pool
//     STAGE  driver-encode   the arguments' save() on the driver, inside submit
//            worker-decode   the arguments' load() on the worker
//            task            the task function
//            worker-encode   the result's save() on the worker
//            driver-decode   the result's load() on the driver
//     FAULT  throw (FmBoom, a user exception) | exit (std::exit(3)) | abort | segv
//   failure_matrix API CELL
//     CELL   shutdown-crash  a worker dies while shutdown(wait) waits for its tasks
//            large-crash     a worker dies with a 200 MiB argument on its way
//            after-main      the driver dies (SIGSEGV) after main returned
//            poison          with default settings, a task that kills every rank it runs on
// Worker faults happen on worker ranks only (the driver's own worker thread, where it has one,
// runs the task unharmed), so that "a worker died" is what each cell tests. After a failure the
// driver can survive, it runs one more task and prints "next task: 84". It prints "caught TYPE:
// MESSAGE" for each exception it catches and "done" when main ends normally. Arguments starting
// with --profile are ignored (the Slurm recipe adds grayscale's).
#include <cxxabi.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/serialization/string.hpp>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "multirank/multirank.hpp"

namespace {

enum class Stage { none, driver_encode, worker_decode, task, worker_encode, driver_decode };
enum class Fault { none, raise, exit, abort, segv };

// Set from argv before the Runtime starts, so every rank has the same.
Stage fault_stage = Stage::none;
Fault fault_kind = Fault::none;

bool on_worker_rank() { return multirank::Runtime::current().rank() != 0; }

}  // namespace

struct FmBoom : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace {

void fault_here(Stage stage, bool worker_side) {
  if (stage != fault_stage) return;
  if (worker_side && !on_worker_rank()) return;
  switch (fault_kind) {
    case Fault::none:
      return;
    case Fault::raise:
      throw FmBoom("fm-boom at stage " + std::to_string(static_cast<int>(stage)));
    case Fault::exit:
      std::exit(3);
    case Fault::abort:
      std::abort();
    case Fault::segv:
      ::raise(SIGSEGV);
      return;
  }
}

}  // namespace

/// A value whose save() and load() fault at the stage asked for.
struct Payload {
  std::string text;
  bool is_result = false;

  template <class Archive>
  void save(Archive& archive, unsigned) const {
    fault_here(is_result ? Stage::worker_encode : Stage::driver_encode, is_result);
    archive << text << is_result;
  }
  template <class Archive>
  void load(Archive& archive, unsigned) {
    archive >> text >> is_result;
    fault_here(is_result ? Stage::driver_decode : Stage::worker_decode, !is_result);
  }
  BOOST_SERIALIZATION_SPLIT_MEMBER()
};

Payload echo(Payload in) {
  fault_here(Stage::task, true);
  return Payload{in.text + " back", true};
}
MULTIRANK_TASK(echo);

int twice(int x) { return 2 * x; }
MULTIRANK_TASK(twice);

/// Dies when run on a worker rank (`always`: every time; else only the first time it runs).
int crash_on_worker(int x, bool always) {
  static bool crashed_here = false;
  if (on_worker_rank() && (always || !crashed_here)) {
    crashed_here = true;
    ::raise(SIGSEGV);
  }
  usleep(20'000);
  return x;
}
MULTIRANK_TASK(crash_on_worker);

std::size_t size_of(std::vector<char> bytes, int crash) {
  if (crash != 0 && on_worker_rank()) ::raise(SIGSEGV);
  return bytes.size();
}
MULTIRANK_TASK(size_of);

namespace {

void report(const std::exception& e) {
  int status = 0;
  char* type = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
  std::cout << "caught " << (status == 0 ? type : typeid(e).name()) << ": " << e.what()
            << std::endl;
  std::free(type);
}

template <class Api>
void next_task(Api& api) {
  if constexpr (std::is_same_v<Api, multirank::Executor>) {
    std::cout << "next task: " << api.submit(twice, 42).result() << std::endl;
  } else {
    std::cout << "next task: " << api.apply(twice, 42) << std::endl;
  }
}

template <class Api>
int run_stage(Api& api) {
  try {
    if constexpr (std::is_same_v<Api, multirank::Executor>) {
      api.set_retries(0);
      auto future = api.submit(echo, Payload{"hello"});
      std::cout << "result: " << future.result().text << std::endl;
    } else {
      // Pool has no per-call retries: the Runtime's default (MULTIRANK_RETRIES) applies.
      std::cout << "result: " << api.apply(echo, Payload{"hello"}).text << std::endl;
    }
  } catch (const std::exception& e) {
    report(e);
  }
  next_task(api);
  return 0;
}

template <class Api>
int run_cell(Api& api, const std::string& cell) {
  if (cell == "shutdown-crash") {
    std::vector<multirank::Future<int>> futures;
    multirank::Executor executor;
    executor.set_retries(0);
    for (int i = 0; i < 6; ++i) futures.push_back(executor.submit(crash_on_worker, i, false));
    executor.shutdown(true);
    int failed = 0;
    for (auto& future : futures) {
      try {
        future.result();
      } catch (const multirank::WorkerLost& e) {
        ++failed;
        report(e);
      }
    }
    std::cout << "shut down with " << failed << " lost" << std::endl;
    next_task(api);
    return 0;
  }
  if (cell == "large-crash") {
    std::vector<char> large(std::size_t{200} << 20, 'x');
    try {
      if constexpr (std::is_same_v<Api, multirank::Executor>) {
        api.set_retries(0);
        std::cout << "size: " << api.submit(size_of, large, 1).result() << std::endl;
      } else {
        std::cout << "size: " << api.apply(size_of, large, 1) << std::endl;
      }
    } catch (const std::exception& e) {
      report(e);
    }
    next_task(api);
    return 0;
  }
  if (cell == "after-main") {
    next_task(api);
    std::atexit([] { ::raise(SIGSEGV); });
    return 0;
  }
  if (cell == "poison") {
    std::vector<int> results;
    try {
      if constexpr (std::is_same_v<Api, multirank::Executor>) {
        auto poisoned = api.submit(crash_on_worker, 7, true);
        std::cout << "poison: " << poisoned.result() << std::endl;
      } else {
        std::cout << "poison: " << api.apply(crash_on_worker, 7, true) << std::endl;
      }
    } catch (const std::exception& e) {
      report(e);
    }
    try {
      next_task(api);
    } catch (const std::exception& e) {
      report(e);
    }
    return 0;
  }
  std::cerr << "failure_matrix: unknown cell '" << cell << "'\n";
  return 2;
}

template <class Api>
int run(Api& api, int argc, char** argv) {
  return argc == 3 ? run_cell(api, argv[2]) : run_stage(api);
}

int usage() {
  std::cerr << "usage: failure_matrix executor|pool STAGE throw|exit|abort|segv\n"
               "       failure_matrix executor|pool shutdown-crash|large-crash|after-main|poison\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // launch/slurm/grayscale.sbatch hands its program grayscale's --profile=DIR: not ours.
  argc = static_cast<int>(
      std::remove_if(argv + 1, argv + argc,
                     [](const char* arg) { return std::strncmp(arg, "--profile", 9) == 0; }) -
      argv);
  if (argc != 3 && argc != 4) return usage();
  if (argc == 4) {
    const std::string stage = argv[2];
    const std::string fault = argv[3];
    if (stage == "driver-encode")
      fault_stage = Stage::driver_encode;
    else if (stage == "worker-decode")
      fault_stage = Stage::worker_decode;
    else if (stage == "task")
      fault_stage = Stage::task;
    else if (stage == "worker-encode")
      fault_stage = Stage::worker_encode;
    else if (stage == "driver-decode")
      fault_stage = Stage::driver_decode;
    else
      return usage();
    if (fault == "throw")
      fault_kind = Fault::raise;
    else if (fault == "exit")
      fault_kind = Fault::exit;
    else if (fault == "abort")
      fault_kind = Fault::abort;
    else if (fault == "segv")
      fault_kind = Fault::segv;
    else
      return usage();
  }
  multirank::Runtime runtime(argc, argv);
  int status = 0;
  if (std::strcmp(argv[1], "executor") == 0) {
    multirank::Executor executor;
    status = run(executor, argc, argv);
  } else if (std::strcmp(argv[1], "pool") == 0) {
    multirank::Pool pool;
    status = run(pool, argc, argv);
  } else {
    return usage();
  }
  if (status == 0) std::cout << "done" << std::endl;
  return status;
}
