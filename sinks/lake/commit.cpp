#include "sinks/lake/commit.hpp"

#include "base/logging.hpp"
#include "lib/iceberg/commit.hpp"
#include "lib/s3/env.hpp"
#include "sinks/lake/compaction.hpp"
#include "sinks/lake/orphans.hpp"
#include "sinks/lake/table.hpp"

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <functional>
#include <set>

WEIR_LOG_MODULE("lake");

namespace weir::lake {

std::string pending_prefix(const table_config& t, const std::string& identity) {
  return t.key("weir/pending/" + identity + "/");
}

std::string pending_key(const table_config& t, const std::string& identity, const pending_list& l) {
  char name[96];
  std::snprintf(name, sizeof name, "p%d/r%020" PRIu64 "-%020" PRId64 "-%020" PRId64 ".avro",
                l.partition, static_cast<std::uint64_t>(l.round),
                static_cast<std::int64_t>(l.first), static_cast<std::int64_t>(l.next));
  return pending_prefix(t, identity) + name;
}

std::optional<pending_list> parse_pending_key(std::string_view key) {
  auto slash = key.rfind("/p");
  if (slash == std::string_view::npos)
    return std::nullopt;
  pending_list l;
  std::uint64_t round = 0;
  long long first = 0, next = 0;
  int consumed = 0;
  std::string tail{key.substr(slash + 1)};
  if (std::sscanf(tail.c_str(), "p%d/r%20" SCNu64 "-%20lld-%20lld.avro%n", &l.partition, &round,
                  &first, &next, &consumed)
        != 4
      || static_cast<std::size_t>(consumed) != tail.size() || first > next)
    return std::nullopt;
  l.round = round;
  l.first = first;
  l.next = next;
  return l;
}

expected<std::string> write_file_list(const table_config& t,
                                      const std::vector<iceberg::data_file>& files) {
  std::vector<iceberg::manifest_entry> entries;
  for (const auto& f : files)
    entries.push_back({iceberg::entry_status::added, std::nullopt, std::nullopt, std::nullopt, f});
  return iceberg::write_manifest({t.schema, t.spec}, entries);
}

expected<std::vector<iceberg::data_file>> read_file_list(std::string_view bytes) {
  auto m = iceberg::read_manifest(bytes);
  if (!m)
    return m.failure();
  std::vector<iceberg::data_file> files;
  for (auto& e : m->entries)
    files.push_back(std::move(e.file));
  return files;
}

std::string format_offsets(const offsets& o) {
  std::string out;
  for (const auto& [p, off] : o) {
    if (!out.empty())
      out += ',';
    out += std::to_string(p) + ":" + std::to_string(off);
  }
  return out;
}

offsets parse_offsets(std::string_view text) {
  offsets out;
  std::string s{text};
  std::size_t at = 0;
  while (at < s.size()) {
    int p = 0;
    long long off = 0;
    int used = 0;
    if (std::sscanf(s.c_str() + at, "%d:%lld%n", &p, &off, &used) != 2)
      break;
    out[p] = off;
    at += static_cast<std::size_t>(used) + 1;
  }
  return out;
}

std::set<std::pair<partition_id, round_id>> committed_lists(const iceberg::table_metadata& m,
                                                            const std::string& identity) {
  std::set<std::pair<partition_id, round_id>> out;
  for (const auto& s : m.snapshots) {
    const auto* id = s.summary_value("weir.commit-id");
    const auto* lists = s.summary_value("weir.lists");
    if (!id || *id != identity || !lists)
      continue;
    for (const auto& [p, round] : parse_offsets(*lists))
      out.emplace(p, static_cast<round_id>(round));
  }
  return out;
}

offsets committed_offsets(const iceberg::table_metadata& m, const std::string& identity) {
  auto found = iceberg::summary_values(m, "weir.offsets", {{"weir.commit-id", identity}});
  return found.empty() ? offsets{} : parse_offsets(found.front());
}

namespace {} // namespace

std::vector<pending_list> choose_lists(std::vector<pending_list> lists, offset_t start,
                                       offset_t limit) {
  std::sort(lists.begin(), lists.end(),
            [](const auto& a, const auto& b) { return a.round > b.round; });
  std::vector<pending_list> best, path;
  offset_t reach = start;
  std::function<void(offset_t)> walk = [&](offset_t at) {
    if (at > reach) {
      reach = at;
      best = path;
    }
    for (const auto& l : lists)
      if (l.first == at && l.next > at && l.next <= limit) {
        path.push_back(l);
        walk(l.next);
        path.pop_back();
      }
  };
  walk(start);
  return best;
}

namespace {

struct committer {
  const jobs::job_spec& spec;
  const commit_request& req;
  table_config cfg;
  s3::client s3;
  std::map<partition_id, std::vector<pending_list>> lists;
  std::map<std::string, std::vector<iceberg::data_file>> read_lists; // by key
  std::vector<pending_list> chosen;
  offsets after; // committed offsets once the commit lands
  commit_outcome out;

  expected<void> list_pending() {
    auto keys = s3.list(cfg.bucket, pending_prefix(cfg, req.identity));
    if (!keys)
      return keys.failure();
    for (const auto& k : *keys)
      if (auto l = parse_pending_key(k))
        lists[l->partition].push_back(*l);
    return {};
  }

  expected<std::vector<iceberg::data_file>*> files_of(const pending_list& l) {
    const auto key = pending_key(cfg, req.identity, l);
    if (auto it = read_lists.find(key); it != read_lists.end())
      return &it->second;
    auto bytes = s3.get_object(cfg.bucket, key);
    if (!bytes)
      return bytes.failure();
    auto files = read_file_list(*bytes);
    if (!files)
      return error{key + ": " + files.error_message()};
    return &(read_lists[key] = std::move(*files));
  }

  expected<std::optional<iceberg::commit_request>> plan(const iceberg::table_metadata& m) {
    const auto committed = committed_offsets(m, req.identity);
    chosen.clear();
    after = committed;
    for (const auto& [p, ls] : lists) {
      auto limit = req.checkpointed.find(p);
      if (limit == req.checkpointed.end())
        continue;
      auto c = committed.find(p);
      offset_t start = c != committed.end() ? c->second : ls.front().first;
      if (c == committed.end())
        for (const auto& l : ls)
          start = std::min(start, l.first);
      auto picked = choose_lists(ls, start, limit->second);
      if (picked.empty())
        continue;
      after[p] = picked.back().next;
      chosen.insert(chosen.end(), picked.begin(), picked.end());
    }
    if (chosen.empty())
      return std::optional<iceberg::commit_request>{};
    iceberg::commit_request r;
    r.op = iceberg::operation::append;
    for (const auto& l : chosen) {
      auto files = files_of(l);
      if (!files)
        return files.failure();
      r.added.insert(r.added.end(), (*files)->begin(), (*files)->end());
    }
    std::string taken;
    for (const auto& l : chosen)
      taken +=
        (taken.empty() ? "" : ",") + std::to_string(l.partition) + ":" + std::to_string(l.round);
    r.summary = {{"weir.commit-id", req.identity},
                 {"weir.round", std::to_string(req.round)},
                 {"weir.offsets", format_offsets(after)},
                 {"weir.lists", taken}};
    return std::optional{std::move(r)};
  }

  // Lists no commit will take (their range is committed by others): a
  // worker died after writing them, before its checkpoint. Their files that
  // no snapshot holds are deleted.
  expected<void> drop_aborted(table& t) {
    std::vector<pending_list> stale;
    std::set<std::string> taken;
    for (const auto& l : chosen)
      taken.insert(pending_key(cfg, req.identity, l));
    for (const auto& [p, ls] : lists)
      for (const auto& l : ls)
        if (auto c = after.find(p); c != after.end() && l.next <= c->second
                                    && !taken.contains(pending_key(cfg, req.identity, l)))
          stale.push_back(l);
    if (stale.empty())
      return {};
    // Leftovers of a commit that crashed before deleting its lists: only
    // the list object goes.
    const auto committed = committed_lists(t.metadata(), req.identity);
    std::erase_if(stale, [&](const pending_list& l) {
      if (!committed.contains({l.partition, l.round}))
        return false;
      (void)s3.delete_object(cfg.bucket, pending_key(cfg, req.identity, l));
      return true;
    });
    if (stale.empty())
      return {};
    auto live = t.live_files();
    if (!live)
      return live.failure();
    for (const auto& l : stale) {
      auto files = files_of(l);
      if (!files)
        return files.failure();
      for (const auto& f : **files)
        if (!live->contains(f.file_path) && t.remove(f.file_path))
          ++out.aborted_files;
      if (auto ok = s3.delete_object(cfg.bucket, pending_key(cfg, req.identity, l)); !ok)
        return ok;
    }
    WEIR_INFO("job {}: dropped {} aborted pending list(s) and {} uncommitted data file(s)",
              spec.name, stale.size(), out.aborted_files);
    return {};
  }
};

} // namespace

expected<commit_outcome> commit_once(const jobs::job_spec& spec, const commit_request& req) {
  const auto started = std::chrono::steady_clock::now();
  auto cfg = table_config_of(spec);
  if (!cfg)
    return cfg.failure();
  auto s3 = s3::client::make(s3_config_from_env());
  if (!s3)
    return s3.failure();
  committer c{spec, req, std::move(*cfg), std::move(*s3), {}, {}, {}, {}, {}};
  auto catalog = sql_catalog::make(c.cfg.catalog_url);
  if (!catalog)
    return catalog.failure();
  auto t = table::open(c.cfg, c.s3, *catalog);
  if (!t)
    return t.failure();
  if (auto ok = c.list_pending(); !ok)
    return ok.failure();
  auto snap = t->commit([&](const iceberg::table_metadata& m, auto&) { return c.plan(m); });
  if (!snap)
    return snap.failure();
  c.out.snapshot = *snap;
  if (*snap) {
    for (const auto& l : c.chosen) {
      auto files = c.files_of(l);
      c.out.files += files ? (*files)->size() : 0;
      if (files)
        for (const auto& f : **files)
          c.out.rows += static_cast<std::size_t>(f.record_count);
      (void)c.s3.delete_object(c.cfg.bucket, pending_key(c.cfg, req.identity, l));
    }
    c.out.lists = c.chosen.size();
  } else {
    c.after = committed_offsets(t->metadata(), req.identity);
  }
  if (auto ok = c.drop_aborted(*t); !ok)
    WEIR_WARN("job {}: aborted pending lists stay for now: {}", spec.name, ok.error_message());
  // Every sixth round, or when nothing new came: small files into larger.
  if (req.round % 6 == 0 || !c.out.snapshot) {
    const auto budget = 2 * static_cast<std::int64_t>(c.cfg.target_file_bytes);
    if (auto done = compact(*t, c.cfg, req.identity, budget); done) {
      c.out.compacted_files = done->files_in;
      c.out.compacted = done->files_out > 0;
    } else {
      WEIR_WARN("job {}: compaction failed, tried again later: {}", spec.name,
                done.error_message());
    }
  }
  if (auto gone = t->expire(c.cfg.snapshots_kept, now_ms()); gone)
    c.out.expired_files = *gone;
  else
    WEIR_WARN("job {}: snapshot expiry failed, tried again next commit: {}", spec.name,
              gone.error_message());
  if (req.sweep_before_ms) {
    if (auto swept = sweep_orphans(*t, c.cfg, c.s3, *req.sweep_before_ms); swept) {
      c.out.swept = true;
      c.out.orphan_files = swept->deleted + swept->metadata_deleted;
      WEIR_INFO("job {}: orphan sweep: {}", spec.name, describe(*swept));
    } else {
      WEIR_WARN("job {}: orphan sweep failed, tried again later: {}", spec.name,
                swept.error_message());
    }
  }
  c.out.snapshots = static_cast<std::int64_t>(t->metadata().snapshots.size());
  c.out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return c.out;
}

} // namespace weir::lake
