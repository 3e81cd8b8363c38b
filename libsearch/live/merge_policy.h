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

}  // namespace libsearch::internal
