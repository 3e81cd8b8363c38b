// Document-at-a-time scorers over postings cursors (the Query -> Scorer step).
// Every scorer walks doc ids in increasing order; scores are Lucene's BM25
// summed over matching clauses (summed in double, returned as float, as
// Lucene's boolean scorers do).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "index/bm25.h"
#include "index/index_reader.h"
#include "index/postings.h"
#include "query/query.h"
#include "query/top_k.h"

namespace libsearch::internal {

class Scorer {
 public:
  virtual ~Scorer() = default;
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

  // Feeds `top` every doc from doc() on that could still enter it, skipping
  // windows whose bound cannot beat top->min_score(). The default walks
  // block windows of this scorer; disjunctions override it with MaxScore.
  // Docs that are skipped are not counted anywhere.
  virtual void ForEachPruning(TopK* top);

  // Two-phase iteration (Lucene's TwoPhaseIterator), for scorers whose
  // matching is costly (phrases): ApproxAdvance moves to the first doc >=
  // target that may match (cheap: the terms co-occur), Confirm() checks the
  // current doc and prepares Score(). A conjunction aligns approximations
  // first and confirms only docs that every clause may match.
  virtual bool TwoPhase() const { return false; }
  // REQUIRES: TwoPhase() and target > doc().
  virtual uint32_t ApproxAdvance(uint32_t target) { return Advance(target); }
  // REQUIRES: TwoPhase() and doc() != kNoMoreDocs came from ApproxAdvance.
  virtual bool Confirm() { return true; }

  // COUNT without decoding: sets *n to the number of matches from the
  // current doc on and returns true, if this scorer knows it (a term that
  // has not moved: its doc_freq).
  virtual bool KnownCount(uint64_t* n) const {
    (void)n;
    return false;
  }
  // COUNT by a bulk path: sets *n to the number of matches from the current
  // doc on, leaving the scorer exhausted, and returns true; or returns false
  // (touching nothing) if this scorer has none.
  virtual bool CountRest(uint64_t* n) {
    (void)n;
    return false;
  }
  // Top-k collection with exact counting up to a threshold: feeds `top`
  // every match from doc() on, counting them, until more than `count_up_to`
  // have been seen; from there on only docs that could still enter it
  // (ForEachPruning). Leaves the scorer exhausted. Returns the count, capped
  // at count_up_to + 1, which means "more than count_up_to match".
  // The default iterates Next() doc by doc.
  virtual uint64_t CollectTop(TopK* top, uint64_t count_up_to);
  // COUNT without iterating a union doc by doc: sets bit d of `bits` for
  // every remaining match d and returns true, or returns false (touching
  // nothing) if this scorer cannot. Terms and unions of terms can.
  virtual bool CanCountInto() const { return false; }
  virtual bool CountInto(CountBitset* bits) {
    (void)bits;
    return false;
  }
};

// Owns per-query state that scorers point into (norm tables) and every
// postings cursor, so the searcher can check them for corruption afterwards.
class ScorerContext {
 public:
  ScorerContext(const IndexReader* reader, Bm25Params params)
      : reader_(reader), params_(params) {}
  const IndexReader* reader() const { return reader_; }
  const Bm25Params& params() const { return params_; }
  const NormInverseTable* NormTable(const FieldReader& field);
  PostingsCursor* NewCursor(const FieldReader& field, const TermInfo& info);
  bool corrupt() const;

  // Terms that can match per field, positive clauses only: what a
  // highlighter should mark (including expansions).
  // Recorded only while collect_terms().
  void NoteTerm(uint32_t field, std::string_view term) {
    if (negated_ == 0 && collect_terms_) matched_terms_.emplace_back(field, term);
  }
  const std::vector<std::pair<uint32_t, std::string>>& matched_terms() const {
    return matched_terms_;
  }
  // Whether matched_terms() will be read (highlighting): expansions that
  // are otherwise not listed term by term (prefix indexes) are then listed.
  void set_collect_terms(bool v) { collect_terms_ = v; }
  bool collect_terms() const { return collect_terms_; }

  // Set when every match will be visited (facets, sort orders, cursors):
  // scorers may then favour plain iteration over pruning support.
  void set_visit_all(bool v) { visit_all_ = v; }
  bool visit_all() const { return visit_all_; }

  // Brackets the building of excluded (must_not) clauses.
  void EnterNegation() { ++negated_; }
  void LeaveNegation() { --negated_; }

 private:
  std::vector<std::pair<uint32_t, std::string>> matched_terms_;
  int negated_ = 0;
  bool visit_all_ = false;
  bool collect_terms_ = true;
  const IndexReader* reader_;
  Bm25Params params_;
  // Per field id, for BM25 parameters other than the field's shared table's:
  // one of owned_tables_.
  std::vector<std::pair<uint32_t, const NormInverseTable*>> tables_;
  std::vector<std::unique_ptr<NormInverseTable>> owned_tables_;
  // A query's first cursors live here, not on the heap: an over-aligned
  // allocation and its free cost about as much as a selective term's work.
  static constexpr size_t kInlineCursors = 4;
  std::array<std::optional<PostingsCursor>, kInlineCursors> inline_cursors_;
  size_t num_inline_ = 0;
  std::vector<std::unique_ptr<PostingsCursor>> cursors_;  // The rest.
};

// COUNT: the number of docs `scorer` matches from its current doc on, never
// scoring. Unions of terms (CanCountInto) OR their lists into a per-thread
// CountBitset, which counts and clears only the 512-doc lines they wrote,
// unless they are so short (cost < num_docs / 32768) that scanning the line
// flags would cost more than merging; anything else is iterated.
uint64_t CountMatches(Scorer* scorer, uint32_t num_docs);

// Builds the scorer tree for `query`. Terms missing from the index give
// scorers that match nothing.
std::unique_ptr<Scorer> CreateScorer(const Query& query, ScorerContext* ctx);

}  // namespace libsearch::internal
