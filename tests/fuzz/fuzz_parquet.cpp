// The Parquet writer (lib/parquet/): a case decoded from the input
// (parquet_case.hpp) is written whole. Every row fits its schema and must
// be taken; a row that does not must be refused and change nothing; the
// file must frame as Parquet (magic at both ends, a footer inside it), and
// writing the same case again gives the same bytes. Whether readers agree
// with what was written is checked apart, by pyarrow and duckdb over the
// kept corpus (CTest parquet.fuzz_corpus).
#include "tests/fuzz/parquet_case.hpp"

#include <cstdio>
#include <cstdlib>

namespace {

using namespace weir;

[[noreturn]] void fail(const char* what, const std::string& detail = {}) {
  std::fprintf(stderr, "fuzz_parquet: %s %s\n", what, detail.c_str());
  std::abort();
}

std::string write(const fuzz::parquet_case& c) {
  auto w = parquet::writer::make(c.schema, c.codec, c.row_group_rows);
  if (!w)
    fail("make refused a valid schema:", w.error_message());
  std::vector<parquet::writer::value> values;
  for (const auto& row : c.rows) {
    fuzz::as_values(row, values);
    if (auto ok = w->append(values); !ok)
      fail("a row that fits was refused:", ok.error_message());
    // One value short: refused, and the writer as it was.
    values.pop_back();
    const auto before = w->rows();
    if (w->append(values))
      fail("a row one value short was taken");
    if (w->rows() != before)
      fail("a refused row changed the row count");
  }
  if (w->rows() != c.rows.size())
    fail("row count", std::to_string(w->rows()));
  auto file = w->finish();
  if (!file)
    fail("finish failed:", file.error_message());
  return std::move(*file);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto c = fuzz::decode_parquet_case({reinterpret_cast<const char*>(data), size});
  const auto file = write(c);
  if (file.size() < 12 || file.compare(0, 4, "PAR1") != 0
      || file.compare(file.size() - 4, 4, "PAR1") != 0)
    fail("no Parquet magic at both ends");
  std::uint32_t footer = 0;
  std::memcpy(&footer, file.data() + file.size() - 8, 4);
  if (footer == 0 || footer > file.size() - 12)
    fail("footer length out of the file", std::to_string(footer));
  if (write(c) != file)
    fail("the same case wrote other bytes");
  return 0;
}
