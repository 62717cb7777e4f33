// The job spec model: what a user submits, after parsing and validation.
// A spec is plain data; operators are built from it (window_operator.hpp).
#pragma once

#include "runtime/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weir::jobs {

using millis = std::int64_t;

enum class time_format { epoch_ms, epoch_s, iso8601 };
enum class window_kind { tumbling };
enum class agg_kind { count, sum, min, max, avg };

struct source_spec {
  std::string brokers;
  std::string topic;
  std::string format = "json";
  std::string time_field;
  time_format time_fmt = time_format::epoch_ms;
  millis out_of_orderness = 0; // watermark = max event time - this
};

struct window_spec {
  window_kind kind = window_kind::tumbling;
  millis size = 0;
};

struct aggregate_spec {
  agg_kind kind = agg_kind::count;
  std::string field; // empty for count
  std::string as;    // output column
};

struct sink_spec {
  std::string type = "postgres";
  std::string url;
  std::string table;
};

struct job_spec {
  std::string name;
  source_spec source;
  std::vector<std::string> key; // event fields, in order; become key columns
  window_spec window;
  std::vector<aggregate_spec> aggregations;
  sink_spec sink;
};

const char* to_string(agg_kind k);

// Parses and validates a YAML spec. Errors read "<origin>:<line>: <field>: <why>".
expected<job_spec> parse_spec(std::string_view yaml, std::string_view origin = "spec");

// Replaces ${VAR} and ${VAR:-default} with the environment's values, so one spec
// serves several deployments. An unset variable without a default is an error
// naming the variable and its line.
expected<std::string> expand_env(std::string_view text, std::string_view origin = "spec");

} // namespace weir::jobs
