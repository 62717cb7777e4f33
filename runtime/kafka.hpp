// librdkafka behind small RAII wrappers returning expected<> instead of codes.
// The consumer uses explicit assignment: weir owns its offsets (partitions are
// the unit of state), so there is no consumer-group rebalancing to fight.
#pragma once

#include "base/expected.hpp"

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace weir::kafka {

using config_map = std::map<std::string, std::string>;

struct handle_deleter {
  void operator()(rd_kafka_t* rk) const;
};
using handle_ptr = std::unique_ptr<rd_kafka_t, handle_deleter>;

struct queue_deleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};

// Number of partitions of `topic`, asking the cluster at `brokers`.
expected<std::int32_t> partition_count(const std::string& brokers, const std::string& topic,
                                       int timeout_ms = 5000);

// Low and high watermark offsets of one partition.
expected<std::pair<std::int64_t, std::int64_t>> watermark_offsets(rd_kafka_t* rk,
                                                                  const std::string& topic,
                                                                  std::int32_t partition,
                                                                  int timeout_ms = 5000);

class consumer {
public:
  static expected<consumer> make(const std::string& brokers, const config_map& extra = {});

  // Adds these (partition, start offset) pairs to the assignment, and removes
  // these partitions from it; partitions in neither keep their fetch position.
  expected<void> reassign(const std::string& topic,
                          const std::vector<std::pair<std::int32_t, std::int64_t>>& add,
                          const std::vector<std::int32_t>& remove);

  // Replaces the assignment with exactly these (partition, start offset) pairs.
  expected<void> assign(const std::string& topic,
                        const std::vector<std::pair<std::int32_t, std::int64_t>>& parts);

  // Stops fetching a partition, which stays assigned.
  expected<void> pause(const std::string& topic, std::int32_t partition);

  // Connects and loads `topic`'s metadata now, so that partitions assigned
  // later start fetching without that delay.
  expected<void> warm_up(const std::string& topic, int timeout_ms = 5000);

  // Up to out.size() messages; caller must release them with release().
  size_t poll(std::vector<rd_kafka_message_t*>& out, int timeout_ms);
  static void release(std::vector<rd_kafka_message_t*>& msgs, size_t n);

  // The partition's end as the last fetch response gave it (no request to
  // the broker); -1 before the first one.
  std::int64_t high_watermark(const std::string& topic, std::int32_t partition) const;

  rd_kafka_t* raw() const { return rk_.get(); }

private:
  handle_ptr rk_;
  std::unique_ptr<rd_kafka_queue_t, queue_deleter> queue_;
};

class producer {
public:
  static expected<producer> make(const std::string& brokers, const config_map& extra = {});

  // Enqueues one message; blocks (polling delivery reports) while the local
  // queue is full. partition < 0 lets the partitioner pick by key.
  using headers = std::vector<std::pair<std::string_view, std::string_view>>;
  expected<void> send(const std::string& topic, std::int32_t partition, std::string_view key,
                      std::string_view value, const headers& hdrs = {});

  // Waits for every enqueued message to be acknowledged; the error names how
  // many failed.
  expected<void> flush(int timeout_ms);

  rd_kafka_t* raw() const { return rk_.get(); }

private:
  handle_ptr rk_;
  std::shared_ptr<std::uint64_t> failed_; // delivery failures seen by the callback
};

// Creates `topic` with `partitions` partitions unless it exists.
expected<void> ensure_topic(const std::string& brokers, const std::string& topic,
                            std::int32_t partitions, int timeout_ms = 10000);

} // namespace weir::kafka
