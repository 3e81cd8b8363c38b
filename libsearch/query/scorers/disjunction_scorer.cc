#include "query/scorers/disjunction_scorer.h"

namespace libsearch::internal {

DisjunctionScorer::DisjunctionScorer(std::vector<std::unique_ptr<Scorer>> children)
    : children_(std::move(children)) {
  // All terms: the loops call them directly (TermScorer is final).
  terms_.reserve(children_.size());
  for (auto& c : children_) {
    if (c->family() != ScorerFamily::kTerm) {
      terms_.clear();
      break;
    }
    terms_.push_back(static_cast<TermScorer*>(c.get()));
  }
  docs_.reserve(children_.size());
  for (auto& c : children_) docs_.push_back(c->doc());
  Update();
}

std::vector<std::unique_ptr<Scorer>> DisjunctionScorer::TakeClauses() {
  std::vector<std::unique_ptr<Scorer>> taken = std::move(children_);
  children_.clear();
  terms_.clear();
  docs_.clear();
  doc_ = kNoMoreDocs;
  return taken;
}

}  // namespace libsearch::internal
