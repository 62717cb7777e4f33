// What every spec harness checks besides "no crash, no sanitizer report":
// a spec that parses survives the YAML writer unchanged. `weir explain`
// relies on it, and for SQL it shows validate() lets no model through that
// the YAML front end would refuse.
#pragma once

#include "jobs/spec.hpp"

#include <cstdio>
#include <cstdlib>

inline void check_round_trip(const weir::jobs::job_spec& spec) {
  auto yaml = weir::jobs::to_yaml(spec);
  auto again = weir::jobs::parse_spec(yaml, "round-trip");
  if (!again || !(*again == spec)) {
    std::fprintf(stderr, "round trip failed: %s\n%s\n",
                 again ? "a different model" : again.error_message().c_str(), yaml.c_str());
    std::abort();
  }
}
