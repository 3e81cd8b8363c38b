#include "search/typo_tiers.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <utility>
#include <vector>

#include "query/scorer_builder.h"
#include "search/index_impl.h"

namespace libsearch::internal {
namespace {

uint32_t MaxEdits(const Query& q) {
  uint32_t m = q.max_edits;
  for (const auto* list : {&q.must, &q.should, &q.must_not}) {
    for (const auto& c : *list) m = std::max(m, MaxEdits(*c));
  }
  return m;
}

// The leaves with typos under q.
size_t TypoLeaves(const Query& q) {
  size_t n = q.kind == Query::Kind::kTerm && q.max_edits > 0;
  for (const auto* list : {&q.must, &q.should, &q.must_not}) {
    for (const auto& c : *list) n += TypoLeaves(*c);
  }
  return n;
}

// The words the builder can lead, reached from q through required clauses
// only: a tier requires each of them within its edits.
void LeadableWords(Query* q, const Schema& schema, std::vector<Query*>* words) {
  if ((q->kind == Query::Kind::kTerm && q->max_edits > 0) || CombinesAsOneWord(*q, schema)) {
    words->push_back(q);
    return;
  }
  if (q->kind != Query::Kind::kBoolean) return;
  for (auto& c : q->must) LeadableWords(c.get(), schema, words);
}

}  // namespace

bool LimitTypoLeads(Query* q, uint32_t lead_edits, const Schema& schema, size_t* num_words) {
  std::vector<Query*> words;
  LeadableWords(q, schema, &words);
  size_t covered = 0;
  for (const Query* w : words) covered += TypoLeaves(*w);
  if (covered != TypoLeaves(*q)) return false;
  for (Query* w : words) w->lead_edits = lead_edits;
  if (num_words != nullptr) *num_words = words.size();
  return true;
}

void LimitTypos(Query* q, uint32_t tier_edits) {
  if (q->max_edits > 0) q->tier_edits = tier_edits;
  for (auto* list : {&q->must, &q->should, &q->must_not}) {
    for (auto& c : *list) LimitTypos(c.get(), tier_edits);
  }
}

Result<std::unique_ptr<TypoTier>> TypoTier::Create(const IndexImpl& index,
                                                   const SearchRequest& req) {
  SearchRequest words = req;
  words.filters.clear();
  auto tier = std::make_unique<TypoTier>();
  for (uint32_t t = 0; t + 1 < tier->tiers_; ++t) {
    Level& level = tier->levels_[t];
    LIBSEARCH_RETURN_IF_ERROR(index.BuildScorer(words, &level.query, &level.ctx, &level.scorer, t));
    if (t == 0 && MaxEdits(*level.query) >= 2) tier->tiers_ = 3;
  }
  return tier;
}

bool TypoTier::corrupt() const {
  for (uint32_t t = 0; t + 1 < tiers_; ++t) {
    if (levels_[t].ctx->corrupt()) return true;
  }
  return false;
}

// Typo tiers in the top-k path: within a tier, by the typo query's score.
//
// Tier first (every typo word leadable, and not a lone prefix word): the best of the
// typo query led by the exact words (LimitTypoLeads), its expansions only
// scoring; when the exact tier fills the page, that is the page, and the
// only other work is counting the typo query's matches up to the
// threshold. Led by its exact words, a query of several words prunes on
// their intersection, where the whole typo query advances every expansion
// of each word.
//
// Whole query first (a lone prefix word, whose typo completions a led
// union alone would read in full, LedUnionCollectTop): the typo
// query's own top keep * 2 (its fast union path), checked for exact-tier
// docs in doc order; if at least `keep` of them are exact-tier, they are
// the page (any exact-tier doc left out ranks below all of them).
//
// Otherwise tier by tier: the best of the typo query led by the tier's
// expansions (LimitTypoLeads), or else of `typo query AND the tier's
// query`, holds every doc of the tiers before, which are already on the
// page, and the tier's best; the last tier's best come from the typo
// query alone.
Status IndexImpl::TieredTopK(const SearchRequest& req, std::unique_ptr<Query> full, size_t keep,
                             SearchResponse* resp, std::vector<ScoredDoc>* best,
                             MatchedTerms* matched, std::vector<uint32_t>* tiers_out) const {
  std::vector<ScoredDoc> page;
  std::vector<uint32_t> page_tiers;  // The round that put each doc on the page.
  std::set<uint32_t> seen;
  uint32_t first_tier = 0;
  bool counted = false;  // Whether resp has the typo query's total.
  LIBSEARCH_ASSIGN_OR_RETURN(auto led, Parse(req));
  size_t led_words = 0;
  bool tier_first = LimitTypoLeads(led.get(), 0, schema(), &led_words);
  tier_first = tier_first && (!req.prefix_last || led_words > 1);
  if (tier_first) {
    LIBSEARCH_RETURN_IF_ERROR(RunTopK(*led, req, keep, resp, &page, matched));
    for (const auto& sd : page) seen.insert(sd.doc);
    page_tiers.assign(page.size(), 0);
    // More exact-tier matches than the threshold: so many of the typo query's.
    counted = !resp->total_exact;
    first_tier = 1;
  } else {
    std::vector<ScoredDoc> top;
    LIBSEARCH_RETURN_IF_ERROR(RunTopK(*full, req, 2 * keep, resp, &top, matched));
    counted = true;
    LIBSEARCH_ASSIGN_OR_RETURN(auto tiers, TypoTier::Create(*this, req));
    std::vector<uint32_t> docs;
    docs.reserve(top.size());
    for (const auto& sd : top) docs.push_back(sd.doc);
    std::sort(docs.begin(), docs.end());
    std::set<uint32_t> exact_docs;
    for (uint32_t d : docs) {
      if (tiers->At(d) == 0) exact_docs.insert(d);
    }
    if (tiers->corrupt()) return CorruptPostings();
    if (exact_docs.size() >= keep) {
      best->clear();
      for (const auto& sd : top) {
        if (best->size() < keep && exact_docs.count(sd.doc)) best->push_back(sd);
      }
      tiers_out->assign(best->size(), 0);
      return Status::Ok();
    }
  }
  const uint32_t tiers = MaxEdits(*full) >= 2 ? 3 : 2;
  SearchRequest words = req;
  words.filters.clear();  // The typo query applies them.
  for (uint32_t t = first_tier; t < tiers && page.size() < keep; ++t) {
    LIBSEARCH_ASSIGN_OR_RETURN(auto query, Parse(req));
    if (t + 1 < tiers && !LimitTypoLeads(query.get(), t, schema())) {
      LIBSEARCH_ASSIGN_OR_RETURN(auto tier_query, Parse(words));
      LimitTypos(tier_query.get(), t);
      tier_query->scored = false;
      auto both = std::make_unique<Query>();
      both->kind = Query::Kind::kBoolean;
      both->must.push_back(std::move(query));
      both->must.push_back(std::move(tier_query));
      query = std::move(both);
    }
    SearchResponse scratch;
    MatchedTerms unused;
    std::vector<ScoredDoc> found;
    LIBSEARCH_RETURN_IF_ERROR(RunTopK(*query, req, keep, &scratch, &found, &unused));
    for (const auto& sd : found) {
      if (page.size() < keep && seen.insert(sd.doc).second) {
        page.push_back(sd);
        page_tiers.push_back(t);
      }
    }
    if (t + 1 == tiers && !counted) {  // The typo query itself.
      resp->total = scratch.total;
      resp->total_exact = scratch.total_exact;
      counted = true;
    }
  }
  if (!counted) {
    const uint64_t threshold = req.total_hits_threshold;
    uint64_t live = 0;
    LIBSEARCH_RETURN_IF_ERROR(
        LiveMatches(*full, threshold == UINT64_MAX ? threshold : threshold + 1, &live));
    resp->total = std::min(live, threshold);
    resp->total_exact = live <= threshold;
  }
  *best = std::move(page);
  *tiers_out = std::move(page_tiers);
  return Status::Ok();
}

}  // namespace libsearch::internal
