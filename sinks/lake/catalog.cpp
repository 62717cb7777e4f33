#include "sinks/lake/catalog.hpp"

#include <pqxx/pqxx>

namespace weir::lake {

struct sql_catalog::state {
  pqxx::connection conn;
  explicit state(const std::string& url) : conn(url) {}
};

sql_catalog::sql_catalog(sql_catalog&&) noexcept = default;
sql_catalog& sql_catalog::operator=(sql_catalog&&) noexcept = default;
sql_catalog::~sql_catalog() = default;

expected<sql_catalog> sql_catalog::make(const std::string& url) {
  return guarded("iceberg catalog", [&] {
    sql_catalog c;
    c.st_ = std::make_unique<state>(url);
    pqxx::work txn(c.st_->conn);
    // The JDBC catalog's schema (V1, with iceberg_type), which pyiceberg's
    // SqlCatalog reads too. Concurrent creators race on the catalog's own
    // rows of pg_type: an advisory lock orders them.
    txn.exec("SELECT pg_advisory_xact_lock(7419226)");
    txn.exec("CREATE TABLE IF NOT EXISTS iceberg_tables ("
             " catalog_name VARCHAR(255) NOT NULL, table_namespace VARCHAR(255) NOT NULL,"
             " table_name VARCHAR(255) NOT NULL, metadata_location VARCHAR(1000),"
             " previous_metadata_location VARCHAR(1000), iceberg_type VARCHAR(5),"
             " PRIMARY KEY (catalog_name, table_namespace, table_name))");
    txn.exec("CREATE TABLE IF NOT EXISTS iceberg_namespace_properties ("
             " catalog_name VARCHAR(255) NOT NULL, namespace VARCHAR(255) NOT NULL,"
             " property_key VARCHAR(255) NOT NULL, property_value VARCHAR(1000),"
             " PRIMARY KEY (catalog_name, namespace, property_key))");
    txn.commit();
    return c;
  });
}

expected<std::optional<std::string>> sql_catalog::load(const std::string& ns,
                                                       const std::string& name) {
  return guarded("iceberg catalog", [&]() -> std::optional<std::string> {
    pqxx::nontransaction txn(st_->conn);
    auto r =
      txn.exec_params("SELECT metadata_location FROM iceberg_tables"
                      " WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3",
                      catalog_name, ns, name);
    if (r.empty() || r[0][0].is_null())
      return std::nullopt;
    return r[0][0].as<std::string>();
  });
}

namespace {

std::vector<std::string> first_column(const pqxx::result& r) {
  std::vector<std::string> out;
  for (const auto& row : r)
    out.push_back(row[0].as<std::string>());
  return out;
}

} // namespace

expected<std::vector<std::string>> sql_catalog::namespaces() {
  return guarded("iceberg catalog", [&] {
    pqxx::nontransaction txn(st_->conn);
    return first_column(txn.exec_params(
      "SELECT table_namespace FROM iceberg_tables WHERE catalog_name = $1 UNION"
      " SELECT namespace FROM iceberg_namespace_properties WHERE catalog_name = $1 ORDER BY 1",
      catalog_name));
  });
}

expected<std::vector<std::string>> sql_catalog::tables(const std::string& ns) {
  return guarded("iceberg catalog", [&] {
    pqxx::nontransaction txn(st_->conn);
    return first_column(txn.exec_params("SELECT table_name FROM iceberg_tables WHERE catalog_name"
                                        " = $1 AND table_namespace = $2 ORDER BY 1",
                                        catalog_name, ns));
  });
}

expected<bool> sql_catalog::create(const std::string& ns, const std::string& name,
                                   const std::string& metadata_location) {
  return guarded("iceberg catalog", [&] {
    pqxx::work txn(st_->conn);
    txn.exec_params("INSERT INTO iceberg_namespace_properties VALUES ($1, $2, 'exists', 'true')"
                    " ON CONFLICT DO NOTHING",
                    catalog_name, ns);
    auto r = txn.exec_params(
      "INSERT INTO iceberg_tables VALUES ($1, $2, $3, $4, NULL, 'TABLE') ON CONFLICT DO NOTHING",
      catalog_name, ns, name, metadata_location);
    txn.commit();
    return r.affected_rows() == 1;
  });
}

expected<bool> sql_catalog::swap(const std::string& ns, const std::string& name,
                                 const std::string& expected_location, const std::string& next,
                                 const along* with) {
  return guarded("iceberg catalog", [&] {
    pqxx::work txn(st_->conn);
    auto r = txn.exec_params(
      "UPDATE iceberg_tables SET metadata_location = $4, previous_metadata_location = $5"
      " WHERE catalog_name = $1 AND table_namespace = $2 AND table_name = $3"
      " AND metadata_location = $5",
      catalog_name, ns, name, next, expected_location);
    if (r.affected_rows() != 1)
      return false; // the transaction rolls back: `with` did nothing either
    if (with)
      txn.exec_params(with->sql, with->arg);
    txn.commit();
    return true;
  });
}

} // namespace weir::lake
