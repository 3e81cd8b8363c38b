// Per-query state that scorers point into while a query runs.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "index/bm25.h"
#include "index/index_reader.h"
#include "index/postings_cursor.h"
#include "index/term_filter.h"
#include "query/collection_stats.h"
#include "query/expand.h"

namespace libsearch::internal {

// Owns per-query state that scorers point into (norm tables) and every
// postings cursor, so the searcher can check them for corruption afterwards.
class ScorerContext {
 public:
  // With `stats`, scores use those index-wide statistics instead of the
  // reader's own (CollectionStats).
  ScorerContext(const IndexReader* reader, Bm25Params params,
                const CollectionStats* stats = nullptr)
      : reader_(reader), params_(params), stats_(stats) {}
  // The reader's memo of typo expansions (used without `stats`), or null.
  void set_typo_cache(const TypoCache* cache) { typo_cache_ = cache; }
  const TypoCache* typo_cache() const { return typo_cache_; }
  const IndexReader* reader() const { return reader_; }
  // Bloom filters of the reader's dictionaries, by field id (null: none),
  // which FindTerm consults first.
  void set_term_filters(std::span<const std::unique_ptr<TermFilter>> filters) {
    term_filters_ = filters;
  }
  // field.dict.Find(term), answered without a lookup when a filter rules
  // the term out (a small segment binding a word's typo candidates lacks
  // most of them).
  std::optional<uint32_t> FindTerm(const FieldReader& field, std::string_view term) const {
    if (field.id < term_filters_.size()) {
      const TermFilter* f = term_filters_[field.id].get();
      if (f != nullptr && f->dict() == &field.dict && !f->MayContain(term)) return std::nullopt;
    }
    return field.dict.Find(term);
  }
  const Bm25Params& params() const { return params_; }
  // Null when the reader's own statistics are the index's.
  const CollectionStats* stats() const { return stats_; }
  const NormInverseTable* NormTable(const FieldReader& field);
  // BM25 idf of a term of `field` (or of its prefix index) whose TermInfo is
  // `info`: from the reader's statistics, or the index-wide ones.
  float Idf(const FieldReader& field, bool prefix_index, const TermInfo& info,
            std::string_view term) const;
  PostingsCursor* NewCursor(const FieldReader& field, const TermInfo& info);
  bool corrupt() const;

  // Terms that can match per field, positive clauses only: what a
  // highlighter should mark (including expansions).
  // Recorded only while collect_terms().
  void NoteTerm(uint32_t field, std::string_view term) {
    if (negated_ == 0 && collect_terms_) matched_terms_.emplace_back(field, term);
  }
  const std::vector<std::pair<uint32_t, std::string>>& matched_terms() const {
    return matched_terms_;
  }
  // Whether matched_terms() will be read (highlighting): expansions that
  // are otherwise not listed term by term (prefix indexes) are then listed.
  void set_collect_terms(bool v) { collect_terms_ = v; }
  bool collect_terms() const { return collect_terms_; }

  // Set when every match will be visited (facets, sort orders, cursors):
  // scorers may then favour plain iteration over pruning support.
  void set_visit_all(bool v) { visit_all_ = v; }
  bool visit_all() const { return visit_all_; }

  // Brackets the building of excluded (must_not) clauses.
  void EnterNegation() { ++negated_; }
  void LeaveNegation() { --negated_; }

 private:
  std::vector<std::pair<uint32_t, std::string>> matched_terms_;
  int negated_ = 0;
  bool visit_all_ = false;
  bool collect_terms_ = true;
  const IndexReader* reader_;
  Bm25Params params_;
  const CollectionStats* stats_;
  const TypoCache* typo_cache_ = nullptr;
  std::span<const std::unique_ptr<TermFilter>> term_filters_;
  // Per field id, for BM25 parameters other than the field's shared table's:
  // one of owned_tables_.
  std::vector<std::pair<uint32_t, const NormInverseTable*>> tables_;
  std::vector<std::unique_ptr<NormInverseTable>> owned_tables_;
  // A query's first cursors live here, not on the heap: an over-aligned
  // allocation and its free cost about as much as a selective term's work.
  static constexpr size_t kInlineCursors = 4;
  std::array<std::optional<PostingsCursor>, kInlineCursors> inline_cursors_;
  size_t num_inline_ = 0;
  std::vector<std::unique_ptr<PostingsCursor>> cursors_;  // The rest.
};

}  // namespace libsearch::internal
