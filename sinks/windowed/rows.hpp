// What the results stores share about a window row.
#pragma once

#include "jobs/spec.hpp"
#include "jobs/windowed/values.hpp"
#include "sinks/windowed/stores.hpp"

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace weir::sinks::windowed {

// A window row as the JSON object a dead letter carries:
// {"window_start": "2026-01-01 00:00:00.000Z", "window_end": ..., <key
// columns>: text, <aggregates>: number or null; a decimal as its exact text,
// "-12.50", which a JSON reader's double would round}.
std::string window_row_json(const jobs::job_spec& spec, jobs::millis start, jobs::millis end,
                            std::span<const std::string_view> key,
                            const std::vector<jobs::cell>& values);

// The first `n` parts of a composite key, into `out` (cleared).
void key_parts(std::string_view key, std::size_t n, std::vector<std::string_view>& out);

// Takes out of `rows` those `fits` refuses (a value the store's columns
// cannot hold), counting each in dropped[partition]; the first of each
// partition is logged with `why`.
void drop_unfit(std::vector<row_ref>& rows, const std::function<bool(const row_ref&)>& fits,
                const char* why, dropped_rows& dropped, const jobs::job_spec& spec);

} // namespace weir::sinks::windowed
