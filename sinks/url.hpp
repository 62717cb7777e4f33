// The user, password and database parts of the stores' URLs.
#pragma once

#include <string>
#include <string_view>

namespace weir::sinks {

// %XX escapes of a URL's user, password or database decoded.
std::string percent_decode(std::string_view s);

// Takes "user[:password]@" off the front of a URL's authority, decoded;
// false (and nothing taken) if it has none.
bool take_userinfo(std::string_view& authority, std::string& user, std::string& password);

} // namespace weir::sinks
