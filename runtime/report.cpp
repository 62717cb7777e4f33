#include "runtime/report.hpp"

#include "base/bounded_unpack.hpp"

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>

namespace weir {

namespace {

// A figure a worker can report is finite and far below 2^63. Refusing the
// rest keeps NaN out of the API's JSON, and keeps msgpack-c's pack_double,
// whose integer test converts 2^64 to uint64 (undefined), away from them.
bool plausible(double x) {
  return std::isfinite(x) && std::fabs(x) < 0x1p62;
}

bool plausible(const metrics::snapshot& s) {
  for (const auto& m : s.samples)
    if (!plausible(m.value) || !plausible(m.sum))
      return false;
  return true;
}

bool plausible(const worker_report& r) {
  if (!plausible(r.cpu_seconds) || !plausible(r.rss_bytes) || !plausible(r.worker))
    return false;
  for (const auto& j : r.jobs)
    if (!plausible(j.source) || !plausible(j.sink))
      return false;
  return true;
}

} // namespace

std::string pack_report(const worker_report& r) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, r);
  return {buf.data(), buf.size()};
}

expected<worker_report> unpack_report(const std::string& bytes) {
  return guarded("worker report", [&] {
    auto handle = unpack_bounded(bytes);
    auto r = handle.get().as<worker_report>();
    if (!plausible(r))
      throw std::invalid_argument("a figure is not finite or out of range");
    return r;
  });
}

process_usage read_process_usage() {
  process_usage u;
  // /proc/self/stat: fields 14 and 15 are utime and stime in clock ticks;
  // field 2 (the command) is in parentheses and may hold spaces.
  std::ifstream stat{"/proc/self/stat"};
  std::string line;
  if (std::getline(stat, line)) {
    auto close = line.rfind(')');
    if (close != std::string::npos) {
      std::istringstream rest{line.substr(close + 2)};
      std::string field;
      unsigned long long utime = 0, stime = 0;
      for (int i = 3; i <= 15 && rest >> field; ++i) {
        if (i == 14)
          utime = std::stoull(field);
        if (i == 15)
          stime = std::stoull(field);
      }
      u.cpu_seconds =
        static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  std::ifstream statm{"/proc/self/statm"};
  unsigned long long size = 0, resident = 0;
  if (statm >> size >> resident)
    u.rss_bytes = static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
  return u;
}

} // namespace weir
