// The factory of each sink, by spec `sink.type`. Adding a sink: its room
// under sinks/, one line in sinks.cpp, and its connector in
// jobs/connectors.cpp (what the front ends and validate() know of it).
#pragma once

#include "sinks/sink.hpp"

#include <string_view>
#include <vector>

namespace weir::sinks {

// What the registry builds: each type, and whether it opens a store of
// merged final rows. A unit test holds this to jobs::connectors().
struct registered_sink {
  std::string_view type;
  bool merged;
};
std::vector<registered_sink> registered_sinks();

// The sink for the spec's `sink.type`. Makes no connection: sinks connect on
// their first write.
expected<std::unique_ptr<sink>> make_sink(const jobs::job_spec& spec, const context& ctx);

} // namespace weir::sinks
