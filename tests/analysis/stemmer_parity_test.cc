// Stemmer parity: libstemmer (Snowball's C library, what the analyzer stems
// with) against Xapian::Stem (what it stemmed with until libsearch moved off
// GPL code), word by word.
//
// Index files hold stems, so a stem that changed would change which terms an
// existing index holds (tests/index/compat_test.cc checks the checked-in
// files still answer like a fresh build). The words are the vocabularies of
// the bundled catalogue, of BEIR SciFact (the test claims and a corpus
// extract) and of a Wikipedia extract (tests/data/README.md), cut into words
// by libsearch's analyzer without stemming, once with accent folding (the
// default, what the stemmers see) and once without. Every language both
// libraries offer stems every word.
//
// English and Porter (the only stems in the bundled index files) must agree
// on every word. The other languages may differ only where Snowball 2.x
// changed an algorithm after the version Xapian 1.4 carries; each such word
// must fall into the change named below, and the counts are pinned so that a
// new Xapian or libstemmer that moves a stem is noticed.
#include <gtest/gtest.h>
#include <libstemmer.h>
#include <xapian.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <initializer_list>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/analyzer.h"

namespace libsearch::analysis {
namespace {

const std::string kSourceDir = LIBSEARCH_SOURCE_DIR;

// Every line of a gzip (or plain) text file.
std::vector<std::string> ReadLines(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return {};
  std::vector<std::string> lines;
  std::string line;
  char buf[1 << 16];
  int n;
  while ((n = gzread(file, buf, sizeof(buf))) > 0) {
    for (int i = 0; i < n; ++i) {
      if (buf[i] == '\n') {
        lines.push_back(std::move(line));
        line.clear();
      } else {
        line += buf[i];
      }
    }
  }
  gzclose(file);
  if (!line.empty()) lines.push_back(std::move(line));
  return lines;
}

struct Vocabulary {
  std::string name;
  std::vector<std::string> texts;  // Raw text, tokenised per fold setting.
};

std::vector<Vocabulary> LoadVocabularies() {
  std::vector<Vocabulary> vocabularies;
  Vocabulary catalogue{"catalogue", {}};
  for (const std::string& line : ReadLines(kSourceDir + "/examples/products/products.jsonl.gz")) {
    const nlohmann::json product = nlohmann::json::parse(line);
    for (const char* field : {"product_name", "ingredients"}) {
      if (product.contains(field) && product[field].is_string()) {
        catalogue.texts.push_back(product[field].get<std::string>());
      }
    }
  }
  vocabularies.push_back(std::move(catalogue));
  Vocabulary scifact{"scifact", {}};
  for (const std::string& line : ReadLines(kSourceDir + "/tests/data/scifact_test_claims.jsonl")) {
    scifact.texts.push_back(nlohmann::json::parse(line)["query"].get<std::string>());
  }
  for (std::string& word : ReadLines(kSourceDir + "/tests/data/scifact_vocabulary.txt.gz")) {
    scifact.texts.push_back(std::move(word));
  }
  vocabularies.push_back(std::move(scifact));
  vocabularies.push_back(
      {"enwiki", ReadLines(kSourceDir + "/tests/data/enwiki2015_vocabulary.txt.gz")});
  return vocabularies;
}

// The distinct unstemmed tokens of `texts`.
std::set<std::string> Tokens(const std::vector<std::string>& texts, bool fold_accents) {
  AnalyzerOptions options;
  options.language = "none";
  options.fold_accents = fold_accents;
  auto analyzer = Analyzer::Create(options);
  EXPECT_TRUE(analyzer.ok());
  std::set<std::string> tokens;
  std::vector<Token> out;
  for (const std::string& text : texts) {
    out.clear();
    (*analyzer)->Analyze(text, &out);
    for (Token& token : out) tokens.insert(std::move(token.term));
  }
  return tokens;
}

std::vector<std::string> SharedLanguages() {
  std::set<std::string> xapian;
  std::istringstream names(Xapian::Stem::get_available_languages());
  for (std::string name; names >> name;) xapian.insert(name);
  std::vector<std::string> shared;
  for (const char** name = sb_stemmer_list(); *name != nullptr; ++name) {
    if (xapian.count(*name) > 0) shared.emplace_back(*name);
  }
  return shared;
}

class Libstemmer {
 public:
  explicit Libstemmer(const std::string& language)
      : stemmer_(sb_stemmer_new(language.c_str(), "UTF_8")) {}
  ~Libstemmer() { sb_stemmer_delete(stemmer_); }
  Libstemmer(const Libstemmer&) = delete;
  Libstemmer& operator=(const Libstemmer&) = delete;

  bool ok() const { return stemmer_ != nullptr; }
  std::string operator()(const std::string& word) {
    const sb_symbol* stem = sb_stemmer_stem(
        stemmer_, reinterpret_cast<const sb_symbol*>(word.data()), static_cast<int>(word.size()));
    return std::string(reinterpret_cast<const char*>(stem),
                       static_cast<size_t>(sb_stemmer_length(stemmer_)));
  }

 private:
  sb_stemmer* stemmer_;
};

// Whether `word` has a character outside [a-z] and `letters` (UTF-8).
bool HasOtherThan(const std::string& word, std::initializer_list<std::string_view> letters) {
  for (size_t i = 0; i < word.size();) {
    if (word[i] >= 'a' && word[i] <= 'z') {
      ++i;
      continue;
    }
    bool known = false;
    for (std::string_view letter : letters) {
      if (word.compare(i, letter.size(), letter) == 0) {
        i += letter.size();
        known = true;
        break;
      }
    }
    if (!known) return true;
  }
  return false;
}

// The Snowball changes the differences must come from: Xapian 1.4.22 carries
// older versions of these algorithms than Debian 12's libstemmer 2.2.0.
bool ExplainedDifference(const std::string& language, const std::string& word) {
  if (language == "arabic") {
    // Xapian's Arabic drops ASCII punctuation inside a word ("0,5" -> "05").
    return word.find_first_of(",.;") != std::string::npos;
  }
  if (language == "danish") {
    // Undoubling and the R1 region now count only Danish letters as
    // consonants and vowels ("ah11e": Xapian "ah1", libstemmer "ah11").
    return HasOtherThan(word, {"\u00E6", "\u00F8", "\u00E5"});  // æ ø å
  }
  if (language == "finnish") {
    // Likewise for Finnish ("000": Xapian "00"; "adaptée": "adapte").
    return HasOtherThan(word, {"\u00E4", "\u00F6", "\u00E5"});  // ä ö å
  }
  if (language == "french") {
    // ë and ï are now marked like the other diaereses ("belgië": "belgi").
    return word.find("\u00EB") != std::string::npos || word.find("\u00EF") != std::string::npos;
  }
  if (language == "russian") {
    return word.find("\u0451") != std::string::npos;  // ё is now read as е.
  }
  return false;
}

struct Difference {
  std::string word, xapian, libstemmer;
};

class StemmerParityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { vocabularies_ = new std::vector<Vocabulary>(LoadVocabularies()); }
  static void TearDownTestSuite() {
    delete vocabularies_;
    vocabularies_ = nullptr;
  }
  static std::vector<Vocabulary>* vocabularies_;
};
std::vector<Vocabulary>* StemmerParityTest::vocabularies_ = nullptr;

TEST_F(StemmerParityTest, VocabulariesAreThere) {
  // Sizes of the committed files and the bundled catalogue (see
  // tests/data/README.md), so a missing file cannot pass as "no difference".
  ASSERT_EQ(vocabularies_->size(), 3u);
  EXPECT_EQ((*vocabularies_)[0].texts.size(), 2 * 10000u);  // Name, ingredients.
  EXPECT_EQ((*vocabularies_)[1].texts.size(), 300u + 23845u);
  EXPECT_EQ((*vocabularies_)[2].texts.size(), 40000u);
}

TEST_F(StemmerParityTest, EverySharedLanguageAgreesOnTheVocabularies) {
  const std::vector<std::string> languages = SharedLanguages();
  // Xapian 1.4.22 and libstemmer 2.2.0 share 25 stemmers; Xapian's
  // earlyenglish, german2, kraaij_pohlmann and lovins are not in libstemmer.
  EXPECT_EQ(languages.size(), 25u);

  // LIBSEARCH_STEM_DIFFS=file.tsv lists every difference there.
  const char* dump_path = std::getenv("LIBSEARCH_STEM_DIFFS");
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> dump(
      dump_path != nullptr ? std::fopen(dump_path, "w") : nullptr, &std::fclose);
  // (language) -> differences over all vocabularies and both fold settings.
  std::map<std::string, size_t> differences;
  std::map<std::string, size_t> words_compared;
  for (bool fold : {true, false}) {
    for (const Vocabulary& vocabulary : *vocabularies_) {
      const std::set<std::string> words = Tokens(vocabulary.texts, fold);
      ASSERT_GT(words.size(), 10000u) << vocabulary.name;
      for (const std::string& language : languages) {
        Xapian::Stem xapian(language);
        Libstemmer libstemmer(language);
        ASSERT_TRUE(libstemmer.ok()) << language;
        std::vector<Difference> found;
        for (const std::string& word : words) {
          std::string a = xapian(word);
          std::string b = libstemmer(word);
          if (a != b) found.push_back({word, std::move(a), std::move(b)});
        }
        words_compared[language] += words.size();
        differences[language] += found.size();
        if (found.empty()) continue;
        std::printf("%s, %s, %s: %zu of %zu words stem differently, e.g.", language.c_str(),
                    vocabulary.name.c_str(), fold ? "folded" : "unfolded", found.size(),
                    words.size());
        for (size_t i = 0; i < found.size() && i < 4; ++i) {
          std::printf(" %s (xapian %s, libstemmer %s)", found[i].word.c_str(),
                      found[i].xapian.c_str(), found[i].libstemmer.c_str());
        }
        std::printf("\n");
        for (const Difference& d : found) {
          if (dump != nullptr) {
            std::fprintf(dump.get(), "%s\t%s\t%s\t%s\t%s\t%s\n", language.c_str(),
                         vocabulary.name.c_str(), fold ? "folded" : "unfolded", d.word.c_str(),
                         d.xapian.c_str(), d.libstemmer.c_str());
          }
          EXPECT_TRUE(ExplainedDifference(language, d.word))
              << language << " " << vocabulary.name << (fold ? " folded" : " unfolded") << ": \""
              << d.word << "\" -> Xapian \"" << d.xapian << "\", libstemmer \"" << d.libstemmer
              << "\"";
        }
      }
    }
  }
  // The stems of every bundled index: not one word may differ.
  EXPECT_EQ(differences["english"], 0u);
  EXPECT_EQ(differences["porter"], 0u);
  EXPECT_GT(words_compared["english"], 190000u);  // 30.9k + 24.0k + 39.9k, twice.
  // Pinned, summed over the three vocabularies and both fold settings.
  const std::map<std::string, size_t> expected = {
      {"arabic", 2786}, {"danish", 170}, {"finnish", 1698}, {"french", 15}, {"russian", 3}};
  for (const std::string& language : languages) {
    const auto it = expected.find(language);
    EXPECT_EQ(differences[language], it == expected.end() ? 0u : it->second) << language;
  }
}

// The analyzer stems with libstemmer: for every language, its terms are
// libstemmer's stems of the unstemmed tokens (catalogue vocabulary).
TEST_F(StemmerParityTest, AnalyzerTermsAreLibstemmerStems) {
  std::set<std::string> words = Tokens((*vocabularies_)[0].texts, true);
  // Only words that are one token on their own too (a Thai dictionary
  // segment out of context may split differently).
  AnalyzerOptions none;
  none.language = "none";
  auto unstemmed = Analyzer::Create(none);
  ASSERT_TRUE(unstemmed.ok());
  std::erase_if(words, [&](const std::string& word) {
    return (*unstemmed)->Terms(word) != std::vector<std::string>{word};
  });
  EXPECT_GT(words.size(), 30000u);
  for (const std::string& language : SharedLanguages()) {
    AnalyzerOptions options;
    options.language = language;
    auto analyzer = Analyzer::Create(options);
    ASSERT_TRUE(analyzer.ok()) << language;
    Libstemmer libstemmer(language);
    size_t mismatches = 0;
    for (const std::string& word : words) {
      const std::vector<std::string> terms = (*analyzer)->Terms(word);
      const std::string stem = libstemmer(word);
      const std::vector<std::string> expected =
          stem.empty() ? std::vector<std::string>{} : std::vector<std::string>{stem};
      if (terms != expected && ++mismatches <= 3) {
        ADD_FAILURE() << language << ": \"" << word << "\" -> "
                      << (terms.empty() ? "(nothing)" : terms[0]) << ", libstemmer \"" << stem
                      << "\"";
      }
    }
    EXPECT_EQ(mismatches, 0u) << language;
  }
}

}  // namespace
}  // namespace libsearch::analysis
