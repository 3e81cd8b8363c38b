// A union of terms walked a window of docs at a time, for visiting every match.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "query/scorer.h"
#include "query/scorers/disjunction_scorer.h"
#include "query/scorers/term_scorer.h"

namespace libsearch::internal {

// The union of one field's term expansions when every match is visited
// (facets, sort): a window of docs at a time, each term's postings are
// walked once into a bitset and a score array, instead of merging up to
// max_expansions lists doc by doc. Scores are summed per doc in clause
// order, in double, exactly as DisjunctionScorer sums them. Bounds are the
// global ones only: the terms' cursors run ahead of doc(), and this scorer
// is never used for pruning.
class WindowedUnionScorer final : public Scorer {
 public:
  explicit WindowedUnionScorer(std::vector<std::unique_ptr<TermScorer>> children)
      : children_(std::move(children)) {
    doc_ = Fill(0);
  }
  ScorerFamily family() const override { return ScorerFamily::kWindowedUnion; }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override { return doc_ = doc_ == kNoMoreDocs ? doc_ : Seek(doc_ + 1); }
  uint32_t Advance(uint32_t t) override { return doc_ = Seek(t); }
  float Score() override { return static_cast<float>(acc_[doc_ - base_]); }
  uint64_t cost() const override { return SumCost(children_); }
  float MaxScore() override { return SumMaxScore(children_); }
  uint32_t ShallowAdvance(uint32_t) override { return kNoMoreDocs; }
  float GetMaxScore(uint32_t) override { return MaxScore(); }

 private:
  static constexpr uint32_t kWindow = 4096;

  // First match >= t, refilling the window when t is past it.
  uint32_t Seek(uint32_t t);
  // Loads the window starting at the first match >= t; returns that match.
  uint32_t Fill(uint32_t t);

  std::vector<std::unique_ptr<TermScorer>> children_;
  uint32_t base_ = 0;
  uint32_t doc_ = kNoMoreDocs;
  uint64_t bits_[kWindow / 64];
  double acc_[kWindow];
};

}  // namespace libsearch::internal
