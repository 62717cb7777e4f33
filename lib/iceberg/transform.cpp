#include "lib/iceberg/transform.hpp"

#include <bit>
#include <charconv>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace weir::iceberg {

namespace {

std::uint32_t rotl(std::uint32_t x, int r) {
  return (x << r) | (x >> (32 - r));
}

constexpr std::int64_t micros_per_hour = 3'600'000'000;
constexpr std::int64_t micros_per_day = 86'400'000'000;

// Years and months since 1970 of a day count.
std::int32_t years_of(std::int64_t days) {
  return static_cast<std::int32_t>(civil_from_days(days).year - 1970);
}
std::int32_t months_of(std::int64_t days) {
  auto c = civil_from_days(days);
  return static_cast<std::int32_t>((c.year - 1970) * 12 + (c.month - 1));
}

std::int64_t as_long(const value_view& v) {
  return v.index() == 2 ? std::get<std::int32_t>(v) : std::get<std::int64_t>(v);
}

} // namespace

std::int32_t murmur3_32(std::string_view data) {
  constexpr std::uint32_t c1 = 0xcc9e2d51, c2 = 0x1b873593;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const std::size_t n = data.size();
  std::uint32_t h = 0; // seed
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    std::uint32_t k = std::uint32_t{p[i]} | std::uint32_t{p[i + 1]} << 8
                      | std::uint32_t{p[i + 2]} << 16 | std::uint32_t{p[i + 3]} << 24;
    k *= c1;
    k = rotl(k, 15);
    k *= c2;
    h ^= k;
    h = rotl(h, 13);
    h = h * 5 + 0xe6546b64;
  }
  std::uint32_t k = 0;
  switch (n & 3) {
    case 3: k ^= std::uint32_t{p[i + 2]} << 16; [[fallthrough]];
    case 2: k ^= std::uint32_t{p[i + 1]} << 8; [[fallthrough]];
    case 1:
      k ^= p[i];
      k *= c1;
      k = rotl(k, 15);
      k *= c2;
      h ^= k;
  }
  h ^= static_cast<std::uint32_t>(n);
  h ^= h >> 16;
  h *= 0x85ebca6b;
  h ^= h >> 13;
  h *= 0xc2b2ae35;
  h ^= h >> 16;
  return static_cast<std::int32_t>(h);
}

std::int32_t bucket_hash(type t, const value_view& v) {
  if (v.index() == 0)
    return 0;
  switch (t) {
    case type::int32:
    case type::date:
    case type::int64:
    case type::timestamptz: {
      // Appendix B: ints and dates hash like the long of the same value, so
      // promoting int to long keeps every bucket.
      const std::int64_t l = as_long(v);
      return murmur3_32(std::string_view{reinterpret_cast<const char*>(&l), 8});
    }
    case type::string: return murmur3_32(std::get<std::string_view>(v));
    default: return 0; // not bucketable (result_type refuses)
  }
}

transform transform::parse(std::string_view s) {
  transform t;
  t.text = std::string{s};
  auto with_param = [&](std::string_view name, kind k) {
    if (!s.starts_with(name) || s.size() < name.size() + 3 || s[name.size()] != '['
        || s.back() != ']')
      return false;
    auto digits = s.substr(name.size() + 1, s.size() - name.size() - 2);
    std::int32_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec != std::errc{} || end != digits.data() + digits.size() || n <= 0)
      return false;
    t.k = k;
    t.param = n;
    return true;
  };
  if (s == "identity")
    t.k = kind::identity;
  else if (s == "year")
    t.k = kind::year;
  else if (s == "month")
    t.k = kind::month;
  else if (s == "day")
    t.k = kind::day;
  else if (s == "hour")
    t.k = kind::hour;
  else if (s == "void")
    t.k = kind::void_;
  else if (!with_param("bucket", kind::bucket) && !with_param("truncate", kind::truncate))
    t.k = kind::unknown;
  if (t.k != kind::unknown)
    t.text.clear();
  return t;
}

std::string transform::to_string() const {
  switch (k) {
    case kind::identity: return "identity";
    case kind::bucket: return "bucket[" + std::to_string(param) + "]";
    case kind::truncate: return "truncate[" + std::to_string(param) + "]";
    case kind::year: return "year";
    case kind::month: return "month";
    case kind::day: return "day";
    case kind::hour: return "hour";
    case kind::void_: return "void";
    case kind::unknown: return text;
  }
  return text;
}

expected<type> transform::result_type(type source) const {
  auto refuse = [&] {
    return error{"iceberg: transform " + to_string() + " does not apply to " + type_name(source)};
  };
  if (source == type::other && k != kind::void_)
    return refuse();
  switch (k) {
    case kind::identity: return source;
    case kind::void_: return source;
    case kind::bucket:
      if (source == type::boolean || source == type::float64)
        return refuse();
      return type::int32;
    case kind::truncate:
      if (source != type::int32 && source != type::int64 && source != type::string)
        return refuse();
      return source;
    case kind::year:
    case kind::month:
    case kind::day:
      if (source != type::date && source != type::timestamptz)
        return refuse();
      return k == kind::day ? type::date : type::int32;
    case kind::hour:
      if (source != type::timestamptz)
        return refuse();
      return type::int32;
    case kind::unknown: break;
  }
  return error{"iceberg: unknown transform '" + text + "'"};
}

datum transform::apply(type source, const value_view& v) const {
  if (v.index() == 0 || k == kind::void_ || k == kind::unknown)
    return std::monostate{};
  switch (k) {
    case kind::identity: return own(v);
    case kind::bucket:
      return static_cast<std::int32_t>(
        (bucket_hash(source, v) & std::numeric_limits<std::int32_t>::max()) % param);
    case kind::truncate:
      if (source == type::string)
        return std::string{
          utf8_prefix(std::get<std::string_view>(v), static_cast<std::size_t>(param))};
      if (source == type::int32) {
        // v - (((v % W) + W) % W): the remainder counted positive.
        const std::int64_t x = std::get<std::int32_t>(v);
        return static_cast<std::int32_t>(x - (((x % param) + param) % param));
      } else {
        const std::int64_t x = std::get<std::int64_t>(v);
        return x - (((x % param) + param) % param);
      }
    case kind::year:
    case kind::month:
    case kind::day: {
      const std::int64_t days = source == type::date
                                  ? std::get<std::int32_t>(v)
                                  : floor_div(std::get<std::int64_t>(v), micros_per_day);
      if (k == kind::day)
        return static_cast<std::int32_t>(days);
      return k == kind::year ? years_of(days) : months_of(days);
    }
    case kind::hour:
      return static_cast<std::int32_t>(floor_div(std::get<std::int64_t>(v), micros_per_hour));
    default: break;
  }
  return std::monostate{};
}

std::string transform::human(type source, const datum& r) const {
  if (r.index() == 0)
    return "null";
  char buf[64];
  switch (k) {
    case kind::year:
      std::snprintf(buf, sizeof buf, "%04d", 1970 + std::get<std::int32_t>(r));
      return buf;
    case kind::month: {
      const std::int32_t m = std::get<std::int32_t>(r);
      const std::int64_t years = floor_div(m, 12);
      std::snprintf(buf, sizeof buf, "%04lld-%02lld", static_cast<long long>(1970 + years),
                    static_cast<long long>(m - years * 12 + 1));
      return buf;
    }
    case kind::day: return date_text(std::get<std::int32_t>(r));
    case kind::hour: {
      const std::int64_t h = std::get<std::int32_t>(r);
      const std::int64_t days = floor_div(h, 24);
      return date_text(static_cast<std::int32_t>(days)) + "-" + (h - days * 24 < 10 ? "0" : "")
             + std::to_string(h - days * 24);
    }
    case kind::bucket: return std::to_string(std::get<std::int32_t>(r));
    default: break;
  }
  // identity and truncate show the source type's value.
  switch (source) {
    case type::boolean: return std::get<bool>(r) ? "true" : "false";
    case type::int32: return std::to_string(std::get<std::int32_t>(r));
    case type::int64: return std::to_string(std::get<std::int64_t>(r));
    case type::date: return date_text(std::get<std::int32_t>(r));
    case type::timestamptz: return timestamptz_text(std::get<std::int64_t>(r));
    case type::string: return std::get<std::string>(r);
    case type::float64: {
      std::snprintf(buf, sizeof buf, "%.17g", std::get<double>(r));
      return buf;
    }
    case type::other: break;
  }
  return "null";
}

} // namespace weir::iceberg
