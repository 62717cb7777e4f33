#include "sinks/postgres/statements.hpp"

#include "jobs/windowed/values.hpp"

namespace weir::sinks::pg {

namespace {

// `text` between `q`s, each `q` in it doubled: SQL's quoting of both
// identifiers and literals.
std::string quoted(const std::string& text, char q) {
  std::string out(1, q);
  for (char c : text) {
    if (c == q)
      out += q;
    out += c;
  }
  return out + q;
}

} // namespace

std::string quote_ident(const std::string& name) {
  return quoted(name, '"');
}

std::string quote_literal(const std::string& text) {
  return quoted(text, '\'');
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

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i)
    out += (i ? sep : "") + parts[i];
  return out;
}

// ", a, b" for {a, b}; "" for none (a job may have no key).
std::string lead(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts)
    out += ", " + p;
  return out;
}

std::string to_ts(const std::string& ms_expr) {
  return "(timestamptz 'epoch' + " + ms_expr + " * interval '1 millisecond')";
}

std::string to_ms(const std::string& ts_expr) {
  return "(extract(epoch FROM " + ts_expr + ") * 1000)::bigint";
}

// "$first::type[]" for each type, numbered from `first`.
std::string unnest(int first, const std::vector<std::string>& types,
                   const std::vector<std::string>& names) {
  std::vector<std::string> args;
  for (size_t i = 0; i < types.size(); ++i)
    args.push_back("$" + std::to_string(first + static_cast<int>(i)) + "::" + types[i] + "[]");
  return "unnest(" + join(args, ", ") + ") AS u(" + join(names, ", ") + ")";
}

// An aggregate's column type, as information_schema spells it.
std::string column_type(const jobs::aggregate_spec& a) {
  if (jobs::integer_result(a.kind))
    return "bigint";
  if (const auto d = jobs::result_decimal(a))
    return jobs::decimal_column(d, "numeric");
  return "double precision";
}

// The names, definitions and array types of a job's columns.
struct shape {
  std::vector<std::string> keys, key_defs, key_types, key_names, u_keys;
  std::vector<std::string> agg_defs, agg_names, agg_types, u_aggs, agg_updates;

  explicit shape(const jobs::job_spec& spec) {
    for (size_t i = 0; i < spec.key.size(); ++i) {
      keys.push_back(quote_ident(spec.key[i].name));
      key_defs.push_back(keys.back() + " text NOT NULL");
      key_types.push_back("text");
      key_names.push_back("k" + std::to_string(i));
      u_keys.push_back("u.k" + std::to_string(i));
    }
    if (spec.top.n > 0) {
      agg_defs.push_back("rank integer NOT NULL");
      agg_names.push_back("rank");
      agg_types.push_back("int");
      u_aggs.push_back("u.rank");
      agg_updates.push_back("rank = EXCLUDED.rank");
    }
    for (size_t i = 0; i < spec.aggregations.size(); ++i) {
      const auto& a = spec.aggregations[i];
      agg_defs.push_back(quote_ident(a.as) + " " + column_type(a));
      agg_names.push_back(quote_ident(a.as));
      agg_types.push_back(jobs::integer_result(a.kind) ? "bigint"
                          : jobs::result_decimal(a)    ? "numeric"
                                                       : "float8");
      u_aggs.push_back("u.a" + std::to_string(i));
      agg_updates.push_back(quote_ident(a.as) + " = EXCLUDED." + quote_ident(a.as));
    }
  }
};

std::string create_tables(const statements& s, const shape& c, const std::string& table) {
  std::string out;
  if (!s.elsewhere)
    out = "CREATE TABLE IF NOT EXISTS " + s.results + " (window_start timestamptz NOT NULL, "
          + "window_end timestamptz NOT NULL" + lead(c.key_defs) + lead(c.agg_defs)
          + ", PRIMARY KEY (window_start" + lead(c.keys) + "));\n";
  out += "CREATE TABLE IF NOT EXISTS " + s.progress + " (source_partition integer PRIMARY KEY, "
         + "watermark bigint, idle boolean NOT NULL DEFAULT false, next_offset bigint, "
         + "events bigint, filtered bigint, malformed bigint, late bigint, "
         + "dropped bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now(), "
         + "skipped bigint NOT NULL DEFAULT 0);\n"
         // Tables from before the column existed.
         + "ALTER TABLE " + s.progress + " ADD COLUMN IF NOT EXISTS skipped bigint NOT NULL "
         + "DEFAULT 0;";
  if (!s.direct)
    out += "\nCREATE TABLE IF NOT EXISTS " + s.partials + " (window_start timestamptz NOT NULL, "
           + "window_end timestamptz NOT NULL" + lead(c.key_defs)
           + ", source_partition integer NOT NULL, state bytea NOT NULL, PRIMARY KEY "
           + "(window_start" + lead(c.keys) + ", source_partition));\n"
           + "CREATE INDEX IF NOT EXISTS " + quote_ident(table + "__partials_end") + " ON "
           + s.partials + " (window_end);";
  return out;
}

void progress_statements(statements& s) {
  s.read_progress = "SELECT source_partition, watermark, idle, next_offset FROM " + s.progress;
  s.upsert_progress =
    "INSERT INTO " + s.progress
    + " (source_partition, watermark, idle, next_offset, events, filtered, malformed, late, "
      "skipped, updated_at) SELECT u.*, now() FROM "
    + unnest(1,
             {"int", "bigint", "bool", "bigint", "bigint", "bigint", "bigint", "bigint", "bigint"},
             {"p", "wm", "idle", "off", "ev", "fi", "ma", "la", "sk"})
    + " ON CONFLICT (source_partition) DO UPDATE SET watermark = EXCLUDED.watermark, idle = "
      "EXCLUDED.idle, next_offset = EXCLUDED.next_offset, events = EXCLUDED.events, filtered = "
      "EXCLUDED.filtered, malformed = EXCLUDED.malformed, late = EXCLUDED.late, skipped = "
      "EXCLUDED.skipped, updated_at = now()";
  // Row -1 may not exist yet: refused merged rows are counted there too.
  s.add_dropped = "INSERT INTO " + s.progress
                  + " AS t (source_partition, dropped) SELECT u.p, u.n "
                    "FROM "
                  + unnest(1, {"int", "bigint"}, {"p", "n"})
                  + " ON CONFLICT (source_partition) DO UPDATE SET dropped = t.dropped + "
                    "EXCLUDED.dropped";
  s.set_job =
    s.elsewhere
      ? "INSERT INTO " + s.progress
          + " (source_partition, watermark, next_offset, dropped) VALUES (-1, $1, $2, $3) "
            "ON CONFLICT (source_partition) DO UPDATE SET watermark = EXCLUDED.watermark, "
            "next_offset = EXCLUDED.next_offset, dropped = "
          + s.progress + ".dropped + EXCLUDED.dropped, updated_at = now()"
      : "INSERT INTO " + s.progress
          + " (source_partition, watermark) VALUES (-1, $1) ON CONFLICT "
            "(source_partition) DO UPDATE SET watermark = EXCLUDED.watermark, "
            "updated_at = now()";
}

void partials_statements(statements& s, const shape& c, bool top) {
  s.partials_in = "weir_partials_in";
  s.create_partials_in = "CREATE TEMP TABLE IF NOT EXISTS " + s.partials_in + " (LIKE " + s.partials
                         + ") ON COMMIT DELETE ROWS";
  s.partials_in_columns = {"window_start", "window_end"};
  s.partials_in_columns.insert(s.partials_in_columns.end(), c.keys.begin(), c.keys.end());
  s.partials_in_columns.push_back("source_partition");
  s.partials_in_columns.push_back("state");
  s.upsert_partials = "INSERT INTO " + s.partials + " SELECT * FROM " + s.partials_in
                      + " ON CONFLICT (window_start" + lead(c.keys) + ", source_partition) "
                      + "DO UPDATE SET window_end = EXCLUDED.window_end, state = EXCLUDED.state";
  // (window[, key]) of published windows a late partial changed: top-N
  // re-ranks whole windows.
  std::vector<std::string> types{"bigint"}, names{"ws"}, match{"window_start"},
    u_match{to_ts("u.ws")};
  if (!top) {
    types.insert(types.end(), c.key_types.begin(), c.key_types.end());
    names.insert(names.end(), c.key_names.begin(), c.key_names.end());
    match.insert(match.end(), c.keys.begin(), c.keys.end());
    u_match.insert(u_match.end(), c.u_keys.begin(), c.u_keys.end());
  }
  // Two statements, not one with OR: each uses an index (window_end; the
  // primary key), so neither scans the table, whatever the job's age.
  const auto columns = "SELECT " + to_ms("window_start") + ", " + to_ms("window_end") + lead(c.keys)
                       + ", source_partition, state FROM " + s.partials;
  s.range = columns + " WHERE window_end > " + to_ts("$1::bigint")
            + " AND window_end <= " + to_ts("$2::bigint");
  s.touched = columns + " WHERE (" + join(match, ", ") + ") IN (SELECT " + join(u_match, ", ")
              + " FROM " + unnest(1, types, names) + ")";
  // Bounded below by what earlier writes deleted: the index keeps entries of
  // deleted rows until a vacuum, and a scan from the start would walk them all.
  s.delete_final = "DELETE FROM " + s.partials + " WHERE window_end > " + to_ts("$1::bigint")
                   + " AND window_end <= " + to_ts("$2::bigint");
}

void results_statements(statements& s, const shape& c, bool top) {
  s.result_columns = {"window_start", "window_end"}; // quoted: COPY takes them as written
  s.result_columns.insert(s.result_columns.end(), c.keys.begin(), c.keys.end());
  s.result_columns.insert(s.result_columns.end(), c.agg_names.begin(), c.agg_names.end());
  s.delete_windows = "DELETE FROM " + s.results + " WHERE window_start IN (SELECT " + to_ts("w")
                     + " FROM unnest($1::bigint[]) AS w)";
  std::vector<std::string> types{"bigint", "bigint"}, names{"ws", "we"};
  types.insert(types.end(), c.key_types.begin(), c.key_types.end());
  names.insert(names.end(), c.key_names.begin(), c.key_names.end());
  types.insert(types.end(), c.agg_types.begin(), c.agg_types.end());
  for (size_t i = 0; i < c.agg_types.size(); ++i)
    names.push_back(top && i == 0 ? "rank" : "a" + std::to_string(top ? i - 1 : i));
  s.upsert_results =
    "INSERT INTO " + s.results + " (window_start, window_end" + lead(c.keys) + lead(c.agg_names)
    + ") SELECT " + to_ts("u.ws") + ", " + to_ts("u.we") + lead(c.u_keys) + lead(c.u_aggs)
    + " FROM " + unnest(1, types, names) + " ON CONFLICT (window_start" + lead(c.keys)
    + ") DO UPDATE SET window_end = EXCLUDED.window_end, " + join(c.agg_updates, ", ");
}

} // namespace

statements::statements(const jobs::job_spec& spec, bool elsewhere_) : elsewhere(elsewhere_) {
  const bool top = spec.top.n > 0;
  const shape c{spec};
  // Without partitioned_by (or with top-N, which ranks across partitions)
  // each partition's accumulators for a row wait in <table>__partials until
  // the window is complete; with it every row is final when emitted.
  direct = !spec.source.partitioned_by.empty() && !top;
  results = quote_ident(spec.sink.table);
  progress = quote_ident(spec.sink.table + "__progress");
  partials = quote_ident(spec.sink.table + "__partials");
  create = create_tables(*this, c, spec.sink.table);
  lock = "SELECT pg_advisory_xact_lock(hashtext(" + quote_literal(spec.sink.table) + "))";
  progress_statements(*this);
  if (!direct)
    partials_statements(*this, c, top);
  results_statements(*this, c, top);
  columns = {{"window_start", "timestamp with time zone"},
             {"window_end", "timestamp with time zone"}};
  for (const auto& k : spec.key)
    columns.emplace_back(k.name, "text");
  if (top)
    columns.emplace_back("rank", "integer");
  for (const auto& a : spec.aggregations)
    columns.emplace_back(a.as, column_type(a));
}

} // namespace weir::sinks::pg
