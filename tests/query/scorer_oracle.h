// Test support for the scorer families and collection strategies: a random
// small index (fixed seed) and a brute-force evaluator of internal::Query
// trees over the documents' token lists.
//
// Scores: the evaluator computes each term's and phrase's BM25 with the same
// float primitives (index/bm25.h) from its own tf, doc_freq and field
// length statistics, so a leaf's score must be equal bit for bit. Composite
// scores are sums in double rounded to float once per scorer node, as the
// scorers do; with a handful of clauses whose scores lie within a few powers
// of two of each other, those double sums are exact whatever their order,
// so the evaluator may sum in query order while a conjunction sums rarest
// first, and equality stays exact.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "index/bm25.h"
#include "index/index_reader.h"
#include "query/query.h"
#include "query/scoring.h"
#include "query/top_k.h"
#include "testing/test_util.h"

namespace libsearch::scorer_testing {

using internal::kNoMoreDocs;
using internal::Query;

inline constexpr uint32_t kNumDocs = 3000;
inline constexpr int kVocabulary = 40;

// The shared index: kNumDocs docs of words "w0".."w39" (w0 in most docs, so
// it has bitmap blocks; w39 in few), some docs with repeated bigrams for
// phrases, and a numeric field on about two thirds of the docs.
class OracleIndex {
 public:
  static const OracleIndex& Get() {
    static const OracleIndex* index = new OracleIndex();
    return *index;
  }

  const internal::IndexReader* reader() const { return reader_.get(); }
  uint32_t body() const { return body_; }
  uint32_t price() const { return price_; }
  const std::vector<std::vector<std::string>>& tokens() const { return tokens_; }
  const std::vector<std::optional<double>>& prices() const { return prices_; }

  uint64_t DocFreq(const std::string& term) const {
    auto [it, fresh] = doc_freq_.try_emplace(term, 0);
    if (fresh) {
      for (const auto& doc : tokens_) it->second += std::count(doc.begin(), doc.end(), term) > 0;
    }
    return it->second;
  }
  uint32_t Tf(uint32_t doc, const std::string& term) const {
    return static_cast<uint32_t>(std::count(tokens_[doc].begin(), tokens_[doc].end(), term));
  }
  float Idf(const std::string& term) const { return internal::Bm25Idf(DocFreq(term), doc_count_); }
  // BM25 of a doc with frequency `tf` for weight `weight`.
  float Bm25(float weight, uint32_t tf, uint32_t doc) const {
    return internal::Bm25Score(weight, tf, table_[reader_->field(body_)->norm(doc)]);
  }

 private:
  OracleIndex() {
    std::mt19937 rng(20261206);
    // Zipf-like word choice.
    std::vector<double> w;
    for (int r = 0; r < kVocabulary; ++r) w.push_back(1.0 / (r + 1));
    std::discrete_distribution<int> word(w.begin(), w.end());
    std::uniform_int_distribution<int> len(1, 24);
    std::uniform_real_distribution<double> unit(0, 1);
    std::vector<std::string> json;
    tokens_.resize(kNumDocs);
    prices_.resize(kNumDocs);
    uint64_t sum_tf = 0;
    for (uint32_t d = 0; d < kNumDocs; ++d) {
      std::vector<std::string>& t = tokens_[d];
      const int n = len(rng);
      for (int i = 0; i < n; ++i) t.push_back("w" + std::to_string(word(rng)));
      if (unit(rng) < 0.15) t.insert(t.begin() + n / 2, {"w5", "w6"});
      if (unit(rng) < 0.05) t.insert(t.end(), {"w3", "w9", "w3"});
      if (unit(rng) < 0.5) t.insert(t.begin(), "w0");  // Dense: bitmap blocks.
      std::string text;
      for (const auto& s : t) text += (text.empty() ? "" : " ") + s;
      std::string doc = R"({"id": "d)" + std::to_string(d) + R"(", "body": ")" + text + "\"";
      if (unit(rng) < 0.66) {
        prices_[d] = std::floor(unit(rng) * 1000) / 10;
        doc += ", \"price\": " + std::to_string(*prices_[d]);
      }
      json.push_back(doc + "}");
      sum_tf += t.size();
    }
    doc_count_ = kNumDocs;
    auto schema =
        Schema::FromJson(R"({"id": "id", "fields": {"body": {"type": "text", "language": "none",)"
                         R"( "fold_accents": false}, "price": {"type": "float"}}})");
    EXPECT_TRUE(schema.ok()) << schema.status().ToString();
    const std::string path = dir_.File("oracle.idx");
    const Status s = testing::BuildIndex(*schema, json, path);
    EXPECT_TRUE(s.ok()) << s.ToString();
    auto reader = internal::IndexReader::Open(path);
    EXPECT_TRUE(reader.ok()) << reader.status().ToString();
    reader_ = std::move(*reader);
    body_ = *reader_->schema().FieldIndex("body");
    price_ = *reader_->schema().FieldIndex("price");
    table_ = internal::MakeNormInverseTable({}, internal::Bm25AvgFieldLength(sum_tf, doc_count_));
  }

  testing::TempDir dir_;
  std::unique_ptr<internal::IndexReader> reader_;
  uint32_t body_ = 0, price_ = 0;
  std::vector<std::vector<std::string>> tokens_;
  std::vector<std::optional<double>> prices_;
  uint64_t doc_count_ = 0;
  internal::NormInverseTable table_;
  mutable std::map<std::string, uint64_t> doc_freq_;
};

// --- Query construction.

inline std::unique_ptr<Query> Term(const std::string& t, float boost = 1.0f) {
  auto q = std::make_unique<Query>();
  q->kind = Query::Kind::kTerm;
  q->field = OracleIndex::Get().body();
  q->terms = {t};
  q->boost = boost;
  return q;
}
inline std::unique_ptr<Query> Phrase(const std::vector<std::string>& words) {
  auto q = std::make_unique<Query>();
  q->kind = Query::Kind::kPhrase;
  q->field = OracleIndex::Get().body();
  q->terms = words;
  for (uint32_t i = 0; i < words.size(); ++i) q->offsets.push_back(i);
  return q;
}
inline std::unique_ptr<Query> Range(double lo, double hi) {
  auto q = std::make_unique<Query>();
  q->kind = Query::Kind::kRange;
  q->field = OracleIndex::Get().price();
  q->lo = lo;
  q->hi = hi;
  return q;
}
inline std::unique_ptr<Query> Bool(std::vector<std::unique_ptr<Query>> must,
                                   std::vector<std::unique_ptr<Query>> should,
                                   std::vector<std::unique_ptr<Query>> must_not = {}) {
  auto q = std::make_unique<Query>();
  q->kind = Query::Kind::kBoolean;
  q->must = std::move(must);
  q->should = std::move(should);
  q->must_not = std::move(must_not);
  return q;
}
template <typename... Q>
std::vector<std::unique_ptr<Query>> List(Q... q) {
  std::vector<std::unique_ptr<Query>> v;
  (v.push_back(std::move(q)), ...);
  return v;
}
inline std::string RandomWord(std::mt19937& rng) {
  return "w" + std::to_string(std::uniform_int_distribution<int>(0, kVocabulary - 1)(rng));
}
// Words of all frequencies, and now and then one missing from the index.
inline std::string RandomWordOrMissing(std::mt19937& rng) {
  if (std::uniform_int_distribution<int>(0, 19)(rng) == 0) return "nosuchword";
  return RandomWord(rng);
}

// --- The brute-force evaluator.

// Which sums are grouped as one flat union is the builder's rule
// (IsUnionOfTerms, query/scorer_builder.h): it decides float rounding, so
// the oracle follows it rather than restating it.

// The score of `doc` for `q` if it matches.
inline std::optional<float> Eval(const Query& q, uint32_t doc) {
  const OracleIndex& ix = OracleIndex::Get();
  std::optional<float> r;
  switch (q.kind) {
    case Query::Kind::kMatchAll: r = 0.0f; break;
    case Query::Kind::kRange: {
      const auto& p = ix.prices()[doc];
      if (p && (q.lo_inclusive ? *p >= q.lo : *p > q.lo) &&
          (q.hi_inclusive ? *p <= q.hi : *p < q.hi)) {
        r = 0.0f;
      }
      break;
    }
    case Query::Kind::kDocSet:
      if (q.doc_set->Contains(doc)) r = 0.0f;
      break;
    case Query::Kind::kTerm:
      if (const uint32_t tf = ix.Tf(doc, q.terms[0]); tf > 0) {
        r = ix.Bm25(q.boost * ix.Idf(q.terms[0]), tf, doc);
      }
      break;
    case Query::Kind::kPhrase: {
      const auto& t = ix.tokens()[doc];
      uint32_t freq = 0;
      for (size_t p = 0; p < t.size(); ++p) {
        bool all = true;
        for (size_t i = 0; i < q.terms.size() && all; ++i) {
          all = p + q.offsets[i] < t.size() && t[p + q.offsets[i]] == q.terms[i];
        }
        freq += all;
      }
      if (freq > 0) {
        double idf = 0;
        for (const auto& w : q.terms) idf += ix.Idf(w);
        r = ix.Bm25(q.boost * static_cast<float>(idf), freq, doc);
      }
      break;
    }
    case Query::Kind::kBoolean: {
      if (IsUnionOfTerms(q)) {  // One flat union of every leaf term.
        std::vector<const Query*> leaves, stack = {&q};
        while (!stack.empty()) {
          const Query* c = stack.back();
          stack.pop_back();
          if (c->kind == Query::Kind::kTerm) leaves.push_back(c);
          for (const auto& s : c->should) stack.push_back(s.get());
        }
        double sum = 0;
        bool any = false;
        for (const Query* l : leaves) {
          if (auto s = Eval(*l, doc)) {
            sum += *s;
            any = true;
          }
        }
        if (any) r = static_cast<float>(sum);
        break;
      }
      for (const auto& c : q.must_not) {
        if (Eval(*c, doc)) return std::nullopt;
      }
      // Each group of two or more clauses rounds its sum once.
      auto group = [&](const std::vector<std::unique_ptr<Query>>& cs, bool all,
                       bool* matched) -> float {
        double sum = 0;
        size_t hits = 0;
        for (const auto& c : cs) {
          if (auto s = Eval(*c, doc)) {
            sum += *s;
            ++hits;
          }
        }
        *matched = all ? hits == cs.size() : hits > 0;
        return static_cast<float>(sum);
      };
      bool must_ok = true, should_ok = false;
      const float req = q.must.empty() ? 0 : group(q.must, true, &must_ok);
      const float opt = q.should.empty() ? 0 : group(q.should, false, &should_ok);
      if (q.must.empty()) {
        if (should_ok) r = opt;
      } else if (must_ok) {
        r = q.should.empty() && q.must_not.empty()
                ? req
                : static_cast<float>(static_cast<double>(req) + (should_ok ? opt : 0.0f));
      }
      break;
    }
  }
  if (r && !q.scored) r = 0.0f;
  return r;
}

struct Hit {
  uint32_t doc;
  float score;
  bool operator==(const Hit& o) const { return doc == o.doc && score == o.score; }
};
inline std::ostream& operator<<(std::ostream& os, const Hit& h) {
  return os << "{" << h.doc << ", " << h.score << "}";
}

// Every match of q, in doc order.
inline std::vector<Hit> Matches(const Query& q) {
  std::vector<Hit> out;
  for (uint32_t d = 0; d < kNumDocs; ++d) {
    if (auto s = Eval(q, d)) out.push_back({d, *s});
  }
  return out;
}

// The k best matches, score descending, ties by doc id.
inline std::vector<Hit> TopOf(std::vector<Hit> all, size_t k) {
  std::sort(all.begin(), all.end(), [](const Hit& a, const Hit& b) {
    return a.score > b.score || (a.score == b.score && a.doc < b.doc);
  });
  if (all.size() > k) all.resize(k);
  return all;
}

// --- Running scorers.

// A scorer tree for q with its context.
struct Built {
  std::unique_ptr<internal::ScorerContext> ctx;
  std::unique_ptr<internal::Scorer> scorer;
};
inline Built Build(const Query& q, bool visit_all = false) {
  Built b;
  b.ctx = std::make_unique<internal::ScorerContext>(OracleIndex::Get().reader(),
                                                    internal::Bm25Params{});
  b.ctx->set_visit_all(visit_all);
  b.scorer = internal::CreateScorer(q, b.ctx.get());
  return b;
}

// Every doc and score the scorer yields from its current doc on.
inline std::vector<Hit> Drain(internal::Scorer* s) {
  std::vector<Hit> out;
  for (uint32_t d = s->doc(); d != kNoMoreDocs; d = s->Next()) out.push_back({d, s->Score()});
  return out;
}

inline std::vector<Hit> FromTopK(internal::TopK* top) {
  std::vector<Hit> out;
  for (const auto& sd : top->Take()) out.push_back({sd.doc, sd.score});
  return out;
}

// Iteration properties of a scorer family on q: the same docs and scores
// as the evaluator, Advance() to random targets lands on the first match
// at or after them, and every bound covers the scores it claims to cover.
inline void CheckIteration(const Query& q, std::mt19937& rng, bool visit_all = false) {
  const std::vector<Hit> want = Matches(q);
  {
    Built b = Build(q, visit_all);
    EXPECT_EQ(Drain(b.scorer.get()), want);
    EXPECT_EQ(b.scorer->doc(), kNoMoreDocs);
  }
  {  // Advance to increasing random targets.
    Built b = Build(q, visit_all);
    internal::Scorer* s = b.scorer.get();
    uint32_t target = 0;
    while (s->doc() != kNoMoreDocs) {
      target = s->doc() + 1 + std::uniform_int_distribution<uint32_t>(0, 200)(rng);
      const uint32_t got = s->Advance(target);
      auto it = std::lower_bound(want.begin(), want.end(), target,
                                 [](const Hit& h, uint32_t t) { return h.doc < t; });
      ASSERT_EQ(got, it == want.end() ? kNoMoreDocs : it->doc) << "target " << target;
      if (got != kNoMoreDocs) {
        ASSERT_EQ(s->Score(), it->score) << "doc " << got;
      }
    }
  }
  {  // Bounds: global, and per window from ShallowAdvance.
    Built b = Build(q, visit_all);
    internal::Scorer* s = b.scorer.get();
    const float max = s->MaxScore();
    for (const Hit& h : want) ASSERT_LE(h.score, max) << "doc " << h.doc;
    uint32_t target = s->doc();
    while (target < kNumDocs) {
      const uint32_t up_to = s->ShallowAdvance(target);
      ASSERT_GE(up_to, target);
      const float bound = s->GetMaxScore(up_to);
      for (const Hit& h : want) {
        if (h.doc >= target && h.doc <= up_to) {
          ASSERT_LE(h.score, bound) << "doc " << h.doc;
        }
      }
      if (up_to >= kNoMoreDocs - 1) break;
      target = up_to + 1 + std::uniform_int_distribution<uint32_t>(0, 50)(rng);
    }
  }
}

// Collection properties on q: CollectTop gives the evaluator's top k and
// count (capped at count_up_to + 1), ForEachPruning its top k, CountMatches
// its count.
inline void CheckCollection(const Query& q, std::mt19937& rng) {
  const std::vector<Hit> all = Matches(q);
  for (size_t k : {size_t{1}, size_t{3}, size_t{10}, size_t{50}}) {
    const std::vector<Hit> want = TopOf(all, k);
    for (uint64_t up_to : {uint64_t{0}, uint64_t{k}, uint64_t{137},
                           std::uniform_int_distribution<uint64_t>(0, all.size() + 5)(rng),
                           std::numeric_limits<uint64_t>::max()}) {
      Built b = Build(q);
      internal::TopK top(k);
      const uint64_t n = internal::CollectTop(b.scorer.get(), &top, up_to);
      EXPECT_EQ(n, all.size() <= up_to ? all.size() : up_to + 1) << "k " << k << " up_to " << up_to;
      EXPECT_EQ(FromTopK(&top), want) << "k " << k << " up_to " << up_to;
    }
    Built b = Build(q);
    internal::TopK top(k);
    internal::ForEachPruning(b.scorer.get(), &top);
    EXPECT_EQ(FromTopK(&top), want) << "ForEachPruning, k " << k;
  }
  Built b = Build(q);
  EXPECT_EQ(internal::CountMatches(b.scorer.get(), kNumDocs), all.size());
}

}  // namespace libsearch::scorer_testing
