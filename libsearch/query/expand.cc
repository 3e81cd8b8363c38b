#include "query/expand.h"

#include <algorithm>

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

uint32_t DocFreq(const FieldReader& f, uint32_t ord) { return f.term_infos[ord].doc_freq; }

// Decodes a whole dictionary block at a time: the walk reads neighbouring
// terms, and a block must be decoded from its start anyway.
class BlockCache {
 public:
  explicit BlockCache(const TermDictReader& dict) : dict_(dict) {}
  // Null if the block is corrupt.
  const std::string* Get(uint32_t ord) {
    const uint64_t b = ord / kTermsPerBlock;
    if (b != block_) {
      terms_.clear();
      const uint64_t first = b * kTermsPerBlock;
      const uint64_t count = std::min<uint64_t>(kTermsPerBlock, dict_.num_terms() - first);
      if (!dict_.Terms(static_cast<uint32_t>(first), static_cast<uint32_t>(count), &terms_).ok()) {
        return nullptr;
      }
      block_ = b;
    }
    return &terms_[ord % kTermsPerBlock];
  }

 private:
  const TermDictReader& dict_;
  uint64_t block_ = ~uint64_t{0};
  std::vector<std::string> terms_;
};

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

std::vector<Expansion> FuzzyTerms(const FieldReader& field, std::string_view word,
                                  uint32_t max_edits, bool transpositions, size_t cap) {
  std::vector<Expansion> out;
  const std::vector<uint32_t> w = CodePoints(word);
  const size_t n = w.size();
  const uint64_t num_terms = field.dict.num_terms();
  // rows[i] is the DP row of the edit distance between `word` and the first
  // i code points of the current term. Consecutive terms share prefixes
  // (the dictionary is sorted), so rows for the shared part are reused.
  std::vector<std::vector<uint32_t>> rows(1, std::vector<uint32_t>(n + 1));
  for (size_t j = 0; j <= n; ++j) rows[0][j] = static_cast<uint32_t>(j);
  std::vector<uint32_t> prev_term;  // Code points whose rows are in `rows`.
  size_t valid_rows = 0;            // rows[1..valid_rows] match prev_term.
  uint32_t ord = 0;
  BlockCache cache(field.dict);
  std::vector<size_t> ends;
  while (ord < num_terms) {
    const std::string* term = cache.Get(ord);
    if (term == nullptr) break;
    ends.clear();
    const std::vector<uint32_t> t = CodePoints(*term, &ends);
    size_t shared = 0;
    while (shared < t.size() && shared < prev_term.size() && shared < valid_rows &&
           t[shared] == prev_term[shared]) {
      ++shared;
    }
    if (rows.size() < t.size() + 1) rows.resize(t.size() + 1, std::vector<uint32_t>(n + 1));
    size_t alive = shared;  // Code points of t whose row still has a cell <= max_edits.
    bool dead = false;
    for (size_t i = shared + 1; i <= t.size(); ++i) {
      const std::vector<uint32_t>& up = rows[i - 1];
      std::vector<uint32_t>& cur = rows[i];
      cur[0] = static_cast<uint32_t>(i);
      uint32_t row_min = cur[0];
      for (size_t j = 1; j <= n; ++j) {
        const uint32_t cost = t[i - 1] == w[j - 1] ? 0 : 1;
        uint32_t v = std::min({up[j] + 1, cur[j - 1] + 1, up[j - 1] + cost});
        if (transpositions && i > 1 && j > 1 && t[i - 1] == w[j - 2] && t[i - 2] == w[j - 1]) {
          v = std::min(v, rows[i - 2][j - 2] + 1);
        }
        cur[j] = v;
        row_min = std::min(row_min, v);
      }
      if (row_min > max_edits) {
        dead = true;
        break;
      }
      alive = i;
    }
    prev_term = t;
    valid_rows = alive;
    if (!dead) {
      if (rows[t.size()][n] <= max_edits) out.push_back({ord, rows[t.size()][n]});
      ++ord;
      continue;
    }
    // No term starting with t[0..alive] (one code point past the live part)
    // can match. Skip those terms: by comparing within the cached block,
    // and by a dictionary seek once the run leaves it.
    const std::string_view dead_prefix = std::string_view(*term).substr(0, ends[alive]);
    const std::string dead_copy(dead_prefix);
    uint32_t next = ord + 1;
    while (next < num_terms && next % kTermsPerBlock != 0) {
      const std::string* nt = cache.Get(next);
      if (nt == nullptr || nt->compare(0, dead_copy.size(), dead_copy) != 0) break;
      ++next;
    }
    if (next < num_terms && next % kTermsPerBlock == 0) {
      const std::string* nt = cache.Get(next);
      if (nt != nullptr && nt->compare(0, dead_copy.size(), dead_copy) == 0) {
        std::string past = dead_copy;
        past.append(4, '\xff');
        next = std::max(next, field.dict.LowerBound(past));
      }
    }
    ord = next;
  }
  std::sort(out.begin(), out.end(), [&](const Expansion& a, const Expansion& b) {
    if (a.edits != b.edits) return a.edits < b.edits;
    const uint32_t da = DocFreq(field, a.ord), db = DocFreq(field, b.ord);
    return da != db ? da > db : a.ord < b.ord;
  });
  if (out.size() > cap) out.resize(cap);
  return out;
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
