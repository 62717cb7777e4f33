#include "app/generate.hpp"

#include "runtime/kafka.hpp"

#include <chrono>
#include <iostream>
#include <thread>

namespace weir {

int run_generate(const generate_options& given) {
  auto opts = given;
  if (opts.live) {
    if (opts.rate <= 0) {
      std::cerr << "error: --live needs --rate\n";
      return 2;
    }
    opts.gen.start = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    opts.gen.step = 1000.0 / opts.rate;
  }
  if (auto ok = kafka::ensure_topic(opts.brokers, opts.topic, opts.partitions); !ok) {
    std::cerr << "error: " << ok.error_message() << "\n";
    return 1;
  }
  auto producer = kafka::producer::make(opts.brokers);
  if (!producer) {
    std::cerr << "error: " << producer.error_message() << "\n";
    return 1;
  }
  jobs::event_generator gen{opts.kind == "bets"      ? jobs::event_kind::bets
                            : opts.kind == "shop"    ? jobs::event_kind::shop
                            : opts.kind == "social"  ? jobs::event_kind::social
                            : opts.kind == "nexmark" ? jobs::event_kind::nexmark
                                                     : jobs::event_kind::user_actions,
                            opts.gen};
  std::string key, value;
  const auto begin = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < opts.count; ++i) {
    gen.next(key, value);
    const std::int32_t partition =
      gen.round_robin() ? static_cast<std::int32_t>(i % static_cast<std::uint64_t>(opts.partitions))
                        : -1;
    if (auto ok = producer->send(opts.topic, partition, key, value); !ok) {
      std::cerr << "error: " << ok.error_message() << "\n";
      return 1;
    }
    if (opts.rate > 0 && i % 100 == 99) { // pace in small steps
      auto due = begin + std::chrono::duration<double>(static_cast<double>(i + 1) / opts.rate);
      std::this_thread::sleep_until(
        std::chrono::time_point_cast<std::chrono::steady_clock::duration>(due));
    }
  }
  if (auto ok = producer->flush(60'000); !ok) {
    std::cerr << "error: " << ok.error_message() << "\n";
    return 1;
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::cerr << "produced " << opts.count << " " << opts.kind << " events to " << opts.topic
            << " in " << secs << " s\n";
  return 0;
}

} // namespace weir
