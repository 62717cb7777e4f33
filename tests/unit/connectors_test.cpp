// The one list of sink connectors (jobs/connectors.hpp) and the registry of
// sink factories (sinks/registry/) name the same sinks: a connector the
// front ends accept has a factory, and a factory is reachable from a spec.
#include "jobs/connectors.hpp"
#include "sinks/registry/sinks.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using namespace weir;

TEST(Connectors, EveryConnectorHasAFactoryAndEveryFactoryAConnector) {
  const auto registered = sinks::registered_sinks();
  for (const auto& c : jobs::connectors()) {
    auto it = std::find_if(registered.begin(), registered.end(),
                           [&](const sinks::registered_sink& r) { return r.type == c.type; });
    ASSERT_NE(it, registered.end()) << c.type << " has no factory in sinks/registry/sinks.cpp";
    // Final rows across partitions are merged into the store the registry opens.
    EXPECT_EQ(it->merged, c.final_rows) << c.type;
  }
  for (const auto& r : registered)
    EXPECT_NE(jobs::find_connector(r.type), nullptr)
      << r.type << " is not in jobs/connectors.cpp: no spec can name it";
  EXPECT_EQ(registered.size(), jobs::connectors().size());
}

TEST(Connectors, NamesAndUrls) {
  EXPECT_EQ(jobs::not_a_connector("pg"),
            "'pg' is not one of: postgres, clickhouse, mysql, postgres_raw, iceberg, blackhole");
  EXPECT_EQ(jobs::find_connector("parquet"), nullptr);
  const auto* iceberg = jobs::find_connector("iceberg");
  ASSERT_NE(iceberg, nullptr);
  EXPECT_EQ(iceberg->sql, "iceberg");
  EXPECT_EQ(iceberg->rows, jobs::sink_rows::raw);
  EXPECT_EQ(iceberg->store, jobs::sink_store::files); // under sink.url, committed at checkpoints
  EXPECT_FALSE(iceberg->final_rows);
  EXPECT_TRUE(iceberg->takes("s3://weir/lake/t"));
  EXPECT_FALSE(iceberg->takes("s3://"));
  EXPECT_FALSE(iceberg->takes("file:///lake"));
  const auto* ch = jobs::find_connector("clickhouse");
  ASSERT_NE(ch, nullptr);
  EXPECT_TRUE(ch->takes("https://h:1/db"));
  EXPECT_FALSE(ch->takes("http://"));
  EXPECT_FALSE(ch->takes("mysql://h/db"));
  EXPECT_TRUE(jobs::find_connector("postgres")->takes("anything"));
  EXPECT_EQ(jobs::listed({"a", "b", "c"}, " or ", true), "'a', 'b' or 'c'");
}
