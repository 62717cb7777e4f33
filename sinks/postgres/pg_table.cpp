#include "sinks/postgres/pg_table.hpp"

#include "sinks/isolate.hpp"

#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>

namespace weir::raw::pg {

namespace {

constexpr const char* reserved[] = {"exported", "export_run", "ingested_at"};
// Without a key column, the event's identity.
constexpr const char* positions[] = {"kafka_partition", "kafka_offset"};

// information_schema.columns.data_type for each type.
const char* catalog_type(parquet::type t) {
  return t == parquet::type::timestamp_ms ? "timestamp with time zone" : sql_type(t);
}

template <class T>
void append_number(std::string& out, T v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

template <class T>
T parse_number(std::string_view text, const column& col) {
  T v{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc{} || end != text.data() + text.size())
    throw std::runtime_error{"COPY field '" + std::string{text} + "' of column " + col.name
                             + " is not a " + parquet::type_name(col.t)};
  return v;
}

} // namespace

const char* sql_type(parquet::type t) {
  switch (t) {
    case parquet::type::int64: return "bigint";
    case parquet::type::float64: return "double precision";
    case parquet::type::string: return "text";
    case parquet::type::boolean: return "boolean";
    case parquet::type::timestamp_ms: return "timestamptz";
    case parquet::type::timestamp_us: break; // raw columns are never microseconds
  }
  return "?";
}

expected<void> check_table(const std::string& table, const std::vector<column>& columns,
                           const std::string& key_column) {
  if (!is_identifier(table))
    return error{"raw: table name '" + table + "' is not an identifier (letters, digits, _)"};
  if (auto ok = check_columns(columns); !ok)
    return ok;
  const column* key = nullptr;
  for (const auto& c : columns) {
    for (const char* r : reserved)
      if (c.name == r)
        return error{"raw: column name '" + c.name + "' is reserved for the raw table"};
    if (key_column.empty())
      for (const char* r : positions)
        if (c.name == r)
          return error{"raw: column name '" + c.name
                       + "' is the table's own: without a key, an event is identified by its "
                         "Kafka position (kafka_partition, kafka_offset)"};
    if (c.name == key_column)
      key = &c;
  }
  if (key_column.empty())
    return {};
  if (!key)
    return error{"raw: key column '" + key_column + "' is not one of the columns"};
  if (key->nullable)
    return error{"raw: key column '" + key_column + "' must not be nullable"};
  return {};
}

void ensure_table(pqxx::transaction_base& txn, const std::string& table,
                  const std::vector<column>& columns, const std::string& key_column) {
  const auto t = txn.quote_name(table);
  std::string create = "CREATE TABLE IF NOT EXISTS " + t + " (";
  for (const auto& c : columns)
    create += txn.quote_name(c.name) + " " + sql_type(c.t) + (c.nullable ? ", " : " NOT NULL, ");
  if (key_column.empty())
    create += "kafka_partition integer NOT NULL, kafka_offset bigint NOT NULL, ";
  create += "exported boolean NOT NULL DEFAULT false, export_run text, "
            "ingested_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY ("
            + (key_column.empty() ? std::string{"kafka_partition, kafka_offset"}
                                  : txn.quote_name(key_column))
            + "))";
  // Writers and exporters on several workers start together; the lock keeps
  // their CREATE IF NOT EXISTS from racing on the catalog.
  txn.exec("SELECT pg_advisory_xact_lock(hashtext(" + txn.quote("weir.raw." + table) + "))");
  txn.exec(create);
  // Claim, export and mark look for rows not yet exported (the first index:
  // the backlog, not the history); a claim checks whether its run has rows
  // already, exported or not (the second: claimed rows only, so ingest never
  // touches it).
  txn.exec("CREATE INDEX IF NOT EXISTS " + txn.quote_name(table + "__unexported") + " ON " + t
           + " (export_run) WHERE NOT exported");
  txn.exec("CREATE INDEX IF NOT EXISTS " + txn.quote_name(table + "__export_run") + " ON " + t
           + " (export_run) WHERE export_run IS NOT NULL");

  std::map<std::string, std::string> have;
  for (const auto& row :
       txn.exec("SELECT column_name, data_type FROM information_schema.columns WHERE "
                "table_schema = current_schema() AND table_name = "
                + txn.quote(table)))
    have[row[0].as<std::string>()] = row[1].as<std::string>();
  auto want = [&](const std::string& name, const std::string& type) {
    auto it = have.find(name);
    if (it == have.end())
      throw std::runtime_error{"table " + table + " exists without column " + name};
    if (it->second != type)
      throw std::runtime_error{"table " + table + " column " + name + " is " + it->second
                               + ", expected " + type};
  };
  for (const auto& c : columns)
    want(c.name, catalog_type(c.t));
  want("exported", "boolean");
  want("export_run", "text");
  want("ingested_at", "timestamp with time zone");
  if (key_column.empty()) {
    want("kafka_partition", "integer");
    want("kafka_offset", "bigint");
  }
}

void append_copy_value(std::string& out, const row_batch::value& v) {
  switch (v.index()) {
    case 0: out += "\\N"; break;
    case 1: append_number(out, std::get<std::int64_t>(v)); break;
    case 2: {
      const double d = std::get<double>(v);
      if (std::isnan(d))
        out += "NaN";
      else if (std::isinf(d))
        out += d > 0 ? "Infinity" : "-Infinity";
      else
        append_number(out, d); // shortest form that reads back exactly
      break;
    }
    case 3: {
      const auto s = std::get<std::string_view>(v);
      std::size_t done = 0;
      for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        const char e = c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 0;
        if (!e)
          continue;
        out.append(s, done, i - done);
        out += '\\';
        out += e;
        done = i + 1;
      }
      out.append(s, done);
      break;
    }
    case 4: out += std::get<bool>(v) ? 't' : 'f'; break;
  }
}

void parse_copy_line(std::string_view line, const std::vector<column>& columns,
                     std::string& scratch, std::vector<row_batch::value>& out) {
  if (!line.empty() && line.back() == '\n')
    line.remove_suffix(1);
  // Unescaped text is never longer than the line: views into scratch stay valid.
  scratch.clear();
  scratch.reserve(line.size());
  out.resize(columns.size());
  std::size_t pos = 0;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (pos > line.size())
      throw std::runtime_error{"COPY line has " + std::to_string(i) + " fields, expected "
                               + std::to_string(columns.size())};
    auto tab = line.find('\t', pos);
    if (tab == std::string_view::npos)
      tab = line.size();
    const auto field = line.substr(pos, tab - pos);
    pos = tab + 1;
    const auto& col = columns[i];
    if (field == "\\N") {
      out[i] = std::monostate{};
      continue;
    }
    switch (col.t) {
      case parquet::type::int64:
      case parquet::type::timestamp_ms:
      case parquet::type::timestamp_us: out[i] = parse_number<std::int64_t>(field, col); break;
      case parquet::type::float64: out[i] = parse_number<double>(field, col); break;
      case parquet::type::boolean:
        if (field != "t" && field != "f")
          throw std::runtime_error{"COPY field '" + std::string{field} + "' of column " + col.name
                                   + " is not a boolean"};
        out[i] = field == "t";
        break;
      case parquet::type::string: {
        const std::size_t begin = scratch.size();
        for (std::size_t j = 0; j < field.size(); ++j) {
          char c = field[j];
          if (c == '\\' && j + 1 < field.size()) {
            // COPY TO writes these six control characters and the backslash
            // escaped; any other escaped character stands for itself.
            switch (c = field[++j]) {
              case 'b': c = '\b'; break;
              case 'f': c = '\f'; break;
              case 'n': c = '\n'; break;
              case 'r': c = '\r'; break;
              case 't': c = '\t'; break;
              case 'v': c = '\v'; break;
              default: break;
            }
          }
          scratch += c;
        }
        out[i] = std::string_view{scratch}.substr(begin);
        break;
      }
    }
  }
  if (pos <= line.size())
    throw std::runtime_error{"COPY line has more than " + std::to_string(columns.size())
                             + " fields"};
}

std::string one_line(std::string_view message) {
  std::string out;
  for (char c : message) {
    if (c == '\n' || c == '\r' || c == '\t')
      c = ' ';
    if (c == ' ' && (out.empty() || out.back() == ' '))
      continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

bool refused_rows(const pqxx::sql_error& e) {
  const auto& state = e.sqlstate();
  return state.starts_with("22") || state.starts_with("23") || state.starts_with("P0");
}

void isolate_rows(
  pqxx::dbtransaction& txn, std::size_t n,
  const std::function<void(pqxx::transaction_base&, std::size_t, std::size_t)>& write,
  const std::function<void(std::size_t, const std::string&)>& refused) {
  // Other errors leave as the exceptions they are.
  (void)sinks::isolate_rows(
    n,
    [&](std::size_t first, std::size_t count) -> sinks::isolation_try {
      try {
        pqxx::subtransaction sub{txn, "weir_isolate"};
        // libpqxx 6.4 issues the SAVEPOINT lazily, on the first exec();
        // exec_params() bypasses that, so a failure there would abort the
        // whole transaction: begin it here.
        sub.exec("SELECT 1");
        write(sub, first, count);
        sub.commit();
        return {};
      } catch (const pqxx::sql_error& e) {
        if (!refused_rows(e))
          throw;
        return {sinks::isolation_try::refused, one_line(e.what())};
      }
    },
    refused);
}

} // namespace weir::raw::pg
