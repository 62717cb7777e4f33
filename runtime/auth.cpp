#include "runtime/auth.hpp"

#include "base/logging.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <sys/stat.h>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <stdexcept>

WEIR_LOG_MODULE("auth");

namespace weir::auth {

namespace {

std::string to_hex(const unsigned char* data, size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xf];
  }
  return out;
}

// hex(HMAC-SHA256(secret, the concatenation of `parts`)), fed part by part so
// that megabytes of state are not copied into one message.
std::string hmac_hex(std::string_view secret, std::initializer_list<std::string_view> parts) {
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = hmac ? EVP_MAC_CTX_new(hmac) : nullptr;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                         OSSL_PARAM_construct_end()};
  bool ok = ctx != nullptr
            && EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()),
                            secret.size(), params)
                 == 1;
  for (auto part : parts)
    ok =
      ok
      && EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size()) == 1;
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t len = 0;
  ok = ok && EVP_MAC_final(ctx, mac, &len, sizeof mac) == 1;
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(hmac);
  if (!ok)
    throw std::runtime_error("OpenSSL's HMAC failed");
  return to_hex(mac, len);
}

bool same_proof(std::string_view claimed, std::string_view want) {
  return claimed.size() == want.size()
         && CRYPTO_memcmp(claimed.data(), want.data(), want.size()) == 0;
}

} // namespace

expected<std::string> read_secret_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return error{"cannot read the secret file " + path};
  std::stringstream buf;
  buf << in.rdbuf();
  auto text = buf.str();
  const auto* ws = " \t\r\n";
  auto first = text.find_first_not_of(ws);
  if (first == std::string::npos)
    return error{"the secret file " + path + " is empty"};
  text = text.substr(first, text.find_last_not_of(ws) - first + 1);
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)))
    WEIR_WARN("the secret file {} may be read by other users (chmod 600 it)", path);
  return text;
}

std::string make_nonce() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof bytes) != 1)
    throw std::runtime_error("OpenSSL's random generator failed");
  return to_hex(bytes, sizeof bytes);
}

std::string proof(std::string_view secret, role who, std::string_view nonce,
                  std::string_view node) {
  return hmac_hex(secret, {who == role::member ? "weir-member\n" : "weir-coordinator\n", nonce,
                           "\n", node});
}

bool verify(std::string_view secret, role who, std::string_view nonce, std::string_view node,
            std::string_view claimed) {
  return same_proof(claimed, proof(secret, who, nonce, node));
}

std::string handoff_proof(std::string_view secret, const handoff_fields& h) {
  if (secret.empty())
    return {};
  // Lengths and numbers first: no two field sequences give the same input.
  const std::string head = "weir-handoff\n" + std::to_string(h.job.size()) + " "
                           + std::to_string(h.node.size()) + " " + std::to_string(h.state.size())
                           + " " + std::to_string(h.partition) + " " + std::to_string(h.offset)
                           + " " + std::to_string(h.released_at_ms) + "\n";
  return hmac_hex(secret, {head, h.job, h.node, h.state});
}

bool verify_handoff(std::string_view secret, const handoff_fields& h, std::string_view claimed) {
  return secret.empty() || same_proof(claimed, handoff_proof(secret, h));
}

expected<std::string> answer(std::string_view secret, bool required, std::string_view nonce,
                             std::string_view coordinator_proof, std::string_view my_nonce,
                             std::string_view coordinator_node, std::string_view my_node) {
  if (secret.empty())
    return std::string{};
  if (!required)
    return error{"the coordinator runs without a cluster secret, but this process has one: "
                 "refusing to trust it"};
  if (!verify(secret, role::coordinator, my_nonce, coordinator_node, coordinator_proof))
    return error{"the coordinator's proof does not match this process's cluster secret (a "
                 "different --secret-file on either side, or not the real coordinator): "
                 "refusing to trust it"};
  return proof(secret, role::member, nonce, my_node);
}

std::string http_token(std::string_view secret) {
  return hmac_hex(secret, {"weir-http-token"});
}

bool verify_http_token(std::string_view secret, std::string_view claimed) {
  return same_proof(claimed, http_token(secret));
}

} // namespace weir::auth
