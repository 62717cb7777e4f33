#include "lib/parquet/concat.hpp"

#include <cstring>
#include <stdexcept>

namespace weir::parquet {

namespace {

// A Thrift compact-protocol value, any type; structs keep their fields in
// order, lists their element type.
struct tvalue {
  std::uint8_t type = 0;
  std::int64_t i = 0; // bool (0/1), i8, i16, i32, i64
  double d = 0;
  std::string bin;
  struct field;
  std::vector<field> fields; // struct
  std::uint8_t elem = 0;     // list, set
  std::vector<tvalue> elems; // list, set
};
struct tvalue::field {
  std::int16_t id;
  tvalue v;
};

enum : std::uint8_t {
  t_true = 1,
  t_false = 2,
  t_i8 = 3,
  t_i16 = 4,
  t_i32 = 5,
  t_i64 = 6,
  t_double = 7,
  t_binary = 8,
  t_list = 9,
  t_set = 10,
  t_map = 11,
  t_struct = 12
};

class decoder {
public:
  explicit decoder(std::string_view in) : in_(in) {}

  tvalue read_struct(int depth = 0) {
    if (depth > 16)
      throw std::runtime_error("footer nests too deep");
    tvalue s;
    s.type = t_struct;
    std::int16_t last = 0;
    for (;;) {
      auto b = byte();
      if (b == 0)
        return s;
      auto delta = b >> 4;
      std::uint8_t type = b & 0x0f;
      std::int16_t id =
        delta ? static_cast<std::int16_t>(last + delta) : static_cast<std::int16_t>(zigzag());
      last = id;
      tvalue v;
      if (type == t_true || type == t_false) {
        v.type = t_true;
        v.i = type == t_true;
      } else {
        v = read(type, depth);
      }
      s.fields.push_back({id, std::move(v)});
    }
  }

  std::size_t used() const { return at_; }

private:
  tvalue read(std::uint8_t type, int depth) {
    tvalue v;
    v.type = type;
    switch (type) {
      case t_i8: v.i = static_cast<std::int8_t>(byte()); break;
      case t_i16:
      case t_i32:
      case t_i64: v.i = zigzag(); break;
      case t_double: std::memcpy(&v.d, take(8).data(), 8); break;
      case t_binary: v.bin = std::string{take(varint())}; break;
      case t_list:
      case t_set: {
        auto h = byte();
        std::uint64_t n = h >> 4;
        v.elem = h & 0x0f;
        if (n == 15)
          n = varint();
        if (n > in_.size())
          throw std::runtime_error("list longer than the footer");
        for (std::uint64_t k = 0; k < n; ++k) {
          if (v.elem == t_true || v.elem == t_false) {
            tvalue e;
            e.type = t_true;
            e.i = byte() == t_true;
            v.elems.push_back(e);
          } else {
            v.elems.push_back(read(v.elem, depth + 1));
          }
        }
        break;
      }
      case t_struct: v = read_struct(depth + 1); break;
      default: throw std::runtime_error("unsupported Thrift type " + std::to_string(type));
    }
    return v;
  }

  std::uint8_t byte() {
    if (at_ >= in_.size())
      throw std::runtime_error("footer ends early");
    return static_cast<std::uint8_t>(in_[at_++]);
  }
  std::string_view take(std::uint64_t n) {
    if (n > in_.size() - at_)
      throw std::runtime_error("footer ends early");
    auto s = in_.substr(at_, n);
    at_ += n;
    return s;
  }
  std::uint64_t varint() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      auto b = byte();
      v |= std::uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80))
        return v;
    }
    throw std::runtime_error("varint too long");
  }
  std::int64_t zigzag() {
    auto v = varint();
    return static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
  }

  std::string_view in_;
  std::size_t at_ = 0;
};

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
void put_zigzag(std::string& out, std::int64_t v) {
  put_varint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

void write(std::string& out, const tvalue& v);

void write_struct(std::string& out, const tvalue& s) {
  std::int16_t last = 0;
  for (const auto& f : s.fields) {
    std::uint8_t type = f.v.type == t_true ? (f.v.i ? t_true : t_false) : f.v.type;
    auto delta = f.id - last;
    if (delta > 0 && delta <= 15) {
      out.push_back(static_cast<char>((delta << 4) | type));
    } else {
      out.push_back(static_cast<char>(type));
      put_zigzag(out, f.id);
    }
    last = f.id;
    if (f.v.type != t_true)
      write(out, f.v);
  }
  out.push_back(0);
}

void write(std::string& out, const tvalue& v) {
  switch (v.type) {
    case t_true: out.push_back(static_cast<char>(v.i ? t_true : t_false)); break;
    case t_i8: out.push_back(static_cast<char>(v.i)); break;
    case t_i16:
    case t_i32:
    case t_i64: put_zigzag(out, v.i); break;
    case t_double: {
      char b[8];
      std::memcpy(b, &v.d, 8);
      out.append(b, 8);
      break;
    }
    case t_binary:
      put_varint(out, v.bin.size());
      out += v.bin;
      break;
    case t_list:
    case t_set:
      if (v.elems.size() < 15) {
        out.push_back(static_cast<char>((v.elems.size() << 4) | v.elem));
      } else {
        out.push_back(static_cast<char>(0xf0 | v.elem));
        put_varint(out, v.elems.size());
      }
      for (const auto& e : v.elems)
        write(out, e);
      break;
    case t_struct: write_struct(out, v); break;
    default: break;
  }
}

tvalue* field(tvalue& s, std::int16_t id) {
  for (auto& f : s.fields)
    if (f.id == id)
      return &f.v;
  return nullptr;
}

void shift(tvalue& s, std::int16_t id, std::int64_t by) {
  if (auto* f = field(s, id))
    f->i += by;
}

// parquet.thrift: RowGroup 5 file_offset, 7 ordinal, 1 columns; ColumnChunk
// 2 file_offset, 4 offset_index_offset, 6 column_index_offset, 3 meta_data;
// ColumnMetaData 9 data_page_offset, 10 index_page_offset, 11
// dictionary_page_offset, 14 bloom_filter_offset.
std::int64_t move_row_group(tvalue& rg, std::int64_t by, std::int16_t ordinal) {
  shift(rg, 5, by);
  if (auto* o = field(rg, 7))
    o->i = ordinal;
  std::int64_t start = -1;
  if (auto* cols = field(rg, 1))
    for (auto& cc : cols->elems) {
      for (std::int16_t id : {2, 4, 6})
        shift(cc, id, by);
      if (auto* md = field(cc, 3)) {
        for (std::int16_t id : {9, 10, 11, 14})
          shift(*md, id, by);
        if (start < 0) {
          auto* dict = field(*md, 11);
          auto* data = field(*md, 9);
          start = dict && dict->i > 0 ? dict->i : data ? data->i : -1;
        }
      }
    }
  if (auto* fo = field(rg, 5))
    start = fo->i;
  return start;
}

} // namespace

expected<concatenated> concat(const std::vector<std::string_view>& files) {
  if (files.empty())
    return error{"parquet concat: no files"};
  try {
    concatenated out;
    out.bytes = "PAR1";
    tvalue meta;
    std::string schema;
    std::vector<tvalue> groups;
    for (std::size_t k = 0; k < files.size(); ++k) {
      auto f = files[k];
      if (f.size() < 12 || f.substr(0, 4) != "PAR1" || f.substr(f.size() - 4) != "PAR1")
        return error{"parquet concat: input " + std::to_string(k) + " is not a Parquet file"};
      std::uint32_t len = 0;
      std::memcpy(&len, f.data() + f.size() - 8, 4);
      if (len > f.size() - 12)
        return error{"parquet concat: input " + std::to_string(k) + " has a bad footer length"};
      const auto footer_at = f.size() - 8 - len;
      decoder d(f.substr(footer_at, len));
      auto m = d.read_struct();
      std::string s;
      if (auto* sc = field(m, 2))
        write(s, *sc);
      if (k == 0) {
        schema = s;
      } else if (s != schema) {
        return error{"parquet concat: input " + std::to_string(k) + " has another schema"};
      }
      const auto by = static_cast<std::int64_t>(out.bytes.size()) - 4;
      out.bytes.append(f.substr(4, footer_at - 4));
      if (auto* rgs = field(m, 4))
        for (auto& rg : rgs->elems) {
          out.row_group_offsets.push_back(
            move_row_group(rg, by, static_cast<std::int16_t>(groups.size())));
          groups.push_back(std::move(rg));
        }
      if (auto* n = field(m, 3))
        out.rows += n->i;
      if (k == 0)
        meta = std::move(m);
    }
    if (auto* n = field(meta, 3))
      n->i = out.rows;
    if (auto* rgs = field(meta, 4))
      rgs->elems = std::move(groups);
    std::string footer;
    write_struct(footer, meta);
    out.bytes += footer;
    const auto len = static_cast<std::uint32_t>(footer.size());
    char b[4];
    std::memcpy(b, &len, 4);
    out.bytes.append(b, 4);
    out.bytes += "PAR1";
    return out;
  } catch (const std::exception& e) {
    return error{std::string{"parquet concat: "} + e.what()};
  }
}

} // namespace weir::parquet
