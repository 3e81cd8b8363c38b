// A single term's top-k (TermCollectTop, TermPruning) against the
// brute-force evaluator.
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

TEST(TermBlocksTest, TopKOfEveryWord) {
  std::mt19937 rng(18);
  for (int w = 0; w < kVocabulary; w += 2) {
    auto q = Term("w" + std::to_string(w), w % 4 ? 1.0f : 1.7f);
    SCOPED_TRACE(q->terms[0]);
    CheckCollection(*q, rng);
  }
}

}  // namespace
}  // namespace libsearch::scorer_testing
