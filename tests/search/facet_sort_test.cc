// Facets, sorting and search_after against brute force: the expected values
// come from the exhaustive match list and the raw JSON of each document.
#include <gtest/gtest.h>

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "search/hit_order.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;

// A catalogue with a multi-valued keyword, a single-valued keyword, numbers
// with gaps, and text, small enough to check everything by hand.
class FacetSortTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    docs_ = new std::vector<Json>();
    std::mt19937 rng(21);
    const char* brands[] = {"acme", "zenith", "orbit", "nova", "apex"};
    const char* tags[] = {"vegan", "organic", "local", "sale"};
    const char* words[] = {"tea", "coffee", "cocoa", "milk", "oat", "green", "black"};
    std::vector<std::string> lines;
    for (int i = 0; i < 2000; ++i) {
      Json d = {{"sku", "s" + std::to_string(i)}};
      std::string title;
      for (int w = 0; w < 3; ++w) title += std::string(words[rng() % 7]) + " ";
      d["title"] = title;
      if (rng() % 10) d["brand"] = brands[rng() % 5];
      Json t = Json::array();
      for (const char* tag : tags) {
        if (rng() % 3 == 0) t.push_back(tag);
      }
      d["tags"] = t;
      if (rng() % 8) d["price"] = static_cast<double>(rng() % 5000) / 100.0;
      if (rng() % 8) d["stock"] = static_cast<int>(rng() % 50);
      lines.push_back(d.dump());
      docs_->push_back(d);
    }
    auto schema = Schema::FromJson(R"({"id": "sku", "fields": {
        "title": {"type": "text"}, "brand": {"type": "keyword", "stored": true},
        "tags": {"type": "keyword"}, "price": {"type": "float", "stored": true},
        "stock": {"type": "int"}}})");
    ASSERT_TRUE(schema.ok());
    ASSERT_OK(testing::BuildIndex(*schema, lines, dir_->File("shop.idx")));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete docs_;
  }

  // Every match of `query` with `filters`, by the plain exhaustive path.
  static std::vector<Hit> AllMatches(const Index& index, const std::string& query,
                                     const std::vector<std::string>& filters = {}) {
    SearchRequest req;
    req.query = query;
    req.filters = filters;
    req.k = 10000;
    req.include_docs = false;
    req.total_hits_threshold = SearchRequest::kExactTotal;
    auto r = index.Search(req);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->hits : std::vector<Hit>();
  }

  static testing::TempDir* dir_;
  static std::vector<Json>* docs_;
};
testing::TempDir* FacetSortTest::dir_ = nullptr;
std::vector<Json>* FacetSortTest::docs_ = nullptr;

const char* kQueries[] = {"", "tea", "coffee OR milk", "green -black", "\"oat milk\"", "cocoa tea"};

TEST_F(FacetSortTest, KeywordAndRangeFacetsMatchBruteForce) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("shop.idx")));
  for (const char* q : kQueries) {
    const std::vector<Hit> all = AllMatches(*index, q);
    std::map<std::string, uint64_t> brands, tags;
    uint64_t cheap = 0, mid = 0, dear = 0;
    for (const Hit& h : all) {
      const Json& d = (*docs_)[h.doc];
      if (d.contains("brand")) ++brands[d["brand"]];
      for (const auto& t : d["tags"]) ++tags[t];
      if (d.contains("price")) {
        const double p = d["price"];
        cheap += p < 10;
        mid += p >= 10 && p < 30;
        dear += p >= 30;
      }
    }
    SearchRequest req;
    req.query = q;
    req.k = 5;
    req.facets = {{"brand", 3, {}, false},
                  {"tags", 10, {}, false},
                  {"price", 10, {{"cheap", -1e300, 10}, {"", 10, 30}, {"dear", 30, 1e300}}, false}};
    ASSERT_OK_AND_ASSIGN(SearchResponse resp, index->Search(req));
    EXPECT_EQ(resp.total, all.size());
    EXPECT_TRUE(resp.total_exact);
    ASSERT_EQ(resp.facets.size(), 3u);
    // Brand: top 3 by count, ties by value.
    std::vector<std::pair<std::string, uint64_t>> want(brands.begin(), brands.end());
    std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    want.resize(std::min<size_t>(3, want.size()));
    ASSERT_EQ(resp.facets[0].values.size(), want.size()) << q;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(resp.facets[0].values[i].value, want[i].first) << q;
      EXPECT_EQ(resp.facets[0].values[i].count, want[i].second) << q;
    }
    // Tags: multi-valued, every value counted once per doc.
    ASSERT_EQ(resp.facets[1].values.size(), tags.size()) << q;
    for (const FacetValue& v : resp.facets[1].values) EXPECT_EQ(v.count, tags[v.value]) << q;
    // Ranges, in request order, with the default label for the unnamed one.
    ASSERT_EQ(resp.facets[2].values.size(), 3u);
    EXPECT_EQ(resp.facets[2].values[0].value, "cheap");
    EXPECT_EQ(resp.facets[2].values[0].count, cheap) << q;
    EXPECT_EQ(resp.facets[2].values[1].value, "10..30");
    EXPECT_EQ(resp.facets[2].values[1].count, mid) << q;
    EXPECT_EQ(resp.facets[2].values[2].count, dear) << q;
  }
}

TEST_F(FacetSortTest, DisjunctiveFacetLiftsOnlyItsOwnFilters) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("shop.idx")));
  const std::vector<std::string> filters = {"brand:(acme OR nova)", "price:<20"};
  SearchRequest req;
  req.query = "tea";
  req.filters = filters;
  req.facets = {{"brand", 10, {}, true}, {"tags", 10, {}, true}};
  ASSERT_OK_AND_ASSIGN(SearchResponse resp, index->Search(req));
  // Brand counts: as if the brand filter were lifted, the price filter kept.
  std::map<std::string, uint64_t> brands, tags;
  for (const Hit& h : AllMatches(*index, "tea", {"price:<20"})) {
    if ((*docs_)[h.doc].contains("brand")) ++brands[(*docs_)[h.doc]["brand"]];
  }
  // Tags are not filtered: counted over the fully filtered matches.
  const std::vector<Hit> filtered = AllMatches(*index, "tea", filters);
  for (const Hit& h : filtered) {
    for (const auto& t : (*docs_)[h.doc]["tags"]) ++tags[t];
  }
  EXPECT_EQ(resp.total, filtered.size());
  ASSERT_EQ(resp.facets[0].values.size(), brands.size());
  for (const FacetValue& v : resp.facets[0].values) EXPECT_EQ(v.count, brands[v.value]) << v.value;
  for (const FacetValue& v : resp.facets[1].values) EXPECT_EQ(v.count, tags[v.value]) << v.value;
}

// The brute-force order: sort keys (missing last), then score desc, doc asc.
std::vector<uint32_t> ExpectedOrder(const std::vector<Hit>& all, const std::vector<Json>& docs,
                                    const std::vector<SortField>& sort) {
  std::vector<Hit> v = all;
  std::stable_sort(v.begin(), v.end(), [&](const Hit& a, const Hit& b) {
    for (const SortField& s : sort) {
      if (s.field == "_score") {
        if (a.score != b.score) return s.descending ? a.score > b.score : a.score < b.score;
        continue;
      }
      const Json& da = docs[a.doc];
      const Json& db = docs[b.doc];
      const bool ha = da.contains(s.field), hb = db.contains(s.field);
      if (ha != hb) return ha;
      if (!ha) continue;
      if (da[s.field] != db[s.field]) {
        return s.descending ? da[s.field] > db[s.field] : da[s.field] < db[s.field];
      }
    }
    if (a.score != b.score) return a.score > b.score;
    return a.doc < b.doc;
  });
  std::vector<uint32_t> ids;
  for (const Hit& h : v) ids.push_back(h.doc);
  return ids;
}

TEST_F(FacetSortTest, SortOrdersMatchBruteForce) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("shop.idx")));
  const std::vector<std::vector<SortField>> sorts = {{{"price", false}},
                                                     {{"price", true}},
                                                     {{"brand", false}, {"price", true}},
                                                     {{"stock", true}, {"_score", false}},
                                                     {{"_score", true}},
                                                     {{"brand", true}}};
  for (const char* q : kQueries) {
    const std::vector<Hit> all = AllMatches(*index, q);
    for (const auto& sort : sorts) {
      const std::vector<uint32_t> want = ExpectedOrder(all, *docs_, sort);
      SearchRequest req;
      req.query = q;
      req.sort = sort;
      req.k = 60;
      req.include_docs = false;
      ASSERT_OK_AND_ASSIGN(SearchResponse resp, index->Search(req));
      ASSERT_EQ(resp.hits.size(), std::min<size_t>(60, want.size())) << q;
      for (size_t i = 0; i < resp.hits.size(); ++i) {
        ASSERT_EQ(resp.hits[i].doc, want[i]) << q << " " << sort[0].field << " rank " << i;
      }
    }
  }
}

TEST_F(FacetSortTest, SearchAfterPagesNeverRepeatOrSkip) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("shop.idx")));
  for (const auto& sort :
       std::vector<std::vector<SortField>>{{}, {{"price", false}}, {{"brand", true}}}) {
    for (const char* q : {"", "coffee OR milk"}) {
      const std::vector<Hit> all = AllMatches(*index, q);
      const std::vector<uint32_t> want =
          sort.empty() ? [&] { std::vector<uint32_t> v; for (const Hit& h : all) v.push_back(h.doc); return v; }()
                       : ExpectedOrder(all, *docs_, sort);
      std::vector<uint32_t> got;
      SearchRequest req;
      req.query = q;
      req.sort = sort;
      req.k = 97;
      req.include_docs = false;
      while (true) {
        ASSERT_OK_AND_ASSIGN(SearchResponse page, index->Search(req));
        for (const Hit& h : page.hits) got.push_back(h.doc);
        if (page.hits.size() < req.k) break;
        req.search_after = page.next_cursor;
      }
      EXPECT_EQ(got, want) << q;
    }
  }
}

TEST_F(FacetSortTest, BadFacetSortAndCursorRequestsAreClearErrors) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("shop.idx")));
  auto error = [&](SearchRequest req) {
    auto r = index->Search(req);
    return r.ok() ? std::string("OK") : r.status().message();
  };
  SearchRequest req;
  req.facets = {{"colour", 10, {}, false}};
  EXPECT_EQ(error(req), "facet: unknown field 'colour'");
  req.facets = {{"price", 10, {}, false}};
  EXPECT_NE(error(req).find("needs ranges"), std::string::npos);
  req.facets = {{"title", 10, {}, false}};
  EXPECT_NE(error(req).find("cannot be faceted"), std::string::npos);
  req.facets.clear();
  req.sort = {{"title", false}};
  EXPECT_NE(error(req).find("not sortable"), std::string::npos);
  req.sort.clear();
  req.search_after = "garbage";
  EXPECT_NE(error(req).find("is not a cursor from this index"), std::string::npos);
  req.search_after = "999999:0x1p+0";
  EXPECT_NE(error(req).find("is not a cursor from this index"), std::string::npos);
}

// The hand-written cursor text equals glibc's "%u:%a" (so cursors did not
// change) and parses back to the same doc and score bit for bit; scores
// are random floats across the whole range, with zero and extremes.
TEST(HitOrderCursor, MatchesPrintfAndRoundTrips) {
  std::mt19937 rng(31);
  std::vector<float> scores = {0.0f, 1.0f, 0.5f, 2.2f, 1e-30f, 3e38f, 1.17549435e-38f, 1e-45f};
  for (int i = 0; i < 20000; ++i) {
    uint32_t bits = rng() & 0x7fffffffu;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    if (std::isfinite(f)) scores.push_back(f);
  }
  for (size_t i = 0; i < scores.size(); ++i) {
    const uint32_t doc = i % 3 == 0 ? static_cast<uint32_t>(i) : rng();
    char want[64];
    std::snprintf(want, sizeof want, "%" PRIu32 ":%a", doc, static_cast<double>(scores[i]));
    ASSERT_EQ(internal::HitOrder::Cursor(doc, scores[i]), want);
    char* end = nullptr;
    const std::string text = want;
    const size_t colon = text.find(':');
    ASSERT_EQ(std::strtoul(text.c_str(), &end, 10), doc);
    const float back = static_cast<float>(std::strtod(text.c_str() + colon + 1, &end));
    ASSERT_EQ(std::memcmp(&back, &scores[i], sizeof back), 0) << want;
  }
}

}  // namespace
}  // namespace libsearch
