// Which runs of adjacent segments to merge: a pure function of the
// segments' sizes (docs/design-notes.md, "Merge policy").
#pragma once

#include <cstdint>
#include <vector>

#include "libsearch/index_writer.h"

namespace libsearch::internal {

struct SegmentSize {
  uint64_t docs = 0;     // In the segment file, deleted included.
  uint64_t deleted = 0;  // <= docs.
};

// Segments [begin, end) of the list, merged into one at `begin`.
struct MergeWindow {
  size_t begin = 0;
  size_t end = 0;
  bool operator==(const MergeWindow&) const = default;
};

// The merges to run on `segments` (in index order): disjoint windows in
// ascending order. A window of one segment rewrites it without its deleted
// docs. Deterministic; empty if the index is within the policy.
std::vector<MergeWindow> FindMerges(const std::vector<SegmentSize>& segments,
                                    const MergePolicyOptions& options);

// How many segments the tiers allow for `live_docs` documents.
uint64_t AllowedSegmentCount(uint64_t live_docs, const MergePolicyOptions& options);

// Delete generations of a segment (oldest first, the newest last: a
// commit's new deletes) are kept few by merging the newest ones, tiered as
// segments are: generation sizes fall in tiers of powers of
// kDeleteGenerationsPerTier, and when that many newest generations are of
// the newest one's tier or below, they merge, repeatedly. So a commit indexes
// its own deletes and, now and then, a run of recent ones; each deleted doc
// is indexed into a tombstone about log_8(deleted docs / commit size) + 1
// times, and a segment has at most about 7 generations per tier.
// Returns the index of the first generation to merge with the newest
// (sizes.size() - 1: none). REQUIRES: sizes is not empty.
inline constexpr size_t kDeleteGenerationsPerTier = 8;
size_t DeleteGenerationsToMerge(const std::vector<uint64_t>& sizes);

}  // namespace libsearch::internal
