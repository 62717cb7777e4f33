#include "runtime/report.hpp"

#include "base/bounded_unpack.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>

namespace weir {

std::string pack_report(const worker_report& r) {
  msgpack::sbuffer buf;
  msgpack::pack(buf, r);
  return {buf.data(), buf.size()};
}

expected<worker_report> unpack_report(const std::string& bytes) {
  return guarded("worker report", [&] {
    auto handle = unpack_bounded(bytes);
    return handle.get().as<worker_report>();
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
      u.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  std::ifstream statm{"/proc/self/statm"};
  unsigned long long size = 0, resident = 0;
  if (statm >> size >> resident)
    u.rss_bytes = static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
  return u;
}

} // namespace weir
