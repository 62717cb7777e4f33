// Arbitrary bytes as a Parquet writer case: a flat schema, a codec, a row
// group size and rows that fit the schema. The fuzz_parquet harness writes
// each case; weir_parquet_sample (tests/parquet/) writes the kept corpus
// again, for pyarrow and duckdb to read back (parquet.fuzz_corpus). The
// decoding is total (any bytes make a case) and deterministic.
#pragma once

#include "lib/parquet/writer.hpp"

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace weir::fuzz {

using owned_value = std::variant<std::monostate, std::int64_t, double, std::string, bool>;

struct parquet_case {
  parquet::schema schema;
  parquet::codec codec = parquet::codec::uncompressed;
  std::size_t row_group_rows = 1;
  std::vector<std::vector<owned_value>> rows;
};

namespace detail {

class bytes {
public:
  explicit bytes(std::string_view in) : in_(in) {}
  bool empty() const { return pos_ >= in_.size(); }
  std::uint8_t u8() { return empty() ? 0 : static_cast<std::uint8_t>(in_[pos_++]); }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i)
      v = v << 8 | u8();
    return v;
  }

private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

// Strings are UTF-8, as weir's are (they come from JSON): a byte below 0x80
// stands for itself (NUL and control bytes included), one above for the
// two-byte encoding of its code point.
inline std::string utf8(bytes& b, std::size_t n) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = b.u8();
    if (c < 0x80) {
      s += static_cast<char>(c);
    } else {
      s += static_cast<char>(0xC0 | (c >> 6));
      s += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return s;
}

} // namespace detail

inline parquet_case decode_parquet_case(std::string_view input) {
  using parquet::type;
  detail::bytes b{input};
  parquet_case out;
  const auto columns = 1 + b.u8() % 6;
  for (unsigned i = 0; i < columns; ++i) {
    const auto t = b.u8();
    out.schema.columns.push_back({"c" + std::to_string(i), static_cast<type>(t % 5), (t & 8) != 0});
  }
  out.codec = static_cast<parquet::codec>(b.u8() % 3);
  out.row_group_rows = 1 + b.u8() % 64;
  // Event times as weir takes them: years 1 to 9999.
  constexpr std::int64_t min_ms = -62'135'596'800'000, max_ms = 253'402'300'799'999;
  while (!b.empty() && out.rows.size() < 4096) {
    auto& row = out.rows.emplace_back();
    for (const auto& c : out.schema.columns) {
      if (c.nullable && (b.u8() & 1)) {
        row.emplace_back(std::monostate{});
        continue;
      }
      switch (c.t) {
        case type::int64:
        case type::timestamp_us: // not drawn (t % 5), so kept corpora decode as before
          row.emplace_back(static_cast<std::int64_t>(b.u64()));
          break;
        case type::float64: row.emplace_back(std::bit_cast<double>(b.u64())); break;
        case type::string: row.emplace_back(detail::utf8(b, b.u8() % 48)); break;
        case type::boolean: row.emplace_back((b.u8() & 1) != 0); break;
        case type::timestamp_ms:
          row.emplace_back(static_cast<std::int64_t>(
            min_ms
            + static_cast<std::int64_t>(b.u64()
                                        % static_cast<std::uint64_t>(max_ms - min_ms + 1))));
          break;
      }
    }
  }
  return out;
}

// A row as the writer takes it; string_views into `row`.
inline void as_values(const std::vector<owned_value>& row,
                      std::vector<parquet::writer::value>& out) {
  out.clear();
  for (const auto& v : row) {
    switch (v.index()) {
      case 0: out.emplace_back(std::monostate{}); break;
      case 1: out.emplace_back(std::get<1>(v)); break;
      case 2: out.emplace_back(std::get<2>(v)); break;
      case 3: out.emplace_back(std::string_view{std::get<3>(v)}); break;
      case 4: out.emplace_back(std::get<4>(v)); break;
    }
  }
}

} // namespace weir::fuzz
