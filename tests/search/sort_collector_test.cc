// SortCollector against brute force: every entry ranked by the same order
// (tier, then HitOrder), those after the cursor kept, the first `keep`
// taken. The collector sees docs in increasing order and skips, unscored,
// the ones MayKeep rejects, as the visit-all search does.
#include "search/sort_collector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "index/index_reader.h"
#include "testing/test_util.h"

namespace libsearch::internal {
namespace {

using Entry = SortCollector::Entry;

class SortCollectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    std::mt19937 rng(7);
    const char* brands[] = {"acme", "zenith", "orbit", "nova"};
    const char* tags[] = {"vegan", "organic", "local"};
    std::vector<std::string> lines;
    for (int i = 0; i < 600; ++i) {
      nlohmann::json d = {{"sku", "s" + std::to_string(i)}, {"title", "tea"}};
      if (rng() % 6) d["brand"] = brands[rng() % 4];
      nlohmann::json t = nlohmann::json::array();
      for (const char* tag : tags) {
        if (rng() % 3 == 0) t.push_back(tag);
      }
      d["tags"] = t;
      if (rng() % 5) d["price"] = static_cast<double>(rng() % 40) / 4.0;  // Many ties.
      if (rng() % 5) d["stock"] = static_cast<int>(rng() % 7);
      lines.push_back(d.dump());
    }
    auto schema = Schema::FromJson(R"({"id": "sku", "fields": {
        "title": {"type": "text"}, "brand": {"type": "keyword"},
        "tags": {"type": "keyword"}, "price": {"type": "float"},
        "stock": {"type": "int"}}})");
    ASSERT_TRUE(schema.ok());
    ASSERT_OK(testing::BuildIndex(*schema, lines, dir_->File("sort.idx")));
  }
  static void TearDownTestSuite() { delete dir_; }

  static testing::TempDir* dir_;
};
testing::TempDir* SortCollectorTest::dir_ = nullptr;

TEST_F(SortCollectorTest, MatchesBruteForce) {
  ASSERT_OK_AND_ASSIGN(auto reader, IndexReader::Open(dir_->File("sort.idx")));
  const uint32_t n = reader->num_docs();
  std::mt19937 rng(2024);
  const char* fields[] = {"brand", "tags", "price", "stock", "_score"};
  for (int round = 0; round < 300; ++round) {
    std::vector<SortField> sort;
    const int num_keys = static_cast<int>(rng() % 3);
    for (int i = 0; i < num_keys; ++i) sort.push_back({fields[rng() % 5], rng() % 2 == 0});
    ASSERT_OK_AND_ASSIGN(HitOrder order, HitOrder::Create(*reader, sort));
    // A random subset of docs as the matches, with few distinct scores
    // (ties) and, in some relevance-order rounds, typo tiers.
    const bool tiered = sort.empty() && rng() % 2 == 0;
    std::vector<Entry> all;
    for (uint32_t d = 0; d < n; ++d) {
      if (rng() % 3 == 0) continue;
      all.push_back({static_cast<float>(rng() % 8) * 0.5f, d,
                     tiered ? static_cast<uint32_t>(rng() % 2) : 0u});
    }
    const size_t keep = rng() % 4 == 0 ? 0 : 1 + rng() % 40;
    SortCollector collector(&order, keep);
    const bool with_cursor = rng() % 2 == 0 && !all.empty();
    Entry cursor{};
    if (with_cursor) {
      cursor = all[rng() % all.size()];
      collector.SetCursor(order.CursorAt(cursor.doc, cursor.score, cursor.tier));
    }
    for (const Entry& e : all) {
      if (collector.MayKeep(e.doc)) collector.Offer(e);
    }
    const std::vector<Entry> got = collector.Take();

    auto before = [&order](const Entry& a, const Entry& b) {
      if (a.tier != b.tier) return a.tier < b.tier;
      return order.Before(a.doc, a.score, b.doc, b.score);
    };
    std::vector<Entry> want;
    for (const Entry& e : all) {
      if (!with_cursor || before(cursor, e)) want.push_back(e);
    }
    std::sort(want.begin(), want.end(), before);
    if (want.size() > keep) want.resize(keep);

    ASSERT_EQ(got.size(), want.size()) << "round " << round;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(got[i].doc, want[i].doc) << "round " << round << " rank " << i;
      EXPECT_EQ(got[i].score, want[i].score) << "round " << round << " rank " << i;
      EXPECT_EQ(got[i].tier, want[i].tier) << "round " << round << " rank " << i;
    }
  }
}

}  // namespace
}  // namespace libsearch::internal
