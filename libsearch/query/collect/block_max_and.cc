#include "query/collect/block_max_and.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "query/collect/block_max.h"
#include "query/collect/windows.h"
#include "util/bitpack.h"

namespace libsearch::internal {
namespace {

// The block-at-a-time AND of a conjunction of terms (see Run).
class BlockAnd {
 public:
  explicit BlockAnd(ConjunctionScorer* conj) : conj_(conj), terms_(conj->terms()) {}
  template <bool kScore>
  uint64_t Run(TopK* top, uint64_t count_up_to);

 private:
  template <bool kScore>
  uint32_t IntersectLeadBlock(bool* exhausted);
  template <bool kPartial, bool kLead>
  uint32_t KeepInBlock(PostingsCursor* c, uint32_t k, uint32_t end, uint32_t kept);

  ConjunctionScorer* conj_;
  const std::vector<TermScorer*>& terms_;
  // Candidates of one window: doc, partial score, the index of the doc in
  // the block of the term being merged, and (IntersectLeadBlock) in the
  // lead's block. One allocation, on the first window.
  struct Window {
    uint32_t cand[kBlockSize];
    double partial[kBlockSize];
    uint32_t index[kBlockSize];
    uint32_t lead_index[kBlockSize];
  };
  std::unique_ptr<Window> window_;
};

// Block-at-a-time AND of terms: the lead's docs in a window are the
// candidates, and each other term, rarest first, filters them by merging two
// sorted arrays (branch-free), or by SIMD seeks when the candidates are few
// against its block (KeepInBlock). Doc-at-a-time leapfrogging paid a virtual
// call, a block check and a seek per candidate and term; here the inner
// loops run over arrays. Scores sum in double in terms_ order, as Score().
// While counting (!kScore: COUNT, scoring nothing; kScore: until more than
// `count_up_to` matches are counted, whole windows) a window is the lead's
// whole block (IntersectLeadBlock). Then, pruning as Prune() does, a window
// ends where the first of the terms' current blocks ends (ShallowAdvance),
// so every term's docs in it lie in its decoded block; windows whose bound
// cannot win are skipped on skip data, and candidates are dropped once their
// partial sum plus the other terms' window maxima cannot beat the threshold.
// Returns the count (kScore: capped at count_up_to + 1; see CollectTop).
template <bool kScore>
uint64_t BlockAnd::Run(TopK* top, uint64_t count_up_to) {
  const size_t n = terms_.size();
  if (conj_->doc() == kNoMoreDocs) return 0;
  if (window_ == nullptr) window_ = std::make_unique<Window>();
  uint32_t* cand = window_->cand;
  double* partial = window_->partial;
  uint32_t* index = window_->index;
  // Per term: its bound over the window (pruning only). Inline for short
  // queries: an allocation is a noticeable share of a selective AND.
  float maxima_inline[16];
  std::vector<float> maxima_heap(kScore && n > 16 ? n : 0);
  float* maxima = n > 16 ? maxima_heap.data() : maxima_inline;
  // The returned count's cap (count_up_to + 1, short of overflow).
  const uint64_t cap = count_up_to + (count_up_to != UINT64_MAX);
  auto can_win = [&](double sum, size_t i, float min) {
    for (; i < n; ++i) sum += maxima[i];
    return static_cast<float>(sum) > min;
  };
  TermScorer* lead = terms_[0];
  PostingsCursor* lc = lead->cursor();
  uint64_t matched = 0;
  // A window's m matches (with their scores) to the collector and the count.
  auto collect = [&](uint32_t m) {
    if constexpr (kScore) {
      for (uint32_t k = 0; k < m; ++k) top->Push(static_cast<float>(partial[k]), cand[k]);
      // Past the threshold the count only records that it was passed.
      matched = std::min(matched + m, cap);
    } else {
      matched += m;
    }
  };
  uint32_t d = conj_->doc();
  while (d != kNoMoreDocs) {
    bool prune = false;
    if constexpr (kScore) prune = matched > count_up_to && top->full();
    if (!prune) {
      // Every match counts: the window is the lead's decoded block.
      bool exhausted = false;
      collect(IntersectLeadBlock<kScore>(&exhausted));
      if (exhausted) break;
      const uint32_t* ld = lc->block_docs();
      d = lc->Advance(ld[lc->block_size() - 1] + 1);
      continue;
    }
    uint32_t up_to = conj_->ShallowAdvance(d);
    float min = 0;
    if constexpr (kScore) {
      if (prune) {
        min = top->min_score();
        uint32_t target = d;
        if (!FirstWinnableWindow(conj_, &target, &up_to, [&](uint32_t u) {
              double sum = 0;
              for (size_t i = 0; i < n; ++i) sum += maxima[i] = terms_[i]->GetMaxScore(u);
              return static_cast<float>(sum) > min;
            })) {
          conj_->Exhaust();
          return cap;
        }
        if (target > d) {
          d = lc->Advance(target);
          if (d > up_to) continue;  // Nothing of the lead here: bound d's window.
        }
      }
    }
    // The window [d, up_to]; the lead is on d.
    const uint32_t* ld = lc->block_docs();
    const uint32_t lp = lc->block_pos(), le = lc->EndIndex(up_to);
    uint32_t m = 0;
    if constexpr (!kScore) {
      m = le - lp;  // Not reached: COUNT never prunes.
      std::copy(ld + lp, ld + le, cand);
    } else {
      const uint32_t* lt = lc->block_tfs();
      // Branch-free compaction: which lead docs survive is unpredictable.
      for (uint32_t i = lp; i < le; ++i) {
        const double s = lead->ScoreOf(lt[i], ld[i]);
        cand[m] = ld[i];
        partial[m] = s;
        m += !prune || can_win(s, 1, min);
      }
    }
    bool exhausted = false;
    for (size_t t = 1; t < n && m > 0; ++t) {
      PostingsCursor* c = terms_[t]->cursor();
      // Its block holding the first doc >= cand[0] ends at or after up_to,
      // so every candidate is <= its last doc (SeekIndex's requirement).
      if (c->doc() < cand[0] && c->Advance(cand[0]) == kNoMoreDocs) {
        exhausted = true;
        m = 0;
        break;
      }
      uint32_t kept = KeepInBlock<kScore, false>(c, 0, m, 0);
      m = kept;
      if constexpr (kScore) {
        const uint32_t* tf = c->block_tfs();
        const TermScorer* ts = terms_[t];
        if (prune && t + 1 < n) {
          kept = 0;
          for (uint32_t k = 0; k < m; ++k) {
            const double s = partial[k] + ts->ScoreOf(tf[index[k]], cand[k]);
            cand[kept] = cand[k];
            partial[kept] = s;
            kept += can_win(s, t + 1, min);
          }
          m = kept;
        } else {
          for (uint32_t k = 0; k < m; ++k) partial[k] += ts->ScoreOf(tf[index[k]], cand[k]);
        }
      }
    }
    collect(m);
    if (exhausted) break;
    d = lc->Advance(up_to + 1);
  }
  conj_->Exhaust();
  return matched;
}

// Keeps those of the candidates cand[k, end) that are docs of `c`'s decoded
// block (from its current doc on), compacted from cand[kept] on; returns the
// new kept. A bitmap block still in bits is probed bit by bit (decoding its
// 128 ids costs more than the probes; see docs/design-notes.md,
// Conjunctions). Otherwise
// SIMD seeks when the candidates are few against the block, else a
// branch-free merge of the two sorted arrays. kPartial: partial sums move
// with their docs and index[] gets each survivor's index in the block;
// kLead: lead_index[] moves too. REQUIRES: every candidate <= the block's
// last doc.
template <bool kPartial, bool kLead>
uint32_t BlockAnd::KeepInBlock(PostingsCursor* c, uint32_t k, uint32_t end, uint32_t kept) {
  Window& w = *window_;
  if (c->bitmap_pending()) {
    // A dense block still in bits: a bit test per candidate, no decoding.
    const uint32_t first = kept;
    for (; k < end; ++k) {
      const uint32_t a = w.cand[k];
      if constexpr (kPartial) w.partial[kept] = w.partial[k];
      if constexpr (kLead) w.lead_index[kept] = w.lead_index[k];
      w.cand[kept] = a;
      kept += c->BitmapHas(a);
    }
    if constexpr (kPartial) c->BitmapIndices(w.cand + first, kept - first, w.index + first);
    return kept;
  }
  const uint32_t* cd = c->block_docs();
  const uint32_t ce = c->block_size();
  uint32_t j = c->block_pos();
  auto carry = [&](uint32_t from, uint32_t to) {
    if constexpr (kPartial) {
      w.partial[to] = w.partial[from];
      w.index[to] = j;
    }
    if constexpr (kLead) w.lead_index[to] = w.lead_index[from];
  };
  if ((end - k) * 8 < ce - j) {
    for (; k < end; ++k) {
      j = c->SeekIndex(j, w.cand[k]);
      carry(k, kept);
      const uint32_t a = w.cand[k];
      w.cand[kept] = a;
      kept += cd[j] == a;
    }
  } else {
    while (k < end && j < ce) {
      const uint32_t a = w.cand[k], b = cd[j];
      carry(k, kept);
      w.cand[kept] = a;
      kept += a == b;
      k += a <= b;
      j += b <= a;
    }
  }
  return kept;
}

// One window of BlockAnd without pruning: the lead's docs from its current
// doc to the end of its decoded block, filtered by each other term in turn.
// A term's docs there may span several of its blocks: the candidates are
// taken a block of it at a time (Advance skips blocks on skip data). With
// kScore, each survivor's score is summed in terms_ order as it is merged in:
// the lead's when the first other term keeps it (the lead's block stays
// decoded), then each term's while its block is the decoded one. Leaves the
// matches in window_->cand (their scores in ->partial); *exhausted if some term
// has no docs left, so no later window can match.
template <bool kScore>
uint32_t BlockAnd::IntersectLeadBlock(bool* exhausted) {
  const size_t n = terms_.size();
  uint32_t* cand = window_->cand;
  double* partial = window_->partial;
  uint32_t* index = window_->index;
  uint32_t* lead_index = window_->lead_index;
  TermScorer* lead = terms_[0];
  PostingsCursor* lc = lead->cursor();
  const uint32_t* ld = lc->block_docs();
  const uint32_t lp = lc->block_pos();
  uint32_t m = lc->block_size() - lp;
  std::copy(ld + lp, ld + lp + m, cand);
  if constexpr (kScore) {
    for (uint32_t k = 0; k < m; ++k) lead_index[k] = lp + k;
  }
  for (size_t t = 1; t < n && m > 0; ++t) {
    PostingsCursor* c = terms_[t]->cursor();
    const TermScorer* ts = terms_[t];
    uint32_t kept = 0;
    for (uint32_t k = 0; k < m;) {
      if (c->doc() < cand[k] && c->Advance(cand[k]) == kNoMoreDocs) {
        *exhausted = true;
        break;
      }
      const uint32_t last = c->block_last_doc();
      uint32_t end = k;  // Candidates up to `last` are settled by this block.
      while (end < m && cand[end] <= last) ++end;
      const uint32_t first_kept = kept;
      kept = KeepInBlock<kScore, kScore>(c, k, end, kept);
      k = end;
      if constexpr (kScore) {
        const uint32_t* tf = c->block_tfs();
        if (t == 1) {
          const uint32_t* lt = lc->block_tfs();
          for (uint32_t i = first_kept; i < kept; ++i) {
            partial[i] = static_cast<double>(lead->ScoreOf(lt[lead_index[i]], cand[i])) +
                         ts->ScoreOf(tf[index[i]], cand[i]);
          }
        } else {
          for (uint32_t i = first_kept; i < kept; ++i)
            partial[i] += ts->ScoreOf(tf[index[i]], cand[i]);
        }
      }
    }
    m = kept;
  }
  return m;
}

// Block-max AND doc by doc, for conjunctions with clauses other than terms
// (see ConjunctionPruning).
void Prune(ConjunctionScorer* conj, const std::vector<Scorer*>& kids, TopK* top) {
  const size_t n = kids.size();
  Scorer* lead = kids[0];
  std::vector<float> maxima(n);
  // Whether a doc whose first i clauses sum (in double) to `partial` can beat `min`.
  auto can_win = [&](double partial, size_t i, float min) {
    for (; i < n; ++i) partial += maxima[i];
    return static_cast<float>(partial) > min;
  };
  uint32_t d = conj->doc();
  while (d != kNoMoreDocs) {
    if (!top->full()) {  // Here every child is on d.
      top->Push(conj->Score(), d);
      d = conj->Next();
      continue;
    }
    uint32_t target = d, up_to = conj->ShallowAdvance(target);
    if (!FirstWinnableWindow(conj, &target, &up_to, [&](uint32_t u) {
          double sum = 0;
          for (size_t i = 0; i < n; ++i) sum += maxima[i] = kids[i]->GetMaxScore(u);
          return static_cast<float>(sum) > top->min_score();
        })) {
      conj->Exhaust();
      return;
    }
    if (target > d) d = lead->Advance(target);
    // The lead is on d; the others are on d or behind it.
    while (d <= up_to && d != kNoMoreDocs) {
      const float min = top->min_score();
      double sum = lead->Score();
      if (!can_win(sum, 1, min)) {
        d = lead->Next();
        continue;
      }
      size_t i = 1;
      for (; i < n; ++i) {
        Scorer* c = kids[i];
        const uint32_t cd = c->doc() < d ? c->Advance(d) : c->doc();
        if (cd > d) break;
        sum += c->Score();
        if (i + 1 < n && !can_win(sum, i + 1, min)) break;
      }
      if (i == n) {
        top->Push(static_cast<float>(sum), d);
        d = lead->Next();
      } else if (kids[i]->doc() > d) {
        d = lead->Advance(kids[i]->doc());
      } else {
        d = lead->Next();
      }
    }
    // Past the window; the others catch up when a window can win.
  }
  conj->Exhaust();
}

}  // namespace

uint64_t BlockAndCollect(ConjunctionScorer* conj, TopK* top, uint64_t count_up_to) {
  return BlockAnd(conj).Run<true>(top, count_up_to);
}

uint64_t BlockAndCount(ConjunctionScorer* conj) { return BlockAnd(conj).Run<false>(nullptr, 0); }

// Lucene's BlockMaxConjunctionScorer: windows as in BlockMaxPruning, but
// inside a window that can win, only the lead moves doc by doc. Each
// candidate is scored clause by clause, rarest first, and dropped as soon as
// its partial sum plus the other clauses' window maxima cannot beat the
// threshold, before the costlier clauses are advanced to it. The bound sums
// in clause order, as Score() does, with each unknown score replaced by a
// larger maximum: double addition and the float rounding are monotone, so
// it is never below the doc's Score().
void ConjunctionPruning(ConjunctionScorer* conj, TopK* top) {
  if (BlockAndApplies(*conj)) {
    BlockAndCollect(conj, top, 0);
    return;
  }
  if (conj->has_two_phase()) return BlockMaxPruning(conj, top);
  Prune(conj, conj->clauses(), top);
}

}  // namespace libsearch::internal
