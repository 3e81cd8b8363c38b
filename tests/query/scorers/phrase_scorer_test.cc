// PhraseScorer against the brute-force evaluator: random two- and
// three-word phrases (repeated words included), the planted bigram and
// trigram, and the two-phase path (approximation, then Confirm).
#include <gtest/gtest.h>

#include "query/scorer_oracle.h"

namespace libsearch::scorer_testing {
namespace {

std::vector<std::unique_ptr<Query>> Phrases() {
  std::mt19937 rng(3);
  std::vector<std::unique_ptr<Query>> out;
  out.push_back(Phrase({"w5", "w6"}));
  out.push_back(Phrase({"w3", "w9", "w3"}));
  out.push_back(Phrase({"w0", "w0"}));
  for (int i = 0; i < 30; ++i) {
    std::vector<std::string> words;
    const int n = 2 + i % 3;
    for (int k = 0; k < n; ++k) words.push_back(RandomWord(rng));
    out.push_back(Phrase(words));
  }
  return out;
}

TEST(PhraseScorerTest, MatchesTheEvaluator) {
  std::mt19937 rng(4);
  size_t matched = 0;
  for (const auto& q : Phrases()) {
    SCOPED_TRACE(q->ToString(OracleIndex::Get().reader()->schema()));
    Built b = Build(*q);
    if (b.scorer->doc() != kNoMoreDocs) {
      ASSERT_EQ(b.scorer->family(), internal::ScorerFamily::kPhrase);
    }
    matched += !Matches(*q).empty();
    CheckIteration(*q, rng);
  }
  EXPECT_GT(matched, 5u);  // The phrases are not all empty.
}

// Approximate docs include every match, and Confirm() keeps exactly those.
TEST(PhraseScorerTest, TwoPhaseConfirmsExactlyTheMatches) {
  for (const auto& q : Phrases()) {
    const std::vector<Hit> want = Matches(*q);
    Built b = Build(*q);
    internal::Scorer* s = b.scorer.get();
    if (s->family() != internal::ScorerFamily::kPhrase) continue;
    ASSERT_TRUE(s->TwoPhase());
    std::vector<Hit> got;
    // The first doc is a confirmed match; then approximations from there.
    for (uint32_t d = s->doc(); d != kNoMoreDocs;) {
      got.push_back({d, s->Score()});
      for (d = s->ApproxAdvance(d + 1); d != kNoMoreDocs && !s->Confirm();) {
        d = s->ApproxAdvance(d + 1);
      }
    }
    EXPECT_EQ(got, want);
  }
}

}  // namespace
}  // namespace libsearch::scorer_testing
