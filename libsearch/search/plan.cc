// Stage 2: a request as a plan: its query and filters parsed into one tree
// (repeated filters swapped for their cached doc sets) and the collector
// that will take the matches.
#include <algorithm>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "query/may_match.h"
#include "search/index_impl.h"

namespace libsearch::internal {

Result<SearchPlan> IndexImpl::Plan(const SearchRequest& req, const ForeignCursor* cursor,
                                   const Query* words) const {
  SearchPlan plan;
  plan.keep = req.offset + req.k;
  if (req.facets.empty() && req.sort.empty() && req.search_after.empty() && cursor == nullptr) {
    plan.collector = TypoTiered(req) && plan.keep > 0 ? SearchPlan::Collector::kTieredTopK
                                                      : SearchPlan::Collector::kTopK;
    LIBSEARCH_ASSIGN_OR_RETURN(plan.query, Parse(req, -1, words));
    return plan;
  }
  // Sort orders, cursors and facets: every match is visited and scored, so
  // totals and facet counts are exact. Their fields are checked first.
  plan.collector = SearchPlan::Collector::kVisitAll;
  LIBSEARCH_ASSIGN_OR_RETURN(plan.order, HitOrder::Create(*reader_, req.sort));
  if (!req.search_after.empty()) {
    LIBSEARCH_ASSIGN_OR_RETURN(plan.cursor, plan.order->ParseCursor(req.search_after));
  } else if (cursor != nullptr) {
    plan.foreign_cursor =
        plan.order->CursorFrom(cursor->values, cursor->score, cursor->doc, cursor->tier);
  }
  plan.lift.assign(req.facets.size(), -1);
  for (size_t i = 0; i < req.facets.size(); ++i) {
    auto c = FacetCounter::Create(*reader_, req.facets[i]);
    if (!c.ok()) return c.status();
    if (is_segment()) c->KeepAllValues();
    plan.facets.push_back(std::move(*c));
    if (req.facets[i].disjunctive) {
      plan.lift[i] = *reader_->schema().FieldIndex(req.facets[i].field);
    }
  }
  LIBSEARCH_ASSIGN_OR_RETURN(plan.query, Parse(req, -1, words));
  plan.query = ExcludeDeleted(std::move(plan.query));
  return plan;
}

ParseOptions IndexImpl::MakeParseOptions(const SearchRequest& req,
                                         const std::vector<uint32_t>* fields) const {
  ParseOptions po;
  po.prefix_last = req.prefix_last;
  po.typos = req.typos;
  po.combine_fields = req.field_scoring != FieldScoring::kPerField;
  po.combined_length = req.field_scoring == FieldScoring::kBm25fCombinedLength;
  po.max_expansions = req.max_expansions;
  po.surface_analyzers = surface_analyzers_;
  po.syntax = req.syntax;
  po.synonyms = req.synonyms ? &synonyms_ : nullptr;
  po.synonym_analyzer = synonym_analyzer_;
  po.default_operator =
      req.default_operator == Operator::kAnd ? DefaultOperator::kAnd : DefaultOperator::kOr;
  po.default_fields = req.fields.empty() ? std::span<const uint32_t>(default_fields_)
                                         : std::span<const uint32_t>(*fields);
  return po;
}

Result<std::vector<uint32_t>> IndexImpl::SearchFields(const SearchRequest& req) const {
  std::vector<uint32_t> fields;  // Only when the request names them.
  for (const std::string& name : req.fields) {
    const auto f = reader_->schema().FieldIndex(name);
    if (!f) return Status::InvalidArgument("unknown search field '" + name + "'");
    const FieldSpec& spec = reader_->schema().fields()[*f];
    if (!spec.indexed || (spec.type != FieldType::kText && spec.type != FieldType::kKeyword)) {
      return Status::InvalidArgument("field '" + name +
                                     "' is not an indexed text or keyword field");
    }
    fields.push_back(static_cast<uint32_t>(*f));
  }
  return fields;
}

Result<std::unique_ptr<Query>> IndexImpl::ParseWords(const SearchRequest& req) const {
  LIBSEARCH_ASSIGN_OR_RETURN(std::vector<uint32_t> fields, SearchFields(req));
  const ParseOptions po = MakeParseOptions(req, &fields);
  return ParseQuery(req.query, reader_->schema(), analyzers_, po);
}

std::span<const std::unique_ptr<TermFilter>> IndexImpl::term_filters() const {
  // Filters for dictionaries of up to 64k terms (16 bits each): a small
  // segment's, which most searches skip or bind few words in.
  constexpr uint64_t kMaxFilteredTerms = 1 << 16;
  if (!is_segment()) return {};  // A single index: nothing to skip.
  TermFilters& filters = *term_filters_;
  std::call_once(filters.once, [&] {
    filters.by_field.resize(reader_->schema().fields().size());
    for (size_t f = 0; f < filters.by_field.size(); ++f) {
      if (const FieldReader* field = reader_->field(f)) {
        filters.by_field[f] = TermFilter::Build(field->dict, kMaxFilteredTerms);
      }
    }
  });
  return filters.by_field;
}

bool IndexImpl::MayMatch(const Query& words) const {
  // A segment without filters has only large dictionaries, which nearly
  // always hold the words: looking them up here would only repeat the
  // lookups of its scorers.
  const std::span<const std::unique_ptr<TermFilter>> filters = term_filters();
  if (std::none_of(filters.begin(), filters.end(), [](const auto& f) { return f != nullptr; })) {
    return true;
  }
  return internal::MayMatch(words, *reader_, stats(), filters);
}

Result<std::unique_ptr<Query>> IndexImpl::Parse(const SearchRequest& req, int64_t lift_field,
                                                const Query* words) const {
  std::unique_ptr<Query> query;
  if (words != nullptr) {
    query = CloneQuery(*words);
  } else {
    LIBSEARCH_ASSIGN_OR_RETURN(query, ParseWords(req));
  }
  if (req.filters.empty()) return query;
  LIBSEARCH_ASSIGN_OR_RETURN(std::vector<uint32_t> fields, SearchFields(req));
  ParseOptions po = MakeParseOptions(req, &fields);
  po.prefix_last = po.typos = false;  // Filters match exactly.
  po.synonyms = nullptr;
  po.syntax = QuerySyntax::kFull;  // Written by programs: a mistake should be an error.
  auto root = std::make_unique<Query>();
  root->kind = Query::Kind::kBoolean;
  root->must.push_back(std::move(query));
  for (size_t i = 0; i < req.filters.size(); ++i) {
    auto filter = ParseQuery(req.filters[i], reader_->schema(), analyzers_, po);
    if (!filter.ok()) return filter.status().WithContext("filter " + std::to_string(i + 1));
    if (lift_field >= 0 && OnlyUsesField(**filter, static_cast<uint32_t>(lift_field))) {
      continue;
    }
    (*filter)->scored = false;
    LIBSEARCH_RETURN_IF_ERROR(UseFilterCache(&*filter));
    root->must.push_back(std::move(*filter));
  }
  return root;
}

std::unique_ptr<Query> IndexImpl::ExcludeDeleted(std::unique_ptr<Query> query) const {
  if (hooks_.deleted == nullptr) return query;
  auto deleted = std::make_unique<Query>();
  deleted->kind = Query::Kind::kDocSet;
  deleted->scored = false;
  deleted->surface = "deleted docs";
  deleted->doc_set = hooks_.deleted;
  auto root = std::make_unique<Query>();
  root->kind = Query::Kind::kBoolean;
  root->must.push_back(std::move(query));
  root->must_not.push_back(std::move(deleted));
  return root;
}

// Swaps a filter for its cached doc set, building the set on the filter's
// second use (FilterCache). The set holds exactly the filter's matches.
Status IndexImpl::UseFilterCache(std::unique_ptr<Query>* filter) const {
  if (options_.filter_cache_bytes == 0) return Status::Ok();
  // A single range is cheap as it is (a column read per candidate, with
  // block min/max); terms and combinations gain a membership test instead
  // of decoding postings blocks to seek. See docs/design-notes.md, "Filter
  // cache".
  if ((*filter)->kind == Query::Kind::kRange) return Status::Ok();
  const std::string key = (*filter)->ToString(reader_->schema());
  bool build = false;
  std::shared_ptr<const DocSet> set = filter_cache_->Find(key, &build);
  if (set == nullptr && build) {
    ScorerContext ctx(reader_.get(), options_.bm25, stats());
    auto scorer = CreateScorer(**filter, &ctx);
    auto built = std::make_shared<DocSet>();
    std::vector<uint32_t> batch;
    for (uint32_t d = scorer->doc(); d != kNoMoreDocs; d = scorer->Next()) {
      batch.push_back(d);
      if (batch.size() == 4096) {
        built->AddMany(batch.data(), batch.size());
        batch.clear();
      }
    }
    built->AddMany(batch.data(), batch.size());
    if (ctx.corrupt()) return CorruptPostings();
    built->Optimize();
    set = built;
    filter_cache_->Insert(key, std::move(built));
  }
  if (set == nullptr) return Status::Ok();
  auto node = std::make_unique<Query>();
  node->kind = Query::Kind::kDocSet;
  node->scored = false;
  node->surface = key.substr(1);  // Without the '#' (ToString adds it back).
  node->doc_set = std::move(set);
  *filter = std::move(node);
  return Status::Ok();
}

Result<std::string> IndexImpl::ExplainQuery(const SearchRequest& req) const {
  LIBSEARCH_RETURN_IF_ERROR(reader_->Intact());
  LIBSEARCH_RETURN_IF_ERROR(Validate(req));
  LIBSEARCH_ASSIGN_OR_RETURN(auto query, Parse(req));
  LIBSEARCH_RETURN_IF_ERROR(reader_->Intact());
  return query->ToString(reader_->schema());
}

}  // namespace libsearch::internal
