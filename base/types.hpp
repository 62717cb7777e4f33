// Names for the values that cross interfaces. They are aliases, not wrapper
// types: they document what a parameter means (a Kafka partition, not some
// int) at no cost on the wire, in msgpack state and in CAF's inspectors.
#pragma once

#include <cstdint>
#include <string>

namespace weir {

// GCC's 128-bit integers, for exact decimal sums; __extension__ keeps
// -Wpedantic quiet about them.
__extension__ typedef __int128 int128;
__extension__ typedef unsigned __int128 uint128;

// Milliseconds since the Unix epoch (event time, watermarks) or a duration in ms.
using millis = std::int64_t;

// A Kafka partition of a job's topic: the unit of parallelism and of state.
using partition_id = std::int32_t;

// A Kafka offset within a partition; "next offset" is the first not yet folded.
using offset_t = std::int64_t;

// A job's id: its spec's unique name.
using job_id = std::string;

// A checkpoint round: chosen by the coordinator, increasing; later supersedes earlier.
using round_id = std::uint64_t;

} // namespace weir
