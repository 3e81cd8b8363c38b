// GET query strings as JSON model requests (libsearch/json.h): each
// parameter is one request key, so GET and POST cannot drift apart.
#include <nlohmann/json.hpp>
#include <string>

#include "api/json_text.h"
#include "libsearch/json.h"
#include "util/utf8.h"

namespace libsearch {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kKnownParams =
    "q (or query), k, offset, filter (or filters), fields, operator, facet (or facets), "
    "disjunctive, sort, search_after, typos, prefix, highlight, synonyms, suggest, exact_total, "
    "include_docs, retrieve, syntax, max_expansions, field_scoring, partial_results";

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte.
bool UrlDecode(std::string_view in, std::string* out) {
  out->clear();
  for (size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '+') {
      out->push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= in.size()) return false;
      const int hi = HexDigit(in[i + 1]), lo = HexDigit(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out->push_back(c);
    }
  }
  return true;
}

// Decimal digits become a JSON integer; anything else stays a string, which
// the request parser rejects with the key's own message.
Json NumberParam(const std::string& v) {
  if (!v.empty() && v.size() <= 9 && v.find_first_not_of("0123456789") == std::string::npos) {
    return Json(std::stoull(v));
  }
  return Json(v);
}

Json FlagParam(const std::string& v) {
  if (v == "true" || v == "1") return Json(true);
  if (v == "false" || v == "0") return Json(false);
  return Json(v);
}

void AppendCommaList(const std::string& v, Json* list) {
  size_t start = 0;
  while (start <= v.size()) {
    size_t comma = v.find(',', start);
    if (comma == std::string::npos) comma = v.size();
    if (comma > start) list->push_back(v.substr(start, comma - start));
    start = comma + 1;
  }
}

}  // namespace

Result<std::string> QueryStringToRequestJson(std::string_view raw_query, const JsonLimits& limits) {
  if (raw_query.size() > limits.max_body_bytes) {
    return Status::ResourceExhausted("query string is " + std::to_string(raw_query.size()) +
                                     " bytes; the limit is " +
                                     std::to_string(limits.max_body_bytes));
  }
  Json req = Json::object();
  std::string name, value;
  size_t pos = 0;
  while (pos <= raw_query.size()) {
    size_t end = raw_query.find('&', pos);
    if (end == std::string_view::npos) end = raw_query.size();
    const std::string_view part = raw_query.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    if (!UrlDecode(part.substr(0, eq), &name) || !UrlDecode(raw_value, &value)) {
      return Status::InvalidArgument("query string has an invalid percent escape in '" +
                                     internal::ToValidUtf8(part.substr(0, 64)) + "'");
    }
    if (!internal::IsValidUtf8(name) || !internal::IsValidUtf8(value)) {
      return Status::InvalidArgument("query string parameter " + JsonQuote(name) +
                                     " is not valid UTF-8 after percent-decoding");
    }
    std::string key = name;
    if (name == "q") key = "query";
    if (name == "filter") key = "filters";
    if (name == "facet") key = "facets";
    if (key == "filters" || key == "facets") {
      req[key].push_back(value);
    } else if (key == "fields" || key == "disjunctive" || key == "highlight" || key == "retrieve") {
      if (!req.contains(key)) req[key] = Json::array();
      AppendCommaList(value, &req[key]);
    } else if (key == "query" || key == "operator" || key == "sort" || key == "search_after" ||
               key == "syntax" || key == "field_scoring" || key == "k" || key == "offset" ||
               key == "max_expansions" || key == "typos" || key == "prefix" || key == "synonyms" ||
               key == "suggest" || key == "exact_total" || key == "include_docs" ||
               key == "partial_results") {
      if (req.contains(key)) {
        return Status::InvalidArgument("query parameter " + JsonQuote(name) +
                                       " is given twice (it takes one value)");
      }
      if (key == "k" || key == "offset" || key == "max_expansions") {
        req[key] = NumberParam(value);
      } else if (key == "query" || key == "operator" || key == "sort" || key == "search_after" ||
                 key == "syntax" || key == "field_scoring") {
        req[key] = value;
      } else {
        req[key] = FlagParam(value);
      }
    } else {
      return Status::InvalidArgument("unknown query parameter " + JsonQuote(name) +
                                     "; known parameters: " + std::string(kKnownParams));
    }
  }
  return req.dump();
}

}  // namespace libsearch
