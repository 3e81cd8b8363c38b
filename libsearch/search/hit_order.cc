#include "search/hit_order.h"

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace libsearch::internal {

Result<HitOrder> HitOrder::Create(const IndexReader& reader, const std::vector<SortField>& sort) {
  HitOrder order;
  order.num_docs_ = reader.num_docs();
  for (const SortField& s : sort) {
    Key key{Key::Kind::kScore, s.descending};
    if (s.field == "_score") {
      order.keys_.push_back(key);
      continue;
    }
    const auto f = reader.schema().FieldIndex(s.field);
    if (!f) return Status::InvalidArgument("sort: unknown field '" + s.field + "'");
    if ((key.numeric = reader.numeric(*f)) != nullptr) {
      key.kind = Key::Kind::kNumeric;
    } else if ((key.keyword = reader.keyword(*f)) != nullptr) {
      key.kind = Key::Kind::kKeyword;
    } else {
      return Status::InvalidArgument("sort: field '" + s.field +
                                     "' is not sortable (use an int, float or indexed keyword "
                                     "field other than the id, or _score)");
    }
    order.keys_.push_back(key);
  }
  return order;
}

int HitOrder::Compare(const Key& key, uint32_t a, float a_score, uint32_t b, float b_score) const {
  int cmp = 0;  // Ascending comparison; missing values always sort last.
  switch (key.kind) {
    case Key::Kind::kScore: cmp = a_score < b_score ? -1 : a_score > b_score ? 1 : 0; break;
    case Key::Kind::kNumeric: {
      const bool ha = key.numeric->Has(a), hb = key.numeric->Has(b);
      if (ha != hb) return ha ? -1 : 1;
      if (!ha) return 0;
      const double va = key.numeric->Value(a), vb = key.numeric->Value(b);
      cmp = va < vb ? -1 : va > vb ? 1 : 0;
      break;
    }
    case Key::Kind::kKeyword: {
      const uint32_t *ab, *ae, *bb, *be;
      uint32_t sa, sb;
      const bool ha = key.keyword->Ords(a, &sa, &ab, &ae) && ab != ae;
      const bool hb = key.keyword->Ords(b, &sb, &bb, &be) && bb != be;
      if (ha != hb) return ha ? -1 : 1;
      if (!ha) return 0;
      // Multi-valued: ascending uses the smallest value, descending the largest.
      const uint32_t oa = key.descending ? ae[-1] : *ab, ob = key.descending ? be[-1] : *bb;
      cmp = oa < ob ? -1 : oa > ob ? 1 : 0;
      break;
    }
  }
  return key.descending ? -cmp : cmp;
}

bool HitOrder::Before(uint32_t a, float a_score, uint32_t b, float b_score) const {
  for (const Key& key : keys_) {
    const int cmp = Compare(key, a, a_score, b, b_score);
    if (cmp != 0) return cmp < 0;
  }
  if (a_score != b_score) return a_score > b_score;
  return a < b;
}

int HitOrder::CompareUnscored(uint32_t a, uint32_t b) const {
  for (const Key& key : keys_) {
    if (key.kind == Key::Kind::kScore) return 0;
    const int cmp = Compare(key, a, 0, b, 0);
    if (cmp != 0) return cmp;
  }
  return 0;
}

std::string HitOrder::Cursor(uint32_t doc, float score) {
  // "doc:%a" of the score as a double (exact: it round-trips bit for bit),
  // written by hand for finite scores: every response with hits carries a
  // cursor, and snprintf's %a showed in a median query's profile (see
  // docs/design-notes.md, "Search responses"). The text is the same as
  // glibc's (the cursor test compares them).
  char buf[64];
  const double v = score;
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const uint64_t exp_bits = (bits >> 52) & 0x7ff;
  if (exp_bits == 0 ||
      exp_bits == 0x7ff) {  // Zero (a float is never a subnormal double), inf, nan.
    std::snprintf(buf, sizeof(buf), "%" PRIu32 ":%a", doc, v);
    return buf;
  }
  char* p = buf;
  char digits[16];
  int n = 0;
  for (uint32_t d = doc; n == 0 || d != 0; d /= 10) digits[n++] = static_cast<char>('0' + d % 10);
  while (n > 0) *p++ = digits[--n];
  *p++ = ':';
  if (bits >> 63) *p++ = '-';
  *p++ = '0';
  *p++ = 'x';
  *p++ = '1';
  uint64_t mantissa = bits & ((uint64_t{1} << 52) - 1);
  if (mantissa != 0) {
    *p++ = '.';
    for (int shift = 48; mantissa != 0; shift -= 4) {
      *p++ = "0123456789abcdef"[(mantissa >> shift) & 0xf];
      mantissa &= (uint64_t{1} << shift) - 1;
    }
  }
  const int e = static_cast<int>(exp_bits) - 1023;
  *p++ = 'p';
  *p++ = e < 0 ? '-' : '+';
  n = 0;
  for (int a = e < 0 ? -e : e; n == 0 || a != 0; a /= 10)
    digits[n++] = static_cast<char>('0' + a % 10);
  while (n > 0) *p++ = digits[--n];
  return std::string(buf, p);
}

Result<std::pair<uint32_t, float>> HitOrder::ParseCursor(std::string_view cursor) const {
  const std::string text(cursor);
  char* end = nullptr;
  const unsigned long doc = std::strtoul(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != ':' || doc >= num_docs_) {
    return Status::InvalidArgument("search_after: '" + text +
                                   "' is not a cursor from this index (pass next_cursor back "
                                   "unchanged, with the same query)");
  }
  const char* score_text = end + 1;
  const double score = std::strtod(score_text, &end);
  if (end == score_text || *end != '\0') {
    return Status::InvalidArgument("search_after: bad score in cursor '" + text + "'");
  }
  return std::make_pair(static_cast<uint32_t>(doc), static_cast<float>(score));
}

}  // namespace libsearch::internal
