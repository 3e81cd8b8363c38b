// The batched visit-all path (search/visit_all.h: matches by blocks, range
// filters and deleted docs tested inline, facets counted per block, sort
// values compared before scoring) against the doc by doc loop it replaced:
// random product-like docs and requests (words, prefixes, typos; range,
// keyword and combined filters; keyword, multi-valued and range facets,
// disjunctive ones with their filter lifted; sorts with many ties, both
// directions, missing values; offsets; cursor pages; highlights) on a
// single file and on a directory with deletes and small segments must
// answer the same ids, scores (to the bit), order, totals, facet counts,
// highlights and cursors.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "libsearch/index.h"
#include "libsearch/index_writer.h"
#include "query/collect/match_blocks.h"
#include "search/visit_all.h"
#include "testing/rounds.h"
#include "testing/search_compare.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using testing::TempDir;

constexpr int kNumDocs = 4000;

Schema ProductSchema() {
  auto schema = Schema::FromJson(R"({"id": "id", "fields": {
      "name": {"type": "text", "boost": 2.0, "stored": true},
      "body": {"type": "text"},
      "brand": {"type": "keyword"},
      "tags": {"type": "keyword"},
      "sugars": {"type": "float"},
      "price": {"type": "int"}}})");
  EXPECT_TRUE(schema.ok());
  return *schema;
}

// Words over a small alphabet, so that typos and short prefixes reach many.
std::vector<std::string> Vocabulary(std::mt19937& rng) {
  std::vector<std::string> words;
  for (int i = 0; i < 150; ++i) {
    std::string w;
    const int len = 4 + static_cast<int>(rng() % 5);
    for (int c = 0; c < len; ++c) w += static_cast<char>('a' + rng() % 7);
    words.push_back(w);
  }
  return words;
}

std::string MakeDoc(std::mt19937& rng, const std::vector<std::string>& vocab, int id) {
  std::vector<double> weights;
  for (size_t i = 0; i < vocab.size(); ++i) weights.push_back(1.0 / (i + 1));
  std::discrete_distribution<int> zipf(weights.begin(), weights.end());
  std::string name, body;
  for (int i = 0, n = 1 + static_cast<int>(rng() % 4); i < n; ++i) name += vocab[zipf(rng)] + " ";
  for (int i = 0, n = static_cast<int>(rng() % 20); i < n; ++i) body += vocab[zipf(rng)] + " ";
  std::string doc = "{\"id\": \"p" + std::to_string(id) + "\", \"name\": \"" + name +
                    "\", \"body\": \"" + body + "\"";
  if (rng() % 10 != 0) doc += ", \"brand\": \"b" + std::to_string(rng() % 12) + "\"";
  if (rng() % 3 != 0) {
    doc += ", \"tags\": [\"t" + std::to_string(rng() % 6) + "\"";
    if (rng() % 2 == 0) doc += ", \"t" + std::to_string(rng() % 6) + "\"";
    doc += "]";
  }
  // Many ties: a third at 0, the rest on a coarse grid; some missing.
  if (rng() % 8 != 0) {
    const double sugars = rng() % 3 == 0 ? 0.0 : static_cast<double>(rng() % 80) / 2;
    doc += ", \"sugars\": " + std::to_string(sugars);
  }
  if (rng() % 6 != 0) doc += ", \"price\": " + std::to_string(rng() % 40);
  return doc + "}";
}

class VisitAllOracleTest : public ::testing::Test {
 protected:
  // Every score bound the batched path rejects a doc on is checked too.
  void SetUp() override { internal::SetCheckScoreBounds(true); }
  void TearDown() override {
    internal::SetBatchedVisitAll(true);
    internal::SetCheckScoreBounds(false);
  }

  static SearchRequest RandomRequest(std::mt19937& rng, const std::vector<std::string>& vocab) {
    SearchRequest req;
    req.suggest = false;
    req.include_docs = false;
    const auto word = [&] { return vocab[rng() % 40]; };
    switch (rng() % 5) {
      case 0: req.query = word(); break;
      case 1: req.query = word() + " " + word(); break;
      case 2:  // A prefix, down to one letter.
        req.query = word().substr(0, 1 + rng() % 3);
        req.prefix_last = true;
        break;
      case 3: {  // A typo.
        std::string w = word();
        w[rng() % w.size()] = static_cast<char>('a' + rng() % 7);
        req.query = w;
        break;
      }
      default: req.query = word() + " " + word().substr(0, 2); req.prefix_last = true;
    }
    req.typos = rng() % 2 == 0;
    req.default_operator = rng() % 3 == 0 ? Operator::kOr : Operator::kAnd;
    if (rng() % 4 == 0) req.field_scoring = FieldScoring::kPerField;
    switch (rng() % 6) {
      case 0: break;
      case 1: req.filters = {"sugars:[0 TO " + std::to_string(rng() % 40) + "]"}; break;
      case 2: req.filters = {"price:[5 TO 30]"}; break;
      case 3: req.filters = {"brand:b" + std::to_string(rng() % 12)}; break;
      case 4: req.filters = {"sugars:[0 TO 15]", "brand:b" + std::to_string(rng() % 3)}; break;
      default: req.filters = {"sugars:[2 TO 30]", "tags:t1 OR tags:t2"};
    }
    if (rng() % 4 != 0) {
      req.facets.push_back({"brand", 1 + rng() % 8, {}, rng() % 3 == 0});
      if (rng() % 2 == 0) req.facets.push_back({"tags", 10, {}, false});
      if (rng() % 2 == 0) {
        FacetRequest ranges{"sugars", 10, {}, rng() % 2 == 0};
        ranges.ranges = {{"", 0, 5}, {"", 5, 20}, {"", 20, 1e9}};
        req.facets.push_back(ranges);
      }
      if (rng() % 3 == 0) req.facets.push_back({"price", 10, {{"cheap", 0, 10}}, false});
    }
    switch (rng() % 7) {
      case 0: break;  // Relevance (facets or a cursor make it visit all).
      case 1: req.sort = {{"sugars", false}}; break;
      case 2: req.sort = {{"sugars", true}}; break;
      case 3: req.sort = {{"price", rng() % 2 == 0}, {"sugars", false}}; break;
      case 4: req.sort = {{"sugars", false}, {"_score", false}}; break;
      case 5: req.sort = {{"brand", rng() % 2 == 0}}; break;
      default: req.sort = {{"_score", true}};
    }
    // Highlights use the terms the query matched, which the batched path
    // must note as the doc by doc one does.
    if (rng() % 4 == 0) req.highlight.fields = {"name"};
    req.k = std::vector<size_t>{0, 1, 5, 10, 30}[rng() % 5];
    req.offset = rng() % 4 == 0 ? rng() % 6 : 0;
    return req;
  }

  // Each request, and two cursor pages after it, by both paths.
  static void ExpectBatchedEqualsReference(const Index& index, uint32_t seed,
                                           const std::vector<std::string>& vocab) {
    std::mt19937 rng(seed);
    const int num_requests = testing::Rounds(400);
    int with_hits = 0, sorted = 0;
    for (int r = 0; r < num_requests; ++r) {
      SearchRequest req = RandomRequest(rng, vocab);
      for (int page = 0; page < 3; ++page) {
        std::string what = "request " + std::to_string(r) + " '" + req.query + "' page " +
                           std::to_string(page) + " filters";
        for (const auto& f : req.filters) what += " " + f;
        internal::SetBatchedVisitAll(false);
        auto want = index.Search(req);
        internal::SetBatchedVisitAll(true);
        auto got = index.Search(req);
        ASSERT_EQ(got.ok(), want.ok()) << what;
        if (!want.ok()) {
          EXPECT_EQ(got.status().ToString(), want.status().ToString()) << what;
          break;
        }
        testing::ExpectIdentical(*want, *got, what);
        if (HasFatalFailure()) return;
        with_hits += !want->hits.empty();
        sorted += !req.sort.empty() && want->hits.size() > 1;
        if (want->next_cursor.empty()) break;
        req.search_after = want->next_cursor;
        req.offset = 0;
      }
    }
    EXPECT_EQ(internal::ScoreBoundViolations(), 0u) << "a doc was rejected below its score";
    EXPECT_GT(with_hits, num_requests / 2);
    EXPECT_GT(sorted, num_requests / 5);
  }
};

TEST_F(VisitAllOracleTest, SingleFileBatchedEqualsDocByDoc) {
  std::mt19937 rng(71);
  const std::vector<std::string> vocab = Vocabulary(rng);
  std::vector<std::string> docs;
  for (int d = 0; d < kNumDocs; ++d) docs.push_back(MakeDoc(rng, vocab, d));
  TempDir dir;
  ASSERT_OK(testing::BuildIndex(ProductSchema(), docs, dir.File("p.idx")));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("p.idx")));
  ExpectBatchedEqualsReference(*index, 72, vocab);
}

TEST_F(VisitAllOracleTest, SegmentsWithDeletesBatchedEqualsDocByDoc) {
  std::mt19937 rng(81);
  const std::vector<std::string> vocab = Vocabulary(rng);
  TempDir dir;
  IndexWriterOptions no_merge;
  no_merge.merge_on_commit = false;
  ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(dir.File("live"), ProductSchema(), no_merge));
  for (int d = 0; d < kNumDocs; ++d) ASSERT_OK(w->Upsert(MakeDoc(rng, vocab, d)));
  ASSERT_OK(w->Commit().status());
  // A run of whole blocks and ~15% scattered deleted, then small segments
  // of new docs and changed copies (an upsert deletes the old one).
  const int run = static_cast<int>(rng() % (kNumDocs - 2000));
  for (int d = run; d < run + 1500; ++d) ASSERT_OK(w->Delete("p" + std::to_string(d)));
  for (int d = 0; d < kNumDocs; ++d) {
    if (rng() % 7 == 0 && (d < run || d >= run + 1500)) {
      ASSERT_OK(w->Delete("p" + std::to_string(d)));
    }
  }
  ASSERT_OK(w->Commit().status());
  for (int round = 0; round < 4; ++round) {
    for (int i = 0; i < 60; ++i) {
      const int id = i % 2 == 0 ? kNumDocs + round * 60 + i : static_cast<int>(rng() % kNumDocs);
      ASSERT_OK(w->Upsert(MakeDoc(rng, vocab, id)));
    }
    ASSERT_OK(w->Commit().status());
  }
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("live")));
  ASSERT_EQ(index->Info()->segments.size(), 5u);
  ExpectBatchedEqualsReference(*index, 82, vocab);
}

}  // namespace
}  // namespace libsearch
