// The JSON event reader on arbitrary payloads, with a spec that wants every
// role: event time, a composite key with a nested part, aggregate inputs,
// filters, (in a second reader) typed key parts, and (in a third) raw columns.
#include "jobs/event_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

using namespace weir::jobs;

job_spec windowed() {
  job_spec s;
  s.source.time_field = "ts";
  s.source.time_fmt = time_format::iso8601;
  s.source.partitioned_by = "user";
  s.key = {"user", "device.os"};
  s.aggregations = {{agg_kind::sum, "amount", "total"}, {agg_kind::count_distinct, "a.b.c", "d"}};
  s.filters = {{"status", filter_op::in, {"won", "lost"}, 0}, {"amount", filter_op::gt, {}, 1}};
  return s;
}

// An integer and a string key part: an integer's text is canonical decimal.
// The sum reads its field as decimal(12, 2).
job_spec typed() {
  auto s = windowed();
  s.source.partitioned_by.clear();
  s.key = {{"user", "user", key_type::integer}, {"os", "device.os", key_type::string}};
  s.aggregations[0].decimal = {12, 2};
  return s;
}

job_spec raw() {
  job_spec s;
  s.columns = {{"id", "id", column_type::string, false},
               {"device", "device", column_type::string, true},
               {"os", "device.os", column_type::string, true},
               {"n", "n", column_type::int64, true}};
  return s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static event_reader w{windowed()};
  static event_reader t{typed()};
  static event_reader r{raw()};
  std::string_view payload{reinterpret_cast<const char*>(data), size};
  event_view ev;
  if (w.read(payload, ev) == read_status::ok) {
    // A key of two parts holds the separator exactly once (parts holding it are
    // refused: they would collide); the views stay readable.
    if (std::count(ev.key.begin(), ev.key.end(), key_separator) != 1)
      std::abort();
    volatile char sink = 0;
    for (char c : ev.partition_key)
      sink ^= c;
    for (int i = 0; i < 2; ++i)
      if (ev.texts[i].data())
        for (char c : ev.texts[i])
          sink ^= c;
  }
  if (t.read(payload, ev) == read_status::ok) {
    const auto user = ev.key.substr(0, ev.key.find(key_separator));
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(user.data(), user.data() + user.size(), n);
    if (ec != std::errc{} || end != user.data() + user.size() || (user.size() > 1 && user[0] == '0')
        || user == "-0")
      std::abort();
    // A decimal is within the precision and within half a unit (plus the
    // double's own error) of what from_chars reads.
    if (ev.present[0]) {
      const double units = static_cast<double>(ev.units[0]), want = ev.values[0] * 100;
      if (std::abs(ev.units[0]) >= 1'000'000'000'000
          || std::abs(units - want) > 0.5 + 1e-9 * std::abs(want))
        std::abort();
    }
  }
  if (r.read(payload, ev, 1) == read_status::ok) {
    volatile char sink = 0;
    for (int i = 0; i < 4; ++i)
      for (char c : ev.columns[i].text)
        sink ^= c;
  }
  return 0;
}
