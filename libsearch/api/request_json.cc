// The JSON request model (libsearch/json.h): request objects, facet and sort
// specs. Every surface parses requests here, so a key means the same thing,
// and fails with the same message, everywhere.
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/json_text.h"
#include "libsearch/json.h"
#include "util/json_parse.h"
#include "util/request_names.h"

namespace libsearch {
namespace {

using Json = nlohmann::ordered_json;

std::string Num(uint64_t v) { return std::to_string(v); }

Status Invalid(std::string message) { return Status::InvalidArgument(std::move(message)); }

// A string, or an array of strings, of at most limits' items and bytes.
Status StringList(const Json& value, std::string_view key, const JsonLimits& limits,
                  std::vector<std::string>* out) {
  out->clear();
  const std::string shape = std::string(key) + " must be a string or an array of strings";
  if (value.is_string()) {
    out->push_back(value.get<std::string>());
  } else if (value.is_array()) {
    if (value.size() > limits.max_list_items) {
      return Invalid(std::string(key) + " has " + Num(value.size()) + " entries; the limit is " +
                     Num(limits.max_list_items));
    }
    for (const Json& item : value) {
      if (!item.is_string()) return Invalid(shape);
      out->push_back(item.get<std::string>());
    }
  } else {
    return Invalid(shape);
  }
  for (size_t i = 0; i < out->size(); ++i) {
    if ((*out)[i].size() > limits.max_item_bytes) {
      return Invalid(std::string(key) + " entry " + Num(i + 1) + " is " + Num((*out)[i].size()) +
                     " bytes; the limit is " + Num(limits.max_item_bytes));
    }
  }
  return Status::Ok();
}

// An integer in [lo, hi]; 10.0 or "10" are not integers.
Status Bounded(const Json& value, std::string_view key, uint64_t lo, uint64_t hi, uint64_t* out) {
  Status error =
      Invalid(std::string(key) + " must be an integer from " + Num(lo) + " to " + Num(hi));
  if (!value.is_number_integer()) return error;
  if (value.is_number_unsigned()) {
    *out = value.get<uint64_t>();
  } else {
    const int64_t v = value.get<int64_t>();
    if (v < 0) return error;
    *out = static_cast<uint64_t>(v);
  }
  return *out < lo || *out > hi ? error : Status::Ok();
}

Status Flag(const Json& value, std::string_view key, bool* out) {
  if (!value.is_boolean()) return Invalid(std::string(key) + " must be true or false");
  *out = value.get<bool>();
  return Status::Ok();
}

Status OneOf(const Json& value, std::string_view key, std::string_view a, std::string_view b,
             bool* is_a) {
  if (value.is_string() && (value.get<std::string>() == a || value.get<std::string>() == b)) {
    *is_a = value.get<std::string>() == a;
    return Status::Ok();
  }
  return Invalid(std::string(key) + " must be \"" + std::string(a) + "\" or \"" + std::string(b) +
                 "\"");
}

Status ShortString(const Json& value, std::string_view key, size_t max_bytes, std::string* out) {
  if (!value.is_string()) return Invalid(std::string(key) + " must be a string");
  *out = value.get<std::string>();
  if (out->size() > max_bytes) {
    return Invalid(std::string(key) + " is " + Num(out->size()) + " bytes; the limit is " +
                   Num(max_bytes));
  }
  return Status::Ok();
}

// "highlight": a field name, a list of them, or {"fields", "pre_tag",
// "post_tag", "fragment_bytes"}.
Status Highlight(const Json& value, const JsonLimits& limits, HighlightOptions* out) {
  *out = HighlightOptions();
  if (!value.is_object()) return StringList(value, "highlight", limits, &out->fields);
  for (auto it = value.begin(); it != value.end(); ++it) {
    const std::string& key = it.key();
    if (key == "fields") {
      LIBSEARCH_RETURN_IF_ERROR(StringList(*it, "highlight.fields", limits, &out->fields));
    } else if (key == "pre_tag") {
      LIBSEARCH_RETURN_IF_ERROR(ShortString(*it, "highlight.pre_tag", 64, &out->pre_tag));
    } else if (key == "post_tag") {
      LIBSEARCH_RETURN_IF_ERROR(ShortString(*it, "highlight.post_tag", 64, &out->post_tag));
    } else if (key == "fragment_bytes") {
      uint64_t n = 0;
      LIBSEARCH_RETURN_IF_ERROR(Bounded(*it, "highlight.fragment_bytes", 16, 4096, &n));
      out->fragment_bytes = static_cast<size_t>(n);
    } else {
      return Invalid("unknown key " + JsonQuote(key) +
                     " in highlight; known keys: fields, pre_tag, post_tag, fragment_bytes");
    }
  }
  return Status::Ok();
}

// One end of a facet range: a finite number, or "*" / nothing for open.
Status RangeEnd(std::string_view text, std::string_view spec, double open, double* out) {
  if (text.empty() || text == "*") {
    *out = open;
    return Status::Ok();
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(*out)) {
    return Invalid("facet '" + std::string(spec) + "': '" + std::string(text) +
                   "' is not a number (ranges are LO..HI, with * for an open end)");
  }
  return Status::Ok();
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    out.push_back(
        s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

}  // namespace

Result<FacetRequest> ParseFacetSpec(std::string_view spec) {
  FacetRequest f;
  const size_t colon = spec.find(':');
  f.field = std::string(spec.substr(0, colon));
  if (f.field.empty()) {
    return Invalid("facet '" + std::string(spec) +
                   "': expected FIELD, FIELD:SIZE or FIELD:LO..HI,LO..HI");
  }
  if (colon == std::string_view::npos) return f;
  const std::string_view rest = spec.substr(colon + 1);
  if (rest.find("..") == std::string_view::npos) {
    uint64_t size = 0;
    const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), size);
    if (ec != std::errc() || end != rest.data() + rest.size() || size < 1 || size > 10000) {
      return Invalid("facet '" + std::string(spec) +
                     "': the size after ':' must be an integer from 1 to 10000 (or give "
                     "ranges LO..HI,LO..HI for a numeric field)");
    }
    f.size = static_cast<size_t>(size);
    return f;
  }
  for (std::string_view r : Split(rest, ',')) {
    const size_t dots = r.find("..");
    if (dots == std::string_view::npos) {
      return Invalid("facet '" + std::string(spec) + "': range '" + std::string(r) +
                     "' needs LO..HI");
    }
    FacetRequest::Range range;
    range.label = std::string(r);
    LIBSEARCH_RETURN_IF_ERROR(
        RangeEnd(r.substr(0, dots), spec, -std::numeric_limits<double>::infinity(), &range.from));
    LIBSEARCH_RETURN_IF_ERROR(
        RangeEnd(r.substr(dots + 2), spec, std::numeric_limits<double>::infinity(), &range.to));
    if (!(range.from < range.to)) {
      return Invalid("facet '" + std::string(spec) + "': range '" + std::string(r) +
                     "' is empty (LO must be below HI)");
    }
    f.ranges.push_back(std::move(range));
  }
  return f;
}

Result<std::vector<SortField>> ParseSortSpec(std::string_view spec) {
  std::vector<SortField> out;
  if (spec.empty()) return out;
  for (std::string_view item : Split(spec, ',')) {
    SortField s;
    const size_t colon = item.find(':');
    s.field = std::string(item.substr(0, colon));
    if (s.field.empty()) {
      return Invalid("sort '" + std::string(spec) +
                     "': expected FIELD[:asc|desc],... (for example \"price:desc,_score\")");
    }
    if (s.field[0] == '-') {
      return Invalid("sort '" + std::string(item) + "': write '" + s.field.substr(1) +
                     ":desc' for descending order");
    }
    const bool score = s.field == "_score";
    if (colon == std::string_view::npos) {
      s.descending = score;  // Relevance is best first, values smallest first.
    } else if (item.substr(colon + 1) == "asc" || item.substr(colon + 1) == "desc") {
      s.descending = item.substr(colon + 1) == "desc";
    } else {
      return Invalid("sort '" + std::string(item) + "': the direction must be asc or desc");
    }
    out.push_back(std::move(s));
  }
  return out;
}

namespace {

// The keys of a parsed request object, over the values already in `*req`.
Status RequestFromObject(const Json& body, const JsonLimits& limits, SearchRequest* req) {
  if (!body.is_object()) return Invalid("request body must be a JSON object");

  static constexpr std::string_view kKeys[] = {"query",         "k",
                                               "offset",        "filters",
                                               "fields",        "operator",
                                               "facets",        "disjunctive",
                                               "sort",          "search_after",
                                               "typos",         "prefix",
                                               "highlight",     "synonyms",
                                               "suggest",       "exact_total",
                                               "include_docs",  "retrieve",
                                               "syntax",        "max_expansions",
                                               "field_scoring", "partial_results"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool known = false;
    for (std::string_view key : kKeys) known = known || it.key() == key;
    if (!known) {
      return Invalid("unknown key " + JsonQuote(it.key()) +
                     "; known keys: " + std::string(kRequestKeys));
    }
  }
  // In kKeys order, so that of several bad keys the same one is reported.
  uint64_t n = 0;
  bool b = false;
  std::vector<std::string> list;
  if (auto it = body.find("query"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(ShortString(*it, "query", limits.max_query_bytes, &req->query));
  }
  if (auto it = body.find("k"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(Bounded(*it, "k", 0, limits.max_k, &n));
    req->k = static_cast<size_t>(n);
  }
  if (auto it = body.find("offset"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(Bounded(*it, "offset", 0, limits.max_offset, &n));
    req->offset = static_cast<size_t>(n);
  }
  if (auto it = body.find("filters"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(StringList(*it, "filters", limits, &req->filters));
  }
  if (auto it = body.find("fields"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(StringList(*it, "fields", limits, &req->fields));
  }
  if (auto it = body.find("operator"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(OneOf(*it, "operator", "and", "or", &b));
    req->default_operator = b ? Operator::kAnd : Operator::kOr;
  }
  if (auto it = body.find("facets"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(StringList(*it, "facets", limits, &list));
    req->facets.clear();
    for (const std::string& spec : list) {
      LIBSEARCH_ASSIGN_OR_RETURN(FacetRequest f, ParseFacetSpec(spec));
      for (const FacetRequest& other : req->facets) {
        if (other.field == f.field) {
          return Invalid("facets: '" + f.field + "' is listed twice (one facet per field)");
        }
      }
      req->facets.push_back(std::move(f));
    }
  }
  if (auto it = body.find("disjunctive"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(StringList(*it, "disjunctive", limits, &list));
    for (FacetRequest& f : req->facets) f.disjunctive = false;
    for (const std::string& field : list) {
      bool found = false;
      for (FacetRequest& f : req->facets) {
        if (f.field == field) found = f.disjunctive = true;
      }
      if (!found) {
        return Invalid("disjunctive: '" + field +
                       "' is not one of the request's facets (list it in \"facets\" too)");
      }
    }
  }
  if (auto it = body.find("sort"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(StringList(*it, "sort", limits, &list));
    req->sort.clear();
    for (const std::string& spec : list) {
      LIBSEARCH_ASSIGN_OR_RETURN(std::vector<SortField> keys, ParseSortSpec(spec));
      req->sort.insert(req->sort.end(), keys.begin(), keys.end());
    }
  }
  if (auto it = body.find("search_after"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(
        ShortString(*it, "search_after", limits.max_item_bytes, &req->search_after));
  }
  if (auto it = body.find("typos"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(Flag(*it, "typos", &req->typos));
  }
  if (auto it = body.find("prefix"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(Flag(*it, "prefix", &req->prefix_last));
  }
  if (auto it = body.find("highlight"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(Highlight(*it, limits, &req->highlight));
  }
  if (auto it = body.find("synonyms"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(Flag(*it, "synonyms", &req->synonyms));
  }
  if (auto it = body.find("suggest"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(Flag(*it, "suggest", &req->suggest));
  }
  if (auto it = body.find("exact_total"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(Flag(*it, "exact_total", &b));
    req->total_hits_threshold =
        b ? SearchRequest::kExactTotal : SearchRequest().total_hits_threshold;
  }
  if (auto it = body.find("include_docs"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(Flag(*it, "include_docs", &req->include_docs));
  }
  if (auto it = body.find("partial_results"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(Flag(*it, "partial_results", &req->allow_partial_results));
  }
  if (auto it = body.find("retrieve"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(StringList(*it, "retrieve", limits, &req->retrieve));
  }
  if (auto it = body.find("syntax"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(OneOf(*it, "syntax", "simple", "full", &b));
    req->syntax = b ? QuerySyntax::kSimple : QuerySyntax::kFull;
  }
  if (auto it = body.find("max_expansions"); it != body.end()) {
    LIBSEARCH_RETURN_IF_ERROR(Bounded(*it, "max_expansions", 1, 1000, &n));
    req->max_expansions = static_cast<uint32_t>(n);
  }
  if (auto it = body.find("field_scoring"); it != body.end()) {
    const auto scoring =
        it->is_string() ? internal::FieldScoringFromName(it->get<std::string>()) : std::nullopt;
    if (!scoring) {
      return Invalid("field_scoring must be " + std::string(internal::kFieldScoringChoices));
    }
    req->field_scoring = *scoring;
  }
  return Status::Ok();
}

Status CheckBodySize(std::string_view json, std::string_view what, const JsonLimits& limits) {
  if (json.size() > limits.max_body_bytes) {
    return Status::ResourceExhausted(std::string(what) + " is " + Num(json.size()) +
                                     " bytes; the limit is " + Num(limits.max_body_bytes));
  }
  return Status::Ok();
}

}  // namespace

Status ParseSearchRequestInto(std::string_view json, const JsonLimits& limits, SearchRequest* req) {
  LIBSEARCH_RETURN_IF_ERROR(CheckBodySize(json, "request body", limits));
  if (json.substr(0, 3) == "\xEF\xBB\xBF") json.remove_prefix(3);
  Json body;
  LIBSEARCH_RETURN_IF_ERROR(internal::ParseJson(json, "request body", limits.max_depth, &body));
  return RequestFromObject(body, limits, req);
}

Result<BatchQueryId> ParseBatchQueryInto(std::string_view line, const JsonLimits& limits,
                                         SearchRequest* req) {
  LIBSEARCH_RETURN_IF_ERROR(CheckBodySize(line, "query line", limits));
  if (line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
  Json body;
  LIBSEARCH_RETURN_IF_ERROR(internal::ParseJson(line, "query line", limits.max_depth, &body));
  if (!body.is_object() || !body.contains("id")) {
    return Invalid("expected a JSON object {\"id\": ..., \"query\": ..., ...any request key}");
  }
  BatchQueryId id;
  const Json& value = body["id"];
  id.json = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  id.text = value.is_string() ? value.get<std::string>() : id.json;
  body.erase("id");
  LIBSEARCH_RETURN_IF_ERROR(RequestFromObject(body, limits, req));
  return id;
}

JsonLimits OwnerLimits() {
  JsonLimits limits;
  limits.max_body_bytes = size_t{16} << 20;
  limits.max_depth = 16;
  limits.max_k = 10000;
  limits.max_offset = 10000;
  limits.max_query_bytes = size_t{1} << 20;
  limits.max_list_items = 10000;
  limits.max_item_bytes = size_t{1} << 20;
  return limits;
}

Result<SearchRequest> ParseSearchRequest(const Index& index, std::string_view json,
                                         const JsonLimits& limits) {
  SearchRequest req;
  const std::string& defaults = index.schema().search_defaults_json();
  if (!defaults.empty()) {
    // Checked when the schema was read.
    Status s = ParseSearchRequestInto(defaults, OwnerLimits(), &req);
    if (!s.ok()) return s.WithContext("the index's search_defaults");
  }
  LIBSEARCH_RETURN_IF_ERROR(ParseSearchRequestInto(json, limits, &req));
  return req;
}

}  // namespace libsearch
