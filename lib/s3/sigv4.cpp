#include "lib/s3/sigv4.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>

namespace weir::s3 {

std::string sha256(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  // EVP_Digest only fails on allocation failure; an empty result then makes
  // the signature wrong and the server says so, which is the error we want.
  if (!EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr))
    return {};
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string sha256_hex(std::string_view data) {
  return to_hex(sha256(data));
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len))
    return {};
  return std::string(reinterpret_cast<const char*>(md), len);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 0xf];
  }
  return out;
}

std::string uri_encode(std::string_view s, bool encode_slash) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                      || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 0xf];
    }
  }
  return out;
}

std::string canonical_uri(std::string_view path) {
  // No dot-segment or slash normalization: S3 keys may contain "//" or "..",
  // and S3 signs the path as sent.
  if (path.empty())
    return "/";
  return uri_encode(path, false);
}

std::string canonical_query(const std::vector<param>& query) {
  std::vector<param> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query)
    encoded.emplace_back(uri_encode(name, true), uri_encode(value, true));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty())
      out += '&';
    out += name;
    out += '=';
    out += value;
  }
  return out;
}

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t';
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Trims and collapses runs of blanks into one space (quotes included: that is
// what the test suite's get-header-value-trim expects).
std::string normalize_value(std::string_view v) {
  std::string out;
  bool pending_space = false;
  for (char c : v) {
    if (is_blank(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space)
      out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

} // namespace

header_block canonical_headers(const std::vector<param>& headers) {
  std::vector<param> normalized;
  normalized.reserve(headers.size());
  for (const auto& [name, value] : headers)
    normalized.emplace_back(lower(normalize_value(name)), normalize_value(value));
  // Stable: repeated names keep the order in which their values were given.
  std::stable_sort(normalized.begin(), normalized.end(),
                   [](const param& a, const param& b) { return a.first < b.first; });
  header_block out;
  for (size_t i = 0; i < normalized.size(); ++i) {
    const auto& [name, value] = normalized[i];
    if (i > 0 && normalized[i - 1].first == name) {
      out.lines.back() = ','; // replace the previous line's '\n'
    } else {
      if (i > 0)
        out.signed_headers += ';';
      out.signed_headers += name;
      out.lines += name;
      out.lines += ':';
    }
    out.lines += value;
    out.lines += '\n';
  }
  return out;
}

std::string canonical_request(const request_parts& r) {
  auto headers = canonical_headers(r.headers);
  std::string out;
  out += r.method;
  out += '\n';
  out += canonical_uri(r.path);
  out += '\n';
  out += canonical_query(r.query);
  out += '\n';
  out += headers.lines;
  out += '\n';
  out += headers.signed_headers;
  out += '\n';
  out += r.payload_hash;
  return out;
}

std::string credential_scope(const signing_params& p) {
  return p.amz_date.substr(0, 8) + '/' + p.region + '/' + p.service + "/aws4_request";
}

std::string string_to_sign(const signing_params& p, std::string_view canonical) {
  return "AWS4-HMAC-SHA256\n" + p.amz_date + '\n' + credential_scope(p) + '\n'
         + sha256_hex(canonical);
}

std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service) {
  std::string k = hmac_sha256("AWS4" + std::string(secret), date);
  k = hmac_sha256(k, region);
  k = hmac_sha256(k, service);
  return hmac_sha256(k, "aws4_request");
}

std::string authorization(const request_parts& r, const signing_params& p) {
  std::string key = signing_key(p.secret_key, p.amz_date.substr(0, 8), p.region, p.service);
  std::string signature = to_hex(hmac_sha256(key, string_to_sign(p, canonical_request(r))));
  return "AWS4-HMAC-SHA256 Credential=" + p.access_key + '/' + credential_scope(p)
         + ", SignedHeaders=" + canonical_headers(r.headers).signed_headers
         + ", Signature=" + signature;
}

std::string amz_date(std::chrono::system_clock::time_point t) {
  std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&secs, &utc);
  char buf[17];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &utc);
  return buf;
}

} // namespace weir::s3
