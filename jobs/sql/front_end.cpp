// SQL -> job_spec. The grammar is PostgreSQL's (pg_parser.hpp); the
// translator (translator.hpp, a file per concern) gives its statements weir's
// meaning and refuses, at the spot, whatever has none. The model is then
// checked by validate(), the rules every front end shares, and a broken rule
// is shown at the SQL construct that set its field.
#include "jobs/sql/front_end.hpp"

#include "jobs/sql/flink.hpp"
#include "jobs/sql/pg_parser.hpp"
#include "jobs/sql/translator.hpp"
#include "jobs/validate.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace weir::jobs::sql {

int translator::where(const std::string& path) const {
  int best = insert_at_;
  size_t best_len = 0;
  for (const auto& [p, at] : where_)
    if (path.rfind(p, 0) == 0 && p.size() >= best_len && at >= 0)
      best = at, best_len = p.size();
  return best;
}

void translator::set(const node& stmt) {
  auto name = stmt["name"].str();
  int at = stmt["args"].items().empty() ? -1 : stmt["args"].item(0).loc();
  if (stmt["kind"].str() != "VAR_SET_VALUE" || stmt["args"].items().size() != 1)
    fail(at, "write SET " + name + " = 'value'");
  static const std::initializer_list<std::string_view> known{"pipeline.name",
                                                             "execution.checkpointing.interval",
                                                             "state.checkpoints.dir",
                                                             "state.checkpoints.retain"};
  if (std::find(known.begin(), known.end(), name) == known.end())
    fail(at, "SET " + name
               + " is not a setting (pipeline.name, execution.checkpointing.interval, "
                 "state.checkpoints.dir, state.checkpoints.retain)"
               + did_you_mean(name, known));
  auto lit = literal_of(stmt["args"].item(0));
  if (!lit)
    fail(at, "SET " + name + " needs a literal value");
  settings_[name] = option{lit->text, at};
}

job_spec translator::run(const node& root) {
  const node* insert = nullptr;
  std::vector<node> stmts;
  for (const auto& s : root["stmts"].items())
    stmts.push_back(s["stmt"]);
  for (const auto& s : stmts) {
    if (s.is("CreateStmt")) {
      auto t = read_table(s.body());
      if (tables_.count(t.name))
        fail(t.at, "table '" + t.name + "' is declared twice");
      add_watermark(t);
      tables_.emplace(t.name, std::move(t));
    } else if (s.is("VariableSetStmt")) {
      set(s.body());
    } else if (s.is("InsertStmt")) {
      if (insert)
        fail(s.body()["relation"].loc(), "one job is one INSERT: put another in a file of its own");
      insert = &s;
    } else if (s.is("CreateForeignTableStmt")) {
      fail(s.loc(), "declare tables with CREATE TABLE name (...) WITH (connector = ...)");
    } else {
      fail(s.loc(), "only CREATE TABLE, SET and INSERT INTO ... SELECT make a job (got "
                      + std::string{s.kind()} + ")");
    }
  }
  if (!insert)
    fail(0, "no INSERT INTO ... SELECT: a job writes its query into a declared table");
  auto ins = insert->body();
  insert_at_ = ins["relation"].loc();
  job_spec spec;
  auto name = settings_.find("pipeline.name");
  if (name == settings_.end())
    fail(insert_at_, "name the job: SET pipeline.name = 'my-job';");
  spec.name = name->second.value;
  where_.emplace_back("name", name->second.at);
  if (ins["cols"])
    fail(ins["cols"].item(0).loc(),
         "name the columns with AS in the SELECT instead of an INSERT column list");
  const auto& sink = table(ins["relation"]["relname"].str(), insert_at_);
  where_.emplace_back("sink", sink.at);
  auto select = ins["selectStmt"]["SelectStmt"];
  if (!select || select["valuesLists"])
    fail(insert_at_, "write INSERT INTO " + sink.name + " SELECT ...");
  if (auto w = select["withClause"])
    fail(w.loc(), "WITH queries are not supported: write the subquery in FROM");
  if (select["op"].str() != "SETOP_NONE")
    fail(insert_at_, "UNION, INTERSECT and EXCEPT are not supported");

  auto from = select["fromClause"].items();
  if (from.empty())
    fail(insert_at_, "the SELECT needs a FROM");
  if (from.size() > 1 || from[0].is("JoinExpr"))
    fail(from.size() > 1 ? from[1].loc() : from[0].body()["rarg"].loc(),
         "joins are not supported yet: a job reads one source table");

  const bool grouped =
    select["groupClause"] || from[0].is("RangeFunction") || from[0].is("RangeSubselect");
  if (grouped) {
    windowed(select, spec);
    sink_of(sink, spec, sink_rows::results);
  } else if (from[0].is("RangeVar")) {
    const auto& src = table(from[0].body()["relname"].str(), from[0].loc());
    where_.emplace_back("source", src.at);
    if (src.connector() == "postgres") {
      exported(select, src, sink, spec);
    } else {
      raw(select, src, spec);
      sink_of(sink, spec, sink_rows::raw);
    }
  } else {
    fail(from[0].loc(), "FROM takes a declared table, a window function (TUMBLE, HOP, "
                        "SESSION) or a subquery for top-N");
  }
  settings(spec);
  if (spec.dead_letter_topic.empty() && !spec.export_job)
    spec.dead_letter_topic = spec.name + ".dlq";
  return spec;
}

// A WATERMARK clause (Flink's spelling, taken out by respell_flink) is its
// table's watermark_for and watermark_delay.
void translator::add_watermark(table_decl& t) const {
  for (const auto& w : watermarks_) {
    if (w.table != t.name)
      continue;
    if (t.get("watermark_for"))
      fail(w.at, t.name + " has a WATERMARK clause and watermark_for: keep one");
    t.options["watermark_for"] = option{w.column, w.at};
    if (!w.delay.empty()) {
      if (t.get("watermark_delay"))
        fail(w.at, t.name + " has a WATERMARK delay and watermark_delay: keep one");
      t.options["watermark_delay"] = option{w.delay, w.at};
    }
  }
  // A ROW's field types (Flink's names); a type weir has no counterpart for
  // (DECIMAL without its scale, ...) leaves the path read as text.
  static const std::map<std::string, sql_type> flink_types{{"BIGINT", sql_type::integer},
                                                           {"INT", sql_type::integer},
                                                           {"INTEGER", sql_type::integer},
                                                           {"SMALLINT", sql_type::integer},
                                                           {"TINYINT", sql_type::integer},
                                                           {"DOUBLE", sql_type::floating},
                                                           {"FLOAT", sql_type::floating},
                                                           {"REAL", sql_type::floating},
                                                           {"STRING", sql_type::text},
                                                           {"VARCHAR", sql_type::text},
                                                           {"CHAR", sql_type::text},
                                                           {"BOOLEAN", sql_type::boolean},
                                                           {"TIMESTAMP", sql_type::timestamp},
                                                           {"TIMESTAMP_LTZ", sql_type::timestamp},
                                                           {"ROW", sql_type::json},
                                                           {"MAP", sql_type::json},
                                                           {"ARRAY", sql_type::json}};
  for (const auto& f : fields_)
    if (auto it = flink_types.find(f.type); f.table == t.name && it != flink_types.end())
      t.nested.emplace(f.path, it->second);
}

// The job settings of SET: checkpoints.
void translator::settings(job_spec& spec) {
  if (auto o = settings_.find("execution.checkpointing.interval"); o != settings_.end()) {
    spec.checkpoints.interval =
      interval_text(o->second.value, o->second.at, "execution.checkpointing.interval");
    where_.emplace_back("checkpoints.interval", o->second.at);
  }
  if (auto o = settings_.find("state.checkpoints.dir"); o != settings_.end()) {
    spec.checkpoints.url = o->second.value;
    where_.emplace_back("checkpoints", o->second.at);
  } else if (settings_.count("execution.checkpointing.interval")
             || settings_.count("state.checkpoints.retain")) {
    fail(settings_.begin()->second.at,
         "checkpoints need a place: SET state.checkpoints.dir = 's3://bucket/prefix';");
  }
  if (auto o = settings_.find("state.checkpoints.retain"); o != settings_.end()) {
    // Its bounds are validate()'s; here only whether it is a number at all.
    auto v = whole_number(o->second.value, std::numeric_limits<std::uint32_t>::max());
    if (!v)
      fail(o->second.at, "state.checkpoints.retain: " + retain_bounds.expected(o->second.value));
    spec.checkpoints.retain = static_cast<std::uint32_t>(*v);
    where_.emplace_back("checkpoints.retain", o->second.at);
  }
}

namespace {

// Where a byte offset is: 1-based line and column, and the line's text.
struct position {
  int line = 1, column = 1;
  std::string_view text;
};

position position_of(std::string_view text, int offset) {
  offset = std::clamp(offset, 0, static_cast<int>(text.size()));
  position p;
  size_t start = 0;
  for (int i = 0; i < offset; ++i)
    if (text[i] == '\n')
      ++p.line, start = i + 1;
  auto end = text.find('\n', start);
  p.text = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  p.column = offset - static_cast<int>(start) + 1;
  return p;
}

std::string located(std::string_view origin, std::string_view text, int offset,
                    const std::string& why) {
  auto p = position_of(text, offset);
  std::string caret;
  for (int i = 1; i < p.column; ++i)
    caret += p.text[i - 1] == '\t' ? '\t' : ' ';
  return std::string{origin} + ":" + std::to_string(p.line) + ":" + std::to_string(p.column) + ": "
         + why + "\n  " + std::string{p.text} + "\n  " + caret + "^";
}

} // namespace

bool looks_like_sql(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    if (std::isspace(static_cast<unsigned char>(text[i]))) {
      ++i;
    } else if (text.substr(i, 2) == "--") {
      auto nl = text.find('\n', i);
      i = nl == std::string_view::npos ? text.size() : nl + 1;
    } else if (text.substr(i, 2) == "/*") {
      auto close = text.find("*/", i + 2);
      i = close == std::string_view::npos ? text.size() : close + 2;
    } else {
      break;
    }
  }
  std::string word;
  while (i < text.size() && std::isalpha(static_cast<unsigned char>(text[i])))
    word += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i++])));
  bool ends = i == text.size() || std::isspace(static_cast<unsigned char>(text[i]));
  return ends && (word == "create" || word == "set" || word == "insert");
}

expected<job_spec> parse_sql(std::string_view text, std::string_view origin) {
  // Flink's spelling, rewritten in place: offsets into it are offsets into
  // `text`, which errors show.
  respelled flink;
  try {
    flink = respell_flink(text);
  } catch (const failure& f) {
    return error{located(origin, text, f.offset, f.message)};
  }
  auto tree = parse_tree(flink.text);
  if (!tree)
    return error{std::string{origin} + ": " + tree.error_message()};
  if (!tree->error.empty())
    return error{located(origin, text, tree->error_offset, tree->error)};
  simdjson::dom::parser json;
  simdjson::dom::element root;
  if (auto err = json.parse(tree->json).get(root))
    return error{std::string{origin} + ": unreadable parse tree: " + simdjson::error_message(err)};
  translator t{origin};
  t.flink_parts(std::move(flink.watermarks), std::move(flink.fields));
  job_spec spec;
  try {
    spec = t.run(node{root});
  } catch (const failure& f) {
    return error{located(origin, text, f.offset, f.message)};
  }
  if (auto v = validate(spec))
    return error{located(origin, text, t.where(v->path), v->path + ": " + v->reason)};
  return spec;
}

} // namespace weir::jobs::sql
