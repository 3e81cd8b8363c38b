// Req-opt pruning (ReqOptPruning) against the brute-force evaluator:
// required clauses with optional and excluded ones.
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

TEST(ReqOptTest, RequiredOptionalExcluded) {
  std::mt19937 rng(25);
  for (int i = 0; i < 30; ++i) {
    std::vector<std::unique_ptr<Query>> must, should, must_not;
    for (int k = 0; k < 1 + i % 2; ++k) must.push_back(Term(RandomWord(rng)));
    for (int k = 0; k < 1 + i % 3; ++k) should.push_back(Term(RandomWord(rng), 1.4f));
    for (int k = 0; k < i % 2; ++k) must_not.push_back(Term(RandomWord(rng)));
    auto q = Bool(std::move(must), std::move(should), std::move(must_not));
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    ASSERT_EQ(Build(*q).scorer->family(), internal::ScorerFamily::kBoolean);
    CheckCollection(*q, rng);
  }
}

}  // namespace
}  // namespace libsearch::scorer_testing
