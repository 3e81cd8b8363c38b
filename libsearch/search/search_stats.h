// One search's memo of the index-wide statistics (GlobalStats) that its
// segments' scorers ask for. Every segment binds the same query, so each
// asks for the same doc freqs and expansions: taken once per search here,
// without the shared cache's lock, key building per segment, or its
// eviction (a busy GlobalStats cache may have dropped them).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "query/collection_stats.h"
#include "query/term_picks.h"
#include "search/global_stats.h"

namespace libsearch::internal {

// Thread-safety: one search, one thread. Answers equal base's: a pure memo.
// An expansion's terms come with their doc freqs (GlobalStats ranked them
// by those): the scorers' DocFreq calls for them are answered here.
class SearchStats final : public CollectionStats {
 public:
  // `base` may be null (a snapshot scored with its own statistics).
  explicit SearchStats(const GlobalStats* base) : base_(base) {}
  const CollectionStats* base() const { return base_; }

  uint64_t FieldDocCount(uint32_t f) const override { return base_->FieldDocCount(f); }
  uint64_t FieldSumTotalTf(uint32_t f) const override { return base_->FieldSumTotalTf(f); }
  uint64_t DocFreq(uint32_t f, bool prefix_index, std::string_view term) const override;
  std::vector<TermExpansion> PrefixTerms(uint32_t f, std::string_view prefix,
                                         size_t cap) const override;
  std::vector<TermExpansion> TypoStems(uint32_t f, std::string_view surface, std::string_view stem,
                                       uint32_t max_edits, size_t cap) const override;
  std::vector<WordMatch> TypoWords(uint32_t f, std::string_view surface,
                                   uint32_t max_edits) const override {
    return base_->TypoWords(f, surface, max_edits);
  }
  PickMemo* pick_memo() const override { return &picks_; }

  // While a Scope lives, For(base) on its thread is its memo: a segment's
  // IndexImpl asks For(its statistics) for each scorer it builds, so the
  // segments of one SegmentedIndex search share the memo without it being
  // passed through every stage. Scopes nest (a search inside a search).
  class Scope {
   public:
    explicit Scope(const SearchStats* stats);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    const SearchStats* previous_;
  };
  // The memo in scope if it wraps `base`, else base.
  static const CollectionStats* For(const CollectionStats* base);

 private:
  // Remembers the doc freqs of an expansion's terms.
  void Learn(uint32_t f, const std::vector<TermExpansion>& terms,
             const std::vector<uint64_t>& doc_freqs) const;
  // Looked up by string_view: a scorer asks for a hundred doc freqs per
  // expanded word, in every segment, without building a key for each.
  struct TermHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  using DocFreqs = std::unordered_map<std::string, uint64_t, TermHash, std::equal_to<>>;
  // Field f's doc freqs (of its prefix index if `prefix_index`).
  DocFreqs& DocFreqsOf(uint32_t f, bool prefix_index) const {
    const size_t i = 2 * static_cast<size_t>(f) + (prefix_index ? 1 : 0);
    if (i >= doc_freqs_.size()) doc_freqs_.resize(i + 1);
    return doc_freqs_[i];
  }
  const GlobalStats* base_;
  mutable std::vector<DocFreqs> doc_freqs_;
  mutable std::unordered_map<std::string, std::vector<TermExpansion>> expansions_;
  mutable PickMemo picks_;
};

}  // namespace libsearch::internal
