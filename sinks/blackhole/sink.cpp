#include "sinks/blackhole/sink.hpp"

namespace weir::sinks {

namespace {

class blackhole final : public sink {
public:
  write_result write(std::span<const jobs::sink_batch* const> batches) override {
    write_result out;
    out.done = batches.size();
    for (const auto* b : batches)
      out.rows += b->rows();
    return out;
  }
};

} // namespace

expected<std::unique_ptr<sink>> make_blackhole_sink(const jobs::job_spec&, const context&) {
  return std::unique_ptr<sink>{new blackhole};
}

} // namespace weir::sinks
