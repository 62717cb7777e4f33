// Spec text as a client validates or submits it: read from a file, with
// ${VAR} references expanded from this process's environment.
#pragma once

#include "base/expected.hpp"

#include <string>
#include <string_view>

namespace weir {

// jobs::expand_variables over the environment.
expected<std::string> expand_env(std::string_view text, std::string_view origin = "spec");

// Reads a spec file and expands its environment references.
expected<std::string> read_spec_file(const std::string& path);

} // namespace weir
