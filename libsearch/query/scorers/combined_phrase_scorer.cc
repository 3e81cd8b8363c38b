#include "query/scorers/combined_phrase_scorer.h"

#include <algorithm>

namespace libsearch::internal {

CombinedPhraseScorer::CombinedPhraseScorer(
    std::vector<Part> parts, float weight,
    std::unique_ptr<CombinedTermScorer::CombinedLength> length)
    : parts_(std::move(parts)), length_(std::move(length)), weight_(weight) {
  for (const Part& p : parts_) doc_ = std::min(doc_, p.phrase->doc());
}

uint32_t CombinedPhraseScorer::Next() {
  if (doc_ == kNoMoreDocs) return doc_;
  const uint32_t at = doc_;
  doc_ = kNoMoreDocs;
  for (Part& p : parts_) {
    uint32_t d = p.phrase->doc();
    if (d == at) d = p.phrase->Next();
    doc_ = std::min(doc_, d);
  }
  return doc_;
}

uint32_t CombinedPhraseScorer::Advance(uint32_t target) {
  doc_ = kNoMoreDocs;
  for (Part& p : parts_) {
    uint32_t d = p.phrase->doc();
    if (d < target) d = p.phrase->Advance(target);
    doc_ = std::min(doc_, d);
  }
  return doc_;
}

// The float steps of CombinedTermScorer::Score, with phrase frequencies.
float CombinedPhraseScorer::Score() {
  float sum = 0;
  for (const Part& p : parts_) {
    if (p.phrase->doc() != doc_) continue;
    const float freq = static_cast<float>(p.phrase->freq());
    sum += length_ != nullptr ? p.boost * freq : p.boost * (freq * (*p.table)[p.field->norm(doc_)]);
  }
  if (length_ != nullptr) {
    sum *= length_->table[CombinedTermScorer::LengthCode(*length_, doc_)];
  }
  return Saturate(sum);
}

uint64_t CombinedPhraseScorer::cost() const {
  uint64_t c = 0;
  for (const Part& p : parts_) c += p.phrase->cost();
  return c;
}

uint32_t CombinedPhraseScorer::ShallowAdvance(uint32_t target) {
  uint32_t up_to = kNoMoreDocs;
  for (Part& p : parts_) {
    if (p.phrase->doc() != kNoMoreDocs) up_to = std::min(up_to, p.phrase->ShallowAdvance(target));
  }
  return up_to;
}

// Each live field's (largest freq, smallest norm) from its terms' blocks,
// in Score()'s float steps: every share is at most its bound, so the sum
// is too. The summed length of a combined length has no cheap bound here;
// phrases are rare enough in product queries to go unpruned then.
float CombinedPhraseScorer::GetMaxScore(uint32_t up_to) {
  if (length_ != nullptr) return weight_;
  float x = 0;
  bool any = false;
  for (Part& p : parts_) {
    if (p.phrase->doc() == kNoMoreDocs) continue;
    uint32_t tf;
    uint8_t norm;
    if (!p.phrase->BlockBound(up_to, &tf, &norm)) continue;
    if (tf == UINT32_MAX) return weight_;
    x += p.boost * (static_cast<float>(tf) * (*p.table)[norm]);
    any = true;
  }
  return any ? Saturate(x) : 0;
}

}  // namespace libsearch::internal
