// Issue 23, acceptance 1 (shards built by ShardedWriter; the Spark job's
// shards of the same file are byte-identical to these, checked by
// bindings/python/tests/test_spark_build.py):
// the bundled catalogue as 1, 3 and 7 shards against one index of the same
// file: 1,000 random requests (filters, facets, sort, typos, prefix,
// highlights, offsets) and, for a third of them, the next page through the
// cursor, with identical answers: ids, scores to the bit, order, Hit::doc,
// totals, facet counts, cursors and suggestions. The same for 3 shards
// searched by fan-out (libsearch/fan_out.h): a coordinator over three
// shard servers, each with one shard open and the published statistics,
// every request and reply through the shard protocol's JSON (next pages
// from its cursor cache, in one round: fan_out_cursor_test.cc checks that
// path against the two-round one).
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "libsearch/fan_out.h"
#include "libsearch/index.h"
#include "libsearch/index_builder.h"
#include "libsearch/sharded_index.h"
#include "testing/fan_out_util.h"
#include "testing/search_compare.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

const char kCatalogue[] = "examples/products/products.jsonl.gz";

std::vector<std::string> ProductNames() {
  std::vector<std::string> names;
  for (const std::string& line : testing::FirstBundledProducts(100000)) {
    const auto j = nlohmann::json::parse(line);
    if (j.contains("product_name")) names.push_back(j["product_name"].get<std::string>());
  }
  return names;
}

// (shards, searched by fan-out)
class ShardedDifferential : public ::testing::TestWithParam<std::pair<uint32_t, bool>> {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto schema = Schema::FromFile(testing::SourcePath("examples/products/schema.json"));
    ASSERT_TRUE(schema.ok());
    auto builder = IndexBuilder::Create(*schema);
    ASSERT_TRUE(builder.ok());
    ASSERT_TRUE((*builder)->AddJsonl(testing::SourcePath(kCatalogue), {}).ok());
    ASSERT_OK((*builder)->Build(dir_->File("one.idx")));
    auto one = Index::Open(dir_->File("one.idx"));
    ASSERT_TRUE(one.ok());
    one_ = one->release();
  }
  static void TearDownTestSuite() {
    delete one_;
    delete dir_;
  }
  static testing::TempDir* dir_;
  static Index* one_;
};
testing::TempDir* ShardedDifferential::dir_ = nullptr;
Index* ShardedDifferential::one_ = nullptr;

TEST_P(ShardedDifferential, ThousandRandomRequestsAnswerAsOneIndex) {
  const auto [shards, fan_out] = GetParam();
  const std::string path =
      dir_->File("shards-" + std::to_string(shards) + (fan_out ? "-fan-out" : ""));
  auto schema = Schema::FromFile(testing::SourcePath("examples/products/schema.json"));
  ASSERT_TRUE(schema.ok());
  {
    auto writer = ShardedWriter::Create(path, *schema, shards);
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    auto stats = (*writer)->ApplyJsonl(testing::SourcePath(kCatalogue), {});
    ASSERT_TRUE(stats.ok()) << stats.status().ToString();
    auto info = (*writer)->Commit();
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    ASSERT_EQ(info->shards.size(), shards);
    if (shards > 1) {  // Every shard got a fair share of the hash.
      for (const CommitInfo& s : info->shards)
        EXPECT_GT(s.live_docs, one_->num_docs() / shards / 2);
    }
  }
  auto sharded = fan_out ? testing::OpenInProcessFanOut(path, shards)
                         : Index::Open(path);  // The shard map makes it a ShardedIndex.
  ASSERT_TRUE(sharded.ok()) << sharded.status().ToString();
  const Index& got_index = **sharded;
  ASSERT_EQ(got_index.num_docs(), one_->num_docs());
  EXPECT_EQ(got_index.schema().ToJson(), one_->schema().ToJson());
  if (!fan_out) ASSERT_OK(got_index.Verify());

  const std::vector<std::string> names = ProductNames();
  std::mt19937 rng(23);
  int with_hits = 0, pages = 0, sorted = 0, typos = 0, faceted = 0;
  for (int q = 0; q < 1000; ++q) {
    SearchRequest req = testing::RandomProductRequest(rng, names);
    const bool next_page = rng() % 3 == 0;
    const std::string what = std::to_string(shards) + (fan_out ? " shards by fan-out" : " shards") +
                             ", request " + std::to_string(q) + " query '" + req.query + "'";
    auto want = one_->Search(req);
    auto got = got_index.Search(req);
    ASSERT_EQ(want.ok(), got.ok())
        << what << ": " << want.status().ToString() << " / " << got.status().ToString();
    if (!want.ok()) continue;
    testing::ExpectIdentical(*want, *got, what);
    if (::testing::Test::HasFailure()) return;
    with_hits += !want->hits.empty();
    sorted += !req.sort.empty();
    typos += req.typos;
    faceted += !req.facets.empty();
    if (next_page && !want->next_cursor.empty()) {
      req.offset = 0;
      req.search_after = want->next_cursor;
      want = one_->Search(req);
      got = got_index.Search(req);
      ASSERT_TRUE(want.ok() && got.ok()) << what << " next page";
      testing::ExpectIdentical(*want, *got, what + " next page");
      if (::testing::Test::HasFailure()) return;
      ++pages;
    }
  }
  EXPECT_GT(with_hits, 500);
  EXPECT_GT(pages, 150);
  EXPECT_GT(sorted, 150);
  EXPECT_GT(typos, 150);
  EXPECT_GT(faceted, 150);
}

INSTANTIATE_TEST_SUITE_P(Shards, ShardedDifferential,
                         ::testing::Values(std::pair{1u, false}, std::pair{3u, false},
                                           std::pair{7u, false}, std::pair{3u, true}));

}  // namespace
}  // namespace libsearch
