// What processes print. Installed on std::cout and std::cerr once a rank runs processes: a
// Process's thread has its output cut into whole lines and handed to a sink (the driver prints
// them, so lines from every rank arrive in order and can be attributed); any other thread writes
// through to the real stream as before, under a lock so lines are never mixed.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <streambuf>
#include <string_view>

namespace multirank::detail {

class ProcessOutput {
 public:
  /// Receives one process's text: whole lines, or what was left without a newline at its end.
  using Sink = std::function<void(std::uint64_t process, int stream, std::string_view text)>;

  explicit ProcessOutput(Sink sink);
  ~ProcessOutput();  // puts the original buffers back
  ProcessOutput(const ProcessOutput&) = delete;
  ProcessOutput& operator=(const ProcessOutput&) = delete;

  /// Writes `text` to this rank's real stdout (1) or stderr (2), whole, and flushes it.
  void write(int stream, std::string_view text);
  /// Hands what this thread's process left without a newline to the sink.
  void flush_this_thread();

 private:
  class Buffer final : public std::streambuf {
   public:
    Buffer(ProcessOutput& owner, std::ostream& stream, int id);
    ~Buffer() override;
    std::streambuf* original() const noexcept { return original_; }
    void flush_pending();

   protected:
    int_type overflow(int_type c) override;
    std::streamsize xsputn(const char* s, std::streamsize n) override;
    int sync() override;

   private:
    ProcessOutput& owner_;
    std::ostream& stream_;
    int id_;
    std::streambuf* original_;
  };

  Sink sink_;
  std::mutex mutex_;  // the real streams
  Buffer out_;
  Buffer err_;
};

}  // namespace multirank::detail
