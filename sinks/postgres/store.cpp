#include "sinks/postgres/store.hpp"

#include "base/logging.hpp"
#include "sinks/postgres/pg_copy.hpp"
#include "sinks/postgres/pg_table.hpp"
#include "sinks/postgres/statements.hpp"
#include "sinks/windowed/rows.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <charconv>
#include <map>
#include <tuple>

WEIR_LOG_MODULE("postgres");

namespace weir::sinks::pg {

namespace {

using jobs::cell;
using jobs::millis;
using windowed::row_ref;

// Timestamps before year 1 do not exist in PostgreSQL; "no time yet"
// compares as that instead.
constexpr millis pg_min_time = -62'135'596'800'000;

millis clamp_time(millis t) {
  return std::max(t, pg_min_time);
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// A PostgreSQL array literal built element by element: one statement takes
// any number of rows as arrays ($1::bigint[], ...) unnested server-side.
class array_literal {
public:
  void add_null() { sep(), text_ += "NULL"; }
  template <class T>
  void add_number(T v) {
    sep(), append_number(text_, v);
  }
  void add_text(std::string_view s) { sep(), append_array_text(text_, s); }
  void add_decimal(int128 x, int scale) { sep(), jobs::append_decimal(text_, x, scale); }
  void add(const cell& v) {
    switch (v.k) {
      case cell::null: add_null(); break;
      case cell::integer: add_number(v.i); break;
      case cell::real: add_number(v.d); break;
      case cell::decimal: add_decimal(v.x, v.scale); break;
    }
  }
  std::string done() const { return text_ + "}"; }

private:
  void sep() { text_ += text_.size() > 1 ? "," : ""; }
  std::string text_ = "{";
};

void exec(pqxx::transaction_base& t, const std::string& sql,
          const std::vector<array_literal>& cols) {
  std::vector<std::string> params;
  for (const auto& c : cols)
    params.push_back(c.done());
  t.exec_params(sql, pqxx::prepare::make_dynamic_params(params));
}

// How table `table` differs from the columns `want` (name, type), or "" if
// it does not: a missing column, one of another type, or one the spec does
// not know that every insert would have to fill (NOT NULL, no default).
std::string schema_difference(pqxx::work& txn, const std::string& table,
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
    const bool known =
      std::any_of(want.begin(), want.end(), [&](const auto& w) { return w.first == name; });
    if (!known && !std::get<1>(col) && !std::get<2>(col))
      return "column " + name + " (NOT NULL, no default) is not in the spec";
  }
  return {};
}

class store;

class txn final : public windowed::progress_txn {
public:
  txn(store& s, bool isolate);
  ~txn() override;

  std::vector<windowed::stored_progress> read(windowed::job_progress& job) override;
  void put_progress(std::span<const jobs::partition_progress* const> latest) override;
  void add_dropped(const std::map<partition_id, std::uint64_t>& n) override;
  void put_partials(std::span<const row_ref> rows) override;
  std::vector<jobs::partial> partials(millis after, millis upto,
                                      std::span<const windowed::window_key> touched) override;
  void forget_partials(millis after, millis upto) override;
  void put_job(const windowed::job_progress& job, std::uint64_t dropped_merged) override;
  void commit() override;

  pqxx::work work;
  const bool isolate;

private:
  void read_partials(const binary_result& r, std::vector<jobs::partial>& out) const;
  store& s_;
};

class store final : public windowed::progress_store, public windowed::results_store {
public:
  store(const jobs::job_spec& spec, bool elsewhere)
    : spec(spec), layout(spec.aggregations), sql(spec, elsewhere),
      conn(elsewhere ? spec.sink.partials_url : spec.sink.url) {
    // A worker frozen in the middle of a write (SIGSTOP, a stalled VM) would
    // hold the table's advisory lock and stall every other sink of the job:
    // the server ends such a session after this much silence. Our own
    // transactions never pause that long between statements, except while
    // another store takes the merged rows (ClickHouse's requests time out
    // after 120 s, MariaDB's after 60 s).
    pqxx::nontransaction n{conn};
    n.exec(elsewhere ? "SET idle_in_transaction_session_timeout = '130s'"
                     : "SET idle_in_transaction_session_timeout = '3s'");
    n.exec("SET lock_timeout = '30s'");
  }

  // The tables, created if missing; "" or how the results table differs.
  std::string prepare() {
    std::string differs;
    {
      pqxx::work t{conn};
      // Sinks of one job on several workers start together; the lock keeps
      // their CREATE IF NOT EXISTS from racing on the catalog.
      t.exec(sql.lock);
      t.exec(sql.create);
      // CREATE TABLE IF NOT EXISTS keeps a table another spec made: every
      // row would then be refused, and retried forever. Refused here
      // instead, with the column that differs (weir status: FAILED).
      if (!sql.elsewhere)
        differs = schema_difference(t, spec.sink.table, sql.columns);
      if (!differs.empty())
        return differs;
      t.commit();
    }
    if (!sql.direct) {
      pqxx::nontransaction n{conn};
      n.exec(sql.create_partials_in);
    }
    return {};
  }

  std::unique_ptr<windowed::progress_txn> begin(bool isolate) override {
    return std::make_unique<txn>(*this, isolate);
  }

  expected<std::size_t> write_final(const windowed::final_rows& rows, windowed::dropped_rows&,
                                    std::vector<refused_row>& refused) override;
  expected<std::size_t> write_merged(std::span<const windowed::merged_row> rows,
                                     std::uint64_t version, std::span<const millis> windows,
                                     std::vector<refused_row>& refused) override;

  const jobs::job_spec spec;
  const jobs::agg_layout layout;
  const statements sql;
  pg::connection conn; // binary COPY needs its libpq handle
  txn* open = nullptr; // the write under way: results go into its transaction

private:
  // Statements that fail for what their rows hold become rows_refused: the
  // sink writes again with those rows isolated.
  template <class Fn>
  void refusable(Fn fn) {
    try {
      fn();
    } catch (const pqxx::sql_error& e) {
      if (!raw::pg::refused_rows(e))
        throw;
      throw windowed::rows_refused{raw::pg::one_line(e.what())};
    }
  }
  void copy_final(pqxx::transaction_base& t, const windowed::final_rows& rows);
  void upsert_final(pqxx::transaction_base& t, const windowed::final_rows& rows, size_t first,
                    size_t count);
  void upsert_merged(pqxx::transaction_base& t, std::span<const windowed::merged_row> rows,
                     size_t first, size_t count);
  refused_row refusal(partition_id p, offset_t at, millis start, millis end, std::string_view key,
                      const std::vector<cell>& values, const std::string& why) const {
    std::vector<std::string_view> parts;
    windowed::key_parts(key, spec.key.size(), parts);
    return {p, at, windowed::window_row_json(spec, start, end, parts, values),
            "the store refused the row: " + why};
  }
  const std::vector<cell>& values_of(const row_ref& r) {
    jobs::values_of(spec.aggregations, layout, jobs::accumulators_of(r.rows->rows, r.i), cells_);
    return cells_;
  }

  std::vector<cell> cells_;
};

txn::txn(store& s, bool iso) : work(s.conn), isolate(iso), s_(s) {
  work.exec(s.sql.lock);
  s.open = this;
}

txn::~txn() {
  s_.open = nullptr;
}

std::vector<windowed::stored_progress> txn::read(windowed::job_progress& job) {
  std::vector<windowed::stored_progress> out;
  for (const auto& row : work.exec(s_.sql.read_progress)) {
    const auto part = row[0].as<std::int32_t>();
    const millis wm = row[1].is_null() ? jobs::no_time : row[1].as<millis>();
    if (part < 0) {
      job.materialized = wm;
      job.merges = row[3].is_null() ? 0 : row[3].as<std::uint64_t>();
      continue;
    }
    out.push_back({part, wm, row[2].as<bool>(), row[3].is_null() ? -1 : row[3].as<offset_t>()});
  }
  return out;
}

void txn::put_progress(std::span<const jobs::partition_progress* const> latest) {
  std::vector<array_literal> cols(9);
  for (const auto* p : latest) {
    cols[0].add_number(p->partition);
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
  exec(work, s_.sql.upsert_progress, cols);
}

void txn::add_dropped(const std::map<partition_id, std::uint64_t>& n) {
  std::vector<array_literal> cols(2);
  for (const auto& [part, count] : n) {
    cols[0].add_number(part);
    cols[1].add_number(count);
  }
  exec(work, s_.sql.add_dropped, cols);
}

void txn::put_partials(std::span<const row_ref> rows) {
  if (rows.empty())
    return;
  const auto nk = s_.spec.key.size();
  const auto fields = static_cast<std::int16_t>(s_.sql.partials_in_columns.size());
  {
    binary_copy copy{s_.conn, s_.sql.partials_in, s_.sql.partials_in_columns};
    for (const auto& r : rows) {
      copy.begin_row(fields);
      copy.timestamptz(r.start());
      copy.timestamptz(r.end());
      for (size_t k = 0; k < nk; ++k)
        copy.text(jobs::key_part(r.key(), k));
      copy.int4(r.partition());
      copy.text(jobs::acc_row::of(r.rows->rows, r.i).pack());
    }
    copy.finish();
  }
  work.exec(s_.sql.upsert_partials);
}

void txn::read_partials(const binary_result& r, std::vector<jobs::partial>& out) const {
  const int nk = static_cast<int>(s_.spec.key.size());
  const auto what = "a partial of " + s_.spec.sink.table;
  for (int i = 0; i < r.rows(); ++i) {
    jobs::partial p;
    p.start = r.int8(i, 0);
    p.end = r.int8(i, 1);
    for (int k = 0; k < nk; ++k) {
      if (k)
        p.key += jobs::key_separator;
      p.key += r.bytes(i, 2 + k);
    }
    p.partition = r.int4(i, 2 + nk);
    auto acc = jobs::acc_row::unpack(r.bytes(i, 3 + nk), s_.layout, what);
    if (!acc)
      throw std::runtime_error(acc.error_message());
    p.acc = std::move(*acc);
    out.push_back(std::move(p));
  }
}

std::vector<jobs::partial> txn::partials(millis after, millis upto,
                                         std::span<const windowed::window_key> touched) {
  std::vector<jobs::partial> out;
  if (upto != after)
    read_partials(binary_result{s_.conn,
                                s_.sql.range,
                                {std::to_string(clamp_time(after)),
                                 std::to_string(clamp_time(upto))}},
                  out);
  if (touched.empty())
    return out;
  const bool top = s_.spec.top.n > 0;
  const auto nk = top ? 0 : s_.spec.key.size();
  std::vector<array_literal> cols(1 + nk);
  for (const auto& w : touched) {
    cols[0].add_number(w.start);
    for (size_t k = 0; k < nk; ++k)
      cols[1 + k].add_text(jobs::key_part(w.key, k));
  }
  std::vector<std::string> params;
  for (const auto& c : cols)
    params.push_back(c.done());
  read_partials(binary_result{s_.conn, s_.sql.touched, params}, out);
  return out;
}

void txn::forget_partials(millis after, millis upto) {
  work.exec_params(s_.sql.delete_final, clamp_time(after), clamp_time(upto));
}

void txn::put_job(const windowed::job_progress& job, std::uint64_t dropped_merged) {
  if (s_.sql.elsewhere)
    work.exec_params(s_.sql.set_job, job.materialized, job.merges, dropped_merged);
  else
    work.exec_params(s_.sql.set_job, job.materialized);
}

void txn::commit() {
  work.commit();
}

// Rows final per partition: new unless a replay or a late update within the
// allowed lateness re-emits them, so they go by binary COPY, what
// PostgreSQL ingests fastest, in a savepoint; a conflict with a row already
// there rolls the COPY back and upserts them.
expected<std::size_t> store::write_final(const windowed::final_rows& rows, windowed::dropped_rows&,
                                         std::vector<refused_row>& refused) {
  auto& t = open->work;
  const auto& r = rows.rows;
  if (open->isolate) {
    raw::pg::isolate_rows(
      t, r.size(),
      [&](pqxx::transaction_base& sub, size_t first, size_t count) {
        upsert_final(sub, rows, first, count);
      },
      [&](size_t j, const std::string& why) {
        refused.push_back(refusal(r[j].partition(), static_cast<offset_t>(r[j].version),
                                  r[j].start(), r[j].end(), r[j].key(), values_of(r[j]), why));
      });
    return r.size() - refused.size();
  }
  refusable([&] {
    try {
      pqxx::subtransaction copy_txn{t, "direct"};
      copy_txn.exec("SELECT 1"); // libpqxx 6.4 opens the savepoint lazily, at its first statement
      copy_final(copy_txn, rows);
      copy_txn.commit();
      return;
    } catch (const pqxx::unique_violation&) {
      // Some rows are there already (a replay, a late update): upsert all.
    }
    upsert_final(t, rows, 0, r.size());
  });
  return r.size();
}

void store::copy_final(pqxx::transaction_base&, const windowed::final_rows& rows) {
  binary_copy copy{conn, sql.results, sql.result_columns};
  const auto fields = static_cast<std::int16_t>(sql.result_columns.size());
  const auto nk = spec.key.size();
  for (const auto& r : rows.rows) {
    copy.begin_row(fields);
    copy.timestamptz(r.start());
    copy.timestamptz(r.end());
    for (size_t k = 0; k < nk; ++k)
      copy.text(jobs::key_part(r.key(), k));
    for (const auto& v : values_of(r)) {
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

void store::upsert_final(pqxx::transaction_base& t, const windowed::final_rows& rows, size_t first,
                         size_t count) {
  // One partition per key: (window, key) is unique across partitions.
  const auto nk = spec.key.size();
  std::vector<array_literal> cols(2 + nk + spec.aggregations.size());
  for (size_t j = first; j < first + count; ++j) {
    const auto& r = rows.rows[j];
    size_t c = 0;
    cols[c++].add_number(r.start());
    cols[c++].add_number(r.end());
    for (size_t k = 0; k < nk; ++k)
      cols[c++].add_text(jobs::key_part(r.key(), k));
    for (const auto& v : values_of(r))
      cols[c++].add(v);
  }
  exec(t, sql.upsert_results, cols);
}

// Merged rows: top-N replaces its windows' rows; the rest are upserted.
expected<std::size_t> store::write_merged(std::span<const windowed::merged_row> rows, std::uint64_t,
                                          std::span<const millis> windows,
                                          std::vector<refused_row>& refused) {
  auto& t = open->work;
  if (!windows.empty()) {
    array_literal starts;
    for (auto w : windows)
      starts.add_number(w);
    t.exec_params(sql.delete_windows, starts.done());
  }
  if (rows.empty())
    return std::size_t{0};
  if (!open->isolate) {
    refusable([&] { upsert_merged(t, rows, 0, rows.size()); });
    return std::size_t{0};
  }
  raw::pg::isolate_rows(
    t, rows.size(),
    [&](pqxx::transaction_base& sub, size_t first, size_t count) {
      upsert_merged(sub, rows, first, count);
    },
    [&](size_t j, const std::string& why) {
      const auto& m = rows[j];
      refused.push_back(refusal(-1, -1, m.start, m.end, m.key, *m.values, why));
    });
  return std::size_t{0};
}

void store::upsert_merged(pqxx::transaction_base& t, std::span<const windowed::merged_row> rows,
                          size_t first, size_t count) {
  const auto nk = spec.key.size();
  const bool top = spec.top.n > 0;
  std::vector<array_literal> cols(2 + nk + (top ? 1 : 0) + spec.aggregations.size());
  for (size_t j = first; j < first + count; ++j) {
    const auto& m = rows[j];
    size_t c = 0;
    cols[c++].add_number(m.start);
    cols[c++].add_number(m.end);
    for (size_t k = 0; k < nk; ++k)
      cols[c++].add_text(jobs::key_part(m.key, k));
    if (top)
      cols[c++].add_number(m.rank);
    for (const auto& v : *m.values)
      cols[c++].add(v);
  }
  exec(t, sql.upsert_results, cols);
}

} // namespace

expected<windowed::stores> open_store(const jobs::job_spec& spec, bool elsewhere) {
  std::shared_ptr<store> s;
  std::string differs;
  auto made = guarded("postgres", [&] {
    s = std::make_shared<store>(spec, elsewhere);
    differs = s->prepare();
  });
  if (!made)
    return made.failure();
  if (!differs.empty())
    return error{"results table " + spec.sink.table + ": " + differs
                   + "; it was made for another spec: drop or migrate it, or name another table",
                 true};
  windowed::stores out;
  out.progress = s;
  if (!elsewhere)
    out.results = s;
  return out;
}

} // namespace weir::sinks::pg
