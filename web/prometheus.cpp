#include "web/prometheus.hpp"

#include <charconv>
#include <cmath>
#include <map>

namespace weir::web {

namespace {

std::string number(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  // The shortest text that reads back as v: le="0.005", not 0.0050000000000000001.
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, end);
}

std::string escape(const std::string& v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\' || ch == '"')
      out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    out += ch;
  }
  return out;
}

using labels = std::vector<std::pair<std::string, std::string>>;

std::string render(const labels& ls, const char* extra_name = nullptr,
                   const std::string& extra_value = {}) {
  std::string out;
  auto add = [&](const std::string& k, const std::string& v) {
    out += out.empty() ? "{" : ",";
    out += k + "=\"" + escape(v) + "\"";
  };
  for (const auto& [k, v] : ls)
    add(k, v);
  if (extra_name)
    add(extra_name, extra_value);
  return out.empty() ? out : out + "}";
}

// Metric families by name: the exposition wants one HELP and TYPE per name,
// its samples together.
class families {
public:
  void gauge(const std::string& name, const std::string& help, const labels& ls, double v) {
    add(name, "gauge", help) += name + render(ls) + " " + number(v) + "\n";
  }
  void counter(const std::string& name, const std::string& help, const labels& ls, double v) {
    add(name, "counter", help) += name + render(ls) + " " + number(v) + "\n";
  }
  void sample(const std::string& prefix, const metrics::sample& s, const labels& ls) {
    switch (s.k) {
      case metrics::kind::counter: counter(prefix + s.name + "_total", s.help, ls, s.value); break;
      case metrics::kind::gauge: gauge(prefix + s.name, s.help, ls, s.value); break;
      case metrics::kind::histogram: histogram(prefix + s.name, s.help, ls, s); break;
    }
  }
  void snapshot(const std::string& prefix, const metrics::snapshot& snap, const labels& ls) {
    for (const auto& s : snap.samples)
      sample(prefix, s, ls);
  }
  std::string text() const {
    std::string out;
    for (const auto& [name, f] : by_name_)
      out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n" + f.lines;
    return out;
  }

private:
  struct family {
    std::string type, help, lines;
  };
  std::string& add(const std::string& name, const char* type, const std::string& help) {
    auto& f = by_name_[name];
    if (f.type.empty()) {
      f.type = type;
      f.help = help;
    }
    return f.lines;
  }
  void histogram(const std::string& name, const std::string& help, const labels& ls,
                 const metrics::sample& s) {
    auto& out = add(name, "histogram", help);
    const auto& bounds = metrics::histogram::bounds;
    for (size_t i = 0; i < s.buckets.size(); ++i)
      out += name + "_bucket" + render(ls, "le", i < bounds.size() ? number(bounds[i]) : "+Inf")
             + " " + number(static_cast<double>(s.buckets[i])) + "\n";
    out += name + "_sum" + render(ls) + " " + number(s.sum) + "\n";
    out += name + "_count" + render(ls) + " " + number(static_cast<double>(s.count)) + "\n";
  }
  std::map<std::string, family> by_name_;
};

} // namespace

std::string exposition(const observed_cluster& c) {
  families f;
  f.gauge("weir_workers", "Workers registered with the coordinator.", {},
          static_cast<double>(c.workers.size()));
  f.gauge("weir_jobs", "Jobs running.", {}, static_cast<double>(c.jobs.size()));
  for (const auto& w : c.workers) {
    labels ls{{"worker", w.name}};
    f.gauge("weir_worker_draining", "1 while the worker is draining.", ls, w.draining ? 1 : 0);
    if (w.last_report_ms == 0)
      continue;
    f.counter("weir_worker_cpu_seconds_total", "CPU time (user and system) of the worker process.",
              ls, w.report.cpu_seconds);
    f.gauge("weir_worker_resident_memory_bytes", "Resident memory of the worker process.", ls,
            w.report.rss_bytes);
    f.gauge("weir_worker_report_age_seconds", "Time since the worker's last report.", ls,
            static_cast<double>(c.now_ms - w.last_report_ms) / 1000.0);
    f.snapshot("weir_worker_", w.report.worker, ls);
  }
  for (const auto& j : c.jobs) {
    labels jl{{"job_id", j.id}};
    f.counter("weir_job_restarts_total", "Recoveries of the job's partitions after a worker loss.",
              jl, static_cast<double>(j.restarts));
    f.counter("weir_job_checkpoints_failed_total",
              "Checkpoint rounds not complete when the next one started.", jl,
              static_cast<double>(j.checkpoints_failed));
    const checkpoint_record* last = nullptr;
    for (const auto& r : j.rounds)
      if (r.outcome == round_outcome::completed)
        last = &r;
    if (last) {
      f.gauge("weir_job_last_checkpoint_duration_seconds",
              "Duration of the last completed checkpoint round.", jl,
              static_cast<double>(last->finished_ms - last->started_ms) / 1000.0);
      f.gauge("weir_job_last_checkpoint_size_bytes", "Size of the last completed checkpoint round.",
              jl, static_cast<double>(last->bytes));
      f.gauge("weir_job_last_checkpoint_age_seconds",
              "Time since the last completed checkpoint round finished.", jl,
              static_cast<double>(c.now_ms - last->finished_ms) / 1000.0);
    }
    for (size_t p = 0; p < j.partitions.size(); ++p) {
      const auto& op = j.partitions[p];
      labels pl{{"job_id", j.id}, {"partition", std::to_string(p)}};
      f.gauge("weir_partition_failed", "1 when the partition stopped (see the API for why).", pl,
              op.failed.empty() ? 0 : 1);
      if (!op.report)
        continue;
      const auto& r = *op.report;
      pl.emplace_back("worker", op.owner);
      f.counter("weir_partition_records_total",
                "Records read from the partition: folded, filtered or malformed.", pl,
                static_cast<double>(r.events + r.filtered + r.malformed));
      f.counter("weir_partition_filtered_records_total", "Events that failed the job's where.", pl,
                static_cast<double>(r.filtered));
      f.counter("weir_partition_malformed_records_total",
                "Events unreadable or unfit for the job (dead-lettered).", pl,
                static_cast<double>(r.malformed));
      f.counter("weir_partition_late_records_total",
                "Events too late for every window (dead-lettered).", pl,
                static_cast<double>(r.late));
      f.counter("weir_partition_dead_lettered_records_total",
                "Events sent to the dead-letter topic.", pl,
                static_cast<double>(r.malformed + r.late));
      f.counter("weir_partition_skipped_offsets_total",
                "Offsets gone from Kafka (retention) and skipped (on_missing_offsets: earliest).",
                pl, static_cast<double>(r.skipped));
      f.gauge("weir_partition_records_per_second", "Events read per second, between two reports.",
              pl, op.records_per_second);
      f.gauge("weir_partition_next_offset", "First offset not yet read.", pl,
              static_cast<double>(r.next_offset));
      f.gauge("weir_partition_idle", "1 while the partition is idle (does not hold windows back).",
              pl, r.idle ? 1 : 0);
      if (r.high_watermark >= 0)
        f.gauge("weir_partition_lag_records", "Records between the read position and Kafka's end.",
                pl, static_cast<double>(std::max<offset_t>(0, r.high_watermark - r.next_offset)));
      if (r.watermark != no_watermark) {
        f.gauge("weir_partition_watermark_timestamp_seconds", "The partition's watermark.", pl,
                static_cast<double>(r.watermark) / 1000.0);
        f.gauge("weir_partition_watermark_lag_seconds", "Wall clock minus the watermark.", pl,
                static_cast<double>(c.now_ms - r.watermark) / 1000.0);
      }
    }
    for (const auto& [worker, snap] : j.source_metrics)
      f.snapshot("weir_source_", snap, {{"job_id", j.id}, {"worker", worker}});
    for (const auto& [worker, snap] : j.sink_metrics)
      f.snapshot("weir_sink_", snap, {{"job_id", j.id}, {"worker", worker}});
  }
  f.snapshot("weir_coordinator_", c.coordinator, {});
  return f.text();
}

} // namespace weir::web
