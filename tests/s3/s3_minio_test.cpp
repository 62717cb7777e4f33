// weir::s3::client against the real MinIO of deploy/services.sh. Reads
// WEIR_S3_ENDPOINT, WEIR_S3_ACCESS_KEY, WEIR_S3_SECRET_KEY, WEIR_S3_REGION and
// WEIR_S3_BUCKET (CTest sources .run/env.sh first). Objects go under a prefix
// unique to the run and are deleted at the end.
//
// Besides the GoogleTest cases, the binary has small tool modes that
// tests/s3/check_with_pyarrow.py drives, so that an independent S3 client
// (pyarrow) reads what this one wrote and the other way round:
//   weir_s3_it put-pattern BUCKET KEY SIZE PART_SIZE   prints "SIZE SHA256"
//   weir_s3_it get BUCKET KEY                          prints "SIZE SHA256"
//   weir_s3_it list BUCKET PREFIX PAGE_SIZE            prints one key per line
//   weir_s3_it delete-prefix BUCKET PREFIX             prints how many it deleted
#include "lib/s3/client.hpp"
#include "lib/s3/sigv4.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>

using namespace weir::s3;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

config env_config() {
  config cfg;
  cfg.endpoint = env("WEIR_S3_ENDPOINT");
  cfg.region = env("WEIR_S3_REGION");
  cfg.access_key = env("WEIR_S3_ACCESS_KEY");
  cfg.secret_key = env("WEIR_S3_SECRET_KEY");
  return cfg;
}

// Deterministic content: SHA-256("weir-s3 block <i>") for block i, 32 bytes
// each, cut to size. check_with_pyarrow.py computes the same bytes itself.
std::string pattern(std::size_t size) {
  std::string out;
  out.reserve(size + 32);
  for (std::size_t i = 0; out.size() < size; ++i)
    out += sha256("weir-s3 block " + std::to_string(i));
  out.resize(size);
  return out;
}

// A loopback port nobody listens on: bound, then closed without listen().
int closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class MinIO : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    if (env("WEIR_S3_ENDPOINT").empty() || env("WEIR_S3_BUCKET").empty())
      FAIL() << "WEIR_S3_* not set: run deploy/services.sh up and source .run/env.sh";
    prefix_ = "weir-s3-it/" + std::to_string(::getpid()) + "-"
              + std::to_string(std::chrono::system_clock::now().time_since_epoch().count()) + "/";
  }

  void SetUp() override {
    auto c = client::make(env_config());
    ASSERT_TRUE(c) << c.error_message();
    s3_.emplace(std::move(*c));
    bucket_ = env("WEIR_S3_BUCKET");
  }

  void TearDown() override {
    if (!s3_)
      return;
    auto keys = s3_->list(bucket_, prefix_);
    if (keys)
      for (const auto& k : *keys)
        (void)s3_->delete_object(bucket_, k);
  }

  std::string key(const std::string& name) const { return prefix_ + name; }

  static inline std::string prefix_;
  std::optional<client> s3_;
  std::string bucket_;
};

} // namespace

TEST_F(MinIO, CreateBucketIsIdempotent) {
  ASSERT_TRUE(s3_->create_bucket(bucket_)) << "existing bucket must be fine";
  // A bucket of our own, created once and then found to exist (kept: it is
  // reused by later runs, which then take the BucketAlreadyOwnedByYou path).
  auto first = s3_->create_bucket("weir-s3-it");
  ASSERT_TRUE(first) << first.error_message();
  auto again = s3_->create_bucket("weir-s3-it");
  EXPECT_TRUE(again) << again.error_message();
}

TEST_F(MinIO, PutGetExistsDelete) {
  std::string body;
  for (int i = 0; i < 256 * 4; ++i)
    body += static_cast<char>(i); // every byte value, NULs included
  // A key that needs encoding: spaces, UTF-8, reserved characters. (MinIO
  // refuses "." and ".." segments, which S3 would take.)
  std::string k = key("dir/with space/\xC3\xBCn\xC3\xAF+co=de&x;y,z$@'!(*)~a/b.bin");
  auto put = s3_->put_object(bucket_, k, body);
  ASSERT_TRUE(put) << put.error_message();
  auto got = s3_->get_object(bucket_, k);
  ASSERT_TRUE(got) << got.error_message();
  EXPECT_EQ(*got, body);

  auto yes = s3_->exists(bucket_, k);
  ASSERT_TRUE(yes) << yes.error_message();
  EXPECT_TRUE(*yes);
  auto listed = s3_->list(bucket_, key("dir/"));
  ASSERT_TRUE(listed) << listed.error_message();
  EXPECT_EQ(*listed, std::vector<std::string>{k});

  auto del = s3_->delete_object(bucket_, k);
  ASSERT_TRUE(del) << del.error_message();
  auto no = s3_->exists(bucket_, k);
  ASSERT_TRUE(no) << no.error_message();
  EXPECT_FALSE(*no);
  EXPECT_TRUE(s3_->delete_object(bucket_, k)) << "deleting a missing key succeeds";
}

TEST_F(MinIO, EmptyObjectAndContentType) {
  auto put = s3_->put_object(bucket_, key("empty.json"), "", "application/json");
  ASSERT_TRUE(put) << put.error_message();
  auto got = s3_->get_object(bucket_, key("empty.json"));
  ASSERT_TRUE(got) << got.error_message();
  EXPECT_EQ(*got, "");
  auto untyped = s3_->put_object(bucket_, key("untyped"), "x", "");
  EXPECT_TRUE(untyped) << untyped.error_message();
}

TEST_F(MinIO, ListFollowsContinuationTokens) {
  std::vector<std::string> expected;
  for (int i = 0; i < 30; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "page/k%02d", i);
    expected.push_back(key(name));
    auto put = s3_->put_object(bucket_, expected.back(), std::to_string(i));
    ASSERT_TRUE(put) << put.error_message();
  }
  ASSERT_TRUE(s3_->put_object(bucket_, key("pagex"), "not under page/"));
  auto listed = s3_->list(bucket_, key("page/"), 7); // 5 pages, the last one short
  ASSERT_TRUE(listed) << listed.error_message();
  EXPECT_EQ(*listed, expected);
  auto none = s3_->list(bucket_, key("nothing-here/"));
  ASSERT_TRUE(none) << none.error_message();
  EXPECT_TRUE(none->empty());
  EXPECT_FALSE(s3_->list(bucket_, key("page/"), 0));
}

TEST_F(MinIO, MultipartUpload) {
  std::string body = pattern(12 * 1024 * 1024 + 12345); // 5 + 5 + 2 MiB and a bit
  auto put = s3_->put_large(bucket_, key("large.bin"), body, 5 * 1024 * 1024);
  ASSERT_TRUE(put) << put.error_message();
  auto got = s3_->get_object(bucket_, key("large.bin"));
  ASSERT_TRUE(got) << got.error_message();
  EXPECT_EQ(got->size(), body.size());
  EXPECT_TRUE(*got == body);

  // Below the part size it is a single PUT.
  ASSERT_TRUE(s3_->put_large(bucket_, key("small.bin"), "small"));
  EXPECT_EQ(s3_->get_object(bucket_, key("small.bin")).value(), "small");

  auto too_small = s3_->put_large(bucket_, key("x.bin"), body, 1024);
  ASSERT_FALSE(too_small);
  EXPECT_TRUE(contains(too_small.error_message(), "5 MiB")) << too_small.error_message();
}

TEST_F(MinIO, MultipartAbort) {
  std::string k = key("aborted.bin");
  auto id = s3_->create_multipart(bucket_, k);
  ASSERT_TRUE(id) << id.error_message();
  auto etag = s3_->upload_part(bucket_, k, *id, 1, pattern(5 * 1024 * 1024));
  ASSERT_TRUE(etag) << etag.error_message();
  EXPECT_EQ(etag->front(), '"');
  auto aborted = s3_->abort_multipart(bucket_, k, *id);
  ASSERT_TRUE(aborted) << aborted.error_message();

  auto late = s3_->complete_multipart(bucket_, k, *id, {*etag});
  ASSERT_FALSE(late);
  EXPECT_TRUE(contains(late.error_message(), "NoSuchUpload")) << late.error_message();
  EXPECT_TRUE(contains(late.error_message(), "complete_multipart " + bucket_ + "/" + k))
    << late.error_message();
  EXPECT_FALSE(s3_->exists(bucket_, k).value());
}

TEST_F(MinIO, MultipartCompleteFailsOnBadEtag) {
  std::string k = key("bad-etag.bin");
  auto id = s3_->create_multipart(bucket_, k);
  ASSERT_TRUE(id) << id.error_message();
  ASSERT_TRUE(s3_->upload_part(bucket_, k, *id, 1, "only part"));
  auto done = s3_->complete_multipart(bucket_, k, *id, {"\"00000000000000000000000000000000\""});
  ASSERT_FALSE(done);
  EXPECT_TRUE(contains(done.error_message(), "InvalidPart")) << done.error_message();
  EXPECT_TRUE(s3_->abort_multipart(bucket_, k, *id));
}

TEST_F(MinIO, MissingKeyAndBucketAreNamedErrors) {
  auto got = s3_->get_object(bucket_, key("missing.txt"));
  ASSERT_FALSE(got);
  const auto& m = got.error_message();
  EXPECT_TRUE(contains(m, "get_object " + bucket_ + "/" + key("missing.txt"))) << m;
  EXPECT_TRUE(contains(m, "HTTP 404 NoSuchKey: The specified key does not exist.")) << m;

  auto nb = s3_->get_object("weir-no-such-bucket", "k");
  ASSERT_FALSE(nb);
  EXPECT_TRUE(contains(nb.error_message(), "NoSuchBucket")) << nb.error_message();
  auto nl = s3_->list("weir-no-such-bucket", "");
  ASSERT_FALSE(nl);
  EXPECT_TRUE(contains(nl.error_message(), "NoSuchBucket")) << nl.error_message();
}

TEST_F(MinIO, BadCredentialsAreNamedErrors) {
  auto cfg = env_config();
  cfg.secret_key = "not-the-secret";
  auto bad_secret = client::make(cfg).value().put_object(bucket_, key("x"), "x");
  ASSERT_FALSE(bad_secret);
  EXPECT_TRUE(contains(bad_secret.error_message(), "HTTP 403 SignatureDoesNotMatch"))
    << bad_secret.error_message();

  cfg = env_config();
  cfg.access_key = "nobody-at-all";
  auto bad_key = client::make(cfg).value().get_object(bucket_, key("x"));
  ASSERT_FALSE(bad_key);
  EXPECT_TRUE(contains(bad_key.error_message(), "HTTP 403 InvalidAccessKeyId"))
    << bad_key.error_message();

  // HEAD has no body to carry the code (MinIO puts it in a header); the
  // status must be an error all the same, not "does not exist".
  auto head = client::make(cfg).value().exists(bucket_, key("x"));
  ASSERT_FALSE(head);
  EXPECT_TRUE(
    contains(head.error_message(), "s3 exists " + bucket_ + "/" + key("x") + ": HTTP 403"))
    << head.error_message();
  if (env("WEIR_S3_IMPL") == "minio") {
    EXPECT_TRUE(contains(head.error_message(), "HTTP 403 InvalidAccessKeyId: The Access Key Id"))
      << head.error_message();
  }
}

TEST_F(MinIO, ConnectionRefusedIsClear) {
  auto cfg = env_config();
  cfg.endpoint = "http://127.0.0.1:" + std::to_string(closed_port());
  auto c = client::make(cfg);
  ASSERT_TRUE(c) << c.error_message();
  auto r = c->get_object(bucket_, "k");
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error_message(),
                       "s3 get_object " + bucket_ + "/k: cannot connect to " + cfg.endpoint))
    << r.error_message();
  EXPECT_TRUE(contains(r.error_message(), "Connection refused")) << r.error_message();
}

// A loopback socket that listens (the kernel completes the handshake) but
// never answers: the request must end at the configured timeout.
TEST_F(MinIO, SilentServerTimesOut) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0);
  ASSERT_EQ(::listen(fd, 4), 0);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto cfg = env_config();
  cfg.endpoint = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  cfg.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = client::make(cfg).value().get_object(bucket_, "k");
  auto took = std::chrono::steady_clock::now() - start;
  ::close(fd);
  ASSERT_FALSE(r);
  EXPECT_TRUE(contains(r.error_message(), "timed out talking to " + cfg.endpoint))
    << r.error_message();
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(S3Config, RejectsBadEndpoints) {
  config cfg;
  cfg.endpoint = "127.0.0.1:19000";
  cfg.access_key = "a";
  cfg.secret_key = "b";
  EXPECT_FALSE(client::make(cfg));
  cfg.endpoint = "http://127.0.0.1:19000/some/path";
  EXPECT_FALSE(client::make(cfg));
  cfg.endpoint = "http://127.0.0.1:19000/";
  EXPECT_TRUE(client::make(cfg));
  cfg.secret_key.clear();
  EXPECT_FALSE(client::make(cfg));
}

// -- tool modes for check_with_pyarrow.py --------------------------------------

namespace {

int failed(const std::string& message) {
  std::cerr << message << '\n';
  return 1;
}

int tool(int argc, char** argv) {
  std::string mode = argv[1];
  auto c = client::make(env_config());
  if (!c)
    return failed(c.error_message());
  if (mode == "put-pattern" && argc == 6) {
    std::string body = pattern(std::stoull(argv[4]));
    if (auto r = c->put_large(argv[2], argv[3], body, std::stoull(argv[5])); !r)
      return failed(r.error_message());
    std::cout << body.size() << ' ' << sha256_hex(body) << '\n';
    return 0;
  }
  if (mode == "get" && argc == 4) {
    auto r = c->get_object(argv[2], argv[3]);
    if (!r)
      return failed(r.error_message());
    std::cout << r->size() << ' ' << sha256_hex(*r) << '\n';
    return 0;
  }
  if ((mode == "list" && argc == 5) || (mode == "delete-prefix" && argc == 4)) {
    auto keys = c->list(argv[2], argv[3], mode == "list" ? std::stoi(argv[4]) : 1000);
    if (!keys)
      return failed(keys.error_message());
    for (const auto& k : *keys) {
      if (mode == "list")
        std::cout << k << '\n';
      else if (auto r = c->delete_object(argv[2], k); !r)
        return failed(r.error_message());
    }
    if (mode == "delete-prefix")
      std::cout << keys->size() << '\n';
    return 0;
  }
  std::cerr << "usage: weir_s3_it [put-pattern BUCKET KEY SIZE PART_SIZE | get BUCKET KEY |"
               " list BUCKET PREFIX PAGE_SIZE | delete-prefix BUCKET PREFIX | gtest flags]\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  if (argc > 1 && argv[1][0] != '-') {
    try {
      return tool(argc, argv);
    } catch (const std::exception& e) { // a number argument that is not one
      return failed(std::string("weir_s3_it: ") + e.what());
    }
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
