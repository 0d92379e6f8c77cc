// Text built in a buffer and written to a stream in pieces of about 1 MiB, for the profile
// writers' loops that write a line per event (a million of them in a big run: tasks.csv,
// trace.json, rank-<r>.jsonl): integers and fixed decimals go straight into the buffer, with no
// format string, no growing container and one bounds check per append.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string_view>
#include <vector>

#include "core/fixed_decimal.hpp"

namespace multirank::detail {

class TextSink {
 public:
  explicit TextSink(std::ostream& out) : out_(out), buffer_(flush_at + max_piece) {}
  TextSink(const TextSink&) = delete;
  TextSink& operator=(const TextSink&) = delete;
  ~TextSink() { flush(); }

  // The appends are forced inline: called out of line, they were more than half of writing
  // trace.json's lines.
  [[gnu::always_inline]] TextSink& operator<<(std::string_view text) {
    if (text.size() > max_piece) {
      write_large(text);
      return *this;
    }
    room();
    std::memcpy(buffer_.data() + used_, text.data(), text.size());
    used_ += text.size();
    return *this;
  }
  [[gnu::always_inline]] TextSink& operator<<(char c) {
    room();
    buffer_[used_++] = c;
    return *this;
  }
  template <std::integral Int>
  requires(!std::same_as<Int, char> && !std::same_as<Int, bool>) [[gnu::always_inline]] TextSink&
  operator<<(Int value) {
    room();
    used_ = static_cast<std::size_t>(
        std::to_chars(buffer_.data() + used_, buffer_.data() + buffer_.size(), value).ptr -
        buffer_.data());
    return *this;
  }
  template <int Places>
  [[gnu::always_inline]] TextSink& operator<<(FixedDecimal<Places> value) {
    room();
    used_ = static_cast<std::size_t>(write_fixed_decimal(buffer_.data() + used_, value) -
                                     buffer_.data());
    return *this;
  }

  /// Writes what is buffered to the stream.
  void flush() {
    out_.write(buffer_.data(), static_cast<std::streamsize>(used_));
    used_ = 0;
  }

 private:
  static constexpr std::size_t flush_at = std::size_t{1} << 20;
  static constexpr std::size_t max_piece = 4096;  // what one append may add: a number, or text

  [[gnu::noinline]] void write_large(std::string_view text) {
    flush();
    out_.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  // Every append adds at most max_piece bytes, so one check before it keeps it in bounds.
  void room() {
    if (used_ >= flush_at) flush();
  }

  std::ostream& out_;
  std::vector<char> buffer_;
  std::size_t used_ = 0;
};

}  // namespace multirank::detail
