#include "sinks/postgres_raw/postgres_raw.hpp"

#include "sinks/postgres/pg_table.hpp"

#include <pqxx/tablewriter>

namespace weir::raw {

namespace {

// COPY data goes to the server in chunks of about this size. A CopyData
// message need not end at a row boundary, but ours do.
constexpr std::size_t chunk_bytes = 1 << 20;

constexpr const char* stage = "weir_raw_stage";

} // namespace

struct postgres_raw::connection {
  explicit connection(const std::string& url) : conn(url) {}
  pqxx::connection conn;
  int stage_pid = 0;        // backend that has the temporary table
  std::string create_stage; // CREATE TEMP TABLE ... ON COMMIT DELETE ROWS
  std::vector<std::string> stage_columns;
  std::string insert; // INSERT INTO table SELECT ... FROM stage ON CONFLICT DO NOTHING
};

postgres_raw::postgres_raw(postgres_raw&&) noexcept = default;
postgres_raw& postgres_raw::operator=(postgres_raw&&) noexcept = default;
postgres_raw::~postgres_raw() = default;

expected<postgres_raw> postgres_raw::make(const std::string& url, const std::string& table,
                                          std::vector<column> columns,
                                          const std::string& key_column) {
  if (auto ok = pg::check_table(table, columns, key_column); !ok)
    return ok.failure();
  postgres_raw out;
  out.columns_ = std::move(columns);
  out.by_position_ = key_column.empty();
  auto made = guarded("postgres_raw " + table, [&] {
    auto c = std::make_unique<connection>(url);
    pqxx::work txn{c->conn};
    pg::ensure_table(txn, table, out.columns_, key_column);
    txn.commit();

    // The stage holds timestamps as epoch milliseconds (cheap to format);
    // the INSERT turns them into timestamptz exactly.
    std::string stage_defs, targets, sources;
    for (const auto& col : out.columns_) {
      const auto name = c->conn.quote_name(col.name);
      const bool ts = col.t == parquet::type::timestamp_ms;
      stage_defs +=
        (stage_defs.empty() ? "" : ", ") + name + " " + (ts ? "bigint" : pg::sql_type(col.t));
      targets += (targets.empty() ? "" : ", ") + name;
      sources +=
        (sources.empty() ? "" : ", ")
        + (ts ? "timestamptz 'epoch' + s." + name + " * interval '1 millisecond'" : "s." + name);
      c->stage_columns.push_back(name);
    }
    if (out.by_position_) {
      stage_defs += ", kafka_partition integer, kafka_offset bigint";
      targets += ", kafka_partition, kafka_offset";
      sources += ", s.kafka_partition, s.kafka_offset";
      c->stage_columns.insert(c->stage_columns.end(), {"kafka_partition", "kafka_offset"});
    }
    c->create_stage = std::string{"CREATE TEMP TABLE IF NOT EXISTS "} + stage + " (" + stage_defs
                      + ") ON COMMIT DELETE ROWS";
    c->insert = "INSERT INTO " + c->conn.quote_name(table) + " (" + targets + ") SELECT " + sources
                + " FROM " + stage + " s ON CONFLICT ("
                + (out.by_position_ ? std::string{"kafka_partition, kafka_offset"}
                                    : c->conn.quote_name(key_column))
                + ") DO NOTHING";
    out.conn_ = std::move(c);
  });
  if (!made)
    return made.failure();
  out.chunk_.reserve(chunk_bytes + 4096);
  return out;
}

expected<std::size_t> postgres_raw::write(
  const row_batch& batch, std::vector<std::pair<std::size_t, std::string>>& refused) {
  if (batch.columns().size() != columns_.size())
    return error{"postgres_raw: batch has " + std::to_string(batch.columns().size())
                 + " columns, table has " + std::to_string(columns_.size())};
  for (std::size_t i = 0; i < columns_.size(); ++i)
    if (batch.columns()[i].name != columns_[i].name || batch.columns()[i].t != columns_[i].t)
      return error{"postgres_raw: batch column " + std::to_string(i) + " is '"
                   + batch.columns()[i].name + "', table has '" + columns_[i].name + "'"};
  if (batch.empty())
    return std::size_t{0};
  if (by_position_ && !batch.from_kafka())
    return error{"postgres_raw: rows without a Kafka position, into a table that has no key "
                 "column (the position is each row's identity)"};
  auto& c = *conn_;
  // COPY rows [first, first + count) into the stage, then move them over.
  auto copy_in = [&](pqxx::transaction_base& txn, std::size_t first, std::size_t count) {
    {
      // libpqxx 6.4's stream_to takes one tuple per row and formats each
      // field into a string of its own; tablewriter (deprecated, not gone)
      // takes COPY text as is, so rows go out in 1 MiB chunks built here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
      pqxx::tablewriter copy{txn, stage, c.stage_columns.begin(), c.stage_columns.end()};
#pragma GCC diagnostic pop
      const std::size_t ncols = columns_.size();
      chunk_.clear();
      for (std::size_t r = first; r < first + count; ++r) {
        for (std::size_t i = 0; i < ncols; ++i) {
          if (i)
            chunk_ += '\t';
          pg::append_copy_value(chunk_, batch.at(r, i));
        }
        if (by_position_) {
          const auto at = batch.position(r);
          chunk_ += '\t';
          pg::append_copy_value(chunk_, std::int64_t{at.partition});
          chunk_ += '\t';
          pg::append_copy_value(chunk_, std::int64_t{at.offset});
        }
        chunk_ += '\n';
        if (chunk_.size() >= chunk_bytes) {
          copy.write_raw_line(chunk_);
          chunk_.clear();
        }
      }
      if (!chunk_.empty())
        copy.write_raw_line(chunk_);
      copy.complete();
    }
    return txn.exec(c.insert).affected_rows();
  };
  return guarded("postgres_raw", [&]() -> std::size_t {
    // A temporary table lives as long as its session: make it again if
    // libpqxx reconnected behind our back.
    if (c.stage_pid != c.conn.backendpid()) {
      pqxx::nontransaction{c.conn}.exec(c.create_stage);
      c.stage_pid = c.conn.backendpid();
    }
    try {
      pqxx::work txn{c.conn};
      const auto inserted = copy_in(txn, 0, batch.rows());
      txn.commit(); // ON COMMIT DELETE ROWS empties the stage
      return inserted;
    } catch (const pqxx::sql_error& e) {
      if (!pg::refused_rows(e))
        throw;
    }
    pqxx::work txn{c.conn};
    std::size_t inserted = 0;
    pg::isolate_rows(
      txn, batch.rows(),
      [&](pqxx::transaction_base& t, std::size_t first, std::size_t count) {
        const auto n = copy_in(t, first, count);
        t.exec(std::string{"DELETE FROM "} + stage);
        inserted += n;
      },
      [&](std::size_t row, const std::string& why) { refused.emplace_back(row, why); });
    txn.commit();
    return inserted;
  });
}

} // namespace weir::raw
