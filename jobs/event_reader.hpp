// Pulls the fields a job needs (event time, key, filter and aggregate inputs)
// out of one JSON event in a single pass. The reader is reused across events:
// after warm-up it allocates nothing per event, which the source's hot loop
// depends on.
#pragma once

#include "jobs/spec.hpp"

#include <simdjson.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::jobs {

enum class read_status {
  ok,
  filtered,
  malformed_json,
  missing_time,
  bad_time,
  missing_key,
  bad_key,
  key_not_string,  // a key part the spec types `string` is another JSON type
  key_not_integer, // a key part the spec types `integer` is not an integral number
  bad_decimal      // a decimal(p, s) aggregate's number has more than p - s integer digits
};

const char* to_string(read_status s);

// One column's input as found in the event (raw jobs).
struct field_value {
  bool present = false; // the field exists and is not null
  bool is_number = false;
  double number = 0;
  std::string_view text; // unescaped string, or the number/boolean literal
};

// Valid until the next call to event_reader::read.
struct event_view {
  millis time = 0;
  std::string_view key;           // key fields joined by key_separator
  const double* values = nullptr; // per aggregate: the numeric input
  const bool* present = nullptr;  // per aggregate: whether there was one
  const std::string_view* texts =
    nullptr;                            // per aggregate: the input as text, data() null if absent
  const field_value* columns = nullptr; // per column of a raw job
  std::string_view partition_key; // source.partitioned_by's value (as written; canonical decimal
                                  // for an integer key), if any
  const std::int64_t* units = nullptr; // per decimal aggregate: the input in 10^-scale units
};

inline constexpr char key_separator = '\x1f';

// A number's text (JSON grammar) as an exact count of 10^-scale units:
// "12.5" at scale 2 is 1250. Digits past the scale are a fraction of a unit:
// refused, or with `round` rounded half away from zero (as PostgreSQL rounds
// into numeric(p, s)). Nothing if the count is no int64.
std::optional<std::int64_t> decimal_units(std::string_view text, int scale, bool round);

std::int64_t power_of_ten(int n); // n <= 18

class event_reader {
public:
  explicit event_reader(const job_spec& spec);

  // `now` is the event time in processing-time mode (and in raw jobs without
  // an event-time field).
  read_status read(std::string_view payload, event_view& out, millis now = 0);

private:
  enum class role : std::uint8_t { time, key, value, filter, column };
  struct use {
    role what;
    std::uint32_t index;
  };
  // The wanted fields as a tree: a path a.b is child b of field a.
  struct field {
    std::string name;
    std::vector<use> uses;       // one JSON field may feed several roles
    std::vector<field> children; // wanted fields inside it, when it is an object
    bool wants_number = false;   // a use other than a key part reads it as a number
  };
  // One field's value as read from the document.
  struct value {
    simdjson::ondemand::json_type type;
    std::string_view text; // unescaped string, or the number/bool literal
    double number = 0;
    bool is_number = false;
  };

  void want(const std::string& path, role what, std::uint32_t index);
  read_status read_fields(simdjson::ondemand::object obj, const std::vector<field>& wanted);
  void apply(const use& u, const value& v);
  bool filter_holds(const filter_spec& f, const value& v) const;
  static std::optional<std::int64_t> integral(const value& v);

  std::vector<field> fields_;
  std::vector<filter_spec> filters_;
  time_format time_fmt_;
  bool processing_time_;
  simdjson::ondemand::parser parser_;
  std::vector<char> padded_;
  std::string key_buf_;
  std::vector<std::string_view> key_parts_;
  std::vector<key_type> key_types_;
  std::vector<std::array<char, 24>> key_ints_; // canonical text of `integer` key parts
  read_status key_status_ = read_status::ok;   // a key part of the wrong JSON type
  int partition_key_part_ = -1;                // the key part source.partitioned_by names
  std::vector<double> values_;
  struct decimal_input {
    int scale = 0;
    std::int64_t limit = 0; // 10^precision; 0: the field is a double
  };
  std::vector<decimal_input> decimals_; // per aggregate
  std::vector<std::int64_t> units_;
  read_status value_status_ = read_status::ok; // a decimal that does not fit
  std::vector<char> present_;                  // vector<bool> has no data()
  std::vector<std::string_view> texts_;
  std::vector<char> filter_seen_;
  std::vector<field_value> columns_;
  millis time_ = 0;
  bool have_time_ = false;
  bool time_bad_ = false;
  bool rejected_ = false;
};

} // namespace weir::jobs
