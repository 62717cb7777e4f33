#pragma once

#include "base/types.hpp"

#include <optional>
#include <string_view>

namespace weir {

// "250ms", "10s", "5m", "2h", "1d" -> milliseconds; nullopt when malformed.
std::optional<millis> parse_duration(std::string_view text);

// Milliseconds since the epoch from ISO 8601 ("2026-01-02T03:04:05.678Z",
// offsets like +02:00 accepted); nullopt when malformed. No allocation.
std::optional<millis> parse_iso8601(std::string_view text);

} // namespace weir
