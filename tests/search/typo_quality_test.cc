// What a shopper sees with typos on, on the bundled catalogue (issue 16's
// acceptance): misspellings find the correctly spelled products first, and
// a correct common word keeps its exact matches on top.
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "testing/test_util.h"

namespace libsearch {
namespace {

class TypoQualityTest : public testing::BundledCatalogueTest {
 protected:
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
};

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

std::string Suggestion(const Index& index, const std::string& query) {
  SearchRequest req;
  req.query = query;
  req.k = 0;
  auto resp = index.Search(req);
  EXPECT_TRUE(resp.ok()) << resp.status().ToString();
  return resp.ok() ? resp->suggestion : "";
}

TEST_F(TypoQualityTest, DidYouMeanOnlyWhenClearlyLikelier) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(Path()));
  EXPECT_EQ(Suggestion(*index, "peanutt buter"), "peanut butter");
  EXPECT_EQ(Suggestion(*index, "choclate chip"), "chocolate chip");
  // Words a food catalogue does not sell are not misspellings of its words.
  for (const char* query : {"laptop", "hp laptop", "soundbar", "samsung", "guitar", "carpet"}) {
    EXPECT_EQ(Suggestion(*index, query), "") << query;
  }
  // A query that matches well is left alone.
  for (const char* query : {"chocolate", "peanut butter", "organic juice", "yogurt", "cookies",
                            "olive oil", "strawberry jam", "yoghurt"}) {
    EXPECT_EQ(Suggestion(*index, query), "") << query;
  }
}

// Real misspellings (tests/data/README.md, "Misspellings") whose correction
// the catalogue writes: a suggestion is right if it is the correction or
// finds exactly the correction's docs (another form of the word).
TEST_F(TypoQualityTest, DidYouMeanPrecisionAndRecallOnRealMisspellings) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(Path()));
  gzFile f = gzopen(testing::SourcePath("tests/data/misspellings_catalogue.tsv.gz").c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::vector<std::pair<std::string, std::string>> pairs;
  char line[256];
  while (gzgets(f, line, sizeof line) != nullptr) {
    std::string text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const size_t tab = text.find('\t');
    if (tab != std::string::npos) pairs.emplace_back(text.substr(0, tab), text.substr(tab + 1));
  }
  gzclose(f);
  ASSERT_GT(pairs.size(), 5000u);
  auto total = [&](const std::string& query) {
    SearchRequest req;
    req.query = query;
    req.k = 0;
    req.suggest = false;
    req.total_hits_threshold = SearchRequest::kExactTotal;
    return index->Search(req).value().total;
  };
  size_t made = 0, right = 0;
  for (const auto& [wrong, correction] : pairs) {
    const std::string s = Suggestion(*index, wrong);
    if (s.empty()) continue;
    ++made;
    right += s == correction || total(s) == total(correction);
  }
  const double precision = static_cast<double>(right) / static_cast<double>(made);
  const double recall = static_cast<double>(right) / static_cast<double>(pairs.size());
  std::printf("did you mean: %zu pairs, %zu suggestions, %zu right: precision %.3f, recall %.3f\n",
              pairs.size(), made, right, precision, recall);
  EXPECT_GE(precision, 0.9);
  EXPECT_GE(recall, 0.6);
}

// IndexBuilderOptions::surface_words off: no surface words in the file,
// typos match the stems (as before format 2.4), no "did you mean".
TEST(TypoWithoutSurfaceWords, TyposMatchStemsAndNothingIsSuggested) {
  testing::TempDir dir;
  ASSERT_OK_AND_ASSIGN(Schema schema,
                       Schema::FromFile(testing::SourcePath("examples/products/schema.json")));
  IndexBuilderOptions options;
  options.surface_words = false;
  ASSERT_OK_AND_ASSIGN(auto builder, IndexBuilder::Create(schema, options));
  ASSERT_OK(
      builder->AddJsonl(testing::SourcePath("examples/products/products.jsonl.gz"), {}).status());
  ASSERT_OK(builder->Build(dir.File("stems.idx")));
  ASSERT_OK(testing::BuildBundledCatalogue(dir.File("words.idx")));
  ASSERT_OK_AND_ASSIGN(auto stems, Index::Open(dir.File("stems.idx")));
  ASSERT_OK_AND_ASSIGN(auto words, Index::Open(dir.File("words.idx")));
  EXPECT_LT(stems->Info()->file_bytes, words->Info()->file_bytes);
  SearchRequest req;
  req.query = "strawbery";  // One edit from the stem "strawberri" too.
  req.typos = true;
  ASSERT_OK_AND_ASSIGN(SearchResponse found, stems->Search(req));
  EXPECT_GT(found.total, 0u);
  EXPECT_EQ(Suggestion(*stems, "peanutt buter"), "");
  EXPECT_EQ(Suggestion(*words, "peanutt buter"), "peanut butter");
}

}  // namespace
}  // namespace libsearch
