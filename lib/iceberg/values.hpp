// Iceberg's primitive types as weir writes them, their values, and the
// spec's single-value binary serialization (format/spec.md, Appendix D),
// which column bounds and partition summaries are stored in.
#pragma once

#include "base/expected.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace weir::iceberg {

// The types weir writes: boolean, int, long, double, string, date (days
// since 1970-01-01) and timestamptz (microseconds since the epoch, UTC).
// `other` is any type this library does not handle (read from a table
// another engine made): kept verbatim, never written to or bounded.
enum class type { boolean, int32, int64, float64, string, date, timestamptz, other };

// Iceberg's name: "boolean", "int", "long", "double", "string", "date",
// "timestamptz" ("other" for other).
const char* type_name(type t);
// The type an Iceberg type string names; nullopt for any other.
std::optional<type> parse_type(std::string_view name);

// An owned value. int and date are int32, long and timestamptz int64.
using datum = std::variant<std::monostate, bool, std::int32_t, std::int64_t, double, std::string>;
// The same, borrowing strings (for values read off a row).
using value_view =
  std::variant<std::monostate, bool, std::int32_t, std::int64_t, double, std::string_view>;

value_view view(const datum& d);
datum own(const value_view& v);
// Whether a value (NULL included) is of the alternative type `t` takes.
bool fits(type t, const value_view& v);

// Appendix D: little-endian ints, longs, doubles and dates; strings as
// their UTF-8 bytes; booleans as one byte. Empty for NULL or `other`.
std::string to_bytes(type t, const value_view& v);
// The reverse; fails on a wrong length.
expected<datum> from_bytes(type t, std::string_view bytes);

// Orders two non-NULL values of type `t`: strings by unsigned bytes,
// doubles by IEEE 754 totalOrder (-0.0 before +0.0; NaN never asked).
// Negative, zero or positive.
int compare(type t, const value_view& a, const value_view& b);

// Days since 1970-01-01 as "YYYY-MM-DD", and back (proleptic Gregorian).
std::string date_text(std::int32_t days);
expected<std::int32_t> parse_date(std::string_view text);
// A civil date from days since the epoch.
struct civil {
  std::int64_t year;
  int month; // 1..12
  int day;   // 1..31
};
civil civil_from_days(std::int64_t days);
std::int64_t days_from_civil(std::int64_t year, int month, int day);
// Microseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.ffffff+00:00" (the
// spec's JSON form of a timestamptz).
std::string timestamptz_text(std::int64_t micros);

// The first `n` code points of UTF-8 text (a continuation byte never starts
// one): truncate[L] of a string, and the lower bound of truncate(16).
std::string_view utf8_prefix(std::string_view s, std::size_t n);

// Floor division, for times before 1970.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  auto q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

} // namespace weir::iceberg
