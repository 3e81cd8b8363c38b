#include "query/collect/match_blocks.h"

#include <utility>

#include "query/collect/count.h"
#include "query/scorer_builder.h"
#include "query/scorers/conjunction_scorer.h"
#include "query/scorers/constant_score.h"

namespace libsearch::internal {

MatchBlocks::MatchBlocks(const Query& query, const DocSet* deleted, const DocBits* deleted_bits,
                         ScorerContext* ctx, bool few_scored) {
  split_ = Split(query, deleted, deleted_bits, ctx);
  if (!split_) {
    lead_ = CreateScorer(query, ctx);
    words_ = &query;
  }
  // A union of terms broad enough that merging its lists costs more than
  // OR-ing them and reading the bitset's words (as COUNT: see
  // docs/design-notes.md, "Visit all by blocks").
  const uint32_t num_docs = ctx->reader()->num_docs();
  if (few_scored && words_ != nullptr && lead_->family() == ScorerFamily::kDisjunction &&
      CanCountInto(lead_.get()) && lead_->cost() >= num_docs / 128) {
    // One per thread, reused: allocating and zeroing a bitset of the whole
    // index per query would cost more than the walk.
    thread_local CountBitset bits;
    thread_local bool in_use = false;
    if (!in_use) {
      in_use = true;
      bits_ = &bits;
      in_use_ = &in_use;
      bits.Reserve(num_docs);
      CountInto(lead_.get(), &bits);
      num_words_ = (size_t{num_docs} + 63) / 64;
      ctx_ = ctx;
    }
  }
}

MatchBlocks::~MatchBlocks() {
  if (bits_ != nullptr) Release();
}

void MatchBlocks::Release() {
  uint64_t* words = bits_->words();
  for (; next_word_ < num_words_; ++next_word_) words[next_word_] = 0;
  pending_ = 0;
  bits_->CountAndClear();  // Only resets the line flags now.
  *in_use_ = false;
  bits_ = nullptr;
}

float MatchBlocks::ScoreFromBits() {
  if (scorer_ == nullptr) {
    // The same scorer as the lead's, its terms already noted by the lead.
    const bool collect = ctx_->collect_terms();
    ctx_->set_collect_terms(false);
    scorer_ = CreateScorer(*words_, ctx_);
    ctx_->set_collect_terms(collect);
  }
  if (scorer_->doc() < current_) scorer_->Advance(current_);
  return scorer_->Score();
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
  words_ = words;
  bool led_by_words = true;
  std::vector<std::unique_ptr<Scorer>> range_scorers;
  for (const Query* f : filters) {
    const NumericColumn* column =
        f->kind == Query::Kind::kRange ? ctx->reader()->numeric(f->field) : nullptr;
    if (column != nullptr) {
      const bool plain_float =
          column->overlay_docs == nullptr && column->spec->type == FieldType::kFloat;
      ranges_.push_back({column, f->lo, f->hi, f->lo_inclusive, f->hi_inclusive, plain_float});
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
    words_ = nullptr;
    ranges_.clear();
    others_.clear();
  }
  return true;
}

}  // namespace libsearch::internal
