// Prefix and typo expansions against their exhaustive definitions, on the
// bundled catalogue (whose text fields have prefix indexes): the prefix
// index's postings against merging every completion's postings, pruned
// top-k against exhaustive, and the visit-all path (facets, sort) against
// the top-k path.
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "analysis/analyzer.h"
#include "index/index_reader.h"
#include "index/postings_cursor.h"
#include "query/expand.h"
#include "testing/rounds.h"
#include "testing/test_util.h"
#include "util/utf8.h"

namespace libsearch {
namespace {

using Json = nlohmann::json;

class ExpansionOracleTest : public testing::BundledCatalogueTest {};

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
  for (int i = 0; i < testing::Rounds(120); ++i) {
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
  EXPECT_GT(compared, testing::Rounds(40)) << "most queries should have more matches than one page";
}

// The typo tier of each doc by the definition (search/typo_tiers.h,
// query/scorer_builder.cc), computed exhaustively: per field, every surface
// word within reach of the typed word (TypoDistance over the whole surface
// dictionary), each stem at its nearest word's distance, the 50 nearest
// then most frequent; corrections are the stems whose doc frequency times
// 0.02 per edit exceeds the typed word's, at the fewest edits of any such. A word's docs of tier <=
// t hold the typed stem, a correction or a stem within t edits in some field; a doc's tier is the
// least t at which it holds every word.
class TierOracle {
 public:
  explicit TierOracle(const internal::IndexReader* reader) : reader_(reader) {
    analysis::AnalyzerOptions o;
    o.split_codes = true;
    stem_ = analysis::Analyzer::Create(o).value();
    o.language = "none";
    surface_ = analysis::Analyzer::Create(o).value();
  }

  // Tier of every doc that matches all `words` (bare words, AND).
  std::map<uint32_t, uint32_t> Tiers(const std::vector<std::string>& words) const {
    std::map<uint32_t, uint32_t> tier;  // doc -> least t over which it is in all words' sets
    std::vector<std::vector<std::set<uint32_t>>> sets;  // [word][t]
    for (const std::string& w : words) sets.push_back(WordDocs(w));
    for (uint32_t t = 0; t < 3; ++t) {
      std::set<uint32_t> all = sets[0][t];
      for (size_t i = 1; i < sets.size(); ++i) {
        std::set<uint32_t> both;
        for (uint32_t d : all) {
          if (sets[i][t].count(d)) both.insert(d);
        }
        all = std::move(both);
      }
      for (uint32_t d : all) tier.emplace(d, t);  // Keeps the least t.
    }
    return tier;
  }

 private:
  static uint32_t TyposFor(const std::string& w) {
    size_t chars = 0;
    for (unsigned char c : w) {
      if (c >= '0' && c <= '9') return 0;
      chars += (c & 0xc0) != 0x80;
    }
    return chars <= 4 ? 0 : chars <= 8 ? 1 : 2;
  }

  // The docs of tiers <= 0, 1, 2 for one typed word, over the text fields.
  std::vector<std::set<uint32_t>> WordDocs(const std::string& word) const {
    std::vector<std::set<uint32_t>> out(3);
    const std::vector<std::string> stems = stem_->Terms(word);
    const std::vector<std::string> surfaces = surface_->Terms(word);
    if (stems.size() != 1 || surfaces.size() != 1) return out;
    const uint32_t max_edits = TyposFor(surfaces[0]);
    for (const char* name : {"product_name", "ingredients"}) {
      const internal::FieldReader* field =
          reader_->field(static_cast<uint32_t>(*reader_->schema().FieldIndex(name)));
      const auto exact = field->dict.Find(stems[0]);
      const double typed_df = exact ? field->DocFreq(*exact) : 0;
      std::map<uint32_t, uint32_t> nearest;  // stem ordinal -> edits
      if (max_edits > 0) {
        std::vector<std::string> all;
        EXPECT_OK(
            field->surface.dict.Terms(0, static_cast<uint32_t>(field->surface.num_words), &all));
        for (uint32_t o = 0; o < all.size(); ++o) {
          const uint32_t d = internal::TypoDistance(surfaces[0], all[o], true);
          if (d > max_edits) continue;
          const uint32_t stem = field->surface.Get(o).stem_ord;
          auto [it, fresh] = nearest.emplace(stem, d);
          if (!fresh) it->second = std::min(it->second, d);
        }
      }
      std::vector<std::pair<uint32_t, uint32_t>> ranked(nearest.begin(), nearest.end());
      std::sort(ranked.begin(), ranked.end(), [&](const auto& a, const auto& b) {
        if (a.second != b.second) return a.second < b.second;
        const uint32_t da = field->DocFreq(a.first), db = field->DocFreq(b.first);
        return da != db ? da > db : a.first < b.first;
      });
      if (ranked.size() > 50) ranked.resize(50);
      auto likelier = [&](uint32_t ord, uint32_t edits) {
        return edits > 0 && field->DocFreq(ord) * std::pow(0.02, edits) > typed_df;
      };
      uint32_t fewest = 99;
      for (const auto& [ord, edits] : ranked) {
        if (likelier(ord, edits)) fewest = std::min(fewest, edits);
      }
      for (uint32_t t = 0; t < 3; ++t) {
        std::vector<uint32_t> ords;
        if (exact) ords.push_back(*exact);
        for (const auto& [ord, edits] : ranked) {
          if ((edits == fewest && likelier(ord, edits)) || edits <= t) ords.push_back(ord);
        }
        for (uint32_t ord : ords) {
          internal::PostingsCursor c(&field->postings, field->Term(ord));
          for (; c.doc() != internal::kNoMoreDocs; c.Next()) out[t].insert(c.doc());
        }
      }
    }
    return out;
  }

  const internal::IndexReader* reader_;
  std::unique_ptr<analysis::Analyzer> stem_, surface_;
};

// Typo tiers: with relevance order, every hit of a lower tier comes before
// every hit of a higher one; within a tier, score order. The reference is
// built from an untiered part (all matches by score: an explicit _score
// sort is not tiered) and TierOracle. Pages by offset and by search_after
// both tile it.
TEST_F(ExpansionOracleTest, LowerTypoTiersRankFirst) {
  ASSERT_OK_AND_ASSIGN(auto index, Index::Open(Path()));
  ASSERT_OK_AND_ASSIGN(auto reader, internal::IndexReader::Open(Path()));
  const TierOracle oracle(reader.get());
  std::mt19937 rng(8);
  std::vector<std::vector<std::string>> queries;
  for (int i = 0; i < testing::Rounds(80); ++i) {
    std::string w = kWords[rng() % 13];
    // Misspell, or keep the word right: typo expansions of a correct word
    // still add neighbours ("sugar" ~ "sugars" stems, "cheese" ~ "cheeses").
    if (rng() % 2 && w.size() > 4)
      w[1 + rng() % (w.size() - 2)] = static_cast<char>('a' + rng() % 26);
    std::vector<std::string> words = {w};
    if (rng() % 3 == 0) words.insert(words.begin(), kWords[rng() % 13]);
    queries.push_back(words);
  }
  // Long words (two edits allowed), right and wrong, for three tiers.
  for (const char* w : {"chocolate", "chocolatte", "chocolates", "strawbery", "strawberries",
                        "strawberri", "vanillaaa", "organical", "chocolatier"}) {
    queries.push_back({w});
    queries.push_back({"milk", w});
  }
  int mixed = 0, three = 0;
  for (const std::vector<std::string>& words : queries) {
    const std::string& w = words.back();
    SearchRequest req;
    req.query = words.size() == 2 ? words[0] + " " + words[1] : w;
    req.typos = true;
    req.synonyms = false;
    req.include_docs = false;
    SearchRequest all = req;
    all.k = 10000;
    all.sort = {{"_score", true}};
    ASSERT_OK_AND_ASSIGN(SearchResponse by_score, index->Search(all));
    const std::map<uint32_t, uint32_t> tier = oracle.Tiers(words);
    ASSERT_EQ(tier.size(), by_score.hits.size()) << req.query;
    std::vector<Hit> want = by_score.hits;
    std::stable_sort(want.begin(), want.end(),
                     [&](const Hit& a, const Hit& b) { return tier.at(a.doc) < tier.at(b.doc); });
    std::set<uint32_t> used;
    for (const auto& [doc, t] : tier) used.insert(t);
    mixed += used.size() > 1;
    three += used.size() > 2;
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
  EXPECT_GT(mixed, testing::Rounds(20)) << "too few queries had two tiers";
  EXPECT_GT(three, testing::Rounds(2)) << "too few queries had three tiers";
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
