// Conjunctions: docs every clause matches, scores summed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

#include "query/scorer.h"
#include "query/scorers/leapfrog.h"
#include "query/scorers/term_scorer.h"

namespace libsearch::internal {

// Leapfrogs its clauses rarest first; two-phase clauses (phrases) are
// aligned on their approximations and confirmed last.
class ConjunctionScorer final : public Scorer {
 public:
  explicit ConjunctionScorer(std::vector<std::unique_ptr<Scorer>> children);
  ScorerFamily family() const override { return ScorerFamily::kConjunction; }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override {
    if (doc_ == kNoMoreDocs) return doc_;
    if (!terms_.empty()) return doc_ = Align(terms_, terms_[0]->Next());
    if (!two_phase_.empty()) return doc_ = AlignTwoPhase(doc_ + 1);
    return doc_ = Align(children_, children_[0]->Next());
  }
  uint32_t Advance(uint32_t t) override {
    if (!terms_.empty()) return doc_ = Align(terms_, t);
    return doc_ = two_phase_.empty() ? Align(children_, t) : AlignTwoPhase(t);
  }
  float Score() override {
    double sum = 0;
    if (!terms_.empty()) {
      for (TermScorer* c : terms_) sum += c->Score();
    } else {
      for (Scorer* c : children_) sum += c->Score();
    }
    return static_cast<float>(sum);
  }
  uint64_t cost() const override { return children_[0]->cost(); }
  // Bounds sum in the same order as Score(), so rounding cannot break them.
  float MaxScore() override {
    double sum = 0;
    for (Scorer* c : children_) sum += c->MaxScore();
    return static_cast<float>(sum);
  }
  uint32_t ShallowAdvance(uint32_t target) override {
    uint32_t up_to = kNoMoreDocs;
    for (Scorer* c : children_) up_to = std::min(up_to, c->ShallowAdvance(target));
    return up_to;
  }
  float GetMaxScore(uint32_t up_to) override {
    double sum = 0;
    for (Scorer* c : children_) sum += c->GetMaxScore(up_to);
    return static_cast<float>(sum);
  }

  // --- For collection strategies (block-max AND). All in Score()'s order,
  // rarest first.
  const std::vector<Scorer*>& clauses() const { return children_; }
  // The clauses as terms when every clause is one, else empty.
  const std::vector<TermScorer*>& terms() const { return terms_; }
  bool has_two_phase() const { return !two_phase_.empty(); }
  // Marks the scorer exhausted, after a strategy moved its clauses itself.
  void Exhaust() { doc_ = kNoMoreDocs; }

 private:
  uint32_t AlignTwoPhase(uint32_t target);

  std::vector<std::unique_ptr<Scorer>> owned_;
  std::vector<Scorer*> children_;
  std::vector<Scorer*> two_phase_;
  std::vector<TermScorer*> terms_;  // children_ as terms, or empty.
  uint32_t doc_ = kNoMoreDocs;
};

// Align on approximations (a two-phase child only co-occurs there), then
// confirm the two-phase children; on a miss, go on from the next doc.
inline uint32_t ConjunctionScorer::AlignTwoPhase(uint32_t target) {
  while (target != kNoMoreDocs) {
    bool agreed = true;
    for (Scorer* c : children_) {
      uint32_t d = c->doc();
      if (d < target) d = c->TwoPhase() ? c->ApproxAdvance(target) : c->Advance(target);
      if (d > target) {
        target = d;
        agreed = false;
        break;
      }
    }
    if (!agreed) continue;
    bool confirmed = true;
    for (Scorer* c : two_phase_) {
      if (!c->Confirm()) {
        confirmed = false;
        break;
      }
    }
    if (confirmed) return target;
    ++target;
  }
  return kNoMoreDocs;
}

}  // namespace libsearch::internal
