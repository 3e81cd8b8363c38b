// ConjunctionScorer against the brute-force evaluator: ANDs of terms (the
// all-terms path), with a phrase (two-phase clauses), and with a filter
// clause (neither).
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

TEST(ConjunctionScorerTest, AndOfTerms) {
  std::mt19937 rng(5);
  for (int i = 0; i < 40; ++i) {
    std::vector<std::unique_ptr<Query>> must;
    for (int k = 0; k < 2 + i % 3; ++k) must.push_back(Term(RandomWord(rng)));
    auto q = Bool(std::move(must), {});
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    Built b = Build(*q);
    ASSERT_EQ(b.scorer->family(), internal::ScorerFamily::kConjunction);
    CheckIteration(*q, rng);
  }
}

TEST(ConjunctionScorerTest, WithPhraseAndFilterClauses) {
  std::mt19937 rng(6);
  for (int i = 0; i < 30; ++i) {
    std::vector<std::unique_ptr<Query>> must;
    must.push_back(Term(RandomWord(rng)));
    if (i % 2 == 0) must.push_back(Phrase({"w5", "w6"}));
    if (i % 3 == 0) must.push_back(Range(10.05, 60.05));
    if (i % 2 == 1) {
      auto unscored = Term(RandomWord(rng));
      unscored->scored = false;
      must.push_back(std::move(unscored));
    }
    auto q = Bool(std::move(must), {});
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    Built b = Build(*q);
    ASSERT_EQ(b.scorer->family(), internal::ScorerFamily::kConjunction);
    CheckIteration(*q, rng);
  }
}

}  // namespace
}  // namespace libsearch::scorer_testing
