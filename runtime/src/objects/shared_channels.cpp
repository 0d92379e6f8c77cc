// Queues and pipes as the driver keeps them: items are opaque encoded bytes, handed over whole
// and in order; a waiting get or recv is answered the moment an item arrives.
#include <fmt/format.h>

#include "objects/shared_objects.hpp"

namespace multirank::detail {

QueueObject::QueueObject(std::uint64_t id, std::string description, std::size_t maxsize,
                         bool joinable)
    : SharedObject(id, std::move(description)), maxsize_(maxsize), joinable_(joinable) {}

void QueueObject::handle(ObjectCall& call, ObjectTable& table) {
  switch (static_cast<ObjectOp>(call.header.op)) {
    case ObjectOp::queue_put:
      if (has_room() && putters_.empty()) {
        items_.push_back(std::move(call.payload));
        ++unfinished_;
        table.reply(call, ReplyStatus::ok);
        balance(table);
      } else {
        table.park_or_time_out(putters_, std::move(call));
      }
      return;
    case ObjectOp::queue_get:
      if (!items_.empty()) {
        std::vector<char> item = std::move(items_.front());
        items_.pop_front();
        table.reply(call, ReplyStatus::ok, 0, item);
        balance(table);
      } else {
        table.park_or_time_out(getters_, std::move(call));
      }
      return;
    case ObjectOp::queue_size:
      table.reply(call, ReplyStatus::ok, static_cast<std::int64_t>(items_.size()));
      return;
    case ObjectOp::queue_task_done:
      if (!joinable_) {
        table.reply_error(call, ReplyStatus::state_error,
                          name() + ": task_done() needs a JoinableQueue");
      } else if (unfinished_ == 0) {
        table.reply_error(call, ReplyStatus::state_error,
                          name() + ": task_done() called more times than items were put");
      } else {
        --unfinished_;
        table.reply(call, ReplyStatus::ok);
        if (unfinished_ == 0) {
          for (auto& joiner : joiners_) table.reply(joiner, ReplyStatus::ok);
          joiners_.clear();
        }
      }
      return;
    case ObjectOp::queue_join:
      if (!joinable_) {
        table.reply_error(call, ReplyStatus::state_error,
                          name() + ": join() needs a JoinableQueue");
      } else if (unfinished_ == 0) {
        table.reply(call, ReplyStatus::ok);
      } else {
        table.park_or_time_out(joiners_, std::move(call));
      }
      return;
    default:
      table.reply_error(call, ReplyStatus::state_error,
                        fmt::format("{} has no operation {}", name(), call.header.op));
  }
}

void QueueObject::balance(ObjectTable& table) {
  while (true) {
    if (!putters_.empty() && has_room()) {
      ObjectCall putter = std::move(putters_.front());
      putters_.pop_front();
      items_.push_back(std::move(putter.payload));
      ++unfinished_;
      table.reply(putter, ReplyStatus::ok);
    } else if (!getters_.empty() && !items_.empty()) {
      ObjectCall getter = std::move(getters_.front());
      getters_.pop_front();
      std::vector<char> item = std::move(items_.front());
      items_.pop_front();
      table.reply(getter, ReplyStatus::ok, 0, item);
    } else {
      return;
    }
  }
}

PipeObject::PipeObject(std::uint64_t id, std::string description, bool duplex)
    : SharedObject(id, std::move(description)), duplex_(duplex) {}

void PipeObject::handle(ObjectCall& call, ObjectTable& table) {
  const auto op = static_cast<ObjectOp>(call.header.op);
  const std::uint32_t end = call.header.arg;
  if (end > 1) {
    table.reply_error(call, ReplyStatus::state_error,
                      fmt::format("{} has ends 0 and 1, not {}", name(), end));
    return;
  }
  if (op == ObjectOp::pipe_close) {
    close_end(call, end, table);
    return;
  }
  if (closed_[end]) {
    table.reply_error(call, ReplyStatus::state_error,
                      fmt::format("end {} of {} is closed", end, name()));
    return;
  }
  if (op == ObjectOp::pipe_send) {
    send(call, end, table);
    return;
  }
  if (op != ObjectOp::pipe_recv && op != ObjectOp::pipe_poll) {
    table.reply_error(call, ReplyStatus::state_error,
                      fmt::format("{} has no operation {}", name(), call.header.op));
    return;
  }
  if (!duplex_ && end == 1) {
    table.reply_error(call, ReplyStatus::state_error,
                      fmt::format("end 1 of one-way {} only sends", name()));
    return;
  }
  receive(call, end, op == ObjectOp::pipe_poll, table);
}

void PipeObject::close_end(ObjectCall& call, std::uint32_t end, ObjectTable& table) {
  const std::uint32_t peer = 1 - end;
  if (!closed_[end]) {
    closed_[end] = true;
    // Whoever still waits on this end learns that it was closed under them; the peer sees
    // end of file once it has drained what was sent.
    for (auto& waiting : receivers_[end]) {
      table.reply_error(waiting, ReplyStatus::state_error,
                        fmt::format("end {} of {} was closed while recv() waited", end, name()));
    }
    receivers_[end].clear();
    for (auto& waiting : pollers_[end]) {
      table.reply_error(waiting, ReplyStatus::state_error,
                        fmt::format("end {} of {} was closed while poll() waited", end, name()));
    }
    pollers_[end].clear();
    wake(static_cast<int>(peer), table);
  }
  table.reply(call, ReplyStatus::ok);
}

void PipeObject::send(ObjectCall& call, std::uint32_t end, ObjectTable& table) {
  const std::uint32_t peer = 1 - end;
  if (!duplex_ && end == 0) {
    table.reply_error(call, ReplyStatus::state_error,
                      fmt::format("end 0 of one-way {} only receives", name()));
  } else if (closed_[peer]) {
    table.reply_error(call, ReplyStatus::broken_pipe,
                      fmt::format("end {} of {} is closed", peer, name()));
  } else {
    inbox_[peer].push_back(std::move(call.payload));
    table.reply(call, ReplyStatus::ok);
    wake(static_cast<int>(peer), table);
  }
}

void PipeObject::receive(ObjectCall& call, std::uint32_t end, bool poll, ObjectTable& table) {
  const std::uint32_t peer = 1 - end;
  const bool ready = !inbox_[end].empty() || closed_[peer];
  if (poll) {
    if (ready) {
      table.reply(call, ReplyStatus::ok, 1);
    } else if (call.header.timeout_ns != 0) {
      table.park(pollers_[end], std::move(call));
    } else {
      table.reply(call, ReplyStatus::ok, 0);
    }
    return;
  }
  if (!ready) {
    table.park_or_time_out(receivers_[end], std::move(call));
    return;
  }
  wake(static_cast<int>(end), table);  // nobody waits before us, so this call is served next
  if (!inbox_[end].empty()) {
    std::vector<char> message = std::move(inbox_[end].front());
    inbox_[end].pop_front();
    table.reply(call, ReplyStatus::ok, 0, message);
  } else {
    table.reply_error(
        call, ReplyStatus::eof,
        fmt::format("end {} of {} is closed and everything it sent was received", peer, name()));
  }
}

void PipeObject::wake(int end, ObjectTable& table) {
  const int peer = 1 - end;
  while (!receivers_[end].empty() && !inbox_[end].empty()) {
    ObjectCall receiver = std::move(receivers_[end].front());
    receivers_[end].pop_front();
    std::vector<char> message = std::move(inbox_[end].front());
    inbox_[end].pop_front();
    table.reply(receiver, ReplyStatus::ok, 0, message);
  }
  if (!inbox_[end].empty() || closed_[peer]) {
    for (auto& poller : pollers_[end]) table.reply(poller, ReplyStatus::ok, 1);
    pollers_[end].clear();
  }
  if (closed_[peer] && inbox_[end].empty()) {
    for (auto& receiver : receivers_[end]) {
      table.reply_error(
          receiver, ReplyStatus::eof,
          fmt::format("end {} of {} is closed and everything it sent was received", peer, name()));
    }
    receivers_[end].clear();
  }
}

}  // namespace multirank::detail
