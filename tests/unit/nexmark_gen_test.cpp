// weir gen nexmark's events (jobs/generators.cpp): the published model's
// shape, read back with simdjson as a job would read them.
#include "base/duration.hpp"
#include "jobs/generators.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <map>
#include <string>

using namespace weir;
using namespace weir::jobs;

namespace {

struct tally {
  std::map<std::int64_t, std::uint64_t> kinds;
  std::uint64_t bids = 0, hot_auction_bids = 0, named_channels = 0;
  std::uint64_t min_price = ~0ull, max_price = 0;
};

} // namespace

TEST(NexmarkGen, MixIdsHotSpotsAndPricesFollowTheModel) {
  generator_options opts;
  opts.step = 10;
  event_generator gen{event_kind::nexmark, opts};
  EXPECT_TRUE(gen.round_robin());
  simdjson::dom::parser parser;
  std::string key, value;
  tally t;
  std::uint64_t persons = 0, auctions = 0;
  const std::uint64_t n_events = 50'000;
  for (std::uint64_t n = 0; n < n_events; ++n) {
    gen.next(key, value);
    EXPECT_TRUE(key.empty());
    simdjson::dom::element doc;
    ASSERT_EQ(parser.parse(value).get(doc), simdjson::SUCCESS) << value;
    const auto kind = doc["event_type"].get_int64().value();
    ++t.kinds[kind];
    const char* which = kind == 0 ? "person" : kind == 1 ? "auction" : "bid";
    // Exactly one of the three records, the others null.
    for (const char* field : {"person", "auction", "bid"})
      EXPECT_EQ(doc[field].is_null(), std::string{field} != which) << value;
    auto rec = doc[which];
    const auto time = parse_iso8601(std::string{rec["dateTime"].get_string().value()});
    ASSERT_TRUE(time) << value;
    EXPECT_EQ(*time, opts.start + static_cast<millis>(n * 10));
    if (kind == 0) {
      EXPECT_EQ(rec["id"].get_uint64().value(), nexmark::first_id + persons++);
    } else if (kind == 1) {
      EXPECT_EQ(rec["id"].get_uint64().value(), nexmark::first_id + auctions++);
      const auto category = rec["category"].get_uint64().value();
      EXPECT_GE(category, nexmark::first_category);
      EXPECT_LT(category, nexmark::first_category + nexmark::categories);
      EXPECT_LT(rec["seller"].get_uint64().value(), nexmark::first_id + persons);
      EXPECT_GT(rec["reserve"].get_uint64().value(), rec["initialBid"].get_uint64().value());
      EXPECT_GT(*parse_iso8601(std::string{rec["expires"].get_string().value()}), *time);
    } else {
      ++t.bids;
      const auto auction = rec["auction"].get_uint64().value();
      // Only auctions already in the stream, and among the 100 in flight.
      EXPECT_LT(auction, nexmark::first_id + auctions) << n;
      EXPECT_GE(auction + 100, nexmark::first_id + auctions) << n;
      EXPECT_LT(rec["bidder"].get_uint64().value(), nexmark::first_id + persons);
      // The hot auction: the newest, rounded down to the ratio (2).
      t.hot_auction_bids += auction == nexmark::first_id + (auctions - 1) / 2 * 2;
      const auto price = rec["price"].get_uint64().value();
      t.min_price = std::min(t.min_price, price);
      t.max_price = std::max(t.max_price, price);
      const std::string channel{rec["channel"].get_string().value()};
      t.named_channels += channel.rfind("channel-", 0) != 0;
      // q22 splits the URL's path: three parts between the host and the page.
      const std::string url{rec["url"].get_string().value()};
      ASSERT_EQ(url.rfind("https://www.nexmark.com/", 0), 0u) << url;
      EXPECT_EQ(std::count(url.begin(), url.end(), '/'), 6) << url;
    }
  }
  // 1 : 3 : 46.
  EXPECT_EQ(t.kinds[0], n_events / 50);
  EXPECT_EQ(t.kinds[1], 3 * n_events / 50);
  EXPECT_EQ(t.kinds[2], 46 * n_events / 50);
  // Prices in cents from $1 to $10,000.
  EXPECT_GE(t.min_price, 100u);
  EXPECT_LE(t.max_price, 1'000'000u);
  EXPECT_GT(t.max_price, 500'000u);
  // About half the bids through the named channels, and half to the hot
  // auction (a few more: an auction in flight may be the hot one).
  EXPECT_NEAR(static_cast<double>(t.named_channels) / static_cast<double>(t.bids), 0.5, 0.02);
  EXPECT_NEAR(static_cast<double>(t.hot_auction_bids) / static_cast<double>(t.bids), 0.51, 0.02);
}

TEST(NexmarkGen, TheSameSeedGivesTheSameEvents) {
  generator_options a, b;
  b.seed = 7;
  event_generator x{event_kind::nexmark, a}, y{event_kind::nexmark, a}, z{event_kind::nexmark, b};
  std::string k, vx, vy, vz;
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    x.next(k, vx);
    y.next(k, vy);
    z.next(k, vz);
    ASSERT_EQ(vx, vy);
    differs = differs || vx != vz;
  }
  EXPECT_TRUE(differs);
}

TEST(NexmarkGen, IdsCountTheEventsBefore) {
  EXPECT_EQ(nexmark::persons_before(0), 0u);
  EXPECT_EQ(nexmark::persons_before(1), 1u);
  EXPECT_EQ(nexmark::persons_before(50), 1u);
  EXPECT_EQ(nexmark::persons_before(51), 2u);
  EXPECT_EQ(nexmark::auctions_before(1), 0u);
  EXPECT_EQ(nexmark::auctions_before(2), 1u);
  EXPECT_EQ(nexmark::auctions_before(4), 3u);
  EXPECT_EQ(nexmark::auctions_before(49), 3u);
  EXPECT_EQ(nexmark::auctions_before(52), 4u);
}
