// The table a query is inserted into: a store of rows (postgres, clickhouse,
// mysql) or an Iceberg table, each a connector of jobs/connectors.hpp.
#include "jobs/sql/translator.hpp"

#include "jobs/validate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace weir::jobs::sql {

namespace {

// An aggregate's results column, as the stores declare it.
sql_type result_type(const aggregate_spec& a) {
  if (a.kind == agg_kind::count || a.kind == agg_kind::count_distinct
      || a.kind == agg_kind::approx_count_distinct)
    return sql_type::integer;
  if (const auto d = result_decimal(a))
    return {sql_type::decimal, d};
  return sql_type::floating;
}

bool of_events(const connector& c) {
  return c.takes(sink_rows::raw);
}

bool of_results(const connector& c) {
  return c.takes(sink_rows::results);
}

} // namespace

// A sink's declared columns, when it declares any, are exactly the query's
// output, with compatible types.
void translator::check_declared(const table_decl& t, const output_columns& outputs) {
  std::vector<const column_decl*> plain;
  for (const auto& c : t.columns)
    if (!c.generated)
      plain.push_back(&c);
  if (plain.empty())
    return;
  auto family = [](sql_type x) {
    return x == sql_type::json ? sql_type{sql_type::text} : x;
  };
  for (const auto* c : plain) {
    auto o = std::find_if(outputs.begin(), outputs.end(),
                          [&](const auto& p) { return p.first == c->name; });
    if (o == outputs.end())
      fail(c->at, "column '" + c->name + "' of " + t.name + " is not an output of the query");
    if (family(o->second) != family(c->type))
      fail(c->at, "type mismatch: " + t.name + "." + c->name + " is declared " + type_label(c->type)
                    + ", and the query writes " + type_label(o->second));
  }
  for (const auto& [name, type] : outputs)
    if (!t.column(name))
      fail(t.at, "the query writes column '" + name + "', which " + t.name + " does not declare ("
                   + std::string{type_label(type)} + ")");
}

void translator::sink_of(const table_decl& t, job_spec& spec, sink_rows rows) {
  const auto sql = t.connector();
  for (const auto& c : connectors()) {
    if (c.sql != sql || !c.takes(rows))
      continue;
    switch (c.store) {
      case sink_store::table: store_sink(t, spec, c); break;
      case sink_store::files: iceberg_sink(t, spec, c, spec.columns, false); break;
      case sink_store::none:
        check_options(t, {"connector"});
        spec.sink.type = c.type;
        break;
    }
    return;
  }
  const auto raw = connector_names(of_events, name_of::sql);
  const auto windowed = connector_names(of_results, name_of::sql);
  if (rows == sink_rows::results && std::find(raw.begin(), raw.end(), sql) != raw.end())
    fail(t.at, t.name + ": a " + sql
                 + " sink keeps every event; an aggregation writes to "
                   "connector = "
                 + listed(windowed, " or ", true));
  const auto& names = rows == sink_rows::raw ? raw : windowed;
  const std::vector<std::string_view> rest(names.begin() + 1, names.end());
  fail(t.at, t.name + " needs WITH (connector = '" + std::string{names[0]} + "', url = '...')"
               + (rows == sink_rows::raw ? " or connector = " : ", ") + listed(rest, " or ", true));
}

void translator::store_sink(const table_decl& t, job_spec& spec, const connector& c) {
  const bool raw_rows = c.rows == sink_rows::raw;
  if (c.final_rows)
    check_options(t, {"connector", "url", "table", "partials_url"});
  else
    check_options(t, {"connector", "url", "table"});
  spec.sink.type = c.type;
  spec.sink.url = required_option(t, "url", "'postgresql://...'").value;
  spec.sink.table = t.get("table") ? t.get("table")->value : t.name;
  if (auto p = t.get("partials_url")) {
    spec.sink.partials_url = p->value;
    where_.emplace_back("sink.partials_url", p->at);
  }
  output_columns outputs;
  if (raw_rows) {
    // Without one, each event's Kafka position is its identity.
    if (t.primary_key.size() > 1)
      fail(t.at, t.name
                   + " takes one PRIMARY KEY column that identifies an event, or none (the "
                     "event's Kafka position is then its identity)");
    if (!t.primary_key.empty()) {
      spec.sink.key = t.primary_key[0];
      where_.emplace_back("sink.key", t.column(spec.sink.key) ? t.column(spec.sink.key)->at : t.at);
    }
    for (const auto& c : spec.columns)
      outputs.emplace_back(c.name, sql_type_of(c.type));
  } else {
    if (!t.primary_key.empty())
      fail(t.at, "a results table's key is weir's (window_start and the GROUP BY columns): "
                 "declare no PRIMARY KEY");
    outputs = {{"window_start", sql_type::timestamp}, {"window_end", sql_type::timestamp}};
    for (const auto& k : spec.key)
      outputs.emplace_back(k.name, sql_type::text); // keys are stored as text
    for (const auto& a : spec.aggregations)
      outputs.emplace_back(a.as, result_type(a));
    if (spec.top.n > 0)
      outputs.emplace_back("rank", sql_type::integer);
  }
  check_declared(t, outputs);
}

std::uint64_t translator::number_option(const option& o, const std::string& path,
                                        const number_bounds& b, std::uint64_t fits) {
  auto v = whole_number(o.value, fits);
  if (!v)
    fail(o.at, path.substr(path.find('.') + 1) + ": " + b.expected(o.value));
  where_.emplace_back(path, o.at);
  return *v;
}

// An Iceberg v2 table: the query's columns, the GENERATED ones it derives,
// PARTITION BY LIST (its partition fields) and WITH (its place and catalog).
// An export's (`scheduled`) runs every `every` and commits once a run.
void translator::iceberg_sink(const table_decl& t, job_spec& spec, const connector& c,
                              const std::vector<column_spec>& columns, bool scheduled) {
  if (scheduled)
    check_options(t, {"connector", "url", "catalog", "table", "sort_by", "codec", "max_file_mb",
                      "snapshots_kept", "every"});
  else
    check_options(t, {"connector", "url", "catalog", "table", "sort_by", "codec", "max_file_mb",
                      "commit_every", "commit_mb", "snapshots_kept", "orphan_age"});
  auto& s = spec.sink;
  s.type = c.type;
  auto text_option = [&](const char* key, const char* example) {
    const auto& o = required_option(t, key, example);
    where_.emplace_back(std::string{"sink."} + key, o.at);
    return o.value;
  };
  s.url = text_option("url", "'s3://bucket/prefix'");
  s.catalog = text_option("catalog", "'postgresql://...'");
  s.table = text_option("table", "'namespace.name'");
  if (auto o = t.get("codec")) {
    s.codec = o->value;
    where_.emplace_back("sink.codec", o->at);
  }
  if (auto o = t.get("sort_by")) { // 'a, b': the columns, in order
    where_.emplace_back("sink.sort_by", o->at);
    for (size_t start = 0; start <= o->value.size();) {
      auto end = std::min(o->value.find(',', start), o->value.size());
      auto name = o->value.substr(start, end - start);
      name.erase(0, name.find_first_not_of(' '));
      name.erase(name.find_last_not_of(' ') + 1);
      s.sort_by.push_back(name);
      start = end + 1;
    }
  }
  constexpr auto fits_u32 = std::numeric_limits<std::uint32_t>::max();
  if (auto o = t.get("max_file_mb"))
    s.max_file_mb = number_option(*o, "sink.max_file_mb", max_file_mb_bounds,
                                  std::numeric_limits<std::uint64_t>::max());
  if (auto o = t.get("commit_every"))
    s.commit_every = static_cast<std::uint32_t>(
      number_option(*o, "sink.commit_every", commit_every_bounds, fits_u32));
  if (auto o = t.get("commit_mb"))
    s.commit_mb = number_option(*o, "sink.commit_mb", commit_mb_bounds,
                                std::numeric_limits<std::uint64_t>::max());
  if (auto o = t.get("orphan_age")) {
    s.orphan_age = interval_text(o->value, o->at, "orphan_age");
    where_.emplace_back("sink.orphan_age", o->at);
  }
  if (auto o = t.get("snapshots_kept"))
    s.snapshots_kept = static_cast<std::uint32_t>(
      number_option(*o, "sink.snapshots_kept", snapshots_kept_bounds, fits_u32));
  output_columns outputs;
  for (const auto& col : columns)
    outputs.emplace_back(col.name, sql_type_of(col.type));
  check_declared(t, outputs);
  derive(t, spec);
  partition_fields(t, spec);
}

namespace {

std::string column_arg(const node& n, const char* what) {
  if (!n.is("ColumnRef") || n.body()["fields"].items().size() != 1)
    fail(n.loc(), std::string{what} + " takes one column of the table");
  return n.body()["fields"].item(0)["String"]["sval"].str();
}

int number_arg(const node& n, double max) {
  auto l = literal_of(n);
  if (!l || !l->number || l->value < 1 || l->value > max || l->value != std::floor(l->value))
    fail(n.loc(), "expected a whole number from 1 to " + std::to_string(std::int64_t(max)));
  return static_cast<int>(l->value);
}

} // namespace

// GENERATED columns: date(col) and hour(col[, every]) as text, col % n as an
// integer, in the order declared.
void translator::derive(const table_decl& t, job_spec& spec) {
  for (const auto& c : t.columns) {
    if (!c.generated)
      continue;
    derived_column_spec d;
    d.name = c.name;
    const auto& e = c.generated;
    const auto fn = e.is("FuncCall") ? func_name(e.body()) : std::string{};
    const auto args = e.is("FuncCall") ? e.body()["args"].items() : std::vector<node>{};
    if (fn == "date" && args.size() == 1) {
      d.k = derived_column_spec::date;
      d.column = column_arg(args[0], "date()");
    } else if (fn == "hour" && (args.size() == 1 || args.size() == 2)) {
      d.k = derived_column_spec::hour;
      d.column = column_arg(args[0], "hour()");
      if (args.size() == 2)
        d.every = number_arg(args[1], 24);
    } else if (e.is("A_Expr") && last_name(e.body()["name"]) == "%") {
      d.k = derived_column_spec::modulo;
      d.column = column_arg(e.body()["lexpr"], "%");
      d.every = number_arg(e.body()["rexpr"], derive_bounds.max);
    } else {
      fail(e.loc(), "a generated column is date(col), hour(col), hour(col, every_n_hours) or "
                    "col % n");
    }
    const bool text = d.k != derived_column_spec::modulo;
    if (c.type.kind != (text ? sql_type::text : sql_type::integer))
      fail(c.at, c.name + " is declared " + type_label(c.type) + ", and "
                   + (text ? "date() and hour() give text" : "% gives bigint"));
    where_.emplace_back("sink.derive[" + std::to_string(spec.sink.derive.size()) + "]", c.at);
    spec.sink.derive.push_back(std::move(d));
  }
}

// PARTITION BY LIST (col, day(col), bucket(16, col), truncate(4, col), ...):
// Iceberg's partition fields, as the spec writes them (bucket[16](col)).
void translator::partition_fields(const table_decl& t, job_spec& spec) {
  for (size_t i = 0; i < t.partition_by.size(); ++i) {
    const auto& p = t.partition_by[i];
    std::string term = p.name;
    if (term.empty()) {
      const auto& e = p.expr;
      const auto fn = e.is("FuncCall") ? func_name(e.body()) : std::string{};
      const auto args = e.is("FuncCall") ? e.body()["args"].items() : std::vector<node>{};
      if ((fn == "year" || fn == "month" || fn == "day" || fn == "hour") && args.size() == 1)
        term = fn + "(" + column_arg(args[0], fn.c_str()) + ")";
      else if ((fn == "bucket" || fn == "truncate") && args.size() == 2)
        term = fn + "[" + std::to_string(number_arg(args[0], 999'999'999)) + "]("
               + column_arg(args[1], fn.c_str()) + ")";
      else
        fail(p.at, "a partition field is a column, year(col), month(col), day(col), hour(col), "
                   "bucket(n, col) or truncate(width, col)");
    }
    where_.emplace_back("sink.partitioned_by[" + std::to_string(i) + "]", p.at);
    spec.sink.partitioned_by.push_back(std::move(term));
  }
}

} // namespace weir::jobs::sql
