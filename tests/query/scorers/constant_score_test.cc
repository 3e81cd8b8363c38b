// The constant-score family against the brute-force evaluator: match-all,
// numeric ranges, doc sets, unscored clauses and missing terms; every
// match scores 0 and every bound is 0.
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

void CheckConstant(const Query& q, internal::ScorerFamily family, std::mt19937& rng) {
  Built b = Build(q);
  ASSERT_EQ(b.scorer->family(), family);
  EXPECT_EQ(b.scorer->MaxScore(), 0.0f);
  CheckIteration(q, rng);
}

TEST(ConstantScoreTest, MatchAll) {
  std::mt19937 rng(11);
  Query q;  // kMatchAll.
  EXPECT_EQ(Matches(q).size(), kNumDocs);
  CheckConstant(q, internal::ScorerFamily::kConstant, rng);
}

TEST(ConstantScoreTest, Ranges) {
  std::mt19937 rng(12);
  std::uniform_real_distribution<double> value(-5, 105);
  for (int i = 0; i < 30; ++i) {
    double lo = value(rng), hi = value(rng);
    if (lo > hi) std::swap(lo, hi);
    auto q = Range(lo, hi);
    q->lo_inclusive = i % 2 == 0;
    q->hi_inclusive = i % 3 == 0;
    CheckConstant(*q, internal::ScorerFamily::kConstant, rng);
  }
}

TEST(ConstantScoreTest, DocSets) {
  std::mt19937 rng(13);
  for (int i = 0; i < 10; ++i) {
    auto set = std::make_shared<internal::DocSet>();
    std::bernoulli_distribution in(i / 10.0);
    std::vector<uint32_t> docs;
    for (uint32_t d = 0; d < kNumDocs; ++d) {
      if (in(rng)) docs.push_back(d);
    }
    set->AddMany(docs.data(), docs.size());
    Query q;
    q.kind = Query::Kind::kDocSet;
    q.doc_set = set;
    CheckConstant(q, internal::ScorerFamily::kConstant, rng);
  }
}

TEST(ConstantScoreTest, Unscored) {
  std::mt19937 rng(14);
  for (int i = 0; i < 20; ++i) {
    auto q = i % 2 ? Term(RandomWord(rng))
                   : Bool({}, List(Term(RandomWord(rng)), Term(RandomWord(rng))));
    q->scored = false;
    CheckConstant(*q, internal::ScorerFamily::kUnscored, rng);
  }
}

TEST(ConstantScoreTest, Empty) {
  std::mt19937 rng(15);
  auto q = Term("nosuchword");
  q->field = OracleIndex::Get().price();  // Not a text field: nothing to read.
  Built b = Build(*q);
  ASSERT_EQ(b.scorer->family(), internal::ScorerFamily::kEmpty);
  EXPECT_EQ(b.scorer->doc(), kNoMoreDocs);
  EXPECT_EQ(b.scorer->cost(), 0u);
}

}  // namespace
}  // namespace libsearch::scorer_testing
