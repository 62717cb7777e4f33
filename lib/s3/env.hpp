// S3/MinIO endpoint and credentials of this process, from WEIR_S3_ENDPOINT,
// WEIR_S3_REGION, WEIR_S3_ACCESS_KEY and WEIR_S3_SECRET_KEY.
#pragma once

#include "lib/s3/client.hpp"

#include <cstdlib>

namespace weir {

inline s3::config s3_config_from_env() {
  auto env = [](const char* name, const char* fallback) -> std::string {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
  };
  s3::config cfg;
  cfg.endpoint = env("WEIR_S3_ENDPOINT", "");
  cfg.region = env("WEIR_S3_REGION", "us-east-1");
  cfg.access_key = env("WEIR_S3_ACCESS_KEY", "");
  cfg.secret_key = env("WEIR_S3_SECRET_KEY", "");
  return cfg;
}

} // namespace weir
