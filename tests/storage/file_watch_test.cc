// FileWatch: quiet until a watched open file is written, truncated or has
// its attributes changed, and then for good.
#include "storage/file_watch.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "testing/test_util.h"

namespace libsearch::internal {
namespace {

using ::libsearch::testing::TempDir;
using ::libsearch::testing::WriteFile;

class FileWatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"a", "b"}) {
      WriteFile(dir_.File(name), "some bytes");
      fds_.push_back(::open(dir_.File(name).c_str(), O_RDONLY | O_CLOEXEC));
      ASSERT_GE(fds_.back(), 0);
    }
    watch_ = FileWatch::Create(fds_);
    ASSERT_NE(watch_, nullptr) << "inotify is unavailable here";
  }
  void TearDown() override {
    for (const int fd : fds_) ::close(fd);
  }
  TempDir dir_;
  std::vector<int> fds_;
  std::unique_ptr<FileWatch> watch_;
};

TEST_F(FileWatchTest, QuietUntilAWriteAndThenForGood) {
  EXPECT_TRUE(watch_->Quiet());
  EXPECT_TRUE(watch_->Quiet());
  const int w = ::open(dir_.File("b").c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  ASSERT_GE(w, 0);
  ASSERT_EQ(::write(w, "x", 1), 1);
  ::close(w);
  EXPECT_FALSE(watch_->Quiet());
  EXPECT_FALSE(watch_->Quiet());  // The event was read; the answer stays.
}

TEST_F(FileWatchTest, TruncationAndTouchAreChanges) {
  ASSERT_EQ(::truncate(dir_.File("a").c_str(), 3), 0);
  EXPECT_FALSE(watch_->Quiet());
  auto again = FileWatch::Create(fds_);
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->Quiet());
  ASSERT_EQ(::utimensat(AT_FDCWD, dir_.File("b").c_str(), nullptr, 0), 0);  // touch
  EXPECT_FALSE(again->Quiet());
}

// Only the watched files count; unlinking one changes its link count, an
// attribute: reported, for the caller's fstat to tell it is the same file.
TEST_F(FileWatchTest, OtherFilesAreNotWatchedUnlinkIsReported) {
  WriteFile(dir_.File("c"), "other bytes");
  WriteFile(dir_.File("c"), "written again");
  EXPECT_TRUE(watch_->Quiet());
  ASSERT_EQ(::unlink(dir_.File("a").c_str()), 0);
  EXPECT_FALSE(watch_->Quiet());
}

// Watches of one process share an inotify instance, and a file watched
// twice is one watch: dropping one watcher leaves the other's in place.
TEST_F(FileWatchTest, AFileWatchedTwiceStaysWatchedWhenOneWatchGoes) {
  {
    auto other = FileWatch::Create(fds_);
    ASSERT_NE(other, nullptr);
    EXPECT_TRUE(other->Quiet());
  }
  EXPECT_TRUE(watch_->Quiet());
  ASSERT_EQ(::truncate(dir_.File("b").c_str(), 1), 0);
  EXPECT_FALSE(watch_->Quiet());
}

}  // namespace
}  // namespace libsearch::internal
