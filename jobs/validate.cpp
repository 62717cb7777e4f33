// The model's rules, in the order the YAML spec reads (so the first broken
// rule is the one nearest its top). A rule names the field at fault by its
// YAML path; the front ends place it.
#include "jobs/validate.hpp"

#include "jobs/connectors.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <numeric>
#include <regex>
#include <set>

namespace weir::jobs {

std::string number_bounds::expected(std::string_view got) const {
  return "expected a whole number from " + std::to_string(min)
         + (max_named ? " to " + std::to_string(max) : "") + ", got '" + std::string{got} + "'";
}

std::optional<std::uint64_t> whole_number(const std::string& text, std::uint64_t fits) {
  if (text.empty() || text.find('-') != std::string::npos)
    return std::nullopt;
  errno = 0;
  char* end = nullptr;
  auto v = std::strtoull(text.c_str(), &end, 10);
  if (end != text.c_str() + text.size() || errno == ERANGE || v > fits)
    return std::nullopt;
  return v;
}

std::string field_path_problem(const std::string& s) {
  if (!s.empty() && s.front() != '.' && s.back() != '.' && s.find("..") == std::string::npos)
    return {};
  return "'" + s + "' is not a field path (names separated by single dots)";
}

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
    if (cp < min_for[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)
        || (cp >= 0x80 && cp < 0xa0))
      return false;
    i += n + 1;
  }
  return true;
}

namespace {

struct broken {
  violation v;
};

[[noreturn]] void fail(std::string path, std::string reason, std::string asked_by = {}) {
  throw broken{{std::move(path), std::move(reason), std::move(asked_by)}};
}

std::string at(const std::string& path, size_t i) {
  return path + "[" + std::to_string(i) + "]";
}

// A column or table name: what PostgreSQL takes unquoted, up to its 63 bytes.
bool is_identifier(const std::string& s) {
  static const std::regex ident{"[A-Za-z_][A-Za-z0-9_]{0,62}"};
  return std::regex_match(s, ident);
}

void text(const std::string& s, const std::string& path) {
  if (s.empty())
    fail(path, "must not be empty");
  if (!plain_text(s))
    fail(path, "must be UTF-8 text without control characters");
}

void name(const std::string& s, const std::string& path) {
  text(s, path);
  if (!is_identifier(s))
    fail(path,
         "'" + s + "' is not a valid name (letters, digits and _, not starting with a digit)");
}

void field(const std::string& s, const std::string& path) {
  text(s, path);
  if (auto why = field_path_problem(s); !why.empty())
    fail(path, why);
}

void positive(millis d, const std::string& path) {
  if (d <= 0)
    fail(path, "must be greater than zero");
}

void bounded(std::uint64_t v, const number_bounds& b, const std::string& path) {
  if (!b.holds(v))
    fail(path, b.expected(std::to_string(v)));
}

bool has_column(const std::vector<column_spec>& columns, const std::string& name) {
  return std::any_of(columns.begin(), columns.end(),
                     [&](const column_spec& c) { return c.name == name; });
}

void job_name(const std::string& s) {
  text(s, "name");
  static const std::regex name_re{"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}"};
  if (!std::regex_match(s, name_re))
    fail("name", "'" + s + "' is not a valid job name (letters, digits, _ . -)");
}

void columns(const std::vector<column_spec>& cols, const std::string& path) {
  if (cols.empty())
    fail(path, "expected a non-empty list");
  std::set<std::string> seen;
  for (size_t i = 0; i < cols.size(); ++i) {
    const auto p = at(path, i);
    name(cols[i].name, p + ".name");
    if (!seen.insert(cols[i].name).second)
      fail(p + ".name", "column '" + cols[i].name + "' is used twice");
    text(cols[i].field, p + ".field");
  }
}

void source(const job_spec& spec) {
  const auto& s = spec.source;
  text(s.brokers, "source.brokers");
  text(s.topic, "source.topic");
  if (!s.partitioned_by.empty()) {
    if (is_raw(spec))
      fail("source.partitioned_by", "a job with columns has no key to partition by");
    field(s.partitioned_by, "source.partitioned_by");
  }
  if (s.format != "json")
    fail("source.format", "only 'json' is supported");
  // An event-time window needs the event's time; a raw job may have one.
  if (!s.time_field.empty() || (!is_raw(spec) && s.mode == time_mode::event)) {
    text(s.time_field, "source.event_time.field");
    positive(s.idle_timeout, "source.event_time.idle_timeout");
  }
}

const char* op_name(filter_op op) {
  switch (op) {
    case filter_op::eq: return "eq";
    case filter_op::ne: return "ne";
    case filter_op::in: return "in";
    case filter_op::not_in: return "not_in";
    case filter_op::gt: return "gt";
    case filter_op::ge: return "ge";
    case filter_op::lt: return "lt";
    case filter_op::le: return "le";
  }
  return "?";
}

void filters(const std::vector<filter_spec>& fs) {
  for (size_t i = 0; i < fs.size(); ++i) {
    const auto p = at("where", i);
    text(fs[i].field, p + ".field");
    const auto op = p + "." + op_name(fs[i].op);
    if (fs[i].op == filter_op::in || fs[i].op == filter_op::not_in)
      for (size_t j = 0; j < fs[i].values.size(); ++j)
        text(fs[i].values[j], at(op, j));
    else if (fs[i].op == filter_op::eq || fs[i].op == filter_op::ne)
      text(fs[i].values.empty() ? std::string{} : fs[i].values[0], op);
  }
}

void key(const std::vector<key_spec>& parts) {
  for (size_t i = 0; i < parts.size(); ++i) {
    const auto& k = parts[i];
    const bool renamed = key_spec{k.field}.name != k.name;
    // Written {field, as, type} when it is more than a field (to_yaml).
    field(k.field, renamed || k.type != key_type::any ? at("key", i) + ".field" : at("key", i));
    if (renamed)
      name(k.name, at("key", i) + ".as");
  }
}

void window(const window_spec& w) {
  if (w.kind == window_kind::session) {
    positive(w.gap, "window.gap");
  } else {
    positive(w.size, "window.size");
    if (w.kind == window_kind::hopping) {
      positive(w.slide, "window.slide");
      if (w.slide > w.size)
        fail("window.slide", "must not exceed window.size (events would fall between windows)");
      if (w.size / std::gcd(w.size, w.slide) > 10'000)
        fail("window.slide", "size/gcd(size, slide) exceeds 10000 slices per window");
    }
  }
  if (w.kind == window_kind::session && w.allowed_lateness > 0)
    fail("window.allowed_lateness",
         "is not supported for session windows (a late event could move a session's start)");
}

void aggregations(const std::vector<aggregate_spec>& aggs) {
  if (aggs.empty())
    fail("aggregations", "expected a non-empty list");
  for (size_t i = 0; i < aggs.size(); ++i) {
    const auto& a = aggs[i];
    const auto p = at("aggregations", i);
    if (a.kind == agg_kind::count && !a.field.empty())
      fail(p + ".field", "count takes no field");
    if (a.kind != agg_kind::count && a.field.empty())
      fail(p + ".field", std::string{"required for "} + to_string(a.kind));
    if (!a.field.empty())
      text(a.field, p + ".field");
    if (a.decimal.precision != 0 || a.decimal.scale != 0)
      if (auto why = type_problem(a.kind, &a.decimal); !why.empty())
        fail(p + ".type", why);
    // Unnamed, the column is fn_field (a nested field's dots as _).
    auto unnamed = a.kind == agg_kind::count ? std::string{"count"}
                                             : std::string{to_string(a.kind)} + "_" + a.field;
    std::replace(unnamed.begin(), unnamed.end(), '.', '_');
    if (a.as == unnamed && !is_identifier(a.as))
      fail(p + ".as", "'" + a.as + "' is no column name: name the output with as:");
    name(a.as, p + ".as");
  }
}

void top(const job_spec& spec) {
  const auto& t = spec.top;
  if (t.n == 0 && t.by.empty())
    return;
  bounded(t.n, top_n_bounds, "top.n");
  std::string names;
  for (const auto& a : spec.aggregations) {
    if (a.as == t.by)
      return;
    names += (names.empty() ? "" : ", ") + a.as;
  }
  fail("top.by", "'" + t.by + "' is not an aggregate's output column (" + names + ")");
}

void partitions(const job_spec& spec) {
  if (const auto& pb = spec.source.partitioned_by;
      !pb.empty() && std::none_of(spec.key.begin(), spec.key.end(), [&](const key_spec& k) {
        return k.field == pb;
      }))
    fail("source.partitioned_by", "'" + pb
                                    + "' is not one of the key fields (every row of a "
                                      "window must come from one partition)");
  // A session is a run of one key's events; partials of it cut by
  // partition overlap and cannot be merged back (docs/job-spec.md,
  // "Exact across partitions").
  if (spec.window.kind == window_kind::session && spec.source.partitioned_by.empty())
    fail("window.type",
         "session windows need all of a key's events in one Kafka partition: each "
         "partition would close its own sessions of a key, which overlap and cannot be "
         "merged; declare the source's partitioned_by (a key field whose value is every "
         "event's Kafka message key), or use a tumbling or hopping window");
}

// The type of a column an iceberg sink writes: the job's or a derived one
// (date and hour are text, modulo an int64); nullopt if there is none.
std::optional<column_type> sink_column(const std::vector<column_spec>& columns,
                                       const sink_spec& sink, const std::string& name) {
  for (const auto& c : columns)
    if (c.name == name)
      return c.type;
  for (const auto& d : sink.derive)
    if (d.name == name)
      return d.k == derived_column_spec::modulo ? column_type::int64 : column_type::string;
  return std::nullopt;
}

void derive(const std::vector<column_spec>& columns, const sink_spec& sink) {
  std::set<std::string> seen;
  for (size_t i = 0; i < sink.derive.size(); ++i) {
    const auto& d = sink.derive[i];
    const auto p = at("sink.derive", i);
    name(d.name, p + ".name");
    if (has_column(columns, d.name) || !seen.insert(d.name).second)
      fail(p + ".name", "column '" + d.name + "' is used twice");
    text(d.column, p + ".column");
    auto col = std::find_if(columns.begin(), columns.end(),
                            [&](const column_spec& c) { return c.name == d.column; });
    if (col == columns.end())
      fail(p + ".column", "'" + d.column + "' is not one of the columns");
    if (d.k == derived_column_spec::modulo) {
      bounded(d.every, derive_bounds, p + ".modulo");
      if (col->type != column_type::int64)
        fail(p + ".modulo", "needs an int64 column ('" + d.column + "' is not)");
      continue;
    }
    if (col->type != column_type::timestamp)
      fail(p + ".as", "date and hour need a timestamp column ('" + d.column + "' is not)");
    if (d.k == derived_column_spec::hour) {
      bounded(d.every, hour_every_bounds, p + ".every");
      if (24 % d.every != 0)
        fail(p + ".every", "must divide 24 (1, 2, 3, 4, 6, 8, 12 or 24)");
    }
  }
}

// Whether a transform takes a column of this type, as Iceberg's do.
bool transform_takes(const std::string& transform, column_type t) {
  if (transform == "identity")
    return true;
  if (transform.rfind("bucket[", 0) == 0)
    return t == column_type::int64 || t == column_type::string || t == column_type::timestamp;
  if (transform.rfind("truncate[", 0) == 0)
    return t == column_type::int64 || t == column_type::string;
  return t == column_type::timestamp; // year, month, day, hour
}

void partitioned_by(const std::vector<column_spec>& columns, const sink_spec& sink) {
  std::set<std::pair<std::string, std::string>> seen;
  const auto& terms = sink.partitioned_by;
  for (size_t i = 0; i < terms.size(); ++i) {
    const auto p = at("sink.partitioned_by", i);
    text(terms[i], p);
    auto term = parse_partition_term(terms[i]);
    if (!term)
      fail(p, "'" + terms[i]
                + "' is no partition field: a column, or year, month, day, hour, bucket[N] or "
                  "truncate[W] of one, as in day(event_time)");
    auto type = sink_column(columns, sink, term->column);
    if (!type)
      fail(p, "'" + term->column + "' is not one of the columns or derived columns");
    if (!transform_takes(term->transform, *type))
      fail(p, term->transform + " does not take '" + term->column
                + "' (year, month, day and hour take a timestamp; bucket an int64, string or "
                  "timestamp; truncate an int64 or string)");
    if (!seen.emplace(term->transform, term->column).second)
      fail(p, "'" + terms[i] + "' is listed twice");
  }
}

void sort_by(const std::vector<column_spec>& columns, const sink_spec& sink) {
  std::set<std::string> seen;
  for (size_t i = 0; i < sink.sort_by.size(); ++i) {
    const auto& c = sink.sort_by[i];
    const auto p = at("sink.sort_by", i);
    text(c, p);
    if (!sink_column(columns, sink, c))
      fail(p, "'" + c + "' is not one of the columns or derived columns");
    if (!seen.insert(c).second)
      fail(p, "'" + c + "' is listed twice");
  }
}

bool postgres_url(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

// An Iceberg v2 table (sinks/lake/) of `columns`: its place on S3, its name
// in the SQL catalog, the columns it adds, and how its data files are laid out.
void iceberg(const std::vector<column_spec>& columns, const sink_spec& s) {
  if (s.url.find('/', 5) == std::string::npos || s.url[5] == '/' || s.url.back() == '/')
    fail("sink.url", "expected s3://bucket/prefix (the table's location), got '" + s.url + "'");
  if (s.catalog.empty())
    fail("sink.catalog", "required: the PostgreSQL of the Iceberg SQL catalog (postgresql://...)",
         "sink.type");
  text(s.catalog, "sink.catalog");
  if (!postgres_url(s.catalog))
    fail("sink.catalog", "expected postgresql://..., got '" + s.catalog + "'");
  auto dot = s.table.find('.');
  if (dot == std::string::npos || !is_identifier(s.table.substr(0, dot))
      || !is_identifier(s.table.substr(dot + 1)))
    fail("sink.table", "expected namespace.name (two names: letters, digits and _, not starting "
                       "with a digit), got '"
                         + s.table + "'");
  derive(columns, s);
  partitioned_by(columns, s);
  sort_by(columns, s);
  text(s.codec, "sink.codec");
  if (s.codec != "zstd" && s.codec != "snappy" && s.codec != "none")
    fail("sink.codec", "'" + s.codec + "' is not one of: zstd, snappy, none");
  bounded(s.max_file_mb, max_file_mb_bounds, "sink.max_file_mb");
  bounded(s.commit_every, commit_every_bounds, "sink.commit_every");
  if (s.commit_mb) {
    bounded(*s.commit_mb, commit_mb_bounds, "sink.commit_mb");
    // The rounds bound how long a small table waits for its bytes.
    if (s.commit_every < 2)
      fail("sink.commit_mb",
           "needs sink.commit_every of 2 or more: the most checkpoint rounds a snapshot "
           "waits for the bytes (with 1, every round commits anyway)");
  }
  bounded(s.snapshots_kept, snapshots_kept_bounds, "sink.snapshots_kept");
}

void sink(const job_spec& spec) {
  const auto& s = spec.sink;
  const auto* c = find_connector(s.type);
  if (!c)
    fail("sink.type", not_a_connector(s.type));
  if (!c->takes(is_raw(spec) ? sink_rows::raw : sink_rows::results))
    fail("sink.type",
         is_raw(spec)
           ? "a job with columns keeps every event: use "
               + listed(connector_names([](const connector& x) { return x.takes(sink_rows::raw); },
                                        name_of::type),
                        " or ")
           : s.type + " keeps every event: the job needs columns instead of windows");
  if (c->store == sink_store::none) {
    // Nothing is stored, so nothing names where.
    if (!s.url.empty())
      fail("sink.url", s.type + " discards its rows: it takes no url");
    if (!s.table.empty())
      fail("sink.table", s.type + " discards its rows: it takes no table");
    if (!s.partials_url.empty())
      fail("sink.partials_url", s.type + " discards its rows: it takes no partials_url");
    return;
  }
  text(s.url, "sink.url");
  if (!c->takes(s.url))
    fail("sink.url", "expected " + std::string{c->url_form} + ", got '" + s.url + "'");
  if (!s.partials_url.empty()) {
    if (!c->final_rows)
      fail("sink.partials_url",
           "only "
             + listed(connector_names([](const connector& x) { return x.final_rows; },
                                      name_of::type),
                      " and ")
             + " sinks take it (postgres keeps its partials beside its results)");
    text(s.partials_url, "sink.partials_url");
    if (!postgres_url(s.partials_url))
      fail("sink.partials_url", "expected postgresql://..., got '" + s.partials_url + "'");
  }
  if (c->store == sink_store::files) {
    iceberg(spec.columns, s);
    // A younger file may be one a live worker lists at its next barrier.
    if (s.orphan_age < spec.checkpoints.interval)
      fail("sink.orphan_age", "must be at least checkpoints.interval ("
                                + std::to_string(spec.checkpoints.interval)
                                + " ms): a younger unlisted file may still be listed at the "
                                  "next barrier");
    return;
  }
  name(s.table, "sink.table");
  if (is_raw(spec) && !s.key.empty())
    name(s.key, "sink.key");
}

// ClickHouse and MariaDB take each row once, final (sinks/clickhouse/,
// sinks/mysql/): with source.partitioned_by every row is final as its
// partition emits it; otherwise each partition's partials wait in the
// PostgreSQL of sink.partials_url until the window is final, and the merged
// row goes to the store. Top-N replaces a window's rows, which a store that
// keeps rows by version cannot. ClickHouse 18.16's DateTime holds whole
// seconds.
void final_rows(const job_spec& spec) {
  const auto& type = spec.sink.type;
  if (!find_connector(type)->final_rows)
    return;
  if (spec.source.partitioned_by.empty() && spec.sink.partials_url.empty())
    fail("sink.partials_url",
         "a " + type
           + " sink of keys across partitions merges each "
             "partition's partials in PostgreSQL: give sink.partials_url "
             "(postgresql://...), or declare source.partitioned_by if "
             "every key is in one Kafka partition",
         "sink.type");
  if (!spec.source.partitioned_by.empty() && !spec.sink.partials_url.empty())
    fail("sink.partials_url", "with source.partitioned_by every row is final as its partition "
                              "emits it: there are no partials to keep");
  if (spec.top.n > 0)
    fail("top", "top replaces a window's ranked rows: use a postgres sink");
  if (type == "mysql") {
    // MariaDB's limits: names of 64 characters (<table>__progress adds 10),
    // compared without case; a primary key of 3072 bytes (5 key parts of
    // VARBINARY(512) and the DATETIME(3)).
    if (spec.sink.table.size() > 54)
      fail("sink.table", "a mysql table name has at most 54 characters");
    if (spec.key.size() > 5)
      fail("key", "a mysql sink takes at most 5 key parts (InnoDB's primary key holds 3072 "
                  "bytes)");
    std::set<std::string> lower;
    auto fold = [](std::string s) {
      for (auto& ch : s)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      return s;
    };
    for (const auto& k : spec.key)
      lower.insert(fold(k.name));
    for (const auto& a : spec.aggregations)
      if (!lower.insert(fold(a.as)).second)
        fail("aggregations",
             "column '" + a.as + "' is used twice once case is ignored, as MariaDB does");
    return;
  }
  const auto& w = spec.window;
  if (w.kind == window_kind::session)
    fail("window.type", "session windows start and end at event times (milliseconds); "
                        "ClickHouse 18.16's DateTime holds whole seconds: use postgres");
  if (w.size % 1000 != 0 || w.slide % 1000 != 0)
    fail("window", "a clickhouse sink needs windows of whole seconds (ClickHouse 18.16's "
                   "DateTime has no milliseconds)");
}

// After the sink: what the job as a whole asks of it.
void whole_job(const job_spec& spec) {
  const auto& c = *find_connector(spec.sink.type);
  if (c.rows == sink_rows::raw && c.store == sink_store::table && !spec.sink.key.empty()
      && !has_column(spec.columns, spec.sink.key))
    fail("sink.key", "'" + spec.sink.key + "' is not one of the columns");
  // Data files are exactly once only together with checkpoints: a snapshot
  // commits what was written up to a checkpoint, and a new owner resumes
  // from the last one committed.
  if (c.store == sink_store::files && spec.checkpoints.url.empty())
    fail("checkpoints",
         "an " + spec.sink.type
           + " sink needs checkpoints (its data files are committed at checkpoints)",
         "sink");
  if (spec.source.mode == time_mode::processing && spec.window.allowed_lateness > 0)
    fail("window.allowed_lateness", "has no meaning with processing time");
  if (const auto& cp = spec.checkpoints; !cp.url.empty()) {
    text(cp.url, "checkpoints.url");
    if (cp.url.rfind("file:///", 0) != 0 && cp.url.rfind("s3://", 0) != 0)
      fail("checkpoints.url",
           "expected file:///absolute/dir or s3://bucket/prefix, got '" + cp.url + "'");
    positive(cp.interval, "checkpoints.interval");
    bounded(cp.retain, retain_bounds, "checkpoints.retain");
  }
  text(spec.dead_letter_topic, "dead_letter.topic");
}

// Output column names are distinct, and none is a column weir adds itself.
void output_columns(const job_spec& spec) {
  std::set<std::string> seen{"window_start", "window_end", "source_partition", "rank", "_version"};
  auto claim = [&](const std::string& column, const std::string& path) {
    if (!seen.insert(column).second)
      fail(path, "output column '" + column + "' is used twice (or is reserved)");
  };
  for (size_t i = 0; i < spec.key.size(); ++i) {
    const auto& k = spec.key[i].name;
    if (!is_identifier(k))
      fail(at("key", i), "'" + k
                           + "' is not a valid column name (letters, digits and _, not "
                             "starting with a digit): name it with {field: ..., as: NAME}");
    claim(k, at("key", i));
  }
  for (size_t i = 0; i < spec.aggregations.size(); ++i)
    claim(spec.aggregations[i].as, at("aggregations", i) + ".as");
}

// An export's rows go to files under export.to, or to its sink: an iceberg
// table, one snapshot per run (so no commit_every).
void export_job(const export_spec& e, const sink_spec& s) {
  text(e.pg_url, "export.from.url");
  name(e.table, "export.from.table");
  name(e.key, "export.from.key");
  columns(e.columns, "export.columns");
  if (!has_column(e.columns, e.key))
    fail("export.from.key", "'" + e.key + "' is not one of the columns");
  positive(e.every, "export.every");
  if (!e.to_lake) {
    if (!plain_text(e.bucket) || !plain_text(e.prefix))
      fail("export.to", "must be UTF-8 text without control characters");
    return;
  }
  const auto* c = find_connector(s.type);
  if (!c || c->store != sink_store::files)
    fail("sink.type",
         "an export writes Parquet files under export.to, or into a table of sink.type "
           + listed(connector_names([](const connector& x) { return x.store == sink_store::files; },
                                    name_of::type),
                    " or ")
           + ", not '" + s.type + "'");
  text(s.url, "sink.url");
  if (!c->takes(s.url))
    fail("sink.url", "expected " + std::string{c->url_form} + ", got '" + s.url + "'");
  if (!s.partials_url.empty())
    fail("sink.partials_url", "an export into an " + s.type + " table keeps no partials");
  iceberg(e.columns, s);
  if (s.commit_every != 1)
    fail("sink.commit_every", "an export commits one snapshot per run");
}

void check(const job_spec& spec) {
  job_name(spec.name);
  if (spec.export_job) {
    // An export reads no stream: each run claims, uploads and marks its rows.
    if (!spec.checkpoints.url.empty())
      fail("checkpoints", "an export job takes no checkpoints: each run marks the rows it "
                          "exported");
    return export_job(*spec.export_job, spec.sink);
  }
  source(spec);
  filters(spec.filters);
  if (is_raw(spec)) {
    columns(spec.columns, "columns");
  } else {
    key(spec.key);
    window(spec.window);
    aggregations(spec.aggregations);
    top(spec);
    partitions(spec);
  }
  sink(spec);
  final_rows(spec);
  whole_job(spec);
  if (!is_raw(spec))
    output_columns(spec);
}

} // namespace

std::string type_problem(agg_kind kind, const decimal_type* d) {
  if (kind != agg_kind::sum && kind != agg_kind::min && kind != agg_kind::max
      && kind != agg_kind::avg)
    return "only sum, min, max and avg read their field as a number";
  if (!d)
    return {};
  if (d->precision < 1 || d->precision > decimal_type::max_precision)
    return "a decimal's precision is 1 to " + std::to_string(decimal_type::max_precision)
           + " digits (a value is held in 64 bits, a sum in 128), not "
           + std::to_string(d->precision);
  if (d->scale < 0 || d->scale > d->precision)
    return "a decimal's scale is 0 to its precision (" + std::to_string(d->precision) + "), not "
           + std::to_string(d->scale);
  return {};
}

std::optional<violation> validate(const job_spec& spec) {
  try {
    check(spec);
  } catch (const broken& b) {
    return b.v;
  }
  return std::nullopt;
}

} // namespace weir::jobs
