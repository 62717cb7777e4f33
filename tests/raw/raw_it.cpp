// sinks/raw against the real PostgreSQL and MinIO of deploy/services.sh
// (WEIR_PG_URL, WEIR_S3_*; CTest sources .run/env.sh first).
//
// Without arguments it runs its GoogleTest cases (errors, no-loss rules of
// the writers). With a mode it is a small tool that the Python checkers in
// tests/raw/ drive, so that psql, pyarrow and duckdb — never weir's own code —
// read what weir wrote:
//   weir_raw_it dump SCHEMA FROM TO                 rows [FROM, TO) as JSON lines
//   weir_raw_it pg-write TABLE SCHEMA FROM TO BATCH inserts them, prints "inserted N"
//   weir_raw_it pg-bench TABLE ROWS BATCH           prints "rows/s R" (actions schema)
//   weir_raw_it export TABLE SCHEMA PREFIX RUN STEP STEP: claim, upload, mark, run, unfinished
//   weir_raw_it export-job SPEC RUN                 one run of an export job (a YAML file), as
//                                                   a worker does it; prints its summary
//   weir_raw_it delete-prefix PREFIX                prints "deleted N"
#include "jobs/spec.hpp"
#include "sinks/export/exporter.hpp"
#include "sinks/export/run.hpp"
#include "sinks/postgres_raw/postgres_raw.hpp"

#include "raw_data.hpp"

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

using namespace weir;
using namespace weir::raw;

namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

s3::config s3_config() {
  s3::config cfg;
  cfg.endpoint = env("WEIR_S3_ENDPOINT");
  cfg.region = env("WEIR_S3_REGION").empty() ? "us-east-1" : env("WEIR_S3_REGION");
  cfg.access_key = env("WEIR_S3_ACCESS_KEY");
  cfg.secret_key = env("WEIR_S3_SECRET_KEY");
  return cfg;
}

// Seed 004's layout: event_date / 2-hour event_hour / bucket = user_id % 128.

template <class T>
T must(expected<T> e, const char* what) {
  if (!e) {
    std::cerr << what << ": " << e.error_message() << "\n";
    std::exit(1);
  }
  return std::move(*e);
}

void must(expected<void> e, const char* what) {
  if (!e) {
    std::cerr << what << ": " << e.error_message() << "\n";
    std::exit(1);
  }
}

// Rows [from, to) of a schema, optionally with Kafka positions (offset = n).
row_batch rows(const std::string& schema_name, std::int64_t from, std::int64_t to,
               std::optional<std::int32_t> kafka_partition = std::nullopt) {
  auto batch = must(row_batch::make(testdata::schema(schema_name)), "row_batch");
  testdata::generator gen{schema_name};
  std::vector<row_batch::value> row;
  for (auto n = from; n < to; ++n) {
    gen.make(n, row);
    std::optional<kafka_position> pos;
    if (kafka_partition)
      pos = kafka_position{*kafka_partition, n};
    must(batch.append(row, pos), "append");
  }
  return batch;
}

int dump(const std::string& schema_name, std::int64_t from, std::int64_t to) {
  std::string out = "{\"columns\": [";
  const auto cols = testdata::schema(schema_name);
  for (std::size_t i = 0; i < cols.size(); ++i)
    out += std::string{i ? ", " : ""} + "{\"name\": \"" + cols[i].name + "\", \"type\": \""
           + parquet::type_name(cols[i].t)
           + "\", \"nullable\": " + (cols[i].nullable ? "true" : "false") + "}";
  out += "]}\n";
  testdata::generator gen{schema_name};
  std::vector<row_batch::value> row;
  for (auto n = from; n < to; ++n) {
    gen.make(n, row);
    out += '[';
    for (std::size_t i = 0; i < row.size(); ++i) {
      if (i)
        out += ", ";
      testdata::append_json(out, row[i]);
    }
    out += "]\n";
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}

// postgres_raw::write of rows none of which the server may refuse.
expected<std::size_t> write_all(postgres_raw& sink, const row_batch& b) {
  std::vector<std::pair<std::size_t, std::string>> refused;
  auto n = sink.write(b, refused);
  if (n && !refused.empty())
    return error{"row " + std::to_string(refused[0].first) + " refused: " + refused[0].second};
  return n;
}

int pg_write(const std::string& table, const std::string& schema_name, std::int64_t from,
             std::int64_t to, std::int64_t batch_rows) {
  auto sink =
    must(postgres_raw::make(env("WEIR_PG_URL"), table, testdata::schema(schema_name), "event_id"),
         "postgres_raw");
  std::size_t inserted = 0;
  for (auto lo = from; lo < to; lo += batch_rows)
    inserted +=
      must(write_all(sink, rows(schema_name, lo, std::min(to, lo + batch_rows))), "write");
  std::cout << "inserted " << inserted << "\n";
  return 0;
}

int pg_bench(const std::string& table, std::int64_t n, std::int64_t batch_rows) {
  auto sink =
    must(postgres_raw::make(env("WEIR_PG_URL"), table, testdata::schema("actions"), "event_id"),
         "postgres_raw");
  std::vector<row_batch> batches;
  for (std::int64_t lo = 0; lo < n; lo += batch_rows)
    batches.push_back(rows("actions", lo, std::min(n, lo + batch_rows)));
  const auto start = std::chrono::steady_clock::now();
  std::size_t inserted = 0;
  for (const auto& b : batches)
    inserted += must(write_all(sink, b), "write");
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
  // A replay of everything: conflicts only.
  const auto start2 = std::chrono::steady_clock::now();
  std::size_t again = 0;
  for (const auto& b : batches)
    again += must(write_all(sink, b), "write again");
  const std::chrono::duration<double> took2 = std::chrono::steady_clock::now() - start2;
  std::cout << "inserted " << inserted << " in " << took.count() << " s: rows/s "
            << static_cast<long>(static_cast<double>(inserted) / took.count()) << "\n"
            << "replayed " << n << " (inserted " << again << ") in " << took2.count()
            << " s: rows/s " << static_cast<long>(static_cast<double>(n) / took2.count()) << "\n";
  return inserted == static_cast<std::size_t>(n) && again == 0 ? 0 : 1;
}

int run_export(const std::string& table, const std::string& schema_name, const std::string& prefix,
               const std::string& run, const std::string& step) {
  export_config cfg;
  cfg.pg_url = env("WEIR_PG_URL");
  cfg.table = table;
  cfg.columns = testdata::schema(schema_name);
  cfg.key_column = "event_id";
  cfg.s3 = s3_config();
  cfg.bucket = env("WEIR_S3_BUCKET");
  cfg.prefix = prefix;
  auto e = must(exporter::make(cfg), "exporter");
  auto print = [](const export_result& r) {
    std::cout << "{\"run\": \"" << r.run_id << "\", \"key\": \"" << r.key
              << "\", \"rows\": " << r.rows << ", \"uploaded\": " << (r.uploaded ? "true" : "false")
              << "}\n";
  };
  if (step == "claim")
    std::cout << "{\"claimed\": " << must(e.claim(run), "claim") << "}\n";
  else if (step == "upload")
    print(must(e.upload(run), "upload"));
  else if (step == "mark")
    std::cout << "{\"marked\": " << must(e.mark(run), "mark") << "}\n";
  else if (step == "run")
    print(must(e.run(run), "run"));
  else if (step == "unfinished") {
    std::cout << "[";
    const auto runs = must(e.unfinished_runs(), "unfinished");
    for (std::size_t i = 0; i < runs.size(); ++i)
      std::cout << (i ? ", " : "") << "\"" << runs[i] << "\"";
    std::cout << "]\n";
  } else {
    std::cerr << "unknown step " << step << "\n";
    return 2;
  }
  return 0;
}

int export_job(const std::string& path, const std::string& run) {
  std::ifstream in{path};
  std::stringstream text;
  text << in.rdbuf();
  auto spec = must(jobs::parse_spec(text.str(), path), "spec");
  auto done = must(weir::raw::run_export(spec, run), "run");
  std::cout << "{\"summary\": \"" << done.summary << "\", \"recovered\": [";
  for (std::size_t i = 0; i < done.recovered.size(); ++i)
    std::cout << (i ? ", " : "") << "\"" << done.recovered[i] << "\"";
  std::cout << "]}\n";
  return 0;
}

int delete_prefix(const std::string& prefix) {
  auto client = must(s3::client::make(s3_config()), "s3");
  const auto bucket = env("WEIR_S3_BUCKET");
  auto keys = must(client.list(bucket, prefix), "list");
  for (const auto& k : keys)
    must(client.delete_object(bucket, k), "delete");
  std::cout << "deleted " << keys.size() << "\n";
  return 0;
}

// -- GoogleTest cases ------------------------------------------------------------

// Nothing listens on port 1 (tcpmux) of loopback: connections are refused.
const std::string refused_port = "1";

std::string unique(const std::string& base) {
  return base + "_" + std::to_string(::getpid()) + "_"
         + std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1'000'000);
}

// Drops the test's tables when it ends.
struct dropped {
  std::string table;
  ~dropped() {
    try {
      pqxx::connection c{env("WEIR_PG_URL")};
      pqxx::nontransaction{c}.exec("DROP TABLE IF EXISTS " + c.quote_name(table));
    } catch (const std::exception& e) {
      std::cerr << "cannot drop " << table << ": " << e.what() << "\n";
    }
  }
};

TEST(RawPostgres, ErrorsAreValuesNotExceptions) {
  const auto cols = testdata::schema("actions");
  auto refused = postgres_raw::make("postgresql://weir@127.0.0.1:" + refused_port + "/weir", "t",
                                    cols, "event_id");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error_message().find("postgres_raw t"), std::string::npos)
    << refused.error_message();
  auto no_key = postgres_raw::make(env("WEIR_PG_URL"), "t", cols, "nope");
  ASSERT_FALSE(no_key);
  EXPECT_NE(no_key.error_message().find("key column 'nope'"), std::string::npos);
  auto nullable_key = postgres_raw::make(env("WEIR_PG_URL"), "t", cols, "session_seconds");
  ASSERT_FALSE(nullable_key);
  auto reserved = postgres_raw::make(env("WEIR_PG_URL"), "t",
                                     {{"event_id", parquet::type::string, false},
                                      {"exported", parquet::type::boolean, true}},
                                     "event_id");
  ASSERT_FALSE(reserved);
  EXPECT_NE(reserved.error_message().find("reserved"), std::string::npos);
  EXPECT_FALSE(postgres_raw::make(env("WEIR_PG_URL"), "bad name", cols, "event_id"));
}

TEST(RawPostgres, ExistingTableWithOtherTypesIsRefused) {
  const auto table = unique("raw_it_types");
  dropped cleanup{table};
  auto cols = testdata::schema("actions");
  ASSERT_TRUE(postgres_raw::make(env("WEIR_PG_URL"), table, cols, "event_id"));
  cols[1].t = parquet::type::string; // user_id
  auto other = postgres_raw::make(env("WEIR_PG_URL"), table, cols, "event_id");
  ASSERT_FALSE(other);
  EXPECT_NE(other.error_message().find("column user_id is bigint, expected text"),
            std::string::npos)
    << other.error_message();
  cols.push_back({"extra", parquet::type::int64, true});
  cols[1].t = parquet::type::int64;
  auto missing = postgres_raw::make(env("WEIR_PG_URL"), table, cols, "event_id");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error_message().find("without column extra"), std::string::npos);
}

// Without a key column an event's Kafka position is its identity: a replay
// (the same positions) inserts nothing, the same values at new positions are
// new events, and a batch without positions is refused. psql sees the two
// columns and the primary key.
TEST(RawPostgres, WithoutAKeyTheKafkaPositionIsTheIdentity) {
  const auto table = unique("raw_it_positions");
  dropped cleanup{table};
  const std::vector<column> cols{{"bet_id", parquet::type::string, true},
                                 {"amount", parquet::type::float64, true}};
  auto sink = postgres_raw::make(env("WEIR_PG_URL"), table, cols, "");
  ASSERT_TRUE(sink) << sink.error_message();
  auto batch = [&](std::int32_t partition, std::int64_t first, std::int64_t n) {
    auto b = *row_batch::make(cols);
    for (std::int64_t i = 0; i < n; ++i) // the same values at every position
      EXPECT_TRUE(b.append({std::string_view{"b"}, 2.5}, kafka_position{partition, first + i}));
    return b;
  };
  EXPECT_EQ(*write_all(*sink, batch(0, 0, 100)), 100u);
  EXPECT_EQ(*write_all(*sink, batch(0, 50, 100)), 50u); // 50..99 again, 100..149 new
  EXPECT_EQ(*write_all(*sink, batch(1, 0, 10)), 10u);   // another partition
  auto unplaced = *row_batch::make(cols);
  ASSERT_TRUE(unplaced.append({std::string_view{"b"}, 1.0}));
  auto refused = write_all(*sink, unplaced);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error_message().find("without a Kafka position"), std::string::npos)
    << refused.error_message();
  pqxx::connection c{env("WEIR_PG_URL")};
  pqxx::nontransaction n{c};
  EXPECT_EQ(n.exec("SELECT count(*) || '/' || count(DISTINCT (kafka_partition, kafka_offset)) "
                   "|| '/' || max(kafka_offset) FROM "
                   + c.quote_name(table))[0][0]
              .as<std::string>(),
            "160/160/149");
  EXPECT_EQ(n.exec("SELECT string_agg(a.attname, ',' ORDER BY a.attnum) FROM pg_index i JOIN "
                   "pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                   "WHERE i.indisprimary AND i.indrelid = "
                   + c.quote(table) + "::regclass")[0][0]
              .as<std::string>(),
            "kafka_partition,kafka_offset");
  // The position's columns are the table's own.
  auto clash = postgres_raw::make(env("WEIR_PG_URL"), unique("raw_it_clash"),
                                  {{"kafka_offset", parquet::type::int64, true}}, "");
  ASSERT_FALSE(clash);
  EXPECT_NE(clash.error_message().find("'kafka_offset' is the table's own"), std::string::npos)
    << clash.error_message();
}

// A row the server refuses for what it holds fails its transaction; the
// write is made again with that row isolated: it comes back with the
// server's reason, and every other row of the batch lands.
TEST(RawPostgres, RefusedRowsAreIsolatedAndTheRestLands) {
  const auto table = unique("raw_it_fail");
  dropped cleanup{table};
  auto cols = testdata::schema("actions");
  auto sink = postgres_raw::make(env("WEIR_PG_URL"), table, cols, "event_id");
  ASSERT_TRUE(sink) << sink.error_message();
  std::vector<std::pair<std::size_t, std::string>> refused;
  // A NUL byte is not valid in PostgreSQL text.
  auto bad = rows("actions", 0, 100);
  const std::string nul{"with\0nul", 8};
  ASSERT_TRUE(bad.append({std::string_view{nul}, std::int64_t{1}, std::string_view{"a"},
                          std::int64_t{0}, std::monostate{}}));
  auto written = sink->write(bad, refused);
  ASSERT_TRUE(written) << written.error_message();
  EXPECT_EQ(*written, 100u);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].first, 100u);
  EXPECT_NE(refused[0].second.find("0x00"), std::string::npos) << refused[0].second;

  // A constraint the table was given after it was made, refusing a few
  // rows spread over the batch.
  {
    pqxx::connection c{env("WEIR_PG_URL")};
    pqxx::nontransaction{c}.exec("ALTER TABLE " + c.quote_name(table)
                                 + " ADD CONSTRAINT weir_it_positive CHECK (user_id > 0)");
  }
  auto mixed = rows("actions", 200, 200);
  testdata::generator gen{"actions"};
  std::vector<row_batch::value> row;
  std::vector<std::size_t> negative;
  for (std::int64_t n = 200; n < 1200; ++n) {
    gen.make(n, row);
    if (n % 97 == 0) {
      row[1] = std::int64_t{-n};
      negative.push_back(static_cast<std::size_t>(n - 200));
    }
    ASSERT_TRUE(mixed.append(row));
  }
  refused.clear();
  written = sink->write(mixed, refused);
  ASSERT_TRUE(written) << written.error_message();
  EXPECT_EQ(*written, 1000u - negative.size());
  ASSERT_EQ(refused.size(), negative.size());
  for (std::size_t i = 0; i < refused.size(); ++i) {
    EXPECT_EQ(refused[i].first, negative[i]);
    EXPECT_NE(refused[i].second.find("weir_it_positive"), std::string::npos) << refused[i].second;
  }
  {
    pqxx::connection c{env("WEIR_PG_URL")};
    pqxx::nontransaction n{c};
    EXPECT_EQ(n.exec("SELECT count(*) FROM " + c.quote_name(table))[0][0].as<std::size_t>(),
              1100u - negative.size());
  }

  // Not a row's fault: the whole write fails, nothing is isolated.
  refused.clear();
  auto other_schema = sink->write(rows("all", 0, 10), refused);
  ASSERT_FALSE(other_schema);
  EXPECT_TRUE(refused.empty());
  // A key twice in one batch: the first row wins, the batch does not fail.
  auto twice = rows("actions", 2000, 2001);
  gen.make(2000, row);
  row[1] = std::int64_t{7};
  ASSERT_TRUE(twice.append(row));
  auto once = sink->write(twice, refused);
  ASSERT_TRUE(once) << once.error_message();
  EXPECT_EQ(*once, 1u);
  EXPECT_TRUE(refused.empty());
}

} // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && argv[1][0] != '-') {
    const std::string mode = argv[1];
    std::vector<std::string> a(argv + 2, argv + argc);
    auto num = [&](std::size_t i) {
      return std::stoll(a.at(i));
    };
    try {
      if (mode == "dump" && a.size() == 3)
        return dump(a[0], num(1), num(2));
      if (mode == "pg-write" && a.size() == 5)
        return pg_write(a[0], a[1], num(2), num(3), num(4));
      if (mode == "pg-bench" && a.size() == 3)
        return pg_bench(a[0], num(1), num(2));
      if (mode == "export" && a.size() == 5)
        return run_export(a[0], a[1], a[2], a[3], a[4]);
      if (mode == "export-job" && a.size() == 2)
        return export_job(a[0], a[1]);
      if (mode == "delete-prefix" && a.size() == 1)
        return delete_prefix(a[0]);
    } catch (const std::exception& e) { // argument parsing only
      std::cerr << mode << ": " << e.what() << "\n";
      return 2;
    }
    std::cerr << "usage: see the top of tests/raw/raw_it.cpp\n";
    return 2;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
