#include "query/scorers/combined_term_scorer.h"

#include <algorithm>
#include <cmath>

namespace libsearch::internal {

CombinedTermScorer::CombinedTermScorer(std::vector<Part> parts, float weight)
    : parts_(std::move(parts)), single_max_(parts_.size(), -1.0f), weight_(weight) {
  for (const Part& p : parts_) doc_ = std::min(doc_, p.cursor->doc());
}

uint32_t CombinedTermScorer::Next() {
  if (doc_ == kNoMoreDocs) return doc_;
  const uint32_t at = doc_;
  doc_ = kNoMoreDocs;
  for (Part& p : parts_) {
    uint32_t d = p.cursor->doc();
    if (d == at) d = p.cursor->Next();
    doc_ = std::min(doc_, d);
  }
  return doc_;
}

uint32_t CombinedTermScorer::Advance(uint32_t target) {
  doc_ = kNoMoreDocs;
  for (Part& p : parts_) {
    uint32_t d = p.cursor->doc();
    if (d < target) d = p.cursor->Advance(target);
    doc_ = std::min(doc_, d);
  }
  return doc_;
}

float CombinedTermScorer::Score() {
  float x = 0;
  for (Part& p : parts_) {
    if (p.cursor->doc() == doc_) {
      x += Share(p.boost, p.cursor->freq(), (*p.table)[p.field->norm(doc_)]);
    }
  }
  return Saturate(x);
}

void CombinedTermScorer::Sync() {
  doc_ = kNoMoreDocs;
  for (const Part& p : parts_) doc_ = std::min(doc_, p.cursor->doc());
}

uint32_t CombinedTermScorer::ShallowLastDoc(uint64_t ahead) const {
  uint32_t last = kNoMoreDocs;
  for (const Part& p : parts_) last = std::min(last, p.cursor->ShallowLastDoc(ahead));
  return last;
}

float CombinedTermScorer::MinScore() const {
  float x = INFINITY;
  for (const Part& p : parts_) {
    const FieldPostingsView& view = p.field->postings;
    const uint8_t max_norm = view.bound_cache->MaxNorm(p.field->norms, view.num_docs);
    float ni = (*p.table)[0];
    for (int c = 1; c <= max_norm; ++c) ni = std::min(ni, (*p.table)[c]);
    x = std::min(x, Share(p.boost, 1, ni));
  }
  return Saturate(x);
}

uint64_t CombinedTermScorer::cost() const {
  uint64_t c = 0;
  for (const Part& p : parts_) c += p.cursor->doc_freq();
  return c;
}

float CombinedTermScorer::SingleBlockMax(size_t i) {
  if (single_max_[i] >= 0) return single_max_[i];
  const Part& p = parts_[i];
  float m = 0;
  const uint32_t *docs, *tfs;
  const uint32_t n = p.cursor->SingleBlock(&docs, &tfs);
  for (uint32_t j = 0; j < n; ++j) {
    m = std::max(m, static_cast<float>(tfs[j]) * (*p.table)[p.field->norm(docs[j])]);
  }
  return single_max_[i] = m;
}

float CombinedTermScorer::MaxScore() {
  if (max_score_ >= 0) return max_score_;
  float x = 0;
  for (size_t i = 0; i < parts_.size(); ++i) {
    const Part& p = parts_[i];
    float m = SingleBlockMax(i);
    p.cursor->ForEachBlock([&](uint32_t tf, uint8_t norm) {
      m = std::max(m, static_cast<float>(tf) * (*p.table)[norm]);
    });
    x += p.boost * m;
  }
  return max_score_ = Saturate(x);
}

uint32_t CombinedTermScorer::ShallowAdvance(uint32_t target) {
  uint32_t up_to = kNoMoreDocs;
  for (Part& p : parts_) up_to = std::min(up_to, p.cursor->ShallowAdvance(target));
  return up_to;
}

float CombinedTermScorer::GetMaxScore(uint32_t up_to) {
  float x = 0;
  for (size_t i = 0; i < parts_.size(); ++i) {
    const Part& p = parts_[i];
    if (p.cursor->doc() == kNoMoreDocs) continue;
    float m = p.cursor->has_block_entries() ? 0.0f : SingleBlockMax(i);
    p.cursor->ForEachBlockBound(up_to, [&](uint32_t tf, uint8_t norm) {
      m = std::max(m, static_cast<float>(tf) * (*p.table)[norm]);
    });
    x += p.boost * m;
  }
  return Saturate(x);
}

}  // namespace libsearch::internal
