#include "jobs/connectors.hpp"

#include <algorithm>

namespace weir::jobs {

const std::vector<connector>& connectors() {
  static const std::vector<connector> list{
    // type, SQL name, rows, store, final rows, URL schemes, URL form
    {"postgres", "postgres", sink_rows::results, sink_store::table, false, {}, {}},
    {"clickhouse",
     "clickhouse",
     sink_rows::results,
     sink_store::table,
     true,
     {"http://", "https://"},
     "http://[user[:password]@]host:port[/database]"},
    {"mysql",
     "mysql",
     sink_rows::results,
     sink_store::table,
     true,
     {"mysql://", {}},
     "mysql://user[:password]@host[:port]/database"},
    {"postgres_raw", "postgres", sink_rows::raw, sink_store::table, false, {}, {}},
    {"iceberg",
     "iceberg",
     sink_rows::raw,
     sink_store::files,
     false,
     {"s3://", {}},
     "s3://bucket/prefix"},
    {"blackhole", "blackhole", sink_rows::any, sink_store::none, false, {}, {}},
  };
  return list;
}

bool connector::takes(std::string_view url) const {
  if (schemes[0].empty())
    return true;
  return std::any_of(std::begin(schemes), std::end(schemes), [&](std::string_view s) {
    return !s.empty() && url.substr(0, s.size()) == s && url.size() > s.size();
  });
}

const connector* find_connector(std::string_view type) {
  for (const auto& c : connectors())
    if (c.type == type)
      return &c;
  return nullptr;
}

std::string not_a_connector(std::string_view type) {
  return "'" + std::string{type} + "' is not one of: "
         + listed(connector_names([](const connector&) { return true; }, name_of::type), ", ");
}

std::vector<std::string_view> connector_names(bool (*pick)(const connector&), name_of name) {
  std::vector<std::string_view> out;
  for (const auto& c : connectors()) {
    auto n = name == name_of::type ? c.type : c.sql;
    if (pick(c) && std::find(out.begin(), out.end(), n) == out.end())
      out.push_back(n);
  }
  return out;
}

std::string listed(const std::vector<std::string_view>& names, std::string_view last_sep,
                   bool quoted) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0)
      out += i + 1 == names.size() ? last_sep : std::string_view{", "};
    out += quoted ? "'" + std::string{names[i]} + "'" : std::string{names[i]};
  }
  return out;
}

} // namespace weir::jobs
