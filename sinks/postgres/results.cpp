#include "sinks/postgres/results.hpp"

#include "base/bounded_unpack.hpp"
#include "base/logging.hpp"
#include "jobs/event_reader.hpp"
#include "jobs/raw/rows.hpp"
#include "jobs/windowed/combine.hpp"
#include "jobs/windowed/watermark.hpp"
#include "jobs/windowed/values.hpp"
#include "sinks/postgres/pg_copy.hpp"
#include "sinks/postgres/pg_table.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <tuple>

WEIR_LOG_MODULE("postgres");

namespace weir::sinks {

using jobs::accumulators;
using jobs::agg_kind;
using jobs::cell;
using jobs::integer_result;
using jobs::result_decimal;
using jobs::key_part;
using jobs::millis;

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + '"';
}

void append_array_text(std::string& out, std::string_view element) {
  out += '"';
  for (char c : element) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  out += '"';
}

namespace {

// Timestamps before year 1 do not exist in PostgreSQL; "no watermark yet"
// compares as that instead.
constexpr millis pg_min_time = -62'135'596'800'000;

millis clamp_time(millis t) {
  return std::max(t, pg_min_time);
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? sep : "") + parts[i];
  return out;
}

// ", a, b" for {a, b}; "" for none (a job may have no key).
std::string lead(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts)
    out += ", " + p;
  return out;
}

std::string to_ts(const std::string& ms_expr) {
  return "(timestamptz 'epoch' + " + ms_expr + " * interval '1 millisecond')";
}

std::string to_ms(const std::string& ts_expr) {
  return "(extract(epoch FROM " + ts_expr + ") * 1000)::bigint";
}

// "$first::type[]" for each type, numbered from `first`.
std::string unnest(int first, const std::vector<std::string>& types,
                   const std::vector<std::string>& names) {
  std::vector<std::string> args;
  for (size_t i = 0; i < types.size(); ++i)
    args.push_back("$" + std::to_string(first + static_cast<int>(i)) + "::" + types[i] + "[]");
  return "unnest(" + join(args, ", ") + ") AS u(" + join(names, ", ") + ")";
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// A PostgreSQL array literal built element by element.
class array_literal {
public:
  void add_null() { sep(), text_ += "NULL"; }
  template <class T>
  void add_number(T v) { sep(), append_number(text_, v); }
  void add_text(std::string_view s) { sep(), append_array_text(text_, s); }
  void add_decimal(int128 x, int scale) { sep(), jobs::append_decimal(text_, x, scale); }
  void add_bytes(std::string_view bytes) {
    static const char* hex = "0123456789abcdef";
    sep();
    text_ += "\"\\\\x";
    for (unsigned char c : bytes) {
      text_ += hex[c >> 4];
      text_ += hex[c & 15];
    }
    text_ += '"';
  }
  std::string done() { return text_ + "}"; }

private:
  void sep() { text_ += text_.size() > 1 ? "," : ""; }
  std::string text_ = "{";
};

} // namespace

struct postgres_results::connection {
  connection(const std::string& url, bool store) : conn(url) {
    // A worker frozen in the middle of a write (SIGSTOP, a stalled VM) would
    // hold the table's advisory lock and stall every other sink of the job:
    // the server ends such a session after this much silence. Our own
    // transactions never pause that long between statements, except while
    // another store takes the merged rows (ClickHouse's requests time out
    // after 120 s, MariaDB's after 60 s).
    pqxx::nontransaction n{conn};
    n.exec(store ? "SET idle_in_transaction_session_timeout = '130s'"
                 : "SET idle_in_transaction_session_timeout = '3s'");
    n.exec("SET lock_timeout = '30s'");
  }
  pg::connection conn; // binary COPY needs its libpq handle
};

struct postgres_results::statements {
  bool direct = false; // final rows straight from the partitions, no partials
  std::vector<std::string> result_columns; // of <table>, for COPY
  std::string create;
  std::string lock;
  std::string upsert_partials;
  std::string upsert_progress;
  std::string add_dropped; // count rows for final windows that came too late
  std::string read_progress;
  std::string set_materialized;
  std::string range;     // partials of windows that became complete
  std::string touched;   // partials of complete windows a late partial changed
  std::string delete_final; // partials of windows no partial can change any more
  std::string delete_windows; // top-N only
  std::string upsert_results;
};

postgres_results::postgres_results(postgres_results&&) noexcept = default;
postgres_results& postgres_results::operator=(postgres_results&&) noexcept = default;
postgres_results::~postgres_results() = default;

namespace {

// How table `table` differs from the columns `want` (name, type), or "" if
// it does not: a missing column, one of another type, or one the spec does
// not know that every insert would have to fill (NOT NULL, no default).
std::string column_type(const jobs::aggregate_spec& a) {
  if (integer_result(a.kind))
    return "bigint";
  if (const auto d = result_decimal(a))
    return jobs::decimal_column(d, "numeric");
  return "double precision";
}

std::string schema_difference(pqxx::work& txn,
                              const std::string& table,
                              const std::vector<std::pair<std::string, std::string>>& want) {
  auto rows = txn.exec_params("SELECT column_name, CASE WHEN numeric_scale IS NULL OR "
                              "data_type <> 'numeric' THEN data_type ELSE format('numeric(%s,%s)', "
                              "numeric_precision, numeric_scale) END, is_nullable = 'YES', "
                              "column_default IS NOT NULL FROM information_schema.columns "
                              "WHERE table_schema = current_schema() AND table_name = $1",
                              table);
  std::map<std::string, std::tuple<std::string, bool, bool>> have;
  for (const auto& r : rows)
    have[r[0].as<std::string>()] = {r[1].as<std::string>(), r[2].as<bool>(), r[3].as<bool>()};
  for (const auto& [name, type] : want) {
    auto it = have.find(name);
    if (it == have.end())
      return "it has no column " + name + " (the spec needs " + name + " " + type + ")";
    if (std::get<0>(it->second) != type)
      return "column " + name + " is " + std::get<0>(it->second) + ", the spec needs " + type;
  }
  for (const auto& [name, col] : have) {
    const bool known = std::any_of(want.begin(), want.end(),
                                   [&](const auto& w) { return w.first == name; });
    if (!known && !std::get<1>(col) && !std::get<2>(col))
      return "column " + name + " (NOT NULL, no default) is not in the spec";
  }
  return {};
}

} // namespace

expected<postgres_results> postgres_results::make(const jobs::job_spec& spec,
                                                  std::int32_t partitions,
                                                  std::unique_ptr<merged_rows_store> store) {
  postgres_results out;
  out.spec_ = spec;
  const bool elsewhere = store != nullptr; // the results go to another store
  if (elsewhere)
    out.spec_.sink.url = spec.sink.partials_url;
  out.store_ = std::move(store);
  out.layout_ = jobs::agg_layout{spec.aggregations};
  out.partitions_ = partitions;
  auto sql = std::make_shared<statements>();
  const bool top = spec.top.n > 0;
  const auto result = quote_ident(spec.sink.table);
  const auto partials = quote_ident(spec.sink.table + "__partials");
  const auto progress = quote_ident(spec.sink.table + "__progress");

  std::vector<std::string> keys, key_defs, key_types, u_keys, key_names;
  for (size_t i = 0; i < spec.key.size(); ++i) {
    keys.push_back(quote_ident(spec.key[i].name));
    key_defs.push_back(keys.back() + " text NOT NULL");
    key_types.push_back("text");
    key_names.push_back("k" + std::to_string(i));
    u_keys.push_back("u.k" + std::to_string(i));
  }
  std::vector<std::string> agg_defs, agg_names, agg_types, u_aggs, agg_updates;
  for (size_t i = 0; i < spec.aggregations.size(); ++i) {
    const auto& a = spec.aggregations[i];
    agg_defs.push_back(quote_ident(a.as) + " " + column_type(a));
    agg_names.push_back(quote_ident(a.as));
    agg_types.push_back(integer_result(a.kind) ? "bigint" : result_decimal(a) ? "numeric" : "float8");
    u_aggs.push_back("u.a" + std::to_string(i));
    agg_updates.push_back(quote_ident(a.as) + " = EXCLUDED." + quote_ident(a.as));
  }
  if (top) {
    agg_defs.insert(agg_defs.begin(), "rank integer NOT NULL");
    agg_names.insert(agg_names.begin(), "rank");
    agg_types.insert(agg_types.begin(), "int");
    u_aggs.insert(u_aggs.begin(), "u.rank");
    agg_updates.insert(agg_updates.begin(), "rank = EXCLUDED.rank");
  }

  // Without partitioned_by (or with top-N, which ranks across partitions)
  // each partition's accumulators for a row wait in <table>__partials until
  // the window is complete; with it every row is final when emitted.
  sql->direct = !spec.source.partitioned_by.empty() && !top;
  sql->result_columns = {"window_start", "window_end"}; // quoted: COPY takes them as written
  for (const auto& k : keys)
    sql->result_columns.push_back(k);
  for (const auto& a : agg_names)
    sql->result_columns.push_back(a);
  if (!elsewhere)
    sql->create = "CREATE TABLE IF NOT EXISTS " + result + " (window_start timestamptz NOT NULL, "
                  + "window_end timestamptz NOT NULL" + lead(key_defs) + lead(agg_defs)
                  + ", PRIMARY KEY (window_start" + lead(keys) + "));\n";
  sql->create += "CREATE TABLE IF NOT EXISTS " + progress + " (source_partition integer PRIMARY KEY, "
    + "watermark bigint, idle boolean NOT NULL DEFAULT false, next_offset bigint, "
    + "events bigint, filtered bigint, malformed bigint, late bigint, "
    + "dropped bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now(), "
    + "skipped bigint NOT NULL DEFAULT 0);\n"
    // Tables from before the column existed.
    + "ALTER TABLE " + progress + " ADD COLUMN IF NOT EXISTS skipped bigint NOT NULL DEFAULT 0;";
  if (!sql->direct)
    sql->create += "\nCREATE TABLE IF NOT EXISTS " + partials + " (window_start timestamptz NOT NULL, "
                   + "window_end timestamptz NOT NULL" + lead(key_defs)
                   + ", source_partition integer NOT NULL, state bytea NOT NULL, PRIMARY KEY "
                   + "(window_start" + lead(keys) + ", source_partition));\n"
                   + "CREATE INDEX IF NOT EXISTS "
                   + quote_ident(spec.sink.table + "__partials_end") + " ON " + partials
                   + " (window_end);";
  sql->add_dropped = "UPDATE " + progress + " SET dropped = dropped + u.n FROM "
                     + unnest(1, {"int", "bigint"}, {"p", "n"})
                     + " WHERE source_partition = u.p";
  {
    std::vector<std::string> types{"bigint", "bigint", "int"};
    std::vector<std::string> names{"ws", "we", "p"};
    types.insert(types.end(), key_types.begin(), key_types.end());
    names.insert(names.end(), key_names.begin(), key_names.end());
    types.push_back("bytea");
    names.push_back("st");
    sql->upsert_partials = "INSERT INTO " + partials + " (window_start, window_end" + lead(keys)
                           + ", source_partition, state) SELECT " + to_ts("u.ws") + ", "
                           + to_ts("u.we") + lead(u_keys) + ", u.p, u.st FROM "
                           + unnest(1, types, names) + " ON CONFLICT (window_start" + lead(keys)
                           + ", source_partition) DO UPDATE SET window_end = "
                           + "EXCLUDED.window_end, state = EXCLUDED.state";
  }
  sql->upsert_progress =
    "INSERT INTO " + progress
    + " (source_partition, watermark, idle, next_offset, events, filtered, malformed, late, "
      "skipped, updated_at) SELECT u.*, now() FROM "
    + unnest(1, {"int", "bigint", "bool", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint"},
             {"p", "wm", "idle", "off", "ev", "fi", "ma", "la", "sk"})
    + " ON CONFLICT (source_partition) DO UPDATE SET watermark = EXCLUDED.watermark, idle = "
      "EXCLUDED.idle, next_offset = EXCLUDED.next_offset, events = EXCLUDED.events, filtered = "
      "EXCLUDED.filtered, malformed = EXCLUDED.malformed, late = EXCLUDED.late, skipped = "
      "EXCLUDED.skipped, updated_at = now()";
  sql->read_progress = "SELECT source_partition, watermark, idle, next_offset FROM " + progress;
  // Row -1: the watermark materialized; with another store also the number
  // of writes that merged rows (their version there) and the merged rows it
  // could not hold.
  sql->set_materialized =
    elsewhere ? "INSERT INTO " + progress
                  + " (source_partition, watermark, next_offset, dropped) VALUES (-1, $1, $2, $3) "
                    "ON CONFLICT (source_partition) DO UPDATE SET watermark = EXCLUDED.watermark, "
                    "next_offset = EXCLUDED.next_offset, dropped = " + progress
                  + ".dropped + EXCLUDED.dropped, updated_at = now()"
              : "INSERT INTO " + progress
                  + " (source_partition, watermark) VALUES (-1, $1) ON CONFLICT "
                    "(source_partition) DO UPDATE SET watermark = EXCLUDED.watermark, "
                    "updated_at = now()";
  {
    // $1, $2: materialized before and after; $3...: touched (window[, key]) of
    // windows materialized before, whose rows a late partial changed.
    std::vector<std::string> types{"bigint"}, names{"ws"}, match{"window_start"},
      u_match{to_ts("u.ws")};
    if (!top) {
      types.insert(types.end(), key_types.begin(), key_types.end());
      names.insert(names.end(), key_names.begin(), key_names.end());
      match.insert(match.end(), keys.begin(), keys.end());
      u_match.insert(u_match.end(), u_keys.begin(), u_keys.end());
    }
    // Two statements, not one with OR: each uses an index (window_end; the
    // primary key), so neither scans the table, whatever the job's age.
    const auto columns = "SELECT " + to_ms("window_start") + ", " + to_ms("window_end")
                         + lead(keys) + ", source_partition, state FROM " + partials;
    const auto order = " ORDER BY window_start" + lead(keys) + ", source_partition";
    sql->range = columns + " WHERE window_end > " + to_ts("$1::bigint") + " AND window_end <= "
                 + to_ts("$2::bigint") + order;
    sql->touched = columns + " WHERE (" + join(match, ", ") + ") IN (SELECT "
                   + join(u_match, ", ") + " FROM " + unnest(1, types, names) + ")" + order;
  }
  // Bounded below by what earlier writes deleted: the index keeps entries of
  // deleted rows until a vacuum, and a scan from the start would walk them all.
  sql->delete_final = "DELETE FROM " + partials + " WHERE window_end > " + to_ts("$1::bigint")
                      + " AND window_end <= " + to_ts("$2::bigint");
  sql->delete_windows = "DELETE FROM " + result + " WHERE window_start IN (SELECT "
                        + to_ts("w") + " FROM unnest($1::bigint[]) AS w)";
  {
    std::vector<std::string> types{"bigint", "bigint"}, names{"ws", "we"};
    types.insert(types.end(), key_types.begin(), key_types.end());
    names.insert(names.end(), key_names.begin(), key_names.end());
    types.insert(types.end(), agg_types.begin(), agg_types.end());
    for (size_t i = 0; i < agg_types.size(); ++i)
      names.push_back(top && i == 0 ? "rank" : "a" + std::to_string(top ? i - 1 : i));
    sql->upsert_results = "INSERT INTO " + result + " (window_start, window_end" + lead(keys)
                          + lead(agg_names) + ") SELECT " + to_ts("u.ws") + ", " + to_ts("u.we")
                          + lead(u_keys) + lead(u_aggs) + " FROM " + unnest(1, types, names)
                          + " ON CONFLICT (window_start" + lead(keys)
                          + ") DO UPDATE SET window_end = EXCLUDED.window_end, "
                          + join(agg_updates, ", ");
  }

  // The result table's columns as the spec makes them (information_schema's
  // names of the types).
  std::vector<std::pair<std::string, std::string>> want{
    {"window_start", "timestamp with time zone"}, {"window_end", "timestamp with time zone"}};
  for (const auto& k : spec.key)
    want.emplace_back(k.name, "text");
  if (top)
    want.emplace_back("rank", "integer");
  for (const auto& a : spec.aggregations)
    want.emplace_back(a.as, column_type(a));

  std::string differs;
  auto made = guarded("postgres", [&] {
    out.conn_ = std::make_unique<connection>(out.spec_.sink.url, elsewhere);
    pqxx::work txn{out.conn_->conn};
    sql->lock = "SELECT pg_advisory_xact_lock(hashtext(" + txn.quote(spec.sink.table) + "))";
    // Sinks of one job on several workers start together; the lock keeps their
    // CREATE IF NOT EXISTS from racing on the catalog.
    txn.exec(sql->lock);
    txn.exec(sql->create);
    // CREATE TABLE IF NOT EXISTS keeps a table another spec made: every row
    // would then be refused, and retried forever. Refused here instead, with
    // the column that differs (the worker reports it: weir status, FAILED).
    if (!elsewhere)
      differs = schema_difference(txn, spec.sink.table, want);
    if (!differs.empty())
      return;
    auto r = txn.exec("SELECT watermark FROM " + progress + " WHERE source_partition = -1");
    if (!r.empty() && !r[0][0].is_null())
      out.materialized_ = r[0][0].as<millis>();
    txn.commit();
  });
  if (!made)
    return made.failure();
  if (!differs.empty())
    return error{"results table " + spec.sink.table + ": " + differs
                   + "; it was made for another spec: drop or migrate it, or name another table",
                 true};
  out.sql_ = std::move(sql);
  return out;
}

namespace {

// A store the merged rows go to failed: the transaction rolls back, and the
// store's own error is the write's.
struct store_failure {
  weir::error why;
};

// One write, step by step, inside one transaction under the table's lock.
// Each step is a function of what the steps before produced.
class result_write {
public:
  using rows_t = std::vector<const jobs::partition_rows*>;
  using progress_t = std::vector<const jobs::partition_progress*>;

  // `isolate`: an earlier try of this write failed for rows the server
  // refused; this one writes the result rows in savepoints, halving around
  // the refused ones (raw::pg::isolate_rows), and lists those in `refused`.
  result_write(pqxx::work& txn, pg::connection& conn, const jobs::job_spec& spec,
               const jobs::agg_layout& layout, std::set<std::int32_t>& fenced,
               std::set<std::int32_t>& dropping, const std::string& add_dropped, bool isolate,
               std::vector<refused_row>& refused)
    : txn_(txn), conn_(conn), spec_(spec), layout_(layout), fenced_(fenced), dropping_(dropping),
      add_dropped_(add_dropped), nk_(spec.key.size()), top_(spec.top.n > 0),
      lateness_(spec.window.allowed_lateness), isolate_(isolate), refused_(refused) {
    while (top_ && spec_.aggregations[top_by_].as != spec_.top.by)
      ++top_by_;
  }

  // -- fencing ---------------------------------------------------------------------
  // A partial is a deterministic function of its partition's input up to the
  // offset reported with it, so of two writers of a partition the one further
  // along is right: a former owner cut off from the cluster that comes back,
  // or a new owner replaying from an older checkpoint, is skipped until it
  // passes what is stored. Also reads the watermark materialized so far.
  void fence(const progress_t& progress, const std::string& read_progress,
             std::int32_t partitions) {
    for (const auto* p : progress)
      latest_[p->partition] = p; // the latest report per partition wins
    const auto rows = txn_.exec(read_progress);
    final_before_ = jobs::final_mark(marks(rows), static_cast<size_t>(partitions));
    for (const auto& row : rows) {
      const auto part = row[0].as<std::int32_t>();
      if (part < 0) {
        materialized_ = row[1].is_null() ? jobs::no_time : row[1].as<millis>();
        merges_ = row[3].is_null() ? 0 : row[3].as<std::uint64_t>();
        continue;
      }
      auto it = latest_.find(part);
      if (row[3].is_null() || it == latest_.end())
        continue;
      const auto stored = row[3].as<std::int64_t>();
      if (it->second->next_offset < stored) {
        behind_.insert(part);
        if (fenced_.insert(part).second)
          WEIR_INFO("job {}: partition {} has results up to offset {} already; rows of this "
                    "worker (at offset {}) are skipped until it gets there", spec_.name, part,
                    stored, it->second->next_offset);
      }
    }
    for (const auto& [part, p] : latest_)
      if (!behind_.count(part))
        fenced_.erase(part);
  }

  bool ahead(std::int32_t partition) const { return !behind_.count(partition); }

  // Writes that merged rows into another store, this one included if it did;
  // and the merged rows that store could not hold.
  std::uint64_t merges() const { return merges_; }
  std::uint64_t dropped_merged() const { return dropped_merged_; }
  bool merged_now() const { return merged_now_; }
  std::uint64_t dropped() const { return dropped_final_ + dropped_merged_; }

  // Every partition's stored watermark (jobs::final_mark).
  static std::vector<jobs::partition_mark> marks(const pqxx::result& progress) {
    std::vector<jobs::partition_mark> out;
    for (const auto& row : progress)
      if (row[0].as<std::int32_t>() >= 0)
        out.push_back({row[1].is_null() ? jobs::no_time : row[1].as<millis>(), row[2].as<bool>()});
    return out;
  }

  bool final_window(millis end) const { return jobs::is_final(end, lateness_, final_before_); }

  // -- rows ------------------------------------------------------------------------
  // The rows a write takes, latest emission per (partition, window, key): a
  // row re-emitted by a late event may appear more than once and one
  // statement may not upsert a row twice. Sorted by (window, key, partition),
  // the order of the primary keys of <table> and of __partials, so the
  // index takes them in order.
  using row_ref = std::pair<const jobs::partition_rows*, size_t>;
  using row_set = std::vector<row_ref>;

  static std::tuple<millis, std::string_view, std::int32_t> id(const row_ref& r) {
    return {r.first->rows.starts[r.second], r.first->rows.keys[r.second], r.first->partition};
  }

  // Every row of `batches` by (window, key, partition); stable: of equal rows
  // the one emitted last stays last, and take_rows keeps it. Sorted before the
  // transaction: a window of millions of rows takes seconds to sort, and the
  // server ends a session idle in a transaction for 3 s.
  static row_set sort_rows(const rows_t& batches) {
    row_set out;
    for (const auto* b : batches)
      for (size_t i = 0; i < b->rows.size(); ++i)
        out.emplace_back(b, i);
    std::stable_sort(out.begin(), out.end(),
                     [](const row_ref& a, const row_ref& b) { return id(a) < id(b); });
    return out;
  }
  // Partitioned keys (`direct`): a partition's row is the whole row, right
  // whenever it comes; nothing is dropped.
  // `sorted`: every row of the write, by sort_rows.
  row_set take_rows(const row_set& sorted, bool direct) {
    row_set out;
    std::map<std::int32_t, std::int64_t> dropped;
    for (const auto& r : sorted) {
      const auto* b = r.first;
      if (!ahead(b->partition))
        continue;
      if (!direct && final_window(b->rows.ends[r.second])) {
        ++dropped[b->partition];
        ++dropped_final_;
        continue;
      }
      out.push_back(r);
    }
    size_t kept = 0;
    for (size_t i = 0; i < out.size(); ++i)
      if (i + 1 == out.size() || id(out[i]) != id(out[i + 1]))
        out[kept++] = out[i];
    out.resize(kept);
    if (!dropped.empty()) {
      std::vector<array_literal> cols(2);
      for (const auto& [part, n] : dropped) {
        cols[0].add_number(part);
        cols[1].add_number(n);
        if (dropping_.insert(part).second)
          WEIR_WARN("job {}: partition {} sent {} row(s) for windows already final (a replay "
                    "re-emitting them, or a partition idle past the watermark waking with old "
                    "events): dropped, counted in {}__progress.dropped", spec_.name, part, n,
                    spec_.sink.table);
      }
      exec(add_dropped_, cols);
    }
    return out;
  }

  void upsert_partials(const row_set& rows, const std::string& sql) {
    if (rows.empty())
      return;
    std::vector<array_literal> cols(3 + nk_ + 1);
    for (const auto& [b, i] : rows) {
      cols[0].add_number(b->rows.starts[i]);
      cols[1].add_number(b->rows.ends[i]);
      cols[2].add_number(b->partition);
      for (size_t k = 0; k < nk_; ++k)
        cols[3 + k].add_text(key_part(b->rows.keys[i], k));
      cols[3 + nk_].add_bytes(jobs::acc_row::of(b->rows, i).pack());
    }
    exec(sql, cols);
  }

  void upsert_progress(const std::string& sql) {
    if (latest_.size() == behind_.size())
      return;
    std::vector<array_literal> cols(9);
    for (const auto& [part, p] : latest_) {
      if (!ahead(part))
        continue;
      cols[0].add_number(part);
      if (p->watermark == jobs::no_time)
        cols[1].add_null();
      else
        cols[1].add_number(p->watermark);
      cols[2].add_text(p->idle ? "t" : "f");
      cols[3].add_number(p->next_offset);
      cols[4].add_number(p->events);
      cols[5].add_number(p->filtered);
      cols[6].add_number(p->malformed);
      cols[7].add_number(p->late);
      cols[8].add_number(p->skipped);
    }
    exec(sql, cols);
  }

  // -- the job watermark -----------------------------------------------------------
  millis materialized() const { return materialized_; }

  // Where the job watermark stands after this write's progress (and where
  // finality does).
  millis job_watermark(const std::string& read_progress, std::int32_t partitions) {
    const auto all = marks(txn_.exec(read_progress));
    final_after_ = jobs::final_mark(all, static_cast<size_t>(partitions));
    return jobs::job_watermark(all, static_cast<size_t>(partitions), materialized_);
  }

  // Rows of windows materialized before (not final) whose partials this
  // write changed: (window[, key]) arrays for the touched query.
  std::vector<array_literal> touched(
    const row_set& rows,
    bool& any) const {
    std::vector<array_literal> out(top_ ? 1 : 1 + nk_);
    std::set<std::pair<millis, std::string_view>> seen;
    any = false;
    for (const auto& [b, i] : rows) {
      if (materialized_ == jobs::no_time || b->rows.ends[i] > materialized_)
        continue;
      if (!seen.insert({b->rows.starts[i], top_ ? std::string_view{} : b->rows.keys[i]}).second)
        continue;
      any = true;
      out[0].add_number(b->rows.starts[i]);
      if (!top_)
        for (size_t k = 0; k < nk_; ++k)
          out[1 + k].add_text(key_part(b->rows.keys[i], k));
    }
    return out;
  }

  // -- merge -------------------------------------------------------------------------
  // The partials a query read (window, key parts, partition, state), for
  // jobs::combine.
  void read_partials(const pqxx::result& rows, std::vector<jobs::partial>& out) const {
    for (const auto& row : rows) {
      jobs::partial p;
      p.start = row[0].as<millis>();
      p.end = row[1].as<millis>();
      for (size_t k = 0; k < nk_; ++k) {
        if (k)
          p.key += jobs::key_separator;
        p.key += row[static_cast<pqxx::row::size_type>(2 + k)].c_str();
      }
      p.partition = row[static_cast<pqxx::row::size_type>(2 + nk_)].as<std::int32_t>();
      pqxx::binarystring bytes{row[static_cast<pqxx::row::size_type>(3 + nk_)]};
      auto acc = jobs::acc_row::unpack({reinterpret_cast<const char*>(bytes.data()), bytes.size()},
                                       layout_, "a partial of " + spec_.sink.table);
      if (!acc)
        throw std::runtime_error(acc.error_message());
      p.acc = std::move(*acc);
      out.push_back(std::move(p));
    }
  }

  // The partials of the windows complete now (end in (before, after]), then
  // those of earlier windows this write touched.
  std::vector<jobs::combined> read_and_merge(const std::string& range,
                                             const std::string& touched_sql, millis after,
                                             std::vector<array_literal>& touched, bool any) {
    std::vector<jobs::partial> partials;
    if (after != materialized_)
      read_partials(txn_.exec_params(range, clamp_time(materialized_), clamp_time(after)), partials);
    if (any) {
      std::vector<std::string> params;
      for (auto& t : touched)
        params.push_back(t.done());
      read_partials(txn_.exec_params(touched_sql, pqxx::prepare::make_dynamic_params(params)),
                    partials);
    }
    return jobs::combine(std::move(partials), layout_);
  }

  // -- finalize ------------------------------------------------------------------------
  const std::vector<cell>& finalize(const accumulators& acc) {
    jobs::values_of(spec_.aggregations, layout_, acc, cells_);
    return cells_;
  }

  // -- rank and write --------------------------------------------------------------------
  // Top-N: rank each window's keys by the measure (ties by key), keep n, and
  // replace the window's rows; otherwise upsert every row.
  void write_merged(const std::vector<jobs::combined>& rows, const std::string& delete_windows,
                    const std::string& upsert, merged_rows_store* store) {
    std::vector<std::vector<cell>> values;
    values.reserve(rows.size());
    for (const auto& m : rows)
      values.push_back(finalize(m.acc.view()));
    jobs::ranking ranked;
    if (top_) {
      ranked = jobs::rank_windows(rows, values, top_by_, spec_.top.n);
      array_literal starts;
      for (auto w : ranked.windows)
        starts.add_number(w);
      txn_.exec_params(delete_windows, starts.done());
    } else {
      ranked.keep.resize(rows.size());
      std::iota(ranked.keep.begin(), ranked.keep.end(), size_t{0});
      ranked.rank.assign(rows.size(), 0);
    }
    const auto& keep = ranked.keep;
    const auto& rank = ranked.rank;
    if (keep.empty())
      return;
    std::vector<std::vector<std::string>> keys(rows.size());
    for (size_t i : keep)
      for (size_t k = 0; k < nk_; ++k)
        keys[i].emplace_back(key_part(rows[i].key, k));
    if (store) {
      std::vector<merged_row> out;
      out.reserve(keep.size());
      for (size_t i : keep)
        out.push_back({rows[i].start, rows[i].end, &keys[i], &values[i]});
      // In this transaction, before it commits: if the commit fails, the
      // retry merges the same partials (or more) again, at a version no lower.
      auto n = store->write_merged(out, merges_ + 1, refused_);
      if (!n)
        throw store_failure{n.failure()};
      ++merges_;
      merged_now_ = true;
      dropped_merged_ += *n;
      return;
    }
    auto write = [&](pqxx::transaction_base& t, size_t first, size_t count) {
      std::vector<array_literal> cols(2 + nk_ + (top_ ? 1 : 0) + spec_.aggregations.size());
      for (size_t j = first; j < first + count; ++j) {
        const size_t i = keep[j];
        const auto& m = rows[i];
        size_t c = 0;
        cols[c++].add_number(m.start);
        cols[c++].add_number(m.end);
        for (const auto& part : keys[i])
          cols[c++].add_text(part);
        if (top_)
          cols[c++].add_number(rank[i]);
        add_values(cols, c, values[i]);
      }
      exec(t, upsert, cols);
    };
    if (!isolate_) {
      write(txn_, 0, keep.size());
      return;
    }
    raw::pg::isolate_rows(txn_, keep.size(), write, [&](size_t j, const std::string& why) {
      const auto& m = rows[keep[j]];
      std::vector<std::string_view> key(keys[keep[j]].begin(), keys[keep[j]].end());
      refuse(-1, m.start, m.end, key, values[keep[j]], why);
    });
  }

  // partitioned_by: every row is final as emitted, the latest emission of a
  // (window, key) wins; no partials, no merge. The rows are new unless a
  // replay or a late update within the allowed lateness re-emits them, so
  // they go by binary COPY, what PostgreSQL ingests fastest, in a savepoint;
  // a conflict with a row already there rolls the COPY back and upserts them.
  void write_direct(const row_set& rows, const std::string& table, const std::vector<std::string>& columns,
                    const std::string& upsert) {
    if (rows.empty())
      return;
    if (isolate_) {
      raw::pg::isolate_rows(
        txn_, rows.size(),
        [&](pqxx::transaction_base& t, size_t first, size_t count) {
          upsert_direct(t, rows, first, count, upsert);
        },
        [&](size_t j, const std::string& why) {
          const auto& [b, i] = rows[j];
          std::vector<std::string_view> key;
          for (size_t k = 0; k < nk_; ++k)
            key.push_back(key_part(b->rows.keys[i], k));
          refuse(b->partition, b->rows.starts[i], b->rows.ends[i], key,
                 finalize(accumulators_of(b->rows, i)), why);
        });
      return;
    }
    try {
      pqxx::subtransaction copy_txn{txn_, "direct"};
      copy_txn.exec("SELECT 1"); // libpqxx 6.4 opens the savepoint lazily, at its first statement
      {
        pg::binary_copy copy{conn_, table, columns};
        const auto fields = static_cast<std::int16_t>(columns.size());
        for (const auto& [b, i] : rows) {
          const auto& r = b->rows;
          copy.begin_row(fields);
          copy.timestamptz(r.starts[i]);
          copy.timestamptz(r.ends[i]);
          for (size_t k = 0; k < nk_; ++k)
            copy.text(key_part(r.keys[i], k));
          for (const auto& v : finalize(accumulators_of(r, i))) {
            switch (v.k) {
              case cell::null: copy.null(); break;
              case cell::integer: copy.int8(v.i); break;
              case cell::real: copy.float8(v.d); break;
              case cell::decimal: copy.numeric(v.x, v.scale); break;
            }
          }
        }
        copy.finish();
      }
      copy_txn.commit();
      return;
    } catch (const pqxx::unique_violation&) {
      // Some rows are there already (a replay, a late update): upsert all.
    }
    upsert_direct(txn_, rows, 0, rows.size(), upsert);
  }

  void upsert_direct(pqxx::transaction_base& t, const row_set& rows, size_t first, size_t count,
                     const std::string& upsert) {
    // One partition per key: (window, key) is unique across partitions.
    std::vector<array_literal> cols(2 + nk_ + spec_.aggregations.size());
    for (size_t j = first; j < first + count; ++j) {
      const auto& [b, i] = rows[j];
      const auto& r = b->rows;
      size_t c = 0;
      cols[c++].add_number(r.starts[i]);
      cols[c++].add_number(r.ends[i]);
      for (size_t k = 0; k < nk_; ++k)
        cols[c++].add_text(key_part(r.keys[i], k));
      add_values(cols, c, finalize(accumulators_of(r, i)));
    }
    exec(t, upsert, cols);
  }

  // Rows the server refused: counted in __progress.dropped, by source
  // partition (-1: merged rows), in this transaction; the sink actor
  // dead-letters them.
  void count_refused() {
    if (refused_.empty())
      return;
    std::map<std::int32_t, std::int64_t> n;
    for (const auto& r : refused_)
      ++n[r.partition];
    std::vector<array_literal> cols(2);
    for (const auto& [part, count] : n) {
      cols[0].add_number(part);
      cols[1].add_number(count);
    }
    exec(txn_, add_dropped_, cols);
    WEIR_WARN("job {}: {} refused {} row(s) ({}): dead-lettered, counted in {}__progress.dropped",
              spec_.name, spec_.sink.table, refused_.size(), refused_.front().reason,
              spec_.sink.table);
  }

  // Partials of windows final now: no row can change any more. Those final
  // before went with earlier writes (and rows for final windows are never
  // stored), so only the windows that became final are deleted. Finality
  // trails publication: a final window is also materialized.
  void forget_final(const std::string& sql) {
    if (final_after_ == jobs::no_time || final_after_ == final_before_)
      return;
    const millis from = final_before_ == jobs::no_time ? pg_min_time : final_before_ - lateness_;
    txn_.exec_params(sql, clamp_time(from), clamp_time(final_after_ - lateness_));
  }

private:
  void exec(const std::string& sql, std::vector<array_literal>& cols) { exec(txn_, sql, cols); }

  static void exec(pqxx::transaction_base& t, const std::string& sql,
                   std::vector<array_literal>& cols) {
    std::vector<std::string> params;
    for (auto& c : cols)
      params.push_back(c.done());
    t.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
  }

  // A refused result row, for the dead-letter topic.
  void refuse(std::int32_t partition, millis start, millis end,
              const std::vector<std::string_view>& key, const std::vector<cell>& values,
              const std::string& why) {
    offset_t at = -1;
    if (auto it = latest_.find(partition); it != latest_.end())
      at = it->second->next_offset;
    refused_.push_back({partition, at, window_row_json(spec_, start, end, key, values),
                        "the store refused the row: " + why});
  }

  static void add_values(std::vector<array_literal>& cols, size_t c, const std::vector<cell>& v) {
    for (const auto& x : v) {
      switch (x.k) {
        case cell::null: cols[c].add_null(); break;
        case cell::integer: cols[c].add_number(x.i); break;
        case cell::real: cols[c].add_number(x.d); break;
        case cell::decimal: cols[c].add_decimal(x.x, x.scale); break;
      }
      ++c;
    }
  }

  pqxx::work& txn_;
  pg::connection& conn_;
  const jobs::job_spec& spec_;
  const jobs::agg_layout& layout_;
  std::set<std::int32_t>& fenced_;
  std::set<std::int32_t>& dropping_;
  const std::string& add_dropped_;
  const size_t nk_;
  const bool top_;
  const millis lateness_;
  size_t top_by_ = 0; // top-N: the aggregate ranked by
  std::vector<cell> cells_; // finalize()'s, reused
  millis materialized_ = jobs::no_time;
  std::uint64_t merges_ = 0, dropped_merged_ = 0, dropped_final_ = 0;
  bool merged_now_ = false;
  millis final_before_ = jobs::no_time, final_after_ = jobs::no_time; // jobs::final_mark()
  std::map<std::int32_t, const jobs::partition_progress*> latest_;
  std::set<std::int32_t> behind_;
  const bool isolate_;
  std::vector<refused_row>& refused_;
};

} // namespace

expected<void> postgres_results::write(const std::vector<const jobs::partition_rows*>& batches,
                                       const std::vector<const jobs::partition_progress*>& progress) {
  last_refused_.clear();
  const auto sorted = result_write::sort_rows(batches);
  auto attempt = [&](bool isolate) {
    if (!conn_ || !conn_->conn.is_open())
      conn_ = std::make_unique<connection>(spec_.sink.url, store_ != nullptr);
    pqxx::work txn{conn_->conn};
    txn.exec(sql_->lock);
    last_refused_.clear();
    result_write w{txn, conn_->conn, spec_, layout_, fenced_, dropping_, sql_->add_dropped,
                   isolate, last_refused_};
    w.fence(progress, sql_->read_progress, partitions_);
    auto rows = w.take_rows(sorted, sql_->direct);
    if (sql_->direct)
      w.write_direct(rows, quote_ident(spec_.sink.table), sql_->result_columns,
                     sql_->upsert_results);
    else
      w.upsert_partials(rows, sql_->upsert_partials);
    w.upsert_progress(sql_->upsert_progress);
    const millis before = w.materialized();
    const millis after = w.job_watermark(sql_->read_progress, partitions_);
    if (!sql_->direct) {
      bool any_touched = false;
      auto touched = w.touched(rows, any_touched);
      if (after != before || any_touched) {
        auto merged = w.read_and_merge(sql_->range, sql_->touched, after, touched, any_touched);
        w.write_merged(merged, sql_->delete_windows, sql_->upsert_results, store_.get());
      }
      w.forget_final(sql_->delete_final);
    }
    if (store_ && (after != before || w.merged_now()))
      txn.exec_params(sql_->set_materialized, after, w.merges(), w.dropped_merged());
    else if (after != before)
      txn.exec_params(sql_->set_materialized, after);
    w.count_refused();
    txn.commit();
    materialized_ = after;
    last_dropped_ = w.dropped() + last_refused_.size();
  };
  // guarded() takes std::exceptions only: a store's failure passes through it.
  try {
    return guarded("postgres write", [&] {
      try {
        attempt(false);
      } catch (const pqxx::sql_error& e) {
        // Rows the server refuses fail the whole transaction: write again,
        // isolating them, so the rest lands (nothing of the first try stayed).
        if (!raw::pg::refused_rows(e))
          throw;
        WEIR_WARN("job {}: {}: writing again, isolating the rows refused", spec_.name,
                  raw::pg::one_line(e.what()));
        attempt(true);
      }
    });
  } catch (const store_failure& f) {
    return f.why;
  }
}

} // namespace weir::sinks
