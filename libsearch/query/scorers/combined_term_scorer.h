// BM25F: one word over several text fields scored as a single field
// (Robertson & Zaragoza's simple BM25F; Lucene's CombinedFieldQuery).
#pragma once

#include <cstdint>
#include <memory>
#include <utility>
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
//
// With a CombinedLength (Lucene's CombinedFieldQuery) the document has one
// length instead: L = sum_f boost_f * len_f over all the word's fields,
// rounded and coded as a field norm is, and
//   x = (sum_f boost_f * tf_f) * normInverse[code(L)]
// with normInverse over the average of L. A doc matching part p has
// L >= boost_p * len_p, so a block's bound takes the smallest such product
// over the parts' (min_norm)s with the sum of their (max_tf)s.
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
  // One length per document (FieldScoring::kBm25fCombinedLength).
  struct CombinedLength {
    struct Field {
      const FieldReader* field;  // Null: the field has no docs in this file.
      float boost;
    };
    std::vector<Field> fields;  // Every field of the word, once.
    NormInverseTable table;     // Over the average summed length.
  };
  // REQUIRES: parts non-empty.
  CombinedTermScorer(std::vector<Part> parts, float weight,
                     std::unique_ptr<CombinedLength> length = nullptr);

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
  // The norm code of doc's summed boosted length.
  static uint8_t LengthCode(const CombinedLength& length, uint32_t doc);
  // Marks the scorer exhausted, after a strategy consumed its cursors.
  void Exhaust() { doc_ = kNoMoreDocs; }

  // --- For bulk collection (max_score_union.cc), which sums a doc's shares
  // part by part in parts() order into a float starting at 0, then calls
  // ScoreOfSum: the same float operations as Score().
  // Part p's share for `doc`, where p has term frequency tf.
  float PartShare(const Part& p, uint32_t tf, uint32_t doc) const {
    if (length_ != nullptr) return p.boost * static_cast<float>(tf);
    return Share(p.boost, tf, (*p.table)[p.field->norm(doc)]);
  }
  // The score of `doc` whose parts' shares sum to `sum`.
  float ScoreOfSum(float sum, uint32_t doc) const {
    if (length_ == nullptr) return Saturate(sum);
    return Saturate(sum * length_->table[LengthCode(doc)]);
  }
  // Re-reads doc() from the parts' cursors after a strategy moved them.
  void Sync();
  // The earliest of the parts' ShallowLastDoc(ahead).
  uint32_t ShallowLastDoc(uint64_t ahead) const;
  // A lower bound on the score of any doc it matches: tf 1 in the part
  // whose share of it is least, at that field's longest doc.
  float MinScore() const;

 private:
  static float Share(float boost, uint32_t tf, float norm_inverse) {
    return boost * (static_cast<float>(tf) * norm_inverse);
  }
  float Saturate(float x) const { return weight_ - weight_ / (1.0f + x); }
  uint8_t LengthCode(uint32_t doc) const { return LengthCode(*length_, doc); }
  // The largest tf * normInverse of a one-block term (no block entries),
  // computed once per part; 0 for parts with block entries.
  float SingleBlockMax(size_t i);
  // Combined length: a bound from each live part's (largest tf, smallest
  // norm) over the blocks `for_each(part, f)` visits.
  template <typename ForEach>
  float LengthBound(ForEach&& for_each);

  std::vector<Part> parts_;
  std::unique_ptr<CombinedLength> length_;  // Null: per-field lengths.
  std::vector<float> length_boost_;         // With length_: per part, its field's boost there.
  std::vector<float> single_max_;           // Per part; < 0 until computed.
  // Combined length, per part without block entries: its (largest tf,
  // smallest norm); tf 0 until computed. Empty until first needed.
  std::vector<std::pair<uint32_t, uint8_t>> single_tf_norm_;
  float weight_;
  uint32_t doc_ = kNoMoreDocs;
  float max_score_ = -1;
};

}  // namespace libsearch::internal
