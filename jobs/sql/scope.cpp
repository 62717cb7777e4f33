// Columns of the table a query reads (a.b.c into a json column, ->>, casts),
// literals, intervals, and the WHERE conditions made of them.
#include "jobs/sql/translator.hpp"

#include "base/duration.hpp"

#include <cctype>
#include <cstdlib>

namespace weir::jobs::sql {

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string last_name(const node& names) {
  auto parts = names.items();
  return parts.empty() ? std::string{} : parts.back()["String"]["sval"].str();
}

std::string func_name(const node& call) {
  return lower(last_name(call["funcname"]));
}

std::string table_decl::case_hint(const std::string& name) const {
  for (const auto& c : columns)
    if (c.name != name && lower(c.name) == lower(name)) {
      const bool quoted_column = c.name != lower(c.name);
      return quoted_column
               ? ": PostgreSQL folds unquoted names to lower case, and " + this->name
                   + " declares \"" + c.name + "\" quoted; write \"" + c.name
                   + "\" with its double quotes, or declare it unquoted"
               : ": " + this->name + " declares '" + c.name + "' (unquoted names fold to lower "
                   + "case); a name in double quotes (\"" + name + "\") or in an option's "
                   + "text keeps its case: write " + c.name;
    }
  return {};
}

std::optional<field_ref> scope::field(const node& n) const {
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

field_ref scope::require_field(const node& n, const std::string& what) const {
  if (auto f = field(n))
    return *f;
  fail(n.loc(), what + " must be a column of " + t_.name + " (" + t_.column_list() + ")");
}

bool scope::refers_to(const node& n, const std::string& path) const {
  auto f = field(n);
  return f && f->path == path;
}

field_ref scope::resolve(const std::vector<std::string>& parts, int at) const {
  auto c = t_.column(parts[0]);
  if (!c)
    fail(at, "column '" + parts[0] + "' is not declared in " + t_.name + " (" + t_.column_list()
               + ")" + t_.case_hint(parts[0]));
  field_ref f{parts[0], parts[0], c->type, c->not_null, false, at};
  if (c->generated) {
    // Another name for a field of the event, typed as declared.
    if (in_generated_)
      fail(at, "a generated column reads a declared column, not another generated one ('" + parts[0]
                 + "')");
    scope inner{t_, alias_};
    inner.in_generated_ = true;
    auto g = inner.field(c->generated);
    if (!g)
      fail(c->generated.loc(),
           "a generated column of a source table names a field of the event: GENERATED ALWAYS "
           "AS (json_column->>'field'), a.b.c, or a cast of one (computed expressions are not "
           "supported yet)");
    f.path = g->path;
    f.cast = true;
  }
  bool declared = false; // the last part's type was declared (ROW<...>)
  for (size_t i = 1; i < parts.size(); ++i) {
    if (f.type != sql_type::json)
      fail(at, "'" + f.path + "' is " + type_label(f.type) + ", not json: it has no field '"
                 + parts[i] + "'");
    f.path += "." + parts[i];
    f.name = parts[i];
    f.not_null = false;
    declared = false;
    if (const auto* d = t_.nested_field(f.path)) {
      f.path = d->first;
      f.name = f.path.substr(f.path.rfind('.') + 1);
      f.type = d->second;
      declared = true;
    }
  }
  if (parts.size() > 1 && !declared)
    f.type = sql_type::text; // a.b reads like a->>'b'
  return f;
}

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

std::string output_name(const node& target, const std::string& fallback) {
  auto alias = target.body()["name"].str();
  return alias.empty() ? fallback : alias;
}

millis interval_of(const node& n, const std::string& what) {
  int at = n.loc();
  if (!n.is("TypeCast") || last_name(n.body()["typeName"]["names"]) != "interval")
    fail(at, what + " must be an interval, like INTERVAL '1 minute'");
  auto body = n.body();
  auto text = body["arg"]["A_Const"]["sval"]["sval"].str();
  static const std::map<std::int64_t, millis> field_unit{{1 << 3, 86'400'000},
                                                         {1 << 10, 3'600'000},
                                                         {1 << 11, 60'000},
                                                         {1 << 12, 1000}};
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
  static const std::map<std::string, millis> units{{"millisecond", 1},  {"ms", 1},
                                                   {"second", 1000},    {"sec", 1000},
                                                   {"s", 1000},         {"minute", 60'000},
                                                   {"min", 60'000},     {"m", 60'000},
                                                   {"hour", 3'600'000}, {"h", 3'600'000},
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
      fail(at,
           what + ": '" + unit + "' is not a unit (milliseconds, seconds, minutes, hours, days)");
    if (v > max_duration / u->second || total > max_duration - v * u->second)
      fail(at, what + ": '" + text + "' is longer than a century");
    total += v * u->second;
    any = true;
  }
  if (!any)
    fail(at, what + ": the interval is empty");
  return total;
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
      fail(at, "type mismatch: " + f->path + " is " + type_label(f->type)
                 + ", compared with the "
                   "text '"
                 + l.text + "'");
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
    static const std::map<std::string, filter_op> ops{{"=", filter_op::eq},  {"<>", filter_op::ne},
                                                      {"!=", filter_op::ne}, {">", filter_op::gt},
                                                      {">=", filter_op::ge}, {"<", filter_op::lt},
                                                      {"<=", filter_op::le}};
    auto it = ops.find(op);
    if (it == ops.end())
      fail(cond.loc(), "operator " + op
                         + " is not supported in WHERE (=, <>, <, <=, >, >=, IN, "
                           "NOT IN)");
    out.op = it->second;
    if (out.op == filter_op::eq || out.op == filter_op::ne) {
      check_eq(*l, e["rexpr"].loc());
      out.values.push_back(l->text);
    } else {
      if (!numeric(f->type) || !l->number)
        fail(cond.loc(), "type mismatch: " + op + " compares numbers; " + f->path + " is "
                           + type_label(f->type)
                           + (l->number ? "" : " and '" + l->text + "' is text"));
      out.number = l->value;
    }
  } else {
    fail(cond.loc(), "this condition is not supported (=, <>, <, <=, >, >=, IN, NOT IN)");
  }
  where_.emplace_back("where[" + std::to_string(spec.filters.size()) + "]", cond.loc());
  spec.filters.push_back(std::move(out));
}

} // namespace weir::jobs::sql
