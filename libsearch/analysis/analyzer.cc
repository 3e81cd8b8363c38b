#include "analysis/analyzer.h"

#include <libstemmer.h>
#include <unicode/brkiter.h>
#include <unicode/bytestream.h>
#include <unicode/locid.h>
#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uclean.h>
#include <unicode/udata.h>
#include <unicode/unistr.h>
#include <unicode/utext.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace libsearch::analysis {
namespace {

// ISO 639-1 codes for the Snowball stemmers of libstemmer 2.2. Stemmers
// without a code of their own (porter) are reachable by name only.
struct IsoCode {
  std::string_view iso;
  std::string_view snowball;
};
constexpr IsoCode kIsoCodes[] = {
    {"ar", "arabic"},     {"hy", "armenian"},   {"eu", "basque"},    {"ca", "catalan"},
    {"da", "danish"},     {"nl", "dutch"},      {"en", "english"},   {"fi", "finnish"},
    {"fr", "french"},     {"de", "german"},     {"el", "greek"},     {"hi", "hindi"},
    {"hu", "hungarian"},  {"id", "indonesian"}, {"ga", "irish"},     {"it", "italian"},
    {"lt", "lithuanian"}, {"ne", "nepali"},     {"no", "norwegian"}, {"nb", "norwegian"},
    {"nn", "norwegian"},  {"pt", "portuguese"}, {"ro", "romanian"},  {"ru", "russian"},
    {"sr", "serbian"},    {"es", "spanish"},    {"sv", "swedish"},   {"ta", "tamil"},
    {"tr", "turkish"},    {"yi", "yiddish"},
};

// Stemmers Xapian::Stem offered (libsearch's stemmer until it moved to
// libstemmer, which is BSD- rather than GPL-licensed) that libstemmer lacks:
// an index or schema naming one gets an error that says what to use instead,
// rather than silently different stems.
struct RetiredStemmer {
  std::string_view name;
  std::string_view instead;
};
constexpr RetiredStemmer kRetiredStemmers[] = {
    {"earlyenglish", "english"},
    {"german2", "german"},
    {"kraaij_pohlmann", "dutch"},
    {"lovins", "english"},
};

constexpr std::string_view kNoStemming = "none";
// A light English stemmer for product text (plurals only), which
// libstemmer does not offer; "en-minimal" is its code.
constexpr std::string_view kEnglishMinimal = "english_minimal";
constexpr std::string_view kEnglishMinimalCode = "en-minimal";

// Lucene's EnglishMinimalStemFilter rules (Harman's S-stemmer, 1991):
// "-ies" -> "-y" (not after a or e), "-es" kept after i, a, o or e ("shoes",
// "toes"), a final "s" dropped except after u or s ("bus", "glass").
// Porter2 conflates more than a catalogue wants ("organizer" and "organic"
// are both "organ"); this keeps to plurals. Written here because no C or
// C++ library offers it and it is these few lines.
void MinimalEnglishStem(const std::string& word, std::string* out) {
  const size_t n = word.size();
  *out = word;
  if (n < 3 || word[n - 1] != 's') return;
  switch (word[n - 2]) {
    case 'u':
    case 's': return;
    case 'e':
      if (n > 3 && word[n - 3] == 'i' && word[n - 4] != 'a' && word[n - 4] != 'e') {
        out->resize(n - 3);
        out->push_back('y');
        return;
      }
      if (word[n - 3] == 'i' || word[n - 3] == 'a' || word[n - 3] == 'o' || word[n - 3] == 'e') {
        return;
      }
      break;
    default: break;
  }
  out->pop_back();
}

// Lucene's EnglishAnalyzer.ENGLISH_STOP_WORDS_SET, sorted for binary search.
constexpr std::string_view kEnglishStopWords[] = {
    "a",   "an",    "and",  "are",   "as",    "at",   "be",   "but", "by",  "for",  "if",
    "in",  "into",  "is",   "it",    "no",    "not",  "of",   "on",  "or",  "such", "that",
    "the", "their", "then", "there", "these", "they", "this", "to",  "was", "will", "with",
};

bool IsEnglishStopWord(std::string_view word) {
  return std::binary_search(std::begin(kEnglishStopWords), std::end(kEnglishStopWords), word);
}

// Only the English stemmers get a stop list; other languages have none built
// in, so `stopwords` is silently a no-op for them.
bool HasEnglishStopWords(std::string_view snowball) {
  return snowball == "english" || snowball == "porter" || snowball == kEnglishMinimal;
}

// The canonical algorithm names of the libstemmer actually linked.
std::vector<std::string_view> StemmerLanguages() {
  std::vector<std::string_view> names;
  for (const char** name = sb_stemmer_list(); *name != nullptr; ++name) {
    names.emplace_back(*name);
  }
  return names;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
  }
  return out;
}

// Maps a user-supplied language to a Snowball name, "none", or "" if unknown.
std::string ResolveLanguage(std::string_view language) {
  std::string lower = AsciiLower(language);
  if (lower == kNoStemming) return lower;
  if (lower == kEnglishMinimal || lower == kEnglishMinimalCode) return std::string(kEnglishMinimal);
  for (const IsoCode& code : kIsoCodes) {
    if (lower == code.iso) return std::string(code.snowball);
  }
  for (std::string_view name : StemmerLanguages()) {
    if (lower == name) return lower;
  }
  return "";
}

bool IsAscii(std::string_view s) {
  const char* p = s.data();
  size_t n = s.size();
  // Eight bytes at a time: product text is long enough for this to matter.
  while (n >= 8) {
    uint64_t chunk;
    std::memcpy(&chunk, p, 8);
    if (chunk & 0x8080808080808080ULL) return false;
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    if (static_cast<unsigned char>(*p) & 0x80) return false;
    ++p;
    --n;
  }
  return true;
}

// UAX #29 Word_Break classes of the ASCII characters, as ICU 72's root word
// rules see them. Only the classes that can join characters into a word
// matter; everything else (spaces, CR/LF, other punctuation) is a separator.
// Two differences from plain UAX #29 (pinned down by the differential test):
// ':' is NOT MidLetter (CLDR's root tailoring removes it, so "a:b" is two
// words), and '@' IS ALetter (ICU 72 keeps e-mail addresses together, so
// "info@example.com" is one word and a lone "@" is a word too).
enum WordBreakClass : uint8_t {
  kSeparator = 0,
  kLetter,        // ALetter: A-Z a-z @.
  kNumeric,       // 0-9.
  kExtendNumLet,  // '_': joins anything word-like on either side.
  kMidNumLetQ,    // '.' (MidNumLet) and '\'' (Single_Quote): a.b, 1.2.
  kMidNum,        // ',' ';': 1,2 only.
};

constexpr std::array<uint8_t, 128> MakeAsciiClasses() {
  std::array<uint8_t, 128> classes{};
  for (int c = 'a'; c <= 'z'; ++c) classes[c] = kLetter;
  for (int c = 'A'; c <= 'Z'; ++c) classes[c] = kLetter;
  for (int c = '0'; c <= '9'; ++c) classes[c] = kNumeric;
  classes['@'] = kLetter;
  classes['_'] = kExtendNumLet;
  classes['.'] = kMidNumLetQ;
  classes['\''] = kMidNumLetQ;
  classes[','] = kMidNum;
  classes[';'] = kMidNum;
  return classes;
}
constexpr std::array<uint8_t, 128> kAsciiClasses = MakeAsciiClasses();

inline uint8_t AsciiClass(char c) { return kAsciiClasses[static_cast<unsigned char>(c) & 0x7f]; }
inline bool IsWordClass(uint8_t cls) {
  return cls == kLetter || cls == kNumeric || cls == kExtendNumLet;
}

// Shared, immutable ICU objects. The BreakIterator here is only a prototype
// that each thread clones, because creating one from rules is slow and a
// single instance is not thread-safe.
struct IcuShared {
  std::unique_ptr<icu::BreakIterator> word_prototype;
  std::mutex clone_mutex;  // Serialises clone(): cheap, once per thread.
  const icu::Normalizer2* nfkc_casefold = nullptr;
  const icu::Normalizer2* nfd = nullptr;
  const icu::Normalizer2* nfc = nullptr;
  std::string failure;  // Non-empty if ICU could not be initialised.
};

// Never destroyed: thread_local states may still clone from it during exit.
IcuShared& GetIcuShared() {
  static IcuShared* shared = [] {
    auto* s = new IcuShared;
    UErrorCode status = U_ZERO_ERROR;
    s->word_prototype.reset(icu::BreakIterator::createWordInstance(icu::Locale::getRoot(), status));
    if (U_FAILURE(status) || s->word_prototype == nullptr) {
      s->failure = std::string("ICU word BreakIterator: ") + u_errorName(status);
      return s;
    }
    s->nfkc_casefold = icu::Normalizer2::getNFKCCasefoldInstance(status);
    s->nfd = icu::Normalizer2::getNFDInstance(status);
    s->nfc = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status)) {
      s->failure = std::string("ICU Normalizer2: ") + u_errorName(status);
    }
    return s;
  }();
  return *shared;
}

// Per-thread ICU state: the cloned BreakIterator, a reusable UText and
// scratch buffers, so the ICU path does no setup work per call.
struct IcuThreadState {
  std::unique_ptr<icu::BreakIterator> word_iter;
  UText text = UTEXT_INITIALIZER;
  icu::UnicodeString decomposition;
  std::string stripped;

  IcuThreadState() {
    IcuShared& shared = GetIcuShared();
    if (!shared.failure.empty()) return;
    std::lock_guard<std::mutex> lock(shared.clone_mutex);
    word_iter.reset(shared.word_prototype->clone());
  }
  ~IcuThreadState() { utext_close(&text); }
  IcuThreadState(const IcuThreadState&) = delete;
  IcuThreadState& operator=(const IcuThreadState&) = delete;
};

IcuThreadState& GetIcuThreadState() {
  thread_local IcuThreadState state;
  return state;
}

// A per-thread Snowball stemmer with a memo of recent results: product text
// repeats a small vocabulary, and a hash lookup is several times cheaper
// than running the Snowball machine again.
class ThreadStemmer {
 public:
  // Takes ownership of `stemmer` (not null).
  explicit ThreadStemmer(sb_stemmer* stemmer) : stemmer_(stemmer) {}

  // Writes the stem of `word` to `*out`.
  void Stem(const std::string& word, std::string* out) {
    if (auto it = memo_.find(word); it != memo_.end()) {
      *out = it->second;
      return;
    }
    // Words are far below 2 GiB (kMaxTextBytes bounds whole fields).
    const sb_symbol* stem =
        sb_stemmer_stem(stemmer_.get(), reinterpret_cast<const sb_symbol*>(word.data()),
                        static_cast<int>(word.size()));
    if (stem == nullptr) {
      *out = word;  // Out of memory inside libstemmer: keep the word.
      return;
    }
    out->assign(reinterpret_cast<const char*>(stem),
                static_cast<size_t>(sb_stemmer_length(stemmer_.get())));
    // Crude bound on memory; refilling after a reset is cheap.
    if (memo_.size() >= kMaxMemo) memo_.clear();
    memo_.emplace(word, *out);
  }

 private:
  struct Deleter {
    void operator()(sb_stemmer* stemmer) const { sb_stemmer_delete(stemmer); }
  };
  static constexpr size_t kMaxMemo = 1 << 15;
  std::unique_ptr<sb_stemmer, Deleter> stemmer_;
  std::unordered_map<std::string, std::string> memo_;
};

// An sb_stemmer holds the word being stemmed, so it is not thread-safe:
// every thread gets its own, looked up by Snowball name (a handful at most).
ThreadStemmer* GetThreadStemmer(const std::string& snowball) {
  thread_local std::vector<std::pair<std::string, std::unique_ptr<ThreadStemmer>>> stemmers;
  for (auto& [name, stemmer] : stemmers) {
    if (name == snowball) return stemmer.get();
  }
  sb_stemmer* stemmer = sb_stemmer_new(snowball.c_str(), "UTF_8");
  // Create() validated the name, so only out of memory gets here: the
  // words then go unstemmed rather than the process down.
  if (stemmer == nullptr) return nullptr;
  stemmers.emplace_back(snowball, std::make_unique<ThreadStemmer>(stemmer));
  return stemmers.back().second.get();
}

// Callers keep strings below 2 GiB (see kMaxTextBytes).
icu::StringPiece Piece(std::string_view s) {
  return icu::StringPiece(s.data(), static_cast<int32_t>(s.size()));
}

// Appends code point `c` as UTF-8.
void AppendUtf8(UChar32 c, std::string* out) {
  char buf[U8_MAX_LENGTH];
  int32_t len = 0;
  UBool error = false;
  U8_APPEND(buf, len, U8_MAX_LENGTH, c, error);
  if (!error) out->append(buf, static_cast<size_t>(len));
}

// Large inputs are clamped because ICU break positions are int32_t; fields
// are many orders of magnitude smaller, so this is only a safety net.
constexpr size_t kMaxTextBytes = static_cast<size_t>(std::numeric_limits<int32_t>::max());

class AnalyzerImpl final : public Analyzer {
 public:
  AnalyzerImpl(AnalyzerOptions options, std::string snowball)
      : options_(std::move(options)),
        snowball_(std::move(snowball)),
        stem_(snowball_ != kNoStemming && snowball_ != kEnglishMinimal),
        minimal_(snowball_ == kEnglishMinimal),
        stop_english_(options_.stopwords && HasEnglishStopWords(snowball_)) {}

  void Analyze(std::string_view text, std::vector<Token>* out,
               uint32_t first_position) const override {
    if (text.size() > kMaxTextBytes) text = text.substr(0, kMaxTextBytes);
    Emitter emitter{this, out, first_position, stem_ ? GetThreadStemmer(snowball_) : nullptr, {}};
    if (options_.force_icu) {
      AnalyzeIcu(text, 0, &emitter);
      return;
    }
    // Mixed text: only the space-delimited stretches around non-ASCII bytes
    // go to ICU, the rest takes the ASCII path (see IsCut).
    const size_t n = text.size();
    size_t done = 0;
    while (done < n) {
      const size_t bad = FirstNonAscii(text, done);
      if (bad == n) {
        AnalyzeAscii(text.substr(done), done, &emitter);
        return;
      }
      size_t begin = bad;
      while (begin > done && !IsCut(text, begin)) --begin;
      size_t end = bad + 1;
      while (end < n && !IsCut(text, end)) ++end;
      if (begin > done) AnalyzeAscii(text.substr(done, begin - done), done, &emitter);
      AnalyzeIcu(text.substr(begin, end - begin), begin, &emitter);
      done = end;
    }
  }

  const AnalyzerOptions& options() const override { return options_; }

 private:
  // Turns folded words into tokens: stop-word check, stemming, positions.
  struct Emitter {
    const AnalyzerImpl* self;
    std::vector<Token>* out;
    uint32_t position;
    ThreadStemmer* stemmer;
    std::string word;  // The folded word, reused between tokens.

    void Emit(size_t start, size_t end) {
      if (word.empty()) return;  // Not a word after folding: no position.
      if (self->stop_english_ && IsEnglishStopWord(word)) {
        ++position;  // Lucene-style gap so phrase queries don't bridge it.
        return;
      }
      if (self->options_.split_codes && EmitCodeParts(start, end)) return;
      EmitWord(start, end);
    }

    // "iphone15" -> iphone15 (joined) and iphone, 15 at consecutive
    // positions. Only words made of letter and digit runs alone are split;
    // "3.14" or "a_b" are left whole. Returns false if `word` is not such a code.
    bool EmitCodeParts(size_t start, size_t end) {
      bool digits = false, letters = false;
      for (unsigned char c : word) {
        if (c >= '0' && c <= '9') {
          digits = true;
        } else if (c < 0x80 && !(c >= 'a' && c <= 'z')) {
          return false;  // Punctuation inside the word.
        } else {
          letters = true;
        }
      }
      if (!digits || !letters) return false;
      const std::string whole = word;
      const uint32_t first = position;
      const size_t before = out->size();
      EmitWord(start, end);
      if (out->size() == before) return true;  // Stemmed to nothing.
      Token joined = std::move(out->back());
      out->pop_back();
      joined.joined = true;
      position = first;
      // Offsets of the parts are exact when folding kept the byte length.
      const bool exact = whole.size() == end - start;
      size_t i = 0;
      while (i < whole.size()) {
        const bool digit = whole[i] >= '0' && whole[i] <= '9';
        size_t j = i;
        while (j < whole.size() && ((whole[j] >= '0' && whole[j] <= '9') == digit)) ++j;
        word = whole.substr(i, j - i);
        EmitWord(exact ? start + i : start, exact ? start + j : end);
        i = j;
      }
      out->insert(out->end() - static_cast<std::ptrdiff_t>(position - first), std::move(joined));
      word = whole;
      return true;
    }

    void EmitWord(size_t start, size_t end) {
      Token& token = out->emplace_back();
      if (stemmer != nullptr) {
        stemmer->Stem(word, &token.term);
        if (token.term.empty()) {
          out->pop_back();
          return;
        }
      } else if (self->minimal_) {
        MinimalEnglishStem(word, &token.term);
      } else {
        token.term = word;
      }
      if (self->options_.keep_surface) token.surface = word;
      token.position = position++;
      token.start = static_cast<uint32_t>(start);
      token.end = static_cast<uint32_t>(end);
    }
  };

  // Whether UAX #29 always breaks before text[i], whatever comes before the
  // space at i - 1 or after text[i], so the two sides segment on their own:
  // an ASCII character other than a space is not Extend, Format or ZWJ (WB4
  // would attach those to the space) nor a WSegSpace (WB3d), and no rule from
  // WB5 on joins a space to anything or looks across one (WB6-WB7 and
  // WB11-WB12 look one character past the break, WB15-WB16 count regional
  // indicators, which a space interrupts). AnalyzerTest.MixedTextMatchesIcu
  // checks it against ICU on the whole text.
  static bool IsCut(std::string_view text, size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    return text[i - 1] == ' ' && c != ' ' && c < 0x80;
  }

  static size_t FirstNonAscii(std::string_view text, size_t from) {
    size_t i = from;
    for (; i + 8 <= text.size(); i += 8) {
      uint64_t chunk;
      std::memcpy(&chunk, text.data() + i, 8);
      if (chunk & 0x8080808080808080ULL) break;
    }
    for (; i < text.size(); ++i) {
      if (static_cast<unsigned char>(text[i]) & 0x80) return i;
    }
    return text.size();
  }

  // The ASCII subset of ICU 72's word rules (WB5-WB13b): runs of letters,
  // digits and '_' form one word; a single '.' or '\'' joins letter-letter or
  // digit-digit, and ',' or ';' join digit-digit. A lone "_" is a word
  // segment whose rule status is UBRK_WORD_NONE, so it is dropped. ASCII
  // NFKC_Casefold is plain lowercasing.
  // Offsets are reported from `base`.
  void AnalyzeAscii(std::string_view text, size_t base, Emitter* emitter) const {
    const char* s = text.data();
    const size_t n = text.size();
    size_t i = 0;
    while (i < n) {
      if (!IsWordClass(AsciiClass(s[i]))) {
        ++i;
        continue;
      }
      const size_t start = i++;
      for (;;) {
        while (i < n && IsWordClass(AsciiClass(s[i]))) ++i;
        if (i + 1 >= n) break;
        const uint8_t mid = AsciiClass(s[i]);
        const uint8_t before = AsciiClass(s[i - 1]);
        const uint8_t after = AsciiClass(s[i + 1]);
        const bool letters = before == kLetter && after == kLetter;
        const bool digits = before == kNumeric && after == kNumeric;
        if ((mid == kMidNumLetQ && (letters || digits)) || (mid == kMidNum && digits)) {
          i += 2;
          continue;
        }
        break;
      }
      if (i - start == 1 && s[start] == '_') continue;
      std::string& word = emitter->word;
      word.assign(s + start, i - start);
      for (char& c : word) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
      }
      emitter->Emit(base + start, base + i);
    }
  }

  void AnalyzeIcu(std::string_view text, size_t base, Emitter* emitter) const {
    IcuThreadState& state = GetIcuThreadState();
    // Null only if ICU could not build its objects though its data loaded
    // (Create() checked that): the segment then yields no tokens.
    if (state.word_iter == nullptr) return;
    UErrorCode status = U_ZERO_ERROR;
    utext_openUTF8(&state.text, text.data(), static_cast<int64_t>(text.size()), &status);
    if (U_FAILURE(status)) return;
    icu::BreakIterator& iter = *state.word_iter;
    iter.setText(&state.text, status);
    if (U_FAILURE(status)) return;

    // With a UTF-8 UText the break positions are byte offsets into `text`.
    int32_t start = iter.first();
    for (int32_t end = iter.next(); end != icu::BreakIterator::DONE;
         start = end, end = iter.next()) {
      const int32_t rule = iter.getRuleStatus();
      if (rule >= UBRK_WORD_NONE && rule < UBRK_WORD_NONE_LIMIT) continue;
      FoldIcu(text.substr(static_cast<size_t>(start), static_cast<size_t>(end - start)), &state,
              &emitter->word);
      emitter->Emit(base + static_cast<size_t>(start), base + static_cast<size_t>(end));
    }
  }

  // NFKC_Casefold, then (optionally) strip nonspacing marks: NFD, drop Mn,
  // NFC. Writes the result to `*word`.
  void FoldIcu(std::string_view segment, IcuThreadState* state, std::string* word) const {
    word->clear();
    if (IsAscii(segment)) {  // Common in mixed text; skip the normalizers.
      word->assign(segment);
      for (char& c : *word) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + ('a' - 'A'));
      }
      return;
    }
    const IcuShared& shared = GetIcuShared();
    UErrorCode status = U_ZERO_ERROR;
    {
      icu::StringByteSink<std::string> sink(word);
      shared.nfkc_casefold->normalizeUTF8(0, Piece(segment), sink, nullptr, status);
    }
    if (U_FAILURE(status)) {
      word->clear();
      return;
    }
    if (!options_.fold_accents || IsAscii(*word)) return;

    // Decompose code point by code point rather than running a full NFD pass:
    // dropping marks commutes with canonical reordering, and the final NFC
    // puts whatever remains back in canonical order.
    std::string& stripped = state->stripped;
    stripped.clear();
    bool dropped = false;
    const char* s = word->data();
    const int32_t n = static_cast<int32_t>(word->size());
    for (int32_t i = 0; i < n;) {
      UChar32 c;
      U8_NEXT(s, i, n, c);
      if (c < 0) continue;  // Unreachable: the normalizer emits valid UTF-8.
      if (c < 0x80) {
        stripped.push_back(static_cast<char>(c));
        continue;
      }
      if (!shared.nfd->getDecomposition(c, state->decomposition)) {
        if (u_charType(c) == U_NON_SPACING_MARK) {
          dropped = true;
        } else {
          AppendUtf8(c, &stripped);
        }
        continue;
      }
      const icu::UnicodeString& d = state->decomposition;
      for (int32_t j = 0; j < d.length();) {
        const UChar32 dc = d.char32At(j);
        j += U16_LENGTH(dc);
        if (u_charType(dc) == U_NON_SPACING_MARK) {
          dropped = true;
        } else {
          AppendUtf8(dc, &stripped);
        }
      }
    }
    if (!dropped) return;  // `*word` is already NFC (NFKC implies NFC).
    word->clear();
    icu::StringByteSink<std::string> sink(word);
    shared.nfc->normalizeUTF8(0, Piece(stripped), sink, nullptr, status);
    if (U_FAILURE(status)) word->clear();
  }

  const AnalyzerOptions options_;
  const std::string snowball_;  // Resolved Snowball name, or "none".
  const bool stem_;             // With libstemmer.
  const bool minimal_;          // With MinimalEnglishStem.
  const bool stop_english_;
};

// The ICU data items the analyzers read besides what u_init() loads: the
// word break rules, the folding normalizer, and the dictionaries that ICU
// word-breaks Chinese, Japanese, Thai, Lao, Khmer and Burmese with. ICU opens
// a dictionary only on text of its script and, when it is missing, silently
// breaks that text differently, so data trimmed without one
// (functions/aws_lambda/icu_keep.txt lists what the packages keep) must fail
// at open instead.
struct IcuDataItem {
  const char* tree;  // Null for ICU's top level.
  const char* type;
  const char* name;
};
constexpr const char* kBrkitr = U_ICUDATA_NAME U_TREE_SEPARATOR_STRING "brkitr";
constexpr IcuDataItem kIcuDataItems[] = {
    {kBrkitr, "res", "root"},         {kBrkitr, "brk", "word"},     {nullptr, "nrm", "nfkc_cf"},
    {kBrkitr, "dict", "cjdict"},      {kBrkitr, "res", "ja"},       {nullptr, "nrm", "nfkc"},
    {kBrkitr, "dict", "thaidict"},    {kBrkitr, "dict", "laodict"}, {kBrkitr, "dict", "khmerdict"},
    {kBrkitr, "dict", "burmesedict"},
};
// Added by functions/aws_lambda/icu_data.sh to the data it trims. Only such
// data is checked item by item: opening an item reads its header, and on
// ICU's complete data the ten headers are spread over a 31 MB file, which
// made a cold start 27 ms slower (docs/design-notes.md, "ICU data in the
// packaged artefacts"); a missing marker costs a table-of-contents lookup.
constexpr IcuDataItem kTrimmedMarker = {nullptr, "res", "libsearch_trimmed"};

bool HasIcuDataItem(const IcuDataItem& item, UErrorCode* status) {
  UDataMemory* data = udata_open(item.tree, item.type, item.name, status);
  if (data != nullptr) udata_close(data);
  return U_SUCCESS(*status);
}

// Empty unless the data carries kTrimmedMarker and lacks an item of
// kIcuDataItems, else what is missing. Checked once per process: the data is
// linked in or loaded once.
const std::string& MissingIcuData() {
  static const std::string missing = [] {
    std::string out;
    UErrorCode marker_status = U_ZERO_ERROR;
    if (!HasIcuDataItem(kTrimmedMarker, &marker_status)) return out;
    for (const IcuDataItem& item : kIcuDataItems) {
      UErrorCode status = U_ZERO_ERROR;
      if (!HasIcuDataItem(item, &status)) {
        if (!out.empty()) out += ", ";
        out += std::string(item.tree == nullptr ? "" : item.tree) + "/" + item.name + "." +
               item.type + " (" + u_errorName(status) + ")";
      }
    }
    return out;
  }();
  return missing;
}

}  // namespace

Result<std::unique_ptr<Analyzer>> Analyzer::Create(const AnalyzerOptions& options) {
  const std::string snowball = ResolveLanguage(options.language);
  if (snowball.empty()) {
    const std::string lower = AsciiLower(options.language);
    for (const RetiredStemmer& retired : kRetiredStemmers) {
      if (lower == retired.name) {
        return Status::InvalidArgument(
            "analyzer language \"" + options.language +
            "\" was a Xapian-only stemmer that libstemmer does not have; "
            "use \"" +
            std::string(retired.instead) +
            "\" (and rebuild the index); supported: " + SupportedLanguages());
      }
    }
    return Status::InvalidArgument("unknown analyzer language \"" + options.language +
                                   "\"; supported: " + SupportedLanguages());
  }
  if (snowball != kNoStemming && snowball != kEnglishMinimal) {
    // Validates against the libstemmer actually linked (and that a stemmer
    // can be made at all), which may differ from the table above.
    sb_stemmer* check = sb_stemmer_new(snowball.c_str(), "UTF_8");
    if (check == nullptr) {
      return Status::InvalidArgument(
          "analyzer language \"" + options.language +
          "\" rejected by libstemmer; supported: " + SupportedLanguages());
    }
    sb_stemmer_delete(check);
  }
  // Only ICU's data is checked here. The BreakIterator and normalizers are
  // built on the first text that needs them (most queries are ASCII and
  // never do): building them at open reads much of libicudata, which a
  // cold start pays for (docs/design-notes.md, "Text analysis").
  UErrorCode status = U_ZERO_ERROR;
  u_init(&status);
  if (U_FAILURE(status)) {
    return Status::Internal(std::string("cannot initialise text analysis: ICU data: ") +
                            u_errorName(status));
  }
  if (const std::string& missing = MissingIcuData(); !missing.empty()) {
    return Status::Internal("cannot initialise text analysis: ICU data lacks " + missing);
  }
  return std::unique_ptr<Analyzer>(std::make_unique<AnalyzerImpl>(options, snowball));
}

std::vector<std::string> Analyzer::Terms(std::string_view text) const {
  std::vector<Token> tokens;
  Analyze(text, &tokens);
  std::vector<std::string> terms;
  terms.reserve(tokens.size());
  for (Token& token : tokens) terms.push_back(std::move(token.term));
  return terms;
}

std::string SupportedLanguages() {
  std::string out;
  for (std::string_view name : StemmerLanguages()) {
    if (!out.empty()) out += ", ";
    out += name;
    std::string codes;
    for (const IsoCode& code : kIsoCodes) {
      if (code.snowball == name) {
        if (!codes.empty()) codes += "/";
        codes += code.iso;
      }
    }
    if (!codes.empty()) out += " (" + codes + ")";
  }
  out += ", ";
  out += kEnglishMinimal;
  out += " (";
  out += kEnglishMinimalCode;
  out += "), ";
  out += kNoStemming;
  return out;
}

}  // namespace libsearch::analysis
