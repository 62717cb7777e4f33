// AWS Signature Version 4 for S3-style requests, as pure functions so every
// step (canonical request, string to sign, signing key, Authorization header)
// can be checked against AWS's published vectors without a network.
//
// Paths and query parameters are given unencoded and encoded here exactly once,
// which is S3's rule (other AWS services encode the path twice). The client
// sends the very strings these functions produce, so what is signed is what is
// sent.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir::s3 {

using param = std::pair<std::string, std::string>;

// Raw 32-byte SHA-256 and its lower-case hex form (the x-amz-content-sha256 value).
std::string sha256(std::string_view data);
std::string sha256_hex(std::string_view data);
// Raw 32-byte HMAC-SHA256.
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string to_hex(std::string_view bytes);

// Percent-encodes every byte except A-Z a-z 0-9 - . _ ~ as %XY (upper case);
// '/' is kept unless encode_slash.
std::string uri_encode(std::string_view s, bool encode_slash);

// "/" for an empty path; otherwise every segment encoded, slashes kept.
std::string canonical_uri(std::string_view path);
// name=value pairs encoded, sorted by name then value, joined with '&'.
std::string canonical_query(const std::vector<param>& query);

struct header_block {
  std::string lines;          // "name:value\n" per header, sorted
  std::string signed_headers; // "name1;name2"
};
// Names lower-cased, values trimmed with inner runs of spaces collapsed,
// repeated names joined with ',' in the order given.
header_block canonical_headers(const std::vector<param>& headers);

struct request_parts {
  std::string method;
  std::string path;           // unencoded, e.g. "/bucket/a key"
  std::vector<param> query;   // unencoded
  std::vector<param> headers; // every one is signed: pass only what is sent
  std::string payload_hash;   // sha256_hex(body)
};

struct signing_params {
  std::string access_key;
  std::string secret_key;
  std::string region;
  std::string service;  // "s3"
  std::string amz_date; // "20150830T123600Z"; its first 8 chars are the scope date
};

std::string canonical_request(const request_parts& r);
std::string credential_scope(const signing_params& p);
std::string string_to_sign(const signing_params& p, std::string_view canonical);
std::string signing_key(std::string_view secret, std::string_view date, std::string_view region,
                        std::string_view service);
// "AWS4-HMAC-SHA256 Credential=.../aws4_request, SignedHeaders=..., Signature=..."
std::string authorization(const request_parts& r, const signing_params& p);

// "YYYYMMDDTHHMMSSZ" in UTC.
std::string amz_date(std::chrono::system_clock::time_point t);

} // namespace weir::s3
