// Row-level isolation for stores with transactions and savepoints: a write
// that a store refuses for what some of its rows hold (a constraint, a
// trigger, a value out of range) is made again range by range, halving
// around the refused rows, so every other row lands and the refused ones
// can be dead-lettered. Each store wraps one try of a range in a savepoint
// and says whether the store refused those rows (postgres: SQLSTATE 22, 23,
// P0; mysql: the data errors of MariaDB).
#pragma once

#include "base/expected.hpp"

#include <cstddef>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace weir::sinks {

// How one try of rows [first, first + count) went.
struct isolation_try {
  enum { done, refused, failed } outcome = done;
  std::string why; // refused: what the store said; failed: the error
};

// Tries rows [0, n) in order: a range the store refuses is halved until each
// refused row is alone; refused(row, why) is called for those, in order.
// k refused rows of n cost about 2k log2(n) tries; none cost one. Stops at
// the first try that failed otherwise and returns its error.
inline expected<void> isolate_rows(
  std::size_t n, const std::function<isolation_try(std::size_t first, std::size_t count)>& attempt,
  const std::function<void(std::size_t row, const std::string& why)>& refused) {
  std::vector<std::pair<std::size_t, std::size_t>> todo; // the next range last
  if (n > 0)
    todo.emplace_back(0, n);
  while (!todo.empty()) {
    const auto [first, count] = todo.back();
    todo.pop_back();
    auto tried = attempt(first, count);
    if (tried.outcome == isolation_try::failed)
      return error{std::move(tried.why)};
    if (tried.outcome == isolation_try::done)
      continue;
    if (count == 1) {
      refused(first, tried.why);
      continue;
    }
    const std::size_t half = count / 2;
    todo.emplace_back(first + half, count - half);
    todo.emplace_back(first, half);
  }
  return {};
}

} // namespace weir::sinks
