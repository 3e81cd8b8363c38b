// Block-max pruning of required + optional - excluded clauses.
#pragma once

#include "query/scorers/boolean_scorer.h"
#include "query/top_k.h"

namespace libsearch::internal {

// As BlockMaxPruning (block_max.h), for a BooleanScorer. Leaves it exhausted.
void ReqOptPruning(BooleanScorer* s, TopK* top);

}  // namespace libsearch::internal
