#pragma once

#include "jobs/generators.hpp"

#include <cstdint>
#include <string>

namespace weir {

struct generate_options {
  std::string kind = "bets"; // bets | user-actions | shop | social | nexmark
  std::string brokers;
  std::string topic;
  std::int32_t partitions = 4; // when the topic has to be created; nexmark's round-robin
  std::uint64_t count = 100'000;
  double rate = 0;   // events per second of wall time; 0 = as fast as possible
  bool live = false; // event time = wall clock (needs rate); otherwise the synthetic timeline
  jobs::generator_options gen;
};

// `weir gen`: writes generated events to Kafka. Returns the exit code.
int run_generate(const generate_options& opts);

} // namespace weir
