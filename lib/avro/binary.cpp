#include "lib/avro/binary.hpp"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace weir::avro {

// Floats and doubles are little-endian on the wire; copying native bytes is
// only right on a little-endian host.
static_assert(std::endian::native == std::endian::little);

void encoder::int64(std::int64_t v) {
  std::uint64_t z = zigzag(v);
  while (z >= 0x80) {
    out_ += static_cast<char>((z & 0x7F) | 0x80);
    z >>= 7;
  }
  out_ += static_cast<char>(z);
}

void encoder::float32(float v) {
  auto bits = std::isnan(v) ? std::uint32_t{0x7fc00000} : std::bit_cast<std::uint32_t>(v);
  out_.append(reinterpret_cast<const char*>(&bits), 4);
}

void encoder::float64(double v) {
  auto bits = std::isnan(v) ? std::uint64_t{0x7ff8000000000000} : std::bit_cast<std::uint64_t>(v);
  out_.append(reinterpret_cast<const char*>(&bits), 8);
}

void encoder::bytes(std::string_view v) {
  int64(static_cast<std::int64_t>(v.size()));
  out_.append(v);
}

void decoder::fail(std::string why) {
  if (!failed_) {
    failed_ = true;
    what_ = std::move(why);
  }
  pos_ = in_.size();
}

std::string_view decoder::take(std::size_t n) {
  if (failed_)
    return {};
  if (n > remaining()) {
    fail("avro: unexpected end of data at byte " + std::to_string(pos_));
    return {};
  }
  auto v = in_.substr(pos_, n);
  pos_ += n;
  return v;
}

bool decoder::boolean() {
  auto b = take(1);
  return !b.empty() && b[0] != 0;
}

std::int64_t decoder::int64() {
  std::uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    auto b = take(1);
    if (b.empty())
      return 0;
    auto byte = static_cast<std::uint8_t>(b[0]);
    v |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
    if (!(byte & 0x80))
      return unzigzag(v);
  }
  fail("avro: varint longer than 10 bytes at byte " + std::to_string(pos_));
  return 0;
}

std::int32_t decoder::int32() {
  auto v = int64();
  if (v < std::numeric_limits<std::int32_t>::min()
      || v > std::numeric_limits<std::int32_t>::max()) {
    fail("avro: int out of range at byte " + std::to_string(pos_));
    return 0;
  }
  return static_cast<std::int32_t>(v);
}

float decoder::float32() {
  auto b = take(4);
  if (b.empty())
    return 0;
  float v;
  std::memcpy(&v, b.data(), 4);
  return v;
}

double decoder::float64() {
  auto b = take(8);
  if (b.empty())
    return 0;
  double v;
  std::memcpy(&v, b.data(), 8);
  return v;
}

std::string_view decoder::bytes() {
  auto n = int64();
  if (n < 0) {
    fail("avro: negative length at byte " + std::to_string(pos_));
    return {};
  }
  return take(static_cast<std::uint64_t>(n) > remaining() ? remaining() + 1
                                                          : static_cast<std::size_t>(n));
}

std::string_view decoder::fixed(std::size_t size) {
  return take(size);
}

std::int64_t decoder::block() {
  auto n = int64();
  if (n < 0) {
    if (n == std::numeric_limits<std::int64_t>::min()) {
      fail("avro: block count out of range at byte " + std::to_string(pos_));
      return 0;
    }
    n = -n;
    int64(); // the block's size in bytes, for skipping; items are read anyway
  }
  return failed_ ? 0 : n;
}

} // namespace weir::avro
