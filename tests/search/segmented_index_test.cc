// An index directory of several segments with deletes, searched against a
// fresh single build of the same live documents: every hit's id and score
// (to the last bit), totals and facet counts must be equal, across plain,
// phrase, prefix, typo, filtered, faceted, sorted and paged requests.
// The directory is written here with the storage layer (segments with
// sources, delete files, tombstones, manifest) as IndexWriter writes it.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "libsearch/index.h"
#include "libsearch/index_builder.h"
#include "storage/index_dir.h"
#include "storage/manifest.h"
#include "testing/rounds.h"
#include "testing/search_compare.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;
using internal::Manifest;
using internal::SegmentEntry;

struct SegmentModel {
  std::vector<std::string> docs;  // Sources, in doc order.
  std::set<uint32_t> deleted;
};

Schema TestSchema() {
  // The bundled schema, with ingredients not stored: tombstones must come
  // from sources, not from stored fields.
  Json j = Json::parse(testing::ReadFile(testing::SourcePath("examples/products/schema.json")));
  j["fields"]["ingredients"]["stored"] = false;
  auto schema = Schema::FromJson(j.dump());
  EXPECT_TRUE(schema.ok()) << schema.status().ToString();
  return *schema;
}

Status WriteIndex(const Schema& schema, const std::vector<std::string>& docs, bool keep_source,
                  const std::string& path) {
  IndexBuilderOptions options;
  options.keep_source = keep_source;
  LIBSEARCH_ASSIGN_OR_RETURN(auto builder, IndexBuilder::Create(schema, options));
  for (const std::string& d : docs) LIBSEARCH_RETURN_IF_ERROR(builder->AddJson(d));
  return builder->Build(path);
}

// Writes the model as an index directory at `dir` (segment files that
// exist already are kept).
void WriteDirectory(const Schema& schema, const std::vector<SegmentModel>& segments,
                    const std::string& dir, uint64_t generation = 1) {
  Manifest m;
  m.generation = generation;
  m.schema_json = schema.ToJson();
  for (const SegmentModel& seg : segments) {
    SegmentEntry e;
    e.name = Manifest::SegmentName(m.next_segment++);
    e.num_docs = seg.docs.size();
    if (!std::filesystem::exists(dir + "/" + e.SegmentFile())) {
      ASSERT_OK(WriteIndex(schema, seg.docs, true, dir + "/" + e.SegmentFile()));
    }
    if (!seg.deleted.empty()) {
      internal::DocSet deleted;
      std::vector<std::string> gone;
      for (uint32_t d : seg.deleted) {
        deleted.Add(d);
        gone.push_back(seg.docs[d]);
      }
      e.num_deleted = seg.deleted.size();
      const internal::DeleteGeneration& g = e.deletes.emplace_back(internal::DeleteGeneration{
          e.name + "_" + std::to_string(generation) + ".del",
          e.name + "_" + std::to_string(generation) + ".tomb", e.num_deleted});
      ASSERT_OK(internal::WriteDeleteFile(dir + "/" + g.deletes, deleted, e.num_docs));
      ASSERT_OK(WriteIndex(schema, gone, false, dir + "/" + g.tombstone));
    }
    m.segments.push_back(e);
  }
  ASSERT_OK(internal::WriteManifest(dir, m));
}

std::string IdOf(const std::string& doc) { return Json::parse(doc)["barcode"].get<std::string>(); }

class SegmentedIndexTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    const Schema schema = TestSchema();
    const std::vector<std::string> products = testing::FirstBundledProducts(3000);
    std::mt19937 rng(1717);
    std::vector<SegmentModel> segments(1);
    size_t next = 1200;
    segments[0].docs.assign(products.begin(), products.begin() + next);
    // Where each live id is: (segment, doc).
    std::map<std::string, std::pair<size_t, uint32_t>> live;
    for (uint32_t d = 0; d < next; ++d) live[IdOf(segments[0].docs[d])] = {0, d};
    auto erase = [&](const std::string& id) {
      const auto [s, d] = live.at(id);
      segments[s].deleted.insert(d);
      live.erase(id);
    };
    auto random_live = [&]() {
      auto it = live.begin();
      std::advance(it, static_cast<long>(rng() % live.size()));
      return it->first;
    };
    for (int round = 0; round < 8; ++round) {
      SegmentModel seg;
      std::map<std::string, size_t> pending;  // id -> index in seg.docs
      const int ops = 20 + static_cast<int>(rng() % 120);
      for (int op = 0; op < ops; ++op) {
        const int kind = static_cast<int>(rng() % 4);
        if (kind == 0 && live.size() > 10) {  // Delete.
          const std::string id = random_live();
          if (pending.count(id)) continue;  // Keep the model simple: not in this batch.
          erase(id);
        } else if (kind == 1 && live.size() > 10) {  // Upsert a changed copy.
          const std::string id = random_live();
          if (pending.count(id)) continue;
          const auto [s, d] = live.at(id);
          Json doc = Json::parse(segments[s].docs[d]);
          doc["sugars_100g"] = static_cast<double>(rng() % 4000) / 100.0;
          if (rng() % 2) {
            doc["product_name"] = doc.value("product_name", std::string()) + " organic chocolate";
          }
          erase(id);
          pending[id] = seg.docs.size();
          seg.docs.push_back(doc.dump());
        } else if (next < products.size()) {  // A new product.
          const std::string id = IdOf(products[next]);
          pending[id] = seg.docs.size();
          seg.docs.push_back(products[next++]);
        }
      }
      const size_t s = segments.size();
      for (const auto& [id, d] : pending) live[id] = {s, static_cast<uint32_t>(d)};
      segments.push_back(std::move(seg));
    }
    ASSERT_EQ(segments.back().deleted.size(), 0u);
    std::filesystem::create_directory(dir_->File("live"));
    WriteDirectory(schema, segments, dir_->File("live"));
    std::vector<std::string> final_docs;
    for (const SegmentModel& seg : segments) {
      for (uint32_t d = 0; d < seg.docs.size(); ++d) {
        if (!seg.deleted.count(d)) final_docs.push_back(seg.docs[d]);
      }
      ASSERT_LT(seg.deleted.size(), seg.docs.size() + 1);
    }
    num_live_ = final_docs.size();
    ASSERT_OK(WriteIndex(schema, final_docs, false, dir_->File("fresh.idx")));
    for (const std::string& d : final_docs) {
      const Json j = Json::parse(d);
      if (j.contains("product_name")) names_->push_back(j["product_name"].get<std::string>());
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    names_->clear();
  }

  static testing::TempDir* dir_;
  static std::vector<std::string>* names_;
  static size_t num_live_;
};
testing::TempDir* SegmentedIndexTest::dir_ = nullptr;
std::vector<std::string>* SegmentedIndexTest::names_ = new std::vector<std::string>();
size_t SegmentedIndexTest::num_live_ = 0;

using testing::ExpectSameResponse;

// `rounds` random product requests (seed `seed`), each changed by `vary`,
// on the live directory and on a fresh build of the same docs: the same
// responses; more than `min_with_hits` of them with hits.
void CompareWithFreshBuild(uint32_t seed, int rounds, int min_with_hits,
                           const std::function<void(std::mt19937&, SearchRequest*)>& vary,
                           const std::string& dir_live, const std::string& fresh_path,
                           const std::vector<std::string>& names) {
  auto live = Index::Open(dir_live);
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  auto fresh = Index::Open(fresh_path);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  std::mt19937 rng(seed);
  int compared = 0;
  for (int q = 0; q < rounds; ++q) {
    SearchRequest req = testing::RandomProductRequest(rng, names);
    vary(rng, &req);
    const std::string what = "request " + std::to_string(q) + " query '" + req.query + "'";
    auto want = (*fresh)->Search(req);
    auto got = (*live)->Search(req);
    ASSERT_EQ(want.ok(), got.ok())
        << what << ": " << want.status().ToString() << " / " << got.status().ToString();
    if (!want.ok()) continue;
    ExpectSameResponse(*want, *got, what);
    if (::testing::Test::HasFailure()) return;
    compared += !want->hits.empty();
  }
  EXPECT_GT(compared, min_with_hits);
}

TEST_F(SegmentedIndexTest, RandomRequestsEqualAFreshBuild) {
  {
    auto live = Index::Open(dir_->File("live"));
    ASSERT_TRUE(live.ok()) << live.status().ToString();
    EXPECT_EQ((*live)->num_docs(), num_live_);
    EXPECT_GT((*live)->Info()->segments.size(), 5u);
  }
  CompareWithFreshBuild(
      99, testing::Rounds(1000), testing::Rounds(500), [](std::mt19937&, SearchRequest*) {},
      dir_->File("live"), dir_->File("fresh.idx"), *names_);
}

// Every request with typos and search-as-you-type, scored both ways: the
// words' expansions are weighed once per search and bound per segment
// (query/term_picks.h), through every typo tier and the highlighter.
TEST_F(SegmentedIndexTest, RandomTypoAndPrefixRequestsEqualAFreshBuild) {
  CompareWithFreshBuild(
      1717, testing::Rounds(6000), testing::Rounds(1500),
      [](std::mt19937& rng, SearchRequest* req) {
        req->typos = rng() % 4 != 0;
        req->prefix_last = rng() % 4 != 0;
        if (rng() % 3 == 0) req->field_scoring = FieldScoring::kPerField;
        if (rng() % 4 == 0) req->highlight.fields = {"product_name", "ingredients"};
      },
      dir_->File("live"), dir_->File("fresh.idx"), *names_);
}

TEST_F(SegmentedIndexTest, CursorsPageLikeAFreshBuild) {
  auto live = Index::Open(dir_->File("live"));
  ASSERT_TRUE(live.ok()) << live.status().ToString();
  auto fresh = Index::Open(dir_->File("fresh.idx"));
  ASSERT_TRUE(fresh.ok());
  std::mt19937 rng(5);
  int long_pages = 0;  // Queries paged past their first page.
  for (const char* query : {"chocolate", "organic chocolate", "sauce tomate", "", "choclate",
                            "chocolate", "", "tomate"}) {
    SearchRequest req;
    req.query = query;
    req.k = 7;
    req.include_docs = false;
    req.typos = rng() % 2 == 0;
    if (rng() % 2) req.sort.push_back({rng() % 2 ? "country" : "sugars_100g", rng() % 2 == 0});
    std::vector<std::string> a, b;
    std::string ca, cb;
    for (int page = 0; page < 6; ++page) {
      SearchRequest ra = req, rb = req;
      ra.search_after = ca;
      rb.search_after = cb;
      auto pa = (*fresh)->Search(ra);
      auto pb = (*live)->Search(rb);
      ASSERT_TRUE(pa.ok() && pb.ok()) << pb.status().ToString();
      for (const Hit& h : pa->hits) a.push_back(h.id);
      for (const Hit& h : pb->hits) b.push_back(h.id);
      ca = pa->next_cursor;
      cb = pb->next_cursor;
      if (pa->hits.empty()) break;
    }
    EXPECT_EQ(a, b) << query;
    long_pages += a.size() > 7;
  }
  EXPECT_GE(long_pages, 4);
}

TEST_F(SegmentedIndexTest, DeletedDocsAreGoneAndInfoShowsSegments) {
  auto live = Index::Open(dir_->File("live"));
  ASSERT_TRUE(live.ok());
  const IndexInfo info = *(*live)->Info();
  EXPECT_EQ(info.generation, 1u);
  uint64_t docs = 0, deleted = 0;
  for (const SegmentInfo& s : info.segments) {
    docs += s.docs;
    deleted += s.deleted;
  }
  EXPECT_GT(deleted, 0u);
  EXPECT_EQ(docs - deleted, info.num_docs);
  EXPECT_OK((*live)->Verify());
  // Field statistics are those of the live docs, as a fresh build's.
  auto fresh = Index::Open(dir_->File("fresh.idx"));
  ASSERT_TRUE(fresh.ok());
  const IndexInfo want = *(*fresh)->Info();
  ASSERT_EQ(want.fields.size(), info.fields.size());
  for (size_t f = 0; f < want.fields.size(); ++f) {
    EXPECT_EQ(want.fields[f].doc_count, info.fields[f].doc_count) << want.fields[f].name;
    EXPECT_EQ(want.fields[f].total_terms, info.fields[f].total_terms) << want.fields[f].name;
    EXPECT_EQ(want.fields[f].min_value, info.fields[f].min_value) << want.fields[f].name;
    EXPECT_EQ(want.fields[f].max_value, info.fields[f].max_value) << want.fields[f].name;
  }
  // Every doc number either is deleted (NotFound) or holds a live doc.
  uint64_t found = 0;
  for (uint32_t d = 0; d < docs; ++d) {
    auto doc = (*live)->StoredDocument(d);
    if (doc.ok()) {
      ++found;
    } else {
      EXPECT_EQ(doc.status().code(), StatusCode::kNotFound);
    }
  }
  EXPECT_EQ(found, info.num_docs);
}

TEST(SegmentedIndex, AnEmptyDirectoryAnswersLikeAnEmptyBuild) {
  testing::TempDir dir;
  const Schema schema = TestSchema();
  WriteDirectory(schema, {}, dir.path());
  auto index = Index::Open(dir.path());
  ASSERT_TRUE(index.ok()) << index.status().ToString();
  EXPECT_EQ((*index)->num_docs(), 0u);
  EXPECT_TRUE((*index)->Info()->segments.empty());
  SearchRequest req;
  req.query = "chocolate";
  req.facets.push_back({"country", 5, {}, false});
  auto resp = (*index)->Search(req);
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->total, 0u);
  ASSERT_EQ(resp->facets.size(), 1u);
  req.sort.push_back({"no_such_field", false});
  resp = (*index)->Search(req);
  ASSERT_FALSE(resp.ok());
  EXPECT_NE(resp.status().message().find("no_such_field"), std::string::npos);
}

TEST(SegmentedIndex, ReopenSeesTheNewCommitAndTheOldSnapshotStays) {
  testing::TempDir dir;
  const Schema schema = TestSchema();
  const std::vector<std::string> products = testing::FirstBundledProducts(900);
  std::vector<SegmentModel> segments(1);
  segments[0].docs.assign(products.begin(), products.begin() + 600);
  WriteDirectory(schema, segments, dir.path(), 1);
  auto first = Index::Open(dir.path());
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  // Commit 2: deletes in the first segment, a second segment.
  segments[0].deleted = {1, 7, 30, 31, 599};
  segments.push_back({{products.begin() + 600, products.end()}, {}});
  WriteDirectory(schema, segments, dir.path(), 2);
  auto second = (*first)->Reopen();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ((*first)->num_docs(), 600u);
  EXPECT_EQ((*second)->num_docs(), 895u);
  EXPECT_EQ((*second)->Info()->generation, 2u);
  std::vector<std::string> live;
  for (uint32_t d = 0; d < 600; ++d) {
    if (!segments[0].deleted.count(d)) live.push_back(products[d]);
  }
  live.insert(live.end(), products.begin() + 600, products.end());
  ASSERT_OK(WriteIndex(schema, live, false, dir.File("fresh.idx")));
  ASSERT_OK(
      WriteIndex(schema, {products.begin(), products.begin() + 600}, false, dir.File("old.idx")));
  auto fresh = Index::Open(dir.File("fresh.idx"));
  auto old = Index::Open(dir.File("old.idx"));
  ASSERT_TRUE(fresh.ok() && old.ok());
  for (const char* q : {"chocolate", "sauce", "organic milk", "", "the"}) {
    SearchRequest req;
    req.query = q;
    req.k = 20;
    req.facets.push_back({"country", 5, {}, false});
    auto a = (*fresh)->Search(req), b = (*second)->Search(req);
    auto c = (*old)->Search(req), d = (*first)->Search(req);
    ASSERT_TRUE(a.ok() && b.ok() && c.ok() && d.ok());
    ExpectSameResponse(*a, *b, std::string("reopened: ") + q);
    ExpectSameResponse(*c, *d, std::string("old snapshot: ") + q);
  }
  // Nothing committed since: a snapshot of the same commit.
  auto third = (*second)->Reopen();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)->Info()->generation, 2u);
  EXPECT_EQ((*third)->num_docs(), 895u);
}

TEST(SegmentedIndex, ADirectoryWithoutManifestSaysSo) {
  testing::TempDir dir;
  auto index = Index::Open(dir.path());
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), StatusCode::kNotFound);
  EXPECT_NE(index.status().message().find("a directory without a MANIFEST: not an index"),
            std::string::npos);
}

}  // namespace
}  // namespace libsearch
