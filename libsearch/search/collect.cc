#include "search/collect.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace libsearch::internal {
namespace {

// The ordinals of `doc` in a keyword column, or false if the offsets are bad.
// A dense column's ordinal goes through `scratch`.
bool Ords(const KeywordColumn& c, uint32_t doc, uint32_t* scratch, const uint32_t** begin,
          const uint32_t** end) {
  if (c.dense != nullptr) {
    const uint32_t code = c.Code(doc);
    *scratch = code - 1;
    *begin = scratch;
    *end = scratch + (code != 0);
    return true;
  }
  const uint32_t lo = c.offsets[doc], hi = c.offsets[doc + 1];
  if (lo > hi || hi > c.num_ords) return false;
  *begin = c.ords + lo;
  *end = c.ords + hi;
  return true;
}

}  // namespace

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
    case Key::Kind::kScore:
      cmp = a_score < b_score ? -1 : a_score > b_score ? 1 : 0;
      break;
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
      const bool ha = Ords(*key.keyword, a, &sa, &ab, &ae) && ab != ae;
      const bool hb = Ords(*key.keyword, b, &sb, &bb, &be) && bb != be;
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
  // written by hand for finite scores: snprintf's %a was ~2% of a median
  // top-10 query, and every response with hits carries a cursor. The text
  // is the same as glibc's (the cursor test compares them).
  char buf[64];
  const double v = score;
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const uint64_t exp_bits = (bits >> 52) & 0x7ff;
  if (exp_bits == 0 || exp_bits == 0x7ff) {  // Zero (a float is never a subnormal double), inf, nan.
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
  for (int a = e < 0 ? -e : e; n == 0 || a != 0; a /= 10) digits[n++] = static_cast<char>('0' + a % 10);
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

Result<FacetCounter> FacetCounter::Create(const IndexReader& reader, const FacetRequest& request) {
  FacetCounter c;
  c.reader_ = &reader;
  c.request_ = &request;
  const auto f = reader.schema().FieldIndex(request.field);
  if (!f) return Status::InvalidArgument("facet: unknown field '" + request.field + "'");
  c.field_ = static_cast<uint32_t>(*f);
  if ((c.numeric_ = reader.numeric(*f)) != nullptr) {
    if (request.ranges.empty()) {
      return Status::InvalidArgument("facet on numeric field '" + request.field +
                                     "' needs ranges ({from, to} buckets)");
    }
    c.counts_.assign(request.ranges.size(), 0);
  } else if ((c.keyword_ = reader.keyword(*f)) != nullptr) {
    if (!request.ranges.empty()) {
      return Status::InvalidArgument("facet: ranges apply to numeric fields, and '" +
                                     request.field + "' is a keyword field");
    }
    if (request.size == 0 || request.size > 10000) {
      return Status::InvalidArgument("facet size must be in 1..10000");
    }
    c.counts_.assign(c.keyword_->num_terms, 0);
  } else {
    return Status::InvalidArgument("facet: field '" + request.field +
                                   "' cannot be faceted (use an indexed keyword field other "
                                   "than the id, or an int/float field with ranges)");
  }
  return c;
}

void FacetCounter::Add(uint32_t doc) {
  if (keyword_ != nullptr) {
    if (keyword_->dense != nullptr) {  // The common case, without indirection.
      const uint32_t code = keyword_->Code(doc);
      if (code == 0) return;
      if (code > counts_.size()) {
        corrupt_ = true;
        return;
      }
      ++counts_[code - 1];
      return;
    }
    const uint32_t *b, *e;
    uint32_t scratch;
    if (!Ords(*keyword_, doc, &scratch, &b, &e)) {
      corrupt_ = true;
      return;
    }
    for (; b != e; ++b) {
      if (*b >= counts_.size()) {
        corrupt_ = true;
        return;
      }
      ++counts_[*b];
    }
    return;
  }
  if (!numeric_->Has(doc)) return;
  const double v = numeric_->Value(doc);
  for (size_t i = 0; i < request_->ranges.size(); ++i) {
    counts_[i] += v >= request_->ranges[i].from && v < request_->ranges[i].to;
  }
}

Result<FacetResult> FacetCounter::Finish() const {
  if (corrupt_) return Status::Corruption("facet field '" + request_->field + "' is damaged");
  FacetResult out;
  out.field = request_->field;
  if (numeric_ != nullptr) {
    for (size_t i = 0; i < request_->ranges.size(); ++i) {
      const FacetRequest::Range& r = request_->ranges[i];
      std::string label = r.label;
      if (label.empty()) {
        char buf[80];
        std::snprintf(buf, sizeof(buf), "%g..%g", r.from, r.to);
        label = buf;
      }
      out.values.push_back({std::move(label), counts_[i]});
    }
    return out;
  }
  std::vector<uint32_t> ords;
  for (uint32_t o = 0; o < counts_.size(); ++o) {
    if (counts_[o] > 0) ords.push_back(o);
  }
  // Count descending, then value ascending (ordinal order is value order).
  const size_t n = std::min(request_->size, ords.size());
  std::partial_sort(ords.begin(), ords.begin() + static_cast<ptrdiff_t>(n), ords.end(),
                    [&](uint32_t a, uint32_t b) {
                      return counts_[a] != counts_[b] ? counts_[a] > counts_[b] : a < b;
                    });
  const FieldReader* field = reader_->field(field_);
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> term;
    LIBSEARCH_RETURN_IF_ERROR(field->dict.Terms(ords[i], 1, &term));
    out.values.push_back({std::move(term[0]), counts_[ords[i]]});
  }
  return out;
}

bool OnlyUsesField(const Query& q, uint32_t f) {
  switch (q.kind) {
    case Query::Kind::kMatchAll:
    case Query::Kind::kDocSet:
      return false;
    case Query::Kind::kTerm:
    case Query::Kind::kPhrase:
    case Query::Kind::kRange:
      return q.field == f;
    case Query::Kind::kBoolean:
      for (const auto* v : {&q.must, &q.should, &q.must_not}) {
        for (const auto& c : *v) {
          if (!OnlyUsesField(*c, f)) return false;
        }
      }
      return true;
  }
  return false;
}

}  // namespace libsearch::internal
