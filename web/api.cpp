#include "web/api.hpp"

#include <algorithm>
#include <regex>

namespace weir::web {

using nlohmann::json;

namespace {

json opt_ms(std::int64_t ms) {
  return ms > 0 ? json(ms) : json(nullptr);
}

json watermark_json(millis wm) {
  return wm == no_watermark ? json(nullptr) : json(wm);
}

std::string job_state(const observed_job& j) {
  if (j.runs)
    return "scheduled";
  if (!j.stopped.empty())
    return "stopped";
  bool unowned = false;
  for (const auto& p : j.partitions) {
    if (!p.failed.empty())
      return "failing";
    unowned |= p.owner.empty() || !p.report;
  }
  return unowned ? "starting" : "running";
}

json partition_json(const observed_cluster& c, const observed_partition& p, partition_id id) {
  json out{{"partition", id},
           {"owner", p.owner.empty() ? json(nullptr) : json(p.owner)},
           {"failed", p.failed.empty() ? json(nullptr) : json(p.failed)},
           {"checkpoint", {{"round", p.checkpoint.id}, {"offset", p.checkpoint.offset}}},
           {"records_per_second", p.records_per_second}};
  if (!p.report) {
    out["reported"] = false;
    return out;
  }
  const auto& r = *p.report;
  const bool known_end = r.high_watermark >= 0;
  out.update({{"reported", true},
              {"next_offset", r.next_offset},
              {"high_watermark", known_end ? json(r.high_watermark) : json(nullptr)},
              {"lag", known_end ? json(std::max<offset_t>(0, r.high_watermark - r.next_offset))
                                : json(nullptr)},
              {"watermark", watermark_json(r.watermark)},
              {"watermark_lag_ms",
               r.watermark == no_watermark ? json(nullptr) : json(c.now_ms - r.watermark)},
              {"idle", r.idle},
              {"events", r.events},
              {"filtered", r.filtered},
              {"malformed", r.malformed},
              {"late", r.late},
              // Malformed and late events are the ones dead-lettered.
              {"dead_lettered", r.malformed + r.late},
              {"offsets_skipped", r.skipped},
              {"owned_since", opt_ms(r.owned_since_ms)}});
  return out;
}

json round_json(const checkpoint_record& r) {
  return {{"round", r.id},
          {"started", r.started_ms},
          {"finished", opt_ms(r.finished_ms)},
          {"duration_ms", r.finished_ms > 0 ? json(r.finished_ms - r.started_ms) : json(nullptr)},
          {"partitions", r.partitions},
          {"reported", r.reported},
          {"size_bytes", r.bytes},
          {"outcome", to_string(r.outcome)}};
}

json summary_json(const observed_cluster& c, const observed_job& j) {
  std::uint64_t events = 0, filtered = 0, malformed = 0, late = 0, lag = 0;
  double rate = 0;
  for (const auto& p : j.partitions) {
    rate += p.records_per_second;
    if (!p.report)
      continue;
    events += p.report->events;
    filtered += p.report->filtered;
    malformed += p.report->malformed;
    late += p.report->late;
    if (p.report->high_watermark >= 0)
      lag += static_cast<std::uint64_t>(
        std::max<offset_t>(0, p.report->high_watermark - p.report->next_offset));
  }
  json totals{{"events", events},
              {"filtered", filtered},
              {"malformed", malformed},
              {"late", late},
              {"dead_lettered", malformed + late},
              {"lag", lag},
              {"records_per_second", rate}};
  const checkpoint_record* last = nullptr;
  for (const auto& r : j.rounds)
    if (r.outcome == round_outcome::completed)
      last = &r;
  json checkpoint = nullptr;
  if (last)
    checkpoint = {{"round", last->id},
                  {"age_ms", c.now_ms - last->finished_ms},
                  {"size_bytes", last->bytes},
                  {"duration_ms", last->finished_ms - last->started_ms}};
  json lake = nullptr;
  if (j.lake)
    lake = {{"snapshots", j.lake->snapshots},
            {"last_commit_age_ms",
             j.lake->last_commit_ms ? json(c.now_ms - j.lake->last_commit_ms) : json(nullptr)},
            {"commits", j.lake->commits},
            {"commit_failures", j.lake->commit_failures},
            {"files_committed", j.lake->files},
            {"rows_committed", j.lake->rows},
            {"compactions", j.lake->compactions},
            {"files_compacted", j.lake->files_compacted},
            {"files_expired", j.lake->files_expired},
            {"files_aborted", j.lake->files_aborted},
            {"files_orphaned", j.lake->files_orphaned},
            {"orphan_sweeps", j.lake->orphan_sweeps}};
  return {{"id", j.id},
          {"kind", j.kind},
          {"state", job_state(j)},
          {"topic", j.topic},
          {"sink", j.sink},
          {"submitted", opt_ms(j.submitted_ms)},
          {"partition_count", j.partitions.size()},
          {"restarts", j.restarts},
          {"totals", totals},
          {"last_checkpoint", checkpoint},
          {"lake", lake}};
}

const observed_job* find_job(const observed_cluster& c, const std::string& id) {
  for (const auto& j : c.jobs)
    if (j.id == id)
      return &j;
  return nullptr;
}

} // namespace

json jobs_json(const observed_cluster& c) {
  json list = json::array();
  for (const auto& j : c.jobs)
    list.push_back(summary_json(c, j));
  return {{"jobs", list}};
}

json job_json(const observed_cluster& c, const std::string& id) {
  const auto* j = find_job(c, id);
  if (!j)
    return nullptr;
  auto out = summary_json(c, *j);
  out["spec"] = j->spec_text;
  json parts = json::array();
  for (size_t p = 0; p < j->partitions.size(); ++p)
    parts.push_back(partition_json(c, j->partitions[p], static_cast<partition_id>(p)));
  out["partitions"] = parts;
  json history = json::array();
  for (const auto& s : j->history)
    history.push_back({{"at", s.at_ms},
                       {"records_per_second", s.records_per_second},
                       {"lag", s.lag_records},
                       {"watermark_lag_ms", s.watermark_lag_ms}});
  out["history"] = history;
  if (j->runs)
    out["last_export"] = j->last_run.empty() ? json(nullptr) : json(j->last_run);
  return out;
}

json checkpoints_json(const observed_cluster& c, const std::string& id) {
  const auto* j = find_job(c, id);
  if (!j)
    return nullptr;
  json rounds = json::array();
  for (auto it = j->rounds.rbegin(); it != j->rounds.rend(); ++it)
    rounds.push_back(round_json(*it));
  return {{"job", id}, {"checkpoints", rounds}};
}

json workers_json(const observed_cluster& c) {
  json list = json::array();
  for (const auto& w : c.workers) {
    json parts = json::array();
    for (const auto& j : c.jobs)
      for (size_t p = 0; p < j.partitions.size(); ++p)
        if (j.partitions[p].owner == w.name)
          parts.push_back({{"job", j.id}, {"partition", p}});
    list.push_back({{"name", w.name},
                    {"host", w.info.host},
                    {"pid", w.info.pid},
                    {"state", w.draining ? "draining" : "active"},
                    {"partitions", parts},
                    {"cpu_seconds", w.report.cpu_seconds},
                    {"cpu_percent", w.cpu_percent >= 0 ? json(w.cpu_percent) : json(nullptr)},
                    {"rss_bytes", w.report.rss_bytes},
                    {"last_heartbeat", opt_ms(w.last_report_ms)},
                    {"last_heartbeat_age_ms",
                     w.last_report_ms > 0 ? json(c.now_ms - w.last_report_ms) : json(nullptr)}});
  }
  return {{"workers", list}};
}

json events_json(const observed_cluster& c, std::size_t limit) {
  json list = json::array();
  for (const auto& e : c.events) {
    if (list.size() >= limit)
      break;
    list.push_back({{"at", e.at_ms},
                    {"kind", to_string(e.kind)},
                    {"job", e.job.empty() ? json(nullptr) : json(e.job)},
                    {"worker", e.worker.empty() ? json(nullptr) : json(e.worker)},
                    {"message", e.message},
                    {"duration_ms", e.duration_ms >= 0 ? json(e.duration_ms) : json(nullptr)}});
  }
  return {{"events", list}};
}

json spec_error_json(const std::string& error) {
  static const std::regex located{R"(^(.*?):(\d{1,9})(?::(\d{1,9}))?: ([\s\S]*)$)"};
  static const std::regex field{R"(^([A-Za-z_][A-Za-z0-9_.\[\]]*): ([\s\S]*)$)"};
  json out{{"file", nullptr},
           {"line", nullptr},
           {"column", nullptr},
           {"field", nullptr},
           {"message", error}};
  std::smatch m;
  if (!std::regex_match(error, m, located))
    return out;
  out["file"] = m[1].str();
  out["line"] = std::stoi(m[2].str());
  if (m[3].matched)
    out["column"] = std::stoi(m[3].str());
  std::string rest = m[4].str();
  std::smatch f;
  if (std::regex_match(rest, f, field)) {
    out["field"] = f[1].str();
    rest = f[2].str();
  }
  out["message"] = rest;
  return out;
}

} // namespace weir::web
