// A scheduled export: INSERT INTO a parquet table (files) or an iceberg table
// (one snapshot a run) SELECT ... FROM a postgres table, every row not
// exported yet.
#include "jobs/sql/translator.hpp"

namespace weir::jobs::sql {

void translator::exported(const node& select, const table_decl& src, const table_decl& dst,
                          job_spec& spec) {
  check_options(src, {"connector", "url", "table"});
  const connector* lake = nullptr; // a table of files (iceberg) is the other target
  for (const auto& c : connectors())
    if (c.sql == dst.connector() && c.store == sink_store::files)
      lake = &c;
  if ((dst.connector() != "parquet" && !lake) || !dst.get("every"))
    fail(dst.at, "a postgres table is read by a scheduled export: declare " + dst.name
                   + " WITH (connector = 'parquet', url = 's3://bucket/prefix', every = '5 "
                     "minutes'), or an iceberg table WITH (connector = 'iceberg', url, catalog, "
                     "table, every)");
  if (!lake)
    check_options(dst, {"connector", "url", "every"});
  if (select["whereClause"])
    fail(select["whereClause"].loc(), "an export takes every row not exported yet (no WHERE)");
  export_spec e;
  e.pg_url = required_option(src, "url", "'postgresql://...'").value;
  e.table = src.get("table") ? src.get("table")->value : src.name;
  if (src.primary_key.size() != 1)
    fail(src.at, src.name + " needs a one-column PRIMARY KEY: the export marks rows by it");
  e.key = src.primary_key[0];
  scope sc{src, ""};
  output_columns outputs;
  where_.emplace_back("export.columns", insert_at_);
  for (const auto& t : select["targetList"].items()) {
    auto v = t.body()["val"];
    std::vector<const column_decl*> cols;
    if (v.is("ColumnRef") && v.body()["fields"].last().is("A_Star")) {
      for (const auto& c : src.columns)
        cols.push_back(&c);
    } else {
      auto f = sc.require_field(v, "a select item");
      if (f.path.find('.') != std::string::npos || f.cast || !t.body()["name"].str().empty())
        fail(t.loc(), "an export copies columns as they are in " + src.name);
      cols.push_back(src.column(f.path));
    }
    for (const auto* c : cols) {
      where_.emplace_back("export.columns[" + std::to_string(e.columns.size()) + "]", t.loc());
      e.columns.push_back({c->name, c->name, column_type_of(c->type), !c->not_null});
      // A decimal is exported as a double, as a raw job writes it.
      outputs.emplace_back(c->name,
                           c->type.kind == sql_type::decimal ? sql_type::floating : c->type);
    }
  }
  if (lake) {
    e.to_lake = true;
    e.bucket.clear();
    e.prefix.clear();
    iceberg_sink(dst, spec, *lake, e.columns, true);
  } else {
    check_declared(dst, outputs);
    auto url = required_option(dst, "url", "'s3://bucket/prefix'");
    if (!set_export_target(e, url.value))
      fail(url.at, "url: expected s3://bucket/prefix, got '" + url.value + "'");
  }
  e.every = interval_text(dst.get("every")->value, dst.get("every")->at, "every");
  where_.emplace_back("export", dst.at);
  where_.emplace_back("export.from", src.at);
  spec.export_job = std::move(e);
}

} // namespace weir::jobs::sql
