#include "query/scorers/constant_score.h"

#include <algorithm>

namespace libsearch::internal {

uint32_t RangeScorer::Scan(uint32_t d) {
  if (column_->block_min_max == nullptr) {
    for (; d < num_docs_; ++d) {
      if (Matches(d)) return d;
    }
    return kNoMoreDocs;
  }
  while (d < num_docs_) {
    const uint32_t block = d / kNumericBlockDocs;
    const uint32_t end = std::min(num_docs_, (block + 1) * kNumericBlockDocs);
    if (block != block_) {  // Classify the block once.
      block_ = block;
      const double min = column_->block_min_max[2 * block];
      const double max = column_->block_min_max[2 * block + 1];
      covered_ = min <= max && InRange(min) && InRange(max);
      disjoint_ = !(min <= max) || (lo_inclusive_ ? max < lo_ : max <= lo_) ||
                  (hi_inclusive_ ? min > hi_ : min >= hi_);
    }
    if (disjoint_) {
      d = end;
      continue;
    }
    for (; d < end; ++d) {
      if (covered_ ? column_->Has(d) : Matches(d)) return d;
    }
  }
  return kNoMoreDocs;
}

uint32_t DocSetScorer::Next() {
  if (doc_ == kNoMoreDocs) return doc_;
  if (stale_) {
    it_.Advance(doc_ + 1);
    stale_ = false;
  } else {
    it_.Next();
  }
  return doc_ = it_.doc(kNoMoreDocs);
}

uint32_t DocSetScorer::Advance(uint32_t t) {
  if (set_->Contains(t)) {
    stale_ = true;
    return doc_ = t;
  }
  it_.Advance(t);
  stale_ = false;
  return doc_ = it_.doc(kNoMoreDocs);
}

}  // namespace libsearch::internal
