#include "search/filter_cache.h"

namespace libsearch::internal {
namespace {
// Keys seen once are remembered up to this many; then the count restarts
// (a few extra misses, never unbounded memory).
constexpr size_t kMaxTrackedKeys = 4096;
}  // namespace

std::shared_ptr<const DocSet> FilterCache::Find(const std::string& key, bool* build) {
  *build = false;
  if (capacity_ == 0) return nullptr;
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = by_key_.find(key); it != by_key_.end()) {
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }
  if (uses_.size() >= kMaxTrackedKeys) uses_.clear();
  *build = ++uses_[key] >= 2;
  return nullptr;
}

void FilterCache::Insert(const std::string& key, std::shared_ptr<const DocSet> set) {
  const size_t size = set->bytes() + key.size();
  if (capacity_ == 0 || size > capacity_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (by_key_.count(key) != 0) return;  // Another thread built it first.
  uses_.erase(key);
  lru_.emplace_front(key, std::move(set));
  by_key_[key] = lru_.begin();
  bytes_ += size;
  while (bytes_ > capacity_) {
    const Entry& victim = lru_.back();
    bytes_ -= victim.second->bytes() + victim.first.size();
    by_key_.erase(victim.first);
    lru_.pop_back();
  }
}

size_t FilterCache::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

size_t FilterCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

}  // namespace libsearch::internal
