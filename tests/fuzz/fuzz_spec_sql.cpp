// The SQL front end on arbitrary text (through PostgreSQL's parser), and
// the Flink respelling in front of it, which must keep the text's length
// (every offset an error reports points into the text as written).
#include "jobs/sql/flink.hpp"
#include "jobs/sql/front_end.hpp"
#include "jobs/sql/translator.hpp"
#include "round_trip.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // libpg_query reads a C string: an embedded NUL ends it, which the front end
  // passes on as is; the error caret must still stay inside the text.
  std::string text{reinterpret_cast<const char*>(data), size};
  try {
    const auto out = weir::jobs::sql::respell_flink(text);
    if (out.text.size() != text.size())
      std::abort();
    for (const auto& w : out.watermarks)
      if (w.at < 0 || static_cast<std::size_t>(w.at) >= text.size())
        std::abort();
  } catch (const weir::jobs::sql::failure& f) {
    if (f.offset < 0 || static_cast<std::size_t>(f.offset) > text.size())
      std::abort();
  }
  if (auto spec = weir::jobs::sql::parse_sql(text, "fuzz.sql"))
    check_round_trip(*spec);
  return 0;
}
