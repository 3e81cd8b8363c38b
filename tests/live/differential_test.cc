// Issue 17, acceptance 1: the bundled catalogue as an index directory, then
// 24 rounds of random upserts, deletes and `_set` updates through
// IndexWriter, committed (with the merge policy's merges, and one Compact),
// must search exactly like a fresh single build of the final documents:
// 1,000 random requests (filters, facets, sort, typos, prefix, highlights)
// with the same ids, scores to the bit and facet counts. A model of the
// documents in index order (a doc moves to the end when it is upserted, or
// `_set` on a field with terms or before its first commit; a `_set` of
// numbers changes it in place) gives the fresh build's input.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "libsearch/index.h"
#include "libsearch/index_builder.h"
#include "libsearch/index_writer.h"
#include "testing/doc_model.h"
#include "testing/search_compare.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;
using Model = testing::DocOrderModel;

TEST(LiveDifferential, RandomRoundsSearchLikeAFreshBuild) {
  testing::TempDir dir;
  const std::string live = dir.File("live");
  auto schema = Schema::FromFile(testing::SourcePath("examples/products/schema.json"));
  ASSERT_TRUE(schema.ok());
  const std::vector<std::string> products = testing::FirstBundledProducts(10000);
  ASSERT_GT(products.size(), 4000u);
  IndexWriterOptions options;
  options.merge_policy.floor_segment_docs = 50;  // Merges happen within the rounds.
  options.merge_policy.segments_per_tier = 4;
  auto writer = IndexWriter::Create(live, *schema, options);
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  Model model;
  size_t next = 3000;
  for (size_t i = 0; i < next; ++i) {
    ASSERT_OK((*writer)->Upsert(products[i]));
    model.Upsert(Json::parse(products[i]));
  }
  ASSERT_TRUE((*writer)->Commit().ok());

  std::mt19937 rng(2017);
  uint64_t merges = 0, sets = 0, deletes = 0, upserts = 0;
  uint64_t in_place = 0;
  for (int round = 0; round < 24; ++round) {
    std::set<std::string> pending;  // Upserted in this round: not committed.
    const int ops = 10 + static_cast<int>(rng() % 150);
    for (int op = 0; op < ops; ++op) {
      const int kind = static_cast<int>(rng() % 10);
      if (kind < 3 && model.size() > 100) {  // Delete.
        const std::string id = model.RandomId(rng);
        ASSERT_OK((*writer)->Delete(id));
        model.Remove(id);
        ++deletes;
      } else if (kind < 6 && model.size() > 100) {  // `_set` price-like fields.
        const std::string id = model.RandomId(rng);
        Json fields = {{"sugars_100g", static_cast<double>(rng() % 5000) / 100.0}};
        if (rng() % 3 == 0) fields["is_healthy"] = rng() % 2 ? "true" : "false";
        if (rng() % 5 == 0) fields["fat_100g"] = nullptr;  // Removes the field.
        ASSERT_OK((*writer)->Set(id, fields.dump()));
        Json doc = model.Get(id);
        for (auto it = fields.begin(); it != fields.end(); ++it) {
          if (it->is_null()) {
            doc.erase(it.key());
          } else {
            doc[it.key()] = *it;
          }
        }
        if (fields.contains("is_healthy") || pending.count(id) != 0) {
          model.Upsert(doc);
          pending.insert(id);
        } else {
          model.Replace(doc);
          ++in_place;
        }
        ++sets;
      } else if (kind < 8 && model.size() > 100) {  // Upsert a changed copy.
        Json doc = model.Get(model.RandomId(rng));
        doc["product_name"] = doc.value("product_name", std::string()) + " dark chocolate";
        ASSERT_OK((*writer)->Upsert(doc.dump()));
        model.Upsert(doc);
        pending.insert(doc["barcode"].get<std::string>());
        ++upserts;
      } else if (next < products.size()) {  // A new product.
        ASSERT_OK((*writer)->Upsert(products[next]));
        model.Upsert(Json::parse(products[next++]));
        pending.insert(model.LastId());
        ++upserts;
      }
    }
    if (round == 15) {
      auto compacted = (*writer)->Compact();
      ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
    } else {
      auto info = (*writer)->Commit();
      ASSERT_TRUE(info.ok()) << info.status().ToString();
      merges += info->merges;
    }
  }
  EXPECT_GT(merges, 0u);
  EXPECT_GT(sets, 100u);
  EXPECT_GT(in_place, 50u);
  EXPECT_GT(deletes, 100u);

  auto index = Index::Open(live);
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  ASSERT_EQ((*index)->num_docs(), model.size());
  EXPECT_GT((*index)->Info()->segments.size(), 1u);
  uint64_t updated = 0;  // Searches read update files, not only merged segments.
  const auto info = (*index)->Info();
  ASSERT_TRUE(info.ok());
  for (const SegmentInfo& seg : info->segments) updated += seg.updated;
  EXPECT_GT(updated, 10u);
  ASSERT_OK((*index)->Verify());
  ASSERT_OK(testing::BuildIndex(*schema, model.Lines(), dir.File("fresh.idx")));
  auto fresh = Index::Open(dir.File("fresh.idx"));
  ASSERT_TRUE(fresh.ok());

  std::vector<std::string> names;
  for (const std::string& line : model.Lines()) {
    const Json j = Json::parse(line);
    if (j.contains("product_name")) names.push_back(j["product_name"].get<std::string>());
  }
  int compared = 0;
  for (int q = 0; q < 1000; ++q) {
    const SearchRequest req = testing::RandomProductRequest(rng, names);
    const std::string what = "request " + std::to_string(q) + " query '" + req.query + "'";
    auto want = (*fresh)->Search(req);
    auto got = (*index)->Search(req);
    ASSERT_EQ(want.ok(), got.ok())
        << what << ": " << want.status().ToString() << " / " << got.status().ToString();
    if (!want.ok()) continue;
    testing::ExpectSameResponse(*want, *got, what);
    if (::testing::Test::HasFailure()) return;
    compared += !want->hits.empty();
  }
  EXPECT_GT(compared, 500);
}

}  // namespace
}  // namespace libsearch
