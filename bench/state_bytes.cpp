// Bytes of window state per live key: folds N events of N distinct keys into
// one window of one partition's state, the way the source does, and divides
// the heap growth (glibc's mallinfo2: bytes in use) by N. Checks that every
// key is held once. Prints one JSON line per spec.
#include "jobs/windowed/pipeline.hpp"

#include <malloc.h>

#include <cstdio>
#include <cstdlib>
#include <string>

using namespace weir;
using namespace weir::jobs;

namespace {

std::size_t heap_in_use() {
  return mallinfo2().uordblks;
}

job_spec per_user(bool by_action) {
  job_spec s;
  s.name = by_action ? "user-action-aggregations" : "user-aggregations-realtime";
  s.key =
    by_action ? std::vector<key_spec>{"user_id", "action_type"} : std::vector<key_spec>{"user_id"};
  s.window.size = by_action ? 7'200'000 : 300'000;
  s.window.slide = s.window.size;
  s.aggregations = {{agg_kind::count, "", "actions"}};
  if (!by_action)
    s.aggregations.push_back({agg_kind::count_distinct, "action_type", "distinct_actions"});
  return s;
}

int measure(bool by_action, std::size_t n) {
  const auto spec = per_user(by_action);
  windowed_pipeline pl{spec};
  auto part = pl.fresh(0);
  std::string key, action = "action_042";
  double values[2] = {};
  bool present[2] = {true, true};
  std::string_view texts[2] = {{}, action};
  event_view ev;
  ev.values = values;
  ev.present = present;
  ev.texts = texts;
  const auto before = heap_in_use();
  for (std::size_t i = 0; i < n; ++i) {
    key = std::to_string(10'000'000 + i * 7); // user ids as the generator writes them
    if (by_action)
      key += std::string{key_separator} + action;
    ev.key = key;
    ev.time = static_cast<millis>(i % 1000); // every event in the first window
    pl.fold(*part, ev, static_cast<offset_t>(i), true);
  }
  const auto after = heap_in_use();
  const auto keys = pl.live_keys(*part);
  if (keys != n) {
    std::fprintf(stderr, "expected %zu live keys, found %zu\n", n, keys);
    return 1;
  }
  std::printf("{\"job\":\"%s\",\"keys\":%zu,\"bytes_per_key\":%.1f}\n", spec.name.c_str(), keys,
              static_cast<double>(after - before) / static_cast<double>(keys));
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 1'000'000;
  return measure(false, n) | measure(true, n);
}
