#include "base/duration.hpp"
#include "jobs/generators.hpp"

#include <gtest/gtest.h>

using namespace weir;
using weir::jobs::append_iso8601;

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(parse_duration("250ms"), 250);
  EXPECT_EQ(parse_duration("10s"), 10'000);
  EXPECT_EQ(parse_duration("5m"), 300'000);
  EXPECT_EQ(parse_duration("2h"), 7'200'000);
  EXPECT_EQ(parse_duration("1d"), 86'400'000);
  EXPECT_EQ(parse_duration("0s"), 0);
}

TEST(Duration, RejectsMalformed) {
  EXPECT_FALSE(parse_duration(""));
  EXPECT_FALSE(parse_duration("5"));
  EXPECT_FALSE(parse_duration("m"));
  EXPECT_FALSE(parse_duration("5 m"));
  EXPECT_FALSE(parse_duration("-5s"));
  EXPECT_FALSE(parse_duration("5y"));
}

TEST(Duration, BoundedByACentury) {
  EXPECT_EQ(parse_duration("36600d"), weir::max_duration);
  EXPECT_FALSE(parse_duration("36601d"));
  EXPECT_FALSE(parse_duration("8198552921648689606s")); // would overflow int64 ms
  EXPECT_FALSE(parse_duration("99999999999999999999ms"));
}

TEST(Iso8601, ParsesCommonForms) {
  EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_iso8601("2026-01-01T00:00:00Z"), 1767225600000);
  EXPECT_EQ(parse_iso8601("2026-01-01T00:00:00.5Z"), 1767225600500);
  EXPECT_EQ(parse_iso8601("2026-01-01T00:00:00.123456Z"), 1767225600123);
  EXPECT_EQ(parse_iso8601("2026-01-01 02:00:00+02:00"), 1767225600000);
  EXPECT_EQ(parse_iso8601("2025-12-31T19:00:00-05:00"), 1767225600000);
  EXPECT_EQ(parse_iso8601("1969-12-31T23:59:59.999Z"), -1);
  EXPECT_EQ(parse_iso8601("2024-02-29T12:00:00"), 1709208000000); // no zone: UTC
}

TEST(Iso8601, RejectsMalformed) {
  EXPECT_FALSE(parse_iso8601("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2026-01-01"));
  EXPECT_FALSE(parse_iso8601("2026-01-01T00:00:00Zjunk"));
  EXPECT_FALSE(parse_iso8601("not a time at all!!"));
}

TEST(Iso8601, ChecksTheCalendarAndOffsets) {
  EXPECT_FALSE(parse_iso8601("2026-02-30T00:00:00Z")); // not March 2
  EXPECT_FALSE(parse_iso8601("2026-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_iso8601("2024-02-29T00:00:00Z"));
  EXPECT_TRUE(parse_iso8601("2000-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("1900-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2026-04-31T00:00:00Z"));
  EXPECT_TRUE(parse_iso8601("2026-12-31T23:59:59Z"));
  EXPECT_FALSE(parse_iso8601("2026-01-01T00:00:00+24:00"));
  EXPECT_FALSE(parse_iso8601("2026-01-01T00:00:00+05:60"));
  EXPECT_EQ(parse_iso8601("2026-01-01T00:00:00-23:59"), 1767225600000 + 86'340'000);
}

TEST(Iso8601, RoundTripsWithFormatter) {
  for (millis t : {0LL, 1767225600123LL, 951782400000LL /* 2000-02-29 */, -86'400'001LL}) {
    std::string s;
    append_iso8601(s, t);
    EXPECT_EQ(parse_iso8601(s), t) << s;
  }
}
