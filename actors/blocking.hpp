// Blocking work (a Kafka metadata call, a store, S3) for an event-based
// actor: it must not block the shared scheduler's threads, so it runs in a
// short-lived detached actor and its result comes back as a reply.
#pragma once

#include <caf/atom.hpp>
#include <caf/duration.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/spawn_options.hpp>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>

namespace weir {

using blocking_atom = caf::atom_constant<caf::atom("blocking")>;

// Runs `work()` off `self`'s thread, then `then(result)` in `self`'s context;
// or `failed(why)` if no result came within `timeout` (caf::infinite: wait)
// or the work threw. Under CAF's deterministic test scheduler, which detaches
// nothing, the helper is an ordinary actor of that scheduler, so a test stays
// on one thread (and its work must not block).
template <class Self, class Work, class Then, class Failed>
void run_blocking(Self* self, caf::duration timeout, Work work, Then then, Failed failed) {
  using result = std::invoke_result_t<Work&>;
  // Written by the helper before it replies, read here after the reply:
  // the message orders the two.
  auto out = std::make_shared<std::optional<result>>();
  auto body = [work = std::move(work), out](caf::event_based_actor* helper) mutable {
    return caf::behavior{[helper, work = std::move(work), out](blocking_atom) mutable {
      helper->quit();
      out->emplace(work());
      return true;
    }};
  };
  auto helper = self->system().scheduler().detaches_utility_actors()
                  ? self->template spawn<caf::detached>(std::move(body))
                  : self->spawn(std::move(body));
  self->request(helper, timeout, blocking_atom::value)
    .then(
      [out, then](bool) mutable {
        if (*out)
          then(std::move(**out));
      },
      [self, failed](caf::error& err) mutable { failed(self->system().render(err)); });
}

} // namespace weir
