// Facet counts over every match: top keyword values or numeric ranges.
// A disjunctive facet counts the matches of the query with the filters on
// its own field lifted (OnlyUsesField says which filters those are).
#pragma once

#include <cstdint>
#include <vector>

#include "index/index_reader.h"
#include "libsearch/index.h"
#include "query/query.h"

namespace libsearch::internal {

// Counts one facet over the docs passed to Add().
class FacetCounter {
 public:
  static Result<FacetCounter> Create(const IndexReader& reader, const FacetRequest& request);
  void Add(uint32_t doc);
  // Add() of docs[0, n): one loop over the column per block instead of a
  // call per doc (the common forms: a dense keyword column, ranges).
  void AddBlock(const uint32_t* docs, uint32_t n);
  // Keyword fields: Finish() returns every value counted, not the top
  // `size` (a segment's counts, summed with the other segments' first).
  void KeepAllValues() { all_values_ = true; }
  // Top values (keyword) or range counts, with values decoded from the
  // dictionary. Corruption if ordinals were out of range.
  Result<FacetResult> Finish() const;

 private:
  const IndexReader* reader_ = nullptr;
  const FacetRequest* request_ = nullptr;
  uint32_t field_ = 0;
  const KeywordColumn* keyword_ = nullptr;
  const NumericColumn* numeric_ = nullptr;
  std::vector<uint64_t> counts_;  // Per ordinal (keyword) or per range.
  bool corrupt_ = false;
  bool all_values_ = false;
};

// Merges facet counts of several parts (segments, shards; each the
// request's facets in order, keyword values as KeepAllValues gives them)
// into *out: range counts summed in request order; keyword counts summed by
// value, then the request's `size` most frequent (ties by value), or every
// value by value with `keep_all` (a shard's counts, for a coordinator to
// merge with the other shards').
void MergeFacetCounts(const SearchRequest& req, std::vector<std::vector<FacetResult>> parts,
                      bool keep_all, std::vector<FacetResult>* out);

// True iff every leaf of `q` is on field `f` (so lifting it is a facet's
// "disjunctive" view of that field).
bool OnlyUsesField(const Query& q, uint32_t f);

}  // namespace libsearch::internal
