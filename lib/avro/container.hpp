// Avro object container files (Avro 1.11 specification, "Object Container
// Files"): a writer of whole files into memory and a reader that decodes
// every record generically against the writer's schema. Neither does I/O.
//
// A file is the magic "Obj\x01", a metadata map (avro.schema, avro.codec and
// the caller's keys), a 16-byte sync marker, then blocks: a record count, a
// byte size, the records (compressed by the codec), the sync marker again.
#pragma once

#include "base/expected.hpp"
#include "lib/avro/binary.hpp"
#include "lib/avro/schema.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir::avro {

// Codecs this writer writes: "null" and "deflate" (raw RFC 1951 deflate,
// no zlib header or checksum), the two every Avro reader must know.
enum class codec { null, deflate };

using sync_marker = std::array<std::uint8_t, 16>;

struct writer_options {
  avro::codec codec = codec::deflate;
  // A block is cut when either is reached.
  std::size_t block_records = 4096;
  std::size_t block_bytes = 64 * 1024;
  // Random (std::random_device) when not given; tests pin it.
  std::optional<sync_marker> sync;
};

class container_writer {
public:
  // Fails when `schema_json` is not an Avro schema or a metadata key starts
  // with "avro." (reserved for the format).
  static expected<container_writer> make(std::string_view schema_json,
                                         std::vector<std::pair<std::string, std::string>> metadata,
                                         writer_options options = {});

  // One record, already encoded against the schema (see encoder). The
  // writer cannot check it against the schema.
  expected<void> append(std::string_view datum);
  std::size_t records() const { return records_; }

  // The whole file. The writer is spent afterwards.
  expected<std::string> finish();

private:
  container_writer() = default;
  expected<void> flush_block();

  writer_options options_;
  sync_marker sync_{};
  std::string out_;   // header and finished blocks
  std::string block_; // records of the block being filled
  std::size_t block_count_ = 0;
  std::size_t records_ = 0;
  bool finished_ = false;
};

// A datum decoded against a schema node. Only the members of its type are
// set: boolean; integer (int, long, enum index); real (float, double);
// text (string, bytes, fixed, enum symbol); items (record fields in schema
// order, array elements, map values) with keys (map keys).
struct value {
  avro::type t = type::null;    // a union's value has its branch's type
  const node* schema = nullptr; // the node decoded against (the branch, in a union)
  int branch = -1;              // the union branch taken, -1 outside unions
  bool boolean = false;
  std::int64_t integer = 0;
  double real = 0;
  std::string text;
  std::vector<value> items;
  std::vector<std::string> keys;

  bool is_null() const { return t == type::null; }
  // A record's field by name or by Iceberg field id; nullptr if absent.
  const value* field(std::string_view name) const;
  const value* field(int field_id) const;
};

struct container {
  std::vector<std::pair<std::string, std::string>> metadata; // in file order, avro.* included
  avro::schema schema; // the writer's schema, which records' nodes point into
  std::string codec;
  sync_marker sync{};
  std::vector<value> records;

  // A metadata value, or nullptr.
  const std::string* meta(std::string_view key) const;
};

// Reads a whole container file. Codecs: null, deflate, snappy (with its
// CRC32) and zstandard. Fails on anything malformed: bad magic, a schema
// that does not parse, an unknown codec, a block whose sync marker differs,
// a block whose bytes do not hold exactly its records.
expected<container> read_container(std::string_view bytes);

// Decodes one datum of `schema` off the decoder (exposed for tests and for
// reading single encoded values).
expected<value> decode(const node& schema, decoder& in);

} // namespace weir::avro
