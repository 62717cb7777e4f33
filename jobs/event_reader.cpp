#include "jobs/event_reader.hpp"

#include "jobs/duration.hpp"

#include <cmath>
#include <cstring>

namespace weir::jobs {

namespace sj = simdjson::ondemand;

const char* to_string(read_status s) {
  switch (s) {
    case read_status::ok: return "ok";
    case read_status::malformed_json: return "malformed JSON";
    case read_status::missing_time: return "event-time field missing";
    case read_status::bad_time: return "event-time field unreadable";
    case read_status::missing_key: return "key field missing";
  }
  return "?";
}

event_reader::event_reader(const job_spec& spec) : time_fmt_(spec.source.time_fmt) {
  wanted_.push_back({spec.source.time_field, role::time, 0});
  for (std::uint32_t i = 0; i < spec.key.size(); ++i)
    wanted_.push_back({spec.key[i], role::key, i});
  for (std::uint32_t i = 0; i < spec.aggregations.size(); ++i)
    if (!spec.aggregations[i].field.empty())
      wanted_.push_back({spec.aggregations[i].field, role::value, i});
  key_parts_.resize(spec.key.size());
  values_.resize(spec.aggregations.size());
  present_.resize(spec.aggregations.size());
  padded_.resize(4096 + simdjson::SIMDJSON_PADDING);
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r'
                        || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

} // namespace

read_status event_reader::read(std::string_view payload, event_view& out) {
  // simdjson reads up to SIMDJSON_PADDING bytes past the end; Kafka payloads carry
  // no such slack, so copy into a reused padded buffer.
  if (padded_.size() < payload.size() + simdjson::SIMDJSON_PADDING)
    padded_.resize(payload.size() * 2 + simdjson::SIMDJSON_PADDING);
  std::memcpy(padded_.data(), payload.data(), payload.size());
  sj::document doc;
  if (parser_.iterate(padded_.data(), payload.size(), padded_.size()).get(doc))
    return read_status::malformed_json;
  for (auto& p : key_parts_)
    p = {};
  std::memset(present_.data(), 0, present_.size());
  have_time_ = false;
  time_bad_ = false;
  if (auto st = read_fields(doc); st != read_status::ok)
    return st;
  if (time_bad_)
    return read_status::bad_time;
  if (!have_time_)
    return read_status::missing_time;
  key_buf_.clear();
  for (size_t i = 0; i < key_parts_.size(); ++i) {
    if (key_parts_[i].data() == nullptr)
      return read_status::missing_key;
    if (i > 0)
      key_buf_ += key_separator;
    key_buf_.append(key_parts_[i]);
  }
  out.time = time_;
  out.key = key_buf_;
  out.values = values_.data();
  out.present = reinterpret_cast<const bool*>(present_.data());
  return read_status::ok;
}

read_status event_reader::read_fields(sj::document& doc) {
  sj::object obj;
  if (doc.get_object().get(obj))
    return read_status::malformed_json;
  for (auto field_result : obj) {
    sj::field field;
    if (std::move(field_result).get(field))
      return read_status::malformed_json;
    std::string_view name;
    if (field.unescaped_key().get(name))
      return read_status::malformed_json;
    for (const auto& w : wanted_) {
      if (w.name != name)
        continue;
      sj::value v = field.value();
      sj::json_type type;
      if (v.type().get(type))
        return read_status::malformed_json;
      switch (w.what) {
        case role::time:
          if (type == sj::json_type::number) {
            double d;
            if (v.get_double().get(d)) {
              time_bad_ = true;
              break;
            }
            time_ = time_fmt_ == time_format::epoch_s ? static_cast<millis>(std::floor(d * 1000))
                                                      : static_cast<millis>(std::floor(d));
            have_time_ = true;
          } else if (type == sj::json_type::string) {
            std::string_view s;
            if (v.get_string().get(s)) {
              time_bad_ = true;
              break;
            }
            if (auto t = parse_iso8601(s)) {
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
          if (type == sj::json_type::string) {
            std::string_view s;
            if (v.get_string().get(s))
              return read_status::malformed_json;
            key_parts_[w.index] = s.data() ? s : std::string_view{"", 0};
          } else if (type == sj::json_type::number || type == sj::json_type::boolean) {
            key_parts_[w.index] = trim(v.raw_json_token());
          }
          break;
        case role::value:
          if (type == sj::json_type::number) {
            double d;
            if (!v.get_double().get(d)) {
              values_[w.index] = d;
              present_[w.index] = 1;
            }
          }
          break;
      }
      // A field read once is consumed; a second role on the same field would
      // need the value again, which on-demand parsing does not allow.
      break;
    }
  }
  return read_status::ok;
}

} // namespace weir::jobs
