// The YAML spec parser on arbitrary text.
#include "round_trip.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  if (auto spec = weir::jobs::parse_spec(text, "fuzz.yaml"))
    check_round_trip(*spec);
  return 0;
}
