// Numeric range filters against a brute-force oracle on the real catalogue:
// filtered top-k == (exhaustive text ranking, then the predicate checked on
// the raw JSON values), for counts, ids, order and scores; pruned and
// exhaustive filtered searches agree too.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "testing/test_util.h"

namespace libsearch {
namespace {

const char* kNumericFields[] = {"fat_100g", "sugars_100g", "proteins_100g", "salt_100g",
                                "fiber_100g"};

class FilterOracleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    ASSERT_OK(testing::BuildBundledCatalogue(dir_->File("p.idx")));
    const std::string input = testing::SourcePath("examples/products/products.jsonl.gz");
    // The raw values, by doc number (= line number).
    values_ = new std::vector<std::vector<std::optional<double>>>();
    gzFile f = gzopen(input.c_str(), "rb");
    std::string line;
    char buf[1 << 16];
    while (gzgets(f, buf, sizeof(buf)) != nullptr) {
      line += buf;
      if (line.back() != '\n') continue;
      const auto j = nlohmann::json::parse(line);
      std::vector<std::optional<double>> row;
      for (const char* name : kNumericFields) {
        row.push_back(j[name].is_number() ? std::optional<double>(j[name].get<double>()) : std::nullopt);
      }
      values_->push_back(std::move(row));
      line.clear();
    }
    gzclose(f);
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete values_;
  }
  static testing::TempDir* dir_;
  static std::vector<std::vector<std::optional<double>>>* values_;
};
testing::TempDir* FilterOracleTest::dir_ = nullptr;
std::vector<std::vector<std::optional<double>>>* FilterOracleTest::values_ = nullptr;

TEST_F(FilterOracleTest, RandomRangesMatchBruteForce) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("p.idx")));
  ASSERT_EQ(values_->size(), index->num_docs());
  const std::vector<std::string> words = {"", "", "sugar", "chocolate", "milk", "salt OR water",
                                          "organic", "cheese", "\"wheat flour\"", "juice"};
  std::mt19937 rng(8);
  int nonempty = 0;
  for (int qi = 0; qi < 400; ++qi) {
    const size_t field = rng() % std::size(kNumericFields);
    // Bounds from real values so ranges are selective but not empty.
    const auto& pick = (*values_)[rng() % values_->size()][field];
    const double a = pick.value_or(1.0), b = a + static_cast<double>(rng() % 20);
    const int shape = static_cast<int>(rng() % 4);
    const bool lo_inc = shape != 1, hi_inc = shape != 2;
    char range[128];
    if (shape == 3) {
      std::snprintf(range, sizeof(range), "%s:>=%.17g", kNumericFields[field], a);
    } else {
      std::snprintf(range, sizeof(range), "%s:%c%.17g TO %.17g%c", kNumericFields[field],
                    lo_inc ? '[' : '{', a, b, hi_inc ? ']' : '}');
    }
    const bool negate = rng() % 5 == 0;
    const std::string text = words[rng() % words.size()];
    auto in_range = [&](uint32_t doc) {
      const auto& v = (*values_)[doc][field];
      if (!v) return false;
      const bool lo_ok = lo_inc ? *v >= a : *v > a;
      const bool hi_ok = shape == 3 || (hi_inc ? *v <= b : *v < b);
      return lo_ok && hi_ok;
    };
    // Oracle: the unfiltered exhaustive ranking, then the predicate.
    SearchRequest all;
    all.query = text;
    all.k = 10000;
    all.include_docs = false;
    all.total_hits_threshold = SearchRequest::kExactTotal;
    ASSERT_OK_AND_ASSIGN(SearchResponse unfiltered, index->Search(all));
    std::vector<Hit> expected;
    for (const Hit& h : unfiltered.hits) {
      if (in_range(h.doc) != negate) expected.push_back(h);
    }
    SearchRequest req = all;
    req.query.clear();
    if (!text.empty()) req.query.append("(").append(text).append(") ");
    req.query.append(negate ? "-" : "+").append(range);
    req.k = 10;
    ASSERT_OK_AND_ASSIGN(SearchResponse exact, index->Search(req));
    ASSERT_EQ(exact.total, expected.size()) << req.query;
    ASSERT_EQ(exact.hits.size(), std::min<size_t>(10, expected.size())) << req.query;
    req.total_hits_threshold = 0;
    ASSERT_OK_AND_ASSIGN(SearchResponse pruned, index->Search(req));
    ASSERT_EQ(pruned.hits.size(), exact.hits.size()) << req.query;
    for (size_t i = 0; i < exact.hits.size(); ++i) {
      ASSERT_EQ(exact.hits[i].doc, expected[i].doc) << req.query << " rank " << i;
      ASSERT_EQ(exact.hits[i].score, expected[i].score) << req.query << " rank " << i;
      ASSERT_EQ(pruned.hits[i].doc, expected[i].doc) << req.query << " pruned rank " << i;
    }
    nonempty += !expected.empty();
  }
  EXPECT_GT(nonempty, 200);
}

// SearchRequest::filters restrict matches without touching scores: the
// filtered ranking is the unfiltered one with non-matching docs removed.
TEST_F(FilterOracleTest, RequestFiltersRestrictButNeverScore) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("p.idx")));
  const std::vector<std::vector<std::string>> filter_sets = {
      {"is_healthy:true"}, {"sugars_100g:<5"}, {"is_healthy:false", "fat_100g:[1 TO 20]"},
      {"barcode:(0000000018555 OR 0000000001199)"}, {"salt_100g:>=1 OR proteins_100g:>10"}};
  for (const char* text : {"chocolate", "sugar salt", "\"wheat flour\"", "organic milk", ""}) {
    for (const auto& filters : filter_sets) {
      SearchRequest plain;
      plain.query = text;
      plain.k = 10000;
      plain.include_docs = false;
      plain.total_hits_threshold = SearchRequest::kExactTotal;
      ASSERT_OK_AND_ASSIGN(SearchResponse all, index->Search(plain));
      std::vector<bool> allowed(index->num_docs(), true);
      for (const std::string& f : filters) {
        SearchRequest only = plain;
        only.query = f;
        ASSERT_OK_AND_ASSIGN(SearchResponse match, index->Search(only));
        std::vector<bool> in(index->num_docs(), false);
        for (const Hit& h : match.hits) in[h.doc] = true;
        for (size_t d = 0; d < in.size(); ++d) allowed[d] = allowed[d] && in[d];
      }
      SearchRequest req = plain;
      req.filters = filters;
      req.k = 20;
      ASSERT_OK_AND_ASSIGN(SearchResponse got, index->Search(req));
      std::vector<Hit> want;
      for (const Hit& h : all.hits) {
        if (allowed[h.doc]) want.push_back(h);
      }
      ASSERT_EQ(got.total, want.size()) << text << " " << filters[0];
      for (size_t i = 0; i < got.hits.size(); ++i) {
        EXPECT_EQ(got.hits[i].doc, want[i].doc) << text << " " << filters[0];
        EXPECT_EQ(got.hits[i].score, want[i].score) << text << " " << filters[0];
      }
    }
  }
  SearchRequest bad;
  bad.filters = {"is_healthy:true", "fat_100g:[1 TO"};
  const auto r = index->Search(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("filter 2: "), std::string::npos) << r.status().message();
}

TEST_F(FilterOracleTest, FilterOnlyQueriesRankByDocId) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("p.idx")));
  SearchRequest req;
  req.query = "sugars_100g:[0 TO 1] proteins_100g:>=20";
  req.k = 50;
  ASSERT_OK_AND_ASSIGN(SearchResponse resp, index->Search(req));
  ASSERT_GT(resp.hits.size(), 10u);
  for (size_t i = 1; i < resp.hits.size(); ++i) EXPECT_LT(resp.hits[i - 1].doc, resp.hits[i].doc);
  for (const Hit& h : resp.hits) {
    const auto doc = nlohmann::json::parse(h.doc_json);
    EXPECT_LE(doc["sugars_100g"].get<double>(), 1.0);
    EXPECT_GE(doc["proteins_100g"].get<double>(), 20.0);
  }
}

}  // namespace
}  // namespace libsearch
