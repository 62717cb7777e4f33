// A hand-written Thrift compact-protocol encoder, just enough for Parquet's
// footer and page headers. Writing the few structs by hand is smaller than
// an IDL, a code generator and libthrift (and keeps them out of the build);
// field ids come from apache/parquet-format's parquet.thrift and are named
// where the structs are written (writer.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace weir::parquet {

// Compact-protocol type nibbles (field headers and list headers).
enum class ctype : std::uint8_t {
  bool_true = 1,
  bool_false = 2,
  i8 = 3,
  i16 = 4,
  i32 = 5,
  i64 = 6,
  dbl = 7,
  binary = 8,
  list = 9,
  set = 10,
  map = 11,
  structure = 12,
};

void put_varint(std::string& out, std::uint64_t v);
inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

// Appends to a caller-owned string, so a scratch buffer can be reused
// without allocating. Structs nest: every begin_* has a matching end_struct.
class compact_encoder {
public:
  explicit compact_encoder(std::string& out) : out_(out) {}

  // The outermost struct (it has no field header) or a struct inside a list.
  void begin_struct();
  void end_struct();

  void field_struct(std::int16_t id);
  void field_bool(std::int16_t id, bool v);
  void field_i16(std::int16_t id, std::int16_t v) { field_int(id, ctype::i16, v); }
  void field_i32(std::int16_t id, std::int32_t v) { field_int(id, ctype::i32, v); }
  void field_i64(std::int16_t id, std::int64_t v) { field_int(id, ctype::i64, v); }
  void field_binary(std::int16_t id, std::string_view v);
  // A list field of `size` elements; write them with the element calls.
  void field_list(std::int16_t id, ctype element, std::size_t size);

  // List elements.
  void element_i32(std::int32_t v) { put_varint(out_, zigzag(v)); }
  void element_binary(std::string_view v);

private:
  void field_header(std::int16_t id, ctype t);
  void field_int(std::int16_t id, ctype t, std::int64_t v);

  std::string& out_;
  // Last field id per open struct, for the id deltas; Parquet nests 5 deep.
  std::array<std::int16_t, 16> last_ids_{};
  std::size_t depth_ = 0;
};

} // namespace weir::parquet
