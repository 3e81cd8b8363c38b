// Prefix and typo expansion against brute force over the whole dictionary of
// a real field (the bundled catalogue's ingredients).
#include "query/expand.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "index/index_reader.h"
#include "testing/test_util.h"

namespace libsearch::internal {
namespace {

class ExpandTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    ASSERT_OK(testing::BuildBundledCatalogue(dir_->File("p.idx")));
    auto reader = IndexReader::Open(dir_->File("p.idx"));
    ASSERT_TRUE(reader.ok());
    reader_ = reader->release();
    field_ = reader_->field(*reader_->schema().FieldIndex("ingredients"));
    terms_ = new std::vector<std::string>();
    ASSERT_OK(field_->dict.Terms(0, static_cast<uint32_t>(field_->dict.num_terms()), terms_));
  }
  static void TearDownTestSuite() {
    delete reader_;
    delete terms_;
    delete dir_;
  }
  static testing::TempDir* dir_;
  static IndexReader* reader_;
  static const FieldReader* field_;
  static std::vector<std::string>* terms_;
};
testing::TempDir* ExpandTest::dir_ = nullptr;
IndexReader* ExpandTest::reader_ = nullptr;
const FieldReader* ExpandTest::field_ = nullptr;
std::vector<std::string>* ExpandTest::terms_ = nullptr;

TEST_F(ExpandTest, EditDistanceReference) {
  EXPECT_EQ(EditDistance("kitten", "sitting", false), 3u);
  EXPECT_EQ(EditDistance("abcd", "acbd", false), 2u);
  EXPECT_EQ(EditDistance("abcd", "acbd", true), 1u);
  EXPECT_EQ(EditDistance("crème", "creme", false), 1u) << "counted on code points";
  EXPECT_EQ(EditDistance("", "abc", true), 3u);
}

TEST_F(ExpandTest, FuzzyTermsEqualBruteForce) {
  ASSERT_GT(terms_->size(), 10000u);
  std::mt19937 rng(17);
  const std::string letters = "abcdefghijklmnopqrstuvwxyz\xc3\xa9";
  int with_matches = 0;
  for (int i = 0; i < 60; ++i) {
    // A real term, mutated by up to two random edits (or none).
    std::string w = (*terms_)[rng() % terms_->size()];
    for (int e = rng() % 3; e > 0 && !w.empty(); --e) {
      // A quarter of the edits hit the first letter (it is charged two).
      const size_t at = rng() % 4 == 0 ? 0 : rng() % w.size();
      const int op = static_cast<int>(rng() % 4);
      if (op == 3 && at + 1 < w.size()) std::swap(w[at], w[at + 1]);
      if (op == 0) w.erase(at, 1);
      if (op == 1) w.insert(at, 1, letters[rng() % 26]);
      if (op == 2) w[at] = letters[rng() % 26];
    }
    // Keep w valid UTF-8 (edits may split a multi-byte character).
    bool valid = true;
    for (size_t k = 0; k < w.size(); ++k) {
      const unsigned char c = static_cast<unsigned char>(w[k]);
      if (c >= 0x80) valid = false;
    }
    if (!valid) continue;
    for (uint32_t k = 1; k <= 2; ++k) {
      for (bool transpositions : {false, true}) {
        std::set<std::string> want;
        for (const std::string& t : *terms_) {
          if (TypoDistance(w, t, transpositions) <= k) want.insert(t);
        }
        std::set<std::string> got;
        for (const Expansion& e : FuzzyTerms(*field_, w, k, transpositions, 1u << 30)) {
          std::vector<std::string> t;
          ASSERT_OK(field_->dict.Terms(e.ord, 1, &t));
          EXPECT_EQ(e.edits, TypoDistance(w, t[0], transpositions)) << w << " ~ " << t[0];
          got.insert(t[0]);
        }
        ASSERT_EQ(got, want) << "word '" << w << "' k=" << k
                             << " transpositions=" << transpositions;
        with_matches += !want.empty();
      }
    }
  }
  EXPECT_GT(with_matches, 80);
}

TEST_F(ExpandTest, TypoDistanceChargesTwoForTheFirstLetter) {
  EXPECT_EQ(TypoDistance("sugar", "suger", true), 1u);
  EXPECT_EQ(TypoDistance("sugar", "augar", true), 2u) << "substituted first letter";
  EXPECT_EQ(TypoDistance("sugar", "ugar", true), 2u) << "deleted first letter";
  EXPECT_EQ(TypoDistance("sugar", "xsugar", true), 2u) << "inserted first letter";
  EXPECT_EQ(TypoDistance("sugar", "usgar", true), 2u) << "swapped first two";
  EXPECT_GT(TypoDistance("sugar", "usgar", false), 2u);
  EXPECT_GT(TypoDistance("sugar", "augur", true), 2u) << "first letter and one more";
  EXPECT_EQ(TypoDistance("ssugar", "sugar", true), 1u) << "a doubled first letter is not changed";
  EXPECT_EQ(TypoDistance("éclair", "èclair", true), 2u) << "code points, not bytes";
  EXPECT_GT(TypoDistance("éclair", "eclair", true), 2u) << "é and e are in different blocks";
}

TEST_F(ExpandTest, FuzzyCapKeepsClosestThenMostFrequent) {
  const auto all = FuzzyTerms(*field_, "sugar", 2, true, 1u << 30);
  const auto capped = FuzzyTerms(*field_, "sugar", 2, true, 5);
  ASSERT_GT(all.size(), 5u);
  ASSERT_EQ(capped.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(capped[i].ord, all[i].ord);
  EXPECT_EQ(all[0].edits, 0u) << "the exact term comes first";
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LE(all[i - 1].edits, all[i].edits);
}

TEST_F(ExpandTest, PrefixTermsEqualBruteForce) {
  std::mt19937 rng(4);
  for (int i = 0; i < 300; ++i) {
    const std::string& t = (*terms_)[rng() % terms_->size()];
    const std::string p = t.substr(0, 1 + rng() % std::min<size_t>(t.size(), 5));
    std::vector<std::pair<uint32_t, std::string>> want;  // (df, term)
    for (uint32_t ord = 0; ord < terms_->size(); ++ord) {
      if ((*terms_)[ord].rfind(p, 0) == 0) want.emplace_back(field_->DocFreq(ord), (*terms_)[ord]);
    }
    const size_t cap = 1 + rng() % 20;
    std::stable_sort(want.begin(), want.end(),
                     [](const auto& a, const auto& b) { return a.first > b.first; });
    const auto got = PrefixTerms(*field_, p, cap);
    ASSERT_EQ(got.size(), std::min(cap, want.size())) << p;
    for (size_t k = 0; k < got.size(); ++k) {
      std::vector<std::string> term;
      ASSERT_OK(field_->dict.Terms(got[k].ord, 1, &term));
      EXPECT_EQ(term[0], want[k].second) << "prefix '" << p << "' rank " << k;
    }
  }
}

}  // namespace
}  // namespace libsearch::internal
