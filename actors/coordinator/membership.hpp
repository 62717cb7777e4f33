// Who is in the cluster: the workers (joined, draining, their latest
// report) and, with a cluster secret, which processes proved it.
#pragma once

#include "runtime/report.hpp"
#include "runtime/wire.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace weir::coordinator {

struct member {
  worker_info info;
  bool draining = false;           // gets no partitions; leaves once it holds none
  std::int64_t last_report_ms = 0; // wall clock; 0: none yet
  worker_report report;            // its latest (runtime/report.hpp)
  double cpu_percent = -1;         // between its last two reports; -1: not yet
};

class membership {
public:
  // A worker joins, or rejoins (true: it was a member, now with `info`).
  bool join(const std::string& name, worker_info info);
  void leave(const std::string& name);

  bool contains(const std::string& name) const { return members_.count(name) > 0; }
  const member* find(const std::string& name) const;
  const std::map<std::string, member>& all() const { return members_; }
  bool empty() const { return members_.empty(); }

  // Starts draining `name`; refused when it is no member, or the last one
  // not draining while jobs run (its partitions would have nowhere to go).
  drain_reply drain(const std::string& name, bool jobs_run);

  // Where partitions go: the members not draining; if only draining ones are
  // left (the others died), all of them, rather than leave partitions unowned.
  std::vector<std::string> placeable() const;
  // The members not draining, by name: they probe stores and run scheduled jobs.
  std::vector<std::string> serving() const;

  // Keeps `name`'s latest report; its CPU share is the CPU time between its
  // last two reports over the wall time between them.
  void take_report(const std::string& name, worker_report report, std::int64_t now_ms);

private:
  std::map<std::string, member> members_; // live, by name
};

// With a cluster secret, every process proves it holds the secret before
// anything else from it is accepted (runtime/auth.hpp). Processes are known
// by their CAF node id as text.
class admission {
public:
  using clock = std::chrono::steady_clock;
  // How long a client that proved the secret stays admitted: its one request.
  static constexpr std::chrono::seconds client_admission{60};

  explicit admission(std::string secret = {}) : secret_(std::move(secret)) {}

  // No secret: every process is admitted.
  bool open() const { return secret_.empty(); }

  // Answers `node`'s hello: the coordinator's proof over the process's nonce
  // and a nonce of its own for the process to prove the secret with.
  auth_challenge challenge(const std::string& node, const std::string& their_nonce,
                           const std::string& own_node);

  enum class verdict { admitted, no_challenge, no_secret, wrong_secret };
  // The process's proof over the nonce it was given; admitted for a minute.
  verdict prove(const std::string& node, const std::string& proof, clock::time_point now);

  // A registered worker stays admitted until it is forgotten (lost).
  void admit_member(const std::string& node);
  void forget(const std::string& node);

  // Whether `node` proved the secret (and is still admitted at `now`).
  bool admits(const std::string& node, clock::time_point now);

private:
  static constexpr std::size_t max_pending_challenges = 4096;
  std::string secret_;
  std::map<std::string, std::string> challenges_; // nonce handed to each process
  // Processes that proved the secret, until when.
  std::map<std::string, clock::time_point> admitted_;
};

std::string_view to_string(admission::verdict v);

} // namespace weir::coordinator
