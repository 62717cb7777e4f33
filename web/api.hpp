// The coordinator's REST API bodies (docs/api.yaml): JSON renderings of one
// observed_cluster (actors/observed.hpp). No I/O.
#pragma once

#include "actors/observed.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace weir::web {

nlohmann::json jobs_json(const observed_cluster& c);
// Null when there is no such job.
nlohmann::json job_json(const observed_cluster& c, const std::string& id);
nlohmann::json checkpoints_json(const observed_cluster& c, const std::string& id);
nlohmann::json workers_json(const observed_cluster& c);
nlohmann::json events_json(const observed_cluster& c, std::size_t limit);

// A submission's error (a spec error reads FILE:LINE[:COLUMN]: [FIELD: ]MESSAGE)
// as {file, line, column, field, message}; what does not parse is all message.
nlohmann::json spec_error_json(const std::string& error);

} // namespace weir::web
