// Index-wide statistics for scoring one segment of an index that spans
// several (or has deleted docs): BM25 then sees the document counts, field
// lengths and term frequencies of the whole live index, and term expansions
// pick what a single build of the live docs would pick, so a segment's
// scores equal that build's to the last bit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace libsearch::internal {

// A term and its distance from what was typed (0 for prefix expansions).
using TermExpansion = std::pair<std::string, uint32_t>;

// A surface word (folded, unstemmed) within reach of a typed word: its
// distance, how many live docs hold it, and its stem (the field's term).
struct WordMatch {
  std::string word;
  uint32_t edits = 0;
  uint64_t doc_freq = 0;
  std::string stem;
};

class PickMemo;  // query/term_picks.h

// Thread-safety: implementations are safe to call from many threads.
class CollectionStats {
 public:
  virtual ~CollectionStats() = default;
  // Live docs with at least one term in field `f`, and the sum of their lengths.
  virtual uint64_t FieldDocCount(uint32_t f) const = 0;
  virtual uint64_t FieldSumTotalTf(uint32_t f) const = 0;
  // Live docs with `term` in field `f` (in its prefix index if `prefix_index`).
  virtual uint64_t DocFreq(uint32_t f, bool prefix_index, std::string_view term) const = 0;
  // As PrefixTerms and TypoStems (query/expand.h) over the terms of the
  // live docs, with their live doc frequencies.
  virtual std::vector<TermExpansion> PrefixTerms(uint32_t f, std::string_view prefix,
                                                 size_t cap) const = 0;
  virtual std::vector<TermExpansion> TypoStems(uint32_t f, std::string_view surface,
                                               std::string_view stem, uint32_t max_edits,
                                               size_t cap) const = 0;
  // The surface words of field `f`'s live docs within `max_edits` of
  // `surface` (TypoDistance), in no order; empty for files before 2.4.
  virtual std::vector<WordMatch> TypoWords(uint32_t f, std::string_view surface,
                                           uint32_t max_edits) const = 0;
  // One search's memo of its words' index-wide picks (PickTerms), or null
  // (statistics shared by searches). Used by that search's thread only.
  virtual PickMemo* pick_memo() const { return nullptr; }
};

}  // namespace libsearch::internal
