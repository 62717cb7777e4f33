#include "lib/http/client.hpp"

#include <curl/curl.h>

#include <cctype>
#include <system_error>

namespace weir::http {

namespace {

struct curl_deleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};

struct slist_deleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using slist_ptr = std::unique_ptr<curl_slist, slist_deleter>;

// curl_global_init is not thread-safe; a function-local static makes the one
// call race-free however many clients are made, from whichever threads.
bool curl_ready() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  return rc == CURLE_OK;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty()
         && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<response*>(user)->body.append(data, size * n);
  return size * n;
}

// A new status line (after a 100 Continue, say) starts a new set.
size_t on_header(char* data, size_t size, size_t n, void* user) {
  auto* out = static_cast<response*>(user);
  std::string_view line(data, size * n);
  if (line.starts_with("HTTP/")) {
    out->headers.clear();
    return size * n;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos)
    return size * n;
  std::string name{trim(line.substr(0, colon))};
  for (auto& c : name)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out->headers.emplace_back(std::move(name), std::string{trim(line.substr(colon + 1))});
  return size * n;
}

} // namespace

const std::string* response::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name)
      return &value;
  return nullptr;
}

struct client::state {
  config cfg;
  std::unique_ptr<CURL, curl_deleter> curl;
  char errbuf[CURL_ERROR_SIZE] = {};
};

client::client(std::unique_ptr<state> s) : st_(std::move(s)) {}
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;
client::~client() = default;

const config& client::settings() const {
  return st_->cfg;
}

expected<client> client::make(config cfg) {
  if (!curl_ready())
    return error{"http: curl_global_init failed"};
  auto st = std::make_unique<state>();
  st->curl.reset(curl_easy_init());
  if (!st->curl)
    return error{"http: curl_easy_init failed"};
  st->cfg = std::move(cfg);
  return client(std::move(st));
}

expected<response> client::send(const std::string& what, const request& r) {
  const auto& cfg = st_->cfg;
  slist_ptr headers;
  for (const auto& line : r.headers)
    headers.reset(curl_slist_append(headers.release(), line.c_str()));
  if (!r.headers.empty() && !headers)
    return error{what + ": out of memory building request headers"};

  // reset keeps the connection cache, so the connection is reused.
  CURL* h = st_->curl.get();
  char* errbuf = st_->errbuf;
  curl_easy_reset(h);
  response out;
  errbuf[0] = '\0';
  curl_easy_setopt(h, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); // timeouts must not raise signals in threads
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(cfg.connect_timeout.count()));
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(cfg.timeout.count()));
  curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L); // S3 keys may contain "/../"; send what was signed
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &out);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &out);
  if (r.method == "HEAD") {
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
  } else if (r.method == "GET") {
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  } else if (r.method == "DELETE") {
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
  } else {
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, r.body.empty() ? "" : r.body.data());
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }

  CURLcode rc = curl_easy_perform(h);
  if (rc != CURLE_OK) {
    std::string detail = errbuf[0] ? std::string(trim(errbuf)) : curl_easy_strerror(rc);
    switch (rc) {
      case CURLE_COULDNT_CONNECT:
      case CURLE_COULDNT_RESOLVE_HOST: {
        // curl's text says "Couldn't connect"; the OS error says why (refused, unreachable).
        long os_errno = 0;
        curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
        if (os_errno != 0)
          detail += " (" + std::system_category().message(static_cast<int>(os_errno)) + ")";
        return error{what + ": cannot connect to " + cfg.endpoint + ": " + detail};
      }
      case CURLE_OPERATION_TIMEDOUT:
        return error{what + ": timed out talking to " + cfg.endpoint + " (connect timeout "
                     + std::to_string(cfg.connect_timeout.count()) + " ms, request timeout "
                     + std::to_string(cfg.timeout.count()) + " ms): " + detail};
      default: return error{what + ": request to " + cfg.endpoint + " failed: " + detail};
    }
  }
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out.status);
  return out;
}

} // namespace weir::http
