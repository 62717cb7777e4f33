// Top-N per window: ROW_NUMBER() OVER (PARTITION BY window_start, window_end
// ORDER BY an aggregate DESC) AS rank, kept by WHERE rank <= N outside.
#include "jobs/sql/translator.hpp"

#include "jobs/validate.hpp"

#include <algorithm>

namespace weir::jobs::sql {

namespace {

// The ROW_NUMBER() target of a select list, if any.
std::optional<std::pair<node, node>> rank_of(const node& select) {
  std::optional<std::pair<node, node>> rank;
  for (const auto& t : select["targetList"].items()) {
    auto v = t.body()["val"];
    if (v.is("FuncCall") && v.body()["over"]) {
      if (func_name(v.body()) != "row_number")
        fail(v.loc(), "the only window function is ROW_NUMBER() (top-N per window)");
      rank = std::pair{t, v};
    }
  }
  return rank;
}

} // namespace

ranked_query unwrap_top_n(const node& select) {
  ranked_query q{select, {}, select, {}};
  auto from0 = select["fromClause"].item(0);
  if (!from0.is("RangeSubselect")) {
    if (auto rank = rank_of(select))
      fail(rank->second.loc(), "filter on the rank in an outer query: SELECT * FROM "
                               "(... ROW_NUMBER() OVER (...) AS rank ...) AS t WHERE "
                               "rank <= N");
    return q;
  }
  q.ranked = from0.body()["subquery"]["SelectStmt"];
  q.rank = rank_of(q.ranked);
  if (!q.rank)
    fail(from0.loc(), "a subquery in FROM is only for top-N: SELECT * FROM (SELECT ..., "
                      "ROW_NUMBER() OVER (PARTITION BY window_start, window_end ORDER BY x "
                      "DESC) AS rank FROM ...) AS t WHERE rank <= N");
  auto inner_from = q.ranked["fromClause"].items();
  if (inner_from.empty())
    fail(from0.loc(), "the ranking query needs a FROM");
  if (inner_from.size() != 1 || inner_from[0].is("JoinExpr"))
    fail(inner_from.size() > 1 ? inner_from[1].loc() : inner_from[0].body()["rarg"].loc(),
         "joins are not supported yet: a job reads one source table");
  if (!inner_from[0].is("RangeSubselect")) {
    q.aggregation = q.ranked;
    return q;
  }
  q.aggregation = inner_from[0].body()["subquery"]["SelectStmt"];
  for (const auto& t : q.ranked["targetList"].items()) { // SELECT *, ROW_NUMBER() ...
    auto v = t.body()["val"];
    bool star = v.is("ColumnRef") && v.body()["fields"].last().is("A_Star");
    if (!star && !(v.is("FuncCall") && v.body()["over"]))
      fail(t.loc(), "the ranking query selects *, ROW_NUMBER() OVER (...) AS rank");
  }
  return q;
}

void translator::top_n(const ranked_query& q, const std::vector<aggregate_target>& aggs,
                       const scope& sc, job_spec& spec) {
  const auto& select_in = q.outer;
  auto [target, call] = *q.rank;
  auto over = call.body()["over"];
  int at = call.loc();
  where_.emplace_back("top", at);
  if (target.body()["name"].str() != "rank")
    fail(target.loc(), "name the row number rank (ROW_NUMBER() OVER (...) AS rank): weir's "
                       "results tables call that column rank");
  std::vector<std::string> parts;
  for (const auto& p : over["partitionClause"].items())
    parts.push_back(p.is("ColumnRef") ? p.body()["fields"].item(0)["String"]["sval"].str() : "?");
  std::sort(parts.begin(), parts.end());
  if (parts != std::vector<std::string>{"window_end", "window_start"}
      && parts != std::vector<std::string>{"window_start"})
    fail(at, "ranks are per window: PARTITION BY window_start, window_end");
  auto order = over["orderClause"].items();
  if (order.size() != 1)
    fail(at, "ORDER BY one aggregate, DESC (rank 1 is the largest)");
  auto by = order[0].body();
  if (by["sortby_dir"].str() != "SORTBY_DESC")
    fail(order[0].loc(), "ORDER BY ... DESC: rank 1 is the largest (weir keeps the top N)");
  auto key = by["node"];
  std::string by_name;
  if (key.is("ColumnRef") && key.body()["fields"].items().size() == 1)
    by_name = key.body()["fields"].item(0)["String"]["sval"].str();
  for (const auto& a : aggs) {
    auto same_call =
      key.is("FuncCall") && func_name(key.body()) == func_name(a.call.body())
      && key.body()["agg_star"].boolean() == a.call.body()["agg_star"].boolean()
      && key.body()["agg_distinct"].boolean() == a.call.body()["agg_distinct"].boolean()
      && (a.agg.field.empty()
          || (key.body()["args"].items().size() == 1
              && sc.refers_to(key.body()["args"].item(0), a.agg.field)));
    if (a.agg.as == by_name || same_call)
      spec.top.by = a.agg.as;
  }
  if (spec.top.by.empty())
    fail(key.loc(), "ORDER BY names an aggregate of the query (its alias)");
  // The outer query: WHERE rank <= N (or < N + 1).
  auto cond = select_in["whereClause"];
  if (!cond || !cond.is("A_Expr") || cond.body()["kind"].str() != "AEXPR_OP")
    fail(select_in.loc() >= 0 ? select_in.loc() : at, "keep the top N: WHERE rank <= N");
  auto op = last_name(cond.body()["name"]);
  auto lhs = cond.body()["lexpr"];
  auto n = literal_of(cond.body()["rexpr"]);
  if (!lhs.is("ColumnRef") || lhs.body()["fields"].last()["String"]["sval"].str() != "rank"
      || (op != "<=" && op != "<") || !n || !n->number)
    fail(cond.loc(), "keep the top N: WHERE rank <= N");
  auto limit = static_cast<long long>(n->value) - (op == "<" ? 1 : 0);
  if (limit < 1 || !top_n_bounds.holds(static_cast<std::uint64_t>(limit)))
    fail(cond.loc(), "N must be from " + std::to_string(top_n_bounds.min) + " to "
                       + std::to_string(top_n_bounds.max));
  spec.top.n = static_cast<std::uint32_t>(limit);
  for (const auto& t : select_in["targetList"].items()) {
    auto v = t.body()["val"];
    if (v.is("ColumnRef") && v.body()["fields"].last().is("A_Star"))
      continue;
    auto name = v.is("ColumnRef") ? v.body()["fields"].last()["String"]["sval"].str() : "";
    bool known = name == "window_start" || name == "window_end" || name == "rank"
                 || std::any_of(spec.key.begin(), spec.key.end(),
                                [&](const key_spec& k) { return k.name == name; })
                 || std::any_of(spec.aggregations.begin(), spec.aggregations.end(),
                                [&](const aggregate_spec& a) { return a.as == name; });
    if (!known || !t.body()["name"].str().empty())
      fail(t.loc(), "the outer query selects * or columns of the ranked query, unrenamed");
  }
}

} // namespace weir::jobs::sql
