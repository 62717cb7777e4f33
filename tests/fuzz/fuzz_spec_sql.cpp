// The SQL front end on arbitrary text (through PostgreSQL's parser).
#include "jobs/sql/front_end.hpp"
#include "round_trip.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // libpg_query reads a C string: an embedded NUL ends it, which the front end
  // passes on as is; the error caret must still stay inside the text.
  std::string text{reinterpret_cast<const char*>(data), size};
  if (auto spec = weir::jobs::sql::parse_sql(text, "fuzz.sql"))
    check_round_trip(*spec);
  return 0;
}
