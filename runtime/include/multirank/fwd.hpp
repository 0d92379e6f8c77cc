// Forward declarations of multirank's public types, and of the internals the public headers
// name only by pointer or reference: a header that only mentions a type includes this instead of
// the type's header, so it stays light (runtime.hpp includes no MPI, Boost or engine header).
#pragma once

namespace multirank {

class Runtime;
struct RuntimeOptions;
struct MapOptions;
class ProgressObserver;
class Timeout;
class Executor;
class Pool;
class Process;
template <class T>
class Future;
template <class T>
class AsyncResult;
template <class T>
class Queue;
template <class T>
class JoinableQueue;
template <class T>
class Connection;
class Lock;
class RLock;
class Semaphore;
class BoundedSemaphore;
class Event;
class Barrier;
class Condition;
template <class T>
class Value;

namespace detail {
class Communicator;
class DriverEngine;
class ProgressEngine;
class InterruptSignals;
class ObjectChannel;
class ObjectHost;
class ProfileSession;
class SubmissionQueue;
class TaskState;
struct RuntimeAccess;
}  // namespace detail

}  // namespace multirank
