#include "runtime/dead_letters.hpp"

#include <charconv>

namespace weir {

expected<dead_letter_queue> dead_letter_queue::make(const jobs::job_spec& spec) {
  if (auto ok = kafka::ensure_topic(spec.source.brokers, spec.dead_letter_topic, 1); !ok)
    return ok.failure();
  auto producer = kafka::producer::make(spec.source.brokers, {{"linger.ms", "50"}});
  if (!producer)
    return producer.failure();
  return dead_letter_queue{std::move(*producer), spec};
}

expected<void> dead_letter_queue::send(const rd_kafka_message_t& msg, std::string_view reason) {
  return send(msg.partition, msg.offset,
              {static_cast<const char*>(msg.key), msg.key ? msg.key_len : 0},
              {static_cast<const char*>(msg.payload), msg.len}, reason);
}

expected<void> dead_letter_queue::send_row(std::int32_t partition, std::int64_t offset,
                                           std::string_view row, std::string_view reason) {
  return send(partition, offset, {}, row, reason);
}

expected<void> dead_letter_queue::send(std::int32_t from_partition, std::int64_t from_offset,
                                       std::string_view key, std::string_view payload,
                                       std::string_view reason) {
  char partition[16], offset[24];
  auto p_end = std::to_chars(partition, partition + sizeof partition, from_partition).ptr;
  auto o_end = std::to_chars(offset, offset + sizeof offset, from_offset).ptr;
  return producer_.send(topic_, -1, key, payload,
                        {{"weir.reason", reason},
                         {"weir.job", job_},
                         {"weir.topic", source_topic_},
                         {"weir.partition", {partition, static_cast<size_t>(p_end - partition)}},
                         {"weir.offset", {offset, static_cast<size_t>(o_end - offset)}}});
}

void dead_letter_queue::serve() {
  rd_kafka_poll(producer_.raw(), 0);
}

expected<void> dead_letter_queue::flush(int timeout_ms) {
  return producer_.flush(timeout_ms);
}

} // namespace weir
