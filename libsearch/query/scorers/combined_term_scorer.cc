#include "query/scorers/combined_term_scorer.h"

#include <algorithm>
#include <cmath>

namespace libsearch::internal {

CombinedTermScorer::CombinedTermScorer(std::vector<Part> parts, float weight,
                                       std::unique_ptr<CombinedLength> length)
    : parts_(std::move(parts)),
      length_(std::move(length)),
      single_max_(parts_.size(), -1.0f),
      weight_(weight) {
  for (const Part& p : parts_) doc_ = std::min(doc_, p.cursor->doc());
  if (length_ != nullptr) {
    // Each part's field's boost in the summed length (0, the safe bound, if
    // its field were missing from the list).
    for (const Part& p : parts_) {
      float boost = 0;
      for (const CombinedLength::Field& f : length_->fields) {
        if (f.field == p.field) boost = f.boost;
      }
      length_boost_.push_back(boost);
    }
  }
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
  float sum = 0;
  for (const Part& p : parts_) {
    if (p.cursor->doc() == doc_) sum += PartShare(p, p.cursor->freq(), doc_);
  }
  return ScoreOfSum(sum, doc_);
}

uint8_t CombinedTermScorer::LengthCode(const CombinedLength& length, uint32_t doc) {
  float len = 0;
  for (const CombinedLength::Field& f : length.fields) {
    if (f.field != nullptr) len += f.boost * static_cast<float>(NormToLength(f.field->norm(doc)));
  }
  return LengthToNorm(static_cast<uint32_t>(std::lround(len)));
}

template <typename ForEach>
float CombinedTermScorer::LengthBound(ForEach&& for_each) {
  float tf_sum = 0;
  float min_len = INFINITY;
  for (size_t i = 0; i < parts_.size(); ++i) {
    const Part& p = parts_[i];
    uint32_t max_tf = 0;
    uint8_t min_norm = 255;
    bool seen = false;
    auto take = [&](uint32_t tf, uint8_t norm) {
      max_tf = std::max(max_tf, tf);
      min_norm = std::min(min_norm, norm);
      seen = true;
    };
    if (!for_each(p, take)) continue;  // An exhausted part.
    if (!p.cursor->has_block_entries()) {
      if (single_tf_norm_.empty()) single_tf_norm_.assign(parts_.size(), {0, 0});
      auto& [tf, norm] = single_tf_norm_[i];
      if (tf == 0) {  // Once per part: its one block's largest tf and smallest norm.
        const uint32_t *docs, *tfs;
        const uint32_t n = p.cursor->SingleBlock(&docs, &tfs);
        norm = 255;
        for (uint32_t j = 0; j < n; ++j) {
          tf = std::max(tf, tfs[j]);
          norm = std::min(norm, p.field->norm(docs[j]));
        }
      }
      if (tf > 0) take(tf, norm);
    }
    if (!seen) continue;
    tf_sum += p.boost * static_cast<float>(max_tf);
    // The doc's summed length includes this product (the same float one).
    min_len = std::min(min_len, length_boost_[i] * static_cast<float>(NormToLength(min_norm)));
  }
  if (!(min_len < INFINITY)) return 0;
  return Saturate(tf_sum *
                  length_->table[LengthToNorm(static_cast<uint32_t>(std::lround(min_len)))]);
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
  if (length_ != nullptr) {
    float boost = INFINITY;
    for (const Part& p : parts_) boost = std::min(boost, p.boost);
    const float ni = *std::min_element(length_->table.begin(), length_->table.end());
    return Saturate(boost * ni);
  }
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
  if (length_ != nullptr) {
    return max_score_ = LengthBound([](const Part& p, auto& take) {
             p.cursor->ForEachBlock(take);
             return true;
           });
  }
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
  if (length_ != nullptr) {
    return LengthBound([up_to](const Part& p, auto& take) {
      if (p.cursor->doc() == kNoMoreDocs) return false;
      p.cursor->ForEachBlockBound(up_to, take);
      return true;
    });
  }
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
