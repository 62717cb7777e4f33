// The limit for weir's sources: a bare librdkafka drain of a topic, with the
// consumer settings weir uses and nothing done per message. Prints one JSON
// line: messages, bytes, wall and CPU seconds.
#include "runtime/kafka.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include <sys/resource.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: weir_bench_drain BROKERS TOPIC\n");
    return 2;
  }
  const std::string brokers = argv[1], topic = argv[2];
  auto parts = weir::kafka::partition_count(brokers, topic);
  if (!parts) {
    std::fprintf(stderr, "%s\n", parts.error_message().c_str());
    return 1;
  }
  auto consumer = weir::kafka::consumer::make(brokers);
  if (!consumer) {
    std::fprintf(stderr, "%s\n", consumer.error_message().c_str());
    return 1;
  }
  std::int64_t total = 0;
  std::vector<std::pair<std::int32_t, std::int64_t>> assignment;
  for (std::int32_t p = 0; p < *parts; ++p) {
    auto wm = weir::kafka::watermark_offsets(consumer->raw(), topic, p);
    if (!wm) {
      std::fprintf(stderr, "%s\n", wm.error_message().c_str());
      return 1;
    }
    total += wm->second - wm->first;
    assignment.emplace_back(p, RD_KAFKA_OFFSET_BEGINNING);
  }
  if (auto ok = consumer->assign(topic, assignment); !ok) {
    std::fprintf(stderr, "%s\n", ok.error_message().c_str());
    return 1;
  }
  std::vector<rd_kafka_message_t*> msgs(4096);
  std::int64_t seen = 0, bytes = 0;
  // Timed from the first message, like the harness times the job from its
  // first progress report: start-up is not the rate being compared.
  auto wall0 = std::chrono::steady_clock::now();
  std::clock_t cpu0 = std::clock();
  bool started = false;
  while (seen < total) {
    const size_t n = consumer->poll(msgs, 1000);
    if (!started && n > 0) {
      started = true;
      wall0 = std::chrono::steady_clock::now();
      cpu0 = std::clock();
    }
    for (size_t i = 0; i < n; ++i)
      if (!msgs[i]->err) {
        ++seen;
        bytes += static_cast<std::int64_t>(msgs[i]->len);
      }
    weir::kafka::consumer::release(msgs, n);
  }
  const double wall =
    std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const double cpu = static_cast<double>(std::clock() - cpu0) / CLOCKS_PER_SEC;
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage); // ru_maxrss: peak RSS in KiB
  std::printf("{\"messages\": %lld, \"bytes\": %lld, \"wall_s\": %.3f, \"cpu_s\": %.3f, "
              "\"rss_mb\": %.1f}\n",
              static_cast<long long>(seen), static_cast<long long>(bytes), wall, cpu,
              static_cast<double>(usage.ru_maxrss) / 1024);
  return 0;
}
