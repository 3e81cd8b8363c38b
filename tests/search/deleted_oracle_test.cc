// Deleted docs on the pruned collection paths: a segment's deletes are
// dropped by the top-k collector (not by a query clause), so block-max AND,
// MaxScore, req-opt and the term paths run on a segment with deletes as on
// one without. Every request on an index directory with deletes (one
// segment, and a base with small segments) must answer as the exhaustive
// search of a fresh build of the live docs: the same ids and scores to the
// last bit at every count threshold, exact totals where the threshold is
// not passed, and COUNT.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "libsearch/index.h"
#include "libsearch/index_writer.h"
#include "testing/rounds.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using testing::TempDir;

constexpr int kNumDocs = 3000;
constexpr int kVocab = 200;

Schema OracleSchema() {
  auto schema = Schema::FromJson(R"({"id": "id", "fields": {
      "title": {"type": "text", "boost": 2.0, "stored": true},
      "body": {"type": "text"}}})");
  EXPECT_TRUE(schema.ok());
  return *schema;
}

// Zipf-ish words plus words at the 128-doc block boundaries, as the search
// oracle's corpus (search_oracle_test.cc).
std::vector<std::string> MakeDocs(std::mt19937& rng, int first, int n) {
  std::vector<double> weights;
  for (int i = 0; i < kVocab; ++i) weights.push_back(1.0 / (i + 1));
  std::discrete_distribution<int> zipf(weights.begin(), weights.end());
  std::vector<std::string> docs;
  for (int d = first; d < first + n; ++d) {
    std::string title, body;
    const int tlen = 1 + static_cast<int>(rng() % 6), blen = static_cast<int>(rng() % 60);
    for (int i = 0; i < tlen; ++i) title += "w" + std::to_string(zipf(rng)) + " ";
    for (int i = 0; i < blen; ++i) body += "w" + std::to_string(zipf(rng)) + " ";
    if (rng() % 24 == 0) title += "blk ";
    if (d % 1000 == 7) body += "uniq ";
    docs.push_back("{\"id\": \"d" + std::to_string(d) + "\", \"title\": \"" + title +
                   "\", \"body\": \"" + body + "\"}");
  }
  return docs;
}

class DeletedOracleTest : public ::testing::Test {
 protected:
  // Writes `dir`: the corpus in one segment, then `rounds` commits that
  // delete docs (scattered, and whole blocks' worth in a run) and upsert
  // changed copies into small segments; and `fresh`: a single build of the
  // live docs in the same order.
  static void Build(const std::string& dir, const std::string& fresh, int rounds, uint32_t seed) {
    std::mt19937 rng(seed);
    const Schema schema = OracleSchema();
    std::vector<std::string> docs = MakeDocs(rng, 0, kNumDocs);
    IndexWriterOptions no_merge;
    no_merge.merge_on_commit = false;
    // A run of 300 docs (whole blocks) will be deleted; "runword" is in
    // them and a few around: a word most of whose docs are gone.
    const int run = static_cast<int>(rng() % (kNumDocs - 300));
    for (int d = std::max(0, run - 20); d < std::min(kNumDocs, run + 320); ++d) {
      docs[d].insert(docs[d].find("\"title\": \"") + 10, "runword ");
    }
    ASSERT_OK_AND_ASSIGN(auto w, IndexWriter::Create(dir, schema, no_merge));
    for (const std::string& d : docs) ASSERT_OK(w->Upsert(d));
    ASSERT_OK(w->Commit().status());
    // Live docs in index order: (id -> source); order = base order, then
    // each round's upserts.
    std::vector<std::pair<std::string, std::string>> order;
    for (int d = 0; d < kNumDocs; ++d) order.emplace_back("d" + std::to_string(d), docs[d]);
    std::set<std::string> gone;
    auto remove = [&](const std::string& id) {
      gone.insert(id);
      ASSERT_OK(w->Delete(id));
    };
    // The run and ~15% scattered.
    for (int d = run; d < run + 300; ++d) remove("d" + std::to_string(d));
    for (int d = 0; d < kNumDocs; ++d) {
      if (rng() % 7 == 0 && !gone.count("d" + std::to_string(d))) remove("d" + std::to_string(d));
    }
    ASSERT_OK(w->Commit().status());
    int next = kNumDocs;
    for (int r = 0; r < rounds; ++r) {
      std::vector<std::string> added = MakeDocs(rng, next, 40);
      for (int i = 0; i < 40; ++i) {
        // Half new docs, half changed copies of live ones (an upsert deletes).
        std::string id = "d" + std::to_string(next + i);
        if (i % 2 == 1) {
          const int old = static_cast<int>(rng() % kNumDocs);
          const std::string old_id = "d" + std::to_string(old);
          if (!gone.count(old_id)) {
            gone.insert(old_id);
            id = old_id;
            const std::string& src = added[i];
            added[i] = "{\"id\": \"" + id + "\"" + src.substr(src.find(','));
          }
        }
        ASSERT_OK(w->Upsert(added[i]));
        order.emplace_back(id, added[i]);
      }
      next += 40;
      ASSERT_OK(w->Commit().status());
    }
    // The last version of each live id, in index order.
    std::map<std::string, size_t> last;
    for (size_t i = 0; i < order.size(); ++i) last[order[i].first] = i;
    std::vector<std::string> live;
    for (size_t i = 0; i < order.size(); ++i) {
      const bool deleted_base = i < static_cast<size_t>(kNumDocs) && gone.count(order[i].first);
      if (!deleted_base && last[order[i].first] == i) live.push_back(order[i].second);
    }
    ASSERT_OK(testing::BuildIndex(schema, live, fresh));
  }

  // Random queries of each collection path's shape; each at several count
  // thresholds and k, on `live` against the exhaustive search of `fresh`.
  static void ExpectLikeFresh(const Index& live, const Index& fresh, uint32_t seed) {
    std::mt19937 rng(seed);
    std::vector<std::string> words = {"blk", "uniq", "runword", "runword"};
    for (int i = 0; i < 40; ++i) words.push_back("w" + std::to_string(i));
    const int num_queries = testing::Rounds(300);
    int pruned = 0;
    for (int qi = 0; qi < num_queries; ++qi) {
      SearchRequest req;
      // 0: one word; 1: AND of 2-3 (block-max AND); 2: OR of 2-4
      // (MaxScore); 3: +a +b c (req-opt); 4: a b -c.
      const int kind = qi % 5;
      const int n = kind == 0   ? 1
                    : kind == 1 ? 2 + static_cast<int>(rng() % 2)
                                : 2 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) {
        if (kind == 3 && i < 2) req.query += "+";
        if (kind == 4 && i == n - 1) req.query += "-";
        req.query += words[rng() % words.size()] + " ";
      }
      req.default_operator = kind == 1 ? Operator::kAnd : Operator::kOr;
      if (qi % 10 >= 5) req.fields = {"title"};  // A flat union of terms.
      if (qi % 3 == 2) req.field_scoring = FieldScoring::kBm25fCombinedLength;
      if (qi % 3 == 1) req.field_scoring = FieldScoring::kPerField;
      req.k = std::vector<size_t>{1, 10, 100}[rng() % 3];
      req.suggest = false;
      const std::string what = "query '" + req.query + "' kind " + std::to_string(kind);
      req.total_hits_threshold = SearchRequest::kExactTotal;
      ASSERT_OK_AND_ASSIGN(SearchResponse want, fresh.Search(req));
      ASSERT_TRUE(want.total_exact);
      for (uint64_t threshold :
           {SearchRequest::kExactTotal, uint64_t{0}, uint64_t{1 + rng() % 300}}) {
        req.total_hits_threshold = threshold;
        ASSERT_OK_AND_ASSIGN(SearchResponse got, live.Search(req));
        const std::string at = what + " threshold " + std::to_string(threshold);
        ASSERT_EQ(got.hits.size(), want.hits.size()) << at;
        for (size_t i = 0; i < want.hits.size(); ++i) {
          ASSERT_EQ(got.hits[i].id, want.hits[i].id) << at << " rank " << i;
          uint32_t a, b;
          std::memcpy(&a, &want.hits[i].score, 4);
          std::memcpy(&b, &got.hits[i].score, 4);
          ASSERT_EQ(a, b) << at << " rank " << i;
        }
        // Segments count up to the threshold each: their sum may be
        // exact past it.
        if (want.total <= threshold || got.total_exact) {
          EXPECT_TRUE(got.total_exact) << at;
          EXPECT_EQ(got.total, want.total) << at;
        } else {
          EXPECT_GE(got.total, threshold) << at;
          EXPECT_LE(got.total, want.total) << at;
        }
      }
      pruned += want.total > want.hits.size();
      req.k = 0;  // COUNT.
      req.total_hits_threshold = SearchRequest::kExactTotal;
      ASSERT_OK_AND_ASSIGN(SearchResponse count, live.Search(req));
      EXPECT_EQ(count.total, want.total) << what << " COUNT";
    }
    EXPECT_GT(pruned, num_queries / 3) << "too few queries had anything to prune";
  }
};

TEST_F(DeletedOracleTest, OneSegmentWithDeletesEqualsExhaustiveFreshBuild) {
  TempDir dir;
  Build(dir.File("live"), dir.File("fresh.idx"), 0, 31);
  if (HasFatalFailure()) return;
  ASSERT_OK_AND_ASSIGN(auto live, Index::Open(dir.File("live")));
  ASSERT_OK_AND_ASSIGN(auto fresh, Index::Open(dir.File("fresh.idx")));
  ASSERT_EQ(live->Info()->segments.size(), 1u);
  ASSERT_LT(live->num_docs(), static_cast<uint64_t>(kNumDocs) - 300);
  ExpectLikeFresh(*live, *fresh, 32);
}

TEST_F(DeletedOracleTest, BaseWithDeletesAndSmallSegmentsEqualsExhaustiveFreshBuild) {
  TempDir dir;
  Build(dir.File("live"), dir.File("fresh.idx"), 6, 41);
  if (HasFatalFailure()) return;
  ASSERT_OK_AND_ASSIGN(auto live, Index::Open(dir.File("live")));
  ASSERT_OK_AND_ASSIGN(auto fresh, Index::Open(dir.File("fresh.idx")));
  ASSERT_EQ(live->Info()->segments.size(), 7u);
  ExpectLikeFresh(*live, *fresh, 42);
}

}  // namespace
}  // namespace libsearch
