// The ClickHouse sink's encoding and URL, without a server (the server's
// side: tests/test_clickhouse.py here).
#include "sinks/clickhouse/clickhouse.hpp"

#include <gtest/gtest.h>

using namespace weir::sinks::clickhouse;

TEST(ClickHouseRowBinary, StringsCarryAnLeb128Length) {
  std::string out;
  put_string(out, "ab");
  EXPECT_EQ(out, std::string("\x02"
                             "ab",
                             3));
  out.clear();
  const std::string long_text(300, 'x'); // 300 = 0b10'0101100: two bytes
  put_string(out, long_text);
  ASSERT_EQ(out.size(), 302u);
  EXPECT_EQ(static_cast<unsigned char>(out[0]), 0xacu);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 0x02u);
}

TEST(ClickHouseRowBinary, NumbersAreLittleEndian) {
  std::string out;
  put_u32(out, 0x01020304);
  put_i32(out, -2);
  put_u64(out, 1);
  EXPECT_EQ(out, std::string("\x04\x03\x02\x01"
                             "\xfe\xff\xff\xff"
                             "\x01\0\0\0\0\0\0\0",
                             16));
  out.clear();
  put_f64(out, 1.0); // 0x3ff0000000000000
  EXPECT_EQ(out, std::string("\0\0\0\0\0\0\xf0\x3f", 8));
}

TEST(ClickHouseUrl, DatabaseAndCredentials) {
  auto ep = parse_url("http://bob:p%40ss@127.0.0.1:18123/weir");
  ASSERT_TRUE(ep) << ep.error_message();
  EXPECT_EQ(ep->base, "http://127.0.0.1:18123");
  EXPECT_EQ(ep->database, "weir");
  EXPECT_EQ(ep->user, "bob");
  EXPECT_EQ(ep->password, "p@ss");
  auto bare = parse_url("https://ch.example:8443");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->database, "default");
  EXPECT_TRUE(bare->user.empty());
  EXPECT_FALSE(parse_url("tcp://127.0.0.1:9000"));
  EXPECT_FALSE(parse_url("http://127.0.0.1:18123/a/b"));
  EXPECT_FALSE(parse_url("http:///weir"));
}
