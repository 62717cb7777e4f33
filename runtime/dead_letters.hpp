// A job's dead-letter topic: events it cannot take (malformed, unfit for its
// columns, too late), each sent as it was read, and rows its store refused
// (as JSON), with headers saying why and where from: weir.reason, weir.job,
// weir.topic, weir.partition, weir.offset.
// At-least-once: a replay sends them again; deduplicate events by partition
// and offset, refused rows by their payload (the rows of one batch share
// its offset, merged rows have partition and offset -1).
#pragma once

#include "base/expected.hpp"
#include "jobs/spec.hpp"
#include "runtime/kafka.hpp"

#include <string>
#include <string_view>

namespace weir {

class dead_letter_queue {
public:
  // Creates the topic (one partition) unless it exists and makes a producer.
  static expected<dead_letter_queue> make(const jobs::job_spec& spec);

  // Enqueues `msg` (its key and payload) with `reason`.
  expected<void> send(const rd_kafka_message_t& msg, std::string_view reason);

  // Enqueues a row a store refused (JSON, no key), with the source partition
  // and offset it stands for (-1: merged from every partition).
  expected<void> send_row(std::int32_t partition, std::int64_t offset, std::string_view row,
                          std::string_view reason);

  // Serves delivery reports; call regularly.
  void serve();

  // Waits until everything enqueued is delivered (or the timeout passes).
  expected<void> flush(int timeout_ms);

  const std::string& topic() const { return topic_; }

private:
  expected<void> send(std::int32_t partition, std::int64_t offset, std::string_view key,
                      std::string_view payload, std::string_view reason);

  dead_letter_queue(kafka::producer p, const jobs::job_spec& spec)
    : producer_(std::move(p)), topic_(spec.dead_letter_topic), job_(spec.name),
      source_topic_(spec.source.topic) {}

  kafka::producer producer_;
  std::string topic_, job_, source_topic_;
};

} // namespace weir
