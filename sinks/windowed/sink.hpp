// The windowed sink: window rows into a results store, exactly once, with
// the job's progress and partials in a progress store (stores.hpp). The one
// driver of every results store; the semantics live here and in
// jobs/windowed/combine.hpp, the stores only move rows.
//
// Two paths, by the spec:
// - rows final per partition (source.partitioned_by, no top-N): each row is
//   the whole row when its partition emits it, written straight away;
// - keys across partitions: each partition's rows wait as partials until
//   the job watermark passes their window, then are merged, finalized (and
//   ranked, top-N) and written; kept until the window is final (every
//   partition's watermark past its end plus the lateness), then forgotten.
//
// With a progress store, one write is one of its transactions: partitions
// whose writer is behind what is stored are fenced (skipped), and rows that
// come for a final window are dropped and counted. Without one (ClickHouse,
// MariaDB, rows final per partition), the store keeps the row of the
// highest version. See docs/architecture.md, "Results".
#pragma once

#include "sinks/sink.hpp"
#include "sinks/windowed/stores.hpp"

#include <functional>
#include <memory>

namespace weir::sinks::windowed {

// Stores are opened on first use and again after a failure. Both openers
// may give the same object (PostgreSQL keeps progress and results).
struct stores {
  std::shared_ptr<progress_store> progress; // none: rows final per partition, versioned
  std::shared_ptr<results_store> results;
};
using opener = std::function<expected<stores>()>;

std::unique_ptr<sink> make_sink(const jobs::job_spec& spec, const context& ctx, opener open);

// A store that keeps rows final per partition by version, and the
// partitions' progress itself (ClickHouse, MariaDB): Results::make(spec,
// merged) opens it.
template <class Results>
std::unique_ptr<sink> make_versioned_sink(const jobs::job_spec& spec, const context& ctx) {
  return make_sink(spec, ctx, [spec]() -> expected<stores> {
    auto made = Results::make(spec, false);
    if (!made)
      return made.failure();
    return stores{nullptr, std::make_shared<Results>(std::move(*made))};
  });
}

// The same store taking merged rows, whose progress is another store's.
template <class Results>
expected<std::shared_ptr<results_store>> open_merged(const jobs::job_spec& spec) {
  auto made = Results::make(spec, true);
  if (!made)
    return made.failure();
  return std::shared_ptr<results_store>{std::make_shared<Results>(std::move(*made))};
}

} // namespace weir::sinks::windowed
