// DisjunctionScorer against the brute-force evaluator: flat unions of terms
// (missing words included) and unions with other clauses (phrases,
// conjunctions).
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

TEST(DisjunctionScorerTest, UnionOfTerms) {
  std::mt19937 rng(7);
  for (int i = 0; i < 40; ++i) {
    std::vector<std::unique_ptr<Query>> should;
    for (int k = 0; k < 2 + i % 4; ++k) should.push_back(Term(RandomWordOrMissing(rng)));
    auto q = Bool({}, std::move(should));
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    CheckIteration(*q, rng);
  }
}

TEST(DisjunctionScorerTest, UnionWithOtherClauses) {
  std::mt19937 rng(8);
  for (int i = 0; i < 30; ++i) {
    std::vector<std::unique_ptr<Query>> should;
    should.push_back(Term(RandomWord(rng), 1.5f));
    should.push_back(Phrase({"w5", "w6"}));
    if (i % 2 == 0) should.push_back(Bool(List(Term(RandomWord(rng)), Term(RandomWord(rng))), {}));
    auto q = Bool({}, std::move(should));
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    Built b = Build(*q);
    ASSERT_EQ(b.scorer->family(), internal::ScorerFamily::kDisjunction);
    CheckIteration(*q, rng);
  }
}

}  // namespace
}  // namespace libsearch::scorer_testing
