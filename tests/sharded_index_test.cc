// ShardedWriter and ShardedIndex (issue 23): routing by id, updates in the
// owning shard, the shard map as the commit point, and a sharded index
// after rounds of changes against a fresh build of the same documents.
#include "libsearch/sharded_index.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "libsearch/index.h"
#include "libsearch/index_writer.h"
#include "testing/doc_model.h"
#include "testing/search_compare.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;
using Model = testing::DocOrderModel;

Schema ProductSchema() {
  auto schema = Schema::FromFile(testing::SourcePath("examples/products/schema.json"));
  EXPECT_TRUE(schema.ok());
  return *schema;
}

uint64_t Count(const Index& index, const std::string& query) {
  SearchRequest req;
  req.query = query;
  req.k = 0;
  req.total_hits_threshold = SearchRequest::kExactTotal;
  auto r = index.Search(req);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? r->total : 0;
}

TEST(ShardedIndex, DocumentsLiveInTheShardTheirIdHashesTo) {
  testing::TempDir dir;
  const std::vector<std::string> docs = testing::FirstBundledProducts(600);
  auto writer = ShardedWriter::Create(dir.File("s"), ProductSchema(), 4);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  for (const std::string& d : docs) ASSERT_OK((*writer)->Upsert(d));
  ASSERT_TRUE((*writer)->Commit().ok());
  std::vector<std::unique_ptr<Index>> shards;
  for (int s = 0; s < 4; ++s) {
    auto shard = Index::Open(dir.File("s/shard-00" + std::to_string(s)));
    ASSERT_TRUE(shard.ok()) << shard.status().ToString();
    shards.push_back(std::move(*shard));
  }
  for (size_t i = 0; i < docs.size(); i += 37) {
    const std::string id = Json::parse(docs[i])["barcode"].get<std::string>();
    const uint32_t owner = ShardOf(id, 4);
    for (uint32_t s = 0; s < 4; ++s) {
      EXPECT_EQ(Count(*shards[s], "barcode:" + id), s == owner ? 1u : 0u) << id;
    }
  }
  EXPECT_EQ(ShardOf("0855094006359", 7), ShardOf("0855094006359", 7));
  EXPECT_LT(ShardOf("anything", 3), 3u);
}

TEST(ShardedIndex, ReservedFieldAndBadArguments) {
  testing::TempDir dir;
  auto bad = Schema::FromJson(
      R"({"id": "id", "fields": {"id": {"type": "keyword"}, "_shard_seq": {"type": "int"}}})");
  ASSERT_TRUE(bad.ok());
  EXPECT_FALSE(ShardedWriter::Create(dir.File("a"), *bad, 2).ok());
  EXPECT_FALSE(ShardedWriter::Create(dir.File("b"), ProductSchema(), 0).ok());
  auto writer = ShardedWriter::Create(dir.File("c"), ProductSchema(), 2);
  ASSERT_TRUE(writer.ok());
  EXPECT_FALSE(ShardedWriter::Create(dir.File("c"), ProductSchema(), 2).ok());  // Exists.
  EXPECT_FALSE((*writer)->Upsert("{not json").ok());
  EXPECT_FALSE((*writer)->Upsert(R"({"product_name": "no id"})").ok());
  ASSERT_OK((*writer)->Upsert(R"({"barcode": "1", "product_name": "tea"})"));
  EXPECT_FALSE((*writer)->Set("1", R"({"_shard_seq": 5})").ok());
  ASSERT_TRUE((*writer)->Commit().ok());
  auto index = Index::Open(dir.File("c"));
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  SearchRequest req;
  req.query = "tea";
  req.sort = {{"_shard_seq", false}};
  auto r = (*index)->Search(req);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  req.sort.clear();
  req.search_after = "99:1.0";
  EXPECT_EQ((*index)->Search(req).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE((*index)->schema().FieldIndex("_shard_seq").has_value());
}

TEST(ShardedIndex, ReadersSeeWholeCommitsAndTheWriterRollsForward) {
  testing::TempDir dir;
  const std::string path = dir.File("s");
  const std::vector<std::string> docs = testing::FirstBundledProducts(300);
  {
    auto writer = ShardedWriter::Create(path, ProductSchema(), 3);
    ASSERT_TRUE(writer.ok());
    for (size_t i = 0; i < 200; ++i) ASSERT_OK((*writer)->Upsert(docs[i]));
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  auto before = Index::Open(path);
  ASSERT_TRUE(before.ok());
  EXPECT_EQ((*before)->num_docs(), 200u);
  // A shard committed past its map (a sharded commit cut short): readers
  // refuse it rather than mix commits.
  std::string id;
  {
    Json doc = Json::parse(docs[250]);
    id = doc["barcode"].get<std::string>();
    doc["_shard_seq"] = 200;
    auto shard = IndexWriter::Open(path + "/shard-00" + std::to_string(ShardOf(id, 3)));
    ASSERT_TRUE(shard.ok());
    ASSERT_OK((*shard)->Upsert(doc.dump()));
    ASSERT_TRUE((*shard)->Commit().ok());
  }
  auto mixed = Index::Open(path);
  ASSERT_FALSE(mixed.ok());
  EXPECT_EQ(mixed.status().code(), StatusCode::kAborted) << mixed.status().ToString();
  EXPECT_EQ((*before)->num_docs(), 200u);  // An open snapshot is unaffected.
  // The next writer rolls the map forward, numbering after that doc.
  auto writer = ShardedWriter::Open(path);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_OK((*writer)->Upsert(docs[251]));
  ASSERT_TRUE((*writer)->Commit().ok());
  auto after = (*before)->Reopen();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ((*after)->num_docs(), 202u);
  EXPECT_EQ(Count(**after, "barcode:" + id), 1u);
  ASSERT_OK((*after)->Verify());
  // The rolled-forward doc is 200, the next upsert 201: Hit::doc is the
  // sequence number, and StoredDocument reads it back.
  SearchRequest req;
  req.query = "barcode:" + id;
  auto r = (*after)->Search(req);
  ASSERT_TRUE(r.ok() && r->hits.size() == 1);
  EXPECT_EQ(r->hits[0].doc, 200u);
  auto stored = (*after)->StoredDocument(200);
  ASSERT_TRUE(stored.ok()) << stored.status().ToString();
  EXPECT_NE(stored->find(id), std::string::npos);
  EXPECT_EQ(stored->find("_shard_seq"), std::string::npos);
  auto info = (*after)->Info();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->num_docs, 202u);
  EXPECT_EQ(info->fields.size(), ProductSchema().fields().size());
}

TEST(ShardedIndex, AfterRoundsOfChangesSearchesLikeAFreshBuild) {
  testing::TempDir dir;
  const std::vector<std::string> products = testing::FirstBundledProducts(4000);
  ShardedWriterOptions options;
  options.shard.merge_policy.floor_segment_docs = 50;  // Merges within the rounds.
  options.shard.merge_policy.segments_per_tier = 4;
  auto writer = ShardedWriter::Create(dir.File("s"), ProductSchema(), 3, options);
  ASSERT_TRUE(writer.ok());
  Model model;
  size_t next = 2000;
  for (size_t i = 0; i < next; ++i) {
    ASSERT_OK((*writer)->Upsert(products[i]));
    model.Upsert(Json::parse(products[i]));
  }
  ASSERT_TRUE((*writer)->Commit().ok());
  std::mt19937 rng(2023);
  int in_place = 0, reindexed_sets = 0;
  for (int round = 0; round < 12; ++round) {
    std::set<std::string> pending;  // Upserted in this round: a `_set` re-indexes them.
    for (int op = 0; op < 60; ++op) {
      const int kind = static_cast<int>(rng() % 10);
      if (kind < 3) {
        const std::string id = model.RandomId(rng);
        ASSERT_OK((*writer)->Delete(id));
        model.Remove(id);
      } else if (kind < 6) {
        std::string id = model.RandomId(rng);
        if (!pending.empty() && rng() % 4 == 0) {  // Sometimes one upserted this round.
          auto it = pending.begin();
          std::advance(it, static_cast<long>(rng() % pending.size()));
          if (model.Has(*it)) id = *it;
        }
        const Json fields = {{"sugars_100g", static_cast<double>(rng() % 5000) / 100.0}};
        ASSERT_OK((*writer)->Apply(Json{{"barcode", id}, {"_set", fields}}.dump()));
        Json doc = model.Get(id);
        doc["sugars_100g"] = fields["sugars_100g"];
        if (pending.count(id) != 0) {
          model.Upsert(doc);
          ++reindexed_sets;
        } else {
          model.Replace(doc);
          ++in_place;
        }
      } else if (kind < 8) {
        Json doc = model.Get(model.RandomId(rng));
        doc["product_name"] = doc.value("product_name", std::string()) + " dark chocolate";
        ASSERT_OK((*writer)->Upsert(doc.dump()));
        model.Upsert(doc);
        pending.insert(doc["barcode"].get<std::string>());
      } else if (next < products.size()) {
        ASSERT_OK((*writer)->Apply(products[next]));
        model.Upsert(Json::parse(products[next]));
        pending.insert(Json::parse(products[next++])["barcode"].get<std::string>());
      }
    }
    auto info = round == 7 ? (*writer)->Compact() : (*writer)->Commit();
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    ASSERT_EQ(info->live_docs, model.size());
  }
  // Both kinds of `_set` happened: in place (the doc keeps its place and
  // sequence number) and re-indexed (upserted in the same batch: it moves).
  EXPECT_GT(in_place, 50);
  EXPECT_GT(reindexed_sets, 0);
  auto sharded = Index::Open(dir.File("s"));
  ASSERT_TRUE(sharded.ok()) << sharded.status().ToString();
  ASSERT_OK((*sharded)->Verify());
  ASSERT_OK(testing::BuildIndex(ProductSchema(), model.Lines(), dir.File("fresh.idx")));
  auto fresh = Index::Open(dir.File("fresh.idx"));
  ASSERT_TRUE(fresh.ok());
  std::vector<std::string> names;
  for (const std::string& line : model.Lines()) {
    const Json j = Json::parse(line);
    if (j.contains("product_name")) names.push_back(j["product_name"].get<std::string>());
  }
  int compared = 0;
  for (int q = 0; q < 300; ++q) {
    SearchRequest req = testing::RandomProductRequest(rng, names);
    const std::string what = "request " + std::to_string(q) + " query '" + req.query + "'";
    auto want = (*fresh)->Search(req);
    auto got = (*sharded)->Search(req);
    ASSERT_EQ(want.ok(), got.ok()) << what;
    if (!want.ok()) continue;
    testing::ExpectSameResponse(*want, *got, what);
    EXPECT_EQ(want->suggestion, got->suggestion) << what;
    if (::testing::Test::HasFailure()) return;
    compared += !want->hits.empty();
    // Doc numbers differ after changes (as in an index directory), but
    // each index's own cursor leads to the same next page.
    if (!want->next_cursor.empty()) {
      req.offset = 0;
      SearchRequest want_req = req, got_req = req;
      want_req.search_after = want->next_cursor;
      got_req.search_after = got->next_cursor;
      auto want2 = (*fresh)->Search(want_req);
      auto got2 = (*sharded)->Search(got_req);
      ASSERT_TRUE(want2.ok() && got2.ok()) << what;
      testing::ExpectSameResponse(*want2, *got2, what + " next page");
      if (::testing::Test::HasFailure()) return;
    }
  }
  EXPECT_GT(compared, 150);
}

}  // namespace
}  // namespace libsearch

namespace libsearch {
namespace {

// Shards built apart (as a Spark job's tasks do), then published: the
// same index as ShardedWriter builds; a mis-routed doc fails Verify.
TEST(ShardedIndex, ShardsBuiltApartThenPublished) {
  testing::TempDir dir;
  const std::vector<std::string> docs = testing::FirstBundledProducts(500);
  auto shard_schema = ShardSchema(ProductSchema());
  ASSERT_TRUE(shard_schema.ok()) << shard_schema.status().ToString();
  auto build = [&](const std::string& root, bool misroute) {
    std::vector<std::unique_ptr<IndexWriter>> writers;
    std::filesystem::create_directories(root);
    for (int s = 0; s < 2; ++s) {
      auto w = IndexWriter::Create(root + "/part-" + std::to_string(s), *shard_schema);
      ASSERT_TRUE(w.ok());
      writers.push_back(std::move(*w));
    }
    for (size_t i = 0; i < docs.size(); ++i) {
      Json doc = Json::parse(docs[i]);
      doc["_shard_seq"] = i;
      uint32_t s = ShardOf(doc["barcode"].get<std::string>(), 2);
      if (misroute && i == 77) s = 1 - s;
      ASSERT_OK(writers[s]->Upsert(doc.dump()));
    }
    for (auto& w : writers) ASSERT_TRUE(w->Commit().ok());
    ASSERT_OK(PublishShardMap(root, ProductSchema(), {"part-0", "part-1"}));
  };
  build(dir.File("apart"), false);
  {
    auto writer = ShardedWriter::Create(dir.File("together"), ProductSchema(), 2);
    ASSERT_TRUE(writer.ok());
    for (const std::string& d : docs) ASSERT_OK((*writer)->Upsert(d));
    ASSERT_TRUE((*writer)->Commit().ok());
  }
  auto apart = Index::Open(dir.File("apart"));
  auto together = Index::Open(dir.File("together"));
  ASSERT_TRUE(apart.ok() && together.ok()) << apart.status().ToString();
  ASSERT_OK((*apart)->Verify());
  for (const char* q : {"chocolate", "peanut butter", "organic juice"}) {
    SearchRequest req;
    req.query = q;
    req.k = 20;
    auto a = (*apart)->Search(req);
    auto b = (*together)->Search(req);
    ASSERT_TRUE(a.ok() && b.ok());
    testing::ExpectSameResponse(*b, *a, q);
    EXPECT_EQ(a->next_cursor, b->next_cursor) << q;
  }
  // The writer continues after the published numbers.
  auto writer = ShardedWriter::Open(dir.File("apart"));
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_OK((*writer)->Upsert(docs[3]));
  ASSERT_TRUE((*writer)->Commit().ok());
  SearchRequest req;
  req.query = "barcode:" + Json::parse(docs[3])["barcode"].get<std::string>();
  auto moved = (*Index::Open(dir.File("apart")))->Search(req);
  ASSERT_TRUE(moved.ok() && moved->hits.size() == 1);
  EXPECT_EQ(moved->hits[0].doc, 500u);

  build(dir.File("wrong"), true);
  auto wrong = Index::Open(dir.File("wrong"));
  ASSERT_TRUE(wrong.ok());
  EXPECT_EQ((*wrong)->Verify().code(), StatusCode::kCorruption);
  EXPECT_FALSE(PublishShardMap(dir.File("wrong"), ProductSchema(), {"../x"}).ok());
}

}  // namespace
}  // namespace libsearch
