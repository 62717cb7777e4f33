// Raw events as partitioned Parquet files on S3/MinIO, exactly once by file
// name (seed 004: every event on S3 under event_date / 2-hour event_hour /
// bucket = user_id % 128).
//
// A lake_writer serves ONE Kafka partition. It buffers rows per partition
// path (Hive style, `event_date=2026-01-01/event_hour=02/bucket=17`), rolls a
// path's file when it reaches a row or byte limit (or the writer's memory
// limit, largest file first) and on flush(), and names each file after the
// Kafka partition and the first and last offset of its rows:
//   <prefix>/<path>/part-p<partition>-<first, 20 digits>-<last, 20 digits>.parquet
// A file is uploaded whole (put_large: a single PUT or a completed multipart
// upload), so readers never see part of one. Replaying the same offsets with
// the same roll points rewrites the same objects; forget_after() makes any
// roll points safe after a crash.
//
// Fencing: a writer that claim()s its partition writes the owner object
// <prefix>/_weir/owner-p<partition> with a fresh epoch, and its files carry
// that epoch (part-p3-<first>-<last>-<epoch>.parquet). After each round of
// uploads it reads the owner object back: if another writer claimed the
// partition since (its former owner was declared dead while still running),
// it deletes the files of that round and discards every later row, so a
// zombie's files never stay beside its successor's. Readers skip `_weir/`
// (pyarrow and Spark ignore paths starting with `_`). See docs/raw-paths.md.
#pragma once

#include "jobs/raw/rows.hpp"
#include "lib/s3/client.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::raw {

// One level of the partition path: name=<text derived from a column>.
struct path_part {
  std::string name; // the Hive key, e.g. event_date; an identifier, not a column name
  enum kind {
    date,   // YYYY-MM-DD of a timestamp_ms (or epoch-ms int64) column, UTC
    hour,   // HH of it, floored to every `every_or_mod` hours (2: 00, 02, ... 22)
    modulo, // an int64 column % `every_or_mod`, in [0, every_or_mod)
    value   // the column's own text (percent-encoded where not [A-Za-z0-9._-])
  } k;
  std::string column;
  int every_or_mod = 1;
};

// The Hive default for a NULL partition value (what pyarrow and Spark read as null).
inline constexpr std::string_view null_partition = "__HIVE_DEFAULT_PARTITION__";

// A layout checked against a schema: turns a row into its partition path.
class partition_layout {
public:
  static expected<partition_layout> make(std::vector<path_part> parts,
                                         const std::vector<column>& columns);

  // Appends the row's path ("a=1/b=x", no slashes around; nothing for an
  // empty layout). No allocation once `out` has room.
  void append_path(std::string& out, const row_batch& batch, std::size_t row) const;

  const std::vector<path_part>& parts() const { return parts_; }

private:
  std::vector<path_part> parts_;
  std::vector<std::size_t> index_; // column of each part
};

// A lake file's name, parsed back.
struct lake_file {
  std::int32_t kafka_partition = 0;
  std::int64_t first = 0, last = 0;
  std::string epoch; // of the writer that claimed the partition; empty: unfenced
};
// "part-p3-00000000000000000100-00000000000000000199-<epoch>.parquet" (no
// "-<epoch>" for an unfenced writer)
std::string lake_file_name(const lake_file& f);
// Parses the last segment of an object key; nullopt if it is not a lake file.
std::optional<lake_file> parse_lake_file_name(std::string_view key);

struct lake_options {
  std::string bucket;
  std::string prefix; // "lake/user_actions" (no trailing slash needed)
  std::vector<column> columns;
  std::vector<path_part> layout;
  parquet::codec codec = parquet::codec::zstd;
  std::size_t max_file_rows = 1'000'000;
  std::size_t max_file_bytes = 64 << 20;      // by parquet::writer::buffered_bytes()
  std::size_t max_buffered_bytes = 256 << 20; // all open files together
  std::size_t row_group_rows = 128 * 1024;
  std::size_t part_size = 8 << 20; // multipart part size above which put_large splits
};

struct lake_stats {
  std::size_t files = 0;       // uploaded
  std::size_t rows = 0;        // in uploaded files
  std::size_t bytes = 0;       // of uploaded files
  std::size_t open = 0;        // files being buffered
  std::size_t pending = 0;     // rolled files not uploaded yet (an upload failed)
  std::size_t fenced_rows = 0; // discarded: another writer claimed the partition
};

class lake_writer {
public:
  static expected<lake_writer> make(s3::config s3, lake_options opts, std::int32_t kafka_partition);

  lake_writer(lake_writer&&) noexcept;
  lake_writer& operator=(lake_writer&&) noexcept;
  ~lake_writer();

  // Buffers the batch's rows, rolling files that reach a limit. The batch
  // needs the writer's columns and Kafka positions in the writer's partition,
  // offsets increasing and after every row written before.
  //
  // An error means the batch was NOT taken (nothing of it is kept): retrying
  // the same batch is safe. That is the case while an earlier upload still
  // fails (retried first): the stream waits instead of growing memory. Once
  // rows are taken, a failed upload of a file they rolled keeps the file for
  // the next write() or flush(), and write() still succeeds.
  expected<void> write(const row_batch& batch);

  // Rolls every open file and uploads everything pending. After it succeeds
  // every row written so far is in S3: the point to take a checkpoint at.
  expected<void> flush();

  // Takes the partition over from whoever wrote it before: a new epoch in
  // the owner object, then forget_after(offset) (the offset of the
  // checkpoint resumed from). Returns the files deleted. Call it before
  // writing; a writer never claimed is not fenced (tests, tools).
  expected<std::size_t> claim(std::int64_t offset);

  // True once another writer claimed the partition: rows are discarded.
  bool fenced() const;

  // The partition is given up: deletes the files no checkpoint covers (those
  // not yet read back against the owner object, those rolled and perhaps
  // uploaded) and drops what is buffered. The next owner replays those rows.
  expected<void> discard();

  // Deletes every file of `kafka_partition` under the prefix whose first
  // offset is >= offset, and returns how many. A new owner calls it with the
  // offset of the checkpoint it restores, before writing (see README.md).
  expected<std::size_t> forget_after(std::int32_t kafka_partition, std::int64_t offset);

  lake_stats stats() const;
  // The offset after the last row taken (-1 + 1 = 0 before any).
  std::int64_t next_offset() const { return last_offset_ + 1; }

private:
  lake_writer() = default;
  struct state; // client, open files by path, pending uploads, scratch

  std::unique_ptr<state> st_;
  std::int32_t partition_ = 0;
  std::int64_t last_offset_ = -1;
};

// forget_after() without a writer: lists `prefix` in `bucket` and deletes the
// files of `kafka_partition` whose first offset is >= offset.
expected<std::size_t> forget_after(s3::client& client, const std::string& bucket,
                                   const std::string& prefix, std::int32_t kafka_partition,
                                   std::int64_t offset);

} // namespace weir::raw
