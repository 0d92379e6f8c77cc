// The parts of the Runtime that the library's own code reaches (the engine, the communicator, the
// shared-object channel and host), kept out of Runtime's public section: a program uses the
// Executor, Pool, Process and shared objects built on them, never the parts themselves.
#pragma once

#include <cstdint>

#include "multirank/fwd.hpp"

namespace multirank::detail {

struct RuntimeAccess {
  /// The driver's engine (what Executor and Pool submit to).
  static DriverEngine& engine(Runtime& runtime);
  /// The job's communicator: the engine and the worker loop make every MPI call on it.
  static const Communicator& communicator(const Runtime& runtime) noexcept;
  /// This rank's way to the shared objects (queues, locks, processes); JobEnding once it is gone.
  static ObjectChannel& object_channel(Runtime& runtime);
  /// The driver's shared-object host (an Error on a worker rank).
  static ObjectHost& object_host(Runtime& runtime);
  /// Numbers the threads that use shared objects, for lock ownership and diagnostics.
  static std::uint32_t next_thread_number(Runtime& runtime) noexcept;
  /// Set by the worker loop on worker ranks, for the time it serves.
  static void set_object_channel(Runtime& runtime, ObjectChannel* channel) noexcept;
  /// Runtime::close, for the terminate handler of an uncaught Interrupted.
  static int close(Runtime& runtime) noexcept;
};

}  // namespace multirank::detail
