// weir::avro against the Avro 1.11 specification's own examples and
// hand-computed bytes; the container files are also read by fastavro
// (check_avro.py), a reader that shares no code with this one.
#include "lib/avro/binary.hpp"
#include "lib/avro/container.hpp"
#include "lib/avro/schema.hpp"
#include "tests/support/bytes.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

namespace avro = weir::avro;
using weir::test::bytes;
using weir::test::hex;

namespace {

std::string encoded_long(std::int64_t v) {
  std::string out;
  avro::encoder(out).int64(v);
  return out;
}

const avro::sync_marker pinned = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

} // namespace

// The specification's table of zig-zag varints.
TEST(Avro, LongsAsTheSpecEncodesThem) {
  EXPECT_BYTES(encoded_long(0), 0x00);
  EXPECT_BYTES(encoded_long(-1), 0x01);
  EXPECT_BYTES(encoded_long(1), 0x02);
  EXPECT_BYTES(encoded_long(-2), 0x03);
  EXPECT_BYTES(encoded_long(2), 0x04);
  EXPECT_BYTES(encoded_long(-64), 0x7f);
  EXPECT_BYTES(encoded_long(64), 0x80, 0x01);
  EXPECT_BYTES(encoded_long(std::numeric_limits<std::int64_t>::max()), 0xfe, 0xff, 0xff, 0xff, 0xff,
               0xff, 0xff, 0xff, 0xff, 0x01);
  EXPECT_BYTES(encoded_long(std::numeric_limits<std::int64_t>::min()), 0xff, 0xff, 0xff, 0xff, 0xff,
               0xff, 0xff, 0xff, 0xff, 0x01);
}

TEST(Avro, PrimitivesAndTheSpecExamples) {
  std::string out;
  avro::encoder e(out);
  e.string("foo"); // the spec: 06 66 6f 6f
  EXPECT_BYTES(out, 0x06, 0x66, 0x6f, 0x6f);

  out.clear(); // record {a: long 27, b: string "foo"}: 36 06 66 6f 6f
  e.int64(27);
  e.string("foo");
  EXPECT_BYTES(out, 0x36, 0x06, 0x66, 0x6f, 0x6f);

  out.clear(); // array of longs {3, 27}: 04 06 36 00
  e.block(2);
  e.int64(3);
  e.int64(27);
  e.end();
  EXPECT_BYTES(out, 0x04, 0x06, 0x36, 0x00);

  out.clear(); // union ["null","string"]: null is 00, "a" is 02 02 61
  e.branch(0);
  e.null();
  e.branch(1);
  e.string("a");
  EXPECT_BYTES(out, 0x00, 0x02, 0x02, 0x61);

  out.clear();
  e.boolean(true);
  e.boolean(false);
  e.float32(1.0f);
  e.float64(-2.0);
  e.fixed("ab");
  e.bytes("");
  e.block(0); // an empty array is its end marker alone
  e.end();
  EXPECT_BYTES(out, 0x01, 0x00, 0x00, 0x00, 0x80, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0, 'a', 'b', 0x00,
               0x00);

  out.clear(); // NaNs are canonical, whatever their payload
  e.float32(-std::numeric_limits<float>::quiet_NaN());
  e.float64(-std::numeric_limits<double>::quiet_NaN());
  EXPECT_BYTES(out, 0x00, 0x00, 0xc0, 0x7f, 0, 0, 0, 0, 0, 0, 0xf8, 0x7f);
}

TEST(Avro, DecoderReadsBackAndFailsOnShortInput) {
  std::string out;
  avro::encoder e(out);
  for (std::int64_t v : {0LL, -1LL, 1LL, -64LL, 64LL, 1LL << 40, -(1LL << 62)})
    e.int64(v);
  e.float64(3.25);
  e.string("héllo");
  avro::decoder d(out);
  for (std::int64_t v : {0LL, -1LL, 1LL, -64LL, 64LL, 1LL << 40, -(1LL << 62)})
    EXPECT_EQ(d.int64(), v);
  EXPECT_EQ(d.float64(), 3.25);
  EXPECT_EQ(d.bytes(), "héllo");
  EXPECT_TRUE(d.at_end());
  EXPECT_FALSE(d.failed());

  avro::decoder shortd(std::string_view{"\x0a"
                                        "ab",
                                        3}); // length 5, 2 bytes left
  EXPECT_EQ(shortd.bytes(), "");
  EXPECT_TRUE(shortd.failed());
  EXPECT_EQ(shortd.int64(), 0); // stays failed

  const std::string ff(11, '\xff');
  avro::decoder endless(ff);
  endless.int64();
  EXPECT_TRUE(endless.failed());

  std::string big;
  avro::encoder(big).int64(std::int64_t{1} << 31);
  avro::decoder narrow(big);
  narrow.int32();
  EXPECT_TRUE(narrow.failed());
}

TEST(Avro, SchemaParsesEveryKindAndKeepsFieldIds) {
  auto s = avro::schema::parse(R"({
    "type": "record", "name": "entry", "namespace": "weir.test",
    "fields": [
      {"name": "status", "type": "int", "field-id": 0},
      {"name": "id", "type": ["null", "long"], "default": null, "field-id": 1},
      {"name": "kind", "type": {"type": "enum", "name": "kind", "symbols": ["A", "B"]}},
      {"name": "tag", "type": {"type": "fixed", "name": "tag", "size": 4}},
      {"name": "again", "type": "weir.test.tag"},
      {"name": "short", "type": "kind"},
      {"name": "ids", "type": {"type": "array", "items": "long", "element-id": 7}},
      {"name": "m", "type": {"type": "map", "values": "double"}},
      {"name": "ts", "type": {"type": "long", "logicalType": "timestamp-micros"}},
      {"name": "nested", "type": {"type": "record", "name": "inner", "fields": []}}
    ]})");
  ASSERT_TRUE(s) << s.error_message();
  const auto& r = s->root();
  EXPECT_EQ(r.t, avro::type::record);
  EXPECT_EQ(r.name, "weir.test.entry");
  ASSERT_EQ(r.fields.size(), 10u);
  EXPECT_EQ(r.fields[0].field_id, 0);
  EXPECT_EQ(r.fields[1].field_id, 1);
  EXPECT_FALSE(r.fields[2].field_id.has_value());
  EXPECT_EQ(r.fields[1].schema->t, avro::type::union_of);
  EXPECT_EQ(r.fields[1].schema->branches[1]->t, avro::type::int64);
  EXPECT_EQ(r.fields[3].schema, r.fields[4].schema); // a reference is the same node
  EXPECT_EQ(r.fields[2].schema, r.fields[5].schema); // short names resolve in the namespace
  EXPECT_EQ(r.fields[6].schema->element_id, 7);
  EXPECT_EQ(r.fields[8].schema->logical_type, "timestamp-micros");
  EXPECT_EQ(r.fields[9].schema->name, "weir.test.inner");
  EXPECT_EQ(r.field_index(1), 1);
  EXPECT_EQ(r.field_index("m"), 7);
  EXPECT_EQ(r.field_index(99), -1);

  for (
    const char* bad :
    {R"("nope")", R"({"type": "record", "name": "r"})", R"([["null"], "int"])",
     R"({"type": "fixed", "name": "f"})", R"({"type": "array"})", "[]", "{",
     R"({"type": "record", "name": "r", "fields": [{"name": "a", "type": "r2"}]})",
     R"([{"type": "fixed", "name": "f", "size": 1}, {"type": "fixed", "name": "f", "size": 2}])"}) {
    auto b = avro::schema::parse(bad);
    EXPECT_FALSE(b) << bad;
  }
}

// A container file with a pinned sync marker, byte for byte.
TEST(Avro, ContainerHeaderAndBlocksByteForByte) {
  avro::writer_options o;
  o.codec = avro::codec::null;
  o.sync = pinned;
  auto w = avro::container_writer::make(R"("long")", {{"k", "v"}}, o);
  ASSERT_TRUE(w) << w.error_message();
  for (std::int64_t v : {1, -1}) {
    std::string d;
    avro::encoder(d).int64(v);
    ASSERT_TRUE(w->append(d));
  }
  auto file = w->finish();
  ASSERT_TRUE(file);
  std::string want = "Obj\x01";
  want += bytes({0x06}); // 3 metadata entries
  want += bytes({0x16}) + "avro.schema" + bytes({0x0c}) + "\"long\"";
  want += bytes({0x14}) + "avro.codec" + bytes({0x08}) + "null";
  want += bytes({0x02}) + "k" + bytes({0x02}) + "v";
  want += bytes({0x00}); // end of the map
  want += bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  want += bytes({0x04, 0x04, 0x02, 0x01}); // 2 records, 2 bytes: 1, -1
  want += bytes({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15});
  EXPECT_EQ(hex(*file), hex(want));
  EXPECT_FALSE(w->append("x"));
  EXPECT_FALSE(w->finish());
}

TEST(Avro, ContainerRoundTripsThroughTheReader) {
  const char* schema = R"({"type": "record", "name": "r", "fields": [
      {"name": "id", "type": "long", "field-id": 1},
      {"name": "name", "type": ["null", "string"], "field-id": 2},
      {"name": "tags", "type": {"type": "map", "values": "int"}},
      {"name": "xs", "type": {"type": "array", "items": "float"}},
      {"name": "flag", "type": "boolean"},
      {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y", "Z"]}}]})";
  for (auto c : {avro::codec::null, avro::codec::deflate}) {
    avro::writer_options o;
    o.codec = c;
    o.block_records = 7; // several blocks, a short last one
    auto w = avro::container_writer::make(schema, {{"iceberg.k", "value"}}, o);
    ASSERT_TRUE(w) << w.error_message();
    std::string d;
    for (int i = 0; i < 50; ++i) {
      d.clear();
      avro::encoder e(d);
      e.int64(i * 1000003LL);
      if (i % 3 == 0) {
        e.branch(0);
      } else {
        e.branch(1);
        e.string("name " + std::to_string(i));
      }
      e.block(i % 2);
      if (i % 2) {
        e.key("k");
        e.int32(-i);
      }
      e.end();
      e.block(2);
      e.float32(0.5f);
      e.float32(static_cast<float>(i));
      e.end();
      e.boolean(i % 5 == 0);
      e.int32(i % 3);
      ASSERT_TRUE(w->append(d));
    }
    EXPECT_EQ(w->records(), 50u);
    auto file = w->finish();
    ASSERT_TRUE(file);
    auto got = avro::read_container(*file);
    ASSERT_TRUE(got) << got.error_message();
    EXPECT_EQ(got->codec, c == avro::codec::null ? "null" : "deflate");
    ASSERT_NE(got->meta("iceberg.k"), nullptr);
    EXPECT_EQ(*got->meta("iceberg.k"), "value");
    ASSERT_EQ(got->records.size(), 50u);
    for (int i = 0; i < 50; ++i) {
      const auto& r = got->records[static_cast<std::size_t>(i)];
      EXPECT_EQ(r.field("id")->integer, i * 1000003LL);
      EXPECT_EQ(r.field(1)->integer, i * 1000003LL);
      const auto* name = r.field(2);
      EXPECT_EQ(name->is_null(), i % 3 == 0);
      EXPECT_EQ(name->branch, i % 3 == 0 ? 0 : 1);
      if (i % 3) {
        EXPECT_EQ(name->text, "name " + std::to_string(i));
      }
      const auto* tags = r.field("tags");
      ASSERT_EQ(tags->keys.size(), static_cast<std::size_t>(i % 2));
      if (i % 2) {
        EXPECT_EQ(tags->items[0].integer, -i);
      }
      ASSERT_EQ(r.field("xs")->items.size(), 2u);
      EXPECT_EQ(r.field("xs")->items[1].real, i);
      EXPECT_EQ(r.field("flag")->boolean, i % 5 == 0);
      EXPECT_EQ(r.field("e")->text, std::string(1, static_cast<char>('X' + i % 3)));
    }
  }
}

TEST(Avro, BlocksAreCutByBytesToo) {
  avro::writer_options o;
  o.codec = avro::codec::null;
  o.block_bytes = 100;
  o.sync = pinned;
  auto w = avro::container_writer::make(R"("string")", {}, o);
  ASSERT_TRUE(w);
  std::string d;
  avro::encoder(d).string(std::string(60, 'x'));
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(w->append(d));
  auto file = w->finish();
  ASSERT_TRUE(file);
  // Two records (122 bytes) fill a block: blocks of 2, 2, 1.
  std::string sync(reinterpret_cast<const char*>(pinned.data()), 16);
  std::size_t markers = 0;
  for (auto p = file->find(sync); p != std::string::npos; p = file->find(sync, p + 1))
    ++markers;
  EXPECT_EQ(markers, 4u); // header and three blocks
  auto got = avro::read_container(*file);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->records.size(), 5u);
}

TEST(Avro, ReaderRefusesMalformedFiles) {
  avro::writer_options o;
  o.codec = avro::codec::null;
  o.sync = pinned;
  auto w = avro::container_writer::make(R"("long")", {}, o);
  std::string d;
  avro::encoder(d).int64(5);
  ASSERT_TRUE(w->append(d));
  const std::string good = *w->finish();
  ASSERT_TRUE(avro::read_container(good));

  EXPECT_FALSE(avro::read_container("Obj\x02"));
  EXPECT_FALSE(avro::read_container(good.substr(0, 20)));              // cut in the header
  EXPECT_FALSE(avro::read_container(good.substr(0, good.size() - 1))); // cut sync marker
  std::string wrong_sync = good;
  wrong_sync.back() ^= 1;
  EXPECT_FALSE(avro::read_container(wrong_sync));
  // A block that claims two records holds only one.
  std::string miscounted = good;
  auto block = miscounted.size() - 16 - 3;
  ASSERT_EQ(miscounted[block], 0x02);
  miscounted[block] = 0x04;
  EXPECT_FALSE(avro::read_container(miscounted));
  // A block with a byte past its one record.
  std::string extra =
    good.substr(0, block) + bytes({0x02, 0x04, 0x0a, 0x00}) + good.substr(good.size() - 16);
  auto refused = avro::read_container(extra);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error_message().find("past its 1 records"), std::string::npos)
    << refused.error_message();

  EXPECT_FALSE(avro::container_writer::make("{", {}));
  EXPECT_FALSE(avro::container_writer::make(R"("int")", {{"avro.codec", "x"}}));
}

TEST(Avro, HostileCountsOfEmptyItemsAreBounded) {
  // An array of nulls claiming 2^40 items in 6 bytes.
  std::string d;
  avro::encoder e(d);
  e.block(std::size_t{1} << 40);
  e.end();
  auto s = avro::schema::parse(R"({"type": "array", "items": "null"})");
  ASSERT_TRUE(s);
  avro::decoder in(d);
  EXPECT_FALSE(avro::decode(s->root(), in));
}

// Flipped bytes and cut files are refused or read, never a crash or a hang.
TEST(Avro, SurvivesCorruptFiles) {
  const char* schema = R"({"type": "record", "name": "r", "fields": [
      {"name": "id", "type": ["null", "long"]},
      {"name": "tags", "type": {"type": "map", "values": {"type": "array", "items": "string"}}},
      {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["X", "Y"]}},
      {"name": "f", "type": {"type": "fixed", "name": "F", "size": 3}}]})";
  std::mt19937 rng(7);
  for (auto c : {avro::codec::null, avro::codec::deflate}) {
    avro::writer_options o;
    o.codec = c;
    o.block_records = 5;
    auto w = avro::container_writer::make(schema, {}, o);
    ASSERT_TRUE(w);
    std::string d;
    for (int i = 0; i < 20; ++i) {
      d.clear();
      avro::encoder e(d);
      e.branch(1);
      e.int64(i);
      e.block(1);
      e.key("k");
      e.block(2);
      e.string("a");
      e.string(std::string(static_cast<std::size_t>(i), 'b'));
      e.end();
      e.end();
      e.int32(i % 2);
      e.fixed("xyz");
      ASSERT_TRUE(w->append(d));
    }
    const std::string good = *w->finish();
    ASSERT_TRUE(avro::read_container(good));
    for (int trial = 0; trial < 3000; ++trial) {
      std::string bad = good;
      if (trial % 3 == 0) {
        bad.resize(rng() % bad.size());
      } else {
        for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips)
          bad[rng() % bad.size()] = static_cast<char>(rng());
      }
      (void)avro::read_container(bad); // refused or read: either is fine
    }
  }
}
