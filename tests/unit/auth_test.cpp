#include "runtime/auth.hpp"

#include <gtest/gtest.h>

#include <unistd.h>
#include <cstdio>
#include <fstream>

using namespace weir::auth;

namespace {

const std::string secret = "s3cr3t";
const std::string member_node = "member-node";
const std::string coord_node = "coordinator-node";

} // namespace

TEST(Auth, ProofsBindSecretRoleNonceAndNode) {
  EXPECT_EQ(proof("Jefe", role::member, "", "").size(), 64u);
  EXPECT_NE(proof("Jefe", role::member, "a", "b"), proof("Jefe", role::member, "a", "c"));
  EXPECT_NE(proof("Jefe", role::member, "a", "b"), proof("Jefe", role::coordinator, "a", "b"));
  EXPECT_NE(proof("Jefe", role::member, "a", "b"), proof("Jeff", role::member, "a", "b"));
  // The frame is unambiguous: moving the separator changes the proof.
  EXPECT_NE(proof("k", role::member, "ab", "c"), proof("k", role::member, "a", "bc"));
}

TEST(Auth, ProofIsHmacSha256OverRoleNonceAndNode) {
  // Independent reference: Python's hmac over the documented framing.
  EXPECT_EQ(proof("Jefe", role::member, "n0nce", "node-1"),
            "c065baab57ae9312cdf7151fc9fce73038cc79453bbd651372248298fb198d0a");
  EXPECT_EQ(proof("Jefe", role::coordinator, "n0nce", "node-1"),
            "06b5cc0776d49d026968df33b40722d00c33b9a70909bb472be5284e84ac78e5");
}

TEST(Auth, VerifyAcceptsOnlyTheRightProof) {
  auto nonce = make_nonce();
  auto p = proof(secret, role::member, nonce, member_node);
  EXPECT_TRUE(verify(secret, role::member, nonce, member_node, p));
  EXPECT_FALSE(verify(secret, role::member, nonce, "other-node", p));
  EXPECT_FALSE(verify(secret, role::member, make_nonce(), member_node, p));
  EXPECT_FALSE(verify("other", role::member, nonce, member_node, p));
  EXPECT_FALSE(verify(secret, role::coordinator, nonce, member_node, p));
  EXPECT_FALSE(verify(secret, role::member, nonce, member_node, ""));
  EXPECT_FALSE(verify(secret, role::member, nonce, member_node, p.substr(1)));
}

TEST(Auth, NoncesDiffer) {
  auto a = make_nonce(), b = make_nonce();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_NE(a, b);
}

TEST(Auth, AnswerChecksTheCoordinatorFirst) {
  auto my_nonce = make_nonce(), their_nonce = make_nonce();
  auto coord_proof = proof(secret, role::coordinator, my_nonce, coord_node);
  auto ok = answer(secret, true, their_nonce, coord_proof, my_nonce, coord_node, member_node);
  ASSERT_TRUE(ok) << ok.error_message();
  EXPECT_TRUE(verify(secret, role::member, their_nonce, member_node, *ok));
  // A coordinator without the secret, or one claiming none, is not trusted.
  auto forged = proof("guess", role::coordinator, my_nonce, coord_node);
  EXPECT_FALSE(answer(secret, true, their_nonce, forged, my_nonce, coord_node, member_node));
  EXPECT_FALSE(answer(secret, false, their_nonce, "", my_nonce, coord_node, member_node));
  // A member's proof replayed as the coordinator's is rejected.
  auto replayed = proof(secret, role::member, my_nonce, coord_node);
  EXPECT_FALSE(answer(secret, true, their_nonce, replayed, my_nonce, coord_node, member_node));
  // Without a secret there is nothing to prove.
  auto none = answer("", true, their_nonce, "", my_nonce, coord_node, member_node);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, "");
}

TEST(Auth, SecretFile) {
  char path[] = "/tmp/weir-secret-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << "  abc123\n";
  auto s = read_secret_file(path);
  ASSERT_TRUE(s) << s.error_message();
  EXPECT_EQ(*s, "abc123");
  std::ofstream(path) << " \n";
  auto empty = read_secret_file(path);
  ASSERT_FALSE(empty);
  EXPECT_NE(empty.error_message().find("empty"), std::string::npos);
  std::remove(path);
  auto missing = read_secret_file(path);
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error_message().find(path), std::string::npos);
}

TEST(Auth, HandoffProofIsHmacSha256OverEveryField) {
  const std::string state = std::string{"\x01\x02"} + "state";
  handoff_fields h{"bets", "node-a", 3, 1234, 1700000000000, state};
  // Independent reference: Python's hmac over the same framing.
  EXPECT_EQ(handoff_proof(secret, h),
            "fddb718ec90ba53f4a3f6b48a38e84421ce29ba95a727eac56eafcbcd0b1a9e3");
  const auto p = handoff_proof(secret, h);
  EXPECT_TRUE(verify_handoff(secret, h, p));
  EXPECT_FALSE(verify_handoff("other", h, p));
  EXPECT_FALSE(verify_handoff(secret, h, ""));
  auto changed = [&](auto edit) {
    auto g = h;
    edit(g);
    return !verify_handoff(secret, g, p);
  };
  EXPECT_TRUE(changed([](handoff_fields& g) { g.job = "betz"; }));
  EXPECT_TRUE(changed([](handoff_fields& g) { g.node = "node-b"; }));
  EXPECT_TRUE(changed([](handoff_fields& g) { g.partition = 4; }));
  EXPECT_TRUE(changed([](handoff_fields& g) { g.offset = 1235; }));
  EXPECT_TRUE(changed([](handoff_fields& g) { g.released_at_ms = 0; }));
  const std::string tampered = std::string{"\x01\x03"} + "state";
  EXPECT_TRUE(changed([&](handoff_fields& g) { g.state = tampered; }));
  // Field boundaries count: the same bytes split differently differ.
  EXPECT_NE(handoff_proof(secret, {"ab", "c", 0, 0, 0, ""}),
            handoff_proof(secret, {"a", "bc", 0, 0, 0, ""}));
}

TEST(Auth, AnOpenClusterNeitherSignsNorChecksHandoffs) {
  handoff_fields h{"bets", "node-a", 0, 0, 0, "state"};
  EXPECT_EQ(handoff_proof("", h), "");
  EXPECT_TRUE(verify_handoff("", h, ""));
}
