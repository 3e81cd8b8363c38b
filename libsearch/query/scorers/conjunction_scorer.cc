#include "query/scorers/conjunction_scorer.h"

#include <algorithm>

namespace libsearch::internal {

ConjunctionScorer::ConjunctionScorer(std::vector<std::unique_ptr<Scorer>> children)
    : owned_(std::move(children)) {
  // Rarest first: it leads the leapfrog.
  std::sort(owned_.begin(), owned_.end(),
            [](const auto& a, const auto& b) { return a->cost() < b->cost(); });
  children_.reserve(owned_.size());
  terms_.reserve(owned_.size());
  bool all_terms = true;
  for (auto& c : owned_) {
    children_.push_back(c.get());
    if (c->TwoPhase()) two_phase_.push_back(c.get());
    all_terms = all_terms && c->family() == ScorerFamily::kTerm;
    if (all_terms) terms_.push_back(static_cast<TermScorer*>(c.get()));
  }
  // All terms: the loops call them directly (TermScorer is final).
  if (!all_terms) terms_.clear();
  uint32_t start = 0;
  for (Scorer* c : children_) start = std::max(start, c->doc());
  doc_ = two_phase_.empty() ? Align(children_, start) : AlignTwoPhase(start);
}

}  // namespace libsearch::internal
