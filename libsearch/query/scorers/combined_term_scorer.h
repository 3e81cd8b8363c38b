// BM25F: one word over several text fields scored as a single field
// (Robertson & Zaragoza's simple BM25F; Lucene's CombinedFieldQuery).
#pragma once

#include <cstdint>
#include <vector>

#include "index/bm25.h"
#include "index/index_reader.h"
#include "index/postings_cursor.h"
#include "query/scorer.h"

namespace libsearch::internal {

// Per-field term frequencies are length-normalised in their own field,
// weighted by the field's boost and summed before saturation:
//   x = sum_f boost_f * tf_f * normInverse_f[norm_f]
//     = sum_f boost_f * tf_f / (k1 * ((1 - b) + b * len_f / avgdl_f))
//   score = w - w / (1 + x)        (w = idf, BM25's (k1 + 1)-free form)
// With one field and boost 1 this is exactly TermScorer's BM25. A word
// repeated across fields thus saturates once, where summing per-field BM25
// rewards a word for appearing in many fields more than for appearing often.
//
// Bounds: tf * normInverse is largest at a block's (max_tf, min_norm); the
// same float operations in the same order keep every bound >= Score().
class CombinedTermScorer final : public Scorer {
 public:
  // One field's postings of the word (the field's own term: fields may
  // analyse it differently).
  struct Part {
    PostingsCursor* cursor;
    const FieldReader* field;
    const NormInverseTable* table;
    float boost;  // The field's boost, applied to its term frequency.
  };
  // REQUIRES: parts non-empty.
  CombinedTermScorer(std::vector<Part> parts, float weight);

  ScorerFamily family() const override { return ScorerFamily::kCombined; }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override;
  uint32_t Advance(uint32_t target) override;
  float Score() override;
  uint64_t cost() const override;
  float MaxScore() override;
  uint32_t ShallowAdvance(uint32_t target) override;
  float GetMaxScore(uint32_t up_to) override;

  const std::vector<Part>& parts() const { return parts_; }
  // Marks the scorer exhausted, after a strategy consumed its cursors.
  void Exhaust() { doc_ = kNoMoreDocs; }

  // --- For bulk collection (max_score_union.cc), which sums a doc's shares
  // part by part in parts() order into a float starting at 0, then
  // saturates: the same float operations as Score().
  // One part's share of x for a doc with term frequency tf and the part's
  // normInverse.
  static float Share(float boost, uint32_t tf, float norm_inverse) {
    return boost * (static_cast<float>(tf) * norm_inverse);
  }
  // The score of a doc whose shares sum to x.
  float Saturate(float x) const { return weight_ - weight_ / (1.0f + x); }
  // Re-reads doc() from the parts' cursors after a strategy moved them.
  void Sync();
  // The earliest of the parts' ShallowLastDoc(ahead).
  uint32_t ShallowLastDoc(uint64_t ahead) const;
  // A lower bound on the score of any doc it matches: tf 1 in the part
  // whose share of it is least, at that field's longest doc.
  float MinScore() const;

 private:
  // The largest tf * normInverse of a one-block term (no block entries),
  // computed once per part; 0 for parts with block entries.
  float SingleBlockMax(size_t i);

  std::vector<Part> parts_;
  std::vector<float> single_max_;  // Per part; < 0 until computed.
  float weight_;
  uint32_t doc_ = kNoMoreDocs;
  float max_score_ = -1;
};

}  // namespace libsearch::internal
