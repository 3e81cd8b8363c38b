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
  uint32_t ord;    // Term ordinal in the field.
  uint32_t edits;  // 0 for prefix expansions.
};

// Up to `cap` terms starting with `prefix`, the most frequent first (ties by
// term order). Reads the ordinal range [LowerBound(prefix), ...) and keeps
// the `cap` best by doc frequency.
std::vector<Expansion> PrefixTerms(const FieldReader& field, std::string_view prefix, size_t cap);

// Terms within `max_edits` of `word` by TypoDistance, sorted by (edits,
// -doc_freq, ordinal) and capped at `cap`. A first-letter typo costs two
// (as in Meilisearch): people rarely get the first letter wrong, and it
// confines the walk to one first letter's part of the dictionary, where it
// also seeks past every prefix already too far from `word`. Words longer
// than 64 code points get no expansions.
std::vector<Expansion> FuzzyTerms(const FieldReader& field, std::string_view word,
                                  uint32_t max_edits, bool transpositions, size_t cap);

// The typo distance FuzzyTerms uses: with the same first code point, the
// edit distance of the rest; otherwise 2 if the words are one edit apart
// (that edit changed the first letter) and their first letters are of one
// block (both ASCII, or the same UTF-8 lead byte), and more than 2 if not.
uint32_t TypoDistance(std::string_view word, std::string_view term, bool transpositions);

// Reference for tests: edit distance on code points (optimal string
// alignment when `transpositions`).
uint32_t EditDistance(std::string_view a, std::string_view b, bool transpositions);

}  // namespace libsearch::internal
