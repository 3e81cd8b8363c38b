#include "query/scorers/windowed_union_scorer.h"

#include <algorithm>
#include <iterator>

namespace libsearch::internal {

uint32_t WindowedUnionScorer::Seek(uint32_t t) {
  if (t < base_ + kWindow) {
    for (uint32_t w = (t - base_) >> 6; w < kWindow / 64; ++w) {
      uint64_t bits = bits_[w];
      if (w == (t - base_) >> 6) bits &= ~uint64_t{0} << ((t - base_) & 63);
      if (bits != 0) return base_ + w * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
    }
    t = base_ + kWindow;
  }
  return Fill(t);
}

uint32_t WindowedUnionScorer::Fill(uint32_t t) {
  uint32_t first = kNoMoreDocs;
  for (auto& c : children_) {
    uint32_t d = c->doc();
    if (d < t) d = c->Advance(t);
    first = std::min(first, d);
  }
  if (first == kNoMoreDocs) return kNoMoreDocs;
  base_ = first;
  const uint64_t end = uint64_t{first} + kWindow;
  std::fill(std::begin(bits_), std::end(bits_), 0);
  for (auto& c : children_) {
    for (uint32_t d = c->doc(); d < end; d = c->Next()) {
      const uint32_t i = d - first;
      const uint64_t bit = uint64_t{1} << (i & 63);
      const double s = c->Score();
      acc_[i] = (bits_[i >> 6] & bit) ? acc_[i] + s : 0.0 + s;
      bits_[i >> 6] |= bit;
    }
  }
  return first;
}

}  // namespace libsearch::internal
