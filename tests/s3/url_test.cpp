#include "lib/s3/client.hpp"

#include <gtest/gtest.h>

using weir::s3::split_url;

TEST(S3Url, SplitsBucketAndKey) {
  auto p = split_url("s3://weir/lake/t/metadata/00001-x.metadata.json");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->bucket, "weir");
  EXPECT_EQ(p->key, "lake/t/metadata/00001-x.metadata.json");
  p = split_url("s3://weir");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->bucket, "weir");
  EXPECT_EQ(p->key, "");
  p = split_url("s3://weir/");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->key, "");
}

TEST(S3Url, RefusesOtherSchemesAndNoBucket) {
  EXPECT_FALSE(split_url("file:///tmp/x"));
  EXPECT_FALSE(split_url("s3:/weir/x"));
  EXPECT_FALSE(split_url("s3://"));
  EXPECT_FALSE(split_url("s3:///key"));
}
