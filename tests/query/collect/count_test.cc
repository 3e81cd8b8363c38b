// COUNT (CountMatches) against the brute-force evaluator, on every path:
// a term's known count, the block AND, the skewed pair of terms, the
// bitset of a union of terms (and of an unscored one), exclusions
// (iteration), and filters.
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

void ExpectCount(const Query& q) {
  SCOPED_TRACE(q.ToString(OracleIndex::Get().reader()->schema()));
  Built b = Build(q);
  EXPECT_EQ(internal::CountMatches(b.scorer.get(), kNumDocs), Matches(q).size());
}

TEST(CountTest, RandomQueriesOfEveryShape) {
  std::mt19937 rng(17);
  for (int w = 0; w < kVocabulary; ++w) ExpectCount(*Term("w" + std::to_string(w)));
  for (int i = 0; i < 40; ++i) {
    ExpectCount(*Bool(List(Term(RandomWord(rng)), Term(RandomWord(rng))), {}));
    ExpectCount(*Bool({}, List(Term(RandomWordOrMissing(rng)), Term(RandomWord(rng)))));
    ExpectCount(*Bool(
        {}, List(Term(RandomWord(rng)), Term(RandomWord(rng)), Term(RandomWordOrMissing(rng)))));
    auto unscored = Bool({}, List(Term(RandomWord(rng)), Term(RandomWord(rng))));
    unscored->scored = false;
    ExpectCount(*unscored);
    ExpectCount(*Bool(List(Term(RandomWord(rng))), List(Term(RandomWord(rng))),
                      List(Term(RandomWord(rng)))));
    ExpectCount(
        *Bool(List(Term(RandomWord(rng)), Term(RandomWord(rng))), List(Term(RandomWord(rng)))));
    ExpectCount(*Bool(List(Term(RandomWord(rng)), Range(20.05, 70.05)), {}));
  }
  ExpectCount(*Phrase({"w5", "w6"}));
  ExpectCount(Query());  // Match-all.
}

// A rare and a frequent word: |A| + |B| - |A and B| by the block AND.
TEST(CountTest, SkewedPairs) {
  for (int rare = 20; rare < kVocabulary; rare += 3) {
    ExpectCount(*Bool({}, List(Term("w0"), Term("w" + std::to_string(rare)))));
    ExpectCount(*Bool({}, List(Term("w" + std::to_string(rare)), Term("w1"))));
  }
}

// A scorer that has moved is counted from where it is.
TEST(CountTest, FromTheCurrentDoc) {
  for (const char* w : {"w0", "w7"}) {
    auto q = Bool({}, List(Term(w), Term("w30")));
    const std::vector<Hit> all = Matches(*q);
    Built b = Build(*q);
    b.scorer->Advance(all[all.size() / 2].doc);
    EXPECT_EQ(internal::CountMatches(b.scorer.get(), kNumDocs), all.size() - all.size() / 2);
  }
}

}  // namespace
}  // namespace libsearch::scorer_testing
