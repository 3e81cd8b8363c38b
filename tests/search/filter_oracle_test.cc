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

#include "testing/rounds.h"
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
        row.push_back(j[name].is_number() ? std::optional<double>(j[name].get<double>())
                                          : std::nullopt);
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
  const std::vector<std::string> words = {
      "",        "",       "sugar",           "chocolate", "milk", "salt OR water",
      "organic", "cheese", "\"wheat flour\"", "juice"};
  std::mt19937 rng(8);
  int nonempty = 0;
  for (int qi = 0; qi < testing::Rounds(400); ++qi) {
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
  EXPECT_GT(nonempty, testing::Rounds(200));
}

// SearchRequest::filters restrict matches without touching scores: the
// filtered ranking is the unfiltered one with non-matching docs removed.
TEST_F(FilterOracleTest, RequestFiltersRestrictButNeverScore) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("p.idx")));
  const std::vector<std::vector<std::string>> filter_sets = {
      {"is_healthy:true"},
      {"sugars_100g:<5"},
      {"is_healthy:false", "fat_100g:[1 TO 20]"},
      {"barcode:(0000000018555 OR 0000000001199)"},
      {"salt_100g:>=1 OR proteins_100g:>10"}};
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

namespace libsearch {
namespace {

// Range filters use each block's {min, max} to skip blocks and to accept a
// covered block's docs without reading values. Values that follow the doc
// order (as catalogues sorted by price or date do) make blocks disjoint
// from or covered by a range; gaps make some blocks partly empty. Every
// match must equal the brute-force predicate on the raw values.
TEST(RangeBlocks, SkippedAndCoveredBlocksMatchBruteForce) {
  std::mt19937 rng(77);
  const uint32_t n = 5000;
  std::vector<std::optional<double>> price(n);
  std::vector<std::optional<int64_t>> stock(n);
  std::vector<std::string> lines;
  for (uint32_t d = 0; d < n; ++d) {
    nlohmann::json j = {{"id", std::to_string(d)}, {"title", d % 3 ? "tea" : "coffee"}};
    // Rising prices with jitter; no price in [1024, 1536) and on every 7th doc of [3000, 3512).
    if (!(d >= 1024 && d < 1536) && !(d >= 3000 && d < 3512 && d % 7 == 0)) {
      price[d] = d / 10.0 + static_cast<double>(rng() % 100) / 100.0;
      j["price"] = *price[d];
    }
    if (d % 11 != 0) {
      stock[d] = static_cast<int64_t>(d / 600) - 3;
      j["stock"] = *stock[d];
    }
    lines.push_back(j.dump());
  }
  testing::TempDir dir;
  auto schema = Schema::FromJson(R"({"id": "id", "fields": {"title": {"type": "text"},
      "price": {"type": "float"}, "stock": {"type": "int"}}})");
  ASSERT_TRUE(schema.ok());
  ASSERT_OK(testing::BuildIndex(*schema, lines, dir.File("r.idx")));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("r.idx")));
  int nonempty = 0;
  for (int qi = 0; qi < 300; ++qi) {
    const bool on_price = rng() % 2;
    double a = on_price ? static_cast<double>(rng() % 520) : static_cast<double>(rng() % 12) - 4;
    double b = a + (on_price ? static_cast<double>(rng() % 200) : static_cast<double>(rng() % 4));
    const int shape = static_cast<int>(rng() % 4);
    const bool lo_inc = shape != 1, hi_inc = shape != 2;
    char range[128];
    const char* name = on_price ? "price" : "stock";
    if (shape == 3) {
      std::snprintf(range, sizeof(range), "%s:>=%.17g", name, a);
    } else {
      std::snprintf(range, sizeof(range), "%s:%c%.17g TO %.17g%c", name, lo_inc ? '[' : '{', a, b,
                    hi_inc ? ']' : '}');
    }
    const std::string text = std::vector<std::string>{"", "tea", "coffee"}[rng() % 3];
    std::vector<uint32_t> want;
    for (uint32_t d = 0; d < n; ++d) {
      std::optional<double> v =
          on_price
              ? price[d]
              : (stock[d] ? std::optional<double>(static_cast<double>(*stock[d])) : std::nullopt);
      if (!v) continue;
      const bool ok = (lo_inc ? *v >= a : *v > a) && (shape == 3 || (hi_inc ? *v <= b : *v < b));
      const bool text_ok = text.empty() || (text == "tea") == (d % 3 != 0);
      if (ok && text_ok) want.push_back(d);
    }
    SearchRequest req;
    req.query = text;
    req.filters = {range};
    req.k = 10000;
    req.include_docs = false;
    req.total_hits_threshold = SearchRequest::kExactTotal;
    ASSERT_OK_AND_ASSIGN(SearchResponse r, index->Search(req));
    std::vector<uint32_t> got;
    for (const Hit& h : r.hits) got.push_back(h.doc);
    std::sort(got.begin(), got.end());
    ASSERT_EQ(got, want) << text << " " << range;
    ASSERT_EQ(r.total, want.size());
    nonempty += !want.empty();
  }
  EXPECT_GT(nonempty, 150);
}

}  // namespace
}  // namespace libsearch
