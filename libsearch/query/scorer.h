// The Scorer interface: a document-at-a-time iterator over a query's
// matches, with their scores and score bounds (the Query -> Scorer step).
// Every scorer walks doc ids in increasing order; scores are Lucene's BM25
// summed over matching clauses (summed in double, returned as float, as
// Lucene's boolean scorers do). How matches are consumed (counting, top-k,
// pruning) is not a scorer's business: see query/collect/.
#pragma once

#include <cstdint>

#include "index/postings_cursor.h"

namespace libsearch::internal {

// Which family a scorer belongs to, so that collection strategies can pick
// the path a family supports without a dynamic_cast per call.
enum class ScorerFamily : uint8_t {
  kTerm,
  kPhrase,
  kConjunction,
  kDisjunction,
  kBoolean,
  kConstant,  // Score 0: match-all, range, doc set.
  kEmpty,
  kUnscored,  // Another scorer's matches with score 0.
  kWindowedUnion,
  kCombined,        // One word over several fields, BM25F.
  kCombinedPhrase,  // One phrase over several fields, BM25F.
  kLedUnion,        // A union whose matches come from some clauses (typo tiers).
};

class Scorer {
 public:
  virtual ~Scorer() = default;
  virtual ScorerFamily family() const = 0;

  // Current doc, kNoMoreDocs at the end. A new scorer is already positioned
  // on its first doc.
  virtual uint32_t doc() const = 0;
  virtual uint32_t Next() = 0;
  // First doc >= target. REQUIRES: target > doc().
  virtual uint32_t Advance(uint32_t target) = 0;
  // Score of the current doc. REQUIRES: doc() != kNoMoreDocs.
  virtual float Score() = 0;
  // Upper bound on the number of docs this scorer yields (for ordering).
  virtual uint64_t cost() const = 0;

  // --- Score bounds, for pruning. Every bound is >= the float Score() of
  // any doc it covers, computed with the same float arithmetic (BM25 is
  // monotone in tf and length, float operations are monotone).

  // Bound over all docs.
  virtual float MaxScore() = 0;
  // Moves skip data (never the current doc) to the block holding the first
  // doc >= target and returns the last doc id the next GetMaxScore() may be
  // asked about without another ShallowAdvance (kNoMoreDocs = to the end).
  virtual uint32_t ShallowAdvance(uint32_t target) = 0;
  // Bound over docs from the last ShallowAdvance target up to `up_to`.
  virtual float GetMaxScore(uint32_t up_to) = 0;

  // --- Two-phase iteration (Lucene's TwoPhaseIterator), for scorers whose
  // matching is costly (phrases): ApproxAdvance moves to the first doc >=
  // target that may match (cheap: the terms co-occur), Confirm() checks the
  // current doc and prepares Score(). A conjunction aligns approximations
  // first and confirms only docs that every clause may match.
  virtual bool TwoPhase() const { return false; }
  // REQUIRES: TwoPhase() and target > doc().
  virtual uint32_t ApproxAdvance(uint32_t target) { return Advance(target); }
  // REQUIRES: TwoPhase() and doc() != kNoMoreDocs came from ApproxAdvance.
  virtual bool Confirm() { return true; }
};

}  // namespace libsearch::internal
