// Generic block-max pruning (BlockMaxPruning) and the phrase's
// (PhrasePruning) against the brute-force evaluator.
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

TEST(BlockMaxTest, Phrases) {
  std::mt19937 rng(19);
  std::vector<std::unique_ptr<Query>> qs;
  qs.push_back(Phrase({"w5", "w6"}));
  qs.push_back(Phrase({"w3", "w9", "w3"}));
  qs.push_back(Phrase({"w0", "w1"}));
  qs.push_back(Phrase({"w1", "w0", "w2"}));
  for (const auto& q : qs) {
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    ASSERT_EQ(Build(*q).scorer->family(), internal::ScorerFamily::kPhrase);
    CheckCollection(*q, rng);
  }
}

// Scorers with no pruning of their own: filters and a conjunction with a
// phrase (two-phase clauses take the generic windows).
TEST(BlockMaxTest, OtherScorers) {
  std::mt19937 rng(20);
  CheckCollection(*Range(10.05, 30.05), rng);
  auto unscored = Term("w2");
  unscored->scored = false;
  CheckCollection(*unscored, rng);
  for (int i = 0; i < 10; ++i) {
    auto q = Bool(List(Phrase({"w5", "w6"}), Term(RandomWord(rng))), {});
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    CheckCollection(*q, rng);
  }
}

}  // namespace
}  // namespace libsearch::scorer_testing
