// split_codes: letter+digit words are also indexed as their parts.
#include <gtest/gtest.h>

#include <random>

#include "analysis/analyzer.h"
#include "testing/test_util.h"

namespace libsearch::analysis {
namespace {

std::string Describe(const std::vector<Token>& tokens) {
  std::string out;
  for (const Token& t : tokens) {
    out += t.term + "@" + std::to_string(t.position) + (t.joined ? "j" : "") + "[" +
           std::to_string(t.start) + "," + std::to_string(t.end) + ") ";
  }
  return out;
}

TEST(CodeWords, JoinedWordPlusPartsAtConsecutivePositions) {
  AnalyzerOptions o;
  o.language = "none";
  o.split_codes = true;
  ASSERT_OK_AND_ASSIGN(auto a, Analyzer::Create(o));
  std::vector<Token> t;
  a->Analyze("iPhone15 case SD-500 3.14 x", &t);
  EXPECT_EQ(Describe(t),
            "iphone15@0j[0,8) iphone@0[0,6) 15@1[6,8) case@2[9,13) sd@3[14,16) 500@4[17,20) "
            "3.14@5[21,25) x@6[26,27) ");
  t.clear();
  a->Analyze("Crème500g", &t);  // Non-ASCII: folded bytes differ, parts keep the word's offsets.
  EXPECT_EQ(Describe(t), "creme500g@0j[0,10) creme@0[0,10) 500@1[0,10) g@2[0,10) ");
}

TEST(CodeWords, FastPathStillEqualsIcu) {
  AnalyzerOptions fast, icu;
  fast.split_codes = icu.split_codes = true;
  icu.force_icu = true;
  ASSERT_OK_AND_ASSIGN(auto a, Analyzer::Create(fast));
  ASSERT_OK_AND_ASSIGN(auto b, Analyzer::Create(icu));
  std::mt19937 rng(5);
  const std::string alphabet = "ab19Z0 -._',x";
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    for (int k = rng() % 16; k > 0; --k) s.push_back(alphabet[rng() % alphabet.size()]);
    std::vector<Token> ta, tb;
    a->Analyze(s, &ta);
    b->Analyze(s, &tb);
    ASSERT_EQ(Describe(ta), Describe(tb)) << "'" << s << "'";
  }
}

}  // namespace
}  // namespace libsearch::analysis
