#include "query/scorer.h"

#include <algorithm>
#include <cmath>

#include "query/expand.h"
#include "util/bitpack.h"
#include "util/popcount.h"

namespace libsearch::internal {
namespace {

// A fixed-size array of n T's, inline up to 16 (a query's terms), else on
// the heap. Value-initialised (or all `fill`).
template <typename T>
class SmallVec {
 public:
  explicit SmallVec(size_t n, T fill = T()) {
    if (n > 16) heap_.resize(n);
    data_ = n > 16 ? heap_.data() : inline_;
    std::fill(data_, data_ + n, fill);
  }
  SmallVec(const SmallVec&) = delete;
  SmallVec& operator=(const SmallVec&) = delete;
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }
  T* begin() { return data_; }

 private:
  T inline_[16];
  std::vector<T> heap_;
  T* data_;
};

// Window skipping on skip data alone: from the window that starts at
// *target and ends at *up_to (ShallowAdvance's answer), moves on window by
// window until can_win(up_to) holds. False when no window is left.
template <typename CanWin>
bool FirstWinnableWindow(Scorer* s, uint32_t* target, uint32_t* up_to, CanWin&& can_win) {
  while (!can_win(*up_to)) {
    if (*up_to >= kNoMoreDocs - 1) return false;
    *target = *up_to + 1;
    *up_to = s->ShallowAdvance(*target);
  }
  return true;
}

class EmptyScorer : public Scorer {
 public:
  uint32_t doc() const override { return kNoMoreDocs; }
  uint32_t Next() override { return kNoMoreDocs; }
  uint32_t Advance(uint32_t) override { return kNoMoreDocs; }
  float Score() override { return 0; }
  uint64_t cost() const override { return 0; }
  float MaxScore() override { return 0; }
  uint32_t ShallowAdvance(uint32_t) override { return kNoMoreDocs; }
  float GetMaxScore(uint32_t) override { return 0; }
  // Nothing to add: lets a union with a missing word still count by bitset.
  bool CanCountInto() const override { return true; }
  bool CountInto(CountBitset*) override { return true; }
};

class MatchAllScorer : public Scorer {
 public:
  explicit MatchAllScorer(uint32_t num_docs) : num_docs_(num_docs), doc_(num_docs ? 0 : kNoMoreDocs) {}
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override { return doc_ = doc_ + 1 < num_docs_ ? doc_ + 1 : kNoMoreDocs; }
  uint32_t Advance(uint32_t t) override { return doc_ = t < num_docs_ ? t : kNoMoreDocs; }
  float Score() override { return 0; }
  uint64_t cost() const override { return num_docs_; }
  float MaxScore() override { return 0; }
  uint32_t ShallowAdvance(uint32_t) override { return kNoMoreDocs; }
  float GetMaxScore(uint32_t) override { return 0; }

 private:
  uint32_t num_docs_;
  uint32_t doc_;
};

// Docs whose numeric value lies in a range, read from the column; score 0.
// Advance() scans forward, so inside a conjunction led by a rarer clause it
// only looks at candidate docs. Block {min, max} (1.4 files) let the scan
// jump over blocks the range cannot match, and accept docs of a block the
// range covers by the presence bit alone.
class RangeScorer : public Scorer {
 public:
  RangeScorer(const NumericColumn* column, uint32_t num_docs, const Query& q)
      : column_(column), num_docs_(num_docs), lo_(q.lo), hi_(q.hi),
        lo_inclusive_(q.lo_inclusive), hi_inclusive_(q.hi_inclusive) {
    doc_ = Scan(0);
  }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override { return doc_ = doc_ == kNoMoreDocs ? doc_ : Scan(doc_ + 1); }
  uint32_t Advance(uint32_t t) override { return doc_ = Scan(t); }
  float Score() override { return 0; }
  uint64_t cost() const override { return num_docs_; }
  float MaxScore() override { return 0; }
  uint32_t ShallowAdvance(uint32_t) override { return kNoMoreDocs; }
  float GetMaxScore(uint32_t) override { return 0; }

 private:
  bool Matches(uint32_t d) const {
    if (!column_->Has(d)) return false;
    const double v = column_->Value(d);
    return (lo_inclusive_ ? v >= lo_ : v > lo_) && (hi_inclusive_ ? v <= hi_ : v < hi_);
  }
  bool InRange(double v) const {
    return (lo_inclusive_ ? v >= lo_ : v > lo_) && (hi_inclusive_ ? v <= hi_ : v < hi_);
  }
  uint32_t Scan(uint32_t d) {
    if (column_->block_min_max == nullptr) {
      for (; d < num_docs_; ++d) {
        if (Matches(d)) return d;
      }
      return kNoMoreDocs;
    }
    while (d < num_docs_) {
      const uint32_t block = d / kNumericBlockDocs;
      const uint32_t end = std::min(num_docs_, (block + 1) * kNumericBlockDocs);
      if (block != block_) {  // Classify the block once.
        block_ = block;
        const double min = column_->block_min_max[2 * block], max = column_->block_min_max[2 * block + 1];
        covered_ = min <= max && InRange(min) && InRange(max);
        disjoint_ = !(min <= max) || (lo_inclusive_ ? max < lo_ : max <= lo_) ||
                    (hi_inclusive_ ? min > hi_ : min >= hi_);
      }
      if (disjoint_) {
        d = end;
        continue;
      }
      for (; d < end; ++d) {
        if (covered_ ? column_->Has(d) : Matches(d)) return d;
      }
    }
    return kNoMoreDocs;
  }
  const NumericColumn* column_;
  uint32_t num_docs_;
  double lo_, hi_;
  bool lo_inclusive_, hi_inclusive_;
  uint32_t doc_ = kNoMoreDocs;
  uint32_t block_ = ~0u;  // The block covered_ and disjoint_ describe.
  bool covered_ = false, disjoint_ = false;
};

// The docs of a precomputed set (a cached filter); score 0. Inside a
// conjunction led by another clause it is asked Advance(candidate) and
// mostly answers with a membership test; the iterator catches up (one seek)
// only when the candidate is not in the set or Next() is called.
class DocSetScorer final : public Scorer {
 public:
  explicit DocSetScorer(std::shared_ptr<const DocSet> set)
      : set_(std::move(set)), it_(*set_), doc_(it_.doc(kNoMoreDocs)) {}
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override {
    if (doc_ == kNoMoreDocs) return doc_;
    if (stale_) {
      it_.Advance(doc_ + 1);
      stale_ = false;
    } else {
      it_.Next();
    }
    return doc_ = it_.doc(kNoMoreDocs);
  }
  uint32_t Advance(uint32_t t) override {
    if (set_->Contains(t)) {
      stale_ = true;
      return doc_ = t;
    }
    it_.Advance(t);
    stale_ = false;
    return doc_ = it_.doc(kNoMoreDocs);
  }
  float Score() override { return 0; }
  uint64_t cost() const override { return set_->cardinality(); }
  float MaxScore() override { return 0; }
  uint32_t ShallowAdvance(uint32_t) override { return kNoMoreDocs; }
  float GetMaxScore(uint32_t) override { return 0; }

 private:
  std::shared_ptr<const DocSet> set_;
  DocSet::Iterator it_;
  uint32_t doc_;
  bool stale_ = false;  // it_ is behind doc_.
};

// Score bounds of a term. Three sources:
//  - a term without block entries (one block, 2.x) has its docs decoded when
//    its cursor opens; its bound is the largest Score() over them, computed
//    once (exact for any weight, k1 and b);
//  - the stored block maxima (block_max_score: BM25 with the build's k1, b and
//    boost 1), used when the file records that they were computed with this
//    search's k1 and b (2.2, kBm25Params), else once StoredMaximaExact has
//    shown, for this term, that they are exactly what this search's
//    parameters give. With boost 1 the stored float is the bound itself;
//    with another boost it is scaled (ScaleStored) and capped by the next one;
//  - otherwise BM25(max_tf, min_norm) per block, safe for any k1, b, boost.
class TermScorer final : public Scorer {
 public:
  TermScorer(PostingsCursor* cursor, const FieldReader* field, float weight, float idf,
             const NormInverseTable* table, const Bm25Params& params)
      : cursor_(cursor), field_(field), weight_(weight), idf_(idf), table_(table),
        params_(params) {}
  uint32_t doc() const override { return cursor_->doc(); }
  uint32_t Next() override { return cursor_->Next(); }
  uint32_t Advance(uint32_t t) override { return cursor_->Advance(t); }
  float Score() override {
    return Bm25Score(weight_, cursor_->freq(), (*table_)[field_->norm(cursor_->doc())]);
  }
  uint64_t cost() const override { return cursor_->doc_freq(); }
  // A lower bound on the score of any doc it matches: tf >= 1 and the
  // field's longest doc (normInverse falls as the norm code rises).
  float MinScore() const {
    const FieldPostingsView& view = field_->postings;
    const uint8_t max_norm = view.bound_cache->MaxNorm(field_->norms, view.num_docs);
    float ni = (*table_)[0];
    for (int c = 1; c <= max_norm; ++c) ni = std::min(ni, (*table_)[c]);
    return Bm25Score(weight_, 1, ni);
  }
  float MaxScore() override {
    if (max_score_ < 0 && mode() == kComputedExact) max_score_ = computed_max_;
    if (max_score_ < 0) {  // Lazily: one pass over the skip arrays.
      float loose = 0;
      cursor_->ForEachBlock([&](uint32_t tf, uint8_t norm) {
        loose = std::max(loose, Bm25Score(weight_, tf, (*table_)[norm]));
      });
      max_score_ = UseStored() ? Tighten(cursor_->StoredMax(), loose) : loose;
    }
    return max_score_;
  }
  uint32_t ShallowAdvance(uint32_t target) override { return cursor_->ShallowAdvance(target); }
  PostingsCursor* cursor() const { return cursor_; }
  uint64_t CollectTop(TopK* top, uint64_t count_up_to) override;
  void ForEachPruning(TopK* top) override;
  // Score() of `doc` with term frequency `tf`, wherever the cursor is.
  float ScoreOf(uint32_t tf, uint32_t doc) const {
    return Bm25Score(weight_, tf, (*table_)[field_->norm(doc)]);
  }
  bool KnownCount(uint64_t* n) const override {
    if (!cursor_->AtStart()) return false;
    *n = cursor_->doc_freq();
    return true;
  }
  bool CanCountInto() const override { return true; }
  bool CountInto(CountBitset* bits) override {
    cursor_->OrInto(bits);
    return true;
  }
  float GetMaxScore(uint32_t up_to) override {
    float bound = 0;
    if (mode() == kComputedExact) return cursor_->BlocksLeft() ? computed_max_ : 0;
    if (UseStored()) {
      float stored = 0;
      cursor_->ForEachBlockStoredMax(up_to, [&](float m) { stored = std::max(stored, m); });
      if (mode_ == kStoredExact) return stored;
      cursor_->ForEachBlockBound(up_to, [&](uint32_t tf, uint8_t norm) {
        bound = std::max(bound, Bm25Score(weight_, tf, (*table_)[norm]));
      });
      return Tighten(stored, bound);
    }
    cursor_->ForEachBlockBound(up_to, [&](uint32_t tf, uint8_t norm) {
      bound = std::max(bound, Bm25Score(weight_, tf, (*table_)[norm]));
    });
    return bound;
  }

 private:
  enum Mode : uint8_t { kUnchecked, kLoose, kStoredExact, kStoredScaled, kComputedExact };

  Mode mode() {
    if (mode_ == kUnchecked) mode_ = Check();
    return mode_;
  }
  bool UseStored() { return mode() == kStoredExact || mode() == kStoredScaled; }
  Mode Check() {
    const FieldPostingsView& view = field_->postings;
    const TermInfo& info = cursor_->term();
    if (!cursor_->has_block_entries()) {
      const uint32_t *docs, *tfs;
      const uint32_t n = cursor_->SingleBlock(&docs, &tfs);
      computed_max_ = 0;
      for (uint32_t i = 0; i < n; ++i) {
        computed_max_ = std::max(computed_max_, Bm25Score(weight_, tfs[i], (*table_)[field_->norm(docs[i])]));
      }
      return kComputedExact;
    }
    if (view.max_score == nullptr || !(idf_ > 0) || !(weight_ > 0) || !std::isfinite(weight_)) {
      return kLoose;
    }
    // The file says which parameters its maxima hold: with those, they are
    // exact by construction (index_test checks every term of a build), and
    // the first use of a term does not decode its whole list to verify it.
    const Bm25Params* built = view.max_score_params;
    FieldBoundCache::State s = built != nullptr && built->k1 == params_.k1 && built->b == params_.b
                                   ? FieldBoundCache::kExact
                                   : view.bound_cache->Get(view.num_blocks, info.first_block, params_);
    if (s == FieldBoundCache::kUnknown) {
      s = StoredMaximaExact(&view, info, field_->norms, idf_, *table_) ? FieldBoundCache::kExact
                                                                       : FieldBoundCache::kInexact;
      view.bound_cache->Set(view.num_blocks, info.first_block, params_, s);
    }
    if (s != FieldBoundCache::kExact) return kLoose;
    return weight_ == idf_ ? kStoredExact : kStoredScaled;
  }
  // `stored` (a max over Bm25Score(idf, ...)) turned into a bound for
  // weight_, capped by the (max_tf, min_norm) bound `loose`.
  float Tighten(float stored, float loose) const {
    if (mode_ == kStoredExact) return stored;
    return std::min(loose, ScaleStored(stored));
  }
  // For one doc, with q = fl(1 + fl(tf * normInverse)) (the same for any
  // weight) and u = 2^-24: Score(w) = fl(w - fl(w / q)) lies within
  // w (1 - 1/q)(1 +- u) +- (w / q) u (1 + u). With S >= Score(idf) that gives
  // Score(w) <= (w / idf) S (1 + u) / (1 - u) + 2 w u (1 + u)^2 / (1 - u),
  // about (w / idf) S (1 + 2u) + 2 w u. The margins below are 1e-6 > 16u,
  // computed in double (error ~1e-16), then rounded up to float.
  float ScaleStored(float stored) const {
    const double w = weight_;
    const double b = w / static_cast<double>(idf_) * stored * (1 + 1e-6) + w * 1e-6;
    float f = static_cast<float>(b);
    if (static_cast<double>(f) < b) f = std::nextafter(f, INFINITY);
    return f;
  }

  PostingsCursor* cursor_;
  const FieldReader* field_;
  float weight_;
  float idf_;  // The weight at boost 1, with which the stored maxima were built.
  const NormInverseTable* table_;
  Bm25Params params_;
  float max_score_ = -1;
  float computed_max_ = 0;  // kComputedExact: the largest Score() of the term.
  Mode mode_ = kUnchecked;
};

// A single term a decoded block at a time: scored over arrays, without a
// virtual call or a block check per doc.
uint64_t TermScorer::CollectTop(TopK* top, uint64_t count_up_to) {
  PostingsCursor* c = cursor_;
  uint64_t n = 0;
  while (c->doc() != kNoMoreDocs) {
    if (n >= count_up_to) {  // More than count_up_to match.
      ForEachPruning(top);
      return n + 1;
    }
    const uint32_t* docs = c->block_docs();
    const uint32_t* tfs = c->block_tfs();
    const uint32_t from = c->block_pos(), size = c->block_size();
    const uint32_t take = static_cast<uint32_t>(std::min<uint64_t>(size - from, count_up_to - n));
    for (uint32_t p = from; p < from + take; ++p) top->Push(ScoreOf(tfs[p], docs[p]), docs[p]);
    n += take;
    if (from + take < size) {
      c->SetBlockPos(from + take);
    } else {
      c->SetBlockPos(size - 1);
      c->Next();
    }
  }
  return n;
}

// Block-max for one term: blocks whose bound cannot beat the threshold are
// skipped on skip data; in the others, docs are screened against it
// branch-free (few pass, unpredictably) before the survivors are pushed.
void TermScorer::ForEachPruning(TopK* top) {
  PostingsCursor* c = cursor_;
  uint32_t d = c->doc();
  while (d != kNoMoreDocs) {
    if (!top->full()) {
      top->Push(Score(), d);
      d = c->Next();
      continue;
    }
    const float min = top->min_score();
    uint32_t target = d, up_to = ShallowAdvance(target);
    if (!FirstWinnableWindow(this, &target, &up_to, [&](uint32_t u) { return GetMaxScore(u) > min; })) {
      return;
    }
    if (target > d) {
      d = c->Advance(target);
      if (d == kNoMoreDocs || d > up_to) continue;
    }
    // The rest of the decoded block, which ends at up_to.
    const uint32_t* docs = c->block_docs();
    const uint32_t* tfs = c->block_tfs();
    const uint32_t from = c->block_pos(), size = c->block_size();
    uint32_t cand[kBlockSize];
    float score[kBlockSize];
    uint32_t m = 0;
    for (uint32_t p = from; p < size; ++p) {
      const float s = ScoreOf(tfs[p], docs[p]);
      cand[m] = docs[p];
      score[m] = s;
      m += s > min;
    }
    for (uint32_t k = 0; k < m; ++k) top->Push(score[k], cand[k]);
    c->SetBlockPos(size - 1);
    d = c->Next();
  }
}

// Leapfrog intersection of positioned iterators; `align` brings all to the
// same doc starting from a candidate.
template <typename Child>
uint32_t Align(std::vector<Child*>& its, uint32_t target) {
  while (target != kNoMoreDocs) {
    bool agreed = true;
    for (Child* it : its) {
      const uint32_t d = it->doc() < target ? it->Advance(target) : it->doc();
      if (d > target) {
        target = d;
        agreed = false;
        break;
      }
    }
    if (agreed) return target;
  }
  return kNoMoreDocs;
}

// Exact phrase: all terms at positions p + offsets[i]. Lucene semantics:
// freq = number of start positions that match; idf = sum of the terms' idfs.
// A word repeated in the phrase ("to be or not to be") is one cursor with
// several offsets: it is intersected and decoded once.
class PhraseScorer : public Scorer {
 public:
  // `cursors` holds each distinct term once; phrase word i is term
  // terms[i] at offsets[i].
  PhraseScorer(std::vector<PostingsCursor*> cursors, const std::vector<uint32_t>& terms,
               const std::vector<uint32_t>& offsets, const FieldReader* field, float weight,
               const NormInverseTable* table)
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
    // positions leave some start to check. (Measured on the game's enwiki
    // phrases: -3% instructions, -9% for "to be or not to be"; aligning
    // only the rarest term: +21%.)
    aligned_.assign(by_rarity_.begin(), by_rarity_.begin() + std::min(by_rarity_.size(), kAligned));
    uint32_t start = 0;
    for (PostingsCursor* c : cursors_) start = std::max(start, c->doc());
    doc_ = FindMatch(start);
  }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override { return doc_ = doc_ == kNoMoreDocs ? doc_ : FindMatch(doc_ + 1); }
  uint32_t Advance(uint32_t t) override { return doc_ = FindMatch(t); }
  float Score() override {
    return Bm25Score(weight_, freq_, (*table_)[field_->norm(doc_)]);
  }
  uint64_t cost() const override { return by_rarity_[0]->doc_freq(); }
  // w - w / (1 + f * n) never exceeds w.
  float MaxScore() override { return weight_; }
  uint32_t ShallowAdvance(uint32_t target) override {
    uint32_t up_to = kNoMoreDocs;
    for (PostingsCursor* c : cursors_) up_to = std::min(up_to, c->ShallowAdvance(target));
    return up_to;
  }
  // A match's freq is at most each term's tf in the doc, and its norm at
  // least each term's block min_norm: BM25 (rising with tf, falling with the
  // norm code) of the smallest block max_tf and the largest min_norm over
  // the terms bounds every match in the window. Terms without block entries
  // add no constraint.
  float GetMaxScore(uint32_t up_to) override {
    uint32_t tf = UINT32_MAX;
    uint8_t norm = 0;
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
      if (!any) return 0;  // This term has no docs left.
      tf = std::min(tf, term_tf);
      norm = std::max(norm, term_norm);
    }
    if (tf == UINT32_MAX) return weight_;
    return Bm25Score(weight_, tf, (*table_)[norm]);
  }
  bool TwoPhase() const override { return true; }
  uint32_t ApproxAdvance(uint32_t target) override {
    return doc_ = lazy_ended_ ? kNoMoreDocs : Align(aligned_, target);
  }
  void ForEachPruning(TopK* top) override;
  bool Confirm() override {
    freq_ = CountMatches(doc_);
    return freq_ > 0;
  }

 private:
  uint32_t FindMatch(uint32_t target) {
    while (true) {
      target = Align(aligned_, target);
      if (target == kNoMoreDocs) return kNoMoreDocs;
      freq_ = CountMatches(target);
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
  // offset. (Ordering the terms by their tf in each doc instead measured no
  // better: -0.3% to +1.7% instructions.)
  uint32_t CountMatches(uint32_t doc) {
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

  std::vector<PostingsCursor*> cursors_;  // Distinct terms.
  std::vector<uint32_t> offsets_;          // Term t's: [offset_begin_[t], offset_begin_[t + 1]).
  std::vector<uint32_t> offset_begin_;
  static constexpr size_t kAligned = 2;
  std::vector<PostingsCursor*> by_rarity_;
  std::vector<PostingsCursor*> aligned_;  // The kAligned first of by_rarity_.
  std::vector<uint32_t> rarity_index_;     // by_rarity_[k] == cursors_[rarity_index_[k]].
  const FieldReader* field_;
  float weight_;
  const NormInverseTable* table_;
  std::vector<uint32_t> starts_;  // Reused scratch.
  uint32_t doc_ = kNoMoreDocs;
  uint32_t freq_ = 0;
  bool lazy_ended_ = false;  // A term past aligned_ has no docs left.
};

// Block-max windows over the approximation (the terms' intersection), so
// that positions are read only for candidates that can win: a window whose
// bound cannot beat the threshold is skipped on skip data, and inside one
// that can, a candidate is dropped unread when even a freq of its smallest
// tf (freq <= every term's tf) with its own norm cannot beat it.
void PhraseScorer::ForEachPruning(TopK* top) {
  uint32_t d = doc_;  // A confirmed match.
  while (d != kNoMoreDocs && !top->full()) {
    top->Push(Score(), d);
    d = Next();
  }
  bool confirmed = true;
  while (d != kNoMoreDocs) {
    uint32_t target = d, up_to = ShallowAdvance(target);
    if (!FirstWinnableWindow(this, &target, &up_to,
                             [&](uint32_t u) { return GetMaxScore(u) > top->min_score(); })) {
      doc_ = kNoMoreDocs;
      return;
    }
    if (target > d) {
      d = Align(aligned_, target);
      confirmed = false;
    }
    for (; d <= up_to && d != kNoMoreDocs; d = Align(aligned_, d + 1), confirmed = false) {
      if (lazy_ended_) {
        d = kNoMoreDocs;
        break;
      }
      if (!confirmed) {
        uint32_t tf = UINT32_MAX;
        for (PostingsCursor* c : aligned_) tf = std::min(tf, c->freq());
        if (Bm25Score(weight_, tf, (*table_)[field_->norm(d)]) <= top->min_score()) continue;
        doc_ = d;
        freq_ = CountMatches(d);
        if (freq_ == 0) continue;
      }
      doc_ = d;
      top->Push(Score(), d);
    }
  }
  doc_ = kNoMoreDocs;
}

class ConjunctionScorer : public Scorer {
 public:
  explicit ConjunctionScorer(std::vector<std::unique_ptr<Scorer>> children)
      : owned_(std::move(children)) {
    // Rarest first: it leads the leapfrog.
    std::sort(owned_.begin(), owned_.end(),
              [](const auto& a, const auto& b) { return a->cost() < b->cost(); });
    children_.reserve(owned_.size());
    terms_.reserve(owned_.size());
    for (auto& c : owned_) {
      children_.push_back(c.get());
      if (c->TwoPhase()) two_phase_.push_back(c.get());
      terms_.push_back(dynamic_cast<TermScorer*>(c.get()));
    }
    // All terms: the loops below call them directly (TermScorer is final).
    if (std::find(terms_.begin(), terms_.end(), nullptr) != terms_.end()) terms_.clear();
    uint32_t start = 0;
    for (Scorer* c : children_) start = std::max(start, c->doc());
    doc_ = two_phase_.empty() ? Align(children_, start) : AlignTwoPhase(start);
  }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override {
    if (doc_ == kNoMoreDocs) return doc_;
    if (!terms_.empty()) return doc_ = Align(terms_, terms_[0]->Next());
    if (!two_phase_.empty()) return doc_ = AlignTwoPhase(doc_ + 1);
    return doc_ = Align(children_, children_[0]->Next());
  }
  uint32_t Advance(uint32_t t) override {
    if (!terms_.empty()) return doc_ = Align(terms_, t);
    return doc_ = two_phase_.empty() ? Align(children_, t) : AlignTwoPhase(t);
  }
  float Score() override {
    double sum = 0;
    if (!terms_.empty()) {
      for (TermScorer* c : terms_) sum += c->Score();
    } else {
      for (Scorer* c : children_) sum += c->Score();
    }
    return static_cast<float>(sum);
  }
  uint64_t cost() const override { return children_[0]->cost(); }
  // Bounds sum in the same order as Score(), so rounding cannot break them.
  float MaxScore() override {
    double sum = 0;
    for (Scorer* c : children_) sum += c->MaxScore();
    return static_cast<float>(sum);
  }
  uint32_t ShallowAdvance(uint32_t target) override {
    uint32_t up_to = kNoMoreDocs;
    for (Scorer* c : children_) up_to = std::min(up_to, c->ShallowAdvance(target));
    return up_to;
  }
  float GetMaxScore(uint32_t up_to) override {
    double sum = 0;
    for (Scorer* c : children_) sum += c->GetMaxScore(up_to);
    return static_cast<float>(sum);
  }
  void ForEachPruning(TopK* top) override;
  bool CountRest(uint64_t* n) override {
    if (!Blockwise()) return false;
    *n = BlockAnd<false>(nullptr, 0);
    return true;
  }
  uint64_t CollectTop(TopK* top, uint64_t count_up_to) override {
    return Blockwise() ? BlockAnd<true>(top, count_up_to) : Scorer::CollectTop(top, count_up_to);
  }

 private:
  // Whether BlockAnd applies: two or more terms, no other kind of child.
  bool Blockwise() const { return terms_.size() >= 2; }
  template <bool kScore>
  uint64_t BlockAnd(TopK* top, uint64_t count_up_to);
  template <bool kScore>
  uint32_t IntersectLeadBlock(bool* exhausted);
  template <bool kPartial, bool kLead>
  uint32_t KeepInBlock(PostingsCursor* c, uint32_t k, uint32_t end, uint32_t kept);
  template <typename Child>
  void Prune(const std::vector<Child*>& children, TopK* top);
  // Align on approximations (a two-phase child only co-occurs there), then
  // confirm the two-phase children; on a miss, go on from the next doc.
  uint32_t AlignTwoPhase(uint32_t target) {
    while (target != kNoMoreDocs) {
      bool agreed = true;
      for (Scorer* c : children_) {
        uint32_t d = c->doc();
        if (d < target) d = c->TwoPhase() ? c->ApproxAdvance(target) : c->Advance(target);
        if (d > target) {
          target = d;
          agreed = false;
          break;
        }
      }
      if (!agreed) continue;
      bool confirmed = true;
      for (Scorer* c : two_phase_) {
        if (!c->Confirm()) {
          confirmed = false;
          break;
        }
      }
      if (confirmed) return target;
      ++target;
    }
    return kNoMoreDocs;
  }

  std::vector<std::unique_ptr<Scorer>> owned_;
  std::vector<Scorer*> children_;
  std::vector<Scorer*> two_phase_;
  std::vector<TermScorer*> terms_;  // children_ as terms, or empty.
  uint32_t doc_ = kNoMoreDocs;
  // BlockAnd's candidates of one window: doc, partial score, the index of
  // the doc in the block of the term being merged, and (IntersectLeadBlock)
  // in the lead's block. One allocation, on the first window.
  struct Window {
    uint32_t cand[kBlockSize];
    double partial[kBlockSize];
    uint32_t index[kBlockSize];
    uint32_t lead_index[kBlockSize];
  };
  std::unique_ptr<Window> window_;
};

// A union's cost and global bound: its children's, summed (the bound in
// double and in child order, as Score() sums).
template <typename Children>
uint64_t SumCost(const Children& children) {
  uint64_t c = 0;
  for (const auto& ch : children) c += ch->cost();
  return c;
}
template <typename Children>
float SumMaxScore(Children& children) {
  double sum = 0;
  for (auto& c : children) sum += c->MaxScore();
  return static_cast<float>(sum);
}

// Union: the doc is the smallest child doc; the score sums matching children.
class DisjunctionScorer : public Scorer {
 public:
  explicit DisjunctionScorer(std::vector<std::unique_ptr<Scorer>> children)
      : children_(std::move(children)) {
    // All terms: the loops below call them directly (TermScorer is final).
    terms_.reserve(children_.size());
    for (auto& c : children_) terms_.push_back(dynamic_cast<TermScorer*>(c.get()));
    if (std::find(terms_.begin(), terms_.end(), nullptr) != terms_.end()) terms_.clear();
    Update();
  }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override {
    if (doc_ == kNoMoreDocs) return doc_;
    return terms_.empty() ? NextOf(children_) : NextOf(terms_);
  }
  uint32_t Advance(uint32_t t) override {
    return terms_.empty() ? AdvanceOf(children_, t) : AdvanceOf(terms_, t);
  }
  float Score() override { return terms_.empty() ? ScoreOf(children_) : ScoreOf(terms_); }
  uint64_t cost() const override { return SumCost(children_); }
  float MaxScore() override { return SumMaxScore(children_); }
  uint32_t ShallowAdvance(uint32_t target) override {
    uint32_t up_to = kNoMoreDocs;
    for (auto& c : children_) up_to = std::min(up_to, c->ShallowAdvance(target));
    return up_to;
  }
  float GetMaxScore(uint32_t up_to) override {
    double sum = 0;
    for (auto& c : children_) sum += c->GetMaxScore(up_to);
    return static_cast<float>(sum);
  }
  void ForEachPruning(TopK* top) override;
  // ForEachPruning for a union of terms whose double sums are exact (so the
  // order of summing does not matter): per window, the essential terms'
  // docs are scored in bulk into one accumulator per doc, with no per-doc
  // virtual call and no per-doc scan of all clauses. False (nothing done)
  // if not applicable. A word over several fields, with its expansions, is
  // such a union: the scorer builder flattens it (IsUnionOfTerms).
  // Counts every match until more than count_up_to are seen (as
  // CollectTop) and sets *count; only then prunes.
  bool BulkPruning(TopK* top, uint64_t count_up_to, uint64_t* count);
  uint64_t CollectTop(TopK* top, uint64_t count_up_to) override {
    uint64_t count = 0;
    if (BulkPruning(top, count_up_to, &count)) return count;
    return Scorer::CollectTop(top, count_up_to);
  }
  // A union's matches are the OR of its children's: each child list is
  // walked once with no merging, then the caller counts bits.
  bool CanCountInto() const override {
    for (const auto& c : children_) {
      if (!c->CanCountInto()) return false;
    }
    return true;
  }
  bool CountInto(CountBitset* bits) override {
    if (!CanCountInto()) return false;
    for (auto& c : children_) c->CountInto(bits);
    doc_ = kNoMoreDocs;
    return true;
  }
  bool CountRest(uint64_t* n) override;

 private:
  uint32_t Update() { return terms_.empty() ? UpdateOf(children_) : UpdateOf(terms_); }
  template <typename Kids>
  uint32_t UpdateOf(const Kids& kids) {
    doc_ = kNoMoreDocs;
    for (auto& c : kids) doc_ = std::min(doc_, c->doc());
    return doc_;
  }
  template <typename Kids>
  uint32_t NextOf(Kids& kids) {
    for (auto& c : kids) {
      if (c->doc() == doc_) c->Next();
    }
    return UpdateOf(kids);
  }
  template <typename Kids>
  uint32_t AdvanceOf(Kids& kids, uint32_t t) {
    for (auto& c : kids) {
      if (c->doc() < t) c->Advance(t);
    }
    return UpdateOf(kids);
  }
  template <typename Kids>
  float ScoreOf(Kids& kids) {
    double sum = 0;
    for (auto& c : kids) {
      if (c->doc() == doc_) sum += c->Score();
    }
    return static_cast<float>(sum);
  }
  std::vector<std::unique_ptr<Scorer>> children_;
  std::vector<TermScorer*> terms_;  // children_ as terms, or empty.
  uint32_t doc_ = kNoMoreDocs;
};

// Required docs, minus excluded ones, plus optional scoring clauses.
class BooleanScorer : public Scorer {
 public:
  BooleanScorer(std::unique_ptr<Scorer> required, std::unique_ptr<Scorer> optional,
                std::unique_ptr<Scorer> excluded)
      : req_(std::move(required)), opt_(std::move(optional)), excl_(std::move(excluded)) {
    doc_ = Settle(req_->doc());
  }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override { return doc_ = doc_ == kNoMoreDocs ? doc_ : Settle(req_->Next()); }
  uint32_t Advance(uint32_t t) override { return doc_ = Settle(req_->Advance(t)); }
  float Score() override {
    double sum = req_->Score();
    if (opt_) {
      if (opt_->doc() < doc_) opt_->Advance(doc_);
      if (opt_->doc() == doc_) sum += opt_->Score();
    }
    return static_cast<float>(sum);
  }
  uint64_t cost() const override { return req_->cost(); }
  float MaxScore() override {
    double sum = req_->MaxScore();
    if (opt_) sum += opt_->MaxScore();
    return static_cast<float>(sum);
  }
  uint32_t ShallowAdvance(uint32_t target) override {
    uint32_t up_to = req_->ShallowAdvance(target);
    if (opt_) up_to = std::min(up_to, opt_->ShallowAdvance(target));
    return up_to;
  }
  float GetMaxScore(uint32_t up_to) override {
    double sum = req_->GetMaxScore(up_to);
    if (opt_) sum += opt_->GetMaxScore(up_to);
    return static_cast<float>(sum);
  }
  void ForEachPruning(TopK* top) override;
  // Optional clauses never change which docs match: without exclusions the
  // count is the required clause's.
  bool KnownCount(uint64_t* n) const override { return !excl_ && req_->KnownCount(n); }
  bool CountRest(uint64_t* n) override {
    if (excl_ || !req_->CountRest(n)) return false;
    doc_ = kNoMoreDocs;
    return true;
  }

 private:
  uint32_t Settle(uint32_t d) {
    while (d != kNoMoreDocs && excl_) {
      if (excl_->doc() < d) excl_->Advance(d);
      if (excl_->doc() != d) break;
      d = req_->Next();
    }
    return d;
  }
  std::unique_ptr<Scorer> req_, opt_, excl_;
  uint32_t doc_ = kNoMoreDocs;
};

// Required, optional and excluded clauses (Lucene's block-max
// ReqOptSumScorer): block windows as in the default, and inside a window
// that can win, the optional clause is consulted only for a doc whose
// required score plus the optional window bound can beat the threshold.
// When the required clause's window bound alone cannot, only docs that
// match the optional clause can win, and the optional clause leads.
// Exclusions are checked last, only for docs that would enter the top k.
// Sums as Score(): required, then optional.
void BooleanScorer::ForEachPruning(TopK* top) {
  auto excluded = [&](uint32_t x) {
    if (!excl_) return false;
    if (excl_->doc() < x) excl_->Advance(x);
    return excl_->doc() == x;
  };
  // req_ walks unsettled from here on: exclusions are checked lazily.
  uint32_t d = doc_;
  while (d != kNoMoreDocs) {
    if (!top->full()) {
      double sum = req_->Score();
      if (opt_) {
        if (opt_->doc() < d) opt_->Advance(d);
        if (opt_->doc() == d) sum += opt_->Score();
      }
      if (!excluded(d)) top->Push(static_cast<float>(sum), d);
      d = req_->Next();
      continue;
    }
    uint32_t target = d, up_to = ShallowAdvance(target);
    float req_max = 0, opt_max = 0;
    if (!FirstWinnableWindow(this, &target, &up_to, [&](uint32_t u) {
          req_max = req_->GetMaxScore(u);
          if (opt_) opt_max = opt_->GetMaxScore(u);
          return static_cast<float>(static_cast<double>(req_max) + opt_max) > top->min_score();
        })) {
      doc_ = kNoMoreDocs;
      return;
    }
    if (target > d) {
      d = req_->Advance(target);
      if (d > up_to) continue;  // Bound d's own window first.
    }
    // The window [d, up_to]; req_ is on d.
    while (d <= up_to && d != kNoMoreDocs) {
      const float min = top->min_score();
      if (opt_ && static_cast<float>(req_max) <= min) {
        // Only docs with an optional match can win: move to the next one.
        const uint32_t o = opt_->doc() < d ? opt_->Advance(d) : opt_->doc();
        if (o > up_to) {
          d = up_to >= kNoMoreDocs - 1 ? kNoMoreDocs : req_->Advance(up_to + 1);
          break;
        }
        if (o > d) {
          d = req_->Advance(o);
          continue;
        }
      }
      double sum = req_->Score();
      if (static_cast<float>(sum + opt_max) > min) {
        if (opt_) {
          if (opt_->doc() < d) opt_->Advance(d);
          if (opt_->doc() == d) sum += opt_->Score();
        }
        if (static_cast<float>(sum) > min && !excluded(d)) top->Push(static_cast<float>(sum), d);
      }
      d = req_->Next();
    }
  }
  doc_ = kNoMoreDocs;
}

// COUNT of a union of two terms, one of which has at least 4 times the
// other's docs ("the preakness"): |A| + |B| - |A and B|, the intersection
// counted block-at-a-time by a ConjunctionScorer led by B, so A's blocks
// are decoded only where B has docs (bitmap blocks probed in their words)
// instead of all OR-ed into a bitset. Side by side on the peer corpora's
// unions, skew 4 and 16 gave 0.88-0.92x the bitset's mean time, 64 about
// 1x; merging three or more lists doc by doc against the largest was
// slower than the bitset even at skew 32 (passages "the british embassy").
bool DisjunctionScorer::CountRest(uint64_t* n) {
  constexpr uint64_t kPairSkew = 4;
  if (terms_.size() != 2) return false;
  const PostingsCursor* a = terms_[0]->cursor();
  const PostingsCursor* b = terms_[1]->cursor();
  if (!a->AtStart() || !b->AtStart()) return false;
  const uint64_t small = std::min(a->doc_freq(), b->doc_freq());
  const uint64_t large = std::max(a->doc_freq(), b->doc_freq());
  if (large < kPairSkew * small) return false;
  // The pair moves into the intersection, which owns it from here on.
  ConjunctionScorer both(std::move(children_));
  children_.clear();
  terms_.clear();
  doc_ = kNoMoreDocs;
  uint64_t common = 0;
  both.CountRest(&common);  // Two terms: always the block path.
  *n = small + large - common;
  return true;
}

// Block-max MaxScore (Turtle & Flood; the windowed variant of Lucene's
// MaxScoreBulkScorer). The doc space is cut into windows that end where the
// first essential clause's current block ends (see the loop for the rules).
// Until more than count_up_to matches are counted every clause is essential
// (exact counting, as CollectTop). Per window each clause has a bound over
// the window (its block maxima); clauses are ordered by it, and the cheapest
// prefix whose bounds sum to <= the threshold is "non-essential": a doc in
// the window matching only those cannot enter the top k. A window with no
// essential clause is skipped whole; otherwise candidates come from the
// essential clauses alone, and non-essential clauses are probed (largest
// bound first) only while the candidate can still win. The threshold is
// re-checked after every push, so the partition tightens inside a window.
// Sums of floats in double are exact, whatever their order, when every
// value is a multiple of 2^(E - 23) (all are floats >= 2^E) and the largest
// possible sum stays below 2^(E + 29) (53 - 24 bits of headroom, one spare).
// Then the bulk path's sums equal Score()'s children-order sums bit for bit.
bool DisjunctionScorer::BulkPruning(TopK* top, uint64_t count_up_to, uint64_t* count) {
  // Per-term state, on the stack for up to 16 terms (allocations were a
  // measurable share of a short union).
  SmallVec<TermScorer*> terms(children_.size());
  size_t n = 0;
  double max_sum = 0;
  float min_score = INFINITY;
  for (auto& c : children_) {
    if (c->doc() == kNoMoreDocs) continue;  // Matches nothing more (e.g. a missing term).
    TermScorer* t = dynamic_cast<TermScorer*>(c.get());
    if (t == nullptr) return false;
    terms[n++] = t;
    max_sum += t->MaxScore();
    min_score = std::min(min_score, t->MinScore());
  }
  *count = 0;
  if (n == 0) {
    doc_ = kNoMoreDocs;
    return true;
  }
  if (!(min_score > 0) || !std::isfinite(max_sum)) return false;
  int exp = 0;
  std::frexp(min_score, &exp);  // min_score >= 2^(exp - 1).
  if (!(max_sum < std::ldexp(1.0, exp - 1 + 29))) return false;

  // Windows of at most kWindow docs when several terms are essential (the
  // accumulators cover one window). Kept per thread across queries: every
  // entry is zero between windows, as the candidate loop clears what it read.
  constexpr uint32_t kWindow = 4096;
  thread_local std::vector<double> acc(kWindow);
  thread_local std::vector<uint64_t> bits(kWindow / 64);
  SmallVec<size_t> order(n);
  SmallVec<float> wmax(n);
  // Terms whose current block may end a window: those essential in the
  // previous window (all at first). Non-essential terms' blocks do not cut
  // windows short (Lucene's MaxScoreBulkScorer does the same): their bound
  // over a window spanning several of their blocks is the largest of those.
  SmallVec<char> cuts(n, 1);
  SmallVec<uint32_t> ends(n);  // Per term: its current block's last doc.
  uint64_t matched = 0;           // Counted while counting.
  uint32_t lo = kNoMoreDocs;
  for (size_t i = 0; i < n; ++i) lo = std::min(lo, terms[i]->doc());
  while (lo != kNoMoreDocs) {
    // Start at the first doc >= lo of any term. A lagging term (not advanced
    // since it was non-essential) may have docs from lo on if a block of it
    // ends at or after lo; otherwise it has none left.
    uint32_t start = kNoMoreDocs;
    for (size_t i = 0; i < n; ++i) {
      TermScorer* t = terms[i];
      if (t->doc() >= lo) {
        start = std::min(start, t->doc());
      } else if (t->ShallowAdvance(lo) != kNoMoreDocs) {
        start = lo;
      }
    }
    if (start == kNoMoreDocs) break;
    lo = start;
    // Only terms essential in the previous window (cuts) end this one at
    // their current block. A term that turns out essential here though it
    // did not cut may have a loose bound over the longer window (a frequent
    // term, over many of its blocks): the window is then cut at its block
    // too and the bounds recomputed. Shorter windows have lower bounds, so
    // no new term becomes essential and one recut is enough. A window spans
    // at most kMaxBlocks blocks of any term, which bounds the work of the
    // bounds (GetMaxScore visits each block).
    constexpr uint64_t kMaxBlocks = 8;
    // Until the count passes count_up_to every term is essential and
    // windows are kWindow long: no bounds are needed.
    const bool counting = matched <= count_up_to;
    const bool one_cuts = std::count(cuts.begin(), cuts.begin() + n, 1) == 1;
    uint32_t hi = one_cuts ? kNoMoreDocs - 1
                           : static_cast<uint32_t>(std::min<uint64_t>(
                                 uint64_t{lo} + (kWindow - 1), kNoMoreDocs - 1));
    for (size_t i = 0; i < n; ++i) {
      ends[i] = terms[i]->ShallowAdvance(lo);
      hi = std::min(hi, cuts[i] ? ends[i] : terms[i]->cursor()->ShallowLastDoc(kMaxBlocks - 1));
    }
    size_t first_essential = 0;
    double non_essential = 0;
    if (counting) {
      hi = static_cast<uint32_t>(std::min<uint64_t>(uint64_t{lo} + (kWindow - 1), kNoMoreDocs - 1));
      // A few more matches to count (top-k's first k): a block of the
      // densest term holds them; pruning can start after it.
      if (count_up_to - matched < kBlockSize) {
        for (size_t i = 0; i < n; ++i) hi = std::min(hi, ends[i]);
      }
      for (size_t i = 0; i < n; ++i) order[i] = i;
    }
    for (int pass = 0; pass < 2 && !counting; ++pass) {
      for (size_t i = 0; i < n; ++i) {
        wmax[i] = terms[i]->GetMaxScore(hi);
        order[i] = i;
      }
      std::sort(order.begin(), order.begin() + n, [&](size_t x, size_t y) { return wmax[x] < wmax[y]; });
      // Non-essential prefix: its bounds sum (exactly) to <= the threshold.
      first_essential = 0;
      non_essential = 0;
      if (top->full()) {
        const float t = top->min_score();
        while (first_essential < n &&
               static_cast<float>(non_essential + wmax[order[first_essential]]) <= t) {
          non_essential += wmax[order[first_essential++]];
        }
      }
      const uint32_t was = hi;
      for (size_t e = first_essential; e < n; ++e) {
        if (!cuts[order[e]]) hi = std::min(hi, ends[order[e]]);
      }
      if (hi == was) break;
    }
    if (!counting) {
      for (size_t e = 0; e < n; ++e) cuts[order[e]] = e >= first_essential;
    }
    // A candidate whose essential terms sum to `score`: probe the
    // non-essential terms, largest bound first, while it can still win.
    auto probe = [&](double score, uint32_t d) {
      double rest = non_essential;
      bool competitive = !top->full() || static_cast<float>(score + rest) > top->min_score();
      for (size_t e = first_essential; competitive && e-- > 0;) {
        TermScorer* t = terms[order[e]];
        rest -= wmax[order[e]];
        if (t->doc() < d) t->Advance(d);
        if (t->doc() == d) score += t->Score();
        competitive = !top->full() || static_cast<float>(score + rest) > top->min_score();
      }
      if (competitive) top->Push(static_cast<float>(score), d);
    };
    // Calls f(docs, tfs, from, end) for each decoded block of essential term
    // t that has docs in [lo, hi] (indices from..end-1), leaving its cursor
    // on its first doc past hi.
    auto for_each_block = [&](TermScorer* t, auto&& f) {
      PostingsCursor* c = t->cursor();
      uint32_t d = c->doc();
      if (d < lo) d = c->Advance(lo);
      while (d <= hi) {
        const uint32_t end = c->EndIndex(hi);
        f(c->block_docs(), c->block_tfs(), c->block_pos(), end);
        if (end < c->block_size()) {
          c->SetBlockPos(end);
          break;
        }
        c->SetBlockPos(end - 1);
        d = c->Next();
      }
    };
    if (first_essential + 1 == n) {
      // One essential term (the usual case once the threshold has risen):
      // its docs are the candidates, already in order.
      // Its docs are screened branch-free against the threshold first: few
      // pass, unpredictably.
      TermScorer* t = terms[order[n - 1]];
      for_each_block(t, [&](const uint32_t* docs, const uint32_t* tfs, uint32_t from, uint32_t end) {
        uint32_t cand[kBlockSize];
        double score[kBlockSize];
        uint32_t m = 0;
        if (counting) matched += end - from;
        const bool full = top->full();
        const float min = full ? top->min_score() : 0;
        for (uint32_t p = from; p < end; ++p) {
          const double s = t->ScoreOf(tfs[p], docs[p]);
          cand[m] = docs[p];
          score[m] = s;
          m += !full || static_cast<float>(s + non_essential) > min;
        }
        for (uint32_t k = 0; k < m; ++k) probe(score[k], cand[k]);
      });
    } else if (first_essential < n) {
      // Essential terms: scores summed per doc of the window, a decoded
      // block at a time. `touched` has bit k set when word k of the window's
      // bitset got a doc: sparse windows (a few docs in 4096) visit only
      // those words (scanning all 64 was most of a rare-word union's time).
      if (hi - lo >= kWindow) hi = lo + (kWindow - 1);
      static_assert(kWindow / 64 == 64, "one bit of `touched` per bitset word");
      double* const acc_p = acc.data();
      uint64_t* const bits_p = bits.data();
      uint64_t touched = 0;
      for (size_t e = first_essential; e < n; ++e) {
        TermScorer* t = terms[order[e]];
        for_each_block(t, [&](const uint32_t* docs, const uint32_t* tfs, uint32_t from, uint32_t end) {
          uint64_t words = 0;
          for (uint32_t p = from; p < end; ++p) {
            const uint32_t i = docs[p] - lo;
            acc_p[i] += t->ScoreOf(tfs[p], docs[p]);
            bits_p[i >> 6] |= uint64_t{1} << (i & 63);
            words |= uint64_t{1} << (i >> 6);
          }
          touched |= words;
        });
      }
      // Candidates in doc order.
      for (; touched != 0; touched &= touched - 1) {
        const uint32_t w = static_cast<uint32_t>(__builtin_ctzll(touched));
        for (uint64_t m = bits_p[w]; m != 0; m &= m - 1) {
          const uint32_t i = w * 64 + static_cast<uint32_t>(__builtin_ctzll(m));
          const double score = acc_p[i];
          acc_p[i] = 0;
          matched += counting;
          probe(score, lo + i);
        }
        bits_p[w] = 0;
      }
    }
    if (hi >= kNoMoreDocs - 1) break;
    lo = hi + 1;
  }
  doc_ = kNoMoreDocs;
  // Past count_up_to the count only records that it was passed.
  *count = matched <= count_up_to ? matched : count_up_to + 1;
  return true;
}

void DisjunctionScorer::ForEachPruning(TopK* top) {
  if (uint64_t count; BulkPruning(top, 0, &count)) return;
  const size_t n = children_.size();
  std::vector<size_t> order(n);
  std::vector<float> wmax(n);             // Per clause, children_ order: window bound.
  std::vector<double> part(n);            // Per clause, children_ order: score or bound.
  // Sums `part` in children_ order, exactly as Score() sums.
  auto total = [&] {
    double sum = 0;
    for (size_t i = 0; i < n; ++i) sum += part[i];
    return static_cast<float>(sum);
  };
  // First essential index in `order` for threshold t (n: none). The bounds
  // of a prefix are summed in children_ order, as Score() sums, so a doc
  // matching only that prefix provably scores <= the sum (rounding is
  // monotone).
  std::vector<uint8_t> in_prefix(n);
  auto partition = [&](float t) {
    std::fill(in_prefix.begin(), in_prefix.end(), 0);
    size_t e = 0;
    for (; e < n; ++e) {
      in_prefix[order[e]] = 1;
      double sum = 0;
      for (size_t i = 0; i < n; ++i) sum += in_prefix[i] ? wmax[i] : 0.0;
      if (static_cast<float>(sum) > t) break;
    }
    return e;
  };
  uint32_t lo = kNoMoreDocs;
  for (auto& c : children_) lo = std::min(lo, c->doc());
  while (lo != kNoMoreDocs) {
    uint32_t hi = kNoMoreDocs;
    for (auto& c : children_) hi = std::min(hi, c->ShallowAdvance(lo));
    for (size_t i = 0; i < n; ++i) {
      wmax[i] = children_[i]->GetMaxScore(hi);
      order[i] = i;
    }
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return wmax[x] < wmax[y]; });
    float partitioned_at = top->full() ? top->min_score() : -INFINITY;
    size_t first_essential = top->full() ? partition(partitioned_at) : 0;
    while (first_essential < n) {
      uint32_t doc = kNoMoreDocs;
      for (size_t e = first_essential; e < n; ++e) {
        Scorer* c = children_[order[e]].get();
        if (c->doc() < lo) c->Advance(lo);
        doc = std::min(doc, c->doc());
      }
      if (doc > hi || doc == kNoMoreDocs) break;
      // Bound: actual scores of essential clauses at doc, window bounds of the rest.
      for (size_t e = 0; e < n; ++e) {
        Scorer* c = children_[order[e]].get();
        part[order[e]] = e < first_essential ? wmax[order[e]]
                         : c->doc() == doc   ? c->Score()
                                             : 0.0;
      }
      bool competitive = !top->full() || total() > top->min_score();
      // Probe non-essential clauses, largest bound first, while still competitive.
      for (size_t e = first_essential; competitive && e-- > 0;) {
        Scorer* c = children_[order[e]].get();
        if (c->doc() < doc) c->Advance(doc);
        part[order[e]] = c->doc() == doc ? c->Score() : 0.0;
        competitive = !top->full() || total() > top->min_score();
      }
      if (competitive) top->Push(total(), doc);
      for (size_t e = first_essential; e < n; ++e) {
        Scorer* c = children_[order[e]].get();
        if (c->doc() == doc) c->Next();
      }
      lo = doc + 1;
      if (top->full() && top->min_score() != partitioned_at) {
        partitioned_at = top->min_score();
        first_essential = std::max(first_essential, partition(partitioned_at));
      }
    }
    if (hi >= kNoMoreDocs - 1) break;
    lo = hi + 1;
  }
  doc_ = kNoMoreDocs;  // The children are no longer in a consistent state.
}

std::unique_ptr<Scorer> Combine(std::vector<std::unique_ptr<Scorer>> v, bool conjunction) {
  if (v.empty()) return nullptr;
  if (v.size() == 1) return std::move(v[0]);
  if (conjunction) return std::make_unique<ConjunctionScorer>(std::move(v));
  return std::make_unique<DisjunctionScorer>(std::move(v));
}

// A filter: the wrapped scorer's matches with score 0 (and bounds 0).
class UnscoredScorer : public Scorer {
 public:
  explicit UnscoredScorer(std::unique_ptr<Scorer> inner) : inner_(std::move(inner)) {}
  uint32_t doc() const override { return inner_->doc(); }
  uint32_t Next() override { return inner_->Next(); }
  uint32_t Advance(uint32_t t) override { return inner_->Advance(t); }
  float Score() override { return 0; }
  uint64_t cost() const override { return inner_->cost(); }
  float MaxScore() override { return 0; }
  uint32_t ShallowAdvance(uint32_t) override { return kNoMoreDocs; }
  float GetMaxScore(uint32_t) override { return 0; }
  bool KnownCount(uint64_t* n) const override { return inner_->KnownCount(n); }
  bool CountRest(uint64_t* n) override { return inner_->CountRest(n); }
  bool CanCountInto() const override { return inner_->CanCountInto(); }
  bool CountInto(CountBitset* bits) override { return inner_->CountInto(bits); }

 private:
  std::unique_ptr<Scorer> inner_;
};

std::unique_ptr<Scorer> CreateScoredOrNot(const Query& q, ScorerContext* ctx);

}  // namespace

// Block-max windows for any scorer tree: a window ends where the first
// clause's current block ends; while a window's bound cannot beat the
// threshold, move on to the next window using skip data only (no block is
// decoded), then Advance into the first window that can.
void Scorer::ForEachPruning(TopK* top) {
  uint32_t d = doc();
  while (d != kNoMoreDocs) {
    if (!top->full()) {
      top->Push(Score(), d);
      d = Next();
      continue;
    }
    // Skip windows on skip data alone; decode only where the bound can win.
    uint32_t target = d, up_to = ShallowAdvance(target);
    if (!FirstWinnableWindow(this, &target, &up_to,
                             [&](uint32_t u) { return GetMaxScore(u) > top->min_score(); })) {
      return;
    }
    if (target > d) {
      d = Advance(target);
      continue;  // d may lie past this window: bound its own window first.
    }
    for (; d <= up_to && d != kNoMoreDocs; d = Next()) top->Push(Score(), d);
  }
}

// Block-max AND (Lucene's BlockMaxConjunctionScorer): windows as in the
// default, but inside a window that can win, only the lead moves doc by
// doc. Each candidate is scored clause by clause, rarest first, and dropped
// as soon as its partial sum plus the other clauses' window maxima cannot
// beat the threshold, before the costlier clauses are advanced to it. The
// bound sums in children order, as Score() does, with each unknown score
// replaced by a larger maximum: double addition and the float rounding are
// monotone, so it is never below the doc's Score().
void ConjunctionScorer::ForEachPruning(TopK* top) {
  if (Blockwise()) {
    BlockAnd<true>(top, 0);
    return;
  }
  if (!two_phase_.empty()) return Scorer::ForEachPruning(top);
  Prune(children_, top);
}

// Block-at-a-time AND of terms: the lead's docs in a window are the
// candidates, and each other term, rarest first, filters them by merging two
// sorted arrays (branch-free), or by SIMD seeks when the candidates are few
// against its block (KeepInBlock). Doc-at-a-time leapfrogging paid a virtual
// call, a block check and a seek per candidate and term; here the inner
// loops run over arrays. Scores sum in double in terms_ order, as Score().
// While counting (!kScore: COUNT, scoring nothing; kScore: until more than
// `count_up_to` matches are counted, whole windows) a window is the lead's
// whole block (IntersectLeadBlock). Then, pruning as Prune() does, a window
// ends where the first of the terms' current blocks ends (ShallowAdvance),
// so every term's docs in it lie in its decoded block; windows whose bound
// cannot win are skipped on skip data, and candidates are dropped once their
// partial sum plus the other terms' window maxima cannot beat the threshold.
// Returns the count (kScore: capped at count_up_to + 1; see CollectTop).
template <bool kScore>
uint64_t ConjunctionScorer::BlockAnd(TopK* top, uint64_t count_up_to) {
  const size_t n = terms_.size();
  if (doc_ == kNoMoreDocs) return 0;
  if (window_ == nullptr) window_ = std::make_unique<Window>();
  uint32_t* cand = window_->cand;
  double* partial = window_->partial;
  uint32_t* index = window_->index;
  // Per term: its bound over the window (pruning only). Inline for short
  // queries: an allocation is a measurable share of a selective AND.
  float maxima_inline[16];
  std::vector<float> maxima_heap(kScore && n > 16 ? n : 0);
  float* maxima = n > 16 ? maxima_heap.data() : maxima_inline;
  // The returned count's cap (count_up_to + 1, short of overflow).
  const uint64_t cap = count_up_to + (count_up_to != UINT64_MAX);
  auto can_win = [&](double sum, size_t i, float min) {
    for (; i < n; ++i) sum += maxima[i];
    return static_cast<float>(sum) > min;
  };
  TermScorer* lead = terms_[0];
  PostingsCursor* lc = lead->cursor();
  uint64_t matched = 0;
  // A window's m matches (with their scores) to the collector and the count.
  auto collect = [&](uint32_t m) {
    if constexpr (kScore) {
      for (uint32_t k = 0; k < m; ++k) top->Push(static_cast<float>(partial[k]), cand[k]);
      // Past the threshold the count only records that it was passed.
      matched = std::min(matched + m, cap);
    } else {
      matched += m;
    }
  };
  uint32_t d = doc_;
  while (d != kNoMoreDocs) {
    bool prune = false;
    if constexpr (kScore) prune = matched > count_up_to && top->full();
    if (!prune) {
      // Every match counts: the window is the lead's decoded block.
      bool exhausted = false;
      collect(IntersectLeadBlock<kScore>(&exhausted));
      if (exhausted) break;
      const uint32_t* ld = lc->block_docs();
      d = lc->Advance(ld[lc->block_size() - 1] + 1);
      continue;
    }
    uint32_t up_to = ShallowAdvance(d);
    float min = 0;
    if constexpr (kScore) {
      if (prune) {
        min = top->min_score();
        uint32_t target = d;
        if (!FirstWinnableWindow(this, &target, &up_to, [&](uint32_t u) {
              double sum = 0;
              for (size_t i = 0; i < n; ++i) sum += maxima[i] = terms_[i]->GetMaxScore(u);
              return static_cast<float>(sum) > min;
            })) {
          doc_ = kNoMoreDocs;
          return cap;
        }
        if (target > d) {
          d = lc->Advance(target);
          if (d > up_to) continue;  // Nothing of the lead here: bound d's window.
        }
      }
    }
    // The window [d, up_to]; the lead is on d.
    const uint32_t* ld = lc->block_docs();
    const uint32_t lp = lc->block_pos(), le = lc->EndIndex(up_to);
    uint32_t m = 0;
    if constexpr (!kScore) {
      m = le - lp;  // Not reached: COUNT never prunes.
      std::copy(ld + lp, ld + le, cand);
    } else {
      const uint32_t* lt = lc->block_tfs();
      // Branch-free compaction: which lead docs survive is unpredictable.
      for (uint32_t i = lp; i < le; ++i) {
        const double s = lead->ScoreOf(lt[i], ld[i]);
        cand[m] = ld[i];
        partial[m] = s;
        m += !prune || can_win(s, 1, min);
      }
    }
    bool exhausted = false;
    for (size_t t = 1; t < n && m > 0; ++t) {
      PostingsCursor* c = terms_[t]->cursor();
      // Its block holding the first doc >= cand[0] ends at or after up_to,
      // so every candidate is <= its last doc (SeekIndex's requirement).
      if (c->doc() < cand[0] && c->Advance(cand[0]) == kNoMoreDocs) {
        exhausted = true;
        m = 0;
        break;
      }
      uint32_t kept = KeepInBlock<kScore, false>(c, 0, m, 0);
      m = kept;
      if constexpr (kScore) {
        const uint32_t* tf = c->block_tfs();
        const TermScorer* ts = terms_[t];
        if (prune && t + 1 < n) {
          kept = 0;
          for (uint32_t k = 0; k < m; ++k) {
            const double s = partial[k] + ts->ScoreOf(tf[index[k]], cand[k]);
            cand[kept] = cand[k];
            partial[kept] = s;
            kept += can_win(s, t + 1, min);
          }
          m = kept;
        } else {
          for (uint32_t k = 0; k < m; ++k) partial[k] += ts->ScoreOf(tf[index[k]], cand[k]);
        }
      }
    }
    collect(m);
    if (exhausted) break;
    d = lc->Advance(up_to + 1);
  }
  doc_ = kNoMoreDocs;
  return matched;
}

// Keeps those of the candidates cand[k, end) that are docs of `c`'s decoded
// block (from its current doc on), compacted from cand[kept] on; returns the
// new kept. A bitmap block still in bits is probed bit by bit (decoding its
// 128 ids cost more than the probes: 7% of enwiki intersections). Otherwise
// SIMD seeks when the candidates are few against the block, else a
// branch-free merge of the two sorted arrays. kPartial: partial sums move
// with their docs and index[] gets each survivor's index in the block;
// kLead: lead_index[] moves too. REQUIRES: every candidate <= the block's
// last doc.
template <bool kPartial, bool kLead>
uint32_t ConjunctionScorer::KeepInBlock(PostingsCursor* c, uint32_t k, uint32_t end,
                                        uint32_t kept) {
  Window& w = *window_;
  if (c->bitmap_pending()) {
    // A dense block still in bits: a bit test per candidate, no decoding.
    const uint32_t first = kept;
    for (; k < end; ++k) {
      const uint32_t a = w.cand[k];
      if constexpr (kPartial) w.partial[kept] = w.partial[k];
      if constexpr (kLead) w.lead_index[kept] = w.lead_index[k];
      w.cand[kept] = a;
      kept += c->BitmapHas(a);
    }
    if constexpr (kPartial) c->BitmapIndices(w.cand + first, kept - first, w.index + first);
    return kept;
  }
  const uint32_t* cd = c->block_docs();
  const uint32_t ce = c->block_size();
  uint32_t j = c->block_pos();
  auto carry = [&](uint32_t from, uint32_t to) {
    if constexpr (kPartial) {
      w.partial[to] = w.partial[from];
      w.index[to] = j;
    }
    if constexpr (kLead) w.lead_index[to] = w.lead_index[from];
  };
  if ((end - k) * 8 < ce - j) {
    for (; k < end; ++k) {
      j = c->SeekIndex(j, w.cand[k]);
      carry(k, kept);
      const uint32_t a = w.cand[k];
      w.cand[kept] = a;
      kept += cd[j] == a;
    }
  } else {
    while (k < end && j < ce) {
      const uint32_t a = w.cand[k], b = cd[j];
      carry(k, kept);
      w.cand[kept] = a;
      kept += a == b;
      k += a <= b;
      j += b <= a;
    }
  }
  return kept;
}

// One window of BlockAnd without pruning: the lead's docs from its current
// doc to the end of its decoded block, filtered by each other term in turn.
// A term's docs there may span several of its blocks: the candidates are
// taken a block of it at a time (Advance skips blocks on skip data). With
// kScore, each survivor's score is summed in terms_ order as it is merged in:
// the lead's when the first other term keeps it (the lead's block stays
// decoded), then each term's while its block is the decoded one. Leaves the
// matches in window_->cand (their scores in ->partial); *exhausted if some term
// has no docs left, so no later window can match.
template <bool kScore>
uint32_t ConjunctionScorer::IntersectLeadBlock(bool* exhausted) {
  const size_t n = terms_.size();
  uint32_t* cand = window_->cand;
  double* partial = window_->partial;
  uint32_t* index = window_->index;
  uint32_t* lead_index = window_->lead_index;
  TermScorer* lead = terms_[0];
  PostingsCursor* lc = lead->cursor();
  const uint32_t* ld = lc->block_docs();
  const uint32_t lp = lc->block_pos();
  uint32_t m = lc->block_size() - lp;
  std::copy(ld + lp, ld + lp + m, cand);
  if constexpr (kScore) {
    for (uint32_t k = 0; k < m; ++k) lead_index[k] = lp + k;
  }
  for (size_t t = 1; t < n && m > 0; ++t) {
    PostingsCursor* c = terms_[t]->cursor();
    const TermScorer* ts = terms_[t];
    uint32_t kept = 0;
    for (uint32_t k = 0; k < m;) {
      if (c->doc() < cand[k] && c->Advance(cand[k]) == kNoMoreDocs) {
        *exhausted = true;
        break;
      }
      const uint32_t last = c->block_last_doc();
      uint32_t end = k;  // Candidates up to `last` are settled by this block.
      while (end < m && cand[end] <= last) ++end;
      const uint32_t first_kept = kept;
      kept = KeepInBlock<kScore, kScore>(c, k, end, kept);
      k = end;
      if constexpr (kScore) {
        const uint32_t* tf = c->block_tfs();
        if (t == 1) {
          const uint32_t* lt = lc->block_tfs();
          for (uint32_t i = first_kept; i < kept; ++i) {
            partial[i] = static_cast<double>(lead->ScoreOf(lt[lead_index[i]], cand[i])) +
                         ts->ScoreOf(tf[index[i]], cand[i]);
          }
        } else {
          for (uint32_t i = first_kept; i < kept; ++i) partial[i] += ts->ScoreOf(tf[index[i]], cand[i]);
        }
      }
    }
    m = kept;
  }
  return m;
}

template <typename Child>
void ConjunctionScorer::Prune(const std::vector<Child*>& kids, TopK* top) {
  const size_t n = kids.size();
  Child* lead = kids[0];
  std::vector<float> maxima(n);
  // Whether a doc whose first i clauses sum (in double) to `partial` can beat `min`.
  auto can_win = [&](double partial, size_t i, float min) {
    for (; i < n; ++i) partial += maxima[i];
    return static_cast<float>(partial) > min;
  };
  uint32_t d = doc_;
  while (d != kNoMoreDocs) {
    if (!top->full()) {  // Here every child is on d.
      top->Push(Score(), d);
      d = doc_ = Next();
      continue;
    }
    uint32_t target = d, up_to = ShallowAdvance(target);
    if (!FirstWinnableWindow(this, &target, &up_to, [&](uint32_t u) {
          double sum = 0;
          for (size_t i = 0; i < n; ++i) sum += maxima[i] = kids[i]->GetMaxScore(u);
          return static_cast<float>(sum) > top->min_score();
        })) {
      doc_ = kNoMoreDocs;
      return;
    }
    if (target > d) d = lead->Advance(target);
    // The lead is on d; the others are on d or behind it.
    while (d <= up_to && d != kNoMoreDocs) {
      const float min = top->min_score();
      double sum = lead->Score();
      if (!can_win(sum, 1, min)) {
        d = lead->Next();
        continue;
      }
      size_t i = 1;
      for (; i < n; ++i) {
        Child* c = kids[i];
        const uint32_t cd = c->doc() < d ? c->Advance(d) : c->doc();
        if (cd > d) break;
        sum += c->Score();
        if (i + 1 < n && !can_win(sum, i + 1, min)) break;
      }
      if (i == n) {
        top->Push(static_cast<float>(sum), d);
        d = lead->Next();
      } else if (kids[i]->doc() > d) {
        d = lead->Advance(kids[i]->doc());
      } else {
        d = lead->Next();
      }
    }
    doc_ = d;  // Past the window; the others catch up when a window can win.
  }
  doc_ = kNoMoreDocs;
}

const NormInverseTable* ScorerContext::NormTable(const FieldReader& field) {
  const float avgdl = Bm25AvgFieldLength(field.stats.sum_total_tf, field.stats.doc_count);
  // The field's shared table is found without a per-query list.
  if (const NormInverseTable* shared = field.postings.bound_cache->NormTable(params_, avgdl)) {
    return shared;
  }
  for (auto& [id, table] : tables_) {
    if (id == field.id) return table;
  }
  owned_tables_.push_back(std::make_unique<NormInverseTable>(MakeNormInverseTable(params_, avgdl)));
  tables_.emplace_back(field.id, owned_tables_.back().get());
  return owned_tables_.back().get();
}

PostingsCursor* ScorerContext::NewCursor(const FieldReader& field, const TermInfo& info) {
  if (num_inline_ < kInlineCursors) {
    return &inline_cursors_[num_inline_++].emplace(&field.postings, info);
  }
  cursors_.push_back(std::make_unique<PostingsCursor>(&field.postings, info));
  return cursors_.back().get();
}

bool ScorerContext::corrupt() const {
  for (size_t i = 0; i < num_inline_; ++i) {
    if (inline_cursors_[i]->corrupt()) return true;
  }
  for (const auto& c : cursors_) {
    if (c->corrupt()) return true;
  }
  return false;
}

uint64_t Scorer::CollectTop(TopK* top, uint64_t count_up_to) {
  uint64_t n = 0;
  uint32_t d = doc();
  for (; d != kNoMoreDocs && n < count_up_to; d = Next(), ++n) top->Push(Score(), d);
  if (d == kNoMoreDocs) return n;
  ForEachPruning(top);
  return n + 1;
}

uint64_t CountMatches(Scorer* scorer, uint32_t num_docs) {
  if (uint64_t n; scorer->KnownCount(&n) || scorer->CountRest(&n)) return n;
  // The bitset costs a byte per 512 docs to scan even for a handful of
  // matches; below that, merging is as cheap.
  if (scorer->CanCountInto() && scorer->cost() >= num_docs / 32768) {
    thread_local CountBitset bits;
    bits.Reserve(num_docs);
    scorer->CountInto(&bits);
    return bits.CountAndClear();
  }
  uint64_t n = 0;
  for (uint32_t d = scorer->doc(); d != kNoMoreDocs; d = scorer->Next()) ++n;
  return n;
}

std::unique_ptr<Scorer> CreateScorer(const Query& q, ScorerContext* ctx) {
  std::unique_ptr<Scorer> s = CreateScoredOrNot(q, ctx);
  if (q.scored) return s;
  return std::make_unique<UnscoredScorer>(std::move(s));
}

namespace {

// The union of one field's term expansions when every match is visited
// (facets, sort): a window of docs at a time, each term's postings are
// walked once into a bitset and a score array, instead of merging up to
// max_expansions lists doc by doc. Scores are summed per doc in clause
// order, in double, exactly as DisjunctionScorer sums them. Bounds are the
// global ones only: the terms' cursors run ahead of doc(), and this scorer
// is never used for pruning.
class WindowedUnionScorer final : public Scorer {
 public:
  explicit WindowedUnionScorer(std::vector<std::unique_ptr<TermScorer>> children)
      : children_(std::move(children)) {
    doc_ = Fill(0);
  }
  uint32_t doc() const override { return doc_; }
  uint32_t Next() override { return doc_ = doc_ == kNoMoreDocs ? doc_ : Seek(doc_ + 1); }
  uint32_t Advance(uint32_t t) override { return doc_ = Seek(t); }
  float Score() override { return static_cast<float>(acc_[doc_ - base_]); }
  uint64_t cost() const override { return SumCost(children_); }
  float MaxScore() override { return SumMaxScore(children_); }
  uint32_t ShallowAdvance(uint32_t) override { return kNoMoreDocs; }
  float GetMaxScore(uint32_t) override { return MaxScore(); }

 private:
  static constexpr uint32_t kWindow = 4096;

  // First match >= t, refilling the window when t is past it.
  uint32_t Seek(uint32_t t) {
    if (t < base_ + kWindow) {
      for (uint32_t w = (t - base_) >> 6; w < kWindow / 64; ++w) {
        uint64_t bits = bits_[w];
        if (w == (t - base_) >> 6) bits &= ~uint64_t{0} << ((t - base_) & 63);
        if (bits != 0) return base_ + w * 64 + static_cast<uint32_t>(__builtin_ctzll(bits));
      }
      t = base_ + kWindow;
    }
    return Fill(t);
  }

  // Loads the window starting at the first match >= t; returns that match.
  uint32_t Fill(uint32_t t) {
    uint32_t first = kNoMoreDocs;
    for (auto& c : children_) {
      uint32_t d = c->doc();
      if (d < t) d = c->Advance(t);
      first = std::min(first, d);
    }
    if (first == kNoMoreDocs) return kNoMoreDocs;
    base_ = first;
    const uint64_t end = uint64_t{first} + kWindow;
    std::fill(std::begin(bits_), std::end(bits_), 0);
    for (auto& c : children_) {
      for (uint32_t d = c->doc(); d < end; d = c->Next()) {
        const uint32_t i = d - first;
        const uint64_t bit = uint64_t{1} << (i & 63);
        const double s = c->Score();
        acc_[i] = (bits_[i >> 6] & bit) ? acc_[i] + s : 0.0 + s;
        bits_[i >> 6] |= bit;
      }
    }
    return first;
  }

  std::vector<std::unique_ptr<TermScorer>> children_;
  uint32_t base_ = 0;
  uint32_t doc_ = kNoMoreDocs;
  uint64_t bits_[kWindow / 64];
  double acc_[kWindow];
};

size_t CodePointCount(std::string_view s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xc0) != 0x80;
  return n;
}

// Prefix matches score below the exact term, typo matches lower still.
constexpr float kPrefixFactor = 0.8f;
constexpr float kTypoFactor = 0.5f;  // Per edit.

// A term with prefix and/or typo expansions: the exact term and its
// expansions, each weighted by how far it is from what was typed.
void ExpandTermClauses(const Query& q, const FieldReader& field, ScorerContext* ctx,
                       std::vector<std::unique_ptr<TermScorer>>* out) {
  std::vector<std::unique_ptr<TermScorer>>& clauses = *out;
  std::vector<std::pair<uint32_t, float>> picks;  // (ordinal, weight factor)
  auto add = [&](uint32_t ord, float factor) {
    for (auto& p : picks) {
      if (p.first == ord) {
        p.second = std::max(p.second, factor);
        return;
      }
    }
    picks.emplace_back(ord, factor);
  };
  if (const auto exact = field.dict.Find(q.terms[0])) add(*exact, 1.0f);
  // Prefixes short enough for the field's prefix index read its merged
  // list (every completion, one clause); longer ones expand to the most
  // frequent completions.
  std::vector<TermInfo> prefix_lists;
  if (q.prefix) {
    const FieldReader* prefixes = ctx->reader()->prefix_field(q.field);
    for (const std::string* p : {&q.surface, &q.terms[0]}) {
      if (p == &q.terms[0] && *p == q.surface) break;
      if (prefixes != nullptr && CodePointCount(*p) <= field.spec->index_prefixes) {
        if (const auto ord = prefixes->dict.Find(*p)) prefix_lists.push_back(prefixes->Term(*ord));
        if (ctx->collect_terms()) {
          for (const Expansion& e : PrefixTerms(field, *p, q.max_expansions)) {
            std::vector<std::string> term;
            if (field.dict.Terms(e.ord, 1, &term).ok()) ctx->NoteTerm(q.field, term[0]);
          }
        }
        continue;
      }
      for (const Expansion& e : PrefixTerms(field, *p, q.max_expansions)) add(e.ord, kPrefixFactor);
    }
  }
  if (q.max_edits > 0) {
    for (const Expansion& e : FuzzyTerms(field, q.terms[0], q.max_edits, true, q.max_expansions)) {
      add(e.ord, std::pow(kTypoFactor, static_cast<float>(e.edits)));
    }
  }
  std::sort(picks.begin(), picks.end());  // Deterministic clause order.
  for (const auto& [ord, factor] : picks) {
    std::vector<std::string> term;
    if (ctx->collect_terms() && field.dict.Terms(ord, 1, &term).ok()) {
      ctx->NoteTerm(q.field, term[0]);
    }
    const TermInfo info = field.Term(ord);
    const float idf = Bm25Idf(info.doc_freq, field.stats.doc_count);
    const float weight = q.boost * factor * idf;
    clauses.push_back(std::make_unique<TermScorer>(ctx->NewCursor(field, info), &field, weight,
                                                   idf, ctx->NormTable(field), ctx->params()));
  }
  if (!prefix_lists.empty()) {
    const FieldReader& prefixes = *ctx->reader()->prefix_field(q.field);
    for (const TermInfo& info : prefix_lists) {
      // The prefix list's stored block maxima use this idf too.
      const float idf = Bm25Idf(info.doc_freq, field.stats.doc_count);
      clauses.push_back(std::make_unique<TermScorer>(ctx->NewCursor(prefixes, info), &prefixes,
                                                     q.boost * kPrefixFactor * idf, idf,
                                                     ctx->NormTable(field), ctx->params()));
    }
  }
}

// One union over term clauses: a windowed one when every match is visited,
// else the pruning one.
std::unique_ptr<Scorer> UnionOfTerms(std::vector<std::unique_ptr<TermScorer>> clauses,
                                     ScorerContext* ctx) {
  if (clauses.empty()) return std::make_unique<EmptyScorer>();
  if (clauses.size() == 1) return std::move(clauses[0]);
  if (ctx->visit_all()) return std::make_unique<WindowedUnionScorer>(std::move(clauses));
  std::vector<std::unique_ptr<Scorer>> scorers(std::make_move_iterator(clauses.begin()),
                                               std::make_move_iterator(clauses.end()));
  return std::make_unique<DisjunctionScorer>(std::move(scorers));
}

// Whether q only sums terms: a scored term (expansions included), or a
// scored OR of such. A word searched in several fields, with its prefix and
// typo expansions, is one; it becomes one flat union of all its terms
// (no union per field inside a union, and the bulk MaxScore path applies).
bool IsUnionOfTerms(const Query& q) {
  if (!q.scored) return false;
  if (q.kind == Query::Kind::kTerm) return true;
  if (q.kind != Query::Kind::kBoolean || !q.must.empty() || !q.must_not.empty() || q.should.empty()) {
    return false;
  }
  for (const auto& c : q.should) {
    if (!IsUnionOfTerms(*c)) return false;
  }
  return true;
}

// Appends the term clauses of q. REQUIRES: IsUnionOfTerms(q).
void AppendTermClauses(const Query& q, ScorerContext* ctx,
                       std::vector<std::unique_ptr<TermScorer>>* out) {
  if (q.kind == Query::Kind::kBoolean) {
    for (const auto& c : q.should) AppendTermClauses(*c, ctx, out);
    return;
  }
  const FieldReader* field = ctx->reader()->field(q.field);
  if (field == nullptr) return;
  if (q.prefix || q.max_edits > 0) {
    ExpandTermClauses(q, *field, ctx, out);
    return;
  }
  ctx->NoteTerm(q.field, q.terms[0]);
  const auto ord = field->dict.Find(q.terms[0]);
  if (!ord) return;
  const TermInfo info = field->Term(*ord);
  const float idf = Bm25Idf(info.doc_freq, field->stats.doc_count);
  out->push_back(std::make_unique<TermScorer>(ctx->NewCursor(*field, info), field, q.boost * idf,
                                              idf, ctx->NormTable(*field), ctx->params()));
}

std::unique_ptr<Scorer> CreateScoredOrNot(const Query& q, ScorerContext* ctx) {
  const IndexReader* reader = ctx->reader();
  switch (q.kind) {
    case Query::Kind::kMatchAll:
      return std::make_unique<MatchAllScorer>(reader->num_docs());
    case Query::Kind::kDocSet:
      return std::make_unique<DocSetScorer>(q.doc_set);
    case Query::Kind::kRange: {
      const NumericColumn* column = reader->numeric(q.field);
      if (column == nullptr) return std::make_unique<EmptyScorer>();
      return std::make_unique<RangeScorer>(column, reader->num_docs(), q);
    }
    case Query::Kind::kTerm:
    case Query::Kind::kPhrase: {
      const FieldReader* field = reader->field(q.field);
      if (field == nullptr) return std::make_unique<EmptyScorer>();
      if (q.kind == Query::Kind::kTerm && (q.prefix || q.max_edits > 0)) {
        std::vector<std::unique_ptr<TermScorer>> clauses;
        ExpandTermClauses(q, *field, ctx, &clauses);
        return UnionOfTerms(std::move(clauses), ctx);
      }
      if (q.kind == Query::Kind::kTerm) {  // As a phrase of one word, without its vectors.
        ctx->NoteTerm(q.field, q.terms[0]);
        const auto ord = field->dict.Find(q.terms[0]);
        if (!ord) return std::make_unique<EmptyScorer>();
        const TermInfo info = field->Term(*ord);
        const float idf = Bm25Idf(info.doc_freq, field->stats.doc_count);
        return std::make_unique<TermScorer>(ctx->NewCursor(*field, info), field, q.boost * idf, idf,
                                            ctx->NormTable(*field), ctx->params());
      }
      std::vector<PostingsCursor*> cursors;  // One per distinct term.
      std::vector<uint32_t> term_of;         // Per word: its index in cursors.
      cursors.reserve(q.terms.size());       // One allocation each, not one per doubling.
      term_of.reserve(q.terms.size());
      double idf = 0;  // Lucene sums a phrase's idfs in double, then rounds.
      for (size_t i = 0; i < q.terms.size(); ++i) {
        const std::string& term = q.terms[i];
        ctx->NoteTerm(q.field, term);
        const auto ord = field->dict.Find(term);
        if (!ord) return std::make_unique<EmptyScorer>();
        const TermInfo info = field->Term(*ord);
        idf += Bm25Idf(info.doc_freq, field->stats.doc_count);  // Per word, repeats too.
        const size_t seen = std::find(q.terms.begin(), q.terms.begin() + i, term) - q.terms.begin();
        if (seen < i) {
          term_of.push_back(term_of[seen]);
        } else {
          term_of.push_back(static_cast<uint32_t>(cursors.size()));
          cursors.push_back(ctx->NewCursor(*field, info));
        }
      }
      const float weight = q.boost * static_cast<float>(idf);
      if (q.kind == Query::Kind::kTerm) {
        return std::make_unique<TermScorer>(cursors[0], field, weight, static_cast<float>(idf),
                                            ctx->NormTable(*field), ctx->params());
      }
      return std::make_unique<PhraseScorer>(std::move(cursors), term_of, q.offsets, field, weight,
                                            ctx->NormTable(*field));
    }
    case Query::Kind::kBoolean: {
      if (IsUnionOfTerms(q)) {
        std::vector<std::unique_ptr<TermScorer>> clauses;
        clauses.reserve(q.should.size());  // One per word and field, usually.
        AppendTermClauses(q, ctx, &clauses);
        return UnionOfTerms(std::move(clauses), ctx);
      }
      std::vector<std::unique_ptr<Scorer>> must, should, must_not;
      must.reserve(q.must.size());
      should.reserve(q.should.size());
      must_not.reserve(q.must_not.size());
      for (const auto& c : q.must) must.push_back(CreateScorer(*c, ctx));
      for (const auto& c : q.should) should.push_back(CreateScorer(*c, ctx));
      ctx->EnterNegation();
      for (const auto& c : q.must_not) must_not.push_back(CreateScorer(*c, ctx));
      ctx->LeaveNegation();
      std::unique_ptr<Scorer> req = Combine(std::move(must), /*conjunction=*/true);
      std::unique_ptr<Scorer> opt = Combine(std::move(should), /*conjunction=*/false);
      std::unique_ptr<Scorer> excl = Combine(std::move(must_not), /*conjunction=*/false);
      if (req == nullptr) {  // Only should clauses (at least one must match).
        req = std::move(opt);
        if (req == nullptr) return std::make_unique<EmptyScorer>();
      }
      if (opt == nullptr && excl == nullptr) return req;
      return std::make_unique<BooleanScorer>(std::move(req), std::move(opt), std::move(excl));
    }
  }
  return std::make_unique<EmptyScorer>();
}

}  // namespace

}  // namespace libsearch::internal
