// What a shopper sees with typos on, on the bundled catalogue (issue 16's
// acceptance): misspellings find the correctly spelled products first, and
// a correct common word keeps its exact matches on top.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "testing/test_util.h"

namespace libsearch {
namespace {

class TypoQualityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    ASSERT_OK(testing::BuildBundledCatalogue(dir_->File("p.idx")));
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Path() { return dir_->File("p.idx"); }

  // The product names of the first k hits, lower-cased.
  static std::vector<std::string> Names(const Index& index, const std::string& query, size_t k,
                                        bool typos = true) {
    SearchRequest req;
    req.query = query;
    req.typos = typos;
    req.k = k;
    req.retrieve = {"product_name"};
    auto resp = index.Search(req);
    EXPECT_TRUE(resp.ok()) << resp.status().ToString();
    std::vector<std::string> names;
    if (!resp.ok()) return names;
    for (const Hit& h : resp->hits) {
      const auto doc = nlohmann::json::parse(h.doc_json);
      std::string name = doc.value("product_name", "");
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      names.push_back(name);
    }
    return names;
  }
  static bool Has(const std::string& text, const std::string& word) {
    return text.find(word) != std::string::npos;
  }
  static testing::TempDir* dir_;
};
testing::TempDir* TypoQualityTest::dir_ = nullptr;

TEST_F(TypoQualityTest, MisspelledChocolateFindsChocolateFirst) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(Path()));
  const std::vector<std::string> top = Names(*index, "choclate", 3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_TRUE(
      std::any_of(top.begin(), top.end(), [](const std::string& n) { return Has(n, "chocolate"); }))
      << top[0] << " | " << top[1] << " | " << top[2];
}

TEST_F(TypoQualityTest, MisspelledChocolateChipFindsTheRightSpellingFirst) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(Path()));
  const std::vector<std::string> top = Names(*index, "choclate chip", 10);
  ASSERT_EQ(top.size(), 10u);
  for (const std::string& name : top) {
    EXPECT_TRUE(Has(name, "chocolate") && Has(name, "chip")) << name;
    EXPECT_FALSE(Has(name, "choclate") || Has(name, "choclait")) << name;
  }
}

TEST_F(TypoQualityTest, MisspelledPeanutButterFindsPeanutButterSpelledRight) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(Path()));
  const std::vector<std::string> top = Names(*index, "peanutt buter", 5);
  ASSERT_EQ(top.size(), 5u);
  EXPECT_TRUE(Has(top[0], "peanut butter")) << top[0];
  for (const std::string& name : top) {
    EXPECT_TRUE(Has(name, "peanut") && Has(name, "butter")) << name;
    EXPECT_FALSE(Has(name, "butetr")) << name;
  }
}

// A correct, common word keeps its exact matches on top: every hit of the
// first page matches without typos. ("snacks" keeps their very order: the
// neighbour "stack" adds nothing to its first page. Neighbours do add to a
// doc's score within the exact tier, e.g. "chocolaty" to "chocolate"; a
// per-word maximum instead of a sum is left to do, see design notes.)
TEST_F(TypoQualityTest, CommonWordKeepsItsExactMatchesOnTop) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(Path()));
  for (const char* word : {"snacks", "cookies", "chocolate", "yogurt", "crackers"}) {
    const std::vector<std::string> with = Names(*index, word, 10, true);
    const std::vector<std::string> without = Names(*index, word, 1000, false);
    ASSERT_EQ(with.size(), 10u) << word;
    for (const std::string& name : with) {
      EXPECT_NE(std::find(without.begin(), without.end(), name), without.end())
          << word << ": " << name;
    }
  }
  EXPECT_EQ(Names(*index, "snacks", 10, true), Names(*index, "snacks", 10, false));
}

}  // namespace
}  // namespace libsearch
