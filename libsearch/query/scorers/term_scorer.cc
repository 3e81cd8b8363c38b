#include "query/scorers/term_scorer.h"

#include <cmath>

namespace libsearch::internal {

float TermScorer::MinScore() const {
  const FieldPostingsView& view = field_->postings;
  const uint8_t max_norm = view.bound_cache->MaxNorm(field_->norms, view.num_docs);
  float ni = (*table_)[0];
  for (int c = 1; c <= max_norm; ++c) ni = std::min(ni, (*table_)[c]);
  return Bm25Score(weight_, 1, ni);
}

TermScorer::Mode TermScorer::Check() {
  const FieldPostingsView& view = field_->postings;
  const TermInfo& info = cursor_->term();
  if (!cursor_->has_block_entries()) {
    const uint32_t *docs, *tfs;
    const uint32_t n = cursor_->SingleBlock(&docs, &tfs);
    computed_max_ = 0;
    for (uint32_t i = 0; i < n; ++i) {
      computed_max_ =
          std::max(computed_max_, Bm25Score(weight_, tfs[i], (*table_)[field_->norm(docs[i])]));
    }
    return kComputedExact;
  }
  if (!stored_maxima_ || view.max_score == nullptr || !(idf_ > 0) || !(weight_ > 0) ||
      !std::isfinite(weight_)) {
    return kLoose;
  }
  // The file says which parameters its maxima hold: with those, they are
  // exact by construction (index_test checks every term of a build), and
  // the first use of a term does not decode its whole list to verify it.
  const Bm25Params* built = view.max_score_params;
  FieldBoundCache::State s =
      built != nullptr && built->k1 == params_.k1 && built->b == params_.b
          ? FieldBoundCache::kExact
          : view.bound_cache->Get(view.num_blocks, info.first_block, params_);
  if (s == FieldBoundCache::kUnknown) {
    s = StoredMaximaExact(&view, info, field_->norms, idf_, *table_) ? FieldBoundCache::kExact
                                                                     : FieldBoundCache::kInexact;
    view.bound_cache->Set(view.num_blocks, info.first_block, params_, s);
  }
  if (s != FieldBoundCache::kExact) return kLoose;
  return weight_ == idf_ ? kStoredExact : kStoredScaled;
}

// For one doc, with q = fl(1 + fl(tf * normInverse)) (the same for any
// weight) and u = 2^-24: Score(w) = fl(w - fl(w / q)) lies within
// w (1 - 1/q)(1 +- u) +- (w / q) u (1 + u). With S >= Score(idf) that gives
// Score(w) <= (w / idf) S (1 + u) / (1 - u) + 2 w u (1 + u)^2 / (1 - u),
// about (w / idf) S (1 + 2u) + 2 w u. The margins below are 1e-6 > 16u,
// computed in double (error ~1e-16), then rounded up to float.
float TermScorer::ScaleStored(float stored) const {
  const double w = weight_;
  const double b = w / static_cast<double>(idf_) * stored * (1 + 1e-6) + w * 1e-6;
  float f = static_cast<float>(b);
  if (static_cast<double>(f) < b) f = std::nextafter(f, INFINITY);
  return f;
}

}  // namespace libsearch::internal
