#include "sinks/postgres.hpp"

#include "jobs/event_reader.hpp"

#include <pqxx/pqxx>

#include <charconv>
#include <cmath>

namespace weir::sinks {

using jobs::agg_kind;

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"')
      out += '"';
    out += c;
  }
  return out + '"';
}

void append_array_text(std::string& out, std::string_view element) {
  out += '"';
  for (char c : element) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  out += '"';
}

namespace {

// A partial column: its name in <table>__partials and how it merges.
struct partial_col {
  std::string name;
  const char* type;   // SQL type
  const char* merge;  // SQL aggregate over partials
};

std::vector<partial_col> partial_columns(const jobs::aggregate_spec& a) {
  switch (a.kind) {
    case agg_kind::count: return {{a.as, "bigint", "sum"}};
    case agg_kind::sum: return {{a.as, "double precision", "sum"}};
    case agg_kind::min: return {{a.as, "double precision", "min"}};
    case agg_kind::max: return {{a.as, "double precision", "max"}};
    case agg_kind::avg:
      return {{a.as + "__sum", "double precision", "sum"}, {a.as + "__count", "bigint", "sum"}};
  }
  return {};
}

const char* result_type(const jobs::aggregate_spec& a) {
  return a.kind == agg_kind::count ? "bigint" : "double precision";
}

// The merged value of aggregate `a` over partial rows aliased p.
std::string merged_expr(const jobs::aggregate_spec& a) {
  auto q = [](const std::string& n) { return "p." + quote_ident(n); };
  switch (a.kind) {
    case agg_kind::count: return "sum(" + q(a.as) + ")::bigint";
    case agg_kind::sum: return "sum(" + q(a.as) + ")";
    case agg_kind::min: return "min(" + q(a.as) + ")";
    case agg_kind::max: return "max(" + q(a.as) + ")";
    case agg_kind::avg:
      return "sum(" + q(a.as + "__sum") + ") / nullif(sum(" + q(a.as + "__count") + "), 0)";
  }
  return "NULL";
}

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? sep : "") + parts[i];
  return out;
}

std::string to_ts(const std::string& ms_expr) {
  return "(timestamptz 'epoch' + " + ms_expr + " * interval '1 millisecond')";
}

void append_number(std::string& out, double v) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void append_number(std::string& out, std::int64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

} // namespace

struct postgres_results::connection {
  explicit connection(const std::string& url) : conn(url) {}
  pqxx::connection conn;
};

postgres_results::postgres_results(postgres_results&&) noexcept = default;
postgres_results& postgres_results::operator=(postgres_results&&) noexcept = default;
postgres_results::~postgres_results() = default;

expected<postgres_results> postgres_results::make(const jobs::job_spec& spec) {
  postgres_results out;
  out.spec_ = spec;
  const auto table = quote_ident(spec.sink.table);
  const auto partials = quote_ident(spec.sink.table + "__partials");
  std::vector<std::string> keys, key_defs, result_defs, partial_defs, partial_names;
  for (const auto& k : spec.key) {
    keys.push_back(quote_ident(k));
    key_defs.push_back(quote_ident(k) + " text NOT NULL");
  }
  std::vector<std::string> merged, updates;
  for (const auto& a : spec.aggregations) {
    result_defs.push_back(quote_ident(a.as) + " " + result_type(a));
    merged.push_back(merged_expr(a));
    updates.push_back(quote_ident(a.as) + " = EXCLUDED." + quote_ident(a.as));
    for (const auto& c : partial_columns(a)) {
      partial_defs.push_back(quote_ident(c.name) + " " + c.type);
      partial_names.push_back(quote_ident(c.name));
    }
  }
  const auto key_list = join(keys, ", ");
  const std::string create =
    "CREATE TABLE IF NOT EXISTS " + table + " (window_start timestamptz NOT NULL, "
    + "window_end timestamptz NOT NULL, " + join(key_defs, ", ") + ", " + join(result_defs, ", ")
    + ", PRIMARY KEY (window_start, " + key_list + "));\n"
    + "CREATE TABLE IF NOT EXISTS " + partials + " (window_start timestamptz NOT NULL, "
    + "window_end timestamptz NOT NULL, " + join(key_defs, ", ")
    + ", source_partition integer NOT NULL, " + join(partial_defs, ", ")
    + ", PRIMARY KEY (window_start, " + key_list + ", source_partition));";

  // Parameters: $1 partition, $2 starts, $3 ends, then one array per key column,
  // then one per partial column.
  std::vector<std::string> unnest_args{"$2::bigint[]", "$3::bigint[]"};
  std::vector<std::string> u_cols{"ws", "we"};
  int param = 4;
  for (size_t i = 0; i < spec.key.size(); ++i) {
    unnest_args.push_back("$" + std::to_string(param++) + "::text[]");
    u_cols.push_back("k" + std::to_string(i));
  }
  std::vector<std::string> partial_updates;
  size_t pc = 0;
  for (const auto& a : spec.aggregations)
    for (const auto& c : partial_columns(a)) {
      unnest_args.push_back("$" + std::to_string(param++) + "::" + c.type + "[]");
      u_cols.push_back("a" + std::to_string(pc++));
      partial_updates.push_back(quote_ident(c.name) + " = EXCLUDED." + quote_ident(c.name));
    }
  std::vector<std::string> u_keys, u_aggs;
  for (size_t i = 0; i < spec.key.size(); ++i)
    u_keys.push_back("u.k" + std::to_string(i));
  for (size_t i = 0; i < pc; ++i)
    u_aggs.push_back("u.a" + std::to_string(i));
  const std::string unnest =
    "unnest(" + join(unnest_args, ", ") + ") AS u(" + join(u_cols, ", ") + ")";

  out.upsert_partials_sql_ =
    "INSERT INTO " + partials + " (window_start, window_end, " + key_list
    + ", source_partition, " + join(partial_names, ", ") + ") SELECT " + to_ts("u.ws") + ", "
    + to_ts("u.we") + ", " + join(u_keys, ", ") + ", $1::integer, " + join(u_aggs, ", ")
    + " FROM " + unnest + " ON CONFLICT (window_start, " + key_list + ", source_partition)"
    + " DO UPDATE SET window_end = EXCLUDED.window_end, " + join(partial_updates, ", ");

  // The merge takes only the touched (window, key) pairs: $1 starts, then keys.
  std::vector<std::string> merge_args{"$1::bigint[]"}, merge_cols{"ws"};
  for (size_t i = 0; i < spec.key.size(); ++i) {
    merge_args.push_back("$" + std::to_string(i + 2) + "::text[]");
    merge_cols.push_back("k" + std::to_string(i));
  }
  const std::string merge_unnest =
    "unnest(" + join(merge_args, ", ") + ") AS u(" + join(merge_cols, ", ") + ")";
  std::vector<std::string> p_keys, join_on;
  for (size_t i = 0; i < spec.key.size(); ++i) {
    p_keys.push_back("p." + keys[i]);
    join_on.push_back("p." + keys[i] + " = c.k" + std::to_string(i));
  }
  out.merge_sql_ =
    "INSERT INTO " + table + " (window_start, window_end, " + key_list + ", "
    + [&] {
        std::vector<std::string> names;
        for (const auto& a : spec.aggregations)
          names.push_back(quote_ident(a.as));
        return join(names, ", ");
      }()
    + ") SELECT p.window_start, max(p.window_end), " + join(p_keys, ", ") + ", "
    + join(merged, ", ") + " FROM " + partials + " p JOIN (SELECT DISTINCT " + to_ts("u.ws")
    + " AS ws, " + join(u_keys, ", ") + " FROM " + merge_unnest + ") c ON p.window_start = c.ws AND "
    + join(join_on, " AND ") + " GROUP BY p.window_start, " + join(p_keys, ", ")
    + " ON CONFLICT (window_start, " + key_list + ") DO UPDATE SET window_end = "
    + "EXCLUDED.window_end, " + join(updates, ", ");

  auto made = guarded("postgres", [&] {
    out.conn_ = std::make_unique<connection>(spec.sink.url);
    pqxx::work txn{out.conn_->conn};
    // Two workers may create the tables at once; the advisory lock serializes
    // them so CREATE IF NOT EXISTS does not race on the catalog.
    txn.exec("SELECT pg_advisory_xact_lock(hashtext(" + txn.quote(spec.sink.table) + "))");
    txn.exec(create);
    txn.commit();
  });
  if (!made)
    return made.failure();
  return out;
}

expected<void> postgres_results::write(std::int32_t partition, const jobs::window_results& rows) {
  if (rows.empty())
    return {};
  const size_t n = rows.size();
  const size_t nk = spec_.key.size();
  auto array_of = [&](auto&& append_elem) {
    std::string s = "{";
    for (size_t i = 0; i < n; ++i) {
      if (i)
        s += ',';
      append_elem(s, i);
    }
    return s + "}";
  };
  std::vector<std::string> params;
  params.push_back(std::to_string(partition));
  params.push_back(array_of([&](std::string& s, size_t i) { append_number(s, rows.starts[i]); }));
  params.push_back(array_of([&](std::string& s, size_t i) { append_number(s, rows.ends[i]); }));
  for (size_t k = 0; k < nk; ++k)
    params.push_back(array_of([&](std::string& s, size_t i) {
      // Composite keys travel joined; column k is the k-th part.
      std::string_view key = rows.keys[i];
      for (size_t skip = 0; skip < k; ++skip)
        key.remove_prefix(key.find(jobs::key_separator) + 1);
      append_array_text(s, key.substr(0, key.find(jobs::key_separator)));
    }));
  const size_t na = spec_.aggregations.size();
  for (size_t a = 0; a < na; ++a) {
    const auto& agg = spec_.aggregations[a];
    auto slot_of = [&](size_t i) -> const jobs::slot& { return rows.slots[i * na + a]; };
    auto numeric = [&](auto field) {
      return array_of([&](std::string& s, size_t i) {
        const auto& sl = slot_of(i);
        if (sl.count == 0)
          s += "NULL";
        else
          append_number(s, field(sl));
      });
    };
    switch (agg.kind) {
      case agg_kind::count:
        params.push_back(numeric([](const jobs::slot& s) { return s.count; }));
        break;
      case agg_kind::sum: params.push_back(numeric([](const jobs::slot& s) { return s.sum; })); break;
      case agg_kind::min: params.push_back(numeric([](const jobs::slot& s) { return s.min; })); break;
      case agg_kind::max: params.push_back(numeric([](const jobs::slot& s) { return s.max; })); break;
      case agg_kind::avg:
        params.push_back(numeric([](const jobs::slot& s) { return s.sum; }));
        params.push_back(numeric([](const jobs::slot& s) { return s.count; }));
        break;
    }
  }
  return guarded("postgres write", [&] {
    if (!conn_->conn.is_open())
      conn_ = std::make_unique<connection>(spec_.sink.url);
    pqxx::work txn{conn_->conn};
    txn.exec_params(upsert_partials_sql_, pqxx::prepare::make_dynamic_params(params));
    std::vector<std::string> merge_params{params[1]};
    merge_params.insert(merge_params.end(), params.begin() + 3,
                        params.begin() + 3 + static_cast<std::ptrdiff_t>(nk));
    txn.exec_params(merge_sql_, pqxx::prepare::make_dynamic_params(merge_params));
    txn.commit();
  });
}

} // namespace weir::sinks
