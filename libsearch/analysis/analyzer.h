// Text analysis: UTF-8 text -> a stream of index terms with positions and
// byte offsets. The same Analyzer (same config) must run at index time and at
// query time; the config is stored in the index schema for that reason.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/status.h"

namespace libsearch::analysis {

struct Token {
  std::string term;       // Analysed form: NFKC case-folded, accent-folded, stemmed.
  uint32_t position = 0;  // Token index in the field; gaps where stop words were.
  uint32_t start = 0;     // Byte offset of the original word in the input.
  uint32_t end = 0;       // One past its last byte.
  // With split_codes: the whole letter+digit word ("iphone15"), emitted at the
  // position of its first part ("iphone", then "15" one position later). It
  // does not count towards the field length (Lucene's overlapping tokens).
  bool joined = false;
  // With AnalyzerOptions::keep_surface: the word folded but not stemmed
  // ("chocolates" for the term "chocol"), the form typos are matched on.
  std::string surface;
};

struct AnalyzerOptions {
  // Stemming language: an ISO 639-1 code ("en", "fr", "de", ...), a Snowball
  // name ("english", "french", ...), "en-minimal" (English plurals only:
  // Lucene's EnglishMinimalStemFilter), or "none" for no stemming. Default "en".
  std::string language = "en";
  // Drop the language's stop words (only "en" has a built-in list). Default off:
  // product titles are short and "the" can matter ("The Ordinary").
  bool stopwords = false;
  // Strip combining marks after NFKC case folding ("crème" -> "creme").
  bool fold_accents = true;
  // Split words that mix letters and digits ("iphone15", "500ml", "sd500")
  // into their letter and digit runs, keeping the joined word too, so
  // "iphone15", "iphone 15" and "iPhone-15" all find each other. Default off.
  bool split_codes = false;
  // Fill Token::surface (the index keeps a dictionary of surface words for
  // typo matching). Default off: queries never need it.
  bool keep_surface = false;
  // Testing only: always take the ICU path on the whole text, never the ASCII
  // fast path.
  bool force_icu = false;
};

// Splits text into words with ICU's UAX #29 word BreakIterator (keeping only
// segments whose rule status is not UBRK_WORD_NONE), then NFKC_Casefold,
// accent folding and Snowball stemming (libstemmer, Snowball's own C
// library). ASCII text takes a fast path that yields exactly the tokens of
// the ICU path; in mixed text only the space-delimited stretches around
// non-ASCII bytes go through ICU.
//
// Thread-safety: Analyze() is const and safe to call from many threads at once
// (per-thread ICU and stemmer state is kept internally).
class Analyzer {
 public:
  // Returns InvalidArgument for an unknown language, naming the ones supported.
  static Result<std::unique_ptr<Analyzer>> Create(const AnalyzerOptions& options);

  virtual ~Analyzer() = default;

  // Appends the tokens of `text` to `*out`. Positions start at
  // `first_position`; offsets are relative to `text`. Invalid UTF-8 is never
  // fatal here (ingest rejects it earlier); bad bytes simply end up as
  // separators.
  virtual void Analyze(std::string_view text, std::vector<Token>* out,
                       uint32_t first_position = 0) const = 0;

  // Analyses a single query word and returns its terms (usually one; none
  // for a stop word or pure punctuation; several for "wi-fi").
  std::vector<std::string> Terms(std::string_view text) const;

  virtual const AnalyzerOptions& options() const = 0;
};

// The Snowball names the linked libstemmer offers, with their ISO 639-1
// codes, then "none": for error messages and docs.
std::string SupportedLanguages();

}  // namespace libsearch::analysis
