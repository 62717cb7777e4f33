// The one list of sink connectors: each `sink.type` with what it takes. The
// YAML parser, the SQL front end and validate() read it; sinks/registry/
// maps each type to its factory (tests/unit/connectors_test.cpp holds the
// two lists equal). A new sink is one line here and one there.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weir::jobs {

// What a job hands its sink: each window's results, or every event; `any`:
// a sink that takes either.
enum class sink_rows { results, raw, any };

// Where a sink's rows go.
enum class sink_store {
  table, // into the database table sink.table
  files, // data files under sink.url (codec, max_file_mb, ...) committed at
         // checkpoints, as iceberg does into the catalog's table sink.table
  none   // nowhere: counted and discarded (blackhole), no url nor table
};

struct connector {
  std::string_view type; // sink.type
  std::string_view sql;  // its SQL `connector = '...'` option
  sink_rows rows;
  sink_store store = sink_store::table;
  // Keeps each row once, final: keys across partitions merge their partials
  // first, in the PostgreSQL of sink.partials_url.
  bool final_rows = false;
  std::string_view schemes[2] = {}; // what sink.url starts with; none: any URL
  std::string_view url_form = {};   // the URL as a refusal shows it

  bool takes(std::string_view url) const;
  bool takes(sink_rows r) const { return rows == sink_rows::any || rows == r; }
};

const std::vector<connector>& connectors();

// nullptr if no connector has that sink.type.
const connector* find_connector(std::string_view type);

// "'x' is not one of: postgres, clickhouse, ..." for a type no connector has.
std::string not_a_connector(std::string_view type);

// The types (or SQL names) of the connectors `pick` keeps, in the list's
// order and each once: "a, b, c", "a and b", "'a', 'b' or 'c'".
enum class name_of { type, sql };
std::vector<std::string_view> connector_names(bool (*pick)(const connector&), name_of name);
std::string listed(const std::vector<std::string_view>& names, std::string_view last_sep,
                   bool quoted = false);

} // namespace weir::jobs
