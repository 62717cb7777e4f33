#include "actors/coordinator.hpp"

#include "runtime/assignment.hpp"
#include "runtime/kafka.hpp"
#include "runtime/logging.hpp"

#include <caf/all.hpp>

namespace weir {

namespace {

using self_ptr = coordinator_actor::stateful_pointer<coordinator_state>;

std::vector<std::string> live_worker_ids(const coordinator_state& st) {
  std::vector<std::string> ids;
  for (const auto& [id, m] : st.workers)
    ids.push_back(id);
  return ids;
}

// Recomputes every job's assignment over the live workers and tells each worker
// the full set it owns per job (idempotent for workers whose set did not change).
void reassign(self_ptr self) {
  auto& st = self->state;
  const auto ids = live_worker_ids(st);
  for (auto& [job_id, job] : st.jobs) {
    auto before = job.owners;
    job.owners = rebalance(job.owners, ids);
    std::map<std::string, std::vector<std::int32_t>> per_worker;
    for (const auto& id : ids)
      per_worker[id];
    for (size_t p = 0; p < job.owners.size(); ++p)
      if (!job.owners[p].empty())
        per_worker[job.owners[p]].push_back(static_cast<std::int32_t>(p));
    for (auto& [wid, parts] : per_worker) {
      bool changed = false;
      for (size_t p = 0; p < job.owners.size(); ++p)
        changed |= (before[p] == wid) != (job.owners[p] == wid);
      if (!changed)
        continue;
      WEIR_INFO("job {}: worker {} owns {} partition(s)", job_id, wid, parts.size());
      self->send(st.workers[wid].handle, assign_atom::value, job_id, job.spec_text,
                 static_cast<std::int32_t>(job.owners.size()), std::move(parts));
    }
  }
}

// Kafka metadata lookups block; run each in a short-lived detached actor.
caf::actor lookup_partitions(self_ptr self) {
  return self->spawn<caf::detached>([](caf::event_based_actor* helper) -> caf::behavior {
    return {[helper](partitions_atom, const std::string& brokers,
                     const std::string& topic) -> partition_info {
      helper->quit();
      auto n = kafka::partition_count(brokers, topic);
      if (!n)
        return {0, n.error_message()};
      return {*n, {}};
    }};
  });
}

} // namespace

coordinator_actor::behavior_type coordinator(self_ptr self) {
  self->set_down_handler([self](const caf::down_msg& msg) {
    auto& workers = self->state.workers;
    for (auto it = workers.begin(); it != workers.end(); ++it) {
      if (it->second.handle.address() == msg.source) {
        WEIR_WARN("worker {} ({}) is gone: {}", it->first, it->second.info.name,
                  self->system().render(msg.reason));
        workers.erase(it);
        reassign(self);
        return;
      }
    }
  });
  return {
    [self](register_atom, worker_actor handle, worker_info info) -> std::string {
      auto id = "w" + std::to_string(self->state.next_worker++);
      WEIR_INFO("worker {} joined: {} (host {}, pid {})", id, info.name, info.host, info.pid);
      self->monitor(handle);
      self->state.workers[id] = {std::move(handle), std::move(info)};
      reassign(self);
      return id;
    },
    [self](submit_atom, const std::string& text,
           const std::string& origin) -> caf::result<submit_result> {
      auto spec = jobs::parse_spec(text, origin);
      if (!spec)
        return submit_result{false, {}, spec.error_message()};
      if (self->state.jobs.count(spec->name))
        return submit_result{false, {}, "job '" + spec->name + "' is already running"};
      auto rp = self->make_response_promise<submit_result>();
      auto helper = lookup_partitions(self);
      self->request(helper, std::chrono::seconds(15), partitions_atom::value, spec->source.brokers,
                    spec->source.topic)
        .then(
          [self, rp, text, spec = *spec](const partition_info& info) mutable {
            if (info.count <= 0) {
              rp.deliver(submit_result{false, {}, info.error});
              return;
            }
            if (self->state.jobs.count(spec.name)) {
              rp.deliver(submit_result{false, {}, "job '" + spec.name + "' is already running"});
              return;
            }
            auto id = spec.name;
            WEIR_INFO("job {} accepted: topic {} with {} partition(s)", id, spec.source.topic,
                      info.count);
            self->state.jobs[id] = {text, std::move(spec),
                                    std::vector<std::string>(static_cast<size_t>(info.count))};
            reassign(self);
            rp.deliver(submit_result{true, id, {}});
          },
          [rp](caf::error& err) mutable {
            rp.deliver(submit_result{false, {}, "partition lookup failed: " + to_string(err)});
          });
      return rp;
    },
    [self](cancel_atom, const std::string& id) -> submit_result {
      auto it = self->state.jobs.find(id);
      if (it == self->state.jobs.end())
        return {false, {}, "no job '" + id + "'"};
      for (auto& [wid, m] : self->state.workers)
        self->send(m.handle, cancel_atom::value, id);
      self->state.jobs.erase(it);
      WEIR_INFO("job {} cancelled", id);
      return {true, id, {}};
    },
    [self](status_atom) -> cluster_status {
      cluster_status out;
      for (const auto& [id, m] : self->state.workers)
        out.workers.push_back({id, m.info});
      for (const auto& [id, job] : self->state.jobs)
        out.jobs.push_back({id, job.spec.source.topic, job.spec.sink.table, job.owners});
      return out;
    },
  };
}

} // namespace weir
