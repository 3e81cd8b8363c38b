// Block-max MaxScore: unions collected by essential and non-essential clauses.
#pragma once

#include <cstdint>

#include "query/scorers/combined_term_scorer.h"
#include "query/scorers/disjunction_scorer.h"
#include "query/top_k.h"

namespace libsearch::internal {

// The bulk MaxScore path for a union of terms whose double sums are exact
// (so the order of summing does not matter): per window, the essential
// terms' docs are scored in bulk into one accumulator per doc, with no
// per-doc virtual call and no per-doc scan of all clauses. Counts every
// match until more than count_up_to are seen (as CollectTop in collect.h)
// and sets *count; only then prunes. False (nothing done) if it does not
// apply. A word over several fields, with its expansions, is such a union:
// the scorer builder flattens it.
bool MaxScoreBulk(DisjunctionScorer* u, TopK* top, uint64_t count_up_to, uint64_t* count);

// Top-k of one word over several fields by the same bulk path (a union of
// one clause), counting as CollectTop in collect.h.
uint64_t CombinedCollectTop(CombinedTermScorer* s, TopK* top, uint64_t count_up_to);

// Block-max pruning of any union (as BlockMaxPruning in block_max.h): the
// bulk path when it applies, else MaxScore doc by doc over the clauses.
void MaxScorePruning(DisjunctionScorer* u, TopK* top);

}  // namespace libsearch::internal
