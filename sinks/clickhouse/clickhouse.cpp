#include "sinks/clickhouse/clickhouse.hpp"

#include "base/logging.hpp"
#include "sinks/url.hpp"
#include "sinks/windowed/rows.hpp"

#include <algorithm>
#include <bit>
#include <cctype>
#include <cstring>
#include <tuple>

WEIR_LOG_MODULE("clickhouse");

namespace weir::sinks::clickhouse {

namespace {

using jobs::cell;
using jobs::millis;

std::string url_encode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// Spec identifiers are [A-Za-z_][A-Za-z0-9_]*; quoted anyway, as ClickHouse
// quotes with backticks.
std::string ident(const std::string& name) {
  return "`" + name + "`";
}

// ClickHouse's own spelling of the types weir writes, as system.columns
// gives them back.
std::string agg_type(const jobs::aggregate_spec& a) {
  if (jobs::integer_result(a.kind))
    return "UInt64";
  if (const auto d = jobs::result_decimal(a))
    return "Nullable(Decimal(" + std::to_string(d.precision) + ", " + std::to_string(d.scale)
           + "))";
  return "Nullable(Float64)";
}

// Bytes of a Decimal(precision, s) in RowBinary: Decimal32, 64 or 128.
std::size_t decimal_width(int precision) {
  return precision <= 9 ? 4 : precision <= 18 ? 8 : 16;
}

constexpr std::int64_t max_datetime = 4'294'967'295; // seconds: DateTime is a UInt32

bool fits_datetime(millis t) {
  return t >= 0 && t / 1000 <= max_datetime;
}

bool fits_window(millis start, millis end) {
  return fits_datetime(start) && fits_datetime(end);
}

constexpr const char* outside_datetime =
  "with a window outside 1970-2106, which ClickHouse's DateTime cannot hold";

} // namespace

void put_u8(std::string& out, std::uint8_t v) {
  out += static_cast<char>(v);
}

template <class T>
void put_le(std::string& out, T v) {
  static_assert(std::endian::native == std::endian::little, "RowBinary is little-endian");
  char buf[sizeof v];
  std::memcpy(buf, &v, sizeof v);
  out.append(buf, sizeof v);
}

void put_u32(std::string& out, std::uint32_t v) {
  put_le(out, v);
}
void put_u64(std::string& out, std::uint64_t v) {
  put_le(out, v);
}
void put_i32(std::string& out, std::int32_t v) {
  put_le(out, v);
}
void put_f64(std::string& out, double v) {
  put_le(out, v);
}

void put_string(std::string& out, std::string_view s) {
  auto n = static_cast<std::uint64_t>(s.size());
  do {
    std::uint8_t b = n & 0x7f;
    n >>= 7;
    put_u8(out, static_cast<std::uint8_t>(b | (n ? 0x80 : 0)));
  } while (n);
  out.append(s);
}

expected<endpoint> parse_url(const std::string& url) {
  endpoint ep;
  std::string_view rest = url;
  std::string_view scheme;
  for (std::string_view s : {"http://", "https://"})
    if (rest.starts_with(s))
      scheme = s;
  if (scheme.empty())
    return error{"clickhouse url '" + url
                 + "': expected http://[user[:password]@]host:port[/database]"};
  rest.remove_prefix(scheme.size());
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  take_userinfo(authority, ep.user, ep.password);
  if (authority.empty())
    return error{"clickhouse url '" + url + "': no host"};
  ep.base = std::string{scheme} + std::string{authority};
  if (slash != std::string_view::npos) {
    auto db = rest.substr(slash + 1);
    while (db.ends_with('/'))
      db.remove_suffix(1);
    if (db.find('/') != std::string_view::npos || db.find('?') != std::string_view::npos)
      return error{"clickhouse url '" + url + "': the path is the database, one name"};
    if (!db.empty())
      ep.database = sinks::percent_decode(db);
  }
  return ep;
}

results::results(jobs::job_spec spec, endpoint ep, http::client c)
  : spec_(std::move(spec)), layout_(spec_.aggregations), ep_(std::move(ep)), http_(std::move(c)) {
  for (const auto& a : spec_.aggregations)
    widths_.push_back(decimal_width(jobs::result_decimal(a).precision));
}

expected<std::string> results::query(const std::string& what, const std::string& sql,
                                     std::string_view body) {
  http::request req;
  req.method = "POST";
  req.url = ep_.base + "/?database=" + url_encode(ep_.database);
  // A statement with data (INSERT ... FORMAT RowBinary) goes in the URL, the
  // data in the body; any other statement in the body.
  if (!body.empty())
    req.url += "&query=" + url_encode(sql);
  req.body = body.empty() ? std::string_view{sql} : body;
  req.headers = {"Content-Type: application/octet-stream", "Expect:"};
  if (!ep_.user.empty()) {
    req.headers.push_back("X-ClickHouse-User: " + ep_.user);
    req.headers.push_back("X-ClickHouse-Key: " + ep_.password);
  }
  auto r = http_.send(what, req);
  if (!r)
    return r.failure();
  if (r->status != 200) {
    auto text = r->body.substr(0, 500);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
      text.pop_back();
    return error{what + ": ClickHouse answered " + std::to_string(r->status) + ": " + text};
  }
  return std::move(r->body);
}

expected<results> results::make(const jobs::job_spec& spec, bool merged) {
  auto ep = parse_url(spec.sink.url);
  if (!ep)
    return ep.failure();
  auto c = http::client::make(
    {ep->base, std::chrono::milliseconds{5000}, std::chrono::milliseconds{120000}});
  if (!c)
    return c.failure();
  results out{spec, std::move(*ep), std::move(*c)};
  const auto& table = spec.sink.table;

  // The columns as weir makes them, in order: what an existing table must have.
  std::vector<std::pair<std::string, std::string>> want{{"window_start", "DateTime"},
                                                        {"window_end", "DateTime"}};
  std::string order = "window_start";
  for (const auto& k : spec.key) {
    want.emplace_back(k.name, "String");
    order += ", " + k.name;
  }
  for (const auto& a : spec.aggregations)
    want.emplace_back(a.as, agg_type(a));
  want.emplace_back("_version", "UInt64");

  const std::vector<std::pair<std::string, std::string>> want_progress{{"source_partition",
                                                                        "Int32"},
                                                                       {"watermark",
                                                                        "Nullable(Int64)"},
                                                                       {"idle", "UInt8"},
                                                                       {"next_offset", "UInt64"},
                                                                       {"events", "UInt64"},
                                                                       {"filtered", "UInt64"},
                                                                       {"malformed", "UInt64"},
                                                                       {"late", "UInt64"},
                                                                       {"skipped", "UInt64"},
                                                                       {"dropped", "UInt64"},
                                                                       {"updated_at", "DateTime"}};
  // "a T, b U" of (name, type) pairs, quoted for DDL or as written.
  auto text_of = [](const auto& columns, bool quote) {
    std::string out;
    for (const auto& [name, type] : columns)
      out += (out.empty() ? "" : ", ") + (quote ? ident(name) : name) + " " + type;
    return out;
  };
  std::string order_quoted = ident("window_start");
  for (const auto& k : spec.key)
    order_quoted += ", " + ident(k.name);
  const std::string what = "clickhouse " + out.ep_.database + "." + table;
  struct table_def {
    std::string name, columns, engine, order; // engine as system.tables gives it, sorting key
  };
  std::vector<table_def> tables{
    {table, text_of(want, false), "ReplacingMergeTree(_version)", order}};
  if (!merged)
    tables.push_back({table + "__progress", text_of(want_progress, false),
                      "ReplacingMergeTree(next_offset)", "source_partition"});
  auto made =
    out.query(what, "CREATE TABLE IF NOT EXISTS " + ident(table) + " (" + text_of(want, true)
                      + ") ENGINE = ReplacingMergeTree(_version) "
                        "PARTITION BY toYYYYMM(window_start) ORDER BY ("
                      + order_quoted + ")");
  if (!made)
    return made.failure();
  if (!merged)
    made = out.query(what, "CREATE TABLE IF NOT EXISTS " + ident(table + "__progress") + " ("
                             + text_of(want_progress, true)
                             + ") ENGINE = "
                               "ReplacingMergeTree(next_offset) ORDER BY source_partition");
  if (!made)
    return made.failure();

  // CREATE TABLE IF NOT EXISTS keeps a table made otherwise: its rows would
  // not replace each other, or every insert would fail. Refused instead.
  for (const auto& t : tables) {
    auto have = out.query(what, "SELECT name, type FROM system.columns WHERE database = "
                                "currentDatabase() AND table = '"
                                  + t.name + "' FORMAT TSV");
    if (!have)
      return have.failure();
    std::string readable_have;
    for (char c : *have)
      readable_have += c == '\t' ? " " : c == '\n' ? ", " : std::string(1, c);
    if (readable_have.ends_with(", "))
      readable_have.resize(readable_have.size() - 2);
    auto engine = out.query(what, "SELECT engine_full, sorting_key FROM system.tables WHERE "
                                  "database = currentDatabase() AND name = '"
                                    + t.name + "' FORMAT TSV");
    if (!engine)
      return engine.failure();
    std::string differs;
    if (readable_have != t.columns)
      differs = "its columns are (" + readable_have + "), the spec needs (" + t.columns + ")";
    else if (!engine->starts_with(t.engine + " ")
             || engine->find("\t" + t.order + "\n") == std::string::npos)
      differs = "its engine is " + engine->substr(0, engine->find('\t')) + "; the spec needs "
                + t.engine + " ORDER BY (" + t.order + ")";
    if (!differs.empty())
      return error{"results table " + out.ep_.database + "." + t.name + ": " + differs
                     + "; it was made for another spec: drop or migrate it, or name another table",
                   true};
  }
  return out;
}

expected<std::size_t> results::write_final(const windowed::final_rows& taken,
                                           windowed::dropped_rows& dropped,
                                           std::vector<refused_row>&) {
  auto refs = taken.rows;
  windowed::drop_unfit(
    refs, [](const windowed::row_ref& r) { return fits_window(r.start(), r.end()); },
    outside_datetime, dropped, spec_);
  const auto& latest = taken.progress;
  const auto& table = spec_.sink.table;
  if (!refs.empty()) {
    rows_.clear();
    const std::size_t nk = spec_.key.size();
    for (const auto& r : refs) {
      const auto& w = r.rows->rows;
      key_.clear();
      for (std::size_t k = 0; k < nk; ++k)
        key_.push_back(jobs::key_part(w.keys[r.i], k));
      jobs::values_of(spec_.aggregations, layout_, jobs::accumulators_of(w, r.i), cells_);
      put_row(w.starts[r.i], w.ends[r.i], key_, cells_, r.version);
    }
    if (auto ok = insert_rows(); !ok)
      return ok.failure();
  }

  // Progress is for people and tests, not for correctness: written with rows,
  // at a barrier, or once a second, so idle polls make no parts.
  const auto now = std::chrono::steady_clock::now();
  if (!latest.empty()
      && (!refs.empty() || taken.barrier || now - last_progress_ >= std::chrono::seconds(1))) {
    progress_.clear();
    const auto wall =
      static_cast<std::uint32_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
    for (const auto& [part, p] : latest) {
      put_i32(progress_, part);
      if (p->watermark == jobs::no_time) {
        put_u8(progress_, 1);
      } else {
        put_u8(progress_, 0);
        put_le<std::int64_t>(progress_, p->watermark);
      }
      put_u8(progress_, p->idle ? 1 : 0);
      for (std::uint64_t v : {static_cast<std::uint64_t>(p->next_offset), p->events, p->filtered,
                              p->malformed, p->late, p->skipped, dropped[part]})
        put_u64(progress_, v);
      put_u32(progress_, wall);
    }
    auto ok = query("clickhouse insert into " + ep_.database + "." + table + "__progress",
                    "INSERT INTO " + ident(table + "__progress") + " FORMAT RowBinary", progress_);
    if (!ok)
      return ok.failure();
    last_progress_ = now;
  }
  return refs.size();
}

void results::put_row(millis start, millis end, std::span<const std::string_view> key,
                      const std::vector<cell>& values, std::uint64_t version) {
  put_u32(rows_, static_cast<std::uint32_t>(start / 1000));
  put_u32(rows_, static_cast<std::uint32_t>(end / 1000));
  for (auto part : key)
    put_string(rows_, part);
  for (const auto& c : values) {
    switch (c.k) {
      case cell::integer: put_u64(rows_, static_cast<std::uint64_t>(c.i)); break;
      case cell::real: put_u8(rows_, 0), put_f64(rows_, c.d); break;
      case cell::decimal: {
        put_u8(rows_, 0);
        const auto x = static_cast<uint128>(c.x); // two's complement, little-endian
        for (std::size_t b = 0; b < widths_[&c - values.data()]; ++b)
          rows_.push_back(static_cast<char>(static_cast<std::uint8_t>(x >> (8 * b))));
        break;
      }
      case cell::null: put_u8(rows_, 1); break;
    }
  }
  put_u64(rows_, version);
}

expected<std::string> results::insert_rows() {
  const auto& table = spec_.sink.table;
  return query("clickhouse insert into " + ep_.database + "." + table,
               "INSERT INTO " + ident(table) + " FORMAT RowBinary", rows_);
}

expected<std::size_t> results::write_merged(std::span<const windowed::merged_row> rows,
                                            std::uint64_t version, std::span<const millis>,
                                            std::vector<refused_row>&) {
  rows_.clear();
  std::size_t dropped = 0;
  for (const auto& r : rows) {
    if (!fits_window(r.start, r.end)) {
      ++dropped;
      continue;
    }
    windowed::key_parts(r.key, spec_.key.size(), key_);
    put_row(r.start, r.end, key_, *r.values, version);
  }
  if (dropped)
    WEIR_WARN("job {}: {} merged rows {}: dropped, counted in the partials' "
              "{}__progress.dropped (row -1)",
              spec_.name, dropped, outside_datetime, spec_.sink.table);
  if (!rows_.empty())
    if (auto ok = insert_rows(); !ok)
      return ok.failure();
  return dropped;
}

} // namespace weir::sinks::clickhouse
