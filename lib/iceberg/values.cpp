#include "lib/iceberg/values.hpp"

#include <bit>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace weir::iceberg {

// Appendix D is little-endian; copying native bytes is only right on a
// little-endian host.
static_assert(std::endian::native == std::endian::little);

const char* type_name(type t) {
  switch (t) {
    case type::boolean: return "boolean";
    case type::int32: return "int";
    case type::int64: return "long";
    case type::float64: return "double";
    case type::string: return "string";
    case type::date: return "date";
    case type::timestamptz: return "timestamptz";
    case type::other: return "other";
  }
  return "?";
}

std::optional<type> parse_type(std::string_view name) {
  for (auto t : {type::boolean, type::int32, type::int64, type::float64, type::string, type::date,
                 type::timestamptz})
    if (name == type_name(t))
      return t;
  return std::nullopt;
}

value_view view(const datum& d) {
  return std::visit(
    [](const auto& v) -> value_view {
      if constexpr (std::is_same_v<std::decay_t<decltype(v)>, std::string>)
        return std::string_view{v};
      else
        return v;
    },
    d);
}

datum own(const value_view& v) {
  return std::visit(
    [](const auto& x) -> datum {
      if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string_view>)
        return std::string{x};
      else
        return x;
    },
    v);
}

namespace {

// The variant alternative each type's values take.
std::size_t alternative(type t) {
  switch (t) {
    case type::boolean: return 1;
    case type::int32:
    case type::date: return 2;
    case type::int64:
    case type::timestamptz: return 3;
    case type::float64: return 4;
    case type::string: return 5;
    case type::other: return 0;
  }
  return 0;
}

template <class T>
std::string le_bytes(T v) {
  return std::string(reinterpret_cast<const char*>(&v), sizeof v);
}

template <class T>
T from_le(std::string_view b) {
  T v;
  std::memcpy(&v, b.data(), sizeof v);
  return v;
}

// IEEE 754 totalOrder as an unsigned key: negatives reversed below positives.
std::uint64_t total_order_key(double d) {
  auto bits = std::bit_cast<std::uint64_t>(d);
  return (bits >> 63) ? ~bits : bits | (std::uint64_t{1} << 63);
}

template <class T>
int three_way(const T& a, const T& b) {
  return a < b ? -1 : (b < a ? 1 : 0);
}

} // namespace

bool fits(type t, const value_view& v) {
  return v.index() == 0 || v.index() == alternative(t);
}

std::string to_bytes(type t, const value_view& v) {
  if (v.index() == 0 || !fits(t, v))
    return {};
  switch (t) {
    case type::boolean: return std::string(1, std::get<bool>(v) ? '\x01' : '\x00');
    case type::int32:
    case type::date: return le_bytes(std::get<std::int32_t>(v));
    case type::int64:
    case type::timestamptz: return le_bytes(std::get<std::int64_t>(v));
    case type::float64: return le_bytes(std::get<double>(v));
    case type::string: return std::string{std::get<std::string_view>(v)};
    case type::other: return {};
  }
  return {};
}

expected<datum> from_bytes(type t, std::string_view b) {
  auto wrong = [&](std::size_t want) {
    return error{std::string{"iceberg: a "} + type_name(t) + " bound of " + std::to_string(b.size())
                 + " bytes, expected " + std::to_string(want)};
  };
  switch (t) {
    case type::boolean:
      if (b.size() != 1)
        return wrong(1);
      return datum{b[0] != 0};
    case type::int32:
    case type::date:
      if (b.size() != 4)
        return wrong(4);
      return datum{from_le<std::int32_t>(b)};
    case type::int64:
    case type::timestamptz:
      if (b.size() != 8)
        return wrong(8);
      return datum{from_le<std::int64_t>(b)};
    case type::float64:
      if (b.size() != 8)
        return wrong(8);
      return datum{from_le<double>(b)};
    case type::string: return datum{std::string{b}};
    case type::other: break;
  }
  return error{"iceberg: cannot decode a bound of a type weir does not handle"};
}

int compare(type t, const value_view& a, const value_view& b) {
  switch (t) {
    case type::boolean: return three_way(std::get<bool>(a), std::get<bool>(b));
    case type::int32:
    case type::date: return three_way(std::get<std::int32_t>(a), std::get<std::int32_t>(b));
    case type::int64:
    case type::timestamptz: return three_way(std::get<std::int64_t>(a), std::get<std::int64_t>(b));
    case type::float64:
      return three_way(total_order_key(std::get<double>(a)), total_order_key(std::get<double>(b)));
    case type::string: {
      // string_view compares like memcmp: unsigned bytes, which for UTF-8 is
      // code point order, as Iceberg orders strings.
      auto c = std::get<std::string_view>(a).compare(std::get<std::string_view>(b));
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case type::other: return 0;
  }
  return 0;
}

std::string_view utf8_prefix(std::string_view s, std::size_t n) {
  std::size_t points = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (points == n)
        return s.substr(0, i);
      ++points;
    }
  }
  return s;
}

// Howard Hinnant's civil-from-days and days-from-civil algorithms, written
// out from their description (eras of 400 years starting on March 1).
civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;                                      // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                    // [0, 11]
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = m > 2 ? m - 3 : m + 9;
  const std::int64_t doy = (153 * mp + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::string date_text(std::int32_t days) {
  auto c = civil_from_days(days);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02d", static_cast<long long>(c.year), c.month,
                c.day);
  return buf;
}

expected<std::int32_t> parse_date(std::string_view text) {
  int y = 0, m = 0, d = 0;
  char tail = 0;
  const std::string s{text};
  if (std::sscanf(s.c_str(), "%d-%d-%d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1
      || d > 31)
    return error{"iceberg: '" + s + "' is not a date (YYYY-MM-DD)"};
  const auto days = days_from_civil(y, m, d);
  const auto back = civil_from_days(days);
  if (back.month != m || back.day != d) // February 30th and the like
    return error{"iceberg: '" + s + "' is not a date of the calendar"};
  return static_cast<std::int32_t>(days);
}

std::string timestamptz_text(std::int64_t micros) {
  const std::int64_t day_us = 86'400'000'000;
  const auto days = floor_div(micros, day_us);
  auto rest = micros - days * day_us;
  auto c = civil_from_days(days);
  const auto us = rest % 1'000'000;
  rest /= 1'000'000;
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02lld:%02lld:%02lld.%06lld+00:00",
                static_cast<long long>(c.year), c.month, c.day, static_cast<long long>(rest / 3600),
                static_cast<long long>(rest / 60 % 60), static_cast<long long>(rest % 60),
                static_cast<long long>(us));
  return buf;
}

} // namespace weir::iceberg
