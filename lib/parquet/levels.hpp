// Definition levels in Parquet's RLE/bit-packed hybrid encoding, bit width 1
// (flat schemas: max definition level 1, so a level is "value present").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weir::parquet {

// Appends the hybrid encoding of `levels` (each 0 or 1), without the 4-byte
// length prefix a v1 data page puts in front of it. Runs of 8 or more equal
// levels become RLE runs; everything else is bit-packed in groups of 8.
void encode_levels(std::string& out, const std::vector<std::uint8_t>& levels);

} // namespace weir::parquet
