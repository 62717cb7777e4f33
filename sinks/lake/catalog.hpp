// Iceberg's SQL catalog in PostgreSQL: the tables Java's JdbcCatalog,
// pyiceberg's SqlCatalog and iceberg-rust share (iceberg_tables,
// iceberg_namespace_properties), so those tools find weir's tables. The
// atomic step of every commit is swap(): a compare-and-swap UPDATE of a
// table's metadata_location.
#pragma once

#include "base/expected.hpp"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weir::lake {

class sql_catalog {
public:
  static constexpr const char* catalog_name = "weir"; // pyiceberg: SqlCatalog("weir", ...)

  // Connects and creates the catalog's tables if missing.
  static expected<sql_catalog> make(const std::string& url);

  sql_catalog(sql_catalog&&) noexcept;
  sql_catalog& operator=(sql_catalog&&) noexcept;
  ~sql_catalog();

  // The table's current metadata file; nullopt when the table is unknown.
  expected<std::optional<std::string>> load(const std::string& ns, const std::string& name);
  // The namespaces of this catalog's tables, sorted; the tables of one.
  expected<std::vector<std::string>> namespaces();
  expected<std::vector<std::string>> tables(const std::string& ns);
  // Registers a new table (and its namespace); false when it exists already.
  expected<bool> create(const std::string& ns, const std::string& name,
                        const std::string& metadata_location);
  // A statement of this database ($1 = arg) that commits with a swap, only
  // if it wins: an export marks its rows exported in the transaction that
  // commits their snapshot.
  struct along {
    std::string sql, arg;
  };

  // Points the table at `next` if it still points at `expected`; false when
  // another commit won (reload and plan again).
  expected<bool> swap(const std::string& ns, const std::string& name,
                      const std::string& expected_location, const std::string& next,
                      const along* with = nullptr);

private:
  sql_catalog() = default;
  struct state;
  std::unique_ptr<state> st_;
};

} // namespace weir::lake
