// Cluster secret: challenge-response proofs so that only processes holding the
// secret join the cluster or control it, and members know they reached the
// real coordinator. The secret itself never crosses the network.
#pragma once

#include "base/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace weir::auth {

// Reads a secret file (surrounding whitespace dropped). Refuses an empty file,
// and warns when group or others may read it.
expected<std::string> read_secret_file(const std::string& path);

// 32 random bytes as hex, from OpenSSL's CSPRNG.
std::string make_nonce();

// Who proves: the two directions get different proofs, so one can never be
// replayed as the other.
enum class role { member, coordinator };

// hex(HMAC-SHA256(secret, role \n nonce \n node)). `node` is the prover's CAF
// node id as text, which binds the proof to the connection's peer.
std::string proof(std::string_view secret, role who, std::string_view nonce, std::string_view node);

// Constant-time check of `claimed` against the expected proof.
bool verify(std::string_view secret, role who, std::string_view nonce, std::string_view node,
            std::string_view claimed);

// What a moved partition's former owner ships to its new owner, and who sends
// it (the sender's CAF node id as text).
struct handoff_fields {
  std::string_view job;
  std::string_view node;
  std::int32_t partition = 0;
  std::int64_t offset = 0;
  std::int64_t released_at_ms = 0;
  std::string_view state;
};

// hex(HMAC-SHA256(secret, "weir-handoff" and every field)): a worker takes
// shipped state only from a holder of the cluster secret, and only as sent.
// Empty without a secret (an open cluster).
std::string handoff_proof(std::string_view secret, const handoff_fields& h);

// True without a secret; otherwise a constant-time check of `claimed`.
bool verify_handoff(std::string_view secret, const handoff_fields& h, std::string_view claimed);

// The bearer token of the coordinator's HTTP API: hex(HMAC-SHA256(secret,
// "weir-http-token")). Whoever holds the secret can derive it (`weir token`);
// it proves nothing else, so it serves HTTP only.
std::string http_token(std::string_view secret);

// Constant-time check of an `Authorization: Bearer` value against it.
bool verify_http_token(std::string_view secret, std::string_view claimed);

// A process's answer to a coordinator's challenge: its proof over the
// coordinator's nonce (empty when it has no secret), or an error when it has a
// secret and the coordinator did not prove holding the same one.
expected<std::string> answer(std::string_view secret, bool required, std::string_view nonce,
                             std::string_view coordinator_proof, std::string_view my_nonce,
                             std::string_view coordinator_node, std::string_view my_node);

} // namespace weir::auth
