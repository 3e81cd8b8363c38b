// Differential checks of one index against another that should answer the
// same (a segmented index against a fresh build of its live documents):
// random product requests, and a response comparison to the last bit.
#pragma once

#include <gtest/gtest.h>

#include <cctype>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "libsearch/index.h"

namespace libsearch::testing {

// Same hits (ids, scores bit for bit, docs, highlights), same totals where
// both are exact, same facets.
inline void ExpectSameResponse(const SearchResponse& want, const SearchResponse& got,
                               const std::string& what) {
  ASSERT_EQ(want.hits.size(), got.hits.size()) << what;
  for (size_t i = 0; i < want.hits.size(); ++i) {
    EXPECT_EQ(want.hits[i].id, got.hits[i].id) << what << " hit " << i;
    uint32_t a, b;
    std::memcpy(&a, &want.hits[i].score, 4);
    std::memcpy(&b, &got.hits[i].score, 4);
    EXPECT_EQ(a, b) << what << " hit " << i << ": " << want.hits[i].score << " vs "
                    << got.hits[i].score;
    EXPECT_EQ(want.hits[i].doc_json, got.hits[i].doc_json) << what;
    EXPECT_EQ(want.hits[i].highlights, got.hits[i].highlights) << what;
  }
  if (want.total_exact && got.total_exact) {
    EXPECT_EQ(want.total, got.total) << what;
  }
  ASSERT_EQ(want.facets.size(), got.facets.size()) << what;
  for (size_t f = 0; f < want.facets.size(); ++f) {
    ASSERT_EQ(want.facets[f].values.size(), got.facets[f].values.size()) << what;
    for (size_t v = 0; v < want.facets[f].values.size(); ++v) {
      EXPECT_EQ(want.facets[f].values[v].value, got.facets[f].values[v].value) << what;
      EXPECT_EQ(want.facets[f].values[v].count, got.facets[f].values[v].count) << what;
    }
  }
}

// ExpectSameResponse, and what only one index's numbering makes equal:
// doc numbers, totals, cursors, suggestions.
inline void ExpectIdentical(const SearchResponse& want, const SearchResponse& got,
                            const std::string& what) {
  ExpectSameResponse(want, got, what);
  if (::testing::Test::HasFatalFailure()) return;
  for (size_t i = 0; i < want.hits.size(); ++i) {
    EXPECT_EQ(want.hits[i].doc, got.hits[i].doc) << what << " hit " << i;
  }
  EXPECT_EQ(want.total, got.total) << what;
  EXPECT_EQ(want.total_exact, got.total_exact) << what;
  EXPECT_EQ(want.next_cursor, got.next_cursor) << what;
  EXPECT_EQ(want.suggestion, got.suggestion) << what;
}

// A word (3+ letters, lower case) of one of `names`.
inline std::string RandomWord(std::mt19937& rng, const std::vector<std::string>& names) {
  for (;;) {
    const std::string& name = names[rng() % names.size()];
    std::vector<std::string> words;
    std::string w;
    for (char c : name + " ") {
      if (std::isalpha(static_cast<unsigned char>(c))) {
        w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      } else {
        if (w.size() >= 3) words.push_back(w);
        w.clear();
      }
    }
    if (!words.empty()) return words[rng() % words.size()];
  }
}

// A random request on the bundled product schema (examples/products): 1-3
// words of `names` (some misspelt, some as a phrase, sometimes none), AND
// or OR, prefix and typos, filters, keyword and range facets (disjunctive
// too), sort fields, highlights, offsets and exact or pruned totals.
inline SearchRequest RandomProductRequest(std::mt19937& rng,
                                          const std::vector<std::string>& names) {
  static const char* const kFilters[] = {"is_healthy:true", "sugars_100g:<5",
                                         "country:(france OR germany)", "fat_100g:[1 TO 20]"};
  static const char* const kSortFields[] = {"sugars_100g", "country", "_score", "fat_100g"};
  SearchRequest req;
  const int words = 1 + static_cast<int>(rng() % 3);
  for (int w = 0; w < words; ++w) {
    std::string word = RandomWord(rng, names);
    if (rng() % 8 == 0 && word.size() > 5) word[2 + rng() % (word.size() - 3)] = 'x';
    req.query += (w ? " " : "") + word;
  }
  if (rng() % 10 == 0) req.query = "\"" + req.query + "\"";
  if (rng() % 12 == 0) req.query.clear();
  req.k = 1 + rng() % 20;
  req.offset = rng() % 4 == 0 ? rng() % 15 : 0;
  req.default_operator = rng() % 3 == 0 ? Operator::kOr : Operator::kAnd;
  req.prefix_last = rng() % 4 == 0;
  req.typos = rng() % 4 == 0;
  if (rng() % 3 == 0) req.filters.push_back(kFilters[rng() % 4]);
  if (rng() % 4 == 0) req.total_hits_threshold = SearchRequest::kExactTotal;
  if (rng() % 4 == 0) {
    FacetRequest country;
    country.field = "country";
    country.size = 1 + rng() % 6;
    country.disjunctive = rng() % 2 == 0;
    req.facets.push_back(country);
    FacetRequest sugars;
    sugars.field = "sugars_100g";
    sugars.ranges = {{"low", -1e9, 5}, {"", 5, 20}, {"high", 20, 1e9}};
    req.facets.push_back(sugars);
  }
  if (rng() % 4 == 0) {
    req.sort.push_back({kSortFields[rng() % 4], rng() % 2 == 0});
    if (rng() % 2) req.sort.push_back({"_score", true});
  }
  if (rng() % 6 == 0) req.highlight.fields = {"product_name"};
  req.include_docs = rng() % 2 == 0;
  return req;
}

}  // namespace libsearch::testing
