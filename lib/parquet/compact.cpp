#include "lib/parquet/compact.hpp"

#include <cassert>

namespace weir::parquet {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void compact_encoder::begin_struct() {
  assert(depth_ < last_ids_.size());
  last_ids_[depth_++] = 0;
}

void compact_encoder::end_struct() {
  assert(depth_ > 0);
  out_ += '\0'; // STOP
  --depth_;
}

void compact_encoder::field_header(std::int16_t id, ctype t) {
  assert(depth_ > 0);
  auto& last = last_ids_[depth_ - 1];
  int delta = id - last;
  if (delta > 0 && delta <= 15) {
    out_ += static_cast<char>((delta << 4) | static_cast<int>(t));
  } else {
    out_ += static_cast<char>(t);
    put_varint(out_, zigzag(id));
  }
  last = id;
}

void compact_encoder::field_struct(std::int16_t id) {
  field_header(id, ctype::structure);
  begin_struct();
}

void compact_encoder::field_bool(std::int16_t id, bool v) {
  // Booleans live in the type nibble; there is no payload.
  field_header(id, v ? ctype::bool_true : ctype::bool_false);
}

void compact_encoder::field_int(std::int16_t id, ctype t, std::int64_t v) {
  field_header(id, t);
  put_varint(out_, zigzag(v));
}

void compact_encoder::field_binary(std::int16_t id, std::string_view v) {
  field_header(id, ctype::binary);
  element_binary(v);
}

void compact_encoder::field_list(std::int16_t id, ctype element, std::size_t size) {
  field_header(id, ctype::list);
  if (size < 15) {
    out_ += static_cast<char>((size << 4) | static_cast<std::size_t>(element));
  } else {
    out_ += static_cast<char>(0xF0 | static_cast<int>(element));
    put_varint(out_, size);
  }
}

void compact_encoder::element_binary(std::string_view v) {
  put_varint(out_, v.size());
  out_.append(v);
}

} // namespace weir::parquet
