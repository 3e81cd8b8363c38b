// Block-max AND (BlockAndCollect, ConjunctionPruning) against the
// brute-force evaluator: conjunctions of terms (the block-at-a-time path)
// and with a filter clause (clause-by-clause pruning).
#include "query/collect/block_max_and.h"

#include <gtest/gtest.h>

#include "query/scorer_oracle.h"
#include "query/scorers/conjunction_scorer.h"

namespace libsearch::scorer_testing {
namespace {

TEST(BlockMaxAndTest, ConjunctionsOfTerms) {
  std::mt19937 rng(21);
  for (int i = 0; i < 25; ++i) {
    std::vector<std::unique_ptr<Query>> must;
    for (int k = 0; k < 2 + i % 3; ++k) must.push_back(Term(RandomWord(rng), k ? 1.0f : 1.3f));
    auto q = Bool(std::move(must), {});
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    Built b = Build(*q);
    ASSERT_EQ(b.scorer->family(), internal::ScorerFamily::kConjunction);
    ASSERT_TRUE(
        internal::BlockAndApplies(*static_cast<internal::ConjunctionScorer*>(b.scorer.get())));
    CheckCollection(*q, rng);
  }
}

TEST(BlockMaxAndTest, ConjunctionsWithOtherClauses) {
  std::mt19937 rng(22);
  for (int i = 0; i < 15; ++i) {
    auto q = Bool(List(Term(RandomWord(rng)), Term(RandomWord(rng)), Range(5.05, 80.05)), {});
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    Built b = Build(*q);
    ASSERT_EQ(b.scorer->family(), internal::ScorerFamily::kConjunction);
    ASSERT_FALSE(
        internal::BlockAndApplies(*static_cast<internal::ConjunctionScorer*>(b.scorer.get())));
    CheckCollection(*q, rng);
  }
}

}  // namespace
}  // namespace libsearch::scorer_testing
