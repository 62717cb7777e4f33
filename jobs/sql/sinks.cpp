// The table a query is inserted into: a store of rows (postgres, clickhouse,
// mysql) or a Parquet lake, each a connector of jobs/connectors.hpp.
#include "jobs/sql/translator.hpp"

#include "jobs/validate.hpp"

#include <algorithm>
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
  return c.rows == sink_rows::raw;
}

bool of_results(const connector& c) {
  return c.rows == sink_rows::results;
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
    if (c.sql != sql || c.rows != rows)
      continue;
    if (c.table)
      store_sink(t, spec, c);
    else
      parquet_sink(t, spec, c);
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
    if (t.primary_key.size() != 1)
      fail(t.at, t.name
                   + " needs a PRIMARY KEY column that identifies an event (a replay then "
                     "inserts nothing twice)");
    spec.sink.key = t.primary_key[0];
    where_.emplace_back("sink.key", t.column(spec.sink.key) ? t.column(spec.sink.key)->at : t.at);
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

void translator::parquet_sink(const table_decl& t, job_spec& spec, const connector& c) {
  check_options(t, {"connector", "url", "codec", "max_file_mb"});
  spec.sink.type = c.type;
  spec.sink.url = required_option(t, "url", "'s3://bucket/prefix'").value;
  if (auto c = t.get("codec"))
    spec.sink.codec = c->value;
  if (auto m = t.get("max_file_mb")) { // its bounds are validate()'s
    auto v = whole_number(m->value, std::numeric_limits<std::uint64_t>::max());
    if (!v)
      fail(m->at, "max_file_mb: " + max_file_mb_bounds.expected(m->value));
    spec.sink.max_file_mb = *v;
    where_.emplace_back("sink.max_file_mb", m->at);
  }
  output_columns outputs;
  for (const auto& c : spec.columns)
    outputs.emplace_back(c.name, sql_type_of(c.type));
  check_declared(t, outputs);
  // The path levels: GENERATED columns, in the order of PARTITION BY LIST.
  for (const auto& c : t.columns)
    if (c.generated
        && std::none_of(t.partition_by.begin(), t.partition_by.end(),
                        [&](const auto& p) { return p.first == c.name; }))
      fail(c.at, "generated column '" + c.name
                   + "' is a path level: list it in PARTITION BY "
                     "LIST (...)");
  for (size_t i = 0; i < t.partition_by.size(); ++i) {
    const auto& [name, at] = t.partition_by[i];
    auto c = t.column(name);
    if (!c || !c->generated)
      fail(at, "'" + name + "' is not a GENERATED column of " + t.name + " (declare it: " + name
                 + " text GENERATED ALWAYS AS (date(event_time)) STORED)");
    path_part_spec part;
    part.name = name;
    auto e = c->generated;
    auto column_arg = [&](const node& n) {
      if (!n.is("ColumnRef") || n.body()["fields"].items().size() != 1)
        fail(n.loc(), "a path level is computed from one output column");
      return n.body()["fields"].item(0)["String"]["sval"].str();
    };
    auto number_arg = [&](const node& n) {
      auto l = literal_of(n);
      if (!l || !l->number || l->value < 1 || l->value > 1'000'000)
        fail(n.loc(), "expected a whole number from 1");
      return static_cast<int>(l->value);
    };
    if (e.is("FuncCall")) {
      auto fn = func_name(e.body());
      auto args = e.body()["args"].items();
      if (fn == "date" && args.size() == 1) {
        part.k = path_part_spec::date;
      } else if (fn == "hour" && (args.size() == 1 || args.size() == 2)) {
        part.k = path_part_spec::hour;
        if (args.size() == 2)
          part.every = number_arg(args[1]);
      } else {
        fail(e.loc(), "a path level is date(col), hour(col), hour(col, every_n_hours), col % n "
                      "or col");
      }
      part.column = column_arg(args[0]);
    } else if (e.is("A_Expr") && last_name(e.body()["name"]) == "%") {
      part.k = path_part_spec::modulo;
      part.column = column_arg(e.body()["lexpr"]);
      part.every = number_arg(e.body()["rexpr"]);
    } else {
      part.k = path_part_spec::value;
      part.column = column_arg(e);
    }
    where_.emplace_back("sink.partition_by[" + std::to_string(i) + "]", c->at);
    spec.sink.partition_by.push_back(std::move(part));
  }
}

} // namespace weir::jobs::sql
