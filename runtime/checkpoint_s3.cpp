// Checkpoints on S3/MinIO: one object per key under s3://bucket/prefix/. A PUT
// is atomic (an object is visible whole or not at all), which is all the
// checkpoint protocol needs.
#include "lib/s3/client.hpp"
#include "lib/s3/env.hpp"
#include "runtime/checkpoint_store.hpp"

#include <algorithm>
#include <cstdlib>

namespace weir {

namespace {

class s3_store final : public checkpoint_store {
public:
  s3_store(s3::client c, std::string bucket, std::string prefix)
    : client_(std::move(c)), bucket_(std::move(bucket)), prefix_(std::move(prefix)) {
    if (!prefix_.empty() && prefix_.back() != '/')
      prefix_ += '/';
  }

  expected<void> put(const std::string& key, std::string_view bytes) override {
    return client_.put_large(bucket_, prefix_ + key, bytes);
  }

  expected<std::string> get(const std::string& key) override {
    return client_.get_object(bucket_, prefix_ + key);
  }

  expected<std::vector<std::string>> list(const std::string& prefix) override {
    auto keys = client_.list(bucket_, prefix_ + prefix);
    if (!keys)
      return keys.failure();
    for (auto& k : *keys)
      k.erase(0, prefix_.size());
    std::sort(keys->begin(), keys->end());
    return keys;
  }

  expected<void> remove(const std::string& key) override {
    return client_.delete_object(bucket_, prefix_ + key);
  }

private:
  s3::client client_; // not thread-safe: one store per actor
  std::string bucket_;
  std::string prefix_;
};

} // namespace

expected<std::unique_ptr<checkpoint_store>> open_s3_store(const std::string& bucket,
                                                          const std::string& prefix) {
  auto cfg = s3_config_from_env();
  if (cfg.endpoint.empty())
    return error{"checkpoint store s3://" + bucket + ": WEIR_S3_ENDPOINT is not set"};
  auto c = s3::client::make(std::move(cfg));
  if (!c)
    return c.failure();
  return std::unique_ptr<checkpoint_store>{
    std::make_unique<s3_store>(std::move(*c), bucket, prefix)};
}

} // namespace weir
