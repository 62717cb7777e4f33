// What this library's .cpp files share and its users need not see.
#pragma once

#include "base/expected.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace weir::iceberg {

// JSON as text. Invalid UTF-8 (a caller's summary value, say) becomes
// U+FFFD instead of an exception.
inline std::string text(const nlohmann::ordered_json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// Runs fn, which returns expected<T>; an exception it throws (nlohmann's on
// malformed JSON, std::bad_alloc) becomes an error prefixed by `what`.
template <class Fn>
auto catching(const char* what, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return error{std::string{"iceberg: "} + what + ": " + e.what()};
  }
}

} // namespace weir::iceberg
