// Bytes written out by hand in tests of binary formats (Parquet's Thrift,
// Avro, Iceberg's single values), and compared as hex so a failure shows
// where they differ.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace weir::test {

inline std::string bytes(std::initializer_list<unsigned> b) {
  std::string s;
  for (unsigned v : b)
    s += static_cast<char>(v);
  return s;
}

inline std::string hex(std::string_view s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
    out += ' ';
  }
  return out;
}

} // namespace weir::test

#define EXPECT_BYTES(actual, ...) \
  EXPECT_EQ(::weir::test::hex(actual), ::weir::test::hex(::weir::test::bytes({__VA_ARGS__})))
