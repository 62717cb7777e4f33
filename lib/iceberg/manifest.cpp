#include "lib/iceberg/manifest.hpp"

#include "lib/avro/binary.hpp"
#include "lib/iceberg/detail.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace weir::iceberg {

using ordered = nlohmann::ordered_json;

namespace {

// The Avro type of a partition value (Appendix A, Avro type mappings).
ordered avro_type(type t) {
  if (t == type::date)
    return {{"type", "int"}, {"logicalType", "date"}};
  if (t == type::timestamptz)
    return {{"type", "long"}, {"logicalType", "timestamp-micros"}, {"adjust-to-utc", true}};
  // boolean, int, long, double and string: Avro's names are Iceberg's.
  return t == type::other ? "bytes" : type_name(t);
}

ordered field(const std::string& name, ordered type, std::int32_t id) {
  return {{"name", name}, {"type", std::move(type)}, {"field-id", id}};
}

ordered record(const std::string& name, ordered fields) {
  return {{"type", "record"}, {"name", name}, {"fields", std::move(fields)}};
}

ordered optional_field(const std::string& name, ordered type, std::int32_t id) {
  return {{"name", name},
          {"type", ordered::array({"null", std::move(type)})},
          {"default", nullptr},
          {"field-id", id}};
}

// A map with int keys: an array of key/value records marked logicalType
// map, as Avro maps allow string keys only.
ordered int_map(const char* name, std::int32_t id, std::int32_t key_id, std::int32_t value_id,
                const char* value_type) {
  ordered items =
    record("k" + std::to_string(key_id) + "_v" + std::to_string(value_id),
           ordered::array({field("key", "int", key_id), field("value", value_type, value_id)}));
  return optional_field(name,
                        {{"type", "array"}, {"logicalType", "map"}, {"items", std::move(items)}},
                        id);
}

std::string manifest_entry_schema(const std::vector<partition_column>& partition) {
  ordered part = ordered::array();
  for (const auto& c : partition)
    part.push_back(optional_field(c.name, avro_type(c.t), c.field_id));
  ordered data_file =
    record("r2", ordered::array({
                   field("content", "int", 134),
                   field("file_path", "string", 100),
                   field("file_format", "string", 101),
                   field("partition", record("r102", std::move(part)), 102),
                   field("record_count", "long", 103),
                   field("file_size_in_bytes", "long", 104),
                   int_map("column_sizes", 108, 117, 118, "long"),
                   int_map("value_counts", 109, 119, 120, "long"),
                   int_map("null_value_counts", 110, 121, 122, "long"),
                   int_map("nan_value_counts", 137, 138, 139, "long"),
                   int_map("lower_bounds", 125, 126, 127, "bytes"),
                   int_map("upper_bounds", 128, 129, 130, "bytes"),
                   optional_field("key_metadata", "bytes", 131),
                   optional_field("split_offsets",
                                  {{"type", "array"}, {"items", "long"}, {"element-id", 133}}, 132),
                   optional_field("equality_ids",
                                  {{"type", "array"}, {"items", "int"}, {"element-id", 136}}, 135),
                   optional_field("sort_order_id", "int", 140),
                 }));
  ordered entry = record("manifest_entry", ordered::array({
                                             field("status", "int", 0),
                                             optional_field("snapshot_id", "long", 1),
                                             optional_field("sequence_number", "long", 3),
                                             optional_field("file_sequence_number", "long", 4),
                                             field("data_file", std::move(data_file), 2),
                                           }));
  return text(entry);
}

std::string manifest_list_schema() {
  ordered summary = record("r508", ordered::array({
                                     field("contains_null", "boolean", 509),
                                     optional_field("contains_nan", "boolean", 518),
                                     optional_field("lower_bound", "bytes", 510),
                                     optional_field("upper_bound", "bytes", 511),
                                   }));
  ordered file =
    record("manifest_file",
           ordered::array({
             field("manifest_path", "string", 500),
             field("manifest_length", "long", 501),
             field("partition_spec_id", "int", 502),
             field("content", "int", 517),
             field("sequence_number", "long", 515),
             field("min_sequence_number", "long", 516),
             field("added_snapshot_id", "long", 503),
             field("added_files_count", "int", 504),
             field("existing_files_count", "int", 505),
             field("deleted_files_count", "int", 506),
             field("added_rows_count", "long", 512),
             field("existing_rows_count", "long", 513),
             field("deleted_rows_count", "long", 514),
             optional_field("partitions",
                            {{"type", "array"}, {"items", std::move(summary)}, {"element-id", 508}},
                            507),
             optional_field("key_metadata", "bytes", 519),
           }));
  return text(file);
}

void optional_long(avro::encoder& e, const std::optional<std::int64_t>& v) {
  e.branch(v ? 1 : 0);
  if (v)
    e.int64(*v);
}

template <class V, class Put>
void optional_int_map(avro::encoder& e, const std::map<std::int32_t, V>& m, Put&& put) {
  if (m.empty()) {
    e.branch(0);
    return;
  }
  e.branch(1);
  e.block(m.size());
  for (const auto& [k, v] : m) {
    e.int32(k);
    put(v);
  }
  e.end();
}

void encode_partition_value(avro::encoder& e, type t, const datum& v) {
  if (v.index() == 0) {
    e.branch(0);
    return;
  }
  e.branch(1);
  switch (t) {
    case type::boolean: e.boolean(std::get<bool>(v)); break;
    case type::int32:
    case type::date: e.int32(std::get<std::int32_t>(v)); break;
    case type::int64:
    case type::timestamptz: e.int64(std::get<std::int64_t>(v)); break;
    case type::float64: e.float64(std::get<double>(v)); break;
    case type::string: e.string(std::get<std::string>(v)); break;
    case type::other: e.bytes(""); break;
  }
}

expected<void> check_tuple(const std::vector<partition_column>& cols, const data_file& f) {
  if (f.partition.size() != cols.size())
    return error{"iceberg: file " + f.file_path + " has " + std::to_string(f.partition.size())
                 + " partition values, the spec " + std::to_string(cols.size())};
  for (std::size_t i = 0; i < cols.size(); ++i)
    if (!fits(cols[i].t, view(f.partition[i])))
      return error{"iceberg: file " + f.file_path + ": partition value of '" + cols[i].name
                   + "' is not a " + type_name(cols[i].t)};
  return {};
}

void encode_entry(avro::encoder& e, const std::vector<partition_column>& cols,
                  const manifest_entry& m) {
  e.int32(static_cast<std::int32_t>(m.status));
  optional_long(e, m.snapshot_id);
  optional_long(e, m.sequence_number);
  optional_long(e, m.file_sequence_number);
  const auto& f = m.file;
  e.int32(f.content);
  e.string(f.file_path);
  e.string(f.file_format);
  for (std::size_t i = 0; i < cols.size(); ++i)
    encode_partition_value(e, cols[i].t, f.partition[i]);
  e.int64(f.record_count);
  e.int64(f.file_size_in_bytes);
  auto put_long = [&](std::int64_t v) {
    e.int64(v);
  };
  auto put_bytes = [&](const std::string& v) {
    e.bytes(v);
  };
  optional_int_map(e, f.column_sizes, put_long);
  optional_int_map(e, f.value_counts, put_long);
  optional_int_map(e, f.null_value_counts, put_long);
  optional_int_map(e, f.nan_value_counts, put_long);
  optional_int_map(e, f.lower_bounds, put_bytes);
  optional_int_map(e, f.upper_bounds, put_bytes);
  e.branch(0); // key_metadata
  if (f.split_offsets.empty()) {
    e.branch(0);
  } else {
    e.branch(1);
    e.block(f.split_offsets.size());
    for (auto o : f.split_offsets)
      e.int64(o);
    e.end();
  }
  e.branch(0); // equality_ids: data files have none
  if (f.sort_order_id) {
    e.branch(1);
    e.int32(*f.sort_order_id);
  } else {
    e.branch(0);
  }
}

void encode_manifest_file(avro::encoder& e, const manifest_file& m) {
  e.string(m.manifest_path);
  e.int64(m.manifest_length);
  e.int32(m.partition_spec_id);
  e.int32(m.content);
  e.int64(m.sequence_number);
  e.int64(m.min_sequence_number);
  e.int64(m.added_snapshot_id);
  e.int32(m.added_files_count);
  e.int32(m.existing_files_count);
  e.int32(m.deleted_files_count);
  e.int64(m.added_rows_count);
  e.int64(m.existing_rows_count);
  e.int64(m.deleted_rows_count);
  e.branch(1);
  e.block(m.partitions.size());
  for (const auto& s : m.partitions) {
    e.boolean(s.contains_null);
    e.branch(s.contains_nan ? 1 : 0);
    if (s.contains_nan)
      e.boolean(*s.contains_nan);
    for (const auto* b : {&s.lower_bound, &s.upper_bound}) {
      e.branch(*b ? 1 : 0);
      if (*b)
        e.bytes(**b);
    }
  }
  e.end();
  e.branch(0); // key_metadata
}

// Values of a decoded manifest, absent and null alike read as nothing.
const avro::value* present(const avro::value* v) {
  return v && !v->is_null() ? v : nullptr;
}

std::optional<std::int64_t> long_of(const avro::value* v) {
  v = present(v);
  return v ? std::optional<std::int64_t>{v->integer} : std::nullopt;
}

std::map<std::int32_t, std::int64_t> long_map(const avro::value* v) {
  std::map<std::int32_t, std::int64_t> out;
  if ((v = present(v)))
    for (const auto& kv : v->items)
      if (kv.t == avro::type::record && kv.items.size() == 2)
        out[static_cast<std::int32_t>(kv.items[0].integer)] = kv.items[1].integer;
  return out;
}

std::map<std::int32_t, std::string> bytes_map(const avro::value* v) {
  std::map<std::int32_t, std::string> out;
  if ((v = present(v)))
    for (const auto& kv : v->items)
      if (kv.t == avro::type::record && kv.items.size() == 2)
        out[static_cast<std::int32_t>(kv.items[0].integer)] = kv.items[1].text;
  return out;
}

datum partition_datum(const avro::value& v) {
  switch (v.t) {
    case avro::type::boolean: return v.boolean;
    case avro::type::int32: return static_cast<std::int32_t>(v.integer);
    case avro::type::int64: return v.integer;
    case avro::type::float32:
    case avro::type::float64: return v.real;
    case avro::type::string:
    case avro::type::bytes:
    case avro::type::fixed: return v.text;
    default: return std::monostate{};
  }
}

// A container file of `count` records, record i encoded by encode(e, i).
expected<std::string> write_records(
  const std::string& schema, std::vector<std::pair<std::string, std::string>> metadata,
  const avro::writer_options& options, std::size_t count,
  const std::function<void(avro::encoder&, std::size_t)>& encode) {
  auto w = avro::container_writer::make(schema, std::move(metadata), options);
  if (!w)
    return w.failure();
  std::string datum;
  for (std::size_t i = 0; i < count; ++i) {
    datum.clear();
    avro::encoder e(datum);
    encode(e, i);
    if (auto ok = w->append(datum); !ok)
      return ok.failure();
  }
  auto bytes = w->finish();
  if (!bytes)
    return bytes.failure();
  return std::move(*bytes);
}

} // namespace

expected<std::string> write_manifest(const manifest_context& ctx,
                                     const std::vector<manifest_entry>& entries,
                                     const avro::writer_options& options) {
  return catching("manifest", [&]() -> expected<std::string> {
    auto cols = partition_type(ctx.spec, ctx.schema);
    if (!cols)
      return cols.failure();
    for (const auto& m : entries)
      if (auto ok = check_tuple(*cols, m.file); !ok)
        return ok.failure();
    return write_records(manifest_entry_schema(*cols),
                         {{"schema", to_json(ctx.schema)},
                          {"schema-id", std::to_string(ctx.schema.schema_id)},
                          {"partition-spec", partition_fields_json(ctx.spec)},
                          {"partition-spec-id", std::to_string(ctx.spec.spec_id)},
                          {"format-version", "2"},
                          {"content", "data"}},
                         options, entries.size(), [&](avro::encoder& e, std::size_t i) {
                           encode_entry(e, *cols, entries[i]);
                         });
  });
}

expected<manifest_file> describe_manifest(const manifest_context& ctx,
                                          const std::vector<manifest_entry>& entries,
                                          std::string path, std::int64_t length,
                                          std::int64_t snapshot_id, std::int64_t sequence_number) {
  return catching("manifest", [&]() -> expected<manifest_file> {
    auto cols = partition_type(ctx.spec, ctx.schema);
    if (!cols)
      return cols.failure();
    manifest_file mf;
    mf.manifest_path = std::move(path);
    mf.manifest_length = length;
    mf.partition_spec_id = ctx.spec.spec_id;
    mf.sequence_number = sequence_number;
    mf.added_snapshot_id = snapshot_id;
    std::optional<std::int64_t> min_seq;
    // Per partition field: NULL seen, NaN seen, and the range of the rest.
    struct range {
      bool has = false;
      datum lo, hi;
    };
    std::vector<range> ranges(cols->size());
    mf.partitions.resize(cols->size());
    for (const auto& m : entries) {
      if (auto ok = check_tuple(*cols, m.file); !ok)
        return ok.failure();
      switch (m.status) {
        case entry_status::added:
          ++mf.added_files_count;
          mf.added_rows_count += m.file.record_count;
          break;
        case entry_status::existing:
          ++mf.existing_files_count;
          mf.existing_rows_count += m.file.record_count;
          break;
        case entry_status::deleted:
          ++mf.deleted_files_count;
          mf.deleted_rows_count += m.file.record_count;
          break;
      }
      if (m.status != entry_status::deleted) {
        const auto seq = m.sequence_number.value_or(sequence_number);
        min_seq = min_seq ? std::min(*min_seq, seq) : seq;
      }
      for (std::size_t i = 0; i < cols->size(); ++i) {
        const auto& v = m.file.partition[i];
        auto& sum = mf.partitions[i];
        if (v.index() == 0) {
          sum.contains_null = true;
          continue;
        }
        if ((*cols)[i].t == type::float64 && std::isnan(std::get<double>(v))) {
          sum.contains_nan = true;
          continue;
        }
        auto& r = ranges[i];
        if (!r.has) {
          r = {true, v, v};
        } else if (compare((*cols)[i].t, view(v), view(r.lo)) < 0) {
          r.lo = v;
        } else if (compare((*cols)[i].t, view(v), view(r.hi)) > 0) {
          r.hi = v;
        }
      }
    }
    for (std::size_t i = 0; i < cols->size(); ++i) {
      auto& sum = mf.partitions[i];
      if (!sum.contains_nan)
        sum.contains_nan = false;
      if (ranges[i].has) {
        sum.lower_bound = to_bytes((*cols)[i].t, view(ranges[i].lo));
        sum.upper_bound = to_bytes((*cols)[i].t, view(ranges[i].hi));
      }
    }
    mf.min_sequence_number = min_seq.value_or(sequence_number);
    return mf;
  });
}

expected<std::string> write_manifest_list(const std::vector<manifest_file>& manifests,
                                          std::int64_t snapshot_id,
                                          std::optional<std::int64_t> parent_snapshot_id,
                                          std::int64_t sequence_number,
                                          const avro::writer_options& options) {
  return catching("manifest list", [&]() -> expected<std::string> {
    return write_records(manifest_list_schema(),
                         {{"snapshot-id", std::to_string(snapshot_id)},
                          {"parent-snapshot-id",
                           parent_snapshot_id ? std::to_string(*parent_snapshot_id) : "null"},
                          {"sequence-number", std::to_string(sequence_number)},
                          {"format-version", "2"}},
                         options, manifests.size(), [&](avro::encoder& e, std::size_t i) {
                           encode_manifest_file(e, manifests[i]);
                         });
  });
}

expected<manifest> read_manifest(std::string_view bytes, const manifest_file* listed) {
  return catching("manifest", [&]() -> expected<manifest> {
    auto c = avro::read_container(bytes);
    if (!c)
      return error{"iceberg: manifest: " + c.error_message()};
    manifest out;
    if (const auto* v = c->meta("partition-spec-id"))
      out.partition_spec_id = static_cast<std::int32_t>(std::strtol(v->c_str(), nullptr, 10));
    if (const auto* v = c->meta("content"))
      out.content = *v;
    if (const auto* v = c->meta("schema"))
      out.schema_json = *v;
    if (const auto* v = c->meta("partition-spec"))
      out.partition_spec_json = *v;
    if (c->schema.root().t != avro::type::record)
      return error{"iceberg: manifest: the Avro schema is not a record"};
    for (const auto& r : c->records) {
      const avro::value* status = r.field(0);
      const avro::value* df = r.field(2);
      if (!present(status) || !present(df) || df->t != avro::type::record)
        return error{"iceberg: manifest: an entry without status or data_file"};
      manifest_entry m;
      if (status->integer < 0 || status->integer > 2)
        return error{"iceberg: manifest: entry status " + std::to_string(status->integer)};
      m.status = static_cast<entry_status>(status->integer);
      m.snapshot_id = long_of(r.field(1));
      m.sequence_number = long_of(r.field(3));
      m.file_sequence_number = long_of(r.field(4));
      auto& f = m.file;
      f.content = static_cast<std::int32_t>(long_of(df->field(134)).value_or(0));
      const avro::value* path = present(df->field(100));
      if (!path)
        return error{"iceberg: manifest: a data_file without file_path"};
      f.file_path = path->text;
      if (const avro::value* fmt = present(df->field(101)))
        f.file_format = fmt->text;
      if (const avro::value* part = present(df->field(102)))
        for (const auto& v : part->items)
          f.partition.push_back(partition_datum(v));
      f.record_count = long_of(df->field(103)).value_or(0);
      f.file_size_in_bytes = long_of(df->field(104)).value_or(0);
      f.column_sizes = long_map(df->field(108));
      f.value_counts = long_map(df->field(109));
      f.null_value_counts = long_map(df->field(110));
      f.nan_value_counts = long_map(df->field(137));
      f.lower_bounds = bytes_map(df->field(125));
      f.upper_bounds = bytes_map(df->field(128));
      if (const avro::value* splits = present(df->field(132)))
        for (const auto& o : splits->items)
          f.split_offsets.push_back(o.integer);
      if (auto order = long_of(df->field(140)))
        f.sort_order_id = static_cast<std::int32_t>(*order);
      if (listed) {
        // Sequence number inheritance: null fields of ADDED entries come from
        // the manifest list; v1 manifests' existing entries read as 0.
        if (!m.snapshot_id)
          m.snapshot_id = listed->added_snapshot_id;
        const std::int64_t inherited =
          m.status == entry_status::added ? listed->sequence_number : 0;
        if (!m.sequence_number)
          m.sequence_number = inherited;
        if (!m.file_sequence_number)
          m.file_sequence_number = inherited;
      }
      out.entries.push_back(std::move(m));
    }
    return out;
  });
}

expected<std::vector<manifest_file>> read_manifest_list(std::string_view bytes) {
  return catching("manifest list", [&]() -> expected<std::vector<manifest_file>> {
    auto c = avro::read_container(bytes);
    if (!c)
      return error{"iceberg: manifest list: " + c.error_message()};
    std::vector<manifest_file> out;
    for (const auto& r : c->records) {
      manifest_file m;
      const avro::value* path = present(r.field(500));
      if (!path)
        return error{"iceberg: manifest list: an entry without manifest_path"};
      m.manifest_path = path->text;
      m.manifest_length = long_of(r.field(501)).value_or(0);
      m.partition_spec_id = static_cast<std::int32_t>(long_of(r.field(502)).value_or(0));
      m.content = static_cast<std::int32_t>(long_of(r.field(517)).value_or(0));
      m.sequence_number = long_of(r.field(515)).value_or(0);
      m.min_sequence_number = long_of(r.field(516)).value_or(0);
      m.added_snapshot_id = long_of(r.field(503)).value_or(0);
      m.added_files_count = static_cast<std::int32_t>(long_of(r.field(504)).value_or(0));
      m.existing_files_count = static_cast<std::int32_t>(long_of(r.field(505)).value_or(0));
      m.deleted_files_count = static_cast<std::int32_t>(long_of(r.field(506)).value_or(0));
      m.added_rows_count = long_of(r.field(512)).value_or(0);
      m.existing_rows_count = long_of(r.field(513)).value_or(0);
      m.deleted_rows_count = long_of(r.field(514)).value_or(0);
      if (const avro::value* parts = present(r.field(507)))
        for (const auto& s : parts->items) {
          manifest_field_summary sum;
          if (const avro::value* n = present(s.field(509)))
            sum.contains_null = n->boolean;
          if (const avro::value* n = present(s.field(518)))
            sum.contains_nan = n->boolean;
          if (const avro::value* b = present(s.field(510)))
            sum.lower_bound = b->text;
          if (const avro::value* b = present(s.field(511)))
            sum.upper_bound = b->text;
          m.partitions.push_back(std::move(sum));
        }
      out.push_back(std::move(m));
    }
    return out;
  });
}

} // namespace weir::iceberg
