#include "jobs/event_reader.hpp"

#include <gtest/gtest.h>

using namespace weir::jobs;

namespace {

job_spec make_spec(time_format fmt, std::vector<key_spec> key) {
  job_spec s;
  s.source.time_field = "ts";
  s.source.time_fmt = fmt;
  s.key = std::move(key);
  s.aggregations = {{agg_kind::count, "", "n"}, {agg_kind::sum, "amount", "total"}};
  return s;
}

} // namespace

TEST(EventReader, ReadsTimeKeyAndValues) {
  event_reader r{make_spec(time_format::epoch_ms, {"game_id"})};
  event_view ev;
  ASSERT_EQ(r.read(R"({"game_id": 17, "amount": 2.5, "ts": 1000, "x": {"y": [1,2]}})", ev),
            read_status::ok);
  EXPECT_EQ(ev.time, 1000);
  EXPECT_EQ(ev.key, "17");
  EXPECT_TRUE(ev.present[1]);
  EXPECT_DOUBLE_EQ(ev.values[1], 2.5);
}

TEST(EventReader, CompositeKeysAndIsoTime) {
  event_reader r{make_spec(time_format::iso8601, {"status", "game_id"})};
  event_view ev;
  ASSERT_EQ(r.read(R"({"ts":"1970-01-01T00:00:01.5Z","game_id":"g\"1","status":"won"})", ev),
            read_status::ok);
  EXPECT_EQ(ev.time, 1500);
  EXPECT_EQ(ev.key, std::string{"won"} + key_separator + "g\"1");
  EXPECT_FALSE(ev.present[1]) << "amount is absent";
}

TEST(EventReader, RefusesKeysThatWouldCollideOrCannotBeStored) {
  event_reader r{make_spec(time_format::epoch_ms, {"status", "game_id"})};
  event_view ev;
  // "a\x1fb" + "c" would be the key of "a" + "b\x1fc".
  EXPECT_EQ(r.read(R"({"ts":1,"status":"a\u001fb","game_id":"c"})", ev), read_status::bad_key);
  EXPECT_EQ(r.read(R"({"ts":1,"status":"a","game_id":"b\u001fc"})", ev), read_status::bad_key);
  EXPECT_EQ(r.read(R"({"ts":1,"status":"a\u0000","game_id":"c"})", ev), read_status::bad_key);
  ASSERT_EQ(r.read(R"({"ts":1,"status":"a","game_id":"c"})", ev), read_status::ok);
  EXPECT_EQ(ev.key, std::string{"a"} + key_separator + "c");
}

// Typed key parts tell 17 from "17": the other JSON type is refused (the
// source dead-letters it), and integers have one text however written.
TEST(EventReader, TypedKeysTellNumbersFromStrings) {
  event_reader r{make_spec(time_format::epoch_ms, {{"user_id", "user_id", key_type::integer},
                                                   {"action", "action", key_type::string}})};
  event_view ev;
  ASSERT_EQ(r.read(R"({"ts":1,"user_id":17,"action":"tap"})", ev), read_status::ok);
  EXPECT_EQ(ev.key, std::string{"17"} + key_separator + "tap");
  for (const char* same : {R"({"ts":1,"user_id":17.0,"action":"tap"})",
                           R"({"ts":1,"user_id":1.7e1,"action":"tap"})"}) {
    ASSERT_EQ(r.read(same, ev), read_status::ok) << same;
    EXPECT_EQ(ev.key, std::string{"17"} + key_separator + "tap") << same;
  }
  ASSERT_EQ(r.read(R"({"ts":1,"user_id":-9223372036854775808,"action":"tap"})", ev),
            read_status::ok);
  EXPECT_EQ(ev.key, std::string{"-9223372036854775808"} + key_separator + "tap");
  for (auto [text, key] : {std::pair{"0.0", "0"},
                           {"-0", "0"},
                           {"1700e-2", "17"},
                           {"0.17E2", "17"},
                           {"9223372036854775807", "9223372036854775807"},
                           {"9.223372036854775807e18", "9223372036854775807"}}) {
    ASSERT_EQ(r.read(std::string{R"({"ts":1,"action":"tap","user_id":)"} + text + "}", ev),
              read_status::ok)
      << text;
    EXPECT_EQ(ev.key, std::string{key} + key_separator + "tap") << text;
  }
  for (const char* bad :
       {R"({"ts":1,"user_id":"17","action":"tap"})", R"({"ts":1,"user_id":17.5,"action":"tap"})",
        R"({"ts":1,"user_id":1e19,"action":"tap"})",
        R"({"ts":1,"user_id":9223372036854775808,"action":"tap"})",
        R"({"ts":1,"user_id":-9223372036854775809,"action":"tap"})",
        R"({"ts":1,"user_id":9007199254740993.5,"action":"tap"})",
        R"({"ts":1,"user_id":1.0000000000000000001,"action":"tap"})",
        R"({"ts":1,"user_id":1e-400,"action":"tap"})",
        R"({"ts":1,"user_id":07,"action":"tap"})", // not JSON (fuzz.event_reader)
        R"({"ts":1,"user_id":true,"action":"tap"})",
        R"({"ts":1,"user_id":{"id":17},"action":"tap"})"})
    EXPECT_EQ(r.read(bad, ev), read_status::key_not_integer) << bad;
  for (const char* bad :
       {R"({"ts":1,"user_id":17,"action":17})", R"({"ts":1,"user_id":17,"action":false})",
        R"({"ts":1,"user_id":17,"action":["tap"]})"})
    EXPECT_EQ(r.read(bad, ev), read_status::key_not_string) << bad;
  EXPECT_EQ(r.read(R"({"ts":1,"user_id":null,"action":"tap"})", ev), read_status::missing_key);
  // Untyped, a key is its text as written: one key for both.
  event_reader any{make_spec(time_format::epoch_ms, {"k"})};
  ASSERT_EQ(any.read(R"({"ts":1,"k":17})", ev), read_status::ok);
  EXPECT_EQ(ev.key, "17");
  ASSERT_EQ(any.read(R"({"ts":1,"k":"17"})", ev), read_status::ok);
  EXPECT_EQ(ev.key, "17");
}

TEST(EventReader, EpochSeconds) {
  event_reader r{make_spec(time_format::epoch_s, {"k"})};
  event_view ev;
  ASSERT_EQ(r.read(R"({"k":"a","ts":1.25})", ev), read_status::ok);
  EXPECT_EQ(ev.time, 1250);
}

TEST(EventReader, ClassifiesBadEvents) {
  event_reader r{make_spec(time_format::epoch_ms, {"k"})};
  event_view ev;
  EXPECT_EQ(r.read("{not json", ev), read_status::malformed_json);
  EXPECT_EQ(r.read("[1,2]", ev), read_status::malformed_json);
  EXPECT_EQ(r.read(R"({"k":"a"})", ev), read_status::missing_time);
  EXPECT_EQ(r.read(R"({"k":"a","ts":"yesterday"})", ev), read_status::bad_time);
  EXPECT_EQ(r.read(R"({"ts":5})", ev), read_status::missing_key);
  // The reader recovers: a good event after bad ones reads fine.
  ASSERT_EQ(r.read(R"({"k":"b","ts":5})", ev), read_status::ok);
  EXPECT_EQ(ev.key, "b");
}

TEST(EventReader, LargePayloadGrowsBuffer) {
  event_reader r{make_spec(time_format::epoch_ms, {"k"})};
  std::string big = R"({"pad":")" + std::string(20000, 'x') + R"(","k":"z","ts":9})";
  event_view ev;
  ASSERT_EQ(r.read(big, ev), read_status::ok);
  EXPECT_EQ(ev.key, "z");
}

TEST(EventReader, PartitionKeyIsTheDeclaredKeyPartAsWritten) {
  weir::jobs::job_spec spec;
  spec.source.time_field = "ts";
  spec.source.partitioned_by = "user";
  spec.key = {"game", "user"};
  weir::jobs::event_reader reader{spec};
  weir::jobs::event_view ev;
  ASSERT_EQ(reader.read(R"({"ts":1,"game":"g","user":17})", ev), weir::jobs::read_status::ok);
  EXPECT_EQ(ev.partition_key, "17");
  spec.source.partitioned_by.clear();
  weir::jobs::event_reader plain{spec};
  ASSERT_EQ(plain.read(R"({"ts":1,"game":"g","user":17})", ev), weir::jobs::read_status::ok);
  EXPECT_TRUE(ev.partition_key.empty());
}

TEST(EventReader, NestedFieldsByPath) {
  job_spec spec;
  spec.source.time_field = "meta.ts";
  spec.key = {"device.os", "user"};
  spec.aggregations = {{agg_kind::sum, "device.stats.score", "score"}};
  spec.filters = {{"device.os", filter_op::ne, {"ios"}, 0}};
  event_reader r{spec};
  event_view ev;
  ASSERT_EQ(r.read(R"({"user":"u1","device":{"os":"android","stats":{"score":2.5}},)"
                   R"("meta":{"ts":1000}})",
                   ev),
            read_status::ok);
  EXPECT_EQ(ev.time, 1000);
  EXPECT_EQ(ev.key, std::string{"android"} + key_separator + "u1");
  EXPECT_TRUE(ev.present[0]);
  EXPECT_DOUBLE_EQ(ev.values[0], 2.5);
  // A path through a field that is not an object finds nothing: the key,
  // and the condition on it, which does not hold, so the event is not the
  // job's at all.
  EXPECT_EQ(r.read(R"({"user":"u1","device":"android","meta":{"ts":1}})", ev),
            read_status::filtered);
  EXPECT_EQ(r.read(R"({"device":{"os":"x"},"meta":{"ts":1}})", ev), read_status::missing_key);
  EXPECT_EQ(r.read(R"({"device":{"os":"ios"},"meta":{"ts":"bad"}})", ev), read_status::filtered)
    << "the where comes first: an event it refuses is never dead-lettered";
  EXPECT_EQ(r.read(R"({"user":"u1","device":{"os":"ios"},"meta":{"ts":1}})", ev),
            read_status::filtered);
  EXPECT_EQ(r.read(R"({"user":"u1","device":{"os":"x"},"meta":{"ts":1},"meta2":{}})", ev),
            read_status::ok);
  EXPECT_EQ(r.read(R"({"user":"u1","device":{"os":"x"},"meta":{"ts":[}})", ev),
            read_status::malformed_json);
}

TEST(EventReader, ObjectKeptWholeAndReadInside) {
  // A raw job keeping device as JSON text while another column reads device.os.
  job_spec spec;
  spec.columns = {{"device", "device", column_type::string, true},
                  {"os", "device.os", column_type::string, true}};
  event_reader r{spec};
  event_view ev;
  ASSERT_EQ(r.read(R"({"device":{"app":"5.1","os":"ios"},"x":1})", ev, 7), read_status::ok);
  EXPECT_EQ(ev.columns[0].text, R"({"app":"5.1","os":"ios"})");
  EXPECT_EQ(ev.columns[1].text, "ios");
}

TEST(EventReader, NumbersSentAsStringsCountAsNumbers) {
  event_reader r{make_spec(time_format::epoch_ms, {"k"})};
  event_view ev;
  ASSERT_EQ(r.read(R"({"k":"a","amount":"2.5","ts":1})", ev), read_status::ok);
  EXPECT_TRUE(ev.present[1]);
  EXPECT_DOUBLE_EQ(ev.values[1], 2.5);
  ASSERT_EQ(r.read(R"({"k":"a","amount":"2.5x","ts":1})", ev), read_status::ok);
  EXPECT_FALSE(ev.present[1]);
  ASSERT_EQ(r.read(R"({"k":"a","amount":"","ts":1})", ev), read_status::ok);
  EXPECT_FALSE(ev.present[1]);
}

TEST(EventReader, EventTimesOutsideYears1To9999AreUnreadable) {
  event_reader ms{make_spec(time_format::epoch_ms, {"k"})};
  event_reader s{make_spec(time_format::epoch_s, {"k"})};
  event_view ev;
  EXPECT_EQ(ms.read(R"({"k":"a","ts":1e40})", ev), read_status::bad_time);
  EXPECT_EQ(ms.read(R"({"k":"a","ts":-1e40})", ev), read_status::bad_time);
  EXPECT_EQ(s.read(R"({"k":"a","ts":253402300800})", ev), read_status::bad_time);
  ASSERT_EQ(s.read(R"({"k":"a","ts":253402300799})", ev), read_status::ok);
  EXPECT_EQ(ev.time, 253402300799000);
}
