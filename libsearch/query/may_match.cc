#include "query/may_match.h"

#include <string>
#include <utility>

#include "util/utf8.h"

namespace libsearch::internal {

std::unique_ptr<Query> CloneQuery(const Query& q) {
  auto c = std::make_unique<Query>();
  c->kind = q.kind;
  c->field = q.field;
  c->terms = q.terms;
  c->offsets = q.offsets;
  c->boost = q.boost;
  c->prefix = q.prefix;
  c->max_edits = q.max_edits;
  c->surface = q.surface;
  c->max_expansions = q.max_expansions;
  c->tier_edits = q.tier_edits;
  c->scored = q.scored;
  c->combine_fields = q.combine_fields;
  c->combined_length = q.combined_length;
  c->lo = q.lo;
  c->hi = q.hi;
  c->lo_inclusive = q.lo_inclusive;
  c->hi_inclusive = q.hi_inclusive;
  c->doc_set = q.doc_set;
  for (const auto* list : {&q.must, &q.should, &q.must_not}) {
    auto& to = list == &q.must ? c->must : list == &q.should ? c->should : c->must_not;
    to.reserve(list->size());
    for (const auto& child : *list) to.push_back(CloneQuery(*child));
  }
  return c;
}

namespace {

using Filters = std::span<const std::unique_ptr<TermFilter>>;

// Whether field `f` (read by `field`) may have `term`. A filter's "maybe"
// is taken as it is: a false one (about 0.5%) costs a plan that finds
// nothing, while a lookup of every word a small segment has would repeat
// its scorers' lookups.
bool Has(const FieldReader& field, uint32_t f, std::string_view term, Filters filters) {
  if (f < filters.size() && filters[f] != nullptr) return filters[f]->MayContain(term);
  return field.dict.Find(term).has_value();
}

// A term with prefix and/or typo expansions: as PickTerms binds it
// (query/scorer_builder.cc), every term it can match is the exact term, an
// index-wide typo candidate, an index-wide completion, or a short prefix's
// list in the field's prefix index.
bool ExpansionMayMatch(const Query& q, const IndexReader& reader, const FieldReader& field,
                       const CollectionStats* stats, Filters filters) {
  if (stats == nullptr) return true;
  if (Has(field, q.field, q.terms[0], filters)) return true;
  if (q.max_edits > 0) {
    for (const auto& [term, edits] :
         stats->TypoStems(q.field, q.surface, q.terms[0], q.max_edits, q.max_expansions)) {
      if (Has(field, q.field, term, filters)) return true;
    }
  }
  if (q.prefix) {
    const FieldReader* prefixes = reader.prefix_field(q.field);
    for (const std::string* p : {&q.surface, &q.terms[0]}) {
      if (p == &q.terms[0] && *p == q.surface) break;
      if (prefixes != nullptr && CodePointCount(*p) <= field.spec->index_prefixes) {
        if (prefixes->dict.Find(*p)) return true;
        continue;
      }
      for (const auto& [term, edits] : stats->PrefixTerms(q.field, *p, q.max_expansions)) {
        if (Has(field, q.field, term, filters)) return true;
      }
    }
  }
  return false;
}

}  // namespace

bool MayMatch(const Query& q, const IndexReader& reader, const CollectionStats* stats,
              Filters filters) {
  switch (q.kind) {
    case Query::Kind::kMatchAll:
    case Query::Kind::kRange:
    case Query::Kind::kDocSet: return true;
    case Query::Kind::kTerm:
    case Query::Kind::kPhrase: {
      const FieldReader* field = reader.field(q.field);
      if (field == nullptr) return false;
      if (q.kind == Query::Kind::kTerm && (q.prefix || q.max_edits > 0)) {
        return ExpansionMayMatch(q, reader, *field, stats, filters);
      }
      for (const std::string& t : q.terms) {
        if (!Has(*field, q.field, t, filters)) return false;
      }
      return true;
    }
    case Query::Kind::kBoolean: {
      // As the scorer builder: every `must`, else at least one `should`.
      if (!q.must.empty()) {
        for (const auto& c : q.must) {
          if (!MayMatch(*c, reader, stats, filters)) return false;
        }
        return true;
      }
      for (const auto& c : q.should) {
        if (MayMatch(*c, reader, stats, filters)) return true;
      }
      return false;
    }
  }
  return true;
}

}  // namespace libsearch::internal
