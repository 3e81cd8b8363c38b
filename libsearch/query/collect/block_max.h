// Block-max pruning doc by doc: any scorer, and phrases on their approximation.
#pragma once

#include "query/scorer.h"
#include "query/scorers/phrase_scorer.h"
#include "query/top_k.h"

namespace libsearch::internal {

// Feeds `top` every doc from s->doc() on that could still enter it: a
// window ends where the first clause's current block ends, and windows
// whose bound cannot beat top->min_score() are skipped on skip data alone.
// Works for any scorer (its bounds); skipped docs are not counted anywhere.
void BlockMaxPruning(Scorer* s, TopK* top);

// The same for a phrase, on its approximation (the terms' intersection), so
// that positions are read only for candidates that can win. Leaves the
// phrase exhausted.
void PhrasePruning(PhraseScorer* s, TopK* top);

}  // namespace libsearch::internal
