// A JSON response body, shared by the coordinator's API and the Iceberg
// REST catalog.
#pragma once

#include <httplib.h>
#include <nlohmann/json.hpp>

namespace weir::web {

inline void send_json(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  // Text from outside (a path, a spec, a parser's message quoting it) need not
  // be UTF-8: its bad bytes become U+FFFD rather than an exception.
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

} // namespace weir::web
