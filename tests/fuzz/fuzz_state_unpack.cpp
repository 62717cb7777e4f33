// State unpacking: the bytes of a checkpoint or of a handoff, as a restoring
// or receiving worker reads them. The first byte picks the reader (windowed
// checkpoint, windowed handoff, raw checkpoint); the rest is the state. A
// state that unpacks must pack again and unpack to the same bytes.
#include "jobs/registry/pipelines.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace {

using namespace weir::jobs;

job_spec windowed_spec() {
  job_spec s;
  s.name = "fuzz";
  s.source.time_field = "ts";
  s.key = {"k"};
  s.window.size = 60'000;
  s.window.slide = 60'000;
  s.aggregations = {{agg_kind::count, "", "n"},
                    {agg_kind::sum, "v", "total"},
                    {agg_kind::count_distinct, "u", "users"},
                    {agg_kind::approx_count_distinct, "u", "approx"}};
  return s;
}

job_spec raw_spec() {
  job_spec s;
  s.name = "fuzz";
  s.columns = {{"id", "id", column_type::string, false}, {"n", "n", column_type::int64, true}};
  s.sink.type = "postgres_raw";
  return s;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static auto windowed = make_pipeline(windowed_spec());
  static auto raw = make_pipeline(raw_spec());
  if (size == 0 || !windowed || !raw)
    return 0;
  std::string_view bytes{reinterpret_cast<const char*>(data) + 1, size - 1};
  const pipeline& pl = data[0] % 3 == 2 ? **raw : **windowed;
  auto part = data[0] % 3 == 1 ? unpack_shipped((*windowed)->kind(), 0, bytes, "fuzz")
                               : pl.restore(0, bytes, "fuzz");
  if (!part)
    return 0;
  auto again = pl.snapshot(**part);
  auto back = pl.restore(0, again, "again");
  if (!back || pl.snapshot(**back) != again) {
    std::fprintf(stderr, "a restored state does not round-trip\n");
    std::abort();
  }
  return 0;
}
