#include "search/shard_protocol.h"

#include <chrono>
#include <cmath>
#include <exception>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "libsearch/fan_out.h"
#include "libsearch/json.h"
#include "util/json_parse.h"
#include "util/request_names.h"

namespace libsearch {
namespace internal {
namespace {

using Json = nlohmann::json;

constexpr uint64_t kProtocolVersion = 1;
// Shard requests are written by a coordinator: deeper than a search
// request (facet ranges, positions), never deeper than this.
constexpr int kMaxDepth = 8;

const char* PhaseName(ShardPhase p) {
  switch (p) {
    case ShardPhase::kSearch: return "search";
    case ShardPhase::kLocate: return "locate";
    case ShardPhase::kInfo: return "info";
    case ShardPhase::kDocument: return "document";
    case ShardPhase::kExplain: return "explain";
  }
  return "search";
}

ShardPhase PhaseOf(const std::string& name) {
  if (name == "search") return ShardPhase::kSearch;
  if (name == "locate") return ShardPhase::kLocate;
  if (name == "info") return ShardPhase::kInfo;
  if (name == "document") return ShardPhase::kDocument;
  if (name == "explain") return ShardPhase::kExplain;
  throw std::invalid_argument("unknown phase '" + name + "'");
}

// An infinite range end as null (JSON has no infinity).
Json Bound(double v) { return std::isinf(v) ? Json(nullptr) : Json(v); }
double BoundOf(const Json& j, double infinite) { return j.is_null() ? infinite : j.get<double>(); }

Json RequestToJson(const SearchRequest& r) {
  Json facets = Json::array();
  for (const FacetRequest& f : r.facets) {
    Json ranges = Json::array();
    for (const FacetRequest::Range& range : f.ranges) {
      ranges.push_back(
          {{"label", range.label}, {"from", Bound(range.from)}, {"to", Bound(range.to)}});
    }
    facets.push_back(
        {{"field", f.field}, {"size", f.size}, {"disjunctive", f.disjunctive}, {"ranges", ranges}});
  }
  Json sort = Json::array();
  for (const SortField& s : r.sort) sort.push_back({{"field", s.field}, {"desc", s.descending}});
  return Json{{"query", r.query},
              {"k", r.k},
              {"offset", r.offset},
              {"filters", r.filters},
              {"prefix_last", r.prefix_last},
              {"typos", r.typos},
              {"suggest", r.suggest},
              {"max_expansions", r.max_expansions},
              {"syntax", r.syntax == QuerySyntax::kFull ? "full" : "simple"},
              {"synonyms", r.synonyms},
              {"fields", r.fields},
              {"field_scoring", FieldScoringName(r.field_scoring)},
              {"operator", r.default_operator == Operator::kOr ? "or" : "and"},
              {"include_docs", r.include_docs},
              {"retrieve", r.retrieve},
              {"include_ids", r.include_ids},
              {"total_hits_threshold", r.total_hits_threshold},
              {"facets", std::move(facets)},
              {"sort", std::move(sort)},
              {"highlight",
               {{"fields", r.highlight.fields},
                {"pre_tag", r.highlight.pre_tag},
                {"post_tag", r.highlight.post_tag},
                {"fragment_bytes", r.highlight.fragment_bytes}}},
              {"search_after", r.search_after},
              {"allow_partial_results", r.allow_partial_results}};
}

// Throws (nlohmann's type errors, std::invalid_argument) on anything wrong.
SearchRequest RequestFromJson(const Json& j) {
  SearchRequest r;
  r.query = j.at("query").get<std::string>();
  r.k = j.at("k").get<size_t>();
  r.offset = j.at("offset").get<size_t>();
  r.filters = j.at("filters").get<std::vector<std::string>>();
  r.prefix_last = j.at("prefix_last").get<bool>();
  r.typos = j.at("typos").get<bool>();
  r.suggest = j.at("suggest").get<bool>();
  r.max_expansions = j.at("max_expansions").get<uint32_t>();
  const std::string syntax = j.at("syntax").get<std::string>();
  if (syntax != "simple" && syntax != "full") throw std::invalid_argument("bad syntax");
  r.syntax = syntax == "full" ? QuerySyntax::kFull : QuerySyntax::kSimple;
  r.synonyms = j.at("synonyms").get<bool>();
  r.fields = j.at("fields").get<std::vector<std::string>>();
  const auto scoring = FieldScoringFromName(j.at("field_scoring").get<std::string>());
  if (!scoring) throw std::invalid_argument("bad scoring");
  r.field_scoring = *scoring;
  const std::string op = j.at("operator").get<std::string>();
  if (op != "and" && op != "or") throw std::invalid_argument("bad operator");
  r.default_operator = op == "or" ? Operator::kOr : Operator::kAnd;
  r.include_docs = j.at("include_docs").get<bool>();
  r.retrieve = j.at("retrieve").get<std::vector<std::string>>();
  r.include_ids = j.at("include_ids").get<bool>();
  r.total_hits_threshold = j.at("total_hits_threshold").get<uint64_t>();
  for (const Json& f : j.at("facets")) {
    FacetRequest fr;
    fr.field = f.at("field").get<std::string>();
    fr.size = f.at("size").get<size_t>();
    fr.disjunctive = f.at("disjunctive").get<bool>();
    for (const Json& range : f.at("ranges")) {
      FacetRequest::Range rr;
      rr.label = range.at("label").get<std::string>();
      rr.from = BoundOf(range.at("from"), -std::numeric_limits<double>::infinity());
      rr.to = BoundOf(range.at("to"), std::numeric_limits<double>::infinity());
      fr.ranges.push_back(std::move(rr));
    }
    r.facets.push_back(std::move(fr));
  }
  for (const Json& s : j.at("sort")) {
    r.sort.push_back({s.at("field").get<std::string>(), s.at("desc").get<bool>()});
  }
  const Json& h = j.at("highlight");
  r.highlight.fields = h.at("fields").get<std::vector<std::string>>();
  r.highlight.pre_tag = h.at("pre_tag").get<std::string>();
  r.highlight.post_tag = h.at("post_tag").get<std::string>();
  r.highlight.fragment_bytes = h.at("fragment_bytes").get<size_t>();
  r.search_after = j.at("search_after").get<std::string>();
  r.allow_partial_results = j.at("allow_partial_results").get<bool>();
  return r;
}

// A sort value: null (none), or [text, number] (keyword values are text,
// numbers numbers; both kept, so comparisons are SortKeysOrder's).
Json ValuesToJson(const std::vector<HitOrder::Portable>& values) {
  Json out = Json::array();
  for (const HitOrder::Portable& v : values) {
    out.push_back(v.has ? Json::array({v.text, v.number}) : Json(nullptr));
  }
  return out;
}

std::vector<HitOrder::Portable> ValuesFromJson(const Json& j) {
  std::vector<HitOrder::Portable> out;
  for (const Json& v : j) {
    HitOrder::Portable p;
    if (!v.is_null()) {
      p.has = true;
      p.text = v.at(0).get<std::string>();
      p.number = v.at(1).get<double>();
    }
    out.push_back(std::move(p));
  }
  return out;
}

Json PositionToJson(const ShardPosition& p) {
  return Json{
      {"seq", p.seq}, {"score", p.score}, {"tier", p.tier}, {"values", ValuesToJson(p.values)}};
}

ShardPosition PositionFromJson(const Json& j) {
  ShardPosition p;
  p.seq = j.at("seq").get<uint64_t>();
  p.score = static_cast<float>(j.at("score").get<double>());
  p.tier = j.at("tier").get<uint32_t>();
  p.values = ValuesFromJson(j.at("values"));
  return p;
}

Json ResultToJson(const ShardResult& r) {
  Json hits = Json::array();
  for (const ShardHit& h : r.hits) {
    Json highlights = Json::array();
    for (const auto& [field, snippet] : h.hit.highlights) highlights.push_back({field, snippet});
    hits.push_back({{"id", h.hit.id},
                    {"seq", h.seq},
                    {"score", h.score},
                    {"tier", h.tier},
                    {"keys", ValuesToJson(h.keys)},
                    {"doc", h.hit.doc_json},
                    {"highlights", std::move(highlights)}});
  }
  Json facets = Json::array();
  for (const FacetResult& f : r.facets) {
    Json values = Json::array();
    for (const FacetValue& v : f.values) values.push_back({v.value, v.count});
    facets.push_back({{"field", f.field}, {"values", std::move(values)}});
  }
  return Json{{"total", r.total},           {"total_exact", r.total_exact},
              {"hits", std::move(hits)},    {"facets", std::move(facets)},
              {"suggestion", r.suggestion}, {"suggest_below", r.suggest_below}};
}

ShardResult ResultFromJson(const Json& j) {
  ShardResult r;
  r.total = j.at("total").get<uint64_t>();
  r.total_exact = j.at("total_exact").get<bool>();
  for (const Json& h : j.at("hits")) {
    ShardHit hit;
    hit.seq = h.at("seq").get<uint64_t>();
    hit.score = static_cast<float>(h.at("score").get<double>());
    hit.tier = h.at("tier").get<uint32_t>();
    hit.keys = ValuesFromJson(h.at("keys"));
    hit.hit.id = h.at("id").get<std::string>();
    hit.hit.doc = static_cast<uint32_t>(hit.seq);
    hit.hit.score = hit.score;
    hit.hit.doc_json = h.at("doc").get<std::string>();
    for (const Json& hl : h.at("highlights")) {
      hit.hit.highlights.emplace_back(hl.at(0).get<std::string>(), hl.at(1).get<std::string>());
    }
    r.hits.push_back(std::move(hit));
  }
  for (const Json& f : j.at("facets")) {
    FacetResult fr;
    fr.field = f.at("field").get<std::string>();
    for (const Json& v : f.at("values")) {
      fr.values.push_back({v.at(0).get<std::string>(), v.at(1).get<uint64_t>()});
    }
    r.facets.push_back(std::move(fr));
  }
  r.suggestion = j.at("suggestion").get<std::string>();
  r.suggest_below = j.at("suggest_below").get<double>();
  return r;
}

Status Malformed(std::string_view what, const std::exception& e) {
  return Status::InvalidArgument(std::string(what) + " is malformed: " + e.what());
}

}  // namespace

StatusCode StatusCodeOfName(std::string_view code) {
  for (StatusCode c :
       {StatusCode::kInvalidArgument, StatusCode::kNotFound, StatusCode::kCorruption,
        StatusCode::kIOError, StatusCode::kUnimplemented, StatusCode::kResourceExhausted,
        StatusCode::kInternal, StatusCode::kAborted, StatusCode::kUnavailable}) {
    if (ErrorCodeName(c) == code) return c;
  }
  return StatusCode::kInternal;
}

std::string EncodeShardRequest(const ShardRequest& request) {
  Json body{{"version", kProtocolVersion}, {"phase", PhaseName(request.phase)}};
  if (request.phase == ShardPhase::kSearch || request.phase == ShardPhase::kLocate ||
      request.phase == ShardPhase::kExplain) {
    body["search"] = RequestToJson(request.search);
  }
  if (request.after) body["after"] = PositionToJson(*request.after);
  if (request.phase == ShardPhase::kDocument) body["doc"] = request.doc;
  return Json{{"shard_request", std::move(body)}}.dump();
}

Result<ShardRequest> DecodeShardRequest(std::string_view json) {
  Json j;
  LIBSEARCH_RETURN_IF_ERROR(ParseJson(json, "shard request", kMaxDepth, &j));
  try {
    const Json& body = j.at("shard_request");
    if (body.at("version").get<uint64_t>() != kProtocolVersion) {
      return Status::InvalidArgument("shard request version " + body.at("version").dump() +
                                     " is not this libsearch's (" +
                                     std::to_string(kProtocolVersion) +
                                     "): run the same libsearch in the coordinator and shards");
    }
    ShardRequest r;
    r.phase = PhaseOf(body.at("phase").get<std::string>());
    if (r.phase == ShardPhase::kSearch || r.phase == ShardPhase::kLocate ||
        r.phase == ShardPhase::kExplain) {
      r.search = RequestFromJson(body.at("search"));
    }
    if (body.contains("after")) r.after = PositionFromJson(body.at("after"));
    if (body.contains("doc")) r.doc = body.at("doc").get<uint32_t>();
    return r;
  } catch (const std::exception& e) {
    return Malformed("shard request", e);
  }
}

std::string EncodeShardReply(const ShardReply& reply) {
  Json body{{"version", kProtocolVersion},    {"phase", PhaseName(reply.phase)},
            {"generation", reply.generation}, {"num_shards", reply.num_shards},
            {"shards", reply.shards},         {"took_us", reply.took_us}};
  switch (reply.phase) {
    case ShardPhase::kSearch: body["result"] = ResultToJson(reply.result); break;
    case ShardPhase::kLocate:
      body["position"] = reply.position ? PositionToJson(*reply.position) : Json(nullptr);
      break;
    case ShardPhase::kInfo:
      body["schema"] = reply.schema_json;
      body["num_docs"] = reply.num_docs;
      break;
    case ShardPhase::kDocument:
    case ShardPhase::kExplain: body["text"] = reply.text ? Json(*reply.text) : Json(nullptr); break;
  }
  return Json{{"shard_reply", std::move(body)}}.dump();
}

Result<ShardReply> DecodeShardReply(std::string_view json) {
  Json j;
  // Replies hold stored documents as strings: the depth is the protocol's.
  Status parsed = ParseJson(json, "shard reply", kMaxDepth, &j);
  if (!parsed.ok()) return Status::IOError(parsed.message());
  try {
    if (j.is_object() && j.contains("error") && j["error"].is_object()) {
      const Json& e = j["error"];
      return Status(StatusCodeOfName(e.value("code", "internal")), e.value("message", ""));
    }
    if (!j.is_object() || !j.contains("shard_reply")) {
      return Status::IOError("not a shard reply: " + JsonExcerpt(j, 200));
    }
    const Json& body = j.at("shard_reply");
    if (body.at("version").get<uint64_t>() != kProtocolVersion) {
      return Status::IOError("shard reply version " + body.at("version").dump() +
                             " is not this libsearch's: run the same libsearch in the "
                             "coordinator and shards");
    }
    ShardReply r;
    r.phase = PhaseOf(body.at("phase").get<std::string>());
    r.generation = body.at("generation").get<uint64_t>();
    r.num_shards = body.at("num_shards").get<uint32_t>();
    r.shards = body.at("shards").get<std::vector<uint32_t>>();
    r.took_us = body.value("took_us", uint64_t{0});
    switch (r.phase) {
      case ShardPhase::kSearch: r.result = ResultFromJson(body.at("result")); break;
      case ShardPhase::kLocate:
        if (!body.at("position").is_null()) r.position = PositionFromJson(body.at("position"));
        break;
      case ShardPhase::kInfo:
        r.schema_json = body.at("schema").get<std::string>();
        r.num_docs = body.at("num_docs").get<uint64_t>();
        break;
      case ShardPhase::kDocument:
      case ShardPhase::kExplain:
        if (!body.at("text").is_null()) r.text = body.at("text").get<std::string>();
        break;
    }
    r.result.generation = r.generation;
    return r;
  } catch (const std::exception& e) {
    return Status::IOError(std::string("shard reply is malformed: ") + e.what());
  }
}

}  // namespace internal

bool IsShardRequest(std::string_view json) {
  // A cheap look first: most events are searches.
  if (json.find("\"shard_request\"") == std::string_view::npos) return false;
  nlohmann::json j;
  if (!internal::ParseJson(json, "event", internal::kMaxJsonDepth, &j).ok()) return false;
  return j.is_object() && j.contains("shard_request");
}

JsonReply HandleShardRequest(const Index& index, std::string_view request_json) {
  using internal::ShardPhase;
  const auto start = std::chrono::steady_clock::now();
  try {
    const auto* sharded = dynamic_cast<const internal::ShardedIndexImpl*>(&index);
    if (sharded == nullptr) {
      return ErrorReply(400, "invalid_argument",
                        "a shard request needs a sharded index (a shard map opened with "
                        "OpenOptions::shards); this function serves another kind of index");
    }
    Result<internal::ShardRequest> req = internal::DecodeShardRequest(request_json);
    if (!req.ok()) return ErrorReply(400, "invalid_argument", req.status().message());
    internal::ShardReply reply;
    reply.phase = req->phase;
    reply.generation = sharded->generation();
    reply.num_shards = sharded->num_shards();
    reply.shards = sharded->served();
    Status status;
    switch (req->phase) {
      case ShardPhase::kSearch: {
        auto r = sharded->SearchShards(req->search, req->after ? &*req->after : nullptr);
        if (r.ok()) reply.result = std::move(*r);
        status = r.status();
        break;
      }
      case ShardPhase::kLocate: {
        auto r = sharded->Locate(req->search);
        if (r.ok()) reply.position = std::move(*r);
        status = r.status();
        break;
      }
      case ShardPhase::kInfo:
        reply.schema_json = sharded->schema().ToJson();
        reply.num_docs = sharded->num_docs();
        break;
      case ShardPhase::kDocument: {
        auto r = sharded->StoredDocument(req->doc);
        if (r.ok()) {
          reply.text = std::move(*r);
        } else if (r.status().code() != StatusCode::kNotFound) {
          status = r.status();
        }
        break;
      }
      case ShardPhase::kExplain: {
        auto r = sharded->ExplainQuery(req->search);
        if (r.ok()) reply.text = std::move(*r);
        status = r.status();
        break;
      }
    }
    if (!status.ok()) {
      return ErrorReply(HttpStatusOf(status.code()), ErrorCodeName(status.code()),
                        status.message());
    }
    reply.took_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now() - start)
                                              .count());
    return {200, internal::EncodeShardReply(reply)};
  } catch (const std::exception& e) {
    return ErrorReply(500, "internal", std::string("shard request failed: ") + e.what());
  }
}

}  // namespace libsearch
