#pragma once

#include "base/types.hpp"

#include <optional>
#include <string_view>

namespace weir {

// The longest duration weir takes: a century.
inline constexpr millis max_duration = 100LL * 366 * 86'400'000;

// Event times weir takes: the years 1 to 9999, what ISO 8601 can write
// (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999Z).
inline constexpr millis min_event_time = -62'135'596'800'000;
inline constexpr millis max_event_time = 253'402'300'799'999;

// "250ms", "10s", "5m", "2h", "1d" -> milliseconds; nullopt when malformed
// or longer than max_duration.
std::optional<millis> parse_duration(std::string_view text);

// Milliseconds since the epoch from ISO 8601 ("2026-01-02T03:04:05.678Z",
// offsets like +02:00 accepted); nullopt when malformed, including days the
// calendar has not (2026-02-30) and offsets past +-23:59. No allocation.
std::optional<millis> parse_iso8601(std::string_view text);

} // namespace weir
