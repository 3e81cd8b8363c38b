#include "query/collect/led_union.h"

#include <algorithm>
#include <vector>

#include "query/collect/collect.h"

namespace libsearch::internal {
namespace {

// The followers' matches in one window of docs, read when the window is
// reached: per doc, each matching follower's (clause index, score), in
// clause order.
class FollowerWindow {
 public:
  explicit FollowerWindow(LedUnionScorer* s) {
    for (size_t i = 0; i < s->children().size(); ++i) {
      if (s->leads()[i]) continue;
      followers_.push_back(s->children()[i].get());
      index_.push_back(static_cast<uint32_t>(i));
    }
  }

  // A bound on the follower sum of any doc in [from, up_to], from the
  // followers' block maxima, without reading their docs.
  double Bound(uint32_t from, uint32_t up_to) {
    double sum = 0;
    for (Scorer* f : followers_) {
      const uint32_t at = std::max(from, f->doc());
      if (at > up_to) continue;
      f->ShallowAdvance(at);
      sum += f->GetMaxScore(up_to);
    }
    return sum;
  }

  // Reads the followers' matches in [from, up_to] (followers only move
  // forward: windows come in increasing order).
  void Read(uint32_t from, uint32_t up_to) {
    docs_.clear();
    begin_.clear();
    entries_.clear();
    sums_.clear();
    next_ = 0;
    at_.resize(followers_.size());
    for (size_t f = 0; f < followers_.size(); ++f) {
      Scorer* c = followers_[f];
      at_[f] = c->doc() < from ? c->Advance(from) : c->doc();
    }
    while (true) {
      uint32_t x = kNoMoreDocs;
      for (const uint32_t d : at_) x = std::min(x, d);
      if (x > up_to || x == kNoMoreDocs) break;
      docs_.push_back(x);
      begin_.push_back(static_cast<uint32_t>(entries_.size()));
      double sum = 0;
      for (size_t f = 0; f < followers_.size(); ++f) {
        if (at_[f] != x) continue;
        const float score = followers_[f]->Score();
        entries_.emplace_back(index_[f], score);
        sum += score;
        at_[f] = followers_[f]->Next();
      }
      sums_.push_back(sum);
    }
    begin_.push_back(static_cast<uint32_t>(entries_.size()));
  }

  // The largest follower sum of a read doc.
  double MaxSum() const {
    double m = 0;
    for (const double s : sums_) m = std::max(m, s);
    return m;
  }
  const std::vector<uint32_t>& docs() const { return docs_; }
  double sum(size_t j) const { return sums_[j]; }

  // Score() of the union at lead doc x of the window read: every matching
  // clause in clause order (the leads' and the followers' merged by index;
  // lead_docs: each lead's doc).
  // REQUIRES: x increases between calls after a Read.
  float Score(uint32_t x, const std::vector<Scorer*>& leads, const std::vector<uint32_t>& lead_docs,
              const std::vector<uint32_t>& lead_index) {
    while (next_ < docs_.size() && docs_[next_] < x) ++next_;
    const bool has_f = next_ < docs_.size() && docs_[next_] == x;
    uint32_t e = has_f ? begin_[next_] : 0;
    const uint32_t e_end = has_f ? begin_[next_ + 1] : 0;
    double sum = 0;
    for (size_t j = 0; j < leads.size(); ++j) {
      for (; e < e_end && entries_[e].first < lead_index[j]; ++e) sum += entries_[e].second;
      if (lead_docs[j] == x) sum += leads[j]->Score();
    }
    for (; e < e_end; ++e) sum += entries_[e].second;
    return static_cast<float>(sum);
  }

 private:
  std::vector<Scorer*> followers_;
  std::vector<uint32_t> index_;  // Per follower: its clause index.
  std::vector<uint32_t> at_;     // Per follower: its doc.
  // The window read: its docs, each one's first entry (one more at the
  // end), the entries, and each doc's entries summed.
  std::vector<uint32_t> docs_;
  std::vector<uint32_t> begin_;
  std::vector<std::pair<uint32_t, float>> entries_;
  std::vector<double> sums_;
  size_t next_ = 0;  // The first read doc >= the last scored one.
};

}  // namespace

uint64_t LedUnionCollectTop(LedUnionScorer* s, TopK* top, uint64_t count_up_to) {
  uint64_t n = 0;
  const uint32_t d = CountLive(s, top, count_up_to, &n);
  if (d == kNoMoreDocs) return n;
  FollowerWindow followers(s);
  const auto& children = s->children();
  std::vector<Scorer*> leads;
  std::vector<uint32_t> lead_index;  // Per lead: its clause index.
  for (size_t i = 0; i < children.size(); ++i) {
    if (!s->leads()[i]) continue;
    leads.push_back(children[i].get());
    lead_index.push_back(static_cast<uint32_t>(i));
  }
  // Each lead's doc, kept in step with it (a prefix word has dozens of
  // leads: one array scan per doc instead of a call per lead).
  std::vector<uint32_t> at;
  at.reserve(leads.size());
  for (Scorer* l : leads) at.push_back(l->doc());
  auto min_lead = [&] {
    uint32_t x = kNoMoreDocs;
    for (const uint32_t a : at) x = std::min(x, a);
    return x;
  };
  auto next = [&](uint32_t x) {
    for (size_t j = 0; j < leads.size(); ++j) {
      if (at[j] == x) at[j] = leads[j]->Next();
    }
  };
  auto advance = [&](uint32_t target) {
    for (size_t j = 0; j < leads.size(); ++j) {
      if (at[j] < target) at[j] = leads[j]->Advance(target);
    }
  };
  // Windows of the leads' blocks. A window whose leads' bound plus the
  // followers' block maxima cannot beat the threshold is skipped without
  // reading the followers; else the followers' docs in it are read, and
  // the largest recorded follower sum replaces their maxima.
  for (uint32_t x = min_lead(); x != kNoMoreDocs;) {
    uint32_t up_to = kNoMoreDocs;
    for (size_t j = 0; j < leads.size(); ++j) {
      if (at[j] != kNoMoreDocs) up_to = std::min(up_to, leads[j]->ShallowAdvance(x));
    }
    double bound = 0;
    const bool full = top->full();
    if (full) {
      for (size_t j = 0; j < leads.size(); ++j) {
        if (at[j] != kNoMoreDocs) bound += leads[j]->GetMaxScore(up_to);
      }
      if (static_cast<float>(bound) <= top->min_score() &&
          static_cast<float>(bound + followers.Bound(x, up_to)) <= top->min_score()) {
        if (up_to >= kNoMoreDocs - 1) break;
        advance(up_to + 1);
        x = min_lead();
        continue;
      }
    }
    followers.Read(x, up_to);
    if (full && static_cast<float>(bound) <= top->min_score()) {
      // Only a doc with followers can win here: those read, each looked up
      // in the leads.
      if (static_cast<float>(bound + followers.MaxSum()) > top->min_score()) {
        const std::vector<uint32_t>& fdocs = followers.docs();
        for (size_t j = 0; j < fdocs.size(); ++j) {
          const uint32_t y = fdocs[j];
          if (static_cast<float>(bound + followers.sum(j)) <= top->min_score()) continue;
          advance(y);
          if (min_lead() == y) top->Push(followers.Score(y, leads, at, lead_index), y);
        }
      }
      if (up_to >= kNoMoreDocs - 1) break;
      advance(up_to + 1);
      x = min_lead();
      continue;
    }
    for (; x <= up_to && x != kNoMoreDocs; x = min_lead()) {
      top->Push(followers.Score(x, leads, at, lead_index), x);
      next(x);
    }
  }
  s->Exhaust();
  return n + 1;
}

}  // namespace libsearch::internal
