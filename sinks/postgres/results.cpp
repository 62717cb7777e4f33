#include "sinks/postgres/results.hpp"

#include "jobs/event_reader.hpp"
#include "jobs/windowed/watermark.hpp"
#include "base/logging.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <tuple>

WEIR_LOG_MODULE("postgres");

namespace weir::sinks {

using jobs::agg_kind;
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

bool integer_result(agg_kind k) {
  return k == agg_kind::count || k == agg_kind::count_distinct
         || k == agg_kind::approx_count_distinct;
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

// One (window, key) row's accumulators, as stored in a partial.
using row_state = std::tuple<std::vector<jobs::slot>, std::vector<std::vector<std::string>>,
                             std::vector<jobs::hll>>;

std::string encode_row(const jobs::window_results& r, size_t i) {
  row_state st;
  auto& [slots, sets, sketches] = st;
  slots.assign(r.slots.begin() + i * r.numeric_per_row,
               r.slots.begin() + (i + 1) * r.numeric_per_row);
  sets.assign(r.sets.begin() + i * r.distinct_per_row,
              r.sets.begin() + (i + 1) * r.distinct_per_row);
  sketches.assign(r.sketches.begin() + i * r.sketches_per_row,
                  r.sketches.begin() + (i + 1) * r.sketches_per_row);
  msgpack::sbuffer buf;
  msgpack::pack(buf, st);
  return {buf.data(), buf.size()};
}

// The k-th part of a composite key.
std::string_view key_part(std::string_view key, size_t k) {
  for (size_t skip = 0; skip < k; ++skip)
    key.remove_prefix(key.find(jobs::key_separator) + 1);
  return key.substr(0, key.find(jobs::key_separator));
}

} // namespace

struct postgres_results::connection {
  explicit connection(const std::string& url) : conn(url) {
    // A worker frozen in the middle of a write (SIGSTOP, a stalled VM) would
    // hold the table's advisory lock and stall every other sink of the job:
    // the server ends such a session after this much silence. Our own
    // transactions never pause that long between statements.
    pqxx::nontransaction n{conn};
    n.exec("SET idle_in_transaction_session_timeout = '3s'");
    n.exec("SET lock_timeout = '30s'");
  }
  pqxx::connection conn;
};

struct postgres_results::statements {
  std::string create;
  std::string lock;
  std::string upsert_partials;
  std::string upsert_progress;
  std::string read_progress;
  std::string read_offsets;
  std::string set_materialized;
  std::string candidates;
  std::string delete_windows; // top-N only
  std::string upsert_results;
};

postgres_results::postgres_results(postgres_results&&) noexcept = default;
postgres_results& postgres_results::operator=(postgres_results&&) noexcept = default;
postgres_results::~postgres_results() = default;

expected<postgres_results> postgres_results::make(const jobs::job_spec& spec,
                                                  std::int32_t partitions) {
  postgres_results out;
  out.spec_ = spec;
  out.layout_ = jobs::agg_layout{spec.aggregations};
  out.partitions_ = partitions;
  auto sql = std::make_shared<statements>();
  const bool top = spec.top.n > 0;
  const auto result = quote_ident(spec.sink.table);
  const auto partials = quote_ident(spec.sink.table + "__partials");
  const auto progress = quote_ident(spec.sink.table + "__progress");

  std::vector<std::string> keys, key_defs, key_types, u_keys, key_names;
  for (size_t i = 0; i < spec.key.size(); ++i) {
    keys.push_back(quote_ident(spec.key[i]));
    key_defs.push_back(keys.back() + " text NOT NULL");
    key_types.push_back("text");
    key_names.push_back("k" + std::to_string(i));
    u_keys.push_back("u.k" + std::to_string(i));
  }
  std::vector<std::string> agg_defs, agg_names, agg_types, u_aggs, agg_updates;
  for (size_t i = 0; i < spec.aggregations.size(); ++i) {
    const auto& a = spec.aggregations[i];
    const char* type = integer_result(a.kind) ? "bigint" : "double precision";
    agg_defs.push_back(quote_ident(a.as) + " " + type);
    agg_names.push_back(quote_ident(a.as));
    agg_types.push_back(integer_result(a.kind) ? "bigint" : "float8");
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

  sql->create =
    "CREATE TABLE IF NOT EXISTS " + result + " (window_start timestamptz NOT NULL, "
    + "window_end timestamptz NOT NULL" + lead(key_defs) + lead(agg_defs)
    + ", PRIMARY KEY (window_start" + lead(keys) + "));\n"
    + "CREATE TABLE IF NOT EXISTS " + partials + " (window_start timestamptz NOT NULL, "
    + "window_end timestamptz NOT NULL" + lead(key_defs)
    + ", source_partition integer NOT NULL, state bytea NOT NULL, PRIMARY KEY (window_start"
    + lead(keys) + ", source_partition));\n"
    + "CREATE TABLE IF NOT EXISTS " + progress + " (source_partition integer PRIMARY KEY, "
    + "watermark bigint, idle boolean NOT NULL DEFAULT false, next_offset bigint, "
    + "events bigint, filtered bigint, malformed bigint, late bigint, "
    + "updated_at timestamptz NOT NULL DEFAULT now());";
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
      "updated_at) SELECT u.*, now() FROM "
    + unnest(1, {"int", "bigint", "bool", "bigint", "bigint", "bigint", "bigint", "bigint"},
             {"p", "wm", "idle", "off", "ev", "fi", "ma", "la"})
    + " ON CONFLICT (source_partition) DO UPDATE SET watermark = EXCLUDED.watermark, idle = "
      "EXCLUDED.idle, next_offset = EXCLUDED.next_offset, events = EXCLUDED.events, filtered = "
      "EXCLUDED.filtered, malformed = EXCLUDED.malformed, late = EXCLUDED.late, updated_at = now()";
  sql->read_progress = "SELECT source_partition, watermark, idle FROM " + progress;
  sql->read_offsets = "SELECT source_partition, next_offset FROM " + progress
                      + " WHERE source_partition >= 0 AND next_offset IS NOT NULL";
  sql->set_materialized = "INSERT INTO " + progress
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
    sql->candidates = "SELECT " + to_ms("window_start") + ", " + to_ms("window_end")
                      + lead(keys) + ", state FROM " + partials + " WHERE (window_end > "
                      + to_ts("$1::bigint") + " AND window_end <= " + to_ts("$2::bigint")
                      + ") OR (" + join(match, ", ") + ") IN (SELECT " + join(u_match, ", ")
                      + " FROM " + unnest(3, types, names) + ") ORDER BY window_start"
                      + lead(keys);
  }
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

  auto made = guarded("postgres", [&] {
    out.conn_ = std::make_unique<connection>(spec.sink.url);
    pqxx::work txn{out.conn_->conn};
    sql->lock = "SELECT pg_advisory_xact_lock(hashtext(" + txn.quote(spec.sink.table) + "))";
    // Sinks of one job on several workers start together; the lock keeps their
    // CREATE IF NOT EXISTS from racing on the catalog.
    txn.exec(sql->lock);
    txn.exec(sql->create);
    auto r = txn.exec("SELECT watermark FROM " + progress + " WHERE source_partition = -1");
    if (!r.empty() && !r[0][0].is_null())
      out.materialized_ = r[0][0].as<millis>();
    txn.commit();
  });
  if (!made)
    return made.failure();
  out.sql_ = std::move(sql);
  return out;
}

namespace {

// One write, step by step, inside one transaction under the table's lock.
// Each step is a function of what the steps before produced.
class result_write {
public:
  using rows_t = std::vector<const jobs::partition_rows*>;
  using progress_t = std::vector<const jobs::partition_progress*>;

  result_write(pqxx::work& txn, const jobs::job_spec& spec, const jobs::agg_layout& layout,
               std::set<std::int32_t>& fenced, const std::string& read_offsets)
    : txn_(txn), spec_(spec), layout_(layout), fenced_(fenced),
      read_offsets_(read_offsets), nk_(spec.key.size()), top_(spec.top.n > 0) {}

  // -- fencing ---------------------------------------------------------------------
  // A partial is a deterministic function of its partition's input up to the
  // offset reported with it, so of two writers of a partition the one further
  // along is right: a former owner cut off from the cluster that comes back,
  // or a new owner replaying from an older checkpoint, is skipped until it
  // passes what is stored.
  void fence(const progress_t& progress) {
    for (const auto* p : progress)
      latest_[p->partition] = p; // the latest report per partition wins
    for (const auto& row : txn_.exec(read_offsets_)) {
      auto it = latest_.find(row[0].as<std::int32_t>());
      if (it != latest_.end() && it->second->next_offset < row[1].as<std::int64_t>()) {
        behind_.insert(it->first);
        if (fenced_.insert(it->first).second)
          WEIR_INFO("job {}: partition {} has results up to offset {} already; rows of this "
                    "worker (at offset {}) are skipped until it gets there", spec_.name,
                    it->first, row[1].as<std::int64_t>(), it->second->next_offset);
      }
    }
    for (const auto& [part, p] : latest_)
      if (!behind_.count(part))
        fenced_.erase(part);
  }

  bool ahead(std::int32_t partition) const { return !behind_.count(partition); }

  // -- partials and progress -------------------------------------------------------
  // A row re-emitted by a late event may appear more than once; the last
  // emission is the current value (one statement may not upsert a row twice).
  void upsert_partials(const rows_t& batches, const std::string& sql) {
    std::map<std::tuple<std::int32_t, millis, std::string_view>,
             std::pair<const jobs::partition_rows*, size_t>>
      latest_rows;
    for (const auto* b : batches)
      if (ahead(b->partition))
        for (size_t i = 0; i < b->rows.size(); ++i)
          latest_rows[{b->partition, b->rows.starts[i], b->rows.keys[i]}] = {b, i};
    if (latest_rows.empty())
      return;
    std::vector<array_literal> cols(3 + nk_ + 1);
    for (const auto& [id, at] : latest_rows) {
      const auto& [b, i] = at;
      cols[0].add_number(b->rows.starts[i]);
      cols[1].add_number(b->rows.ends[i]);
      cols[2].add_number(b->partition);
      for (size_t k = 0; k < nk_; ++k)
        cols[3 + k].add_text(key_part(b->rows.keys[i], k));
      cols[3 + nk_].add_bytes(encode_row(b->rows, i));
    }
    exec(sql, cols);
  }

  void upsert_progress(const std::string& sql) {
    if (latest_.size() == behind_.size())
      return;
    std::vector<array_literal> cols(8);
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
    }
    exec(sql, cols);
  }

  // -- the job watermark -----------------------------------------------------------
  // Returns {materialized before, materialized after this write}.
  std::pair<millis, millis> job_watermark(const std::string& read_progress,
                                          std::int32_t partitions) {
    millis old_m = jobs::no_time;
    std::vector<jobs::partition_mark> marks;
    for (const auto& row : txn_.exec(read_progress)) {
      const millis wm = row[1].is_null() ? jobs::no_time : row[1].as<millis>();
      if (row[0].as<std::int32_t>() < 0)
        old_m = wm;
      else
        marks.push_back({wm, row[2].as<bool>()});
    }
    return {old_m, jobs::job_watermark(marks, static_cast<size_t>(partitions), old_m)};
  }

  // Rows of windows materialized before whose partials this batch changed:
  // (window[, key]) arrays for the candidates query; empty if none.
  std::vector<array_literal> touched(const rows_t& batches, millis old_m, bool& any) const {
    std::vector<array_literal> out(top_ ? 1 : 1 + nk_);
    any = false;
    for (const auto* b : batches)
      for (size_t i = 0, n = ahead(b->partition) ? b->rows.size() : 0; i < n; ++i)
        if (old_m != jobs::no_time && b->rows.ends[i] <= old_m) {
          any = true;
          out[0].add_number(b->rows.starts[i]);
          if (!top_)
            for (size_t k = 0; k < nk_; ++k)
              out[1 + k].add_text(key_part(b->rows.keys[i], k));
        }
    return out;
  }

  // -- merge -------------------------------------------------------------------------
  struct merged {
    millis start, end;
    std::vector<std::string> key;
    std::vector<jobs::slot> slots;
    std::vector<std::vector<std::string>> sets;
    std::vector<jobs::hll> sketches;
  };

  // Reads the partials of every window that became complete, plus the
  // touched rows, and merges each (window, key)'s partials with the
  // operator's accumulator code. The query orders by (window, key).
  std::vector<merged> merge(const std::string& sql, millis old_m, millis new_m,
                            std::vector<array_literal>& touched) {
    std::vector<std::string> params{std::to_string(clamp_time(old_m)),
                                    std::to_string(clamp_time(new_m))};
    for (auto& t : touched)
      params.push_back(t.done());
    auto rows = txn_.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
    std::vector<merged> out;
    for (const auto& row : rows) {
      const millis start = row[0].as<millis>();
      std::vector<std::string> key;
      for (size_t k = 0; k < nk_; ++k)
        key.push_back(row[static_cast<pqxx::row::size_type>(2 + k)].as<std::string>());
      if (out.empty() || out.back().start != start || out.back().key != key) {
        out.push_back({start, row[1].as<millis>(), std::move(key),
                       std::vector<jobs::slot>(layout_.numeric),
                       std::vector<std::vector<std::string>>(layout_.distinct),
                       std::vector<jobs::hll>(layout_.sketches)});
      }
      auto& m = out.back();
      pqxx::binarystring bytes{row[static_cast<pqxx::row::size_type>(2 + nk_)]};
      auto handle = msgpack::unpack(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      auto st = handle.get().as<row_state>();
      for (size_t i = 0; i < m.slots.size(); ++i)
        m.slots[i].merge(std::get<0>(st)[i]);
      for (size_t i = 0; i < m.sets.size(); ++i)
        m.sets[i].insert(m.sets[i].end(), std::get<1>(st)[i].begin(), std::get<1>(st)[i].end());
      for (size_t i = 0; i < m.sketches.size(); ++i)
        m.sketches[i].merge(std::get<2>(st)[i]);
    }
    return out;
  }

  // -- finalize ------------------------------------------------------------------------
  // Final values per merged row and aggregate; NULL where an aggregate saw no value.
  std::vector<std::vector<std::optional<double>>> finalize(const std::vector<merged>& rows) const {
    std::vector<std::vector<std::optional<double>>> values;
    values.reserve(rows.size());
    for (const auto& m : rows) {
      values.emplace_back();
      for (size_t a = 0; a < spec_.aggregations.size(); ++a)
        values.back().push_back(value_of(m, a));
    }
    return values;
  }

  // -- rank and write --------------------------------------------------------------------
  // Top-N: rank each window's keys by the measure (ties by key), keep n, and
  // replace the window's rows; otherwise upsert every row.
  void write_results(const std::vector<merged>& rows,
                     const std::vector<std::vector<std::optional<double>>>& values,
                     const std::string& delete_windows, const std::string& upsert) {
    std::vector<std::uint32_t> rank(rows.size(), 0);
    std::vector<size_t> keep;
    if (top_) {
      keep = rank_windows(rows, values, rank, delete_windows);
    } else {
      for (size_t i = 0; i < rows.size(); ++i)
        keep.push_back(i);
    }
    if (keep.empty())
      return;
    const size_t na = spec_.aggregations.size();
    std::vector<array_literal> cols(2 + nk_ + (top_ ? 1 : 0) + na);
    for (size_t i : keep) {
      const auto& m = rows[i];
      size_t c = 0;
      cols[c++].add_number(m.start);
      cols[c++].add_number(m.end);
      for (size_t k = 0; k < nk_; ++k)
        cols[c++].add_text(m.key[k]);
      if (top_)
        cols[c++].add_number(rank[i]);
      for (size_t a = 0; a < na; ++a, ++c) {
        const auto& v = values[i][a];
        if (!v)
          cols[c].add_null();
        else if (integer_result(spec_.aggregations[a].kind))
          cols[c].add_number(static_cast<std::int64_t>(*v));
        else
          cols[c].add_number(*v);
      }
    }
    exec(upsert, cols);
  }

private:
  void exec(const std::string& sql, std::vector<array_literal>& cols) {
    std::vector<std::string> params;
    for (auto& c : cols)
      params.push_back(c.done());
    txn_.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
  }

  std::optional<double> value_of(const merged& m, size_t a) const {
    const auto& agg = spec_.aggregations[a];
    const auto place = layout_.of[a];
    switch (place.where) {
      case jobs::agg_layout::store::distinct: {
        auto v = m.sets[place.index];
        std::sort(v.begin(), v.end());
        return static_cast<double>(std::unique(v.begin(), v.end()) - v.begin());
      }
      case jobs::agg_layout::store::sketch:
        return std::round(m.sketches[place.index].estimate());
      case jobs::agg_layout::store::numeric: break;
    }
    const auto& s = m.slots[place.index];
    switch (agg.kind) {
      case agg_kind::count: return static_cast<double>(s.count);
      case agg_kind::sum: return s.count ? std::optional{s.sum} : std::nullopt;
      case agg_kind::min: return s.count ? std::optional{s.min} : std::nullopt;
      case agg_kind::max: return s.count ? std::optional{s.max} : std::nullopt;
      case agg_kind::avg: return s.count ? std::optional{s.sum / s.count} : std::nullopt;
      default: return std::nullopt;
    }
  }

  // Rows are ordered by window; returns the indexes kept, in window order.
  std::vector<size_t> rank_windows(const std::vector<merged>& rows,
                                   const std::vector<std::vector<std::optional<double>>>& values,
                                   std::vector<std::uint32_t>& rank,
                                   const std::string& delete_windows) {
    size_t by = 0;
    while (spec_.aggregations[by].as != spec_.top.by)
      ++by;
    std::vector<size_t> keep;
    array_literal windows;
    for (size_t lo = 0; lo < rows.size();) {
      size_t hi = lo;
      while (hi < rows.size() && rows[hi].start == rows[lo].start)
        ++hi;
      windows.add_number(rows[lo].start);
      std::vector<size_t> idx(hi - lo);
      for (size_t i = 0; i < idx.size(); ++i)
        idx[i] = lo + i;
      std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
        const auto& va = values[a][by];
        const auto& vb = values[b][by];
        if (va.has_value() != vb.has_value())
          return va.has_value();
        if (va && *va != *vb)
          return *va > *vb;
        return rows[a].key < rows[b].key;
      });
      for (size_t r = 0; r < idx.size() && r < spec_.top.n; ++r) {
        rank[idx[r]] = static_cast<std::uint32_t>(r + 1);
        keep.push_back(idx[r]);
      }
      lo = hi;
    }
    txn_.exec_params(delete_windows, windows.done());
    return keep;
  }

  pqxx::work& txn_;
  const jobs::job_spec& spec_;
  const jobs::agg_layout& layout_;
  std::set<std::int32_t>& fenced_;
  const std::string& read_offsets_;
  const size_t nk_;
  const bool top_;
  std::map<std::int32_t, const jobs::partition_progress*> latest_;
  std::set<std::int32_t> behind_;
};

} // namespace

expected<void> postgres_results::write(const std::vector<const jobs::partition_rows*>& batches,
                                       const std::vector<const jobs::partition_progress*>& progress) {
  return guarded("postgres write", [&] {
    if (!conn_ || !conn_->conn.is_open())
      conn_ = std::make_unique<connection>(spec_.sink.url);
    pqxx::work txn{conn_->conn};
    txn.exec(sql_->lock);
    result_write w{txn, spec_, layout_, fenced_, sql_->read_offsets};
    w.fence(progress);
    w.upsert_partials(batches, sql_->upsert_partials);
    w.upsert_progress(sql_->upsert_progress);
    const auto [old_m, new_m] = w.job_watermark(sql_->read_progress, partitions_);
    bool any_touched = false;
    auto touched = w.touched(batches, old_m, any_touched);
    if (new_m == old_m && !any_touched) {
      txn.commit();
      return;
    }
    auto rows = w.merge(sql_->candidates, old_m, new_m, touched);
    w.write_results(rows, w.finalize(rows), sql_->delete_windows, sql_->upsert_results);
    if (new_m != old_m)
      txn.exec_params(sql_->set_materialized, new_m);
    txn.commit();
    materialized_ = new_m;
  });
}

} // namespace weir::sinks
