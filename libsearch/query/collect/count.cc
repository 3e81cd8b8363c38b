#include "query/collect/count.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "query/collect/block_max_and.h"
#include "query/scorers/boolean_scorer.h"
#include "query/scorers/combined_term_scorer.h"
#include "query/scorers/conjunction_scorer.h"
#include "query/scorers/constant_score.h"
#include "query/scorers/disjunction_scorer.h"
#include "query/scorers/term_scorer.h"
#include "util/count_bitset.h"

namespace libsearch::internal {
namespace {

// Sets *n to the number of matches from the current doc on and returns
// true, if `s` knows it without decoding; else false.
bool KnownCount(const Scorer* s, uint64_t* n) {
  switch (s->family()) {
    case ScorerFamily::kTerm: {
      const PostingsCursor* c = static_cast<const TermScorer*>(s)->cursor();
      if (!c->AtStart()) return false;
      *n = c->doc_freq();
      return true;
    }
    case ScorerFamily::kBoolean: {
      // Optional clauses never change which docs match: without exclusions
      // the count is the required clause's.
      const auto* b = static_cast<const BooleanScorer*>(s);
      return b->excluded() == nullptr && KnownCount(b->required(), n);
    }
    case ScorerFamily::kUnscored:
      return KnownCount(static_cast<const UnscoredScorer*>(s)->inner(), n);
    default: return false;
  }
}

// COUNT of a union of two terms, one of which has at least kPairSkew times
// the other's docs ("the preakness"): |A| + |B| - |A and B|, the
// intersection counted block-at-a-time by a conjunction led by B, so A's
// blocks are decoded only where B has docs (bitmap blocks probed in their
// words) instead of all OR-ed into a bitset. Less skewed pairs, and three
// or more lists, are left to the bitset (see docs/design-notes.md, COUNT).
bool CountSkewedPair(DisjunctionScorer* u, uint64_t* n) {
  constexpr uint64_t kPairSkew = 4;
  const auto& terms = u->terms();
  if (terms.size() != 2) return false;
  const PostingsCursor* a = terms[0]->cursor();
  const PostingsCursor* b = terms[1]->cursor();
  if (!a->AtStart() || !b->AtStart()) return false;
  const uint64_t small = std::min(a->doc_freq(), b->doc_freq());
  const uint64_t large = std::max(a->doc_freq(), b->doc_freq());
  if (large < kPairSkew * small) return false;
  // The pair moves into the intersection, which owns it from here on.
  ConjunctionScorer both(u->TakeClauses());
  const uint64_t common = BlockAndCount(&both);  // Two terms: always the block path.
  *n = small + large - common;
  return true;
}

// COUNT by a bulk path: sets *n to the number of matches from the current
// doc on, leaving `s` exhausted, and returns true; or returns false
// (touching nothing) if `s` has none.
bool CountRest(Scorer* s, uint64_t* n) {
  switch (s->family()) {
    case ScorerFamily::kConjunction: {
      auto* c = static_cast<ConjunctionScorer*>(s);
      if (!BlockAndApplies(*c)) return false;
      *n = BlockAndCount(c);
      return true;
    }
    case ScorerFamily::kDisjunction: return CountSkewedPair(static_cast<DisjunctionScorer*>(s), n);
    case ScorerFamily::kBoolean: {
      auto* b = static_cast<BooleanScorer*>(s);
      if (b->excluded() != nullptr || !CountRest(b->required(), n)) return false;
      b->Exhaust();
      return true;
    }
    case ScorerFamily::kUnscored: return CountRest(static_cast<UnscoredScorer*>(s)->inner(), n);
    default: return false;
  }
}

}  // namespace

bool CanCountInto(const Scorer* s) {
  switch (s->family()) {
    case ScorerFamily::kTerm:
    case ScorerFamily::kCombined:  // A union of one word's lists.
    case ScorerFamily::kEmpty:     // Lets a union with a missing word still count by bitset.
      return true;
    case ScorerFamily::kDisjunction:
      for (const auto& c : static_cast<const DisjunctionScorer*>(s)->clauses()) {
        if (!CanCountInto(c.get())) return false;
      }
      return true;
    case ScorerFamily::kUnscored:
      return CanCountInto(static_cast<const UnscoredScorer*>(s)->inner());
    default: return false;
  }
}

void CountInto(Scorer* s, CountBitset* bits) {
  switch (s->family()) {
    case ScorerFamily::kTerm: static_cast<TermScorer*>(s)->cursor()->OrInto(bits); return;
    case ScorerFamily::kCombined: {
      auto* c = static_cast<CombinedTermScorer*>(s);
      for (const auto& p : c->parts()) p.cursor->OrInto(bits);
      c->Exhaust();
      return;
    }
    case ScorerFamily::kDisjunction: {
      auto* u = static_cast<DisjunctionScorer*>(s);
      for (const auto& c : u->clauses()) CountInto(c.get(), bits);
      u->Exhaust();
      return;
    }
    case ScorerFamily::kUnscored: CountInto(static_cast<UnscoredScorer*>(s)->inner(), bits); return;
    default: return;
  }
}

uint64_t CountMatches(Scorer* scorer, uint32_t num_docs) {
  if (uint64_t n; KnownCount(scorer, &n) || CountRest(scorer, &n)) return n;
  // The bitset costs a byte per 512 docs to scan even for a handful of
  // matches; below that, merging is as cheap.
  if (CanCountInto(scorer) && scorer->cost() >= num_docs / 32768) {
    thread_local CountBitset bits;
    bits.Reserve(num_docs);
    CountInto(scorer, &bits);
    return bits.CountAndClear();
  }
  uint64_t n = 0;
  for (uint32_t d = scorer->doc(); d != kNoMoreDocs; d = scorer->Next()) ++n;
  return n;
}

}  // namespace libsearch::internal
