// Block-max AND: conjunctions collected a window of blocks at a time.
#pragma once

#include <cstdint>

#include "query/scorers/conjunction_scorer.h"
#include "query/top_k.h"

namespace libsearch::internal {

// Whether the block-at-a-time AND applies: two or more clauses, all terms.
inline bool BlockAndApplies(const ConjunctionScorer& conj) { return conj.terms().size() >= 2; }

// Top-k with exact counting up to count_up_to, then pruning (as CollectTop in
// collect.h). REQUIRES: BlockAndApplies(*conj).
uint64_t BlockAndCollect(ConjunctionScorer* conj, TopK* top, uint64_t count_up_to);

// COUNT of the remaining matches, scoring nothing. REQUIRES: BlockAndApplies.
uint64_t BlockAndCount(ConjunctionScorer* conj);

// Block-max pruning of any conjunction (as BlockMaxPruning in block_max.h).
void ConjunctionPruning(ConjunctionScorer* conj, TopK* top);

}  // namespace libsearch::internal
