// Every SQL statement of a windowed job's tables in PostgreSQL, built once
// per job from its spec: a pure function, tested with golden strings
// (sinks/postgres/tests/statements_test.cpp). The store (store.cpp) only
// runs them.
//
// Tables, created if missing:
//   <table>            the results, per (window, key) [with rank];
//   <table>__progress  per source partition: watermark, idle flag, offset and
//                      counters; row -1: the watermark up to which results
//                      are published (and, merged rows in another store, the
//                      number of writes that merged rows);
//   <table>__partials  keys across partitions: per (window, key, source
//                      partition) that partition's accumulators until the
//                      window is final.
#pragma once

#include "jobs/spec.hpp"

#include <string>
#include <vector>

namespace weir::sinks::pg {

struct statements {
  // `elsewhere`: the results go to another store; here only progress and
  // partials (sink.partials_url).
  statements(const jobs::job_spec& spec, bool elsewhere);

  bool direct = false; // rows final per partition: no partials
  bool elsewhere = false;
  std::string results, progress, partials; // quoted names
  std::vector<std::string> result_columns; // of <table>, quoted, for COPY
  std::string create;                      // the tables, if missing
  std::string lock;                        // the job's advisory lock, for one transaction
  std::string read_progress;
  std::string upsert_progress; // $1..$9: arrays of (partition, watermark, idle, offset, counters)
  std::string add_dropped;     // $1, $2: arrays of (partition, rows)
  std::string set_job;         // $1: materialized [, $2 merges, $3 merged rows dropped]
  // Partials travel in binary: COPY into a temporary table of <table>__partials'
  // shape, then one upsert from it.
  std::string create_partials_in;
  std::string partials_in; // its name, for COPY
  std::vector<std::string> partials_in_columns;
  std::string upsert_partials;
  std::string range;          // $1, $2: partials of windows ending in ($1, $2]
  std::string touched;        // $1...: arrays of (window[, key parts]): partials of those
  std::string delete_final;   // $1, $2: partials of windows ending in ($1, $2]
  std::string delete_windows; // $1: array of window starts (top-N)
  std::string upsert_results; // $1...: arrays of (start, end, key parts[, rank], values)
  // The results table's columns as information_schema names their types.
  std::vector<std::pair<std::string, std::string>> columns;
};

// Quotes an SQL identifier ("a""b").
std::string quote_ident(const std::string& name);

// Quotes a string literal ('it''s').
std::string quote_literal(const std::string& text);

// Appends a PostgreSQL array element, double-quoted and escaped.
void append_array_text(std::string& out, std::string_view element);

} // namespace weir::sinks::pg
