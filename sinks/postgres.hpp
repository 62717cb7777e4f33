// Window results into PostgreSQL, idempotently.
//
// Each source partition's closed windows land in <table>__partials, one row per
// (window, key, partition), upserted. The result table <table> holds, per
// (window, key), the merge of all partitions' partials, recomputed in the same
// transaction. Both are deterministic functions of (window, key, input), so a
// replay after a failure or a rescale rewrites the same values: no 2PC needed.
#pragma once

#include "jobs/spec.hpp"
#include "jobs/window_operator.hpp"
#include "runtime/expected.hpp"

#include <memory>
#include <string>

namespace weir::sinks {

class postgres_results {
public:
  // Connects and creates both tables if they do not exist.
  static expected<postgres_results> make(const jobs::job_spec& spec);

  postgres_results(postgres_results&&) noexcept;
  postgres_results& operator=(postgres_results&&) noexcept;
  ~postgres_results();

  // Upserts one partition's closed windows and refreshes their merged rows, in
  // one transaction.
  expected<void> write(std::int32_t partition, const jobs::window_results& rows);

private:
  postgres_results() = default;

  struct connection; // keeps libpqxx out of this header
  std::unique_ptr<connection> conn_;
  jobs::job_spec spec_;
  std::string upsert_partials_sql_;
  std::string merge_sql_;
};

// Quotes an SQL identifier ("a""b").
std::string quote_ident(const std::string& name);

// Appends the text form of a PostgreSQL array element, quoted and escaped.
void append_array_text(std::string& out, std::string_view element);

} // namespace weir::sinks
