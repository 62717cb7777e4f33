#include "web/iceberg_rest.hpp"

#include "base/logging.hpp"
#include "lib/s3/env.hpp"
#include "sinks/lake/catalog.hpp"
#include "web/respond.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>

WEIR_LOG_MODULE("http");

namespace weir::web {

namespace {

using nlohmann::json;

// The REST spec's ErrorModel; `type` names the Java exception clients map.
void send_error(httplib::Response& res, int code, const std::string& type,
                const std::string& message) {
  send_json(res, code, {{"error", {{"message", message}, {"type", type}, {"code", code}}}});
}

// PostgreSQL or S3 did not answer.
void unavailable(httplib::Response& res, const std::string& message) {
  send_error(res, 503, "ServiceUnavailableException", message);
}

// What a reader needs to reach the files: the endpoint, never the keys
// (those are the reader's own, e.g. DuckDB's S3 secret).
json file_io_config() {
  const auto s3 = s3_config_from_env();
  json c = json::object();
  if (!s3.endpoint.empty()) {
    c["s3.endpoint"] = s3.endpoint;
    c["s3.path-style-access"] = s3.path_style ? "true" : "false";
    c["s3.region"] = s3.region;
  }
  return c;
}

// A namespace in a path: levels joined by 0x1F; weir's catalog has one level.
std::string ns_of(const httplib::Request& req) {
  return req.matches[1].str();
}

} // namespace

void serve_iceberg_rest(httplib::Server& http, const std::string& catalog_url, read_guard allowed) {
  // Each request connects on its own: an HTTP thread may block on
  // PostgreSQL or S3, the coordinator's actors never do.
  auto with_catalog = [catalog_url, allowed](auto handle) {
    return [catalog_url, allowed, handle](const httplib::Request& req, httplib::Response& res) {
      if (!allowed(req, res))
        return;
      auto catalog = lake::sql_catalog::make(catalog_url);
      if (!catalog) {
        unavailable(res, "the SQL catalog cannot be reached: " + catalog.error_message());
        return;
      }
      handle(*catalog, req, res);
    };
  };
  auto namespace_exists = [](lake::sql_catalog& cat, const std::string& ns,
                             httplib::Response& res) {
    auto all = cat.namespaces();
    if (!all) {
      unavailable(res, all.error_message());
      return false;
    }
    if (std::find(all->begin(), all->end(), ns) == all->end()) {
      send_error(res, 404, "NoSuchNamespaceException", "namespace does not exist: " + ns);
      return false;
    }
    return true;
  };

  http.Get("/iceberg/v1/config", [allowed](const httplib::Request& req, httplib::Response& res) {
    if (!allowed(req, res))
      return;
    send_json(res, 200,
              {{"defaults", json::object()},
               {"overrides", json::object()},
               {"endpoints",
                {"GET /v1/{prefix}/namespaces", "GET /v1/{prefix}/namespaces/{namespace}",
                 "HEAD /v1/{prefix}/namespaces/{namespace}",
                 "GET /v1/{prefix}/namespaces/{namespace}/tables",
                 "GET /v1/{prefix}/namespaces/{namespace}/tables/{table}",
                 "HEAD /v1/{prefix}/namespaces/{namespace}/tables/{table}"}}});
  });
  http.Get("/iceberg/v1/namespaces",
           with_catalog(
             [](lake::sql_catalog& cat, const httplib::Request& req, httplib::Response& res) {
               // Nested namespaces have none below them here.
               if (req.has_param("parent")) {
                 send_json(res, 200, {{"namespaces", json::array()}});
                 return;
               }
               auto all = cat.namespaces();
               if (!all) {
                 unavailable(res, all.error_message());
                 return;
               }
               json out = json::array();
               for (const auto& ns : *all)
                 out.push_back(json::array({ns}));
               send_json(res, 200, {{"namespaces", out}});
             }));
  auto get_namespace =
    with_catalog([namespace_exists](lake::sql_catalog& cat, const httplib::Request& req,
                                    httplib::Response& res) {
      const auto ns = ns_of(req);
      if (namespace_exists(cat, ns, res))
        send_json(res, 200, {{"namespace", json::array({ns})}, {"properties", json::object()}});
    });
  // cpp-httplib answers HEAD with the GET handler, without the body: the
  // spec's HEAD (does it exist?) needs no handler of its own.
  http.Get(R"(/iceberg/v1/namespaces/([^/]+))", get_namespace);
  http.Get(R"(/iceberg/v1/namespaces/([^/]+)/tables)",
           with_catalog([namespace_exists](lake::sql_catalog& cat, const httplib::Request& req,
                                           httplib::Response& res) {
             const auto ns = ns_of(req);
             if (!namespace_exists(cat, ns, res))
               return;
             auto names = cat.tables(ns);
             if (!names) {
               unavailable(res, names.error_message());
               return;
             }
             json ids = json::array();
             for (const auto& n : *names)
               ids.push_back({{"namespace", json::array({ns})}, {"name", n}});
             send_json(res, 200, {{"identifiers", ids}});
           }));
  http.Get(R"(/iceberg/v1/namespaces/([^/]+)/tables/([^/]+))",
           with_catalog(
             [](lake::sql_catalog& cat, const httplib::Request& req, httplib::Response& res) {
               const auto ns = ns_of(req), name = req.matches[2].str();
               auto location = cat.load(ns, name);
               if (!location) {
                 unavailable(res, location.error_message());
                 return;
               }
               if (!*location) {
                 send_error(res, 404, "NoSuchTableException",
                            "table does not exist: " + ns + "." + name);
                 return;
               }
               const auto& path = **location;
               const auto parts = s3::split_url(path);
               auto s3 = s3::client::make(s3_config_from_env());
               auto bytes = !s3      ? expected<std::string>{s3.failure()}
                            : !parts ? expected<std::string>{error{"not an s3:// location"}}
                                     : s3->get_object(parts->bucket, parts->key);
               if (!bytes) {
                 unavailable(res, "cannot read " + path + ": " + bytes.error_message());
                 return;
               }
               auto metadata = json::parse(*bytes, nullptr, false);
               if (metadata.is_discarded()) {
                 send_error(res, 500, "ServerErrorException", path + " is not JSON");
                 return;
               }
               send_json(res, 200,
                         {{"metadata-location", path},
                          {"metadata", metadata},
                          {"config", file_io_config()}});
             }));
}

} // namespace weir::web
