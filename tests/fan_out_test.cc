// Fan-out across shard functions (issue 23 item 3; libsearch/fan_out.h): a
// coordinator over shard servers in this process, against the whole sharded
// index, after rounds of changes (deletes, merges: the published statistics
// of segments and tombstones); the partial-results policy with a shard
// failing; the statistics files a commit publishes and removes.
#include "libsearch/fan_out.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "libsearch/index.h"
#include "libsearch/json.h"
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

std::vector<std::string> NamesOf(const std::vector<std::string>& lines) {
  std::vector<std::string> names;
  for (const std::string& line : lines) {
    const Json j = Json::parse(line);
    if (j.contains("product_name")) names.push_back(j["product_name"].get<std::string>());
  }
  return names;
}

// Fails the shards in `down` (as a killed function: connection refused), or
// with `refuse`, answers for them with a request error.
class FailingTransport final : public ShardTransport {
 public:
  FailingTransport(std::shared_ptr<ShardTransport> inner, std::set<size_t> down)
      : down_(std::move(down)), inner_(std::move(inner)) {}
  size_t num_shards() const override { return inner_->num_shards(); }
  std::string Describe(size_t shard) const override { return inner_->Describe(shard); }
  std::vector<Result<std::string>> Exchange(
      const std::vector<std::string>& requests,
      std::chrono::steady_clock::time_point deadline) override {
    std::vector<Result<std::string>> out = inner_->Exchange(requests, deadline);
    for (size_t i : down_) {
      if (!requests[i].empty()) out[i] = Status::IOError("Couldn't connect to server");
    }
    return out;
  }
  std::set<size_t> down_;

 private:
  std::shared_ptr<ShardTransport> inner_;
};

TEST(FanOut, AfterRoundsOfChangesAnswersAsTheWholeShardedIndex) {
  testing::TempDir dir;
  const std::vector<std::string> products = testing::FirstBundledProducts(3000);
  ShardedWriterOptions options;
  options.shard.merge_policy.floor_segment_docs = 50;  // Merges within the rounds.
  options.shard.merge_policy.segments_per_tier = 4;
  auto writer = ShardedWriter::Create(dir.File("s"), ProductSchema(), 3, options);
  ASSERT_TRUE(writer.ok());
  std::mt19937 rng(2324);
  for (size_t i = 0; i < 1500; ++i) ASSERT_OK((*writer)->Upsert(products[i]));
  ASSERT_TRUE((*writer)->Commit().ok());
  size_t next = 1500;
  std::set<std::string> deleted;
  for (int round = 0; round < 6; ++round) {
    for (int op = 0; op < 80; ++op) {
      const Json doc = Json::parse(products[rng() % next]);
      const std::string id = doc["barcode"].get<std::string>();
      switch (rng() % 4) {
        case 0:
          ASSERT_OK((*writer)->Delete(id));
          deleted.insert(id);
          break;
        case 1: {
          Json changed = doc;
          changed["product_name"] = doc.value("product_name", std::string()) + " dark chocolate";
          ASSERT_OK((*writer)->Upsert(changed.dump()));
          deleted.erase(id);
          break;
        }
        case 2:
          if (deleted.count(id) != 0) break;
          ASSERT_OK((*writer)->Apply(
              Json{{"barcode", id}, {"_set", {{"sugars_100g", (rng() % 500) / 10.0}}}}.dump()));
          break;
        default:
          if (next < products.size()) ASSERT_OK((*writer)->Upsert(products[next++]));
      }
    }
    auto info = round == 3 ? (*writer)->Compact() : (*writer)->Commit();
    ASSERT_TRUE(info.ok()) << info.status().ToString();
  }
  auto whole = Index::Open(dir.File("s"));
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  auto fanned = testing::OpenInProcessFanOut(dir.File("s"), 3);
  ASSERT_TRUE(fanned.ok()) << fanned.status().ToString();
  EXPECT_EQ((*fanned)->num_docs(), (*whole)->num_docs());
  EXPECT_EQ((*fanned)->schema().ToJson(), (*whole)->schema().ToJson());
  const std::vector<std::string> names = NamesOf(products);
  int with_hits = 0;
  for (int q = 0; q < 300; ++q) {
    SearchRequest req = testing::RandomProductRequest(rng, names);
    const std::string what = "request " + std::to_string(q) + " query '" + req.query + "'";
    auto want = (*whole)->Search(req);
    auto got = (*fanned)->Search(req);
    ASSERT_EQ(want.ok(), got.ok())
        << what << ": " << want.status().ToString() << " / " << got.status().ToString();
    if (!want.ok()) {
      EXPECT_EQ(want.status().code(), got.status().code()) << what;
      continue;
    }
    testing::ExpectIdentical(*want, *got, what);
    if (::testing::Test::HasFailure()) return;
    with_hits += !want->hits.empty();
    if (!want->next_cursor.empty()) {
      req.offset = 0;
      req.search_after = want->next_cursor;
      want = (*whole)->Search(req);
      got = (*fanned)->Search(req);
      ASSERT_TRUE(want.ok() && got.ok()) << what;
      testing::ExpectIdentical(*want, *got, what + " next page");
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(with_hits, 100);
  // A stored document by sequence number (Hit::doc), as the whole index.
  SearchRequest one;
  one.query = "chocolate";
  auto hit = (*whole)->Search(one);
  ASSERT_TRUE(hit.ok() && !hit->hits.empty());
  auto stored = (*fanned)->StoredDocument(hit->hits[0].doc);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_EQ(*stored, *(*whole)->StoredDocument(hit->hits[0].doc));
  EXPECT_EQ((*fanned)->StoredDocument(4000000).status().code(), StatusCode::kNotFound);
  auto explained = (*fanned)->ExplainQuery(one);
  ASSERT_TRUE(explained.ok());
  EXPECT_EQ(*explained, *(*whole)->ExplainQuery(one));
}

class FanOutPolicy : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto writer = ShardedWriter::Create(dir_->File("s"), ProductSchema(), 3);
    ASSERT_TRUE(writer.ok());
    for (const std::string& line : testing::FirstBundledProducts(2000)) {
      ASSERT_OK((*writer)->Upsert(line));
    }
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  static void TearDownTestSuite() { delete dir_; }
  static testing::TempDir* dir_;
};
testing::TempDir* FanOutPolicy::dir_ = nullptr;

TEST_F(FanOutPolicy, AFailedShardIsAnErrorOrAPartialAnswerByRequest) {
  auto shards = testing::OpenShardServers(dir_->File("s"), 3);
  ASSERT_TRUE(shards.ok());
  auto failing =
      std::make_shared<FailingTransport>(InProcessShardTransport(*shards), std::set<size_t>{});
  auto index = FanOutIndex::Open(failing);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  auto whole = Index::Open(dir_->File("s"));
  ASSERT_TRUE(whole.ok());
  SearchRequest req;
  req.query = "chocolate";
  req.k = 50;
  req.facets.push_back({"country", 5, {}, false});
  auto complete = (*index)->Search(req);
  ASSERT_TRUE(complete.ok());
  EXPECT_TRUE(complete->missing_shards.empty());
  EXPECT_EQ(SearchResponseToJson(*complete, req).find("\"partial\":"), std::string::npos);

  failing->down_ = {1};  // Killed mid-test.
  auto refused = (*index)->Search(req);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("[shard 1] shard 1 (in process): Couldn't connect"),
            std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("partial_results"), std::string::npos);
  EXPECT_NE(ErrorToJson(refused.status()).find("\"code\":\"unavailable\""), std::string::npos);

  req.allow_partial_results = true;
  auto partial = (*index)->Search(req);
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  ASSERT_EQ(partial->missing_shards.size(), 1u);
  EXPECT_EQ(partial->missing_shards[0].shard, 1u);
  EXPECT_EQ(partial->missing_shards[0].code, "io_error");
  EXPECT_FALSE(partial->total_exact);
  EXPECT_LT(partial->total, complete->total);
  EXPECT_GT(partial->total, 0u);
  // What is there is the other shards' best, in one index's order.
  std::vector<std::string> others;
  for (const Hit& h : complete->hits) {
    if (ShardOf(h.id, 3) != 1) others.push_back(h.id);
  }
  ASSERT_FALSE(partial->hits.empty());
  for (size_t i = 0; i < partial->hits.size() && i < others.size(); ++i) {
    EXPECT_EQ(partial->hits[i].id, others[i]) << i;
    EXPECT_NE(ShardOf(partial->hits[i].id, 3), 1u);
  }
  const std::string json = SearchResponseToJson(*partial, req);
  EXPECT_NE(json.find(",\"partial\":true,\"missing_shards\":[{\"shard\":1,\"error\":{\"code\":"
                      "\"io_error\",\"message\":\"shard 1 (in process): Couldn't connect to "
                      "server\"}}]}"),
            std::string::npos)
      << json;

  // A request the shards refuse is the request's error, shard down or not.
  SearchRequest bad = req;
  bad.sort.push_back({"no_such_field", false});
  auto refused_request = (*index)->Search(bad);
  ASSERT_FALSE(refused_request.ok());
  EXPECT_EQ(refused_request.status().code(), StatusCode::kInvalidArgument);

  // A next page: a coordinator that did not give out the cursor (another
  // process's) needs the shard holding its document, to place the page.
  req.allow_partial_results = false;
  failing->down_ = {};
  auto first = (*index)->Search(req);
  ASSERT_TRUE(first.ok());
  const uint32_t holder = ShardOf(first->hits.back().id, 3);
  req.search_after = first->next_cursor;
  req.allow_partial_results = true;
  failing->down_ = {holder};
  auto other = FanOutIndex::Open(failing);
  ASSERT_TRUE(other.ok());
  auto lost = (*other)->Search(req);
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(lost.status().message().find("cursor"), std::string::npos);
  // The coordinator that gave it out knows where it ranks (its cursor
  // cache): the other shards' part of the page, marked partial.
  auto placed = (*index)->Search(req);
  ASSERT_TRUE(placed.ok()) << placed.status().ToString();
  ASSERT_EQ(placed->missing_shards.size(), 1u);
  EXPECT_EQ(placed->missing_shards[0].shard, holder);
  failing->down_ = {(holder + 1) % 3};
  auto next = (*other)->Search(req);
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  EXPECT_EQ(next->missing_shards.size(), 1u);
  // All shards down: no answer at all.
  failing->down_ = {0, 1, 2};
  req.search_after.clear();
  EXPECT_EQ((*index)->Search(req).status().code(), StatusCode::kUnavailable);
}

TEST_F(FanOutPolicy, ShardServersAndTheirRequests) {
  OpenOptions options;
  options.shards = {2};
  auto shard = Index::Open(dir_->File("s"), options);
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  // Searched alone it would miss the other shards: refused.
  SearchRequest req;
  req.query = "tea";
  auto alone = (*shard)->Search(req);
  ASSERT_FALSE(alone.ok());
  EXPECT_EQ(alone.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(alone.status().message().find("fan-out coordinator"), std::string::npos);
  options.shards = {3};
  EXPECT_EQ(Index::Open(dir_->File("s"), options).status().code(), StatusCode::kInvalidArgument);
  options.shards = {1, 1};
  EXPECT_EQ(Index::Open(dir_->File("s"), options).status().code(), StatusCode::kInvalidArgument);
  // A coordinator over functions listed in the wrong order.
  auto servers = testing::OpenShardServers(dir_->File("s"), 3);
  ASSERT_TRUE(servers.ok());
  std::swap((*servers)[0], (*servers)[1]);
  auto swapped = FanOutIndex::Open(InProcessShardTransport(*servers));
  ASSERT_FALSE(swapped.ok());
  EXPECT_NE(swapped.status().message().find("in shard order"), std::string::npos);

  // Shard requests: malformed ones, and to an index that is no shard.
  EXPECT_TRUE(IsShardRequest(R"({"shard_request":{"version":1,"phase":"info"}})"));
  EXPECT_FALSE(IsShardRequest(R"({"query":"shard_request"})"));
  JsonReply r = HandleShardRequest(**shard, R"({"shard_request":{"version":1,"phase":"info"}})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"shards\":[2]"), std::string::npos) << r.body;
  r = HandleShardRequest(**shard, R"({"shard_request":{"version":2,"phase":"info"}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("same libsearch"), std::string::npos) << r.body;
  r = HandleShardRequest(**shard, R"({"shard_request":{"version":1,"phase":"search"}})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = HandleShardRequest(**shard, "not json");
  EXPECT_EQ(r.status, 400) << r.body;
  ASSERT_OK(testing::BuildIndex(ProductSchema(), testing::FirstBundledProducts(10),
                                dir_->File("one.idx")));
  auto one = Index::Open(dir_->File("one.idx"));
  ASSERT_TRUE(one.ok());
  r = HandleShardRequest(**one, R"({"shard_request":{"version":1,"phase":"info"}})");
  EXPECT_EQ(r.status, 400);
  options.shards = {0};
  EXPECT_EQ(Index::Open(dir_->File("one.idx"), options).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(FanOutStats, CommitsPublishTheirStatisticsAndRemoveOldOnes) {
  namespace fs = std::filesystem;
  testing::TempDir dir;
  const std::vector<std::string> products = testing::FirstBundledProducts(300);
  auto writer = ShardedWriter::Create(dir.File("s"), ProductSchema(), 2);
  ASSERT_TRUE(writer.ok());
  auto lists = [&] {
    std::set<std::string> out;
    for (const auto& e : fs::directory_iterator(dir.File("s/stats"))) {
      if (e.path().filename().string().rfind("STATS-", 0) == 0) {
        out.insert(e.path().filename().string());
      }
    }
    return out;
  };
  auto extracts = [&] {
    size_t n = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir.File("s/stats"))) {
      n += e.path().extension() == ".dict";
    }
    return n;
  };
  EXPECT_EQ(lists(), (std::set<std::string>{"STATS-00000000000000000001"}));
  for (int round = 0; round < 4; ++round) {
    for (size_t i = 0; i < 50; ++i) ASSERT_OK((*writer)->Upsert(products[round * 50 + i]));
    if (round == 3)
      ASSERT_OK((*writer)->Delete(Json::parse(products[0])["barcode"].get<std::string>()));
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  // The last two commits' lists; the extracts they name (one segment per
  // commit and shard unless merged, and a tombstone), no others.
  EXPECT_EQ(lists(),
            (std::set<std::string>{"STATS-00000000000000000004", "STATS-00000000000000000005"}));
  const size_t before = extracts();
  EXPECT_GE(before, 8u);
  ASSERT_TRUE((*writer)->Compact().ok());
  ASSERT_TRUE((*writer)->Commit().ok());  // Nothing to commit: no new generation.
  EXPECT_EQ(lists(),
            (std::set<std::string>{"STATS-00000000000000000005", "STATS-00000000000000000006"}));
  EXPECT_LE(extracts(), before + 2);
  // Served with them, as the whole index.
  auto whole = Index::Open(dir.File("s"));
  auto fanned = testing::OpenInProcessFanOut(dir.File("s"), 2);
  ASSERT_TRUE(whole.ok() && fanned.ok());
  SearchRequest req;
  req.query = "chocolate milk";
  req.default_operator = Operator::kOr;
  auto want = (*whole)->Search(req);
  auto got = (*fanned)->Search(req);
  ASSERT_TRUE(want.ok() && got.ok());
  testing::ExpectIdentical(*want, *got, "after compaction");

  // Without published statistics a shard cannot be served alone.
  ShardedWriterOptions no_stats;
  no_stats.publish_stats = false;
  auto plain = ShardedWriter::Create(dir.File("plain"), ProductSchema(), 2, no_stats);
  ASSERT_TRUE(plain.ok());
  ASSERT_OK((*plain)->Upsert(products[0]));
  ASSERT_TRUE((*plain)->Commit().ok());
  EXPECT_FALSE(fs::exists(dir.File("plain/stats")));
  OpenOptions options;
  options.shards = {0};
  auto refused = Index::Open(dir.File("plain"), options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kNotFound);
  EXPECT_NE(refused.status().message().find("publish_stats"), std::string::npos);
  EXPECT_TRUE(Index::Open(dir.File("plain")).ok());
}

}  // namespace
}  // namespace libsearch
