// What the results sinks' integration tests write: the window operator's
// real output over one partition's input, key "a" every 100 ms from t = 0,
// except that event 15 comes late (t = 50) and, within the allowed
// lateness, re-emits window [0, 1 s) with 11 (window [1 s, 2 s) has 9).
// Two folds of different lengths are two writers of one partition, one
// further along than the other. fold_json() folds given JSON events instead,
// read as a source reads them (decimal fields exactly, from their text).
#pragma once

#include "jobs/event_reader.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/spec.hpp"
#include "jobs/windowed/window_operator.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

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

// The partition after reading `events` with jobs::event_reader and folding
// them, at offsets 0, 1, ... An event the reader does not take as ok throws:
// the test's input is wrong.
inline folded fold_json(const jobs::job_spec& spec, const std::vector<std::string>& events,
                        std::int32_t partition = 0) {
  jobs::event_reader reader{spec};
  jobs::window_operator op{spec};
  jobs::partition_state st;
  folded f;
  for (const auto& e : events) {
    jobs::event_view ev;
    if (const auto s = reader.read(e, ev); s != jobs::read_status::ok)
      throw std::invalid_argument("test event " + e + ": " + jobs::to_string(s));
    op.add(st, ev, f.rows.rows);
  }
  f.progress.partition = f.rows.partition = partition;
  f.progress.next_offset = static_cast<std::int64_t>(events.size());
  f.progress.watermark = st.watermark(op.out_of_orderness());
  f.progress.events = events.size();
  return f;
}

// A fold as the one batch a source sends its sink.
inline jobs::sink_batch batch_of(folded f) {
  jobs::sink_batch b;
  b.progress.push_back(f.progress);
  b.outputs.push_back(std::make_shared<jobs::partition_rows>(std::move(f.rows)));
  return b;
}

// The same as one batch a source sends its sink.
inline jobs::sink_batch fold_batch(const jobs::job_spec& spec, int events) {
  return batch_of(fold(spec, events));
}

} // namespace weir::test_support
