// The order of hits under SearchRequest::sort, and search_after cursors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "index/index_reader.h"
#include "libsearch/index.h"

namespace libsearch::internal {

// The order of hits under SearchRequest::sort: each sort field in turn
// (missing values last whatever the direction), then score descending, then
// doc ascending. Thread-safety: immutable.
class HitOrder {
 public:
  static Result<HitOrder> Create(const IndexReader& reader, const std::vector<SortField>& sort);
  // True iff (a, a_score) ranks strictly before (b, b_score).
  bool Before(uint32_t a, float a_score, uint32_t b, float b_score) const;
  // The order of a and b by the sort fields before the first `_score` key:
  // <0 if a ranks first, >0 if b does, 0 if that needs their scores. Lets
  // a collector reject a doc without scoring it.
  int CompareUnscored(uint32_t a, uint32_t b) const;

  // Cursor text for a hit: its doc and exact score (the file is immutable,
  // so the doc's sort values can be read again).
  static std::string Cursor(uint32_t doc, float score);
  // Parses a cursor from this index; InvalidArgument if malformed.
  Result<std::pair<uint32_t, float>> ParseCursor(std::string_view cursor) const;

 private:
  struct Key {
    enum class Kind { kScore, kNumeric, kKeyword } kind;
    bool descending;
    const NumericColumn* numeric = nullptr;
    const KeywordColumn* keyword = nullptr;
  };
  // Compares one key; <0 if a first, >0 if b first, 0 if equal.
  int Compare(const Key& key, uint32_t a, float a_score, uint32_t b, float b_score) const;
  std::vector<Key> keys_;
  uint32_t num_docs_ = 0;
};

}  // namespace libsearch::internal
