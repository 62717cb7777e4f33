#include "jobs/sql/pg_parser.hpp"

#include <pg_query.h>

namespace weir::jobs::sql {

expected<parse_output> parse_tree(std::string_view text) {
  std::string input{text}; // the library wants a NUL-terminated string
  PgQueryParseResult r = pg_query_parse(input.c_str());
  parse_output out;
  if (r.error) {
    out.error = r.error->message ? r.error->message : "syntax error";
    // cursorpos counts from 1; 0 means "no position".
    out.error_offset = r.error->cursorpos > 0 ? r.error->cursorpos - 1 : 0;
  } else if (r.parse_tree) {
    out.json = r.parse_tree;
  } else {
    pg_query_free_parse_result(r);
    return error{"libpg_query returned neither a tree nor an error"};
  }
  pg_query_free_parse_result(r);
  return out;
}

} // namespace weir::jobs::sql
