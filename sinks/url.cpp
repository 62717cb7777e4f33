#include "sinks/url.hpp"

namespace weir::sinks {

namespace {

int hex_digit(char c) {
  return c >= '0' && c <= '9'   ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

} // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_digit(s[i + 1]) >= 0 && hex_digit(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

bool take_userinfo(std::string_view& authority, std::string& user, std::string& password) {
  auto at = authority.rfind('@');
  if (at == std::string_view::npos)
    return false;
  auto userinfo = authority.substr(0, at);
  authority.remove_prefix(at + 1);
  auto colon = userinfo.find(':');
  user = percent_decode(userinfo.substr(0, colon));
  if (colon != std::string_view::npos)
    password = percent_decode(userinfo.substr(colon + 1));
  return true;
}

} // namespace weir::sinks
