#include "jobs/sql/flink.hpp"

#include "jobs/sql/translator.hpp"

#include <cctype>
#include <cstddef>

namespace weir::jobs::sql {

namespace {

enum class kind { word, string, quoted, punct };

struct token {
  kind k;
  std::size_t begin, end; // [begin, end) in the text
};

bool word_start(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
}

bool word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
}

// PostgreSQL's lexical structure, as much as telling tokens apart needs:
// comments are skipped, strings and quoted names kept whole. Backticks are
// turned into double quotes first, so a `name` is a quoted token.
std::vector<token> tokens(std::string& text) {
  std::vector<token> out;
  const auto n = text.size();
  for (std::size_t i = 0; i < n;) {
    const char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '-' && i + 1 < n && text[i + 1] == '-') {
      while (i < n && text[i] != '\n')
        ++i;
    } else if (c == '/' && i + 1 < n && text[i + 1] == '*') {
      const auto close = text.find("*/", i + 2);
      i = close == std::string::npos ? n : close + 2;
    } else if (c == '\'' || c == '"' || c == '`') {
      const char close = c == '`' ? '`' : c;
      std::size_t j = i + 1;
      for (; j < n; ++j) {
        if (text[j] != close)
          continue;
        if (close != '`' && j + 1 < n && text[j + 1] == close) { // '' and "" escape
          ++j;
          continue;
        }
        break;
      }
      if (c == '`') {
        // A double quote inside would end the name early: left as written,
        // the parser refuses the backtick at its spot.
        const auto inner = std::string_view{text}.substr(i + 1, std::min(j, n) - i - 1);
        if (j < n && inner.find('"') == std::string_view::npos) {
          text[i] = '"';
          text[j] = '"';
        }
      }
      out.push_back({c == '\'' ? kind::string : kind::quoted, i, std::min(j + 1, n)});
      i = std::min(j + 1, n);
    } else if (word_start(c)) {
      std::size_t j = i;
      while (j < n && word_char(text[j]))
        ++j;
      out.push_back({kind::word, i, j});
      i = j;
    } else {
      out.push_back({kind::punct, i, i + 1});
      ++i;
    }
  }
  return out;
}

std::string upper(std::string_view s) {
  std::string out{s};
  for (auto& c : out)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

class rewriter {
public:
  explicit rewriter(std::string_view text) : text_(text), t_(tokens(text_)) {}

  respelled run() {
    for (i_ = 0; i_ < t_.size(); ++i_) {
      const auto w = word(i_);
      if (w == "CREATE")
        create_at_ = i_, create_paren_ = none;
      if (is(i_, ";"))
        create_at_ = none, create_paren_ = none;
      if (w == "WITH" && is(i_ + 1, "("))
        with_depth_ = depth_ + 1;
      if (is(i_, "(")) {
        ++depth_;
        if (create_at_ != none && depth_ == 1 && create_paren_ == none)
          create_paren_ = i_;
      } else if (is(i_, ")")) {
        if (depth_ == with_depth_)
          with_depth_ = 0;
        if (depth_ == 1)
          create_paren_ = none, create_at_ = none;
        --depth_;
        close_pending();
      } else if (t_[i_].k == kind::string && with_depth_ && depth_ == with_depth_ && is(i_ + 1, "=")
                 && (is(i_ - 1, "(") || is(i_ - 1, ","))) {
        option_key();
      } else if (t_[i_].k == kind::string && word(i_ - 1) == "SET" && is(i_ + 1, "=")) {
        set_key();
      } else if ((w == "ROW" || w == "MAP" || w == "ARRAY") && is(i_ + 1, "<")) {
        nested_type();
      } else if (w == "DOUBLE" && word(i_ + 1) != "PRECISION") {
        overwrite(i_, "float8");
      } else if (w == "LOCAL" && word(i_ - 1) == "WITH" && word(i_ + 1) == "TIME") {
        blank(t_[i_].begin, t_[i_].end);
      } else if (w == "WATERMARK" && word(i_ + 1) == "FOR" && create_paren_ != none
                 && depth_ == 1) {
        watermark();
      } else if (create_paren_ != none && depth_ == 1 && word(i_ + 1) == "AS"
                 && (is(i_ - 1, ",") || i_ - 1 == create_paren_)
                 && (t_[i_].k == kind::word || t_[i_].k == kind::quoted)) {
        computed_column();
      } else if (w == "NOT" && word(i_ + 1) == "ENFORCED") {
        blank(t_[i_].begin, t_[i_ + 1].end); // PRIMARY KEY (k) NOT ENFORCED: a key is a key
      } else if (w == "TABLE" && is(i_ + 1, "(") && window_function(i_ + 2)) {
        // TABLE(TUMBLE(TABLE t, ...)): the outer TABLE( and its ) go.
        blank(t_[i_].begin, t_[i_ + 1].end);
        pending_.push_back(depth_ + 1);
        ++depth_;
        ++i_; // the ( is taken
      } else if (w == "TABLE" && (is(i_ - 1, "(") && window_function(i_ - 2))) {
        blank(t_[i_].begin, t_[i_].end); // TUMBLE(TABLE t: the inner TABLE goes
      }
    }
    return {std::move(text_), std::move(watermarks_), std::move(fields_)};
  }

private:
  bool is(std::size_t i, std::string_view punct) const {
    return i < t_.size() && t_[i].k == kind::punct && text_[t_[i].begin] == punct[0];
  }
  std::string word(std::size_t i) const {
    return i < t_.size() && t_[i].k == kind::word ? upper(span(i)) : std::string{};
  }
  std::string_view span(std::size_t i) const {
    return std::string_view{text_}.substr(t_[i].begin, t_[i].end - t_[i].begin);
  }
  bool window_function(std::size_t i) const {
    const auto w = word(i);
    return (w == "TUMBLE" || w == "HOP" || w == "SESSION" || w == "CUMULATE") && is(i + 1, "(");
  }
  void blank(std::size_t begin, std::size_t end) {
    for (auto j = begin; j < end && j < text_.size(); ++j)
      if (text_[j] != '\n')
        text_[j] = ' ';
  }
  void overwrite(std::size_t i, std::string_view with) { // with no longer than the token
    blank(t_[i].begin, t_[i].end);
    text_.replace(t_[i].begin, with.size(), with);
  }
  // The ) that closes a TABLE( taken out.
  void close_pending() {
    if (!pending_.empty() && pending_.back() == depth_ + 1) {
      blank(t_[i_].begin, t_[i_].end);
      pending_.pop_back();
    }
  }
  // A name as PostgreSQL reads it: quoted ones as written, others folded.
  std::string name(std::size_t i) const {
    const auto s = span(i);
    if (t_[i].k == kind::quoted)
      return std::string{s.substr(1, s.size() - 2)};
    return lower(std::string{s});
  }

  void option_key() {
    const auto key = span(i_).substr(1, span(i_).size() - 2);
    bool plain = !key.empty() && word_start(key[0]);
    for (char c : key)
      plain = plain && word_char(c) && c != '$';
    if (plain) {
      text_[t_[i_].begin] = ' ';
      text_[t_[i_].end - 1] = ' ';
      return;
    }
    fail(static_cast<int>(t_[i_].begin), flink_option(std::string{key}));
  }

  // SET 'pipeline.name' = ...: PostgreSQL's SET takes the dotted name bare.
  void set_key() {
    const auto key = span(i_).substr(1, span(i_).size() - 2);
    bool plain = !key.empty() && word_start(key[0]);
    for (char c : key)
      plain = plain && (word_char(c) || c == '.') && c != '$';
    if (plain) {
      text_[t_[i_].begin] = ' ';
      text_[t_[i_].end - 1] = ' ';
    }
  }

  static std::string flink_option(const std::string& key) {
    const std::string head = "'" + key + "' is an option of Flink's connectors; ";
    if (key == "properties.bootstrap.servers")
      return head + "weir's Kafka source takes brokers = 'host:port'";
    if (key == "properties.group.id")
      return head
             + "weir keeps a job's offsets in its checkpoints, not in a consumer group: "
               "drop it";
    if (key.rfind("scan.startup", 0) == 0)
      return head
             + "a new weir job reads from the earliest offset and resumes from its "
               "checkpoints: drop it";
    if (key.rfind("json.", 0) == 0)
      return head
             + "weir reads JSON, and sends a malformed event to the dead-letter topic "
               "(dead_letter_topic = '...'): drop it";
    if (key == "table-name")
      return head + "weir's sinks take table = '...'";
    return head
           + "weir's options are plain words (connector, brokers, topic, url, table, ...; "
             "docs/sql.md)";
  }

  // ROW<...>, MAP<...>, ARRAY<...>: a nested value, read as JSON.
  void nested_type() {
    const auto start = t_[i_].begin;
    int angle = 0;
    std::size_t j = i_ + 1;
    for (; j < t_.size(); ++j) {
      if (is(j, "<"))
        ++angle;
      else if (is(j, ">") && --angle == 0)
        break;
    }
    if (j == t_.size())
      fail(static_cast<int>(start), "this " + word(i_) + "<...> has no closing >");
    // A column's ROW: its fields' types, for the paths into it.
    if (word(i_) == "ROW" && create_paren_ != none && depth_ == 1 && i_ >= 2
        && (t_[i_ - 1].k == kind::word || t_[i_ - 1].k == kind::quoted)
        && (is(i_ - 2, ",") || i_ - 2 == create_paren_))
      row_fields(i_ + 1, j, name(i_ - 1));
    blank(start, t_[j].end);
    text_.replace(start, 5, "jsonb");
    i_ = j;
  }

  // The fields between the < at `open` and the > at `close`: name TYPE, ...
  // (a TYPE may be ROW<...> itself, or carry (p, s) or NOT NULL).
  void row_fields(std::size_t open, std::size_t close, const std::string& prefix) {
    std::size_t j = open + 1;
    while (j < close) {
      if (t_[j].k != kind::word && t_[j].k != kind::quoted)
        return; // not a field list weir reads; the column stays jsonb
      // Flink's names keep their case; so does the path (bid.dateTime).
      const auto raw = span(j);
      const auto path =
        prefix + "." + std::string{t_[j].k == kind::quoted ? raw.substr(1, raw.size() - 2) : raw};
      const auto type = word(j + 1);
      if (type.empty())
        return;
      fields_.push_back({create_table(), path, type});
      // To the , that ends this field (angles and parentheses balanced).
      std::size_t k = j + 1;
      int nest = 0;
      for (; k < close; ++k) {
        if (is(k, "<") || is(k, "("))
          ++nest;
        else if (is(k, ">") || is(k, ")"))
          --nest;
        else if (nest == 0 && is(k, ","))
          break;
      }
      if (type == "ROW" && is(j + 2, "<")) {
        // The nested ROW's own > is the last > before k.
        std::size_t end = k;
        while (end > j + 2 && !is(end - 1, ">"))
          --end;
        row_fields(j + 2, end - 1, path);
      }
      j = k + 1;
    }
  }

  // [,] WATERMARK FOR c AS c [- INTERVAL 'n' UNIT], up to the next , or ).
  void watermark() {
    const auto at = t_[i_].begin;
    auto expected = [&](std::size_t where) {
      fail(static_cast<int>(where < t_.size() ? t_[where].begin : at),
           "write WATERMARK FOR column AS column - INTERVAL 'n' UNIT (or AS column): weir's "
           "watermark trails the newest event time by a fixed delay");
    };
    std::size_t j = i_ + 2;
    if (j >= t_.size() || (t_[j].k != kind::word && t_[j].k != kind::quoted))
      expected(j);
    flink_watermark w{create_table(), name(j), "", static_cast<int>(at)};
    if (word(j + 1) != "AS" || j + 2 >= t_.size() || name(j + 2) != w.column)
      expected(j + 2);
    j += 3;
    if (is(j, "-")) {
      if (word(j + 1) != "INTERVAL" || j + 2 >= t_.size() || t_[j + 2].k != kind::string
          || word(j + 3).empty())
        expected(j + 1);
      const auto amount = span(j + 2);
      w.delay = std::string{amount.substr(1, amount.size() - 2)} + " " + lower(word(j + 3));
      j += 4;
    }
    if (!is(j, ",") && !is(j, ")"))
      expected(j);
    // The clause goes, with the comma that joined it to the columns before.
    const auto from = is(i_ - 1, ",") ? t_[i_ - 1].begin : at;
    blank(from, t_[j - 1].end);
    if (!is(i_ - 1, ",") && is(j, ","))
      blank(t_[j].begin, t_[j].end);
    watermarks_.push_back(std::move(w));
    i_ = j - 1;
  }

  // name AS expr: Flink's computed column.
  [[noreturn]] void computed_column() const {
    const auto column = std::string{span(i_)};
    const bool proctime = word(i_ + 2) == "PROCTIME";
    fail(static_cast<int>(t_[i_].begin),
         proctime ? column
                      + " AS PROCTIME(): weir windows by processing time with PROCTIME() in "
                        "the window call (TUMBLE(t, PROCTIME(), ...)); drop the column"
                  : "a computed column (" + column
                      + " AS ...) is not supported yet; to read a nested field, declare it "
                        "generated: "
                      + column
                      + " timestamp GENERATED ALWAYS AS ((bid->>'dateTime')::timestamp) STORED "
                        "(docs/sql.md)");
  }

  // The table the current CREATE TABLE declares.
  std::string create_table() const {
    std::size_t j = create_at_ + 1;
    while (j < create_paren_ && word(j) != "TABLE")
      ++j;
    ++j;
    // IF NOT EXISTS
    if (word(j) == "IF")
      j += 3;
    return j < create_paren_ ? name(j) : std::string{};
  }

  std::string text_;
  std::vector<token> t_;
  std::size_t i_ = 0;
  int depth_ = 0;
  int with_depth_ = 0; // depth inside WITH (...), 0 outside
  static constexpr std::size_t none = ~std::size_t{0};
  std::size_t create_at_ = none;    // the CREATE of the statement
  std::size_t create_paren_ = none; // the ( of its column list
  std::vector<int> pending_;        // depths of TABLE( taken out, awaiting their )
  std::vector<flink_watermark> watermarks_;
  std::vector<flink_field> fields_;
};

} // namespace

respelled respell_flink(std::string_view text) {
  return rewriter{text}.run();
}

} // namespace weir::jobs::sql
