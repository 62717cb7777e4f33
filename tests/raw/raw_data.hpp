// Deterministic test rows for the raw paths: the n-th row of a schema is a
// pure function of n, so a writer process, a crash and a rewrite all see the
// same rows, and `weir_raw_it dump` prints them for the Python checkers.
//
//   actions  seed 004's user actions: event_id, user_id 1..30M, action_type
//            (153 kinds), timestamp (from 2026-01-01T22:00Z, 432 ms apart
//            plus up to a minute of disorder: ~6 hours over midnight for
//            50k rows), session_seconds (nullable double)
//   all      every type, nullable and required, with the awkward values:
//            NULLs, empty strings, "\N", tabs, newlines, backslashes,
//            quotes, unicode, a 100 kB string, NaN, +-inf, -0.0, int64
//            limits, pre-1970 and sub-second timestamps
#pragma once

#include "jobs/generators.hpp"
#include "jobs/raw/rows.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

namespace weir::raw::testdata {

using parquet::type;

inline std::vector<column> schema(const std::string& name) {
  if (name == "actions")
    return {{"event_id", type::string, false},
            {"user_id", type::int64, false},
            {"action_type", type::string, false},
            {"timestamp", type::timestamp_ms, false},
            {"session_seconds", type::float64, true}};
  return {{"event_id", type::string, false}, {"i", type::int64, true},
          {"f", type::float64, true},        {"s", type::string, true},
          {"b", type::boolean, true},        {"ts", type::timestamp_ms, true},
          {"n", type::int64, false},         {"t", type::timestamp_ms, false}};
}

// Fills `row` with row n of the schema; strings view into `store`.
class generator {
public:
  explicit generator(std::string schema_name) : name_(std::move(schema_name)) {}

  void make(std::int64_t n, std::vector<row_batch::value>& row) {
    jobs::rng r{0x5eed0000ULL ^ (static_cast<std::uint64_t>(n) * 0x9e3779b97f4a7c15ULL)};
    char id[24];
    std::snprintf(id, sizeof id, "%016llx",
                  static_cast<unsigned long long>(42ULL * 1'000'003
                                                  + static_cast<std::uint64_t>(n)));
    key_ = id;
    if (name_ == "actions") {
      char action[16];
      std::snprintf(action, sizeof action, "action_%03llu",
                    static_cast<unsigned long long>(r.below(153)));
      text_ = action;
      const std::int64_t start = 1767304800000; // 2026-01-01T22:00:00Z
      const std::int64_t t = start + n * 432 - static_cast<std::int64_t>(r.below(60'000));
      const auto user = static_cast<std::int64_t>(1 + r.below(30'000'000));
      row = {std::string_view{key_}, user, std::string_view{text_}, t,
             r.below(7) == 0 ? row_batch::value{} : row_batch::value{r.uniform() * 600}};
      return;
    }
    // "all": the awkward values cycle with n; the rest is random.
    const int k = static_cast<int>(n % 16);
    row.assign(8, row_batch::value{});
    row[0] = std::string_view{key_};
    static constexpr std::int64_t i_special[] = {0, -1, std::numeric_limits<std::int64_t>::min(),
                                                 std::numeric_limits<std::int64_t>::max()};
    static const double f_special[] = {std::nan(""),
                                       std::numeric_limits<double>::infinity(),
                                       -std::numeric_limits<double>::infinity(),
                                       -0.0,
                                       0.0,
                                       5e-324,
                                       1.7976931348623157e308,
                                       0.1};
    static const char* const s_special[] =
      {"",
       "\\N",
       "tab\there",
       "line\nbreak\r\n",
       "back\\slash\\",
       "quote \" and ' and ,",
       "unicode: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \xd0\xb6",
       "\\t not a tab",
       " lead and trail ",
       "\x01\x07\x1f"};
    if (k != 1)
      row[1] = k < 4 ? i_special[k] : static_cast<std::int64_t>(r.next());
    if (k != 2)
      row[2] = k < 8 ? f_special[k]
                     : (r.uniform() - 0.5) * std::pow(10.0, static_cast<double>(r.below(40)) - 20);
    if (k == 3) {
      // nothing: NULL string
    } else if (k == 13) {
      text_.assign(100'000, 'x');
      for (std::size_t j = 0; j < text_.size(); j += 997)
        text_[j] = static_cast<char>('a' + j % 26);
      row[3] = std::string_view{text_};
    } else {
      text_ = k < 10 ? s_special[k] : "value " + std::to_string(r.below(1'000'000));
      row[3] = std::string_view{text_};
    }
    if (k != 4)
      row[4] = (r.next() & 1) != 0;
    static constexpr std::int64_t ts_special[] =
      {0, -1, -86'400'001, 4102444800123, -2208988800000, 1767225600001};
    if (k != 5)
      row[5] =
        k < 6 ? ts_special[k] : 1767225600000 + static_cast<std::int64_t>(r.below(86'400'000'000));
    row[6] = static_cast<std::int64_t>(n);
    row[7] = 1767225600000 + n * 1000 + k;
  }

private:
  std::string name_;
  std::string key_, text_;
};

// -- JSON for the dump: doubles as strings (Python reads "NaN", "-0" exactly) --

inline void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

inline void append_json(std::string& out, const row_batch::value& v) {
  char buf[32];
  switch (v.index()) {
    case 0: out += "null"; break;
    case 1:
      out.append(buf, std::to_chars(buf, buf + sizeof buf, std::get<std::int64_t>(v)).ptr);
      break;
    case 2: {
      const double d = std::get<double>(v);
      out += '"';
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d > 0 ? "Infinity" : "-Infinity";
      else
        out.append(buf, std::to_chars(buf, buf + sizeof buf, d).ptr);
      out += '"';
      break;
    }
    case 3: append_json_string(out, std::get<std::string_view>(v)); break;
    case 4: out += std::get<bool>(v) ? "true" : "false"; break;
  }
}

} // namespace weir::raw::testdata
