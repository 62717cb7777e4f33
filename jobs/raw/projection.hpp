// Raw jobs: an event's fields, typed by the job's columns, as one row of a
// raw sink's batch.
#pragma once

#include "jobs/event_reader.hpp"
#include "jobs/raw/rows.hpp"
#include "jobs/spec.hpp"

#include <string>
#include <vector>

namespace weir::raw {

// The raw sinks' schema for the job's columns.
std::vector<raw::column> raw_schema(const std::vector<jobs::column_spec>& columns);

// Appends the event as a row. On a missing non-nullable field or a value that
// does not fit its column, appends nothing and returns an error naming the
// column (the caller dead-letters the event): the row would be refused by
// the store, and a batch holding it retried forever. `values` is scratch
// space. `refuse_nul`: the store's text cannot hold NUL (PostgreSQL).
// `time_column`: the column that reads the event-time field, whose ISO 8601
// text the reader parsed already (ev.time); -1: none.
expected<void> append_event(raw::row_batch& batch, const std::vector<jobs::column_spec>& columns,
                            const jobs::event_view& ev, raw::kafka_position from,
                            std::vector<raw::row_batch::value>& values, bool refuse_nul,
                            int time_column = -1);

} // namespace weir::raw
