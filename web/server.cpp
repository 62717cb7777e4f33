#include "web/server.hpp"

#include "base/logging.hpp"
#include "runtime/auth.hpp"
#include "web/api.hpp"
#include "web/assets.hpp"
#include "web/iceberg_rest.hpp"
#include "web/prometheus.hpp"
#include "web/respond.hpp"

#include <caf/all.hpp>

#include <httplib.h>

#include <optional>
#include <thread>

WEIR_LOG_MODULE("http");

namespace weir::web {

namespace {

using nlohmann::json;
constexpr auto ask_timeout = std::chrono::seconds(20); // a submit looks the topic up in Kafka

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, status, {{"error", {{"message", message}}}});
}

// One request to the coordinator from an HTTP thread.
template <class Result, class... Ts>
expected<Result> ask(caf::actor_system& sys, const coordinator_actor& coordinator, Ts... xs) {
  caf::scoped_actor self{sys};
  expected<Result> out{error{"no answer"}};
  self->request(coordinator, ask_timeout, xs...)
    .receive([&](Result& r) { out = std::move(r); },
             [&](caf::error& err) { out = error{sys.render(err)}; });
  return out;
}

// A mutation's answer; when the coordinator gives none, a 503 is sent and
// there is nothing to answer.
template <class Reply, class... Ts>
std::optional<Reply> mutate(caf::actor_system& sys, const coordinator_actor& coordinator,
                            httplib::Response& res, Ts... xs) {
  auto out = ask<Reply>(sys, coordinator, xs...);
  if (out)
    return std::move(*out);
  send_error(res, 503, "the coordinator did not answer: " + out.error_message());
  return std::nullopt;
}

struct server {
  httplib::Server http;
  std::thread thread;
  ~server() {
    http.stop();
    if (thread.joinable())
      thread.join();
  }
};

} // namespace

expected<std::shared_ptr<void>> serve(const http_options& opts, caf::actor_system& sys,
                                      coordinator_actor coordinator) {
  auto srv = std::make_shared<server>();
  auto& http = srv->http;
  http.set_payload_max_length(4 << 20);
  // One request per connection: a body a handler does not read (a GET or
  // DELETE with one) must not be taken for the next request. The API is
  // polled, not streamed, so the extra connections cost nothing that matters.
  http.set_keep_alive_max_count(1);
  http.set_exception_handler(
    [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown error";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      WEIR_ERROR("{} {}: {}", req.method, req.path, what);
      send_error(res, 500, "internal error: " + what);
    });
  // Mutations always need the token in a cluster with a secret; reads only
  // with guard_reads. A refusal is 401 and logged.
  auto allowed = [opts](const httplib::Request& req, httplib::Response& res, bool mutation) {
    if (opts.secret.empty() || (!mutation && !opts.guard_reads))
      return true;
    const auto header = req.get_header_value("Authorization");
    const std::string bearer = "Bearer ";
    if (header.rfind(bearer, 0) == 0
        && auth::verify_http_token(opts.secret, std::string_view{header}.substr(bearer.size())))
      return true;
    WEIR_WARN("refused {} {} from {}: {}", req.method, req.path, req.remote_addr,
              header.empty() ? "no token" : "wrong token");
    res.set_header("WWW-Authenticate", "Bearer realm=\"weir\"");
    send_error(res, 401,
               "this cluster has a secret: send Authorization: Bearer TOKEN "
               "(`weir token --secret-file FILE` prints it)");
    return false;
  };
  if (!opts.iceberg_catalog.empty())
    serve_iceberg_rest(http, opts.iceberg_catalog,
                       [allowed](const httplib::Request& req, httplib::Response& res) {
                         return allowed(req, res, false);
                       });
  // Reads answer from one observed copy of the coordinator's state.
  auto read = [&sys, coordinator, allowed](auto render) {
    return
      [&sys, coordinator, allowed, render](const httplib::Request& req, httplib::Response& res) {
        if (!allowed(req, res, false))
          return;
        auto view = ask<cluster_view>(sys, coordinator, observe_atom::value);
        if (!view) {
          send_error(res, 503, "the coordinator did not answer: " + view.error_message());
          return;
        }
        render(**view, req, res);
      };
  };
  http.Get("/api/v1/jobs", read([](const observed_cluster& c, const httplib::Request&,
                                   httplib::Response& res) { send_json(res, 200, jobs_json(c)); }));
  // A body about one job (null: there is no such job).
  auto of_job = [](json (*body_of)(const observed_cluster&, const std::string&)) {
    return
      [body_of](const observed_cluster& c, const httplib::Request& req, httplib::Response& res) {
        auto body = body_of(c, req.matches[1]);
        if (body.is_null())
          send_error(res, 404, "no job '" + req.matches[1].str() + "'");
        else
          send_json(res, 200, body);
      };
  };
  http.Get(R"(/api/v1/jobs/([^/]+))", read(of_job(job_json)));
  http.Get(R"(/api/v1/jobs/([^/]+)/checkpoints)", read(of_job(checkpoints_json)));
  http.Get("/api/v1/workers",
           read([](const observed_cluster& c, const httplib::Request&, httplib::Response& res) {
             send_json(res, 200, workers_json(c));
           }));
  http.Get("/api/v1/events",
           read([](const observed_cluster& c, const httplib::Request& req, httplib::Response& res) {
             std::size_t limit = 100;
             if (req.has_param("limit")) {
               const auto text = req.get_param_value("limit");
               char* end = nullptr;
               const auto n = std::strtoll(text.c_str(), &end, 10);
               if (text.empty() || *end != '\0' || n < 1 || n > 1000) {
                 send_error(res, 400,
                            "limit: expected a whole number from 1 to 1000, got '" + text + "'");
                 return;
               }
               limit = static_cast<std::size_t>(n);
             }
             send_json(res, 200, events_json(c, limit));
           }));
  http.Get("/metrics",
           read([](const observed_cluster& c, const httplib::Request&, httplib::Response& res) {
             res.set_content(exposition(c), "text/plain; version=0.0.4; charset=utf-8");
           }));
  http.Post("/api/v1/jobs", [&sys, coordinator, allowed](const httplib::Request& req,
                                                         httplib::Response& res) {
    if (!allowed(req, res, true))
      return;
    const auto origin =
      req.has_param("file") ? req.get_param_value("file") : std::string{"request"};
    auto out = mutate<submit_reply>(sys, coordinator, res, submit_atom::value, req.body, origin);
    if (!out)
      return;
    if (out->accepted()) {
      WEIR_INFO("job {} submitted over HTTP from {}", out->job_id, req.remote_addr);
      send_json(res, 201, {{"id", out->job_id}});
    } else if (out->why == refusal::conflict) {
      send_error(res, 409, out->error);
    } else if (out->why == refusal::unavailable) {
      send_error(res, 503, out->error);
    } else {
      send_json(res, 400, {{"error", spec_error_json(out->error)}});
    }
  });
  // Bodiless mutations take the content-reader form, which never reads a
  // body: cpp-httplib 0.11 answers 400 to a POST or DELETE without
  // Content-Length otherwise, and `curl -X DELETE` sends none.
  http.Delete(R"(/api/v1/jobs/([^/]+))",
              [&sys, coordinator, allowed](const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader&) {
                if (!allowed(req, res, true))
                  return;
                auto out = mutate<cancel_reply>(sys, coordinator, res, cancel_atom::value,
                                                req.matches[1].str());
                if (!out)
                  return;
                if (!out->cancelled())
                  send_error(res, 404, out->error);
                else
                  send_json(res, 200, {{"id", out->job_id}, {"cancelled", true}});
              });
  http.Post(R"(/api/v1/workers/([^/]+)/drain)",
            [&sys, coordinator, allowed](const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader&) {
              if (!allowed(req, res, true))
                return;
              auto out =
                mutate<drain_reply>(sys, coordinator, res, drain_atom::value, req.matches[1].str());
              if (!out)
                return;
              if (!out->draining())
                send_error(res, out->why == refusal::not_found ? 404 : 409, out->error);
              else
                send_json(res, 202, {{"worker", out->worker}, {"draining", true}});
            });
  // The dashboard: static assets built into the binary (web/assets.hpp).
  for (const auto& a : dashboard_assets()) {
    auto handler = [a](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string{a.body}, a.content_type);
    };
    http.Get(a.path, handler);
    if (a.path == std::string_view{"/index.html"})
      http.Get("/", handler);
  }
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.body.empty() && res.status == 404)
      send_error(res, 404, "no such resource: " + req.method + " " + req.path);
  });
  if (!http.bind_to_port(opts.listen.host, opts.listen.port))
    return error{"cannot listen for HTTP on " + opts.listen.host + ":"
                 + std::to_string(opts.listen.port)};
  srv->thread = std::thread([srv = srv.get()] { srv->http.listen_after_bind(); });
  WEIR_INFO("HTTP API, /metrics and dashboard on http://{}:{}/", opts.listen.host,
            opts.listen.port);
  return std::shared_ptr<void>{srv};
}

} // namespace weir::web
