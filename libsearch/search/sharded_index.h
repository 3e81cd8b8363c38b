// ShardedIndexImpl: the Index of a sharded index (libsearch/sharded_index.h):
// every segment of every shard (each shard a SegmentedIndex) searched with
// one GlobalStats over all of them, in parallel on a FanOut, and merged in
// the order of one index: sort keys, score, then the documents' sequence
// numbers (storage/shard_map.h), which are that index's doc numbers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "libsearch/index.h"
#include "libsearch/sharded_index.h"
#include "search/global_stats.h"
#include "search/index_impl.h"
#include "storage/shard_map.h"
#include "util/fan_out.h"

namespace libsearch::internal {

class ShardedIndexImpl final : public Index {
 public:
  // Opens the shards at the generations `dir`'s shard map names, sharing
  // what `previous` (if any) has open.
  static Result<std::unique_ptr<Index>> Open(const std::string& dir, const OpenOptions& options,
                                             const ShardedIndexOptions& sharded,
                                             const ShardedIndexImpl* previous);

  Result<SearchResponse> Search(const SearchRequest& req) const override;
  Result<std::unique_ptr<Index>> Reopen() const override;
  Result<std::string> ExplainQuery(const SearchRequest& req) const override;
  Result<std::string> StoredDocument(uint32_t doc) const override;
  const Schema& schema() const override { return schema_; }
  uint64_t num_docs() const override { return num_docs_; }
  Result<IndexInfo> Info() const override;
  Status Verify() const override;

 private:
  // One segment of one shard.
  struct Part {
    std::shared_ptr<const IndexImpl> impl;  // With this index's statistics.
    std::shared_ptr<const DocSet> deleted;  // Null without deletes.
    const NumericColumn* seq = nullptr;     // Null only for a segment of no docs.
    uint32_t num_docs = 0;
    uint32_t shard = 0;  // Which shard it is of.
  };
  struct Candidate;
  // What one part's search found.
  struct Found;

  ShardedIndexImpl() = default;
  // Loads the shards once; Aborted if one is not at the map's generation.
  static Result<std::unique_ptr<ShardedIndexImpl>> Load(const std::string& dir,
                                                        const OpenOptions& options,
                                                        const ShardedIndexOptions& sharded,
                                                        const ShardedIndexImpl* previous);
  Status CheckRequest(const SearchRequest& req) const;
  Result<SearchResponse> SearchUnchecked(const SearchRequest& req) const;
  // The sequence number of `part`'s doc `local`.
  uint32_t SeqOf(const Part& part, uint32_t local) const;
  // The first doc of `part` whose sequence number is >= seq (> seq with
  // `after`), or its doc count.
  uint32_t SeqBound(const Part& part, uint64_t seq, bool after) const;
  // search_after as a position in each part (positions[p]); none if empty.
  Status ParseCursor(const SearchRequest& req, std::vector<ForeignCursor>* positions) const;

  std::string dir_;
  OpenOptions options_;
  ShardedIndexOptions sharded_;
  ShardMap map_;
  Schema schema_;                               // The index's (no sequence field).
  std::vector<std::unique_ptr<Index>> shards_;  // A SegmentedIndex each.
  std::vector<Part> parts_;
  std::shared_ptr<GlobalStats> stats_;
  std::shared_ptr<FanOut> pool_;
  uint64_t num_docs_ = 0;
};

}  // namespace libsearch::internal
