// A frequent word with rare typo neighbours: a typo tier's top-k
// (LedUnionCollectTop, led by the exact word, the neighbours only scoring)
// against the exhaustive list. Docs holding the word and a neighbour outscore
// every doc with the word alone, and the word's windows can be skipped on its
// own bounds only when the neighbours' recorded scores are added to them.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "testing/rounds.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

TEST(TypoTierOracle, FrequentWordWithRareNeighboursEqualsExhaustive) {
  testing::TempDir dir;
  std::mt19937 rng(2024);
  constexpr int kDocs = 6000;
  // "water" in most docs; its one-edit neighbours rare, each at its own rate.
  const std::vector<std::pair<std::string, int>> neighbours = {
      {"wafer", 150}, {"waiter", 400}, {"wader", 60}, {"later", 900}};
  std::set<int> has_word[2];  // Per field (name, body): the docs with "water".
  std::vector<std::string> docs;
  for (int d = 0; d < kDocs; ++d) {
    std::string text[2];
    for (std::string& t : text) {
      const int len = 1 + static_cast<int>(rng() % (&t == &text[0] ? 6 : 40));
      for (int i = 0; i < len; ++i) t += "f" + std::to_string(rng() % 300) + " ";
    }
    if (rng() % 10 < 6) {
      for (uint32_t r = 0, n = 1 + rng() % 3; r < n; ++r) {
        const uint32_t f = rng() % 2;
        text[f] += "water ";
        has_word[f].insert(d);
      }
    }
    // Mostly in docs without "water", so the typo query's best are the
    // neighbours' and the exact tier is searched on its own (typo_tiers.cc).
    const bool water = has_word[0].count(d) > 0 || has_word[1].count(d) > 0;
    for (const auto& [w, rate] : neighbours) {
      if (rng() % 10000 < static_cast<uint32_t>(water ? rate / 8 : rate)) {
        text[rng() % 2] += w + " ";
      }
    }
    docs.push_back("{\"id\": \"d" + std::to_string(d) + "\", \"name\": \"" + text[0] +
                   "\", \"body\": \"" + text[1] + "\"}");
  }
  auto schema = Schema::FromJson(R"({"id": "id", "fields": {
      "name": {"type": "text", "boost": 3.0},
      "body": {"type": "text"}}})");
  ASSERT_TRUE(schema.ok());
  ASSERT_OK(testing::BuildIndex(*schema, docs, dir.File("t.idx")));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("t.idx")));
  int checked = 0;
  for (const FieldScoring scoring :
       {FieldScoring::kBm25f, FieldScoring::kBm25fCombinedLength, FieldScoring::kPerField}) {
    for (const char* fields : {"", "name"}) {
      SearchRequest req;
      req.query = "water";
      req.typos = true;
      req.include_docs = false;
      req.field_scoring = scoring;
      if (*fields != 0) req.fields = {fields};
      SearchRequest all = req;
      all.k = kDocs;
      all.sort = {{"_score", true}};
      ASSERT_OK_AND_ASSIGN(SearchResponse by_score, index->Search(all));
      ASSERT_EQ(by_score.hits.size(), by_score.total);
      // The exact tier: docs with "water" in a searched field, by score,
      // then doc (the exhaustive list's order).
      std::vector<Hit> want;
      for (const Hit& h : by_score.hits) {
        const int d = std::stoi(h.id.substr(1));
        if (has_word[0].count(d) || (*fields == 0 && has_word[1].count(d))) want.push_back(h);
      }
      ASSERT_GT(want.size(), 1000u);
      for (const size_t k : {size_t{1}, size_t{3}, size_t{10}, size_t{40}}) {
        SearchRequest page = req;
        page.k = k;
        page.total_hits_threshold = k % 2 ? 0 : 1000;  // Pruning from the first doc, or later.
        ASSERT_OK_AND_ASSIGN(SearchResponse got, index->Search(page));
        ASSERT_EQ(got.hits.size(), k);
        for (size_t i = 0; i < k; ++i) {
          ASSERT_EQ(got.hits[i].doc, want[i].doc) << req.query << " k " << k << " rank " << i;
          ASSERT_EQ(got.hits[i].score, want[i].score) << " k " << k << " rank " << i;
          ++checked;
        }
      }
    }
  }
  EXPECT_GT(checked, 100);
}

}  // namespace
}  // namespace libsearch
