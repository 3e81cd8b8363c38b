// Filters that requests repeat (a category, a price band, "in stock") are
// evaluated once into a Roaring bitmap and reused, as Lucene's query cache
// does: the file is immutable, so a cached set never goes stale.
#pragma once

#include <cstddef>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "util/doc_set.h"

namespace libsearch::internal {

// An LRU map from a filter's canonical text to its doc set, bounded in
// bytes. A filter is cached on its second use (Lucene caches only filters
// seen again too): a one-off filter never pays for building the set.
//
// Thread-safety: every method may be called from any thread.
class FilterCache {
 public:
  // capacity_bytes == 0 disables the cache.
  explicit FilterCache(size_t capacity_bytes) : capacity_(capacity_bytes) {}

  // The cached set for `key`, or null. Counts a use of `key`; *build is set
  // when the caller should build the set and Insert() it.
  std::shared_ptr<const DocSet> Find(const std::string& key, bool* build);
  // Keeps `set` unless it alone exceeds the capacity; evicts the least
  // recently used sets beyond it.
  void Insert(const std::string& key, std::shared_ptr<const DocSet> set);

  size_t bytes() const;
  size_t size() const;

 private:
  using Entry = std::pair<std::string, std::shared_ptr<const DocSet>>;
  const size_t capacity_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // Most recent first.
  std::unordered_map<std::string, std::list<Entry>::iterator> by_key_;
  std::unordered_map<std::string, uint32_t> uses_;  // Uncached keys seen, bounded.
  size_t bytes_ = 0;
};

}  // namespace libsearch::internal
