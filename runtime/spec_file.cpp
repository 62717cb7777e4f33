#include "runtime/spec_file.hpp"

#include "jobs/spec.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace weir {

expected<std::string> expand_env(std::string_view text, std::string_view origin) {
  return jobs::expand_variables(text, origin,
                                [](const std::string& name) -> std::optional<std::string> {
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

expected<secret_map> read_secrets_file(const std::string& path) {
  secret_map out;
  if (path.empty())
    return out;
  std::ifstream in{path};
  if (!in)
    return error{"cannot read the secrets file " + path};
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r')
      line.pop_back();
    if (line.empty() || line[0] == '#')
      continue;
    auto eq = line.find('=');
    if (eq == std::string::npos || eq == 0)
      return error{path + ":" + std::to_string(n) + ": expected NAME=value"};
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

expected<std::string> resolve_secrets(std::string_view text, std::string_view origin,
                                      const secret_map& file) {
  return jobs::expand_secrets(text, origin,
                              [&](const std::string& name) -> std::optional<std::string> {
                                if (const char* value =
                                      std::getenv(("WEIR_SECRET_" + name).c_str()))
                                  return std::string{value};
                                if (auto it = file.find(name); it != file.end())
                                  return it->second;
                                return std::nullopt;
                              });
}

} // namespace weir
