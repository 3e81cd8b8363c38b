// GlobalStats with its shortcuts (the small segments' surface words merged
// into one dictionary, filters of small dictionaries asked before lookups)
// against the reference that walks and looks up every segment and
// tombstone on its own: random typed words (product-name words with random
// edits, fixed seed) must give the same words, edits, doc counts and stems,
// and random terms the same doc freqs and completions.
#include "search/global_stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "index/index_reader.h"
#include "libsearch/schema.h"
#include "testing/test_util.h"

namespace libsearch::internal {
namespace {

using Json = nlohmann::json;

std::vector<std::string> Words(const std::string& text) {
  std::vector<std::string> out;
  std::string w;
  for (char c : text + " ") {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      if (w.size() >= 3) out.push_back(w);
      w.clear();
    }
  }
  return out;
}

// `word` with up to `edits` random edits (first letters included).
std::string Mangle(std::string word, int edits, std::mt19937* rng) {
  for (int e = 0; e < edits && !word.empty(); ++e) {
    const size_t at = (*rng)() % word.size();
    const char letter = static_cast<char>('a' + (*rng)() % 26);
    switch ((*rng)() % 4) {
      case 0: word[at] = letter; break;
      case 1: word.insert(word.begin() + static_cast<ptrdiff_t>(at), letter); break;
      case 2:
        if (word.size() > 1) word.erase(at, 1);
        break;
      default:
        if (at + 1 < word.size()) std::swap(word[at], word[at + 1]);
    }
  }
  return word;
}

using WordRow = std::tuple<std::string, uint32_t, uint64_t, std::string>;

std::vector<WordRow> Rows(const std::vector<WordMatch>& v) {
  std::vector<WordRow> rows;
  rows.reserve(v.size());
  for (const WordMatch& m : v) rows.emplace_back(m.word, m.edits, m.doc_freq, m.stem);
  std::sort(rows.begin(), rows.end());
  return rows;
}

class GlobalStatsWordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto schema = Schema::FromFile(testing::SourcePath("examples/products/schema.json"));
    ASSERT_TRUE(schema.ok()) << schema.status().ToString();
    schema_ = *schema;
    docs_ = testing::FirstBundledProducts(2600);
    ASSERT_EQ(docs_.size(), 2600u);
    // A base of 1,400 docs, 12 small segments of 100, and tombstones: two
    // generations of the base's deleted docs, one of a small segment's.
    auto add = [&](size_t from, size_t to, const std::string& name) {
      const std::vector<std::string> part(docs_.begin() + static_cast<ptrdiff_t>(from),
                                          docs_.begin() + static_cast<ptrdiff_t>(to));
      ASSERT_OK(testing::BuildIndex(schema_, part, dir_.File(name)));
      auto r = IndexReader::Open(dir_.File(name));
      ASSERT_TRUE(r.ok()) << r.status().ToString();
      readers_.push_back(std::move(*r));
    };
    add(0, 1400, "base");
    for (size_t s = 0; s < 12; ++s) add(1400 + 100 * s, 1500 + 100 * s, "s" + std::to_string(s));
    add(0, 150, "tomb-base-1");     // readers_[13]
    add(700, 760, "tomb-base-2");   // readers_[14]
    add(1400, 1410, "tomb-small");  // readers_[15]
    std::vector<GlobalStats::Part> parts;
    for (size_t s = 0; s < 13; ++s) parts.push_back({readers_[s].get(), {}});
    parts[0].tombstones = {readers_[13].get(), readers_[14].get()};
    parts[1].tombstones = {readers_[15].get()};
    fast_ = std::make_unique<GlobalStats>(parts, schema_.fields().size(), true);
    reference_ = std::make_unique<GlobalStats>(parts, schema_.fields().size(), false);
  }

  testing::TempDir dir_;
  Schema schema_;
  std::vector<std::string> docs_;
  std::vector<std::unique_ptr<IndexReader>> readers_;
  std::unique_ptr<GlobalStats> fast_, reference_;
};

TEST_F(GlobalStatsWordsTest, MergedSmallWordsEqualWalkingEachSegment) {
  std::mt19937 rng(17);
  std::vector<uint32_t> fields;
  for (const char* name : {"product_name", "ingredients"}) {
    const auto f = schema_.FieldIndex(name);
    ASSERT_TRUE(f.has_value()) << name;
    fields.push_back(static_cast<uint32_t>(*f));
  }
  size_t nonempty = 0, checked = 0;
  for (int i = 0; i < 1500; ++i) {
    const Json doc = Json::parse(docs_[rng() % docs_.size()]);
    const char* from = rng() % 2 == 0 ? "product_name" : "ingredients";
    if (!doc.contains(from) || !doc[from].is_string()) continue;
    const std::vector<std::string> words = Words(doc[from].get<std::string>());
    if (words.empty()) continue;
    const std::string typed =
        Mangle(words[rng() % words.size()], static_cast<int>(rng() % 3), &rng);
    for (const uint32_t f : fields) {
      for (const uint32_t max_edits : {1u, 2u}) {
        const std::vector<WordRow> want = Rows(reference_->TypoWords(f, typed, max_edits));
        ASSERT_EQ(Rows(fast_->TypoWords(f, typed, max_edits)), want)
            << "word '" << typed << "', field " << f << ", max_edits " << max_edits;
        nonempty += !want.empty();
        ++checked;
        ASSERT_EQ(fast_->TypoStems(f, typed, typed, max_edits, 50),
                  reference_->TypoStems(f, typed, typed, max_edits, 50))
            << "word '" << typed << "', field " << f << ", max_edits " << max_edits;
      }
    }
  }
  EXPECT_GT(checked, 2000u);
  EXPECT_GT(nonempty, checked / 3);  // The walks found words.
}

TEST_F(GlobalStatsWordsTest, FilteredDocFreqsEqualLookingUpEverySegment) {
  std::mt19937 rng(23);
  for (const char* name : {"product_name", "ingredients"}) {
    const uint32_t f = static_cast<uint32_t>(*schema_.FieldIndex(name));
    // Terms of every segment and tombstone, and some no dictionary has.
    std::vector<std::string> terms;
    for (const auto& r : readers_) {
      const FieldReader* field = r->field(f);
      ASSERT_NE(field, nullptr);
      const uint32_t n = static_cast<uint32_t>(field->dict.num_terms());
      for (int i = 0; i < 40 && n > 0; ++i) {
        std::vector<std::string> t;
        ASSERT_OK(field->dict.Terms(static_cast<uint32_t>(rng() % n), 1, &t));
        terms.push_back(t[0]);
        terms.push_back(Mangle(t[0], 1, &rng));
      }
    }
    size_t found = 0;
    for (const std::string& t : terms) {
      const uint64_t want = reference_->DocFreq(f, false, t);
      ASSERT_EQ(fast_->DocFreq(f, false, t), want) << "term '" << t << "', field " << name;
      found += want > 0;
      ASSERT_EQ(fast_->PrefixTerms(f, t.substr(0, 2), 20),
                reference_->PrefixTerms(f, t.substr(0, 2), 20))
          << "prefix '" << t.substr(0, 2) << "', field " << name;
    }
    EXPECT_GT(found, terms.size() / 3);
  }
}

}  // namespace
}  // namespace libsearch::internal
