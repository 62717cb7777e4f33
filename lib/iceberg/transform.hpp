// Partition transforms (format/spec.md, "Partition Transforms", Appendix B):
// identity, bucket[N] (32-bit Murmur3, x86 variant, seed 0, of the value's
// single-value bytes; ints, dates and timestamps hash as 8-byte longs),
// truncate[W], year, month, day, hour and void; plus the Hive-style path of
// a partition tuple.
#pragma once

#include "base/expected.hpp"
#include "lib/iceberg/values.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace weir::iceberg {

// MurmurHash3_x86_32 with seed 0, as Iceberg buckets (Appendix B).
std::int32_t murmur3_32(std::string_view bytes);
// The hash Appendix B gives a value of type `t`: ints, dates, longs and
// timestamps as little-endian longs, strings as UTF-8 bytes. 0 for NULL.
std::int32_t bucket_hash(type t, const value_view& v);

struct transform {
  enum class kind { identity, bucket, truncate, year, month, day, hour, void_, unknown };

  kind k = kind::identity;
  std::int32_t param = 0; // N of bucket[N], W of truncate[W]
  std::string text;       // the transform as written, for unknown ones

  // Any text parses: one not known here is `unknown` (kept, never applied).
  static transform parse(std::string_view text);
  std::string to_string() const;

  // The type of the transform's values for a source of type `source`;
  // fails where the spec does not define the transform for that type.
  expected<type> result_type(type source) const;
  // The partition value of a source value (NULL stays NULL). The source
  // value must fit `source` and result_type(source) must have succeeded.
  datum apply(type source, const value_view& v) const;
  // The value as a path segment shows it: "2026", "2026-01", "2026-01-01",
  // "2026-01-01-10" for year, month, day and hour; "null" for NULL.
  std::string human(type source, const datum& result) const;

  bool operator==(const transform&) const = default;
};

} // namespace weir::iceberg
