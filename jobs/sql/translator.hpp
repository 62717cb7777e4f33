// The SQL front end's parts, shared by its files (one per concern): tables.cpp
// (CREATE TABLE declarations and their options, SQL types, the source),
// scope.cpp (columns, literals, intervals and WHERE), windowed.cpp, top_n.cpp,
// raw.cpp, export.cpp and sinks.cpp (what each kind of query and sink table
// becomes), front_end.cpp (the script, SET, and errors at the spot). Not a
// public header: everything outside the room goes through front_end.hpp.
#pragma once

#include "jobs/connectors.hpp"
#include "jobs/spec.hpp"
#include "jobs/sql/flink.hpp"
#include "jobs/validate.hpp"

#include <simdjson.h>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir::jobs::sql {

// A refusal at a byte offset of the text; parse_sql shows it with a caret.
struct failure {
  int offset;
  std::string message;
};

[[noreturn]] inline void fail(int offset, std::string message) {
  throw failure{offset, std::move(message)};
}

// A node of libpg_query's JSON tree. Most nodes are wrappers with one key, the
// node type: {"ColumnRef": {...}}; kind() names it and body() opens it.
class node {
public:
  node() = default;
  explicit node(simdjson::dom::element e) : e_(e), ok_(true) {}

  explicit operator bool() const { return ok_; }

  node operator[](std::string_view key) const {
    simdjson::dom::element child;
    if (!ok_ || !e_.is_object() || e_[key].get(child))
      return {};
    return node{child};
  }

  std::string_view kind() const {
    simdjson::dom::object o;
    if (!ok_ || e_.get_object().get(o))
      return {};
    for (auto field : o)
      return field.key;
    return {};
  }
  node body() const { return (*this)[kind()]; }
  bool is(std::string_view k) const { return kind() == k; }

  std::string str() const {
    std::string_view s;
    return ok_ && !e_.get_string().get(s) ? std::string{s} : std::string{};
  }
  std::int64_t integer() const { // absent: 0 (the tree leaves zeros out)
    std::int64_t v = 0;
    return ok_ && !e_.get_int64().get(v) ? v : 0;
  }
  bool boolean() const {
    bool v = false;
    return ok_ && !e_.get_bool().get(v) && v;
  }
  // The i-th element of an array; an empty node past its end.
  node item(size_t i) const {
    simdjson::dom::array a;
    simdjson::dom::element e;
    if (!ok_ || e_.get_array().get(a) || a.at(i).get(e))
      return {};
    return node{e};
  }
  node last() const {
    simdjson::dom::array a;
    if (!ok_ || e_.get_array().get(a) || a.size() == 0)
      return {};
    return item(a.size() - 1);
  }
  std::vector<node> items() const {
    std::vector<node> out;
    simdjson::dom::array a;
    if (ok_ && !e_.get_array().get(a))
      for (auto x : a)
        out.emplace_back(x);
    return out;
  }

  // Where the node starts in the text; wrappers look inside. -1: unknown.
  int loc() const {
    if (auto l = (*this)["location"])
      return static_cast<int>(l.integer());
    if (auto b = body(); b && b["location"])
      return static_cast<int>(b["location"].integer());
    return -1;
  }

private:
  simdjson::dom::element e_;
  bool ok_ = false;
};

std::string lower(std::string s);

// The last part of a qualified name list ([pg_catalog, int8] -> int8).
std::string last_name(const node& names);

std::string func_name(const node& call);

// ---- types (tables.cpp) ----------------------------------------------------

// A column's SQL type. numeric(p, s) is a decimal: read exactly, as the
// aggregate_spec's decimal_type.
struct sql_type {
  enum kind_t { text, integer, floating, decimal, boolean, timestamp, json };
  kind_t kind;
  decimal_type dec; // kind decimal: its precision and scale

  sql_type(kind_t k, decimal_type d = {}) : kind(k), dec(d) {} // implicit: a kind is a type
  bool operator==(const sql_type&) const = default;
};

std::string type_label(sql_type t);
bool numeric(sql_type t);

// PostgreSQL's own limit, for a store's column: weir writes numeric(38, s)
// sums there.
constexpr int store_max_precision = 1000;

// A declared type. `max_precision`: decimal_type's where weir reads the
// values (a kafka table, a cast), store_max_precision in a store's table.
sql_type type_of(const node& type_name, int max_precision = decimal_type::max_precision);

// What a raw column of this type is declared as in SQL (for the sink's check).
sql_type sql_type_of(column_type t);
column_type column_type_of(sql_type t);

// ---- declared tables (tables.cpp) -------------------------------------------

struct option {
  std::string value;
  int at;
};

struct column_decl {
  std::string name;
  sql_type type;
  bool not_null = false;
  // GENERATED ALWAYS AS (expr): in a sink, a column an iceberg sink derives;
  // in a source, another name for a field (scope::field).
  node generated;
  int at;
};

// A field of PARTITION BY LIST (...): a column's name, or an expression
// (a transform call such as day(event_time)).
struct partition_decl {
  std::string name;
  node expr;
  int at;
};

struct table_decl {
  std::string name;
  int at = -1;
  std::vector<column_decl> columns;
  std::map<std::string, option> options;
  std::vector<std::string> primary_key;
  std::vector<partition_decl> partition_by; // PARTITION BY LIST (...)
  int partition_at = -1;
  // Types of the fields inside a json column, where its declaration said
  // them (Flink's ROW<...>, names as declared); other paths read as text.
  std::map<std::string, sql_type> nested;
  // The declared field at `path`, matched as Flink matches names: exactly,
  // else ignoring case (PostgreSQL folded the query's bid.dateTime).
  const std::pair<const std::string, sql_type>* nested_field(const std::string& path) const {
    if (auto it = nested.find(path); it != nested.end())
      return &*it;
    for (const auto& kv : nested)
      if (lower(kv.first) == lower(path))
        return &kv;
    return nullptr;
  }

  const column_decl* column(const std::string& n) const {
    for (const auto& c : columns)
      if (c.name == n)
        return &c;
    return nullptr;
  }
  std::string column_list() const {
    std::string out;
    for (const auto& c : columns)
      out += (out.empty() ? "" : ", ") + c.name;
    return out;
  }
  // The column watermark_for names (fails at the option if none).
  const column_decl& watermark_column(const option& wm) const;
  // Why `name` is not a column when one differs from it only in case:
  // PostgreSQL's folding of unquoted names, and the two ways out. "" if none.
  std::string case_hint(const std::string& name) const;
  const option* get(const std::string& key) const {
    auto it = options.find(key);
    return it == options.end() ? nullptr : &it->second;
  }
  std::string connector() const { return get("connector") ? get("connector")->value : ""; }
};

table_decl read_table(const node& create);

// Refuses options a connector does not take.
void check_options(const table_decl& t, std::initializer_list<std::string_view> known);

const option& required_option(const table_decl& t, const std::string& key, const char* example);

// ---- expressions (scope.cpp) -----------------------------------------------

// INTERVAL '5 seconds', INTERVAL '5' SECOND, INTERVAL '1 hour 30 minutes', or
// weir's own '5s'.
millis interval_of(const node& n, const std::string& what);
millis interval_text(const std::string& text, int at, const std::string& what);

// A reference to event data: a path into the JSON event, with its SQL type.
struct field_ref {
  std::string path; // a.b.c
  std::string name; // the column it would be called: its last part
  sql_type type;
  bool not_null = false;
  bool cast = false;
  int at;
};

class scope {
public:
  scope(const table_decl& t, std::string alias) : t_(t), alias_(std::move(alias)) {}

  // A declared column by name: a generated one reads the field its
  // expression names (date_time ... AS ((bid->>'dateTime')::timestamp) reads
  // bid.dateTime as a timestamp).
  field_ref column(const std::string& name, int at) const { return resolve({name}, at); }

  const table_decl& table() const { return t_; }

  // ColumnRef, a.b.c into a json column, ->/->> chains, and casts of those.
  std::optional<field_ref> field(const node& n) const;
  field_ref require_field(const node& n, const std::string& what) const;
  // Whether `n` reads the field at `path`.
  bool refers_to(const node& n, const std::string& path) const;

private:
  field_ref resolve(const std::vector<std::string>& parts, int at) const;

  const table_decl& t_;
  std::string alias_;
  bool in_generated_ = false; // resolving a generated column's expression
};

// A literal: its text (numbers as written) and whether it is a number.
struct literal {
  std::string text;
  bool number = false;
  bool boolean = false;
  double value = 0;
};

std::optional<literal> literal_of(const node& n);

// A target's output name: its alias, else what PostgreSQL would call it.
std::string output_name(const node& target, const std::string& fallback);

// ---- the job ---------------------------------------------------------------

struct window_call {
  window_spec window;
  std::string source;
  bool processing_time = false;
  std::optional<field_ref> time;
  int at;
};

// A query that keeps the top N rows per window (top_n.cpp): SELECT ... FROM
// (SELECT ..., ROW_NUMBER() OVER (...) AS rank FROM ...) AS t WHERE rank <= N,
// with the ranked query either the aggregation itself or SELECT *,
// ROW_NUMBER() ... FROM (the aggregation) AS a.
struct ranked_query {
  node outer;                                // the query as written
  node ranked;                               // the one with ROW_NUMBER(); empty without top-N
  node aggregation;                          // the one that groups
  std::optional<std::pair<node, node>> rank; // (its target, its ROW_NUMBER() call)
};

ranked_query unwrap_top_n(const node& select);

struct aggregate_target {
  aggregate_spec agg;
  node call;
};

// A GROUP BY column and the name of its output column.
struct group_key {
  field_ref field;
  node at;
  std::string name;
};

// The query's output columns, checked against what a sink table declares.
using output_columns = std::vector<std::pair<std::string, sql_type>>;

class translator {
public:
  explicit translator(std::string_view origin) : origin_(origin) {}

  job_spec run(const node& root);
  // What respell_flink took out of the text: WATERMARK clauses, ROW fields.
  void flink_parts(std::vector<flink_watermark> w, std::vector<flink_field> f) {
    watermarks_ = std::move(w);
    fields_ = std::move(f);
  }

  // Where each part of the model came from, for the rules validate() finds:
  // the longest matching field path wins.
  int where(const std::string& path) const;

private:
  void set(const node& stmt);
  void add_watermark(table_decl& t) const;
  void settings(job_spec& spec);
  void windowed(const node& select, job_spec& spec);
  std::vector<group_key> group_keys(const node& select, const scope& sc, int window_at) const;
  std::vector<aggregate_target> select_list(const node& select, const scope& sc,
                                            std::vector<group_key>& keys);
  void top_n(const ranked_query& q, const std::vector<aggregate_target>& aggs, const scope& sc,
             job_spec& spec);
  void raw(const node& select, const table_decl& src, job_spec& spec);
  void exported(const node& select, const table_decl& src, const table_decl& dst, job_spec& spec);
  // `proctime_at`: where the query windows by PROCTIME(), or -1.
  void source_of(const table_decl& t, job_spec& spec, int proctime_at = -1);
  window_call window_of(const node& from);
  void filters(const node& cond, const scope& sc, job_spec& spec);
  void check_declared(const table_decl& t, const output_columns& outputs);
  const table_decl& table(const std::string& name, int at) const;
  // The table the query is inserted into, for a job of these rows.
  void sink_of(const table_decl& t, job_spec& spec, sink_rows rows);
  void store_sink(const table_decl& t, job_spec& spec, const connector& c);
  void iceberg_sink(const table_decl& t, job_spec& spec, const connector& c,
                    const std::vector<column_spec>& columns, bool scheduled);
  void derive(const table_decl& t, job_spec& spec);
  void partition_fields(const table_decl& t, job_spec& spec);
  // A WITH option's whole number, its bounds validate()'s.
  std::uint64_t number_option(const option& o, const std::string& path, const number_bounds& b,
                              std::uint64_t fits);

  std::string origin_;
  std::map<std::string, table_decl> tables_;
  std::map<std::string, option> settings_;
  std::vector<std::pair<std::string, int>> where_;
  int insert_at_ = 0;
  std::vector<flink_watermark> watermarks_;
  std::vector<flink_field> fields_;
};

} // namespace weir::jobs::sql
