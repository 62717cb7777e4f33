// HTTP/1.1 requests over libcurl: the transport of the S3 client and of the
// ClickHouse sink. One client owns one easy handle, reused for every request
// so the connection stays alive; not thread-safe, one client per thread.
// Only transport failures are errors: any HTTP status is a response, for the
// caller to read (S3 and ClickHouse each put their error in the body).
#pragma once

#include "base/expected.hpp"

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir::http {

struct config {
  std::string endpoint; // "http://host:port", named in every error
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{60000}; // whole request
};

struct request {
  std::string method = "GET";       // GET, HEAD, DELETE, PUT, POST
  std::string url;                  // sent exactly as written (no normalization of "/../")
  std::vector<std::string> headers; // "Name: value" lines; "Name:" drops one curl would add
  std::string_view body;            // PUT and POST: sent from the caller's memory, no copy
};

struct response {
  long status = 0;
  std::string body;
  // Of the final response (after a 100 Continue, say), names in lower case.
  std::vector<std::pair<std::string, std::string>> headers;
  const std::string* header(std::string_view lower_name) const;
};

class client {
public:
  static expected<client> make(config cfg);

  client(client&&) noexcept;
  client& operator=(client&&) noexcept;
  ~client();

  // `what` leads every error ("s3 get_object weir/a", "clickhouse insert t").
  expected<response> send(const std::string& what, const request& r);

  const config& settings() const;

private:
  struct state; // keeps curl.h out of this header
  explicit client(std::unique_ptr<state> s);
  std::unique_ptr<state> st_;
};

} // namespace weir::http
