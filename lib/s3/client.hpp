// A small S3 client for MinIO and S3: objects, listing, multipart upload.
// SigV4 signing (lib/s3/sigv4.hpp) on OpenSSL, transport on lib/http (libcurl).
//
// Every request carries x-amz-date and x-amz-content-sha256 (the SHA-256 of
// the body, which is signed too), and addresses buckets path-style by default
// (http://host/bucket/key), which is what MinIO expects. Errors name the
// operation, bucket/key, HTTP status and S3's error Code and Message.
//
// Not thread-safe: a client owns one libcurl easy handle, reused for every
// request so the connection is kept alive. Use one client per thread.
#pragma once

#include "base/expected.hpp"

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::s3 {

struct config {
  std::string endpoint; // "http://127.0.0.1:19000": scheme and host[:port], no path
  std::string region = "us-east-1";
  std::string access_key;
  std::string secret_key;
  bool path_style = true; // false: virtual-hosted (http://bucket.host/key)
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{60000}; // whole request
};

// S3 rejects multipart parts below 5 MiB (all but the last) and more than 10000 parts.
inline constexpr std::size_t min_part_size = 5 * 1024 * 1024;
inline constexpr std::size_t max_parts = 10000;

// "s3://bucket/key" as bucket and key (the key may be empty, "/"s and all);
// nullopt when the URL is not s3:// or names no bucket.
struct url_parts {
  std::string bucket, key;
};
std::optional<url_parts> split_url(std::string_view url);

class client {
public:
  // Checks the config; no request is made.
  static expected<client> make(config cfg);

  client(client&&) noexcept;
  client& operator=(client&&) noexcept;
  ~client();

  // -- objects ----------------------------------------------------------------
  expected<void> put_object(const std::string& bucket, const std::string& key,
                            std::string_view body,
                            const std::string& content_type = "application/octet-stream");
  expected<std::string> get_object(const std::string& bucket, const std::string& key);
  // HEAD: false on 404, an error on anything else that is not 2xx.
  expected<bool> exists(const std::string& bucket, const std::string& key);
  // Deleting a key that does not exist succeeds (S3 semantics).
  expected<void> delete_object(const std::string& bucket, const std::string& key);
  // Every key starting with prefix, in S3's (byte) order, following
  // continuation tokens; page_size is ListObjectsV2's max-keys.
  expected<std::vector<std::string>> list(const std::string& bucket, const std::string& prefix,
                                          int page_size = 1000);
  // The same, with each object's modification time.
  struct object_info {
    std::string key;
    std::int64_t modified_ms = -1; // LastModified, ms since the epoch; -1: not given
  };
  expected<std::vector<object_info>> list_objects(const std::string& bucket,
                                                  const std::string& prefix, int page_size = 1000);

  // -- buckets ----------------------------------------------------------------
  // Succeeds if the bucket exists already and is ours (BucketAlreadyOwnedByYou).
  expected<void> create_bucket(const std::string& bucket);

  // -- multipart upload -------------------------------------------------------
  // Returns the upload id.
  expected<std::string> create_multipart(
    const std::string& bucket, const std::string& key,
    const std::string& content_type = "application/octet-stream");
  // part_number from 1; returns the part's ETag (quotes included, as S3 sends it).
  expected<std::string> upload_part(const std::string& bucket, const std::string& key,
                                    const std::string& upload_id, int part_number,
                                    std::string_view body);
  // etags[i] is the ETag of part i + 1.
  expected<void> complete_multipart(const std::string& bucket, const std::string& key,
                                    const std::string& upload_id,
                                    const std::vector<std::string>& etags);
  expected<void> abort_multipart(const std::string& bucket, const std::string& key,
                                 const std::string& upload_id);

  // One PUT up to part_size, multipart above it (parts of part_size, the last
  // one shorter). A failed multipart upload is aborted, so no parts linger.
  expected<void> put_large(const std::string& bucket, const std::string& key, std::string_view body,
                           std::size_t part_size = 8 * 1024 * 1024,
                           const std::string& content_type = "application/octet-stream");

  const config& settings() const;

private:
  struct state; // keeps curl.h out of this header
  explicit client(std::unique_ptr<state> s);
  std::unique_ptr<state> st_;
};

} // namespace weir::s3
