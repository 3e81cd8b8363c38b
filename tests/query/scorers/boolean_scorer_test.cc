// BooleanScorer against the brute-force evaluator: required clauses with
// optional and excluded ones.
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

TEST(BooleanScorerTest, RequiredOptionalExcluded) {
  std::mt19937 rng(9);
  for (int i = 0; i < 60; ++i) {
    std::vector<std::unique_ptr<Query>> must, should, must_not;
    for (int k = 0; k < 1 + i % 2; ++k) must.push_back(Term(RandomWord(rng)));
    for (int k = 0; k < i % 3; ++k) should.push_back(Term(RandomWordOrMissing(rng)));
    if (i % 4 == 0) should.push_back(Phrase({"w5", "w6"}));
    for (int k = 0; k < (i / 3) % 3; ++k) must_not.push_back(Term(RandomWord(rng)));
    if (should.empty() && must_not.empty()) must_not.push_back(Term(RandomWord(rng)));
    auto q = Bool(std::move(must), std::move(should), std::move(must_not));
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    Built b = Build(*q);
    ASSERT_EQ(b.scorer->family(), internal::ScorerFamily::kBoolean);
    CheckIteration(*q, rng);
  }
}

TEST(BooleanScorerTest, OnlyOptionalWithExclusions) {
  std::mt19937 rng(10);
  for (int i = 0; i < 20; ++i) {
    auto q =
        Bool({}, List(Term(RandomWord(rng)), Term(RandomWord(rng))), List(Term(RandomWord(rng))));
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    Built b = Build(*q);
    ASSERT_EQ(b.scorer->family(), internal::ScorerFamily::kBoolean);
    CheckIteration(*q, rng);
  }
}

}  // namespace
}  // namespace libsearch::scorer_testing
