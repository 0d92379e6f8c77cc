// Line-cutting of process output on std::cout and std::cerr.
#include "process/process_output.hpp"

#include <iostream>
#include <string>

#include "multirank/detail/object_client.hpp"

namespace multirank::detail {

namespace {
// Per thread, per stream: text of the thread's process not yet ended by a newline.
thread_local std::string pending_text[3];
}  // namespace

ProcessOutput::Buffer::Buffer(ProcessOutput& owner, std::ostream& stream, int id)
    : owner_(owner), stream_(stream), id_(id), original_(stream.rdbuf()) {
  stream_.rdbuf(this);
}

ProcessOutput::Buffer::~Buffer() { stream_.rdbuf(original_); }

std::streamsize ProcessOutput::Buffer::xsputn(const char* s, std::streamsize n) {
  ProcessContext* process = current_process_context();
  if (process == nullptr) {
    std::lock_guard lock(owner_.mutex_);
    return original_->sputn(s, n);
  }
  std::string& pending = pending_text[id_];
  pending.append(s, static_cast<std::size_t>(n));
  const auto last_newline = pending.rfind('\n');
  if (last_newline != std::string::npos) {
    owner_.sink_(process->id, id_, std::string_view(pending).substr(0, last_newline + 1));
    pending.erase(0, last_newline + 1);
  }
  return n;
}

ProcessOutput::Buffer::int_type ProcessOutput::Buffer::overflow(int_type c) {
  if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
  const char ch = traits_type::to_char_type(c);
  xsputn(&ch, 1);
  return c;
}

int ProcessOutput::Buffer::sync() {
  // A process's partial line waits for its newline (std::cerr flushes after every <<, which
  // would cut lines into pieces); what is left goes out when the process ends.
  if (current_process_context() != nullptr) return 0;
  std::lock_guard lock(owner_.mutex_);
  return original_->pubsync();
}

void ProcessOutput::Buffer::flush_pending() {
  ProcessContext* process = current_process_context();
  std::string& pending = pending_text[id_];
  if (process == nullptr || pending.empty()) return;
  owner_.sink_(process->id, id_, pending);
  pending.clear();
}

ProcessOutput::ProcessOutput(Sink sink)
    : sink_(std::move(sink)), out_(*this, std::cout, 1), err_(*this, std::cerr, 2) {}

ProcessOutput::~ProcessOutput() = default;

void ProcessOutput::write(int stream, std::string_view text) {
  std::lock_guard lock(mutex_);
  std::streambuf* target = stream == 2 ? err_.original() : out_.original();
  target->sputn(text.data(), static_cast<std::streamsize>(text.size()));
  target->pubsync();
}

void ProcessOutput::flush_this_thread() {
  out_.flush_pending();
  err_.flush_pending();
}

}  // namespace multirank::detail
