// Search results against a brute-force oracle: the oracle re-analyses every
// document, scores each candidate with its own BM25 arithmetic, and sorts all
// matches; libsearch must return the same hits, order, totals and scores.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include "analysis/analyzer.h"
#include "testing/rounds.h"
#include "testing/test_util.h"
#include "util/small_float.h"

namespace libsearch {
namespace {

using testing::TempDir;

constexpr int kNumDocs = 3000;
constexpr int kVocab = 300;

struct OracleField {
  float boost;
  // Per doc: term -> positions.
  std::vector<std::map<std::string, std::vector<uint32_t>>> docs;
  std::vector<uint32_t> lengths;
  uint64_t doc_count = 0, sum_tf = 0;
  std::map<std::string, uint32_t> df;
};

// Independent BM25 (Lucene): float arithmetic, SmallFloat lengths.
float Bm25(const OracleField& f, float idf_sum, uint32_t freq, uint32_t length) {
  const float avgdl =
      static_cast<float>(static_cast<double>(f.sum_tf) / static_cast<double>(f.doc_count));
  const float len = static_cast<float>(internal::NormToLength(internal::LengthToNorm(length)));
  const float norm_inv = 1.0f / (1.2f * ((1 - 0.75f) + 0.75f * len / avgdl));
  const float w = f.boost * idf_sum;
  return w - w / (1.0f + static_cast<float>(freq) * norm_inv);
}

// The phrase frequency of `terms` (one term: its tf) in one field of doc d:
// the start positions where every word follows at its offset.
uint32_t PhraseFreq(const OracleField& f, const std::vector<std::string>& terms, int d) {
  const auto& doc = f.docs[d];
  auto first = doc.find(terms[0]);
  if (first == doc.end()) return 0;
  uint32_t freq = 0;
  for (uint32_t p : first->second) {
    bool all = true;
    for (size_t i = 1; i < terms.size() && all; ++i) {
      auto it = doc.find(terms[i]);
      all = it != doc.end() &&
            std::find(it->second.begin(), it->second.end(), p + i) != it->second.end();
    }
    freq += all;
  }
  return freq;
}

// BM25F's idf of a term or phrase: per word, from the largest df and field
// doc count over the fields; a phrase's summed in double, as Lucene does.
float Bm25fIdf(const std::vector<OracleField>& fields, const std::vector<std::string>& terms) {
  double idf = 0;
  for (const std::string& term : terms) {
    double df = 0, doc_count = 0;
    for (const OracleField& f : fields) {
      doc_count = std::max(doc_count, static_cast<double>(f.doc_count));
      auto it = f.df.find(term);
      if (it != f.df.end()) df = std::max(df, static_cast<double>(it->second));
    }
    idf += static_cast<float>(std::log(1 + (doc_count - df + 0.5) / (df + 0.5)));
  }
  return static_cast<float>(idf);
}

// BM25F (Robertson & Zaragoza), written out: each field's tf (a phrase's
// frequency) normalised by its own length and average and weighted by its
// boost, summed, then saturated once. The float steps are the scorer's, so
// scores agree to rounding of the final sums.
float Bm25f(const std::vector<OracleField>& fields, const std::vector<std::string>& terms, int d) {
  float x = 0;
  for (const OracleField& f : fields) {
    const uint32_t tf = PhraseFreq(f, terms, d);
    if (tf == 0) continue;
    const float avgdl =
        static_cast<float>(static_cast<double>(f.sum_tf) / static_cast<double>(f.doc_count));
    const float len =
        static_cast<float>(internal::NormToLength(internal::LengthToNorm(f.lengths[d])));
    const float norm_inv = 1.0f / (1.2f * ((1 - 0.75f) + 0.75f * len / avgdl));
    x += f.boost * (static_cast<float>(tf) * norm_inv);
  }
  const float w = Bm25fIdf(fields, terms);
  return w - w / (1.0f + x);
}

// BM25F with one length per doc (Lucene's CombinedFieldQuery), written out:
// tf and length are the boosted sums over the fields, the length coded as a
// norm, the average the boosted sum of the fields' total lengths over the
// largest field doc count.
float Bm25fCombinedLength(const std::vector<OracleField>& fields,
                          const std::vector<std::string>& terms, int d) {
  float tf = 0, len = 0;
  double doc_count = 0, sum_tf = 0;
  for (const OracleField& f : fields) {
    doc_count = std::max(doc_count, static_cast<double>(f.doc_count));
    sum_tf += static_cast<double>(f.boost) * static_cast<double>(f.sum_tf);
    len +=
        f.boost * static_cast<float>(internal::NormToLength(internal::LengthToNorm(f.lengths[d])));
    if (const uint32_t freq = PhraseFreq(f, terms, d)) tf += f.boost * static_cast<float>(freq);
  }
  const float avg = static_cast<float>(sum_tf / doc_count);
  const float coded = static_cast<float>(
      internal::NormToLength(internal::LengthToNorm(static_cast<uint32_t>(std::lround(len)))));
  const float norm_inv = 1.0f / (1.2f * ((1 - 0.75f) + 0.75f * coded / avg));
  const float w = Bm25fIdf(fields, terms);
  return w - w / (1.0f + tf * norm_inv);
}

float Idf(const OracleField& f, const std::string& term) {
  auto it = f.df.find(term);
  const double n = it == f.df.end() ? 0 : it->second;
  return static_cast<float>(std::log(1 + (static_cast<double>(f.doc_count) - n + 0.5) / (n + 0.5)));
}

class SearchOracleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    std::mt19937 rng(1234);
    // Zipf-ish vocabulary plus words with exact document frequencies at the
    // 128-doc block boundaries.
    std::vector<std::string> vocab;
    for (int i = 0; i < kVocab; ++i) vocab.push_back("w" + std::to_string(i));
    std::vector<double> weights;
    for (int i = 0; i < kVocab; ++i) weights.push_back(1.0 / (i + 1));
    std::discrete_distribution<int> zipf(weights.begin(), weights.end());
    const std::map<std::string, int> exact_df = {
        {"blk127", 127}, {"blk128", 128}, {"blk129", 129}, {"uniq1", 1}, {"all1", kNumDocs}};
    std::map<std::string, std::vector<int>> exact_docs;
    for (const auto& [word, df] : exact_df) {
      std::vector<int> all(kNumDocs);
      for (int i = 0; i < kNumDocs; ++i) all[i] = i;
      std::shuffle(all.begin(), all.end(), rng);
      exact_docs[word].assign(all.begin(), all.begin() + df);
    }
    std::vector<std::string> docs;
    std::vector<std::pair<std::string, std::string>> texts;
    for (int d = 0; d < kNumDocs; ++d) {
      std::string title, body;
      const int tlen = 1 + rng() % 6, blen = rng() % 60;  // Some empty bodies.
      for (int i = 0; i < tlen; ++i) title += vocab[zipf(rng)] + " ";
      for (int i = 0; i < blen; ++i) body += vocab[zipf(rng)] + " ";
      for (const auto& [word, ds] : exact_docs) {
        if (std::find(ds.begin(), ds.end(), d) != ds.end())
          (rng() % 2 ? title : body) += word + " ";
      }
      texts.emplace_back(title, body);
      docs.push_back("{\"id\": \"d" + std::to_string(d) + "\", \"title\": \"" + title +
                     "\", \"body\": \"" + body + "\"}");
    }
    auto schema = Schema::FromJson(R"({"id": "id", "fields": {
        "title": {"type": "text", "boost": 2.0, "stored": true},
        "body": {"type": "text"}}})");
    ASSERT_TRUE(schema.ok());
    ASSERT_OK(testing::BuildIndex(*schema, docs, dir_->File("oracle.idx")));
    auto analyzer = analysis::Analyzer::Create({});
    ASSERT_TRUE(analyzer.ok());
    fields_ = new std::vector<OracleField>(2);
    (*fields_)[0].boost = 2.0f;
    (*fields_)[1].boost = 1.0f;
    for (int d = 0; d < kNumDocs; ++d) {
      for (int f = 0; f < 2; ++f) {
        OracleField& of = (*fields_)[f];
        std::vector<analysis::Token> tokens;
        (*analyzer)->Analyze(f == 0 ? texts[d].first : texts[d].second, &tokens);
        std::map<std::string, std::vector<uint32_t>> terms;
        for (const auto& t : tokens) terms[t.term].push_back(t.position);
        for (const auto& [term, ps] : terms) of.df[term]++;
        of.docs.push_back(std::move(terms));
        of.lengths.push_back(static_cast<uint32_t>(tokens.size()));
        of.doc_count += !tokens.empty();
        of.sum_tf += tokens.size();
      }
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete fields_;
  }

  // Score of a term or phrase (terms) in one doc across both fields, as
  // libsearch sums them: per-field float scores, summed in double, to float.
  // Returns false if it matches in no field.
  // Under BM25F (`scoring` other than kPerField) a term or phrase in both
  // fields scores as BM25F.
  static bool LeafScore(const std::vector<std::string>& terms, int d, float* score,
                        bool title_only = false, FieldScoring scoring = FieldScoring::kPerField) {
    if (scoring != FieldScoring::kPerField && !title_only) {
      bool any = false;
      for (const OracleField& f : *fields_) any = any || PhraseFreq(f, terms, d) > 0;
      if (any) {
        *score = scoring == FieldScoring::kBm25f ? Bm25f(*fields_, terms, d)
                                                 : Bm25fCombinedLength(*fields_, terms, d);
      }
      return any;
    }
    double sum = 0;
    bool any = false;
    for (const OracleField& f : *fields_) {
      if (title_only && &f != &fields_->front()) continue;
      const uint32_t freq = PhraseFreq(f, terms, d);
      if (freq == 0) continue;
      double idf = 0;
      for (const auto& t : terms) idf += Idf(f, t);
      sum += Bm25(f, static_cast<float>(idf), freq, f.lengths[d]);
      any = true;
    }
    *score = static_cast<float>(sum);
    return any;
  }

  // Whether doc d has every term in its title; *sum gets their title
  // scores summed in double, in order (as a conjunction sums them).
  static bool TitleTermsScore(const std::vector<std::string>& terms, int d, double* sum) {
    *sum = 0;
    for (const auto& t : terms) {
      float s = 0;
      if (!LeafScore({t}, d, &s, /*title_only=*/true)) return false;
      *sum += s;
    }
    return true;
  }

  static TempDir* dir_;
  static std::vector<OracleField>* fields_;
};
TempDir* SearchOracleTest::dir_ = nullptr;
std::vector<OracleField>* SearchOracleTest::fields_ = nullptr;

struct Expected {
  uint32_t doc;
  float score;
};

TEST_F(SearchOracleTest, RandomQueriesMatchBruteForce) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("oracle.idx")));
  std::mt19937 rng(77);
  const std::vector<std::string> specials = {"blk127", "blk128", "blk129", "uniq1", "all1"};
  auto random_word = [&]() -> std::string {
    if (rng() % 4 == 0) return specials[rng() % specials.size()];
    return "w" + std::to_string(rng() % 2 ? rng() % 20 : rng() % kVocab);
  };
  int nonempty = 0;
  const int kQueries = testing::Rounds(1200);
  for (int qi = 0; qi < kQueries; ++qi) {
    // 0 AND, 1 OR, 2 phrase, 3 AND with exclusion, 4 phrase AND a word
    // (the conjunction confirms the phrase only where the word matches too).
    const int kind = qi % 5;
    std::vector<std::vector<std::string>> leaves;
    std::string excluded;
    SearchRequest req;
    if (kind == 2 || kind == 4) {
      // A phrase copied from a random title so it usually matches.
      const auto& doc = (*fields_)[0].docs[rng() % kNumDocs];
      std::vector<std::pair<uint32_t, std::string>> seq;
      for (const auto& [t, ps] : doc)
        for (uint32_t p : ps) seq.emplace_back(p, t);
      std::sort(seq.begin(), seq.end());
      if (seq.size() < 2) {
        seq = {{0, random_word()}, {1, random_word()}};
      }
      const size_t start = rng() % (seq.size() - 1);
      const size_t len = std::min<size_t>(2 + rng() % 2, seq.size() - start);
      std::vector<std::string> phrase;
      for (size_t i = start; i < start + len; ++i) phrase.push_back(seq[i].second);
      leaves.push_back(phrase);
      req.query = "\"";
      for (const auto& t : phrase) req.query += t + " ";
      req.query += "\"";
      if (kind == 4) {  // Frequent words, so the AND is often non-empty.
        leaves.push_back({rng() % 3 ? "w" + std::to_string(rng() % 8) : std::string("all1")});
        req.query += " " + leaves.back()[0];
        // Every other time in one field: the phrase is then a direct clause
        // of the conjunction (two-phase), not under a per-field union.
        if (qi % 2) req.fields = {"title"};
      }
    } else {
      const int n = 1 + rng() % 4;
      for (int i = 0; i < n; ++i) {
        leaves.push_back({random_word()});
        req.query += leaves.back()[0] + " ";
      }
      if (kind == 1) {
        req.default_operator = Operator::kOr;
        // Every other union in one field: a flat union of terms (the bulk
        // MaxScore path) rather than a union of per-field unions.
        if (qi % 2) req.fields = {"title"};
      }
      if (kind == 3) {
        excluded = random_word();
        req.query += "-" + excluded;
      }
    }
    req.k = std::vector<size_t>{1, 10, 50, 200}[rng() % 4];
    req.include_docs = false;
    req.total_hits_threshold = SearchRequest::kExactTotal;
    // Every kind of query in each scoring of words over the two fields.
    req.field_scoring =
        std::vector<FieldScoring>{FieldScoring::kBm25f, FieldScoring::kBm25fCombinedLength,
                                  FieldScoring::kPerField}[(qi / 5) % 3];

    std::vector<Expected> expected;
    for (int d = 0; d < kNumDocs; ++d) {
      double sum = 0;
      int matched = 0;
      for (const auto& leaf : leaves) {
        float s;
        if (LeafScore(leaf, d, &s, !req.fields.empty(), req.field_scoring)) {
          sum += s;
          ++matched;
        }
      }
      const bool ok = kind == 1 ? matched > 0 : matched == static_cast<int>(leaves.size());
      float ex_score;
      if (!ok || (!excluded.empty() && LeafScore({excluded}, d, &ex_score))) continue;
      expected.push_back({static_cast<uint32_t>(d), static_cast<float>(sum)});
    }
    std::sort(expected.begin(), expected.end(), [](const Expected& a, const Expected& b) {
      return a.score > b.score || (a.score == b.score && a.doc < b.doc);
    });
    ASSERT_OK_AND_ASSIGN(SearchResponse resp, index->Search(req));
    ASSERT_EQ(resp.total, expected.size()) << req.query;
    ASSERT_EQ(resp.hits.size(), std::min(req.k, expected.size())) << req.query;
    nonempty += !expected.empty();
    for (size_t i = 0; i < resp.hits.size(); ++i) {
      ASSERT_EQ(resp.hits[i].doc, expected[i].doc) << req.query << " rank " << i;
      ASSERT_NEAR(resp.hits[i].score, expected[i].score, 1e-5 * std::abs(expected[i].score))
          << req.query << " rank " << i;
      ASSERT_EQ(resp.hits[i].id, "d" + std::to_string(expected[i].doc));
    }
  }
  EXPECT_GT(nonempty, kQueries * 8 / 10) << "too many empty queries: the test would be weak";
}

// `req` (k >= 1) against the brute force's matches in every mode: counted
// exactly up to a threshold (none, 0, 7) and pruned past it, and COUNT (k = 0).
void ExpectAllModesMatch(const Index& index, SearchRequest req, std::vector<Expected> expected) {
  std::sort(expected.begin(), expected.end(), [](const Expected& a, const Expected& b) {
    return a.score > b.score || (a.score == b.score && a.doc < b.doc);
  });
  const size_t want = std::min(req.k, expected.size());
  for (uint64_t threshold : {SearchRequest::kExactTotal, uint64_t{0}, uint64_t{7}}) {
    req.total_hits_threshold = threshold;
    ASSERT_OK_AND_ASSIGN(SearchResponse resp, index.Search(req));
    ASSERT_EQ(resp.total, std::min<uint64_t>(expected.size(), threshold)) << req.query;
    ASSERT_EQ(resp.total_exact, expected.size() <= threshold) << req.query;
    ASSERT_EQ(resp.hits.size(), want) << req.query << " threshold " << threshold;
    for (size_t i = 0; i < want; ++i) {
      ASSERT_EQ(resp.hits[i].doc, expected[i].doc) << req.query << " rank " << i;
      ASSERT_NEAR(resp.hits[i].score, expected[i].score, 1e-5 * std::abs(expected[i].score))
          << req.query << " rank " << i;
    }
  }
  req.k = 0;
  req.total_hits_threshold = SearchRequest::kExactTotal;
  ASSERT_OK_AND_ASSIGN(SearchResponse count, index.Search(req));
  ASSERT_EQ(count.total, expected.size()) << req.query;
}

// ANDs of terms in one field take the block-at-a-time kernel
// (ConjunctionScorer::BlockAnd) in all three modes: exact totals (every
// match scored), pruned top-k, and COUNT. Each is checked against the brute
// force, not against another libsearch path. Frequent words give lists of
// many blocks; blk127..129 and uniq1 give one-block and inline lists.
TEST_F(SearchOracleTest, TermConjunctionsMatchBruteForce) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("oracle.idx")));
  std::mt19937 rng(91);
  const std::vector<std::string> specials = {"blk127", "blk128", "blk129", "uniq1", "all1"};
  int nonempty = 0, pruned_something = 0;
  const int kQueries = 1000;
  for (int qi = 0; qi < kQueries; ++qi) {
    std::vector<std::string> terms;
    SearchRequest req;
    const int n = 2 + rng() % 3;
    for (int i = 0; i < n; ++i) {
      terms.push_back(rng() % 4 == 0 ? specials[rng() % specials.size()]
                                     : "w" + std::to_string(rng() % (rng() % 3 ? 6 : 40)));
      req.query += terms.back() + " ";
    }
    req.fields = {"title"};
    req.k = std::vector<size_t>{1, 10, 50}[rng() % 3];
    req.include_docs = false;
    std::vector<Expected> expected;
    for (int d = 0; d < kNumDocs; ++d) {
      double sum = 0;
      if (TitleTermsScore(terms, d, &sum)) {
        expected.push_back({static_cast<uint32_t>(d), static_cast<float>(sum)});
      }
    }
    nonempty += !expected.empty();
    pruned_something += expected.size() > req.k;
    ASSERT_NO_FATAL_FAILURE(ExpectAllModesMatch(*index, req, expected));
  }
  EXPECT_GT(nonempty, kQueries / 2) << "too many empty queries: the test would be weak";
  EXPECT_GT(pruned_something, kQueries / 4) << "too few queries to prune";
}

// Required and optional terms ("+a b c", "+a +b c"): every match has the
// required terms; optional ones only add to the score. Exact totals, pruned
// top-k (ReqOptPruning, query/collect/req_opt.cc) and COUNT (the required clause's
// count) against the brute force.
TEST_F(SearchOracleTest, RequiredOptionalMatchBruteForce) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("oracle.idx")));
  std::mt19937 rng(93);
  const std::vector<std::string> specials = {"blk127", "blk128", "blk129", "uniq1", "all1"};
  auto word = [&]() -> std::string {
    return rng() % 4 == 0 ? specials[rng() % specials.size()]
                          : "w" + std::to_string(rng() % (rng() % 3 ? 6 : 40));
  };
  int nonempty = 0;
  const int kQueries = 600;
  for (int qi = 0; qi < kQueries; ++qi) {
    std::vector<std::string> required, optional;
    SearchRequest req;
    const int r = 1 + rng() % 2, o = 1 + rng() % 3;
    for (int i = 0; i < r; ++i) required.push_back(word());
    for (int i = 0; i < o; ++i) optional.push_back(word());
    for (const auto& t : required) req.query += "+" + t + " ";
    for (const auto& t : optional) req.query += t + " ";
    req.default_operator = Operator::kOr;
    req.fields = {"title"};
    req.k = std::vector<size_t>{1, 10, 50}[rng() % 3];
    req.include_docs = false;
    std::vector<Expected> expected;
    for (int d = 0; d < kNumDocs; ++d) {
      double sum = 0;
      if (!TitleTermsScore(required, d, &sum)) continue;
      // Summed as the scorer tree does: the required part, then the union
      // of the optional terms (itself summed in double) as one float.
      double opt = 0;
      for (const auto& t : optional) {
        float s = 0;
        if (LeafScore({t}, d, &s, /*title_only=*/true)) opt += s;
      }
      if (required.size() > 1 || optional.size() > 1 || opt != 0) {
        sum = static_cast<float>(sum) + static_cast<double>(static_cast<float>(opt));
      }
      expected.push_back({static_cast<uint32_t>(d), static_cast<float>(sum)});
    }
    nonempty += !expected.empty();
    ASSERT_NO_FATAL_FAILURE(ExpectAllModesMatch(*index, req, expected));
  }
  EXPECT_GT(nonempty, kQueries / 2) << "too many empty queries: the test would be weak";
}

// Hits without ids (include_ids = false) are the same docs and scores.
TEST_F(SearchOracleTest, HitsWithoutIdsKeepDocsAndScores) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("oracle.idx")));
  SearchRequest req;
  req.query = "w1 w2 w3";
  req.default_operator = Operator::kOr;
  req.include_docs = false;
  ASSERT_OK_AND_ASSIGN(SearchResponse with, index->Search(req));
  req.include_ids = false;
  ASSERT_OK_AND_ASSIGN(SearchResponse without, index->Search(req));
  ASSERT_EQ(with.hits.size(), 10u);
  ASSERT_EQ(without.hits.size(), with.hits.size());
  for (size_t i = 0; i < with.hits.size(); ++i) {
    EXPECT_EQ(with.hits[i].id, "d" + std::to_string(with.hits[i].doc));
    EXPECT_EQ(without.hits[i].id, "");
    EXPECT_EQ(without.hits[i].doc, with.hits[i].doc);
    EXPECT_EQ(without.hits[i].score, with.hits[i].score);
  }
  EXPECT_EQ(without.total, with.total);
}

TEST_F(SearchOracleTest, PagesTileTheFullList) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("oracle.idx")));
  SearchRequest all;
  all.query = "w1 OR w2 OR all1";
  all.k = 500;
  all.include_docs = false;
  all.total_hits_threshold = SearchRequest::kExactTotal;
  ASSERT_OK_AND_ASSIGN(SearchResponse full, index->Search(all));
  ASSERT_EQ(full.hits.size(), 500u);
  for (size_t page_size : {7u, 50u}) {
    std::vector<uint32_t> seen;
    for (size_t offset = 0; offset < 500; offset += page_size) {
      SearchRequest req = all;
      req.offset = offset;
      req.k = std::min(page_size, 500 - offset);
      ASSERT_OK_AND_ASSIGN(SearchResponse page, index->Search(req));
      EXPECT_EQ(page.total, full.total);
      for (const Hit& h : page.hits) seen.push_back(h.doc);
    }
    std::vector<uint32_t> want;
    for (const Hit& h : full.hits) want.push_back(h.doc);
    EXPECT_EQ(seen, want) << "page size " << page_size;
  }
  SearchRequest too_deep = all;
  too_deep.offset = 9999;
  too_deep.k = 10;
  EXPECT_EQ(index->Search(too_deep).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(SearchOracleTest, StoredDocumentsComeBackWithHits) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("oracle.idx")));
  SearchRequest req;
  req.query = "uniq1";
  ASSERT_OK_AND_ASSIGN(SearchResponse resp, index->Search(req));
  ASSERT_EQ(resp.total, 1u);
  EXPECT_NE(resp.hits[0].doc_json.find("\"title\""), std::string::npos);
  EXPECT_NE(resp.hits[0].doc_json.find("\"id\":\"" + resp.hits[0].id + "\""), std::string::npos);
  EXPECT_EQ(resp.hits[0].doc_json.find("\"body\""), std::string::npos) << "body is not stored";
}

}  // namespace
}  // namespace libsearch

namespace libsearch {
namespace {

// Pruned top-k (threshold 0: block-max from the first doc) must equal the
// exhaustive top-k bit for bit: same ids, order and scores.
void ExpectPrunedEqualsExhaustive(const Index& index, const std::vector<std::string>& words,
                                  uint32_t seed, int num_queries, const std::string& one_field = "",
                                  int only_kind = -1) {
  std::mt19937 rng(seed);
  int pruned_something = 0;
  for (int qi = 0; qi < num_queries; ++qi) {
    SearchRequest req;
    // OR, AND, phrase AND word, +a +b c, negation; 5 (only_kind): a bare phrase.
    const int kind = only_kind >= 0 ? only_kind : qi % 5;
    const bool phrase = kind == 2 || kind == 5;
    const int n = (kind == 5 ? 2 : 1) + rng() % (kind == 0 ? 6 : 3);
    for (int i = 0; i < n; ++i) {
      const std::string& w = words[rng() % words.size()];
      // Appends piece by piece: GCC 12 warns falsely (-Wrestrict) on
      // chained std::string operator+ here.
      if (phrase) req.query.append(i == 0 ? "\"" : " ");
      if (kind == 3 && i < 2) req.query.append("+");
      req.query.append(w);
      if (!phrase) req.query.append(" ");
    }
    if (phrase) req.query.append("\" ");
    if (kind == 2) req.query.append(words[rng() % words.size()]);
    if (kind == 4) req.query.append("-").append(words[rng() % words.size()]);
    req.default_operator = kind == 1 || phrase ? Operator::kAnd : Operator::kOr;
    // Every other query in one field: flat unions of terms (bulk MaxScore).
    if (!one_field.empty() && qi % 10 >= 5) req.fields = {one_field};
    // Words over several fields: BM25F, in both length modes.
    if (qi % 3 == 2) req.field_scoring = FieldScoring::kBm25fCombinedLength;
    req.k = std::vector<size_t>{1, 10, 100}[rng() % 3];
    req.include_docs = false;
    req.total_hits_threshold = SearchRequest::kExactTotal;
    ASSERT_OK_AND_ASSIGN(SearchResponse exact, index.Search(req));
    req.total_hits_threshold = 0;
    ASSERT_OK_AND_ASSIGN(SearchResponse pruned, index.Search(req));
    ASSERT_EQ(pruned.hits.size(), exact.hits.size()) << req.query;
    for (size_t i = 0; i < exact.hits.size(); ++i) {
      ASSERT_EQ(pruned.hits[i].doc, exact.hits[i].doc) << req.query << " rank " << i;
      ASSERT_EQ(pruned.hits[i].score, exact.hits[i].score) << req.query << " rank " << i;
    }
    pruned_something += exact.total > exact.hits.size();
    // Counting exactly up to a threshold, then pruning (the bulk paths
    // switch mode mid-list): the same hits, and the count exact up to it.
    req.total_hits_threshold = 1 + rng() % 300;
    ASSERT_OK_AND_ASSIGN(SearchResponse counted, index.Search(req));
    ASSERT_EQ(counted.hits.size(), exact.hits.size()) << req.query;
    for (size_t i = 0; i < exact.hits.size(); ++i) {
      ASSERT_EQ(counted.hits[i].doc, exact.hits[i].doc) << req.query << " rank " << i;
      ASSERT_EQ(counted.hits[i].score, exact.hits[i].score) << req.query << " rank " << i;
    }
    if (exact.total <= req.total_hits_threshold) {
      EXPECT_TRUE(counted.total_exact) << req.query;
      EXPECT_EQ(counted.total, exact.total) << req.query;
    } else if (counted.total_exact) {  // Some paths count all anyway.
      EXPECT_EQ(counted.total, exact.total) << req.query;
    } else {  // A lower bound, at least the threshold.
      EXPECT_GE(counted.total, req.total_hits_threshold) << req.query;
      EXPECT_LE(counted.total, exact.total) << req.query;
    }
    // COUNT (k = 0, never scores; bitsets for unions) counts the same.
    req.k = 0;
    ASSERT_OK_AND_ASSIGN(SearchResponse count, index.Search(req));
    ASSERT_EQ(count.total, exact.total) << req.query;
  }
  // Random bare phrases match fewer docs.
  EXPECT_GT(pruned_something, num_queries / (only_kind == 5 ? 10 : 3))
      << "too few queries had anything to prune: " << pruned_something;
}

TEST_F(SearchOracleTest, PrunedTopKEqualsExhaustiveSynthetic) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("oracle.idx")));
  std::vector<std::string> words = {"blk127", "blk128", "blk129", "uniq1", "all1"};
  for (int i = 0; i < 60; ++i) words.push_back(std::string("w").append(std::to_string(i)));
  ExpectPrunedEqualsExhaustive(*index, words, 5, 1000, "body");
}

// Block-max AND (ConjunctionPruning, query/collect/block_max_and.cc) alone: conjunctions of
// two or three terms in one field (a term kernel) and across fields (of
// unions), over lists of 127/128/129 docs, one doc and every doc.
TEST_F(SearchOracleTest, PrunedConjunctionsEqualExhaustive) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("oracle.idx")));
  std::vector<std::string> words = {"blk127", "blk128", "blk129", "uniq1", "all1"};
  for (int i = 0; i < 60; ++i) words.push_back(std::string("w").append(std::to_string(i)));
  ExpectPrunedEqualsExhaustive(*index, words, 12, 1000, "body", /*only_kind=*/1);
}

// Block-max phrases (PhrasePruning, query/collect/block_max.cc): windows bounded by the
// terms' block (max_tf, min_norm), candidates by their smallest tf.
TEST_F(SearchOracleTest, PrunedPhrasesEqualExhaustive) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("oracle.idx")));
  // Frequent words, so that phrases have matches to prune; all1 is in every doc.
  const std::vector<std::string> words = {"w0", "w1", "w2", "w3", "all1", "blk128"};
  ExpectPrunedEqualsExhaustive(*index, words, 14, 500, "body", /*only_kind=*/2);
  ExpectPrunedEqualsExhaustive(*index, words, 18, 500, "body", /*only_kind=*/5);
}

// Block bounds come from the stored block maxima when they are exact for the
// search's k1 and b (checked per term), else from (max tf, min norm): both
// must prune exactly, with the build's and with other parameters, and with
// the title field's boost 2 (stored maxima scaled) as well as boost 1.
TEST_F(SearchOracleTest, PrunedTopKEqualsExhaustiveAnyBm25Parameters) {
  std::vector<std::string> words = {"blk127", "blk128", "blk129", "uniq1", "all1"};
  for (int i = 0; i < 60; ++i) words.push_back(std::string("w").append(std::to_string(i)));
  OpenOptions other;
  other.bm25 = {0.9f, 0.4f};
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("oracle.idx"), other));
  ExpectPrunedEqualsExhaustive(*index, words, 6, 600, "body");

  // An index built with k1 = 0.9, b = 0.4: searched with the same (stored
  // maxima exact) and with the defaults (stored maxima unusable).
  std::vector<std::string> docs;
  std::mt19937 rng(77);
  for (int d = 0; d < kNumDocs; ++d) {
    std::string title, body;
    for (int i = 0, n = 1 + static_cast<int>(rng() % 5); i < n; ++i) {
      title.append(words[rng() % 20]).append(" ");
    }
    for (int i = 0, n = static_cast<int>(rng() % 50); i < n; ++i) {
      body.append(words[rng() % words.size()]).append(" ");
    }
    docs.push_back("{\"id\": \"d" + std::to_string(d) + "\", \"title\": \"" + title +
                   "\", \"body\": \"" + body + "\"}");
  }
  auto schema = Schema::FromJson(R"({"id": "id", "fields": {
      "title": {"type": "text", "boost": 2.0}, "body": {"type": "text"}}})");
  ASSERT_TRUE(schema.ok());
  IndexBuilderOptions build;
  build.bm25 = other.bm25;
  ASSERT_OK_AND_ASSIGN(auto builder, IndexBuilder::Create(*schema, build));
  for (const std::string& d : docs) ASSERT_OK(builder->AddJson(d));
  ASSERT_OK(builder->Build(dir_->File("k1b.idx")));
  ASSERT_OK_AND_ASSIGN(auto same, Index::Open(dir_->File("k1b.idx"), other));
  ExpectPrunedEqualsExhaustive(*same, words, 7, 600, "title");
  ASSERT_OK_AND_ASSIGN(auto defaults, Index::Open(dir_->File("k1b.idx")));
  ExpectPrunedEqualsExhaustive(*defaults, words, 8, 600, "body");
}

// A doc of 400 tokens: `tf` times `word`, then "pad", in a title (boost 2)
// and a body field.
std::string TightDoc(int d, const std::string& word, int tf) {
  std::string text;
  for (int i = 0; i < 400; ++i) text.append(i < tf ? word + " " : "pad ");
  return "{\"id\": \"d" + std::to_string(d) + "\", \"title\": \"" + text + "\", \"body\": \"" +
         text + "\"}";
}

Status BuildTightIndex(const std::vector<std::string>& docs, const std::string& path) {
  LIBSEARCH_ASSIGN_OR_RETURN(Schema schema, Schema::FromJson(R"({"id": "id", "fields": {
      "title": {"type": "text", "boost": 2.0}, "body": {"type": "text"}}})"));
  return testing::BuildIndex(schema, docs, path);
}

// For k = 1 and 3, the pruned top k of q (OR) is the exhaustive one, bit for
// bit, and (if want_top >= 0) the exhaustive best doc is want_top.
void ExpectTightTopK(const Index& index, const std::string& q, int64_t want_top,
                     const std::string& note) {
  for (const size_t k : {1, 3}) {
    SearchRequest req;
    req.query = q;
    req.k = k;
    req.default_operator = Operator::kOr;
    req.include_docs = false;
    req.total_hits_threshold = SearchRequest::kExactTotal;
    ASSERT_OK_AND_ASSIGN(SearchResponse exact, index.Search(req));
    req.total_hits_threshold = 0;
    ASSERT_OK_AND_ASSIGN(SearchResponse pruned, index.Search(req));
    ASSERT_EQ(exact.hits.size(), k) << q;
    if (want_top >= 0) {
      ASSERT_EQ(exact.hits[0].doc, static_cast<uint32_t>(want_top)) << q;
    }
    ASSERT_EQ(pruned.hits.size(), k) << q << note;
    for (size_t i = 0; i < k; ++i) {
      ASSERT_EQ(pruned.hits[i].doc, exact.hits[i].doc) << q << note << " rank " << i;
      ASSERT_EQ(pruned.hits[i].score, exact.hits[i].score) << q << " rank " << i;
    }
  }
}

// Bounds that are tight to the last digits: every doc has the same length and
// block b's docs all have tf 300 + b, so each block's best score beats the
// one before by a relative ~1e-5 only. A bound too low by more than that
// skips a block that holds the true top hit (this is what catches a
// weakened bound: the random tests rarely land that close). Title (boost 2)
// scales the stored maxima, body (boost 1) uses them as they are.
TEST(PrunedTopK, TightBlockBoundsStillExact) {
  testing::TempDir dir;
  constexpr int kBlocks = 6;
  std::vector<std::string> docs;
  for (int d = 0; d < kBlocks * 128; ++d) docs.push_back(TightDoc(d, "ramp", 300 + d / 128));
  ASSERT_OK(BuildTightIndex(docs, dir.File("ramp.idx")));
  for (const float k1 : {1.2f, 0.9f}) {
    OpenOptions open;
    open.bm25.k1 = k1;
    ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("ramp.idx"), open));
    for (const char* q : {"body:ramp", "title:ramp", "ramp", "body:ramp title:pad"}) {
      const bool pad = std::string_view(q).find("pad") != std::string_view::npos;
      ExpectTightTopK(*index, q, pad ? -1 : (kBlocks - 1) * 128, " k1 " + std::to_string(k1));
    }
  }
}

// Phrases whose frequency varies per doc: 600 docs of 40 tokens, "ph1 ph2"
// 0 to 4 times (or the two words apart), so matches with freq >= 2 must not
// be dropped by a bound that assumed freq 1, and so on.
TEST(PrunedTopK, PhraseFrequenciesStillExact) {
  testing::TempDir dir;
  std::mt19937 rng(16);
  std::vector<std::string> docs;
  for (int d = 0; d < 600; ++d) {
    const int reps = static_cast<int>(rng() % 5);
    const bool apart = rng() % 4 == 0;
    std::string text;
    int n = 0;
    for (int r = 0; r < reps; ++r, n += apart ? 3 : 2)
      text.append(apart ? "ph1 pad ph2 " : "ph1 ph2 ");
    for (; n < 40; ++n) text.append(rng() % 3 ? "pad " : "ph2 ");
    docs.push_back("{\"id\": \"d" + std::to_string(d) + "\", \"title\": \"ph1\", \"body\": \"" +
                   text + "\"}");
  }
  ASSERT_OK(BuildTightIndex(docs, dir.File("ph.idx")));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("ph.idx")));
  ExpectPrunedEqualsExhaustive(*index, {"ph1", "ph2", "pad"}, 17, 1000, "body", /*only_kind=*/5);
}

// The same for terms of one block (at most 128 docs, no stored maxima: their
// bound is computed from their docs at query time): word j is in docs
// [100j, 100j + 100) with tf 300 + j, all docs of one length, so each word's
// best score beats the one before by a relative ~1e-5.
TEST(PrunedTopK, TightOneBlockBoundsStillExact) {
  testing::TempDir dir;
  constexpr int kWords = 6, kDocsPerWord = 100;
  std::vector<std::string> docs;
  for (int d = 0; d < kWords * kDocsPerWord; ++d) {
    const int j = d / kDocsPerWord;
    docs.push_back(TightDoc(d, std::string("word") + "abcdef"[j], 300 + j));
  }
  ASSERT_OK(BuildTightIndex(docs, dir.File("words.idx")));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("words.idx")));
  for (const char* q : {"body:worda body:wordb body:wordc body:wordd body:worde body:wordf",
                        "title:worda title:wordb title:wordc title:wordd title:worde title:wordf",
                        "worda wordb wordc wordd worde wordf"}) {
    ExpectTightTopK(*index, q, (kWords - 1) * kDocsPerWord, "");
  }
}

TEST(PrunedTopK, EqualsExhaustiveOnProductCatalogue) {
  testing::TempDir dir;
  ASSERT_OK(testing::BuildBundledCatalogue(dir.File("p.idx")));
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir.File("p.idx")));
  // Real vocabulary: frequent and rare words from ingredient lists.
  const std::vector<std::string> words = {
      "sugar",   "salt",    "water",  "milk",    "flour", "wheat",  "oil",     "chocolate",
      "organic", "natural", "flavor", "acid",    "corn",  "syrup",  "soy",     "lecithin",
      "cocoa",   "butter",  "peanut", "vanilla", "apple", "juice",  "cheese",  "cream",
      "egg",     "rice",    "tomato", "garlic",  "honey", "almond", "vinegar", "pepper",
      "lemon",   "yeast",   "starch", "gum",     "color", "red",    "beef",    "chicken"};
  ExpectPrunedEqualsExhaustive(*index, words, 11, 1000, "ingredients");
  ExpectPrunedEqualsExhaustive(*index, words, 13, 1000, "ingredients", /*only_kind=*/1);
  const std::vector<std::string> phrase_words = {"sugar",   "salt",   "water", "flour", "wheat",
                                                 "oil",     "corn",   "syrup", "acid",  "citric",
                                                 "natural", "flavor", "milk",  "cocoa", "butter"};
  ExpectPrunedEqualsExhaustive(*index, phrase_words, 15, 500, "ingredients", /*only_kind=*/2);
  ExpectPrunedEqualsExhaustive(*index, phrase_words, 19, 500, "ingredients", /*only_kind=*/5);
}

}  // namespace
}  // namespace libsearch
