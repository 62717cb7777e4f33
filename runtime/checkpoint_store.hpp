// Durable storage for checkpoints: partition state snapshots and the
// coordinator's own state. Behind one small interface so a local directory and
// S3/MinIO are interchangeable (chosen by URL: file:///dir or s3://bucket/prefix).
#pragma once

#include "base/expected.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace weir {

class checkpoint_store {
public:
  virtual ~checkpoint_store() = default;

  // Stores `bytes` under `key`; a reader sees the whole value or nothing.
  virtual expected<void> put(const std::string& key, std::string_view bytes) = 0;
  virtual expected<std::string> get(const std::string& key) = 0;
  // Keys starting with `prefix`, sorted.
  virtual expected<std::vector<std::string>> list(const std::string& prefix) = 0;
  virtual expected<void> remove(const std::string& key) = 0;

  // file:///absolute/dir, or s3://bucket/prefix (endpoint and credentials from
  // WEIR_S3_ENDPOINT, WEIR_S3_ACCESS_KEY, WEIR_S3_SECRET_KEY, WEIR_S3_REGION).
  static expected<std::unique_ptr<checkpoint_store>> open(const std::string& url);
};

// Removes the keys under `prefix` (keys sort by age) but the newest `retain`
// and those from `keep_from` on (the round the coordinator points to, whose
// report of a later one may have been lost).
expected<void> prune(checkpoint_store& store, const std::string& prefix, size_t retain,
                     const std::string& keep_from);

} // namespace weir
