// Sample container files for check_avro.py, and a reader's view of files
// fastavro wrote.
//
//   weir_avro_sample write DIR   each case as DIR/<case>.<codec>.avro, with
//                                DIR/<case>.<codec>.json: {"schema", "codec",
//                                "metadata", "blocks": [records per block],
//                                "records"}
//   weir_avro_sample read FILE   prints {"codec", "metadata", "records"}
//
// In the JSON, bytes and fixed values are {"bytes": "<hex>"}, NaN and the
// infinities are the strings "NaN", "Infinity", "-Infinity", and a union's
// value is the value itself. The records are the source of truth: they are
// encoded against the case's schema here, with weir::avro's encoder.
#include "lib/avro/binary.hpp"
#include "lib/avro/container.hpp"
#include "lib/avro/schema.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

namespace avro = weir::avro;
using json = nlohmann::json;

namespace {

std::string to_hex(std::string_view s) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

std::string from_hex(const std::string& h) {
  std::string out;
  for (std::size_t i = 0; i + 1 < h.size(); i += 2)
    out += static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16));
  return out;
}

json real(double d) {
  if (std::isnan(d))
    return "NaN";
  if (std::isinf(d))
    return d > 0 ? "Infinity" : "-Infinity";
  return d;
}

double real_of(const json& j) {
  if (j.is_string()) {
    auto s = j.get<std::string>();
    if (s == "NaN")
      return std::numeric_limits<double>::quiet_NaN();
    return s == "Infinity" ? std::numeric_limits<double>::infinity()
                           : -std::numeric_limits<double>::infinity();
  }
  return j.get<double>();
}

bool is_bytes(const json& j) {
  return j.is_object() && j.size() == 1 && j.contains("bytes");
}

// Whether a JSON value can be written as a value of branch `n`.
bool accepts(const avro::node& n, const json& j) {
  switch (n.t) {
    case avro::type::null: return j.is_null();
    case avro::type::boolean: return j.is_boolean();
    case avro::type::int32:
    case avro::type::int64: return j.is_number_integer();
    case avro::type::float32:
    case avro::type::float64: return j.is_number() || (j.is_string() && !is_bytes(j));
    case avro::type::string:
    case avro::type::enumeration: return j.is_string();
    case avro::type::bytes:
    case avro::type::fixed: return is_bytes(j);
    case avro::type::record:
    case avro::type::map: return j.is_object() && !is_bytes(j);
    case avro::type::array: return j.is_array();
    case avro::type::union_of: return false;
  }
  return false;
}

void encode(const avro::node& n, const json& j, avro::encoder& e) {
  switch (n.t) {
    case avro::type::null: e.null(); break;
    case avro::type::boolean: e.boolean(j.get<bool>()); break;
    case avro::type::int32: e.int32(j.get<std::int32_t>()); break;
    case avro::type::int64: e.int64(j.get<std::int64_t>()); break;
    case avro::type::float32: e.float32(static_cast<float>(real_of(j))); break;
    case avro::type::float64: e.float64(real_of(j)); break;
    case avro::type::string: e.string(j.get<std::string>()); break;
    case avro::type::bytes: e.bytes(from_hex(j.at("bytes"))); break;
    case avro::type::fixed: e.fixed(from_hex(j.at("bytes"))); break;
    case avro::type::enumeration: {
      for (std::size_t i = 0; i < n.symbols.size(); ++i)
        if (n.symbols[i] == j.get<std::string>())
          e.int32(static_cast<std::int32_t>(i));
      break;
    }
    case avro::type::record:
      for (const auto& f : n.fields)
        encode(*f.schema, j.at(f.name), e);
      break;
    case avro::type::array:
      e.block(j.size());
      for (const auto& item : j)
        encode(*n.items, item, e);
      e.end();
      break;
    case avro::type::map:
      e.block(j.size());
      for (const auto& [k, v] : j.items()) {
        e.key(k);
        encode(*n.items, v, e);
      }
      e.end();
      break;
    case avro::type::union_of:
      for (std::size_t i = 0; i < n.branches.size(); ++i)
        if (accepts(*n.branches[i], j)) {
          e.branch(i);
          encode(*n.branches[i], j, e);
          return;
        }
      throw std::runtime_error("no union branch takes " + j.dump());
  }
}

json to_json(const avro::value& v) {
  switch (v.t) {
    case avro::type::null: return nullptr;
    case avro::type::boolean: return v.boolean;
    case avro::type::int32:
    case avro::type::int64: return v.integer;
    case avro::type::float32:
    case avro::type::float64: return real(v.real);
    case avro::type::string:
    case avro::type::enumeration: return v.text;
    case avro::type::bytes:
    case avro::type::fixed: return json{{"bytes", to_hex(v.text)}};
    case avro::type::record: {
      json o = json::object();
      for (std::size_t i = 0; i < v.items.size(); ++i)
        o[v.schema->fields[i].name] = to_json(v.items[i]);
      return o;
    }
    case avro::type::array: {
      json a = json::array();
      for (const auto& item : v.items)
        a.push_back(to_json(item));
      return a;
    }
    case avro::type::map: {
      json o = json::object();
      for (std::size_t i = 0; i < v.items.size(); ++i)
        o[v.keys[i]] = to_json(v.items[i]);
      return o;
    }
    case avro::type::union_of: break;
  }
  return nullptr;
}

struct sample {
  std::string name;
  json schema;
  std::vector<std::pair<std::string, std::string>> metadata;
  avro::writer_options options;
  json records = json::array();
};

sample make(std::string name, std::string_view schema) {
  sample s;
  s.name = std::move(name);
  s.schema = json::parse(schema);
  return s;
}

std::vector<sample> samples() {
  std::vector<sample> out;
  constexpr auto i64_min = std::numeric_limits<std::int64_t>::min();
  constexpr auto i64_max = std::numeric_limits<std::int64_t>::max();
  constexpr auto i32_min = std::numeric_limits<std::int32_t>::min();
  constexpr auto i32_max = std::numeric_limits<std::int32_t>::max();

  sample p = make("primitives", R"({"type": "record", "name": "primitives", "fields": [
      {"name": "n", "type": "null"}, {"name": "b", "type": "boolean"},
      {"name": "i", "type": "int"}, {"name": "l", "type": "long"},
      {"name": "f", "type": "float"}, {"name": "d", "type": "double"},
      {"name": "by", "type": "bytes"}, {"name": "s", "type": "string"}]})");
  const std::int64_t longs[] = {0, -1, 1, -64, 64, i64_min, i64_max, 1234567890123};
  const std::int32_t ints[] = {0, -1, 1, i32_min, i32_max, 300, -300, 42};
  const double doubles[] = {0.0,
                            -0.0,
                            1.5,
                            -2.25e300,
                            std::numeric_limits<double>::quiet_NaN(),
                            std::numeric_limits<double>::infinity(),
                            5e-324,
                            -1e-10};
  const double floats[] = {0.0,
                           -0.5,
                           1.25,
                           std::ldexp(1.0, 127),
                           std::numeric_limits<double>::quiet_NaN(),
                           -std::numeric_limits<double>::infinity(),
                           1.0 / 1024,
                           65504.0};
  const char* strings[] = {"", "a", "Zürich", "日本語", "emoji 🎲", "tab\tnewline\n", "quote \" \\",
                           "x"};
  for (std::size_t i = 0; i < 8; ++i)
    p.records.push_back(
      {{"n", nullptr},
       {"b", i % 2 == 0},
       {"i", ints[i]},
       {"l", longs[i]},
       {"f", real(floats[i])},
       {"d", real(doubles[i])},
       {"by",
        {{"bytes", to_hex(std::string(i, static_cast<char>(0xf0 + i)) + std::string(1, '\0'))}}},
       {"s", strings[i]}});
  out.push_back(p);

  // Every complex kind, Iceberg field ids on the fields, a metadata key.
  sample c = make("complex", R"({"type": "record", "name": "complex", "namespace": "weir.sample",
      "fields": [
      {"name": "id", "type": "long", "field-id": 1},
      {"name": "maybe", "type": ["null", "string"], "default": null, "field-id": 2},
      {"name": "either", "type": ["long", "string", "null"], "field-id": 3},
      {"name": "kind", "type": {"type": "enum", "name": "kind", "symbols": ["ADDED", "EXISTING", "DELETED"]}, "field-id": 4},
      {"name": "hash", "type": {"type": "fixed", "name": "md5", "size": 16}, "field-id": 5},
      {"name": "ids", "type": {"type": "array", "items": "long", "element-id": 7}, "field-id": 6},
      {"name": "props", "type": {"type": "map", "values": ["null", "double"]}, "field-id": 8},
      {"name": "pairs", "type": ["null", {"type": "array", "logicalType": "map", "items": {
          "type": "record", "name": "k9_v10", "fields": [
            {"name": "key", "type": "int", "field-id": 9},
            {"name": "value", "type": "bytes", "field-id": 10}]}}], "default": null, "field-id": 11},
      {"name": "inner", "type": {"type": "record", "name": "inner", "fields": [
          {"name": "x", "type": "int", "field-id": 13},
          {"name": "again", "type": ["null", "md5"], "field-id": 14}]}, "field-id": 12}]})");
  c.metadata = {{"iceberg.schema", R"({"type":"struct"})"}, {"weir.key", "v"}};
  for (int i = 0; i < 20; ++i) {
    json ids = json::array();
    for (int k = 0; k < i % 4; ++k)
      ids.push_back(static_cast<std::int64_t>(i) * 1000 + k);
    json props = json::object();
    if (i % 3)
      props["a" + std::to_string(i)] = i * 0.25;
    if (i % 5 == 0)
      props["n"] = nullptr;
    json pairs = nullptr;
    if (i % 2) {
      pairs = json::array();
      for (int k = 0; k < i % 3 + 1; ++k)
        pairs.push_back({{"key", 100 + k}, {"value", {{"bytes", to_hex(std::string(k, '\x7f'))}}}});
    }
    const std::string md5 = to_hex(std::string(16, static_cast<char>(i)));
    json either = i % 3 == 0   ? json(static_cast<std::int64_t>(-i))
                  : i % 3 == 1 ? json("s" + std::to_string(i))
                               : json(nullptr);
    c.records.push_back(
      {{"id", i},
       {"maybe", i % 2 ? json("m" + std::to_string(i)) : json(nullptr)},
       {"either", either},
       {"kind", i % 3 == 0   ? "ADDED"
                : i % 3 == 1 ? "EXISTING"
                             : "DELETED"},
       {"hash", {{"bytes", md5}}},
       {"ids", ids},
       {"props", props},
       {"pairs", pairs},
       {"inner", {{"x", -i}, {"again", i % 4 ? json{{"bytes", md5}} : json(nullptr)}}}});
  }
  c.options.block_records = 6; // blocks of 6, 6, 6, 2
  out.push_back(c);

  out.push_back(
    make("empty", R"({"type": "record", "name": "e", "fields": [{"name": "a", "type": "long"}]})"));

  // Many records, blocks cut by bytes (about 4 KiB) before the count.
  sample m = make("many", R"({"type": "record", "name": "m", "fields": [
      {"name": "a", "type": "long"}, {"name": "s", "type": "string"}]})");
  m.options.block_bytes = 4096;
  m.options.block_records = 1000;
  for (int i = 0; i < 5000; ++i)
    m.records.push_back(
      {{"a", static_cast<std::int64_t>(i) * 7919}, {"s", std::string(i % 50, 'a' + i % 26)}});
  out.push_back(m);

  // A top-level value that is not a record.
  sample u = make("union_top", R"(["null", "long", "string"])");
  u.records = json::array({nullptr, 5, "five", nullptr, -5});
  out.push_back(u);
  return out;
}

int write_samples(const std::string& dir) {
  int files = 0;
  for (auto s : samples()) {
    auto parsed = avro::schema::parse(s.schema.dump());
    if (!parsed) {
      std::fprintf(stderr, "%s: %s\n", s.name.c_str(), parsed.error_message().c_str());
      return 1;
    }
    for (auto c : {avro::codec::null, avro::codec::deflate}) {
      const std::string codec = c == avro::codec::null ? "null" : "deflate";
      const std::string base = dir + "/" + s.name + "." + codec;
      s.options.codec = c;
      auto w = avro::container_writer::make(s.schema.dump(), s.metadata, s.options);
      if (!w) {
        std::fprintf(stderr, "%s: %s\n", base.c_str(), w.error_message().c_str());
        return 1;
      }
      // The blocks the writer will cut, to check the reader sees the same.
      json blocks = json::array();
      std::size_t in_block = 0, block_bytes = 0;
      std::string datum;
      for (const auto& r : s.records) {
        datum.clear();
        avro::encoder e(datum);
        encode(parsed->root(), r, e);
        if (auto ok = w->append(datum); !ok) {
          std::fprintf(stderr, "%s: %s\n", base.c_str(), ok.error_message().c_str());
          return 1;
        }
        ++in_block;
        block_bytes += datum.size();
        if (in_block >= s.options.block_records || block_bytes >= s.options.block_bytes) {
          blocks.push_back(in_block);
          in_block = block_bytes = 0;
        }
      }
      if (in_block)
        blocks.push_back(in_block);
      auto file = w->finish();
      if (!file) {
        std::fprintf(stderr, "%s: %s\n", base.c_str(), file.error_message().c_str());
        return 1;
      }
      json meta = json::object();
      for (const auto& [k, v] : s.metadata)
        meta[k] = v;
      json expect = {{"schema", s.schema},
                     {"codec", codec},
                     {"metadata", meta},
                     {"blocks", blocks},
                     {"records", s.records}};
      std::ofstream(base + ".avro", std::ios::binary) << *file;
      std::ofstream(base + ".json", std::ios::binary) << expect.dump(1);
      ++files;
    }
  }
  std::printf("wrote %d files to %s\n", files, dir.c_str());
  return 0;
}

int read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes{std::istreambuf_iterator<char>(in), {}};
  auto c = avro::read_container(bytes);
  if (!c) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), c.error_message().c_str());
    return 1;
  }
  json meta = json::object();
  for (const auto& [k, v] : c->metadata)
    if (!k.starts_with("avro."))
      meta[k] = v;
  json records = json::array();
  for (const auto& r : c->records)
    records.push_back(to_json(r));
  json out = {{"codec", c->codec}, {"metadata", meta}, {"records", records}};
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

} // namespace

int main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[1] : "";
  if (mode == "write")
    return write_samples(argv[2]);
  if (mode == "read")
    return read_file(argv[2]);
  std::fprintf(stderr, "usage: %s write DIR | read FILE\n", argv[0]);
  return 2;
}
