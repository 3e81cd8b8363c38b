// BM25F for a phrase over several text fields.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "index/bm25.h"
#include "index/index_reader.h"
#include "query/scorer.h"
#include "query/scorers/combined_term_scorer.h"
#include "query/scorers/phrase_scorer.h"

namespace libsearch::internal {

// A phrase matched in each field on its own, its per-field phrase
// frequencies combined as CombinedTermScorer combines a word's term
// frequencies:
//   x = sum_f boost_f * freq_f * normInverse_f[norm_f]
//   score = w - w / (1 + x)       (w = the sum of the words' idfs)
// or, with a CombinedLength, x = (sum_f boost_f * freq_f) * normInverse[code(L)].
// Hyphenated and code words ("TNF-alpha", "IL-10") are phrases: scored per
// field, they would saturate twice where the same words as plain terms
// saturate once, so a split title/body schema would rank them unlike one
// field holding both.
class CombinedPhraseScorer final : public Scorer {
 public:
  struct Part {
    std::unique_ptr<PhraseScorer> phrase;  // The phrase in one field.
    const FieldReader* field;
    const NormInverseTable* table;
    float boost;
  };
  // REQUIRES: parts non-empty.
  CombinedPhraseScorer(std::vector<Part> parts, float weight,
                       std::unique_ptr<CombinedTermScorer::CombinedLength> length);

  ScorerFamily family() const override { return ScorerFamily::kCombinedPhrase; }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override;
  uint32_t Advance(uint32_t target) override;
  float Score() override;
  uint64_t cost() const override;
  // The saturation's limit.
  float MaxScore() override { return weight_; }
  uint32_t ShallowAdvance(uint32_t target) override;
  float GetMaxScore(uint32_t up_to) override;

 private:
  float Saturate(float x) const { return weight_ - weight_ / (1.0f + x); }

  std::vector<Part> parts_;
  std::unique_ptr<CombinedTermScorer::CombinedLength> length_;  // Null: per-field lengths.
  float weight_;
  uint32_t doc_ = kNoMoreDocs;
};

}  // namespace libsearch::internal
