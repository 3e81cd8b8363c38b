// Term expansion over a field's dictionary: prefixes (search-as-you-type)
// and typos (Levenshtein/Damerau distance), without scanning the dictionary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "index/index_reader.h"

namespace libsearch::internal {

struct Expansion {
  uint32_t ord;   // Term ordinal in the field.
  uint32_t edits; // 0 for prefix expansions.
};

// Up to `cap` terms starting with `prefix`, the most frequent first (ties by
// term order). Reads the ordinal range [LowerBound(prefix), ...) and keeps
// the `cap` best by doc frequency.
std::vector<Expansion> PrefixTerms(const FieldReader& field, std::string_view prefix, size_t cap);

// Terms within `max_edits` (insertions, deletions, substitutions, and with
// `transpositions` adjacent swaps, counted on code points) of `word`, sorted
// by (edits, -doc_freq, ordinal) and capped at `cap`. The walk seeks past
// every dictionary prefix that is already too far from `word`, so it visits
// a small part of the dictionary.
std::vector<Expansion> FuzzyTerms(const FieldReader& field, std::string_view word,
                                  uint32_t max_edits, bool transpositions, size_t cap);

// Reference for tests: edit distance on code points (optimal string
// alignment when `transpositions`).
uint32_t EditDistance(std::string_view a, std::string_view b, bool transpositions);

}  // namespace libsearch::internal
