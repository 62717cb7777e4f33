// weir::iceberg against the spec's own vectors (Appendix B's hashes, the
// truncate examples, Appendix D's bytes) and its rules for manifests,
// snapshots and expiry. pyiceberg, fastavro and DuckDB read a whole table
// written with these functions in check_iceberg.py.
#include "lib/iceberg/commit.hpp"
#include "lib/iceberg/manifest.hpp"
#include "lib/iceberg/metadata.hpp"
#include "lib/iceberg/metrics.hpp"
#include "lib/iceberg/transform.hpp"
#include "lib/iceberg/values.hpp"
#include "tests/support/bytes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <set>

namespace ice = weir::iceberg;
using ice::datum;
using ice::type;
using ice::value_view;
using weir::test::bytes;
using weir::test::hex;

namespace {

constexpr std::int64_t day_us = 86'400'000'000;
constexpr std::int64_t hour_us = 3'600'000'000;

ice::transform tr(std::string_view text) {
  return ice::transform::parse(text);
}

// event_id long, user_id long, action string, at timestamptz, score double;
// partitioned by day(at), bucket[8](user_id).
ice::schema events_schema() {
  ice::schema s;
  s.fields = {{1, "event_id", true, type::int64, {}, {}},
              {2, "user_id", true, type::int64, {}, {}},
              {3, "action", false, type::string, {}, {}},
              {4, "at", true, type::timestamptz, {}, {}},
              {5, "score", false, type::float64, {}, {}}};
  return s;
}

ice::partition_spec events_spec() {
  return {0, {{4, 1000, "at_day", tr("day")}, {2, 1001, "user_bucket", tr("bucket[8]")}}};
}

ice::table_metadata events_table() {
  ice::new_table_options o;
  o.schema = events_schema();
  o.spec = events_spec();
  o.order = {1, {{tr("identity"), 2, false, true}}};
  o.location = "s3://lake/events";
  o.table_uuid = "9c12d441-03fe-4693-9a96-a0705ddf69c1";
  o.timestamp_ms = 1'700'000'000'000;
  auto m = ice::new_table(o);
  EXPECT_TRUE(m) << m.error_message();
  return *m;
}

ice::data_file file(std::string path, std::int32_t day, std::int32_t bucket, std::int64_t rows) {
  ice::data_file f;
  f.file_path = "s3://lake/events/data/" + path;
  f.partition = {datum{day}, datum{bucket}};
  f.record_count = rows;
  f.file_size_in_bytes = rows * 10;
  f.value_counts = {{1, rows}};
  f.null_value_counts = {{1, 0}};
  f.lower_bounds = {{1, ice::to_bytes(type::int64, std::int64_t{0})}};
  f.upper_bounds = {{1, ice::to_bytes(type::int64, rows - 1)}};
  f.split_offsets = {4};
  return f;
}

// A table's files in memory, for planning commits and expiry.
struct store {
  std::map<std::string, std::string> files;
  ice::file_reader reader() {
    return [this](const std::string& path) -> weir::expected<std::string> {
      auto it = files.find(path);
      if (it == files.end())
        return weir::error{"no file " + path};
      return it->second;
    };
  }
  void write(const ice::commit_plan& p) {
    for (const auto& m : p.manifests)
      files[m.path] = m.bytes;
    files[p.manifest_list.path] = p.manifest_list.bytes;
  }
  // The current snapshot's manifests with their entries, as a sink reads them back.
  std::vector<ice::existing_manifest> existing(const ice::table_metadata& m) {
    std::vector<ice::existing_manifest> out;
    const auto* snap = m.current_snapshot();
    if (!snap)
      return out;
    auto list = ice::read_manifest_list(files.at(snap->manifest_list));
    EXPECT_TRUE(list) << list.error_message();
    for (auto& mf : *list) {
      auto man = ice::read_manifest(files.at(mf.manifest_path), &mf);
      EXPECT_TRUE(man) << man.error_message();
      out.push_back({mf, man->entries});
    }
    return out;
  }
  // Live data file paths of the current snapshot.
  std::set<std::string> live(const ice::table_metadata& m) {
    std::set<std::string> out;
    for (const auto& em : existing(m))
      for (const auto& e : *em.entries) {
        if (e.status != ice::entry_status::deleted) {
          EXPECT_TRUE(out.insert(e.file.file_path).second) << "listed twice: " << e.file.file_path;
        }
      }
    return out;
  }
};

ice::commit_request request(ice::operation op, std::int64_t id, std::int64_t ts) {
  ice::commit_request r;
  r.op = op;
  r.snapshot_id = id;
  r.timestamp_ms = ts;
  r.manifest_prefix = "s3://lake/events/metadata/c" + std::to_string(id);
  r.manifest_list_path = "s3://lake/events/metadata/snap-" + std::to_string(id) + ".avro";
  r.previous_metadata_location =
    "s3://lake/events/metadata/v" + std::to_string(id - 1) + ".metadata.json";
  return r;
}

} // namespace

// Appendix B: every test value of the hash table, and bucket 34 of 128 = 83.
TEST(IcebergTransform, MurmurAndBucketVectorsOfTheSpec) {
  EXPECT_EQ(ice::bucket_hash(type::int32, std::int32_t{34}), 2017239379);
  EXPECT_EQ(ice::bucket_hash(type::int64, std::int64_t{34}), 2017239379);
  EXPECT_EQ(ice::bucket_hash(type::date, std::int32_t{17486}), -653330422); // 2017-11-16
  EXPECT_EQ(ice::bucket_hash(type::timestamptz, std::int64_t{1510871468000000}), -2047944441);
  EXPECT_EQ(ice::bucket_hash(type::timestamptz, std::int64_t{1510871468000001}), -1207196810);
  EXPECT_EQ(ice::bucket_hash(type::string, std::string_view{"iceberg"}), 1210000089);
  EXPECT_EQ(ice::murmur3_32(bytes({0, 1, 2, 3})), -188683207);
  EXPECT_EQ(ice::murmur3_32(""), 0);
  EXPECT_EQ(ice::parse_date("2017-11-16").value(), 17486);

  auto b128 = tr("bucket[128]");
  EXPECT_EQ(b128.k, ice::transform::kind::bucket);
  EXPECT_EQ(b128.param, 128);
  EXPECT_EQ(std::get<std::int32_t>(b128.apply(type::int64, std::int64_t{34})), 83);
  // Not user_id % 128, which would be 34.
  EXPECT_EQ(std::get<std::int32_t>(b128.apply(type::int32, std::int32_t{34})), 83);
  // The sign bit is dropped before the modulo: always in [0, N).
  auto b16 = tr("bucket[16]");
  for (std::int64_t v = -1000; v < 1000; v += 7) {
    auto r = std::get<std::int32_t>(b16.apply(type::int64, v));
    EXPECT_GE(r, 0);
    EXPECT_LT(r, 16);
  }
  EXPECT_EQ(std::get<std::int32_t>(b16.apply(type::timestamptz, std::int64_t{1510871468000000})),
            (-2047944441 & 0x7fffffff) % 16);
  EXPECT_EQ(b16.apply(type::int64, std::monostate{}).index(), 0u);
}

// The spec's truncate table, and times before 1970 flooring.
TEST(IcebergTransform, TruncateAndTimeTransforms) {
  auto t10 = tr("truncate[10]");
  EXPECT_EQ(std::get<std::int32_t>(t10.apply(type::int32, std::int32_t{1})), 0);
  EXPECT_EQ(std::get<std::int32_t>(t10.apply(type::int32, std::int32_t{-1})), -10);
  EXPECT_EQ(std::get<std::int64_t>(t10.apply(type::int64, std::int64_t{-1})), -10);
  EXPECT_EQ(std::get<std::int64_t>(t10.apply(type::int64, std::int64_t{19})), 10);
  EXPECT_EQ(std::get<std::string>(
              tr("truncate[3]").apply(type::string, std::string_view{"iceberg"})),
            "ice");
  // Code points, not bytes.
  EXPECT_EQ(std::get<std::string>(
              tr("truncate[2]").apply(type::string, std::string_view{"日本語"})),
            "日本");

  const std::int64_t at = 1510871468000000; // 2017-11-16T22:31:08Z
  EXPECT_EQ(std::get<std::int32_t>(tr("year").apply(type::timestamptz, at)), 47);
  EXPECT_EQ(std::get<std::int32_t>(tr("month").apply(type::timestamptz, at)), 47 * 12 + 10);
  EXPECT_EQ(std::get<std::int32_t>(tr("day").apply(type::timestamptz, at)), 17486);
  EXPECT_EQ(std::get<std::int32_t>(tr("hour").apply(type::timestamptz, at)), 17486 * 24 + 22);
  EXPECT_EQ(std::get<std::int32_t>(tr("year").apply(type::date, std::int32_t{17486})), 47);
  EXPECT_EQ(std::get<std::int32_t>(tr("day").apply(type::date, std::int32_t{17486})), 17486);
  // One microsecond before the epoch is hour -1, day -1, month -1, year -1.
  for (const char* t : {"year", "month", "day", "hour"})
    EXPECT_EQ(std::get<std::int32_t>(tr(t).apply(type::timestamptz, std::int64_t{-1})), -1) << t;
  EXPECT_EQ(std::get<std::int32_t>(tr("hour").apply(type::timestamptz, -hour_us)), -1);
  EXPECT_EQ(std::get<std::int32_t>(tr("hour").apply(type::timestamptz, -hour_us - 1)), -2);

  // Human strings as path segments show them.
  EXPECT_EQ(tr("year").human(type::timestamptz, std::int32_t{47}), "2017");
  EXPECT_EQ(tr("month").human(type::timestamptz, std::int32_t{47 * 12 + 10}), "2017-11");
  EXPECT_EQ(tr("month").human(type::timestamptz, std::int32_t{-1}), "1969-12");
  EXPECT_EQ(tr("day").human(type::timestamptz, std::int32_t{17486}), "2017-11-16");
  EXPECT_EQ(tr("hour").human(type::timestamptz, std::int32_t{17486 * 24 + 22}), "2017-11-16-22");
  EXPECT_EQ(tr("hour").human(type::timestamptz, std::int32_t{-1}), "1969-12-31-23");
  EXPECT_EQ(tr("identity").human(type::timestamptz, at + 5), "2017-11-16T22:31:08.000005+00:00");
  EXPECT_EQ(tr("identity").human(type::string, std::string{"a b"}), "a b");
  EXPECT_EQ(tr("bucket[4]").human(type::int64, std::int32_t{3}), "3");
  EXPECT_EQ(tr("day").human(type::date, std::monostate{}), "null");
}

TEST(IcebergTransform, ParsingAndTypes) {
  for (const char* t :
       {"identity", "year", "month", "day", "hour", "void", "bucket[16]", "truncate[4]"}) {
    EXPECT_NE(tr(t).k, ice::transform::kind::unknown) << t;
    EXPECT_EQ(tr(t).to_string(), t);
  }
  for (const char* t :
       {"bucket[]", "bucket[0]", "bucket[x]", "truncate[-1]", "zorder", "bucket[2"}) {
    EXPECT_EQ(tr(t).k, ice::transform::kind::unknown) << t;
    EXPECT_EQ(tr(t).to_string(), t);
  }
  EXPECT_EQ(tr("day").result_type(type::timestamptz).value(), type::date);
  EXPECT_EQ(tr("hour").result_type(type::timestamptz).value(), type::int32);
  EXPECT_EQ(tr("bucket[3]").result_type(type::string).value(), type::int32);
  EXPECT_EQ(tr("truncate[3]").result_type(type::int64).value(), type::int64);
  EXPECT_FALSE(tr("hour").result_type(type::date));
  EXPECT_FALSE(tr("bucket[3]").result_type(type::float64));
  EXPECT_FALSE(tr("truncate[3]").result_type(type::date));
  EXPECT_FALSE(tr("year").result_type(type::int64));
  EXPECT_FALSE(tr("zorder").result_type(type::int64));
}

// Appendix D, byte for byte.
TEST(IcebergValues, SingleValueSerialization) {
  EXPECT_EQ(ice::to_bytes(type::int32, std::int32_t{1}), bytes({1, 0, 0, 0}));
  EXPECT_EQ(ice::to_bytes(type::date, std::int32_t{-1}), bytes({0xff, 0xff, 0xff, 0xff}));
  EXPECT_EQ(ice::to_bytes(type::int64, std::int64_t{258}), bytes({2, 1, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(ice::to_bytes(type::timestamptz, std::int64_t{1}), bytes({1, 0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(ice::to_bytes(type::float64, 1.0), bytes({0, 0, 0, 0, 0, 0, 0xf0, 0x3f}));
  EXPECT_EQ(ice::to_bytes(type::string, std::string_view{"é"}), "é");
  EXPECT_EQ(ice::to_bytes(type::boolean, true), bytes({1}));
  EXPECT_EQ(ice::to_bytes(type::boolean, false), bytes({0}));
  EXPECT_EQ(ice::to_bytes(type::int64, std::monostate{}), "");
  EXPECT_EQ(std::get<std::int64_t>(
              ice::from_bytes(type::int64, bytes({2, 1, 0, 0, 0, 0, 0, 0})).value()),
            258);
  EXPECT_EQ(std::get<std::int32_t>(
              ice::from_bytes(type::date, bytes({0xff, 0xff, 0xff, 0xff})).value()),
            -1);
  EXPECT_FALSE(ice::from_bytes(type::int64, bytes({1, 0, 0, 0})));
  EXPECT_FALSE(ice::from_bytes(type::boolean, ""));

  EXPECT_EQ(ice::date_text(0), "1970-01-01");
  EXPECT_EQ(ice::date_text(-1), "1969-12-31");
  EXPECT_EQ(ice::date_text(20454), "2026-01-01");
  EXPECT_EQ(ice::date_text(11016), "2000-02-29");
  EXPECT_FALSE(ice::parse_date("2026-02-30"));
  EXPECT_FALSE(ice::parse_date("2026-1"));
  for (std::int32_t d = -800000; d < 800000; d += 997)
    EXPECT_EQ(ice::parse_date(ice::date_text(d)).value(), d);
  EXPECT_EQ(ice::timestamptz_text(-1), "1969-12-31T23:59:59.999999+00:00");
}

TEST(IcebergMetrics, CountsAndExactBounds) {
  ice::column_metrics ints(type::int64);
  for (std::int64_t v : {5, -3, 12})
    ints.add(v);
  ints.add(std::monostate{});
  EXPECT_EQ(ints.value_count(), 4);
  EXPECT_EQ(ints.null_count(), 1);
  EXPECT_EQ(*ints.lower_bound(), ice::to_bytes(type::int64, std::int64_t{-3}));
  EXPECT_EQ(*ints.upper_bound(), ice::to_bytes(type::int64, std::int64_t{12}));

  // NaN counted, never a bound; -0.0 orders before +0.0.
  ice::column_metrics dbl(type::float64);
  for (double v : {0.0, std::nan(""), -0.0, 2.5})
    dbl.add(v);
  EXPECT_EQ(dbl.nan_count(), 1);
  EXPECT_EQ(dbl.value_count(), 4);
  EXPECT_EQ(*dbl.lower_bound(), ice::to_bytes(type::float64, -0.0));
  EXPECT_EQ(*dbl.upper_bound(), ice::to_bytes(type::float64, 2.5));
  ice::column_metrics zeros(type::float64);
  zeros.add(0.0);
  zeros.add(-0.0);
  EXPECT_EQ(*zeros.lower_bound(), ice::to_bytes(type::float64, -0.0));
  EXPECT_EQ(*zeros.upper_bound(), ice::to_bytes(type::float64, 0.0));

  ice::column_metrics nulls(type::string);
  nulls.add(std::monostate{});
  EXPECT_FALSE(nulls.lower_bound());
  EXPECT_FALSE(nulls.upper_bound());
  EXPECT_EQ(nulls.null_count(), 1);
}

// A summary (counts, min, max) bounds like its values added one by one.
TEST(IcebergMetrics, SummariesBoundLikeTheirValues) {
  ice::column_metrics one(type::float64), many(type::float64);
  for (double v : {3.0, std::nan(""), -1.0, 7.5})
    one.add(v);
  one.add(std::monostate{});
  many.add(3, 1, 1, -1.0, 3.0);
  many.add(2, 0, 0, 7.5, std::nan("")); // a NaN bound bounds nothing
  EXPECT_EQ(many.value_count(), one.value_count());
  EXPECT_EQ(many.null_count(), one.null_count());
  EXPECT_EQ(many.nan_count(), one.nan_count());
  EXPECT_EQ(many.lower_bound(), one.lower_bound());
  EXPECT_EQ(many.upper_bound(), one.upper_bound());
  ice::column_metrics none(type::string);
  none.add(4, 4, 0, std::monostate{}, std::monostate{});
  EXPECT_EQ(none.value_count(), 4);
  EXPECT_FALSE(none.lower_bound());
}

// truncate(16): code points kept whole, the upper bound incremented.
TEST(IcebergMetrics, StringBoundsTruncateTo16CodePoints) {
  EXPECT_EQ(ice::utf8_prefix("short", 16), "short");
  EXPECT_EQ(*ice::truncate_upper("short", 16), "short");
  const std::string long_ascii = "abcdefghijklmnopqrstuvwxyz";
  EXPECT_EQ(ice::utf8_prefix(long_ascii, 16), "abcdefghijklmnop");
  EXPECT_EQ(*ice::truncate_upper(long_ascii, 16), "abcdefghijklmnoq");
  // 17 three-byte characters: 16 kept (48 bytes), the last one + 1.
  std::string kana;
  for (int i = 0; i < 17; ++i)
    kana += "あ"; // U+3042
  EXPECT_EQ(ice::utf8_prefix(kana, 16).size(), 48u);
  auto upper = *ice::truncate_upper(kana, 16);
  EXPECT_EQ(upper, kana.substr(0, 45) + "ぃ"); // U+3043
  // U+10FFFF cannot grow: the character before it does, the rest goes.
  const std::string top = "\xF4\x8F\xBF\xBF";
  EXPECT_EQ(*ice::truncate_upper("ab" + top + top, 3), "ac");
  EXPECT_FALSE(ice::truncate_upper(top + top + top, 2));
  // A surrogate is skipped: U+D7FF steps to U+E000.
  EXPECT_EQ(*ice::truncate_upper("\xED\x9F\xBFzz", 1), "\xEE\x80\x80");

  ice::column_metrics s(type::string);
  s.add(std::string_view{"zzzzzzzzzzzzzzzzzzzz"});
  s.add(std::string_view{"aaaaaaaaaaaaaaaaaaaaaaaa"});
  s.add(std::string_view{"m"});
  EXPECT_EQ(*s.lower_bound(), std::string(16, 'a'));
  EXPECT_EQ(*s.upper_bound(), std::string(15, 'z') + "{");
}

TEST(IcebergMetrics, AFileOfRows) {
  ice::file_metrics m(events_schema());
  m.add({std::int64_t{1}, std::int64_t{7}, std::string_view{"b"}, std::int64_t{10}, std::nan("")});
  m.add({std::int64_t{2}, std::int64_t{3}, std::monostate{}, std::int64_t{5}, 1.5});
  EXPECT_EQ(m.rows(), 2);
  ice::data_file f;
  m.fill(f);
  EXPECT_EQ(f.value_counts,
            (std::map<std::int32_t, std::int64_t>{{1, 2}, {2, 2}, {3, 2}, {4, 2}, {5, 2}}));
  EXPECT_EQ(f.null_value_counts.at(3), 1);
  EXPECT_EQ(f.nan_value_counts, (std::map<std::int32_t, std::int64_t>{{5, 1}}));
  EXPECT_EQ(f.lower_bounds.at(2), ice::to_bytes(type::int64, std::int64_t{3}));
  EXPECT_EQ(f.upper_bounds.at(4), ice::to_bytes(type::timestamptz, std::int64_t{10}));
  EXPECT_EQ(f.lower_bounds.at(3), "b");
  EXPECT_EQ(f.upper_bounds.at(5), ice::to_bytes(type::float64, 1.5));
}

TEST(IcebergMetadata, PartitionTuplesAndPaths) {
  auto s = events_schema();
  ice::partition_spec spec = {0,
                              {{4, 1000, "event_date", tr("day")},
                               {4, 1001, "event_hour", tr("hour")},
                               {3, 1002, "act ion", tr("identity")}}};
  const std::int64_t at = 20454 * day_us + 10 * hour_us + 5; // 2026-01-01T10:00:00.000005Z
  std::vector<value_view> row = {std::int64_t{1}, std::int64_t{34}, std::string_view{"a/b=c"}, at,
                                 1.0};
  auto tuple = ice::partition_of(spec, s, row);
  ASSERT_EQ(tuple.size(), 3u);
  EXPECT_EQ(std::get<std::int32_t>(tuple[0]), 20454);
  EXPECT_EQ(std::get<std::int32_t>(tuple[1]), 20454 * 24 + 10);
  EXPECT_EQ(std::get<std::string>(tuple[2]), "a/b=c");
  EXPECT_EQ(ice::partition_path(spec, s, tuple),
            "event_date=2026-01-01/event_hour=2026-01-01-10/act+ion=a%2Fb%3Dc");
  tuple[2] = std::monostate{};
  EXPECT_EQ(ice::partition_path(spec, s, tuple),
            "event_date=2026-01-01/event_hour=2026-01-01-10/act+ion=null");
  auto cols = ice::partition_type(spec, s);
  ASSERT_TRUE(cols);
  EXPECT_EQ((*cols)[0].t, type::date);
  EXPECT_EQ((*cols)[1].t, type::int32);
  EXPECT_EQ((*cols)[2].t, type::string);
  spec.fields.push_back({99, 1003, "ghost", tr("identity")});
  EXPECT_FALSE(ice::partition_type(spec, s));
}

// Metadata as pyiceberg 0.12 wrote it (tests/pyref, two appends), and with
// what Java adds: -1 for no snapshot, unknown keys, types weir lacks.
TEST(IcebergMetadata, ReadsWhatOthersWriteAndKeepsWhatItDoesNotKnow) {
  const char* pyiceberg =
    R"({"location":"file:///tmp/wh/db/t","table-uuid":"7d3215cd-eacd-44ca-81f3-096fc5540d70",
    "last-updated-ms":1796633821272,"last-column-id":3,
    "schemas":[{"type":"struct","fields":[{"id":1,"name":"id","type":"long","required":true},
      {"id":2,"name":"name","type":"string","required":false},
      {"id":3,"name":"ts","type":"timestamptz","required":false}],"schema-id":0,"identifier-field-ids":[]}],
    "current-schema-id":0,
    "partition-specs":[{"spec-id":0,"fields":[{"source-id":2,"field-id":1000,"transform":"identity","name":"name"}]}],
    "default-spec-id":0,"last-partition-id":1000,"properties":{},"current-snapshot-id":1500226533681113654,
    "snapshots":[{"snapshot-id":3099497225136902505,"sequence-number":1,"timestamp-ms":1796633821231,
      "manifest-list":"file:///tmp/wh/db/t/metadata/snap-3099497225136902505-0-6a9f.avro",
      "summary":{"operation":"append","added-data-files":"3","total-records":"3"},"schema-id":0},
     {"snapshot-id":1500226533681113654,"parent-snapshot-id":3099497225136902505,"sequence-number":2,
      "timestamp-ms":1796633821272,"manifest-list":"file:///tmp/wh/db/t/metadata/snap-1500226533681113654-0-1c53.avro",
      "summary":{"operation":"append","added-data-files":"3","total-records":"6"},"schema-id":0}],
    "snapshot-log":[{"snapshot-id":3099497225136902505,"timestamp-ms":1796633821231},
                    {"snapshot-id":1500226533681113654,"timestamp-ms":1796633821272}],
    "metadata-log":[{"metadata-file":"file:///tmp/wh/db/t/metadata/00000-d5c6.metadata.json","timestamp-ms":1796633820919}],
    "sort-orders":[{"order-id":0,"fields":[]}],"default-sort-order-id":0,
    "refs":{"main":{"snapshot-id":1500226533681113654,"type":"branch"}},
    "statistics":[],"partition-statistics":[],"format-version":2,"last-sequence-number":2})";
  auto m = ice::parse_metadata(pyiceberg);
  ASSERT_TRUE(m) << m.error_message();
  EXPECT_EQ(m->snapshots.size(), 2u);
  EXPECT_EQ(m->current_snapshot()->sequence_number, 2);
  EXPECT_EQ(*m->current_snapshot()->summary_value("total-records"), "6");
  EXPECT_EQ(m->current_schema()->find("ts")->t, type::timestamptz);
  EXPECT_EQ(m->default_spec()->fields[0].transform.k, ice::transform::kind::identity);
  auto chain = ice::ancestors(*m);
  ASSERT_EQ(chain.size(), 2u);
  EXPECT_EQ(chain[1]->snapshot_id, 3099497225136902505);
  EXPECT_EQ(ice::summary_values(*m, "total-records"), (std::vector<std::string>{"6", "3"}));
  EXPECT_EQ(ice::summary_values(*m, "total-records", {{"added-data-files", "3"}}).size(), 2u);
  EXPECT_TRUE(ice::summary_values(*m, "total-records", {{"added-data-files", "4"}}).empty());

  // Written and read again: the same model, unknown keys kept.
  auto again = ice::parse_metadata(ice::to_json(*m));
  ASSERT_TRUE(again) << again.error_message();
  EXPECT_EQ(ice::to_json(*again), ice::to_json(*m));
  EXPECT_NE(ice::to_json(*m).find("\"partition-statistics\""), std::string::npos);

  const char* java =
    R"json({"format-version":2,"table-uuid":"u","location":"s3://b/t","last-sequence-number":0,
    "last-updated-ms":1,"last-column-id":4,"current-schema-id":0,
    "schemas":[{"type":"struct","schema-id":0,"fields":[
      {"id":1,"name":"price","required":false,"type":"decimal(9,2)"},
      {"id":2,"name":"point","required":false,"type":{"type":"struct","fields":[{"id":3,"name":"x","required":true,"type":"double"}]}},
      {"id":4,"name":"d","required":true,"type":"date","doc":"a day"}]}],
    "default-spec-id":0,"partition-specs":[{"spec-id":0,"fields":[]}],"last-partition-id":999,
    "default-sort-order-id":0,"sort-orders":[{"order-id":0,"fields":[]}],
    "properties":{"owner":"spark","write.format.default":"parquet"},
    "current-snapshot-id":-1,"refs":{},"snapshots":[],"statistics":[],"snapshot-log":[],"metadata-log":[],
    "next-thing":{"a":[1,2]}})json";
  auto j = ice::parse_metadata(java);
  ASSERT_TRUE(j) << j.error_message();
  EXPECT_FALSE(j->current_snapshot_id);
  const auto& f = j->current_schema()->fields;
  EXPECT_EQ(f[0].t, type::other);
  EXPECT_EQ(f[0].other_type, "\"decimal(9,2)\"");
  EXPECT_EQ(f[1].t, type::other);
  EXPECT_EQ(f[2].t, type::date);
  EXPECT_EQ(f[2].doc, "a day");
  auto text = ice::to_json(*j);
  EXPECT_NE(text.find("\"next-thing\""), std::string::npos);
  EXPECT_NE(text.find("\"decimal(9,2)\""), std::string::npos);
  auto j2 = ice::parse_metadata(text);
  ASSERT_TRUE(j2) << j2.error_message();
  EXPECT_EQ(j2->current_schema()->fields[1].other_type, f[1].other_type);

  EXPECT_FALSE(ice::parse_metadata(R"({"format-version":1})"));
  EXPECT_FALSE(ice::parse_metadata(R"({"format-version":3})"));
  EXPECT_FALSE(ice::parse_metadata("{"));
  std::string missing = pyiceberg;
  missing.replace(missing.find("\"current-schema-id\":0"), 21, "\"current-schema-id\":7");
  EXPECT_FALSE(ice::parse_metadata(missing));
}

TEST(IcebergManifest, WritesAndReadsEntriesWithInheritance) {
  auto s = events_schema();
  auto spec = events_spec();
  ice::manifest_context ctx{s, spec};
  std::vector<ice::manifest_entry> entries;
  entries.push_back(
    {ice::entry_status::added, 7, std::nullopt, std::nullopt, file("a.parquet", 20454, 3, 10)});
  auto b = file("b.parquet", 20455, 0, 5);
  b.partition[1] = std::monostate{};
  b.sort_order_id = 1;
  b.nan_value_counts = {{5, 2}};
  entries.push_back({ice::entry_status::existing, 5, 2, 2, b});
  entries.push_back({ice::entry_status::deleted, 7, 1, 1, file("c.parquet", 20453, 7, 3)});
  auto bytes = ice::write_manifest(ctx, entries);
  ASSERT_TRUE(bytes) << bytes.error_message();

  auto mf = ice::describe_manifest(ctx, entries, "s3://m.avro",
                                   static_cast<std::int64_t>(bytes->size()), 7, 3);
  ASSERT_TRUE(mf) << mf.error_message();
  EXPECT_EQ(mf->added_files_count, 1);
  EXPECT_EQ(mf->existing_files_count, 1);
  EXPECT_EQ(mf->deleted_files_count, 1);
  EXPECT_EQ(mf->added_rows_count, 10);
  EXPECT_EQ(mf->existing_rows_count, 5);
  EXPECT_EQ(mf->deleted_rows_count, 3);
  EXPECT_EQ(mf->min_sequence_number, 2); // the EXISTING entry's
  ASSERT_EQ(mf->partitions.size(), 2u);
  EXPECT_FALSE(mf->partitions[0].contains_null);
  EXPECT_EQ(*mf->partitions[0].lower_bound, ice::to_bytes(type::date, std::int32_t{20453}));
  EXPECT_EQ(*mf->partitions[0].upper_bound, ice::to_bytes(type::date, std::int32_t{20455}));
  EXPECT_TRUE(mf->partitions[1].contains_null);
  EXPECT_EQ(*mf->partitions[1].lower_bound, ice::to_bytes(type::int32, std::int32_t{3}));
  EXPECT_EQ(*mf->partitions[1].upper_bound, ice::to_bytes(type::int32, std::int32_t{7}));

  auto list = ice::write_manifest_list({*mf}, 7, 5, 3);
  ASSERT_TRUE(list);
  auto read_list = ice::read_manifest_list(*list);
  ASSERT_TRUE(read_list) << read_list.error_message();
  ASSERT_EQ(read_list->size(), 1u);
  const auto& l = (*read_list)[0];
  EXPECT_EQ(l.manifest_path, "s3://m.avro");
  EXPECT_EQ(l.sequence_number, 3);
  EXPECT_EQ(l.added_snapshot_id, 7);
  EXPECT_EQ(l.partitions[1].upper_bound, mf->partitions[1].upper_bound);
  EXPECT_EQ(l.partitions[0].contains_nan, false);

  auto raw = ice::read_manifest(*bytes);
  ASSERT_TRUE(raw) << raw.error_message();
  EXPECT_EQ(raw->entries[0].sequence_number, std::nullopt);
  EXPECT_EQ(raw->partition_spec_id, 0);
  EXPECT_EQ(raw->content, "data");
  auto spec_back = ice::parse_partition_fields(raw->partition_spec_json, 0);
  ASSERT_TRUE(spec_back);
  EXPECT_EQ(spec_back->fields[1].transform.to_string(), "bucket[8]");
  auto schema_back = ice::parse_schema(raw->schema_json);
  ASSERT_TRUE(schema_back);
  EXPECT_EQ(schema_back->fields.size(), 5u);

  auto got = ice::read_manifest(*bytes, &l);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->entries.size(), 3u);
  const auto& a = got->entries[0];
  EXPECT_EQ(a.status, ice::entry_status::added);
  EXPECT_EQ(a.sequence_number, 3); // inherited
  EXPECT_EQ(a.file_sequence_number, 3);
  EXPECT_EQ(a.file.file_path, "s3://lake/events/data/a.parquet");
  EXPECT_EQ(a.file.partition, (std::vector<datum>{std::int32_t{20454}, std::int32_t{3}}));
  EXPECT_EQ(a.file.lower_bounds, entries[0].file.lower_bounds);
  EXPECT_EQ(a.file.split_offsets, std::vector<std::int64_t>{4});
  EXPECT_EQ(got->entries[1].sequence_number, 2); // explicit, kept
  EXPECT_EQ(got->entries[1].file.partition[1].index(), 0u);
  EXPECT_EQ(got->entries[1].file.sort_order_id, 1);
  EXPECT_EQ(got->entries[1].file.nan_value_counts, (std::map<std::int32_t, std::int64_t>{{5, 2}}));
  EXPECT_EQ(got->entries[2].status, ice::entry_status::deleted);

  // A damaged manifest is refused or read, never a crash.
  std::mt19937 rng(11);
  for (int trial = 0; trial < 1000; ++trial) {
    std::string damaged = *bytes;
    damaged[rng() % damaged.size()] = static_cast<char>(rng());
    (void)ice::read_manifest(damaged, &l);
    (void)ice::read_manifest_list(damaged);
  }

  auto bad = entries;
  bad[0].file.partition.pop_back();
  EXPECT_FALSE(ice::write_manifest(ctx, bad));
  bad = entries;
  bad[0].file.partition[0] = std::int64_t{1}; // a date is an int
  EXPECT_FALSE(ice::write_manifest(ctx, bad));
}

TEST(IcebergCommit, NewTableRefusesWhatDoesNotFit) {
  ice::new_table_options o;
  o.schema = events_schema();
  o.spec = events_spec();
  o.location = "s3://lake/events";
  o.table_uuid = "u";
  EXPECT_TRUE(ice::new_table(o));
  auto bad = o;
  bad.location += "/";
  EXPECT_FALSE(ice::new_table(bad));
  bad = o;
  bad.schema.fields[1].id = 1;
  EXPECT_FALSE(ice::new_table(bad));
  bad = o;
  bad.spec.fields[1].field_id = 1000;
  EXPECT_FALSE(ice::new_table(bad));
  bad = o;
  bad.spec.fields[0].transform = tr("hour");
  bad.spec.fields[0].source_id = 2; // hour of a long
  EXPECT_FALSE(ice::new_table(bad));
  bad = o;
  bad.order = {0, {{tr("identity"), 2, false, true}}};
  EXPECT_FALSE(ice::new_table(bad));
  bad = o;
  bad.spec.fields[0].name = "at"; // day(at) named like the column
  EXPECT_FALSE(ice::new_table(bad));
  auto identity = o;
  identity.spec.fields[1] = {2, 1001, "user_id", tr("identity")};
  EXPECT_TRUE(ice::new_table(identity));
  auto m = ice::new_table(o);
  EXPECT_EQ(m->last_column_id, 5);
  EXPECT_EQ(m->last_partition_id, 1001);
  EXPECT_FALSE(m->current_snapshot_id);
  EXPECT_TRUE(ice::parse_metadata(ice::to_json(*m)));
}

// Two appends, a compaction (replace), a delete: sequence numbers, parents,
// summaries, manifests rewritten, the logs and main.
TEST(IcebergCommit, AppendsReplaceAndDelete) {
  store st;
  auto m0 = events_table();

  auto r1 = request(ice::operation::append, 1, 1'700'000'001'000);
  r1.previous_metadata_location = "s3://lake/events/metadata/v0.metadata.json";
  r1.added = {file("1a.parquet", 20454, 1, 100), file("1b.parquet", 20454, 2, 50)};
  r1.summary = {{"weir.commit-user", "job-1"}, {"weir.round", "7"}};
  auto p1 = ice::plan_commit(m0, {}, r1);
  ASSERT_TRUE(p1) << p1.error_message();
  st.write(*p1);
  const auto& m1 = p1->metadata;
  EXPECT_EQ(m1.last_sequence_number, 1);
  EXPECT_EQ(m1.current_snapshot_id, 1);
  EXPECT_EQ(m1.refs.at("main").snapshot_id, 1);
  EXPECT_FALSE(m1.current_snapshot()->parent_snapshot_id);
  const auto& sum1 = m1.current_snapshot()->summary;
  EXPECT_EQ(sum1.at("operation"), "append");
  EXPECT_EQ(sum1.at("added-data-files"), "2");
  EXPECT_EQ(sum1.at("added-records"), "150");
  EXPECT_EQ(sum1.at("added-files-size"), "1500");
  EXPECT_EQ(sum1.at("total-records"), "150");
  EXPECT_EQ(sum1.at("total-data-files"), "2");
  EXPECT_EQ(sum1.at("total-files-size"), "1500");
  EXPECT_EQ(sum1.at("changed-partition-count"), "2");
  EXPECT_EQ(sum1.at("weir.round"), "7");
  ASSERT_EQ(m1.metadata_log.size(), 1u);
  EXPECT_EQ(m1.metadata_log[0].metadata_file, "s3://lake/events/metadata/v0.metadata.json");
  EXPECT_EQ(m1.metadata_log[0].timestamp_ms, m0.last_updated_ms);
  EXPECT_EQ(m1.snapshot_log.size(), 1u);
  ASSERT_EQ(p1->manifests.size(), 1u);
  EXPECT_EQ(p1->manifests[0].path, "s3://lake/events/metadata/c1-m0.avro");
  EXPECT_EQ(p1->manifest_files[0].sequence_number, 1);
  EXPECT_EQ(st.live(m1), (std::set<std::string>{"s3://lake/events/data/1a.parquet",
                                                "s3://lake/events/data/1b.parquet"}));
  // The planned JSON is the model's.
  EXPECT_EQ(ice::to_json(ice::parse_metadata(p1->metadata_json).value()), p1->metadata_json);

  auto r2 = request(ice::operation::append, 2, 1'700'000'002'000);
  r2.added = {file("2a.parquet", 20454, 1, 30)};
  r2.summary = {{"weir.commit-user", "job-1"}, {"weir.round", "8"}};
  auto p2 = ice::plan_commit(m1, st.existing(m1), r2);
  ASSERT_TRUE(p2) << p2.error_message();
  st.write(*p2);
  const auto& m2 = p2->metadata;
  EXPECT_EQ(m2.current_snapshot()->parent_snapshot_id, 1);
  EXPECT_EQ(m2.current_snapshot()->sequence_number, 2);
  EXPECT_EQ(m2.current_snapshot()->summary.at("total-records"), "180");
  EXPECT_EQ(p2->manifest_files.size(), 2u); // a fast append: the old manifest carried
  EXPECT_EQ(p2->manifest_files[1].manifest_path, "s3://lake/events/metadata/c1-m0.avro");
  EXPECT_EQ(st.live(m2).size(), 3u);
  EXPECT_EQ(ice::summary_values(m2, "weir.round", {{"weir.commit-user", "job-1"}}),
            (std::vector<std::string>{"8", "7"}));

  // An append may not add a file already live, or the same file twice.
  auto dup = request(ice::operation::append, 3, 1'700'000'003'000);
  dup.added = {file("2a.parquet", 20454, 1, 30)};
  EXPECT_FALSE(ice::plan_commit(m2, st.existing(m2), dup));

  // Compaction of partition (20454, 1): 1a + 2a into one file.
  auto r3 = request(ice::operation::replace, 3, 1'700'000'003'000);
  r3.removed = {"s3://lake/events/data/1a.parquet", "s3://lake/events/data/2a.parquet"};
  r3.added = {file("3a.parquet", 20454, 1, 130)};
  auto wrong = r3;
  wrong.added[0].record_count = 129;
  EXPECT_FALSE(ice::plan_commit(m2, st.existing(m2), wrong)); // rows must stay
  auto unknown = r3;
  unknown.removed.push_back("s3://lake/events/data/nope.parquet");
  unknown.added[0].record_count += 0;
  EXPECT_FALSE(ice::plan_commit(m2, st.existing(m2), unknown));
  auto p3 = ice::plan_commit(m2, st.existing(m2), r3);
  ASSERT_TRUE(p3) << p3.error_message();
  st.write(*p3);
  const auto& m3 = p3->metadata;
  const auto& sum3 = m3.current_snapshot()->summary;
  EXPECT_EQ(sum3.at("operation"), "replace");
  EXPECT_EQ(sum3.at("deleted-data-files"), "2");
  EXPECT_EQ(sum3.at("deleted-records"), "130");
  EXPECT_EQ(sum3.at("total-records"), "180");
  EXPECT_EQ(sum3.at("total-data-files"), "2");
  EXPECT_EQ(sum3.at("changed-partition-count"), "1");
  EXPECT_EQ(st.live(m3), (std::set<std::string>{"s3://lake/events/data/1b.parquet",
                                                "s3://lake/events/data/3a.parquet"}));
  EXPECT_EQ(p3->replaced_manifests.size(), 2u); // both held a removed file
  ASSERT_EQ(p3->manifest_files.size(), 1u);
  const auto& mf3 = p3->manifest_files[0];
  EXPECT_EQ(mf3.added_files_count, 1);
  EXPECT_EQ(mf3.existing_files_count, 1);
  EXPECT_EQ(mf3.deleted_files_count, 2);
  EXPECT_EQ(mf3.min_sequence_number, 1); // 1b keeps its data sequence number
  auto ex3 = st.existing(m3);
  for (const auto& e : *ex3[0].entries) {
    if (e.file.file_path.ends_with("1b.parquet")) {
      EXPECT_EQ(e.status, ice::entry_status::existing);
      EXPECT_EQ(e.sequence_number, 1);
      EXPECT_EQ(e.snapshot_id, 1);
    } else if (e.file.file_path.ends_with("2a.parquet")) {
      EXPECT_EQ(e.status, ice::entry_status::deleted);
      EXPECT_EQ(e.snapshot_id, 3);
      EXPECT_EQ(e.sequence_number, 2);
    }
  }

  auto r4 = request(ice::operation::delete_, 4, 1'700'000'004'000);
  r4.removed = {"s3://lake/events/data/1b.parquet"};
  auto p4 = ice::plan_commit(m3, st.existing(m3), r4);
  ASSERT_TRUE(p4) << p4.error_message();
  st.write(*p4);
  EXPECT_EQ(p4->metadata.current_snapshot()->summary.at("total-records"), "130");
  EXPECT_EQ(p4->metadata.current_snapshot()->summary.at("operation"), "delete");
  EXPECT_EQ(st.live(p4->metadata), (std::set<std::string>{"s3://lake/events/data/3a.parquet"}));
  EXPECT_EQ(p4->metadata.metadata_log.size(), 4u);
  EXPECT_EQ(ice::ancestors(p4->metadata).size(), 4u);

  auto late = request(ice::operation::append, 5, 1'700'000'004'000 - 61'000);
  late.added = {file("5.parquet", 1, 1, 1)};
  EXPECT_FALSE(ice::plan_commit(p4->metadata, st.existing(p4->metadata), late));
  auto own_key = request(ice::operation::append, 5, 1'700'000'005'000);
  own_key.summary = {{"total-records", "1"}};
  EXPECT_FALSE(ice::plan_commit(p4->metadata, st.existing(p4->metadata), own_key));
}

TEST(IcebergCommit, ManifestsMergeWhenTheyPileUp) {
  store st;
  auto m = events_table();
  for (std::int64_t id = 1; id <= 6; ++id) {
    auto r = request(ice::operation::append, id, 1'700'000'000'000 + id * 1000);
    r.added = {file(std::to_string(id) + ".parquet", 20454, static_cast<std::int32_t>(id % 8), id)};
    r.merge_manifests_after = 3;
    auto p = ice::plan_commit(m, st.existing(m), r);
    ASSERT_TRUE(p) << p.error_message();
    st.write(*p);
    m = p->metadata;
    EXPECT_LE(p->manifest_files.size(), 3u) << "after commit " << id;
  }
  EXPECT_EQ(st.live(m).size(), 6u);
  EXPECT_EQ(m.current_snapshot()->summary.at("total-records"), "21");
  std::int64_t live_rows = 0;
  for (const auto& mf : st.existing(m))
    live_rows += mf.file.added_rows_count + mf.file.existing_rows_count;
  EXPECT_EQ(live_rows, 21);
}

// Expiry keeps the current snapshot and the newest N, drops the rest with
// what only they reached: compacted-away files, their manifests, their lists.
TEST(IcebergCommit, ExpiryFindsUnreachableFiles) {
  store st;
  auto m = events_table();
  m.last_updated_ms = 0; // times in this test are small
  auto commit = [&](ice::commit_request r) {
    auto p = ice::plan_commit(m, st.existing(m), r);
    ASSERT_TRUE(p) << p.error_message();
    st.write(*p);
    m = p->metadata;
  };
  auto r1 = request(ice::operation::append, 1, 1'000'000);
  r1.added = {file("a.parquet", 1, 1, 10)};
  commit(r1);
  auto r2 = request(ice::operation::append, 2, 2'000'000);
  r2.added = {file("b.parquet", 1, 1, 20)};
  commit(r2);
  auto r3 = request(ice::operation::replace, 3, 3'000'000);
  r3.removed = {"s3://lake/events/data/a.parquet", "s3://lake/events/data/b.parquet"};
  r3.added = {file("ab.parquet", 1, 1, 30)};
  commit(r3);
  auto r4 = request(ice::operation::append, 4, 4'000'000);
  r4.added = {file("c.parquet", 1, 2, 5)};
  commit(r4);

  ice::expire_request none;
  none.older_than_ms = 500'000;
  none.timestamp_ms = 5'000'000;
  auto p0 = ice::plan_expiry(m, none, st.reader());
  ASSERT_TRUE(p0) << p0.error_message();
  EXPECT_TRUE(p0->expired_snapshots.empty());

  ice::expire_request req;
  req.older_than_ms = 3'500'000; // snapshots 1, 2, 3 are older
  req.retain_last = 2;           // but 3 is among the newest two
  req.timestamp_ms = 5'000'000;
  req.previous_metadata_location = "s3://lake/events/metadata/v4.metadata.json";
  auto p = ice::plan_expiry(m, req, st.reader());
  ASSERT_TRUE(p) << p.error_message();
  EXPECT_EQ(p->expired_snapshots, (std::vector<std::int64_t>{1, 2}));
  EXPECT_EQ(p->data_files, (std::vector<std::string>{"s3://lake/events/data/a.parquet",
                                                     "s3://lake/events/data/b.parquet"}));
  EXPECT_EQ(p->manifests, (std::vector<std::string>{"s3://lake/events/metadata/c1-m0.avro",
                                                    "s3://lake/events/metadata/c2-m0.avro"}));
  EXPECT_EQ(p->manifest_lists, (std::vector<std::string>{"s3://lake/events/metadata/snap-1.avro",
                                                         "s3://lake/events/metadata/snap-2.avro"}));
  const auto& e = p->metadata;
  EXPECT_EQ(e.snapshots.size(), 2u);
  EXPECT_FALSE(e.find_snapshot(1));
  ASSERT_EQ(e.snapshot_log.size(), 2u);
  EXPECT_EQ(e.snapshot_log[0].snapshot_id, 3);
  EXPECT_EQ(e.metadata_log.back().metadata_file, "s3://lake/events/metadata/v4.metadata.json");
  EXPECT_EQ(e.last_updated_ms, 5'000'000);
  auto back = ice::parse_metadata(p->metadata_json);
  ASSERT_TRUE(back) << back.error_message();
  EXPECT_EQ(ice::ancestors(*back).size(), 2u); // the walk stops where parents expired

  // A tag keeps its snapshot (and what it reaches) whatever its age.
  m.refs["audit"] = {1, "tag", {}, {}, {}};
  auto tagged = ice::plan_expiry(m, req, st.reader());
  ASSERT_TRUE(tagged);
  EXPECT_EQ(tagged->expired_snapshots, std::vector<std::int64_t>{2});
  EXPECT_EQ(tagged->data_files, std::vector<std::string>{"s3://lake/events/data/b.parquet"});
  EXPECT_TRUE(tagged->metadata.refs.contains("audit"));

  auto broken = st;
  broken.files.erase("s3://lake/events/metadata/snap-2.avro");
  EXPECT_FALSE(ice::plan_expiry(m, req, broken.reader()));
}

// A manifest and its manifest list as pyiceberg 0.12 wrote them (a table
// partitioned by identity(name), three one-row files: "a", NULL, "c").
TEST(IcebergManifest, ReadsWhatPyicebergWrote) {
  auto slurp = [](const std::string& name) {
    std::ifstream in(std::string{WEIR_ICEBERG_TESTDATA} + "/" + name, std::ios::binary);
    return std::string{std::istreambuf_iterator<char>(in), {}};
  };
  auto list = ice::read_manifest_list(slurp("pyiceberg-manifest-list.avro"));
  ASSERT_TRUE(list) << list.error_message();
  ASSERT_EQ(list->size(), 1u);
  const auto& mf = (*list)[0];
  EXPECT_EQ(mf.added_snapshot_id, 3099497225136902505);
  EXPECT_EQ(mf.sequence_number, 1);
  EXPECT_EQ(mf.added_files_count, 3);
  EXPECT_EQ(mf.added_rows_count, 3);
  ASSERT_EQ(mf.partitions.size(), 1u);
  EXPECT_TRUE(mf.partitions[0].contains_null);
  EXPECT_EQ(mf.partitions[0].lower_bound, "a");
  EXPECT_EQ(mf.partitions[0].upper_bound, "c");

  auto m = ice::read_manifest(slurp("pyiceberg-manifest.avro"), &mf);
  ASSERT_TRUE(m) << m.error_message();
  EXPECT_EQ(m->partition_spec_id, 0);
  auto schema = ice::parse_schema(m->schema_json);
  ASSERT_TRUE(schema) << schema.error_message();
  EXPECT_EQ(schema->find("ts")->t, type::timestamptz);
  ASSERT_EQ(m->entries.size(), 3u);
  std::vector<datum> names;
  for (const auto& e : m->entries) {
    EXPECT_EQ(e.status, ice::entry_status::added);
    EXPECT_EQ(e.snapshot_id, 3099497225136902505);
    EXPECT_EQ(e.sequence_number, 1); // inherited: pyiceberg writes null
    EXPECT_EQ(e.file.record_count, 1);
    EXPECT_EQ(e.file.file_format, "PARQUET");
    EXPECT_EQ(e.file.value_counts.at(1), 1);
    ASSERT_EQ(e.file.partition.size(), 1u);
    names.push_back(e.file.partition[0]);
  }
  EXPECT_EQ(names, (std::vector<datum>{std::string{"a"}, std::monostate{}, std::string{"c"}}));
  EXPECT_EQ(m->entries[2].file.lower_bounds.at(1), ice::to_bytes(type::int64, std::int64_t{3}));
  EXPECT_EQ(m->entries[1].file.null_value_counts.at(2), 1);
}
