#include "query/collect/match_blocks.h"

#include <utility>

#include "query/scorer_builder.h"
#include "query/scorers/conjunction_scorer.h"
#include "query/scorers/constant_score.h"

namespace libsearch::internal {

MatchBlocks::MatchBlocks(const Query& query, const DocSet* deleted, const DocBits* deleted_bits,
                         ScorerContext* ctx) {
  split_ = Split(query, deleted, deleted_bits, ctx);
  if (!split_) lead_ = CreateScorer(query, ctx);
}

// The shapes Plan builds: ExcludeDeleted(Parse(req)), i.e. [words AND
// filters...] AND NOT deleted, each part optional. CreateScorer makes the
// same tree a BooleanScorer over a ConjunctionScorer, whose score is the
// words' (the filters are unscored).
bool MatchBlocks::Split(const Query& query, const DocSet* deleted, const DocBits* deleted_bits,
                        ScorerContext* ctx) {
  const auto plain_boolean = [](const Query& q) {
    return q.kind == Query::Kind::kBoolean && !(q.combine_fields && q.scored) && q.should.empty() &&
           !q.must.empty();
  };
  const Query* inner = &query;
  if (deleted != nullptr && deleted_bits != nullptr && plain_boolean(query) &&
      query.must.size() == 1 && query.must_not.size() == 1 &&
      query.must_not[0]->kind == Query::Kind::kDocSet &&
      query.must_not[0]->doc_set.get() == deleted) {
    inner = query.must[0].get();
    deleted_bits_ = deleted_bits;
  }
  const Query* words = inner;
  std::vector<const Query*> filters;
  if (plain_boolean(*inner) && inner->must_not.empty() && inner->must.size() >= 2) {
    bool all_filters = true;
    for (size_t i = 1; i < inner->must.size(); ++i) all_filters &= !inner->must[i]->scored;
    if (all_filters) {
      words = inner->must[0].get();
      for (size_t i = 1; i < inner->must.size(); ++i) filters.push_back(inner->must[i].get());
    }
  }
  if (words == &query) return false;
  // Created in CreateScorer's order: the words, then each filter.
  lead_ = CreateScorer(*words, ctx);
  bool led_by_words = true;
  std::vector<std::unique_ptr<Scorer>> range_scorers;
  for (const Query* f : filters) {
    const NumericColumn* column =
        f->kind == Query::Kind::kRange ? ctx->reader()->numeric(f->field) : nullptr;
    if (column != nullptr) {
      ranges_.push_back({column, f->lo, f->hi, f->lo_inclusive, f->hi_inclusive});
      range_scorers.push_back(std::make_unique<RangeScorer>(column, ctx->reader()->num_docs(), *f));
      continue;
    }
    others_.push_back(CreateScorer(*f, ctx));
    const Scorer& s = *others_.back();
    led_by_words &= !s.TwoPhase() && s.cost() >= lead_->cost();
  }
  if (!led_by_words) {
    // A filter rarer than the words (or a phrase) leads: the conjunction
    // CreateScorer would build, the deleted docs still tested inline.
    std::vector<std::unique_ptr<Scorer>> all;
    all.push_back(std::move(lead_));
    for (auto& s : range_scorers) all.push_back(std::move(s));
    for (auto& s : others_) all.push_back(std::move(s));
    lead_ = std::make_unique<ConjunctionScorer>(std::move(all));
    ranges_.clear();
    others_.clear();
  }
  return true;
}

}  // namespace libsearch::internal
