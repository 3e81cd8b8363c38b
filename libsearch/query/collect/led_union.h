// Top-k of a LedUnionScorer (a word's typo tier): MaxScore with exact
// bounds for the clauses that do not lead.
#pragma once

#include <cstdint>

#include "query/scorers/led_union_scorer.h"
#include "query/top_k.h"

namespace libsearch::internal {

// Pushes s's first count_up_to live docs (CountLive), then every later doc
// that could enter `top`; returns the count of live docs (count_up_to + 1 if
// docs were left uncounted), as CollectTop does. Leaves s exhausted.
//
// A generic block-max loop over the union bounds each window by every
// clause's block maximum, and a rare typo neighbour's is large: the frequent
// word's windows would never be skipped. Here the leads run block-max, and
// a window their bound cannot win is skipped if the followers' block
// maxima cannot lift it either; otherwise the followers' docs in it are
// read, with their scores, and the largest follower sum recorded there
// bounds them instead.
uint64_t LedUnionCollectTop(LedUnionScorer* s, TopK* top, uint64_t count_up_to);

}  // namespace libsearch::internal
