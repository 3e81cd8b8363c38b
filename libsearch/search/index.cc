// Index: the public face of an opened index file. Parses and analyses the
// query, builds scorers, collects the top k and fetches stored documents.
#include "libsearch/index.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>

#include "analysis/analyzer.h"
#include "index/index_reader.h"
#include "index/numeric_summary.h"
#include "libsearch/version.h"
#include "query/query.h"
#include "query/scorer.h"
#include "query/expand.h"
#include "query/top_k.h"
#include "search/collect.h"
#include "search/filter_cache.h"
#include "search/highlight.h"
#include "storage/file.h"
#include "storage/format.h"

namespace libsearch {
namespace {

constexpr size_t kMaxResultWindow = 10000;

class IndexImpl;

// Whether docs match a typo request without its typos (the exact tier),
// asked in increasing doc order.
class ExactTier {
 public:
  static Result<std::unique_ptr<ExactTier>> Create(const IndexImpl& index,
                                                   const SearchRequest& req);
  // 0 if doc matches without typos, else 1. REQUIRES: docs increase.
  uint32_t At(uint32_t doc) {
    if (scorer_->doc() < doc) scorer_->Advance(doc);
    return scorer_->doc() == doc ? 0 : 1;
  }
  bool corrupt() const { return ctx_->corrupt(); }

 private:
  std::unique_ptr<internal::Query> query_;
  std::unique_ptr<internal::ScorerContext> ctx_;
  std::unique_ptr<internal::Scorer> scorer_;
};

class IndexImpl : public Index {
 public:
  IndexImpl(std::unique_ptr<internal::IndexReader> reader, OpenOptions options)
      : reader_(std::move(reader)), options_(options), filter_cache_(options.filter_cache_bytes) {}

  Status Init() {
    LIBSEARCH_RETURN_IF_ERROR(InitAnalyzers());
    return InitSynonyms();
  }

  // Stored groups plus OpenOptions::synonyms, keyed by each alternative's
  // analysed terms (the first default text field's analyser, so plurals and
  // other inflections of an alternative match too).
  Status InitSynonyms() {
    std::vector<std::vector<std::string>> groups = options_.synonyms;
    if (!reader_->synonyms_json().empty()) {
      const nlohmann::json j = nlohmann::json::parse(reader_->synonyms_json(), nullptr, false);
      if (!j.is_array()) return Status::Corruption("stored synonyms are not a JSON array");
      for (const auto& g : j) {
        std::vector<std::string> group;
        for (const auto& alt : g) {
          if (alt.is_string()) group.push_back(alt.get<std::string>());
        }
        groups.push_back(std::move(group));
      }
    }
    if (groups.empty() || default_fields_.empty()) return Status::Ok();
    synonym_analyzer_ = analyzers_[default_fields_[0]];
    for (auto& group : groups) {
      const size_t id = synonyms_.groups.size();
      for (const std::string& alt : group) {
        const std::vector<std::string> terms = synonym_analyzer_->Terms(alt);
        if (terms.empty()) {
          return Status::InvalidArgument("synonym '" + alt + "' has no searchable words");
        }
        std::string key;
        for (const std::string& t : terms) key += (key.empty() ? "" : " ") + t;
        synonyms_.group_of.emplace(key, id);  // A phrase in two groups: first wins.
        synonyms_.max_words = std::max(synonyms_.max_words, terms.size());
      }
      synonyms_.groups.push_back(std::move(group));
    }
    return Status::Ok();
  }

  Status InitAnalyzers() {
    const auto& fields = reader_->schema().fields();
    analyzers_.assign(fields.size(), nullptr);
    surface_analyzers_.assign(fields.size(), nullptr);
    for (size_t f = 0; f < fields.size(); ++f) {
      if (fields[f].type != FieldType::kText) continue;
      analysis::AnalyzerOptions ao;
      ao.language = fields[f].language;
      ao.stopwords = fields[f].stopwords;
      ao.fold_accents = fields[f].fold_accents;
      ao.split_codes = fields[f].split_codes;
      LIBSEARCH_ASSIGN_OR_RETURN(auto a, analysis::Analyzer::Create(ao));
      analyzers_[f] = a.get();
      owned_.push_back(std::move(a));
      ao.language = "none";  // Same folding, no stemming: prefixes and typos.
      LIBSEARCH_ASSIGN_OR_RETURN(auto surface, analysis::Analyzer::Create(ao));
      surface_analyzers_[f] = surface.get();
      owned_.push_back(std::move(surface));
      if (fields[f].indexed) default_fields_.push_back(static_cast<uint32_t>(f));
    }
    return Status::Ok();
  }

  // The query and its filters as one tree. Filters that only use field
  // `lift_field` are left out (a disjunctive facet's view); -1 keeps all.
  Result<std::unique_ptr<internal::Query>> Parse(const SearchRequest& req,
                                                 int64_t lift_field = -1) const {
    internal::ParseOptions po;
    po.prefix_last = req.prefix_last;
    po.typos = req.typos;
    po.max_expansions = req.max_expansions;
    po.surface_analyzers = surface_analyzers_;
    po.syntax = req.syntax;
    po.synonyms = req.synonyms ? &synonyms_ : nullptr;
    po.synonym_analyzer = synonym_analyzer_;
    po.default_operator = req.default_operator == Operator::kAnd
                              ? internal::DefaultOperator::kAnd
                              : internal::DefaultOperator::kOr;
    std::vector<uint32_t> fields;  // Only when the request names them.
    if (req.fields.empty()) {
      po.default_fields = default_fields_;
    } else {
      for (const std::string& name : req.fields) {
        const auto f = reader_->schema().FieldIndex(name);
        if (!f) return Status::InvalidArgument("unknown search field '" + name + "'");
        const FieldSpec& spec = reader_->schema().fields()[*f];
        if (!spec.indexed || (spec.type != FieldType::kText && spec.type != FieldType::kKeyword)) {
          return Status::InvalidArgument("field '" + name + "' is not an indexed text or keyword field");
        }
        fields.push_back(static_cast<uint32_t>(*f));
      }
      po.default_fields = fields;
    }
    LIBSEARCH_ASSIGN_OR_RETURN(auto query,
                               internal::ParseQuery(req.query, reader_->schema(), analyzers_, po));
    if (req.filters.empty()) return query;
    po.prefix_last = po.typos = false;  // Filters match exactly.
    po.synonyms = nullptr;
    po.syntax = QuerySyntax::kFull;  // Written by programs: a mistake should be an error.
    auto root = std::make_unique<internal::Query>();
    root->kind = internal::Query::Kind::kBoolean;
    root->must.push_back(std::move(query));
    for (size_t i = 0; i < req.filters.size(); ++i) {
      auto filter = internal::ParseQuery(req.filters[i], reader_->schema(), analyzers_, po);
      if (!filter.ok()) return filter.status().WithContext("filter " + std::to_string(i + 1));
      if (lift_field >= 0 &&
          internal::OnlyUsesField(**filter, static_cast<uint32_t>(lift_field))) {
        continue;
      }
      (*filter)->scored = false;
      LIBSEARCH_RETURN_IF_ERROR(UseFilterCache(&*filter));
      root->must.push_back(std::move(*filter));
    }
    return root;
  }

  // Swaps a filter for its cached doc set, building the set on the filter's
  // second use (FilterCache). The set holds exactly the filter's matches.
  Status UseFilterCache(std::unique_ptr<internal::Query>* filter) const {
    if (options_.filter_cache_bytes == 0) return Status::Ok();
    // A single range is cheap as it is (a column read per candidate, with
    // block min/max): measured, a cached range was ~15% slower. Terms and
    // combinations gain (a membership test instead of decoding postings
    // blocks to seek: 20-30% on the 818k catalogue).
    if ((*filter)->kind == internal::Query::Kind::kRange) return Status::Ok();
    const std::string key = (*filter)->ToString(reader_->schema());
    bool build = false;
    std::shared_ptr<const internal::DocSet> set = filter_cache_.Find(key, &build);
    if (set == nullptr && build) {
      internal::ScorerContext ctx(reader_.get(), options_.bm25);
      auto scorer = internal::CreateScorer(**filter, &ctx);
      auto built = std::make_shared<internal::DocSet>();
      std::vector<uint32_t> batch;
      for (uint32_t d = scorer->doc(); d != internal::kNoMoreDocs; d = scorer->Next()) {
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
      filter_cache_.Insert(key, std::move(built));
    }
    if (set == nullptr) return Status::Ok();
    auto node = std::make_unique<internal::Query>();
    node->kind = internal::Query::Kind::kDocSet;
    node->scored = false;
    node->surface = key.substr(1);  // Without the '#' (ToString adds it back).
    node->doc_set = std::move(set);
    *filter = std::move(node);
    return Status::Ok();
  }

  Result<SearchResponse> Search(const SearchRequest& req) const override {
    const auto start = std::chrono::steady_clock::now();
    if (req.max_expansions > 1000) {
      return Status::InvalidArgument("max_expansions must be at most 1000");
    }
    if (req.k > kMaxResultWindow || req.offset > kMaxResultWindow - req.k) {
      return Status::InvalidArgument("offset + k must be at most " +
                                     std::to_string(kMaxResultWindow) + " (got offset " +
                                     std::to_string(req.offset) + ", k " + std::to_string(req.k) + ")");
    }
    LIBSEARCH_RETURN_IF_ERROR(CheckHighlight(req));
    LIBSEARCH_RETURN_IF_ERROR(CheckRetrieve(req));
    if (!req.facets.empty() || !req.sort.empty() || !req.search_after.empty()) {
      std::vector<std::pair<uint32_t, std::string>> matched;
      LIBSEARCH_ASSIGN_OR_RETURN(SearchResponse resp, SearchVisitingAll(req, &matched));
      LIBSEARCH_RETURN_IF_ERROR(FetchHits(req, &resp, matched));
      // Facets and sort do not change whether a correction would match.
      if (resp.total == 0 && req.suggest && req.search_after.empty()) {
        resp.suggestion = Suggest(req);
      }
      resp.took_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                               std::chrono::steady_clock::now() - start)
                                               .count());
      return resp;
    }
    SearchResponse resp;
    std::vector<internal::ScoredDoc> best;
    std::vector<std::pair<uint32_t, std::string>> matched;
    const size_t keep = req.offset + req.k;
    if (TypoTiered(req) && keep > 0) {
      LIBSEARCH_RETURN_IF_ERROR(TieredTopK(req, keep, &resp, &best, &matched));
    } else {
      LIBSEARCH_ASSIGN_OR_RETURN(auto query, Parse(req));
      LIBSEARCH_RETURN_IF_ERROR(RunTopK(*query, req, keep, &resp, &best, &matched));
    }
    if (best.size() > req.offset) resp.hits.reserve(best.size() - req.offset);
    for (size_t i = req.offset; i < best.size(); ++i) {
      Hit hit;
      hit.doc = best[i].doc;
      hit.score = best[i].score;
      resp.hits.push_back(std::move(hit));
    }
    LIBSEARCH_RETURN_IF_ERROR(FetchHits(req, &resp, matched));
    if (resp.total == 0 && req.suggest && req.search_after.empty()) {
      resp.suggestion = Suggest(req);
    }
    resp.took_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                             std::chrono::steady_clock::now() - start)
                                             .count());
    return resp;
  }

  // Typo tiers apply to relevance order: with sort fields, those decide.
  static bool TypoTiered(const SearchRequest& req) { return req.typos && req.sort.empty(); }

  // Typo tiers in the top-k path: every doc that matches with no typo
  // ranks above every doc that needs one; within a tier, by the typo query's
  // score. Fast path: the typo query's own top keep * 2 (its fast union
  // path), checked for exact-tier docs in doc order; if at least `keep` of
  // them are exact-tier, they are the page (any exact-tier doc left out
  // ranks below all of them). Otherwise exact matches are rare (usually a
  // misspelling): the best of `typo query AND exact query` (cheap, led by
  // the rare exact terms), then the typo query's best of the rest.
  Status TieredTopK(const SearchRequest& req, size_t keep, SearchResponse* resp,
                    std::vector<internal::ScoredDoc>* best,
                    std::vector<std::pair<uint32_t, std::string>>* matched) const {
    LIBSEARCH_ASSIGN_OR_RETURN(auto full, Parse(req));
    std::vector<internal::ScoredDoc> top;
    LIBSEARCH_RETURN_IF_ERROR(RunTopK(*full, req, 2 * keep, resp, &top, matched));
    {
      std::vector<uint32_t> docs;
      for (const auto& sd : top) docs.push_back(sd.doc);
      std::sort(docs.begin(), docs.end());
      LIBSEARCH_ASSIGN_OR_RETURN(auto tier, ExactTier::Create(*this, req));
      std::set<uint32_t> exact_docs;
      for (uint32_t d : docs) {
        if (tier->At(d) == 0) exact_docs.insert(d);
      }
      if (tier->corrupt()) return CorruptPostings();
      if (exact_docs.size() >= keep) {
        best->clear();
        for (const auto& sd : top) {
          if (best->size() < keep && exact_docs.count(sd.doc)) best->push_back(sd);
        }
        return Status::Ok();
      }
    }
    SearchRequest exact = req;
    exact.typos = false;
    exact.filters.clear();  // `full` applies them.
    LIBSEARCH_ASSIGN_OR_RETURN(auto exact_query, Parse(exact));
    exact_query->scored = false;
    auto tier0 = std::make_unique<internal::Query>();
    tier0->kind = internal::Query::Kind::kBoolean;
    tier0->must.push_back(std::move(full));
    tier0->must.push_back(std::move(exact_query));
    SearchResponse tier0_resp;
    std::vector<internal::ScoredDoc> first;
    std::vector<std::pair<uint32_t, std::string>> unused;
    LIBSEARCH_RETURN_IF_ERROR(RunTopK(*tier0, req, keep, &tier0_resp, &first, &unused));
    // `first` is now the whole page, or every exact-tier doc. With
    // first.size() more, the typo query's best still fill the page once
    // those are taken out.
    LIBSEARCH_ASSIGN_OR_RETURN(full, Parse(req));
    LIBSEARCH_RETURN_IF_ERROR(RunTopK(*full, req, keep + first.size(), resp, best, matched));
    std::set<uint32_t> seen;
    for (const auto& sd : first) seen.insert(sd.doc);
    for (const auto& sd : *best) {
      if (first.size() >= keep) break;
      if (seen.count(sd.doc) == 0) first.push_back(sd);
    }
    *best = std::move(first);
    return Status::Ok();
  }

  // Top-`keep` of a query by score (best first, offset not applied), with
  // resp->total / total_exact, and the terms the query can match (the
  // request gives the count threshold and whether terms are wanted).
  Status RunTopK(const internal::Query& query, const SearchRequest& req, size_t keep,
                 SearchResponse* resp, std::vector<internal::ScoredDoc>* best,
                 std::vector<std::pair<uint32_t, std::string>>* matched) const {
    internal::ScorerContext ctx(reader_.get(), options_.bm25);
    ctx.set_collect_terms(!req.highlight.fields.empty());
    std::unique_ptr<internal::Scorer> scorer = internal::CreateScorer(query, &ctx);
    internal::TopK top(keep);
    resp->total = 0;
    resp->total_exact = true;
    if (top.k() == 0) {  // COUNT: never score.
      resp->total = internal::CountMatches(scorer.get(), reader_->num_docs());
    } else {
      // Exhaustive while counting, then block-max pruning from where it stopped.
      const uint64_t n = scorer->CollectTop(&top, req.total_hits_threshold);
      resp->total = std::min(n, req.total_hits_threshold);
      resp->total_exact = n <= req.total_hits_threshold;
    }
    if (ctx.corrupt()) return CorruptPostings();
    *best = top.Take();
    *matched = ctx.matched_terms();
    return Status::Ok();
  }

  // Fields to return must be stored.
  Status CheckRetrieve(const SearchRequest& req) const {
    for (const std::string& name : req.retrieve) {
      const auto f = reader_->schema().FieldIndex(name);
      if (!f || !reader_->schema().fields()[*f].stored) {
        return Status::InvalidArgument("retrieve: '" + name +
                                       "' is not a stored field (set \"stored\": true in the "
                                       "schema to return it)");
      }
    }
    return Status::Ok();
  }

  // The stored object with only the `retrieve` fields, in stored order.
  std::string Retrieve(const SearchRequest& req, const std::string& doc_json) const {
    const nlohmann::ordered_json doc = nlohmann::ordered_json::parse(doc_json, nullptr, false);
    if (!doc.is_object()) return doc_json;
    nlohmann::ordered_json kept = nlohmann::ordered_json::object();
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (std::find(req.retrieve.begin(), req.retrieve.end(), it.key()) != req.retrieve.end()) {
        kept[it.key()] = it.value();
      }
    }
    return kept.dump();
  }

  // Highlight fields must be stored text fields.
  Status CheckHighlight(const SearchRequest& req) const {
    for (const std::string& name : req.highlight.fields) {
      const auto f = reader_->schema().FieldIndex(name);
      if (!f || reader_->schema().fields()[*f].type != FieldType::kText ||
          !reader_->schema().fields()[*f].stored) {
        return Status::InvalidArgument("highlight: '" + name +
                                       "' is not a stored text field (set \"stored\": true in "
                                       "the schema to highlight it)");
      }
    }
    return Status::Ok();
  }

  // Ids, stored docs, highlights and the next-page cursor for resp->hits.
  // `matched` lists the (field, term) pairs the query can match.
  Status FetchHits(const SearchRequest& req, SearchResponse* resp,
                   const std::vector<std::pair<uint32_t, std::string>>& matched) const {
    std::vector<std::pair<std::string, std::set<std::string, std::less<>>>> hl;
    for (const std::string& name : req.highlight.fields) {
      const uint32_t f = static_cast<uint32_t>(*reader_->schema().FieldIndex(name));
      std::set<std::string, std::less<>> terms;
      for (const auto& [field, term] : matched) {
        if (field == f) terms.insert(term);
      }
      hl.emplace_back(name, std::move(terms));
    }
    if (req.include_ids) {
      std::vector<uint32_t> docs;
      for (const Hit& hit : resp->hits) docs.push_back(hit.doc);
      std::vector<std::string> ids = reader_->DocIds(docs);
      for (size_t i = 0; i < ids.size(); ++i) resp->hits[i].id = std::move(ids[i]);
    }
    for (Hit& hit : resp->hits) {
      if (!req.include_docs && hl.empty()) continue;
      auto doc = reader_->StoredDocument(hit.doc);
      if (!doc.ok()) return doc.status().WithContext("index '" + reader_->path() + "'");
      for (const auto& [name, terms] : hl) {
        const nlohmann::json j = nlohmann::json::parse(*doc, nullptr, false);
        if (terms.empty() || !j.is_object() || !j.contains(name)) continue;
        const nlohmann::json& v = j[name];
        const analysis::Analyzer& a = *analyzers_[*reader_->schema().FieldIndex(name)];
        for (const nlohmann::json& item : v.is_array() ? v : nlohmann::json::array({v})) {
          if (!item.is_string()) continue;
          std::string snippet = internal::Highlight(item.get<std::string>(), a, terms, req.highlight);
          if (!snippet.empty()) {
            hit.highlights.emplace_back(name, std::move(snippet));
            break;
          }
        }
      }
      if (req.include_docs) hit.doc_json = req.retrieve.empty() ? std::move(*doc) : Retrieve(req, *doc);
    }
    if (!resp->hits.empty()) {
      resp->next_cursor = internal::HitOrder::Cursor(resp->hits.back().doc, resp->hits.back().score);
    }
    return Status::Ok();
  }

  // The request's query and filters as one scorer tree, with its context.
  Status BuildScorer(const SearchRequest& req, std::unique_ptr<internal::Query>* query,
                     std::unique_ptr<internal::ScorerContext>* ctx,
                     std::unique_ptr<internal::Scorer>* scorer) const {
    LIBSEARCH_ASSIGN_OR_RETURN(*query, Parse(req));
    *ctx = std::make_unique<internal::ScorerContext>(reader_.get(),
                                                     options_.bm25);
    *scorer = internal::CreateScorer(**query, ctx->get());
    return Status::Ok();
  }

  Status CorruptPostings() const {
    return Status::Corruption("index '" + reader_->path() +
                              "': postings are damaged; run `libsearch verify` and rebuild");
  }

  // Sort orders, cursors and facets: every match is visited and scored, so
  // totals and facet counts are exact. Hits are left without ids and docs.
  Result<SearchResponse> SearchVisitingAll(
      const SearchRequest& req, std::vector<std::pair<uint32_t, std::string>>* matched) const {
    LIBSEARCH_ASSIGN_OR_RETURN(internal::HitOrder order,
                               internal::HitOrder::Create(*reader_, req.sort));
    bool has_cursor = false;
    std::pair<uint32_t, float> cursor;
    if (!req.search_after.empty()) {
      LIBSEARCH_ASSIGN_OR_RETURN(cursor, order.ParseCursor(req.search_after));
      has_cursor = true;
    }
    std::vector<internal::FacetCounter> counters;
    std::vector<int64_t> lift(req.facets.size(), -1);  // Field to lift, per facet.
    for (size_t i = 0; i < req.facets.size(); ++i) {
      auto c = internal::FacetCounter::Create(*reader_, req.facets[i]);
      if (!c.ok()) return c.status();
      counters.push_back(std::move(*c));
      if (req.facets[i].disjunctive) lift[i] = *reader_->schema().FieldIndex(req.facets[i].field);
    }
    LIBSEARCH_ASSIGN_OR_RETURN(auto query, Parse(req));
    internal::ScorerContext ctx(reader_.get(), options_.bm25);
    ctx.set_visit_all(true);
    ctx.set_collect_terms(!req.highlight.fields.empty());
    std::unique_ptr<internal::Scorer> scorer = internal::CreateScorer(*query, &ctx);
    const size_t keep = req.offset + req.k;
    // Typo tiers (relevance order only): 0 if the doc matches the query
    // without typos, 1 if it needs one. Lower tiers rank first.
    std::unique_ptr<ExactTier> tiers, cursor_tier;
    uint32_t cursor_tier_value = 0;
    if (TypoTiered(req) && keep > 0) {
      LIBSEARCH_ASSIGN_OR_RETURN(tiers, ExactTier::Create(*this, req));
      if (has_cursor) {
        LIBSEARCH_ASSIGN_OR_RETURN(cursor_tier, ExactTier::Create(*this, req));
        cursor_tier_value = cursor_tier->At(cursor.first);
      }
    }
    struct Entry {
      float score;
      uint32_t doc;
      uint32_t tier;
    };
    auto before = [&order](const Entry& a, const Entry& b) {
      if (a.tier != b.tier) return a.tier < b.tier;
      return order.Before(a.doc, a.score, b.doc, b.score);
    };
    const auto worse = before;  // Heap front = worst kept.
    std::vector<Entry> heap;
    SearchResponse resp;
    for (uint32_t d = scorer->doc(); d != internal::kNoMoreDocs; d = scorer->Next()) {
      ++resp.total;
      for (size_t i = 0; i < counters.size(); ++i) {
        if (lift[i] < 0) counters[i].Add(d);
      }
      if (keep == 0) continue;
      // Sort values alone often settle it: then the doc is never scored.
      if (has_cursor && order.CompareUnscored(d, cursor.first) < 0) continue;
      if (heap.size() == keep && order.CompareUnscored(heap.front().doc, d) < 0) continue;
      const Entry e{scorer->Score(), d, tiers ? tiers->At(d) : 0};
      if (has_cursor && !before({cursor.second, cursor.first, cursor_tier_value}, e)) continue;
      if (heap.size() < keep) {
        heap.push_back(e);
        std::push_heap(heap.begin(), heap.end(), worse);
      } else if (before(e, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), worse);
        heap.back() = e;
        std::push_heap(heap.begin(), heap.end(), worse);
      }
    }
    if (tiers && tiers->corrupt()) return CorruptPostings();
    if (ctx.corrupt()) return CorruptPostings();
    *matched = ctx.matched_terms();
    // Disjunctive facets whose field is filtered get a pass of their own
    // with those filters lifted; the others were counted above.
    for (size_t i = 0; i < counters.size(); ++i) {
      if (lift[i] < 0) continue;
      LIBSEARCH_ASSIGN_OR_RETURN(auto lifted, Parse(req, lift[i]));
      internal::ScorerContext lctx(reader_.get(), options_.bm25);
      lctx.set_visit_all(true);
      auto s = internal::CreateScorer(*lifted, &lctx);
      for (uint32_t d = s->doc(); d != internal::kNoMoreDocs; d = s->Next()) counters[i].Add(d);
      if (lctx.corrupt()) return CorruptPostings();
    }
    for (const internal::FacetCounter& c : counters) {
      LIBSEARCH_ASSIGN_OR_RETURN(FacetResult f, c.Finish());
      resp.facets.push_back(std::move(f));
    }
    std::sort(heap.begin(), heap.end(), before);
    for (size_t i = req.offset; i < heap.size(); ++i) {
      Hit hit;
      hit.doc = heap[i].doc;
      hit.score = heap[i].score;
      resp.hits.push_back(std::move(hit));
    }
    return resp;
  }

  // "Did you mean": each bare word of the query that is not in any default
  // field's dictionary is replaced by the closest, most frequent term within
  // two edits across those fields (the typed word, unstemmed, against the
  // terms, which are stems), shown as a word of the stored text
  // (SurfaceForm: "strawberri" -> "strawberries").
  // Offered only if the corrected query matches something.
  // A word as people write it for the index term `term` (ordinal `ord` of
  // field f), since terms are stems ("strawberri"): candidates are the
  // folded, unstemmed forms of its occurrences in the stored text of the
  // first few docs that hold it, and the term itself. The one whose own
  // analysis finds the most docs wins (a rare term can be a common word's
  // misspelling: "chocolate" is the stem of "chocolatees" but analyses to
  // "chocol"); ties go to a stored form, then the shortest.
  std::string SurfaceForm(uint32_t f, uint32_t ord, const std::string& term) const {
    const internal::FieldReader* field = reader_->field(f);
    const std::string& name = reader_->schema().fields()[f].name;
    std::vector<std::string> candidates;
    if (reader_->schema().fields()[f].stored) {
      internal::PostingsCursor cursor(&field->postings, field->Term(ord));
      std::vector<analysis::Token> tokens;
      for (int n = 0; n < 3 && cursor.doc() != internal::kNoMoreDocs; ++n, cursor.Next()) {
        auto doc = reader_->StoredDocument(cursor.doc());
        if (!doc.ok()) break;
        const nlohmann::json j = nlohmann::json::parse(*doc, nullptr, false);
        if (!j.is_object() || !j.contains(name)) continue;
        const nlohmann::json& v = j[name];
        bool found = false;
        for (const nlohmann::json& item : v.is_array() ? v : nlohmann::json::array({v})) {
          if (!item.is_string() || found) continue;
          const std::string text = item.get<std::string>();
          tokens.clear();
          analyzers_[f]->Analyze(text, &tokens, 0);
          for (const analysis::Token& t : tokens) {
            if (t.term != term || t.joined) continue;
            const std::vector<std::string> surface =
                surface_analyzers_[f]->Terms(text.substr(t.start, t.end - t.start));
            if (surface.size() == 1) candidates.push_back(surface[0]);
            found = true;
            break;
          }
        }
      }
    }
    candidates.push_back(term);  // Last: ties prefer a stored form.
    std::string best;
    int64_t best_df = -1;
    for (const std::string& c : candidates) {
      const std::vector<std::string> terms = analyzers_[f]->Terms(c);
      int64_t df = 0;
      if (terms.size() == 1) {
        if (const auto o = field->dict.Find(terms[0])) df = field->DocFreq(*o);
      }
      if (df > best_df || (df == best_df && c.size() < best.size() && &c != &candidates.back())) {
        best = c;
        best_df = df;
      }
    }
    return best;
  }

  std::string Suggest(const SearchRequest& req) const {
    std::string out;
    bool changed = false;
    size_t i = 0;
    const std::string& q = req.query;
    while (i < q.size()) {
      const size_t start = q.find_first_not_of(" \t", i);
      if (start == std::string::npos) break;
      const size_t end = std::min(q.find_first_of(" \t", start), q.size());
      std::string word = q.substr(start, end - start);
      i = end;
      if (!out.empty()) out += ' ';
      const bool plain = word.find_first_of(":\"()+-") == std::string::npos && word != "OR" &&
                         word != "AND" && word != "NOT";
      if (plain) {
        std::string best;
        uint32_t best_edits = 3, best_df = 0, best_field = 0, best_ord = 0;
        bool known = false;
        for (uint32_t f : default_fields_) {
          const internal::FieldReader* field = reader_->field(f);
          if (field == nullptr) continue;
          const std::vector<std::string> terms = analyzers_[f]->Terms(word);
          if (terms.size() != 1) continue;
          if (field->dict.Find(terms[0])) {
            known = true;
            break;
          }
          const std::vector<std::string> surface = surface_analyzers_[f]->Terms(word);
          for (const auto& e : internal::FuzzyTerms(*field, surface[0], 2, true, 1)) {
            const uint32_t df = field->DocFreq(e.ord);
            if (e.edits < best_edits || (e.edits == best_edits && df > best_df)) {
              std::vector<std::string> t;
              if (!field->dict.Terms(e.ord, 1, &t).ok()) continue;
              best = t[0];
              best_edits = e.edits;
              best_df = df;
              best_field = f;
              best_ord = e.ord;
            }
          }
        }
        if (!known && !best.empty()) {
          word = SurfaceForm(best_field, best_ord, best);
          changed = true;
        }
      }
      out += word;
    }
    if (!changed) return "";
    SearchRequest check = req;
    check.query = out;
    check.k = 0;
    check.typos = false;
    check.suggest = false;  // The check must not suggest in turn.
    auto r = Search(check);
    return r.ok() && r->total > 0 ? out : "";
  }

  Result<std::string> ExplainQuery(const SearchRequest& req) const override {
    LIBSEARCH_ASSIGN_OR_RETURN(auto query, Parse(req));
    return query->ToString(reader_->schema());
  }

  Result<std::string> StoredDocument(uint32_t doc) const override {
    return reader_->StoredDocument(doc);
  }

  const Schema& schema() const override { return reader_->schema(); }
  uint64_t num_docs() const override { return reader_->num_docs(); }

  IndexInfo Info() const override {
    IndexInfo info;
    info.path = reader_->path();
    info.format_major = reader_->header().format_major;
    info.format_minor = reader_->header().format_minor;
    info.num_docs = reader_->num_docs();
    info.file_bytes = reader_->file_size();
    info.id_field = reader_->schema().id_field();
    const auto& fields = reader_->schema().fields();
    for (size_t f = 0; f < fields.size(); ++f) {
      FieldInfo fi;
      fi.name = fields[f].name;
      fi.type = fields[f].type;
      fi.stored = fields[f].stored;
      if (const internal::FieldReader* r = reader_->field(f)) {
        fi.indexed = true;
        fi.doc_count = r->stats.doc_count;
        fi.num_terms = r->stats.num_terms;
        fi.total_terms = r->stats.sum_total_tf;
      } else if (const internal::NumericColumn* c = reader_->numeric(f)) {
        const internal::NumericSummary n = internal::SummarizeNumeric(*c, reader_->num_docs());
        fi.doc_count = n.docs;
        fi.min_value = n.min;
        fi.max_value = n.max;
      }
      info.fields.push_back(std::move(fi));
    }
    for (const internal::SectionEntry& e : reader_->sections()) {
      SectionInfo si;
      si.kind = std::string(internal::SectionKindName(internal::SectionKind(e.kind)));
      const uint32_t f = e.field & ~internal::kPrefixFieldBit;
      if (e.field != internal::kNoField && f < fields.size()) {
        si.field = fields[f].name + (e.field & internal::kPrefixFieldBit ? " (prefixes)" : "");
      }
      si.offset = e.offset;
      si.bytes = e.length;
      info.sections.push_back(std::move(si));
    }
    return info;
  }

  Status Verify() const override { return reader_->Verify(); }

 private:
  std::unique_ptr<internal::IndexReader> reader_;
  OpenOptions options_;
  std::vector<std::unique_ptr<analysis::Analyzer>> owned_;
  std::vector<const analysis::Analyzer*> analyzers_;
  std::vector<const analysis::Analyzer*> surface_analyzers_;
  internal::SynonymMap synonyms_;
  const analysis::Analyzer* synonym_analyzer_ = nullptr;
  mutable internal::FilterCache filter_cache_;
  std::vector<uint32_t> default_fields_;
};

Result<std::unique_ptr<ExactTier>> ExactTier::Create(const IndexImpl& index,
                                                     const SearchRequest& req) {
  SearchRequest exact = req;
  exact.typos = false;
  exact.filters.clear();  // Asked only about docs that pass them.
  auto tier = std::make_unique<ExactTier>();
  LIBSEARCH_RETURN_IF_ERROR(index.BuildScorer(exact, &tier->query_, &tier->ctx_, &tier->scorer_));
  return tier;
}

}  // namespace

Result<std::unique_ptr<Index>> Index::Open(const std::string& path, const OpenOptions& options) {
  LIBSEARCH_RETURN_IF_ERROR(ValidateBm25Params(options.bm25));
  LIBSEARCH_ASSIGN_OR_RETURN(auto reader, internal::IndexReader::Open(path));
  if (options.verify_checksums) LIBSEARCH_RETURN_IF_ERROR(reader->Verify());
  auto index = std::make_unique<IndexImpl>(std::move(reader), options);
  LIBSEARCH_RETURN_IF_ERROR(index->Init());
  return std::unique_ptr<Index>(std::move(index));
}

Result<std::vector<std::vector<std::string>>> LoadSynonyms(const std::string& path) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto reader, internal::LineReader::Open(path));
  std::vector<std::vector<std::string>> groups;
  std::string line;
  size_t line_no = 0;
  while (reader->Next(&line)) {
    ++line_no;
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::vector<std::string> group;
    size_t start = 0;
    while (start <= line.size()) {
      size_t comma = line.find(',', start);
      if (comma == std::string::npos) comma = line.size();
      std::string alt = line.substr(start, comma - start);
      alt.erase(0, alt.find_first_not_of(" \t"));
      alt.erase(alt.find_last_not_of(" \t") + 1);
      if (!alt.empty()) group.push_back(std::move(alt));
      start = comma + 1;
    }
    if (group.size() < 2) {
      return Status::InvalidArgument(path + ":" + std::to_string(line_no) +
                                     ": a synonym group needs at least two alternatives "
                                     "separated by commas (\"tv, television\")");
    }
    groups.push_back(std::move(group));
  }
  LIBSEARCH_RETURN_IF_ERROR(reader->status());
  return groups;
}

std::vector<Result<SearchResponse>> Index::SearchBatch(
    const std::vector<SearchRequest>& requests) const {
  std::vector<Result<SearchResponse>> out;
  out.reserve(requests.size());
  for (const SearchRequest& r : requests) out.push_back(Search(r));
  return out;
}

const char* Version() { return LIBSEARCH_VERSION_STRING; }

}  // namespace libsearch
