// Pipe: two connected ends, as multiprocessing.Pipe, each passable to a process on any rank.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "multirank/detail/codec.hpp"
#include "multirank/detail/object_handle.hpp"
#include "multirank/error.hpp"
#include "multirank/timeout.hpp"

namespace multirank {

/// One end of a Pipe: what one end sends, the other receives, in order.
///
/// @code
///   auto [parent, child] = multirank::Pipe<std::string>();
///   multirank::Process p(sender, child);  p.start();
///   std::cout << parent.recv() << "\n";
/// @endcode
/// `recv` on an end whose peer closed and whose messages were all received raises EOFError;
/// `send` to a closed peer raises BrokenPipeError; any use of an end after its close() is a
/// StateError. close() closes the end for every process holding it. A pipe made with a name is
/// called by it in every error and diagnostic ("end 0 of Pipe 'results'"). Thread safety: any
/// thread.
template <class T>
class Connection {
 public:
  Connection() = default;
  /// End `end` (0 or 1) of `pipe`; made by Pipe().
  Connection(detail::ObjectHandle pipe, std::uint32_t end) : pipe_(std::move(pipe)), end_(end) {}

  /// Sends `message` to the other end; BrokenPipeError once that end is closed.
  void send(const T& message) {
    const auto bytes = detail::encode_to_bytes(message);
    detail::throw_if_failed(
        detail::call_object(pipe_.id(), detail::ObjectOp::pipe_send, end_, 0, Timeout(), bytes));
  }
  /// The next message; TimeoutError when none came within `timeout`.
  T recv(Timeout timeout = {}) {
    const auto reply =
        detail::call_object(pipe_.id(), detail::ObjectOp::pipe_recv, end_, 0, timeout);
    if (reply.status == detail::ReplyStatus::timed_out) {
      throw TimeoutError("end " + std::to_string(end_) + " of " + pipe_.describe() +
                         ": recv() timed out");
    }
    detail::throw_if_failed(reply);
    return detail::decode_all<T>(reply.payload);
  }
  /// Whether recv() would return without waiting (a message, or end of file), waiting up to
  /// `timeout` for it (the default does not wait, as in Python).
  bool poll(Timeout timeout = std::chrono::seconds(0)) {
    const auto reply =
        detail::call_object(pipe_.id(), detail::ObjectOp::pipe_poll, end_, 0, timeout);
    if (reply.status == detail::ReplyStatus::timed_out) return false;
    detail::throw_if_failed(reply);
    return reply.value != 0;
  }
  /// Closes this end: the other end's recv() gets EOFError once it has drained what was sent.
  void close() {
    detail::throw_if_failed(detail::call_object(pipe_.id(), detail::ObjectOp::pipe_close, end_));
  }
  /// 0 or 1: which end this is.
  std::uint32_t end() const noexcept { return end_; }
  /// The name its pipe was given; empty if none.
  const std::string& name() const noexcept { return pipe_.name(); }

  template <class Archive>
  void serialize(Archive& archive, unsigned /*version*/) {
    archive& pipe_;
    archive& end_;
  }

 private:
  detail::ObjectHandle pipe_;
  std::uint32_t end_ = 0;
};

/// Two connected ends. Duplex (the default): both send and receive. One-way (`duplex` false):
/// the first end only receives, the second only sends, as in Python.
template <class T>
std::pair<Connection<T>, Connection<T>> Pipe(std::string name, bool duplex = true) {
  detail::ObjectHandle pipe(detail::ObjectKind::pipe, std::move(name), duplex ? 1 : 0);
  return {Connection<T>(pipe, 0), Connection<T>(pipe, 1)};
}
template <class T>
std::pair<Connection<T>, Connection<T>> Pipe(bool duplex = true) {
  return Pipe<T>(std::string(), duplex);
}
/// A named pipe: @code auto [parent, child] = multirank::Pipe<std::string>("results"); @endcode
/// (This overload exists because a string literal would otherwise convert to `bool duplex`.)
template <class T>
std::pair<Connection<T>, Connection<T>> Pipe(const char* name, bool duplex = true) {
  return Pipe<T>(std::string(name), duplex);
}

}  // namespace multirank
