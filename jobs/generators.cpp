#include "jobs/generators.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

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
    case event_kind::nexmark:
      key.clear();
      nexmark(n, value);
      break;
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

namespace nexmark {

std::uint64_t persons_before(std::uint64_t n) {
  return n / 50 + (n % 50 > 0 ? 1 : 0);
}

std::uint64_t auctions_before(std::uint64_t n) {
  const auto r = n % 50;
  return n / 50 * 3 + (r == 0 ? 0 : std::min<std::uint64_t>(r - 1, 3));
}

} // namespace nexmark

namespace {

// Nexmark's shape, from its published description: a window of active
// persons and auctions in flight, a few of them hot (most bids go to a hot
// auction from a hot bidder, most auctions to a hot seller), prices
// log-uniform from $1 to $10,000 (in cents), channels with URLs whose path
// has three parts (q22 splits them).
constexpr std::uint64_t active_persons = 1000, auctions_in_flight = 100;
constexpr std::uint64_t hot_auction_ratio = 2, hot_bidder_ratio = 4, hot_seller_ratio = 4;
const char* const first_names[] = {"Peter", "Paul",  "Luke", "John",
                                   "Saul",  "Vicky", "Kate", "Julie"};
const char* const last_names[] = {"Shultz",  "Abrams", "Spencer", "White",
                                  "Bartels", "Walton", "Smith",   "Jones"};
const char* const cities[] = {"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland",
                              "Bend",    "Redmond",     "Seattle",       "Kent",  "Cheyenne"};
const char* const states[] = {"AZ", "CA", "ID", "OR", "WA", "WY"};
const char* const channels[] = {"Google", "Facebook", "Baidu", "Apple"};

// Lowercase letters, `len` of them.
void append_word(std::string& out, rng& r, int len) {
  for (int i = 0; i < len; ++i)
    out += static_cast<char>('a' + r.below(26));
}

// Pads the event toward Nexmark's average sizes (person 200 bytes, auction
// 500, bid 100), as its `extra` field does.
void append_extra(std::string& out, rng& r, std::size_t size, std::size_t target) {
  out += ",\"extra\":\"";
  const std::size_t want = size + 12 < target ? target - size - 12 : 0;
  append_word(out, r, static_cast<int>(want / 2 + r.below(want + 1)));
  out += '"';
}

void append_time(std::string& out, millis t) {
  // Flink's JSON format reads TIMESTAMP(3) as "yyyy-MM-dd HH:mm:ss.SSS"; so
  // does weir (UTC).
  const auto at = out.size();
  append_iso8601(out, t);
  out[at + 10] = ' ';
  out.pop_back(); // the Z
}

std::uint64_t price(rng& r) { // cents, $1 to $10,000, log-uniform
  return static_cast<std::uint64_t>(std::llround(std::pow(10.0, r.uniform() * 4.0) * 100.0));
}

// A recent person (the last `active_persons`), or a hot one.
std::uint64_t person_of(std::uint64_t n, rng& r, std::uint64_t hot_ratio) {
  const auto known = std::max<std::uint64_t>(nexmark::persons_before(n), 1);
  if (r.below(hot_ratio) > 0)
    return nexmark::first_id + (known - 1) / hot_ratio * hot_ratio;
  return nexmark::first_id + known - 1 - r.below(std::min(known, active_persons));
}

} // namespace

void event_generator::nexmark(std::uint64_t n, std::string& value) {
  const millis t = event_time(opts_, n, rng_);
  const auto kind = n % 50;
  char buf[256];
  int len;
  value.clear();
  if (kind == 0) {
    const auto id = nexmark::first_id + nexmark::persons_before(n);
    const char* city = cities[rng_.below(std::size(cities))];
    len = std::snprintf(buf, sizeof buf,
                        "{\"event_type\":0,\"person\":{\"id\":%llu,\"name\":\"%s %s\","
                        "\"emailAddress\":\"",
                        static_cast<unsigned long long>(id),
                        first_names[rng_.below(std::size(first_names))],
                        last_names[rng_.below(std::size(last_names))]);
    value.append(buf, static_cast<std::size_t>(len));
    append_word(value, rng_, 7);
    value += '@';
    append_word(value, rng_, 5);
    len = std::snprintf(buf, sizeof buf,
                        ".com\",\"creditCard\":\"%04llu %04llu %04llu %04llu\",\"city\":\"%s\","
                        "\"state\":\"%s\",\"dateTime\":\"",
                        static_cast<unsigned long long>(rng_.below(10000)),
                        static_cast<unsigned long long>(rng_.below(10000)),
                        static_cast<unsigned long long>(rng_.below(10000)),
                        static_cast<unsigned long long>(rng_.below(10000)), city,
                        states[rng_.below(std::size(states))]);
    value.append(buf, static_cast<std::size_t>(len));
    append_time(value, t);
    value += '"';
    append_extra(value, rng_, value.size(), 200);
    value += "},\"auction\":null,\"bid\":null}";
  } else if (kind <= 3) {
    const auto id = nexmark::first_id + nexmark::auctions_before(n);
    const auto initial = price(rng_);
    const auto reserve = initial + price(rng_);
    // Open from a few seconds to a few minutes of event time.
    const auto expires = t + 2'000 + static_cast<millis>(rng_.below(300'000));
    value += "{\"event_type\":1,\"person\":null,\"auction\":{";
    len = std::snprintf(buf, sizeof buf, "\"id\":%llu,\"itemName\":\"",
                        static_cast<unsigned long long>(id));
    value.append(buf, static_cast<std::size_t>(len));
    append_word(value, rng_, 12);
    value += "\",\"description\":\"";
    append_word(value, rng_, 40);
    len = std::snprintf(buf, sizeof buf, "\",\"initialBid\":%llu,\"reserve\":%llu,\"dateTime\":\"",
                        static_cast<unsigned long long>(initial),
                        static_cast<unsigned long long>(reserve));
    value.append(buf, static_cast<std::size_t>(len));
    append_time(value, t);
    value += "\",\"expires\":\"";
    append_time(value, expires);
    len = std::snprintf(buf, sizeof buf, "\",\"seller\":%llu,\"category\":%llu",
                        static_cast<unsigned long long>(person_of(n, rng_, hot_seller_ratio)),
                        static_cast<unsigned long long>(nexmark::first_category
                                                        + rng_.below(nexmark::categories)));
    value.append(buf, static_cast<std::size_t>(len));
    append_extra(value, rng_, value.size(), 500);
    value += "},\"bid\":null}";
  } else {
    // A hot auction (a recent one, rounded down to the ratio), or one of the
    // auctions in flight.
    const auto known = std::max<std::uint64_t>(nexmark::auctions_before(n), 1);
    const auto auction =
      rng_.below(hot_auction_ratio) > 0
        ? nexmark::first_id + (known - 1) / hot_auction_ratio * hot_auction_ratio
        : nexmark::first_id + known - 1 - rng_.below(std::min(known, auctions_in_flight));
    const auto bidder = person_of(n, rng_, hot_bidder_ratio);
    const auto cents = price(rng_);
    value += "{\"event_type\":2,\"person\":null,\"auction\":null,\"bid\":{";
    len = std::snprintf(buf, sizeof buf, "\"auction\":%llu,\"bidder\":%llu,\"price\":%llu,",
                        static_cast<unsigned long long>(auction),
                        static_cast<unsigned long long>(bidder),
                        static_cast<unsigned long long>(cents));
    value.append(buf, static_cast<std::size_t>(len));
    // Half the bids come through the four named channels, the rest through
    // one of 10,000 numbered ones.
    const bool named = rng_.below(2) > 0;
    const auto channel = named ? rng_.below(std::size(channels)) : rng_.below(10'000);
    value += "\"channel\":\"";
    if (named)
      value += channels[channel];
    else
      value += "channel-" + std::to_string(channel);
    value += "\",\"url\":\"https://www.nexmark.com/";
    append_word(value, rng_, 5);
    value += '/';
    append_word(value, rng_, 5);
    value += '/';
    append_word(value, rng_, 5);
    value += "/item.htm?query=1&channel_id=" + std::to_string(channel);
    value += "\",\"dateTime\":\"";
    append_time(value, t);
    value += '"';
    append_extra(value, rng_, value.size(), 100 + 60); // the envelope is the 60
    value += "}}";
  }
}

} // namespace weir::jobs
