#include "runtime/system.hpp"

#include "actors/interfaces.hpp"
#include "runtime/logging.hpp"
#include "runtime/wire.hpp"

#include <caf/io/middleman.hpp>

#include <atomic>
#include <charconv>
#include <csignal>
#include <cstdlib>
#include <thread>

namespace weir {

expected<endpoint> parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    return error{"'" + text + "' is not HOST:PORT"};
  endpoint ep;
  ep.host = text.substr(0, colon);
  unsigned port = 0;
  auto tail = std::string_view{text}.substr(colon + 1);
  auto [end, ec] = std::from_chars(tail.data(), tail.data() + tail.size(), port);
  if (ec != std::errc{} || end != tail.data() + tail.size() || port == 0 || port > 65535)
    return error{"'" + text + "': port must be a number from 1 to 65535"};
  ep.port = static_cast<std::uint16_t>(port);
  return ep;
}

node_config::node_config(const node_options& opts) {
  load<caf::io::middleman>();
  add_message_type<worker_info>("weir.worker_info");
  add_message_type<submit_result>("weir.submit_result");
  add_message_type<worker_status>("weir.worker_status");
  add_message_type<job_status>("weir.job_status");
  add_message_type<cluster_status>("weir.cluster_status");
  add_message_type<partition_info>("weir.partition_info");
  add_message_type<export_outcome>("weir.export_outcome");
  add_message_type<result_batch>("weir.result_batch");
  add_message_type<jobs::partition_progress>("weir.partition_progress");
  add_message_type<jobs::partition_rows>("weir.partition_rows");
  add_message_type<std::vector<std::int32_t>>("weir.partitions");
  add_message_type<partition_checkpoint>("weir.partition_checkpoint");
  add_message_type<std::vector<partition_checkpoint>>("weir.partition_checkpoints");
  add_message_type<worker_actor>("weir.worker_actor");
  add_message_type<auth_challenge>("weir.auth_challenge");
  add_message_type<partition_handoff>("weir.partition_handoff");
  add_message_type<std::vector<partition_handoff>>("weir.partition_handoffs");
  add_message_type<handoff_target>("weir.handoff_target");
  add_message_type<std::vector<handoff_target>>("weir.handoff_targets");
  // Work stealing spins idle cores; sharing keeps a quiet node quiet.
  set("scheduler.policy", caf::atom("sharing"));
  set("middleman.heartbeat-interval", caf::timespan{opts.heartbeat});
  set("middleman.connection-timeout", caf::timespan{opts.connection_timeout});
}

namespace {
std::atomic<bool> shutdown_flag{false};
extern "C" void on_signal(int) {
  shutdown_flag = true;
}
} // namespace

bool shutdown_requested() {
  return shutdown_flag;
}

void install_shutdown_handlers() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

teardown_watchdog::~teardown_watchdog() {
  if (!thread_.joinable())
    return;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    done_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

int teardown_watchdog::arm(int exit_code) {
  thread_ = std::thread{[this, exit_code] {
    std::unique_lock<std::mutex> guard{mtx_};
    if (cv_.wait_for(guard, limit_, [this] { return done_; }))
      return;
    WEIR_WARN("every actor ended but the actor system did not shut down within {} ms (a "
              "reference left inside CAF); exiting with status {}", limit_.count(), exit_code);
    spdlog::shutdown();
    std::_Exit(exit_code);
  }};
  return exit_code;
}

void wait_for_shutdown_signal() {
  install_shutdown_handlers();
  while (!shutdown_flag)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

} // namespace weir
