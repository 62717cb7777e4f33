#include "runtime/auth.hpp"

#include "runtime/logging.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <sys/stat.h>

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
  struct stat st{};
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
  std::string msg = who == role::member ? "weir-member\n" : "weir-coordinator\n";
  msg.append(nonce).append("\n").append(node);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(msg.data()), msg.size(), mac, &len);
  return to_hex(mac, len);
}

bool verify(std::string_view secret, role who, std::string_view nonce, std::string_view node,
            std::string_view claimed) {
  auto want = proof(secret, who, nonce, node);
  return claimed.size() == want.size()
         && CRYPTO_memcmp(claimed.data(), want.data(), want.size()) == 0;
}

std::string handoff_proof(std::string_view secret, const handoff_fields& h) {
  if (secret.empty())
    return {};
  // Incremental, so that megabytes of state are not copied into one message.
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  EVP_MAC_CTX* ctx = hmac ? EVP_MAC_CTX_new(hmac) : nullptr;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0),
                         OSSL_PARAM_construct_end()};
  auto cleanup = [&] {
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(hmac);
  };
  if (ctx == nullptr
      || EVP_MAC_init(ctx, reinterpret_cast<const unsigned char*>(secret.data()), secret.size(),
                      params)
           != 1) {
    cleanup();
    throw std::runtime_error("OpenSSL's HMAC failed");
  }
  auto add = [ctx](std::string_view part) {
    EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part.data()), part.size());
  };
  // Lengths and numbers first: no two field sequences give the same input.
  std::string head = "weir-handoff\n" + std::to_string(h.job.size()) + " "
                     + std::to_string(h.node.size()) + " " + std::to_string(h.state.size()) + " "
                     + std::to_string(h.partition) + " " + std::to_string(h.offset) + " "
                     + std::to_string(h.released_at_ms) + "\n";
  add(head);
  add(h.job);
  add(h.node);
  add(h.state);
  unsigned char mac[EVP_MAX_MD_SIZE];
  size_t len = 0;
  const bool ok = EVP_MAC_final(ctx, mac, &len, sizeof mac) == 1;
  cleanup();
  if (!ok)
    throw std::runtime_error("OpenSSL's HMAC failed");
  return to_hex(mac, len);
}

bool verify_handoff(std::string_view secret, const handoff_fields& h, std::string_view claimed) {
  if (secret.empty())
    return true;
  auto want = handoff_proof(secret, h);
  return claimed.size() == want.size()
         && CRYPTO_memcmp(claimed.data(), want.data(), want.size()) == 0;
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

} // namespace weir::auth
