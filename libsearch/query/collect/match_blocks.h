// The matches of a query a block of doc ids at a time, for collectors that
// visit every match (sort orders, cursors, facets). A query of words AND
// filters AND NOT deleted docs is walked by its words' scorer alone, with
// range filters read from their columns and deleted docs tested in their
// bits inline: a conjunction's leapfrog costs virtual Advance calls and a
// range scan per match that a direct column read does not. Words that are
// a broad union of terms (a short prefix, a word's typo expansions) are
// OR-ed into a bitset, as COUNT does, instead of merged doc by doc; the
// docs that need a score are then scored by a second scorer of the words,
// advanced to each.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "index/index_reader.h"
#include "query/query.h"
#include "query/scorer.h"
#include "query/scorer_context.h"
#include "util/count_bitset.h"
#include "util/doc_set.h"

namespace libsearch::internal {

// For tests: with checks on, every ScoreAbove that answers false also
// computes the score, and counts it if it was above the threshold after all
// (turning checks on resets the count).
void SetCheckScoreBounds(bool on);
uint64_t ScoreBoundViolations();

// Thread-safety: one walk per instance.
class MatchBlocks {
 public:
  static constexpr uint32_t kBlockDocs = 1024;

  // The matches of `query`, whose scorers are created in `ctx` in the order
  // CreateScorer(query) creates them (so that ctx's matched terms are the
  // same). `deleted` / `deleted_bits`: the segment's deleted docs, which a
  // must_not clause of `query` holding exactly `deleted` excludes (null:
  // none). `few_scored`: most matches will not be asked their Score() (a
  // sort on a field, or counting), which a bitset of the words pays for.
  // REQUIRES: every argument outlives the walk.
  MatchBlocks(const Query& query, const DocSet* deleted, const DocBits* deleted_bits,
              ScorerContext* ctx, bool few_scored);
  ~MatchBlocks();
  MatchBlocks(const MatchBlocks&) = delete;
  MatchBlocks& operator=(const MatchBlocks&) = delete;

  // Writes the next matches (at most kBlockDocs, increasing) to docs and
  // returns how many; 0 at the end. Calls on_match(d) for each while the
  // walk is on d, so that Score() is d's score there.
  template <typename OnMatch>
  uint32_t Fill(uint32_t* docs, OnMatch&& on_match) {
    if (bits_ != nullptr) return FillFromBits(docs, on_match);
    uint32_t n = 0;
    for (uint32_t d = lead_->doc(); d != kNoMoreDocs;) {
      if (Accept(d)) {
        docs[n++] = d;
        on_match(d);
      }
      d = lead_->Next();
      if (n == kBlockDocs) break;
    }
    return n;
  }
  // The score of the current match: the query's, computed by the words'
  // scorer alone (filters score 0, and a conjunction's sum of one float and
  // zeros is that float).
  float Score() { return bits_ != nullptr ? ScoreFromBits() : lead_->Score(); }
  // Score() where it may exceed `threshold`: false if it cannot (the match
  // has none of the clauses whose maximum scores could lift it above), true
  // with *score set otherwise. The words' clauses are then moved only to
  // the matches that have a chance (MaxScore's essential clauses).
  bool ScoreAbove(float threshold, float* score);
  // Whether the words' scorer leads with filters tested inline (for tests).
  bool split() const { return split_; }
  // Whether the words' matches come from a bitset (for tests).
  bool from_bits() const { return bits_ != nullptr; }

 private:
  struct Range {
    const NumericColumn* column;
    double lo, hi;
    bool lo_inclusive, hi_inclusive;
    bool plain_float;  // A float column without an overlay: values read as is.
    // As RangeScorer::Matches.
    bool Matches(uint32_t d) const {
      if (!column->Has(d)) return false;
      double v;
      if (plain_float) {
        std::memcpy(&v, column->values + 8ull * d, 8);
      } else {
        v = column->Value(d);
      }
      return (lo_inclusive ? v >= lo : v > lo) && (hi_inclusive ? v <= hi : v < hi);
    }
  };
  // Splits `query` into words, filters and deleted docs; false if its
  // shape is another (then the whole query's scorer is walked).
  bool Split(const Query& query, const DocSet* deleted, const DocBits* deleted_bits,
             ScorerContext* ctx);
  bool Accept(uint32_t d) {
    for (const Range& r : ranges_) {
      if (!r.Matches(d)) return false;
    }
    for (const auto& s : others_) {
      if (s->doc() < d) s->Advance(d);
      if (s->doc() != d) return false;
    }
    return deleted_bits_ == nullptr || !deleted_bits_->Contains(d);
  }

  // The words' matches from bits_: the words of one 64-doc word at a time
  // (each zeroed as it is read, so the set is left clear for reuse).
  template <typename OnMatch>
  uint32_t FillFromBits(uint32_t* docs, OnMatch& on_match) {
    uint64_t* words = bits_->words();
    uint32_t n = 0;
    for (;;) {
      while (pending_ == 0) {
        if (next_word_ >= num_words_) {
          Release();
          return n;
        }
        pending_ = words[next_word_];
        words[next_word_] = 0;
        // A doc without a value is out of every range.
        for (const Range& r : ranges_) pending_ &= r.column->present[next_word_];
        ++next_word_;
      }
      const uint32_t d = (next_word_ - 1) * 64 + static_cast<uint32_t>(__builtin_ctzll(pending_));
      pending_ &= pending_ - 1;
      if (Accept(d)) {
        current_ = d;
        docs[n++] = d;
        on_match(d);
        if (n == kBlockDocs) return n;
      }
    }
  }
  float ScoreFromBits();
  void MakeScorer();
  // The scoring clauses from `threshold` on (essential_), recomputed when
  // it changes.
  void Partition(float threshold);
  // Clears what is left of bits_ and gives it back.
  void Release();

  std::unique_ptr<Scorer> lead_;  // The words' scorer, or the whole query's.
  bool split_ = false;
  // From bits: the words' query, for the scorer of the docs that need a
  // score (made on first use), and the walk's position.
  const Query* words_ = nullptr;
  ScorerContext* ctx_ = nullptr;
  std::unique_ptr<Scorer> scorer_;
  // From bits, when the words are a union (always, as the lead is): its
  // clauses taken out of a second union and scored as it scores (a double
  // sum in clause order), with their maximum scores.
  std::vector<std::unique_ptr<Scorer>> clauses_;
  std::vector<uint32_t> clause_docs_;  // Per clause: its doc() (no call per look).
  std::vector<uint32_t> by_max_;       // Clause indexes, increasing maximum score.
  std::vector<double> below_;          // below_[j]: the sum of by_max_[0, j)'s maxima.
  size_t essential_ = 0;               // by_max_[essential_, ...) may lift a score.
  float partition_threshold_ = -1;
  CountBitset* bits_ = nullptr;
  bool* in_use_ = nullptr;  // The per-thread bitset's flag.
  size_t num_words_ = 0;
  uint32_t next_word_ = 0;
  uint64_t pending_ = 0;  // Bits of word next_word_ - 1 not yet visited.
  uint32_t current_ = 0;
  std::vector<Range> ranges_;
  std::vector<std::unique_ptr<Scorer>> others_;  // Split: other filters, led by the words.
  const DocBits* deleted_bits_ = nullptr;
};

}  // namespace libsearch::internal
