#include "runtime/kafka.hpp"

#include "base/logging.hpp"

#include <chrono>
#include <thread>

WEIR_LOG_MODULE("kafka");

namespace weir::kafka {

void handle_deleter::operator()(rd_kafka_t* rk) const {
  if (rd_kafka_type(rk) == RD_KAFKA_CONSUMER)
    rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
}

namespace {

expected<rd_kafka_conf_t*> make_conf(const std::string& brokers, const config_map& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  char errstr[512];
  auto set = [&](const std::string& k, const std::string& v) {
    return rd_kafka_conf_set(conf, k.c_str(), v.c_str(), errstr, sizeof errstr) == RD_KAFKA_CONF_OK;
  };
  if (!set("bootstrap.servers", brokers)) {
    rd_kafka_conf_destroy(conf);
    return error{std::string{"kafka config bootstrap.servers: "} + errstr};
  }
  for (const auto& [k, v] : settings)
    if (!set(k, v)) {
      rd_kafka_conf_destroy(conf);
      return error{"kafka config " + k + "=" + v + ": " + errstr};
    }
  return conf;
}

// `defaults` overridden by `extra`, as a librdkafka configuration.
expected<rd_kafka_conf_t*> make_conf(const std::string& brokers, config_map defaults,
                                     const config_map& extra) {
  for (const auto& [k, v] : extra)
    defaults[k] = v;
  return make_conf(brokers, defaults);
}

expected<handle_ptr> make_handle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return error{std::string{"kafka client: "} + errstr};
  }
  return handle_ptr{rk};
}

} // namespace

namespace {

// Partition count of `topic` as the cluster behind `rk` reports it.
expected<std::int32_t> topic_partitions(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk, 0, rkt, &md, timeout_ms);
  rd_kafka_topic_destroy(rkt);
  if (err)
    return error{"kafka metadata for topic '" + topic + "': " + rd_kafka_err2str(err)};
  std::int32_t n = -1;
  std::string why;
  if (md->topic_cnt == 1) {
    if (md->topics[0].err)
      why = rd_kafka_err2str(md->topics[0].err);
    else
      n = md->topics[0].partition_cnt;
  }
  rd_kafka_metadata_destroy(md);
  if (n <= 0)
    return error{"kafka topic '" + topic + "': " + (why.empty() ? "no partitions" : why)};
  return n;
}

// A plain handle for metadata and admin requests.
expected<handle_ptr> admin_handle(const std::string& brokers) {
  auto conf = make_conf(brokers, {});
  if (!conf)
    return conf.failure();
  return make_handle(RD_KAFKA_PRODUCER, *conf);
}

} // namespace

expected<std::int32_t> partition_count(const std::string& brokers, const std::string& topic,
                                       int timeout_ms) {
  auto rk = admin_handle(brokers);
  if (!rk)
    return rk.failure();
  auto n = topic_partitions(rk->get(), topic, timeout_ms);
  if (!n)
    return error{n.error_message() + " (brokers " + brokers + ")"};
  return n;
}

expected<void> consumer::warm_up(const std::string& topic, int timeout_ms) {
  auto n = topic_partitions(rk_.get(), topic, timeout_ms);
  if (!n)
    return n.failure();
  return {};
}

std::int64_t consumer::high_watermark(const std::string& topic, std::int32_t partition) const {
  std::int64_t lo = -1, hi = -1;
  if (rd_kafka_get_watermark_offsets(rk_.get(), topic.c_str(), partition, &lo, &hi))
    return -1;
  return hi;
}

expected<std::pair<std::int64_t, std::int64_t>> watermark_offsets(rd_kafka_t* rk,
                                                                  const std::string& topic,
                                                                  std::int32_t partition,
                                                                  int timeout_ms) {
  std::int64_t lo = 0, hi = 0;
  auto err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &lo, &hi, timeout_ms);
  if (err)
    return error{"kafka watermark offsets of " + topic + "/" + std::to_string(partition) + ": "
                 + rd_kafka_err2str(err)};
  return std::make_pair(lo, hi);
}

expected<consumer> consumer::make(const std::string& brokers, const config_map& extra) {
  // Offsets are weir's (checkpointed with state), never the group's, so auto
  // commit and auto store are off; group.id is still mandatory for a consumer.
  config_map settings{
    {"group.id", "weir"},
    {"enable.auto.commit", "false"},
    {"enable.auto.offset.store", "false"},
    {"enable.partition.eof", "false"},
    // An offset retention deleted is an error for the source to handle by
    // the job's on_missing_offsets policy, never a silent jump to the end.
    {"auto.offset.reset", "error"},
    {"fetch.min.bytes", "65536"},
    // Bounds how long a partition just assigned waits behind a fetch already
    // in flight: part of the pause of a moved partition.
    {"fetch.wait.max.ms", "50"},
    {"max.partition.fetch.bytes", "4194304"},
    {"queued.max.messages.kbytes", "65536"},
    // librdkafka 2.0 stops fetching a partition once this many messages are
    // queued and resumes only after a long back-off, so a consumer that pauses
    // between polls (to process) ran at a sixth of the drain rate. The byte cap
    // above bounds memory instead.
    {"queued.min.messages", "1000000"},
  };
  auto conf = make_conf(brokers, std::move(settings), extra);
  if (!conf)
    return conf.failure();
  auto rk = make_handle(RD_KAFKA_CONSUMER, *conf);
  if (!rk)
    return rk.failure();
  consumer c;
  c.rk_ = std::move(*rk);
  c.queue_.reset(rd_kafka_queue_get_consumer(c.rk_.get()));
  return c;
}

expected<void> consumer::pause(const std::string& topic, std::int32_t partition) {
  auto* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, topic.c_str(), partition);
  auto err = rd_kafka_pause_partitions(rk_.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err)
    return error{std::string{"kafka pause: "} + rd_kafka_err2str(err)};
  return {};
}

expected<void> consumer::assign(const std::string& topic,
                                const std::vector<std::pair<std::int32_t, std::int64_t>>& parts) {
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(parts.size()));
  for (auto [p, off] : parts)
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = off;
  auto err = rd_kafka_assign(rk_.get(), list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err)
    return error{std::string{"kafka assign: "} + rd_kafka_err2str(err)};
  return {};
}

expected<void> consumer::reassign(const std::string& topic,
                                  const std::vector<std::pair<std::int32_t, std::int64_t>>& add,
                                  const std::vector<std::int32_t>& remove) {
  // Incremental changes: re-assigning everything stops and restarts partitions
  // that stay, which librdkafka 2.0 can trip over (an assertion in
  // rd_kafka_assignment_partition_stopped) when assignments change quickly.
  auto run = [&](auto fn, rd_kafka_topic_partition_list_t* list,
                 const char* what) -> expected<void> {
    rd_kafka_error_t* err = fn(rk_.get(), list);
    rd_kafka_topic_partition_list_destroy(list);
    if (err) {
      std::string msg = std::string{"kafka "} + what + ": " + rd_kafka_error_string(err);
      rd_kafka_error_destroy(err);
      return error{msg};
    }
    return {};
  };
  if (!remove.empty()) {
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(remove.size()));
    for (auto p : remove)
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p);
    if (auto ok = run(rd_kafka_incremental_unassign, list, "unassign"); !ok)
      return ok;
  }
  if (!add.empty()) {
    auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(add.size()));
    for (auto [p, off] : add)
      rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = off;
    if (auto ok = run(rd_kafka_incremental_assign, list, "assign"); !ok)
      return ok;
  }
  return {};
}

size_t consumer::poll(std::vector<rd_kafka_message_t*>& out, int timeout_ms) {
  auto n = rd_kafka_consume_batch_queue(queue_.get(), timeout_ms, out.data(), out.size());
  return n < 0 ? 0 : static_cast<size_t>(n);
}

void consumer::release(std::vector<rd_kafka_message_t*>& msgs, size_t n) {
  for (size_t i = 0; i < n; ++i)
    rd_kafka_message_destroy(msgs[i]);
}

namespace {

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* msg, void* opaque) {
  if (msg->err) {
    auto* failed = static_cast<std::uint64_t*>(opaque);
    if ((*failed)++ == 0)
      WEIR_ERROR("kafka delivery failed: {}", rd_kafka_err2str(msg->err));
  }
}

} // namespace

expected<producer> producer::make(const std::string& brokers, const config_map& extra) {
  config_map settings{
    {"linger.ms", "20"},
    {"batch.size", "1000000"},
    {"compression.type", "lz4"},
    {"enable.idempotence", "true"},
    {"queue.buffering.max.kbytes", "262144"},
  };
  auto conf = make_conf(brokers, std::move(settings), extra);
  if (!conf)
    return conf.failure();
  producer p;
  p.failed_ = std::make_shared<std::uint64_t>(0);
  rd_kafka_conf_set_dr_msg_cb(*conf, on_delivery);
  rd_kafka_conf_set_opaque(*conf, p.failed_.get());
  auto rk = make_handle(RD_KAFKA_PRODUCER, *conf);
  if (!rk)
    return rk.failure();
  p.rk_ = std::move(*rk);
  return p;
}

expected<void> producer::send(const std::string& topic, std::int32_t partition,
                              std::string_view key, std::string_view value, const headers& hdrs) {
  for (;;) {
    rd_kafka_headers_t* h = nullptr;
    if (!hdrs.empty()) {
      h = rd_kafka_headers_new(hdrs.size());
      for (auto [name, val] : hdrs)
        rd_kafka_header_add(h, name.data(), static_cast<ssize_t>(name.size()), val.data(),
                            static_cast<ssize_t>(val.size()));
    }
    auto err =
      rd_kafka_producev(rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
                        RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
                        RD_KAFKA_V_KEY(key.data(), key.size()),
                        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
                        RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                        RD_KAFKA_V_END);
    if (err && h) // on success the message owns the headers
      rd_kafka_headers_destroy(h);
    if (!err) {
      rd_kafka_poll(rk_.get(), 0);
      return {};
    }
    if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      return error{std::string{"kafka produce to "} + topic + ": " + rd_kafka_err2str(err)};
    rd_kafka_poll(rk_.get(), 100); // serve delivery reports to make room
  }
}

expected<void> producer::flush(int timeout_ms) {
  auto err = rd_kafka_flush(rk_.get(), timeout_ms);
  if (err)
    return error{std::string{"kafka flush: "} + rd_kafka_err2str(err)};
  // Failures since the last flush: one lost delivery must not fail every
  // flush after it.
  if (const auto failed = std::exchange(*failed_, 0); failed > 0)
    return error{std::to_string(failed) + " kafka messages were not delivered"};
  return {};
}

expected<void> ensure_topic(const std::string& brokers, const std::string& topic,
                            std::int32_t partitions, int timeout_ms) {
  auto rk = admin_handle(brokers);
  if (!rk)
    return rk.failure();
  char errstr[512];
  rd_kafka_NewTopic_t* nt =
    rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, errstr, sizeof errstr);
  if (!nt)
    return error{std::string{"kafka new topic: "} + errstr};
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk->get());
  rd_kafka_CreateTopics(rk->get(), &nt, 1, nullptr, q);
  rd_kafka_event_t* ev = rd_kafka_queue_poll(q, timeout_ms);
  std::string failure;
  if (!ev) {
    failure = "timed out";
  } else {
    const auto* res = rd_kafka_event_CreateTopics_result(ev);
    size_t n = 0;
    const auto** topics = res ? rd_kafka_CreateTopics_result_topics(res, &n) : nullptr;
    if (rd_kafka_event_error(ev))
      failure = rd_kafka_event_error_string(ev);
    else if (n == 1 && rd_kafka_topic_result_error(topics[0])
             && rd_kafka_topic_result_error(topics[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
      failure = rd_kafka_topic_result_error_string(topics[0]);
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_queue_destroy(q);
  rd_kafka_NewTopic_destroy(nt);
  if (!failure.empty())
    return error{"kafka create topic '" + topic + "' at " + brokers + ": " + failure};
  return {};
}

} // namespace weir::kafka
