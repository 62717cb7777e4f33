// YAML -> job_spec. This file reads the text: every rejection of it names the
// origin, line, field path and reason; unknown fields are errors (with a
// suggestion) because a typo silently ignored is a job that runs with
// defaults nobody asked for. The rules of the model are validate()'s
// (validate.cpp), shown at the line of the field they name.
#include "base/duration.hpp"
#include "jobs/connectors.hpp"
#include "jobs/spec.hpp"
#include "jobs/validate.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <numeric>
#include <regex>

namespace weir::jobs {

const char* to_string(agg_kind k) {
  switch (k) {
    case agg_kind::count: return "count";
    case agg_kind::sum: return "sum";
    case agg_kind::min: return "min";
    case agg_kind::max: return "max";
    case agg_kind::avg: return "avg";
    case agg_kind::count_distinct: return "count_distinct";
    case agg_kind::approx_count_distinct: return "approx_count_distinct";
  }
  return "?";
}

std::string unnamed_column(const aggregate_spec& agg) {
  auto name = agg.kind == agg_kind::count ? std::string{"count"}
                                          : std::string{to_string(agg.kind)} + "_" + agg.field;
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

decimal_type result_decimal(const aggregate_spec& agg) {
  if (!agg.decimal)
    return {};
  switch (agg.kind) {
    case agg_kind::sum: return {38, agg.decimal.scale};
    case agg_kind::min:
    case agg_kind::max: return agg.decimal;
    case agg_kind::avg: return {38, std::max(agg.decimal.scale, 6)};
    default: return {};
  }
}

millis slice_length(const window_spec& w) {
  return w.kind == window_kind::hopping ? std::gcd(w.size, w.slide) : w.size;
}

namespace {

struct spec_error {
  std::string message;
};

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
      diag = up;
    }
  }
  return row[b.size()];
}

} // namespace

std::string did_you_mean(std::string_view name, std::initializer_list<std::string_view> known) {
  std::string_view best;
  size_t best_d = 3;
  for (auto k : known)
    if (auto d = edit_distance(name, k); d < best_d)
      best_d = d, best = k;
  return best.empty() ? std::string{} : " (did you mean '" + std::string{best} + "'?)";
}

bool set_export_target(export_spec& e, const std::string& url) {
  if (url.rfind("s3://", 0) != 0 || url.size() <= 5)
    return false;
  auto rest = url.substr(5);
  auto slash = rest.find('/');
  e.bucket = rest.substr(0, slash);
  if (slash != std::string::npos && slash + 1 < rest.size())
    e.prefix = rest.substr(slash + 1);
  while (!e.prefix.empty() && e.prefix.back() == '/')
    e.prefix.pop_back();
  return true;
}

std::optional<partition_term> parse_partition_term(std::string_view text) {
  auto trim = [](std::string_view v) {
    while (!v.empty() && v.front() == ' ')
      v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ')
      v.remove_suffix(1);
    return v;
  };
  auto ident = [](std::string_view v) {
    return !v.empty() && !std::isdigit(static_cast<unsigned char>(v.front()))
           && std::all_of(v.begin(), v.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
              });
  };
  text = trim(text);
  auto open = text.find('(');
  if (open == std::string_view::npos)
    return ident(text) ? std::optional{partition_term{"identity", std::string{text}}}
                       : std::nullopt;
  if (text.back() != ')')
    return std::nullopt;
  auto name = trim(text.substr(0, open));
  auto column = trim(text.substr(open + 1, text.size() - open - 2));
  if (!ident(column))
    return std::nullopt;
  static constexpr std::string_view plain[] = {"identity", "year", "month", "day", "hour"};
  if (std::find(std::begin(plain), std::end(plain), name) != std::end(plain))
    return partition_term{std::string{name}, std::string{column}};
  for (std::string_view sized : {"bucket[", "truncate["}) {
    if (name.rfind(sized, 0) != 0 || name.back() != ']')
      continue;
    auto n = name.substr(sized.size(), name.size() - sized.size() - 1);
    if (n.empty() || n.size() > 9 || n.front() == '0'
        || !std::all_of(n.begin(), n.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
    return partition_term{std::string{name}, std::string{column}};
  }
  return std::nullopt;
}

namespace {

class reader {
public:
  explicit reader(std::string_view origin) : origin_(origin) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& path,
                         const std::string& why) const {
    fail_line(at.Mark().line, path, why);
  }

  [[noreturn]] void fail_line(int line0, const std::string& path, const std::string& why) const {
    std::string msg = origin_;
    if (line0 >= 0)
      msg += ":" + std::to_string(line0 + 1);
    msg += ": " + path + ": " + why;
    throw spec_error{std::move(msg)};
  }

  // A mapping whose keys must all be in `known`.
  void expect_map(const YAML::Node& node, const std::string& path,
                  std::initializer_list<std::string_view> known) const {
    if (!node.IsMap())
      fail(node, path, "expected a mapping");
    for (auto it = node.begin(); it != node.end(); ++it) {
      auto name = it->first.as<std::string>();
      if (std::find(known.begin(), known.end(), name) != known.end())
        continue;
      fail(it->first, path.empty() ? name : path + "." + name,
           "unknown field '" + name + "'" + did_you_mean(name, known));
    }
  }

  YAML::Node required(const YAML::Node& parent, const std::string& path, const char* name) const {
    auto node = parent[name];
    if (!node)
      fail(parent, join(path, name), "required field is missing");
    return node;
  }

  std::string scalar(const YAML::Node& node, const std::string& path) const {
    if (!node.IsScalar())
      fail(node, path, "expected a single value");
    auto s = node.as<std::string>();
    if (s.empty())
      fail(node, path, "must not be empty");
    if (!plain_text(s))
      fail(node, path, "must be UTF-8 text without control characters");
    return s;
  }

  std::string required_scalar(const YAML::Node& parent, const std::string& path,
                              const char* name) const {
    return scalar(required(parent, path, name), join(path, name));
  }

  millis duration(const YAML::Node& node, const std::string& path) const {
    auto s = scalar(node, path);
    auto d = parse_duration(s);
    if (!d)
      fail(node, path, "expected a duration like 500ms, 10s, 5m, 2h or 1d, got '" + s + "'");
    return *d;
  }

  // A whole number that fits the model's field; its bounds are validate()'s.
  std::uint64_t number(const YAML::Node& node, const std::string& path, const number_bounds& b,
                       std::uint64_t fits) const {
    auto s = scalar(node, path);
    auto v = whole_number(s, fits);
    if (!v)
      fail(node, path, b.expected(s));
    return *v;
  }

  template <class Enum>
  Enum choice(const YAML::Node& node, const std::string& path,
              std::initializer_list<std::pair<std::string_view, Enum>> options) const {
    auto s = scalar(node, path);
    std::string names;
    for (auto& [name, value] : options) {
      if (s == name)
        return value;
      names += names.empty() ? "" : ", ";
      names += name;
    }
    fail(node, path, "'" + s + "' is not one of: " + names);
  }

  static std::string join(const std::string& path, const char* name) {
    return path.empty() ? name : path + "." + name;
  }

private:
  std::string origin_;
};

constexpr auto fits_u32 = std::numeric_limits<std::uint32_t>::max();

// A key's path into the event, named as the key is written (key, key[1],
// key[0].field), which the model does not keep.
std::string field_path(const reader& r, const YAML::Node& node, const std::string& path) {
  auto s = r.scalar(node, path);
  if (auto why = field_path_problem(s); !why.empty())
    r.fail(node, path, why);
  return s;
}

// Exactly once is the default promise, so a job that cannot keep it says so
// in its spec instead of in a warning at submit that scrolls away. Returns
// whether the source reads by processing time.
bool read_guarantee(const reader& r, const YAML::Node& n) {
  auto guarantee = n["guarantee"];
  if (guarantee && r.scalar(guarantee, "source.guarantee") != "at_least_once")
    r.fail(guarantee, "source.guarantee",
           "only 'at_least_once' (for processing_time: true); omit it for exactly once");
  if (auto pt = n["processing_time"]) {
    if (r.scalar(pt, "source.processing_time") != "true")
      r.fail(pt, "source.processing_time", "only 'true' is meaningful; omit it for event time");
    if (!guarantee)
      r.fail(pt, "source.processing_time",
             "results are at least once: after a failure, the events read since the last "
             "checkpoint count again, in the windows of the time they are read again; add "
             "'guarantee: at_least_once' to source to accept that, or use event_time for "
             "exactly-once results");
    if (n["event_time"])
      r.fail(n["event_time"], "source.event_time", "cannot be combined with processing_time: true");
    return true;
  }
  if (guarantee)
    r.fail(guarantee, "source.guarantee",
           "an event-time job is exactly once; at_least_once is for processing_time: true");
  return false;
}

source_spec parse_source(const reader& r, const YAML::Node& n, bool raw) {
  r.expect_map(n, "source",
               {"type", "brokers", "topic", "format", "event_time", "processing_time", "guarantee",
                "partitioned_by", "on_missing_offsets"});
  source_spec s;
  if (auto t = n["type"]; t && r.scalar(t, "source.type") != "kafka")
    r.fail(t, "source.type", "only 'kafka' is supported");
  s.brokers = r.required_scalar(n, "source", "brokers");
  s.topic = r.required_scalar(n, "source", "topic");
  if (auto pb = n["partitioned_by"])
    s.partitioned_by = r.scalar(pb, "source.partitioned_by");
  if (auto m = n["on_missing_offsets"])
    s.on_missing_offsets = r.choice<missing_offsets>(m, "source.on_missing_offsets",
                                                     {{"fail", missing_offsets::fail},
                                                      {"earliest", missing_offsets::earliest}});
  if (auto f = n["format"])
    s.format = r.scalar(f, "source.format");
  if (read_guarantee(r, n)) {
    s.mode = time_mode::processing;
    return s;
  }
  if (raw && !n["event_time"])
    return s; // every event is kept: no windows, no watermark
  auto et = r.required(n, "source", "event_time");
  r.expect_map(et, "source.event_time",
               {"field", "format", "max_out_of_orderness", "idle_timeout"});
  s.time_field = r.required_scalar(et, "source.event_time", "field");
  if (auto f = et["format"])
    s.time_fmt = r.choice<time_format>(f, "source.event_time.format",
                                       {{"epoch_ms", time_format::epoch_ms},
                                        {"epoch_s", time_format::epoch_s},
                                        {"iso8601", time_format::iso8601}});
  if (auto o = et["max_out_of_orderness"])
    s.out_of_orderness = r.duration(o, "source.event_time.max_out_of_orderness");
  if (auto i = et["idle_timeout"])
    s.idle_timeout = r.duration(i, "source.event_time.idle_timeout");
  return s;
}

key_spec parse_key_part(const reader& r, const YAML::Node& n, const std::string& path) {
  if (!n.IsMap())
    return key_spec{field_path(r, n, path)};
  r.expect_map(n, path, {"field", "as", "type"});
  key_spec k{field_path(r, r.required(n, path, "field"), path + ".field")};
  if (auto as = n["as"])
    k.name = r.scalar(as, path + ".as");
  if (auto t = n["type"])
    k.type = r.choice<key_type>(t, path + ".type",
                                {{"string", key_type::string}, {"integer", key_type::integer}});
  return k;
}

std::vector<key_spec> parse_key(const reader& r, const YAML::Node& n) {
  std::vector<key_spec> key;
  if (n.IsScalar() || n.IsMap()) {
    key.push_back(parse_key_part(r, n, "key"));
  } else if (n.IsSequence()) { // [] is one group per window
    for (size_t i = 0; i < n.size(); ++i)
      key.push_back(parse_key_part(r, n[i], "key[" + std::to_string(i) + "]"));
  } else {
    r.fail(n, "key", "expected a field name, {field, as, type}, or a list of those");
  }
  return key;
}

window_spec parse_window(const reader& r, const YAML::Node& n) {
  r.expect_map(n, "window", {"type", "size", "slide", "gap", "allowed_lateness"});
  window_spec w;
  auto type = r.required(n, "window", "type");
  w.kind = r.choice<window_kind>(type, "window.type",
                                 {{"tumbling", window_kind::tumbling},
                                  {"hopping", window_kind::hopping},
                                  {"sliding", window_kind::hopping},
                                  {"session", window_kind::session}});
  auto only_for = [&](const char* field, const char* kinds) {
    if (auto f = n[field])
      r.fail(f, std::string{"window."} + field,
             std::string{"only applies to "} + kinds + " windows");
  };
  if (w.kind == window_kind::session) {
    only_for("size", "tumbling and hopping");
    only_for("slide", "hopping");
    w.gap = r.duration(r.required(n, "window", "gap"), "window.gap");
  } else {
    only_for("gap", "session");
    w.size = r.duration(r.required(n, "window", "size"), "window.size");
    if (w.kind == window_kind::hopping) {
      w.slide = r.duration(r.required(n, "window", "slide"), "window.slide");
    } else {
      only_for("slide", "hopping");
      w.slide = w.size;
    }
  }
  if (auto l = n["allowed_lateness"])
    w.allowed_lateness = r.duration(l, "window.allowed_lateness");
  return w;
}

// `double` (the default) or `decimal(p, s)`, for an aggregate of `kind`.
decimal_type parse_decimal(const reader& r, const YAML::Node& n, const std::string& path,
                           agg_kind kind) {
  if (auto why = type_problem(kind, nullptr); !why.empty())
    r.fail(n, path, why);
  const auto text = r.scalar(n, path);
  if (text == "double")
    return {};
  decimal_type d;
  char close = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "decimal(%d ,%d %c%n", &d.precision, &d.scale, &close, &used) != 3
      || close != ')' || used != static_cast<int>(text.size()))
    r.fail(n, path,
           "'" + text
             + "' is no type: double, or decimal(precision, scale) as in "
               "decimal(12, 2)");
  if (auto why = type_problem(kind, &d); !why.empty())
    r.fail(n, path, why);
  return d;
}

std::vector<aggregate_spec> parse_aggregations(const reader& r, const YAML::Node& n) {
  if (!n.IsSequence() || n.size() == 0)
    r.fail(n, "aggregations", "expected a non-empty list");
  std::vector<aggregate_spec> out;
  for (size_t i = 0; i < n.size(); ++i) {
    auto path = "aggregations[" + std::to_string(i) + "]";
    auto a = n[i];
    r.expect_map(a, path, {"fn", "field", "as", "type"});
    aggregate_spec spec;
    spec.kind = r.choice<agg_kind>(r.required(a, path, "fn"), path + ".fn",
                                   {{"count", agg_kind::count},
                                    {"sum", agg_kind::sum},
                                    {"min", agg_kind::min},
                                    {"max", agg_kind::max},
                                    {"avg", agg_kind::avg},
                                    {"count_distinct", agg_kind::count_distinct},
                                    {"approx_count_distinct", agg_kind::approx_count_distinct}});
    if (auto f = a["field"])
      spec.field = r.scalar(f, path + ".field");
    if (auto t = a["type"])
      spec.decimal = parse_decimal(r, t, path + ".type", spec.kind);
    spec.as = a["as"] ? r.scalar(a["as"], path + ".as") : unnamed_column(spec);
    out.push_back(std::move(spec));
  }
  return out;
}

std::vector<filter_spec> parse_filters(const reader& r, const YAML::Node& n) {
  if (!n.IsSequence() || n.size() == 0)
    r.fail(n, "where", "expected a non-empty list of conditions");
  std::vector<filter_spec> out;
  for (size_t i = 0; i < n.size(); ++i) {
    auto path = "where[" + std::to_string(i) + "]";
    auto c = n[i];
    r.expect_map(c, path, {"field", "eq", "ne", "in", "not_in", "gt", "ge", "lt", "le"});
    filter_spec f;
    f.field = r.required_scalar(c, path, "field");
    int ops = 0;
    for (auto [name, op] :
         std::initializer_list<std::pair<const char*, filter_op>>{{"eq", filter_op::eq},
                                                                  {"ne", filter_op::ne},
                                                                  {"in", filter_op::in},
                                                                  {"not_in", filter_op::not_in},
                                                                  {"gt", filter_op::gt},
                                                                  {"ge", filter_op::ge},
                                                                  {"lt", filter_op::lt},
                                                                  {"le", filter_op::le}}) {
      auto v = c[name];
      if (!v)
        continue;
      ++ops;
      f.op = op;
      auto vpath = path + "." + name;
      if (op == filter_op::in || op == filter_op::not_in) {
        if (!v.IsSequence() || v.size() == 0)
          r.fail(v, vpath, "expected a non-empty list of values");
        for (size_t j = 0; j < v.size(); ++j)
          f.values.push_back(r.scalar(v[j], vpath + "[" + std::to_string(j) + "]"));
      } else if (op == filter_op::eq || op == filter_op::ne) {
        f.values.push_back(r.scalar(v, vpath));
      } else {
        auto text = r.scalar(v, vpath);
        char* end = nullptr;
        f.number = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size())
          r.fail(v, vpath, "expected a number, got '" + text + "'");
      }
    }
    if (ops != 1)
      r.fail(c, path, "needs exactly one of eq, ne, in, not_in, gt, ge, lt, le");
    out.push_back(std::move(f));
  }
  return out;
}

top_spec parse_top(const reader& r, const YAML::Node& n) {
  r.expect_map(n, "top", {"n", "by"});
  top_spec t;
  t.n = static_cast<std::uint32_t>(
    r.number(r.required(n, "top", "n"), "top.n", top_n_bounds, fits_u32));
  t.by = r.required_scalar(n, "top", "by");
  return t;
}

std::vector<derived_column_spec> parse_derive(const reader& r, const YAML::Node& n) {
  if (!n.IsSequence())
    r.fail(n, "sink.derive",
           "expected a list of {name, column, as: date | hour} or "
           "{name, column, modulo: N}");
  std::vector<derived_column_spec> out;
  for (size_t i = 0; i < n.size(); ++i) {
    auto path = "sink.derive[" + std::to_string(i) + "]";
    auto d = n[i];
    r.expect_map(d, path, {"name", "column", "as", "every", "modulo"});
    derived_column_spec col;
    col.name = r.required_scalar(d, path, "name");
    col.column = r.required_scalar(d, path, "column");
    auto number = [&](const YAML::Node& v, const char* field) {
      return static_cast<int>(r.number(v, path + "." + field, derive_bounds, derive_bounds.max));
    };
    auto as = d["as"];
    auto modulo = d["modulo"];
    if (as && modulo)
      r.fail(modulo, path + ".modulo", "give either as: or modulo:, not both");
    if (modulo) {
      col.k = derived_column_spec::modulo;
      col.every = number(modulo, "modulo");
    } else if (as) {
      col.k = r.choice<derived_column_spec::kind>(as, path + ".as",
                                                  {{"date", derived_column_spec::date},
                                                   {"hour", derived_column_spec::hour}});
    } else {
      r.fail(d, path, "needs as: date, as: hour or modulo: N");
    }
    if (auto e = d["every"]) {
      if (col.k != derived_column_spec::hour)
        r.fail(e, path + ".every", "only applies to 'as: hour'");
      col.every = number(e, "every");
    }
    out.push_back(std::move(col));
  }
  return out;
}

std::vector<std::string> parse_names(const reader& r, const YAML::Node& n, const std::string& path,
                                     const char* what) {
  if (!n.IsSequence())
    r.fail(n, path, std::string{"expected a list of "} + what);
  std::vector<std::string> out;
  for (size_t i = 0; i < n.size(); ++i)
    out.push_back(r.scalar(n[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

// The fields of a sink of files (iceberg); whether they fit is validate()'s.
void parse_files_sink(const reader& r, const YAML::Node& n, sink_spec& s) {
  if (auto c = n["catalog"])
    s.catalog = r.scalar(c, "sink.catalog");
  if (auto d = n["derive"])
    s.derive = parse_derive(r, d);
  if (auto p = n["partitioned_by"])
    s.partitioned_by =
      parse_names(r, p, "sink.partitioned_by", "columns or transforms like day(event_time)");
  if (auto o = n["sort_by"])
    s.sort_by = parse_names(r, o, "sink.sort_by", "columns");
  if (auto codec = n["codec"])
    s.codec = r.scalar(codec, "sink.codec");
  if (auto m = n["max_file_mb"])
    s.max_file_mb = r.number(m, "sink.max_file_mb", max_file_mb_bounds,
                             std::numeric_limits<std::uint64_t>::max());
  if (auto c = n["commit_every"])
    s.commit_every =
      static_cast<std::uint32_t>(r.number(c, "sink.commit_every", commit_every_bounds, fits_u32));
  if (auto m = n["commit_mb"])
    s.commit_mb =
      r.number(m, "sink.commit_mb", commit_mb_bounds, std::numeric_limits<std::uint64_t>::max());
  if (auto a = n["orphan_age"])
    s.orphan_age = r.duration(a, "sink.orphan_age");
  if (auto k = n["snapshots_kept"])
    s.snapshots_kept = static_cast<std::uint32_t>(
      r.number(k, "sink.snapshots_kept", snapshots_kept_bounds, fits_u32));
}

// What each sink takes follows from its type (jobs/connectors.hpp); a type
// that is unknown, or takes the other kind of rows, is validate()'s to say.
sink_spec parse_sink(const reader& r, const YAML::Node& n, bool raw) {
  static constexpr std::string_view of_files[] = {"catalog",      "derive",    "partitioned_by",
                                                  "sort_by",      "codec",     "max_file_mb",
                                                  "commit_every", "commit_mb", "snapshots_kept",
                                                  "orphan_age"};
  r.expect_map(n, "sink",
               {"type", "url", "table", "partials_url", "key", "catalog", "derive",
                "partitioned_by", "sort_by", "codec", "max_file_mb", "commit_every", "commit_mb",
                "snapshots_kept", "orphan_age"});
  sink_spec s;
  s.type = r.required_scalar(n, "sink", "type");
  const auto* c = find_connector(s.type);
  // A sink that stores nothing takes no url: validate() refuses one given.
  s.url = c && c->store == sink_store::none && n["url"] ? r.scalar(n["url"], "sink.url")
          : c && c->store == sink_store::none           ? std::string{}
                                                        : r.required_scalar(n, "sink", "url");
  const bool fits = c && c->takes(raw ? sink_rows::raw : sink_rows::results);
  auto only = [&](std::string_view field, bool takes, const std::string& types) {
    if (auto f = n[std::string{field}]; f && !takes)
      r.fail(f, "sink." + std::string{field}, "only " + types + " sinks take it");
  };
  if (fits) {
    only("key", raw && c->store == sink_store::table,
         listed(connector_names(
                  [](const connector& x) {
                    return x.rows == sink_rows::raw && x.store == sink_store::table;
                  },
                  name_of::type),
                " and "));
    const auto files =
      connector_names([](const connector& x) { return x.store == sink_store::files; },
                      name_of::type);
    for (auto field : of_files)
      only(field, c->store == sink_store::files, listed(files, " and "));
  }
  if (auto f = n["partials_url"])
    s.partials_url = r.scalar(f, "sink.partials_url");
  parse_files_sink(r, n, s);
  if ((fits && c->store != sink_store::none) || n["table"])
    s.table = r.required_scalar(n, "sink", "table");
  // No key: each event's Kafka position is its identity (sinks/postgres_raw/).
  if (auto k = n["key"])
    s.key = r.scalar(k, "sink.key");
  return s;
}

std::vector<column_spec> parse_columns(const reader& r, const YAML::Node& n,
                                       const std::string& list) {
  if (!n.IsSequence() || n.size() == 0)
    r.fail(n, list, "expected a non-empty list");
  std::vector<column_spec> out;
  for (size_t i = 0; i < n.size(); ++i) {
    auto path = list + "[" + std::to_string(i) + "]";
    auto c = n[i];
    r.expect_map(c, path, {"name", "field", "type", "nullable"});
    column_spec col;
    col.name = r.required_scalar(c, path, "name");
    col.field = c["field"] ? r.scalar(c["field"], path + ".field") : col.name;
    col.type = r.choice<column_type>(r.required(c, path, "type"), path + ".type",
                                     {{"int64", column_type::int64},
                                      {"double", column_type::float64},
                                      {"string", column_type::string},
                                      {"boolean", column_type::boolean},
                                      {"timestamp", column_type::timestamp}});
    if (auto nn = c["nullable"]) {
      auto v = r.scalar(nn, path + ".nullable");
      if (v != "true" && v != "false")
        r.fail(nn, path + ".nullable", "expected true or false, got '" + v + "'");
      col.nullable = v == "true";
    }
    out.push_back(std::move(col));
  }
  return out;
}

// `to_lake`: the job has a sink (an iceberg table), which takes the rows
// instead of files under `to`.
export_spec parse_export(const reader& r, const YAML::Node& n, bool to_lake) {
  r.expect_map(n, "export", {"from", "columns", "to", "every"});
  export_spec e;
  auto from = r.required(n, "export", "from");
  r.expect_map(from, "export.from", {"url", "table", "key"});
  e.pg_url = r.required_scalar(from, "export.from", "url");
  e.table = r.required_scalar(from, "export.from", "table");
  e.key = r.required_scalar(from, "export.from", "key");
  e.columns = parse_columns(r, r.required(n, "export", "columns"), "export.columns");
  e.to_lake = to_lake;
  if (to_lake) {
    if (auto to = n["to"])
      r.fail(to, "export.to",
             "an export into the iceberg table of its sink writes no files: remove export.to");
    e.bucket.clear();
    e.prefix.clear();
  } else {
    auto to = r.required(n, "export", "to");
    auto url = r.scalar(to, "export.to");
    if (!set_export_target(e, url))
      r.fail(to, "export.to", "expected s3://bucket/prefix, got '" + url + "'");
  }
  if (auto every = n["every"])
    e.every = r.duration(every, "export.every");
  return e;
}

checkpoint_spec parse_checkpoints(const reader& r, const YAML::Node& c) {
  r.expect_map(c, "checkpoints", {"url", "interval", "retain"});
  checkpoint_spec cp;
  cp.url = r.required_scalar(c, "checkpoints", "url");
  if (auto i = c["interval"])
    cp.interval = r.duration(i, "checkpoints.interval");
  if (auto n = c["retain"])
    cp.retain =
      static_cast<std::uint32_t>(r.number(n, "checkpoints.retain", retain_bounds, fits_u32));
  return cp;
}

// A job that keeps every event (columns), or one that aggregates windows.
void parse_rows(const reader& r, const YAML::Node& root, job_spec& spec) {
  if (root["columns"]) {
    for (const char* windowed : {"key", "window", "aggregations", "top"})
      if (auto f = root[windowed])
        r.fail(f, windowed,
               "a job with columns keeps every event: it has no " + std::string{windowed});
    spec.columns = parse_columns(r, root["columns"], "columns");
    return;
  }
  if (auto k = root["key"])
    spec.key = parse_key(r, k);
  spec.window = parse_window(r, r.required(root, "", "window"));
  spec.aggregations = parse_aggregations(r, r.required(root, "", "aggregations"));
  if (auto t = root["top"])
    spec.top = parse_top(r, t);
}

job_spec read_job(const reader& r, const YAML::Node& root) {
  if (!root.IsMap())
    r.fail_line(0, "spec", "expected a mapping with name, source, key, window, aggregations, sink");
  job_spec spec;
  if (root["export"]) {
    r.expect_map(root, "", {"name", "export", "sink"});
    spec.name = r.required_scalar(root, "", "name");
    const auto sink = root["sink"];
    spec.export_job = parse_export(r, root["export"], static_cast<bool>(sink));
    if (sink)
      spec.sink = parse_sink(r, sink, true);
    return spec;
  }
  r.expect_map(root, "",
               {"name", "source", "columns", "key", "where", "window", "aggregations", "top",
                "sink", "dead_letter", "checkpoints", "export"});
  const bool raw = static_cast<bool>(root["columns"]);
  spec.name = r.required_scalar(root, "", "name");
  spec.source = parse_source(r, r.required(root, "", "source"), raw);
  if (auto w = root["where"])
    spec.filters = parse_filters(r, w);
  parse_rows(r, root, spec);
  spec.sink = parse_sink(r, r.required(root, "", "sink"), raw);
  if (auto c = root["checkpoints"])
    spec.checkpoints = parse_checkpoints(r, c);
  spec.dead_letter_topic = spec.name + ".dlq";
  if (auto d = root["dead_letter"]) {
    r.expect_map(d, "dead_letter", {"topic"});
    spec.dead_letter_topic = r.required_scalar(d, "dead_letter", "topic");
  }
  return spec;
}

// The node a validate() path names, or the nearest written one above it; a
// key written as one field is its own key[0]. False when that is not the
// node itself.
bool find_node(const YAML::Node& root, const std::string& path, YAML::Node& out) {
  out.reset(root);
  for (size_t i = 0; i < path.size();) {
    const YAML::Node& here = out;
    auto end = path.find_first_of(".[", i);
    if (end != i) {
      auto name = path.substr(i, end - i);
      if (!here.IsMap() || !here[name])
        return false;
      out.reset(here[name]);
    }
    i = end == std::string::npos ? path.size() : end;
    if (i < path.size() && path[i] == '[') {
      auto close = path.find(']', i);
      auto k = std::stoul(path.substr(i + 1, close - i - 1));
      const YAML::Node& list = out;
      if (list.IsSequence() && k < list.size())
        out.reset(list[k]);
      else if (list.IsSequence() || k != 0)
        return false;
      i = close + 1;
    }
    if (i < path.size() && path[i] == '.')
      ++i;
  }
  return true;
}

} // namespace

expected<job_spec> parse_spec(std::string_view yaml, std::string_view origin) {
  reader r{origin};
  try {
    YAML::Node root;
    try {
      root = YAML::Load(std::string{yaml});
    } catch (const YAML::ParserException& e) {
      r.fail_line(e.mark.line, "yaml", e.msg);
    }
    auto spec = read_job(r, root);
    if (auto v = validate(spec)) {
      YAML::Node at;
      if (!find_node(root, v->path, at) && !v->asked_by.empty())
        find_node(root, v->asked_by, at);
      r.fail(at, v->path, v->reason);
    }
    return spec;
  } catch (const spec_error& e) {
    return error{e.message};
  } catch (const YAML::Exception& e) {
    return error{std::string{origin} + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg};
  }
}

namespace {

// ${...} references: `secrets` picks which kind is replaced, ${secret:NAME}
// (true) or the others (false); the other kind is copied as written.
expected<std::string> expand(std::string_view text, std::string_view origin,
                             const variable_lookup& lookup, bool secrets) {
  static constexpr std::string_view secret_prefix = "secret:";
  std::string out;
  out.reserve(text.size());
  int line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n')
      ++line;
    if (c != '$' || i + 1 >= text.size() || text[i + 1] != '{') {
      out += c;
      continue;
    }
    auto close = text.find('}', i + 2);
    if (close == std::string_view::npos)
      return error{std::string{origin} + ":" + std::to_string(line) + ": unterminated ${"};
    auto body = text.substr(i + 2, close - i - 2);
    const bool is_secret = body.substr(0, secret_prefix.size()) == secret_prefix;
    if (is_secret != secrets) {
      out.append(text.substr(i, close - i + 1));
      i = close;
      continue;
    }
    if (is_secret) {
      std::string name{body.substr(secret_prefix.size())};
      auto value = lookup(name);
      if (!value)
        return error{std::string{origin} + ":" + std::to_string(line) + ": secret " + name
                     + " is not set on this worker (WEIR_SECRET_" + name + " or a line " + name
                     + "=... in --secrets-file)"};
      out += *value;
      i = close;
      continue;
    }
    std::string name{body};
    std::optional<std::string> fallback;
    if (auto dash = body.find(":-"); dash != std::string_view::npos) {
      name = std::string{body.substr(0, dash)};
      fallback = std::string{body.substr(dash + 2)};
    }
    if (auto value = lookup(name); value && !value->empty())
      out += *value;
    else if (fallback)
      out += *fallback;
    else
      return error{std::string{origin} + ":" + std::to_string(line) + ": environment variable "
                   + name + " is not set (write ${" + name + ":-default} to give a default)"};
    i = close;
  }
  return out;
}

} // namespace

expected<std::string> expand_variables(std::string_view text, std::string_view origin,
                                       const variable_lookup& lookup) {
  return expand(text, origin, lookup, false);
}

expected<std::string> expand_secrets(std::string_view text, std::string_view origin,
                                     const variable_lookup& lookup) {
  return expand(text, origin, lookup, true);
}

std::vector<int> plain_password_lines(std::string_view text) {
  static const std::regex url{R"([A-Za-z][A-Za-z0-9+.-]*://[^\s/@:'"]+:([^\s/@'"]+)@)"};
  std::vector<int> lines;
  int line = 1;
  size_t start = 0;
  while (start <= text.size()) {
    auto nl = text.find('\n', start);
    std::string l{
      text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start)};
    for (std::sregex_iterator it{l.begin(), l.end(), url}, end; it != end; ++it)
      if ((*it)[1].str().rfind("${secret:", 0) != 0) {
        lines.push_back(line);
        break;
      }
    if (nl == std::string_view::npos)
      break;
    start = nl + 1;
    ++line;
  }
  return lines;
}

} // namespace weir::jobs
