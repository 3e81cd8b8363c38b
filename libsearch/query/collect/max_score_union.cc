#include "query/collect/max_score_union.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "util/bitpack.h"

namespace libsearch::internal {
namespace {

// A fixed-size array of n T's, inline up to 16 (a query's terms), else on
// the heap. Value-initialised (or all `fill`).
template <typename T>
class SmallVec {
 public:
  explicit SmallVec(size_t n, T fill = T()) {
    if (n > 16) heap_.resize(n);
    data_ = n > 16 ? heap_.data() : inline_;
    std::fill(data_, data_ + n, fill);
  }
  SmallVec(const SmallVec&) = delete;
  SmallVec& operator=(const SmallVec&) = delete;
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }

 private:
  T inline_[16];
  std::vector<T> heap_;
  T* data_;
};

// A clause of the bulk path: a term, or a word over several fields
// (BM25F), both final classes, so the calls below are direct.
struct BulkClause {
  TermScorer* term = nullptr;
  CombinedTermScorer* comb = nullptr;

  uint32_t doc() const { return term != nullptr ? term->doc() : comb->doc(); }
  uint32_t Advance(uint32_t d) { return term != nullptr ? term->Advance(d) : comb->Advance(d); }
  float Score() { return term != nullptr ? term->Score() : comb->Score(); }
  float MaxScore() { return term != nullptr ? term->MaxScore() : comb->MaxScore(); }
  float MinScore() const { return term != nullptr ? term->MinScore() : comb->MinScore(); }
  uint32_t ShallowAdvance(uint32_t t) {
    return term != nullptr ? term->ShallowAdvance(t) : comb->ShallowAdvance(t);
  }
  float GetMaxScore(uint32_t up_to) {
    return term != nullptr ? term->GetMaxScore(up_to) : comb->GetMaxScore(up_to);
  }
  uint32_t ShallowLastDoc(uint64_t ahead) const {
    return term != nullptr ? term->cursor()->ShallowLastDoc(ahead) : comb->ShallowLastDoc(ahead);
  }
};

// Whether the double sums of these clauses' scores are exact whatever the
// order of summing (see MaxScoreBulk below). One clause always is.
bool SumsExact(SmallVec<BulkClause>& clauses, size_t n) {
  if (n <= 1) return true;
  double max_sum = 0;
  float min_score = INFINITY;
  for (size_t i = 0; i < n; ++i) {
    max_sum += clauses[i].MaxScore();
    min_score = std::min(min_score, clauses[i].MinScore());
  }
  if (!(min_score > 0) || !std::isfinite(max_sum)) return false;
  int exp = 0;
  std::frexp(min_score, &exp);  // min_score >= 2^(exp - 1).
  return max_sum < std::ldexp(1.0, exp - 1 + 29);
}

// Block-max MaxScore (Turtle & Flood; the windowed variant of Lucene's
// MaxScoreBulkScorer). The doc space is cut into windows that end where the
// first essential clause's current block ends (see the loop for the rules).
// Until more than count_up_to matches are counted every clause is essential
// (exact counting, as CollectTop). Per window each clause has a bound over
// the window (its block maxima); clauses are ordered by it, and the cheapest
// prefix whose bounds sum to <= the threshold is "non-essential": a doc in
// the window matching only those cannot enter the top k. A window with no
// essential clause is skipped whole; otherwise candidates come from the
// essential clauses alone, and non-essential clauses are probed (largest
// bound first) only while the candidate can still win. The threshold is
// re-checked after every push, so the partition tightens inside a window.
// Sums of floats in double are exact, whatever their order, when every
// value is a multiple of 2^(E - 23) (all are floats >= 2^E) and the largest
// possible sum stays below 2^(E + 29) (53 - 24 bits of headroom, one spare).
// Then the bulk path's sums equal Score()'s children-order sums bit for bit.
// A word over several fields (CombinedTermScorer) is one clause: its parts'
// shares are summed per doc in a float accumulator, part by part, then
// saturated into the doc's accumulator, the float operations of its Score().
void BulkCollect(SmallVec<BulkClause>& terms, size_t n, TopK* top, uint64_t count_up_to,
                 uint64_t* count) {
  *count = 0;
  if (n == 0) return;
  // Windows of at most kWindow docs when several terms are essential (the
  // accumulators cover one window). Kept per thread across queries: every
  // entry is zero between windows, as the candidate loop clears what it read.
  constexpr uint32_t kWindow = 4096;
  thread_local std::vector<double> acc(kWindow);
  thread_local std::vector<uint64_t> bits(kWindow / 64);
  // A combined clause's per-doc x and the docs it touched, per window.
  thread_local std::vector<float> xacc(kWindow);
  thread_local std::vector<uint64_t> xbits(kWindow / 64);
  SmallVec<size_t> order(n);
  SmallVec<float> wmax(n);
  // Terms whose current block may end a window: those essential in the
  // previous window (all at first). Non-essential terms' blocks do not cut
  // windows short (Lucene's MaxScoreBulkScorer does the same): their bound
  // over a window spanning several of their blocks is the largest of those.
  SmallVec<char> cuts(n, 1);
  SmallVec<uint32_t> ends(n);  // Per term: its current block's last doc.
  uint64_t matched = 0;        // Counted while counting.
  uint32_t lo = kNoMoreDocs;
  for (size_t i = 0; i < n; ++i) lo = std::min(lo, terms[i].doc());
  while (lo != kNoMoreDocs) {
    // Start at the first doc >= lo of any term. A lagging term (not advanced
    // since it was non-essential) may have docs from lo on if a block of it
    // ends at or after lo; otherwise it has none left.
    uint32_t start = kNoMoreDocs;
    for (size_t i = 0; i < n; ++i) {
      BulkClause& t = terms[i];
      if (t.doc() >= lo) {
        start = std::min(start, t.doc());
      } else if (t.ShallowAdvance(lo) != kNoMoreDocs) {
        start = lo;
      }
    }
    if (start == kNoMoreDocs) break;
    lo = start;
    // Only terms essential in the previous window (cuts) end this one at
    // their current block. A term that turns out essential here though it
    // did not cut may have a loose bound over the longer window (a frequent
    // term, over many of its blocks): the window is then cut at its block
    // too and the bounds recomputed. Shorter windows have lower bounds, so
    // no new term becomes essential and one recut is enough. A window spans
    // at most kMaxBlocks blocks of any term, which bounds the work of the
    // bounds (GetMaxScore visits each block).
    constexpr uint64_t kMaxBlocks = 8;
    // Until the count passes count_up_to every term is essential and
    // windows are kWindow long: no bounds are needed.
    const bool counting = matched <= count_up_to;
    const bool one_cuts = std::count(cuts.begin(), cuts.begin() + n, 1) == 1;
    uint32_t hi = one_cuts ? kNoMoreDocs - 1
                           : static_cast<uint32_t>(
                                 std::min<uint64_t>(uint64_t{lo} + (kWindow - 1), kNoMoreDocs - 1));
    for (size_t i = 0; i < n; ++i) {
      ends[i] = terms[i].ShallowAdvance(lo);
      hi = std::min(hi, cuts[i] ? ends[i] : terms[i].ShallowLastDoc(kMaxBlocks - 1));
    }
    size_t first_essential = 0;
    double non_essential = 0;
    if (counting) {
      hi = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{lo} + (kWindow - 1), kNoMoreDocs - 1));
      // A few more matches to count (top-k's first k): a block of the
      // densest term holds them; pruning can start after it.
      if (count_up_to - matched < kBlockSize) {
        for (size_t i = 0; i < n; ++i) hi = std::min(hi, ends[i]);
      }
      for (size_t i = 0; i < n; ++i) order[i] = i;
    }
    for (int pass = 0; pass < 2 && !counting; ++pass) {
      for (size_t i = 0; i < n; ++i) {
        wmax[i] = terms[i].GetMaxScore(hi);
        order[i] = i;
      }
      std::sort(order.begin(), order.begin() + n,
                [&](size_t x, size_t y) { return wmax[x] < wmax[y]; });
      // Non-essential prefix: its bounds sum (exactly) to <= the threshold.
      first_essential = 0;
      non_essential = 0;
      if (top->full()) {
        const float t = top->min_score();
        while (first_essential < n &&
               static_cast<float>(non_essential + wmax[order[first_essential]]) <= t) {
          non_essential += wmax[order[first_essential++]];
        }
      }
      const uint32_t was = hi;
      for (size_t e = first_essential; e < n; ++e) {
        if (!cuts[order[e]]) hi = std::min(hi, ends[order[e]]);
      }
      if (hi == was) break;
    }
    if (!counting) {
      for (size_t e = 0; e < n; ++e) cuts[order[e]] = e >= first_essential;
    }
    // A candidate whose essential terms sum to `score`: probe the
    // non-essential terms, largest bound first, while it can still win.
    auto probe = [&](double score, uint32_t d) {
      double rest = non_essential;
      bool competitive = !top->full() || static_cast<float>(score + rest) > top->min_score();
      for (size_t e = first_essential; competitive && e-- > 0;) {
        BulkClause& t = terms[order[e]];
        rest -= wmax[order[e]];
        if (t.doc() < d) t.Advance(d);
        if (t.doc() == d) score += t.Score();
        competitive = !top->full() || static_cast<float>(score + rest) > top->min_score();
      }
      if (competitive) top->Push(static_cast<float>(score), d);
    };
    // Calls f(docs, tfs, from, end) for each decoded block of cursor c that
    // has docs in [lo, hi] (indices from..end-1), leaving c on its first doc
    // past hi.
    auto for_each_block = [&](PostingsCursor* c, auto&& f) {
      uint32_t d = c->doc();
      if (d < lo) d = c->Advance(lo);
      while (d <= hi) {
        const uint32_t end = c->EndIndex(hi);
        f(c->block_docs(), c->block_tfs(), c->block_pos(), end);
        if (end < c->block_size()) {
          c->SetBlockPos(end);
          break;
        }
        c->SetBlockPos(end - 1);
        d = c->Next();
      }
    };
    if (first_essential + 1 == n && terms[order[n - 1]].term != nullptr) {
      // One essential term (the usual case once the threshold has risen):
      // its docs are the candidates, already in order.
      // Its docs are screened branch-free against the threshold first: few
      // pass, unpredictably.
      TermScorer* t = terms[order[n - 1]].term;
      for_each_block(t->cursor(),
                     [&](const uint32_t* docs, const uint32_t* tfs, uint32_t from, uint32_t end) {
                       uint32_t cand[kBlockSize];
                       double score[kBlockSize];
                       uint32_t m = 0;
                       if (counting) matched += end - from;
                       const bool full = top->full();
                       const float min = full ? top->min_score() : 0;
                       for (uint32_t p = from; p < end; ++p) {
                         const double s = t->ScoreOf(tfs[p], docs[p]);
                         cand[m] = docs[p];
                         score[m] = s;
                         m += !full || static_cast<float>(s + non_essential) > min;
                       }
                       for (uint32_t k = 0; k < m; ++k) probe(score[k], cand[k]);
                     });
    } else if (first_essential < n) {
      // Essential terms: scores summed per doc of the window, a decoded
      // block at a time. `touched` has bit k set when word k of the window's
      // bitset got a doc: sparse windows (a few docs in 4096) visit only
      // those words (scanning all 64 was most of a rare-word union's time).
      if (hi - lo >= kWindow) hi = lo + (kWindow - 1);
      static_assert(kWindow / 64 == 64, "one bit of `touched` per bitset word");
      double* const acc_p = acc.data();
      uint64_t* const bits_p = bits.data();
      uint64_t touched = 0;
      for (size_t e = first_essential; e < n; ++e) {
        if (TermScorer* t = terms[order[e]].term; t != nullptr) {
          for_each_block(t->cursor(), [&](const uint32_t* docs, const uint32_t* tfs, uint32_t from,
                                          uint32_t end) {
            uint64_t words = 0;
            for (uint32_t p = from; p < end; ++p) {
              const uint32_t i = docs[p] - lo;
              acc_p[i] += t->ScoreOf(tfs[p], docs[p]);
              bits_p[i >> 6] |= uint64_t{1} << (i & 63);
              words |= uint64_t{1} << (i >> 6);
            }
            touched |= words;
          });
          continue;
        }
        // A combined clause: x per doc over its parts, then its score.
        CombinedTermScorer* c = terms[order[e]].comb;
        float* const x_p = xacc.data();
        uint64_t* const xbits_p = xbits.data();
        uint64_t xtouched = 0;
        for (const CombinedTermScorer::Part& part : c->parts()) {
          for_each_block(part.cursor, [&](const uint32_t* docs, const uint32_t* tfs, uint32_t from,
                                          uint32_t end) {
            uint64_t words = 0;
            for (uint32_t p = from; p < end; ++p) {
              const uint32_t i = docs[p] - lo;
              x_p[i] += c->PartShare(part, tfs[p], docs[p]);
              xbits_p[i >> 6] |= uint64_t{1} << (i & 63);
              words |= uint64_t{1} << (i >> 6);
            }
            xtouched |= words;
          });
        }
        c->Sync();
        touched |= xtouched;
        for (; xtouched != 0; xtouched &= xtouched - 1) {
          const uint32_t w = static_cast<uint32_t>(__builtin_ctzll(xtouched));
          for (uint64_t m = xbits_p[w]; m != 0; m &= m - 1) {
            const uint32_t i = w * 64 + static_cast<uint32_t>(__builtin_ctzll(m));
            acc_p[i] += c->ScoreOfSum(x_p[i], lo + i);
            x_p[i] = 0;
          }
          bits_p[w] |= xbits_p[w];
          xbits_p[w] = 0;
        }
      }
      // Candidates in doc order.
      for (; touched != 0; touched &= touched - 1) {
        const uint32_t w = static_cast<uint32_t>(__builtin_ctzll(touched));
        for (uint64_t m = bits_p[w]; m != 0; m &= m - 1) {
          const uint32_t i = w * 64 + static_cast<uint32_t>(__builtin_ctzll(m));
          const double score = acc_p[i];
          acc_p[i] = 0;
          matched += counting;
          probe(score, lo + i);
        }
        bits_p[w] = 0;
      }
    }
    if (hi >= kNoMoreDocs - 1) break;
    lo = hi + 1;
  }
  // Past count_up_to the count only records that it was passed.
  *count = matched <= count_up_to ? matched : count_up_to + 1;
}

}  // namespace

bool MaxScoreBulk(DisjunctionScorer* u, TopK* top, uint64_t count_up_to, uint64_t* count) {
  // Per-clause state, on the stack for up to 16 clauses (allocations were a
  // noticeable share of a short union).
  const std::vector<std::unique_ptr<Scorer>>& children = u->clauses();
  SmallVec<BulkClause> clauses(children.size());
  size_t n = 0;
  for (auto& c : children) {
    if (c->doc() == kNoMoreDocs) continue;  // Matches nothing more (e.g. a missing term).
    if (c->family() == ScorerFamily::kTerm) {
      clauses[n++].term = static_cast<TermScorer*>(c.get());
    } else if (c->family() == ScorerFamily::kCombined) {
      clauses[n++].comb = static_cast<CombinedTermScorer*>(c.get());
    } else {
      return false;
    }
  }
  if (!SumsExact(clauses, n)) return false;
  BulkCollect(clauses, n, top, count_up_to, count);
  u->Exhaust();
  return true;
}

uint64_t CombinedCollectTop(CombinedTermScorer* s, TopK* top, uint64_t count_up_to) {
  SmallVec<BulkClause> clause(1);
  clause[0].comb = s;
  uint64_t count = 0;
  if (s->doc() != kNoMoreDocs) BulkCollect(clause, 1, top, count_up_to, &count);
  s->Exhaust();
  return count;
}

void MaxScorePruning(DisjunctionScorer* u, TopK* top) {
  if (uint64_t count; MaxScoreBulk(u, top, 0, &count)) return;
  const std::vector<std::unique_ptr<Scorer>>& clauses = u->clauses();
  const size_t n = clauses.size();
  std::vector<size_t> order(n);
  std::vector<float> wmax(n);   // Per clause, clauses order: window bound.
  std::vector<double> part(n);  // Per clause, clauses order: score or bound.
  // Sums `part` in clauses order, exactly as Score() sums.
  auto total = [&] {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += part[i];
    return static_cast<float>(sum);
  };
  // First essential index in `order` for threshold t (n: none). The bounds
  // of a prefix are summed in clauses order, as Score() sums, so a doc
  // matching only that prefix provably scores <= the sum (rounding is
  // monotone).
  std::vector<uint8_t> in_prefix(n);
  auto partition = [&](float t) {
    std::fill(in_prefix.begin(), in_prefix.end(), 0);
    size_t e = 0;
    for (; e < n; ++e) {
      in_prefix[order[e]] = 1;
      double sum = 0;
      for (size_t i = 0; i < n; ++i) sum += in_prefix[i] ? wmax[i] : 0.0;
      if (static_cast<float>(sum) > t) break;
    }
    return e;
  };
  uint32_t lo = kNoMoreDocs;
  for (auto& c : clauses) lo = std::min(lo, c->doc());
  while (lo != kNoMoreDocs) {
    uint32_t hi = kNoMoreDocs;
    for (auto& c : clauses) hi = std::min(hi, c->ShallowAdvance(lo));
    for (size_t i = 0; i < n; ++i) {
      wmax[i] = clauses[i]->GetMaxScore(hi);
      order[i] = i;
    }
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return wmax[x] < wmax[y]; });
    float partitioned_at = top->full() ? top->min_score() : -INFINITY;
    size_t first_essential = top->full() ? partition(partitioned_at) : 0;
    while (first_essential < n) {
      uint32_t doc = kNoMoreDocs;
      for (size_t e = first_essential; e < n; ++e) {
        Scorer* c = clauses[order[e]].get();
        if (c->doc() < lo) c->Advance(lo);
        doc = std::min(doc, c->doc());
      }
      if (doc > hi || doc == kNoMoreDocs) break;
      // Bound: actual scores of essential clauses at doc, window bounds of the rest.
      for (size_t e = 0; e < n; ++e) {
        Scorer* c = clauses[order[e]].get();
        part[order[e]] = e < first_essential ? wmax[order[e]] : c->doc() == doc ? c->Score() : 0.0;
      }
      bool competitive = !top->full() || total() > top->min_score();
      // Probe non-essential clauses, largest bound first, while still competitive.
      for (size_t e = first_essential; competitive && e-- > 0;) {
        Scorer* c = clauses[order[e]].get();
        if (c->doc() < doc) c->Advance(doc);
        part[order[e]] = c->doc() == doc ? c->Score() : 0.0;
        competitive = !top->full() || total() > top->min_score();
      }
      if (competitive) top->Push(total(), doc);
      for (size_t e = first_essential; e < n; ++e) {
        Scorer* c = clauses[order[e]].get();
        if (c->doc() == doc) c->Next();
      }
      lo = doc + 1;
      if (top->full() && top->min_score() != partitioned_at) {
        partitioned_at = top->min_score();
        first_essential = std::max(first_essential, partition(partitioned_at));
      }
    }
    if (hi >= kNoMoreDocs - 1) break;
    lo = hi + 1;
  }
  u->Exhaust();  // The children are no longer in a consistent state.
}

}  // namespace libsearch::internal
