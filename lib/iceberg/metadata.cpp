#include "lib/iceberg/metadata.hpp"

#include "lib/iceberg/detail.hpp"

#include <algorithm>
#include <set>

namespace weir::iceberg {

using json = nlohmann::json;
using ordered = nlohmann::ordered_json;

const schema_field* schema::find(std::int32_t id) const {
  for (const auto& f : fields)
    if (f.id == id)
      return &f;
  return nullptr;
}

const schema_field* schema::find(std::string_view name) const {
  for (const auto& f : fields)
    if (f.name == name)
      return &f;
  return nullptr;
}

std::int32_t schema::highest_field_id() const {
  std::int32_t id = 0;
  for (const auto& f : fields)
    id = std::max(id, f.id);
  return id;
}

expected<std::vector<partition_column>> partition_type(const partition_spec& spec,
                                                       const schema& s) {
  std::vector<partition_column> out;
  for (const auto& f : spec.fields) {
    const schema_field* src = s.find(f.source_id);
    if (!src)
      return error{"iceberg: partition field '" + f.name + "' has source column "
                   + std::to_string(f.source_id) + ", which the schema lacks"};
    auto t = f.transform.result_type(src->t);
    if (!t)
      return error{"iceberg: partition field '" + f.name + "': " + t.error_message()};
    out.push_back({f.field_id, f.name, *t});
  }
  return out;
}

std::vector<datum> partition_of(const partition_spec& spec, const schema& s,
                                const std::vector<value_view>& row) {
  std::vector<datum> out;
  out.reserve(spec.fields.size());
  for (const auto& f : spec.fields) {
    datum v;
    for (std::size_t i = 0; i < s.fields.size() && i < row.size(); ++i)
      if (s.fields[i].id == f.source_id) {
        v = f.transform.apply(s.fields[i].t, row[i]);
        break;
      }
    out.push_back(std::move(v));
  }
  return out;
}

namespace {

// Java's URLEncoder (form encoding, UTF-8), which Iceberg's partition paths use.
std::string form_encode(std::string_view s) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.'
        || c == '-' || c == '*' || c == '_') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += digits[c >> 4];
      out += digits[c & 15];
    }
  }
  return out;
}

} // namespace

std::string partition_path(const partition_spec& spec, const schema& s,
                           const std::vector<datum>& tuple) {
  std::string out;
  for (std::size_t i = 0; i < spec.fields.size(); ++i) {
    const auto& f = spec.fields[i];
    const schema_field* src = s.find(f.source_id);
    const datum none;
    const datum& v = i < tuple.size() ? tuple[i] : none;
    if (i)
      out += '/';
    out +=
      form_encode(f.name) + "=" + form_encode(f.transform.human(src ? src->t : type::other, v));
  }
  return out;
}

const std::string* snapshot::summary_value(std::string_view key) const {
  auto it = summary.find(std::string{key});
  return it == summary.end() ? nullptr : &it->second;
}

const iceberg::schema* table_metadata::find_schema(std::int32_t id) const {
  for (const auto& s : schemas)
    if (s.schema_id == id)
      return &s;
  return nullptr;
}
const iceberg::schema* table_metadata::current_schema() const {
  return find_schema(current_schema_id);
}

const partition_spec* table_metadata::find_spec(std::int32_t id) const {
  for (const auto& s : partition_specs)
    if (s.spec_id == id)
      return &s;
  return nullptr;
}
const partition_spec* table_metadata::default_spec() const {
  return find_spec(default_spec_id);
}

const iceberg::snapshot* table_metadata::find_snapshot(std::int64_t id) const {
  for (const auto& s : snapshots)
    if (s.snapshot_id == id)
      return &s;
  return nullptr;
}

const iceberg::snapshot* table_metadata::current_snapshot() const {
  return current_snapshot_id ? find_snapshot(*current_snapshot_id) : nullptr;
}

namespace {

// Parsing throws nlohmann's exceptions for missing keys and wrong types;
// the public functions turn them into errors.
template <class T>
T required(const json& j, const char* key) {
  if (!j.contains(key))
    throw std::runtime_error{std::string{"missing \""} + key + "\""};
  return j.at(key).get<T>();
}

template <class T>
std::optional<T> optional_of(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null())
    return std::nullopt;
  return it->get<T>();
}

// The keys of `j` not in `known`, as a JSON object text ("" if none).
std::string unknown_keys(const json& j, std::initializer_list<std::string_view> known) {
  json out = json::object();
  for (const auto& [k, v] : j.items())
    if (std::find(known.begin(), known.end(), k) == known.end())
      out[k] = v;
  return out.empty() ? std::string{} : out.dump();
}

void put_unknown(ordered& out, const std::string& extra) {
  if (extra.empty())
    return;
  const ordered parsed = ordered::parse(extra);
  for (const auto& [k, v] : parsed.items())
    if (!out.contains(k))
      out[k] = v;
}

iceberg::schema read_schema(const json& j) {
  iceberg::schema s;
  s.schema_id = optional_of<std::int32_t>(j, "schema-id").value_or(0);
  if (auto ids = j.find("identifier-field-ids"); ids != j.end() && ids->is_array())
    s.identifier_field_ids = ids->get<std::vector<std::int32_t>>();
  std::set<std::int32_t> seen;
  for (const auto& f : j.at("fields")) {
    schema_field field;
    field.id = required<std::int32_t>(f, "id");
    field.name = required<std::string>(f, "name");
    field.required = required<bool>(f, "required");
    field.doc = optional_of<std::string>(f, "doc").value_or("");
    const json& t = f.at("type");
    auto known = t.is_string() ? parse_type(t.get<std::string>()) : std::nullopt;
    field.t = known.value_or(type::other);
    if (!known)
      field.other_type = t.dump();
    if (!seen.insert(field.id).second)
      throw std::runtime_error{"field id " + std::to_string(field.id) + " appears twice"};
    s.fields.push_back(std::move(field));
  }
  return s;
}

ordered write_schema(const iceberg::schema& s) {
  ordered fields = ordered::array();
  for (const auto& f : s.fields) {
    ordered o;
    o["id"] = f.id;
    o["name"] = f.name;
    o["required"] = f.required;
    o["type"] = f.t == type::other ? ordered::parse(f.other_type) : ordered(type_name(f.t));
    if (!f.doc.empty())
      o["doc"] = f.doc;
    fields.push_back(std::move(o));
  }
  ordered o;
  o["type"] = "struct";
  o["schema-id"] = s.schema_id;
  if (!s.identifier_field_ids.empty())
    o["identifier-field-ids"] = s.identifier_field_ids;
  o["fields"] = std::move(fields);
  return o;
}

std::vector<partition_field> read_partition_fields(const json& fields) {
  std::vector<partition_field> out;
  for (const auto& f : fields)
    out.push_back({required<std::int32_t>(f, "source-id"), required<std::int32_t>(f, "field-id"),
                   required<std::string>(f, "name"),
                   transform::parse(required<std::string>(f, "transform"))});
  return out;
}

ordered write_partition_fields(const partition_spec& spec) {
  ordered fields = ordered::array();
  for (const auto& f : spec.fields)
    fields.push_back({{"name", f.name},
                      {"transform", f.transform.to_string()},
                      {"source-id", f.source_id},
                      {"field-id", f.field_id}});
  return fields;
}

sort_order read_sort_order(const json& j) {
  sort_order o;
  o.order_id = required<std::int32_t>(j, "order-id");
  for (const auto& f : j.at("fields")) {
    const auto direction = required<std::string>(f, "direction");
    const auto nulls = required<std::string>(f, "null-order");
    if ((direction != "asc" && direction != "desc")
        || (nulls != "nulls-first" && nulls != "nulls-last"))
      throw std::runtime_error{"sort field with direction '" + direction + "' and null-order '"
                               + nulls + "'"};
    o.fields.push_back({transform::parse(required<std::string>(f, "transform")),
                        required<std::int32_t>(f, "source-id"), direction == "desc",
                        nulls == "nulls-first"});
  }
  return o;
}

ordered write_sort_order(const sort_order& o) {
  ordered fields = ordered::array();
  for (const auto& f : o.fields)
    fields.push_back({{"transform", f.transform.to_string()},
                      {"source-id", f.source_id},
                      {"direction", f.descending ? "desc" : "asc"},
                      {"null-order", f.nulls_first ? "nulls-first" : "nulls-last"}});
  return {{"order-id", o.order_id}, {"fields", std::move(fields)}};
}

iceberg::snapshot read_snapshot(const json& j) {
  iceberg::snapshot s;
  s.snapshot_id = required<std::int64_t>(j, "snapshot-id");
  s.parent_snapshot_id = optional_of<std::int64_t>(j, "parent-snapshot-id");
  s.sequence_number = optional_of<std::int64_t>(j, "sequence-number").value_or(0);
  s.timestamp_ms = required<std::int64_t>(j, "timestamp-ms");
  s.manifest_list = required<std::string>(j, "manifest-list");
  if (auto sum = j.find("summary"); sum != j.end())
    for (const auto& [k, v] : sum->items())
      s.summary[k] = v.is_string() ? v.get<std::string>() : v.dump();
  if (!s.summary.contains("operation"))
    throw std::runtime_error{"snapshot " + std::to_string(s.snapshot_id) + " has no operation"};
  s.schema_id = optional_of<std::int32_t>(j, "schema-id");
  s.extra = unknown_keys(j, {"snapshot-id", "parent-snapshot-id", "sequence-number", "timestamp-ms",
                             "manifest-list", "summary", "schema-id"});
  return s;
}

ordered write_snapshot(const iceberg::snapshot& s) {
  ordered o;
  o["snapshot-id"] = s.snapshot_id;
  if (s.parent_snapshot_id)
    o["parent-snapshot-id"] = *s.parent_snapshot_id;
  o["sequence-number"] = s.sequence_number;
  o["timestamp-ms"] = s.timestamp_ms;
  o["manifest-list"] = s.manifest_list;
  ordered summary;
  summary["operation"] = s.summary.at("operation");
  for (const auto& [k, v] : s.summary)
    if (k != "operation")
      summary[k] = v;
  o["summary"] = std::move(summary);
  if (s.schema_id)
    o["schema-id"] = *s.schema_id;
  put_unknown(o, s.extra);
  return o;
}

table_metadata read_metadata(const json& j) {
  table_metadata m;
  m.format_version = required<std::int32_t>(j, "format-version");
  if (m.format_version != 2)
    throw std::runtime_error{"format-version " + std::to_string(m.format_version)
                             + " (weir reads and writes version 2)"};
  m.table_uuid = required<std::string>(j, "table-uuid");
  m.location = required<std::string>(j, "location");
  m.last_sequence_number = required<std::int64_t>(j, "last-sequence-number");
  m.last_updated_ms = required<std::int64_t>(j, "last-updated-ms");
  m.last_column_id = required<std::int32_t>(j, "last-column-id");
  for (const auto& s : j.at("schemas"))
    m.schemas.push_back(read_schema(s));
  m.current_schema_id = required<std::int32_t>(j, "current-schema-id");
  for (const auto& s : j.at("partition-specs"))
    m.partition_specs.push_back(
      {required<std::int32_t>(s, "spec-id"), read_partition_fields(s.at("fields"))});
  m.default_spec_id = required<std::int32_t>(j, "default-spec-id");
  m.last_partition_id = required<std::int32_t>(j, "last-partition-id");
  for (const auto& o : j.at("sort-orders"))
    m.sort_orders.push_back(read_sort_order(o));
  m.default_sort_order_id = required<std::int32_t>(j, "default-sort-order-id");
  if (auto p = j.find("properties"); p != j.end() && p->is_object())
    for (const auto& [k, v] : p->items())
      m.properties[k] = v.is_string() ? v.get<std::string>() : v.dump();
  // Java writes -1 for "no current snapshot" in v1 and v2 tables.
  if (auto id = optional_of<std::int64_t>(j, "current-snapshot-id"); id && *id != -1)
    m.current_snapshot_id = id;
  if (auto s = j.find("snapshots"); s != j.end() && s->is_array())
    for (const auto& snap : *s)
      m.snapshots.push_back(read_snapshot(snap));
  if (auto l = j.find("snapshot-log"); l != j.end() && l->is_array())
    for (const auto& e : *l)
      m.snapshot_log.push_back(
        {required<std::int64_t>(e, "timestamp-ms"), required<std::int64_t>(e, "snapshot-id")});
  if (auto l = j.find("metadata-log"); l != j.end() && l->is_array())
    for (const auto& e : *l)
      m.metadata_log.push_back(
        {required<std::int64_t>(e, "timestamp-ms"), required<std::string>(e, "metadata-file")});
  if (auto r = j.find("refs"); r != j.end() && r->is_object())
    for (const auto& [name, ref] : r->items())
      m.refs[name] = {required<std::int64_t>(ref, "snapshot-id"),
                      required<std::string>(ref, "type"),
                      optional_of<std::int32_t>(ref, "min-snapshots-to-keep"),
                      optional_of<std::int64_t>(ref, "max-snapshot-age-ms"),
                      optional_of<std::int64_t>(ref, "max-ref-age-ms")};
  // "There is always a main branch reference pointing to the current-snapshot-id."
  if (m.current_snapshot_id && !m.refs.contains("main"))
    m.refs["main"] = {*m.current_snapshot_id, "branch", {}, {}, {}};
  m.extra = unknown_keys(j, {"format-version",
                             "table-uuid",
                             "location",
                             "last-sequence-number",
                             "last-updated-ms",
                             "last-column-id",
                             "schema",
                             "schemas",
                             "current-schema-id",
                             "partition-spec",
                             "partition-specs",
                             "default-spec-id",
                             "last-partition-id",
                             "sort-orders",
                             "default-sort-order-id",
                             "properties",
                             "current-snapshot-id",
                             "snapshots",
                             "snapshot-log",
                             "metadata-log",
                             "refs"});

  if (!m.current_schema())
    throw std::runtime_error{"current-schema-id " + std::to_string(m.current_schema_id)
                             + " is not in schemas"};
  if (!m.default_spec())
    throw std::runtime_error{"default-spec-id " + std::to_string(m.default_spec_id)
                             + " is not in partition-specs"};
  if (m.current_snapshot_id && !m.current_snapshot())
    throw std::runtime_error{"current-snapshot-id " + std::to_string(*m.current_snapshot_id)
                             + " is not in snapshots"};
  return m;
}

} // namespace

expected<table_metadata> parse_metadata(std::string_view in) {
  return catching("table metadata",
                  [&]() -> expected<table_metadata> { return read_metadata(json::parse(in)); });
}

expected<iceberg::schema> parse_schema(std::string_view in) {
  return catching("schema",
                  [&]() -> expected<iceberg::schema> { return read_schema(json::parse(in)); });
}

expected<partition_spec> parse_partition_fields(std::string_view in, std::int32_t spec_id) {
  return catching("partition spec", [&]() -> expected<partition_spec> {
    return partition_spec{spec_id, read_partition_fields(json::parse(in))};
  });
}

std::string to_json(const iceberg::schema& s) {
  return text(write_schema(s));
}

std::string partition_fields_json(const partition_spec& spec) {
  return text(write_partition_fields(spec));
}

std::string to_json(const table_metadata& m) {
  ordered o;
  o["format-version"] = m.format_version;
  o["table-uuid"] = m.table_uuid;
  o["location"] = m.location;
  o["last-sequence-number"] = m.last_sequence_number;
  o["last-updated-ms"] = m.last_updated_ms;
  o["last-column-id"] = m.last_column_id;
  o["current-schema-id"] = m.current_schema_id;
  o["schemas"] = ordered::array();
  for (const auto& s : m.schemas)
    o["schemas"].push_back(write_schema(s));
  o["default-spec-id"] = m.default_spec_id;
  o["partition-specs"] = ordered::array();
  for (const auto& s : m.partition_specs)
    o["partition-specs"].push_back({{"spec-id", s.spec_id}, {"fields", write_partition_fields(s)}});
  o["last-partition-id"] = m.last_partition_id;
  o["default-sort-order-id"] = m.default_sort_order_id;
  o["sort-orders"] = ordered::array();
  for (const auto& s : m.sort_orders)
    o["sort-orders"].push_back(write_sort_order(s));
  o["properties"] = ordered::object();
  for (const auto& [k, v] : m.properties)
    o["properties"][k] = v;
  if (m.current_snapshot_id)
    o["current-snapshot-id"] = *m.current_snapshot_id;
  o["refs"] = ordered::object();
  for (const auto& [name, r] : m.refs) {
    ordered ref{{"snapshot-id", r.snapshot_id}, {"type", r.type}};
    if (r.min_snapshots_to_keep)
      ref["min-snapshots-to-keep"] = *r.min_snapshots_to_keep;
    if (r.max_snapshot_age_ms)
      ref["max-snapshot-age-ms"] = *r.max_snapshot_age_ms;
    if (r.max_ref_age_ms)
      ref["max-ref-age-ms"] = *r.max_ref_age_ms;
    o["refs"][name] = std::move(ref);
  }
  o["snapshots"] = ordered::array();
  for (const auto& s : m.snapshots)
    o["snapshots"].push_back(write_snapshot(s));
  o["snapshot-log"] = ordered::array();
  for (const auto& e : m.snapshot_log)
    o["snapshot-log"].push_back({{"timestamp-ms", e.timestamp_ms}, {"snapshot-id", e.snapshot_id}});
  o["metadata-log"] = ordered::array();
  for (const auto& e : m.metadata_log)
    o["metadata-log"].push_back(
      {{"timestamp-ms", e.timestamp_ms}, {"metadata-file", e.metadata_file}});
  put_unknown(o, m.extra);
  return text(o, 2);
}

} // namespace weir::iceberg
