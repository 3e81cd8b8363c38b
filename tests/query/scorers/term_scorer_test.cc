// TermScorer against the brute-force evaluator: every word of the shared
// random index, with boost 1 (stored block maxima used as they are) and
// other boosts (scaled bounds).
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

TEST(TermScorerTest, EveryWordMatchesTheEvaluator) {
  std::mt19937 rng(1);
  for (int w = 0; w < kVocabulary; ++w) {
    for (float boost : {1.0f, 2.5f, 0.3f}) {
      auto q = Term("w" + std::to_string(w), boost);
      Built b = Build(*q);
      ASSERT_EQ(b.scorer->family(), internal::ScorerFamily::kTerm);
      SCOPED_TRACE(q->terms[0] + " boost " + std::to_string(boost));
      CheckIteration(*q, rng);
    }
  }
}

TEST(TermScorerTest, MissingWordMatchesNothing) {
  std::mt19937 rng(2);
  auto q = Term("nosuchword");
  Built b = Build(*q);
  EXPECT_EQ(b.scorer->doc(), kNoMoreDocs);
  CheckIteration(*q, rng);
}

}  // namespace
}  // namespace libsearch::scorer_testing
