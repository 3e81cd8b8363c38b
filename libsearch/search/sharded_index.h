// ShardedIndexImpl: the Index of a sharded index (libsearch/sharded_index.h):
// every segment of every shard (each shard a SegmentedIndex) searched with
// one GlobalStats over all of them, in parallel on a FanOut, and merged in
// the order of one index: sort keys, score, then the documents' sequence
// numbers (storage/shard_map.h), which are that index's doc numbers.
//
// Opened with OpenOptions::shards, it searches only those shards, with a
// GlobalStats over their segments and the other shards' dictionary extracts
// (the statistics the commit published): a shard function behind a fan-out
// coordinator (search/fan_out_index.h), which asks it for SearchShards and
// Locate instead of Search. The same GlobalStats over the same dictionaries
// gives the same numbers to the bit, so the coordinator's merge (the same
// order, facet merge and total rule as Search's, search/hit_order.h and
// facet_collector.h) answers as one index.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libsearch/index.h"
#include "libsearch/sharded_index.h"
#include "search/global_stats.h"
#include "search/index_impl.h"
#include "storage/shard_map.h"
#include "util/fan_out.h"

namespace libsearch::internal {

// A search_after position as the shard holding its document resolves it
// (Locate), for every shard to search after (SearchShards).
struct ShardPosition {
  uint64_t seq = 0;
  float score = 0;
  uint32_t tier = 0;                       // Typo tier, in relevance order with typos.
  std::vector<HitOrder::Portable> values;  // Per sort field.
};

// A hit of a shard's search, finished (id, stored fields, highlights), with
// what the merge orders it by (MergedBefore).
struct ShardHit {
  Hit hit;  // hit.doc: its sequence number.
  uint64_t seq = 0;
  float score = 0;
  uint32_t tier = 0;
  std::vector<HitOrder::Portable> keys;  // Per sort field.
};

// What a search of some shards found, for a coordinator to merge with the
// other shards'.
struct ShardResult {
  uint64_t generation = 0;  // The shard map's.
  // Summed over the parts, not clamped (ClampPrunedTotal, after the merge).
  uint64_t total = 0;
  bool total_exact = true;
  std::vector<ShardHit> hits;       // Best first, at most offset + k.
  std::vector<FacetResult> facets;  // Per request facet; keyword facets: every value.
  // With SearchRequest::suggest (and no cursor): the suggestion, which
  // holds if the merged total is below `suggest_below`, and is then
  // checked by a count of the suggested query (as CheckedSuggestion does).
  std::string suggestion;
  double suggest_below = 0;
};

class ShardedIndexImpl final : public Index {
 public:
  // Opens the shards at the generations `dir`'s shard map names (those of
  // options.shards, if any), sharing what `previous` (if any) has open.
  static Result<std::unique_ptr<Index>> Open(const std::string& dir, const OpenOptions& options,
                                             const ShardedIndexOptions& sharded,
                                             const ShardedIndexImpl* previous);

  // InvalidArgument when only some shards are open (whole() false).
  Result<SearchResponse> Search(const SearchRequest& req) const override;
  Result<std::unique_ptr<Index>> Reopen() const override;
  Result<std::string> ExplainQuery(const SearchRequest& req) const override;
  Result<std::string> StoredDocument(uint32_t doc) const override;
  const Schema& schema() const override { return schema_; }
  uint64_t num_docs() const override { return num_docs_; }
  Result<IndexInfo> Info() const override;
  Status Verify() const override;

  // The open shards' search of `req` (its offset + k best, after `after`
  // if given; req.search_after must be empty then).
  Result<ShardResult> SearchShards(const SearchRequest& req, const ShardPosition* after) const;
  // The position of req.search_after ("seq:score") if an open shard holds
  // its document, else nullopt. InvalidArgument if the cursor is malformed.
  Result<std::optional<ShardPosition>> Locate(const SearchRequest& req) const;

  uint64_t generation() const { return map_.generation; }
  uint32_t num_shards() const { return static_cast<uint32_t>(map_.shards.size()); }
  // The open shards, ascending.
  const std::vector<uint32_t>& served() const { return served_; }
  bool whole() const { return served_.size() == map_.shards.size(); }

 private:
  // One segment of one shard.
  struct Part {
    std::shared_ptr<const IndexImpl> impl;  // With this index's statistics.
    std::shared_ptr<const DocSet> deleted;  // Null without deletes.
    const NumericColumn* seq = nullptr;     // Null only for a segment of no docs.
    uint32_t num_docs = 0;
    uint32_t shard = 0;  // Which shard of the map it is of.
  };
  struct Candidate;
  // What one part's search found.
  struct Found;
  // The parts' finds together: totals summed, facet lists, candidates in
  // merged order (MergedBefore).
  struct Merged;
  static Merged Merge(const SearchRequest& req, bool tiered, std::vector<Found>* found);

  ShardedIndexImpl() = default;
  // Loads the shards once; Aborted if one is not at the map's generation.
  static Result<std::unique_ptr<ShardedIndexImpl>> Load(const std::string& dir,
                                                        const OpenOptions& options,
                                                        const ShardedIndexOptions& sharded,
                                                        const ShardedIndexImpl* previous);
  // The statistics of the shards not opened: their dictionary extracts.
  Status LoadStatistics(const ShardedIndexImpl* previous,
                        std::vector<GlobalStats::Part>* stats_parts);
  Status CheckRequest(const SearchRequest& req) const;
  Result<SearchResponse> SearchUnchecked(const SearchRequest& req) const;
  // The sequence number of `part`'s doc `local`.
  uint32_t SeqOf(const Part& part, uint32_t local) const;
  // The first doc of `part` whose sequence number is >= seq (> seq with
  // `after`), or its doc count.
  uint32_t SeqBound(const Part& part, uint64_t seq, bool after) const;
  // `at` as a search_after position in each part.
  std::vector<ForeignCursor> PositionsFor(const ShardPosition& at) const;
  // Each part's offset + k best of `req` (after cursors[p], if any), in
  // parallel; the first error, if any.
  Result<std::vector<Found>> CollectParts(const SearchRequest& req,
                                          const std::vector<ForeignCursor>& cursors) const;
  // Candidates [begin, end) of `cands` (ordered) as finished hits, doc =
  // sequence number.
  Result<std::vector<Hit>> FinishHits(const SearchRequest& req, const std::vector<Candidate>& cands,
                                      size_t begin, size_t end,
                                      const std::vector<Found>& found) const;

  std::string dir_;
  OpenOptions options_;
  ShardedIndexOptions sharded_;
  ShardMap map_;
  Schema schema_;                               // The index's (no sequence field).
  std::vector<uint32_t> served_;                // Shards opened, ascending.
  std::vector<std::unique_ptr<Index>> shards_;  // A SegmentedIndex per served shard.
  // The dictionary extracts of the other shards' segments and tombstones,
  // by path (shared with the next snapshot).
  std::map<std::string, std::shared_ptr<const IndexReader>> extracts_;
  std::vector<Part> parts_;
  std::shared_ptr<GlobalStats> stats_;
  std::shared_ptr<FanOut> pool_;
  uint64_t num_docs_ = 0;
};

}  // namespace libsearch::internal
