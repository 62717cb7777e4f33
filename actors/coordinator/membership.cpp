#include "actors/coordinator/membership.hpp"

#include "runtime/auth.hpp"

namespace weir::coordinator {

bool membership::join(const std::string& name, worker_info info) {
  const bool rejoined = members_.count(name) > 0;
  members_[name] = member{std::move(info), false, 0, {}, -1};
  return rejoined;
}

void membership::leave(const std::string& name) {
  members_.erase(name);
}

const member* membership::find(const std::string& name) const {
  auto it = members_.find(name);
  return it == members_.end() ? nullptr : &it->second;
}

drain_reply membership::drain(const std::string& name, bool jobs_run) {
  auto it = members_.find(name);
  if (it == members_.end())
    return {name, "no worker '" + name + "'", refusal::not_found};
  bool others = false;
  for (const auto& [other, m] : members_)
    others |= other != name && !m.draining;
  if (!others && jobs_run)
    return {name,
            "worker '" + name
              + "' is the last one not draining: its partitions have "
                "nowhere to go",
            refusal::conflict};
  it->second.draining = true;
  return {name, {}};
}

std::vector<std::string> membership::placeable() const {
  auto names = serving();
  if (names.empty())
    for (const auto& [name, m] : members_)
      names.push_back(name);
  return names;
}

std::vector<std::string> membership::serving() const {
  std::vector<std::string> names;
  for (const auto& [name, m] : members_)
    if (!m.draining)
      names.push_back(name);
  return names;
}

void membership::take_report(const std::string& name, worker_report report, std::int64_t now_ms) {
  auto it = members_.find(name);
  if (it == members_.end())
    return;
  auto& m = it->second;
  if (m.last_report_ms > 0 && now_ms > m.last_report_ms)
    m.cpu_percent = 100 * (report.cpu_seconds - m.report.cpu_seconds) * 1000
                    / static_cast<double>(now_ms - m.last_report_ms);
  m.report = std::move(report);
  m.last_report_ms = now_ms;
}

auth_challenge admission::challenge(const std::string& node, const std::string& their_nonce,
                                    const std::string& own_node) {
  auth_challenge ch;
  ch.required = !open();
  if (!ch.required)
    return ch;
  if (challenges_.size() >= max_pending_challenges)
    challenges_.clear(); // abandoned handshakes; live ones just retry
  ch.nonce = auth::make_nonce();
  ch.proof = auth::proof(secret_, auth::role::coordinator, their_nonce, own_node);
  challenges_[node] = ch.nonce;
  return ch;
}

admission::verdict admission::prove(const std::string& node, const std::string& proof,
                                    clock::time_point now) {
  if (open())
    return verdict::admitted;
  auto challenge = challenges_.find(node);
  if (challenge == challenges_.end())
    return verdict::no_challenge;
  auto nonce = std::move(challenge->second);
  challenges_.erase(challenge);
  if (!auth::verify(secret_, auth::role::member, nonce, node, proof))
    return proof.empty() ? verdict::no_secret : verdict::wrong_secret;
  admitted_[node] = now + client_admission;
  return verdict::admitted;
}

void admission::admit_member(const std::string& node) {
  if (!open())
    admitted_[node] = clock::time_point::max();
}

void admission::forget(const std::string& node) {
  admitted_.erase(node);
}

bool admission::admits(const std::string& node, clock::time_point now) {
  if (open())
    return true;
  auto it = admitted_.find(node);
  if (it == admitted_.end())
    return false;
  if (it->second > now)
    return true;
  admitted_.erase(it);
  return false;
}

std::string_view to_string(admission::verdict v) {
  switch (v) {
    case admission::verdict::admitted: return "admitted";
    case admission::verdict::no_challenge: return "it answered no challenge";
    case admission::verdict::no_secret: return "it has no cluster secret";
    case admission::verdict::wrong_secret: return "wrong cluster secret";
  }
  return "?";
}

} // namespace weir::coordinator
