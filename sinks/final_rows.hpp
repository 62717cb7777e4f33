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
#include "jobs/windowed/values.hpp"
#include "jobs/windowed/window_operator.hpp"
#include "sinks/sink.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
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

// The sink either store is: every pending batch in one write of `Results`
// (one INSERT into ClickHouse, few and large; one transaction in MariaDB).
// A failure drops the store, so the next attempt reconnects and checks the
// tables again; the dropped counts outlive it.
template <class Results>
class final_rows_sink final : public sink {
public:
  explicit final_rows_sink(jobs::job_spec spec) : spec_(std::move(spec)) {}

  expected<void> check() override {
    auto store = open();
    if (!store)
      return store.failure();
    return {};
  }

  write_result write(std::span<const jobs::sink_batch* const> batches) override {
    auto store = open();
    if (!store)
      return {0, 0, store.failure()};
    const auto before = total_dropped();
    std::vector<refused_row> refused;
    auto rows = (*store)->write(batches, dropped_, refused);
    if (!rows) {
      store_.reset();
      return {0, 0, rows.failure()};
    }
    return {batches.size(), *rows, std::nullopt, total_dropped() - before, std::move(refused)};
  }

private:
  expected<Results*> open() {
    return store_.get([&] { return Results::make(spec_); });
  }

  std::size_t total_dropped() const {
    std::size_t n = 0;
    for (const auto& [part, count] : dropped_)
      n += count;
    return n;
  }

  jobs::job_spec spec_;
  lazy_store<Results> store_;
  dropped_rows dropped_;
};

// The merge path into a store other than PostgreSQL: keys across partitions
// wait as partials in PostgreSQL (sink.partials_url; sinks/postgres/results)
// until the window is final, and the merged rows go here, inside that
// PostgreSQL transaction, before it commits. Their version is the number of
// PostgreSQL writes that merged rows (kept in <table>__progress row -1), so
// a later merge, which saw more input, has a higher one; a merge retried
// after PostgreSQL failed writes the same values again.
struct merged_row {
  jobs::millis start, end;
  const std::vector<std::string>* key; // its parts
  const std::vector<jobs::cell>* values;
};

class merged_rows_store {
public:
  virtual ~merged_rows_store() = default;
  // Writes `rows` at `version`; returns how many of them the store cannot
  // hold (dropped, counted in the partials' <table>__progress row -1), and
  // appends to `refused` those the store refused (a constraint, a trigger).
  virtual expected<std::size_t> write_merged(std::span<const merged_row> rows,
                                             std::uint64_t version,
                                             std::vector<refused_row>& refused) = 0;
};

// A final-row store opened for merged rows (Results::make(spec, merged)).
template <class Results>
expected<std::unique_ptr<merged_rows_store>> open_merged(const jobs::job_spec& spec) {
  auto made = Results::make(spec, true);
  if (!made)
    return made.failure();
  return std::unique_ptr<merged_rows_store>{std::make_unique<Results>(std::move(*made))};
}

// A window row as the JSON object a dead letter carries:
// {"window_start": "2026-01-01 00:00:00.000Z", "window_end": ..., <key
// columns>: text, <aggregates>: number or null; a decimal as its exact text,
// "-12.50", which a JSON reader's double would round}.
std::string window_row_json(const jobs::job_spec& spec, jobs::millis start, jobs::millis end,
                            std::span<const std::string_view> key,
                            const std::vector<jobs::cell>& values);

// %XX escapes of a URL's user, password or database decoded.
std::string percent_decode(std::string_view s);

// Takes "user[:password]@" off the front of a URL's authority, decoded;
// false (and nothing taken) if it has none.
bool take_userinfo(std::string_view& authority, std::string& user, std::string& password);

} // namespace weir::sinks
