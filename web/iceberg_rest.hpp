// The read side of the Iceberg REST catalog (apache/iceberg's
// open-api/rest-catalog-open-api.yaml) under /iceberg on the coordinator's
// HTTP port, in front of the SQL catalog in PostgreSQL that the lake's
// commits swap (sinks/lake/catalog.hpp): config, namespaces, tables, load
// table. DuckDB's ATTACH ... (TYPE iceberg) and pyiceberg's RestCatalog
// read weir's lake through it. No writes: tables change only by commits.
#pragma once

#include <functional>
#include <string>

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace weir::web {

// Whether a read may go on (else the response is filled).
using read_guard = std::function<bool(const httplib::Request&, httplib::Response&)>;

// Serves the endpoints for the SQL catalog at `catalog_url` (a PostgreSQL
// URL), reading metadata files with this process's S3 settings.
void serve_iceberg_rest(httplib::Server& http, const std::string& catalog_url, read_guard allowed);

} // namespace weir::web
