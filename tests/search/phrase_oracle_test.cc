// Phrase queries against brute force over real text: the bundled catalogue's
// ingredient lists, concatenated into docs of 1 to 40 products (up to a few
// thousand tokens) plus a few of 700 products (~28k tokens). Long docs give
// frequent words long runs of one-byte position deltas and rare words two-
// and three-byte ones, and the lists of frequent words span many 128-doc
// blocks, so every path of the position check (bulk skips, 16-delta runs,
// repeated words) is reached. The oracle analyses every doc itself,
// counts each phrase's matching start positions and scores with its own
// BM25; libsearch's exhaustive top k must match it, and the pruned top k
// must equal the exhaustive one bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "analysis/analyzer.h"
#include "testing/rounds.h"
#include "testing/test_util.h"
#include "util/small_float.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;

struct Corpus {
  std::vector<std::string> texts;
  // Per doc: term -> positions, and the token sequence (surface word, term).
  std::vector<std::map<std::string, std::vector<uint32_t>>> positions;
  std::vector<std::vector<std::pair<std::string, std::string>>> tokens;
  std::vector<uint32_t> lengths;
  std::map<std::string, uint32_t> df;
  uint64_t doc_count = 0, sum_tf = 0;
};

float Idf(const Corpus& c, const std::string& term) {
  auto it = c.df.find(term);
  const double n = it == c.df.end() ? 0 : it->second;
  return static_cast<float>(std::log(1 + (static_cast<double>(c.doc_count) - n + 0.5) / (n + 0.5)));
}

float Bm25(const Corpus& c, float idf_sum, uint32_t freq, uint32_t length) {
  const float avgdl =
      static_cast<float>(static_cast<double>(c.sum_tf) / static_cast<double>(c.doc_count));
  const float len = static_cast<float>(internal::NormToLength(internal::LengthToNorm(length)));
  const float norm_inv = 1.0f / (1.2f * ((1 - 0.75f) + 0.75f * len / avgdl));
  return idf_sum - idf_sum / (1.0f + static_cast<float>(freq) * norm_inv);
}

class PhraseOracleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    corpus_ = new Corpus();
    std::vector<std::string> ingredients;
    for (const std::string& line : testing::FirstBundledProducts(10000)) {
      const Json j = Json::parse(line);
      if (j.contains("ingredients") && j["ingredients"].is_string()) {
        const std::string s = j["ingredients"].get<std::string>();
        if (!s.empty()) ingredients.push_back(s);
      }
    }
    ASSERT_GT(ingredients.size(), 5000u);
    std::mt19937 rng(2024);
    std::vector<std::string> docs;
    for (size_t i = 0, d = 0; i < ingredients.size(); ++d) {
      // Every 97th doc is huge: words first seen past position 2^14, or
      // seen again that far apart, take three-byte deltas.
      const size_t n = d % 97 == 50 ? 700 : 1 + rng() % 40;
      std::string text;
      for (size_t k = 0; k < n && i < ingredients.size(); ++k, ++i) {
        text.append(ingredients[i]).append(" ");
      }
      corpus_->texts.push_back(text);
      docs.push_back(Json({{"id", "d" + std::to_string(d)}, {"body", text}}).dump());
    }
    auto schema = Schema::FromJson(R"({"id": "id", "fields": {"body": {"type": "text"}}})");
    ASSERT_TRUE(schema.ok());
    ASSERT_OK(testing::BuildIndex(*schema, docs, dir_->File("phrases.idx")));
    auto analyzer = analysis::Analyzer::Create({});
    ASSERT_TRUE(analyzer.ok());
    analyzer_ = analyzer->release();
    for (const std::string& text : corpus_->texts) {
      std::vector<analysis::Token> tokens;
      analyzer_->Analyze(text, &tokens);
      std::map<std::string, std::vector<uint32_t>> terms;
      std::vector<std::pair<std::string, std::string>> seq;
      for (const auto& t : tokens) {
        terms[t.term].push_back(t.position);
        seq.emplace_back(text.substr(t.start, t.end - t.start), t.term);
      }
      for (const auto& [term, ps] : terms) corpus_->df[term]++;
      corpus_->positions.push_back(std::move(terms));
      corpus_->tokens.push_back(std::move(seq));
      corpus_->lengths.push_back(static_cast<uint32_t>(tokens.size()));
      corpus_->doc_count += !tokens.empty();
      corpus_->sum_tf += tokens.size();
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    delete corpus_;
    delete analyzer_;
  }

  // All matches of the phrase (words as typed) with their scores, best
  // first, ties by doc.
  static std::vector<std::pair<uint32_t, float>> Expected(const std::string& words) {
    std::vector<analysis::Token> q;
    analyzer_->Analyze(words, &q);
    std::vector<std::pair<uint32_t, float>> out;
    if (q.empty()) return out;
    double idf = 0;
    for (const auto& t : q) idf += Idf(*corpus_, t.term);
    for (uint32_t d = 0; d < corpus_->positions.size(); ++d) {
      const auto& doc = corpus_->positions[d];
      auto first = doc.find(q[0].term);
      if (first == doc.end()) continue;
      uint32_t freq = 0;
      for (uint32_t p : first->second) {
        if (p < q[0].position) continue;
        const uint32_t start = p - q[0].position;
        bool all = true;
        for (size_t i = 1; i < q.size() && all; ++i) {
          auto it = doc.find(q[i].term);
          all = it != doc.end() &&
                std::binary_search(it->second.begin(), it->second.end(), start + q[i].position);
        }
        freq += all;
      }
      if (freq > 0) {
        out.emplace_back(d, Bm25(*corpus_, static_cast<float>(idf), freq, corpus_->lengths[d]));
      }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.second > b.second || (a.second == b.second && a.first < b.first);
    });
    return out;
  }

  static testing::TempDir* dir_;
  static Corpus* corpus_;
  static analysis::Analyzer* analyzer_;
};
testing::TempDir* PhraseOracleTest::dir_ = nullptr;
Corpus* PhraseOracleTest::corpus_ = nullptr;
analysis::Analyzer* PhraseOracleTest::analyzer_ = nullptr;

TEST_F(PhraseOracleTest, RandomPhrasesMatchBruteForce) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(dir_->File("phrases.idx")));
  const Corpus& c = *corpus_;
  // Frequent words (in at least a fifth of the docs): long lists, high tfs.
  std::vector<std::string> frequent;
  for (const auto& seq : c.tokens) {
    for (const auto& [word, term] : seq) {
      auto it = c.df.find(term);
      if (it->second * 5 >= c.doc_count && frequent.size() < 60 &&
          std::find(frequent.begin(), frequent.end(), word) == frequent.end()) {
        frequent.push_back(word);
      }
    }
  }
  ASSERT_GE(frequent.size(), 20u);
  std::mt19937 rng(99);
  auto random_window = [&](size_t len) {
    std::vector<std::string> words;
    while (words.empty()) {
      const auto& seq = c.tokens[rng() % c.tokens.size()];
      if (seq.size() < len) continue;
      const size_t start = rng() % (seq.size() - len + 1);
      for (size_t i = start; i < start + len; ++i) words.push_back(seq[i].first);
    }
    return words;
  };
  int matched = 0, repeated = 0;
  const int kQueries = testing::Rounds(1500);
  for (int qi = 0; qi < kQueries; ++qi) {
    std::vector<std::string> words;
    switch (qi % 5) {
      case 0:
      case 1:  // A window of a doc: it matches at least there.
        words = random_window(2 + rng() % 5);
        break;
      case 2: {  // A window with a repeated word ("organic oats, organic raisins").
        for (int tries = 0; tries < 200; ++tries) {
          words = random_window(3 + rng() % 5);
          std::vector<std::string> s = words;
          std::sort(s.begin(), s.end());
          if (std::adjacent_find(s.begin(), s.end()) != s.end()) break;
        }
        if (rng() % 4 == 0) words.push_back(words[rng() % words.size()]);  // Or "x y x y x".
        break;
      }
      case 3:  // Frequent words only, repeats allowed ("to be or not to be").
        for (size_t i = 0, n = 2 + rng() % 5; i < n; ++i) {
          words.push_back(frequent[rng() % (rng() % 2 ? 8 : frequent.size())]);
        }
        break;
      case 4:  // A window with one word replaced by a frequent one: near misses.
        words = random_window(2 + rng() % 4);
        words[rng() % words.size()] = frequent[rng() % frequent.size()];
        break;
    }
    std::string phrase;
    for (const std::string& w : words) phrase.append(phrase.empty() ? "" : " ").append(w);
    const auto expected = Expected(phrase);
    matched += !expected.empty();
    std::vector<std::string> sorted = words;
    std::sort(sorted.begin(), sorted.end());
    repeated +=
        std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end() && !expected.empty();

    SearchRequest req;
    // Quotes inside a word would end the phrase: the words are typed as
    // they were, with quotes dropped (the analyser drops them too).
    req.query = "\"";
    for (char ch : phrase) {
      if (ch != '"') req.query.push_back(ch);
    }
    req.query += "\"";
    req.k = std::vector<size_t>{1, 10, 50, 1000}[rng() % 4];
    req.include_docs = false;
    req.total_hits_threshold = SearchRequest::kExactTotal;
    ASSERT_OK_AND_ASSIGN(SearchResponse exact, index->Search(req));
    ASSERT_EQ(exact.total, expected.size()) << req.query;
    ASSERT_EQ(exact.hits.size(), std::min(req.k, expected.size())) << req.query;
    for (size_t i = 0; i < exact.hits.size(); ++i) {
      ASSERT_EQ(exact.hits[i].doc, expected[i].first) << req.query << " rank " << i;
      ASSERT_NEAR(exact.hits[i].score, expected[i].second, 1e-5 * std::abs(expected[i].second))
          << req.query << " rank " << i;
    }
    // The pruned top k (block-max windows, tf bounds) is the exhaustive one.
    for (const uint64_t threshold : {uint64_t{0}, uint64_t{10}}) {
      req.total_hits_threshold = threshold;
      ASSERT_OK_AND_ASSIGN(SearchResponse pruned, index->Search(req));
      ASSERT_EQ(pruned.hits.size(), exact.hits.size()) << req.query;
      for (size_t i = 0; i < exact.hits.size(); ++i) {
        ASSERT_EQ(pruned.hits[i].doc, exact.hits[i].doc) << req.query << " rank " << i;
        ASSERT_EQ(pruned.hits[i].score, exact.hits[i].score) << req.query << " rank " << i;
      }
    }
    req.k = 0;  // COUNT walks the matches without scoring.
    ASSERT_OK_AND_ASSIGN(SearchResponse count, index->Search(req));
    ASSERT_EQ(count.total, expected.size()) << req.query;
  }
  EXPECT_GT(matched, kQueries / 2) << "too many empty phrases: the test would be weak";
  EXPECT_GT(repeated, kQueries / 20) << "too few matching phrases with a repeated word";
}

}  // namespace
}  // namespace libsearch
