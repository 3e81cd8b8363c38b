// The visit-all collection loop, a block of matches at a time: facets are
// counted over each block in one loop per column, and a match is scored
// only if the sort's leading value (read inline, compared with the worst
// kept entry's and the cursor's) lets the SortCollector keep it.
#pragma once

#include <cstdint>
#include <span>

#include "query/collect/match_blocks.h"
#include "search/facet_collector.h"
#include "search/hit_order.h"
#include "search/sort_collector.h"
#include "search/typo_tiers.h"

namespace libsearch::internal {

// Whether CollectVisitingAll takes this path (the default) or its doc by doc
// loop, the reference the oracle test compares it with. For tests only.
void SetBatchedVisitAll(bool on);
bool BatchedVisitAll();

// Visits every match of `matches`: adds each to `counters` and offers to
// `sorted` those that MayKeep allows, with their score and typo tier
// (`tiers` may be null: tier 0). `cursor`: the one `sorted` was given, or
// null. Returns the number of matches.
uint64_t VisitBlocks(MatchBlocks* matches, const HitOrder& order, const HitOrder::Position* cursor,
                     TypoTier* tiers, std::span<FacetCounter* const> counters,
                     SortCollector* sorted);

// Adds every match of `matches` to `counter` (a disjunctive facet's pass).
void CountBlocks(MatchBlocks* matches, FacetCounter* counter);

}  // namespace libsearch::internal
