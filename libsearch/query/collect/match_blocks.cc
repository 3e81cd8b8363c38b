#include "query/collect/match_blocks.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "query/collect/count.h"
#include "query/scorer_builder.h"
#include "query/scorers/conjunction_scorer.h"
#include "query/scorers/constant_score.h"
#include "query/scorers/disjunction_scorer.h"

namespace libsearch::internal {
namespace {
std::atomic<bool> check_bounds{false};
std::atomic<uint64_t> bound_violations{0};
}  // namespace

void SetCheckScoreBounds(bool on) {
  check_bounds.store(on);
  if (on) bound_violations.store(0);
}
uint64_t ScoreBoundViolations() { return bound_violations.load(); }

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

void MatchBlocks::MakeScorer() {
  // The same scorer as the lead's, its terms already noted by the lead.
  const bool collect = ctx_->collect_terms();
  ctx_->set_collect_terms(false);
  scorer_ = CreateScorer(*words_, ctx_);
  ctx_->set_collect_terms(collect);
  if (scorer_->family() != ScorerFamily::kDisjunction) return;
  clauses_ = static_cast<DisjunctionScorer*>(scorer_.get())->TakeClauses();
  by_max_.resize(clauses_.size());
  std::vector<float> max(clauses_.size());
  for (uint32_t i = 0; i < clauses_.size(); ++i) {
    by_max_[i] = i;
    max[i] = clauses_[i]->MaxScore();
  }
  std::stable_sort(by_max_.begin(), by_max_.end(),
                   [&](uint32_t a, uint32_t b) { return max[a] < max[b]; });
  below_.assign(1, 0.0);
  for (uint32_t i : by_max_) below_.push_back(below_.back() + max[i]);
  // The partition needs scores >= 0 (BM25's are): else every clause counts.
  if (!by_max_.empty() && max[by_max_[0]] < 0) below_.assign(1, 0.0);
  clause_docs_.resize(clauses_.size());
  for (size_t i = 0; i < clauses_.size(); ++i) clause_docs_[i] = clauses_[i]->doc();
}

float MatchBlocks::ScoreFromBits() {
  if (scorer_ == nullptr) MakeScorer();
  if (clauses_.empty()) {
    if (scorer_->doc() < current_) scorer_->Advance(current_);
    return scorer_->Score();
  }
  // As DisjunctionScorer: each clause moved to the doc, the matching ones'
  // scores summed in double in clause order.
  double sum = 0;
  for (size_t i = 0; i < clauses_.size(); ++i) {
    if (clause_docs_[i] < current_) clause_docs_[i] = clauses_[i]->Advance(current_);
    if (clause_docs_[i] == current_) sum += clauses_[i]->Score();
  }
  return static_cast<float>(sum);
}

void MatchBlocks::Partition(float threshold) {
  partition_threshold_ = threshold;
  // A match of only by_max_[0, j) scores at most below_[j] (bounds hold for
  // the float scores, and a float sum of fewer non-negative terms is no
  // larger); the margin covers the double sums' order.
  essential_ = 0;
  while (essential_ + 1 < below_.size() &&
         below_[essential_ + 1] * (1 + 1e-6) < static_cast<double>(threshold)) {
    ++essential_;
  }
}

bool MatchBlocks::ScoreAbove(float threshold, float* score) {
  if (bits_ == nullptr) {
    *score = lead_->Score();
    return true;
  }
  if (scorer_ == nullptr) MakeScorer();
  if (!clauses_.empty() && threshold != partition_threshold_) Partition(threshold);
  // With every clause essential the match has one: nothing to check.
  if (essential_ > 0) {
    bool any = false;
    for (size_t j = essential_; j < by_max_.size() && !any; ++j) {
      const uint32_t i = by_max_[j];
      if (clause_docs_[i] < current_) clause_docs_[i] = clauses_[i]->Advance(current_);
      any = clause_docs_[i] == current_;
    }
    if (!any) {
      if (check_bounds.load(std::memory_order_relaxed) && ScoreFromBits() > threshold) {
        bound_violations.fetch_add(1);
      }
      return false;
    }
  }
  *score = ScoreFromBits();
  return true;
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
