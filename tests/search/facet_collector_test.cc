// FacetCounter against brute force: random subsets of docs as the matches,
// keyword facets (single-valued, dense codes; multi-valued, ordinal lists)
// of random sizes and numeric range facets with random bounds, counted over
// the raw documents.
#include "search/facet_collector.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "index/index_reader.h"
#include "testing/test_util.h"

namespace libsearch::internal {
namespace {

class FacetCollectorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    docs_ = new std::vector<nlohmann::json>();
    std::mt19937 rng(11);
    const char* brands[] = {"acme", "zenith", "orbit", "nova", "bolt"};
    const char* tags[] = {"vegan", "organic", "local", "fair", "raw"};
    std::vector<std::string> lines;
    for (int i = 0; i < 800; ++i) {
      nlohmann::json d = {{"sku", "s" + std::to_string(i)}, {"title", "tea"}};
      if (rng() % 6) d["brand"] = brands[rng() % 5];
      nlohmann::json t = nlohmann::json::array();
      for (const char* tag : tags) {
        if (rng() % 3 == 0) t.push_back(tag);
      }
      if (rng() % 7 == 0 && !t.empty()) t.push_back(t[0]);  // A repeated value counts once.
      d["tags"] = t;
      if (rng() % 5) d["price"] = static_cast<double>(rng() % 400) / 8.0 - 5.0;
      if (rng() % 5) d["stock"] = static_cast<int>(rng() % 30) - 3;
      docs_->push_back(d);
      lines.push_back(d.dump());
    }
    auto schema = Schema::FromJson(R"({"id": "sku", "fields": {
        "title": {"type": "text"}, "brand": {"type": "keyword"},
        "tags": {"type": "keyword"}, "price": {"type": "float"},
        "stock": {"type": "int"}}})");
    ASSERT_TRUE(schema.ok());
    ASSERT_OK(testing::BuildIndex(*schema, lines, dir_->File("facets.idx")));
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete docs_;
  }

  static testing::TempDir* dir_;
  static std::vector<nlohmann::json>* docs_;  // Doc id = position (input order).
};
testing::TempDir* FacetCollectorTest::dir_ = nullptr;
std::vector<nlohmann::json>* FacetCollectorTest::docs_ = nullptr;

// The distinct values of keyword field `field` in `doc`.
std::set<std::string> Values(const nlohmann::json& doc, const std::string& field) {
  std::set<std::string> out;
  if (!doc.contains(field)) return out;
  if (doc[field].is_array()) {
    for (const auto& v : doc[field]) out.insert(v.get<std::string>());
  } else {
    out.insert(doc[field].get<std::string>());
  }
  return out;
}

TEST_F(FacetCollectorTest, KeywordCountsMatchBruteForce) {
  ASSERT_OK_AND_ASSIGN(auto reader, IndexReader::Open(dir_->File("facets.idx")));
  ASSERT_EQ(reader->num_docs(), docs_->size());
  std::mt19937 rng(2026);
  for (int round = 0; round < 200; ++round) {
    FacetRequest req;
    req.field = rng() % 2 ? "brand" : "tags";
    req.size = 1 + rng() % 6;
    ASSERT_OK_AND_ASSIGN(FacetCounter counter, FacetCounter::Create(*reader, req));
    std::map<std::string, uint64_t> expected;
    const uint32_t keep_one_in = 1 + rng() % 5;
    for (uint32_t d = 0; d < docs_->size(); ++d) {
      if (rng() % keep_one_in != 0) continue;
      counter.Add(d);
      for (const std::string& v : Values((*docs_)[d], req.field)) ++expected[v];
    }
    std::vector<std::pair<std::string, uint64_t>> ranked(expected.begin(), expected.end());
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    if (ranked.size() > req.size) ranked.resize(req.size);
    ASSERT_OK_AND_ASSIGN(FacetResult got, counter.Finish());
    EXPECT_EQ(got.field, req.field);
    ASSERT_EQ(got.values.size(), ranked.size()) << "round " << round;
    for (size_t i = 0; i < ranked.size(); ++i) {
      EXPECT_EQ(got.values[i].value, ranked[i].first) << "round " << round << " rank " << i;
      EXPECT_EQ(got.values[i].count, ranked[i].second) << "round " << round << " rank " << i;
    }
  }
}

TEST_F(FacetCollectorTest, RangeCountsMatchBruteForce) {
  ASSERT_OK_AND_ASSIGN(auto reader, IndexReader::Open(dir_->File("facets.idx")));
  std::mt19937 rng(99);
  const double inf = std::numeric_limits<double>::infinity();
  for (int round = 0; round < 200; ++round) {
    FacetRequest req;
    req.field = rng() % 2 ? "price" : "stock";
    const int num_ranges = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < num_ranges; ++i) {
      FacetRequest::Range r;
      // Bounds on the values' own grid (ties at the edges) or open ends.
      r.from = rng() % 4 == 0 ? -inf : static_cast<double>(rng() % 60) - 6.0;
      r.to = rng() % 4 == 0 ? inf : r.from + static_cast<double>(rng() % 30);
      if (rng() % 2) r.label = "r" + std::to_string(i);
      req.ranges.push_back(r);
    }
    ASSERT_OK_AND_ASSIGN(FacetCounter counter, FacetCounter::Create(*reader, req));
    std::vector<uint64_t> expected(req.ranges.size(), 0);
    for (uint32_t d = 0; d < docs_->size(); ++d) {
      if (rng() % 2 != 0) continue;
      counter.Add(d);
      const nlohmann::json& doc = (*docs_)[d];
      if (!doc.contains(req.field)) continue;
      const double v = doc[req.field].get<double>();
      for (size_t i = 0; i < req.ranges.size(); ++i) {
        expected[i] += v >= req.ranges[i].from && v < req.ranges[i].to;
      }
    }
    ASSERT_OK_AND_ASSIGN(FacetResult got, counter.Finish());
    ASSERT_EQ(got.values.size(), req.ranges.size());
    for (size_t i = 0; i < req.ranges.size(); ++i) {
      EXPECT_EQ(got.values[i].count, expected[i]) << "round " << round << " range " << i;
      if (!req.ranges[i].label.empty()) {
        EXPECT_EQ(got.values[i].value, req.ranges[i].label);
      }
    }
  }
}

}  // namespace
}  // namespace libsearch::internal
