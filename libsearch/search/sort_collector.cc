#include "search/sort_collector.h"

#include <algorithm>

namespace libsearch::internal {

void SortCollector::Offer(const Entry& e) {
  if (keep_ == 0) return;
  if (cursor_ && !AfterCursor(e)) return;
  const auto worse = [this](const Entry& a, const Entry& b) { return Before(a, b); };
  if (heap_.size() < keep_) {
    heap_.push_back(e);
    std::push_heap(heap_.begin(), heap_.end(), worse);
  } else if (Before(e, heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), worse);
    heap_.back() = e;
    std::push_heap(heap_.begin(), heap_.end(), worse);
  }
}

std::vector<SortCollector::Entry> SortCollector::Take() {
  std::vector<Entry> out = std::move(heap_);
  heap_.clear();
  std::sort(out.begin(), out.end(),
            [this](const Entry& a, const Entry& b) { return Before(a, b); });
  return out;
}

}  // namespace libsearch::internal
