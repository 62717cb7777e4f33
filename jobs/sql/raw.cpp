// A raw job: SELECT columns FROM a kafka table, every event kept.
#include "jobs/sql/translator.hpp"

namespace weir::jobs::sql {

void translator::raw(const node& select, const table_decl& src, job_spec& spec) {
  source_of(src, spec);
  for (auto [clause, why] : {std::pair{"havingClause", "HAVING needs a GROUP BY"},
                             {"sortClause", "ORDER BY is not supported: rows land as they come"},
                             {"limitCount", "LIMIT is not supported in a streaming job"},
                             {"distinctClause", "SELECT DISTINCT is not supported"}})
    if (select[clause])
      fail(select[clause].loc() >= 0 ? select[clause].loc() : insert_at_, why);
  scope sc{src, select["fromClause"].item(0).body()["alias"]["aliasname"].str()};
  filters(select["whereClause"], sc, spec);
  for (const auto& t : select["targetList"].items()) {
    auto v = t.body()["val"];
    if (v.is("ColumnRef") && v.body()["fields"].last().is("A_Star")) {
      for (const auto& c : src.columns)
        spec.columns.push_back({c.name, c.name, column_type_of(c.type), !c.not_null});
      continue;
    }
    if (v.is("FuncCall"))
      fail(v.loc(), "a raw job keeps columns as they are (an aggregate needs a window: FROM "
                    "TUMBLE(...) ... GROUP BY window_start, window_end)");
    auto f = sc.require_field(v, "a select item");
    where_.emplace_back("columns[" + std::to_string(spec.columns.size()) + "]", t.loc());
    spec.columns.push_back({output_name(t, f.name), f.path, column_type_of(f.type), !f.not_null});
  }
}

} // namespace weir::jobs::sql
