// IndexImpl: the Index behind libsearch/index.h. A search runs as a
// pipeline, one file per stage:
//   validate.cc  request checks that need the schema
//   plan.cc      the query and filters as one tree (cached filters swapped
//                in) and the collector that will take its matches
//   execute.cc   runs the tree into that collector: top-k by score
//                (typo_tiers.cc when typos rank), or every match into the
//                sort and facet collectors
//   fetch.cc     ids, stored documents and the next-page cursor of the page
//   highlight.cc, suggest.cc  post-processing: snippets, "did you mean"
// Set up at open: analyzers.cc, synonyms.cc. Read-only facts: info.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "analysis/analyzer.h"
#include "index/index_reader.h"
#include "index/term_filter.h"
#include "libsearch/index.h"
#include "query/collection_stats.h"
#include "query/query.h"
#include "query/scoring.h"
#include "query/top_k.h"
#include "search/facet_collector.h"
#include "search/filter_cache.h"
#include "search/hit_order.h"
#include "search/search_stats.h"
#include "util/doc_set.h"

namespace libsearch::internal {

// What makes an IndexImpl one segment of a SegmentedIndex: the index-wide
// statistics its scores use, and its deleted docs, which no search matches.
struct SegmentHooks {
  const CollectionStats* stats = nullptr;  // Null: the segment's own.
  std::shared_ptr<const DocSet> deleted;   // Null: none.
};

// A search_after position given by another segment of the index: the sort
// values, score and typo tier of its hit, and where ties on all of those
// fall in this segment (HitOrder::Position::doc).
struct ForeignCursor {
  std::vector<HitOrder::Portable> values;
  float score = 0;
  int64_t doc = 0;
  uint32_t tier = 0;
};

// The (field, term) pairs a query can match: what highlighting marks.
using MatchedTerms = std::vector<std::pair<uint32_t, std::string>>;

// What a request runs: the collector that takes its matches and, for all
// but typo tiers (which parse a tree per tier), its query tree.
struct SearchPlan {
  enum class Collector {
    kTopK,        // Best offset + k by score; k = 0 counts without scoring.
    kTieredTopK,  // As kTopK, docs matching without typos first.
    kVisitAll,    // Sort, search_after or facets: every match visited.
  };
  Collector collector = Collector::kTopK;
  size_t keep = 0;  // offset + k.
  std::unique_ptr<Query> query;
  // kVisitAll only.
  std::optional<HitOrder> order;
  std::optional<std::pair<uint32_t, float>> cursor;  // search_after: doc, score.
  std::optional<HitOrder::Position> foreign_cursor;  // Or another segment's position.
  std::vector<FacetCounter> facets;
  std::vector<int64_t> lift;  // Per facet: its field, if disjunctive; else -1.
};

// The execute stage's output: the page's hits (doc and score only), totals,
// facets, and the terms the query can match.
struct Collected {
  SearchResponse resp;
  MatchedTerms matched;
  // With typo tiers in top-k order: each hit's tier, as the tiered top-k
  // ranked it; empty where it did not rank by tiers.
  std::vector<uint32_t> tiers;
};

class IndexImpl : public Index {
 private:
  IndexImpl(const IndexImpl&) = default;  // For Share().

 public:
  IndexImpl& operator=(const IndexImpl&) = delete;
  IndexImpl(std::unique_ptr<IndexReader> reader, const OpenOptions& options);
  // Makes this a segment (SegmentedIndex). REQUIRES: before any search.
  void SetSegmentHooks(SegmentHooks hooks) {
    if (hooks.deleted != hooks_.deleted) deleted_bits_ = BitsOf(hooks.deleted.get());
    hooks_ = std::move(hooks);
  }
  // The same file as a segment of another snapshot: shares this one's
  // mapping, analysers, filter and typo caches (cheap: no file is read).
  std::unique_ptr<IndexImpl> Share(SegmentHooks hooks) const {
    auto copy = std::unique_ptr<IndexImpl>(new IndexImpl(*this));
    copy->SetSegmentHooks(std::move(hooks));
    return copy;
  }
  // Another file of the same schema and stored synonyms (a sibling segment)
  // with this one's analysers and synonyms, which depend on nothing else:
  // a new segment opens without building them again. Its own caches.
  std::unique_ptr<IndexImpl> Sibling(std::unique_ptr<IndexReader> reader) const {
    auto copy = std::unique_ptr<IndexImpl>(new IndexImpl(*this));
    copy->reader_ = std::move(reader);
    copy->filter_cache_ = std::make_shared<FilterCache>(options_.filter_cache_bytes);
    copy->typo_cache_ = std::make_shared<TypoCache>();
    copy->hooks_ = {};
    copy->deleted_bits_ = nullptr;
    copy->term_filters_ = std::make_shared<TermFilters>();
    return copy;
  }
  bool is_segment() const { return hooks_.stats != nullptr || hooks_.deleted != nullptr; }
  // The index-wide statistics scores use (null: the reader's own), or the
  // current search's memo of them (SearchStats::Scope).
  const CollectionStats* stats() const { return SearchStats::For(hooks_.stats); }
  const IndexReader& reader() const { return *reader_; }

  // index.cc: the pipeline.
  Status Init();
  // Corruption if a section this search read is damaged (the reader's
  // Intact(), checked before and after): never an answer from damaged data.
  Result<SearchResponse> Search(const SearchRequest& req) const override;
  Result<std::unique_ptr<Index>> Reopen() const override;

  // A SegmentedIndex's search runs these on each segment: Validate, then
  // the plan and execute stages (hits hold this segment's docs and scores;
  // keyword facets hold every value, see FacetCounter::KeepAllValues), and
  // for the hits it keeps, the fetch and highlight stages.
  Status Validate(const SearchRequest& req) const;  // validate.cc
  // With `cursor`, hits rank after it (req.search_after must be empty).
  // `words`: req's query as ParseWords gave it (for any segment of this
  // one's directory, which share analysers), or null to parse it here.
  Result<Collected> Collect(const SearchRequest& req, const ForeignCursor* cursor = nullptr,
                            const Query* words = nullptr) const;
  // plan.cc: the request's query alone, without filters: the part of the
  // parse every segment shares.
  Result<std::unique_ptr<Query>> ParseWords(const SearchRequest& req) const;
  // False if `words` (ParseWords) matches no doc of this segment: then its
  // search finds nothing and need not run (query/may_match.h).
  bool MayMatch(const Query& words) const;
  Status Finish(const SearchRequest& req, const MatchedTerms& matched, SearchResponse* resp) const;
  // suggest.cc: "did you mean": the query with its unlikely words replaced
  // by far likelier words of the index, or "" (none, or the query already
  // finds `total` docs, more than any correction could beat). Not checked
  // to match: CheckedSuggestion does that on the whole index.
  std::string SuggestionFor(const SearchRequest& req, uint64_t total) const;
  // The totals SuggestionFor looks past: a query that finds this many docs
  // or more gets no suggestion (a correction could not beat it).
  double SuggestionLimit() const;

  Result<std::string> ExplainQuery(const SearchRequest& req) const override;  // plan.cc
  // The request's query and filters as one scorer tree, with its context
  // (for TypoTier, typo_tiers.h), matching the docs of typo tiers <=
  // `tier_edits` (led by those expansions, LimitTypoLeads, or else with the
  // others left out, LimitTypos) unless that is kAllTiers.
  static constexpr uint32_t kAllTiers = 0xffffffffu;
  Status BuildScorer(const SearchRequest& req, std::unique_ptr<Query>* query,
                     std::unique_ptr<ScorerContext>* ctx, std::unique_ptr<Scorer>* scorer,
                     uint32_t tier_edits = kAllTiers) const;
  // Typo tiers apply to relevance order: with sort fields, those decide.
  static bool TypoTiered(const SearchRequest& req) { return req.typos && req.sort.empty(); }

  // info.cc
  Result<std::string> StoredDocument(uint32_t doc) const override;
  const Schema& schema() const override { return reader_->schema(); }
  uint64_t num_docs() const override { return reader_->num_docs(); }
  Result<IndexInfo> Info() const override;
  Status Verify() const override;

 private:
  // Search without the reader's Intact() checks around it.
  Result<SearchResponse> SearchUnchecked(const SearchRequest& req) const;
  // The stages, in the order Search runs them (Validate above).
  // plan.cc
  Result<SearchPlan> Plan(const SearchRequest& req, const ForeignCursor* cursor,
                          const Query* words = nullptr) const;
  // The query and its filters as one tree. Filters that only use field
  // `lift_field` are left out (a disjunctive facet's view); -1 keeps all.
  // A segment's deleted docs are not excluded: RunTopK's collector drops
  // them, other paths add ExcludeDeleted.
  // `words`: the query as ParseWords gave it (copied), or null to parse it.
  Result<std::unique_ptr<Query>> Parse(const SearchRequest& req, int64_t lift_field = -1,
                                       const Query* words = nullptr) const;
  // The ids of the fields req.fields names (checked); empty if none.
  Result<std::vector<uint32_t>> SearchFields(const SearchRequest& req) const;
  // The parse options of req's query; `fields` (SearchFields) must outlive
  // them: they point into it.
  ParseOptions MakeParseOptions(const SearchRequest& req,
                                const std::vector<uint32_t>* fields) const;
  // `query` AND NOT the segment's deleted docs (query itself if none).
  std::unique_ptr<Query> ExcludeDeleted(std::unique_ptr<Query> query) const;

  // execute.cc
  Result<Collected> Execute(const SearchRequest& req, SearchPlan plan) const;
  // Top-`keep` of a query by score (best first, offset not applied), with
  // resp->total / total_exact, and the terms the query can match (the
  // request gives the count threshold and whether terms are wanted).
  Status RunTopK(const Query& query, const SearchRequest& req, size_t keep, SearchResponse* resp,
                 std::vector<ScoredDoc>* best, MatchedTerms* matched) const;
  // How many of the segment's deleted docs `query` matches (RunTopK takes
  // them off the collectors' count).
  Status DeletedMatches(const Query& query, uint64_t* count) const;
  // How many live docs `query` matches, counted up to `limit`.
  Status LiveMatches(const Query& query, uint64_t limit, uint64_t* count) const;
  // A search's scorer context: this index's typo cache and term filters,
  // whether every match is visited, whether matched terms are noted.
  void Configure(ScorerContext* ctx, bool visit_all, bool collect_terms) const;
  Status CorruptPostings() const;

  // typo_tiers.cc
  // *tiers: the tier each of *best is ranked in.
  Status TieredTopK(const SearchRequest& req, std::unique_ptr<Query> full, size_t keep,
                    SearchResponse* resp, std::vector<ScoredDoc>* best, MatchedTerms* matched,
                    std::vector<uint32_t>* tiers) const;

  // fetch.cc: ids and the stored JSON of each hit (empty where the request
  // needs none), then the documents as returned and the next-page cursor.
  Result<std::vector<std::string>> FetchStored(const SearchRequest& req,
                                               SearchResponse* resp) const;
  void FillDocuments(const SearchRequest& req, std::vector<std::string> stored,
                     SearchResponse* resp) const;

  // highlight.cc
  void HighlightHits(const SearchRequest& req, const MatchedTerms& matched,
                     const std::vector<std::string>& stored, SearchResponse* resp) const;

  // Set up at open, and the stages' helpers.
  // analyzers.cc
  Status InitAnalyzers();
  // synonyms.cc
  Status InitSynonyms();
  // plan.cc
  Status UseFilterCache(std::unique_ptr<Query>* filter) const;
  // execute.cc
  Result<Collected> CollectVisitingAll(const SearchRequest& req, SearchPlan plan) const;
  // What Share() shares: the mapping, analysers and filter cache of one
  // file, whatever snapshots of an index directory it belongs to.
  std::shared_ptr<const IndexReader> reader_;
  OpenOptions options_;
  std::vector<std::shared_ptr<const analysis::Analyzer>> owned_;
  std::vector<const analysis::Analyzer*> analyzers_;
  std::vector<const analysis::Analyzer*> surface_analyzers_;
  SynonymMap synonyms_;
  const analysis::Analyzer* synonym_analyzer_ = nullptr;
  std::shared_ptr<FilterCache> filter_cache_;
  std::shared_ptr<TypoCache> typo_cache_ = std::make_shared<TypoCache>();
  std::vector<uint32_t> default_fields_;
  SegmentHooks hooks_;
  // Bloom filters of the reader's small dictionaries (MayMatch), built at
  // the first search that asks; shared as the reader is.
  struct TermFilters {
    std::once_flag once;
    std::vector<std::unique_ptr<TermFilter>> by_field;  // Null: none.
  };
  std::shared_ptr<TermFilters> term_filters_ = std::make_shared<TermFilters>();
  std::span<const std::unique_ptr<TermFilter>> term_filters() const;  // plan.cc
  // hooks_.deleted as bits, for the top-k collector (TopK::set_excluded).
  std::shared_ptr<const DocBits> deleted_bits_;
  std::shared_ptr<const DocBits> BitsOf(const DocSet* deleted) const {
    if (deleted == nullptr) return nullptr;
    return std::make_shared<DocBits>(*deleted, static_cast<uint32_t>(reader_->num_docs()));
  }
};

// The suggestion for a request that found `total` docs on `index` (words
// from `words`: the index itself or any of its segments, which read the
// index-wide statistics), if the suggested query finds more; else "".
std::string CheckedSuggestion(const Index& index, const IndexImpl& words, const SearchRequest& req,
                              uint64_t total);

}  // namespace libsearch::internal
