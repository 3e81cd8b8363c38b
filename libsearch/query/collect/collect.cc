#include "query/collect/collect.h"

#include "query/collect/block_max.h"
#include "query/collect/block_max_and.h"
#include "query/collect/led_union.h"
#include "query/collect/max_score_union.h"
#include "query/collect/req_opt.h"
#include "query/collect/term_blocks.h"

namespace libsearch::internal {
namespace {

// Doc by doc while counting live docs, then pruning from where it stopped.
uint64_t CountThenPrune(Scorer* s, TopK* top, uint64_t count_up_to) {
  uint64_t n = 0;
  uint32_t d = CountLive(s, top, count_up_to, &n);
  if (d == kNoMoreDocs) return n;
  ForEachPruning(s, top);
  return n + 1;
}

}  // namespace

uint64_t CollectTop(Scorer* scorer, TopK* top, uint64_t count_up_to, bool* counted_live) {
  if (counted_live != nullptr) *counted_live = false;
  switch (scorer->family()) {
    case ScorerFamily::kTerm:
      return TermCollectTop(static_cast<TermScorer*>(scorer), top, count_up_to);
    case ScorerFamily::kConjunction: {
      auto* c = static_cast<ConjunctionScorer*>(scorer);
      if (BlockAndApplies(*c)) return BlockAndCollect(c, top, count_up_to);
      break;
    }
    case ScorerFamily::kCombined:
      return CombinedCollectTop(static_cast<CombinedTermScorer*>(scorer), top, count_up_to);
    case ScorerFamily::kLedUnion:
      if (counted_live != nullptr) *counted_live = true;
      return LedUnionCollectTop(static_cast<LedUnionScorer*>(scorer), top, count_up_to);
    case ScorerFamily::kDisjunction: {
      uint64_t count = 0;
      if (MaxScoreBulk(static_cast<DisjunctionScorer*>(scorer), top, count_up_to, &count)) {
        return count;
      }
      break;
    }
    default: break;
  }
  if (counted_live != nullptr) *counted_live = true;
  return CountThenPrune(scorer, top, count_up_to);
}

uint32_t CountLive(Scorer* s, TopK* top, uint64_t count_up_to, uint64_t* count) {
  uint64_t n = *count;
  uint32_t d = s->doc();
  if (!top->has_excluded()) {
    for (; d != kNoMoreDocs && n < count_up_to; d = s->Next(), ++n) top->Push(s->Score(), d);
  } else {
    // A live doc past count_up_to stops it; an excluded one does not (were
    // every later match excluded, the count would be exact).
    for (; d != kNoMoreDocs; d = s->Next()) {
      if (top->Excluded(d)) continue;
      if (n >= count_up_to) break;
      top->Push(s->Score(), d);
      ++n;
    }
  }
  *count = n;
  return d;
}

bool CollectTopCountsLive(const Scorer& scorer) {
  switch (scorer.family()) {
    case ScorerFamily::kTerm:
    case ScorerFamily::kCombined:
    case ScorerFamily::kDisjunction: return false;  // Unless MaxScore does not apply.
    case ScorerFamily::kConjunction:
      return !BlockAndApplies(static_cast<const ConjunctionScorer&>(scorer));
    default: return true;  // Led unions, CountThenPrune.
  }
}

bool CollectTopPushesCounted(const Scorer& scorer) {
  switch (scorer.family()) {
    case ScorerFamily::kCombined:
    case ScorerFamily::kDisjunction: return false;
    default: return true;  // Term blocks, block-max AND, CountThenPrune.
  }
}

void ForEachPruning(Scorer* scorer, TopK* top) {
  switch (scorer->family()) {
    case ScorerFamily::kTerm: return TermPruning(static_cast<TermScorer*>(scorer), top);
    case ScorerFamily::kPhrase: return PhrasePruning(static_cast<PhraseScorer*>(scorer), top);
    case ScorerFamily::kConjunction:
      return ConjunctionPruning(static_cast<ConjunctionScorer*>(scorer), top);
    case ScorerFamily::kDisjunction:
      return MaxScorePruning(static_cast<DisjunctionScorer*>(scorer), top);
    case ScorerFamily::kBoolean: return ReqOptPruning(static_cast<BooleanScorer*>(scorer), top);
    case ScorerFamily::kCombined:
      CombinedCollectTop(static_cast<CombinedTermScorer*>(scorer), top, 0);
      return;
    case ScorerFamily::kLedUnion:
      LedUnionCollectTop(static_cast<LedUnionScorer*>(scorer), top, 0);
      return;
    default: return BlockMaxPruning(scorer, top);
  }
}

}  // namespace libsearch::internal
