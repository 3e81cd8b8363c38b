#include "query/collect/term_blocks.h"

#include <algorithm>

#include "query/collect/windows.h"
#include "util/bitpack.h"

namespace libsearch::internal {

// Scored over arrays, without a virtual call or a block check per doc.
uint64_t TermCollectTop(TermScorer* t, TopK* top, uint64_t count_up_to) {
  PostingsCursor* c = t->cursor();
  uint64_t n = 0;
  while (c->doc() != kNoMoreDocs) {
    if (n >= count_up_to) {  // More than count_up_to match.
      TermPruning(t, top);
      return n + 1;
    }
    const uint32_t* docs = c->block_docs();
    const uint32_t* tfs = c->block_tfs();
    const uint32_t from = c->block_pos(), size = c->block_size();
    const uint32_t take = static_cast<uint32_t>(std::min<uint64_t>(size - from, count_up_to - n));
    for (uint32_t p = from; p < from + take; ++p) top->Push(t->ScoreOf(tfs[p], docs[p]), docs[p]);
    n += take;
    if (from + take < size) {
      c->SetBlockPos(from + take);
    } else {
      c->SetBlockPos(size - 1);
      c->Next();
    }
  }
  return n;
}

// Blocks whose bound cannot beat the threshold are skipped on skip data; in
// the others, docs are screened against it branch-free (few pass,
// unpredictably) before the survivors are pushed.
void TermPruning(TermScorer* t, TopK* top) {
  PostingsCursor* c = t->cursor();
  uint32_t d = c->doc();
  while (d != kNoMoreDocs) {
    if (!top->full()) {
      top->Push(t->Score(), d);
      d = c->Next();
      continue;
    }
    const float min = top->min_score();
    uint32_t target = d, up_to = t->ShallowAdvance(target);
    if (!FirstWinnableWindow(t, &target, &up_to,
                             [&](uint32_t u) { return t->GetMaxScore(u) > min; })) {
      return;
    }
    if (target > d) {
      d = c->Advance(target);
      if (d == kNoMoreDocs || d > up_to) continue;
    }
    // The rest of the decoded block, which ends at up_to.
    const uint32_t* docs = c->block_docs();
    const uint32_t* tfs = c->block_tfs();
    const uint32_t from = c->block_pos(), size = c->block_size();
    uint32_t cand[kBlockSize];
    float score[kBlockSize];
    uint32_t m = 0;
    for (uint32_t p = from; p < size; ++p) {
      const float s = t->ScoreOf(tfs[p], docs[p]);
      cand[m] = docs[p];
      score[m] = s;
      m += s > min;
    }
    for (uint32_t k = 0; k < m; ++k) top->Push(score[k], cand[k]);
    c->SetBlockPos(size - 1);
    d = c->Next();
  }
}

}  // namespace libsearch::internal
