// The windowed kind: keyed window aggregations (tumbling, hopping, session).
// Its state moves with a partition: a handoff ships it to the new owner.
#pragma once

#include "jobs/pipeline.hpp"
#include "jobs/windowed/window_operator.hpp"

namespace weir::jobs {

class windowed_pipeline final : public pipeline {
public:
  explicit windowed_pipeline(const job_spec& spec) : op_(spec) {}

  static constexpr std::string_view name = "windowed";
  std::string_view kind() const override { return name; }
  std::unique_ptr<partition> fresh(partition_id p) const override;
  expected<std::unique_ptr<partition>> restore(partition_id p, std::string_view bytes,
                                               const std::string& what) const override;
  std::string snapshot(const partition& p) const override;
  fold_result fold(partition& p, const event_view& ev, offset_t at, bool emit) const override;
  void advance_clock(partition& p, millis now) const override;
  millis watermark(const partition& p) const override;
  std::size_t live_keys(const partition& p) const override;
  std::shared_ptr<const partition_output> flush(partition& p) const override;
  std::optional<std::string> release(const partition& p) const override;
  bool moves_state() const override { return true; }

  const window_operator& op() const { return op_; }

  // restore() without a pipeline: the state is self-contained.
  static expected<std::unique_ptr<partition>> unpack(partition_id p, std::string_view bytes,
                                                     const std::string& what);

private:
  window_operator op_;
};

} // namespace weir::jobs
