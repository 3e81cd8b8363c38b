// Exact phrases over positional postings, as a two-phase scorer.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "index/bm25.h"
#include "index/index_reader.h"
#include "index/postings_cursor.h"
#include "query/scorer.h"
#include "query/scorers/leapfrog.h"

namespace libsearch::internal {

// Exact phrase: all terms at positions p + offsets[i]. Lucene semantics:
// freq = number of start positions that match; idf = sum of the terms' idfs.
// A word repeated in the phrase ("to be or not to be") is one cursor with
// several offsets: it is intersected and decoded once.
class PhraseScorer final : public Scorer {
 public:
  // `cursors` holds each distinct term once; phrase word i is term
  // terms[i] at offsets[i].
  PhraseScorer(std::vector<PostingsCursor*> cursors, const std::vector<uint32_t>& terms,
               const std::vector<uint32_t>& offsets, const FieldReader* field, float weight,
               const NormInverseTable* table);
  ScorerFamily family() const override { return ScorerFamily::kPhrase; }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override { return doc_ = doc_ == kNoMoreDocs ? doc_ : FindMatch(doc_ + 1); }
  uint32_t Advance(uint32_t t) override { return doc_ = FindMatch(t); }
  float Score() override { return Bm25Score(weight_, freq_, (*table_)[field_->norm(doc_)]); }
  uint64_t cost() const override { return by_rarity_[0]->doc_freq(); }
  // w - w / (1 + f * n) never exceeds w.
  float MaxScore() override { return weight_; }
  uint32_t ShallowAdvance(uint32_t target) override {
    uint32_t up_to = kNoMoreDocs;
    for (PostingsCursor* c : cursors_) up_to = std::min(up_to, c->ShallowAdvance(target));
    return up_to;
  }
  float GetMaxScore(uint32_t up_to) override;
  // What bounds a match's score up to `up_to`: the smallest block max_tf and
  // the largest block min_norm over the terms (a match's freq is at most
  // each term's tf, its norm at least each term's min_norm). False if a
  // term has no docs left; *tf is UINT32_MAX if no term has block entries.
  bool BlockBound(uint32_t up_to, uint32_t* tf, uint8_t* norm);
  // The current doc's phrase frequency, once Next(), Advance() or
  // Confirm() found it matching.
  uint32_t freq() const { return freq_; }
  bool TwoPhase() const override { return true; }
  uint32_t ApproxAdvance(uint32_t target) override {
    return doc_ = lazy_ended_ ? kNoMoreDocs : Align(aligned_, target);
  }
  bool Confirm() override {
    freq_ = PhraseFreq(doc_);
    return freq_ > 0;
  }
  // A bound on the score of the current approximate doc, before Confirm():
  // its phrase freq is at most the smallest tf of the aligned terms.
  float ApproxBound() const {
    uint32_t tf = UINT32_MAX;
    for (PostingsCursor* c : aligned_) tf = std::min(tf, c->freq());
    return Bm25Score(weight_, tf, (*table_)[field_->norm(doc_)]);
  }

 private:
  uint32_t FindMatch(uint32_t target);
  uint32_t PhraseFreq(uint32_t doc);

  std::vector<PostingsCursor*> cursors_;  // Distinct terms.
  std::vector<uint32_t> offsets_;         // Term t's: [offset_begin_[t], offset_begin_[t + 1]).
  std::vector<uint32_t> offset_begin_;
  static constexpr size_t kAligned = 2;
  std::vector<PostingsCursor*> by_rarity_;
  std::vector<PostingsCursor*> aligned_;  // The kAligned first of by_rarity_.
  std::vector<uint32_t> rarity_index_;    // by_rarity_[k] == cursors_[rarity_index_[k]].
  const FieldReader* field_;
  float weight_;
  const NormInverseTable* table_;
  std::vector<uint32_t> starts_;  // Reused scratch.
  uint32_t doc_ = kNoMoreDocs;
  uint32_t freq_ = 0;
  bool lazy_ended_ = false;  // A term past aligned_ has no docs left.
};

// Inline: the phrase's hot loop, called from its iteration and from the
// pruning strategy (query/collect/block_max.cc).
inline uint32_t PhraseScorer::FindMatch(uint32_t target) {
  while (true) {
    target = Align(aligned_, target);
    if (target == kNoMoreDocs) return kNoMoreDocs;
    freq_ = PhraseFreq(target);
    if (freq_ > 0) return target;
    if (lazy_ended_) return kNoMoreDocs;
    ++target;
  }
}

// Phrase start positions present for every term, counted (Lucene's exact
// phrase frequency). Terms are checked rarest first: the first one's
// positions at its first offset give the candidate starts; each further
// (term, offset) keeps those it confirms, decoding positions only up to
// the last surviving start's, and only while some start survives. A
// repeated word is checked once per offset: re-reading its positions with
// the runs skipped costs less than decoding them all once and merging per
// offset. (Ordering the terms by their tf in each doc instead did not pay:
// see docs/design-notes.md, Phrases.)
inline uint32_t PhraseScorer::PhraseFreq(uint32_t doc) {
  const size_t n = cursors_.size();
  const uint32_t lead = rarity_index_[0];
  uint32_t count = cursors_[lead]->PositionsInto(&starts_, offsets_[offset_begin_[lead]]);
  for (size_t k = 0; k < n && count > 0; ++k) {
    const uint32_t t = rarity_index_[k];
    if (k >= aligned_.size()) {  // Not aligned yet.
      PostingsCursor* c = cursors_[t];
      const uint32_t d = c->doc() < doc ? c->Advance(doc) : c->doc();
      if (d != doc) {
        lazy_ended_ = d == kNoMoreDocs;  // Then no later doc can match either.
        return 0;
      }
    }
    for (uint32_t o = offset_begin_[t] + (k == 0); o < offset_begin_[t + 1] && count > 0; ++o) {
      count = cursors_[t]->KeepPositions(starts_.data(), count, offsets_[o]);
    }
  }
  return count;
}

}  // namespace libsearch::internal
