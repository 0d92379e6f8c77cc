// Growable output bytes and bounds-checked input bytes: the two ends every encoder and decoder
// of the wire format works on. A read past the end is a DecodeError, never undefined behaviour.
// They are plain classes, not std::streambufs: a streambuf constructs a std::locale, which cost
// more than encoding a small task; the streambuf adapters below exist for Boost archives only.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <streambuf>
#include <string>
#include <type_traits>
#include <vector>

#include "multirank/error.hpp"

namespace multirank::detail {

/// Appends bytes to a vector it does not own.
class ByteWriter {
 public:
  explicit ByteWriter(std::vector<char>& target) : bytes_(&target) {}
  ByteWriter(const ByteWriter&) = delete;
  ByteWriter& operator=(const ByteWriter&) = delete;

  void write(const void* data, std::size_t size) {
    // An empty span may carry a null pointer, which memcpy must not see even for 0 bytes.
    if (size == 0) return;
    const auto* p = static_cast<const char*>(data);
    if (size <= small_write) {
      // Small writes (headers, numbers) grow and copy; vector::insert here trips GCC 12's
      // -Wstringop-overflow false positive once inlined.
      const std::size_t offset = bytes_->size();
      bytes_->resize(offset + size);
      std::memcpy(bytes_->data() + offset, p, size);
    } else {
      // Large writes copy once, without zero-filling first. GCC 12 misreads the inlined insert
      // into a vector that has just grown (-Warray-bounds and -Wstringop-overread false
      // positives, GCC bug 107852).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overread"
      bytes_->insert(bytes_->end(), p, p + size);
#pragma GCC diagnostic pop
    }
  }

  template <class T>
  requires std::is_trivially_copyable_v<T>
  void write_pod(const T& value) { write(&value, sizeof(T)); }

  /// Makes room for `size` more bytes in one allocation (growing at least twofold, so repeated
  /// calls stay linear): a large append then copies its bytes once instead of once per doubling.
  void make_room(std::size_t size) {
    const std::size_t needed = bytes_->size() + size;
    if (needed > bytes_->capacity()) bytes_->reserve(std::max(needed, 2 * bytes_->capacity()));
  }

  /// Reserves `size` bytes now and returns their offset, for a length filled in later.
  std::size_t reserve(std::size_t size) {
    const std::size_t offset = bytes_->size();
    bytes_->resize(offset + size);
    return offset;
  }

  template <class T>
  requires std::is_trivially_copyable_v<T>
  void patch_pod(std::size_t offset, const T& value) {
    std::memcpy(bytes_->data() + offset, &value, sizeof(T));
  }

  std::size_t size() const noexcept { return bytes_->size(); }
  std::vector<char>& bytes() noexcept { return *bytes_; }

 private:
  static constexpr std::size_t small_write = 64;
  std::vector<char>* bytes_;
};

/// Reads from a span of bytes it does not own.
class ByteReader {
 public:
  explicit ByteReader(std::span<const char> bytes) : bytes_(bytes) {}

  void read(void* out, std::size_t size) {
    require(size);
    if (size > 0) std::memcpy(out, bytes_.data() + position_, size);
    position_ += size;
  }

  template <class T>
  requires std::is_trivially_copyable_v<T> T read_pod() {
    T value;
    read(&value, sizeof(T));
    return value;
  }

  /// The next `size` bytes as a view, consumed.
  std::span<const char> take(std::size_t size) {
    require(size);
    auto view = bytes_.subspan(position_, size);
    position_ += size;
    return view;
  }

  /// Throws unless `size` more bytes are there: decoders call it before allocating for a length
  /// read off the wire, so a corrupted length cannot ask for terabytes.
  void require(std::size_t size) const {
    if (size > remaining()) {
      throw DecodeError("truncated message: needed " + std::to_string(size) + " bytes at offset " +
                        std::to_string(position_) + " of " + std::to_string(bytes_.size()));
    }
  }

  std::size_t remaining() const noexcept { return bytes_.size() - position_; }
  std::size_t position() const noexcept { return position_; }

 private:
  std::span<const char> bytes_;
  std::size_t position_ = 0;
};

/// A ByteWriter seen as a std::streambuf, for Boost.Serialization's output archives.
class WriterStreambuf : public std::streambuf {
 public:
  explicit WriterStreambuf(ByteWriter& out) : out_(out) {}

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) {
      const char byte = static_cast<char>(c);
      out_.write(&byte, 1);
    }
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.write(s, static_cast<std::size_t>(n));
    return n;
  }

 private:
  ByteWriter& out_;
};

/// A byte span seen as a std::streambuf, for Boost.Serialization's input archives.
class ReaderStreambuf : public std::streambuf {
 public:
  explicit ReaderStreambuf(std::span<const char> bytes) {
    auto* base = const_cast<char*>(bytes.data());
    setg(base, base, base + bytes.size());
  }
  /// Bytes not read yet.
  std::size_t remaining() const { return static_cast<std::size_t>(egptr() - gptr()); }

 protected:
  int_type underflow() override {
    return gptr() < egptr() ? traits_type::to_int_type(*gptr()) : traits_type::eof();
  }
};

}  // namespace multirank::detail
