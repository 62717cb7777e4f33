// Parquet's RLE/bit-packed hybrid encoding: definition levels (bit width 1,
// flat schemas: a level is "value present") and dictionary indices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weir::parquet {

// Appends the hybrid encoding of `levels` (each 0 or 1), without the 4-byte
// length prefix a v1 data page puts in front of it. Runs of 8 or more equal
// levels become RLE runs; everything else is bit-packed in groups of 8.
void encode_levels(std::string& out, const std::vector<std::uint8_t>& levels);

// The same for dictionary indices of `width` bits (1 to 32), without the
// bit-width byte a dictionary-encoded data page puts in front of it.
void encode_indices(std::string& out, const std::vector<std::uint32_t>& ids, int width);

} // namespace weir::parquet
