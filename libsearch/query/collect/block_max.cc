#include "query/collect/block_max.h"

#include "query/collect/windows.h"

namespace libsearch::internal {

// While a window's bound cannot beat the threshold, move on to the next
// window using skip data only (no block is decoded), then Advance into the
// first window that can.
void BlockMaxPruning(Scorer* s, TopK* top) {
  uint32_t d = s->doc();
  while (d != kNoMoreDocs) {
    if (!top->full()) {
      top->Push(s->Score(), d);
      d = s->Next();
      continue;
    }
    uint32_t target = d, up_to = s->ShallowAdvance(target);
    if (!FirstWinnableWindow(s, &target, &up_to,
                             [&](uint32_t u) { return s->GetMaxScore(u) > top->min_score(); })) {
      return;
    }
    if (target > d) {
      d = s->Advance(target);
      continue;  // d may lie past this window: bound its own window first.
    }
    for (; d <= up_to && d != kNoMoreDocs; d = s->Next()) top->Push(s->Score(), d);
  }
}

// A window whose bound cannot beat the threshold is skipped on skip data,
// and inside one that can, a candidate is dropped unconfirmed when even a
// freq of its smallest tf (freq <= every term's tf) with its own norm cannot
// beat it (ApproxBound).
void PhrasePruning(PhraseScorer* s, TopK* top) {
  uint32_t d = s->doc();  // A confirmed match.
  while (d != kNoMoreDocs && !top->full()) {
    top->Push(s->Score(), d);
    d = s->Next();
  }
  bool confirmed = true;
  while (d != kNoMoreDocs) {
    uint32_t target = d, up_to = s->ShallowAdvance(target);
    if (!FirstWinnableWindow(s, &target, &up_to,
                             [&](uint32_t u) { return s->GetMaxScore(u) > top->min_score(); })) {
      s->ApproxAdvance(kNoMoreDocs);  // Exhausts it.
      return;
    }
    if (target > d) {
      d = s->ApproxAdvance(target);
      confirmed = false;
    }
    for (; d <= up_to && d != kNoMoreDocs; d = s->ApproxAdvance(d + 1), confirmed = false) {
      if (!confirmed && (s->ApproxBound() <= top->min_score() || !s->Confirm())) continue;
      top->Push(s->Score(), d);
    }
  }
}

}  // namespace libsearch::internal
