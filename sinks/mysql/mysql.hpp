// Window results into MariaDB (or MySQL) through libmariadb, exactly once by
// a versioned upsert: every row is final when its partition emits it (the
// spec declares source.partitioned_by), so a row is a function of (window,
// key, the partition's input up to the row's offset).
//
// Tables per job, created if missing (an existing one must match):
//   <table>            PRIMARY KEY (window_start, keys...); _version is the
//                      source partition's next offset when the row was
//                      written. An upsert replaces a row only with one of a
//                      version at least as high, so a replay or a zombie
//                      writer behind the stored row changes nothing.
//   <table>__progress  per source partition: watermark, idle flag, offset
//                      and counters, under the same rule.
// Rows and progress of one write go in one transaction. Readers read the
// table as it is: each (window, key) is one row. Keys across partitions
// come merged from PostgreSQL's partials instead (sink.partials_url),
// versioned by merge. See docs/architecture.md, "ClickHouse and MariaDB".
#pragma once

#include "base/expected.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/spec.hpp"
#include "jobs/windowed/values.hpp"
#include "sinks/windowed/stores.hpp"

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace weir::sinks::mysql {

// mysql://user[:password]@host[:port]/database
struct endpoint {
  std::string host;
  unsigned port = 3306;
  std::string user, password, database;
};
expected<endpoint> parse_url(const std::string& url);

// X'...': a key as bytes, whatever its encoding.
void append_hex_literal(std::string& out, std::string_view bytes);

class results final : public windowed::results_store {
public:
  // Connects, creates the tables if they do not exist, or checks them.
  // `merged`: the rows come merged from PostgreSQL's partials (keys across
  // partitions), whose <table>__progress is there: none here.
  static expected<results> make(const jobs::job_spec& spec, bool merged = false);

  results(results&&) noexcept;
  results& operator=(results&&) noexcept;
  ~results();

  // Upserts the rows and their partitions' progress in one transaction.
  // Rows a column cannot hold (a window outside years 1000-9999, a key part
  // over 512 bytes) are counted in `dropped`, per partition; so are rows the
  // table refuses (a CHECK, a trigger's SIGNAL, a value out of range),
  // isolated in savepoints and appended to `refused`, while the rest lands.
  expected<std::size_t> write_final(const windowed::final_rows& rows,
                                    windowed::dropped_rows& dropped,
                                    std::vector<refused_row>& refused) override;

  // Upserts merged rows at `version` in one transaction; those the columns
  // cannot hold are counted in the result, those the table refuses are
  // isolated and appended to `refused`. No top-N (`windows`).
  expected<std::size_t> write_merged(std::span<const windowed::merged_row> rows,
                                     std::uint64_t version, std::span<const jobs::millis> windows,
                                     std::vector<refused_row>& refused) override;

private:
  results() = default;
  expected<void> connect(const endpoint& ep);
  expected<void> tables(const std::string& database, bool merged);
  expected<std::string> check_table(const std::string& t, const std::string& columns,
                                    const std::string& pk);
  void statements();
  // Appends one row to the upsert being built (`sql_`), sent when it grows
  // large; returns a failure of that statement.
  expected<void> add_row(jobs::millis start, jobs::millis end,
                         std::span<const std::string_view> key,
                         const std::vector<jobs::cell>& values, std::uint64_t version);
  expected<void> flush_rows();
  // upsert(0, n), or, if the table refuses rows of it, upsert in savepoints
  // over ranges halved around them (sinks/isolate.hpp), refused(i, why)
  // called for each; in the transaction under way, not committed.
  expected<void> upsert_isolating(
    std::size_t n, const std::function<expected<void>(std::size_t, std::size_t)>& upsert,
    const std::function<void(std::size_t, const std::string&)>& refused);
  bool fits(jobs::millis start, jobs::millis end, std::span<const std::string_view> key) const;
  error rollback(error e);

  struct connection; // keeps mysql.h out of this header
  std::unique_ptr<connection> conn_;
  jobs::job_spec spec_;
  jobs::agg_layout layout_;
  std::string upsert_head_, upsert_tail_, progress_head_, progress_tail_;
  std::vector<jobs::cell> cells_;
  std::vector<std::string_view> key_;
  std::string sql_;
};

} // namespace weir::sinks::mysql
