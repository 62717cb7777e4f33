// Avro's binary encoding (Avro 1.11 specification, "Binary Encoding"): an
// encoder that appends to a caller-owned string, and a decoder over bytes
// that remembers its first failure instead of checking every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace weir::avro {

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
inline std::int64_t unzigzag(std::uint64_t v) {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

// Writes values as the schema orders them; it knows no schema itself. A
// record is its fields one after the other; an array or a map is blocks:
// block(n) and n items (a map item is key() then the value), then end().
class encoder {
public:
  explicit encoder(std::string& out) : out_(out) {}

  void null() {}
  void boolean(bool v) { out_ += static_cast<char>(v ? 1 : 0); }
  void int32(std::int32_t v) { int64(v); } // same zigzag varint as long
  void int64(std::int64_t v);
  // NaN is written canonical, as Java's floatToIntBits / doubleToLongBits do.
  void float32(float v);
  void float64(double v);
  void bytes(std::string_view v);
  void string(std::string_view v) { bytes(v); }
  // The schema's size is the caller's to respect: fixed has no length.
  void fixed(std::string_view v) { out_.append(v); }
  // The zero-based position of the union branch that follows.
  void branch(std::size_t index) { int64(static_cast<std::int64_t>(index)); }
  // An array or map block of `count` items (none written when count is 0).
  void block(std::size_t count) {
    if (count > 0)
      int64(static_cast<std::int64_t>(count));
  }
  void key(std::string_view k) { bytes(k); }
  // The zero count that ends an array or a map.
  void end() { out_ += '\0'; }

  std::string& out() { return out_; }

private:
  std::string& out_;
};

// Reads values off the front of `in`. After a failure (bytes run out, a
// varint too long, a negative length) every read returns a zero value and
// failed() says so, with what() the first reason.
class decoder {
public:
  explicit decoder(std::string_view in) : in_(in) {}

  bool boolean();
  std::int32_t int32(); // fails on a value outside int's range
  std::int64_t int64();
  float float32();
  double float64();
  std::string_view bytes(); // also a string; a view into the input
  std::string_view fixed(std::size_t size);
  // The item count of the next array or map block (0 at the end); a
  // negative count's byte size is read and dropped.
  std::int64_t block();

  bool failed() const { return failed_; }
  const std::string& what() const { return what_; }
  void fail(std::string why);
  std::size_t position() const { return pos_; }
  std::size_t remaining() const { return in_.size() - pos_; }
  bool at_end() const { return pos_ >= in_.size(); }

private:
  std::string_view take(std::size_t n);

  std::string_view in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  std::string what_;
};

} // namespace weir::avro
