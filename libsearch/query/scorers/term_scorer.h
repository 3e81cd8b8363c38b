// One term's postings scored by BM25, with block-max score bounds.
#pragma once

#include <algorithm>
#include <cstdint>

#include "index/bm25.h"
#include "index/index_reader.h"
#include "index/postings_cursor.h"
#include "query/scorer.h"

namespace libsearch::internal {

// Score bounds of a term. Three sources:
//  - a term without block entries (one block, 2.x) has its docs decoded when
//    its cursor opens; its bound is the largest Score() over them, computed
//    once (exact for any weight, k1 and b);
//  - the stored block maxima (block_max_score: BM25 with the build's k1, b and
//    boost 1), used when the file records that they were computed with this
//    search's k1 and b (2.2, kBm25Params), else once StoredMaximaExact has
//    shown, for this term, that they are exactly what this search's
//    parameters give. With boost 1 the stored float is the bound itself;
//    with another boost it is scaled (ScaleStored) and capped by the next one;
//  - otherwise BM25(max_tf, min_norm) per block, safe for any k1, b, boost.
// Collection strategies work on its cursor's decoded blocks directly
// (cursor(), ScoreOf()).
class TermScorer final : public Scorer {
 public:
  TermScorer(PostingsCursor* cursor, const FieldReader* field, float weight, float idf,
             const NormInverseTable* table, const Bm25Params& params)
      : cursor_(cursor),
        field_(field),
        weight_(weight),
        idf_(idf),
        table_(table),
        params_(params) {}
  ScorerFamily family() const override { return ScorerFamily::kTerm; }
  uint32_t doc() const override { return cursor_->doc(); }
  uint32_t Next() override { return cursor_->Next(); }
  uint32_t Advance(uint32_t t) override { return cursor_->Advance(t); }
  float Score() override {
    return Bm25Score(weight_, cursor_->freq(), (*table_)[field_->norm(cursor_->doc())]);
  }
  uint64_t cost() const override { return cursor_->doc_freq(); }
  float MaxScore() override {
    if (max_score_ < 0 && mode() == kComputedExact) max_score_ = computed_max_;
    if (max_score_ < 0) {  // Lazily: one pass over the skip arrays.
      float loose = 0;
      cursor_->ForEachBlock([&](uint32_t tf, uint8_t norm) {
        loose = std::max(loose, Bm25Score(weight_, tf, (*table_)[norm]));
      });
      max_score_ = UseStored() ? Tighten(cursor_->StoredMax(), loose) : loose;
    }
    return max_score_;
  }
  uint32_t ShallowAdvance(uint32_t target) override { return cursor_->ShallowAdvance(target); }
  float GetMaxScore(uint32_t up_to) override {
    float bound = 0;
    if (mode() == kComputedExact) return cursor_->BlocksLeft() ? computed_max_ : 0;
    if (UseStored()) {
      float stored = 0;
      cursor_->ForEachBlockStoredMax(up_to, [&](float m) { stored = std::max(stored, m); });
      if (mode_ == kStoredExact) return stored;
      cursor_->ForEachBlockBound(up_to, [&](uint32_t tf, uint8_t norm) {
        bound = std::max(bound, Bm25Score(weight_, tf, (*table_)[norm]));
      });
      return Tighten(stored, bound);
    }
    cursor_->ForEachBlockBound(up_to, [&](uint32_t tf, uint8_t norm) {
      bound = std::max(bound, Bm25Score(weight_, tf, (*table_)[norm]));
    });
    return bound;
  }

  PostingsCursor* cursor() const { return cursor_; }
  // Score() of `doc` with term frequency `tf`, wherever the cursor is.
  float ScoreOf(uint32_t tf, uint32_t doc) const {
    return Bm25Score(weight_, tf, (*table_)[field_->norm(doc)]);
  }
  // A lower bound on the score of any doc it matches: tf >= 1 and the
  // field's longest doc (normInverse falls as the norm code rises).
  float MinScore() const;
  // The stored block maxima were computed with the file's own statistics:
  // scoring against index-wide ones (CollectionStats) must not use them.
  // REQUIRES: no bound asked for yet.
  void IgnoreStoredMaxima() { stored_maxima_ = false; }

 private:
  enum Mode : uint8_t { kUnchecked, kLoose, kStoredExact, kStoredScaled, kComputedExact };

  Mode mode() {
    if (mode_ == kUnchecked) mode_ = Check();
    return mode_;
  }
  bool UseStored() { return mode() == kStoredExact || mode() == kStoredScaled; }
  Mode Check();
  // `stored` (a max over Bm25Score(idf, ...)) turned into a bound for
  // weight_, capped by the (max_tf, min_norm) bound `loose`.
  float Tighten(float stored, float loose) const {
    if (mode_ == kStoredExact) return stored;
    return std::min(loose, ScaleStored(stored));
  }
  float ScaleStored(float stored) const;

  PostingsCursor* cursor_;
  const FieldReader* field_;
  float weight_;
  float idf_;  // The weight at boost 1, with which the stored maxima were built.
  const NormInverseTable* table_;
  Bm25Params params_;
  float max_score_ = -1;
  float computed_max_ = 0;  // kComputedExact: the largest Score() of the term.
  Mode mode_ = kUnchecked;
  bool stored_maxima_ = true;
};

}  // namespace libsearch::internal
