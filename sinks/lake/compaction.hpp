// Compaction: a partition's small data files rewritten into files of about
// the target size, as one `replace` snapshot. Files are joined row group by
// row group (lib/parquet/concat.hpp), nothing decoded; the new file's
// statistics are those of its inputs merged. The inputs stay on S3 while a
// kept snapshot lists them: expiry deletes them once none does.
#pragma once

#include "base/expected.hpp"
#include "sinks/lake/layout.hpp"
#include "sinks/lake/table.hpp"

#include <cstdint>
#include <string>

namespace weir::lake {

struct compaction_outcome {
  std::size_t files_in = 0, files_out = 0;
  std::int64_t bytes_in = 0;
};

// Compacts up to about `budget` bytes of small files (below 3/4 of the
// target size, two or more in a partition). The snapshot carries the
// commit identity's committed offsets as the metadata it lands on has them,
// so a snapshot expiry never loses them.
expected<compaction_outcome> compact(table& t, const table_config& cfg, const std::string& identity,
                                     std::int64_t budget);

// The statistics of a file made of `parts`' rows (counts summed, bounds
// widened); a bound missing from one part is missing from the whole.
iceberg::data_file merged_file(const iceberg::schema& s,
                               const std::vector<iceberg::data_file>& parts);

} // namespace weir::lake
