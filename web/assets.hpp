// The dashboard's static files, built into the binary (web/embed.cmake
// writes them into a generated source), so the coordinator serves them with
// nothing else installed and nothing loaded from elsewhere at run time.
#pragma once

#include <string_view>
#include <vector>

namespace weir::web {

struct asset {
  const char* path; // e.g. /index.html
  const char* content_type;
  std::string_view body;
};

const std::vector<asset>& dashboard_assets();

} // namespace weir::web
