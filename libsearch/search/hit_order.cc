#include "search/hit_order.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace libsearch::internal {

Result<HitOrder> HitOrder::Create(const IndexReader& reader, const std::vector<SortField>& sort) {
  HitOrder order;
  order.num_docs_ = reader.num_docs();
  order.reader_ = &reader;
  for (const SortField& s : sort) {
    Key key{Key::Kind::kScore, s.descending};
    if (s.field == "_score") {
      order.keys_.push_back(key);
      order.fields_.push_back(0);
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
    order.fields_.push_back(static_cast<uint32_t>(*f));
  }
  return order;
}

HitOrder::Position::Value HitOrder::ValueOf(const Key& key, uint32_t doc) const {
  Position::Value v;
  if (key.kind == Key::Kind::kNumeric) {
    v.has = key.numeric->Has(doc);
    if (v.has) v.v = key.numeric->Value(doc);
  } else if (key.kind == Key::Kind::kKeyword) {
    const uint32_t *b, *e;
    uint32_t scratch;
    v.has = key.keyword->Ords(doc, &scratch, &b, &e) && b != e;
    // Multi-valued: ascending uses the smallest value, descending the largest.
    if (v.has) v.v = 2.0 * (key.descending ? e[-1] : *b);
  }
  return v;
}

int HitOrder::CompareValues(const Key& key, const Position::Value& a, const Position::Value& b) {
  // Ascending comparison; missing values always sort last.
  if (a.has != b.has) return a.has ? -1 : 1;
  if (!a.has) return 0;
  const int cmp = a.v < b.v ? -1 : a.v > b.v ? 1 : 0;
  return key.descending ? -cmp : cmp;
}

int HitOrder::Compare(const Key& key, uint32_t a, float a_score, uint32_t b, float b_score) const {
  if (key.kind == Key::Kind::kScore) {
    const int cmp = a_score < b_score ? -1 : a_score > b_score ? 1 : 0;
    return key.descending ? -cmp : cmp;
  }
  return CompareValues(key, ValueOf(key, a), ValueOf(key, b));
}

HitOrder::Position HitOrder::CursorAt(uint32_t doc, float score, uint32_t tier) const {
  Position c;
  for (const Key& key : keys_) c.values.push_back(ValueOf(key, doc));
  c.score = score;
  c.doc = doc;
  c.tier = tier;
  return c;
}

std::vector<HitOrder::Portable> HitOrder::PortableValues(uint32_t doc) const {
  std::vector<Portable> out;
  for (size_t i = 0; i < keys_.size(); ++i) {
    const Position::Value v = ValueOf(keys_[i], doc);
    Portable p;
    p.has = v.has;
    if (v.has && keys_[i].kind == Key::Kind::kNumeric) p.number = v.v;
    if (v.has && keys_[i].kind == Key::Kind::kKeyword) {
      p.has = reader_->field(fields_[i])->dict.Term(static_cast<uint32_t>(v.v / 2), &p.text);
    }
    out.push_back(std::move(p));
  }
  return out;
}

HitOrder::Position HitOrder::CursorFrom(const std::vector<Portable>& values, float score,
                                        int64_t doc, uint32_t tier) const {
  Position c;
  for (size_t i = 0; i < keys_.size(); ++i) {
    Position::Value v;
    v.has = i < values.size() && values[i].has;
    if (v.has && keys_[i].kind == Key::Kind::kNumeric) v.v = values[i].number;
    if (v.has && keys_[i].kind == Key::Kind::kKeyword) {
      const TermDictReader& dict = reader_->field(fields_[i])->dict;
      const uint32_t lb = dict.LowerBound(values[i].text);
      const bool here = dict.Find(values[i].text).has_value();
      v.v = here ? 2.0 * lb : 2.0 * lb - 1;
    }
    c.values.push_back(v);
  }
  c.score = score;
  c.doc = doc;
  c.tier = tier;
  return c;
}

int HitOrder::CompareUnscored(uint32_t a, const Position& b) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i].kind == Key::Kind::kScore) return 0;
    const int cmp = CompareValues(keys_[i], ValueOf(keys_[i], a), b.values[i]);
    if (cmp != 0) return cmp;
  }
  return 0;
}

bool HitOrder::CursorBefore(const Position& c, uint32_t doc, float score) const {
  for (size_t i = 0; i < keys_.size(); ++i) {
    int cmp;
    if (keys_[i].kind == Key::Kind::kScore) {
      cmp = c.score < score ? -1 : c.score > score ? 1 : 0;
      if (keys_[i].descending) cmp = -cmp;
    } else {
      cmp = CompareValues(keys_[i], c.values[i], ValueOf(keys_[i], doc));
    }
    if (cmp != 0) return cmp < 0;
  }
  if (c.score != score) return c.score > score;
  return c.doc < static_cast<int64_t>(doc);
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

void ClampPrunedTotal(const SearchRequest& req, uint64_t* total, bool* total_exact) {
  const bool pruned =
      req.facets.empty() && req.sort.empty() && req.search_after.empty() && req.offset + req.k > 0;
  if (pruned && (!*total_exact || *total > req.total_hits_threshold)) {
    *total = std::min(*total, req.total_hits_threshold);
    *total_exact = false;
  }
}

}  // namespace libsearch::internal
