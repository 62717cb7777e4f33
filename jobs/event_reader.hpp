// Pulls the fields a job needs (event time, key, aggregate inputs) out of one
// JSON event. The reader is reused across events: after warm-up it allocates
// nothing per event, which the source's hot loop depends on.
#pragma once

#include "jobs/spec.hpp"

#include <simdjson.h>

#include <string>
#include <string_view>
#include <vector>

namespace weir::jobs {

enum class read_status { ok, malformed_json, missing_time, bad_time, missing_key };

const char* to_string(read_status s);

// Valid until the next call to event_reader::read.
struct event_view {
  millis time = 0;
  std::string_view key;       // key fields joined by key_separator
  const double* values = nullptr; // one per aggregate (unused for count)
  const bool* present = nullptr;  // whether that aggregate's field was a number
};

inline constexpr char key_separator = '\x1f';

class event_reader {
public:
  explicit event_reader(const job_spec& spec);

  read_status read(std::string_view payload, event_view& out);

private:
  enum class role : std::uint8_t { time, key, value };
  struct wanted {
    std::string name;
    role what;
    std::uint32_t index;
  };

  read_status read_fields(simdjson::ondemand::document& doc);

  std::vector<wanted> wanted_;
  time_format time_fmt_;
  simdjson::ondemand::parser parser_;
  std::vector<char> padded_;
  std::string key_buf_;
  std::vector<std::string_view> key_parts_;
  std::vector<double> values_;
  std::vector<char> present_; // vector<bool> has no data()
  millis time_ = 0;
  bool have_time_ = false;
  bool time_bad_ = false;
};

} // namespace weir::jobs
