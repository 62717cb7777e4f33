// A window results sink (sinks::sink, as the sink actor drives it) written
// one fold at a time, with what its last write reported: the results
// stores' integration tests go through the windowed sink, as jobs do.
#pragma once

#include "sinks/sink.hpp"
#include "tests/support/fold.hpp"

#include <memory>
#include <vector>

namespace weir::test_support {

class results_sink {
public:
  explicit results_sink(std::unique_ptr<sinks::sink> s) : s_(std::move(s)) {}

  // One batch of `f`, as its source would send it.
  expected<void> write(const folded& f) { return write(batch_of(f)); }
  expected<void> write(const jobs::sink_batch& b) {
    const jobs::sink_batch* one[] = {&b};
    last_ = s_->write(one);
    if (last_.failure)
      return *last_.failure;
    if (last_.done != 1)
      return error{"the batch was not done"};
    return {};
  }
  std::size_t last_dropped() const { return last_.dropped; }
  const std::vector<sinks::refused_row>& last_refused() const { return last_.refused; }

private:
  std::unique_ptr<sinks::sink> s_;
  sinks::write_result last_;
};

// The sink `made`, opened (its store checked against the spec).
inline expected<results_sink> opened(expected<std::unique_ptr<sinks::sink>> made) {
  if (!made)
    return made.failure();
  if (auto ok = (*made)->check(); !ok)
    return ok.failure();
  return results_sink{std::move(*made)};
}

} // namespace weir::test_support
