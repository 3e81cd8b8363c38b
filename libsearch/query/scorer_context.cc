#include "query/scorer_context.h"

namespace libsearch::internal {

float ScorerContext::Idf(const FieldReader& field, bool prefix_index, const TermInfo& info,
                         std::string_view term) const {
  if (stats_ == nullptr) return Bm25Idf(info.doc_freq, field.stats.doc_count);
  return Bm25Idf(stats_->DocFreq(field.id, prefix_index, term), stats_->FieldDocCount(field.id));
}

const NormInverseTable* ScorerContext::NormTable(const FieldReader& field) {
  const float avgdl =
      stats_ == nullptr
          ? Bm25AvgFieldLength(field.stats.sum_total_tf, field.stats.doc_count)
          : Bm25AvgFieldLength(stats_->FieldSumTotalTf(field.id), stats_->FieldDocCount(field.id));
  // The field's shared table is found without a per-query list.
  if (const NormInverseTable* shared = field.postings.bound_cache->NormTable(params_, avgdl)) {
    return shared;
  }
  for (auto& [id, table] : tables_) {
    if (id == field.id) return table;
  }
  owned_tables_.push_back(std::make_unique<NormInverseTable>(MakeNormInverseTable(params_, avgdl)));
  tables_.emplace_back(field.id, owned_tables_.back().get());
  return owned_tables_.back().get();
}

PostingsCursor* ScorerContext::NewCursor(const FieldReader& field, const TermInfo& info) {
  if (num_inline_ < kInlineCursors) {
    return &inline_cursors_[num_inline_++].emplace(&field.postings, info);
  }
  cursors_.push_back(std::make_unique<PostingsCursor>(&field.postings, info));
  return cursors_.back().get();
}

bool ScorerContext::corrupt() const {
  for (size_t i = 0; i < num_inline_; ++i) {
    if (inline_cursors_[i]->corrupt()) return true;
  }
  for (const auto& c : cursors_) {
    if (c->corrupt()) return true;
  }
  return false;
}

}  // namespace libsearch::internal
