// YAML -> job_spec. Every rejection names the origin, line, field path and reason;
// unknown fields are errors (with a suggestion) because a typo silently ignored
// is a job that runs with defaults nobody asked for.
#include "base/duration.hpp"
#include "jobs/spec.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <numeric>
#include <regex>
#include <set>

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

// A column or table name: what PostgreSQL takes unquoted, up to its 63 bytes.
bool is_identifier(const std::string& s) {
  static const std::regex ident{"[A-Za-z_][A-Za-z0-9_]{0,62}"};
  return std::regex_match(s, ident);
}

// Valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF) with
// no control characters: a value ends up in SQL identifiers, topic names and
// file paths, where such bytes mean nothing good.
bool plain_text(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      if (c < 0x20 || c == 0x7f)
        return false;
      ++i;
      continue;
    }
    int n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
    if (n < 0 || c > 0xf4 || i + n >= s.size())
      return false;
    std::uint32_t cp = c & (0x3f >> n);
    for (int k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    static constexpr std::uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0))
      return false;
    i += n + 1;
  }
  return true;
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

namespace {

class reader {
public:
  explicit reader(std::string_view origin) : origin_(origin) {}

  [[noreturn]] void fail(const YAML::Node& at, const std::string& path,
                         const std::string& why) const {
    fail_line(at.Mark().line, path, why);
  }

  [[noreturn]] void fail_line(int line0, const std::string& path,
                              const std::string& why) const {
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

  YAML::Node required(const YAML::Node& parent, const std::string& path,
                      const char* name) const {
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

  std::string identifier(const YAML::Node& node, const std::string& path) const {
    auto s = scalar(node, path);
    if (!is_identifier(s))
      fail(node, path,
           "'" + s + "' is not a valid name (letters, digits and _, not starting with a digit)");
    return s;
  }

  millis duration(const YAML::Node& node, const std::string& path, bool positive) const {
    auto s = scalar(node, path);
    auto d = parse_duration(s);
    if (!d)
      fail(node, path, "expected a duration like 500ms, 10s, 5m, 2h or 1d, got '" + s + "'");
    if (positive && *d == 0)
      fail(node, path, "must be greater than zero");
    return *d;
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

// A path into the event: dot-separated field names, none of them empty.
std::string field_path(const reader& r, const YAML::Node& node, const std::string& path) {
  auto s = r.scalar(node, path);
  if (s.front() == '.' || s.back() == '.' || s.find("..") != std::string::npos)
    r.fail(node, path, "'" + s + "' is not a field path (names separated by single dots)");
  return s;
}

source_spec parse_source(const reader& r, const YAML::Node& n, bool raw) {
  r.expect_map(n, "source", {"type", "brokers", "topic", "format", "event_time", "processing_time",
                             "guarantee", "partitioned_by", "on_missing_offsets"});
  source_spec s;
  if (auto t = n["type"]; t && r.scalar(t, "source.type") != "kafka")
    r.fail(t, "source.type", "only 'kafka' is supported");
  s.brokers = r.required_scalar(n, "source", "brokers");
  s.topic = r.required_scalar(n, "source", "topic");
  if (auto pb = n["partitioned_by"]) {
    if (raw)
      r.fail(pb, "source.partitioned_by", "a job with columns has no key to partition by");
    s.partitioned_by = field_path(r, pb, "source.partitioned_by");
  }
  if (auto m = n["on_missing_offsets"])
    s.on_missing_offsets = r.choice<missing_offsets>(m, "source.on_missing_offsets",
                                                     {{"fail", missing_offsets::fail},
                                                      {"earliest", missing_offsets::earliest}});
  if (auto f = n["format"]) {
    s.format = r.scalar(f, "source.format");
    if (s.format != "json")
      r.fail(f, "source.format", "only 'json' is supported");
  }
  // Exactly once is the default promise, so a job that cannot keep it says so
  // in its spec instead of in a warning at submit that scrolls away.
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
      r.fail(n["event_time"], "source.event_time",
             "cannot be combined with processing_time: true");
    s.mode = time_mode::processing;
    return s;
  }
  if (guarantee)
    r.fail(guarantee, "source.guarantee",
           "an event-time job is exactly once; at_least_once is for processing_time: true");
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
    s.out_of_orderness = r.duration(o, "source.event_time.max_out_of_orderness", false);
  if (auto i = et["idle_timeout"])
    s.idle_timeout = r.duration(i, "source.event_time.idle_timeout", true);
  return s;
}

key_spec parse_key_part(const reader& r, const YAML::Node& n, const std::string& path) {
  if (!n.IsMap())
    return key_spec{field_path(r, n, path)};
  r.expect_map(n, path, {"field", "as", "type"});
  key_spec k{field_path(r, r.required(n, path, "field"), path + ".field")};
  if (auto as = n["as"])
    k.name = r.identifier(as, path + ".as");
  if (auto t = n["type"])
    k.type = r.choice<key_type>(t, path + ".type", {{"string", key_type::string},
                                                    {"integer", key_type::integer}});
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
      r.fail(f, std::string{"window."} + field, std::string{"only applies to "} + kinds + " windows");
  };
  if (w.kind == window_kind::session) {
    only_for("size", "tumbling and hopping");
    only_for("slide", "hopping");
    w.gap = r.duration(r.required(n, "window", "gap"), "window.gap", true);
  } else {
    only_for("gap", "session");
    w.size = r.duration(r.required(n, "window", "size"), "window.size", true);
    if (w.kind == window_kind::hopping) {
      auto slide = r.required(n, "window", "slide");
      w.slide = r.duration(slide, "window.slide", true);
      if (w.slide > w.size)
        r.fail(slide, "window.slide", "must not exceed window.size (events would fall between windows)");
      if (w.size / std::gcd(w.size, w.slide) > 10'000)
        r.fail(slide, "window.slide", "size/gcd(size, slide) exceeds 10000 slices per window");
    } else {
      only_for("slide", "hopping");
      w.slide = w.size;
    }
  }
  if (auto l = n["allowed_lateness"]) {
    if (w.kind == window_kind::session)
      r.fail(l, "window.allowed_lateness",
             "is not supported for session windows (a late event could move a session's start)");
    w.allowed_lateness = r.duration(l, "window.allowed_lateness", false);
  }
  return w;
}

// `double` (the default) or `decimal(p, s)`.
decimal_type parse_decimal(const reader& r, const YAML::Node& n, const std::string& path) {
  const auto text = r.scalar(n, path);
  if (text == "double")
    return {};
  decimal_type d;
  char close = 0;
  int used = 0;
  if (std::sscanf(text.c_str(), "decimal(%d ,%d %c%n", &d.precision, &d.scale, &close, &used) != 3
      || close != ')' || used != static_cast<int>(text.size()))
    r.fail(n, path, "'" + text + "' is no type: double, or decimal(precision, scale) as in "
                    "decimal(12, 2)");
  if (d.precision < 1 || d.precision > decimal_type::max_precision)
    r.fail(n, path, "a decimal's precision is 1 to " + std::to_string(decimal_type::max_precision)
                      + " digits (a value is held in 64 bits, a sum in 128), not "
                      + std::to_string(d.precision));
  if (d.scale < 0 || d.scale > d.precision)
    r.fail(n, path, "a decimal's scale is 0 to its precision (" + std::to_string(d.precision)
                      + "), not " + std::to_string(d.scale));
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
    if (auto f = a["field"]) {
      if (spec.kind == agg_kind::count)
        r.fail(f, path + ".field", "count takes no field");
      spec.field = r.scalar(f, path + ".field");
    } else if (spec.kind != agg_kind::count) {
      r.fail(a, path + ".field", std::string{"required for "} + to_string(spec.kind));
    }
    if (auto t = a["type"]) {
      if (spec.kind != agg_kind::sum && spec.kind != agg_kind::min && spec.kind != agg_kind::max
          && spec.kind != agg_kind::avg)
        r.fail(t, path + ".type", "only sum, min, max and avg read their field as a number");
      spec.decimal = parse_decimal(r, t, path + ".type");
    }
    if (auto as = a["as"]) {
      spec.as = r.identifier(as, path + ".as");
    } else { // fn_field, a nested field's dots as _
      spec.as = spec.kind == agg_kind::count ? "count"
                                             : std::string{to_string(spec.kind)} + "_" + spec.field;
      std::replace(spec.as.begin(), spec.as.end(), '.', '_');
      if (!is_identifier(spec.as))
        r.fail(a, path + ".as", "'" + spec.as + "' is no column name: name the output with as:");
    }
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
    for (auto [name, op] : std::initializer_list<std::pair<const char*, filter_op>>{
           {"eq", filter_op::eq}, {"ne", filter_op::ne}, {"in", filter_op::in},
           {"not_in", filter_op::not_in}, {"gt", filter_op::gt}, {"ge", filter_op::ge},
           {"lt", filter_op::lt}, {"le", filter_op::le}}) {
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

top_spec parse_top(const reader& r, const YAML::Node& n, const std::vector<aggregate_spec>& aggs) {
  r.expect_map(n, "top", {"n", "by"});
  top_spec t;
  auto nn = r.required(n, "top", "n");
  auto text = r.scalar(nn, "top.n");
  char* end = nullptr;
  auto v = std::strtoul(text.c_str(), &end, 10);
  if (end != text.c_str() + text.size() || v == 0 || v > 100'000)
    r.fail(nn, "top.n", "expected a whole number from 1 to 100000, got '" + text + "'");
  t.n = static_cast<std::uint32_t>(v);
  auto by = r.required(n, "top", "by");
  t.by = r.scalar(by, "top.by");
  std::string names;
  for (const auto& a : aggs) {
    if (a.as == t.by)
      return t;
    names += (names.empty() ? "" : ", ") + a.as;
  }
  r.fail(by, "top.by", "'" + t.by + "' is not an aggregate's output column (" + names + ")");
}

std::vector<path_part_spec> parse_layout(const reader& r, const YAML::Node& n,
                                         const std::vector<column_spec>& columns) {
  if (!n.IsSequence())
    r.fail(n, "sink.partition_by", "expected a list of path levels");
  std::vector<path_part_spec> out;
  for (size_t i = 0; i < n.size(); ++i) {
    auto path = "sink.partition_by[" + std::to_string(i) + "]";
    auto p = n[i];
    r.expect_map(p, path, {"name", "column", "as", "every", "modulo"});
    path_part_spec part;
    part.name = r.identifier(r.required(p, path, "name"), path + ".name");
    part.column = r.required_scalar(p, path, "column");
    auto col = std::find_if(columns.begin(), columns.end(),
                            [&](const column_spec& c) { return c.name == part.column; });
    if (col == columns.end())
      r.fail(p["column"], path + ".column", "'" + part.column + "' is not one of the columns");
    auto number = [&](const char* field) {
      auto text = r.scalar(p[field], path + "." + field);
      char* end = nullptr;
      auto v = std::strtol(text.c_str(), &end, 10);
      if (end != text.c_str() + text.size() || v < 1 || v > 1'000'000)
        r.fail(p[field], path + "." + field, "expected a whole number from 1, got '" + text + "'");
      return static_cast<int>(v);
    };
    if (p["modulo"]) {
      part.k = path_part_spec::modulo;
      part.every = number("modulo");
      if (col->type != column_type::int64)
        r.fail(p["modulo"], path + ".modulo", "needs an int64 column");
    } else if (auto as = p["as"]) {
      part.k = r.choice<path_part_spec::kind>(as, path + ".as",
                                              {{"date", path_part_spec::date},
                                               {"hour", path_part_spec::hour},
                                               {"value", path_part_spec::value}});
      if (part.k != path_part_spec::value && col->type != column_type::timestamp)
        r.fail(as, path + ".as", "date and hour need a timestamp column");
      if (auto e = p["every"]) {
        if (part.k != path_part_spec::hour)
          r.fail(e, path + ".every", "only applies to 'as: hour'");
        part.every = number("every");
        if (24 % part.every != 0)
          r.fail(e, path + ".every", "must divide 24");
      }
    }
    out.push_back(std::move(part));
  }
  return out;
}

sink_spec parse_sink(const reader& r, const YAML::Node& n, bool raw,
                     const std::vector<column_spec>& columns) {
  r.expect_map(n, "sink", {"type", "url", "table", "partials_url", "key", "partition_by", "codec",
                           "max_file_mb"});
  sink_spec s;
  s.type = r.required_scalar(n, "sink", "type");
  const bool results = s.type == "postgres" || s.type == "clickhouse" || s.type == "mysql";
  if (!results && s.type != "postgres_raw" && s.type != "parquet")
    r.fail(n["type"], "sink.type",
           "'" + s.type + "' is not one of: postgres, clickhouse, mysql, postgres_raw, parquet");
  if (raw == results)
    r.fail(n["type"], "sink.type",
           raw ? "a job with columns keeps every event: use postgres_raw or parquet"
               : s.type + " keeps every event: the job needs columns instead of windows");
  s.url = r.required_scalar(n, "sink", "url");
  auto url_scheme = [&](std::initializer_list<const char*> schemes, const char* form) {
    for (const char* scheme : schemes)
      if (s.url.rfind(scheme, 0) == 0 && s.url.size() > std::string_view{scheme}.size())
        return;
    r.fail(n["url"], "sink.url", std::string{"expected "} + form + ", got '" + s.url + "'");
  };
  if (s.type == "clickhouse")
    url_scheme({"http://", "https://"}, "http://[user[:password]@]host:port[/database]");
  if (s.type == "mysql")
    url_scheme({"mysql://"}, "mysql://user[:password]@host[:port]/database");
  auto only = [&](const char* field, const char* type) {
    if (auto f = n[field]; f && s.type != type)
      r.fail(f, std::string{"sink."} + field, std::string{"only "} + type + " sinks take it");
  };
  only("table", s.type == "parquet" ? "postgres" : s.type.c_str());
  only("key", "postgres_raw");
  if (auto f = n["partials_url"]) {
    if (s.type != "clickhouse" && s.type != "mysql")
      r.fail(f, "sink.partials_url", "only clickhouse and mysql sinks take it (postgres keeps "
                                     "its partials beside its results)");
    s.partials_url = r.scalar(f, "sink.partials_url");
    if (s.partials_url.rfind("postgresql://", 0) != 0 && s.partials_url.rfind("postgres://", 0) != 0)
      r.fail(f, "sink.partials_url", "expected postgresql://..., got '" + s.partials_url + "'");
  }
  only("partition_by", "parquet");
  only("codec", "parquet");
  only("max_file_mb", "parquet");
  if (s.type == "parquet") {
    if (s.url.rfind("s3://", 0) != 0 || s.url.size() <= 5)
      r.fail(n["url"], "sink.url", "expected s3://bucket/prefix, got '" + s.url + "'");
    if (auto l = n["partition_by"])
      s.partition_by = parse_layout(r, l, columns);
    if (auto c = n["codec"]) {
      s.codec = r.scalar(c, "sink.codec");
      if (s.codec != "zstd" && s.codec != "snappy" && s.codec != "none")
        r.fail(c, "sink.codec", "'" + s.codec + "' is not one of: zstd, snappy, none");
    }
    if (auto m = n["max_file_mb"]) {
      auto text = r.scalar(m, "sink.max_file_mb");
      char* end = nullptr;
      auto v = std::strtoull(text.c_str(), &end, 10);
      if (end != text.c_str() + text.size() || v < 1 || v > 4096)
        r.fail(m, "sink.max_file_mb", "expected a whole number from 1 to 4096, got '" + text + "'");
      s.max_file_mb = v;
    }
    return s;
  }
  s.table = r.identifier(r.required(n, "sink", "table"), "sink.table");
  if (raw)
    s.key = r.identifier(r.required(n, "sink", "key"), "sink.key");
  return s;
}

// ClickHouse and MariaDB take each row once, final (sinks/clickhouse/,
// sinks/mysql/): with source.partitioned_by every row is final as its
// partition emits it; otherwise each partition's partials wait in the
// PostgreSQL of sink.partials_url until the window is final, and the merged
// row goes to the store. Top-N replaces a window's rows, which a store that
// keeps rows by version cannot. ClickHouse 18.16's DateTime holds whole
// seconds.
void check_final_rows_sink(const reader& r, const YAML::Node& root, const job_spec& spec) {
  const auto& type = spec.sink.type;
  if (type != "clickhouse" && type != "mysql")
    return;
  const auto at = root["sink"]["type"];
  if (spec.source.partitioned_by.empty() && spec.sink.partials_url.empty())
    r.fail(at, "sink.partials_url", "a " + type + " sink of keys across partitions merges each "
                                    "partition's partials in PostgreSQL: give sink.partials_url "
                                    "(postgresql://...), or declare source.partitioned_by if "
                                    "every key is in one Kafka partition");
  if (!spec.source.partitioned_by.empty() && !spec.sink.partials_url.empty())
    r.fail(root["sink"]["partials_url"], "sink.partials_url",
           "with source.partitioned_by every row is final as its partition emits it: there are "
           "no partials to keep");
  if (spec.top.n > 0)
    r.fail(root["top"], "top", "top replaces a window's ranked rows: use a postgres sink");
  if (type == "mysql") {
    // MariaDB's limits: names of 64 characters (<table>__progress adds 10),
    // compared without case; a primary key of 3072 bytes (5 key parts of
    // VARBINARY(512) and the DATETIME(3)).
    if (spec.sink.table.size() > 54)
      r.fail(root["sink"]["table"], "sink.table", "a mysql table name has at most 54 characters");
    if (spec.key.size() > 5)
      r.fail(root["key"], "key", "a mysql sink takes at most 5 key parts (InnoDB's primary key "
                                 "holds 3072 bytes)");
    std::set<std::string> lower;
    auto fold = [](std::string s) {
      for (auto& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return s;
    };
    for (const auto& k : spec.key)
      lower.insert(fold(k.name));
    for (const auto& a : spec.aggregations)
      if (!lower.insert(fold(a.as)).second)
        r.fail(root["aggregations"], "aggregations",
               "column '" + a.as + "' is used twice once case is ignored, as MariaDB does");
    return;
  }
  const auto& w = spec.window;
  if (w.kind == window_kind::session)
    r.fail(root["window"]["type"], "window.type",
           "session windows start and end at event times (milliseconds); ClickHouse 18.16's "
           "DateTime holds whole seconds: use postgres");
  if (w.size % 1000 != 0 || w.slide % 1000 != 0)
    r.fail(root["window"], "window", "a clickhouse sink needs windows of whole seconds "
                                     "(ClickHouse 18.16's DateTime has no milliseconds)");
}

std::vector<column_spec> parse_columns(const reader& r, const YAML::Node& n) {
  if (!n.IsSequence() || n.size() == 0)
    r.fail(n, "columns", "expected a non-empty list");
  std::vector<column_spec> out;
  std::set<std::string> seen;
  for (size_t i = 0; i < n.size(); ++i) {
    auto path = "columns[" + std::to_string(i) + "]";
    auto c = n[i];
    r.expect_map(c, path, {"name", "field", "type", "nullable"});
    column_spec col;
    col.name = r.identifier(r.required(c, path, "name"), path + ".name");
    if (!seen.insert(col.name).second)
      r.fail(c["name"], path + ".name", "column '" + col.name + "' is used twice");
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

// Output column names must be distinct, and must not collide with the columns
// weir adds itself.
void check_columns(const reader& r, const YAML::Node& root, const job_spec& spec) {
  std::set<std::string> seen{"window_start", "window_end", "source_partition", "rank", "_version"};
  auto claim = [&](const std::string& name, const YAML::Node& at, const std::string& path) {
    if (!seen.insert(name).second)
      r.fail(at, path, "output column '" + name + "' is used twice (or is reserved)");
  };
  for (size_t i = 0; i < spec.key.size(); ++i) {
    const auto& at = root["key"].IsSequence() ? root["key"][i] : root["key"];
    auto path = "key[" + std::to_string(i) + "]";
    if (!is_identifier(spec.key[i].name))
      r.fail(at, path, "'" + spec.key[i].name + "' is not a valid column name (letters, digits "
                       "and _, not starting with a digit): name it with {field: ..., as: NAME}");
    claim(spec.key[i].name, at, path);
  }
  for (size_t i = 0; i < spec.aggregations.size(); ++i) {
    auto agg = root["aggregations"][i];
    claim(spec.aggregations[i].as, agg["as"] ? agg["as"] : agg,
          "aggregations[" + std::to_string(i) + "].as");
  }
}

std::string parse_name(const reader& r, const YAML::Node& root) {
  auto name = r.required_scalar(root, "", "name");
  static const std::regex name_re{"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}"};
  if (!std::regex_match(name, name_re))
    r.fail(root["name"], "name", "'" + name + "' is not a valid job name (letters, digits, _ . -)");
  return name;
}

export_spec parse_export(const reader& r, const YAML::Node& n) {
  r.expect_map(n, "export", {"from", "columns", "to", "every"});
  export_spec e;
  auto from = r.required(n, "export", "from");
  r.expect_map(from, "export.from", {"url", "table", "key"});
  e.pg_url = r.required_scalar(from, "export.from", "url");
  e.table = r.identifier(r.required(from, "export.from", "table"), "export.from.table");
  e.key = r.identifier(r.required(from, "export.from", "key"), "export.from.key");
  e.columns = parse_columns(r, r.required(n, "export", "columns"));
  if (std::none_of(e.columns.begin(), e.columns.end(),
                   [&](const column_spec& c) { return c.name == e.key; }))
    r.fail(from["key"], "export.from.key", "'" + e.key + "' is not one of the columns");
  auto to = r.required(n, "export", "to");
  auto url = r.scalar(to, "export.to");
  if (!set_export_target(e, url))
    r.fail(to, "export.to", "expected s3://bucket/prefix, got '" + url + "'");
  if (auto every = n["every"])
    e.every = r.duration(every, "export.every", true);
  return e;
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
    if (!root.IsMap())
      r.fail_line(0, "spec", "expected a mapping with name, source, key, window, aggregations, sink");
    job_spec spec;
    if (root["export"]) {
      r.expect_map(root, "", {"name", "export"});
      spec.name = parse_name(r, root);
      spec.export_job = parse_export(r, root["export"]);
      return spec;
    }
    r.expect_map(root, "", {"name", "source", "columns", "key", "where", "window", "aggregations",
                            "top", "sink", "dead_letter", "checkpoints", "export"});
    const bool raw = static_cast<bool>(root["columns"]);
    spec.name = parse_name(r, root);
    spec.source = parse_source(r, r.required(root, "", "source"), raw);
    if (auto w = root["where"])
      spec.filters = parse_filters(r, w);
    if (raw) {
      for (const char* windowed : {"key", "window", "aggregations", "top"})
        if (auto f = root[windowed])
          r.fail(f, windowed, "a job with columns keeps every event: it has no " +
                                std::string{windowed});
      spec.columns = parse_columns(r, root["columns"]);
    } else {
      if (auto k = root["key"])
        spec.key = parse_key(r, k);
      spec.window = parse_window(r, r.required(root, "", "window"));
      spec.aggregations = parse_aggregations(r, r.required(root, "", "aggregations"));
      if (auto t = root["top"])
        spec.top = parse_top(r, t, spec.aggregations);
      if (const auto& pb = spec.source.partitioned_by;
          !pb.empty() && std::none_of(spec.key.begin(), spec.key.end(),
                                      [&](const key_spec& k) { return k.field == pb; }))
        r.fail(root["source"]["partitioned_by"], "source.partitioned_by",
               "'" + pb + "' is not one of the key fields (every row of a window must come "
               "from one partition)");
      // A session is a run of one key's events; partials of it cut by
      // partition overlap and cannot be merged back (docs/job-spec.md,
      // "Exact across partitions").
      if (spec.window.kind == window_kind::session && spec.source.partitioned_by.empty())
        r.fail(root["window"]["type"], "window.type",
               "session windows need all of a key's events in one Kafka partition: each "
               "partition would close its own sessions of a key, which overlap and cannot be "
               "merged; declare the source's partitioned_by (a key field whose value is every "
               "event's Kafka message key), or use a tumbling or hopping window");
    }
    spec.sink = parse_sink(r, r.required(root, "", "sink"), raw, spec.columns);
    check_final_rows_sink(r, root, spec);
    if (spec.sink.type == "postgres_raw"
        && std::none_of(spec.columns.begin(), spec.columns.end(),
                        [&](const column_spec& c) { return c.name == spec.sink.key; }))
      r.fail(root["sink"]["key"], "sink.key", "'" + spec.sink.key + "' is not one of the columns");
    // Lake files are exactly once only together with checkpoints: a new owner
    // deletes what was written after the checkpoint it restores.
    if (spec.sink.type == "parquet" && !root["checkpoints"])
      r.fail(root["sink"], "checkpoints", "a parquet sink needs checkpoints (its files are "
                                          "committed at checkpoints)");
    if (spec.source.mode == time_mode::processing && spec.window.allowed_lateness > 0)
      r.fail(root["window"]["allowed_lateness"], "window.allowed_lateness",
             "has no meaning with processing time");
    spec.dead_letter_topic = spec.name + ".dlq";
    if (auto c = root["checkpoints"]) {
      r.expect_map(c, "checkpoints", {"url", "interval", "retain"});
      auto url = r.required(c, "checkpoints", "url");
      spec.checkpoints.url = r.scalar(url, "checkpoints.url");
      if (spec.checkpoints.url.rfind("file:///", 0) != 0 && spec.checkpoints.url.rfind("s3://", 0) != 0)
        r.fail(url, "checkpoints.url", "expected file:///absolute/dir or s3://bucket/prefix, got '"
                                         + spec.checkpoints.url + "'");
      if (auto i = c["interval"])
        spec.checkpoints.interval = r.duration(i, "checkpoints.interval", true);
      if (auto n = c["retain"]) {
        auto text = r.scalar(n, "checkpoints.retain");
        char* end = nullptr;
        auto v = std::strtoul(text.c_str(), &end, 10);
        if (end != text.c_str() + text.size() || v < 2 || v > 1000)
          r.fail(n, "checkpoints.retain", "expected a whole number from 2 to 1000, got '" + text + "'");
        spec.checkpoints.retain = static_cast<std::uint32_t>(v);
      }
    }
    if (auto d = root["dead_letter"]) {
      r.expect_map(d, "dead_letter", {"topic"});
      spec.dead_letter_topic = r.required_scalar(d, "dead_letter", "topic");
    }
    if (!raw)
      check_columns(r, root, spec);
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
    std::string l{text.substr(start, nl == std::string_view::npos ? std::string_view::npos
                                                                  : nl - start)};
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
