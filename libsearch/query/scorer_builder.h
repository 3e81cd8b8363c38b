// The Query -> Scorer step: builds the scorer tree of a query.
#pragma once

#include <memory>

#include "query/query.h"
#include "query/scorer.h"
#include "query/scorer_context.h"

namespace libsearch::internal {

// Builds the scorer tree for `query`. Terms missing from the index give
// scorers that match nothing. A word over several fields with its prefix
// and typo expansions becomes one flat union of term scorers.
std::unique_ptr<Scorer> CreateScorer(const Query& query, ScorerContext* ctx);

}  // namespace libsearch::internal
