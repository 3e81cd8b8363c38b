#include "search/facet_collector.h"

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>

namespace libsearch::internal {

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
    if (!keyword_->Ords(doc, &scratch, &b, &e)) {
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

void FacetCounter::AddBlock(const uint32_t* docs, uint32_t n) {
  if (keyword_ != nullptr && keyword_->dense != nullptr) {
    // Codes are checked once per block: a code past the counts is damage.
    const uint32_t limit = static_cast<uint32_t>(counts_.size());
    uint64_t* counts = counts_.data();
    uint32_t bad = 0;
    if (keyword_->width == 1) {
      const uint8_t* dense = keyword_->dense;
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t code = dense[docs[i]];
        bad |= code > limit;
        // Code 0: no value.
        if (code != 0 && code <= limit) ++counts[code - 1];
      }
    } else {
      for (uint32_t i = 0; i < n; ++i) {
        const uint32_t code = keyword_->Code(docs[i]);
        bad |= code > limit;
        if (code != 0 && code <= limit) ++counts[code - 1];
      }
    }
    corrupt_ |= bad != 0;
    return;
  }
  if (numeric_ != nullptr) {
    const size_t num_ranges = request_->ranges.size();
    for (uint32_t i = 0; i < n; ++i) {
      if (!numeric_->Has(docs[i])) continue;
      const double v = numeric_->Value(docs[i]);
      for (size_t r = 0; r < num_ranges; ++r) {
        counts_[r] += v >= request_->ranges[r].from && v < request_->ranges[r].to;
      }
    }
    return;
  }
  for (uint32_t i = 0; i < n; ++i) Add(docs[i]);
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
  const size_t n = all_values_ ? ords.size() : std::min(request_->size, ords.size());
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

void MergeFacetCounts(const SearchRequest& req, std::vector<std::vector<FacetResult>> parts,
                      bool keep_all, std::vector<FacetResult>* out) {
  for (size_t i = 0; i < req.facets.size(); ++i) {
    const FacetRequest& fr = req.facets[i];
    FacetResult merged;
    merged.field = fr.field;
    if (!fr.ranges.empty()) {  // Ranges: in request order.
      for (auto& part : parts) {
        if (i >= part.size()) continue;
        if (merged.values.empty()) {
          merged.values = part[i].values;
          continue;
        }
        for (size_t r = 0; r < merged.values.size() && r < part[i].values.size(); ++r) {
          merged.values[r].count += part[i].values[r].count;
        }
      }
    } else {  // Keyword values: count descending, then value.
      std::map<std::string, uint64_t> counts;
      for (auto& part : parts) {
        if (i >= part.size()) continue;
        for (FacetValue& v : part[i].values) counts[v.value] += v.count;
      }
      for (auto& [value, count] : counts) merged.values.push_back({value, count});
      if (!keep_all) {
        const size_t n = std::min(fr.size, merged.values.size());
        std::partial_sort(merged.values.begin(), merged.values.begin() + static_cast<ptrdiff_t>(n),
                          merged.values.end(), [](const FacetValue& a, const FacetValue& b) {
                            return a.count != b.count ? a.count > b.count : a.value < b.value;
                          });
        merged.values.resize(n);
      }
    }
    out->push_back(std::move(merged));
  }
}

bool OnlyUsesField(const Query& q, uint32_t f) {
  switch (q.kind) {
    case Query::Kind::kMatchAll:
    case Query::Kind::kDocSet: return false;
    case Query::Kind::kTerm:
    case Query::Kind::kPhrase:
    case Query::Kind::kRange: return q.field == f;
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
