// A windowed aggregation: FROM TUMBLE|HOP|SESSION(...), GROUP BY window_start,
// window_end and the key, a select list of the key and aggregates.
#include "jobs/sql/translator.hpp"

#include <algorithm>

namespace weir::jobs::sql {

window_call translator::window_of(const node& from) {
  auto calls = from.body()["functions"].items();
  auto call_items = calls.size() == 1 ? calls[0]["List"]["items"].items() : std::vector<node>{};
  if (call_items.empty() || !call_items[0].is("FuncCall"))
    fail(from.loc(), "FROM takes one window function: TUMBLE, HOP or SESSION");
  auto fn = call_items[0];
  auto call = fn.body();
  auto name = func_name(call);
  window_call w;
  w.at = fn.loc();
  std::vector<node> args;
  std::optional<node> lateness;
  for (const auto& a : call["args"].items()) {
    if (a.is("NamedArgExpr")) {
      if (a.body()["name"].str() != "allowed_lateness")
        fail(a.loc(), "the only named argument is allowed_lateness => INTERVAL '...'");
      lateness = a.body()["arg"];
    } else {
      args.push_back(a);
    }
  }
  const char* usage = name == "tumble"    ? "TUMBLE(source, time_column, size)"
                      : name == "hop"     ? "HOP(source, time_column, slide, size)"
                      : name == "session" ? "SESSION(source, time_column, gap)"
                                          : nullptr;
  if (!usage)
    fail(w.at, "'" + name
                 + "' is not a window function: FROM takes TUMBLE(source, time, size), "
                   "HOP(source, time, slide, size) or SESSION(source, time, gap)");
  size_t want = name == "hop" ? 4 : 3;
  if (args.size() != want)
    fail(w.at, std::string{"write "} + usage);
  auto src = args[0];
  if (!src.is("ColumnRef") || src.body()["fields"].items().size() != 1)
    fail(src.loc(), std::string{"the first argument is the source table: "} + usage);
  w.source = src.body()["fields"].item(0)["String"]["sval"].str();
  const auto& t = table(w.source, src.loc());
  auto time = args[1];
  if (time.is("FuncCall") && func_name(time.body()) == "descriptor") // Flink's DESCRIPTOR(ts)
    time = time.body()["args"].items().empty() ? time : time.body()["args"].item(0);
  if (time.is("FuncCall") && func_name(time.body()) == "proctime") {
    w.processing_time = true;
  } else {
    scope sc{t, ""};
    w.time = sc.require_field(time, "the time argument");
    auto wm = t.get("watermark_for");
    if (!wm)
      fail(time.loc(), "a windowed query needs a watermark on " + w.time->path
                         + ": declare "
                           "WITH (watermark_for = '"
                         + w.time->path + "', watermark_delay = '5 seconds') on " + t.name
                         + ", or window by PROCTIME()");
    // A generated column is another name for its field: either names it.
    const auto wm_path = sc.column(t.watermark_column(*wm).name, wm->at).path;
    if (wm_path != w.time->path)
      fail(time.loc(), t.name + "'s watermark is on '" + wm->value + "', not '" + w.time->path
                         + "': window by the watermarked column");
  }
  auto& win = w.window;
  if (name == "tumble") {
    win.kind = window_kind::tumbling;
    win.size = interval_of(args[2], "the window size");
    win.slide = win.size;
  } else if (name == "hop") {
    win.kind = window_kind::hopping;
    win.slide = interval_of(args[2], "the slide");
    win.size = interval_of(args[3], "the window size");
  } else {
    win.kind = window_kind::session;
    win.gap = interval_of(args[2], "the session gap");
  }
  if (lateness)
    win.allowed_lateness = interval_of(*lateness, "allowed_lateness");
  where_.emplace_back("window", w.at);
  return w;
}

namespace {

// One aggregate of the select list: count(*), sum(x), count(DISTINCT x), ...
aggregate_spec aggregate_of(const node& target, const node& v, const scope& sc) {
  auto call = v.body();
  auto fn = func_name(call);
  static const std::map<std::string, agg_kind>
    kinds{{"count", agg_kind::count}, {"sum", agg_kind::sum},
          {"avg", agg_kind::avg},     {"min", agg_kind::min},
          {"max", agg_kind::max},     {"approx_count_distinct", agg_kind::approx_count_distinct}};
  auto k = kinds.find(fn);
  if (k == kinds.end())
    fail(v.loc(), "function '" + fn
                    + "' is not supported; the aggregates are count(*), "
                      "sum(x), avg(x), min(x), max(x), count(DISTINCT x), "
                      "approx_count_distinct(x)");
  if (call["agg_filter"])
    fail(v.loc(), "FILTER (WHERE ...) is not supported: put the condition in WHERE");
  if (call["agg_order"])
    fail(v.loc(), "ORDER BY inside an aggregate is not supported");
  aggregate_spec a;
  a.kind = k->second;
  auto args = call["args"].items();
  if (a.kind == agg_kind::count && call["agg_star"].boolean()) {
    if (call["agg_distinct"].boolean())
      fail(v.loc(), "count(DISTINCT *) is not supported: count(DISTINCT column)");
  } else {
    if (args.size() != 1)
      fail(v.loc(), fn + " takes one column");
    auto f = sc.require_field(args[0], fn + "'s argument");
    if (a.kind == agg_kind::count) {
      if (!call["agg_distinct"].boolean())
        fail(v.loc(), "count(" + f.path
                        + ") is not supported: count(*) counts the window's "
                          "events, count(DISTINCT "
                        + f.path + ") its distinct values");
      a.kind = agg_kind::count_distinct;
    } else if (call["agg_distinct"].boolean()) {
      fail(v.loc(), fn + "(DISTINCT ...) is not supported (count(DISTINCT x) is)");
    }
    const bool of_numbers = a.kind == agg_kind::sum || a.kind == agg_kind::avg
                            || a.kind == agg_kind::min || a.kind == agg_kind::max;
    if (of_numbers && !numeric(f.type))
      fail(args[0].loc(), "type mismatch: " + fn + " needs a number, and " + f.path + " is "
                            + type_label(f.type) + " (cast it: " + f.path + "::double precision)");
    if (of_numbers && f.type.kind == sql_type::decimal)
      a.decimal = f.type.dec; // read and summed exactly
    a.field = f.path;
  }
  a.as = target.body()["name"].str();
  if (a.as.empty())
    fail(target.loc(), "name the aggregate: " + fn + "(...) AS name");
  return a;
}

// window_start or window_end, named alone.
std::string window_bound(const node& n) {
  if (!n.is("ColumnRef") || n.body()["fields"].items().size() != 1
      || !n.body()["fields"].item(0).is("String"))
    return {};
  auto name = n.body()["fields"].item(0)["String"]["sval"].str();
  return name == "window_start" || name == "window_end" ? name : std::string{};
}

} // namespace

// GROUP BY: window_start and window_end, then the key.
std::vector<group_key> translator::group_keys(const node& select, const scope& sc,
                                              int window_at) const {
  bool has_start = false, has_end = false;
  std::vector<group_key> keys;
  for (const auto& g : select["groupClause"].items()) {
    if (auto bound = window_bound(g); !bound.empty()) {
      (bound == "window_start" ? has_start : has_end) = true;
      continue;
    }
    auto f = sc.require_field(g, "a GROUP BY item");
    keys.push_back({f, g, f.name});
  }
  if (!has_start || !has_end)
    fail(select["groupClause"] ? select["groupClause"].item(0).loc() : window_at,
         "GROUP BY window_start, window_end (and the key columns): every group is one window");
  return keys;
}

// The select list: window bounds, key columns (renamed by AS), aggregates.
std::vector<aggregate_target> translator::select_list(const node& select, const scope& sc,
                                                      std::vector<group_key>& keys) {
  std::vector<aggregate_target> aggs;
  for (const auto& t : select["targetList"].items()) {
    auto v = t.body()["val"];
    int at = t.loc();
    if (auto n = window_bound(v); !n.empty()) {
      if (auto alias = t.body()["name"].str(); !alias.empty() && alias != n)
        fail(at, n
                   + " keeps its name (weir's results tables always have window_start and "
                     "window_end)");
      continue;
    }
    if (v.is("ColumnRef") && v.body()["fields"].last().is("A_Star"))
      fail(at, "list the columns of an aggregation: window_start, window_end, the GROUP BY "
               "columns and the aggregates");
    if (v.is("FuncCall") && v.body()["over"])
      continue; // the rank: top_n()
    if (v.is("FuncCall")) {
      auto a = aggregate_of(t, v, sc);
      where_.emplace_back("aggregations[" + std::to_string(aggs.size()) + "]", at);
      aggs.push_back({std::move(a), v});
      continue;
    }
    bool matched = false;
    for (auto& k : keys)
      if (sc.refers_to(v, k.field.path)) {
        k.name = output_name(t, k.field.name);
        matched = true;
      }
    if (!matched) {
      if (auto f = sc.field(v))
        fail(at, f->path + " is neither in GROUP BY nor aggregated");
      fail(at, "a select item of an aggregation is window_start, window_end, a GROUP BY column "
               "or an aggregate");
    }
  }
  if (aggs.empty())
    fail(insert_at_, "an aggregation needs at least one aggregate, such as count(*) AS events");
  return aggs;
}

void translator::windowed(const node& select_in, job_spec& spec) {
  const auto q = unwrap_top_n(select_in);
  const auto& select = q.aggregation;
  auto from = select["fromClause"].items();
  if (from.empty())
    fail(select_in.loc() >= 0 ? select_in.loc() : insert_at_, "the aggregation needs a FROM");
  if (from.size() != 1 || from[0].is("JoinExpr"))
    fail(from.size() > 1 ? from[1].loc() : from[0].body()["rarg"].loc(),
         "joins are not supported yet: a job reads one source table");
  if (!from[0].is("RangeFunction"))
    fail(from[0].loc(), "an aggregation needs a window: FROM TUMBLE(source, time_column, "
                        "INTERVAL '1 minute') (or HOP, SESSION)");
  for (auto [clause, why] : {std::pair{"havingClause", "HAVING is not supported"},
                             {"sortClause", "ORDER BY is not supported (for top-N per window, "
                                            "use ROW_NUMBER())"},
                             {"limitCount", "LIMIT is not supported (for top-N per window, use "
                                            "ROW_NUMBER())"},
                             {"distinctClause", "SELECT DISTINCT is not supported"}})
    for (const node* s : std::initializer_list<const node*>{&q.outer, &select, &q.ranked})
      if (*s && (*s)[clause])
        fail((*s)[clause].loc() >= 0 ? (*s)[clause].loc() : insert_at_, why);

  auto w = window_of(from[0]);
  const auto& src = table(w.source, w.at);
  source_of(src, spec, w.processing_time ? w.at : -1);
  spec.window = w.window;
  if (w.processing_time) { // PROCTIME() wins over the table's watermark
    source_spec p;
    p.brokers = spec.source.brokers;
    p.topic = spec.source.topic;
    p.partitioned_by = spec.source.partitioned_by;
    p.on_missing_offsets = spec.source.on_missing_offsets;
    p.mode = time_mode::processing;
    spec.source = p;
  }

  scope sc{src, from[0].body()["alias"]["aliasname"].str()};
  filters(select["whereClause"], sc, spec);
  auto keys = group_keys(select, sc, w.at);
  auto aggs = select_list(select, sc, keys);
  for (size_t i = 0; i < keys.size(); ++i) {
    // The source table's column type says what JSON the key part is: 17
    // and "17" are then two things, and the wrong one is dead-lettered.
    // A cast key (CAST(x AS text)) and a field inside a json column
    // (device->>'os', text of any JSON value in PostgreSQL) take what is
    // there, as written.
    const auto& f = keys[i].field;
    const bool as_written = f.cast || f.path.find('.') != std::string::npos;
    const auto t = as_written ? sql_type::json : f.type;
    spec.key.emplace_back(keys[i].name, f.path,
                          t == sql_type::integer ? key_type::integer
                          : t == sql_type::text  ? key_type::string
                                                 : key_type::any);
    where_.emplace_back("key[" + std::to_string(i) + "]", keys[i].at.loc());
  }
  for (auto& a : aggs)
    spec.aggregations.push_back(a.agg);
  if (q.rank)
    top_n(q, aggs, sc, spec);
}

} // namespace weir::jobs::sql
