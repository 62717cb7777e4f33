#include "runtime/assignment.hpp"

#include <gtest/gtest.h>

#include <map>

using weir::rebalance;

namespace {

std::map<std::string, int> load(const std::vector<std::string>& owners) {
  std::map<std::string, int> m;
  for (auto& o : owners)
    ++m[o];
  return m;
}

} // namespace

TEST(Assignment, SpreadsEvenly) {
  auto out = rebalance(std::vector<std::string>(8), {"a", "b", "c"});
  auto l = load(out);
  EXPECT_EQ(l.count(""), 0u);
  EXPECT_EQ(l["a"] + l["b"] + l["c"], 8);
  for (auto& [w, n] : l)
    EXPECT_TRUE(n == 2 || n == 3) << w << " has " << n;
}

TEST(Assignment, NoWorkersMeansUnowned) {
  auto out = rebalance({"a", "b"}, {});
  EXPECT_EQ(out, (std::vector<std::string>{"", ""}));
}

TEST(Assignment, LostWorkerMovesOnlyItsPartitions) {
  std::vector<std::string> before{"a", "b", "c", "a", "b", "c"};
  auto out = rebalance(before, {"a", "c"});
  for (size_t p = 0; p < before.size(); ++p)
    if (before[p] != "b")
      EXPECT_EQ(out[p], before[p]) << "partition " << p << " moved needlessly";
  EXPECT_EQ(load(out)["a"], 3);
  EXPECT_EQ(load(out)["c"], 3);
}

TEST(Assignment, JoiningWorkerTakesAShareFromTheLoaded) {
  std::vector<std::string> before{"a", "a", "a", "a"};
  auto out = rebalance(before, {"a", "b"});
  EXPECT_EQ(load(out)["a"], 2);
  EXPECT_EQ(load(out)["b"], 2);
  int moved = 0;
  for (size_t p = 0; p < 4; ++p)
    moved += out[p] != before[p];
  EXPECT_EQ(moved, 2);
}

TEST(Assignment, IsDeterministic) {
  std::vector<std::string> before{"x", "", "b", "b", "b", "q"};
  EXPECT_EQ(rebalance(before, {"a", "b", "c"}), rebalance(before, {"a", "b", "c"}));
}
