// The one weir binary: every process role is a subcommand.
#include "actors/node.hpp"
#include "app/generate.hpp"
#include "base/duration.hpp"
#include "base/logging.hpp"
#include "jobs/registry/front_ends.hpp"
#include "runtime/auth.hpp"
#include "runtime/spec_file.hpp"
#include "runtime/system.hpp"
#include "web/server.hpp"

#include <CLI/CLI.hpp>

#include <chrono>
#include <iostream>

WEIR_LOG_MODULE("main");

namespace {

// CLI11 validator + converter for HOST:PORT options.
weir::endpoint to_endpoint(const std::string& text) {
  auto ep = weir::parse_endpoint(text);
  if (!ep)
    throw CLI::ValidationError(ep.error_message());
  return *ep;
}

// validate prints "ok"; explain prints the job model as YAML, the same a YAML
// spec of the job would parse into.
int validate(const std::string& path, bool explain) {
  auto text = weir::read_spec_file(path);
  if (!text) {
    std::cerr << "error: " << text.error_message() << "\n";
    return 2;
  }
  auto spec = weir::jobs::parse_job(*text, path);
  if (!spec) {
    std::cerr << "error: " << spec.error_message() << "\n";
    return 2;
  }
  if (explain)
    std::cout << "# " << path << " as the job model (YAML)\n" << weir::jobs::to_yaml(*spec);
  else
    std::cout << path << ": ok (job " << spec->name << ")\n";
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"weir: keyed, windowed stream processing over Kafka"};
  app.require_subcommand(1);
  std::string log_level = "info";
  app
    .add_option("--log-level", log_level,
                "LEVEL[,MODULE=LEVEL...]: trace, debug, info, warn, error or off, per module "
                "(source, sink, worker, coordinator, ...)")
    ->envname("WEIR_LOG_LEVEL")
    ->check([](const std::string& v) {
      auto ok = weir::log::check_levels(v);
      return ok ? std::string{} : ok.error_message();
    });

  std::string secret_file;
  auto add_secret_opt = [&](CLI::App* cmd) {
    cmd
      ->add_option("--secret-file", secret_file,
                   "file holding the cluster secret (every process must prove it)")
      ->envname("WEIR_SECRET_FILE");
  };
  auto read_secret = [&]() -> std::string {
    if (secret_file.empty())
      return {};
    auto secret = weir::auth::read_secret_file(secret_file);
    if (!secret)
      throw CLI::ValidationError("--secret-file: " + secret.error_message());
    return *secret;
  };

  std::string coordinator_addr = "127.0.0.1:17000";
  auto add_coordinator_opt = [&](CLI::App* cmd) {
    cmd->add_option("--coordinator", coordinator_addr, "coordinator HOST:PORT")
      ->envname("WEIR_COORDINATOR");
    add_secret_opt(cmd);
  };
  auto link = [&] {
    return weir::coordinator_link{to_endpoint(coordinator_addr), read_secret()};
  };

  // Failure detection: both ends of a link must agree, so both take the flags.
  std::string heartbeat = "250ms", failure_timeout = "1500ms";
  auto add_failure_opts = [&](CLI::App* cmd) {
    cmd->add_option("--heartbeat", heartbeat, "heartbeat interval on cluster links")
      ->envname("WEIR_HEARTBEAT");
    cmd
      ->add_option("--failure-timeout", failure_timeout,
                   "silence after which a peer counts as failed")
      ->envname("WEIR_FAILURE_TIMEOUT");
  };
  auto node_opts = [&]() {
    auto hb = weir::parse_duration(heartbeat);
    auto ft = weir::parse_duration(failure_timeout);
    if (!hb || *hb == 0)
      throw CLI::ValidationError("--heartbeat: expected a duration like 250ms, got '" + heartbeat
                                 + "'");
    if (!ft || *ft <= *hb)
      throw CLI::ValidationError(
        "--failure-timeout: expected a duration longer than --heartbeat, got '" + failure_timeout
        + "'");
    weir::node_options o;
    o.heartbeat = std::chrono::milliseconds(*hb);
    o.connection_timeout = std::chrono::milliseconds(*ft);
    return o;
  };

  weir::coordinator_options copts;
  std::string listen_addr = "127.0.0.1:17000";
  auto* coord_cmd = app.add_subcommand("coordinator", "run the coordinator");
  coord_cmd->add_option("--listen", listen_addr, "HOST:PORT to publish the coordinator on");
  coord_cmd
    ->add_option("--state", copts.state_url,
                 "persist jobs, assignment and checkpoint pointers here "
                 "(file:///dir or s3://bucket/prefix)")
    ->envname("WEIR_COORDINATOR_STATE");
  add_failure_opts(coord_cmd);
  add_secret_opt(coord_cmd);
  std::string http_addr;
  weir::web::http_options hopts;
  coord_cmd
    ->add_option("--http", http_addr,
                 "HOST:PORT for the REST API, /metrics and the dashboard (default: off)")
    ->envname("WEIR_HTTP");
  coord_cmd
    ->add_option("--iceberg-catalog", hopts.iceberg_catalog,
                 "PostgreSQL URL of the lake's Iceberg SQL catalog, served read-only as an "
                 "Iceberg REST catalog under /iceberg on the --http port")
    ->envname("WEIR_CATALOG_URL");
  coord_cmd->add_flag("--http-guard-reads", hopts.guard_reads,
                      "reads need the HTTP token too (mutations always do with a secret)");

  auto* token_cmd =
    app.add_subcommand("token",
                       "print the HTTP API's bearer token, derived from the cluster secret");
  add_secret_opt(token_cmd);

  weir::worker_options wopts;
  auto* worker_cmd = app.add_subcommand("worker", "run a worker that joins a coordinator");
  add_coordinator_opt(worker_cmd);
  worker_cmd->add_option("--name", wopts.name,
                         "worker name, unique in the cluster (default host:pid)");
  worker_cmd
    ->add_option("--secrets-file", wopts.secrets_file,
                 "NAME=value lines: what ${secret:NAME} in a spec becomes on this worker "
                 "(WEIR_SECRET_NAME in the environment wins)")
    ->envname("WEIR_SECRETS_FILE");
  worker_cmd->add_option("--threads", wopts.threads,
                         "sources (threads) per job on this worker (default: one per core)");
  worker_cmd->add_option("--report-ms", wopts.report_ms,
                         "how often it reports its partitions and metrics to the coordinator "
                         "(default 1000; 0: never, and the coordinator's API shows no figures)");
  add_failure_opts(worker_cmd);

  std::string spec_path;
  auto* submit_cmd = app.add_subcommand("submit", "submit a job spec to the coordinator");
  submit_cmd->add_option("spec", spec_path, "job spec (YAML or SQL)")->required();
  add_coordinator_opt(submit_cmd);

  std::string job_id;
  auto* cancel_cmd = app.add_subcommand("cancel", "stop a running job");
  cancel_cmd->add_option("job", job_id, "job id")->required();
  add_coordinator_opt(cancel_cmd);

  auto* status_cmd = app.add_subcommand("status", "show workers, jobs and partition assignment");
  add_coordinator_opt(status_cmd);
  auto* list_cmd = app.add_subcommand("list", "list running jobs");
  add_coordinator_opt(list_cmd);
  auto* workers_cmd = app.add_subcommand("workers", "list the cluster's workers");
  add_coordinator_opt(workers_cmd);
  std::string drain_name;
  auto* drain_cmd =
    app.add_subcommand("drain", "move every partition off a worker, then let it leave");
  drain_cmd->add_option("worker", drain_name, "worker name")->required();
  add_coordinator_opt(drain_cmd);

  auto* validate_cmd = app.add_subcommand("validate", "check a job spec without submitting it");
  validate_cmd->add_option("spec", spec_path, "job spec (YAML or SQL)")->required();
  auto* explain_cmd = app.add_subcommand("explain", "print the job model a spec becomes, as YAML");
  explain_cmd->add_option("spec", spec_path, "job spec (YAML or SQL)")->required();

  weir::generate_options gopts;
  auto* gen_cmd = app.add_subcommand("gen", "write generated events to Kafka");
  gen_cmd->add_option("kind", gopts.kind, "bets, user-actions, shop, social or nexmark")
    ->required()
    ->check(CLI::IsMember({"bets", "user-actions", "shop", "social", "nexmark"}));
  gen_cmd->add_option("--brokers", gopts.brokers, "Kafka bootstrap servers")
    ->envname("WEIR_KAFKA_BROKERS")
    ->required();
  gen_cmd->add_option("--topic", gopts.topic, "topic (created if missing)")->required();
  gen_cmd->add_option("--partitions", gopts.partitions, "partitions when creating the topic");
  gen_cmd->add_option("--count", gopts.count, "number of events");
  gen_cmd->add_option("--rate", gopts.rate, "events per second (0: as fast as possible)");
  gen_cmd->add_option("--seed", gopts.gen.seed, "random seed (same seed, same events)");
  gen_cmd->add_option("--start", gopts.gen.start, "event time of the first event, epoch ms");
  gen_cmd->add_option("--step", gopts.gen.step, "event-time advance per event, ms");
  gen_cmd->add_option("--disorder", gopts.gen.disorder, "max out-of-order jitter, ms");
  gen_cmd->add_flag("--live", gopts.live, "event time follows the wall clock (with --rate)");

  CLI11_PARSE(app, argc, argv);

  try {
    if (*coord_cmd) {
      copts.listen = to_endpoint(listen_addr);
      copts.node = node_opts();
      weir::log::init("coordinator", log_level);
      copts.secret = read_secret();
      if (!http_addr.empty()) {
        hopts.listen = to_endpoint(http_addr);
        hopts.secret = copts.secret;
        copts.service = [hopts](caf::actor_system& sys, weir::coordinator_actor coord) {
          return weir::web::serve(hopts, sys, coord);
        };
      }
      return weir::run_coordinator(copts);
    }
    if (*token_cmd) {
      auto secret = read_secret();
      if (secret.empty()) {
        std::cerr << "error: --secret-file is required: the token is derived from the secret\n";
        return 2;
      }
      std::cout << weir::auth::http_token(secret) << "\n";
      return 0;
    }
    if (*worker_cmd) {
      wopts.node = node_opts();
      weir::log::init(wopts.name.empty() ? "worker" : wopts.name, log_level);
      wopts.coordinator = link();
      return weir::run_worker(wopts);
    }
    // Clients print their results; their logs only say what went wrong.
    weir::log::init("weir", log_level == "info" ? "warn" : log_level);
    const bool remote =
      *submit_cmd || *cancel_cmd || *status_cmd || *list_cmd || *workers_cmd || *drain_cmd;
    const auto coordinator = remote ? link() : weir::coordinator_link{};
    if (*submit_cmd)
      return weir::run_submit(coordinator, spec_path);
    if (*cancel_cmd)
      return weir::run_cancel(coordinator, job_id);
    if (*status_cmd)
      return weir::run_status(coordinator);
    if (*list_cmd)
      return weir::run_status(coordinator, weir::status_view::jobs);
    if (*workers_cmd)
      return weir::run_status(coordinator, weir::status_view::workers);
    if (*drain_cmd)
      return weir::run_drain(coordinator, drain_name);
    if (*validate_cmd || *explain_cmd)
      return validate(spec_path, static_cast<bool>(*explain_cmd));
    if (*gen_cmd)
      return weir::run_generate(gopts);
  } catch (const CLI::ValidationError& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
