// Top-k collection: keeps the k best (score desc, doc asc) in a min-heap
// whose root is the current threshold.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "util/doc_set.h"

namespace libsearch::internal {

struct ScoredDoc {
  float score;
  uint32_t doc;
};

// True if a ranks before b: higher score, then lower doc id.
inline bool RanksBefore(const ScoredDoc& a, const ScoredDoc& b) {
  return a.score > b.score || (a.score == b.score && a.doc < b.doc);
}

class TopK {
 public:
  explicit TopK(size_t k) : k_(k) { heap_.reserve(k); }
  // Docs that never enter (a segment's deleted docs); null: none. So every
  // collection path (block-max AND, MaxScore) runs as on an index without
  // them, its threshold that of the live docs. num_excluded() counts the
  // pushes of such docs: where every counted doc is pushed
  // (CollectTopPushesCounted), the count of live matches.
  void set_excluded(const DocBits* excluded) { excluded_ = excluded; }
  void Push(float score, uint32_t doc) {
    if (k_ == 0) return;
    if (excluded_ != nullptr && excluded_->Contains(doc)) {
      ++num_excluded_;
      return;
    }
    const ScoredDoc d{score, doc};
    if (heap_.size() < k_) {
      heap_.push_back(d);
      std::push_heap(heap_.begin(), heap_.end(), RanksBefore);
    } else if (RanksBefore(d, heap_.front())) {
      ReplaceWorst(d);
    }
  }
  uint64_t num_excluded() const { return num_excluded_; }
  bool has_excluded() const { return excluded_ != nullptr; }
  // Whether `doc` is one that never enters (set_excluded).
  bool Excluded(uint32_t doc) const { return excluded_ != nullptr && excluded_->Contains(doc); }
  bool full() const { return k_ > 0 && heap_.size() == k_; }
  // The score a new doc must beat when full(). New docs arrive in increasing
  // doc id order, so a tie with the worst kept doc never enters.
  float min_score() const { return heap_.front().score; }
  size_t k() const { return k_; }

  // Best first. Leaves the collector empty.
  std::vector<ScoredDoc> Take() {
    std::sort(heap_.begin(), heap_.end(), RanksBefore);
    return std::move(heap_);
  }

 private:
  // Puts d in place of the worst kept doc and sifts it down: one pass,
  // where pop_heap + push_heap take two.
  void ReplaceWorst(const ScoredDoc& d) {
    const size_t n = heap_.size();
    size_t i = 0;
    for (;;) {
      size_t c = 2 * i + 1;
      if (c >= n) break;
      // The child that ranks later (worse) must move up.
      if (c + 1 < n && RanksBefore(heap_[c], heap_[c + 1])) ++c;
      if (!RanksBefore(d, heap_[c])) break;
      heap_[i] = heap_[c];
      i = c;
    }
    heap_[i] = d;
  }
  size_t k_;
  const DocBits* excluded_ = nullptr;
  uint64_t num_excluded_ = 0;
  std::vector<ScoredDoc> heap_;  // Heap ordered so front() is the worst kept.
};

}  // namespace libsearch::internal
