// S3's XML: error bodies (as MinIO sends them), ListObjectsV2 pages and the
// CompleteMultipartUpload request.
#include "lib/s3/xml.hpp"

#include <gtest/gtest.h>

using namespace weir::s3;

namespace {

// Captured from the MinIO of deploy/services.sh (GET of a missing key).
const std::string no_such_key =
  "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
  "<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
  "<Key>missing.txt</Key><BucketName>weir</BucketName><Resource>/weir/missing.txt</Resource>"
  "<RequestId>18EA610D6F02A7A8</RequestId><HostId>470a0afc</HostId></Error>";

} // namespace

TEST(S3Xml, ParsesErrorCodeAndMessage) {
  auto err = parse_error(no_such_key);
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, "NoSuchKey");
  EXPECT_EQ(err->message, "The specified key does not exist.");
}

TEST(S3Xml, ErrorMessageIsUnescaped) {
  auto err =
    parse_error("<Error><Code>InvalidArgument</Code>"
                "<Message>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; &#233;&#x41;</Message>"
                "</Error>");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->message, "a <b> & \"c\" 'd' \xC3\xA9"
                          "A");
}

TEST(S3Xml, NotAnError) {
  EXPECT_FALSE(parse_error(""));
  EXPECT_FALSE(parse_error("<html><body>Bad Gateway</body></html>"));
  EXPECT_FALSE(parse_error("<CompleteMultipartUploadResult><ETag>x</ETag>"
                           "</CompleteMultipartUploadResult>"));
}

TEST(S3Xml, DescribesFailures) {
  EXPECT_EQ(
    describe_failure("s3 get_object weir/missing.txt", 404, no_such_key),
    "s3 get_object weir/missing.txt: HTTP 404 NoSuchKey: The specified key does not exist.");
  EXPECT_EQ(describe_failure("s3 exists weir/k", 403, ""),
            "s3 exists weir/k: HTTP 403 (no error body)");
  EXPECT_EQ(describe_failure("s3 list weir/*", 502, "<html>Bad Gateway</html>"),
            "s3 list weir/*: HTTP 502: <html>Bad Gateway</html>");
  std::string long_body(500, 'x');
  auto text = describe_failure("op", 500, long_body);
  EXPECT_EQ(text, "op: HTTP 500: " + std::string(200, 'x') + "...");
}

TEST(S3Xml, ListPageTruncated) {
  // Shape of AWS's ListObjectsV2 reply; the token holds characters that must
  // come back unescaped.
  auto page = parse_list_page(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
    "<Name>weir</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>2</MaxKeys>"
    "<IsTruncated>true</IsTruncated>"
    "<Contents><Key>p/a&amp;b.txt</Key><LastModified>2026-01-01T00:00:00.000Z</LastModified>"
    "<ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag><Size>0</Size>"
    "<StorageClass>STANDARD</StorageClass></Contents>"
    "<Contents><Key>p/c d.txt</Key><Size>3</Size></Contents>"
    "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&amp;</"
    "NextContinuationToken>"
    "</ListBucketResult>");
  ASSERT_TRUE(page) << page.error_message();
  EXPECT_EQ(page->keys, (std::vector<std::string>{"p/a&b.txt", "p/c d.txt"}));
  EXPECT_EQ(page->modified_ms, (std::vector<std::int64_t>{1'767'225'600'000, -1}));
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_token, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=&");
}

TEST(S3Xml, ListPageLastAndEmpty) {
  // Captured from MinIO: an empty listing.
  auto empty = parse_list_page(
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>weir</Name>"
    "<Prefix></Prefix><KeyCount>0</KeyCount><MaxKeys>2</MaxKeys><IsTruncated>false</IsTruncated>"
    "</ListBucketResult>");
  ASSERT_TRUE(empty) << empty.error_message();
  EXPECT_TRUE(empty->keys.empty());
  EXPECT_FALSE(empty->truncated);
  // CommonPrefixes carry <Prefix>, not <Key>: they are not keys.
  auto page = parse_list_page("<ListBucketResult><IsTruncated>false</IsTruncated>"
                              "<Contents><Key>a</Key></Contents>"
                              "<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes>"
                              "</ListBucketResult>");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->keys, std::vector<std::string>{"a"});
}

TEST(S3Xml, ListPageMalformed) {
  EXPECT_FALSE(parse_list_page(no_such_key));
  auto no_token = parse_list_page("<ListBucketResult><IsTruncated>true</IsTruncated>"
                                  "<Contents><Key>a</Key></Contents></ListBucketResult>");
  ASSERT_FALSE(no_token);
  EXPECT_NE(no_token.error_message().find("NextContinuationToken"), std::string::npos);
  EXPECT_FALSE(parse_list_page("<ListBucketResult><Contents><Key>a</Key>"));
}

TEST(S3Xml, CompleteMultipartBody) {
  EXPECT_EQ(complete_multipart_body({"\"e1\"", "\"e2\""}),
            "<CompleteMultipartUpload>"
            "<Part><PartNumber>1</PartNumber><ETag>&quot;e1&quot;</ETag></Part>"
            "<Part><PartNumber>2</PartNumber><ETag>&quot;e2&quot;</ETag></Part>"
            "</CompleteMultipartUpload>");
}

TEST(S3Xml, Element) {
  EXPECT_EQ(xml_element("<a><UploadId>x&amp;y</UploadId></a>", "UploadId"), "x&y");
  EXPECT_EQ(xml_element("<a><UploadId/></a>", "UploadId"), std::nullopt);
  EXPECT_EQ(xml_unescape("&unknown; & &#xZZ;"), "&unknown; & &#xZZ;");
  EXPECT_EQ(xml_escape("<&>\"'"), "&lt;&amp;&gt;&quot;&apos;");
}
