#include "query/expand.h"

#include <algorithm>
#include <cmath>

namespace libsearch::internal {
namespace {

// UTF-8 to code points; invalid bytes map to themselves (terms are valid).
std::vector<uint32_t> CodePoints(std::string_view s, std::vector<size_t>* byte_end = nullptr) {
  std::vector<uint32_t> out;
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
    if (i + len > s.size()) len = 1;
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3f);
    out.push_back(cp);
    i += len;
    if (byte_end) byte_end->push_back(i);
  }
  return out;
}

uint32_t DocFreq(const FieldReader& f, uint32_t ord) { return f.DocFreq(ord); }

}  // namespace

std::vector<Expansion> PrefixTerms(const FieldReader& field, std::string_view prefix, size_t cap) {
  std::vector<Expansion> out;
  if (cap == 0) return out;
  const uint32_t first = field.dict.LowerBound(prefix);
  // Every term in [first, end) starts with `prefix`; find `end` by seeking
  // past the prefix (0xff never occurs in UTF-8).
  std::string past(prefix);
  past.append(4, '\xff');
  const uint32_t end = field.dict.LowerBound(past);
  for (uint32_t ord = first; ord < end; ++ord) out.push_back({ord, 0});
  auto better = [&](const Expansion& a, const Expansion& b) {
    const uint32_t da = DocFreq(field, a.ord), db = DocFreq(field, b.ord);
    return da != db ? da > db : a.ord < b.ord;
  };
  if (out.size() > cap) {
    std::partial_sort(out.begin(), out.begin() + static_cast<ptrdiff_t>(cap), out.end(), better);
    out.resize(cap);
  } else {
    std::sort(out.begin(), out.end(), better);
  }
  return out;
}

namespace {

// Longest word (in code points) that gets typo expansions: the DP rows are
// sized by it, and nobody types a 64-letter word by hand.
constexpr size_t kMaxFuzzyWord = 64;

// Code point at s[*i] (invalid bytes map to themselves); advances *i.
uint32_t NextCodePoint(std::string_view s, size_t* i) {
  const unsigned char c = static_cast<unsigned char>(s[*i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 1;
  if (*i + len > s.size()) len = 1;
  uint32_t cp = len == 1 ? c : c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[*i + k]) & 0x3f);
  *i += len;
  return cp;
}

// Whether two non-empty strings start in the same block of letters: both
// ASCII, or both with the same UTF-8 lead byte (64 code points for two-byte
// characters, e.g. Latin-1 letters). First-letter typos stay in a block.
bool SameBlock(std::string_view a, std::string_view b) {
  const unsigned char x = static_cast<unsigned char>(a[0]), y = static_cast<unsigned char>(b[0]);
  return (x < 0x80 && y < 0x80) || x == y;
}

// The first key past every term that starts with `prefix` (0xff never
// occurs in UTF-8).
std::string PastPrefix(std::string_view prefix) {
  std::string past(prefix);
  past.append(4, '\xff');
  return past;
}

// Appends every term in ordinals [begin, end) whose code points after the
// first `skip` bytes are within `max_edits` of `w`, with that distance.
// Terms are walked in order; rows of the edit-distance DP are kept for the
// prefix a term shares with the previous one (front coding says how long),
// and once a prefix is too far from `w` every term under it is skipped, by
// a dictionary seek when the run is long. Returns false on corruption.
bool WalkRange(const TermDictReader& dict, uint32_t begin, uint32_t end, size_t skip,
               const std::vector<uint32_t>& w, uint32_t max_edits, bool transpositions,
               std::vector<Expansion>* out) {
  const size_t n = w.size();
  const size_t width = n + 1;
  // An alive row i has a cell <= max_edits, so i <= n + max_edits.
  std::vector<uint32_t> rows((n + max_edits + 2) * width);
  for (size_t j = 0; j <= n; ++j) rows[j] = static_cast<uint32_t>(j);
  std::vector<uint32_t> cps;  // Code points of the term after `skip`.
  std::vector<size_t> ends;   // Byte end (in the term) of each of cps.
  size_t valid_rows = 0;      // Rows 1..valid_rows match cps[0..valid_rows).
  TermDictReader::Iterator it(dict);
  bool more = begin < end && it.Seek(begin);
  while (more && it.ord() < end) {
    const std::string_view term = it.term();
    size_t shared = 0;  // Code points of cps still in this term.
    while (shared < cps.size() && ends[shared] <= it.shared()) ++shared;
    cps.resize(shared);
    ends.resize(shared);
    for (size_t i = shared == 0 ? skip : ends.back(); i < term.size();) {
      cps.push_back(NextCodePoint(term, &i));
      ends.push_back(i);
    }
    size_t row = std::min(valid_rows, shared);
    bool dead = false;
    for (size_t i = row + 1; i <= cps.size(); ++i) {
      const uint32_t* up = &rows[(i - 1) * width];
      uint32_t* cur = &rows[i * width];
      cur[0] = static_cast<uint32_t>(i);
      uint32_t row_min = cur[0];
      const uint32_t c = cps[i - 1];
      for (size_t j = 1; j <= n; ++j) {
        uint32_t v = std::min(std::min(up[j], cur[j - 1]) + 1, up[j - 1] + (c == w[j - 1] ? 0 : 1));
        if (transpositions && i > 1 && j > 1 && c == w[j - 2] && cps[i - 2] == w[j - 1]) {
          v = std::min(v, rows[(i - 2) * width + j - 2] + 1);
        }
        cur[j] = v;
        row_min = std::min(row_min, v);
      }
      if (row_min > max_edits) {
        dead = true;
        break;
      }
      row = i;
    }
    valid_rows = row;
    if (!dead) {
      const uint32_t d = rows[cps.size() * width + n];
      if (d <= max_edits) out->push_back({it.ord(), d});
      more = it.Next();
      continue;
    }
    // Every term that starts with the dead prefix (the live code points and
    // the one that killed the row) is out of reach: step over the run, and
    // seek past it when it reaches into the next dictionary block.
    const size_t dead_len = ends[row];
    while ((more = it.Next()) && it.ord() < end && it.shared() >= dead_len) {
      if (it.ord() % kTermsPerBlock == 0) {
        const uint32_t past = dict.LowerBound(PastPrefix(it.term().substr(0, dead_len)));
        // Damaged key prefixes can send a seek backwards: never loop.
        if (past <= it.ord()) return false;
        more = past < end && it.Seek(past);
        // After a seek nothing is shared: rows restart from the top.
        break;
      }
    }
  }
  return !it.corrupt();
}

}  // namespace

bool FuzzyWalk(const TermDictReader& dict, std::string_view word, uint32_t max_edits,
               bool transpositions, std::vector<Expansion>* out) {
  std::vector<uint32_t> w = CodePoints(word);
  if (w.empty() || w.size() > kMaxFuzzyWord) return true;
  size_t first_len = 0;
  NextCodePoint(word, &first_len);
  const std::string_view first = word.substr(0, first_len);
  // (a) Terms with the same first letter: the distance of the rest.
  const std::vector<uint32_t> rest(w.begin() + 1, w.end());
  const uint32_t begin = dict.LowerBound(first);
  const uint32_t end = dict.LowerBound(PastPrefix(first));
  if (!WalkRange(dict, begin, end, first_len, rest, max_edits, transpositions, out)) return false;
  // (b) A typo in the first letter counts as two: with a budget of two,
  // terms one edit away that change the first letter to another of the same
  // block (ASCII, or the same UTF-8 lead byte): the word with its first
  // letter replaced or preceded by another, without it, or with the first
  // two swapped. Other first letters come from the dictionary's distinct
  // first letters of that block, found by seeking from one to the next.
  if (max_edits < 2) return true;
  std::vector<uint32_t> found;
  auto find = [&](std::string_view t) {
    if (t.empty() || !SameBlock(t, word) || t.substr(0, first_len) == first) return;
    if (const auto ord = dict.Find(t)) found.push_back(*ord);
  };
  const std::string_view tail = word.substr(first_len);
  find(tail);
  if (transpositions && !tail.empty()) {
    size_t second_len = 0;
    NextCodePoint(tail, &second_len);
    find(std::string(tail.substr(0, second_len)) + std::string(first) +
         std::string(tail.substr(second_len)));
  }
  const unsigned char lead = static_cast<unsigned char>(word[0]);
  const uint32_t block_end = lead < 0x80
                                 ? dict.LowerBound("\x80")
                                 : dict.LowerBound(std::string(1, static_cast<char>(lead + 1)));
  TermDictReader::Iterator it(dict);
  std::string candidate;
  for (uint32_t ord = lead < 0x80 ? 0 : dict.LowerBound(std::string(1, word[0]));
       ord < block_end && it.Seek(ord);) {
    size_t len = 0;
    NextCodePoint(it.term(), &len);
    const std::string letter(it.term().substr(0, len));
    if (letter != first) {
      candidate = letter;
      candidate += tail;
      find(candidate);
      candidate = letter;
      candidate += word;
      find(candidate);
    }
    const uint32_t next = dict.LowerBound(PastPrefix(letter));
    if (next <= ord) return false;  // Damaged key prefixes: never loop.
    ord = next;
  }
  if (it.corrupt()) return false;
  std::sort(found.begin(), found.end());
  found.erase(std::unique(found.begin(), found.end()), found.end());
  for (uint32_t ord : found) out->push_back({ord, 2});
  return true;
}

namespace {

// Sorts by (edits, -doc_freq, ordinal) and keeps the first `cap`.
void RankExpansions(const FieldReader& field, size_t cap, std::vector<Expansion>* out) {
  auto better = [&](const Expansion& a, const Expansion& b) {
    if (a.edits != b.edits) return a.edits < b.edits;
    const uint32_t da = DocFreq(field, a.ord), db = DocFreq(field, b.ord);
    return da != db ? da > db : a.ord < b.ord;
  };
  if (out->size() > cap) {
    std::partial_sort(out->begin(), out->begin() + static_cast<ptrdiff_t>(cap), out->end(), better);
    out->resize(cap);
  } else {
    std::sort(out->begin(), out->end(), better);
  }
}

}  // namespace

std::vector<Expansion> FuzzyTerms(const FieldReader& field, std::string_view word,
                                  uint32_t max_edits, bool transpositions, size_t cap) {
  std::vector<Expansion> out;
  if (!FuzzyWalk(field.dict, word, max_edits, transpositions, &out)) return {};
  RankExpansions(field, cap, &out);
  return out;
}

std::vector<Expansion> TypoStems(const FieldReader& field, std::string_view surface,
                                 std::string_view stem, uint32_t max_edits, size_t cap) {
  if (!field.surface.present()) return FuzzyTerms(field, stem, max_edits, true, cap);
  std::vector<Expansion> words;
  if (!FuzzyWalk(field.surface.dict, surface, max_edits, true, &words)) return {};
  // A stem's distance is that of its nearest word.
  std::vector<Expansion> out;
  out.reserve(words.size());
  for (const Expansion& e : words) {
    if (e.ord >= field.surface.num_words) return {};
    const uint32_t stem_ord = field.surface.Get(e.ord).stem_ord;
    if (stem_ord >= field.stats.num_terms) return {};  // Damaged.
    out.push_back({stem_ord, e.edits});
  }
  std::sort(out.begin(), out.end(), [](const Expansion& a, const Expansion& b) {
    return a.ord != b.ord ? a.ord < b.ord : a.edits < b.edits;
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const Expansion& a, const Expansion& b) { return a.ord == b.ord; }),
            out.end());
  RankExpansions(field, cap, &out);
  return out;
}

namespace {

size_t ExpansionBytes(const std::vector<Expansion>& v) { return v.size() * sizeof(Expansion); }

}  // namespace

size_t WordMatchBytes(const std::vector<WordMatch>& v) {
  size_t n = v.size() * sizeof(WordMatch);
  for (const WordMatch& m : v) n += m.word.capacity() + m.stem.capacity();
  return n;
}

TypoCache::TypoCache() : cache_(kMaxBytes, ExpansionBytes), words_(kMaxBytes, WordMatchBytes) {}

std::vector<Expansion> TypoCache::TypoStems(const FieldReader& field, std::string_view surface,
                                            std::string_view stem, uint32_t max_edits,
                                            size_t cap) const {
  std::string key =
      std::to_string(field.id) + ":" + std::to_string(max_edits) + ":" + std::to_string(cap) + ":";
  key.append(surface).push_back('\0');
  key.append(stem);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (const std::vector<Expansion>* found = cache_.Find(key)) return *found;
  }
  std::vector<Expansion> out = internal::TypoStems(field, surface, stem, max_edits, cap);
  std::lock_guard<std::mutex> lock(mu_);
  cache_.Put(std::move(key), out);
  return out;
}

std::vector<WordMatch> TypoCache::TypoWords(const FieldReader& field, std::string_view surface,
                                            uint32_t max_edits) const {
  std::string key = std::to_string(field.id) + ":" + std::to_string(max_edits) + ":";
  key.append(surface);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (const std::vector<WordMatch>* found = words_.Find(key)) return *found;
  }
  std::vector<WordMatch> out = internal::TypoWords(field, surface, max_edits);
  std::lock_guard<std::mutex> lock(mu_);
  words_.Put(std::move(key), out);
  return out;
}

std::vector<WordMatch> TypoWords(const FieldReader& field, std::string_view surface,
                                 uint32_t max_edits) {
  std::vector<WordMatch> out;
  std::vector<Expansion> found;
  if (!field.surface.present() ||
      !FuzzyWalk(field.surface.dict, surface, max_edits, true, &found)) {
    return out;
  }
  std::vector<std::string> text;
  for (const Expansion& e : found) {
    text.clear();
    if (e.ord >= field.surface.num_words || !field.surface.dict.Terms(e.ord, 1, &text).ok()) {
      return {};
    }
    const SurfaceWord sw = field.surface.Get(e.ord);
    if (sw.stem_ord >= field.stats.num_terms || !field.dict.Terms(sw.stem_ord, 1, &text).ok()) {
      return {};
    }
    out.push_back({std::move(text[0]), e.edits, sw.doc_freq, std::move(text[1])});
  }
  return out;
}

double TypoLikelihood(double doc_freq, uint32_t edits) {
  return doc_freq * std::pow(kTypoChannelPerEdit, static_cast<double>(edits));
}

uint32_t TypoDistance(std::string_view word, std::string_view term, bool transpositions) {
  const std::vector<uint32_t> w = CodePoints(word), t = CodePoints(term);
  if (w.empty() || t.empty()) return EditDistance(word, term, transpositions);
  if (w[0] == t[0]) {
    size_t wl = 0, tl = 0;
    NextCodePoint(word, &wl);
    NextCodePoint(term, &tl);
    return EditDistance(word.substr(wl), term.substr(tl), transpositions);
  }
  if (!SameBlock(word, term)) return EditDistance(word, term, transpositions) + 2;
  const uint32_t d = EditDistance(word, term, transpositions);
  return d <= 1 ? 2 : d + 2;  // Out of reach of any budget the rules give.
}

uint32_t EditDistance(std::string_view a_text, std::string_view b_text, bool transpositions) {
  const std::vector<uint32_t> a = CodePoints(a_text), b = CodePoints(b_text);
  std::vector<std::vector<uint32_t>> d(a.size() + 1, std::vector<uint32_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = static_cast<uint32_t>(i);
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = static_cast<uint32_t>(j);
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const uint32_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (transpositions && i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace libsearch::internal
