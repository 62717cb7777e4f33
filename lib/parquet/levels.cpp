#include "lib/parquet/levels.hpp"

#include "lib/parquet/compact.hpp"

namespace weir::parquet {

namespace {

// Shorter runs cost less bit-packed (1 bit each) than as an RLE run (2 bytes).
constexpr std::size_t min_rle_run = 8;

// Levels [begin, end) as bit-packed groups of 8, the last one zero-padded:
// padding is only allowed at the very end, which is where callers use it.
void put_bit_packed(std::string& out, const std::uint8_t* levels, std::size_t begin,
                    std::size_t end) {
  std::size_t groups = (end - begin + 7) / 8;
  put_varint(out, (groups << 1) | 1);
  for (std::size_t g = 0; g < groups; ++g) {
    unsigned byte = 0;
    for (std::size_t b = 0; b < 8 && begin + g * 8 + b < end; ++b)
      byte |= unsigned{levels[begin + g * 8 + b]} << b;
    out += static_cast<char>(byte);
  }
}

} // namespace

void encode_levels(std::string& out, const std::vector<std::uint8_t>& levels) {
  const std::uint8_t* l = levels.data();
  const std::size_t n = levels.size();
  std::size_t packed = 0; // start of the levels not yet written
  std::size_t i = 0;
  while (i < n) {
    std::size_t run = 1;
    while (i + run < n && l[i + run] == l[i])
      ++run;
    if (run < min_rle_run) {
      i += run;
      continue;
    }
    // A bit-packed stretch must hold whole groups of 8: borrow the first
    // levels of this run to fill its last group.
    if (std::size_t partial = (i - packed) % 8) {
      std::size_t borrow = 8 - partial;
      i += borrow;
      run -= borrow;
    }
    if (i > packed)
      put_bit_packed(out, l, packed, i);
    put_varint(out, run << 1);
    out += static_cast<char>(l[i]);
    i += run;
    packed = i;
  }
  if (packed < n)
    put_bit_packed(out, l, packed, n);
}

} // namespace weir::parquet
