// One term collected a decoded block at a time.
#pragma once

#include <cstdint>

#include "query/scorers/term_scorer.h"
#include "query/top_k.h"

namespace libsearch::internal {

// Top-k of a single term with exact counting up to count_up_to (as
// CollectTop in collect.h), scored over the decoded block's arrays.
uint64_t TermCollectTop(TermScorer* t, TopK* top, uint64_t count_up_to);

// Block-max pruning of a single term (as BlockMaxPruning).
void TermPruning(TermScorer* t, TopK* top);

}  // namespace libsearch::internal
