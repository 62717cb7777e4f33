// Metrics an actor keeps in its own state: counters, gauges and latency
// histograms, plus a flat snapshot of them that can be sent to another actor
// or process (msgpack) and exported later as Prometheus text.
//
// Nothing here is atomic or locked: each metric belongs to one actor, is
// updated only from that actor's handlers and leaves it only as a snapshot in
// a message, so it is only ever touched by one thread at a time.
//
// Typical use:
//
//   struct source_metrics {
//     metrics::counter events;
//     metrics::gauge lag;
//     metrics::histogram poll_latency;
//     metrics::snapshot take() const {
//       metrics::snapshot s;
//       append(s, "events", "Events read.", events);
//       append(s, "lag", "Records behind the partition's end.", lag);
//       append(s, "poll_seconds", "Time per poll.", poll_latency);
//       return s;
//     }
//   };
//
// Names are bare: the exporter (web/prometheus.cpp) prefixes the actor
// (weir_source_) and suffixes counters with _total, so the example's
// counter is weir_source_events_total.
#pragma once

#include <msgpack.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace weir::metrics {

using steady = std::chrono::steady_clock;

class counter {
public:
  void inc(std::uint64_t n = 1) { value_ += n; }
  std::uint64_t value() const { return value_; }

private:
  std::uint64_t value_ = 0;
};

// A double, not an int64: gauges hold counts (queue depth, lag) as well as
// fractions and seconds, a double is exact for integers up to 2^53, and the
// Prometheus exposition format carries every value as a float64 anyway.
class gauge {
public:
  void set(double v) { value_ = v; }
  void add(double d) { value_ += d; }
  double value() const { return value_; }

private:
  double value_ = 0;
};

// Latencies in seconds. The bucket bounds are shared by every histogram, so an
// observation is a search in a constant array and an increment, histograms of
// different actors merge bucket by bucket, and a snapshot need not carry them.
class histogram {
public:
  // Upper bounds (inclusive: Prometheus `le`) of the finite buckets; one more
  // bucket, +Inf, takes everything above the last.
  static constexpr std::array<double, 14> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
  static constexpr std::size_t bucket_count = bounds.size() + 1;

  void observe(double seconds) {
    // NaN would fall into an arbitrary bucket and turn sum() into NaN for good.
    if (std::isnan(seconds))
      return;
    // First bound >= seconds: a value equal to a bound counts in that bucket.
    auto i = std::lower_bound(bounds.begin(), bounds.end(), seconds) - bounds.begin();
    ++buckets_[static_cast<std::size_t>(i)];
    sum_ += seconds;
  }

  void observe(steady::duration d) { observe(std::chrono::duration<double>(d).count()); }

  std::uint64_t count() const {
    std::uint64_t n = 0;
    for (auto b : buckets_)
      n += b;
    return n;
  }

  double sum() const { return sum_; }

  // Observations per bucket (not cumulative); the last is (bounds.back(), +Inf].
  const std::array<std::uint64_t, bucket_count>& buckets() const { return buckets_; }

  // Observations <= each bound, the last being count(): Prometheus `_bucket`.
  std::array<std::uint64_t, bucket_count> cumulative() const {
    std::array<std::uint64_t, bucket_count> out{};
    std::uint64_t running = 0;
    for (std::size_t i = 0; i < bucket_count; ++i)
      out[i] = running += buckets_[i];
    return out;
  }

  void merge(const histogram& o) {
    for (std::size_t i = 0; i < bucket_count; ++i)
      buckets_[i] += o.buckets_[i];
    sum_ += o.sum_;
  }

private:
  std::array<std::uint64_t, bucket_count> buckets_{};
  double sum_ = 0;
};

// Observes the time from construction to destruction into a histogram.
class scoped_timer {
public:
  explicit scoped_timer(histogram& h) : h_(h), start_(steady::now()) {}
  ~scoped_timer() { h_.observe(steady::now() - start_); }
  scoped_timer(const scoped_timer&) = delete;
  scoped_timer& operator=(const scoped_timer&) = delete;

private:
  histogram& h_;
  steady::time_point start_;
};

// Accumulates time spent in a state that begins in one message handler and
// ends in another (e.g. waiting for credits: out of credits in one handler,
// credit granted in a later one), which an RAII scope cannot span. The total
// goes into a counter of nanoseconds: monotonic, so rate() of it is the
// fraction of time spent waiting. Export it with append_seconds.
class stopwatch {
public:
  // Starting while already running keeps the earlier start: the wait began then.
  void start() {
    if (!running_) {
      start_ = steady::now();
      running_ = true;
    }
  }

  // Adds the time since start() to `nanos`; does nothing when not running, so
  // a grant that arrives while not waiting costs nothing.
  void stop(counter& nanos) {
    if (!running_)
      return;
    running_ = false;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(steady::now() - start_).count();
    nanos.inc(static_cast<std::uint64_t>(ns));
  }

  bool running() const { return running_; }

private:
  steady::time_point start_{};
  bool running_ = false;
};

// -- snapshot ---------------------------------------------------------------

enum class kind : std::uint8_t { counter, gauge, histogram };

// One metric, flattened. Counters and gauges use `value`; histograms use
// `buckets` (cumulative, one per histogram::bounds entry and a last one for
// +Inf), `sum` and `count`. Counters travel as double like every Prometheus
// value; they lose precision only beyond 2^53.
struct sample {
  std::string name;
  std::string help;
  kind k = kind::counter;
  double value = 0;
  std::vector<std::uint64_t> buckets;
  double sum = 0;
  std::uint64_t count = 0;
  MSGPACK_DEFINE(name, help, k, value, buckets, sum, count)
};

struct snapshot {
  std::vector<sample> samples;
  MSGPACK_DEFINE(samples)
};

inline void append(snapshot& s, std::string_view name, std::string_view help, const counter& c) {
  s.samples.push_back({std::string(name),
                       std::string(help),
                       kind::counter,
                       static_cast<double>(c.value()),
                       {},
                       0,
                       0});
}

inline void append(snapshot& s, std::string_view name, std::string_view help, const gauge& g) {
  s.samples.push_back({std::string(name), std::string(help), kind::gauge, g.value(), {}, 0, 0});
}

inline void append(snapshot& s, std::string_view name, std::string_view help, const histogram& h) {
  auto cum = h.cumulative();
  s.samples.push_back({std::string(name), std::string(help), kind::histogram, 0,
                       std::vector<std::uint64_t>(cum.begin(), cum.end()), h.sum(), cum.back()});
}

// A counter of nanoseconds (see stopwatch), exported in seconds as Prometheus
// expects of time (name it *_seconds_total).
inline void append_seconds(snapshot& s, std::string_view name, std::string_view help,
                           const counter& nanos) {
  s.samples.push_back({std::string(name),
                       std::string(help),
                       kind::counter,
                       static_cast<double>(nanos.value()) / 1e9,
                       {},
                       0,
                       0});
}

// Adds `from` into `into`, metric by metric (matched by name): counters and
// histograms add up, and so do gauges, which here hold amounts (lag, keys,
// pending batches) that a worker's actors split between them.
inline void merge(snapshot& into, const snapshot& from) {
  for (const auto& s : from.samples) {
    auto it = std::find_if(into.samples.begin(), into.samples.end(),
                           [&](const sample& x) { return x.name == s.name; });
    if (it == into.samples.end()) {
      into.samples.push_back(s);
      continue;
    }
    it->value += s.value;
    it->sum += s.sum;
    it->count += s.count;
    if (it->buckets.size() == s.buckets.size())
      for (size_t i = 0; i < s.buckets.size(); ++i)
        it->buckets[i] += s.buckets[i];
  }
}

} // namespace weir::metrics

MSGPACK_ADD_ENUM(weir::metrics::kind);
