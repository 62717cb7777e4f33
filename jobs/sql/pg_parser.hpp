// The one wrapper around libpg_query (PostgreSQL 15's own parser, Debian's
// libpg-query-dev): SQL text in, its parse tree as JSON out. weir's dialect is
// whatever that grammar accepts; the meaning is given in front_end.cpp.
#pragma once

#include "base/expected.hpp"

#include <string>
#include <string_view>

namespace weir::jobs::sql {

struct parse_output {
  std::string json;     // the parse tree, when the text parsed
  std::string error;    // the parser's message, when it did not
  int error_offset = 0; // byte offset of the error in the text
};

// Never throws; an out-of-memory inside the library is reported as an error.
expected<parse_output> parse_tree(std::string_view text);

} // namespace weir::jobs::sql
