// A Bloom filter of a field's terms: "surely absent" in a few bit tests
// instead of a dictionary lookup. A search checks every small segment for
// its words before it plans anything there (query/may_match.h); most lack
// one, and those lookups were a good part of a small segment's cost.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "index/term_dict.h"

namespace libsearch::internal {

// Thread-safety: immutable once built.
class TermFilter {
 public:
  // Null if `dict` has more than `max_terms` terms (a large dictionary
  // almost always has the word: the filter would only cost) or cannot be
  // read whole (damage: lookups report it).
  static std::unique_ptr<TermFilter> Build(const TermDictReader& dict, uint64_t max_terms);
  // False only if `term` is not in the dictionary.
  bool MayContain(std::string_view term) const;
  // The dictionary it was built from.
  const TermDictReader* dict() const { return dict_; }

 private:
  static constexpr int kProbes = 3;  // With 16 bits per term: ~0.5% false positives.
  const TermDictReader* dict_ = nullptr;
  std::vector<uint64_t> bits_;
  uint64_t mask_ = 0;  // Bit count - 1 (a power of two).
};

}  // namespace libsearch::internal
