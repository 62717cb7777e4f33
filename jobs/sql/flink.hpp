// Flink SQL's spelling, rewritten into PostgreSQL's grammar before the parser
// reads it (docs/sql.md, "Flink SQL as written"). Every rewrite keeps the
// text's length, replacing characters in place or with spaces, so every
// offset the parser or the translator reports still points into the text
// the user wrote. What has no place in PostgreSQL's grammar is taken out and
// handed to the translator on the side: a WATERMARK clause becomes its
// table's watermark_for and watermark_delay options.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace weir::jobs::sql {

// WATERMARK FOR column AS column [- INTERVAL 'n' UNIT] of a CREATE TABLE.
struct flink_watermark {
  std::string table;  // as PostgreSQL names it: folded unless quoted
  std::string column; // likewise
  std::string delay;  // "4 second"; empty: none
  int at = 0;         // offset of WATERMARK
};

// A field of a column declared ROW<...>: its type, which jsonb forgets.
struct flink_field {
  std::string table;
  std::string path; // column.field[.field...], names as PostgreSQL reads them
  std::string type; // Flink's type name, upper case (BIGINT, STRING, ROW, ...)
};

struct respelled {
  std::string text; // as long as the input
  std::vector<flink_watermark> watermarks;
  std::vector<flink_field> fields;
};

// Rewrites, each only where Flink's spelling is not PostgreSQL's:
// - `name` (backticks) -> "name";
// - 'key' = 'value' in WITH (...) -> key = 'value'; a key with dots or
//   dashes is Flink's connector option: refused with weir's counterpart;
//   SET 'a.b' = ... -> SET a.b = ...;
// - ROW<...>, MAP<...>, ARRAY<...> -> jsonb (a ROW's field types returned);
//   DOUBLE -> float8;
//   TIMESTAMP(p) WITH LOCAL TIME ZONE -> timestamp with time zone;
// - WATERMARK FOR ... (taken out, returned);
// - TABLE(TUMBLE|HOP|SESSION|CUMULATE(TABLE t, ...)) -> TUMBLE(t, ...).
// Throws failure{offset, message} (translator.hpp) for what it refuses.
respelled respell_flink(std::string_view text);

} // namespace weir::jobs::sql
