// Required clauses, minus excluded ones, plus optional scoring clauses.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>

#include "query/scorer.h"

namespace libsearch::internal {

// Docs of `required` not in `excluded`; the score adds `optional`'s where it
// matches too (required first, then optional, in double).
class BooleanScorer final : public Scorer {
 public:
  BooleanScorer(std::unique_ptr<Scorer> required, std::unique_ptr<Scorer> optional,
                std::unique_ptr<Scorer> excluded)
      : req_(std::move(required)), opt_(std::move(optional)), excl_(std::move(excluded)) {
    doc_ = Settle(req_->doc());
  }
  ScorerFamily family() const override { return ScorerFamily::kBoolean; }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override { return doc_ = doc_ == kNoMoreDocs ? doc_ : Settle(req_->Next()); }
  uint32_t Advance(uint32_t t) override { return doc_ = Settle(req_->Advance(t)); }
  float Score() override {
    double sum = req_->Score();
    if (opt_) {
      if (opt_->doc() < doc_) opt_->Advance(doc_);
      if (opt_->doc() == doc_) sum += opt_->Score();
    }
    return static_cast<float>(sum);
  }
  uint64_t cost() const override { return req_->cost(); }
  float MaxScore() override {
    double sum = req_->MaxScore();
    if (opt_) sum += opt_->MaxScore();
    return static_cast<float>(sum);
  }
  uint32_t ShallowAdvance(uint32_t target) override {
    uint32_t up_to = req_->ShallowAdvance(target);
    if (opt_) up_to = std::min(up_to, opt_->ShallowAdvance(target));
    return up_to;
  }
  float GetMaxScore(uint32_t up_to) override {
    double sum = req_->GetMaxScore(up_to);
    if (opt_) sum += opt_->GetMaxScore(up_to);
    return static_cast<float>(sum);
  }

  // --- For collection strategies (req-opt pruning, COUNT).
  Scorer* required() const { return req_.get(); }
  Scorer* optional() const { return opt_.get(); }   // May be null.
  Scorer* excluded() const { return excl_.get(); }  // May be null.
  // Marks the scorer exhausted, after a strategy moved its clauses itself.
  void Exhaust() { doc_ = kNoMoreDocs; }

 private:
  uint32_t Settle(uint32_t d) {
    while (d != kNoMoreDocs && excl_) {
      if (excl_->doc() < d) excl_->Advance(d);
      if (excl_->doc() != d) break;
      d = req_->Next();
    }
    return d;
  }
  std::unique_ptr<Scorer> req_, opt_, excl_;
  uint32_t doc_ = kNoMoreDocs;
};

}  // namespace libsearch::internal
