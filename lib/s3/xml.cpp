#include "lib/s3/xml.hpp"

#include <cstdio>
#include <ctime>

#include "base/utf8.hpp"

#include <charconv>

namespace weir::s3 {

std::string xml_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

namespace {

// The replacement for the entity `name` (what stands between '&' and ';'),
// or nothing if it is not one we know; unknown ones are kept as written.
std::optional<std::string> entity(std::string_view name) {
  if (name == "amp")
    return "&";
  if (name == "lt")
    return "<";
  if (name == "gt")
    return ">";
  if (name == "quot")
    return "\"";
  if (name == "apos")
    return "'";
  if (name.size() < 2 || name[0] != '#')
    return std::nullopt;
  bool hex = name[1] == 'x' || name[1] == 'X';
  std::string_view digits = name.substr(hex ? 2 : 1);
  unsigned long cp = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
  if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty() || cp > 0x10FFFF)
    return std::nullopt;
  std::string out;
  append_utf8(out, static_cast<std::uint32_t>(cp));
  return out;
}

} // namespace

std::string xml_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '&') {
      size_t semi = text.find(';', i + 1);
      if (semi != std::string_view::npos && semi - i <= 10) {
        if (auto r = entity(text.substr(i + 1, semi - i - 1))) {
          out += *r;
          i = semi;
          continue;
        }
      }
    }
    out += text[i];
  }
  return out;
}

std::optional<std::string> xml_element(std::string_view xml, std::string_view tag) {
  std::string open = "<" + std::string(tag) + ">";
  std::string close = "</" + std::string(tag) + ">";
  size_t start = xml.find(open);
  if (start == std::string_view::npos)
    return std::nullopt;
  start += open.size();
  size_t end = xml.find(close, start);
  if (end == std::string_view::npos)
    return std::nullopt;
  return xml_unescape(xml.substr(start, end - start));
}

std::optional<error_body> parse_error(std::string_view body) {
  if (body.find("<Error>") == std::string_view::npos)
    return std::nullopt;
  auto code = xml_element(body, "Code");
  if (!code)
    return std::nullopt;
  return error_body{*code, xml_element(body, "Message").value_or("")};
}

std::string describe_failure(std::string_view what, long status, std::string_view body) {
  std::string out = std::string(what) + ": HTTP " + std::to_string(status);
  if (auto err = parse_error(body)) {
    out += ' ' + err->code;
    if (!err->message.empty())
      out += ": " + err->message;
  } else if (body.empty()) {
    out += " (no error body)";
  } else {
    constexpr size_t shown = 200;
    out += ": " + std::string(body.substr(0, shown));
    if (body.size() > shown)
      out += "...";
  }
  return out;
}

namespace {

// "2026-01-01T00:00:00.000Z" as ms since the epoch; -1 when it is not that.
std::int64_t iso8601_ms(const std::string& text) {
  std::tm tm{};
  int ms = 0, used = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used)
      != 6)
    return -1;
  if (text[static_cast<size_t>(used)] == '.')
    std::sscanf(text.c_str() + used, ".%3d", &ms);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000 + ms;
}

} // namespace

expected<list_page> parse_list_page(std::string_view body) {
  if (body.find("<ListBucketResult") == std::string_view::npos)
    return error{"not a ListObjectsV2 reply: " + std::string(body.substr(0, 200))};
  list_page page;
  // Only <Contents> carries <Key>; CommonPrefixes use <Prefix>.
  for (size_t at = body.find("<Contents>"); at != std::string_view::npos;
       at = body.find("<Contents>", at + 1)) {
    size_t end = body.find("</Contents>", at);
    if (end == std::string_view::npos)
      return error{"ListObjectsV2 reply cut short inside <Contents>"};
    auto key = xml_element(body.substr(at, end - at), "Key");
    if (!key)
      return error{"ListObjectsV2 <Contents> without <Key>"};
    page.keys.push_back(std::move(*key));
    page.modified_ms.push_back(
      iso8601_ms(xml_element(body.substr(at, end - at), "LastModified").value_or("")));
  }
  page.truncated = xml_element(body, "IsTruncated").value_or("false") == "true";
  if (page.truncated) {
    auto token = xml_element(body, "NextContinuationToken");
    if (!token || token->empty())
      return error{"ListObjectsV2 reply is truncated but has no NextContinuationToken"};
    page.next_token = std::move(*token);
  }
  return page;
}

std::string complete_multipart_body(const std::vector<std::string>& etags) {
  std::string out = "<CompleteMultipartUpload>";
  for (size_t i = 0; i < etags.size(); ++i) {
    out += "<Part><PartNumber>" + std::to_string(i + 1) + "</PartNumber><ETag>"
           + xml_escape(etags[i]) + "</ETag></Part>";
  }
  out += "</CompleteMultipartUpload>";
  return out;
}

} // namespace weir::s3
