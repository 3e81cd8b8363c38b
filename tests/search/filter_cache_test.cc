// Cached filters (Roaring bitmaps reused across requests) must not change a
// single result: every request is answered by an index with the cache and
// one without, three times (the set is built on the second use and read on
// the third), also from several threads at once.
#include "search/filter_cache.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "testing/test_util.h"

namespace libsearch {
namespace {

void ExpectSameResponse(const SearchResponse& a, const SearchResponse& b, const std::string& what) {
  ASSERT_EQ(a.total, b.total) << what;
  ASSERT_EQ(a.total_exact, b.total_exact) << what;
  ASSERT_EQ(a.hits.size(), b.hits.size()) << what;
  for (size_t i = 0; i < a.hits.size(); ++i) {
    ASSERT_EQ(a.hits[i].doc, b.hits[i].doc) << what << " rank " << i;
    ASSERT_EQ(a.hits[i].score, b.hits[i].score) << what << " rank " << i;
  }
  ASSERT_EQ(a.facets.size(), b.facets.size()) << what;
  for (size_t f = 0; f < a.facets.size(); ++f) {
    ASSERT_EQ(a.facets[f].values.size(), b.facets[f].values.size()) << what;
    for (size_t v = 0; v < a.facets[f].values.size(); ++v) {
      ASSERT_EQ(a.facets[f].values[v].value, b.facets[f].values[v].value) << what;
      ASSERT_EQ(a.facets[f].values[v].count, b.facets[f].values[v].count) << what;
    }
  }
}

std::vector<SearchRequest> RandomRequests(uint32_t seed, int n) {
  std::mt19937 rng(seed);
  const char* filters[] = {"sugars_100g:[0 TO 5]",
                           "sugars_100g:>=10",
                           "fat_100g:{1 TO 20}",
                           "country:France",
                           "country:(France OR Germany OR Spain)",
                           "-country:restricted",
                           "is_healthy:true",
                           "nutrition_band:green",
                           "proteins_100g:<3 -nutrition_band:red",
                           "salt_100g:[0.1 TO 1]"};
  const char* texts[] = {"", "chocolate", "milk", "organic juice", "cheese OR yoghurt", "sugar"};
  std::vector<SearchRequest> out;
  for (int i = 0; i < n; ++i) {
    SearchRequest r;
    r.query = texts[rng() % std::size(texts)];
    for (int k = rng() % 3; k >= 0; --k) r.filters.push_back(filters[rng() % std::size(filters)]);
    r.k = 1 + rng() % 30;
    r.include_docs = false;
    if (rng() % 3 == 0) r.facets = {{"country", 8, {}, rng() % 2 == 0}};
    if (rng() % 4 == 0) r.sort = {{"sugars_100g", rng() % 2 == 0}};
    if (rng() % 4 == 0) r.total_hits_threshold = SearchRequest::kExactTotal;
    out.push_back(r);
  }
  return out;
}

class FilterCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    ASSERT_OK(testing::BuildBundledCatalogue(dir_->File("p.idx")));
  }
  static void TearDownTestSuite() { delete dir_; }
  static testing::TempDir* dir_;
};
testing::TempDir* FilterCacheTest::dir_ = nullptr;

TEST_F(FilterCacheTest, CachedFiltersGiveIdenticalResults) {
  ASSERT_OK_AND_ASSIGN(auto cached, Index::Open(dir_->File("p.idx")));
  OpenOptions off;
  off.filter_cache_bytes = 0;
  ASSERT_OK_AND_ASSIGN(auto plain, Index::Open(dir_->File("p.idx"), off));
  int matched = 0;
  for (const SearchRequest& r : RandomRequests(3, 150)) {
    ASSERT_OK_AND_ASSIGN(SearchResponse want, plain->Search(r));
    for (int round = 0; round < 3; ++round) {
      ASSERT_OK_AND_ASSIGN(SearchResponse got, cached->Search(r));
      ExpectSameResponse(got, want,
                         r.query + " | " + r.filters[0] + " round " + std::to_string(round));
    }
    matched += want.total > 0;
    // The cached node explains like the filter it replaced.
    ASSERT_OK_AND_ASSIGN(std::string e1, cached->ExplainQuery(r));
    ASSERT_OK_AND_ASSIGN(std::string e2, plain->ExplainQuery(r));
    EXPECT_EQ(e1, e2);
  }
  EXPECT_GT(matched, 100);
}

TEST_F(FilterCacheTest, ConcurrentSearchesShareTheCache) {
  ASSERT_OK_AND_ASSIGN(auto cached, Index::Open(dir_->File("p.idx")));
  OpenOptions off;
  off.filter_cache_bytes = 0;
  ASSERT_OK_AND_ASSIGN(auto plain, Index::Open(dir_->File("p.idx"), off));
  const std::vector<SearchRequest> requests = RandomRequests(11, 60);
  std::vector<SearchResponse> want;
  for (const SearchRequest& r : requests) {
    ASSERT_OK_AND_ASSIGN(SearchResponse w, plain->Search(r));
    want.push_back(std::move(w));
  }
  std::vector<std::thread> threads;
  std::atomic<int> mismatches{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < requests.size(); ++i) {
          const size_t j = (i + static_cast<size_t>(t) * 13) % requests.size();
          auto got = cached->Search(requests[j]);
          if (!got.ok() || got->total != want[j].total || got->hits.size() != want[j].hits.size()) {
            ++mismatches;
            continue;
          }
          for (size_t k = 0; k < got->hits.size(); ++k) {
            if (got->hits[k].doc != want[j].hits[k].doc ||
                got->hits[k].score != want[j].hits[k].score) {
              ++mismatches;
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(mismatches.load(), 0);
}

std::shared_ptr<internal::DocSet> SetOf(uint32_t first, uint32_t count) {
  auto s = std::make_shared<internal::DocSet>();
  std::vector<uint32_t> docs;
  for (uint32_t d = 0; d < count; ++d) docs.push_back(first + d * 3);
  s->AddMany(docs.data(), docs.size());
  return s;
}

TEST(FilterCache, SecondUseBuildsLeastRecentlyUsedIsEvicted) {
  const size_t one = SetOf(0, 1000)->bytes() + 1;  // Key "a" is one byte.
  internal::FilterCache cache(2 * one + one / 2);  // Room for two sets.
  bool build = true;
  EXPECT_EQ(cache.Find("a", &build), nullptr);
  EXPECT_FALSE(build) << "first use: evaluate directly";
  EXPECT_EQ(cache.Find("a", &build), nullptr);
  EXPECT_TRUE(build) << "second use: build and insert";
  cache.Insert("a", SetOf(0, 1000));
  cache.Insert("b", SetOf(1, 1000));
  ASSERT_NE(cache.Find("a", &build), nullptr);  // Touch a: b is now the oldest.
  cache.Insert("c", SetOf(2, 1000));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_NE(cache.Find("a", &build), nullptr);
  EXPECT_NE(cache.Find("c", &build), nullptr);
  EXPECT_EQ(cache.Find("b", &build), nullptr) << "least recently used is evicted";
  EXPECT_LE(cache.bytes(), 2 * one + one / 2);
  cache.Insert("huge", SetOf(0, 200000));  // Larger than the whole cache: not kept.
  EXPECT_EQ(cache.Find("huge", &build), nullptr);
  internal::FilterCache disabled(0);
  EXPECT_EQ(disabled.Find("a", &build), nullptr);
  EXPECT_EQ(disabled.Find("a", &build), nullptr);
  EXPECT_FALSE(build) << "a zero-byte cache never asks for a build";
}

TEST(DocSet, IteratesAndSeeksLikeTheSortedList) {
  std::mt19937 rng(2);
  std::vector<uint32_t> docs;
  for (uint32_t d = 0; d < 300000; d += 1 + rng() % (d < 100000 ? 2 : 700)) docs.push_back(d);
  internal::DocSet set;
  set.AddMany(docs.data(), docs.size());
  set.Optimize();
  ASSERT_EQ(set.cardinality(), docs.size());
  internal::DocSet::Iterator it(set);
  for (uint32_t d : docs) {
    ASSERT_EQ(it.doc(~0u), d);
    it.Next();
  }
  EXPECT_EQ(it.doc(~0u), ~0u);
  for (int i = 0; i < 2000; ++i) {
    internal::DocSet::Iterator seek(set);
    const uint32_t target = rng() % 310000;
    seek.Advance(target);
    const auto want = std::lower_bound(docs.begin(), docs.end(), target);
    ASSERT_EQ(seek.doc(~0u), want == docs.end() ? ~0u : *want) << target;
  }
}

}  // namespace
}  // namespace libsearch
