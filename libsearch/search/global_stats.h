// The index-wide statistics of a SegmentedIndex: every segment's, minus
// those of its tombstones (indexes of its deleted docs, built from their
// sources by the writer, one per delete generation), so they equal a single
// build's of the live docs.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "index/index_reader.h"
#include "index/term_filter.h"
#include "query/collection_stats.h"
#include "query/expand.h"
#include "util/bounded_memo.h"

namespace libsearch::internal {

// Thread-safety: safe from many threads (doc freqs and expansions are
// cached under a lock).
class GlobalStats final : public CollectionStats {
 public:
  struct Part {
    const IndexReader* segment = nullptr;
    // One per delete generation of the segment (none without deletes).
    std::vector<const IndexReader*> tombstones;
  };
  // REQUIRES: the readers outlive this; all share one schema.
  // `shortcuts`: walk the small segments' surface words as one dictionary
  // (SmallWords) and ask filters of small dictionaries (TermFilter) before
  // looking a term up there; false walks and looks up every segment and
  // tombstone (the tests' reference).
  explicit GlobalStats(std::vector<Part> parts, size_t num_fields, bool shortcuts = true);

  uint64_t FieldDocCount(uint32_t f) const override { return doc_count_[f]; }
  uint64_t FieldSumTotalTf(uint32_t f) const override { return sum_total_tf_[f]; }
  uint64_t DocFreq(uint32_t f, bool prefix_index, std::string_view term) const override;
  std::vector<TermExpansion> PrefixTerms(uint32_t f, std::string_view prefix,
                                         size_t cap) const override;
  std::vector<TermExpansion> TypoStems(uint32_t f, std::string_view surface, std::string_view stem,
                                       uint32_t max_edits, size_t cap) const override;
  std::vector<WordMatch> TypoWords(uint32_t f, std::string_view surface,
                                   uint32_t max_edits) const override;
  // As PrefixTerms and TypoStems, with each term's DocFreq(f, false, term)
  // in *doc_freqs (in the same order): ranking computed them.
  std::vector<TermExpansion> PrefixTerms(uint32_t f, std::string_view prefix, size_t cap,
                                         std::vector<uint64_t>* doc_freqs) const;
  std::vector<TermExpansion> TypoStems(uint32_t f, std::string_view surface, std::string_view stem,
                                       uint32_t max_edits, size_t cap,
                                       std::vector<uint64_t>* doc_freqs) const;

 private:
  // Expansion candidates by term: typo distance, and doc freq summed over
  // the segments (deleted docs subtracted by Rank).
  struct Candidate {
    uint32_t edits = 0;
    uint64_t df = 0;
  };
  using Candidates = std::unordered_map<std::string, Candidate>;
  // A surface word within reach: its distance, live doc count and stem.
  struct LiveWord {
    uint32_t edits = 0;
    int64_t df = 0;
    std::string stem;  // With `with_stems` only.
  };
  // The live surface words of field f within `max_edits` of `surface`.
  std::unordered_map<std::string, LiveWord> LiveWords(uint32_t f, std::string_view surface,
                                                      uint32_t max_edits, bool with_stems) const;
  static void Add(const FieldReader& field, const Expansion& e, Candidates* out);
  // The cached answer for `key`, or `in_segment`'s expansions of every
  // segment ranked (and cached).
  std::vector<TermExpansion> Expand(
      std::string key, uint32_t f, size_t cap,
      const std::function<std::vector<Expansion>(const FieldReader&)>& in_segment,
      std::vector<uint64_t>* doc_freqs) const;
  // Keeps the live candidates (doc freq > 0), best first by `edits`, then
  // doc freq descending, then term (a single build's order), at most `cap`.
  // (Subtracts the deleted docs from *candidates' doc freqs.)
  // Their live doc freqs into *doc_freqs.
  std::vector<TermExpansion> Rank(uint32_t f, Candidates* candidates, size_t cap,
                                  std::vector<uint64_t>* doc_freqs) const;
  uint64_t SumDocFreq(uint32_t f, bool prefix_index, std::string_view term) const;
  // The cached expansions of `key` into *out (an empty list is an answer too).
  bool Cached(const std::string& key, std::vector<TermExpansion>* out,
              std::vector<uint64_t>* doc_freqs) const;
  void Remember(std::string key, const std::vector<TermExpansion>& v,
                const std::vector<uint64_t>& doc_freqs) const;

  // The surface words of a field's small segments (each of at most
  // kMaxMergedWords words) merged into one dictionary, built at the first
  // walk: a typo walk costs about as much per dictionary as per word it
  // finds (seeks, block decodes, the first-letter scan of two-edit words),
  // so ten small segments cost a quarter of the base's walk each time a
  // word is first seen; merged, they cost one small walk.
  struct SmallWords {
    std::string blocks, index, prefixes;  // WriteTermDict's sections.
    TermDictReader dict;
    // Merged ordinal i's words: entries[begin[i] .. begin[i + 1]), each a
    // (part, ordinal in that part's surface dictionary), parts ascending.
    std::vector<uint32_t> begin;
    std::vector<std::pair<uint32_t, uint32_t>> entries;
    std::vector<bool> merged;  // Per part: its words are in `dict`.
  };
  static constexpr uint64_t kMaxMergedWords = 1 << 16;  // Per segment.
  static constexpr uint64_t kMaxMergedTotal = 1 << 19;  // Per field.
  // Per field, built at its first walk (with shortcuts).
  struct FieldWords {
    std::once_flag once;
    // Null: fewer than two small segments with surface words, or one that
    // cannot be read whole (then each is walked, and reports its damage,
    // as before).
    std::unique_ptr<SmallWords> words;
    // Per part and tombstone: a filter of the tombstone's surface words
    // (null: none), asked before each word found is looked up there.
    std::vector<std::vector<std::unique_ptr<TermFilter>>> tombstones;
  };
  // Field f's, or null without shortcuts.
  const FieldWords* WordsOf(uint32_t f) const;
  std::unique_ptr<SmallWords> BuildSmallWords(uint32_t f) const;
  // Filters of field f's small term dictionaries (at most kMaxMergedWords
  // terms), per part: the segment's and then each tombstone's (null: none).
  // Built at the field's first doc freq sum (with shortcuts).
  struct FieldFilters {
    std::once_flag once;
    std::vector<std::vector<std::unique_ptr<TermFilter>>> parts;
  };
  // Null without shortcuts.
  const FieldFilters* FiltersOf(uint32_t f) const;
  // Field f's doc freq of `term` in `reader` (a segment or tombstone of
  // part i, its k-th dictionary: 0 the segment's, then the tombstones'),
  // 0 if the filter there says it is absent.
  static uint64_t FilteredDocFreq(const FieldFilters* filters, size_t i, size_t k,
                                  const FieldReader* field, std::string_view term);

  std::vector<Part> parts_;
  bool shortcuts_;
  std::unique_ptr<FieldFilters[]> filters_;    // Per field.
  std::unique_ptr<FieldWords[]> small_words_;  // Per field.
  std::vector<uint64_t> doc_count_, sum_total_tf_;
  mutable std::mutex mu_;
  struct Expansions {
    std::vector<TermExpansion> terms;
    std::vector<uint64_t> doc_freqs;
  };
  static size_t ExpansionsBytes(const Expansions& e) {
    return e.terms.size() * sizeof(TermExpansion) + e.doc_freqs.size() * sizeof(uint64_t);
  }
  static size_t DocFreqBytes(const uint64_t&) { return 0; }
  // One snapshot's answers (BoundedMemo: a working set under half the
  // budget is never evicted).
  mutable BoundedMemo<Expansions> cache_{8 << 20, ExpansionsBytes};
  mutable BoundedMemo<uint64_t> df_cache_{8 << 20, DocFreqBytes};
  mutable BoundedMemo<std::vector<WordMatch>> words_cache_{8 << 20, WordMatchBytes};
};

}  // namespace libsearch::internal
