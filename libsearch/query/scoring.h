// The query layer's entry points for the searcher, in one include: build a
// scorer tree (CreateScorer, ScorerContext), iterate it (Scorer), or collect
// it (CountMatches, CollectTop, ForEachPruning).
#pragma once

#include "query/collect/collect.h"
#include "query/collect/count.h"
#include "query/scorer.h"
#include "query/scorer_builder.h"
#include "query/scorer_context.h"
#include "query/top_k.h"
