// Per-search work shared by the segments of an index: the query tree is
// parsed once and copied for each segment (CloneQuery), and a segment
// whose dictionaries hold none of a required word is skipped before any
// plan or scorer is built for it (MayMatch).
#pragma once

#include <memory>
#include <span>

#include "index/index_reader.h"
#include "index/term_filter.h"
#include "query/collection_stats.h"
#include "query/query.h"

namespace libsearch::internal {

// A deep copy of `q` (doc sets are shared: they are immutable).
std::unique_ptr<Query> CloneQuery(const Query& q);

// False only if `q` matches no doc of `reader`: a required term (or every
// alternative of a required word: its fields, synonyms, typo candidates
// and prefix completions) is missing from the reader's dictionaries.
// Expansions are looked up among the index-wide ones of `stats` (what the
// scorer builder binds with them); without `stats`, a word with expansions
// may match. Ranges, doc sets and match-all may match.
// `filters[f]`, where present and not null, answers for field f's terms
// instead of its dictionary (its rare false "maybe" only costs a plan).
bool MayMatch(const Query& q, const IndexReader& reader, const CollectionStats* stats,
              std::span<const std::unique_ptr<TermFilter>> filters = {});

}  // namespace libsearch::internal
