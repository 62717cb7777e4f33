// Reproducible event generators for the seed pipelines (bets, user actions,
// the shop of seed 002, the social network of seed 003) and for Nexmark, the
// benchmark stream processors publish (docs/benchmarks.md, "Nexmark events").
// The same seed gives the same events, so a test can regenerate them.
#pragma once

#include "jobs/spec.hpp"

#include <cstdint>
#include <string>

namespace weir::jobs {

// splitmix64: tiny, fast and identical everywhere (std distributions are not).
class rng {
public:
  explicit rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; } // [0, 1)
  std::uint64_t below(std::uint64_t n) { return next() % n; }

private:
  std::uint64_t s_;
};

struct generator_options {
  std::uint64_t seed = 42;
  millis start = 1767225600000; // 2026-01-01T00:00:00Z
  double step = 1;              // event-time advance per event, in ms
  millis disorder = 0;          // events jitter up to this much into the past
};

enum class event_kind { bets, user_actions, shop, social, nexmark };

// Writes the next event's Kafka key and JSON value into the reused strings.
class event_generator {
public:
  event_generator(event_kind kind, const generator_options& opts)
    : kind_(kind), opts_(opts), rng_(opts.seed) {}
  void next(std::string& key, std::string& value);
  std::uint64_t produced() const { return n_; }
  // Nexmark fills partitions round-robin, as its published runs do; the
  // seeds' events go by key.
  bool round_robin() const { return kind_ == event_kind::nexmark; }

private:
  void bet(std::uint64_t n, std::string& key, std::string& value);
  void user_action(std::uint64_t n, std::string& key, std::string& value);
  // Seed 002: registrations and orders keyed by user_id, product reviews by
  // product_id (so a product's reviews live in one partition).
  void shop(std::uint64_t n, std::string& key, std::string& value);
  // Seed 003: posts, comments and reactions in communities and community
  // joins, keyed by community_id (a community's events live in one
  // partition); friendships keyed by user_id.
  void social(std::uint64_t n, std::string& key, std::string& value);
  // Nexmark: persons, auctions and bids, 1 : 3 : 46, one JSON shape
  // {event_type, person, auction, bid} (docs/benchmarks.md).
  void nexmark(std::uint64_t n, std::string& value);

  event_kind kind_;
  generator_options opts_;
  rng rng_;
  std::uint64_t n_ = 0;
};

// "2026-01-01T00:00:00.000Z" for a millisecond timestamp.
void append_iso8601(std::string& out, millis t);

// Nexmark's ids of event n: persons and auctions are numbered from 1000 in
// the order they appear in the stream (n % 50: 0 a person, 1..3 auctions,
// the rest bids).
namespace nexmark {
inline constexpr std::uint64_t first_id = 1000, first_category = 10, categories = 5;
std::uint64_t persons_before(std::uint64_t n);  // person events among 0..n-1
std::uint64_t auctions_before(std::uint64_t n); // auction events among 0..n-1
} // namespace nexmark

} // namespace weir::jobs
