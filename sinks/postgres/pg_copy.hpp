// Binary COPY and binary results, which libpqxx 6.4 (Debian 12's) lacks: a connection that also
// gives libpq's handle, and a writer of COPY's binary rows on it. PostgreSQL
// parses binary rows faster than text (timestamps above all), and the results
// path of a high-cardinality job is bound by PostgreSQL's ingest.
#pragma once

#include "base/types.hpp"

#include <pqxx/connection>
#include <pqxx/connection_base>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weir::sinks::pg {

// A pqxx connection (connects at once, as pqxx::connection) that keeps the
// libpq handle its policy opened, reconnections included.
class connection final : public pqxx::connection_base {
public:
  explicit connection(const std::string& url);
  ~connection() noexcept;
  pqxx::internal::pq::PGconn* raw() const { return policy_.current; }

private:
  struct policy final : pqxx::connect_direct {
    using connect_direct::connect_direct;
    handle do_startconnect(handle orig) override;
    handle do_dropconnect(handle orig) noexcept override;
    handle do_disconnect(handle orig) noexcept override;
    handle current = nullptr;
  };
  std::string url_;
  policy policy_;
};

// COPY <table> (<columns>) FROM STDIN (FORMAT binary), inside the caller's
// open transaction (or savepoint) on `conn`. Each row is begin_row(fields)
// then one call per field; finish() ends the COPY and throws what the server
// said as pqxx::sql_error (pqxx::unique_violation for 23505), with its
// SQLSTATE. Destroyed unfinished, it abandons the COPY, so the connection is
// usable for the rollback.
class binary_copy {
public:
  binary_copy(connection& conn, const std::string& table, const std::vector<std::string>& columns);
  ~binary_copy();
  binary_copy(const binary_copy&) = delete;
  binary_copy& operator=(const binary_copy&) = delete;

  void begin_row(std::int16_t fields);
  void null();
  void int4(std::int32_t v);
  void int8(std::int64_t v);
  void float8(double v);
  void text(std::string_view v);         // also bytea: binary COPY takes both as their bytes
  void timestamptz(millis t);            // epoch ms
  void numeric(int128 units, int scale); // units of 10^-scale
  void finish();

private:
  void send();
  template <class T>
  void put(T v); // big-endian
  pqxx::internal::pq::PGconn* conn_;
  std::string query_;
  std::string buf_;
  bool open_ = false;
};

// A query's rows in binary, inside the caller's open transaction on
// `conn`: bigint, integer, text and bytea as their bytes (no hex text to
// decode). Parameters go as text. Throws what the server said, as
// binary_copy does.
class binary_result {
public:
  binary_result(connection& conn, const std::string& sql, const std::vector<std::string>& params);
  ~binary_result();
  binary_result(const binary_result&) = delete;
  binary_result& operator=(const binary_result&) = delete;

  int rows() const;
  std::int64_t int8(int row, int column) const;
  std::int32_t int4(int row, int column) const;
  std::string_view bytes(int row, int column) const; // text, bytea

private:
  pqxx::internal::pq::PGresult* result_ = nullptr;
};

} // namespace weir::sinks::pg
