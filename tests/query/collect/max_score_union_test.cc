// MaxScore unions (MaxScoreBulk, MaxScorePruning) against the brute-force
// evaluator: flat unions of terms (the bulk path) and unions with other
// clauses (doc by doc).
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

TEST(MaxScoreUnionTest, UnionsOfTerms) {
  std::mt19937 rng(23);
  for (int i = 0; i < 25; ++i) {
    std::vector<std::unique_ptr<Query>> should;
    for (int k = 0; k < 2 + i % 5; ++k) {
      should.push_back(Term(RandomWordOrMissing(rng), k % 2 ? 1.0f : 2.0f));
    }
    auto q = Bool({}, std::move(should));
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    CheckCollection(*q, rng);
  }
}

TEST(MaxScoreUnionTest, UnionsWithOtherClauses) {
  std::mt19937 rng(24);
  for (int i = 0; i < 15; ++i) {
    auto q = Bool({}, List(Term(RandomWord(rng)), Phrase({"w5", "w6"}),
                           Bool(List(Term(RandomWord(rng)), Term(RandomWord(rng))), {})));
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    ASSERT_EQ(Build(*q).scorer->family(), internal::ScorerFamily::kDisjunction);
    CheckCollection(*q, rng);
  }
}

}  // namespace
}  // namespace libsearch::scorer_testing
