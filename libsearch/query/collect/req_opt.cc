#include "query/collect/req_opt.h"

#include "query/collect/windows.h"

namespace libsearch::internal {

// Required, optional and excluded clauses (Lucene's block-max
// ReqOptSumScorer): block windows as in the default, and inside a window
// that can win, the optional clause is consulted only for a doc whose
// required score plus the optional window bound can beat the threshold.
// When the required clause's window bound alone cannot, only docs that
// match the optional clause can win, and the optional clause leads.
// Exclusions are checked last, only for docs that would enter the top k.
// Sums as Score(): required, then optional.
void ReqOptPruning(BooleanScorer* s, TopK* top) {
  Scorer* const req = s->required();
  Scorer* const opt = s->optional();
  Scorer* const excl = s->excluded();
  auto excluded = [&](uint32_t x) {
    if (!excl) return false;
    if (excl->doc() < x) excl->Advance(x);
    return excl->doc() == x;
  };
  // req walks unsettled from here on: exclusions are checked lazily.
  uint32_t d = s->doc();
  while (d != kNoMoreDocs) {
    if (!top->full()) {
      double sum = req->Score();
      if (opt) {
        if (opt->doc() < d) opt->Advance(d);
        if (opt->doc() == d) sum += opt->Score();
      }
      if (!excluded(d)) top->Push(static_cast<float>(sum), d);
      d = req->Next();
      continue;
    }
    uint32_t target = d, up_to = s->ShallowAdvance(target);
    float req_max = 0, opt_max = 0;
    if (!FirstWinnableWindow(s, &target, &up_to, [&](uint32_t u) {
          req_max = req->GetMaxScore(u);
          if (opt) opt_max = opt->GetMaxScore(u);
          return static_cast<float>(static_cast<double>(req_max) + opt_max) > top->min_score();
        })) {
      s->Exhaust();
      return;
    }
    if (target > d) {
      d = req->Advance(target);
      if (d > up_to) continue;  // Bound d's own window first.
    }
    // The window [d, up_to]; req is on d.
    while (d <= up_to && d != kNoMoreDocs) {
      const float min = top->min_score();
      if (opt && static_cast<float>(req_max) <= min) {
        // Only docs with an optional match can win: move to the next one.
        const uint32_t o = opt->doc() < d ? opt->Advance(d) : opt->doc();
        if (o > up_to) {
          d = up_to >= kNoMoreDocs - 1 ? kNoMoreDocs : req->Advance(up_to + 1);
          break;
        }
        if (o > d) {
          d = req->Advance(o);
          continue;
        }
      }
      double sum = req->Score();
      if (static_cast<float>(sum + opt_max) > min) {
        if (opt) {
          if (opt->doc() < d) opt->Advance(d);
          if (opt->doc() == d) sum += opt->Score();
        }
        if (static_cast<float>(sum) > min && !excluded(d)) top->Push(static_cast<float>(sum), d);
      }
      d = req->Next();
    }
  }
  s->Exhaust();
}

}  // namespace libsearch::internal
