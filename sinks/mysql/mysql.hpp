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
// table as it is: each (window, key) is one row. See docs/architecture.md,
// "ClickHouse and MariaDB".
#pragma once

#include "base/expected.hpp"
#include "jobs/pipeline.hpp"
#include "jobs/spec.hpp"
#include "jobs/windowed/values.hpp"
#include "sinks/final_rows.hpp"

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

class results {
public:
  // Connects, creates the tables if they do not exist, or checks them.
  static expected<results> make(const jobs::job_spec& spec);

  results(results&&) noexcept;
  results& operator=(results&&) noexcept;
  ~results();

  // Upserts every row of `batches` and their progress in one transaction.
  // Rows a column cannot hold (a window outside years 1000-9999, a key part
  // over 512 bytes) are counted in `dropped`, per partition.
  expected<std::size_t> write(std::span<const jobs::sink_batch* const> batches,
                              dropped_rows& dropped);

private:
  results() = default;
  struct connection; // keeps mysql.h out of this header
  std::unique_ptr<connection> conn_;
  jobs::job_spec spec_;
  jobs::agg_layout layout_;
  std::string upsert_head_, upsert_tail_, progress_head_, progress_tail_;
  std::vector<jobs::cell> cells_;
};

} // namespace weir::sinks::mysql
