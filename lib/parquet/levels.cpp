#include "lib/parquet/levels.hpp"

#include "lib/parquet/compact.hpp"

namespace weir::parquet {

namespace {

// Shorter runs cost less bit-packed than as an RLE run.
constexpr std::size_t min_rle_run = 8;

// Values [begin, end) as bit-packed groups of 8, `width` bits each, least
// significant first; the last group zero-padded: padding is only allowed at
// the very end, which is where callers use it.
template <typename T>
void put_bit_packed(std::string& out, const T* v, std::size_t begin, std::size_t end, int width) {
  const std::size_t groups = (end - begin + 7) / 8;
  put_varint(out, (groups << 1) | 1);
  std::uint64_t bits = 0;
  int held = 0;
  for (std::size_t i = begin; i < begin + groups * 8; ++i) {
    bits |= std::uint64_t{i < end ? std::uint32_t{v[i]} : 0u} << held;
    held += width;
    while (held >= 8) {
      out += static_cast<char>(bits & 0xff);
      bits >>= 8;
      held -= 8;
    }
  }
}

template <typename T>
void encode_hybrid(std::string& out, const T* l, std::size_t n, int width) {
  std::size_t packed = 0; // start of the values not yet written
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
    // values of this run to fill its last group.
    if (std::size_t partial = (i - packed) % 8) {
      std::size_t borrow = 8 - partial;
      i += borrow;
      run -= borrow;
    }
    if (i > packed)
      put_bit_packed(out, l, packed, i, width);
    put_varint(out, run << 1);
    for (int b = 0; b < (width + 7) / 8; ++b) // the value, little-endian
      out += static_cast<char>((std::uint32_t{l[i]} >> (8 * b)) & 0xff);
    i += run;
    packed = i;
  }
  if (packed < n)
    put_bit_packed(out, l, packed, n, width);
}

} // namespace

void encode_levels(std::string& out, const std::vector<std::uint8_t>& levels) {
  encode_hybrid(out, levels.data(), levels.size(), 1);
}

void encode_indices(std::string& out, const std::vector<std::uint32_t>& ids, int width) {
  encode_hybrid(out, ids.data(), ids.size(), width);
}

} // namespace weir::parquet
