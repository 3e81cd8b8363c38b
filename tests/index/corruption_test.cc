// A damaged index file is refused at open or reported by Verify(), and
// searching it never crashes (this suite runs under ASan + UBSan in CI).
#include <gtest/gtest.h>

#include <random>

#include "testing/test_util.h"

namespace libsearch {
namespace {

using testing::TempDir;

class CorruptionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    auto schema = Schema::FromFile(testing::SourcePath("examples/products/schema.json"));
    ASSERT_TRUE(schema.ok());
    ASSERT_OK(
        testing::BuildIndex(*schema, testing::FirstBundledProducts(600), dir_->File("good.idx")));
    good_ = new std::string(testing::ReadFile(dir_->File("good.idx")));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete good_;
  }

  // Runs queries that touch postings (incl. multi-block lists), positions,
  // norms and the doc store. Returns the first error, or OK.
  static Status Exercise(const Index& index) {
    for (const char* q : {"sugar", "salt OR water", "\"wheat flour\"", "milk -chocolate",
                          "barcode:0000000018555", "is_healthy:true", ""}) {
      SearchRequest req;
      req.query = q;
      req.k = 20;
      auto resp = index.Search(req);
      if (!resp.ok()) return resp.status();
    }
    return Status::Ok();
  }

  static TempDir* dir_;
  static std::string* good_;
};
TempDir* CorruptionTest::dir_ = nullptr;
std::string* CorruptionTest::good_ = nullptr;

TEST_F(CorruptionTest, IntactFileVerifiesAndSearches) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("good.idx")));
  EXPECT_OK(index->Verify());
  EXPECT_OK(Exercise(*index));
}

TEST_F(CorruptionTest, TruncatedFileIsRefusedAtOpen) {
  for (size_t size :
       {size_t{0}, size_t{10}, size_t{63}, size_t{64}, good_->size() / 2, good_->size() - 1}) {
    const std::string path = dir_->File("truncated.idx");
    testing::WriteFile(path, good_->substr(0, size));
    auto index = Index::Open(path);
    ASSERT_FALSE(index.ok()) << size;
    EXPECT_EQ(index.status().code(), StatusCode::kCorruption) << index.status().ToString();
    EXPECT_NE(index.status().message().find(path), std::string::npos);
  }
}

TEST_F(CorruptionTest, EveryBitFlipIsCaughtAndNeverCrashes) {
  std::mt19937_64 rng(2026);
  int refused_at_open = 0, caught_by_verify = 0, search_errors = 0;
  const int kFlips = 400;
  for (int i = 0; i < kFlips; ++i) {
    std::string bytes = *good_;
    // Bias half the flips into the first 64 KiB (header, dictionaries,
    // block metadata), the rest anywhere.
    const size_t pos = i % 2 ? rng() % bytes.size() : rng() % std::min<size_t>(bytes.size(), 65536);
    bytes[pos] = static_cast<char>(bytes[pos] ^ (1 << (rng() % 8)));
    const std::string path = dir_->File("flipped.idx");
    testing::WriteFile(path, bytes);
    auto index = Index::Open(path);
    if (!index.ok()) {
      EXPECT_EQ(index.status().code(), StatusCode::kCorruption) << index.status().ToString();
      ++refused_at_open;
      continue;
    }
    const Status verify = (*index)->Verify();
    EXPECT_EQ(verify.code(), StatusCode::kCorruption) << "flip at byte " << pos << " undetected";
    EXPECT_NE(verify.message().find("damaged"), std::string::npos) << verify.message();
    caught_by_verify += !verify.ok();
    // Searching may succeed (the damage may not be on the path) or fail with
    // a clear error; it must not crash or read out of bounds.
    if (!Exercise(**index).ok()) ++search_errors;
  }
  std::printf("bit flips: %d refused at open, %d caught by verify, %d searches reported errors\n",
              refused_at_open, caught_by_verify, search_errors);
  EXPECT_EQ(refused_at_open + caught_by_verify, kFlips);
}

TEST_F(CorruptionTest, NotAnIndexAndNewerFormatAreClearErrors) {
  const std::string path = dir_->File("other.idx");
  testing::WriteFile(path, std::string(4096, 'x'));
  auto index = Index::Open(path);
  ASSERT_FALSE(index.ok());
  EXPECT_NE(index.status().message().find("not a libsearch index"), std::string::npos);
  EXPECT_EQ(Index::Open(dir_->File("missing.idx")).status().code(), StatusCode::kNotFound);
}

TEST_F(CorruptionTest, OpenWritesNothing) {
  // Opening must work from a read-only directory: it creates no lock or
  // temporary files and never writes.
  TempDir ro;
  testing::WriteFile(ro.File("a.idx"), *good_);
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(ro.File("a.idx")));
  EXPECT_OK(Exercise(*index));
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(ro.path())) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
  EXPECT_EQ(testing::ReadFile(ro.File("a.idx")), *good_);
}

}  // namespace
}  // namespace libsearch
