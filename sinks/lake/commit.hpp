// Exactly-once commits of a job's lake table. At every checkpoint barrier a
// partition's sink writes the data files of the offsets [first, next) it
// covered since the last barrier, then a pending list naming them (an
// Avro manifest of ADDED entries) at
//   <location>/weir/pending/<identity>/p<P>/r<round>-<first>-<next>.avro
// The coordinator, once partitions' checkpoints are stored, commits for
// each partition the chain of lists from its committed offset up to its
// checkpointed one, all partitions in ONE snapshot whose summary carries
// weir.commit-id (the job's identity), weir.round and weir.offsets (every
// partition's committed offset) and weir.lists (the lists it took). The
// committed offsets are read back from
// the newest snapshot of the identity, so a retried or repeated commit adds
// nothing twice, and a job started afresh (a new identity) never mistakes
// an earlier job's commits for its own. See docs/lake.md.
#pragma once

#include "base/expected.hpp"
#include "base/types.hpp"
#include "jobs/spec.hpp"
#include "lib/iceberg/manifest.hpp"
#include "lib/iceberg/metadata.hpp"
#include "sinks/lake/layout.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace weir::lake {

using offsets = std::map<partition_id, offset_t>;

// A pending list's name, parsed.
struct pending_list {
  partition_id partition = 0;
  round_id round = 0;
  offset_t first = 0, next = 0;
};
std::string pending_prefix(const table_config& t, const std::string& identity);
std::string pending_key(const table_config& t, const std::string& identity, const pending_list& l);
std::optional<pending_list> parse_pending_key(std::string_view key);

// A list of data files as a pending list holds them (an Avro manifest of
// ADDED entries), and the files such a list names.
expected<std::string> write_file_list(const table_config& t,
                                      const std::vector<iceberg::data_file>& files);
expected<std::vector<iceberg::data_file>> read_file_list(std::string_view bytes);

// Of one partition's pending lists, those chaining from `start` without
// passing `limit` (its checkpointed offset), reaching farthest; where two
// lists start at one offset, the later round first (a new owner's replay
// over a list its dead predecessor left).
std::vector<pending_list> choose_lists(std::vector<pending_list> lists, offset_t start,
                                       offset_t limit);

// The pending lists (partition, round) the kept snapshots of `identity`
// committed (their weir.lists): a list past the committed offsets is a
// leftover of a commit (only its object goes) when listed here, else it was
// aborted (its data files go too).
std::set<std::pair<partition_id, round_id>> committed_lists(const iceberg::table_metadata& m,
                                                            const std::string& identity);

// The offsets the newest snapshot committed by `identity` records.
offsets committed_offsets(const iceberg::table_metadata& m, const std::string& identity);
std::string format_offsets(const offsets& o);
offsets parse_offsets(std::string_view text);

struct commit_request {
  std::string identity;
  round_id round = 0;
  offsets checkpointed; // per partition: the offset its latest stored checkpoint resumes from
  // Also delete orphan data files modified before this (ms since the
  // epoch): sinks/lake/orphans.hpp. None: no sweep.
  std::optional<std::int64_t> sweep_before_ms;
};

struct commit_outcome {
  std::optional<std::int64_t> snapshot; // nothing new: no snapshot
  std::size_t files = 0, rows = 0, lists = 0;
  std::size_t expired_files = 0;   // unreachable after expiring snapshots
  std::size_t aborted_files = 0;   // of lists no commit will take
  std::size_t compacted_files = 0; // small files rewritten into larger ones
  bool compacted = false;          // a replace snapshot was committed
  bool swept = false;              // the orphan sweep asked for ran
  std::size_t orphan_files = 0;    // it deleted
  std::int64_t snapshots = 0;      // in the table now
  double seconds = 0;
};

// One commit of the job's table (blocking: S3 and the catalog).
expected<commit_outcome> commit_once(const jobs::job_spec& spec, const commit_request& request);

} // namespace weir::lake
