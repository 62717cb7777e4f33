// What the stores that take each window row once, final (ClickHouse,
// MariaDB), share: a job whose keys each live in one Kafka partition
// (source.partitioned_by) emits a row when its partition's watermark closes
// the window, and again if a late event within the allowed lateness changes
// it. A row is a function of its partition's input up to the offset it was
// written at, so that offset versions it: of two writings, the one with the
// higher version is the later input. Stores keep the highest version.
#pragma once

#include "base/expected.hpp"
#include "base/types.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/spec.hpp"
#include "jobs/windowed/window_operator.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weir::sinks {

struct final_row {
  const jobs::partition_rows* rows;
  std::size_t i;
  std::uint64_t version; // the partition's next offset in the batch that carried the row
};

// Rows a store cannot hold, per partition, since the sink started: logged
// once, and written to <table>__progress.dropped.
using dropped_rows = std::map<partition_id, std::uint64_t>;

struct final_rows {
  std::vector<final_row> rows; // the latest emission per (window, key), in (window, key) order
  std::map<partition_id, const jobs::partition_progress*> progress; // the latest per partition
};

// The rows of `batches`. A row `fits` refuses (a value the store cannot
// hold) is dropped and counted in dropped[partition]; the first of each
// partition is logged with `why`.
expected<final_rows> take_final_rows(
  std::span<const jobs::sink_batch* const> batches, const jobs::job_spec& spec,
  const std::function<bool(const jobs::window_results&, std::size_t)>& fits, const char* why,
  dropped_rows& dropped);

// %XX escapes of a URL's user, password or database decoded.
std::string percent_decode(std::string_view s);

} // namespace weir::sinks
