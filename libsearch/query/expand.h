// Term expansion over a field's dictionary: prefixes (search-as-you-type)
// and typos (Levenshtein/Damerau distance), without scanning the dictionary.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "index/index_reader.h"
#include "query/collection_stats.h"
#include "util/bounded_memo.h"

namespace libsearch::internal {

// The noisy channel of typos: each edit makes it this much less likely
// that a word was typed for the word it is an edit of; the likelihood of
// meaning a word is its doc count times that per edit. Typo corrections
// (query/scorer_builder.cc) and "did you mean" (search/suggest.cc) share it
// (docs/design-notes.md, "Typos on words").
inline constexpr double kTypoChannelPerEdit = 0.02;
double TypoLikelihood(double doc_freq, uint32_t edits);

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
// than 64 code points get no expansions. Empty if the dictionary is damaged.
std::vector<Expansion> FuzzyTerms(const FieldReader& field, std::string_view word,
                                  uint32_t max_edits, bool transpositions, size_t cap);

// Every ordinal of `dict` within `max_edits` of `word` by TypoDistance,
// appended to *out unsorted. Returns false if the dictionary is damaged.
bool FuzzyWalk(const TermDictReader& dict, std::string_view word, uint32_t max_edits,
               bool transpositions, std::vector<Expansion>* out);

// Typos on what people type: the stems (term ordinals of `field`) of the
// field's surface words within `max_edits` of `surface` (the typed word,
// folded, unstemmed; with transpositions), each at the distance of its
// nearest word, ranked and capped as FuzzyTerms. A misspelling is usually
// nearer the word than its stem ("choclate": "chocolate" is one edit, its
// stem "chocol" three). Files without surface words: FuzzyTerms on `stem`.
// Empty if the surface words are damaged.
std::vector<Expansion> TypoStems(const FieldReader& field, std::string_view surface,
                                 std::string_view stem, uint32_t max_edits, size_t cap);

// The heap bytes a list of words holds, roughly (BoundedMemo budgets).
size_t WordMatchBytes(const std::vector<WordMatch>& v);

// A bounded memo of one file's TypoStems answers: the file never changes,
// so an answer never goes stale, and a word typed again (search-as-you-type,
// popular queries, each typo tier's query of one search) walks the
// dictionary once. GlobalStats does the same for index directories.
//
// Thread-safety: safe from many threads.
class TypoCache {
 public:
  TypoCache();
  // TypoStems(field, ...), remembered. REQUIRES: `field` is of one file.
  std::vector<Expansion> TypoStems(const FieldReader& field, std::string_view surface,
                                   std::string_view stem, uint32_t max_edits, size_t cap) const;
  // TypoWords(field, ...) ("did you mean"), remembered. Same REQUIRES.
  std::vector<WordMatch> TypoWords(const FieldReader& field, std::string_view surface,
                                   uint32_t max_edits) const;

 private:
  // Each memo's byte budget: thousands of words' answers.
  static constexpr size_t kMaxBytes = 8 << 20;
  mutable std::mutex mu_;
  mutable BoundedMemo<std::vector<Expansion>> cache_;
  mutable BoundedMemo<std::vector<WordMatch>> words_;
};

// The surface words of `field` within `max_edits` of `surface`, with their
// doc counts, in no order; empty without surface words or if damaged.
std::vector<WordMatch> TypoWords(const FieldReader& field, std::string_view surface,
                                 uint32_t max_edits);

// The typo distance FuzzyTerms uses: with the same first code point, the
// edit distance of the rest; otherwise 2 if the words are one edit apart
// (that edit changed the first letter) and their first letters are of one
// block (both ASCII, or the same UTF-8 lead byte), and more than 2 if not.
uint32_t TypoDistance(std::string_view word, std::string_view term, bool transpositions);

// Reference for tests: edit distance on code points (optimal string
// alignment when `transpositions`).
uint32_t EditDistance(std::string_view a, std::string_view b, bool transpositions);

}  // namespace libsearch::internal
