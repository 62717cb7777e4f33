// An Avro schema parsed from its JSON (Avro 1.11 specification, "Schema
// Declaration"), enough to decode any datum generically: every primitive,
// records, enums, arrays, maps, unions, fixed, and named references. Iceberg's
// field ids ("field-id" on record fields, "element-id" on arrays) are kept,
// since Iceberg readers match fields by id rather than by name.
#pragma once

#include "base/expected.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::avro {

enum class type {
  null,
  boolean,
  int32,
  int64,
  float32,
  float64,
  bytes,
  string,
  record,
  enumeration,
  array,
  map,
  union_of,
  fixed
};

// "null", "boolean", "int", "long", "float", "double", "bytes", "string",
// "record", "enum", "array", "map", "union", "fixed".
const char* type_name(type t);

struct node;

struct field {
  std::string name;
  const node* schema = nullptr;
  std::optional<int> field_id; // Iceberg's "field-id"
};

struct node {
  avro::type t = type::null;
  std::string name;                  // record, enum, fixed: the full name
  std::string logical_type;          // "logicalType", empty if none
  std::vector<field> fields;         // record
  std::vector<std::string> symbols;  // enum
  std::vector<const node*> branches; // union
  const node* items = nullptr;       // array items, map values
  std::size_t size = 0;              // fixed
  std::optional<int> element_id;     // array: Iceberg's "element-id"

  // The record field named `n` (its index), or -1.
  int field_index(std::string_view n) const;
  // The record field carrying Iceberg field id `id` (its index), or -1.
  int field_index(int id) const;
};

// Owns its nodes; moving a schema keeps their addresses (values decoded
// against it point at them).
class schema {
public:
  // Fails on JSON that is not a schema: an unknown type name, a record
  // without fields, a union inside a union, a fixed without a size, a name
  // defined twice.
  static expected<schema> parse(std::string_view json);

  const node& root() const { return *root_; }

private:
  std::vector<std::unique_ptr<node>> nodes_;
  const node* root_ = nullptr;

  friend struct schema_parser;
};

} // namespace weir::avro
