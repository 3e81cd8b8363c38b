// Collection entry points: how the searcher consumes a scorer tree. Each
// picks the strategy the scorer's family supports (block arrays for a term,
// block-max AND, MaxScore for unions, req-opt for boolean queries, generic
// block-max windows otherwise).
#pragma once

#include <cstdint>

#include "query/collect/count.h"
#include "query/scorer.h"
#include "query/top_k.h"

namespace libsearch::internal {

// Top-k collection with exact counting up to a threshold: feeds `top` every
// match from scorer->doc() on, counting them, until more than `count_up_to`
// have been seen; from there on only docs that could still enter it
// (ForEachPruning). Leaves the scorer exhausted. Returns the count, capped
// at count_up_to + 1, which means "more than count_up_to match".
// *counted_live (if not null) tells whether the path counted only the docs
// `top` does not exclude (CountLive) or every match.
uint64_t CollectTop(Scorer* scorer, TopK* top, uint64_t count_up_to, bool* counted_live = nullptr);

// Whether CollectTop will count only live docs (those `top` does not
// exclude, TopK::set_excluded) towards count_up_to and in its result: the
// paths that count doc by doc (CountLive). Then a segment's deleted docs
// cost no extra counting before pruning starts. A forecast, for choosing
// count_up_to (a union MaxScore does not take counts doc by doc too);
// CollectTop's *counted_live says what it did.
bool CollectTopCountsLive(const Scorer& scorer);

// Pushes the live docs of `s` from s->doc() on into `top` (excluded ones
// are skipped unscored and uncounted), adding them to *n, until the first
// live doc with *n >= count_up_to; returns that doc (kNoMoreDocs if none).
uint32_t CountLive(Scorer* s, TopK* top, uint64_t count_up_to, uint64_t* n);

// Whether CollectTop pushes each doc it counts into `top` while counting
// (then TopK::num_excluded() is how many of them it dropped): all paths
// but the bulk MaxScore ones (unions, words over several fields), which
// screen docs against the threshold even while counting.
bool CollectTopPushesCounted(const Scorer& scorer);

// Feeds `top` every doc from scorer->doc() on that could still enter it,
// skipping windows whose bound cannot beat top->min_score(). Docs that are
// skipped are not counted anywhere.
void ForEachPruning(Scorer* scorer, TopK* top);

}  // namespace libsearch::internal
