// The best `keep` matches under a HitOrder, with typo tiers and a
// search_after cursor: what a sorted search or a cursor page collects while
// visiting every match.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "search/hit_order.h"

namespace libsearch::internal {

// Thread-safety: one collector per search.
class SortCollector {
 public:
  struct Entry {
    float score;
    uint32_t doc;
    // Typo tier: 0 matches without typos; lower tiers rank first. Always 0
    // under sort fields (tiers apply to relevance order), which MayKeep's
    // judgement on sort values alone relies on.
    uint32_t tier;
  };

  // REQUIRES: `order` outlives the collector.
  SortCollector(const HitOrder* order, size_t keep) : order_(order), keep_(keep) {}

  // Keeps only entries that rank strictly after `after` (search_after).
  void SetCursor(HitOrder::Position after) { cursor_ = std::move(after); }

  // False if `doc` cannot be kept, judged on sort values alone (the doc
  // need not be scored): it ranks before the cursor, or after the worst
  // kept entry of a full collector. Docs come in increasing order.
  bool MayKeep(uint32_t doc) const {
    if (keep_ == 0) return false;
    if (cursor_ && order_->CompareUnscored(doc, *cursor_) < 0) return false;
    return heap_.size() < keep_ || order_->CompareUnscored(heap_.front().doc, doc) >= 0;
  }
  // Whether `keep` entries are kept, and the worst of them (REQUIRES: full()):
  // what MayKeep compares with.
  size_t keep() const { return keep_; }
  bool full() const { return keep_ > 0 && heap_.size() >= keep_; }
  uint32_t worst_doc() const { return heap_.front().doc; }
  float worst_score() const { return heap_.front().score; }
  // Keeps `e` if it is among the best `keep` after the cursor so far.
  void Offer(const Entry& e);

  // True iff a ranks strictly before b: tier, then the HitOrder.
  bool Before(const Entry& a, const Entry& b) const {
    if (a.tier != b.tier) return a.tier < b.tier;
    return order_->Before(a.doc, a.score, b.doc, b.score);
  }

  // The kept entries, best first; leaves the collector empty.
  std::vector<Entry> Take();

 private:
  const HitOrder* order_;
  size_t keep_;
  // True iff the cursor ranks strictly before e: tier, then the HitOrder.
  bool AfterCursor(const Entry& e) const {
    if (cursor_->tier != e.tier) return cursor_->tier < e.tier;
    return order_->CursorBefore(*cursor_, e.doc, e.score);
  }
  std::optional<HitOrder::Position> cursor_;
  std::vector<Entry> heap_;  // Front: the worst kept entry.
};

}  // namespace libsearch::internal
