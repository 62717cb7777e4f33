#include "sinks/export/exporter.hpp"

#include "base/duration.hpp"
#include "sinks/postgres/pg_table.hpp"

#include <stdexcept>

namespace weir::raw {

expected<std::string> canonical_run_id(const std::string& run_id) {
  const auto t = weir::parse_iso8601(run_id);
  if (!t)
    return error{"export: run id '" + run_id + "' is not an ISO-8601 time"};
  // Two run ids within one second would share a file name and the later
  // would overwrite the earlier's file.
  if (*t % 1000 != 0)
    return error{"export: run id '" + run_id + "' is not a whole second"};
  std::string out;
  append_date(out, *t);
  const auto c = to_civil(*t);
  out += 'T';
  append_padded(out, c.hour, 2);
  out += ':';
  append_padded(out, c.minute, 2);
  out += ':';
  append_padded(out, c.second, 2);
  out += 'Z';
  return out;
}

expected<std::string> export_key(const std::string& prefix, const std::string& run_id) {
  auto run = canonical_run_id(run_id);
  if (!run)
    return run;
  // "2026-01-01T10:05:00Z" -> "2026-01-01" and "100500"
  const auto& r = *run;
  const auto t = r.find('T');
  std::string key = prefix;
  if (!key.empty() && key.back() != '/')
    key += '/';
  key += r.substr(0, t) + "/part-" + r.substr(t + 1, 2) + r.substr(t + 4, 2) + r.substr(t + 7, 2)
         + ".parquet";
  return key;
}

struct exporter::state {
  explicit state(const std::string& url, s3::client c) : conn(url), client(std::move(c)) {}
  pqxx::connection conn;
  s3::client client;
  export_config cfg;
  std::string claim, select_head, select_tail, mark, unfinished, lock;
};

exporter::exporter(exporter&&) noexcept = default;
exporter& exporter::operator=(exporter&&) noexcept = default;
exporter::~exporter() = default;

expected<exporter> exporter::make(export_config cfg) {
  if (auto ok = pg::check_table(cfg.table, cfg.columns, cfg.key_column); !ok)
    return ok.failure();
  if (cfg.bucket.empty())
    return error{"export: no bucket"};
  if (auto w = parquet::writer::make(parquet::schema{cfg.columns}, cfg.codec, cfg.row_group_rows);
      !w)
    return w.failure();
  auto client = s3::client::make(cfg.s3);
  if (!client)
    return client.failure();
  exporter out;
  auto made = guarded("export " + cfg.table, [&] {
    auto s = std::make_unique<state>(cfg.pg_url, std::move(*client));
    // Shortest exact doubles (PostgreSQL 12+; 17 digits before), UTF-8 text;
    // set_variable keeps them across libpqxx's reconnects.
    s->conn.set_variable("extra_float_digits", "3");
    s->conn.set_variable("client_encoding", "'UTF8'");
    pqxx::work txn{s->conn};
    pg::ensure_table(txn, cfg.table, cfg.columns, cfg.key_column);
    txn.commit();

    const auto t = s->conn.quote_name(cfg.table);
    s->lock =
      "SELECT pg_advisory_xact_lock(hashtext(" + s->conn.quote("weir.export." + cfg.table) + "))";
    // A run claims once: after a crash its re-run must see the same rows,
    // not the rows that arrived since.
    s->claim = "UPDATE " + t
               + " SET export_run = $1 WHERE NOT exported AND export_run IS NULL "
                 "AND NOT EXISTS (SELECT 1 FROM "
               + t + " WHERE export_run = $1)";
    std::string cols;
    for (const auto& c : cfg.columns) {
      const auto name = s->conn.quote_name(c.name);
      cols += (cols.empty() ? "" : ", ")
              + (c.t == parquet::type::timestamp_ms
                   ? "floor(extract(epoch FROM " + name + ") * 1000)::bigint"
                   : name);
    }
    // COPY takes no parameters: upload() puts the quoted run id in between.
    s->select_head = "(SELECT " + cols + " FROM " + t + " WHERE NOT exported AND export_run = ";
    s->select_tail = " ORDER BY " + s->conn.quote_name(cfg.key_column) + ")";
    s->mark = "UPDATE " + t + " SET exported = true WHERE export_run = $1 AND NOT exported";
    s->unfinished = "SELECT DISTINCT export_run FROM " + t
                    + " WHERE NOT exported AND export_run IS NOT NULL ORDER BY 1";
    s->cfg = std::move(cfg);
    out.st_ = std::move(s);
  });
  if (!made)
    return made.failure();
  return out;
}

namespace {

// One UPDATE of the run's rows in its own transaction, after `lock` (if any).
expected<std::size_t> update_run(pqxx::connection& conn, const char* step, const std::string& lock,
                                 const std::string& sql, const std::string& run_id) {
  auto run = canonical_run_id(run_id);
  if (!run)
    return run.failure();
  return guarded(std::string{"export "} + step + " " + *run, [&]() -> std::size_t {
    pqxx::work txn{conn};
    if (!lock.empty())
      txn.exec(lock);
    const auto n = txn.exec_params(sql, *run).affected_rows();
    txn.commit();
    return n;
  });
}

} // namespace

expected<std::size_t> exporter::claim(const std::string& run_id) {
  // Claims of one table take turns, so the "already claimed?" test is exact.
  return update_run(st_->conn, "claim", st_->lock, st_->claim, run_id);
}

expected<std::size_t> exporter::read(const std::string& run_id,
                                     const std::function<expected<void>(const export_row&)>& each) {
  auto run = canonical_run_id(run_id);
  if (!run)
    return run.failure();
  auto& s = *st_;
  return guarded("export read " + *run, [&] {
    pqxx::work txn{s.conn};
    // libpqxx 6.4 puts the "table name" into COPY unquoted, so a
    // parenthesized query streams its rows: no result set in memory.
    pqxx::stream_from copy{txn, s.select_head + txn.quote(*run) + s.select_tail};
    std::string line, scratch;
    std::vector<row_batch::value> row;
    std::size_t n = 0;
    while (copy.get_raw_line(line)) {
      pg::parse_copy_line(line, s.cfg.columns, scratch, row);
      if (auto ok = each(row); !ok)
        throw std::runtime_error{ok.error_message()};
      ++n;
    }
    copy.complete();
    txn.commit();
    return n;
  });
}

expected<export_result> exporter::upload(const std::string& run_id) {
  auto run = canonical_run_id(run_id);
  if (!run)
    return run.failure();
  auto key = export_key(st_->cfg.prefix, *run);
  if (!key)
    return key.failure();
  auto& s = *st_;
  auto w = parquet::writer::make(parquet::schema{s.cfg.columns}, s.cfg.codec, s.cfg.row_group_rows);
  if (!w)
    return w.failure();
  // A NULL where the file's column is required fails the append.
  auto rows = read(*run, [&](const export_row& row) { return w->append(row); });
  if (!rows)
    return rows.failure();
  export_result out{*run, *key, w->rows(), false};
  if (out.rows == 0)
    return out;
  auto body = w->finish();
  if (!body)
    return body.failure();
  if (auto ok = s.client.put_large(s.cfg.bucket, *key, *body); !ok)
    return ok.failure();
  out.uploaded = true;
  return out;
}

expected<std::size_t> exporter::mark(const std::string& run_id) {
  return update_run(st_->conn, "mark", "", st_->mark, run_id);
}

const std::string& exporter::mark_sql() const {
  return st_->mark;
}

expected<export_result> exporter::run(const std::string& run_id) {
  if (auto c = claim(run_id); !c)
    return c.failure();
  auto up = upload(run_id);
  if (!up)
    return up;
  if (auto m = mark(run_id); !m)
    return m.failure();
  return up;
}

expected<std::vector<std::string>> exporter::unfinished_runs() {
  return guarded("export unfinished runs", [&] {
    pqxx::work txn{st_->conn};
    std::vector<std::string> out;
    for (const auto& row : txn.exec(st_->unfinished))
      out.push_back(row[0].as<std::string>());
    txn.commit();
    return out;
  });
}

} // namespace weir::raw
