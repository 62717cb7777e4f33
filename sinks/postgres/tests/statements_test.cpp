// The SQL of a windowed job's tables, as golden strings: a change to any
// statement shows here first (and runs against the real PostgreSQL in
// results_it.cpp).
#include "sinks/postgres/statements.hpp"

#include <gtest/gtest.h>

using namespace weir;

namespace {

// Two key parts and an exact decimal sum.
jobs::job_spec spec() {
  jobs::job_spec s;
  s.name = "j";
  s.key = {"k", "os"};
  s.sink.table = "t";
  s.aggregations = {{jobs::agg_kind::count, "", "n"}, {jobs::agg_kind::sum, "v", "s", {12, 2}}};
  return s;
}

} // namespace

TEST(PostgresStatements, KeysAcrossPartitions) {
  const sinks::pg::statements st{spec(), false};
  EXPECT_FALSE(st.direct);
  EXPECT_EQ(st.create,
            "CREATE TABLE IF NOT EXISTS \"t\" (window_start timestamptz NOT NULL, window_end "
            "timestamptz NOT NULL, \"k\" text NOT NULL, \"os\" text NOT NULL, \"n\" bigint, \"s\" "
            "numeric(38,2), PRIMARY KEY (window_start, \"k\", \"os\"));\n"
            "CREATE TABLE IF NOT EXISTS \"t__progress\" (source_partition integer PRIMARY KEY, "
            "watermark bigint, idle boolean NOT NULL DEFAULT false, next_offset bigint, events "
            "bigint, filtered bigint, malformed bigint, late bigint, dropped bigint NOT NULL "
            "DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now(), skipped bigint NOT NULL "
            "DEFAULT 0);\n"
            "ALTER TABLE \"t__progress\" ADD COLUMN IF NOT EXISTS skipped bigint NOT NULL DEFAULT "
            "0;\n"
            "CREATE TABLE IF NOT EXISTS \"t__partials\" (window_start timestamptz NOT NULL, "
            "window_end timestamptz NOT NULL, \"k\" text NOT NULL, \"os\" text NOT NULL, "
            "source_partition integer NOT NULL, state bytea NOT NULL, PRIMARY KEY (window_start, "
            "\"k\", \"os\", source_partition));\n"
            "CREATE INDEX IF NOT EXISTS \"t__partials_end\" ON \"t__partials\" (window_end);");
  EXPECT_EQ(st.lock, "SELECT pg_advisory_xact_lock(hashtext('t'))");
  EXPECT_EQ(st.read_progress,
            "SELECT source_partition, watermark, idle, next_offset FROM \"t__progress\"");
  EXPECT_EQ(st.upsert_progress,
            "INSERT INTO \"t__progress\" (source_partition, watermark, idle, next_offset, events, "
            "filtered, malformed, late, skipped, updated_at) SELECT u.*, now() FROM "
            "unnest($1::int[], $2::bigint[], $3::bool[], $4::bigint[], $5::bigint[], $6::bigint[], "
            "$7::bigint[], $8::bigint[], $9::bigint[]) AS u(p, wm, idle, off, ev, fi, ma, la, sk) "
            "ON CONFLICT (source_partition) DO UPDATE SET watermark = EXCLUDED.watermark, idle = "
            "EXCLUDED.idle, next_offset = EXCLUDED.next_offset, events = EXCLUDED.events, filtered "
            "= EXCLUDED.filtered, malformed = EXCLUDED.malformed, late = EXCLUDED.late, skipped = "
            "EXCLUDED.skipped, updated_at = now()");
  EXPECT_EQ(st.add_dropped,
            "INSERT INTO \"t__progress\" AS t (source_partition, dropped) SELECT u.p, u.n FROM "
            "unnest($1::int[], $2::bigint[]) AS u(p, n) ON CONFLICT (source_partition) DO UPDATE "
            "SET dropped = t.dropped + EXCLUDED.dropped");
  EXPECT_EQ(st.set_job,
            "INSERT INTO \"t__progress\" (source_partition, watermark) VALUES (-1, $1) ON CONFLICT "
            "(source_partition) DO UPDATE SET watermark = EXCLUDED.watermark, updated_at = now()");
  EXPECT_EQ(st.create_partials_in,
            "CREATE TEMP TABLE IF NOT EXISTS weir_partials_in (LIKE \"t__partials\") ON COMMIT "
            "DELETE ROWS");
  EXPECT_EQ(st.upsert_partials,
            "INSERT INTO \"t__partials\" SELECT * FROM weir_partials_in ON CONFLICT (window_start, "
            "\"k\", \"os\", source_partition) DO UPDATE SET window_end = EXCLUDED.window_end, "
            "state = EXCLUDED.state");
  EXPECT_EQ(st.range,
            "SELECT (extract(epoch FROM window_start) * 1000)::bigint, (extract(epoch FROM "
            "window_end) * 1000)::bigint, \"k\", \"os\", source_partition, state FROM "
            "\"t__partials\" WHERE window_end > (timestamptz 'epoch' + $1::bigint * interval '1 "
            "millisecond') AND window_end <= (timestamptz 'epoch' + $2::bigint * interval '1 "
            "millisecond')");
  EXPECT_EQ(st.touched,
            "SELECT (extract(epoch FROM window_start) * 1000)::bigint, (extract(epoch FROM "
            "window_end) * 1000)::bigint, \"k\", \"os\", source_partition, state FROM "
            "\"t__partials\" WHERE (window_start, \"k\", \"os\") IN (SELECT (timestamptz 'epoch' + "
            "u.ws * interval '1 millisecond'), u.k0, u.k1 FROM unnest($1::bigint[], $2::text[], "
            "$3::text[]) AS u(ws, k0, k1))");
  EXPECT_EQ(st.delete_final,
            "DELETE FROM \"t__partials\" WHERE window_end > (timestamptz 'epoch' + $1::bigint * "
            "interval '1 millisecond') AND window_end <= (timestamptz 'epoch' + $2::bigint * "
            "interval '1 millisecond')");
  EXPECT_EQ(st.upsert_results,
            "INSERT INTO \"t\" (window_start, window_end, \"k\", \"os\", \"n\", \"s\") SELECT "
            "(timestamptz 'epoch' + u.ws * interval '1 millisecond'), (timestamptz 'epoch' + u.we "
            "* interval '1 millisecond'), u.k0, u.k1, u.a0, u.a1 FROM unnest($1::bigint[], "
            "$2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::numeric[]) AS u(ws, we, k0, "
            "k1, a0, a1) ON CONFLICT (window_start, \"k\", \"os\") DO UPDATE SET window_end = "
            "EXCLUDED.window_end, \"n\" = EXCLUDED.\"n\", \"s\" = EXCLUDED.\"s\"");
  EXPECT_EQ(st.partials_in_columns,
            (std::vector<std::string>{"window_start", "window_end", "\"k\"", "\"os\"",
                                      "source_partition", "state"}));
}

TEST(PostgresStatements, RowsFinalPerPartitionKeepNoPartials) {
  auto s = spec();
  s.source.partitioned_by = "k";
  const sinks::pg::statements st{s, false};
  EXPECT_TRUE(st.direct);
  EXPECT_EQ(st.create,
            "CREATE TABLE IF NOT EXISTS \"t\" (window_start timestamptz NOT NULL, window_end "
            "timestamptz NOT NULL, \"k\" text NOT NULL, \"os\" text NOT NULL, \"n\" bigint, \"s\" "
            "numeric(38,2), PRIMARY KEY (window_start, \"k\", \"os\"));\n"
            "CREATE TABLE IF NOT EXISTS \"t__progress\" (source_partition integer PRIMARY KEY, "
            "watermark bigint, idle boolean NOT NULL DEFAULT false, next_offset bigint, events "
            "bigint, filtered bigint, malformed bigint, late bigint, dropped bigint NOT NULL "
            "DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now(), skipped bigint NOT NULL "
            "DEFAULT 0);\n"
            "ALTER TABLE \"t__progress\" ADD COLUMN IF NOT EXISTS skipped bigint NOT NULL DEFAULT "
            "0;");
  EXPECT_TRUE(st.upsert_partials.empty());
  EXPECT_EQ(st.result_columns, (std::vector<std::string>{"window_start", "window_end", "\"k\"",
                                                         "\"os\"", "\"n\"", "\"s\""}));
}

TEST(PostgresStatements, TopNRanksAndReplacesWholeWindows) {
  auto s = spec();
  s.top = {3, "n"};
  const sinks::pg::statements st{s, false};
  EXPECT_FALSE(st.direct) << "ranking needs every partition";
  EXPECT_EQ(st.touched,
            "SELECT (extract(epoch FROM window_start) * 1000)::bigint, (extract(epoch FROM "
            "window_end) * 1000)::bigint, \"k\", \"os\", source_partition, state FROM "
            "\"t__partials\" WHERE (window_start) IN (SELECT (timestamptz 'epoch' + u.ws * "
            "interval '1 millisecond') FROM unnest($1::bigint[]) AS u(ws))");
  EXPECT_EQ(st.delete_windows,
            "DELETE FROM \"t\" WHERE window_start IN (SELECT (timestamptz 'epoch' + w * interval "
            "'1 millisecond') FROM unnest($1::bigint[]) AS w)");
  EXPECT_EQ(st.upsert_results,
            "INSERT INTO \"t\" (window_start, window_end, \"k\", \"os\", rank, \"n\", \"s\") "
            "SELECT (timestamptz 'epoch' + u.ws * interval '1 millisecond'), (timestamptz 'epoch' "
            "+ u.we * interval '1 millisecond'), u.k0, u.k1, u.rank, u.a0, u.a1 FROM "
            "unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::int[], $6::bigint[], "
            "$7::numeric[]) AS u(ws, we, k0, k1, rank, a0, a1) ON CONFLICT (window_start, \"k\", "
            "\"os\") DO UPDATE SET window_end = EXCLUDED.window_end, rank = EXCLUDED.rank, \"n\" = "
            "EXCLUDED.\"n\", \"s\" = EXCLUDED.\"s\"");
  EXPECT_EQ(st.columns[4], (std::pair<std::string, std::string>{"rank", "integer"}));
}

TEST(PostgresStatements, ResultsElsewhereKeepOnlyProgressAndPartials) {
  const sinks::pg::statements st{spec(), true};
  EXPECT_EQ(st.create,
            "CREATE TABLE IF NOT EXISTS \"t__progress\" (source_partition integer PRIMARY KEY, "
            "watermark bigint, idle boolean NOT NULL DEFAULT false, next_offset bigint, events "
            "bigint, filtered bigint, malformed bigint, late bigint, dropped bigint NOT NULL "
            "DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now(), skipped bigint NOT NULL "
            "DEFAULT 0);\n"
            "ALTER TABLE \"t__progress\" ADD COLUMN IF NOT EXISTS skipped bigint NOT NULL DEFAULT "
            "0;\n"
            "CREATE TABLE IF NOT EXISTS \"t__partials\" (window_start timestamptz NOT NULL, "
            "window_end timestamptz NOT NULL, \"k\" text NOT NULL, \"os\" text NOT NULL, "
            "source_partition integer NOT NULL, state bytea NOT NULL, PRIMARY KEY (window_start, "
            "\"k\", \"os\", source_partition));\n"
            "CREATE INDEX IF NOT EXISTS \"t__partials_end\" ON \"t__partials\" (window_end);");
  EXPECT_EQ(st.set_job,
            "INSERT INTO \"t__progress\" (source_partition, watermark, next_offset, dropped) "
            "VALUES (-1, $1, $2, $3) ON CONFLICT (source_partition) DO UPDATE SET watermark = "
            "EXCLUDED.watermark, next_offset = EXCLUDED.next_offset, dropped = "
            "\"t__progress\".dropped + EXCLUDED.dropped, updated_at = now()");
}

TEST(PostgresStatements, NamesAndTextAreQuoted) {
  EXPECT_EQ(sinks::pg::quote_ident("a\"b"), "\"a\"\"b\"");
  EXPECT_EQ(sinks::pg::quote_literal("it's"), "'it''s'");
  std::string out;
  sinks::pg::append_array_text(out, "a\"b\\c");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\"");
}
