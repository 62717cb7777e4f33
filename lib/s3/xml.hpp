// The little XML S3 speaks: error bodies, ListObjectsV2 pages, multipart
// replies and the CompleteMultipartUpload request. S3's replies are flat,
// attribute-free elements with fixed names, so a tag scanner is enough and
// keeps an XML library out of the build.
#pragma once

#include "base/expected.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::s3 {

std::string xml_escape(std::string_view text);
// Resolves the five named entities and numeric references (&#65; &#x41;).
std::string xml_unescape(std::string_view text);

// Unescaped text of the first <tag>...</tag> in xml, if there is one.
std::optional<std::string> xml_element(std::string_view xml, std::string_view tag);

// S3's <Error><Code>...</Code><Message>...</Message>...</Error>.
struct error_body {
  std::string code;
  std::string message;
};
std::optional<error_body> parse_error(std::string_view body);

// "<what>: HTTP <status> <Code>: <Message>", or the start of a body that is
// not S3 XML (a proxy's HTML page, say), or a note that there was no body.
std::string describe_failure(std::string_view what, long status, std::string_view body);

struct list_page {
  std::vector<std::string> keys;
  std::vector<std::int64_t> modified_ms; // per key: LastModified, ms since the epoch; -1: none
  bool truncated = false;
  std::string next_token; // NextContinuationToken, when truncated
};
expected<list_page> parse_list_page(std::string_view body);

// <CompleteMultipartUpload> naming parts 1..n with these ETags.
std::string complete_multipart_body(const std::vector<std::string>& etags);

} // namespace weir::s3
