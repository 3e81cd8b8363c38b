#include "query/scorers/phrase_scorer.h"

#include <algorithm>

namespace libsearch::internal {

PhraseScorer::PhraseScorer(std::vector<PostingsCursor*> cursors, const std::vector<uint32_t>& terms,
                           const std::vector<uint32_t>& offsets, const FieldReader* field,
                           float weight, const NormInverseTable* table)
    : cursors_(std::move(cursors)), field_(field), weight_(weight), table_(table) {
  // Sized once: a phrase query builds these per search.
  offset_begin_.reserve(cursors_.size() + 1);
  offsets_.reserve(terms.size());
  rarity_index_.reserve(cursors_.size());
  by_rarity_.reserve(cursors_.size());
  // Each term's offsets, increasing, back to back.
  for (uint32_t t = 0; t < cursors_.size(); ++t) {
    offset_begin_.push_back(static_cast<uint32_t>(offsets_.size()));
    for (size_t i = 0; i < terms.size(); ++i) {
      if (terms[i] == t) offsets_.push_back(offsets[i]);
    }
    std::sort(offsets_.begin() + offset_begin_.back(), offsets_.end());
  }
  offset_begin_.push_back(static_cast<uint32_t>(offsets_.size()));
  // Rarest term first: it leads the leapfrog and gives the candidate
  // starts (fewest to check).
  for (uint32_t t = 0; t < cursors_.size(); ++t) rarity_index_.push_back(t);
  std::stable_sort(rarity_index_.begin(), rarity_index_.end(), [this](uint32_t a, uint32_t b) {
    return cursors_[a]->doc_freq() < cursors_[b]->doc_freq();
  });
  for (uint32_t t : rarity_index_) by_rarity_.push_back(cursors_[t]);
  // The approximation intersects the kAligned rarest terms only. The
  // others (in a long phrase, mostly common words: "of", "the") are in
  // nearly every candidate, so intersecting them first would rule out
  // little; they are advanced to a candidate only once the rarer terms'
  // positions leave some start to check (see docs/design-notes.md, Phrases).
  aligned_.assign(by_rarity_.begin(), by_rarity_.begin() + std::min(by_rarity_.size(), kAligned));
  uint32_t start = 0;
  for (PostingsCursor* c : cursors_) start = std::max(start, c->doc());
  doc_ = FindMatch(start);
}

bool PhraseScorer::BlockBound(uint32_t up_to, uint32_t* tf, uint8_t* norm) {
  *tf = UINT32_MAX;
  *norm = 0;
  for (PostingsCursor* c : cursors_) {
    if (!c->has_block_entries()) continue;
    uint32_t term_tf = 0;
    uint8_t term_norm = 255;
    bool any = false;
    c->ForEachBlockBound(up_to, [&](uint32_t max_tf, uint8_t min_norm) {
      term_tf = std::max(term_tf, max_tf);
      term_norm = std::min(term_norm, min_norm);
      any = true;
    });
    if (!any) return false;  // This term has no docs left.
    *tf = std::min(*tf, term_tf);
    *norm = std::max(*norm, term_norm);
  }
  return true;
}

// BM25 rises with tf and falls with the norm code, so BlockBound's pair
// bounds every match in the window. Terms without block entries add no
// constraint.
float PhraseScorer::GetMaxScore(uint32_t up_to) {
  uint32_t tf;
  uint8_t norm;
  if (!BlockBound(up_to, &tf, &norm)) return 0;
  if (tf == UINT32_MAX) return weight_;
  return Bm25Score(weight_, tf, (*table_)[norm]);
}

}  // namespace libsearch::internal
