#include "lib/avro/container.hpp"

#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <random>

namespace weir::avro {

namespace {

constexpr std::string_view magic{"Obj\x01", 4};
// A decompressed block larger than this is refused (a corrupt or hostile size).
constexpr std::size_t max_block = std::size_t{1} << 30;

expected<std::string> deflate_raw(std::string_view in) {
  z_stream z{};
  // Negative window bits: raw deflate, no zlib header or Adler-32, as Avro asks.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return error{"avro: deflateInit2 failed"};
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END)
    return error{"avro: deflate failed"};
  return out;
}

expected<std::string> inflate_raw(std::string_view in) {
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK)
    return error{"avro: inflateInit2 failed"};
  std::string out(std::max<std::size_t>(in.size() * 4, 1024), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  const char* fault = nullptr;
  for (;;) {
    if (z.total_out == out.size()) {
      if (out.size() >= max_block) {
        fault = "avro: a deflate block inflates past 1 GiB";
        break;
      }
      out.resize(out.size() * 2);
    }
    z.next_out = reinterpret_cast<Bytef*>(out.data() + z.total_out);
    z.avail_out = static_cast<uInt>(out.size() - z.total_out);
    int rc = inflate(&z, Z_NO_FLUSH);
    if (rc == Z_STREAM_END)
      break;
    // Z_BUF_ERROR with output room left: the input ended inside the stream.
    if ((rc != Z_OK && rc != Z_BUF_ERROR) || (rc == Z_BUF_ERROR && z.avail_out > 0)) {
      fault = "avro: corrupt deflate block";
      break;
    }
  }
  out.resize(z.total_out);
  inflateEnd(&z);
  if (fault)
    return error{fault};
  return out;
}

expected<std::string> unsnappy(std::string_view in) {
  // The compressed block, then the big-endian CRC32 of the uncompressed data.
  if (in.size() < 4)
    return error{"avro: snappy block shorter than its checksum"};
  auto body = in.substr(0, in.size() - 4);
  std::size_t n = 0;
  if (!snappy::GetUncompressedLength(body.data(), body.size(), &n) || n > max_block)
    return error{"avro: corrupt snappy block"};
  std::string out(n, '\0');
  if (!snappy::RawUncompress(body.data(), body.size(), out.data()))
    return error{"avro: corrupt snappy block"};
  auto crc = crc32(0, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size()));
  const auto* c = reinterpret_cast<const std::uint8_t*>(in.data() + body.size());
  std::uint32_t want =
    std::uint32_t{c[0]} << 24 | std::uint32_t{c[1]} << 16 | std::uint32_t{c[2]} << 8 | c[3];
  if (crc != want)
    return error{"avro: snappy block checksum mismatch"};
  return out;
}

expected<std::string> unzstd(std::string_view in) {
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  if (!ctx)
    return error{"avro: cannot create a zstd context"};
  std::string out;
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  std::size_t rc = 1;
  while (src.pos < src.size || rc != 0) {
    std::size_t used = out.size();
    if (used >= max_block) {
      ZSTD_freeDCtx(ctx);
      return error{"avro: a zstandard block decompresses past 1 GiB"};
    }
    out.resize(used + std::max<std::size_t>(ZSTD_DStreamOutSize(), in.size()));
    ZSTD_outBuffer dst{out.data() + used, out.size() - used, 0};
    rc = ZSTD_decompressStream(ctx, &dst, &src);
    out.resize(used + dst.pos);
    if (ZSTD_isError(rc)) {
      ZSTD_freeDCtx(ctx);
      return error{std::string{"avro: zstandard: "} + ZSTD_getErrorName(rc)};
    }
    if (src.pos == src.size && dst.pos == 0 && rc != 0) {
      ZSTD_freeDCtx(ctx);
      return error{"avro: truncated zstandard block"};
    }
  }
  ZSTD_freeDCtx(ctx);
  return out;
}

sync_marker random_sync() {
  std::random_device rd;
  sync_marker s;
  for (std::size_t i = 0; i < s.size(); i += 4) {
    auto r = rd();
    std::memcpy(s.data() + i, &r, 4);
  }
  return s;
}

// Decoding state shared by one file's records: a budget of items bounds the
// work a hostile count of zero-byte items (nulls, empty records) can ask for.
struct decode_context {
  decoder& in;
  std::size_t budget;
  int depth = 0;

  bool spend() {
    if (budget == 0) {
      in.fail("avro: more items than the data can hold");
      return false;
    }
    --budget;
    return true;
  }

  void read(const node& n, value& v) {
    if (in.failed())
      return;
    if (++depth > 128) {
      in.fail("avro: data nested deeper than 128");
      return;
    }
    v.t = n.t;
    v.schema = &n;
    switch (n.t) {
      case type::null: break;
      case type::boolean: v.boolean = in.boolean(); break;
      case type::int32: v.integer = in.int32(); break;
      case type::int64: v.integer = in.int64(); break;
      case type::float32: v.real = in.float32(); break;
      case type::float64: v.real = in.float64(); break;
      case type::bytes:
      case type::string: v.text = in.bytes(); break;
      case type::fixed: v.text = in.fixed(n.size); break;
      case type::enumeration: {
        v.integer = in.int32();
        if (v.integer < 0 || static_cast<std::size_t>(v.integer) >= n.symbols.size())
          in.fail("avro: enum index " + std::to_string(v.integer) + " out of range");
        else
          v.text = n.symbols[static_cast<std::size_t>(v.integer)];
        break;
      }
      case type::record:
        v.items.resize(n.fields.size());
        for (std::size_t i = 0; i < n.fields.size() && !in.failed(); ++i)
          read(*n.fields[i].schema, v.items[i]);
        break;
      case type::array:
      case type::map:
        for (auto count = in.block(); count > 0 && !in.failed(); count = in.block())
          for (std::int64_t i = 0; i < count && spend(); ++i) {
            if (n.t == type::map)
              v.keys.emplace_back(in.bytes());
            read(*n.items, v.items.emplace_back());
          }
        break;
      case type::union_of: {
        auto b = in.int64();
        if (b < 0 || static_cast<std::size_t>(b) >= n.branches.size()) {
          in.fail("avro: union branch " + std::to_string(b) + " out of range");
          break;
        }
        read(*n.branches[static_cast<std::size_t>(b)], v);
        v.branch = static_cast<int>(b);
        break;
      }
    }
    --depth;
  }
};

} // namespace

const value* value::field(std::string_view name) const {
  if (t != type::record || !schema)
    return nullptr;
  int i = schema->field_index(name);
  return i < 0 ? nullptr : &items[static_cast<std::size_t>(i)];
}

const value* value::field(int field_id) const {
  if (t != type::record || !schema)
    return nullptr;
  int i = schema->field_index(field_id);
  return i < 0 ? nullptr : &items[static_cast<std::size_t>(i)];
}

const std::string* container::meta(std::string_view key) const {
  for (const auto& [k, v] : metadata)
    if (k == key)
      return &v;
  return nullptr;
}

expected<container_writer> container_writer::make(
  std::string_view schema_json, std::vector<std::pair<std::string, std::string>> metadata,
  writer_options options) {
  if (auto s = schema::parse(schema_json); !s)
    return s.failure();
  for (const auto& [k, v] : metadata)
    if (k.starts_with("avro."))
      return error{"avro: metadata key '" + k + "' is reserved"};
  if (options.block_records == 0)
    options.block_records = 1;
  return guarded("avro", [&] {
    container_writer w;
    w.options_ = options;
    w.sync_ = options.sync ? *options.sync : random_sync();
    w.out_.append(magic);
    encoder e(w.out_);
    e.block(metadata.size() + 2);
    e.key("avro.schema");
    e.bytes(schema_json);
    e.key("avro.codec");
    e.bytes(options.codec == codec::deflate ? "deflate" : "null");
    for (const auto& [k, v] : metadata) {
      e.key(k);
      e.bytes(v);
    }
    e.end();
    w.out_.append(reinterpret_cast<const char*>(w.sync_.data()), w.sync_.size());
    return w;
  });
}

expected<void> container_writer::append(std::string_view datum) {
  if (finished_)
    return error{"avro: append to a finished writer"};
  auto r = guarded("avro", [&] {
    block_.append(datum);
    ++block_count_;
    ++records_;
  });
  if (!r)
    return r;
  if (block_count_ >= options_.block_records || block_.size() >= options_.block_bytes)
    return flush_block();
  return {};
}

expected<void> container_writer::flush_block() {
  if (block_count_ == 0)
    return {};
  auto r = guarded("avro", [&]() -> expected<void> {
    std::string packed;
    std::string_view body = block_;
    if (options_.codec == codec::deflate) {
      auto d = deflate_raw(block_);
      if (!d)
        return d.failure();
      packed = std::move(*d);
      body = packed;
    }
    encoder e(out_);
    e.int64(static_cast<std::int64_t>(block_count_));
    e.int64(static_cast<std::int64_t>(body.size()));
    out_.append(body);
    out_.append(reinterpret_cast<const char*>(sync_.data()), sync_.size());
    block_.clear();
    block_count_ = 0;
    return {};
  });
  if (!r)
    return r.failure();
  return *r;
}

expected<std::string> container_writer::finish() {
  if (finished_)
    return error{"avro: finish on a finished writer"};
  finished_ = true;
  if (auto r = flush_block(); !r)
    return r.failure();
  return std::move(out_);
}

expected<value> decode(const node& schema, decoder& in) {
  auto r = guarded("avro", [&]() -> expected<value> {
    decode_context ctx{in, in.remaining() + 1024};
    value v;
    ctx.read(schema, v);
    if (in.failed())
      return error{in.what()};
    return v;
  });
  if (!r)
    return r.failure();
  return std::move(*r);
}

expected<container> read_container(std::string_view bytes) {
  auto r = guarded("avro", [&]() -> expected<container> {
    if (bytes.substr(0, 4) != magic)
      return error{"avro: not an object container file (bad magic)"};
    decoder in(bytes.substr(4));
    container c;
    for (auto count = in.block(); count > 0 && !in.failed(); count = in.block())
      for (std::int64_t i = 0; i < count && !in.failed(); ++i) {
        std::string k{in.bytes()};
        std::string v{in.bytes()};
        c.metadata.emplace_back(std::move(k), std::move(v));
      }
    auto sync = in.fixed(16);
    if (in.failed())
      return error{"avro: truncated header: " + in.what()};
    std::memcpy(c.sync.data(), sync.data(), 16);

    const std::string* schema_json = c.meta("avro.schema");
    if (!schema_json)
      return error{"avro: the header has no avro.schema"};
    auto s = schema::parse(*schema_json);
    if (!s)
      return s.failure();
    c.schema = std::move(*s);
    const std::string* codec_name = c.meta("avro.codec");
    c.codec = codec_name ? *codec_name : "null";
    if (c.codec != "null" && c.codec != "deflate" && c.codec != "snappy" && c.codec != "zstandard")
      return error{"avro: unsupported codec '" + c.codec + "'"};

    // Zero-byte items are bounded by the whole file's size, not a block's.
    std::size_t budget = bytes.size() + 1024;
    while (!in.at_end()) {
      auto count = in.int64();
      auto size = in.int64();
      if (in.failed() || count < 0 || size < 0 || static_cast<std::uint64_t>(size) > in.remaining())
        return error{"avro: corrupt block header at byte " + std::to_string(4 + in.position())};
      auto data = in.fixed(static_cast<std::size_t>(size));
      auto marker = in.fixed(16);
      if (in.failed() || std::memcmp(marker.data(), c.sync.data(), 16) != 0)
        return error{"avro: block at byte " + std::to_string(4 + in.position())
                     + " does not end with the file's sync marker"};
      std::string unpacked;
      if (c.codec != "null") {
        auto u = c.codec == "deflate"  ? inflate_raw(data)
                 : c.codec == "snappy" ? unsnappy(data)
                                       : unzstd(data);
        if (!u)
          return u.failure();
        unpacked = std::move(*u);
        data = unpacked;
      }
      decoder block(data);
      decode_context ctx{block, budget};
      for (std::int64_t i = 0; i < count && !block.failed(); ++i) {
        if (!ctx.spend())
          break;
        ctx.read(c.schema.root(), c.records.emplace_back());
      }
      if (block.failed())
        return error{block.what()};
      if (!block.at_end())
        return error{"avro: a block holds " + std::to_string(block.remaining()) + " bytes past its "
                     + std::to_string(count) + " records"};
      budget = ctx.budget;
    }
    return c;
  });
  if (!r)
    return r.failure();
  return std::move(*r);
}

} // namespace weir::avro
