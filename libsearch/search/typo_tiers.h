// Typo tiers: with SearchRequest::typos in relevance order, docs that match
// without a typo rank above those that need one edit in a word, which rank
// above those that need two. A correction (a neighbour of a typed word that
// is far likelier to be what was meant, query/scorer_builder.cc) counts as
// exact.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "libsearch/index.h"
#include "query/query.h"
#include "query/scoring.h"

namespace libsearch::internal {

class IndexImpl;

// Leaves the typo expansions of `q`'s words beyond `tier_edits` edits out
// (Query::tier_edits), so the tree matches the docs of tiers <= tier_edits.
void LimitTypos(Query* q, uint32_t tier_edits);

// Sets Query::lead_edits on each word of `q` with typos, so the tree
// matches the docs of tiers <= lead_edits scored as the whole query, and
// returns true; or returns false, leaving q unchanged, when a word with
// typos is not one the scorer builder can lead (a word in an OR of words,
// or over several fields scored per field): then a tier is `q AND
// LimitTypos(q)`, which advances all of q's expansions on every doc of
// the tier.
// If `words` is given, sets it to the number of words led.
bool LimitTypoLeads(Query* q, uint32_t lead_edits, const Schema& schema, size_t* words = nullptr);

// The tier of docs, asked in increasing doc order.
class TypoTier {
 public:
  // From the request's query without its filters: asked only about docs
  // that pass them.
  static Result<std::unique_ptr<TypoTier>> Create(const IndexImpl& index, const SearchRequest& req);
  // 0, 1 or 2 (below tiers()). REQUIRES: docs increase.
  uint32_t At(uint32_t doc) {
    for (uint32_t t = 0; t + 1 < tiers_; ++t) {
      Level& level = levels_[t];
      if (level.scorer->doc() < doc) level.scorer->Advance(doc);
      if (level.scorer->doc() == doc) return t;
    }
    return tiers_ - 1;
  }
  // How many tiers there are: 2, or 3 if a word may have two edits.
  uint32_t tiers() const { return tiers_; }
  bool corrupt() const;

 private:
  struct Level {
    std::unique_ptr<Query> query;
    std::unique_ptr<ScorerContext> ctx;
    std::unique_ptr<Scorer> scorer;
  };
  Level levels_[2];  // Matching tiers <= 0 and <= 1.
  uint32_t tiers_ = 2;
};

}  // namespace libsearch::internal
