// The rules of the job model, written once for every front end. A front end
// checks only its own text (a duration that does not parse, an unknown YAML
// field, an SQL construct weir has no meaning for), builds the model, then
// calls validate() and shows the first broken rule where its field is
// written: YAML at the line of the node at `path`, SQL at the line and
// column of the construct that set it.
#pragma once

#include "jobs/spec.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weir::jobs {

struct violation {
  // The field at fault as the YAML spec names it: window.type,
  // aggregations[1].as, sink.partials_url, checkpoints.retain.
  std::string path;
  std::string reason;
  // For a field that is not written at all: the field that asks for it
  // (sink.type for a missing sink.partials_url), to point at instead.
  std::string asked_by = {};
};

std::optional<violation> validate(const job_spec& spec);

// A whole number's bounds. A front end whose text is no whole number at all
// says it as validate() says an out-of-range one: "expected a whole number
// from 2 to 1000, got 'x'".
struct number_bounds {
  std::uint64_t min;
  std::uint64_t max;
  bool max_named = true; // false: "from 1" (the maximum only guards the type)

  std::string expected(std::string_view got) const;
  bool holds(std::uint64_t v) const { return v >= min && v <= max; }
};

inline constexpr number_bounds retain_bounds{2, 1000};
inline constexpr number_bounds max_file_mb_bounds{1, 4096};
inline constexpr number_bounds top_n_bounds{1, 100'000};
// An iceberg sink's: a derived column's hour width and modulo (what fits
// the model's int; validate() says more of an hour width), its snapshots.
inline constexpr number_bounds derive_bounds{1, 2'147'483'647, false};
inline constexpr number_bounds hour_every_bounds{1, 24};
inline constexpr number_bounds commit_every_bounds{1, 1000};
inline constexpr number_bounds commit_mb_bounds{1, 1'048'576};
inline constexpr number_bounds snapshots_kept_bounds{1, 4'294'967'295, false};

// Why an aggregate of `kind` cannot read its field as decimal `d` (nullptr:
// as a double), or "". A front end asks when its text names a type: the
// model cannot tell a double named from none, nor decimal(0, 0) from double.
std::string type_problem(agg_kind kind, const decimal_type* d);

// The text as a whole number no larger than `fits` (the model field's type),
// as strtoull reads it, or nothing.
std::optional<std::uint64_t> whole_number(const std::string& text, std::uint64_t fits);

// Why `s` is no path into the event (dot-separated names, none empty), or "".
// The YAML front end asks too: it names a key's path as the key is written.
std::string field_path_problem(const std::string& s);

// Valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF) with
// no control characters: a value ends up in SQL identifiers, topic names and
// file paths, where such bytes mean nothing good.
bool plain_text(std::string_view s);

} // namespace weir::jobs
