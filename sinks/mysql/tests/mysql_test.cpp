// The MariaDB sink's URL and literals, without a server (the server's side:
// results_it.cpp and test_mysql.py here).
#include "sinks/mysql/mysql.hpp"

#include <gtest/gtest.h>

using namespace weir::sinks::mysql;

TEST(MysqlUrl, UserHostPortDatabase) {
  auto ep = parse_url("mysql://weir:p%3Aw@127.0.0.1:13306/shop");
  ASSERT_TRUE(ep) << ep.error_message();
  EXPECT_EQ(ep->user, "weir");
  EXPECT_EQ(ep->password, "p:w");
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 13306u);
  EXPECT_EQ(ep->database, "shop");
  auto default_port = parse_url("mysql://weir@db/shop");
  ASSERT_TRUE(default_port);
  EXPECT_EQ(default_port->port, 3306u);
  EXPECT_FALSE(parse_url("mysql://127.0.0.1:13306/shop")); // no user
  EXPECT_FALSE(parse_url("mysql://weir@127.0.0.1:13306")); // no database
  EXPECT_FALSE(parse_url("mysql://weir@127.0.0.1:0/shop"));
  EXPECT_FALSE(parse_url("postgresql://weir@127.0.0.1/shop"));
}

TEST(MysqlLiterals, KeysAreBytes) {
  std::string out;
  append_hex_literal(out, std::string("a'\0\xff", 4));
  EXPECT_EQ(out, "X'612700FF'");
  out.clear();
  append_hex_literal(out, "");
  EXPECT_EQ(out, "X''");
}
