// A bounded memo of answers that never go stale (an immutable file's, or
// one index snapshot's): typo expansions, "did you mean" neighbours, doc
// frequencies.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <utility>

namespace libsearch::internal {

// Two generations of at most half the byte budget each. A hit in the older
// moves the entry to the newer; when the newer is full it becomes the older
// and the oldest is dropped. Clearing everything when full, as a plain map
// would need, thrashes once the queries' words outgrow it: every word is
// walked again. Here a working set under half the budget stays, and a
// larger one loses its least recently used part first.
//
// Not thread-safe: callers hold their own lock.
template <typename V>
class BoundedMemo {
 public:
  // `bytes_of(value)`: an estimate of the heap bytes a value holds.
  using BytesOf = size_t (*)(const V&);

  BoundedMemo(size_t max_bytes, BytesOf bytes_of) : half_(max_bytes / 2), bytes_of_(bytes_of) {}

  // The value of `key`, or null. A pointer into the memo: valid until the
  // next call.
  const V* Find(const std::string& key) {
    if (const auto it = young_.find(key); it != young_.end()) return &it->second.value;
    auto node = old_.extract(key);
    if (node.empty()) return nullptr;
    return Insert(std::move(node.key()), std::move(node.mapped()));
  }

  void Put(std::string key, V value) {
    const size_t bytes = kEntryOverhead + key.size() + bytes_of_(value);
    Insert(std::move(key), Entry{std::move(value), bytes});
  }

  size_t size() const { return young_.size() + old_.size(); }

 private:
  struct Entry {
    V value;
    size_t bytes;
  };
  // A hash node and its bookkeeping, roughly.
  static constexpr size_t kEntryOverhead = 64;

  const V* Insert(std::string key, Entry entry) {
    if (young_bytes_ + entry.bytes > half_ && !young_.empty()) {
      old_ = std::move(young_);
      young_.clear();
      young_bytes_ = 0;
    }
    young_bytes_ += entry.bytes;
    auto [it, added] = young_.insert_or_assign(std::move(key), std::move(entry));
    return &it->second.value;
  }

  std::unordered_map<std::string, Entry> young_, old_;
  size_t young_bytes_ = 0;
  size_t half_;
  BytesOf bytes_of_;
};

}  // namespace libsearch::internal
