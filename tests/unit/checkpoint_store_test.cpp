#include "runtime/checkpoint_store.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

using namespace weir;

namespace {

struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    char tmpl[] = "/tmp/weir-store-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~temp_dir() { std::filesystem::remove_all(path); }
};

} // namespace

TEST(CheckpointStore, FileRoundTripListAndPrune) {
  temp_dir dir;
  auto store = checkpoint_store::open("file://" + dir.path.string());
  ASSERT_TRUE(store) << store.error_message();
  auto& s = **store;
  for (int i = 1; i <= 5; ++i)
    ASSERT_TRUE(s.put("job/p0/" + std::to_string(i) + ".ckpt", std::string(i, 'x')));
  ASSERT_TRUE(s.put("job/p1/1.ckpt", "other"));
  auto got = s.get("job/p0/3.ckpt");
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, "xxx");
  auto keys = s.list("job/p0/");
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->size(), 5u);
  // The coordinator still points to round 2: it and what follows stay.
  ASSERT_TRUE(prune(s, "job/p0/", 2, "job/p0/2.ckpt"));
  keys = s.list("job/p0/");
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, (std::vector<std::string>{"job/p0/2.ckpt", "job/p0/3.ckpt", "job/p0/4.ckpt",
                                             "job/p0/5.ckpt"}));
  ASSERT_TRUE(prune(s, "job/p0/", 2, "job/p0/5.ckpt"));
  keys = s.list("job/p0/");
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, (std::vector<std::string>{"job/p0/4.ckpt", "job/p0/5.ckpt"}));
  EXPECT_TRUE(s.get("job/p1/1.ckpt")) << "other partitions untouched";
  EXPECT_FALSE(s.get("job/p0/1.ckpt"));
}

TEST(CheckpointStore, OverwriteIsWholeAndLeavesNoTemporaries) {
  temp_dir dir;
  auto store = checkpoint_store::open("file://" + dir.path.string());
  ASSERT_TRUE(store);
  ASSERT_TRUE((*store)->put("state", std::string(100000, 'a')));
  ASSERT_TRUE((*store)->put("state", "b"));
  EXPECT_EQ(*(*store)->get("state"), "b");
  auto keys = (*store)->list("");
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, std::vector<std::string>{"state"});
}

TEST(CheckpointStore, RejectsBadUrls) {
  auto bad = checkpoint_store::open("file://relative/dir");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error_message(),
            "checkpoint store 'file://relative/dir': file:// needs an absolute path");
  bad = checkpoint_store::open("ftp://x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error_message(),
            "checkpoint store 'ftp://x': expected file:///dir or s3://bucket/prefix");
}

// Other workers write beside a listing: a partition's list walks only its
// folder, skips their half-written .tmp files, and a folder not there yet
// is an empty list.
TEST(CheckpointStore, FileListStaysInItsFolder) {
  temp_dir dir;
  auto store = checkpoint_store::open("file://" + dir.path.string());
  ASSERT_TRUE(store);
  auto& s = **store;
  ASSERT_TRUE(s.put("job/p2/1.ckpt", "a"));
  ASSERT_TRUE(s.put("job/p1/1.ckpt", "b"));
  ASSERT_TRUE(s.put("job2/p2/1.ckpt", "c"));
  { std::ofstream{dir.path / "job/p2/2.ckpt.tmp"} << "half"; }
  auto keys = s.list("job/p2/");
  ASSERT_TRUE(keys) << keys.error_message();
  EXPECT_EQ(*keys, std::vector<std::string>{"job/p2/1.ckpt"});
  auto none = s.list("job/p9/");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}
