#include "runtime/spec_file.hpp"

#include "jobs/spec.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace weir {

expected<std::string> expand_env(std::string_view text, std::string_view origin) {
  return jobs::expand_variables(text, origin, [](const std::string& name) -> std::optional<std::string> {
    if (const char* value = std::getenv(name.c_str()))
      return std::string{value};
    return std::nullopt;
  });
}

expected<std::string> read_spec_file(const std::string& path) {
  std::ifstream in{path};
  if (!in)
    return error{"cannot read " + path};
  std::stringstream buf;
  buf << in.rdbuf();
  return expand_env(buf.str(), path);
}

} // namespace weir
