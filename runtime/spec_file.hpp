// Spec text as a client validates or submits it: read from a file, with
// ${VAR} references expanded from this process's environment.
#pragma once

#include "base/expected.hpp"

#include <map>
#include <string>
#include <string_view>

namespace weir {

// jobs::expand_variables over the environment.
expected<std::string> expand_env(std::string_view text, std::string_view origin = "spec");

// Reads a spec file and expands its environment references.
expected<std::string> read_spec_file(const std::string& path);

// The secrets a worker puts into spec text (${secret:NAME}): NAME=value
// lines of its --secrets-file (# comments and blank lines allowed).
using secret_map = std::map<std::string, std::string>;
expected<secret_map> read_secrets_file(const std::string& path); // "": none

// ${secret:NAME} from WEIR_SECRET_NAME in this process's environment, else
// from `file`.
expected<std::string> resolve_secrets(std::string_view text, std::string_view origin,
                                      const secret_map& file);

} // namespace weir
