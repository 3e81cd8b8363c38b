// Prefix and typo expansions against their exhaustive definitions, on the
// bundled catalogue (whose text fields have prefix indexes): the prefix
// index's postings against merging every completion's postings, pruned
// top-k against exhaustive, and the visit-all path (facets, sort) against
// the top-k path.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "index/index_reader.h"
#include "index/postings_cursor.h"
#include "testing/test_util.h"
#include "util/utf8.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;

class ExpansionOracleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    ASSERT_OK(testing::BuildBundledCatalogue(dir_->File("p.idx")));
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Path() { return dir_->File("p.idx"); }
  static testing::TempDir* dir_;
};
testing::TempDir* ExpansionOracleTest::dir_ = nullptr;

const char* kWords[] = {"chocolate", "strawberry", "yoghurt", "biscuit", "cheese",  "tomato",
                        "vanilla",   "almond",     "peanut",  "cereal",  "organic", "juice",
                        "sugar",     "crème",      "água",    "x"};

// Every prefix of 1..index_prefixes code points present in the dictionary:
// its postings are exactly the union of its completions' docs, with tf the
// sum of their tfs.
TEST_F(ExpansionOracleTest, PrefixIndexEqualsMergedCompletions) {
  ASSERT_OK_AND_ASSIGN(auto reader, internal::IndexReader::Open(Path()));
  int checked = 0;
  for (const char* name : {"product_name", "ingredients"}) {
    const uint32_t f = static_cast<uint32_t>(*reader->schema().FieldIndex(name));
    const internal::FieldReader* field = reader->field(f);
    const internal::FieldReader* prefixes = reader->prefix_field(f);
    ASSERT_NE(prefixes, nullptr) << name;
    ASSERT_EQ(field->spec->index_prefixes, 3u);
    std::vector<std::string> all;
    ASSERT_OK(prefixes->dict.Terms(0, static_cast<uint32_t>(prefixes->dict.num_terms()), &all));
    std::mt19937 rng(5);
    std::vector<std::string> sample;
    for (int i = 0; i < 150; ++i) sample.push_back(all[rng() % all.size()]);
    sample.push_back(all.front());
    sample.push_back(all.back());
    for (const std::string& p : sample) {
      std::map<uint32_t, uint32_t> want;  // doc -> summed tf
      const uint32_t begin = field->dict.LowerBound(p);
      const uint32_t end = field->dict.LowerBound(p + "\xff\xff\xff\xff");
      ASSERT_LT(begin, end) << "prefix '" << p << "' has no completion";
      for (uint32_t ord = begin; ord < end; ++ord) {
        internal::PostingsCursor c(&field->postings, field->Term(ord));
        for (uint32_t d = c.doc(); d != internal::kNoMoreDocs; d = c.Next()) want[d] += c.freq();
        ASSERT_FALSE(c.corrupt());
      }
      const auto ord = prefixes->dict.Find(p);
      ASSERT_TRUE(ord.has_value()) << p;
      std::map<uint32_t, uint32_t> got;
      internal::PostingsCursor c(&prefixes->postings, prefixes->Term(*ord));
      for (uint32_t d = c.doc(); d != internal::kNoMoreDocs; d = c.Next()) got[d] = c.freq();
      ASSERT_FALSE(c.corrupt());
      ASSERT_EQ(got, want) << name << " prefix '" << p << "'";
      ++checked;
    }
    // And no prefix is missing: every term's short prefixes are present.
    std::vector<std::string> terms;
    ASSERT_OK(field->dict.Terms(0, static_cast<uint32_t>(field->dict.num_terms()), &terms));
    for (size_t i = 0; i < terms.size(); i += 37) {
      size_t end = 0;
      for (int chars = 0; chars < 3 && end < terms[i].size(); ++chars) {
        ++end;
        while (end < terms[i].size() && (static_cast<unsigned char>(terms[i][end]) & 0xc0) == 0x80)
          ++end;
        EXPECT_TRUE(prefixes->dict.Find(terms[i].substr(0, end)).has_value()) << terms[i];
      }
    }
  }
  EXPECT_GT(checked, 300);
}

// Prefix (short: the prefix index; longer: expansions) and typo queries,
// alone or after another word: pruned top-k equals exhaustive, COUNT too.
TEST_F(ExpansionOracleTest, PrunedTopKEqualsExhaustive) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(Path()));
  std::mt19937 rng(31);
  int pruned_something = 0;
  for (int i = 0; i < 300; ++i) {
    std::string w = kWords[rng() % std::size(kWords)];
    SearchRequest req;
    if (i % 2 == 0) {
      w = w.substr(0, 1 + rng() % 5);
      req.prefix_last = true;
    } else {
      if (w.size() > 2) w[1 + rng() % (w.size() - 2)] = static_cast<char>('a' + rng() % 26);
      req.typos = true;
    }
    req.query = rng() % 3 == 0 ? std::string(kWords[rng() % 13]) + " " + w : w;
    // Cut or changed bytes may split a character: such text is refused (validate.cc).
    if (!internal::IsValidUtf8(req.query)) continue;
    req.default_operator = rng() % 2 ? Operator::kAnd : Operator::kOr;
    req.k = std::vector<size_t>{1, 10, 100}[rng() % 3];
    req.include_docs = false;
    req.total_hits_threshold = SearchRequest::kExactTotal;
    ASSERT_OK_AND_ASSIGN(SearchResponse exact, index->Search(req));
    req.total_hits_threshold = 0;
    ASSERT_OK_AND_ASSIGN(SearchResponse pruned, index->Search(req));
    ASSERT_EQ(pruned.hits.size(), exact.hits.size()) << req.query;
    for (size_t k = 0; k < exact.hits.size(); ++k) {
      ASSERT_EQ(pruned.hits[k].doc, exact.hits[k].doc) << req.query << " rank " << k;
      ASSERT_EQ(pruned.hits[k].score, exact.hits[k].score) << req.query << " rank " << k;
    }
    pruned_something += exact.total > exact.hits.size();
    req.k = 0;
    ASSERT_OK_AND_ASSIGN(SearchResponse count, index->Search(req));
    ASSERT_EQ(count.total, exact.total) << req.query;
  }
  EXPECT_GT(pruned_something, 100);
}

// Facets and sort orders visit every match through their own scorer shapes
// (a windowed union for prefix and typo expansions, scoring only docs whose
// sort values tie): on the real catalogue, with random expansion queries,
// they must give the top-k path's hits and scores bit for bit, and facet
// counts equal to counting the full match list.
TEST_F(ExpansionOracleTest, VisitAllPathEqualsTopKPath) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(Path()));
  const char* words[] = {"chocolate", "strawberry", "yoghurt", "biscuit", "cheese",
                         "tomato",    "vanilla",    "almond",  "peanut",  "cereal",
                         "organic",   "juice",      "sugar"};
  std::mt19937 rng(99);
  int compared = 0;
  for (int i = 0; i < 120; ++i) {
    std::string w = words[rng() % std::size(words)];
    SearchRequest base;
    if (rng() % 2) {
      w = w.substr(0, 1 + rng() % 4);
      base.prefix_last = true;
    } else {
      const size_t at = 1 + rng() % (w.size() - 1);
      if (rng() % 2)
        w.erase(at, 1);
      else
        w[at] = static_cast<char>('a' + rng() % 26);
      base.typos = true;
    }
    if (rng() % 3 == 0)
      base.query = std::string(words[rng() % std::size(words)]) + " " + w;
    else
      base.query = w;
    if (rng() % 2) base.filters = {"sugars_100g:[0 TO " + std::to_string(rng() % 40) + "]"};
    base.include_docs = false;
    SearchRequest all = base;
    all.k = 10000;
    all.total_hits_threshold = SearchRequest::kExactTotal;
    ASSERT_OK_AND_ASSIGN(SearchResponse want, index->Search(all));
    SearchRequest visit = base;  // Facets: every match is visited.
    visit.k = 50;
    visit.facets = {{"country", 500, {}, false}};
    ASSERT_OK_AND_ASSIGN(SearchResponse got, index->Search(visit));
    ASSERT_EQ(got.total, want.total) << base.query;
    ASSERT_EQ(got.hits.size(), std::min<size_t>(50, want.hits.size()));
    for (size_t k = 0; k < got.hits.size(); ++k) {
      ASSERT_EQ(got.hits[k].doc, want.hits[k].doc) << base.query << " rank " << k;
      ASSERT_EQ(got.hits[k].score, want.hits[k].score) << base.query << " rank " << k;
    }
    std::map<std::string, uint64_t> counts;
    for (const Hit& h : want.hits) {
      ASSERT_OK_AND_ASSIGN(std::string doc, index->StoredDocument(h.doc));
      const Json j = Json::parse(doc);
      if (j.contains("country")) ++counts[j["country"].get<std::string>()];
    }
    std::map<std::string, uint64_t> facet;
    for (const auto& v : got.facets[0].values) facet[v.value] = v.count;
    ASSERT_EQ(facet, counts) << base.query;
    compared += want.total > 50;
  }
  EXPECT_GT(compared, 40) << "most queries should have more matches than one page";
}

// Typo tiers: with relevance order, every hit that matches without typos
// comes before every hit that needs one; within a tier, score order. The
// reference is built from untiered parts: all matches by score (an explicit
// _score sort is not tiered) and the typo-free query's match set. Pages by
// offset and by search_after both tile it.
TEST_F(ExpansionOracleTest, ExactMatchesRankAboveTypoMatches) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(Path()));
  std::mt19937 rng(8);
  int mixed = 0;
  for (int i = 0; i < 80; ++i) {
    std::string w = kWords[rng() % 13];
    // Misspell, or keep the word right: typo expansions of a correct word
    // still add neighbours ("sugar" ~ "sugars" stems, "cheese" ~ "cheeses").
    if (rng() % 2 && w.size() > 4)
      w[1 + rng() % (w.size() - 2)] = static_cast<char>('a' + rng() % 26);
    SearchRequest req;
    req.query = rng() % 3 == 0 ? std::string(kWords[rng() % 13]) + " " + w : w;
    req.typos = true;
    req.include_docs = false;
    SearchRequest all = req;
    all.k = 10000;
    all.sort = {{"_score", true}};
    ASSERT_OK_AND_ASSIGN(SearchResponse by_score, index->Search(all));
    SearchRequest exact = req;
    exact.typos = false;
    exact.k = 10000;
    exact.total_hits_threshold = SearchRequest::kExactTotal;
    ASSERT_OK_AND_ASSIGN(SearchResponse exact_hits, index->Search(exact));
    std::set<uint32_t> tier0;
    for (const Hit& h : exact_hits.hits) tier0.insert(h.doc);
    std::vector<Hit> want = by_score.hits;
    std::stable_partition(want.begin(), want.end(),
                          [&](const Hit& h) { return tier0.count(h.doc) > 0; });
    mixed += !tier0.empty() && tier0.size() < want.size();
    for (size_t offset : {size_t{0}, size_t{7}}) {
      SearchRequest page = req;
      page.offset = offset;
      page.k = 1 + rng() % 60;
      ASSERT_OK_AND_ASSIGN(SearchResponse got, index->Search(page));
      if (got.total_exact) {
        EXPECT_EQ(got.total, want.size()) << req.query;
      } else {  // Counted up to the threshold in each tier: a lower bound.
        EXPECT_LT(got.total, want.size()) << req.query;
        EXPECT_GE(got.total, page.total_hits_threshold) << req.query;
      }
      const size_t n = std::min(page.k, want.size() > offset ? want.size() - offset : 0);
      ASSERT_EQ(got.hits.size(), n) << req.query;
      for (size_t k = 0; k < n; ++k) {
        ASSERT_EQ(got.hits[k].doc, want[offset + k].doc) << req.query << " rank " << offset + k;
        ASSERT_EQ(got.hits[k].score, want[offset + k].score) << req.query << " rank " << offset + k;
      }
    }
    // Cursor pages (the visit-all path) over the first 300.
    SearchRequest page = req;
    page.k = 37;
    std::vector<uint32_t> got;
    while (got.size() < std::min<size_t>(300, want.size())) {
      ASSERT_OK_AND_ASSIGN(SearchResponse r, index->Search(page));
      for (const Hit& h : r.hits) got.push_back(h.doc);
      if (r.hits.size() < page.k) break;
      page.search_after = r.next_cursor;
    }
    for (size_t k = 0; k < got.size() && k < want.size(); ++k) {
      ASSERT_EQ(got[k], want[k].doc) << req.query << " cursor rank " << k;
    }
  }
  EXPECT_GT(mixed, 20) << "too few queries had both tiers";
}

// "Did you mean" shows words as the catalogue spells them, not stems.
TEST_F(ExpansionOracleTest, DidYouMeanShowsStoredWordsThatMatch) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(Path()));
  const std::pair<const char*, std::set<std::string>> cases[] = {
      {"strawbery", {"strawberry", "strawberries"}},  // Not the stem "strawberri".
      {"choclate chip", {"chocolate chip"}},
      {"peanut buter", {"peanut butter"}},
      {"biscuts", {"biscuit", "biscuits"}},
  };
  for (const auto& [typed, want] : cases) {
    SearchRequest req;
    req.query = typed;
    ASSERT_OK_AND_ASSIGN(SearchResponse none, index->Search(req));
    ASSERT_EQ(none.total, 0u) << typed;
    EXPECT_TRUE(want.count(none.suggestion)) << typed << " -> '" << none.suggestion << "'";
    req.query = none.suggestion;
    ASSERT_OK_AND_ASSIGN(SearchResponse fixed, index->Search(req));
    EXPECT_GT(fixed.total, 0u) << none.suggestion;
  }
}

}  // namespace
}  // namespace libsearch
