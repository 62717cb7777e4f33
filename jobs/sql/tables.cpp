// CREATE TABLE declarations: SQL types, options, and the source table that
// becomes the model's source.
#include "jobs/sql/translator.hpp"

#include <algorithm>

namespace weir::jobs::sql {

std::string type_label(sql_type t) {
  switch (t.kind) {
    case sql_type::text: return "text";
    case sql_type::integer: return "bigint";
    case sql_type::floating: return "double precision";
    case sql_type::decimal:
      return "numeric(" + std::to_string(t.dec.precision) + "," + std::to_string(t.dec.scale) + ")";
    case sql_type::boolean: return "boolean";
    case sql_type::timestamp: return "timestamp";
    case sql_type::json: return "jsonb";
  }
  return "?";
}

bool numeric(sql_type t) {
  return t.kind == sql_type::integer || t.kind == sql_type::floating || t.kind == sql_type::decimal;
}

namespace {

// numeric(p, s), numeric(p) (scale 0) or decimal(...), which PostgreSQL names
// numeric too. `max_precision`: decimal_type's, where weir reads the values.
sql_type decimal_of(const node& type_name, int max_precision) {
  int at = type_name.loc();
  auto mods = type_name["typmods"].items();
  if (mods.empty())
    fail(at, "numeric needs a precision and scale, as in numeric(12, 2) (weir sums it exactly), "
             "or use double precision");
  if (mods.size() > 2
      || std::any_of(mods.begin(), mods.end(), [](const node& m) { return !m["A_Const"]["ival"]; }))
    fail(at, "write numeric(precision, scale), as in numeric(12, 2)");
  auto p = mods[0]["A_Const"]["ival"]["ival"].integer();
  auto s = mods.size() == 2 ? mods[1]["A_Const"]["ival"]["ival"].integer() : 0;
  auto written =
    "numeric(" + std::to_string(p) + (mods.size() == 2 ? "," + std::to_string(s) : "") + ")";
  if (p < 1 || p > max_precision)
    fail(at,
         written
           + (max_precision == decimal_type::max_precision
                ? ": a decimal's precision is 1 to " + std::to_string(max_precision)
                    + " digits (a value is held in 64 bits, a sum in 128)"
                : ": a numeric's precision is 1 to " + std::to_string(max_precision) + " digits"));
  if (s < 0 || s > p)
    fail(at, written + ": a decimal's scale is 0 to its precision (" + std::to_string(p) + ")");
  return {sql_type::decimal, {static_cast<int>(p), static_cast<int>(s)}};
}

} // namespace

sql_type type_of(const node& type_name, int max_precision) {
  auto n = last_name(type_name["names"]);
  int at = type_name.loc();
  if (type_name["arrayBounds"])
    fail(at, "array types are not supported");
  // string and timestamp_ltz: Flink's names.
  if (n == "text" || n == "varchar" || n == "bpchar" || n == "char" || n == "uuid" || n == "string")
    return sql_type::text;
  if (n == "int2" || n == "int4" || n == "int8" || n == "bigint" || n == "integer")
    return sql_type::integer;
  if (n == "float4" || n == "float8" || n == "real")
    return sql_type::floating;
  if (n == "numeric" || n == "decimal")
    return decimal_of(type_name, max_precision);
  if (n == "bool")
    return sql_type::boolean;
  if (n == "timestamp" || n == "timestamptz" || n == "timestamp_ltz")
    return sql_type::timestamp;
  if (n == "json" || n == "jsonb")
    return sql_type::json;
  fail(at, "type '" + n
             + "' is not supported (supported: text, varchar, bigint, integer, "
               "smallint, double precision, real, numeric(p, s), boolean, timestamp, timestamptz, "
               "json, jsonb)");
}

sql_type sql_type_of(column_type t) {
  switch (t) {
    case column_type::int64: return sql_type::integer;
    case column_type::float64: return sql_type::floating;
    case column_type::boolean: return sql_type::boolean;
    case column_type::timestamp: return sql_type::timestamp;
    case column_type::string: return sql_type::text;
  }
  return sql_type::text;
}

column_type column_type_of(sql_type t) {
  switch (t.kind) {
    case sql_type::integer: return column_type::int64;
    case sql_type::floating:
    case sql_type::decimal: return column_type::float64; // raw columns hold no exact decimals
    case sql_type::boolean: return column_type::boolean;
    case sql_type::timestamp: return column_type::timestamp;
    case sql_type::text:
    case sql_type::json: return column_type::string; // an object is kept as its JSON text
  }
  return column_type::string;
}

table_decl read_table(const node& create) {
  table_decl t;
  t.name = create["relation"]["relname"].str();
  t.at = create["relation"].loc();
  if (create["relation"]["schemaname"])
    fail(t.at, "write the table name without a schema");
  for (const auto& o : create["options"].items()) {
    auto d = o.body();
    auto name =
      d["defnamespace"] ? d["defnamespace"].str() + "." + d["defname"].str() : d["defname"].str();
    auto arg = d["arg"];
    std::string value;
    if (arg.is("String"))
      value = arg.body()["sval"].str();
    else if (arg.is("Integer"))
      value = std::to_string(arg.body()["ival"].integer());
    else if (arg.is("Float"))
      value = arg.body()["fval"].str();
    else if (arg.is("TypeName"))
      value = last_name(arg.body()["names"]);
    else
      fail(o.loc(), "option " + name + " needs a value: " + name + " = '...'");
    t.options[name] = option{value, o.loc()};
  }
  // Weir reads a kafka table's values, so its decimals fit decimal_type; a
  // store's column holds what PostgreSQL does (a sum is numeric(38, s)).
  const int max_precision =
    t.connector() == "kafka" ? decimal_type::max_precision : store_max_precision;
  for (const auto& e : create["tableElts"].items()) {
    if (e.is("Constraint")) {
      auto c = e.body();
      if (c["contype"].str() != "CONSTR_PRIMARY")
        fail(e.loc(), "only PRIMARY KEY is supported as a table constraint");
      for (const auto& k : c["keys"].items())
        t.primary_key.push_back(k["String"]["sval"].str());
      continue;
    }
    if (!e.is("ColumnDef"))
      fail(e.loc(), "only columns and PRIMARY KEY belong in the column list");
    auto d = e.body();
    column_decl c{d["colname"].str(), type_of(d["typeName"], max_precision), false, {}, e.loc()};
    if (t.column(c.name))
      fail(c.at, "column '" + c.name + "' is declared twice");
    for (const auto& k : d["constraints"].items()) {
      auto kind = k.body()["contype"].str();
      if (kind == "CONSTR_NOTNULL")
        c.not_null = true;
      else if (kind == "CONSTR_PRIMARY")
        t.primary_key.push_back(c.name), c.not_null = true;
      else if (kind == "CONSTR_GENERATED")
        c.generated = k.body()["raw_expr"];
      else if (kind != "CONSTR_NULL")
        fail(k.loc(), "column constraints supported: NOT NULL, PRIMARY KEY, GENERATED ALWAYS AS");
    }
    t.columns.push_back(std::move(c));
  }
  if (auto ps = create["partspec"]) {
    t.partition_at = ps.loc();
    if (ps["strategy"].str() != "list")
      fail(t.partition_at, "write PARTITION BY LIST (partition fields, in order)");
    for (const auto& p : ps["partParams"].items())
      t.partition_by.push_back({p.body()["name"].str(), p.body()["expr"], p.loc()});
  }
  return t;
}

void check_options(const table_decl& t, std::initializer_list<std::string_view> known) {
  for (const auto& [name, o] : t.options)
    if (std::find(known.begin(), known.end(), name) == known.end()) {
      std::string list;
      for (auto k : known)
        list += (list.empty() ? "" : ", ") + std::string{k};
      fail(o.at, "option '" + name + "' is not one of " + t.connector() + "'s (" + list + ")"
                   + did_you_mean(name, known));
    }
}

const option& required_option(const table_decl& t, const std::string& key, const char* example) {
  if (auto o = t.get(key))
    return *o;
  fail(t.at, t.name + " needs WITH (" + key + " = " + example + ")");
}

const table_decl& translator::table(const std::string& name, int at) const {
  auto it = tables_.find(name);
  if (it != tables_.end())
    return it->second;
  std::string known;
  for (const auto& [n, t] : tables_)
    known += (known.empty() ? "" : ", ") + n;
  fail(at, "table '" + name + "' is not declared (CREATE TABLE " + name + " (...) WITH (...))"
             + (known.empty() ? "" : "; declared: " + known));
}

const column_decl& table_decl::watermark_column(const option& wm) const {
  if (const auto* c = column(wm.value))
    return *c;
  fail(wm.at, "watermark_for: '" + wm.value + "' is not a column of " + name + " (" + column_list()
                + ")" + case_hint(wm.value));
}

void translator::source_of(const table_decl& t, job_spec& spec, int proctime_at) {
  if (t.connector() != "kafka")
    fail(t.at, t.name + " is read from, so it needs WITH (connector = 'kafka', ...)"
                 + (t.connector().empty() ? "" : ", not '" + t.connector() + "'"));
  check_options(t, {"connector", "brokers", "topic", "format", "watermark_for", "watermark_delay",
                    "idle_timeout", "time_format", "partitioned_by", "dead_letter_topic",
                    "on_missing_offsets", "guarantee"});
  // As in YAML: a job that cannot be exactly once says so in its spec, and
  // every other job is refused the option (raw jobs included).
  const auto* guarantee = t.get("guarantee");
  if (guarantee && guarantee->value != "at_least_once")
    fail(guarantee->at, "guarantee: only 'at_least_once' (for PROCTIME() windows); omit it for "
                        "exactly once");
  if (proctime_at >= 0 && !guarantee)
    fail(proctime_at, "a PROCTIME() window's results are at least once: after a failure, the "
                      "events read since the last checkpoint count again, in the windows of the "
                      "time they are read again; declare WITH (..., guarantee = 'at_least_once') "
                      "on "
                        + t.name
                        + " to accept that, or window by its watermarked column for "
                          "exactly-once results");
  if (proctime_at < 0 && guarantee)
    fail(guarantee->at, "an event-time job is exactly once; guarantee = 'at_least_once' is for "
                        "PROCTIME() windows");
  auto& s = spec.source;
  s.brokers = required_option(t, "brokers", "'host:port'").value;
  s.topic = required_option(t, "topic", "'name'").value;
  if (auto f = t.get("format"); f && f->value != "json")
    fail(f->at, "format: only 'json' is supported");
  if (auto d = t.get("dead_letter_topic"))
    spec.dead_letter_topic = d->value;
  const scope fields{t, ""};
  for (const auto& c : t.columns) // each names a field, used or not
    if (c.generated)
      fields.column(c.name, c.at);
  if (auto p = t.get("partitioned_by"))
    s.partitioned_by = t.column(p->value) ? fields.column(p->value, p->at).path : p->value;
  if (auto m = t.get("on_missing_offsets")) {
    if (m->value != "fail" && m->value != "earliest")
      fail(m->at, "on_missing_offsets: '" + m->value + "' is not one of fail, earliest");
    s.on_missing_offsets =
      m->value == "earliest" ? missing_offsets::earliest : missing_offsets::fail;
  }
  // The watermarked column is the event time, for raw jobs too (an event
  // without one is dead-lettered).
  if (auto wm = t.get("watermark_for")) {
    const auto* c = &t.watermark_column(*wm);
    if (c->type != sql_type::timestamp && !numeric(c->type))
      fail(c->at, "the time column " + c->name + " is " + type_label(c->type)
                    + ": declare it timestamp (ISO 8601 text) or bigint (epoch ms)");
    s.time_field = fields.column(c->name, wm->at).path;
    s.time_fmt = c->type == sql_type::timestamp ? time_format::iso8601 : time_format::epoch_ms;
    if (auto f = t.get("time_format")) {
      static const std::map<std::string, time_format> fmts{{"iso8601", time_format::iso8601},
                                                           {"epoch_ms", time_format::epoch_ms},
                                                           {"epoch_s", time_format::epoch_s}};
      auto it = fmts.find(f->value);
      if (it == fmts.end())
        fail(f->at, "time_format: '" + f->value + "' is not one of iso8601, epoch_ms, epoch_s");
      s.time_fmt = it->second;
    }
    if (auto d = t.get("watermark_delay"))
      s.out_of_orderness = interval_text(d->value, d->at, "watermark_delay");
    if (auto d = t.get("idle_timeout"))
      s.idle_timeout = interval_text(d->value, d->at, "idle_timeout");
  } else {
    for (const char* k : {"watermark_delay", "idle_timeout", "time_format"})
      if (auto o = t.get(k))
        fail(o->at, std::string{k} + " needs watermark_for = 'time_column'");
  }
  where_.emplace_back("source", t.at);
  where_.emplace_back("dead_letter",
                      t.get("dead_letter_topic") ? t.get("dead_letter_topic")->at : t.at);
  for (auto [key, path] : {std::pair{"brokers", "source.brokers"},
                           {"topic", "source.topic"},
                           {"partitioned_by", "source.partitioned_by"},
                           {"idle_timeout", "source.event_time.idle_timeout"},
                           {"watermark_delay", "source.event_time.max_out_of_orderness"}})
    if (auto o = t.get(key))
      where_.emplace_back(path, o->at);
}

} // namespace weir::jobs::sql
