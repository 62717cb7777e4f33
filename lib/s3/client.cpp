#include "lib/s3/client.hpp"

#include "lib/http/client.hpp"
#include "lib/s3/sigv4.hpp"
#include "lib/s3/xml.hpp"

#include <algorithm>
#include <optional>

namespace weir::s3 {

std::optional<url_parts> split_url(std::string_view url) {
  if (!url.starts_with("s3://"))
    return std::nullopt;
  url.remove_prefix(5);
  const auto slash = url.find('/');
  url_parts out{std::string{url.substr(0, slash)}, slash == std::string_view::npos
                                                     ? std::string{}
                                                     : std::string{url.substr(slash + 1)}};
  if (out.bucket.empty())
    return std::nullopt;
  return out;
}

namespace {

struct reply {
  long status = 0;
  std::string body;
  std::string etag;
  // MinIO names the error in headers too, which is all a HEAD reply can carry.
  std::string header_error_code;
  std::string header_error_desc;
};

// One S3 request before signing. bucket/key are unencoded; an empty key
// addresses the bucket itself.
struct call {
  std::string what; // "s3 get_object weir/a.txt", leads every error
  std::string method;
  std::string bucket;
  std::string key;
  std::vector<param> query;
  std::vector<param> headers; // besides host, x-amz-date, x-amz-content-sha256
  std::string_view body;
};

std::string object_what(const char* op, const std::string& bucket, const std::string& key) {
  return std::string("s3 ") + op + ' ' + bucket + '/' + key;
}

expected<void> check_names(const std::string& what, const std::string& bucket,
                           const std::string* key) {
  if (bucket.empty())
    return error{what + ": empty bucket name"};
  if (key && key->empty())
    return error{what + ": empty key"};
  return {};
}

} // namespace

struct client::state {
  config cfg;
  std::string scheme;                    // "http://" or "https://"
  std::string authority;                 // "127.0.0.1:19000"
  std::optional<http::client> transport; // set by make

  // Signs and sends; any HTTP status is a reply, only transport failures are errors.
  expected<reply> send(const call& c);
  // Like send, but a status outside 2xx is an error describing S3's answer.
  expected<reply> send_ok(const call& c) {
    auto r = send(c);
    if (r && (r->status < 200 || r->status > 299))
      return error{describe_failure(c.what, r->status, r->body)};
    return r;
  }
};

expected<reply> client::state::send(const call& c) {
  std::string host = authority;
  std::string path;
  if (cfg.path_style) {
    path = '/' + c.bucket;
    if (!c.key.empty())
      path += '/' + c.key;
  } else {
    host = c.bucket + '.' + authority;
    path = '/' + c.key;
  }

  // An empty value (content_type "") means "no such header": curl would not
  // send it as written, and a signed header that is not sent fails the check.
  std::vector<param> extra;
  for (const auto& h : c.headers)
    if (!h.second.empty())
      extra.push_back(h);
  bool has_content_type = std::any_of(extra.begin(), extra.end(),
                                      [](const param& h) { return h.first == "content-type"; });
  request_parts parts{c.method, path, c.query, std::move(extra), sha256_hex(c.body)};
  std::string date = amz_date(std::chrono::system_clock::now());
  parts.headers.emplace_back("host", host);
  parts.headers.emplace_back("x-amz-content-sha256", parts.payload_hash);
  parts.headers.emplace_back("x-amz-date", date);
  std::string auth =
    authorization(parts, signing_params{cfg.access_key, cfg.secret_key, cfg.region, "s3", date});

  // The URL carries exactly the encoded path and query that were signed.
  std::string url = scheme + host + canonical_uri(path);
  if (std::string q = canonical_query(c.query); !q.empty())
    url += '?' + q;

  http::request req{c.method, std::move(url), {}, c.body};
  for (const auto& [name, value] : parts.headers)
    req.headers.push_back(name + ": " + value);
  req.headers.push_back("Authorization: " + auth);
  req.headers.push_back("Expect:"); // no 100-continue round trip before large bodies
  if (!has_content_type)
    req.headers.push_back("Content-Type:"); // drop the form type curl sets for POSTFIELDS
  auto got = transport->send(c.what, req);
  if (!got)
    return got.failure();
  reply out;
  out.status = got->status;
  out.body = std::move(got->body);
  auto header = [&](std::string_view name) {
    const auto* v = got->header(name);
    return v ? *v : std::string{};
  };
  out.etag = header("etag");
  out.header_error_code = header("x-minio-error-code");
  out.header_error_desc = header("x-minio-error-desc");
  if (auto& d = out.header_error_desc; d.size() >= 2 && d.front() == '"' && d.back() == '"')
    d = d.substr(1, d.size() - 2);
  return out;
}

client::client(std::unique_ptr<state> s) : st_(std::move(s)) {}
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;
client::~client() = default;

const config& client::settings() const {
  return st_->cfg;
}

expected<client> client::make(config cfg) {
  auto st = std::make_unique<state>();
  std::string_view ep = cfg.endpoint;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (ep.starts_with(scheme)) {
      st->scheme = scheme;
      ep.remove_prefix(scheme.size());
    }
  }
  if (st->scheme.empty())
    return error{"s3 config: endpoint '" + cfg.endpoint + "' must start with http:// or https://"};
  while (ep.ends_with('/'))
    ep.remove_suffix(1);
  if (ep.empty() || ep.find('/') != std::string_view::npos)
    return error{"s3 config: endpoint '" + cfg.endpoint
                 + "' must be scheme://host[:port], without a path"};
  st->authority = ep;
  if (cfg.region.empty())
    return error{"s3 config: empty region"};
  if (cfg.access_key.empty() || cfg.secret_key.empty())
    return error{"s3 config: access key and secret key are required"};
  auto transport = http::client::make({cfg.endpoint, cfg.connect_timeout, cfg.timeout});
  if (!transport)
    return transport.failure();
  st->transport = std::move(*transport);
  st->cfg = std::move(cfg);
  return client(std::move(st));
}

expected<void> client::put_object(const std::string& bucket, const std::string& key,
                                  std::string_view body, const std::string& content_type) {
  std::string what = object_what("put_object", bucket, key);
  if (auto ok = check_names(what, bucket, &key); !ok)
    return ok;
  auto r = st_->send_ok({what, "PUT", bucket, key, {}, {{"content-type", content_type}}, body});
  if (!r)
    return r.failure();
  return {};
}

expected<std::string> client::get_object(const std::string& bucket, const std::string& key) {
  std::string what = object_what("get_object", bucket, key);
  if (auto ok = check_names(what, bucket, &key); !ok)
    return ok.failure();
  auto r = st_->send_ok({what, "GET", bucket, key, {}, {}, {}});
  if (!r)
    return r.failure();
  return std::move(r->body);
}

expected<bool> client::exists(const std::string& bucket, const std::string& key) {
  std::string what = object_what("exists", bucket, key);
  if (auto ok = check_names(what, bucket, &key); !ok)
    return ok.failure();
  auto r = st_->send({what, "HEAD", bucket, key, {}, {}, {}});
  if (!r)
    return r.failure();
  if (r->status == 404)
    return false;
  if (r->status >= 200 && r->status <= 299)
    return true;
  std::string msg = what + ": HTTP " + std::to_string(r->status);
  if (r->header_error_code.empty())
    return error{msg + " (a HEAD reply carries no error body)"};
  msg += ' ' + r->header_error_code;
  if (!r->header_error_desc.empty())
    msg += ": " + r->header_error_desc;
  return error{msg};
}

expected<void> client::delete_object(const std::string& bucket, const std::string& key) {
  std::string what = object_what("delete_object", bucket, key);
  if (auto ok = check_names(what, bucket, &key); !ok)
    return ok;
  auto r = st_->send_ok({what, "DELETE", bucket, key, {}, {}, {}});
  if (!r)
    return r.failure();
  return {};
}

expected<std::vector<std::string>> client::list(const std::string& bucket,
                                                const std::string& prefix, int page_size) {
  auto objects = list_objects(bucket, prefix, page_size);
  if (!objects)
    return objects.failure();
  std::vector<std::string> keys;
  keys.reserve(objects->size());
  for (auto& o : *objects)
    keys.push_back(std::move(o.key));
  return keys;
}

expected<std::vector<client::object_info>> client::list_objects(const std::string& bucket,
                                                                const std::string& prefix,
                                                                int page_size) {
  std::string what = "s3 list " + bucket + '/' + prefix + '*';
  if (auto ok = check_names(what, bucket, nullptr); !ok)
    return ok.failure();
  if (page_size < 1 || page_size > 1000)
    return error{what + ": page size " + std::to_string(page_size) + " is not in 1..1000"};
  std::vector<object_info> keys;
  std::string token;
  for (;;) {
    std::vector<param> query{{"list-type", "2"},
                             {"prefix", prefix},
                             {"max-keys", std::to_string(page_size)}};
    if (!token.empty())
      query.emplace_back("continuation-token", token);
    auto r = st_->send_ok({what, "GET", bucket, "", std::move(query), {}, {}});
    if (!r)
      return r.failure();
    auto page = parse_list_page(r->body);
    if (!page)
      return error{what + ": " + page.error_message()};
    for (size_t i = 0; i < page->keys.size(); ++i)
      keys.push_back({std::move(page->keys[i]), page->modified_ms[i]});
    if (!page->truncated)
      return keys;
    token = std::move(page->next_token);
  }
}

expected<void> client::create_bucket(const std::string& bucket) {
  std::string what = "s3 create_bucket " + bucket;
  if (auto ok = check_names(what, bucket, nullptr); !ok)
    return ok;
  // us-east-1 is S3's default location and must not be named; any other
  // region has to be, or AWS creates the bucket elsewhere (MinIO ignores it).
  std::string body;
  std::vector<param> headers;
  if (st_->cfg.region != "us-east-1") {
    body = "<CreateBucketConfiguration><LocationConstraint>" + xml_escape(st_->cfg.region)
           + "</LocationConstraint></CreateBucketConfiguration>";
    headers.emplace_back("content-type", "application/xml");
  }
  auto r = st_->send({what, "PUT", bucket, "", {}, std::move(headers), body});
  if (!r)
    return r.failure();
  if (r->status >= 200 && r->status <= 299)
    return {};
  if (auto err = parse_error(r->body); err && err->code == "BucketAlreadyOwnedByYou")
    return {};
  return error{describe_failure(what, r->status, r->body)};
}

expected<std::string> client::create_multipart(const std::string& bucket, const std::string& key,
                                               const std::string& content_type) {
  std::string what = object_what("create_multipart", bucket, key);
  if (auto ok = check_names(what, bucket, &key); !ok)
    return ok.failure();
  auto r = st_->send_ok(
    {what, "POST", bucket, key, {{"uploads", ""}}, {{"content-type", content_type}}, {}});
  if (!r)
    return r.failure();
  auto id = xml_element(r->body, "UploadId");
  if (!id || id->empty())
    return error{what + ": reply has no UploadId: " + r->body.substr(0, 200)};
  return std::move(*id);
}

expected<std::string> client::upload_part(const std::string& bucket, const std::string& key,
                                          const std::string& upload_id, int part_number,
                                          std::string_view body) {
  std::string what =
    object_what("upload_part", bucket, key) + " (part " + std::to_string(part_number) + ')';
  if (auto ok = check_names(what, bucket, &key); !ok)
    return ok.failure();
  if (part_number < 1 || part_number > static_cast<int>(max_parts))
    return error{what + ": part number must be in 1.." + std::to_string(max_parts)};
  auto r = st_->send_ok({what,
                         "PUT",
                         bucket,
                         key,
                         {{"partNumber", std::to_string(part_number)}, {"uploadId", upload_id}},
                         {},
                         body});
  if (!r)
    return r.failure();
  if (r->etag.empty())
    return error{what + ": reply has no ETag header"};
  return std::move(r->etag);
}

expected<void> client::complete_multipart(const std::string& bucket, const std::string& key,
                                          const std::string& upload_id,
                                          const std::vector<std::string>& etags) {
  std::string what = object_what("complete_multipart", bucket, key);
  if (auto ok = check_names(what, bucket, &key); !ok)
    return ok;
  if (etags.empty())
    return error{what + ": no parts"};
  std::string body = complete_multipart_body(etags);
  auto r = st_->send_ok({what,
                         "POST",
                         bucket,
                         key,
                         {{"uploadId", upload_id}},
                         {{"content-type", "application/xml"}},
                         body});
  if (!r)
    return r.failure();
  // S3 may answer 200 and report the failure in the body, since the status
  // line is sent before the parts are assembled.
  if (parse_error(r->body))
    return error{describe_failure(what, r->status, r->body)};
  return {};
}

expected<void> client::abort_multipart(const std::string& bucket, const std::string& key,
                                       const std::string& upload_id) {
  std::string what = object_what("abort_multipart", bucket, key);
  if (auto ok = check_names(what, bucket, &key); !ok)
    return ok;
  auto r = st_->send_ok({what, "DELETE", bucket, key, {{"uploadId", upload_id}}, {}, {}});
  if (!r)
    return r.failure();
  return {};
}

expected<void> client::put_large(const std::string& bucket, const std::string& key,
                                 std::string_view body, std::size_t part_size,
                                 const std::string& content_type) {
  std::string what = object_what("put_large", bucket, key);
  if (part_size < min_part_size)
    return error{what + ": part size " + std::to_string(part_size)
                 + " is below S3's minimum of 5 MiB"};
  if (body.size() <= part_size)
    return put_object(bucket, key, body, content_type);
  std::size_t parts = (body.size() + part_size - 1) / part_size;
  if (parts > max_parts)
    return error{what + ": " + std::to_string(body.size()) + " bytes need " + std::to_string(parts)
                 + " parts of " + std::to_string(part_size) + " bytes; S3 allows "
                 + std::to_string(max_parts)};

  auto id = create_multipart(bucket, key, content_type);
  if (!id)
    return id.failure();
  auto give_up = [&](const std::string& cause) -> expected<void> {
    auto aborted = abort_multipart(bucket, key, *id);
    return error{cause
                 + (aborted ? "; upload aborted"
                            : "; aborting the upload failed too: " + aborted.error_message())};
  };
  std::vector<std::string> etags;
  etags.reserve(parts);
  for (std::size_t i = 0; i < parts; ++i) {
    auto etag =
      upload_part(bucket, key, *id, static_cast<int>(i + 1), body.substr(i * part_size, part_size));
    if (!etag)
      return give_up(etag.error_message());
    etags.push_back(std::move(*etag));
  }
  if (auto done = complete_multipart(bucket, key, *id, etags); !done)
    return give_up(done.error_message());
  return {};
}

} // namespace weir::s3
