// Orphan data files: uploaded under the table's data/ but named by no kept
// snapshot's manifests and by no list under weir/ (pending, an export's):
// a worker killed between a file roll and its barrier, or a compaction
// whose commit never landed. Orphan metadata: manifests, manifest lists and
// metadata files under metadata/ that neither the current metadata, its log
// nor a kept snapshot names (a commit killed before its catalog swap).
// As Iceberg's remove_orphan_files: only files older than a safety window
// go, since a live writer's newest files are not listed yet. The sweep lists
// every data file and reads every manifest, so the coordinator asks for one
// only after a failure, at most once per window (actors/coordinator/commits.hpp).
#pragma once

#include "base/expected.hpp"
#include "lib/s3/client.hpp"
#include "sinks/lake/layout.hpp"
#include "sinks/lake/table.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace weir::lake {

// Of the objects under data/, the keys no snapshot nor list references
// (`referenced`, keys) modified before `before_ms`. An object without a time
// is kept.
std::vector<std::string> orphans(const std::vector<s3::client::object_info>& objects,
                                 const std::set<std::string>& referenced, std::int64_t before_ms);

struct sweep_outcome {
  std::size_t seen = 0;             // data files under data/
  std::size_t unreferenced = 0;     // of them, in no snapshot nor list
  std::size_t deleted = 0;          // of those, older than the window
  std::size_t metadata_deleted = 0; // orphan metadata objects older than the window
};

// "N data file(s), U unreferenced, D of them older than the window deleted;
// M metadata file(s) of no snapshot deleted": what a sweep's log line says.
std::string describe(const sweep_outcome& o);

// Deletes the orphan data and metadata files of `t` modified before `before_ms`
// (blocking: S3). Every list under weir/ counts as a reference: pending
// lists of any identity, an export's lists.
expected<sweep_outcome> sweep_orphans(table& t, const table_config& cfg, s3::client& s3,
                                      std::int64_t before_ms);

} // namespace weir::lake
