// The CAF configuration every weir process shares: the io middleman, every
// wire type registered by name, the scheduler and middleman heartbeats.
#pragma once

#include "runtime/system.hpp"

#include <caf/actor_system_config.hpp>

namespace weir {

class node_config : public caf::actor_system_config {
public:
  explicit node_config(const node_options& opts = {});
};

} // namespace weir
