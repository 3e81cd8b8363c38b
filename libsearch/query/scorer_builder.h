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

// Whether q only sums terms: a scored term (expansions included), or a
// scored OR of such. A word searched in several fields, with its prefix and
// typo expansions, is one; it becomes one flat union of all its terms
// (no union per field inside a union, and the bulk MaxScore path applies).
bool IsUnionOfTerms(const Query& q);

// Whether CreateScorer scores q as one BM25F word over several fields (a
// combine_fields group with at least two term leaves on text fields), the
// node whose Query::lead_edits it honours.
bool CombinesAsOneWord(const Query& q, const Schema& schema);

}  // namespace libsearch::internal
