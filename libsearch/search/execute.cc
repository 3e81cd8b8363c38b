// Stage 3: runs a plan's query tree into its collector. Top-k by score
// prunes with block maxima once the count threshold is reached (COUNT
// never scores); sort orders, cursors and facets visit every match into
// the SortCollector and the FacetCounters, a block at a time (visit_all.h).
#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "query/scorers/constant_score.h"
#include "search/index_impl.h"
#include "search/sort_collector.h"
#include "search/typo_tiers.h"
#include "search/visit_all.h"

namespace libsearch::internal {

Result<Collected> IndexImpl::Execute(const SearchRequest& req, SearchPlan plan) const {
  if (plan.collector == SearchPlan::Collector::kVisitAll) {
    return CollectVisitingAll(req, std::move(plan));
  }
  Collected out;
  std::vector<ScoredDoc> best;
  if (plan.collector == SearchPlan::Collector::kTieredTopK) {
    std::vector<uint32_t> tiers;
    LIBSEARCH_RETURN_IF_ERROR(
        TieredTopK(req, std::move(plan.query), plan.keep, &out.resp, &best, &out.matched, &tiers));
    if (tiers.size() > req.offset) out.tiers.assign(tiers.begin() + req.offset, tiers.end());
  } else {
    LIBSEARCH_RETURN_IF_ERROR(RunTopK(*plan.query, req, plan.keep, &out.resp, &best, &out.matched));
  }
  if (best.size() > req.offset) out.resp.hits.reserve(best.size() - req.offset);
  for (size_t i = req.offset; i < best.size(); ++i) {
    Hit hit;
    hit.doc = best[i].doc;
    hit.score = best[i].score;
    out.resp.hits.push_back(std::move(hit));
  }
  return out;
}

Status IndexImpl::RunTopK(const Query& query, const SearchRequest& req, size_t keep,
                          SearchResponse* resp, std::vector<ScoredDoc>* best,
                          MatchedTerms* matched) const {
  ScorerContext ctx(reader_.get(), options_.bm25, stats());
  Configure(&ctx, /*visit_all=*/false, /*collect_terms=*/!req.highlight.fields.empty());
  std::unique_ptr<Scorer> scorer = CreateScorer(query, &ctx);
  TopK top(keep);
  // A segment's deleted docs are dropped by the collector, not by a clause
  // of the query: a conjunction stays one (block-max AND), a union MaxScore.
  // Most collectors count them; they are taken off the count below.
  top.set_excluded(deleted_bits_.get());
  const uint64_t num_deleted = hooks_.deleted != nullptr ? hooks_.deleted->cardinality() : 0;
  const bool pushes_counted = CollectTopPushesCounted(*scorer);
  // Paths that count doc by doc count only live docs: no slack, no fixing.
  const bool counts_live = CollectTopCountsLive(*scorer);
  resp->total = 0;
  resp->total_exact = true;
  if (top.k() == 0) {  // COUNT: never score.
    const uint64_t n = CountMatches(scorer.get(), reader_->num_docs());
    uint64_t live = n;
    // Fewer matches than deleted docs: walking the matches is cheaper than
    // leapfrogging the deleted docs.
    if (num_deleted > 0 && n < num_deleted) {
      LIBSEARCH_RETURN_IF_ERROR(LiveMatches(query, n, &live));
    } else if (num_deleted > 0) {
      uint64_t gone = 0;
      LIBSEARCH_RETURN_IF_ERROR(DeletedMatches(query, &gone));
      live = n - gone;
    }
    resp->total = live;
  } else {
    // Exhaustive while counting, then block-max pruning from where it
    // stopped. Paths that count doc by doc count live docs only
    // (CollectTopCountsLive). The others count up to num_deleted more: past
    // threshold + num_deleted, more than the threshold of live docs match
    // whatever was deleted. (At most threshold more: with many deletes, a
    // broad query would otherwise go unpruned that long; LiveMatches
    // settles it.)
    const uint64_t threshold = req.total_hits_threshold;
    const uint64_t slack = counts_live ? 0 : std::min(num_deleted, threshold);
    const uint64_t count_up_to = threshold > UINT64_MAX - slack ? UINT64_MAX : threshold + slack;
    bool counted_live = false;
    const uint64_t n = CollectTop(scorer.get(), &top, count_up_to, &counted_live);
    uint64_t live = threshold + 1;  // More than the threshold.
    if (n <= count_up_to) {
      uint64_t gone = 0;
      if (counted_live || num_deleted == 0) {
        gone = 0;
      } else if (pushes_counted) {
        gone = top.num_excluded();
      } else {
        LIBSEARCH_RETURN_IF_ERROR(DeletedMatches(query, &gone));
      }
      live = n - gone;
    } else if (!counted_live && slack < num_deleted) {
      LIBSEARCH_RETURN_IF_ERROR(LiveMatches(query, threshold + 1, &live));
    }
    resp->total = std::min(live, threshold);
    resp->total_exact = live <= threshold;
  }
  if (ctx.corrupt()) return CorruptPostings();
  *best = top.Take();
  *matched = ctx.matched_terms();
  return Status::Ok();
}

// The segment's deleted docs leapfrogged with the query's matches (both
// usually few where this runs: a count below the threshold).
Status IndexImpl::DeletedMatches(const Query& query, uint64_t* count) const {
  ScorerContext ctx(reader_.get(), options_.bm25, stats());
  Configure(&ctx, /*visit_all=*/true, /*collect_terms=*/false);
  std::unique_ptr<Scorer> q = CreateScorer(query, &ctx);
  DocSetScorer del(hooks_.deleted);
  uint64_t n = 0;
  uint32_t a = del.doc(), b = q->doc();
  while (a != kNoMoreDocs && b != kNoMoreDocs) {
    if (a < b) {
      a = del.Advance(b);
    } else if (b < a) {
      b = q->Advance(a);
    } else {
      ++n;
      a = del.Next();
    }
  }
  if (ctx.corrupt()) return CorruptPostings();
  *count = n;
  return Status::Ok();
}

// The query's matches walked, the deleted skipped, until `limit` live.
Status IndexImpl::LiveMatches(const Query& query, uint64_t limit, uint64_t* count) const {
  ScorerContext ctx(reader_.get(), options_.bm25, stats());
  Configure(&ctx, /*visit_all=*/true, /*collect_terms=*/false);
  std::unique_ptr<Scorer> q = CreateScorer(query, &ctx);
  uint64_t n = 0;
  for (uint32_t d = q->doc(); d != kNoMoreDocs && n < limit; d = q->Next()) {
    n += deleted_bits_ == nullptr || !deleted_bits_->Contains(d);
  }
  if (ctx.corrupt()) return CorruptPostings();
  *count = n;
  return Status::Ok();
}

// Hits are left without ids and docs (the fetch stage adds them).
Result<Collected> IndexImpl::CollectVisitingAll(const SearchRequest& req, SearchPlan plan) const {
  ScorerContext ctx(reader_.get(), options_.bm25, stats());
  Configure(&ctx, /*visit_all=*/true, /*collect_terms=*/!req.highlight.fields.empty());
  SortCollector sorted(&*plan.order, plan.keep);
  // Typo tiers (relevance order only): 0 if the doc matches the query
  // without typos, 1 if it needs one.
  std::unique_ptr<TypoTier> tiers;
  uint32_t cursor_tier = 0;
  if (TypoTiered(req) && plan.keep > 0) {
    LIBSEARCH_ASSIGN_OR_RETURN(tiers, TypoTier::Create(*this, req));
    if (plan.cursor) {
      LIBSEARCH_ASSIGN_OR_RETURN(auto tier_of_cursor, TypoTier::Create(*this, req));
      cursor_tier = tier_of_cursor->At(plan.cursor->first);
    }
  }
  std::optional<HitOrder::Position> cursor;
  if (plan.cursor) {
    cursor = plan.order->CursorAt(plan.cursor->first, plan.cursor->second, cursor_tier);
  } else if (plan.foreign_cursor) {
    cursor = *plan.foreign_cursor;
  }
  if (cursor) sorted.SetCursor(*cursor);
  std::vector<FacetCounter>& counters = plan.facets;
  Collected out;
  const bool batched = BatchedVisitAll();
  if (batched) {
    MatchBlocks matches(*plan.query, hooks_.deleted.get(), deleted_bits_.get(), &ctx,
                        /*few_scored=*/plan.keep == 0 || plan.order->LeadsWithValue());
    std::vector<FacetCounter*> conjunctive;
    for (size_t i = 0; i < counters.size(); ++i) {
      if (plan.lift[i] < 0) conjunctive.push_back(&counters[i]);
    }
    out.resp.total = VisitBlocks(&matches, *plan.order, cursor ? &*cursor : nullptr, tiers.get(),
                                 conjunctive, &sorted);
  } else {
    // The reference (doc by doc) the batched path is tested against.
    std::unique_ptr<Scorer> scorer = CreateScorer(*plan.query, &ctx);
    for (uint32_t d = scorer->doc(); d != kNoMoreDocs; d = scorer->Next()) {
      ++out.resp.total;
      for (size_t i = 0; i < counters.size(); ++i) {
        if (plan.lift[i] < 0) counters[i].Add(d);
      }
      // Sort values alone often settle it: then the doc is never scored.
      if (!sorted.MayKeep(d)) continue;
      const float score = scorer->Score();
      sorted.Offer({score, d, tiers ? tiers->At(d) : 0});
    }
  }
  if (tiers && tiers->corrupt()) return CorruptPostings();
  if (ctx.corrupt()) return CorruptPostings();
  out.matched = ctx.matched_terms();
  // Disjunctive facets whose field is filtered get a pass of their own
  // with those filters lifted; the others were counted above.
  for (size_t i = 0; i < counters.size(); ++i) {
    if (plan.lift[i] < 0) continue;
    LIBSEARCH_ASSIGN_OR_RETURN(auto lifted, Parse(req, plan.lift[i]));
    lifted = ExcludeDeleted(std::move(lifted));
    ScorerContext lctx(reader_.get(), options_.bm25, stats());
    Configure(&lctx, /*visit_all=*/true, /*collect_terms=*/false);
    if (batched) {
      MatchBlocks matches(*lifted, hooks_.deleted.get(), deleted_bits_.get(), &lctx,
                          /*few_scored=*/true);
      CountBlocks(&matches, &counters[i]);
    } else {
      auto s = CreateScorer(*lifted, &lctx);
      for (uint32_t d = s->doc(); d != kNoMoreDocs; d = s->Next()) counters[i].Add(d);
    }
    if (lctx.corrupt()) return CorruptPostings();
  }
  for (const FacetCounter& c : counters) {
    LIBSEARCH_ASSIGN_OR_RETURN(FacetResult f, c.Finish());
    out.resp.facets.push_back(std::move(f));
  }
  const std::vector<SortCollector::Entry> page = sorted.Take();
  for (size_t i = req.offset; i < page.size(); ++i) {
    Hit hit;
    hit.doc = page[i].doc;
    hit.score = page[i].score;
    out.resp.hits.push_back(std::move(hit));
  }
  return out;
}

Status IndexImpl::BuildScorer(const SearchRequest& req, std::unique_ptr<Query>* query,
                              std::unique_ptr<ScorerContext>* ctx, std::unique_ptr<Scorer>* scorer,
                              uint32_t tier_edits) const {
  LIBSEARCH_ASSIGN_OR_RETURN(*query, Parse(req));
  // The docs of tiers <= tier_edits as the tiered top-k's rounds take
  // them (TieredTopK): led by the words' expansions of at most that many
  // edits where the words can lead, so that a doc's tier is the same
  // whichever path asks (a BM25F group leads if any field's pick does).
  if (tier_edits != kAllTiers && !LimitTypoLeads(query->get(), tier_edits, schema())) {
    LimitTypos(query->get(), tier_edits);
  }
  *ctx = std::make_unique<ScorerContext>(reader_.get(), options_.bm25, stats());
  Configure(ctx->get(), /*visit_all=*/false, /*collect_terms=*/false);
  *scorer = CreateScorer(**query, ctx->get());
  return Status::Ok();
}

void IndexImpl::Configure(ScorerContext* ctx, bool visit_all, bool collect_terms) const {
  ctx->set_typo_cache(typo_cache_.get());
  ctx->set_term_filters(term_filters());
  ctx->set_visit_all(visit_all);
  ctx->set_collect_terms(collect_terms);
}

Status IndexImpl::CorruptPostings() const {
  return Status::Corruption("index '" + reader_->path() +
                            "': postings are damaged; run `libsearch verify` and rebuild");
}

}  // namespace libsearch::internal
