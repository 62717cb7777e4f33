// What the results sinks' integration tests write: the window operator's
// real output over one partition's input, key "a" every 100 ms from t = 0,
// except that event 15 comes late (t = 50) and, within the allowed
// lateness, re-emits window [0, 1 s) with 11 (window [1 s, 2 s) has 9).
// Two folds of different lengths are two writers of one partition, one
// further along than the other.
#pragma once

#include "jobs/pipeline.hpp"
#include "jobs/spec.hpp"
#include "jobs/windowed/window_operator.hpp"

#include <memory>
#include <string_view>

namespace weir::test_support {

struct folded {
  jobs::partition_rows rows;
  jobs::partition_progress progress;
};

// The partition after the first `events` of that input.
inline folded fold(const jobs::job_spec& spec, int events, std::int32_t partition = 0) {
  jobs::window_operator op{spec};
  jobs::partition_state st;
  folded f;
  double value = 0;
  bool present = false;
  std::string_view text;
  for (int i = 0; i < events; ++i) {
    jobs::event_view ev{i == 15 ? 50 : i * 100, "a", &value, &present, &text, nullptr, {}};
    op.add(st, ev, f.rows.rows);
  }
  f.progress.partition = f.rows.partition = partition;
  f.progress.next_offset = events;
  f.progress.watermark = st.watermark(op.out_of_orderness());
  f.progress.events = static_cast<std::uint64_t>(events);
  return f;
}

// The same as one batch a source sends its sink.
inline jobs::sink_batch fold_batch(const jobs::job_spec& spec, int events) {
  auto f = fold(spec, events);
  jobs::sink_batch b;
  b.progress.push_back(f.progress);
  b.outputs.push_back(std::make_shared<jobs::partition_rows>(std::move(f.rows)));
  return b;
}

} // namespace weir::test_support
