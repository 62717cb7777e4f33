#include "actors/node.hpp"

#include "actors/coordinator.hpp"
#include "actors/worker.hpp"
#include "base/logging.hpp"
#include "jobs/registry/front_ends.hpp"
#include "jobs/spec.hpp"
#include "runtime/auth.hpp"
#include "runtime/spec_file.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include <unistd.h>
#include <iostream>
#include <thread>

WEIR_LOG_MODULE("node");

namespace weir {

namespace {

// Clients connect once and prove the cluster secret; workers do the same by
// themselves, and reconnect (actors/worker.cpp).
expected<coordinator_actor> connect(caf::actor_system& sys, const coordinator_link& link) {
  const auto& ep = link.at;
  const auto where = ep.host + ":" + std::to_string(ep.port);
  auto handle = sys.middleman().remote_actor<coordinator_actor>(ep.host, ep.port);
  if (!handle)
    return error{"cannot reach the coordinator at " + where + ": " + sys.render(handle.error())};
  auto coord = *handle;
  caf::scoped_actor self{sys};
  auto nonce = auth::make_nonce();
  expected<coordinator_actor> out = error{"no answer from the coordinator at " + where};
  auto failed = [&](caf::error& err) {
    out = error{"coordinator at " + where + ": " + sys.render(err)};
  };
  self->request(coord, std::chrono::seconds(10), hello_atom::value, nonce)
    .receive(
      [&](const auth_challenge& ch) {
        auto proof = auth::answer(link.secret, ch.required, ch.nonce, ch.proof, nonce,
                                  to_string(coord.node()), to_string(sys.node()));
        if (!proof) {
          out = error{"coordinator at " + where + ": " + proof.error_message()};
          return;
        }
        if (!ch.required) {
          out = coord;
          return;
        }
        self->request(coord, std::chrono::seconds(10), auth_atom::value, *proof)
          .receive(
            [&](bool admitted) {
              if (admitted)
                out = coord;
              else
                out = error{"refused by the coordinator at " + where
                            + ": the cluster secret is missing or wrong (--secret-file)"};
            },
            failed);
      },
      failed);
  return out;
}

std::string hostname() {
  char buf[256] = {};
  ::gethostname(buf, sizeof buf - 1);
  return buf;
}

} // namespace

// Once every actor ended, the rest of the teardown is CAF's alone.
constexpr auto teardown_limit = std::chrono::seconds(5);

int run_coordinator(const coordinator_options& opts) {
  auto restored = load_coordinator_snapshot(opts.state_url);
  if (!restored) {
    WEIR_ERROR("cannot read the saved state: {}", restored.error_message());
    return 1;
  }
  teardown_watchdog watchdog{teardown_limit};
  node_config cfg{opts.node};
  caf::actor_system sys{cfg};
  coordinator_config ccfg;
  ccfg.state_url = opts.state_url;
  ccfg.secret = opts.secret;
  auto coord = spawn_coordinator(sys, ccfg, std::move(*restored));
  auto port = sys.middleman().publish(coord, opts.listen.port, opts.listen.host.c_str(), true);
  if (!port) {
    WEIR_ERROR("cannot listen on {}:{}: {}", opts.listen.host, opts.listen.port,
               sys.render(port.error()));
    caf::anon_send_exit(coord, caf::exit_reason::user_shutdown);
    return 1;
  }
  WEIR_INFO("coordinator listening on {}:{}", opts.listen.host, *port);
  std::shared_ptr<void> service;
  if (opts.service) {
    auto started = opts.service(sys, coord);
    if (!started) {
      WEIR_ERROR("{}", started.error_message());
      caf::anon_send_exit(coord, caf::exit_reason::user_shutdown);
      return 1;
    }
    service = std::move(*started);
  }
  wait_for_shutdown_signal();
  service.reset();
  WEIR_INFO("coordinator shutting down");
  caf::anon_send_exit(coord, caf::exit_reason::user_shutdown);
  sys.await_all_actors_done();
  return watchdog.arm(0);
}

int run_worker(const worker_options& opts) {
  teardown_watchdog watchdog{teardown_limit};
  node_config cfg{opts.node};
  caf::actor_system sys{cfg};
  worker_info info{opts.name, hostname(), static_cast<std::int32_t>(::getpid())};
  if (info.name.empty())
    info.name = info.host + ":" + std::to_string(info.pid);
  // The worker actor connects, and reconnects after losing the coordinator, by itself.
  auto threads =
    opts.threads > 0 ? opts.threads : std::max(1u, std::thread::hardware_concurrency());
  auto secrets = read_secrets_file(opts.secrets_file);
  if (!secrets) {
    std::cerr << "error: " << secrets.error_message() << "\n";
    return 2;
  }
  worker_config wcfg;
  wcfg.coordinator_at = opts.coordinator.at;
  wcfg.info = info;
  wcfg.threads = threads;
  wcfg.secret = opts.coordinator.secret;
  wcfg.spec_secrets = std::move(*secrets);
  wcfg.report_interval = std::chrono::milliseconds(opts.report_ms);
  auto w = sys.spawn(worker, std::move(wcfg));
  // Leave on a signal, or when drained (the worker actor ends by itself).
  std::atomic<bool> drained{false};
  w->attach_functor([&drained] { drained = true; });
  install_shutdown_handlers();
  while (!drained && !shutdown_requested())
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (!drained)
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  // Stopping the worker stops its sources and sinks together: a batch not yet
  // written is dropped here and replayed by the partition's next owner from
  // its checkpoint (results are deterministic, so nothing is lost or doubled).
  sys.await_all_actors_done();
  return watchdog.arm(0);
}

namespace {

template <class Fn>
int with_coordinator(const coordinator_link& ep, Fn fn) {
  node_config cfg;
  caf::actor_system sys{cfg};
  auto coord = connect(sys, ep);
  if (!coord) {
    std::cerr << "error: " << coord.error_message() << "\n";
    return 1;
  }
  caf::scoped_actor self{sys};
  return fn(self, *coord);
}

// Sends one request and reports its answer: the subject (`id`, after
// `done`, if any) when it was done, the error otherwise (exit code 2).
template <class Reply, class... Ts>
int simple_request(const coordinator_link& ep, std::chrono::seconds timeout,
                   const std::string& done, std::string Reply::*id, Ts... xs) {
  return with_coordinator(ep, [&](caf::scoped_actor& self, coordinator_actor& coord) {
    int rc = 1;
    self->request(coord, timeout, xs...)
      .receive(
        [&](const Reply& r) {
          if (r.why == refusal::none) {
            std::cout << (done.empty() ? "" : done + " ") << r.*id << "\n";
            rc = 0;
          } else {
            std::cerr << "error: " << r.error << "\n";
            rc = 2;
          }
        },
        [&](caf::error& err) { std::cerr << "error: " << self->system().render(err) << "\n"; });
    return rc;
  });
}

} // namespace

int run_submit(const coordinator_link& ep, const std::string& spec_path) {
  auto text = read_spec_file(spec_path);
  if (!text) {
    std::cerr << "error: " << text.error_message() << "\n";
    return 2;
  }
  for (int line : jobs::plain_password_lines(*text))
    std::cerr << "warning: " << spec_path << ":" << line
              << ": a password written in a URL crosses the network in the spec text; write "
                 "${secret:NAME} instead and give the workers NAME (docs/operations.md)\n";
  return simple_request(ep, std::chrono::seconds(30), "", &submit_reply::job_id, submit_atom::value,
                        *text, spec_path);
}

int run_cancel(const coordinator_link& ep, const std::string& job_id) {
  return simple_request(ep, std::chrono::seconds(10), "cancelled", &cancel_reply::job_id,
                        cancel_atom::value, job_id);
}

int run_drain(const coordinator_link& ep, const std::string& worker_name) {
  return simple_request(ep, std::chrono::seconds(10), "draining", &drain_reply::worker,
                        drain_atom::value, worker_name);
}

int run_status(const coordinator_link& ep, status_view view) {
  return with_coordinator(ep, [&](caf::scoped_actor& self, coordinator_actor& coord) {
    int rc = 1;
    self->request(coord, std::chrono::seconds(10), status_atom::value)
      .receive(
        [&](const cluster_status& st) {
          if (view != status_view::jobs) {
            std::cout << "workers: " << st.workers.size() << "\n";
            for (const auto& w : st.workers)
              std::cout << "  " << w.id << "  host=" << w.info.host << " pid=" << w.info.pid
                        << (w.draining ? "  (draining)" : "") << "\n";
          }
          if (view != status_view::workers) {
            std::cout << "jobs: " << st.jobs.size() << "\n";
            for (const auto& j : st.jobs) {
              std::cout << "  " << j.id << "  topic=" << j.topic << " sink=" << j.sink
                        << " partitions=" << j.partitions.size() << " restarts=" << j.restarts
                        << "\n";
              if (view != status_view::all)
                continue;
              for (size_t p = 0; p < j.partitions.size(); ++p) {
                const auto& ps = j.partitions[p];
                std::cout << "    partition " << p << " [" << to_string(ps.phase) << "] -> "
                          << (ps.owner.empty() ? "(unassigned)" : ps.owner)
                          << (ps.failed.empty() ? std::string{} : "  FAILED: " + ps.failed) << "\n";
              }
            }
          }
          rc = 0;
        },
        [&](caf::error& err) { std::cerr << "error: " << self->system().render(err) << "\n"; });
    return rc;
  });
}

} // namespace weir
