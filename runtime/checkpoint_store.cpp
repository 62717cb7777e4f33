#include "runtime/checkpoint_store.hpp"

#include "lib/s3/client.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace weir {

namespace {

namespace fs = std::filesystem;

class file_store final : public checkpoint_store {
public:
  explicit file_store(fs::path root) : root_(std::move(root)) {}

  expected<void> put(const std::string& key, std::string_view bytes) override {
    const auto path = root_ / key;
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec)
      return error{"checkpoint store: mkdir " + path.parent_path().string() + ": " + ec.message()};
    // Write a temporary file, fsync it, rename over the key: readers never see
    // half a checkpoint, and a crash leaves at most a stray .tmp file.
    const auto tmp = path.string() + ".tmp";
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
      return error{"checkpoint store: open " + tmp + ": " + std::strerror(errno)};
    size_t done = 0;
    while (done < bytes.size()) {
      auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0) {
        auto why = std::string{std::strerror(errno)};
        ::close(fd);
        return error{"checkpoint store: write " + tmp + ": " + why};
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0)
      return error{"checkpoint store: fsync " + tmp + ": " + std::strerror(errno)};
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      return error{"checkpoint store: rename " + tmp + ": " + std::strerror(errno)};
    return {};
  }

  expected<std::string> get(const std::string& key) override {
    std::ifstream in{root_ / key, std::ios::binary};
    if (!in)
      return error{"checkpoint store: no " + (root_ / key).string()};
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
  }

  expected<std::vector<std::string>> list(const std::string& prefix) override {
    // Only the prefix's folder: other partitions' and jobs' files are not
    // walked. Nothing here may throw, and other workers write and rename
    // files meanwhile, so keys are cut lexically, every file query takes an
    // error code, and a walk something vanished under is walked again.
    const auto slash = prefix.rfind('/');
    const auto dir = slash == std::string::npos ? root_ : root_ / prefix.substr(0, slash);
    std::vector<std::string> keys;
    std::error_code ec;
    for (int attempt = 0;; ++attempt) {
      keys.clear();
      ec.clear();
      if (!fs::is_directory(dir, ec)) {
        if (!ec || ec == std::errc::no_such_file_or_directory)
          return keys; // nothing stored under the prefix yet
        break;
      }
      for (auto it = fs::recursive_directory_iterator(dir, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        std::error_code file_ec;
        if (!it->is_regular_file(file_ec))
          continue;
        auto key = it->path().lexically_relative(root_).generic_string();
        if (key.rfind(prefix, 0) == 0 && !key.ends_with(".tmp"))
          keys.push_back(std::move(key));
      }
      if (!ec || ec != std::errc::no_such_file_or_directory || attempt == 3)
        break;
    }
    if (ec)
      return error{"checkpoint store: list " + dir.string() + ": " + ec.message()};
    std::sort(keys.begin(), keys.end());
    return keys;
  }

  expected<void> remove(const std::string& key) override {
    std::error_code ec;
    fs::remove(root_ / key, ec);
    if (ec)
      return error{"checkpoint store: remove " + key + ": " + ec.message()};
    return {};
  }

private:
  fs::path root_;
};

} // namespace

// runtime/checkpoint_s3.cpp
expected<std::unique_ptr<checkpoint_store>> open_s3_store(const std::string& bucket,
                                                          const std::string& prefix);

expected<std::unique_ptr<checkpoint_store>> checkpoint_store::open(const std::string& url) {
  if (url.rfind("file://", 0) == 0) {
    auto dir = url.substr(7);
    if (dir.empty() || dir[0] != '/')
      return error{"checkpoint store '" + url + "': file:// needs an absolute path"};
    return std::unique_ptr<checkpoint_store>{std::make_unique<file_store>(dir)};
  }
  if (url.rfind("s3://", 0) == 0) {
    auto parts = s3::split_url(url);
    if (!parts)
      return error{"checkpoint store '" + url + "': s3:// needs a bucket"};
    return open_s3_store(parts->bucket, parts->key);
  }
  return error{"checkpoint store '" + url + "': expected file:///dir or s3://bucket/prefix"};
}

expected<void> prune(checkpoint_store& store, const std::string& prefix, size_t retain,
                     const std::string& keep_from) {
  auto keys = store.list(prefix);
  if (!keys)
    return keys.failure();
  for (size_t i = 0; i + retain < keys->size() && (*keys)[i] < keep_from; ++i)
    if (auto ok = store.remove((*keys)[i]); !ok)
      return ok;
  return {};
}

} // namespace weir
