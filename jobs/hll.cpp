#include "jobs/hll.hpp"

#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cmath>

namespace weir::jobs {

void hll::add(std::string_view value) {
  if (regs.empty())
    regs.assign(registers, 0);
  const std::uint64_t h = XXH64(value.data(), value.size(), 0);
  const auto index = static_cast<std::size_t>(h >> (64 - precision));
  // Rank of the first 1 bit after the index bits; the sentinel bit bounds it.
  const std::uint64_t rest = (h << precision) | (std::uint64_t{1} << (precision - 1));
  const auto rank = static_cast<std::uint8_t>(std::countl_zero(rest) + 1);
  regs[index] = std::max(regs[index], rank);
}

void hll::merge(const hll& other) {
  if (other.regs.empty())
    return;
  if (regs.empty()) {
    regs = other.regs;
    return;
  }
  for (std::size_t i = 0; i < registers; ++i)
    regs[i] = std::max(regs[i], other.regs[i]);
}

double hll::estimate() const {
  if (regs.empty())
    return 0;
  const double m = registers;
  double sum = 0;
  std::size_t zeros = 0;
  for (auto r : regs) {
    sum += std::ldexp(1.0, -r);
    zeros += r == 0;
  }
  const double alpha = 0.7213 / (1 + 1.079 / m);
  const double e = alpha * m * m / sum;
  if (e <= 2.5 * m && zeros > 0) // small range: linear counting is more accurate
    return m * std::log(m / static_cast<double>(zeros));
  return e;
}

} // namespace weir::jobs
