// PostgreSQL behind the windowed sink (sinks/windowed/stores.hpp): the
// progress store (progress and partials) and, unless the results go to
// another store (sink.partials_url), the results store too, in the same
// transaction. I/O only: it runs statements.hpp's statements with what the
// sink hands it.
//
// Exactly once needs no 2PC: a write's rows and the progress they come from
// commit together, under the job's advisory lock, so sinks on different
// workers write in a serial order; every row is a deterministic function
// of (window, key, input), so a replay rewrites identical values.
#pragma once

#include "base/expected.hpp"
#include "jobs/spec.hpp"
#include "sinks/windowed/sink.hpp"

#include <memory>

namespace weir::sinks::pg {

// Connects, creates the tables if missing and checks an existing results
// table against the spec (one made for another spec is a permanent error).
// The progress store, and the results store on the same connection; with
// `elsewhere`, only progress and partials, at sink.partials_url (no
// results store).
expected<windowed::stores> open_store(const jobs::job_spec& spec, bool elsewhere);

} // namespace weir::sinks::pg
