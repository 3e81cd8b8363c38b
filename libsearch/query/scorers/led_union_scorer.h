// A union whose matches come from some of its clauses only (typo tiers).
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "query/scorer.h"

namespace libsearch::internal {

// The docs of the leading clauses, each scored as DisjunctionScorer scores
// it: every clause that matches it, leading or not, summed in double in
// clause order. A word's typo tier t is the word's union led by its clauses
// of at most t edits: a doc of the tier scores as under the whole word,
// while a frequent exact word no longer advances every expansion of it on
// each of its docs only to ask whether the doc is in the tier
// (search/typo_tiers.cc). The other clauses are moved only to score a doc.
class LedUnionScorer final : public Scorer {
 public:
  // REQUIRES: leads.size() == children.size(), some lead set.
  LedUnionScorer(std::vector<std::unique_ptr<Scorer>> children, std::vector<bool> leads);

  ScorerFamily family() const override { return ScorerFamily::kLedUnion; }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override;
  uint32_t Advance(uint32_t target) override;
  float Score() override;
  uint64_t cost() const override;
  float MaxScore() override;
  uint32_t ShallowAdvance(uint32_t target) override;
  float GetMaxScore(uint32_t up_to) override;

  // --- For LedUnionCollectTop (query/collect/led_union.cc), in Score()'s order.
  const std::vector<std::unique_ptr<Scorer>>& children() const { return children_; }
  const std::vector<bool>& leads() const { return leads_; }
  // Marks the scorer exhausted, after a strategy moved its children itself.
  void Exhaust() { doc_ = kNoMoreDocs; }

 private:
  uint32_t Update();

  std::vector<std::unique_ptr<Scorer>> children_;
  std::vector<bool> leads_;
  // The loops read each child's doc from docs_, kept in step with it (only
  // this scorer moves its children while it is live), and visit the leads
  // through lead_index_: a word's union has one or two leads and a hundred
  // or so typo expansions that follow.
  std::vector<uint32_t> docs_;
  std::vector<uint32_t> lead_index_;
  // The followers' smallest doc as Score() last left them: it skips them
  // for a doc below it.
  uint32_t followers_from_ = 0;
  uint32_t doc_ = kNoMoreDocs;
};

}  // namespace libsearch::internal
