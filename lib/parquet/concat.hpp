// Concatenation of Parquet files that share one schema: the row groups of
// every input, bytes unchanged, under one new footer whose offsets are
// shifted to where each row group now starts. This is how a table's small
// files are compacted without a Parquet reader (Debian 12 has no Arrow):
// no page is decoded or recompressed. The footer (Thrift compact protocol)
// is decoded into a generic tree and written back, so fields this writer
// never sets survive as they were.
#pragma once

#include "base/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weir::parquet {

struct concatenated {
  std::string bytes;
  std::int64_t rows = 0;
  std::vector<std::int64_t> row_group_offsets; // where each row group starts
};

// Fails on a file that is not Parquet, a footer it cannot decode, or
// schemas that differ (compared as encoded).
expected<concatenated> concat(const std::vector<std::string_view>& files);

} // namespace weir::parquet
