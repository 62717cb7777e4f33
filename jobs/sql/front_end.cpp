// SQL -> job_spec. The grammar is PostgreSQL's (pg_parser.hpp); this file gives
// its statements weir's meaning and refuses, at the spot, whatever has none.
// A translated spec is then validated by the YAML front end (through to_yaml),
// so the rules a job obeys live once, in spec_parser.cpp.
#include "jobs/sql/front_end.hpp"

#include "base/duration.hpp"
#include "jobs/sql/pg_parser.hpp"

#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <optional>

namespace weir::jobs::sql {

namespace {

struct failure {
  int offset;
  std::string message;
};

[[noreturn]] void fail(int offset, std::string message) {
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

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The last part of a qualified name list ([pg_catalog, int8] -> int8).
std::string last_name(const node& names) {
  auto parts = names.items();
  return parts.empty() ? std::string{} : parts.back()["String"]["sval"].str();
}

// ---- types ---------------------------------------------------------------

// A column's SQL type. numeric(p, s) is a decimal: read exactly, as the
// aggregate_spec's decimal_type.
struct sql_type {
  enum kind_t { text, integer, floating, decimal, boolean, timestamp, json };
  kind_t kind;
  decimal_type dec; // kind decimal: its precision and scale

  sql_type(kind_t k, decimal_type d = {}) : kind(k), dec(d) {} // implicit: a kind is a type
  bool operator==(const sql_type&) const = default;
};

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
  return t.kind == sql_type::integer || t.kind == sql_type::floating
         || t.kind == sql_type::decimal;
}

// PostgreSQL's own limit, for a store's column: weir writes numeric(38, s)
// sums there.
constexpr int store_max_precision = 1000;

// numeric(p, s), numeric(p) (scale 0) or decimal(...), which PostgreSQL names
// numeric too. `max_precision`: decimal_type's, where weir reads the values.
sql_type decimal_of(const node& type_name, int max_precision) {
  int at = type_name.loc();
  auto mods = type_name["typmods"].items();
  if (mods.empty())
    fail(at, "numeric needs a precision and scale, as in numeric(12, 2) (weir sums it exactly), "
             "or use double precision");
  if (mods.size() > 2 || std::any_of(mods.begin(), mods.end(),
                                      [](const node& m) { return !m["A_Const"]["ival"]; }))
    fail(at, "write numeric(precision, scale), as in numeric(12, 2)");
  auto p = mods[0]["A_Const"]["ival"]["ival"].integer();
  auto s = mods.size() == 2 ? mods[1]["A_Const"]["ival"]["ival"].integer() : 0;
  auto written = "numeric(" + std::to_string(p)
                 + (mods.size() == 2 ? "," + std::to_string(s) : "") + ")";
  if (p < 1 || p > max_precision)
    fail(at, written + (max_precision == decimal_type::max_precision
                          ? ": a decimal's precision is 1 to " + std::to_string(max_precision)
                              + " digits (a value is held in 64 bits, a sum in 128)"
                          : ": a numeric's precision is 1 to " + std::to_string(max_precision)
                              + " digits"));
  if (s < 0 || s > p)
    fail(at, written + ": a decimal's scale is 0 to its precision (" + std::to_string(p) + ")");
  return {sql_type::decimal, {static_cast<int>(p), static_cast<int>(s)}};
}

sql_type type_of(const node& type_name, int max_precision = decimal_type::max_precision) {
  auto n = last_name(type_name["names"]);
  int at = type_name.loc();
  if (type_name["arrayBounds"])
    fail(at, "array types are not supported");
  if (n == "text" || n == "varchar" || n == "bpchar" || n == "char" || n == "uuid")
    return sql_type::text;
  if (n == "int2" || n == "int4" || n == "int8" || n == "bigint" || n == "integer")
    return sql_type::integer;
  if (n == "float4" || n == "float8" || n == "real")
    return sql_type::floating;
  if (n == "numeric" || n == "decimal")
    return decimal_of(type_name, max_precision);
  if (n == "bool")
    return sql_type::boolean;
  if (n == "timestamp" || n == "timestamptz")
    return sql_type::timestamp;
  if (n == "json" || n == "jsonb")
    return sql_type::json;
  fail(at, "type '" + n + "' is not supported (supported: text, varchar, bigint, integer, "
           "smallint, double precision, real, numeric(p, s), boolean, timestamp, timestamptz, "
           "json, jsonb)");
}

// What a raw column of this type is declared as in SQL (for the sink's check).
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

// ---- durations -------------------------------------------------------------

millis interval_text(const std::string& text, int at, const std::string& what);

// INTERVAL '5 seconds', INTERVAL '5' SECOND, INTERVAL '1 hour 30 minutes', or
// weir's own '5s'.
millis interval_of(const node& n, const std::string& what) {
  int at = n.loc();
  if (!n.is("TypeCast") || last_name(n.body()["typeName"]["names"]) != "interval")
    fail(at, what + " must be an interval, like INTERVAL '1 minute'");
  auto body = n.body();
  auto text = body["arg"]["A_Const"]["sval"]["sval"].str();
  static const std::map<std::int64_t, millis> field_unit{
    {1 << 3, 86'400'000}, {1 << 10, 3'600'000}, {1 << 11, 60'000}, {1 << 12, 1000}};
  if (auto mods = body["typeName"]["typmods"].items(); !mods.empty()) { // INTERVAL '5' SECOND
    auto unit = field_unit.find(mods[0]["A_Const"]["ival"]["ival"].integer());
    char* end = nullptr;
    auto v = std::strtoll(text.c_str(), &end, 10);
    if (unit == field_unit.end() || end == text.c_str() || *end != '\0' || v < 0)
      fail(at, what + ": write INTERVAL 'N' DAY|HOUR|MINUTE|SECOND or INTERVAL 'N unit'");
    if (v > max_duration / unit->second)
      fail(at, what + ": '" + text + "' is longer than a century");
    return v * unit->second;
  }
  return interval_text(text, at, what);
}

millis interval_text(const std::string& text, int at, const std::string& what) {
  if (auto d = parse_duration(text))
    return *d;
  static const std::map<std::string, millis> units{
    {"millisecond", 1}, {"ms", 1}, {"second", 1000}, {"sec", 1000}, {"s", 1000},
    {"minute", 60'000}, {"min", 60'000}, {"m", 60'000}, {"hour", 3'600'000}, {"h", 3'600'000},
    {"day", 86'400'000}, {"d", 86'400'000}};
  millis total = 0;
  const char* p = text.c_str();
  bool any = false;
  while (*p) {
    while (*p == ' ')
      ++p;
    if (!*p)
      break;
    char* end = nullptr;
    auto v = std::strtoll(p, &end, 10);
    if (end == p || v < 0)
      fail(at, what + ": '" + text + "' is not an interval like '5 seconds' or '1 minute'");
    p = end;
    while (*p == ' ')
      ++p;
    std::string unit;
    while (*p && *p != ' ')
      unit += static_cast<char>(std::tolower(static_cast<unsigned char>(*p++)));
    if (unit.size() > 1 && unit.back() == 's' && units.count(unit.substr(0, unit.size() - 1)))
      unit.pop_back();
    auto u = units.find(unit);
    if (u == units.end())
      fail(at, what + ": '" + unit + "' is not a unit (milliseconds, seconds, minutes, hours, days)");
    if (v > max_duration / u->second || total > max_duration - v * u->second)
      fail(at, what + ": '" + text + "' is longer than a century");
    total += v * u->second;
    any = true;
  }
  if (!any)
    fail(at, what + ": the interval is empty");
  return total;
}

// ---- declared tables -------------------------------------------------------

struct option {
  std::string value;
  int at;
};

struct column_decl {
  std::string name;
  sql_type type;
  bool not_null = false;
  node generated; // GENERATED ALWAYS AS (expr): a lake's path level
  int at;
};

struct table_decl {
  std::string name;
  int at = -1;
  std::vector<column_decl> columns;
  std::map<std::string, option> options;
  std::vector<std::string> primary_key;
  std::vector<std::pair<std::string, int>> partition_by; // PARTITION BY LIST (...)
  int partition_at = -1;

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
  const option* get(const std::string& key) const {
    auto it = options.find(key);
    return it == options.end() ? nullptr : &it->second;
  }
  std::string connector() const { return get("connector") ? get("connector")->value : ""; }
};

table_decl read_table(const node& create) {
  table_decl t;
  t.name = create["relation"]["relname"].str();
  t.at = create["relation"].loc();
  if (create["relation"]["schemaname"])
    fail(t.at, "write the table name without a schema");
  for (const auto& o : create["options"].items()) {
    auto d = o.body();
    auto name = d["defnamespace"] ? d["defnamespace"].str() + "." + d["defname"].str()
                                  : d["defname"].str();
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
      fail(t.partition_at, "write PARTITION BY LIST (path levels, in order)");
    for (const auto& p : ps["partParams"].items()) {
      auto name = p.body()["name"].str();
      if (name.empty())
        fail(p.loc(), "name a GENERATED column here (declare the expression on the column)");
      t.partition_by.emplace_back(name, p.loc());
    }
  }
  return t;
}

// Refuses options a connector does not take.
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

// ---- expressions -----------------------------------------------------------

// A reference to event data: a path into the JSON event, with its SQL type.
struct field_ref {
  std::string path;     // a.b.c
  std::string name;     // the column it would be called: its last part
  sql_type type;
  bool not_null = false;
  bool cast = false;
  int at;
};

class scope {
public:
  scope(const table_decl& t, std::string alias) : t_(t), alias_(std::move(alias)) {}

  const table_decl& table() const { return t_; }

  // ColumnRef, a.b.c into a json column, ->/->> chains, and casts of those.
  std::optional<field_ref> field(const node& n) const {
    if (n.is("TypeCast")) {
      auto inner = field(n.body()["arg"]);
      if (!inner)
        return std::nullopt;
      inner->type = type_of(n.body()["typeName"]); // a cast reads: its decimal is decimal_type's
      inner->cast = true;
      return inner;
    }
    if (n.is("ColumnRef")) {
      std::vector<std::string> parts;
      for (const auto& f : n.body()["fields"].items()) {
        if (f.is("A_Star"))
          return std::nullopt;
        parts.push_back(f.body()["sval"].str());
      }
      if (parts.size() > 1 && (parts[0] == t_.name || parts[0] == alias_))
        parts.erase(parts.begin());
      return resolve(parts, n.loc());
    }
    if (n.is("A_Expr") && n.body()["kind"].str() == "AEXPR_OP") {
      auto op = last_name(n.body()["name"]);
      if (op != "->>" && op != "->")
        return std::nullopt;
      auto left = field(n.body()["lexpr"]);
      auto key = n.body()["rexpr"]["A_Const"]["sval"]["sval"];
      if (!left || !key)
        fail(n.loc(), "write json_column->>'field' (a field name in quotes)");
      if (left->type != sql_type::json)
        fail(n.loc(), "'" + left->path + "' is " + type_label(left->type) + ", not json: " + op
                        + " applies to a json or jsonb column");
      left->path += "." + key.str();
      left->name = key.str();
      left->type = op == "->>" ? sql_type::text : sql_type::json;
      left->not_null = false;
      return left;
    }
    return std::nullopt;
  }

  field_ref require_field(const node& n, const std::string& what) const {
    if (auto f = field(n))
      return *f;
    fail(n.loc(), what + " must be a column of " + t_.name + " (" + t_.column_list() + ")");
  }

private:
  field_ref resolve(const std::vector<std::string>& parts, int at) const {
    auto c = t_.column(parts[0]);
    if (!c)
      fail(at, "column '" + parts[0] + "' is not declared in " + t_.name + " ("
                 + t_.column_list() + ")");
    field_ref f{parts[0], parts[0], c->type, c->not_null, false, at};
    for (size_t i = 1; i < parts.size(); ++i) {
      if (f.type != sql_type::json)
        fail(at, "'" + f.path + "' is " + type_label(f.type) + ", not json: it has no field '"
                   + parts[i] + "'");
      f.path += "." + parts[i];
      f.name = parts[i];
      f.not_null = false;
    }
    if (parts.size() > 1)
      f.type = sql_type::text; // a.b reads like a->>'b'
    return f;
  }

  const table_decl& t_;
  std::string alias_;
};

std::string func_name(const node& call) {
  return lower(last_name(call["funcname"]));
}

// A literal: its text (numbers as written) and whether it is a number.
struct literal {
  std::string text;
  bool number = false;
  bool boolean = false;
  double value = 0;
};

std::optional<literal> literal_of(const node& n) {
  if (n.is("TypeCast")) // '2026-01-01'::timestamp and the like: the text as written
    return literal_of(n.body()["arg"]);
  if (!n.is("A_Const"))
    return std::nullopt;
  auto c = n.body();
  if (auto s = c["sval"])
    return literal{s["sval"].str()};
  if (auto i = c["ival"]) {
    auto v = i["ival"].integer();
    return literal{std::to_string(v), true, false, static_cast<double>(v)};
  }
  if (auto f = c["fval"]) {
    auto t = f["fval"].str();
    return literal{t, true, false, std::strtod(t.c_str(), nullptr)};
  }
  if (auto b = c["boolval"])
    return literal{b["boolval"].boolean() ? "true" : "false", false, true};
  if (c["isnull"].boolean())
    fail(n.loc(), "NULL has no place in a condition here (an absent field never matches)");
  return std::nullopt;
}

// ---- the job ----------------------------------------------------------------

struct window_call {
  window_spec window;
  std::string source;
  bool processing_time = false;
  std::optional<field_ref> time;
  int at;
};

class translator {
public:
  explicit translator(std::string_view origin) : origin_(origin) {}

  job_spec run(const node& root);

  // Where each part of the model came from, for errors the YAML validation
  // finds: the longest matching field path wins.
  int where(const std::string& path) const {
    int best = insert_at_;
    size_t best_len = 0;
    for (const auto& [p, at] : where_)
      if (path.rfind(p, 0) == 0 && p.size() >= best_len && at >= 0)
        best = at, best_len = p.size();
    return best;
  }

private:
  void set(const node& stmt);
  void windowed(const node& select, job_spec& spec);
  void raw(const node& select, const table_decl& src, job_spec& spec);
  void exported(const node& select, const table_decl& src, const table_decl& dst, job_spec& spec);
  // `proctime_at`: where the query windows by PROCTIME(), or -1.
  void source_of(const table_decl& t, job_spec& spec, int proctime_at = -1);
  window_call window_of(const node& from);
  void filters(const node& cond, const scope& sc, job_spec& spec);
  void check_declared(const table_decl& t,
                      const std::vector<std::pair<std::string, sql_type>>& outputs);
  const table_decl& table(const std::string& name, int at) const;
  void store_sink(const table_decl& t, job_spec& spec, bool raw_rows);
  void parquet_sink(const table_decl& t, job_spec& spec);

  std::string origin_;
  std::map<std::string, table_decl> tables_;
  std::map<std::string, option> settings_;
  std::vector<std::pair<std::string, int>> where_;
  int insert_at_ = 0;
};

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

void translator::set(const node& stmt) {
  auto name = stmt["name"].str();
  int at = stmt["args"].items().empty() ? -1 : stmt["args"].item(0).loc();
  if (stmt["kind"].str() != "VAR_SET_VALUE" || stmt["args"].items().size() != 1)
    fail(at, "write SET " + name + " = 'value'");
  static const std::initializer_list<std::string_view> known{
    "pipeline.name", "execution.checkpointing.interval", "state.checkpoints.dir",
    "state.checkpoints.retain"};
  if (std::find(known.begin(), known.end(), name) == known.end())
    fail(at, "SET " + name + " is not a setting (pipeline.name, execution.checkpointing.interval, "
               "state.checkpoints.dir, state.checkpoints.retain)" + did_you_mean(name, known));
  auto lit = literal_of(stmt["args"].item(0));
  if (!lit)
    fail(at, "SET " + name + " needs a literal value");
  settings_[name] = option{lit->text, at};
}

job_spec translator::run(const node& root) {
  const node* insert = nullptr;
  std::vector<node> stmts;
  for (const auto& s : root["stmts"].items())
    stmts.push_back(s["stmt"]);
  for (const auto& s : stmts) {
    if (s.is("CreateStmt")) {
      auto t = read_table(s.body());
      if (tables_.count(t.name))
        fail(t.at, "table '" + t.name + "' is declared twice");
      tables_.emplace(t.name, std::move(t));
    } else if (s.is("VariableSetStmt")) {
      set(s.body());
    } else if (s.is("InsertStmt")) {
      if (insert)
        fail(s.body()["relation"].loc(), "one job is one INSERT: put another in a file of its own");
      insert = &s;
    } else if (s.is("CreateForeignTableStmt")) {
      fail(s.loc(), "declare tables with CREATE TABLE name (...) WITH (connector = ...)");
    } else {
      fail(s.loc(), "only CREATE TABLE, SET and INSERT INTO ... SELECT make a job (got "
                      + std::string{s.kind()} + ")");
    }
  }
  if (!insert)
    fail(0, "no INSERT INTO ... SELECT: a job writes its query into a declared table");
  auto ins = insert->body();
  insert_at_ = ins["relation"].loc();
  job_spec spec;
  auto name = settings_.find("pipeline.name");
  if (name == settings_.end())
    fail(insert_at_, "name the job: SET pipeline.name = 'my-job';");
  spec.name = name->second.value;
  where_.emplace_back("name", name->second.at);
  if (ins["cols"])
    fail(ins["cols"].item(0).loc(),
         "name the columns with AS in the SELECT instead of an INSERT column list");
  const auto& sink = table(ins["relation"]["relname"].str(), insert_at_);
  where_.emplace_back("sink", sink.at);
  auto select = ins["selectStmt"]["SelectStmt"];
  if (!select || select["valuesLists"])
    fail(insert_at_, "write INSERT INTO " + sink.name + " SELECT ...");
  if (auto w = select["withClause"])
    fail(w.loc(), "WITH queries are not supported: write the subquery in FROM");
  if (select["op"].str() != "SETOP_NONE")
    fail(insert_at_, "UNION, INTERSECT and EXCEPT are not supported");

  auto from = select["fromClause"].items();
  if (from.empty())
    fail(insert_at_, "the SELECT needs a FROM");
  if (from.size() > 1 || from[0].is("JoinExpr"))
    fail(from.size() > 1 ? from[1].loc() : from[0].body()["rarg"].loc(),
         "joins are not supported yet: a job reads one source table");

  const bool grouped = select["groupClause"] || from[0].is("RangeFunction")
                       || from[0].is("RangeSubselect");
  if (grouped) {
    windowed(select, spec);
    store_sink(sink, spec, false);
  } else if (from[0].is("RangeVar")) {
    const auto& src = table(from[0].body()["relname"].str(), from[0].loc());
    where_.emplace_back("source", src.at);
    if (src.connector() == "postgres") {
      exported(select, src, sink, spec);
    } else {
      raw(select, src, spec);
      if (sink.connector() == "parquet")
        parquet_sink(sink, spec);
      else
        store_sink(sink, spec, true);
    }
  } else {
    fail(from[0].loc(), "FROM takes a declared table, a window function (TUMBLE, HOP, "
                        "SESSION) or a subquery for top-N");
  }
  if (auto o = settings_.find("execution.checkpointing.interval"); o != settings_.end()) {
    spec.checkpoints.interval =
      interval_text(o->second.value, o->second.at, "execution.checkpointing.interval");
    where_.emplace_back("checkpoints.interval", o->second.at);
  }
  if (auto o = settings_.find("state.checkpoints.dir"); o != settings_.end()) {
    spec.checkpoints.url = o->second.value;
    where_.emplace_back("checkpoints", o->second.at);
  } else if (settings_.count("execution.checkpointing.interval")
             || settings_.count("state.checkpoints.retain")) {
    fail(settings_.begin()->second.at,
         "checkpoints need a place: SET state.checkpoints.dir = 's3://bucket/prefix';");
  }
  if (auto o = settings_.find("state.checkpoints.retain"); o != settings_.end()) {
    char* end = nullptr;
    auto v = std::strtoul(o->second.value.c_str(), &end, 10);
    if (*end != '\0' || v < 2 || v > 1000)
      fail(o->second.at, "state.checkpoints.retain: expected a whole number from 2 to 1000");
    spec.checkpoints.retain = static_cast<std::uint32_t>(v);
    where_.emplace_back("checkpoints.retain", o->second.at);
  }
  if (spec.dead_letter_topic.empty() && !spec.export_job)
    spec.dead_letter_topic = spec.name + ".dlq";
  return spec;
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
                      "on " + t.name + " to accept that, or window by its watermarked column for "
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
  if (auto p = t.get("partitioned_by"))
    s.partitioned_by = p->value;
  if (auto m = t.get("on_missing_offsets")) {
    if (m->value != "fail" && m->value != "earliest")
      fail(m->at, "on_missing_offsets: '" + m->value + "' is not one of fail, earliest");
    s.on_missing_offsets = m->value == "earliest" ? missing_offsets::earliest : missing_offsets::fail;
  }
  // The watermarked column is the event time, for raw jobs too (an event
  // without one is dead-lettered).
  if (auto wm = t.get("watermark_for")) {
    auto c = t.column(wm->value);
    if (!c)
      fail(wm->at, "watermark_for: '" + wm->value + "' is not a column of " + t.name + " ("
                     + t.column_list() + ")");
    if (c->type != sql_type::timestamp && !numeric(c->type))
      fail(c->at, "the time column " + c->name + " is " + type_label(c->type)
                    + ": declare it timestamp (ISO 8601 text) or bigint (epoch ms)");
    s.time_field = c->name;
    s.time_fmt = c->type == sql_type::timestamp ? time_format::iso8601 : time_format::epoch_ms;
    if (auto f = t.get("time_format")) {
      static const std::map<std::string, time_format> fmts{
        {"iso8601", time_format::iso8601}, {"epoch_ms", time_format::epoch_ms},
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
  where_.emplace_back("dead_letter", t.get("dead_letter_topic") ? t.get("dead_letter_topic")->at : t.at);
  for (auto [key, path] : {std::pair{"brokers", "source.brokers"}, {"topic", "source.topic"},
                           {"partitioned_by", "source.partitioned_by"},
                           {"idle_timeout", "source.event_time.idle_timeout"},
                           {"watermark_delay", "source.event_time.max_out_of_orderness"}})
    if (auto o = t.get(key))
      where_.emplace_back(path, o->at);
}

window_call translator::window_of(const node& from) {
  auto calls = from.body()["functions"].items();
  auto call_items = calls.size() == 1 ? calls[0]["List"]["items"].items() : std::vector<node>{};
  if (call_items.empty() || !call_items[0].is("FuncCall"))
    fail(from.loc(), "FROM takes one window function: TUMBLE, HOP or SESSION");
  auto fn = call_items[0];
  auto call = fn.body();
  auto name = func_name(call);
  window_call w;
  w.at = fn.loc();
  std::vector<node> args;
  std::optional<node> lateness;
  for (const auto& a : call["args"].items()) {
    if (a.is("NamedArgExpr")) {
      if (a.body()["name"].str() != "allowed_lateness")
        fail(a.loc(), "the only named argument is allowed_lateness => INTERVAL '...'");
      lateness = a.body()["arg"];
    } else {
      args.push_back(a);
    }
  }
  const char* usage = name == "tumble"  ? "TUMBLE(source, time_column, size)"
                      : name == "hop"   ? "HOP(source, time_column, slide, size)"
                      : name == "session" ? "SESSION(source, time_column, gap)" : nullptr;
  if (!usage)
    fail(w.at, "'" + name + "' is not a window function: FROM takes TUMBLE(source, time, size), "
                 "HOP(source, time, slide, size) or SESSION(source, time, gap)");
  size_t want = name == "hop" ? 4 : 3;
  if (args.size() != want)
    fail(w.at, std::string{"write "} + usage);
  auto src = args[0];
  if (!src.is("ColumnRef") || src.body()["fields"].items().size() != 1)
    fail(src.loc(), std::string{"the first argument is the source table: "} + usage);
  w.source = src.body()["fields"].item(0)["String"]["sval"].str();
  const auto& t = table(w.source, src.loc());
  auto time = args[1];
  if (time.is("FuncCall") && func_name(time.body()) == "descriptor") // Flink's DESCRIPTOR(ts)
    time = time.body()["args"].items().empty() ? time : time.body()["args"].item(0);
  if (time.is("FuncCall") && func_name(time.body()) == "proctime") {
    w.processing_time = true;
  } else {
    scope sc{t, ""};
    w.time = sc.require_field(time, "the time argument");
    auto wm = t.get("watermark_for");
    if (!wm)
      fail(time.loc(), "a windowed query needs a watermark on " + w.time->path + ": declare "
                         "WITH (watermark_for = '" + w.time->path
                         + "', watermark_delay = '5 seconds') on " + t.name
                         + ", or window by PROCTIME()");
    if (wm->value != w.time->path)
      fail(time.loc(), t.name + "'s watermark is on '" + wm->value + "', not '" + w.time->path
                         + "': window by the watermarked column");
  }
  auto& win = w.window;
  if (name == "tumble") {
    win.kind = window_kind::tumbling;
    win.size = interval_of(args[2], "the window size");
    win.slide = win.size;
  } else if (name == "hop") {
    win.kind = window_kind::hopping;
    win.slide = interval_of(args[2], "the slide");
    win.size = interval_of(args[3], "the window size");
  } else {
    win.kind = window_kind::session;
    win.gap = interval_of(args[2], "the session gap");
  }
  if (lateness)
    win.allowed_lateness = interval_of(*lateness, "allowed_lateness");
  where_.emplace_back("window", w.at);
  return w;
}

void translator::filters(const node& cond, const scope& sc, job_spec& spec) {
  if (!cond)
    return;
  if (cond.is("BoolExpr")) {
    auto op = cond.body()["boolop"].str();
    if (op == "OR_EXPR")
      fail(cond.loc(), "OR is not supported: conditions are joined by AND (for one column, "
                       "use IN (...))");
    if (op == "NOT_EXPR")
      fail(cond.loc(), "NOT is not supported: use <> or NOT IN (...)");
    for (const auto& a : cond.body()["args"].items())
      filters(a, sc, spec);
    return;
  }
  if (!cond.is("A_Expr"))
    fail(cond.loc(), "a condition compares a column with a literal: =, <>, <, <=, >, >=, IN, "
                     "NOT IN");
  auto e = cond.body();
  auto kind = e["kind"].str();
  auto op = last_name(e["name"]);
  auto f = sc.field(e["lexpr"]);
  if (!f)
    fail(cond.loc(), "put the column on the left: column " + op + " literal");
  filter_spec out;
  out.field = f->path;
  auto check_eq = [&](const literal& l, int at) {
    if (l.number && !numeric(f->type))
      fail(at, "type mismatch: " + f->path + " is " + type_label(f->type)
                 + ", compared with the number " + l.text + " (quote it: '" + l.text + "')");
    if (!l.number && !l.boolean && numeric(f->type))
      fail(at, "type mismatch: " + f->path + " is " + type_label(f->type) + ", compared with the "
                 "text '" + l.text + "'");
    if (l.boolean != (f->type == sql_type::boolean))
      fail(at, "type mismatch: " + f->path + " is " + type_label(f->type) + ", compared with "
                 + l.text);
  };
  if (kind == "AEXPR_IN") {
    out.op = op == "=" ? filter_op::in : filter_op::not_in;
    for (const auto& v : e["rexpr"]["List"]["items"].items()) {
      auto l = literal_of(v);
      if (!l)
        fail(v.loc(), "IN takes a list of literals");
      check_eq(*l, v.loc());
      out.values.push_back(l->text);
    }
  } else if (kind == "AEXPR_OP") {
    auto l = literal_of(e["rexpr"]);
    if (!l)
      fail(e["rexpr"].loc(), "compare with a literal (a string in quotes or a number)");
    static const std::map<std::string, filter_op> ops{
      {"=", filter_op::eq}, {"<>", filter_op::ne}, {"!=", filter_op::ne}, {">", filter_op::gt},
      {">=", filter_op::ge}, {"<", filter_op::lt}, {"<=", filter_op::le}};
    auto it = ops.find(op);
    if (it == ops.end())
      fail(cond.loc(), "operator " + op + " is not supported in WHERE (=, <>, <, <=, >, >=, IN, "
                       "NOT IN)");
    out.op = it->second;
    if (out.op == filter_op::eq || out.op == filter_op::ne) {
      check_eq(*l, e["rexpr"].loc());
      out.values.push_back(l->text);
    } else {
      if (!numeric(f->type) || !l->number)
        fail(cond.loc(), "type mismatch: " + op + " compares numbers; " + f->path + " is "
                           + type_label(f->type) + (l->number ? "" : " and '" + l->text + "' is text"));
      out.number = l->value;
    }
  } else {
    fail(cond.loc(), "this condition is not supported (=, <>, <, <=, >, >=, IN, NOT IN)");
  }
  where_.emplace_back("where[" + std::to_string(spec.filters.size()) + "]", cond.loc());
  spec.filters.push_back(std::move(out));
}

// A target's output name: its alias, else what PostgreSQL would call it.
std::string output_name(const node& target, const std::string& fallback) {
  auto alias = target.body()["name"].str();
  return alias.empty() ? fallback : alias;
}

struct aggregate_target {
  aggregate_spec agg;
  node call;
};

void translator::windowed(const node& select_in, job_spec& spec) {
  // Top-N: SELECT ... FROM (SELECT ..., ROW_NUMBER() OVER (...) AS rank FROM ...) AS t
  // WHERE rank <= N, with the ranked query either the aggregation itself or
  // SELECT *, ROW_NUMBER() ... FROM (the aggregation) AS a.
  node select = select_in;
  node ranked;
  std::optional<std::pair<node, node>> rank_target; // (target, its OVER)
  auto find_rank = [&](const node& sel) {
    for (const auto& t : sel["targetList"].items()) {
      auto v = t.body()["val"];
      if (v.is("FuncCall") && v.body()["over"]) {
        if (func_name(v.body()) != "row_number")
          fail(v.loc(), "the only window function is ROW_NUMBER() (top-N per window)");
        rank_target = std::pair{t, v};
      }
    }
  };
  bool rank_apart = false; // SELECT *, ROW_NUMBER() ... FROM (the aggregation)
  auto from0 = select["fromClause"].item(0);
  if (from0.is("RangeSubselect")) {
    ranked = from0.body()["subquery"]["SelectStmt"];
    find_rank(ranked);
    if (!rank_target)
      fail(from0.loc(), "a subquery in FROM is only for top-N: SELECT * FROM (SELECT ..., "
                        "ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY x "
                        "DESC) AS rank FROM ...) AS t WHERE rank <= N");
    auto inner_from = ranked["fromClause"].items();
    if (inner_from.empty())
      fail(from0.loc(), "the ranking query needs a FROM");
    if (inner_from.size() != 1 || inner_from[0].is("JoinExpr"))
      fail(inner_from.size() > 1 ? inner_from[1].loc() : inner_from[0].body()["rarg"].loc(), "joins are not supported yet: a job reads one source table");
    rank_apart = inner_from[0].is("RangeSubselect");
    select = rank_apart ? inner_from[0].body()["subquery"]["SelectStmt"] : ranked;
  } else {
    find_rank(select);
    if (rank_target)
      fail(rank_target->second.loc(), "filter on the rank in an outer query: SELECT * FROM "
                                      "(... ROW_NUMBER() OVER (...) AS rank ...) AS t WHERE "
                                      "rank <= N");
  }

  if (rank_apart)
    for (const auto& t : ranked["targetList"].items()) { // SELECT *, ROW_NUMBER() ...
      auto v = t.body()["val"];
      bool star = v.is("ColumnRef") && v.body()["fields"].last().is("A_Star");
      if (!star && !(v.is("FuncCall") && v.body()["over"]))
        fail(t.loc(), "the ranking query selects *, ROW_NUMBER() OVER (...) AS rank");
    }
  auto from = select["fromClause"].items();
  if (from.empty())
    fail(select_in.loc() >= 0 ? select_in.loc() : insert_at_, "the aggregation needs a FROM");
  if (from.size() != 1 || from[0].is("JoinExpr"))
    fail(from.size() > 1 ? from[1].loc() : from[0].body()["rarg"].loc(),
         "joins are not supported yet: a job reads one source table");
  if (!from[0].is("RangeFunction")) {
    int at = from[0].loc();
    fail(at, "an aggregation needs a window: FROM TUMBLE(source, time_column, INTERVAL '1 "
             "minute') (or HOP, SESSION)");
  }
  for (auto [clause, why] : {std::pair{"havingClause", "HAVING is not supported"},
                             {"sortClause", "ORDER BY is not supported (for top-N per window, "
                                            "use ROW_NUMBER())"},
                             {"limitCount", "LIMIT is not supported (for top-N per window, use "
                                            "ROW_NUMBER())"},
                             {"distinctClause", "SELECT DISTINCT is not supported"}})
    for (const node* s : std::initializer_list<const node*>{&select_in, &select, &ranked})
      if (*s && (*s)[clause])
        fail((*s)[clause].loc() >= 0 ? (*s)[clause].loc() : insert_at_, why);

  auto w = window_of(from[0]);
  const auto& src = table(w.source, w.at);
  source_of(src, spec, w.processing_time ? w.at : -1);
  spec.window = w.window;
  if (w.processing_time) { // PROCTIME() wins over the table's watermark
    source_spec p;
    p.brokers = spec.source.brokers;
    p.topic = spec.source.topic;
    p.partitioned_by = spec.source.partitioned_by;
    p.on_missing_offsets = spec.source.on_missing_offsets;
    p.mode = time_mode::processing;
    spec.source = p;
  }

  scope sc{src, from[0].body()["alias"]["aliasname"].str()};
  filters(select["whereClause"], sc, spec);

  // GROUP BY: window_start and window_end, then the key.
  bool has_start = false, has_end = false;
  std::vector<std::pair<field_ref, node>> keys;
  for (const auto& g : select["groupClause"].items()) {
    if (g.is("ColumnRef") && g.body()["fields"].items().size() == 1) {
      auto n = g.body()["fields"].item(0)["String"]["sval"].str();
      if (n == "window_start" || n == "window_end") {
        (n == "window_start" ? has_start : has_end) = true;
        continue;
      }
    }
    auto f = sc.require_field(g, "a GROUP BY item");
    keys.emplace_back(f, g);
  }
  if (!has_start || !has_end)
    fail(select["groupClause"] ? select["groupClause"].item(0).loc() : w.at,
         "GROUP BY window_start, window_end (and the key columns): every group is one window");

  // The select list: window bounds, key columns (renamed by AS), aggregates.
  std::vector<aggregate_target> aggs;
  std::vector<std::string> key_names(keys.size());
  for (size_t i = 0; i < keys.size(); ++i)
    key_names[i] = keys[i].first.name;
  auto same_field = [&](const node& a, const std::string& path) {
    auto g = sc.field(a);
    return g && g->path == path;
  };
  for (const auto& t : select["targetList"].items()) {
    auto v = t.body()["val"];
    int at = t.loc();
    if (v.is("ColumnRef") && v.body()["fields"].items().size() == 1
        && v.body()["fields"].item(0).is("String")) {
      auto n = v.body()["fields"].item(0)["String"]["sval"].str();
      if (n == "window_start" || n == "window_end") {
        if (auto alias = t.body()["name"].str(); !alias.empty() && alias != n)
          fail(at, n + " keeps its name (weir's results tables always have window_start and "
                       "window_end)");
        continue;
      }
    }
    if (v.is("ColumnRef") && v.body()["fields"].last().is("A_Star"))
      fail(at, "list the columns of an aggregation: window_start, window_end, the GROUP BY "
               "columns and the aggregates");
    if (v.is("FuncCall") && v.body()["over"])
      continue; // the rank, checked below
    if (v.is("FuncCall")) {
      auto call = v.body();
      auto fn = func_name(call);
      static const std::map<std::string, agg_kind> kinds{
        {"count", agg_kind::count}, {"sum", agg_kind::sum}, {"avg", agg_kind::avg},
        {"min", agg_kind::min}, {"max", agg_kind::max},
        {"approx_count_distinct", agg_kind::approx_count_distinct}};
      auto k = kinds.find(fn);
      if (k == kinds.end())
        fail(v.loc(), "function '" + fn + "' is not supported; the aggregates are count(*), "
                        "sum(x), avg(x), min(x), max(x), count(DISTINCT x), "
                        "approx_count_distinct(x)");
      if (call["agg_filter"])
        fail(v.loc(), "FILTER (WHERE ...) is not supported: put the condition in WHERE");
      if (call["agg_order"])
        fail(v.loc(), "ORDER BY inside an aggregate is not supported");
      aggregate_spec a;
      a.kind = k->second;
      auto args = call["args"].items();
      if (a.kind == agg_kind::count && call["agg_star"].boolean()) {
        if (call["agg_distinct"].boolean())
          fail(v.loc(), "count(DISTINCT *) is not supported: count(DISTINCT column)");
      } else {
        if (args.size() != 1)
          fail(v.loc(), fn + " takes one column");
        auto f = sc.require_field(args[0], fn + "'s argument");
        if (a.kind == agg_kind::count) {
          if (!call["agg_distinct"].boolean())
            fail(v.loc(), "count(" + f.path + ") is not supported: count(*) counts the window's "
                          "events, count(DISTINCT " + f.path + ") its distinct values");
          a.kind = agg_kind::count_distinct;
        } else if (call["agg_distinct"].boolean()) {
          fail(v.loc(), fn + "(DISTINCT ...) is not supported (count(DISTINCT x) is)");
        }
        const bool of_numbers = a.kind == agg_kind::sum || a.kind == agg_kind::avg
                                || a.kind == agg_kind::min || a.kind == agg_kind::max;
        if (of_numbers && !numeric(f.type))
          fail(args[0].loc(), "type mismatch: " + fn + " needs a number, and " + f.path + " is "
                                + type_label(f.type) + " (cast it: " + f.path
                                + "::double precision)");
        if (of_numbers && f.type.kind == sql_type::decimal)
          a.decimal = f.type.dec; // read and summed exactly
        a.field = f.path;
      }
      a.as = t.body()["name"].str();
      if (a.as.empty())
        fail(at, "name the aggregate: " + fn + "(...) AS name");
      where_.emplace_back("aggregations[" + std::to_string(aggs.size()) + "]", at);
      aggs.push_back({std::move(a), v});
      continue;
    }
    bool matched = false;
    for (size_t i = 0; i < keys.size(); ++i)
      if (same_field(v, keys[i].first.path)) {
        key_names[i] = output_name(t, keys[i].first.name);
        matched = true;
      }
    if (!matched) {
      if (auto f = sc.field(v))
        fail(at, f->path + " is neither in GROUP BY nor aggregated");
      fail(at, "a select item of an aggregation is window_start, window_end, a GROUP BY column "
               "or an aggregate");
    }
  }
  if (aggs.empty())
    fail(insert_at_, "an aggregation needs at least one aggregate, such as count(*) AS events");
  for (size_t i = 0; i < keys.size(); ++i) {
    // The source table's column type says what JSON the key part is: 17
    // and "17" are then two things, and the wrong one is dead-lettered.
    // A cast key (CAST(x AS text)) and a field inside a json column
    // (device->>'os', text of any JSON value in PostgreSQL) take what is
    // there, as written.
    const bool as_written = keys[i].first.cast || keys[i].first.path.find('.') != std::string::npos;
    const auto t = as_written ? sql_type::json : keys[i].first.type;
    spec.key.emplace_back(key_names[i], keys[i].first.path,
                          t == sql_type::integer ? key_type::integer
                          : t == sql_type::text  ? key_type::string
                                                 : key_type::any);
    where_.emplace_back("key[" + std::to_string(i) + "]", keys[i].second.loc());
  }
  for (auto& a : aggs)
    spec.aggregations.push_back(a.agg);

  if (!rank_target)
    return;
  // ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY agg DESC) AS rank
  auto [target, call] = *rank_target;
  auto over = call.body()["over"];
  int at = call.loc();
  where_.emplace_back("top", at);
  if (target.body()["name"].str() != "rank")
    fail(target.loc(), "name the row number rank (ROW_NUMBER() OVER (...) AS rank): weir's "
                       "results tables call that column rank");
  std::vector<std::string> parts;
  for (const auto& p : over["partitionClause"].items())
    parts.push_back(p.is("ColumnRef") ? p.body()["fields"].item(0)["String"]["sval"].str() : "?");
  std::sort(parts.begin(), parts.end());
  if (parts != std::vector<std::string>{"window_end", "window_start"}
      && parts != std::vector<std::string>{"window_start"})
    fail(at, "ranks are per window: PARTITION BY window_start, window_end");
  auto order = over["orderClause"].items();
  if (order.size() != 1)
    fail(at, "ORDER BY one aggregate, DESC (rank 1 is the largest)");
  auto by = order[0].body();
  if (by["sortby_dir"].str() != "SORTBY_DESC")
    fail(order[0].loc(), "ORDER BY ... DESC: rank 1 is the largest (weir keeps the top N)");
  auto key = by["node"];
  std::string by_name;
  if (key.is("ColumnRef") && key.body()["fields"].items().size() == 1)
    by_name = key.body()["fields"].item(0)["String"]["sval"].str();
  for (const auto& a : aggs) {
    auto same_call = key.is("FuncCall") && func_name(key.body()) == func_name(a.call.body())
                     && key.body()["agg_star"].boolean() == a.call.body()["agg_star"].boolean()
                     && key.body()["agg_distinct"].boolean() == a.call.body()["agg_distinct"].boolean()
                     && (a.agg.field.empty()
                         || (key.body()["args"].items().size() == 1
                             && same_field(key.body()["args"].item(0), a.agg.field)));
    if (a.agg.as == by_name || same_call)
      spec.top.by = a.agg.as;
  }
  if (spec.top.by.empty())
    fail(key.loc(), "ORDER BY names an aggregate of the query (its alias)");
  // The outer query: WHERE rank <= N (or < N + 1).
  auto cond = select_in["whereClause"];
  if (!cond || !cond.is("A_Expr") || cond.body()["kind"].str() != "AEXPR_OP")
    fail(select_in.loc() >= 0 ? select_in.loc() : at, "keep the top N: WHERE rank <= N");
  auto op = last_name(cond.body()["name"]);
  auto lhs = cond.body()["lexpr"];
  auto n = literal_of(cond.body()["rexpr"]);
  if (!lhs.is("ColumnRef") || lhs.body()["fields"].last()["String"]["sval"].str() != "rank"
      || (op != "<=" && op != "<") || !n || !n->number)
    fail(cond.loc(), "keep the top N: WHERE rank <= N");
  auto limit = static_cast<long long>(n->value) - (op == "<" ? 1 : 0);
  if (limit < 1 || limit > 100'000)
    fail(cond.loc(), "N must be from 1 to 100000");
  spec.top.n = static_cast<std::uint32_t>(limit);
  for (const auto& t : select_in["targetList"].items()) {
    auto v = t.body()["val"];
    if (v.is("ColumnRef") && v.body()["fields"].last().is("A_Star"))
      continue;
    auto name = v.is("ColumnRef") ? v.body()["fields"].last()["String"]["sval"].str() : "";
    bool known = name == "window_start" || name == "window_end" || name == "rank"
                 || std::any_of(spec.key.begin(), spec.key.end(),
                                [&](const key_spec& k) { return k.name == name; })
                 || std::any_of(spec.aggregations.begin(), spec.aggregations.end(),
                                [&](const aggregate_spec& a) { return a.as == name; });
    if (!known || !t.body()["name"].str().empty())
      fail(t.loc(), "the outer query selects * or columns of the ranked query, unrenamed");
  }
}

void translator::raw(const node& select, const table_decl& src, job_spec& spec) {
  source_of(src, spec);
  for (auto [clause, why] : {std::pair{"havingClause", "HAVING needs a GROUP BY"},
                             {"sortClause", "ORDER BY is not supported: rows land as they come"},
                             {"limitCount", "LIMIT is not supported in a streaming job"},
                             {"distinctClause", "SELECT DISTINCT is not supported"}})
    if (select[clause])
      fail(select[clause].loc() >= 0 ? select[clause].loc() : insert_at_, why);
  scope sc{src, select["fromClause"].item(0).body()["alias"]["aliasname"].str()};
  filters(select["whereClause"], sc, spec);
  for (const auto& t : select["targetList"].items()) {
    auto v = t.body()["val"];
    if (v.is("ColumnRef") && v.body()["fields"].last().is("A_Star")) {
      for (const auto& c : src.columns)
        spec.columns.push_back({c.name, c.name, column_type_of(c.type), !c.not_null});
      continue;
    }
    if (v.is("FuncCall"))
      fail(v.loc(), "a raw job keeps columns as they are (an aggregate needs a window: FROM "
                    "TUMBLE(...) ... GROUP BY window_start, window_end)");
    auto f = sc.require_field(v, "a select item");
    where_.emplace_back("columns[" + std::to_string(spec.columns.size()) + "]", t.loc());
    spec.columns.push_back({output_name(t, f.name), f.path, column_type_of(f.type), !f.not_null});
  }
}

void translator::exported(const node& select, const table_decl& src, const table_decl& dst,
                          job_spec& spec) {
  check_options(src, {"connector", "url", "table"});
  if (dst.connector() != "parquet" || !dst.get("every"))
    fail(dst.at, "a postgres table is read by a scheduled export: declare " + dst.name
                   + " WITH (connector = 'parquet', url = 's3://bucket/prefix', every = '5 "
                     "minutes')");
  check_options(dst, {"connector", "url", "every"});
  if (select["whereClause"])
    fail(select["whereClause"].loc(), "an export takes every row not exported yet (no WHERE)");
  export_spec e;
  e.pg_url = required_option(src, "url", "'postgresql://...'").value;
  e.table = src.get("table") ? src.get("table")->value : src.name;
  if (src.primary_key.size() != 1)
    fail(src.at, src.name + " needs a one-column PRIMARY KEY: the export marks rows by it");
  e.key = src.primary_key[0];
  scope sc{src, ""};
  std::vector<std::pair<std::string, sql_type>> outputs;
  for (const auto& t : select["targetList"].items()) {
    auto v = t.body()["val"];
    std::vector<const column_decl*> cols;
    if (v.is("ColumnRef") && v.body()["fields"].last().is("A_Star")) {
      for (const auto& c : src.columns)
        cols.push_back(&c);
    } else {
      auto f = sc.require_field(v, "a select item");
      if (f.path.find('.') != std::string::npos || f.cast || !t.body()["name"].str().empty())
        fail(t.loc(), "an export copies columns as they are in " + src.name);
      cols.push_back(src.column(f.path));
    }
    for (const auto* c : cols) {
      e.columns.push_back({c->name, c->name, column_type_of(c->type), !c->not_null});
      // A decimal is exported as a double, as a raw job writes it.
      outputs.emplace_back(c->name, c->type.kind == sql_type::decimal ? sql_type::floating
                                                                      : c->type);
    }
  }
  check_declared(dst, outputs);
  auto url = required_option(dst, "url", "'s3://bucket/prefix'");
  if (!set_export_target(e, url.value))
    fail(url.at, "url: expected s3://bucket/prefix, got '" + url.value + "'");
  e.every = interval_text(dst.get("every")->value, dst.get("every")->at, "every");
  where_.emplace_back("export", dst.at);
  where_.emplace_back("export.from", src.at);
  spec.export_job = std::move(e);
}

// A sink's declared columns, when it declares any, are exactly the query's
// output, with compatible types.
void translator::check_declared(const table_decl& t,
                                const std::vector<std::pair<std::string, sql_type>>& outputs) {
  std::vector<const column_decl*> plain;
  for (const auto& c : t.columns)
    if (!c.generated)
      plain.push_back(&c);
  if (plain.empty())
    return;
  auto family = [](sql_type x) { return x == sql_type::json ? sql_type{sql_type::text} : x; };
  for (const auto* c : plain) {
    auto o = std::find_if(outputs.begin(), outputs.end(),
                          [&](const auto& p) { return p.first == c->name; });
    if (o == outputs.end())
      fail(c->at, "column '" + c->name + "' of " + t.name + " is not an output of the query");
    if (family(o->second) != family(c->type))
      fail(c->at, "type mismatch: " + t.name + "." + c->name + " is declared "
                    + type_label(c->type) + ", and the query writes " + type_label(o->second));
  }
  for (const auto& [name, type] : outputs)
    if (!t.column(name))
      fail(t.at, "the query writes column '" + name + "', which " + t.name + " does not declare ("
                   + std::string{type_label(type)} + ")");
}

// An aggregate's results column, as the stores declare it.
sql_type result_type(const aggregate_spec& a) {
  if (a.kind == agg_kind::count || a.kind == agg_kind::count_distinct
      || a.kind == agg_kind::approx_count_distinct)
    return sql_type::integer;
  if (const auto d = result_decimal(a))
    return {sql_type::decimal, d};
  return sql_type::floating;
}

void translator::store_sink(const table_decl& t, job_spec& spec, bool raw_rows) {
  const auto connector = t.connector();
  const bool results_store = connector == "clickhouse" || connector == "mysql";
  if (connector != "postgres" && (raw_rows || !results_store)) {
    if (connector == "parquet" && !raw_rows)
      fail(t.at, t.name + ": a parquet sink keeps every event; an aggregation writes to "
                          "connector = 'postgres', 'clickhouse' or 'mysql'");
    fail(t.at, t.name + " needs WITH (connector = 'postgres', url = '...')"
                 + (raw_rows ? " or connector = 'parquet'" : ", 'clickhouse' or 'mysql'"));
  }
  if (results_store)
    check_options(t, {"connector", "url", "table", "partials_url"});
  else
    check_options(t, {"connector", "url", "table"});
  spec.sink.type = raw_rows ? "postgres_raw" : connector;
  spec.sink.url = required_option(t, "url", "'postgresql://...'").value;
  spec.sink.table = t.get("table") ? t.get("table")->value : t.name;
  if (auto p = t.get("partials_url")) {
    spec.sink.partials_url = p->value;
    where_.emplace_back("sink.partials_url", p->at);
  }
  std::vector<std::pair<std::string, sql_type>> outputs;
  if (raw_rows) {
    if (t.primary_key.size() != 1)
      fail(t.at, t.name + " needs a PRIMARY KEY column that identifies an event (a replay then "
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

void translator::parquet_sink(const table_decl& t, job_spec& spec) {
  check_options(t, {"connector", "url", "codec", "max_file_mb"});
  spec.sink.type = "parquet";
  spec.sink.url = required_option(t, "url", "'s3://bucket/prefix'").value;
  if (auto c = t.get("codec"))
    spec.sink.codec = c->value;
  if (auto m = t.get("max_file_mb")) {
    char* end = nullptr;
    spec.sink.max_file_mb = std::strtoull(m->value.c_str(), &end, 10);
    if (*end != '\0' || spec.sink.max_file_mb == 0)
      fail(m->at, "max_file_mb: expected a whole number");
  }
  std::vector<std::pair<std::string, sql_type>> outputs;
  for (const auto& c : spec.columns)
    outputs.emplace_back(c.name, sql_type_of(c.type));
  check_declared(t, outputs);
  // The path levels: GENERATED columns, in the order of PARTITION BY LIST.
  for (const auto& c : t.columns)
    if (c.generated && std::none_of(t.partition_by.begin(), t.partition_by.end(),
                                    [&](const auto& p) { return p.first == c.name; }))
      fail(c.at, "generated column '" + c.name + "' is a path level: list it in PARTITION BY "
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

// Where a byte offset is: 1-based line and column, and the line's text.
struct position {
  int line = 1, column = 1;
  std::string_view text;
};

position position_of(std::string_view text, int offset) {
  offset = std::clamp(offset, 0, static_cast<int>(text.size()));
  position p;
  size_t start = 0;
  for (int i = 0; i < offset; ++i)
    if (text[i] == '\n')
      ++p.line, start = i + 1;
  auto end = text.find('\n', start);
  p.text = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  p.column = offset - static_cast<int>(start) + 1;
  return p;
}

std::string located(std::string_view origin, std::string_view text, int offset,
                    const std::string& why) {
  auto p = position_of(text, offset);
  std::string caret;
  for (int i = 1; i < p.column; ++i)
    caret += p.text[i - 1] == '\t' ? '\t' : ' ';
  return std::string{origin} + ":" + std::to_string(p.line) + ":" + std::to_string(p.column)
         + ": " + why + "\n  " + std::string{p.text} + "\n  " + caret + "^";
}

} // namespace

bool looks_like_sql(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    } else if (text.substr(i, 2) == "--") {
      auto nl = text.find('\n', i);
      i = nl == std::string_view::npos ? text.size() : nl + 1;
    } else if (text.substr(i, 2) == "/*") {
      auto close = text.find("*/", i + 2);
      i = close == std::string_view::npos ? text.size() : close + 2;
    } else {
      break;
    }
  }
  std::string word;
  while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i++])));
  bool ends = i == text.size() || std::isspace(static_cast<unsigned char>(text[i]));
  return ends && (word == "create" || word == "set" || word == "insert");
}

expected<job_spec> parse_sql(std::string_view text, std::string_view origin) {
  auto tree = parse_tree(text);
  if (!tree)
    return error{std::string{origin} + ": " + tree.error_message()};
  if (!tree->error.empty())
    return error{located(origin, text, tree->error_offset, tree->error)};
  simdjson::dom::parser json;
  simdjson::dom::element root;
  if (auto err = json.parse(tree->json).get(root))
    return error{std::string{origin} + ": unreadable parse tree: " + simdjson::error_message(err)};
  translator t{origin};
  job_spec spec;
  try {
    spec = t.run(node{root});
  } catch (const failure& f) {
    return error{located(origin, text, f.offset, f.message)};
  }
  // The one validation: the YAML front end's, on the same model.
  auto yaml = to_yaml(spec);
  auto checked = parse_spec(yaml, "sql");
  if (!checked) {
    // "sql:LINE: field.path: why" -> the SQL construct that set field.path
    const auto& msg = checked.error_message();
    auto rest = msg.substr(msg.find(": ") + 2);
    auto path = rest.substr(0, rest.find(": "));
    return error{located(origin, text, t.where(path), rest)};
  }
  if (!(*checked == spec))
    return error{std::string{origin} + ": internal error: the SQL front end's model does not "
                 "survive the YAML validation unchanged:\n" + yaml};
  return spec;
}

} // namespace weir::jobs::sql
