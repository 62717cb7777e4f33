// The data files of one Kafka partition: rows buffered per partition of the
// table (a cell), each arriving batch's rows stored sorted, the runs merged
// into the table's sort order when the cell is written as one Parquet file
// with Iceberg field ids and column statistics. A cell is written when it
// reaches the target size, when the writer holds more than that in all, and
// after every checkpoint barrier (sealed, on the sink's flush thread). Files
// are uploaded whole and belong to no snapshot until a commit lists them.
#pragma once

#include "base/expected.hpp"
#include "base/types.hpp"
#include "jobs/raw/rows.hpp"
#include "lib/iceberg/manifest.hpp"
#include "lib/s3/client.hpp"
#include "sinks/lake/layout.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weir::lake {

// The rows of one partition of the table, buffered until they become a file.
struct cell {
  std::vector<iceberg::datum> tuple;
  std::string path; // data/<partition path>
  raw::row_batch rows;
  std::vector<std::uint32_t> runs; // each batch's rows arrive sorted: where each run ends
  std::size_t bytes = 0;
};

// A partition's cells and files at a barrier, taken off its writer so that
// they become files on another thread while the writer buffers on.
struct sealed_cells {
  std::vector<std::unique_ptr<cell>> cells;
  std::vector<iceberg::data_file> files; // written already, and those of `cells` once written

  // Writes the cells as files, each removed once uploaded (a failure keeps
  // the rest, to try again).
  expected<void> write(const table_config& cfg, s3::client& s3, partition_id p);
};

class partition_writer {
public:
  partition_writer(const table_config& cfg, s3::client& s3, partition_id p);
  partition_writer(partition_writer&&) noexcept;
  ~partition_writer();

  // Buffers the rows at offsets >= `from` (rows below were committed
  // already). Never fails: uploads happen in roll().
  void write(const raw::row_batch& batch, offset_t from);
  // Writes the cells over the target size (every cell when `all`). A failed
  // upload keeps its cell buffered, to try again.
  expected<void> roll(bool all);
  // The files written since the last take.
  std::vector<iceberg::data_file> take_files();
  // Takes every buffered cell and the files not taken: the writer is empty.
  sealed_cells seal();
  // Drops what is buffered and deletes the files not taken (best effort):
  // the partition's next owner replays those rows.
  void discard();

  // Called with each data file's object key before the writer uploads it
  // (not for sealed cells): a failure leaves the file unwritten. An export
  // names its files first, so a try killed mid-upload leaves none unnamed.
  using upload_hook = std::function<expected<void>(const std::string& key)>;
  void before_upload(upload_hook f) { before_upload_ = std::move(f); }

  std::size_t buffered_bytes() const { return buffered_; }
  std::size_t buffered_rows() const;

private:
  expected<void> write_cell(cell& c);
  // The cell of a partition tuple (the row's transformed partition values),
  // made on first use.
  cell& cell_of(const std::vector<iceberg::datum>& tuple);

  const table_config* cfg_;
  s3::client* s3_;
  partition_id partition_;
  std::map<std::string, std::unique_ptr<cell>> cells_; // by partition path
  std::vector<iceberg::data_file> files_;
  std::size_t buffered_ = 0;
  upload_hook before_upload_;
  // Scratch reused for every batch: no allocation per event once warm.
  std::optional<raw::row_batch> staging_; // the batch's keyed and derived columns
  std::vector<std::uint32_t> picked_, group_, from_batch_;
  std::vector<cell*> cell_of_row_;
  std::string key_;
  // Consecutive rows mostly share a cell: the last one is kept with its tuple.
  cell* last_ = nullptr;
  std::vector<iceberg::datum> tuple_, last_tuple_;
};

} // namespace weir::lake
