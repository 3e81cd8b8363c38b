#include "search/typo_tiers.h"

#include <algorithm>
#include <set>
#include <utility>
#include <vector>

#include "search/index_impl.h"

namespace libsearch::internal {

Result<std::unique_ptr<ExactTier>> ExactTier::Create(const IndexImpl& index,
                                                     const SearchRequest& req) {
  SearchRequest exact = req;
  exact.typos = false;
  exact.filters.clear();
  auto tier = std::make_unique<ExactTier>();
  LIBSEARCH_RETURN_IF_ERROR(index.BuildScorer(exact, &tier->query_, &tier->ctx_, &tier->scorer_));
  return tier;
}

// Typo tiers in the top-k path: within a tier, by the typo query's score.
// Fast path: the typo query's own top keep * 2 (its fast union path),
// checked for exact-tier docs in doc order; if at least `keep` of them are
// exact-tier, they are the page (any exact-tier doc left out ranks below
// all of them). Otherwise exact matches are rare (usually a misspelling):
// the best of `typo query AND exact query` (cheap, led by the rare exact
// terms), then the typo query's best of the rest.
Status IndexImpl::TieredTopK(const SearchRequest& req, std::unique_ptr<Query> full, size_t keep,
                             SearchResponse* resp, std::vector<ScoredDoc>* best,
                             MatchedTerms* matched) const {
  std::vector<ScoredDoc> top;
  LIBSEARCH_RETURN_IF_ERROR(RunTopK(*full, req, 2 * keep, resp, &top, matched));
  {
    std::vector<uint32_t> docs;
    docs.reserve(top.size());
    for (const auto& sd : top) docs.push_back(sd.doc);
    std::sort(docs.begin(), docs.end());
    LIBSEARCH_ASSIGN_OR_RETURN(auto tier, ExactTier::Create(*this, req));
    std::set<uint32_t> exact_docs;
    for (uint32_t d : docs) {
      if (tier->At(d) == 0) exact_docs.insert(d);
    }
    if (tier->corrupt()) return CorruptPostings();
    if (exact_docs.size() >= keep) {
      best->clear();
      for (const auto& sd : top) {
        if (best->size() < keep && exact_docs.count(sd.doc)) best->push_back(sd);
      }
      return Status::Ok();
    }
  }
  SearchRequest exact = req;
  exact.typos = false;
  exact.filters.clear();  // `full` applies them.
  LIBSEARCH_ASSIGN_OR_RETURN(auto exact_query, Parse(exact));
  exact_query->scored = false;
  auto tier0 = std::make_unique<Query>();
  tier0->kind = Query::Kind::kBoolean;
  tier0->must.push_back(std::move(full));
  tier0->must.push_back(std::move(exact_query));
  SearchResponse tier0_resp;
  std::vector<ScoredDoc> first;
  MatchedTerms unused;
  LIBSEARCH_RETURN_IF_ERROR(RunTopK(*tier0, req, keep, &tier0_resp, &first, &unused));
  // `first` is now the whole page, or every exact-tier doc. With
  // first.size() more, the typo query's best still fill the page once
  // those are taken out.
  LIBSEARCH_ASSIGN_OR_RETURN(full, Parse(req));
  LIBSEARCH_RETURN_IF_ERROR(RunTopK(*full, req, keep + first.size(), resp, best, matched));
  std::set<uint32_t> seen;
  for (const auto& sd : first) seen.insert(sd.doc);
  for (const auto& sd : *best) {
    if (first.size() >= keep) break;
    if (seen.count(sd.doc) == 0) first.push_back(sd);
  }
  *best = std::move(first);
  return Status::Ok();
}

}  // namespace libsearch::internal
