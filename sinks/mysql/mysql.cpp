#include "sinks/mysql/mysql.hpp"

#include "base/logging.hpp"
#include "jobs/raw/rows.hpp"
#include "sinks/isolate.hpp"
#include "sinks/url.hpp"
#include "sinks/windowed/rows.hpp"

#include <mysql.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <tuple>

WEIR_LOG_MODULE("mysql");

namespace weir::sinks::mysql {

namespace {

using jobs::cell;
using jobs::millis;

constexpr std::size_t max_key_bytes = 512;
// DATETIME holds years 1000 to 9999.
constexpr millis min_datetime = -30'610'224'000'000; // 1000-01-01
constexpr millis max_datetime = 253'402'300'799'999; // 9999-12-31 23:59:59.999
// Well below max_allowed_packet (16 MiB by default): one write may take
// several statements, all in its transaction.
constexpr std::size_t max_statement = 4 << 20;
constexpr const char* cannot_hold =
  "MariaDB's columns cannot hold (a window outside years 1000-9999, or a key part over 512 bytes)";

std::string ident(const std::string& name) {
  return "`" + name + "`";
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// With an exponent, so MariaDB reads it as a DOUBLE literal (not a DECIMAL
// converted later); shortest form, so it reads back to the same double.
// DOUBLE holds no NaN or infinity (a sum past 1e308): NULL, no value.
void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += "NULL";
    return;
  }
  char buf[40];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  out.append(buf, end);
}

bool fits_datetime(millis t) {
  return t >= min_datetime && t <= max_datetime;
}

} // namespace

void append_hex_literal(std::string& out, std::string_view bytes) {
  static const char* hex = "0123456789ABCDEF";
  out += "X'";
  for (unsigned char c : bytes) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  out += '\'';
}

expected<endpoint> parse_url(const std::string& url) {
  constexpr std::string_view scheme = "mysql://";
  const std::string form = "expected mysql://user[:password]@host[:port]/database";
  std::string_view rest = url;
  if (!rest.starts_with(scheme))
    return error{"mysql url '" + url + "': " + form};
  rest.remove_prefix(scheme.size());
  endpoint ep;
  auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 >= rest.size())
    return error{"mysql url '" + url + "': no database; " + form};
  ep.database = sinks::percent_decode(rest.substr(slash + 1));
  auto authority = rest.substr(0, slash);
  if (!take_userinfo(authority, ep.user, ep.password))
    return error{"mysql url '" + url + "': no user; " + form};
  if (auto pc = authority.rfind(':'); pc != std::string_view::npos) {
    auto port = authority.substr(pc + 1);
    unsigned p = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
    if (ec != std::errc{} || end != port.data() + port.size() || p == 0 || p > 65535)
      return error{"mysql url '" + url + "': port '" + std::string{port} + "' is not a port"};
    ep.port = p;
    authority = authority.substr(0, pc);
  }
  if (authority.empty() || ep.user.empty() || ep.database.find('/') != std::string::npos)
    return error{"mysql url '" + url + "': " + form};
  ep.host = authority;
  return ep;
}

struct results::connection {
  MYSQL* db = nullptr;
  std::string where; // user@host:port/database, named in errors
  ~connection() {
    if (db)
      mysql_close(db);
  }

  error failure(const std::string& what) const {
    return error{"mysql " + where + ": " + what + ": " + mysql_error(db) + " (error "
                 + std::to_string(mysql_errno(db)) + ")"};
  }

  expected<void> exec(const std::string& what, const std::string& sql) {
    refused = false;
    if (mysql_real_query(db, sql.data(), sql.size()) != 0) {
      // SQLSTATE 22 (data), 23 (a constraint), 45000 (a trigger's SIGNAL):
      // refused for what the rows hold, not for the moment.
      const std::string_view state = mysql_sqlstate(db);
      refused = state.starts_with("22") || state.starts_with("23") || state == "45000";
      return failure(what);
    }
    return {};
  }
  bool refused = false; // the last exec failed for the rows it was given

  // The rows of a query, NULL as "\N".
  expected<std::vector<std::vector<std::string>>> rows(const std::string& what,
                                                       const std::string& sql) {
    if (auto ok = exec(what, sql); !ok)
      return ok.failure();
    std::unique_ptr<MYSQL_RES, void (*)(MYSQL_RES*)> res{mysql_store_result(db), mysql_free_result};
    if (!res)
      return failure(what);
    std::vector<std::vector<std::string>> out;
    const auto n = mysql_num_fields(res.get());
    while (MYSQL_ROW row = mysql_fetch_row(res.get())) {
      auto* lengths = mysql_fetch_lengths(res.get());
      auto& r = out.emplace_back();
      for (unsigned i = 0; i < n; ++i)
        r.push_back(row[i] ? std::string{row[i], lengths[i]} : "\\N");
    }
    return out;
  }
};

results::results(results&&) noexcept = default;
results& results::operator=(results&&) noexcept = default;
results::~results() = default;

namespace {

using column = std::tuple<std::string, std::string, std::string>; // name, type, NULL | NOT NULL

// The columns as weir makes them, in order, with MariaDB's spelling of
// their types in information_schema.
std::vector<column> result_columns(const jobs::job_spec& spec) {
  std::vector<column> out{{"window_start", "datetime(3)", "NOT NULL"},
                          {"window_end", "datetime(3)", "NOT NULL"}};
  for (const auto& k : spec.key)
    out.emplace_back(k.name, "varbinary(" + std::to_string(max_key_bytes) + ")", "NOT NULL");
  for (const auto& a : spec.aggregations) {
    const auto d = jobs::result_decimal(a);
    out.emplace_back(a.as,
                     jobs::integer_result(a.kind) ? "bigint"
                     : d                          ? jobs::decimal_column(d, "decimal")
                                                  : "double",
                     jobs::integer_result(a.kind) ? "NOT NULL" : "NULL");
  }
  out.emplace_back("_version", "bigint", "NOT NULL");
  return out;
}

const std::vector<column> progress_columns{{"source_partition", "int", "NOT NULL"},
                                           {"watermark", "bigint", "NULL"},
                                           {"idle", "tinyint", "NOT NULL"},
                                           {"next_offset", "bigint", "NOT NULL"},
                                           {"events", "bigint", "NOT NULL"},
                                           {"filtered", "bigint", "NOT NULL"},
                                           {"malformed", "bigint", "NOT NULL"},
                                           {"late", "bigint", "NOT NULL"},
                                           {"skipped", "bigint", "NOT NULL"},
                                           {"dropped", "bigint", "NOT NULL"},
                                           {"updated_at", "timestamp(3)", "NOT NULL"}};

// "name type NULL, ...": as check_table() reads a table back; `quote` the
// names for DDL.
std::string column_text(const std::vector<column>& columns, bool quote) {
  std::string out;
  for (const auto& [name, type, null] : columns)
    out += (out.empty() ? "" : ", ") + (quote ? ident(name) : name) + " " + type + " " + null;
  return out;
}

std::string primary_key(const jobs::job_spec& spec, bool quote) {
  std::string out = quote ? ident("window_start") : "window_start";
  for (const auto& k : spec.key)
    out += ", " + (quote ? ident(k.name) : k.name);
  return out;
}

} // namespace

// CREATE TABLE IF NOT EXISTS keeps a table made otherwise: every upsert
// would fail, or rows would not replace each other. Refused instead: ""
// or how table `t` differs from the columns and primary key wanted.
expected<std::string> results::check_table(const std::string& t, const std::string& columns,
                                           const std::string& pk) {
  auto& c = *conn_;
  auto rows = c.rows("check " + t,
                     "SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE FROM information_schema.COLUMNS "
                     "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '"
                       + t + "' ORDER BY ORDINAL_POSITION");
  if (!rows)
    return rows.failure();
  std::string have;
  for (const auto& r : *rows) {
    // Integer display widths dropped (MariaDB says bigint(20), MySQL 8 bigint).
    auto type = r[1];
    if (auto paren = type.find('(');
        paren != std::string::npos && paren >= 3 && type.compare(paren - 3, 4, "int(") == 0)
      type.resize(paren);
    have +=
      (have.empty() ? "" : ", ") + r[0] + " " + type + (r[2] == "YES" ? " NULL" : " NOT NULL");
  }
  auto keys =
    c.rows("check " + t, "SELECT COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE WHERE "
                         "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = '"
                           + t + "' AND CONSTRAINT_NAME = 'PRIMARY' ORDER BY ORDINAL_POSITION");
  if (!keys)
    return keys.failure();
  std::string have_pk;
  for (const auto& r : *keys)
    have_pk += (have_pk.empty() ? "" : ", ") + r[0];
  if (have != columns)
    return "its columns are (" + have + "), the spec needs (" + columns + ")";
  if (have_pk != pk)
    return "its primary key is (" + have_pk + "), the spec needs (" + pk + ")";
  return std::string{};
}

expected<void> results::connect(const endpoint& ep) {
  conn_ = std::make_unique<connection>();
  auto& c = *conn_;
  c.where = ep.user + "@" + ep.host + ":" + std::to_string(ep.port) + "/" + ep.database;
  c.db = mysql_init(nullptr);
  if (!c.db)
    return error{"mysql: mysql_init failed (out of memory)"};
  unsigned connect_timeout = 5, io_timeout = 60;
  mysql_options(c.db, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(c.db, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
  mysql_options(c.db, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
  mysql_options(c.db, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  if (!mysql_real_connect(c.db, ep.host.c_str(), ep.user.c_str(), ep.password.c_str(),
                          ep.database.c_str(), ep.port, nullptr, 0))
    return c.failure("cannot connect");
  // Strict: a value a column cannot hold is an error, never a silent
  // truncation. Autocommit off: each write is one transaction.
  return c.exec("session", "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION', "
                           "SESSION innodb_lock_wait_timeout = 30, autocommit = 0");
}

// The tables, created if missing and checked if there; `merged`: no
// progress table (it is PostgreSQL's).
expected<void> results::tables(const std::string& database, bool merged) {
  auto& c = *conn_;
  const auto& table = spec_.sink.table;
  const auto want = result_columns(spec_);
  if (auto ok = c.exec("create " + table, "CREATE TABLE IF NOT EXISTS " + ident(table) + " ("
                                            + column_text(want, true) + ", PRIMARY KEY ("
                                            + primary_key(spec_, true) + ")) ENGINE = InnoDB");
      !ok)
    return ok;
  std::vector<std::tuple<std::string, std::string, std::string>> tables{
    {table, column_text(want, false), primary_key(spec_, false)}};
  if (!merged) {
    if (auto ok = c.exec("create " + table + "__progress",
                         "CREATE TABLE IF NOT EXISTS " + ident(table + "__progress") + " ("
                           + column_text(progress_columns, true)
                           + ", PRIMARY KEY (source_partition)) ENGINE = InnoDB");
        !ok)
      return ok;
    tables.emplace_back(table + "__progress", column_text(progress_columns, false),
                        "source_partition");
  }
  for (const auto& [t, cols, pk] : tables) {
    auto differs = check_table(t, cols, pk);
    if (!differs)
      return differs.failure();
    if (!differs->empty())
      return error{"results table " + database + "." + t + ": " + *differs
                     + "; it was made for another spec: drop or migrate it, or name another table",
                   true};
  }
  (void)c.exec("end", "COMMIT");
  return {};
}

// The upserts: a row, or a partition's progress, replaces the stored one
// only with a version at least as high.
void results::statements() {
  const auto& table = spec_.sink.table;
  std::string names, updates;
  for (const auto& [name, type, null] : result_columns(spec_)) {
    names += (names.empty() ? "" : ", ") + ident(name);
    if (name != "window_start" && name != "_version"
        && std::none_of(spec_.key.begin(), spec_.key.end(),
                        [&](const jobs::key_spec& k) { return k.name == name; }))
      updates += ident(name) + " = IF(VALUES(`_version`) >= `_version`, VALUES(" + ident(name)
                 + "), " + ident(name) + "), ";
  }
  upsert_head_ = "INSERT INTO " + ident(table) + " (" + names + ") VALUES ";
  // _version last: MariaDB assigns left to right, and the IFs before read
  // the stored version.
  upsert_tail_ =
    " ON DUPLICATE KEY UPDATE " + updates + "`_version` = GREATEST(`_version`, VALUES(`_version`))";
  progress_head_ = "INSERT INTO " + ident(table + "__progress")
                   + " (source_partition, watermark, idle, events, filtered, malformed, late, "
                     "skipped, dropped, updated_at, next_offset) VALUES ";
  std::string p_updates;
  for (const char* col : {"watermark", "idle", "events", "filtered", "malformed", "late", "skipped",
                          "dropped", "updated_at"})
    p_updates += std::string{col} + " = IF(VALUES(next_offset) >= next_offset, VALUES(" + col
                 + "), " + col + "), ";
  progress_tail_ = " ON DUPLICATE KEY UPDATE " + p_updates
                   + "next_offset = GREATEST(next_offset, VALUES(next_offset))";
}

expected<results> results::make(const jobs::job_spec& spec, bool merged) {
  auto ep = parse_url(spec.sink.url);
  if (!ep)
    return ep.failure();
  results out;
  out.spec_ = spec;
  out.layout_ = jobs::agg_layout{spec.aggregations};
  if (auto ok = out.connect(*ep); !ok)
    return ok.failure();
  if (auto ok = out.tables(ep->database, merged); !ok)
    return ok.failure();
  out.statements();
  return out;
}

expected<std::size_t> results::write_final(const windowed::final_rows& taken,
                                           windowed::dropped_rows& dropped,
                                           std::vector<refused_row>& refused) {
  const std::size_t nk = spec_.key.size();
  auto refs = taken.rows;
  windowed::drop_unfit(
    refs,
    [this, nk](const windowed::row_ref& r) {
      windowed::key_parts(r.key(), nk, key_);
      return fits(r.start(), r.end(), key_);
    },
    cannot_hold, dropped, spec_);
  // In primary-key order, as taken: InnoDB locks the rows in order.
  const auto& latest = taken.progress;

  auto& c = *conn_;
  // Row j's key parts and values into key_ and cells_.
  auto load = [&](std::size_t j) -> const jobs::window_results& {
    const auto& r = refs[j];
    const auto& w = r.rows->rows;
    key_.clear();
    for (std::size_t k = 0; k < nk; ++k)
      key_.push_back(jobs::key_part(w.keys[r.i], k));
    jobs::values_of(spec_.aggregations, layout_, jobs::accumulators_of(w, r.i), cells_);
    return w;
  };
  auto upsert = [&](std::size_t first, std::size_t count) -> expected<void> {
    for (std::size_t j = first; j < first + count; ++j) {
      const auto& w = load(j);
      if (auto ok = add_row(w.starts[refs[j].i], w.ends[refs[j].i], key_, cells_, refs[j].version);
          !ok)
        return ok;
    }
    return flush_rows();
  };
  auto written = upsert_isolating(refs.size(), upsert, [&](std::size_t j, const std::string& why) {
    const auto& r = refs[j];
    const auto& w = load(j);
    refused.push_back({r.rows->partition, static_cast<offset_t>(r.version),
                       windowed::window_row_json(spec_, w.starts[r.i], w.ends[r.i], key_, cells_),
                       "the store refused the row: " + why});
    ++dropped[r.rows->partition];
  });
  if (!written)
    return rollback(written.failure());
  std::string sql;
  if (!latest.empty()) {
    sql = progress_head_;
    bool first = true;
    for (const auto& [part, p] : latest) {
      sql += first ? "(" : ",(";
      first = false;
      append_number(sql, part);
      sql += ',';
      if (p->watermark == jobs::no_time)
        sql += "NULL";
      else
        append_number(sql, p->watermark);
      sql += p->idle ? ",TRUE" : ",FALSE";
      for (std::uint64_t v :
           {p->events, p->filtered, p->malformed, p->late, p->skipped, dropped[part]}) {
        sql += ',';
        append_number(sql, v);
      }
      sql += ",NOW(3),";
      append_number(sql, p->next_offset);
      sql += ')';
    }
    sql += progress_tail_;
    if (auto ok = c.exec("upsert into " + spec_.sink.table + "__progress", sql); !ok)
      return rollback(ok.failure());
  }
  if (auto ok = c.exec("commit", "COMMIT"); !ok)
    return rollback(ok.failure());
  return refs.size() - refused.size();
}

expected<void> results::upsert_isolating(
  std::size_t n, const std::function<expected<void>(std::size_t, std::size_t)>& upsert,
  const std::function<void(std::size_t, const std::string&)>& refused) {
  auto& c = *conn_;
  auto ok = upsert(0, n);
  if (ok || !c.refused)
    return ok;
  // Rows the table refuses: the write again, each range in a savepoint,
  // halving around them (sinks/isolate.hpp); they are dead-lettered.
  WEIR_WARN("job {}: {}: writing again, isolating the rows refused", spec_.name,
            ok.error_message());
  (void)rollback(ok.failure());
  return isolate_rows(
    n,
    [&](std::size_t first, std::size_t count) -> isolation_try {
      if (auto saved = c.exec("savepoint", "SAVEPOINT weir_isolate"); !saved)
        return {isolation_try::failed, saved.error_message()};
      auto tried = upsert(first, count);
      if (tried) {
        if (auto released = c.exec("savepoint", "RELEASE SAVEPOINT weir_isolate"); !released)
          return {isolation_try::failed, released.error_message()};
        return {};
      }
      sql_.clear();
      if (!c.refused)
        return {isolation_try::failed, tried.error_message()};
      if (auto back = c.exec("savepoint", "ROLLBACK TO SAVEPOINT weir_isolate"); !back)
        return {isolation_try::failed, back.error_message()};
      return {isolation_try::refused, tried.error_message()};
    },
    refused);
}

error results::rollback(error e) {
  sql_.clear();
  (void)conn_->exec("rollback", "ROLLBACK");
  return e;
}

bool results::fits(millis start, millis end, std::span<const std::string_view> key) const {
  return fits_datetime(start) && fits_datetime(end)
         && std::all_of(key.begin(), key.end(),
                        [](std::string_view part) { return part.size() <= max_key_bytes; });
}

expected<void> results::flush_rows() {
  if (sql_.empty())
    return {};
  sql_ += upsert_tail_;
  auto ok = conn_->exec("upsert into " + spec_.sink.table, sql_);
  sql_.clear();
  return ok;
}

expected<void> results::add_row(millis start, millis end, std::span<const std::string_view> key,
                                const std::vector<cell>& values, std::uint64_t version) {
  auto& sql = sql_;
  sql += sql.empty() ? upsert_head_ : ",";
  sql += "('";
  raw::append_date_time(sql, start);
  sql += "','";
  raw::append_date_time(sql, end);
  sql += '\'';
  for (auto part : key) {
    sql += ',';
    append_hex_literal(sql, part);
  }
  for (const auto& v : values) {
    sql += ',';
    switch (v.k) {
      case cell::integer: append_number(sql, v.i); break;
      case cell::real: append_double(sql, v.d); break;
      case cell::decimal: jobs::append_decimal(sql, v.x, v.scale); break;
      case cell::null: sql += "NULL"; break;
    }
  }
  sql += ',';
  append_number(sql, version);
  sql += ')';
  if (sql.size() >= max_statement)
    return flush_rows();
  return {};
}

expected<std::size_t> results::write_merged(std::span<const windowed::merged_row> rows,
                                            std::uint64_t version, std::span<const millis>,
                                            std::vector<refused_row>& refused) {
  const std::size_t nk = spec_.key.size();
  std::size_t dropped = 0;
  std::vector<const windowed::merged_row*> held; // the rows the columns can hold
  held.reserve(rows.size());
  for (const auto& r : rows) {
    windowed::key_parts(r.key, nk, key_);
    if (fits(r.start, r.end, key_))
      held.push_back(&r);
    else
      ++dropped;
  }
  auto upsert = [&](std::size_t first, std::size_t count) -> expected<void> {
    for (std::size_t j = first; j < first + count; ++j) {
      windowed::key_parts(held[j]->key, nk, key_);
      if (auto ok = add_row(held[j]->start, held[j]->end, key_, *held[j]->values, version); !ok)
        return ok;
    }
    return flush_rows();
  };
  auto written = upsert_isolating(held.size(), upsert, [&](std::size_t j, const std::string& why) {
    const auto& r = *held[j];
    windowed::key_parts(r.key, nk, key_);
    refused.push_back({-1, -1, windowed::window_row_json(spec_, r.start, r.end, key_, *r.values),
                       "the store refused the row: " + why});
  });
  if (!written)
    return rollback(written.failure());
  if (auto ok = conn_->exec("commit", "COMMIT"); !ok)
    return rollback(ok.failure());
  if (dropped)
    WEIR_WARN("job {}: {} merged rows {}: dropped, counted in the partials' "
              "{}__progress.dropped (row -1)",
              spec_.name, dropped, cannot_hold, spec_.sink.table);
  return dropped;
}

} // namespace weir::sinks::mysql
