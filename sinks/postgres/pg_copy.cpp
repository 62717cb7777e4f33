#include "sinks/postgres/pg_copy.hpp"

#include <libpq-fe.h>
#include <pqxx/except>

#include <bit>
#include <cstring>

namespace weir::sinks::pg {

connection::connection(const std::string& url)
  : pqxx::connection_base(policy_), url_(url), policy_(url_) {
  init();
}

connection::~connection() noexcept {
  close();
}

connection::policy::handle connection::policy::do_startconnect(handle orig) {
  current = connect_direct::do_startconnect(orig);
  return current;
}

connection::policy::handle connection::policy::do_dropconnect(handle orig) noexcept {
  current = connect_direct::do_dropconnect(orig);
  return current;
}

connection::policy::handle connection::policy::do_disconnect(handle orig) noexcept {
  current = connect_direct::do_disconnect(orig);
  return current;
}

namespace {

// The server's error as the exception libpqxx would throw for it.
[[noreturn]] void throw_result(PGresult* r, PGconn* c, const std::string& query) {
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string code = state ? state : "";
  std::string message = r ? PQresultErrorMessage(r) : PQerrorMessage(c);
  PQclear(r);
  if (code == "23505")
    throw pqxx::unique_violation(message, query, code.c_str());
  if (code.empty())
    throw pqxx::broken_connection(message);
  throw pqxx::sql_error(message, query, code.c_str());
}

// Reads the results left after a COPY; the first error, if any.
PGresult* drain(PGconn* c) {
  PGresult* failed = nullptr;
  while (PGresult* r = PQgetResult(c)) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !failed)
      failed = r;
    else
      PQclear(r);
  }
  return failed;
}

constexpr std::int64_t pg_epoch_ms = 946'684'800'000; // 2000-01-01, PostgreSQL's timestamp zero

} // namespace

binary_copy::binary_copy(connection& conn, const std::string& table,
                         const std::vector<std::string>& columns)
  : conn_(conn.raw()) {
  query_ = "COPY " + table + " (";
  for (size_t i = 0; i < columns.size(); ++i)
    query_ += (i ? ", " : "") + columns[i];
  query_ += ") FROM STDIN (FORMAT binary)";
  if (!conn_)
    throw pqxx::broken_connection("no connection for " + query_);
  PGresult* r = PQexec(conn_, query_.c_str());
  if (PQresultStatus(r) != PGRES_COPY_IN)
    throw_result(r, conn_, query_);
  PQclear(r);
  open_ = true;
  buf_.append("PGCOPY\n\377\r\n\0", 11);
  put<std::int32_t>(0); // flags
  put<std::int32_t>(0); // header extension
}

binary_copy::~binary_copy() {
  if (open_ && PQputCopyEnd(conn_, "weir: the write was abandoned") == 1)
    PQclear(drain(conn_));
}

template <class T>
void binary_copy::put(T v) {
  auto u = std::bit_cast<std::make_unsigned_t<T>>(v);
  char b[sizeof(T)];
  for (size_t i = 0; i < sizeof(T); ++i)
    b[i] = static_cast<char>(u >> (8 * (sizeof(T) - 1 - i)));
  buf_.append(b, sizeof(T));
}

void binary_copy::begin_row(std::int16_t fields) {
  if (buf_.size() >= (64 << 10)) // PostgreSQL parses while the rest is built
    send();
  put(fields);
}

void binary_copy::null() {
  put<std::int32_t>(-1);
}

void binary_copy::int8(std::int64_t v) {
  put<std::int32_t>(8);
  put(v);
}

void binary_copy::float8(double v) {
  put<std::int32_t>(8);
  put(std::bit_cast<std::int64_t>(v));
}

void binary_copy::int4(std::int32_t v) {
  put<std::int32_t>(4);
  put(v);
}

void binary_copy::text(std::string_view v) {
  put(static_cast<std::int32_t>(v.size()));
  buf_.append(v);
}

void binary_copy::timestamptz(millis t) {
  put<std::int32_t>(8);
  put<std::int64_t>((t - pg_epoch_ms) * 1000);
}

// numeric's binary form: base-10000 digits around the point, most
// significant first; weight is the power of 10000 of the first.
void binary_copy::numeric(int128 units, int scale) {
  uint128 m = units < 0 ? -static_cast<uint128>(units) : static_cast<uint128>(units);
  // Decimal digits, the point `scale` from the right, padded to whole groups
  // of four on both sides of it.
  char digits[64];
  int n = 0;
  const int frac_pad = (4 - scale % 4) % 4;
  for (int i = 0; i < frac_pad; ++i)
    digits[n++] = 0;
  for (int i = 0; i < scale || m != 0; ++i) {
    digits[n++] = static_cast<char>(m % 10);
    m /= 10;
  }
  while (n % 4 != 0)
    digits[n++] = 0; // reversed: least significant first
  const int groups = n / 4, frac_groups = (scale + frac_pad) / 4;
  std::int16_t g[16];
  for (int i = 0; i < groups; ++i) { // g[0] most significant
    const char* d = digits + (groups - 1 - i) * 4;
    g[i] = static_cast<std::int16_t>(d[0] + 10 * d[1] + 100 * d[2] + 1000 * d[3]);
  }
  int first = 0, last = groups;
  while (first < last && g[first] == 0)
    ++first;
  while (last > first && g[last - 1] == 0)
    --last;
  const auto ndigits = static_cast<std::int16_t>(last - first);
  const auto weight =
    static_cast<std::int16_t>(ndigits == 0 ? 0 : groups - frac_groups - 1 - first);
  put(static_cast<std::int32_t>(8 + 2 * ndigits));
  put(ndigits);
  put(weight);
  put<std::uint16_t>(units < 0 && ndigits > 0 ? 0x4000 : 0);
  put(static_cast<std::uint16_t>(scale));
  for (int i = first; i < last; ++i)
    put(g[i]);
}

void binary_copy::send() {
  if (PQputCopyData(conn_, buf_.data(), static_cast<int>(buf_.size())) != 1)
    throw pqxx::broken_connection(PQerrorMessage(conn_));
  buf_.clear();
}

void binary_copy::finish() {
  put<std::int16_t>(-1); // trailer
  send();
  open_ = false;
  if (PQputCopyEnd(conn_, nullptr) != 1)
    throw pqxx::broken_connection(PQerrorMessage(conn_));
  if (PGresult* failed = drain(conn_))
    throw_result(failed, conn_, query_);
}

binary_result::binary_result(connection& conn, const std::string& sql,
                             const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params)
    values.push_back(p.c_str());
  PGconn* c = conn.raw();
  if (!c)
    throw pqxx::broken_connection("no connection for " + sql);
  result_ = PQexecParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                         nullptr, nullptr, /*resultFormat=*/1);
  if (PQresultStatus(result_) != PGRES_TUPLES_OK) {
    PGresult* r = result_;
    result_ = nullptr;
    throw_result(r, c, sql);
  }
}

binary_result::~binary_result() {
  PQclear(result_);
}

int binary_result::rows() const {
  return PQntuples(result_);
}

std::string_view binary_result::bytes(int row, int column) const {
  return {PQgetvalue(result_, row, column),
          static_cast<std::size_t>(PQgetlength(result_, row, column))};
}

namespace {

template <class T>
T big_endian(std::string_view b) {
  std::make_unsigned_t<T> u = 0;
  for (std::size_t i = 0; i < sizeof(T) && i < b.size(); ++i)
    u = static_cast<std::make_unsigned_t<T>>((u << 8) | static_cast<unsigned char>(b[i]));
  return static_cast<T>(u);
}

} // namespace

std::int64_t binary_result::int8(int row, int column) const {
  return big_endian<std::int64_t>(bytes(row, column));
}

std::int32_t binary_result::int4(int row, int column) const {
  return big_endian<std::int32_t>(bytes(row, column));
}

} // namespace weir::sinks::pg
