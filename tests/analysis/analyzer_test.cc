#include "analysis/analyzer.h"

#include <gtest/gtest.h>
#include <unicode/brkiter.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <zlib.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace libsearch::analysis {

namespace {

// Tokens as tuples: comparable and printable by gtest without adding
// operators to the library's Token.
using Tok = std::tuple<std::string, uint32_t, uint32_t, uint32_t>;

std::unique_ptr<Analyzer> Make(AnalyzerOptions options) {
  Result<std::unique_ptr<Analyzer>> analyzer = Analyzer::Create(options);
  EXPECT_TRUE(analyzer.ok()) << analyzer.status().ToString();
  if (!analyzer.ok()) return nullptr;
  return std::move(*analyzer);
}

std::unique_ptr<Analyzer> Make(const std::string& language, bool stopwords = false) {
  AnalyzerOptions options;
  options.language = language;
  options.stopwords = stopwords;
  return Make(options);
}

std::vector<Token> Analyze(const Analyzer& analyzer, std::string_view text,
                           uint32_t first_position = 0) {
  std::vector<Token> tokens;
  analyzer.Analyze(text, &tokens, first_position);
  return tokens;
}

std::vector<Tok> Tuples(const Analyzer& analyzer, std::string_view text,
                        uint32_t first_position = 0) {
  std::vector<Tok> out;
  for (Token& t : Analyze(analyzer, text, first_position)) {
    out.emplace_back(std::move(t.term), t.position, t.start, t.end);
  }
  return out;
}

std::string Describe(const std::vector<Tok>& tokens) {
  std::ostringstream out;
  for (const auto& [term, position, start, end] : tokens) {
    out << "{\"" << term << "\" pos=" << position << " [" << start << "," << end << ")} ";
  }
  return out.str();
}

// Escapes control characters so failing inputs are readable.
std::string Escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

TEST(AnalyzerTest, FoldsAccentsAndCase) {
  auto none = Make("none");
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->Terms("Crème Brûlée"), (std::vector<std::string>{"creme", "brulee"}));
  auto en = Make("en");
  ASSERT_NE(en, nullptr);
  // Porter2 removes the final "e" of "brulee" (step 5).
  EXPECT_EQ(en->Terms("Crème Brûlée"), (std::vector<std::string>{"creme", "brule"}));
}

TEST(AnalyzerTest, KeepsAccentsWhenAsked) {
  AnalyzerOptions options;
  options.language = "none";
  options.fold_accents = false;
  auto analyzer = Make(options);
  ASSERT_NE(analyzer, nullptr);
  EXPECT_EQ(analyzer->Terms("Crème BRÛLÉE"), (std::vector<std::string>{"crème", "brûlée"}));
}

TEST(AnalyzerTest, EnglishStems) {
  auto en = Make("en");
  ASSERT_NE(en, nullptr);
  EXPECT_EQ(en->Terms("running berries"), (std::vector<std::string>{"run", "berri"}));
  EXPECT_EQ(en->Terms("Organic Ingredients"), (std::vector<std::string>{"organ", "ingredi"}));
  // The Snowball name works like the ISO code, case-insensitively.
  auto english = Make("English");
  ASSERT_NE(english, nullptr);
  EXPECT_EQ(english->Terms("running"), (std::vector<std::string>{"run"}));
}

TEST(AnalyzerTest, NoneDoesNotStem) {
  auto none = Make("none");
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->Terms("running berries"), (std::vector<std::string>{"running", "berries"}));
}

// The light English stemmer strips plurals only (Lucene's
// EnglishMinimalStemFilter's rules, checked case by case).
TEST(AnalyzerTest, EnglishMinimalStripsPluralsOnly) {
  auto minimal = Make("en-minimal");
  ASSERT_NE(minimal, nullptr);
  const std::pair<const char*, const char*> cases[] = {
      {"organizers", "organizer"},
      {"organic", "organic"},
      {"berries", "berry"},
      {"cookies", "cooky"},
      {"series", "sery"},
      {"shoes", "shoes"},
      {"toes", "toes"},
      {"glass", "glass"},
      {"bus", "bus"},
      {"chips", "chip"},
      {"international", "international"},
      {"is", "is"},
      {"boxes", "boxe"},
      {"days", "day"},
      {"keys", "key"},
      {"plays", "play"},
      {"ties", "ty"},
  };
  for (const auto& [word, stem] : cases) {
    EXPECT_EQ(minimal->Terms(word), (std::vector<std::string>{stem})) << word;
  }
  auto named = Make("english_minimal");
  ASSERT_NE(named, nullptr);
  EXPECT_EQ(named->Terms("Organizers"), (std::vector<std::string>{"organizer"}));
}

TEST(AnalyzerTest, OtherLanguagesStem) {
  auto fr = Make("fr");
  ASSERT_NE(fr, nullptr);
  // French Snowball: "-ement" adverb suffix goes.
  EXPECT_EQ(fr->Terms("rapidement"), (std::vector<std::string>{"rapid"}));
  auto nb = Make("nb");
  ASSERT_NE(nb, nullptr);
  EXPECT_EQ(nb->options().language, "nb");  // Config is kept as given.
}

TEST(AnalyzerTest, NfkcCasefold) {
  auto none = Make("none");
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(none->Terms("ＡＢＣ"), (std::vector<std::string>{"abc"}));
  EXPECT_EQ(none->Terms("ﬁsh"), (std::vector<std::string>{"fish"}));
  EXPECT_EQ(none->Terms("Straße"), (std::vector<std::string>{"strasse"}));
  EXPECT_EQ(none->Terms("ΣΊΣΥΦΟΣ"), (std::vector<std::string>{"σισυφοσ"}));
  // A decomposed accent (e + U+0301) folds like the precomposed one.
  EXPECT_EQ(none->Terms("cafe\xCC\x81 café"), (std::vector<std::string>{"cafe", "cafe"}));
}

TEST(AnalyzerTest, OffsetsPointAtOriginalBytes) {
  auto none = Make("none");
  ASSERT_NE(none, nullptr);
  const std::string text = "Crème Brûlée, ＡＢＣ!";
  EXPECT_EQ(Tuples(*none, text),
            (std::vector<Tok>{{"creme", 0, 0, 6}, {"brulee", 1, 7, 15}, {"abc", 2, 17, 26}}));
  const std::vector<Token> tokens = Analyze(*none, text);
  ASSERT_EQ(tokens.size(), 3u);
  for (const Token& t : tokens) EXPECT_LE(t.end, text.size());
  EXPECT_EQ(text.substr(tokens[1].start, tokens[1].end - tokens[1].start), "Brûlée");
  EXPECT_EQ(text.substr(tokens[2].start, tokens[2].end - tokens[2].start), "ＡＢＣ");
}

TEST(AnalyzerTest, AsciiOffsetsAndFirstPosition) {
  auto en = Make("en");
  ASSERT_NE(en, nullptr);
  EXPECT_EQ(Tuples(*en, "  Running, U.S.A. 3,5kg", 10),
            (std::vector<Tok>{{"run", 10, 2, 9}, {"u.s.a", 11, 11, 16}, {"3,5kg", 12, 18, 23}}));
}

TEST(AnalyzerTest, StopWordsLeavePositionGaps) {
  auto en = Make("en", /*stopwords=*/true);
  ASSERT_NE(en, nullptr);
  EXPECT_EQ(Tuples(*en, "The quick and THE dead"),
            (std::vector<Tok>{{"quick", 1, 4, 9}, {"dead", 4, 18, 22}}));
  // ICU path: the check runs on the folded word, so "Thé" is "the" too.
  EXPECT_EQ(Tuples(*en, "Thé quick and THE dead"),
            (std::vector<Tok>{{"quick", 1, 5, 10}, {"dead", 4, 19, 23}}));
  // Stop words at the start still shift positions from first_position.
  EXPECT_EQ(Tuples(*en, "the end", 7), (std::vector<Tok>{{"end", 8, 4, 7}}));
}

TEST(AnalyzerTest, StopWordsOffByDefaultAndEnglishOnly) {
  auto en = Make("en");
  ASSERT_NE(en, nullptr);
  EXPECT_EQ(en->Terms("The Ordinary"), (std::vector<std::string>{"the", "ordinari"}));
  // Only English has a built-in list; elsewhere stopwords is a no-op.
  auto fr = Make("fr", /*stopwords=*/true);
  ASSERT_NE(fr, nullptr);
  EXPECT_EQ(fr->Terms("the"), (std::vector<std::string>{"the"}));
  // A query consisting of a stop word yields no terms.
  auto en_stop = Make("en", /*stopwords=*/true);
  ASSERT_NE(en_stop, nullptr);
  EXPECT_TRUE(en_stop->Terms("the").empty());
}

TEST(AnalyzerTest, QueryWordsAndPunctuation) {
  auto en = Make("en");
  ASSERT_NE(en, nullptr);
  EXPECT_EQ(en->Terms("wi-fi"), (std::vector<std::string>{"wi", "fi"}));
  EXPECT_TRUE(en->Terms("--- ... !!").empty());
  EXPECT_TRUE(en->Terms("").empty());
  EXPECT_TRUE(en->Terms("_").empty());  // ICU gives a lone "_" status NONE.
  EXPECT_EQ(en->Terms("snake_case a:b"), (std::vector<std::string>{"snake_cas", "a", "b"}));
}

TEST(AnalyzerTest, InvalidUtf8BytesAreSeparators) {
  auto none = Make("none");
  ASSERT_NE(none, nullptr);
  EXPECT_EQ(Tuples(*none,
                   "abc\xff"
                   "def \xc3"),
            (std::vector<Tok>{{"abc", 0, 0, 3}, {"def", 1, 4, 7}}));
}

TEST(AnalyzerTest, UnknownLanguageIsAnError) {
  AnalyzerOptions options;
  options.language = "klingon";
  Result<std::unique_ptr<Analyzer>> analyzer = Analyzer::Create(options);
  ASSERT_FALSE(analyzer.ok());
  EXPECT_EQ(analyzer.status().code(), StatusCode::kInvalidArgument);
  const std::string message = analyzer.status().message();
  EXPECT_NE(message.find("\"klingon\""), std::string::npos) << message;
  EXPECT_NE(message.find("english (en)"), std::string::npos) << message;
  EXPECT_NE(message.find("none"), std::string::npos) << message;

  options.language = "";
  EXPECT_EQ(Analyzer::Create(options).status().code(), StatusCode::kInvalidArgument);
}

// Xapian::Stem had four stemmers libstemmer lacks; naming one says what to
// use instead.
TEST(AnalyzerTest, XapianOnlyStemmersSayWhatToUse) {
  for (const auto& [retired, instead] :
       std::vector<std::pair<std::string, std::string>>{{"german2", "german"},
                                                        {"kraaij_pohlmann", "dutch"},
                                                        {"lovins", "english"},
                                                        {"earlyenglish", "english"}}) {
    AnalyzerOptions options;
    options.language = retired;
    Result<std::unique_ptr<Analyzer>> analyzer = Analyzer::Create(options);
    ASSERT_FALSE(analyzer.ok()) << retired;
    EXPECT_EQ(analyzer.status().code(), StatusCode::kInvalidArgument);
    const std::string message = analyzer.status().message();
    EXPECT_NE(message.find("use \"" + instead + "\""), std::string::npos) << message;
  }
}

// Every ISO code maps to a stemmer the linked libstemmer has.
TEST(AnalyzerTest, EveryIsoCodeStems) {
  for (const char* code :
       {"ar", "hy", "eu", "ca", "da", "nl", "en", "fi", "fr", "de", "el", "hi", "hu", "id", "ga",
        "it", "lt", "ne", "no", "nb", "nn", "pt", "ro", "ru", "sr", "es", "sv", "ta", "tr", "yi"}) {
    AnalyzerOptions options;
    options.language = code;
    EXPECT_TRUE(Analyzer::Create(options).ok()) << code;
  }
  EXPECT_EQ(Make("de")->Terms("häuser"), (std::vector<std::string>{"haus"}));
  EXPECT_EQ(Make("EN")->Terms("running"), (std::vector<std::string>{"run"}));
}

TEST(AnalyzerTest, SupportedLanguagesListsCodesAndNames) {
  const std::string languages = SupportedLanguages();
  EXPECT_NE(languages.find("english (en)"), std::string::npos) << languages;
  EXPECT_NE(languages.find("norwegian (no/nb/nn)"), std::string::npos) << languages;
  EXPECT_NE(languages.find("porter"), std::string::npos) << languages;
  EXPECT_NE(languages.find("none"), std::string::npos) << languages;
}

// The fast path lowercases ASCII; that must be exactly NFKC_Casefold.
TEST(AnalyzerTest, AsciiLowercaseIsNfkcCasefold) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  ASSERT_TRUE(U_SUCCESS(status));
  for (int c = 1; c < 0x80; ++c) {
    const icu::UnicodeString in(static_cast<UChar32>(c));
    const icu::UnicodeString folded = nfkc_cf->normalize(in, status);
    ASSERT_TRUE(U_SUCCESS(status));
    const int lower = (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c;
    EXPECT_EQ(folded, icu::UnicodeString(static_cast<UChar32>(lower))) << "code point " << c;
  }
}

// Compares the fast path and the ICU path on `text`; returns true if equal.
bool SamePaths(const Analyzer& fast, const Analyzer& icu, std::string_view text,
               std::string* diff) {
  const std::vector<Tok> a = Tuples(fast, text);
  const std::vector<Tok> b = Tuples(icu, text);
  if (a == b) return true;
  *diff = "input \"" + Escape(text) + "\"\n  fast: " + Describe(a) + "\n  icu:  " + Describe(b);
  return false;
}

struct PathPair {
  std::unique_ptr<Analyzer> fast;
  std::unique_ptr<Analyzer> icu;
};

PathPair MakePathPair(AnalyzerOptions options) {
  PathPair pair{Make(options), nullptr};
  options.force_icu = true;
  pair.icu = Make(options);
  return pair;
}

PathPair MakePathPair(const std::string& language, bool stopwords) {
  AnalyzerOptions options;
  options.language = language;
  options.stopwords = stopwords;
  return MakePathPair(options);
}

TEST(AnalyzerTest, FastPathMatchesIcuOnRandomAscii) {
  // Heavy in the characters that take part in UAX #29 word rules.
  const std::string alphabet =
      "aaabcxyzAZQe0123456789"
      ".....,,,,''''::::;;;;____"
      "---///@@##&&    \t\n\r\v\f\"!?()[]{}<>=+*%$^`~|\\\x01\x1f\x7f";
  // "none" exercises segmentation and folding; "en" with stopwords exercises
  // stemming of odd words and position gaps too.
  PathPair plain = MakePathPair("none", false);
  PathPair english = MakePathPair("en", true);
  ASSERT_NE(plain.fast, nullptr);
  ASSERT_NE(english.icu, nullptr);

  std::mt19937 rng(20240611);
  std::uniform_int_distribution<size_t> length(0, 24);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  constexpr int kStrings = 200000;
  int mismatches = 0;
  std::string text;
  std::string diff;
  for (int i = 0; i < kStrings; ++i) {
    text.clear();
    for (size_t n = length(rng); n > 0; --n) text += alphabet[pick(rng)];
    const PathPair& pair = (i % 4 == 0) ? english : plain;
    if (!SamePaths(*pair.fast, *pair.icu, text, &diff)) {
      if (++mismatches <= 20) ADD_FAILURE() << diff;
    }
  }
  // Uniform over all of ASCII (NUL included), longer strings.
  std::uniform_int_distribution<int> any_ascii(0, 0x7f);
  std::uniform_int_distribution<size_t> long_length(0, 48);
  constexpr int kUniformStrings = 50000;
  for (int i = 0; i < kUniformStrings; ++i) {
    text.clear();
    for (size_t n = long_length(rng); n > 0; --n) {
      text += static_cast<char>(any_ascii(rng));
    }
    if (!SamePaths(*plain.fast, *plain.icu, text, &diff)) {
      if (++mismatches <= 30) ADD_FAILURE() << diff;
    }
  }
  // Every printable and control ASCII character on its own and in context.
  for (int c = 1; c < 0x80; ++c) {
    for (const char* pattern : {"%c", "a%cb", "1%c2", "a%c1", "_%c_", "%c%c"}) {
      char buf[16];
      std::snprintf(buf, sizeof(buf), pattern, c, c);
      if (!SamePaths(*plain.fast, *plain.icu, buf, &diff)) {
        if (++mismatches <= 40) ADD_FAILURE() << diff;
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
}

// Mixed text: the fast path sends only the stretches around non-ASCII bytes
// to ICU, cut after a space before an ASCII character. Random strings of
// ASCII words and characters that take part in the word rules next to a
// space (Extend, Format, ZWJ, other spaces, regional indicators, mid-word
// punctuation, dictionary scripts, invalid UTF-8) must give ICU's tokens
// on the whole text, offsets and positions included.
TEST(AnalyzerTest, MixedTextMatchesIcu) {
  const std::vector<std::string> pieces = {
      "a",
      "Word",
      "x1",
      "500ml",
      "iPhone15",
      "don't",
      "U.S.A.",
      "3.14",
      "1,000",
      "_",
      "wi-fi",
      "The",
      "of",
      "running",
      ".",
      "'",
      ",",
      ":",
      ";",
      "-",
      "\"",
      "!",
      "(",
      ")",
      "@",
      "\t",
      "\n",
      "\r\n",
      "\v",
      "é",
      "É",
      "e\xcc\x81",
      "\xcc\x81",
      "\xcd\x8f",
      "\xe2\x80\x8d",
      "\xe2\x80\x8c",
      "\xc2\xad",
      "\xe2\x81\xa0",
      "\xef\xbb\xbf",
      "\xc2\xa0",
      "\xe2\x80\x83",
      "\xe3\x80\x80",
      "\xe1\x9a\x80",
      "\xe2\x80\x99",
      "\xe2\x80\xa4",
      "\xef\xb9\x90",
      "\xc2\xb7",
      "\xd9\xab",
      "\xef\xbc\x91\xef\xbc\x92",
      "\xf0\x9f\x87\xab",
      "\xf0\x9f\x87\xb7",
      "\xf0\x9f\x91\x8d",
      "\xf0\x9f\x8f\xbd",
      "\xe2\x98\x83",
      "\xe0\xb8\xa0\xe0\xb8\xb2\xe0\xb8\xa9\xe0\xb8\xb2\xe0\xb9\x84\xe0\xb8\x97\xe0\xb8\xa2",
      "\xe9\xa3\x9f\xe5\x93\x81\xe6\xb7\xbb\xe5\x8a\xa0\xe5\x89\x82",
      "\xe3\x82\xab\xe3\x82\xbf",
      "\xe3\x81\xb2\xe3\x82\x89",
      "\xed\x95\x9c\xea\xb5\xad",
      "\xd7\xa2\xd7\x91",
      "\xd7\xb4",
      "\xd8\xa7\xd9\x84\xd8\xb9",
      "\xef\xac\x81",
      "\xc3\x9f",
      "\xc4\xb0",
      "\xce\xa3",
      "\xe2\x85\xa0",
      "\xff",
      "\xc3",
      "\xe2\x80",
      "\xed\xa0\x80",
      "\xf4\x90\x80\x80",
      "na\xc3\xafve",
      "\xc3\xbc"
      "ber"};
  const std::vector<std::string> glue = {" ", " ", " ", "  ", "",   "",
                                         ".", "'", ",", "-",  "\t", "\n"};
  PathPair plain = MakePathPair("none", false);
  PathPair english = MakePathPair("en", true);
  AnalyzerOptions codes_options;
  codes_options.split_codes = true;
  codes_options.fold_accents = false;
  PathPair codes = MakePathPair(codes_options);
  ASSERT_NE(plain.fast, nullptr);
  ASSERT_NE(english.icu, nullptr);
  ASSERT_NE(codes.icu, nullptr);

  std::mt19937 rng(20261127);
  constexpr int kStrings = 200000;
  int mismatches = 0;
  std::string text, diff;
  for (int i = 0; i < kStrings; ++i) {
    text.clear();
    for (size_t n = rng() % 16; n > 0; --n) {
      text += glue[rng() % glue.size()];
      text += pieces[rng() % pieces.size()];
    }
    const PathPair& pair = i % 3 == 0 ? plain : i % 3 == 1 ? english : codes;
    if (!SamePaths(*pair.fast, *pair.icu, text, &diff)) {
      if (++mismatches <= 20) ADD_FAILURE() << diff;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

// Reads a gzip'd file line by line; false if it cannot be opened.
bool ReadGzLines(const std::string& path, std::vector<std::string>* lines) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  char buf[1 << 16];
  std::string line;
  while (gzgets(file, buf, sizeof(buf)) != nullptr) {
    line += buf;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      lines->push_back(std::move(line));
      line.clear();
    }
  }
  if (!line.empty()) lines->push_back(std::move(line));
  gzclose(file);
  return true;
}

std::string SourceDir() {
  if (const char* env = std::getenv("LIBSEARCH_SOURCE_DIR")) return env;
#ifdef LIBSEARCH_SOURCE_DIR
  return LIBSEARCH_SOURCE_DIR;
#else
  return ".";
#endif
}

std::string FindProductCorpus() {
  const std::filesystem::path root = SourceDir();
  for (const char* relative : {"examples/products/products.jsonl.gz",
                               "../shared/data/openfoodfacts-products/products-sample-10k.jsonl.gz",
                               "../shared/data/products-sample-10k.jsonl.gz"}) {
    const std::filesystem::path path = root / relative;
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return path.string();
  }
  return "";
}

bool IsAsciiString(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

TEST(AnalyzerTest, FastPathMatchesIcuOnProductCorpus) {
  const std::string path = FindProductCorpus();
  if (path.empty()) {
    FAIL() << "no product corpus under " << SourceDir();
  }
  std::vector<std::string> lines;
  ASSERT_TRUE(ReadGzLines(path, &lines)) << path;
  ASSERT_FALSE(lines.empty()) << path;

  PathPair plain = MakePathPair("none", false);
  PathPair english = MakePathPair("en", true);
  ASSERT_NE(plain.fast, nullptr);
  ASSERT_NE(english.icu, nullptr);
  int compared = 0;
  int mixed = 0;
  int mismatches = 0;
  std::string diff;
  for (const std::string& line : lines) {
    const nlohmann::json product = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(product.is_discarded()) << line.substr(0, 200);
    for (const char* field : {"product_name", "ingredients"}) {
      const auto it = product.find(field);
      if (it == product.end() || !it->is_string()) continue;
      const std::string& text = it->get_ref<const std::string&>();
      ++compared;
      mixed += !IsAsciiString(text);  // Mixed text: ICU only around non-ASCII.
      for (const PathPair* pair : {&plain, &english}) {
        if (!SamePaths(*pair->fast, *pair->icu, text, &diff)) {
          if (++mismatches <= 20) ADD_FAILURE() << diff;
        }
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(compared - mixed, 1000) << "suspiciously few ASCII strings in " << path;
  EXPECT_GT(mixed, 1000) << "suspiciously few non-ASCII strings in " << path;
  std::printf("[          ] compared %d strings (%d not ASCII) from %s\n", compared, mixed,
              path.c_str());
}

// The textbook fold, written with whole-string UTF-16 normalisation: segment,
// NFKC_Casefold, NFD, drop Mn, NFC. The analyzer takes shortcuts (per code
// point decomposition, ASCII skips); this checks they change nothing.
std::vector<std::string> ReferenceTerms(const std::string& text) {
  UErrorCode status = U_ZERO_ERROR;
  std::unique_ptr<icu::BreakIterator> iter(
      icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
  const icu::Normalizer2* nfkc_cf = icu::Normalizer2::getNFKCCasefoldInstance(status);
  const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  EXPECT_TRUE(U_SUCCESS(status));
  const icu::UnicodeString utf16 = icu::UnicodeString::fromUTF8(text);
  iter->setText(utf16);
  std::vector<std::string> terms;
  int32_t start = iter->first();
  for (int32_t end = iter->next(); end != icu::BreakIterator::DONE;
       start = end, end = iter->next()) {
    const int32_t rule = iter->getRuleStatus();
    if (rule >= UBRK_WORD_NONE && rule < UBRK_WORD_NONE_LIMIT) continue;
    const icu::UnicodeString decomposed =
        nfd->normalize(nfkc_cf->normalize(utf16.tempSubStringBetween(start, end), status), status);
    icu::UnicodeString stripped;
    for (int32_t i = 0; i < decomposed.length();) {
      const UChar32 c = decomposed.char32At(i);
      i += U16_LENGTH(c);
      if (u_charType(c) != U_NON_SPACING_MARK) stripped.append(c);
    }
    std::string term;
    nfc->normalize(stripped, status).toUTF8String(term);
    EXPECT_TRUE(U_SUCCESS(status));
    if (!term.empty()) terms.push_back(std::move(term));
  }
  return terms;
}

TEST(AnalyzerTest, IcuPathMatchesReferenceFoldOnProductCorpus) {
  const std::string path = FindProductCorpus();
  if (path.empty()) {
    FAIL() << "no product corpus under " << SourceDir();
  }
  std::vector<std::string> lines;
  ASSERT_TRUE(ReadGzLines(path, &lines)) << path;
  auto none = Make("none");
  ASSERT_NE(none, nullptr);
  int compared = 0;
  int mismatches = 0;
  for (const std::string& line : lines) {
    const nlohmann::json product = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(product.is_discarded()) << line.substr(0, 200);
    for (const char* field : {"product_name", "ingredients"}) {
      const auto it = product.find(field);
      if (it == product.end() || !it->is_string()) continue;
      const std::string& text = it->get_ref<const std::string&>();
      if (IsAsciiString(text)) continue;
      ++compared;
      const std::vector<std::string> expected = ReferenceTerms(text);
      const std::vector<std::string> actual = none->Terms(text);
      if (actual != expected && ++mismatches <= 10) {
        ADD_FAILURE() << "input \"" << text << "\"";
      }
    }
  }
  EXPECT_EQ(mismatches, 0);
  EXPECT_GT(compared, 1000) << "suspiciously few non-ASCII strings";
  std::printf("[          ] compared %d non-ASCII strings\n", compared);
}

TEST(AnalyzerTest, ConcurrentAnalysisMatchesSingleThreaded) {
  auto en = Make("en", /*stopwords=*/true);
  auto fr = Make("fr");
  ASSERT_NE(en, nullptr);
  ASSERT_NE(fr, nullptr);
  const std::vector<std::string> texts = {
      "Organic Blueberry Almond Granola",
      "Crème Brûlée à la vanille, 2 × 100 g",
      "ＡＢＣ ﬁsh Straße The running berries",
      "rolled oats, evaporated cane juice, expeller pressed canola oil",
      "Ελληνικό γιαούρτι — Σακούλα 1,5kg",
      "wi-fi u.s.a. 3,5 snake_case a:b",
  };
  std::vector<std::vector<Tok>> expected;
  for (int i = 0; i < 2; ++i) {
    for (const std::string& text : texts) {
      expected.push_back(Tuples(i == 0 ? *en : *fr, text));
    }
  }
  constexpr int kThreads = 4;
  std::vector<int> failures(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 2000; ++round) {
        for (size_t i = 0; i < expected.size(); ++i) {
          const Analyzer& analyzer = i < texts.size() ? *en : *fr;
          const std::string& text = texts[i % texts.size()];
          if (Tuples(analyzer, text) != expected[i]) ++failures[t];
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(failures[t], 0) << "thread " << t;
  }
}

}  // namespace
}  // namespace libsearch::analysis
