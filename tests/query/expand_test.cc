// Prefix and typo expansion against brute force over the whole dictionary of
// a real field (the bundled catalogue's ingredients).
#include "query/expand.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>

#include "analysis/analyzer.h"
#include "index/index_reader.h"
#include "index/term_dict.h"
#include "testing/rounds.h"
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
  for (int i = 0; i < testing::Rounds(60); ++i) {
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
  EXPECT_GT(with_matches, testing::Rounds(80));  // Scaled as the rounds are.
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

// TypoStems against its definition: every surface word of the field within
// reach by TypoDistance, mapped to its stem, each stem at its nearest word's
// distance; and the surface words themselves against a re-analysis.
TEST_F(ExpandTest, TypoStemsEqualBruteForceOverSurfaceWords) {
  ASSERT_TRUE(field_->surface.present());
  std::vector<std::string> words;
  ASSERT_OK(
      field_->surface.dict.Terms(0, static_cast<uint32_t>(field_->surface.num_words), &words));
  ASSERT_GT(words.size(), terms_->size()) << "more words than stems";
  std::mt19937 rng(16);
  int with_matches = 0;
  for (int i = 0; i < testing::Rounds(60); ++i) {
    std::string w = words[rng() % words.size()];
    if (w.size() < 4 || static_cast<unsigned char>(w[0]) >= 0x80) continue;
    const size_t at = rng() % w.size();
    if (rng() % 2) w[at] = static_cast<char>('a' + rng() % 26);
    if (rng() % 3 == 0) w.insert(at, 1, 'e');
    bool ascii = true;
    for (unsigned char c : w) ascii = ascii && c < 0x80;
    if (!ascii) continue;
    for (uint32_t k = 1; k <= 2; ++k) {
      std::map<uint32_t, uint32_t> want;  // stem ordinal -> edits
      for (uint32_t o = 0; o < words.size(); ++o) {
        const uint32_t d = TypoDistance(w, words[o], true);
        if (d > k) continue;
        const uint32_t stem = field_->surface.Get(o).stem_ord;
        ASSERT_LT(stem, field_->stats.num_terms);
        auto [it, fresh] = want.emplace(stem, d);
        if (!fresh) it->second = std::min(it->second, d);
      }
      std::map<uint32_t, uint32_t> got;
      for (const Expansion& e : TypoStems(*field_, w, "unused", k, 1u << 30)) {
        ASSERT_TRUE(got.emplace(e.ord, e.edits).second) << "stem listed twice";
      }
      ASSERT_EQ(got, want) << w << " k=" << k;
      with_matches += !want.empty();
    }
  }
  EXPECT_GT(with_matches, testing::Rounds(25));
}

// The memo answers what the walk answers, the first time and after.
TEST_F(ExpandTest, TypoCacheAnswersAsTheWalk) {
  const TypoCache cache;
  std::mt19937 rng(21);
  for (int i = 0; i < 200; ++i) {
    std::string w = (*terms_)[rng() % terms_->size()];
    if (w.size() > 3 && rng() % 2) w[rng() % w.size()] = 'x';
    const uint32_t k = 1 + static_cast<uint32_t>(rng() % 2);
    const size_t cap = rng() % 2 ? 50 : 5;
    const auto want = TypoStems(*field_, w, w, k, cap);
    for (int again = 0; again < 2; ++again) {
      const auto got = cache.TypoStems(*field_, w, w, k, cap);
      ASSERT_EQ(got.size(), want.size()) << w;
      for (size_t j = 0; j < got.size(); ++j) {
        EXPECT_EQ(got[j].ord, want[j].ord) << w;
        EXPECT_EQ(got[j].edits, want[j].edits) << w;
      }
    }
    // "Did you mean"'s words, remembered the same way (in no order).
    auto words = [](std::vector<WordMatch> v) {
      std::vector<std::tuple<std::string, uint32_t, uint64_t, std::string>> out;
      for (WordMatch& m : v) out.emplace_back(m.word, m.edits, m.doc_freq, m.stem);
      std::sort(out.begin(), out.end());
      return out;
    };
    const auto want_words = words(TypoWords(*field_, w, k));
    for (int again = 0; again < 2; ++again) {
      EXPECT_EQ(words(cache.TypoWords(*field_, w, k)), want_words) << w;
    }
  }
}

// A surface word's stem and doc count are what analysing it says.
TEST_F(ExpandTest, SurfaceWordsMapToTheirStems) {
  analysis::AnalyzerOptions options;
  options.split_codes = true;
  auto stemmer = analysis::Analyzer::Create(options).value();
  std::vector<std::string> words;
  ASSERT_OK(
      field_->surface.dict.Terms(0, static_cast<uint32_t>(field_->surface.num_words), &words));
  for (uint32_t o = 0; o < words.size(); o += 7) {
    const SurfaceWord sw = field_->surface.Get(o);
    std::vector<std::string> stem;
    ASSERT_OK(field_->dict.Terms(sw.stem_ord, 1, &stem));
    const std::vector<std::string> analysed = stemmer->Terms(words[o]);
    ASSERT_FALSE(analysed.empty()) << words[o];
    EXPECT_NE(std::find(analysed.begin(), analysed.end(), stem[0]), analysed.end())
        << words[o] << " -> " << stem[0];
    EXPECT_GE(sw.doc_freq, 1u);
    EXPECT_LE(sw.doc_freq, field_->DocFreq(sw.stem_ord)) << words[o];
  }
}

// Damaged key prefixes can make a dictionary seek land before where it
// started; the typo walk must still end (issue 19: it looped forever).
TEST_F(ExpandTest, DamagedKeyPrefixesNeverHangTheTypoWalk) {
  std::vector<std::string_view> sorted(terms_->begin(), terms_->end());
  std::string blocks, index, prefixes;
  WriteTermDict(sorted, &blocks, &index, &prefixes);
  std::mt19937_64 rng(19);
  for (int trial = 0; trial < 300; ++trial) {
    std::string damaged = prefixes;
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
      const size_t at = rng() % damaged.size();
      damaged[at] = static_cast<char>(damaged[at] ^ (1 << (rng() % 8)));
    }
    if (trial % 10 == 0) {  // Or a whole stretch of them reversed.
      const size_t n = damaged.size() / 8;
      for (size_t i = 0; i < n / 2; ++i) {
        for (size_t b = 0; b < 8; ++b) std::swap(damaged[8 * i + b], damaged[8 * (n - 1 - i) + b]);
      }
    }
    ASSERT_OK_AND_ASSIGN(TermDictReader dict,
                         TermDictReader::Open(blocks, index, damaged, sorted.size()));
    auto walk = std::async(std::launch::async, [&dict] {
      size_t n = 0;
      for (const char* w : {"buttr", "sugar", "chocolat", "xylitol", "ssalt", "vanila"}) {
        std::vector<Expansion> out;
        FuzzyWalk(dict, w, 2, true, &out);
        n += out.size();
      }
      return n;
    });
    if (walk.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      std::fprintf(stderr, "typo walk did not end on damaged prefixes (trial %d)\n", trial);
      std::_Exit(1);  // The thread cannot be stopped; do not hang the suite.
    }
    walk.get();
  }
}

}  // namespace
}  // namespace libsearch::internal
