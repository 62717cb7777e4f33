#include "jobs/generators.hpp"

#include <cmath>
#include <cstdio>

namespace weir::jobs {

namespace {

// Civil date from days since the epoch (H. Hinnant's algorithm).
void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

millis event_time(const generator_options& o, std::uint64_t n, rng& r) {
  millis t = o.start + static_cast<millis>(std::floor(static_cast<double>(n) * o.step));
  if (o.disorder > 0)
    t -= static_cast<millis>(r.below(static_cast<std::uint64_t>(o.disorder) + 1));
  return t;
}

const char* const currencies[] = {"USD", "EUR", "RUB", "GBP"};
const char* const statuses[] = {"placed", "won", "lost", "cancelled"};

} // namespace

void append_iso8601(std::string& out, millis t) {
  std::int64_t days = t >= 0 ? t / 86'400'000 : (t - 86'399'999) / 86'400'000;
  millis rem = t - days * 86'400'000;
  int y;
  unsigned mo, d;
  civil_from_days(days, y, mo, d);
  char buf[32];
  int len = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", y, mo, d,
                          static_cast<int>(rem / 3'600'000), static_cast<int>(rem / 60'000 % 60),
                          static_cast<int>(rem / 1000 % 60), static_cast<int>(rem % 1000));
  out.append(buf, static_cast<size_t>(len));
}

void event_generator::next(std::string& key, std::string& value) {
  const auto n = n_++;
  switch (kind_) {
    case event_kind::bets: bet(n, key, value); break;
    case event_kind::user_actions: user_action(n, key, value); break;
    case event_kind::shop: shop(n, key, value); break;
    case event_kind::social: social(n, key, value); break;
  }
}

void event_generator::bet(std::uint64_t n, std::string& key, std::string& value) {
  const millis t = event_time(opts_, n, rng_);
  const auto user = 1 + rng_.below(100'000);
  // Game popularity is skewed (a few games take most bets) so "top games" means something.
  const auto game = 1 + static_cast<unsigned>(50 * std::pow(rng_.uniform(), 2.5));
  const double amount = std::round(std::exp(rng_.uniform() * std::log(1000.0)) * 100) / 100;
  const double odds = std::round((1.1 + rng_.uniform() * 8.9) * 100) / 100;
  const auto r = rng_.uniform();
  const char* status = statuses[r < 0.2 ? 0 : r < 0.5 ? 1 : r < 0.95 ? 2 : 3];
  const char* currency = currencies[rng_.below(4)];
  key = std::to_string(user);
  char buf[256];
  int len =
    std::snprintf(buf, sizeof buf,
                  "{\"bet_id\":\"%016llx\",\"user_id\":%llu,\"game_id\":%u,"
                  "\"amount\":%.2f,\"currency\":\"%s\",\"odds\":%.2f,\"status\":\"%s\","
                  "\"timestamp\":\"",
                  static_cast<unsigned long long>(opts_.seed * 1'000'003 + n),
                  static_cast<unsigned long long>(user), game, amount, currency, odds, status);
  value.assign(buf, static_cast<size_t>(len));
  append_iso8601(value, t);
  value += "\"}";
}

void event_generator::user_action(std::uint64_t n, std::string& key, std::string& value) {
  static const char* const platforms[] = {"ios", "android", "web"};
  const millis t = event_time(opts_, n, rng_);
  const auto user = 1 + rng_.below(30'000'000);
  const auto action = rng_.below(153);
  const char* platform = platforms[rng_.below(3)];
  const auto version_minor = rng_.below(20);
  const auto screen = rng_.below(40);
  key = std::to_string(user);
  char buf[384];
  int len = std::snprintf(
    buf, sizeof buf,
    "{\"event_id\":\"%016llx\",\"user_id\":%llu,\"action_type\":\"action_%03llu\","
    "\"metadata\":{\"screen\":\"screen_%llu\",\"session_id\":\"%08llx\"},"
    "\"device_info\":{\"platform\":\"%s\",\"app_version\":\"5.%llu.0\"},\"timestamp\":\"",
    static_cast<unsigned long long>(opts_.seed * 1'000'003 + n),
    static_cast<unsigned long long>(user), static_cast<unsigned long long>(action),
    static_cast<unsigned long long>(screen),
    static_cast<unsigned long long>(rng_.next() & 0xffffffffULL), platform,
    static_cast<unsigned long long>(version_minor));
  value.assign(buf, static_cast<size_t>(len));
  append_iso8601(value, t);
  value += "\"}";
}

void event_generator::shop(std::uint64_t n, std::string& key, std::string& value) {
  static const char* const countries[] = {"RU", "KZ", "BY", "AM", "UZ"};
  const millis t = event_time(opts_, n, rng_);
  const auto user = 1 + rng_.below(50'000);
  const auto r = rng_.uniform();
  const auto id = static_cast<unsigned long long>(opts_.seed * 1'000'003 + n);
  char buf[256];
  int len;
  if (r < 0.1) {
    key = std::to_string(user);
    len = std::snprintf(buf, sizeof buf,
                        "{\"event_type\":\"user_registered\",\"user_id\":%llu,\"country\":\"%s\","
                        "\"timestamp\":\"",
                        static_cast<unsigned long long>(user), countries[rng_.below(5)]);
  } else if (r < 0.7) {
    // Checks spread log-normally-ish from 1 to 500, in kopecks' precision.
    const double total = std::round(std::exp(rng_.uniform() * std::log(500.0)) * 100) / 100;
    key = std::to_string(user);
    len =
      std::snprintf(buf, sizeof buf,
                    "{\"event_type\":\"order_placed\",\"order_id\":\"%016llx\",\"user_id\":%llu,"
                    "\"items\":%llu,\"total\":%.2f,\"timestamp\":\"",
                    id, static_cast<unsigned long long>(user),
                    static_cast<unsigned long long>(1 + rng_.below(6)), total);
  } else {
    // A few products draw most reviews; ratings lean high, as shops' do.
    const auto product = 1 + static_cast<unsigned>(2000 * std::pow(rng_.uniform(), 2));
    const double u = rng_.uniform();
    const int rating = u < 0.05 ? 1 : u < 0.12 ? 2 : u < 0.25 ? 3 : u < 0.55 ? 4 : 5;
    key = std::to_string(product);
    len = std::snprintf(
      buf, sizeof buf,
      "{\"event_type\":\"product_review\",\"review_id\":\"%016llx\",\"product_id\":%u,"
      "\"user_id\":%llu,\"rating\":%d,\"timestamp\":\"",
      id, product, static_cast<unsigned long long>(user), rating);
  }
  value.assign(buf, static_cast<size_t>(len));
  append_iso8601(value, t);
  value += "\"}";
}

void event_generator::social(std::uint64_t n, std::string& key, std::string& value) {
  static const char* const reactions[] = {"like", "love", "haha", "wow", "sad"};
  const millis t = event_time(opts_, n, rng_);
  const auto user = static_cast<unsigned long long>(1 + rng_.below(20'000));
  // A few communities are busy, most are quiet.
  const auto community = 1 + static_cast<unsigned>(300 * std::pow(rng_.uniform(), 2));
  // A post belongs to its community: post ids are community * 10^6 + k.
  const auto post = static_cast<unsigned long long>(community) * 1'000'000 + rng_.below(500);
  const auto id = static_cast<unsigned long long>(opts_.seed * 1'000'003 + n);
  const auto r = rng_.uniform();
  char buf[256];
  int len;
  key = std::to_string(community);
  if (r < 0.1) {
    len = std::snprintf(buf, sizeof buf,
                        "{\"event_type\":\"post_created\",\"post_id\":%llu,\"community_id\":%u,"
                        "\"user_id\":%llu,\"timestamp\":\"",
                        post, community, user);
  } else if (r < 0.35) {
    len =
      std::snprintf(buf, sizeof buf,
                    "{\"event_type\":\"comment_added\",\"comment_id\":\"%016llx\",\"post_id\":%llu,"
                    "\"community_id\":%u,\"user_id\":%llu,\"timestamp\":\"",
                    id, post, community, user);
  } else if (r < 0.8) {
    len = std::snprintf(buf, sizeof buf,
                        "{\"event_type\":\"reaction_added\",\"post_id\":%llu,\"community_id\":%u,"
                        "\"user_id\":%llu,\"reaction\":\"%s\",\"timestamp\":\"",
                        post, community, user, reactions[rng_.below(5)]);
  } else if (r < 0.9) {
    len = std::snprintf(buf, sizeof buf,
                        "{\"event_type\":\"community_joined\",\"community_id\":%u,\"user_id\":%llu,"
                        "\"timestamp\":\"",
                        community, user);
  } else {
    key = std::to_string(user);
    len =
      std::snprintf(buf, sizeof buf,
                    "{\"event_type\":\"friendship_created\",\"user_id\":%llu,\"friend_id\":%llu,"
                    "\"timestamp\":\"",
                    user, static_cast<unsigned long long>(1 + rng_.below(20'000)));
  }
  value.assign(buf, static_cast<size_t>(len));
  append_iso8601(value, t);
  value += "\"}";
}

} // namespace weir::jobs
