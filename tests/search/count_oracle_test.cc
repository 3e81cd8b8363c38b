// COUNT of unions against exhaustive evaluation on the real catalogue
// (examples/products): the oracle re-analyses every product's text fields
// and unions the docs of the query's terms; libsearch's COUNT (k = 0: the
// terms' postings ORed into a bitset, bitmap blocks by whole words) must
// give the same number for every seeded random query.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "analysis/analyzer.h"
#include "index/index_reader.h"
#include "testing/rounds.h"
#include "testing/test_util.h"

namespace libsearch {
namespace {

constexpr const char* kFields[] = {"product_name", "ingredients"};

class CountOracleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    ASSERT_OK(testing::BuildBundledCatalogue(dir_->File("p.idx")));
    analysis::AnalyzerOptions ao;  // As the schema's text fields: en, split_codes.
    ao.language = "en";
    ao.split_codes = true;
    auto analyzer = analysis::Analyzer::Create(ao);
    ASSERT_TRUE(analyzer.ok());
    analyzer_ = analyzer->release();
    terms_ = new std::map<std::string, std::vector<uint32_t>>[2];
    words_ = new std::vector<std::string>();
    std::map<std::string, int> word_freq;
    const std::vector<std::string> lines = testing::FirstBundledProducts(100000);
    num_docs_ = static_cast<uint32_t>(lines.size());
    std::vector<analysis::Token> tokens;
    for (uint32_t d = 0; d < num_docs_; ++d) {
      const auto j = nlohmann::json::parse(lines[d]);
      for (int f = 0; f < 2; ++f) {
        if (!j.contains(kFields[f]) || !j[kFields[f]].is_string()) continue;
        const std::string text = j[kFields[f]].get<std::string>();
        tokens.clear();  // Analyze appends.
        analyzer_->Analyze(text, &tokens);
        for (const auto& t : tokens) {
          auto& docs = terms_[f][t.term];
          if (docs.empty() || docs.back() != d) docs.push_back(d);
        }
        // Query words: plain lowercase ASCII words of the text.
        std::string w;
        for (size_t i = 0; i <= text.size(); ++i) {
          const char c = i < text.size() ? text[i] : ' ';
          if (c >= 'a' && c <= 'z') {
            w += c;
            continue;
          }
          if (w.size() >= 2 && w.size() <= 12 && (c == ' ' || c == ',' || c == '.')) word_freq[w]++;
          w.clear();
        }
      }
    }
    // The most frequent words (dense lists: bitmap blocks) and a spread of
    // rarer ones (packed, varint, inline lists).
    std::vector<std::pair<int, std::string>> by_freq;
    for (const auto& [w, n] : word_freq) {
      if (w == "and" || w == "or" || w == "not") continue;  // Query operators.
      by_freq.emplace_back(-n, w);
    }
    std::sort(by_freq.begin(), by_freq.end());
    for (size_t i = 0; i < by_freq.size(); ++i) {
      if (i < 60 || i % 17 == 0) words_->push_back(by_freq[i].second);
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete analyzer_;
    delete[] terms_;
    delete words_;
  }

  // Docs matching any of `words` in the fields selected by `mask` (bit f).
  static uint64_t Oracle(const std::vector<std::string>& words, int mask) {
    std::vector<char> hit(num_docs_, 0);
    std::vector<analysis::Token> tokens;
    for (const std::string& w : words) {
      tokens.clear();
      analyzer_->Analyze(w, &tokens);
      for (const auto& t : tokens) {
        for (int f = 0; f < 2; ++f) {
          if ((mask >> f & 1) == 0) continue;
          auto it = terms_[f].find(t.term);
          if (it == terms_[f].end()) continue;
          for (uint32_t d : it->second) hit[d] = 1;
        }
      }
    }
    uint64_t n = 0;
    for (char h : hit) n += h;
    return n;
  }

  static testing::TempDir* dir_;
  static analysis::Analyzer* analyzer_;
  static std::map<std::string, std::vector<uint32_t>>* terms_;  // Per field: term -> docs.
  static std::vector<std::string>* words_;
  static uint32_t num_docs_;
};
testing::TempDir* CountOracleTest::dir_ = nullptr;
analysis::Analyzer* CountOracleTest::analyzer_ = nullptr;
std::map<std::string, std::vector<uint32_t>>* CountOracleTest::terms_ = nullptr;
std::vector<std::string>* CountOracleTest::words_ = nullptr;
uint32_t CountOracleTest::num_docs_ = 0;

// The catalogue's dense words are stored as bitmap blocks (else this test
// would not cover them).
TEST_F(CountOracleTest, CatalogueHasBitmapBlocks) {
  ASSERT_OK_AND_ASSIGN(auto reader, internal::IndexReader::Open(dir_->File("p.idx")));
  EXPECT_EQ(reader->header().format_minor, internal::kFormatMinor);
  for (const char* name : kFields) {
    const internal::FieldReader* field = reader->field(*reader->schema().FieldIndex(name));
    uint64_t bitmaps = 0;
    for (uint64_t b = 0; b < field->postings.num_blocks; ++b) {
      bitmaps += field->postings.info[b].flags == internal::kBlockBitmap;
    }
    // Short product names have few dense words (7 such blocks); ingredient
    // lists many (379).
    EXPECT_GT(bitmaps, std::string(name) == "ingredients" ? 100u : 0u) << name;
  }
}

TEST_F(CountOracleTest, UnionCountsMatchExhaustive) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("p.idx")));
  ASSERT_EQ(index->num_docs(), num_docs_);
  ASSERT_GT(words_->size(), 200u);
  std::mt19937 rng(2026);
  int large = 0;
  for (int qi = 0; qi < testing::Rounds(1200); ++qi) {
    const int n = 1 + static_cast<int>(rng() % 8);
    std::vector<std::string> words;
    SearchRequest req;
    for (int i = 0; i < n; ++i) {
      // Half the words from the 60 most frequent: unions of dense lists.
      const size_t pick = rng() % 2 ? rng() % 60 : rng() % words_->size();
      words.push_back((*words_)[pick]);
      req.query.append(words.back()).append(" ");
    }
    const int mask = qi % 4 == 3 ? 1 : qi % 4 == 2 ? 2 : 3;  // Both fields, or one.
    if (mask != 3) req.fields = {kFields[mask - 1]};
    req.default_operator = Operator::kOr;
    req.k = 0;  // COUNT.
    req.include_docs = false;
    ASSERT_OK_AND_ASSIGN(SearchResponse resp, index->Search(req));
    const uint64_t want = Oracle(words, mask);
    ASSERT_EQ(resp.total, want) << req.query << " fields " << mask;
    large += want > num_docs_ / 4;
  }
  EXPECT_GT(large, testing::Rounds(200));  // Many unions cover much of the catalogue.
}

}  // namespace
}  // namespace libsearch
