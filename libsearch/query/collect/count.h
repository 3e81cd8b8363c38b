// COUNT: the number of matches, never scoring.
#pragma once

#include <cstdint>

#include "query/scorer.h"
#include "util/count_bitset.h"

namespace libsearch::internal {

// The number of docs `scorer` matches from its current doc on; may leave it
// exhausted. In order of preference: a count known without decoding (a term
// that has not moved: its doc_freq); a bulk path (block-at-a-time AND of
// terms, a skewed pair of terms); unions of terms OR-ed into a per-thread
// CountBitset, which counts and clears only the 512-doc lines they wrote,
// unless they are so short (cost < num_docs / 32768) that scanning the line
// flags would cost more than merging; anything else is iterated.
uint64_t CountMatches(Scorer* scorer, uint32_t num_docs);

// Whether CountInto can set the bits of `s`'s matches: terms and unions of
// terms can (a union's matches are the OR of its clauses': each list is
// walked once, with no merging).
bool CanCountInto(const Scorer* s);
// Sets bit d of `bits` for every remaining match d, leaving `s` exhausted.
// REQUIRES: CanCountInto(s).
void CountInto(Scorer* s, CountBitset* bits);

}  // namespace libsearch::internal
