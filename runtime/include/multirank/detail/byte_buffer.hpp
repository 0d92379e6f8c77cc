// Growable output bytes and bounds-checked input bytes: the two ends every encoder and decoder
// of the wire format works on. A read past the end is a DecodeError, never undefined behaviour.
#pragma once

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

/// Appends bytes to a vector; also a std::streambuf so Boost archives can write into it directly.
class ByteWriter : public std::streambuf {
 public:
  explicit ByteWriter(std::vector<char>& target) : bytes_(&target) {}
  ByteWriter(const ByteWriter&) = delete;
  ByteWriter& operator=(const ByteWriter&) = delete;

  void write(const void* data, std::size_t size) {
    const auto* p = static_cast<const char*>(data);
    bytes_->insert(bytes_->end(), p, p + size);
  }

  template <class T>
    requires std::is_trivially_copyable_v<T>
  void write_pod(const T& value) {
    write(&value, sizeof(T));
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

 protected:
  int_type overflow(int_type c) override {
    if (c != traits_type::eof()) bytes_->push_back(static_cast<char>(c));
    return c;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    write(s, static_cast<std::size_t>(n));
    return n;
  }

 private:
  std::vector<char>* bytes_;
};

/// Reads from a span of bytes it does not own; a std::streambuf for Boost archives too, whose get
/// area is the single record of how far reading has come.
class ByteReader : public std::streambuf {
 public:
  explicit ByteReader(std::span<const char> bytes) {
    auto* base = const_cast<char*>(bytes.data());
    setg(base, base, base + bytes.size());
  }

  void read(void* out, std::size_t size) {
    require(size);
    std::memcpy(out, gptr(), size);
    advance(size);
  }

  template <class T>
    requires std::is_trivially_copyable_v<T>
  T read_pod() {
    T value;
    read(&value, sizeof(T));
    return value;
  }

  /// The next `size` bytes as a view, consumed.
  std::span<const char> take(std::size_t size) {
    require(size);
    std::span<const char> view(gptr(), size);
    advance(size);
    return view;
  }

  /// Throws unless `size` more bytes are there: decoders call it before allocating for a length
  /// read off the wire, so a corrupted length cannot ask for terabytes.
  void require(std::size_t size) const {
    if (size > remaining()) {
      throw DecodeError("truncated message: needed " + std::to_string(size) + " bytes at offset " +
                        std::to_string(position()) + " of " +
                        std::to_string(position() + remaining()));
    }
  }

  std::size_t remaining() const noexcept { return static_cast<std::size_t>(egptr() - gptr()); }
  std::size_t position() const noexcept { return static_cast<std::size_t>(gptr() - eback()); }

 protected:
  int_type underflow() override {
    return gptr() < egptr() ? traits_type::to_int_type(*gptr()) : traits_type::eof();
  }

 private:
  // gbump takes an int; payloads may exceed 2 GiB.
  void advance(std::size_t size) { setg(eback(), gptr() + size, egptr()); }
};

}  // namespace multirank::detail
