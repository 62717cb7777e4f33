// What crosses the network between weir processes, as the receiving process
// reads it: the first byte picks the type, the rest are its bytes. The CAF
// wire types go through CAF's binary deserializer with weir's inspect
// functions (runtime/wire.hpp); a worker's report is msgpack, bounded
// (runtime/report.hpp). A value that reads must write and read back to the
// same bytes.
#include "runtime/report.hpp"
#include "runtime/wire.hpp"

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

using namespace weir;

template <class T>
std::vector<char> write(T& x) {
  std::vector<char> out;
  caf::binary_serializer sink{nullptr, out};
  if (auto err = sink(x))
    std::abort(); // what was read must write
  return out;
}

// Reads a T from the bytes; when it reads, checks write(read(write(x))) == write(x).
template <class T>
void round_trip(const char* data, std::size_t size) {
  T x;
  caf::binary_deserializer source{nullptr, data, size};
  if (source(x))
    return;
  auto once = write(x);
  T y;
  caf::binary_deserializer again{nullptr, once.data(), once.size()};
  if (again(y) || write(y) != once)
    std::abort();
}

void report(const char* data, std::size_t size) {
  auto r = unpack_report(std::string{data, size});
  if (!r)
    return;
  auto once = pack_report(*r);
  auto back = unpack_report(once);
  if (!back || pack_report(*back) != once)
    std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes, std::size_t size) {
  if (size == 0)
    return 0;
  const auto* data = reinterpret_cast<const char*>(bytes) + 1;
  const auto n = size - 1;
  switch (bytes[0] % 11) {
    case 0: round_trip<worker_info>(data, n); break;
    case 1: round_trip<auth_challenge>(data, n); break;
    case 2: round_trip<submit_reply>(data, n); break;
    case 3: round_trip<cluster_status>(data, n); break;
    case 4: round_trip<std::vector<partition_checkpoint>>(data, n); break;
    case 5: round_trip<std::vector<partition_handoff>>(data, n); break;
    case 6: round_trip<drain_reply>(data, n); break;
    case 7: round_trip<run_outcome>(data, n); break;
    case 8: round_trip<std::vector<worker_status>>(data, n); break;
    case 9: round_trip<job_status>(data, n); break;
    default: report(data, n); break;
  }
  return 0;
}
