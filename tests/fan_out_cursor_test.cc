// The fan-out coordinator's cursor cache (libsearch/fan_out.h,
// FanOutOptions::cursor_cache_entries): a next page whose cursor the
// coordinator gave out takes one round (the hit path), any other two (a
// locate round first: the miss path), and both answer as the whole sharded
// index, on random requests with a fixed seed; after a commit a cached
// position is not used; the cache is bounded.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "libsearch/fan_out.h"
#include "libsearch/index.h"
#include "libsearch/sharded_index.h"
#include "testing/fan_out_util.h"
#include "testing/search_compare.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;

Schema ProductSchema() {
  auto schema = Schema::FromFile(testing::SourcePath("examples/products/schema.json"));
  EXPECT_TRUE(schema.ok());
  return *schema;
}

// Counts rounds (Exchange calls) and which phases they carried; its shards
// can be replaced (a commit reaching the shard functions).
class CountingTransport final : public ShardTransport {
 public:
  explicit CountingTransport(std::shared_ptr<ShardTransport> inner) : inner_(std::move(inner)) {}
  size_t num_shards() const override { return inner_->num_shards(); }
  std::string Describe(size_t shard) const override { return inner_->Describe(shard); }
  std::vector<Result<std::string>> Exchange(
      const std::vector<std::string>& requests,
      std::chrono::steady_clock::time_point deadline) override {
    ++rounds;
    for (const std::string& r : requests) {
      if (r.find("\"phase\":\"locate\"") != std::string::npos) {
        ++locates;
        break;
      }
    }
    std::shared_ptr<ShardTransport> inner;
    {
      std::lock_guard<std::mutex> lock(mu_);
      inner = inner_;
    }
    return inner->Exchange(requests, deadline);
  }
  void Replace(std::shared_ptr<ShardTransport> inner) {
    std::lock_guard<std::mutex> lock(mu_);
    inner_ = std::move(inner);
  }
  std::atomic<int> rounds{0};
  std::atomic<int> locates{0};

 private:
  std::mutex mu_;
  std::shared_ptr<ShardTransport> inner_;
};

struct Coordinator {
  std::shared_ptr<CountingTransport> transport;
  std::unique_ptr<Index> index;
};

Coordinator OpenCoordinator(const std::string& dir, uint32_t shards, size_t cache_entries) {
  Coordinator c;
  auto servers = testing::OpenShardServers(dir, shards);
  EXPECT_TRUE(servers.ok()) << servers.status().ToString();
  c.transport = std::make_shared<CountingTransport>(InProcessShardTransport(*servers));
  FanOutOptions options;
  options.cursor_cache_entries = cache_entries;
  auto index = FanOutIndex::Open(c.transport, options);
  EXPECT_TRUE(index.ok()) << index.status().ToString();
  c.index = std::move(*index);
  return c;
}

class FanOutCursorCache : public ::testing::Test {
 protected:
  void SetUp() override {
    products_ = testing::FirstBundledProducts(2500);
    for (const std::string& line : products_) {
      const Json j = Json::parse(line);
      if (j.contains("product_name")) names_.push_back(j["product_name"].get<std::string>());
    }
    auto writer = ShardedWriter::Create(dir_.File("s"), ProductSchema(), 3);
    ASSERT_TRUE(writer.ok());
    for (size_t i = 0; i < 2000; ++i) ASSERT_OK((*writer)->Upsert(products_[i]));
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  testing::TempDir dir_;
  std::vector<std::string> products_;
  std::vector<std::string> names_;
};

TEST_F(FanOutCursorCache, NextPagesTakeOneRoundAndAnswerAsTwoRounds) {
  auto whole = Index::Open(dir_.File("s"));
  ASSERT_TRUE(whole.ok());
  Coordinator cached = OpenCoordinator(dir_.File("s"), 3, 1024);
  Coordinator uncached = OpenCoordinator(dir_.File("s"), 3, 0);
  Coordinator other = OpenCoordinator(dir_.File("s"), 3, 1024);  // Never gives out a cursor.
  std::mt19937 rng(2317);
  int hits = 0, misses = 0, third_pages = 0;
  for (int q = 0; q < 300; ++q) {
    SearchRequest req = testing::RandomProductRequest(rng, names_);
    req.suggest = false;  // A suggestion is a round of its own; pages are what is counted.
    const std::string what = "request " + std::to_string(q) + " query '" + req.query + "'";
    auto want = (*whole)->Search(req);
    auto first = cached.index->Search(req);
    ASSERT_EQ(want.ok(), first.ok()) << what << ": " << first.status().ToString();
    if (!want.ok() || want->next_cursor.empty()) continue;
    testing::ExpectIdentical(*want, *first, what);
    // Page 2 (and 3): the hit path, the miss path of a coordinator without
    // the cache and of one that never saw the cursor, and the whole index.
    std::string cursor = want->next_cursor;
    for (int page = 2; page <= 3 && !cursor.empty(); ++page) {
      const std::string at = what + " page " + std::to_string(page);
      req.offset = 0;
      req.search_after = cursor;
      want = (*whole)->Search(req);
      ASSERT_TRUE(want.ok()) << at;
      const int rounds = cached.transport->rounds, uncached_rounds = uncached.transport->rounds;
      auto hit = cached.index->Search(req);
      auto miss = uncached.index->Search(req);
      auto foreign = other.index->Search(req);
      ASSERT_TRUE(hit.ok() && miss.ok() && foreign.ok()) << at;
      EXPECT_EQ(cached.transport->rounds - rounds, 1) << at;
      EXPECT_EQ(uncached.transport->rounds - uncached_rounds, 2) << at;
      testing::ExpectIdentical(*want, *hit, at + " (cached position)");
      testing::ExpectIdentical(*want, *miss, at + " (located)");
      testing::ExpectIdentical(*want, *foreign, at + " (another coordinator's cursor)");
      if (::testing::Test::HasFailure()) return;
      ++hits;
      ++misses;
      third_pages += page == 3;
      cursor = want->next_cursor;
    }
  }
  EXPECT_GT(hits, 150);
  EXPECT_GT(third_pages, 50);
  EXPECT_EQ(cached.transport->locates, 0);
  EXPECT_EQ(uncached.transport->locates, misses);

  // The same cursor with another query is not that page's: located again.
  SearchRequest req;
  req.query = "chocolate";
  req.k = 5;
  auto first = cached.index->Search(req);
  ASSERT_TRUE(first.ok() && !first->next_cursor.empty());
  req.search_after = first->next_cursor;
  req.query = "chocolate milk";
  req.default_operator = Operator::kOr;
  const int locates = cached.transport->locates;
  auto want = (*whole)->Search(req);
  auto got = cached.index->Search(req);
  ASSERT_EQ(want.ok(), got.ok());
  if (want.ok()) testing::ExpectIdentical(*want, *got, "another query after the cursor");
  EXPECT_EQ(cached.transport->locates, locates + 1);
  // Another page size, offset, facets and stored fields keep the
  // position: still one round.
  req.query = "chocolate";
  req.default_operator = Operator::kAnd;
  req.k = 3;
  req.offset = 2;
  req.facets.push_back({"country", 3, {}, false});
  req.include_docs = true;
  req.allow_partial_results = true;
  const int rounds = cached.transport->rounds;
  want = (*whole)->Search(req);
  got = cached.index->Search(req);
  ASSERT_TRUE(want.ok() && got.ok());
  testing::ExpectIdentical(*want, *got, "another page size");
  EXPECT_EQ(cached.transport->rounds, rounds + 1);
}

TEST_F(FanOutCursorCache, APositionFromAnotherCommitIsLocatedAgain) {
  Coordinator c = OpenCoordinator(dir_.File("s"), 3, 1024);
  SearchRequest req;
  req.query = "chocolate";
  req.k = 10;
  req.sort = {{"sugars_100g", false}};
  auto first = c.index->Search(req);
  ASSERT_TRUE(first.ok() && first->hits.size() == 10u);
  // A commit moves the cursor's document to the end of the order (its sort
  // value changed in place: the same sequence number).
  {
    auto writer = ShardedWriter::Open(dir_.File("s"));
    ASSERT_TRUE(writer.ok()) << writer.status().ToString();
    ASSERT_OK((*writer)->Apply(
        Json{{"barcode", first->hits.back().id}, {"_set", {{"sugars_100g", 1000.0}}}}.dump()));
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  auto servers = testing::OpenShardServers(dir_.File("s"), 3);
  ASSERT_TRUE(servers.ok());
  c.transport->Replace(InProcessShardTransport(*servers));
  auto whole = Index::Open(dir_.File("s"));
  ASSERT_TRUE(whole.ok());
  req.search_after = first->next_cursor;
  auto want = (*whole)->Search(req);
  const int rounds = c.transport->rounds;
  auto got = c.index->Search(req);
  ASSERT_TRUE(want.ok() && got.ok())
      << want.status().ToString() << " / " << got.status().ToString();
  testing::ExpectIdentical(*want, *got, "after a commit");
  // The cached position's round answered from another commit; then the
  // locate and search rounds.
  EXPECT_EQ(c.transport->rounds - rounds, 3);
  EXPECT_EQ(c.transport->locates, 1);
}

TEST_F(FanOutCursorCache, TheCacheIsBoundedAndSharedWithReopen) {
  Coordinator c = OpenCoordinator(dir_.File("s"), 3, 2);
  auto whole = Index::Open(dir_.File("s"));
  ASSERT_TRUE(whole.ok());
  std::vector<SearchRequest> reqs;
  std::vector<std::string> cursors;
  for (const char* q : {"chocolate", "tea", "milk"}) {
    SearchRequest req;
    req.query = q;
    req.k = 3;
    auto r = c.index->Search(req);
    ASSERT_TRUE(r.ok() && !r->next_cursor.empty()) << q;
    reqs.push_back(req);
    cursors.push_back(r->next_cursor);
  }
  auto reopened = c.index->Reopen();
  ASSERT_TRUE(reopened.ok());
  // Two entries: the newest page's cursor is there (one round, through the
  // reopened index), the oldest page's was evicted and is located again.
  for (const size_t i : {size_t{2}, size_t{0}}) {
    SearchRequest next = reqs[i];
    next.search_after = cursors[i];
    const int locates = c.transport->locates;
    auto want = (*whole)->Search(next);
    auto got = (*reopened)->Search(next);
    ASSERT_TRUE(want.ok() && got.ok());
    testing::ExpectIdentical(*want, *got, next.query);
    EXPECT_EQ(c.transport->locates - locates, i == 0 ? 1 : 0) << next.query;
  }
}

}  // namespace
}  // namespace libsearch
