// Per-search work shared by the segments of an index: the query tree is
// parsed once and copied for each segment (CloneQuery), and a segment
// whose dictionaries hold none of a required word is skipped before any
// plan or scorer is built for it (MayMatch).
#pragma once

#include <memory>

#include "index/index_reader.h"
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
bool MayMatch(const Query& q, const IndexReader& reader, const CollectionStats* stats);

}  // namespace libsearch::internal
