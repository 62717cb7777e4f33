#include "lib/avro/schema.hpp"

#include <nlohmann/json.hpp>

#include <map>

namespace weir::avro {

using json = nlohmann::json;

const char* type_name(type t) {
  switch (t) {
    case type::null: return "null";
    case type::boolean: return "boolean";
    case type::int32: return "int";
    case type::int64: return "long";
    case type::float32: return "float";
    case type::float64: return "double";
    case type::bytes: return "bytes";
    case type::string: return "string";
    case type::record: return "record";
    case type::enumeration: return "enum";
    case type::array: return "array";
    case type::map: return "map";
    case type::union_of: return "union";
    case type::fixed: return "fixed";
  }
  return "?";
}

int node::field_index(std::string_view n) const {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == n)
      return static_cast<int>(i);
  return -1;
}

int node::field_index(int id) const {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].field_id == id)
      return static_cast<int>(i);
  return -1;
}

namespace {

std::optional<type> primitive(std::string_view name) {
  static const std::pair<std::string_view, type> names[] =
    {{"null", type::null},   {"boolean", type::boolean}, {"int", type::int32},
     {"long", type::int64},  {"float", type::float32},   {"double", type::float64},
     {"bytes", type::bytes}, {"string", type::string}};
  for (const auto& [n, t] : names)
    if (n == name)
      return t;
  return std::nullopt;
}

// An int attribute (Iceberg ids are JSON ints; some writers quote them).
std::optional<int> int_attribute(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end())
    return std::nullopt;
  if (it->is_number_integer())
    return it->get<int>();
  if (it->is_string()) {
    try {
      return std::stoi(it->get<std::string>());
    } catch (const std::exception&) {
    }
  }
  return std::nullopt;
}

} // namespace

struct schema_parser {
  schema& out;
  std::map<std::string, const node*> named;
  int depth = 0;

  node* make(type t) {
    out.nodes_.push_back(std::make_unique<node>());
    out.nodes_.back()->t = t;
    return out.nodes_.back().get();
  }

  static std::string full_name(const json& j, const std::string& ns) {
    std::string name = j.at("name").get<std::string>();
    if (name.find('.') != std::string::npos)
      return name;
    std::string space = ns;
    if (auto it = j.find("namespace"); it != j.end() && it->is_string())
      space = it->get<std::string>();
    return space.empty() ? name : space + "." + name;
  }

  static std::string space_of(const std::string& full) {
    auto dot = full.rfind('.');
    return dot == std::string::npos ? std::string{} : full.substr(0, dot);
  }

  expected<const node*> define(const std::string& name, const node* n) {
    if (!named.emplace(name, n).second)
      return error{"avro schema: '" + name + "' is defined twice"};
    return n;
  }

  expected<const node*> parse(const json& j, const std::string& ns) {
    if (++depth > 64)
      return error{"avro schema: nested deeper than 64"};
    auto r = parse_inner(j, ns);
    --depth;
    return r;
  }

  expected<const node*> parse_inner(const json& j, const std::string& ns) {
    if (j.is_string()) {
      auto name = j.get<std::string>();
      if (auto t = primitive(name))
        return make(*t);
      if (auto it = named.find(name); it != named.end())
        return it->second;
      if (!ns.empty())
        if (auto it = named.find(ns + "." + name); it != named.end())
          return it->second;
      return error{"avro schema: unknown type '" + name + "'"};
    }
    if (j.is_array()) {
      node* u = make(type::union_of);
      for (const auto& branch : j) {
        auto b = parse(branch, ns);
        if (!b)
          return b;
        if ((*b)->t == type::union_of)
          return error{"avro schema: a union directly inside a union"};
        u->branches.push_back(*b);
      }
      if (u->branches.empty())
        return error{"avro schema: an empty union"};
      return static_cast<const node*>(u);
    }
    if (!j.is_object() || !j.contains("type"))
      return error{"avro schema: expected a type name, a union or an object with \"type\""};

    const json& t = j.at("type");
    if (!t.is_string()) // {"type": {...}} or {"type": [...]}: the inner schema
      return parse(t, ns);
    const auto kind = t.get<std::string>();
    std::string logical;
    if (auto it = j.find("logicalType"); it != j.end() && it->is_string())
      logical = it->get<std::string>();

    if (auto p = primitive(kind)) {
      node* n = make(*p);
      n->logical_type = logical;
      return static_cast<const node*>(n);
    }
    if (kind == "record" || kind == "error") {
      if (!j.contains("name") || !j.at("name").is_string())
        return error{"avro schema: a record without a name"};
      node* n = make(type::record);
      n->name = full_name(j, ns);
      n->logical_type = logical;
      if (auto d = define(n->name, n); !d)
        return d;
      auto fields = j.find("fields");
      if (fields == j.end() || !fields->is_array())
        return error{"avro schema: record '" + n->name + "' has no fields"};
      const auto inner = space_of(n->name);
      for (const auto& f : *fields) {
        if (!f.is_object() || !f.contains("name") || !f.at("name").is_string()
            || !f.contains("type"))
          return error{"avro schema: a field of record '" + n->name + "' lacks a name or type"};
        auto ft = parse(f.at("type"), inner);
        if (!ft)
          return ft;
        n->fields.push_back({f.at("name").get<std::string>(), *ft, int_attribute(f, "field-id")});
      }
      return static_cast<const node*>(n);
    }
    if (kind == "enum") {
      if (!j.contains("name") || !j.at("name").is_string())
        return error{"avro schema: an enum without a name"};
      node* n = make(type::enumeration);
      n->name = full_name(j, ns);
      if (auto d = define(n->name, n); !d)
        return d;
      auto symbols = j.find("symbols");
      if (symbols == j.end() || !symbols->is_array())
        return error{"avro schema: enum '" + n->name + "' has no symbols"};
      for (const auto& s : *symbols) {
        if (!s.is_string())
          return error{"avro schema: enum '" + n->name + "' has a symbol that is not a string"};
        n->symbols.push_back(s.get<std::string>());
      }
      return static_cast<const node*>(n);
    }
    if (kind == "array" || kind == "map") {
      const char* key = kind == "array" ? "items" : "values";
      if (!j.contains(key))
        return error{std::string{"avro schema: "} + kind + " without \"" + key + "\""};
      node* n = make(kind == "array" ? type::array : type::map);
      n->logical_type = logical;
      n->element_id = int_attribute(j, "element-id");
      auto items = parse(j.at(key), ns);
      if (!items)
        return items;
      n->items = *items;
      return static_cast<const node*>(n);
    }
    if (kind == "fixed") {
      if (!j.contains("name") || !j.at("name").is_string())
        return error{"avro schema: a fixed without a name"};
      auto size = j.find("size");
      if (size == j.end() || !size->is_number_unsigned())
        return error{"avro schema: a fixed without a size"};
      node* n = make(type::fixed);
      n->name = full_name(j, ns);
      n->logical_type = logical;
      n->size = size->get<std::size_t>();
      if (auto d = define(n->name, n); !d)
        return d;
      return static_cast<const node*>(n);
    }
    // A named type referenced in object form: {"type": "Name"}.
    return parse(t, ns);
  }
};

expected<schema> schema::parse(std::string_view text) {
  auto parsed = guarded("avro schema", [&]() -> expected<schema> {
    json j = json::parse(text);
    schema s;
    schema_parser p{s, {}, 0};
    auto root = p.parse(j, "");
    if (!root)
      return root.failure();
    s.root_ = *root;
    return s;
  });
  if (!parsed)
    return parsed.failure();
  return std::move(*parsed);
}

} // namespace weir::avro
