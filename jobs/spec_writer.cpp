// job_spec -> YAML: what `weir explain` prints for a job written in any front
// end. parse_spec(to_yaml(s)) gives s back: the unit tests hold every shipped
// spec to that, and the spec fuzzers every spec they get through.
#include "jobs/connectors.hpp"
#include "jobs/spec.hpp"

#include <yaml-cpp/yaml.h>

#include <cstdio>

namespace weir::jobs {

namespace {

// The largest unit that divides the duration exactly, in parse_duration's syntax.
std::string duration_text(millis ms) {
  for (auto [unit, name] : {std::pair<millis, const char*>{86'400'000, "d"},
                            {3'600'000, "h"},
                            {60'000, "m"},
                            {1000, "s"}})
    if (ms != 0 && ms % unit == 0)
      return std::to_string(ms / unit) + name;
  return std::to_string(ms) + "ms";
}

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

const char* type_name(column_type t) {
  switch (t) {
    case column_type::int64: return "int64";
    case column_type::float64: return "double";
    case column_type::string: return "string";
    case column_type::boolean: return "boolean";
    case column_type::timestamp: return "timestamp";
  }
  return "?";
}

void write_columns(YAML::Emitter& y, const std::vector<column_spec>& columns) {
  y << YAML::Key << "columns" << YAML::Value << YAML::BeginSeq;
  for (const auto& c : columns) {
    y << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << c.name;
    if (c.field != c.name)
      y << YAML::Key << "field" << YAML::Value << c.field;
    y << YAML::Key << "type" << YAML::Value << type_name(c.type);
    if (!c.nullable)
      y << YAML::Key << "nullable" << YAML::Value << "false";
    y << YAML::EndMap;
  }
  y << YAML::EndSeq;
}

void write_source(YAML::Emitter& y, const source_spec& s) {
  y << YAML::Key << "source" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "type" << YAML::Value << "kafka";
  y << YAML::Key << "brokers" << YAML::Value << s.brokers;
  y << YAML::Key << "topic" << YAML::Value << s.topic;
  if (!s.partitioned_by.empty())
    y << YAML::Key << "partitioned_by" << YAML::Value << s.partitioned_by;
  y << YAML::Key << "on_missing_offsets" << YAML::Value
    << (s.on_missing_offsets == missing_offsets::earliest ? "earliest" : "fail");
  if (s.mode == time_mode::processing) {
    y << YAML::Key << "processing_time" << YAML::Value << "true";
    y << YAML::Key << "guarantee" << YAML::Value << "at_least_once";
  } else if (!s.time_field.empty()) {
    y << YAML::Key << "event_time" << YAML::Value << YAML::BeginMap;
    y << YAML::Key << "field" << YAML::Value << s.time_field;
    y << YAML::Key << "format" << YAML::Value
      << (s.time_fmt == time_format::iso8601   ? "iso8601"
          : s.time_fmt == time_format::epoch_s ? "epoch_s"
                                               : "epoch_ms");
    y << YAML::Key << "max_out_of_orderness" << YAML::Value << duration_text(s.out_of_orderness);
    y << YAML::Key << "idle_timeout" << YAML::Value << duration_text(s.idle_timeout);
    y << YAML::EndMap;
  }
  y << YAML::EndMap;
}

void write_filters(YAML::Emitter& y, const std::vector<filter_spec>& filters) {
  if (filters.empty())
    return;
  y << YAML::Key << "where" << YAML::Value << YAML::BeginSeq;
  for (const auto& f : filters) {
    y << YAML::BeginMap << YAML::Key << "field" << YAML::Value << f.field;
    switch (f.op) {
      case filter_op::eq: y << YAML::Key << "eq" << YAML::Value << f.values.at(0); break;
      case filter_op::ne: y << YAML::Key << "ne" << YAML::Value << f.values.at(0); break;
      case filter_op::in:
      case filter_op::not_in:
        y << YAML::Key << (f.op == filter_op::in ? "in" : "not_in") << YAML::Value << YAML::Flow
          << f.values;
        break;
      case filter_op::gt: y << YAML::Key << "gt" << YAML::Value << number_text(f.number); break;
      case filter_op::ge: y << YAML::Key << "ge" << YAML::Value << number_text(f.number); break;
      case filter_op::lt: y << YAML::Key << "lt" << YAML::Value << number_text(f.number); break;
      case filter_op::le: y << YAML::Key << "le" << YAML::Value << number_text(f.number); break;
    }
    y << YAML::EndMap;
  }
  y << YAML::EndSeq;
}

void write_windowed(YAML::Emitter& y, const job_spec& s) {
  if (!s.key.empty()) {
    y << YAML::Key << "key" << YAML::Value << YAML::Flow << YAML::BeginSeq;
    for (const auto& k : s.key) {
      const bool renamed = key_spec{k.field}.name != k.name;
      if (!renamed && k.type == key_type::any) {
        y << k.field;
        continue;
      }
      y << YAML::BeginMap << YAML::Key << "field" << YAML::Value << k.field;
      if (renamed)
        y << YAML::Key << "as" << YAML::Value << k.name;
      if (k.type != key_type::any)
        y << YAML::Key << "type" << YAML::Value
          << (k.type == key_type::string ? "string" : "integer");
      y << YAML::EndMap;
    }
    y << YAML::EndSeq;
  }
  const auto& w = s.window;
  y << YAML::Key << "window" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "type" << YAML::Value
    << (w.kind == window_kind::session   ? "session"
        : w.kind == window_kind::hopping ? "hopping"
                                         : "tumbling");
  if (w.kind == window_kind::session) {
    y << YAML::Key << "gap" << YAML::Value << duration_text(w.gap);
  } else {
    y << YAML::Key << "size" << YAML::Value << duration_text(w.size);
    if (w.kind == window_kind::hopping)
      y << YAML::Key << "slide" << YAML::Value << duration_text(w.slide);
  }
  if (w.allowed_lateness > 0)
    y << YAML::Key << "allowed_lateness" << YAML::Value << duration_text(w.allowed_lateness);
  y << YAML::EndMap;
  y << YAML::Key << "aggregations" << YAML::Value << YAML::BeginSeq;
  for (const auto& a : s.aggregations) {
    y << YAML::Flow << YAML::BeginMap << YAML::Key << "fn" << YAML::Value << to_string(a.kind);
    if (!a.field.empty())
      y << YAML::Key << "field" << YAML::Value << a.field;
    if (a.decimal)
      y << YAML::Key << "type" << YAML::Value
        << "decimal(" + std::to_string(a.decimal.precision) + ", " + std::to_string(a.decimal.scale)
             + ")";
    y << YAML::Key << "as" << YAML::Value << a.as << YAML::EndMap;
  }
  y << YAML::EndSeq;
  if (s.top.n > 0)
    y << YAML::Key << "top" << YAML::Value << YAML::BeginMap << YAML::Key << "n" << YAML::Value
      << std::to_string(s.top.n) << YAML::Key << "by" << YAML::Value << s.top.by << YAML::EndMap;
}

void write_derive(YAML::Emitter& y, const std::vector<derived_column_spec>& derive) {
  y << YAML::Key << "derive" << YAML::Value << YAML::BeginSeq;
  for (const auto& d : derive) {
    y << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << d.name << YAML::Key
      << "column" << YAML::Value << d.column;
    if (d.k == derived_column_spec::modulo)
      y << YAML::Key << "modulo" << YAML::Value << std::to_string(d.every);
    else
      y << YAML::Key << "as" << YAML::Value << (d.k == derived_column_spec::date ? "date" : "hour");
    if (d.k == derived_column_spec::hour && d.every != 1)
      y << YAML::Key << "every" << YAML::Value << std::to_string(d.every);
    y << YAML::EndMap;
  }
  y << YAML::EndSeq;
}

void write_names(YAML::Emitter& y, const char* key, const std::vector<std::string>& names) {
  y << YAML::Key << key << YAML::Value << YAML::Flow << YAML::BeginSeq;
  for (const auto& n : names)
    y << n;
  y << YAML::EndSeq;
}

// Every field of a sink of files, defaults too: a worker reads what the
// coordinator meant, whatever its own defaults are.
void write_files_sink(YAML::Emitter& y, const sink_spec& s) {
  y << YAML::Key << "catalog" << YAML::Value << s.catalog;
  y << YAML::Key << "table" << YAML::Value << s.table;
  if (!s.derive.empty())
    write_derive(y, s.derive);
  if (!s.partitioned_by.empty())
    write_names(y, "partitioned_by", s.partitioned_by);
  if (!s.sort_by.empty())
    write_names(y, "sort_by", s.sort_by);
  y << YAML::Key << "codec" << YAML::Value << s.codec;
  y << YAML::Key << "max_file_mb" << YAML::Value << std::to_string(s.max_file_mb);
  y << YAML::Key << "commit_every" << YAML::Value << std::to_string(s.commit_every);
  if (s.commit_mb)
    y << YAML::Key << "commit_mb" << YAML::Value << std::to_string(*s.commit_mb);
  y << YAML::Key << "snapshots_kept" << YAML::Value << std::to_string(s.snapshots_kept);
  y << YAML::Key << "orphan_age" << YAML::Value << duration_text(s.orphan_age);
}

void write_sink(YAML::Emitter& y, const sink_spec& s) {
  y << YAML::Key << "sink" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "type" << YAML::Value << s.type;
  const auto* c = find_connector(s.type);
  if (c && c->store == sink_store::none) {
    y << YAML::EndMap;
    return;
  }
  y << YAML::Key << "url" << YAML::Value << s.url;
  if (!s.partials_url.empty())
    y << YAML::Key << "partials_url" << YAML::Value << s.partials_url;
  if (c && c->store == sink_store::files) {
    write_files_sink(y, s);
  } else {
    y << YAML::Key << "table" << YAML::Value << s.table;
    if (s.type == "postgres_raw" && !s.key.empty())
      y << YAML::Key << "key" << YAML::Value << s.key;
  }
  y << YAML::EndMap;
}

void write_export(YAML::Emitter& y, const export_spec& e) {
  y << YAML::Key << "export" << YAML::Value << YAML::BeginMap;
  y << YAML::Key << "from" << YAML::Value << YAML::BeginMap << YAML::Key << "url" << YAML::Value
    << e.pg_url << YAML::Key << "table" << YAML::Value << e.table << YAML::Key << "key"
    << YAML::Value << e.key << YAML::EndMap;
  write_columns(y, e.columns);
  if (!e.to_lake)
    y << YAML::Key << "to" << YAML::Value << "s3://" + e.bucket + "/" + e.prefix;
  y << YAML::Key << "every" << YAML::Value << duration_text(e.every);
  y << YAML::EndMap;
}

} // namespace

std::string to_yaml(const job_spec& s) {
  YAML::Emitter y;
  y << YAML::BeginMap << YAML::Key << "name" << YAML::Value << s.name;
  if (s.export_job) {
    write_export(y, *s.export_job);
    if (s.export_job->to_lake)
      write_sink(y, s.sink);
    y << YAML::EndMap;
    return std::string{y.c_str()} + "\n";
  }
  write_source(y, s.source);
  write_filters(y, s.filters);
  if (is_raw(s))
    write_columns(y, s.columns);
  else
    write_windowed(y, s);
  write_sink(y, s.sink);
  if (s.dead_letter_topic != s.name + ".dlq")
    y << YAML::Key << "dead_letter" << YAML::Value << YAML::BeginMap << YAML::Key << "topic"
      << YAML::Value << s.dead_letter_topic << YAML::EndMap;
  if (!s.checkpoints.url.empty())
    y << YAML::Key << "checkpoints" << YAML::Value << YAML::BeginMap << YAML::Key << "url"
      << YAML::Value << s.checkpoints.url << YAML::Key << "interval" << YAML::Value
      << duration_text(s.checkpoints.interval) << YAML::Key << "retain" << YAML::Value
      << std::to_string(s.checkpoints.retain) << YAML::EndMap;
  y << YAML::EndMap;
  return std::string{y.c_str()} + "\n";
}

} // namespace weir::jobs
