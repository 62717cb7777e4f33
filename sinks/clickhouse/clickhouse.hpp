// Window results into ClickHouse over its HTTP interface, exactly once by
// replacement: every row is final when its partition emits it (the spec
// declares source.partitioned_by, checked on every event), so a row is a
// function of (window, key, the partition's input up to the row's offset).
//
// Tables per job, created if missing (an existing one must match):
//   <table>            ReplacingMergeTree(_version), ORDER BY (window_start,
//                      keys...), PARTITION BY month; _version is the source
//                      partition's next offset when the row was written.
//   <table>__progress  ReplacingMergeTree(next_offset), ORDER BY
//                      source_partition: watermark, idle flag, offset and
//                      counters per partition, for operators and tests.
// A replay after a crash, a move or a zombie writer inserts rows again, with
// the values of their first writing (deterministic) or of a later input
// (a late event within the allowed lateness, at a higher offset). The row
// with the highest _version wins when ClickHouse merges parts; a reader who
// must see each row once before that reads with FINAL (or argMax by
// _version). Keys across partitions come merged from PostgreSQL's partials
// instead (sink.partials_url), versioned by merge. See docs/architecture.md,
// "ClickHouse and MariaDB".
#pragma once

#include "base/expected.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/spec.hpp"
#include "jobs/windowed/values.hpp"
#include "lib/http/client.hpp"
#include "sinks/windowed/stores.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace weir::sinks::clickhouse {

// http://[user[:password]@]host:port[/database]; database "default" if none.
struct endpoint {
  std::string base; // http://host:port
  std::string database = "default";
  std::string user, password;
};
expected<endpoint> parse_url(const std::string& url);

// RowBinary of the values weir writes (little-endian, strings as LEB128
// length and bytes, Nullable as a null byte then the value).
void put_u8(std::string& out, std::uint8_t v);
void put_u32(std::string& out, std::uint32_t v);
void put_u64(std::string& out, std::uint64_t v);
void put_i32(std::string& out, std::int32_t v);
void put_f64(std::string& out, double v);
void put_string(std::string& out, std::string_view s);

class results final : public windowed::results_store {
public:
  // Creates the tables if they do not exist, or checks that they match.
  // `merged`: the rows come merged from PostgreSQL's partials (keys across
  // partitions), whose <table>__progress is there: none here.
  static expected<results> make(const jobs::job_spec& spec, bool merged = false);

  // One INSERT of the rows, then the partitions' progress when it is due.
  // Rows whose window ClickHouse 18.16's DateTime cannot hold (before 1970,
  // after 2106) are counted in `dropped`, per partition. `refused` stays
  // empty: ClickHouse 18.16 has no constraints or triggers, and the values
  // its columns cannot hold are dropped before.
  expected<std::size_t> write_final(const windowed::final_rows& rows,
                                    windowed::dropped_rows& dropped,
                                    std::vector<refused_row>& refused) override;

  // One INSERT of merged rows at `version`; those out of DateTime's range
  // are counted in the result. No top-N (`windows`): rows kept by version
  // cannot be deleted.
  expected<std::size_t> write_merged(std::span<const windowed::merged_row> rows,
                                     std::uint64_t version, std::span<const jobs::millis> windows,
                                     std::vector<refused_row>& refused) override;

private:
  results(jobs::job_spec spec, endpoint ep, http::client c);
  expected<std::string> query(const std::string& what, const std::string& sql,
                              std::string_view body = {});
  void put_row(jobs::millis start, jobs::millis end, std::span<const std::string_view> key,
               const std::vector<jobs::cell>& values, std::uint64_t version);
  expected<std::string> insert_rows();

  jobs::job_spec spec_;
  jobs::agg_layout layout_;
  endpoint ep_;
  http::client http_;
  std::chrono::steady_clock::time_point last_progress_{};
  std::string rows_, progress_; // RowBinary, reused
  std::vector<jobs::cell> cells_;
  std::vector<std::size_t> widths_; // per aggregate: bytes of a decimal result in RowBinary
  std::vector<std::string_view> key_;
};

} // namespace weir::sinks::clickhouse
