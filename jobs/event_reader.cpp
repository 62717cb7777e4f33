#include "jobs/event_reader.hpp"

#include "base/duration.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace weir::jobs {

namespace sj = simdjson::ondemand;

const char* to_string(read_status s) {
  switch (s) {
    case read_status::ok: return "ok";
    case read_status::filtered: return "filtered out";
    case read_status::malformed_json: return "malformed JSON";
    case read_status::missing_time: return "event-time field missing";
    case read_status::bad_time: return "event-time field unreadable";
    case read_status::missing_key: return "key field missing";
    case read_status::bad_key: return "key field holds a NUL or 0x1F byte";
    case read_status::key_not_string: return "key field is not a string (the spec's key type)";
    case read_status::key_not_integer: return "key field is not an integer (the spec's key type)";
    case read_status::bad_decimal:
      return "aggregate field's number does not fit its decimal(p, s) type";
  }
  return "?";
}

event_reader::event_reader(const job_spec& spec)
  : filters_(spec.filters), time_fmt_(spec.source.time_fmt),
    processing_time_(spec.source.mode == time_mode::processing || spec.source.time_field.empty()) {
  if (!processing_time_)
    want(spec.source.time_field, role::time, 0);
  for (std::uint32_t i = 0; i < spec.key.size(); ++i) {
    want(spec.key[i].field, role::key, i);
    key_types_.push_back(spec.key[i].type);
    if (spec.key[i].field == spec.source.partitioned_by)
      partition_key_part_ = static_cast<int>(i);
  }
  for (std::uint32_t i = 0; i < spec.aggregations.size(); ++i) {
    if (!spec.aggregations[i].field.empty())
      want(spec.aggregations[i].field, role::value, i);
    const auto d = spec.aggregations[i].decimal;
    decimals_.push_back({d.scale, d ? power_of_ten(d.precision) : 0});
  }
  for (std::uint32_t i = 0; i < filters_.size(); ++i)
    want(filters_[i].field, role::filter, i);
  for (std::uint32_t i = 0; i < spec.columns.size(); ++i)
    want(spec.columns[i].field, role::column, i);
  columns_.resize(spec.columns.size());
  key_parts_.resize(spec.key.size());
  key_ints_.resize(spec.key.size());
  values_.resize(spec.aggregations.size());
  units_.resize(spec.aggregations.size());
  present_.resize(spec.aggregations.size());
  texts_.resize(spec.aggregations.size());
  filter_seen_.resize(filters_.size());
  padded_.resize(4096 + simdjson::SIMDJSON_PADDING);
}

void event_reader::want(const std::string& path, role what, std::uint32_t index) {
  std::vector<field>* level = &fields_;
  field* node = nullptr;
  for (size_t start = 0;;) {
    auto dot = path.find('.', start);
    auto name = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    auto it =
      std::find_if(level->begin(), level->end(), [&](const field& f) { return f.name == name; });
    if (it == level->end())
      it = level->insert(level->end(), field{name, {}, {}});
    node = &*it;
    if (dot == std::string::npos)
      break;
    level = &node->children;
    start = dot + 1;
  }
  node->uses.push_back({what, index});
  node->wants_number = node->wants_number || what != role::key;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty()
         && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace

read_status event_reader::read(std::string_view payload, event_view& out, millis now) {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; Kafka payloads carry
  // no such slack, so copy into a reused padded buffer.
  if (padded_.size() < payload.size() + simdjson::SIMDJSON_PADDING)
    padded_.resize(payload.size() * 2 + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded_.data(), payload.data(), payload.size());
  sj::document doc;
  if (parser_.iterate(padded_.data(), payload.size(), padded_.size()).get(doc))
    return read_status::malformed_json;
  std::fill(key_parts_.begin(), key_parts_.end(), std::string_view{});
  std::fill(texts_.begin(), texts_.end(), std::string_view{});
  // A handful of bytes: plain loops, a memset call costs more than it clears.
  for (auto& p : present_)
    p = 0;
  for (auto& f : filter_seen_)
    f = 0;
  for (auto& c : columns_)
    c = field_value{};
  have_time_ = processing_time_;
  time_ = now;
  time_bad_ = false;
  rejected_ = false;
  key_status_ = read_status::ok;
  value_status_ = read_status::ok;
  sj::object obj;
  if (doc.get_object().get(obj))
    return read_status::malformed_json;
  if (auto st = read_fields(obj, fields_); st != read_status::ok)
    return st;
  // An event the job's `where` refuses is not the job's, whatever else it
  // lacks (seed 003's friendships have no community_id): filtered, not
  // dead-lettered. A condition on an absent field does not hold.
  if (rejected_ || std::find(filter_seen_.begin(), filter_seen_.end(), 0) != filter_seen_.end())
    return read_status::filtered;
  if (time_bad_)
    return read_status::bad_time;
  if (!have_time_)
    return read_status::missing_time;
  if (key_status_ != read_status::ok)
    return key_status_;
  if (value_status_ != read_status::ok)
    return value_status_;
  key_buf_.clear();
  for (size_t i = 0; i < key_parts_.size(); ++i) {
    if (key_parts_[i].data() == nullptr)
      return read_status::missing_key;
    // 0x1F joins a composite key's parts: inside a part it would make two
    // keys one. PostgreSQL text refuses NUL: the row could never be written.
    for (char ch : key_parts_[i])
      if (ch == key_separator || ch == '\0')
        return read_status::bad_key;
    if (i > 0)
      key_buf_ += key_separator;
    key_buf_.append(key_parts_[i]);
  }
  out.time = time_;
  out.key = key_buf_;
  out.partition_key =
    partition_key_part_ < 0 ? std::string_view{} : key_parts_[partition_key_part_];
  out.values = values_.data();
  out.present = reinterpret_cast<const bool*>(present_.data());
  out.units = units_.data();
  out.texts = texts_.data();
  out.columns = columns_.data();
  return read_status::ok;
}

read_status event_reader::read_fields(sj::object obj, const std::vector<field>& wanted) {
  for (auto field_result : obj) {
    sj::field f;
    if (std::move(field_result).get(f))
      return read_status::malformed_json;
    // Compare the raw key in the input with each wanted name instead of
    // unescaping it: field names are plain identifiers, and this skips a copy
    // per field. The input is padded, so reading name.size() + 1 bytes is safe.
    const char* raw = f.key().raw();
    auto it = std::find_if(wanted.begin(), wanted.end(), [&](const field& w) {
      return raw[0] == w.name[0] && raw[w.name.size()] == '"'
             && std::memcmp(raw, w.name.data(), w.name.size()) == 0;
    });
    if (it == wanted.end())
      continue;
    sj::value v = f.value();
    value val;
    if (v.type().get(val.type))
      return read_status::malformed_json;
    switch (val.type) {
      case sj::json_type::string: {
        // Most strings carry no escapes: take them straight from the input.
        std::string_view token = trim(v.raw_json_token());
        if (token.size() >= 2 && token.find('\\') == std::string_view::npos) {
          val.text = token.substr(1, token.size() - 2);
        } else {
          if (v.get_string().get(val.text))
            return read_status::malformed_json;
          if (val.text.data() == nullptr)
            val.text = std::string_view{"", 0};
        }
        // A number sent as a string ("2.5") still counts as one: sums, numeric
        // conditions and int64/double columns take it (the SQL casts). Key
        // parts only need the text, so theirs are not parsed.
        if (it->wants_number) {
          const char* end = val.text.data() + val.text.size();
          auto [stop, ec] = std::from_chars(val.text.data(), end, val.number);
          // from_chars reads "nan" and "inf"; JSON has neither, and no store
          // can hold them: such text is not a number.
          val.is_number =
            !val.text.empty() && ec == std::errc{} && stop == end && std::isfinite(val.number);
        }
        break;
      }
      case sj::json_type::number:
        val.text = trim(v.raw_json_token());
        val.is_number = !v.get_double().get(val.number);
        break;
      case sj::json_type::boolean: val.text = trim(v.raw_json_token()); break;
      case sj::json_type::object: {
        sj::object o;
        if (v.get_object().get(o))
          return read_status::malformed_json;
        if (!it->uses.empty() && o.raw_json().get(val.text)) // kept whole, as JSON text
          return read_status::malformed_json;
        if (!it->children.empty()) {
          if (!it->uses.empty() && o.reset().error())
            return read_status::malformed_json;
          if (auto st = read_fields(o, it->children); st != read_status::ok)
            return st;
        }
        break;
      }
      case sj::json_type::array: {
        sj::array a;
        if (!v.get_array().get(a) && a.raw_json().get(val.text))
          return read_status::malformed_json;
        break;
      }
      default: // null: as if absent
        break;
    }
    for (const auto& u : it->uses)
      apply(u, val);
  }
  return read_status::ok;
}

void event_reader::apply(const use& u, const value& v) {
  switch (u.what) {
    case role::time:
      if (v.is_number) {
        double ms = std::floor(time_fmt_ == time_format::epoch_s ? v.number * 1000 : v.number);
        if (ms >= static_cast<double>(min_event_time)
            && ms <= static_cast<double>(max_event_time)) {
          time_ = static_cast<millis>(ms);
          have_time_ = true;
        } else { // NaN too
          time_bad_ = true;
        }
      } else if (v.type == sj::json_type::string) {
        if (auto t = parse_iso8601(v.text)) {
          time_ = *t;
          have_time_ = true;
        } else {
          time_bad_ = true;
        }
      } else {
        time_bad_ = true;
      }
      break;
    case role::key:
      if (v.text.data() == nullptr) // absent, or null
        break;
      switch (key_types_[u.index]) {
        case key_type::any: key_parts_[u.index] = v.text; break;
        case key_type::string:
          if (v.type == sj::json_type::string)
            key_parts_[u.index] = v.text;
          else
            key_status_ = read_status::key_not_string;
          break;
        case key_type::integer: {
          // Most integers are plain digits, canonical already (JSON has no
          // leading zeros): taken as they are. 18 digits fit any int64.
          // simdjson types `07` a number without validating it: a number
          // that does not parse (is_number false) is no integer.
          const auto t = v.text;
          const std::size_t sign = !t.empty() && t[0] == '-';
          if (v.type == sj::json_type::number && v.is_number && t.size() > sign
              && t.size() - sign <= 18 && (t.size() - sign == 1 || t[sign] != '0')
              && std::all_of(t.begin() + sign, t.end(), [](char c) { return c >= '0' && c <= '9'; })
              && t != "-0") {
            key_parts_[u.index] = t;
            break;
          }
          auto& buf = key_ints_[u.index];
          if (auto n = integral(v)) {
            auto end = std::to_chars(buf.data(), buf.data() + buf.size(), *n).ptr;
            key_parts_[u.index] = {buf.data(), static_cast<size_t>(end - buf.data())};
          } else {
            key_status_ = read_status::key_not_integer;
          }
          break;
        }
      }
      break;
    case role::value:
      if (v.is_number) {
        values_[u.index] = v.number;
        present_[u.index] = 1;
        if (const auto d = decimals_[u.index]; d.limit > 0) {
          auto units = decimal_units(v.text, d.scale, true);
          if (units && *units<d.limit&& * units> - d.limit)
            units_[u.index] = *units;
          else
            value_status_ = read_status::bad_decimal;
        }
      }
      if (v.text.data() != nullptr)
        texts_[u.index] = v.text;
      break;
    case role::filter:
      filter_seen_[u.index] = 1;
      if (!filter_holds(filters_[u.index], v))
        rejected_ = true;
      break;
    case role::column:
      if (v.text.data() != nullptr)
        columns_[u.index] = {true, v.is_number, v.number, v.text};
      break;
  }
}

// A JSON number that is a whole int64, read from its text exactly (17,
// -3, 17.0, 1.7e1), else nothing: "17" is a string, 17.5 a fraction, 1e19
// and 9007199254740993.5 are not int64s (a double would round them).
std::optional<std::int64_t> event_reader::integral(const value& v) {
  if (v.type != sj::json_type::number || !v.is_number)
    return std::nullopt;
  return decimal_units(v.text, 0, false);
}

std::int64_t power_of_ten(int n) {
  std::int64_t p = 1;
  while (n-- > 0)
    p *= 10;
  return p;
}

std::optional<std::int64_t> decimal_units(std::string_view t, int scale, bool round) {
  const bool negative = !t.empty() && t[0] == '-';
  if (negative)
    t.remove_prefix(1);
  // The significant digits, with the decimal point `point` digits from the
  // left (negative: zeros between); simdjson or from_chars has checked the
  // grammar: int [frac] [exp].
  char digits[40];
  std::size_t n = 0;
  long long point = 0, exponent = 0;
  bool fraction = false; // past the decimal point
  std::size_t i = 0;
  for (; i < t.size() && t[i] != 'e' && t[i] != 'E'; ++i) {
    if (t[i] == '.') {
      fraction = true;
      continue;
    }
    if (n == 0 && t[i] == '0') { // leading zeros: of the integer part, or of a fraction
      point -= fraction;
      continue;
    }
    if (n == sizeof digits)
      return std::nullopt; // more significant digits than any int64 has
    digits[n++] = t[i];
    point += !fraction;
  }
  if (i < t.size()) {
    auto [stop, ec] = std::from_chars(t.data() + i + 1 + (i + 1 < t.size() && t[i + 1] == '+'),
                                      t.data() + t.size(), exponent);
    if (ec != std::errc{} || stop != t.data() + t.size())
      return std::nullopt; // an exponent beyond long long: not an int64 unless all zeros
  }
  // 0e999 is 0; 1e-99 rounds to 0 (a scale is at most 18); else out of range.
  if (exponent > 40 || exponent < -40)
    return n == 0 || (round && exponent < 0) ? std::optional<std::int64_t>{0} : std::nullopt;
  point += exponent + scale;
  // Zeros right of the point go; anything else there is a fraction.
  while (n > 0 && digits[n - 1] == '0' && static_cast<long long>(n) > point)
    --n;
  if (n == 0)
    return std::int64_t{0};
  bool up = false; // the fraction is at least half a unit
  if (point < static_cast<long long>(n)) {
    if (!round)
      return std::nullopt;
    up = point >= 0 && digits[point] >= '5';
    n = static_cast<std::size_t>(std::max(point, 0LL));
  }
  if (point > 19)
    return std::nullopt;
  uint128 magnitude = 0;
  for (long long d = 0; d < point; ++d)
    magnitude = magnitude * 10 + (d < static_cast<long long>(n) ? digits[d] - '0' : 0);
  magnitude += up;
  const uint128 limit = static_cast<uint128>(1) << 63;
  if (magnitude > (negative ? limit : limit - 1))
    return std::nullopt;
  return negative ? static_cast<std::int64_t>(-static_cast<int128>(magnitude))
                  : static_cast<std::int64_t>(magnitude);
}

bool event_reader::filter_holds(const filter_spec& f, const value& v) const {
  auto matches_any = [&] {
    return v.text.data() != nullptr
           && std::find(f.values.begin(), f.values.end(), v.text) != f.values.end();
  };
  switch (f.op) {
    case filter_op::eq:
    case filter_op::in: return matches_any();
    case filter_op::ne:
    case filter_op::not_in: return !matches_any();
    case filter_op::gt: return v.is_number && v.number > f.number;
    case filter_op::ge: return v.is_number && v.number >= f.number;
    case filter_op::lt: return v.is_number && v.number < f.number;
    case filter_op::le: return v.is_number && v.number <= f.number;
  }
  return false;
}

} // namespace weir::jobs
