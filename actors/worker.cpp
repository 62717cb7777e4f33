#include "actors/worker.hpp"

#include "actors/sink.hpp"
#include "actors/source.hpp"
#include "jobs/spec.hpp"
#include "runtime/logging.hpp"

#include <caf/all.hpp>

namespace weir {

namespace {

using self_ptr = worker_actor::stateful_pointer<worker_state>;

void stop_job(self_ptr self, const std::string& job_id) {
  auto it = self->state.jobs.find(job_id);
  if (it == self->state.jobs.end())
    return;
  self->send_exit(it->second.source, caf::exit_reason::user_shutdown);
  self->send_exit(it->second.sink, caf::exit_reason::user_shutdown);
  self->state.jobs.erase(it);
  WEIR_INFO("job {} stopped on this worker", job_id);
}

} // namespace

worker_actor::behavior_type worker(self_ptr self, coordinator_actor coordinator,
                                   worker_info info) {
  self->state.coordinator = coordinator;
  self->state.info = info;
  self->monitor(coordinator);
  self->set_down_handler([self](const caf::down_msg& msg) {
    if (msg.source == self->state.coordinator.address()) {
      WEIR_ERROR("lost the coordinator: {}", self->system().render(msg.reason));
      self->quit(msg.reason);
    }
  });
  // Children do not outlive their worker.
  self->attach_functor([self] {
    for (auto& [id, job] : self->state.jobs) {
      caf::anon_send_exit(job.source, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(job.sink, caf::exit_reason::user_shutdown);
    }
  });
  self->request(coordinator, std::chrono::seconds(10), register_atom::value, self, info)
    .then(
      [self](const std::string& id) {
        self->state.id = id;
        WEIR_INFO("registered with the coordinator as {}", id);
      },
      [self](caf::error& err) {
        WEIR_ERROR("registration failed: {}", self->system().render(err));
        self->quit(err);
      });
  return {
    [self](assign_atom, const std::string& job_id, const std::string& spec_text,
           std::int32_t partition_count, std::vector<std::int32_t> partitions) {
      auto& jobs_running = self->state.jobs;
      auto it = jobs_running.find(job_id);
      if (partitions.empty()) {
        stop_job(self, job_id);
        return;
      }
      if (it == jobs_running.end()) {
        auto spec = jobs::parse_spec(spec_text, job_id);
        if (!spec) { // the coordinator validated it; a mismatch means mixed builds
          WEIR_ERROR("job {}: spec rejected on this worker: {}", job_id, spec.error_message());
          return;
        }
        auto sink = self->spawn<caf::detached>(result_sink, *spec, partition_count);
        auto source = self->spawn<caf::detached>(kafka_source, *spec, sink);
        it = jobs_running.emplace(job_id, worker_state::running{source, sink}).first;
        WEIR_INFO("job {} started on this worker", job_id);
      }
      self->send(it->second.source, assign_atom::value, std::move(partitions));
    },
    [self](cancel_atom, const std::string& job_id) { stop_job(self, job_id); },
  };
}

} // namespace weir
