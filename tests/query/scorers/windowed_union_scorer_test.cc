// WindowedUnionScorer (a union of terms when every match is visited)
// against the brute-force evaluator.
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

TEST(WindowedUnionScorerTest, UnionOfTermsVisitingAll) {
  std::mt19937 rng(16);
  for (int i = 0; i < 30; ++i) {
    std::vector<std::unique_ptr<Query>> should;
    for (int k = 0; k < 2 + i % 5; ++k) {
      should.push_back(Term(RandomWordOrMissing(rng), k % 2 ? 1.0f : 0.7f));
    }
    auto q = Bool({}, std::move(should));
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    Built b = Build(*q, /*visit_all=*/true);
    if (b.scorer->family() != internal::ScorerFamily::kTerm) {  // Two words or more found.
      ASSERT_EQ(b.scorer->family(), internal::ScorerFamily::kWindowedUnion);
    }
    CheckIteration(*q, rng, /*visit_all=*/true);
  }
}

}  // namespace
}  // namespace libsearch::scorer_testing
