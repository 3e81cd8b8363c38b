// File: functions/common/search_handler.cc
//
// Keep in step with search_handler.py: the same checks in the same order
// with the same messages, so every surface answers a request byte for byte
// alike (functions/tests/test_conformance.py checks this).
#include "functions/common/search_handler.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace libsearch::functions {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kKnownParams =
    "q, k, offset, filter, fields, operator, exact_total, include_docs";

std::string Num(uint64_t v) { return std::to_string(v); }

HttpLikeResponse Invalid(std::string_view message) {
  return ErrorResponse(400, "invalid_argument", message);
}

}  // namespace

std::string ShortestDouble(double d) {
  if (!std::isfinite(d)) return "null";
  // The shortest digits that read back to `d` (std::to_chars guarantees it),
  // laid out as Python's repr() does: fixed for 1e-4 <= |d| < 1e16 with at
  // least one fractional digit, else d.ddde[+-]XX.
  char sci[64];
  const auto [end, ec] = std::to_chars(sci, sci + sizeof(sci), d, std::chars_format::scientific);
  if (ec != std::errc()) return "null";
  const std::string_view text(sci, static_cast<size_t>(end - sci));
  const size_t e_at = text.find('e');
  std::string out;
  std::string digits;
  for (char c : text.substr(0, e_at)) {
    if (c == '-') {
      out += '-';
    } else if (c != '.') {
      digits += c;
    }
  }
  const int exp = std::atoi(std::string(text.substr(e_at + 1)).c_str());
  if (exp >= -4 && exp < 16) {
    if (exp >= 0) {
      const size_t int_digits = static_cast<size_t>(exp) + 1;
      if (digits.size() <= int_digits) {
        out += digits + std::string(int_digits - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, int_digits) + "." + digits.substr(int_digits);
      }
    } else {
      out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
    }
  } else {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    char e[16];
    std::snprintf(e, sizeof(e), "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += e;
  }
  return out;
}

std::string ScoreJson(float score) {
  // The CLI's rule (tools/libsearch_cli.cc, FloatForJson): the float's "%.9g"
  // text read back as a double, i.e. the shortest decimal that reads back to
  // the same float (15.7663536, not the widening 15.766353607177734).
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(score));
  return ShortestDouble(std::strtod(buf, nullptr));
}

namespace {

// Reads "filters" / "fields": a string or an array of strings.
std::optional<HttpLikeResponse> StringList(const Json& value, std::string_view name,
                                           const Limits& limits, std::vector<std::string>* out) {
  const std::string shape = std::string(name) + " must be a string or an array of strings";
  if (value.is_string()) {
    out->push_back(value.get<std::string>());
  } else if (value.is_array()) {
    if (value.size() > limits.max_list_items) {
      return Invalid(std::string(name) + " has " + Num(value.size()) +
                     " entries; the limit is " + Num(limits.max_list_items));
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
      return Invalid(std::string(name) + " entry " + Num(i + 1) + " is " +
                     Num((*out)[i].size()) + " bytes; the limit is " +
                     Num(limits.max_item_bytes));
    }
  }
  return std::nullopt;
}

// An integer in [0, max], or an error naming the key.
std::optional<HttpLikeResponse> Bounded(const Json& value, std::string_view name, size_t max,
                                        size_t* out) {
  const HttpLikeResponse error =
      Invalid(std::string(name) + " must be an integer from 0 to " + Num(max));
  if (!value.is_number_integer()) return error;
  if (value.is_number_unsigned()) {
    const uint64_t v = value.get<uint64_t>();
    if (v > max) return error;
    *out = static_cast<size_t>(v);
    return std::nullopt;
  }
  const int64_t v = value.get<int64_t>();
  if (v < 0 || static_cast<uint64_t>(v) > max) return error;
  *out = static_cast<size_t>(v);
  return std::nullopt;
}

std::optional<HttpLikeResponse> Flag(const Json& value, std::string_view name, bool* out) {
  if (!value.is_boolean()) return Invalid(std::string(name) + " must be true or false");
  *out = value.get<bool>();
  return std::nullopt;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte.
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

// A query-string number: decimal digits become a JSON integer; anything
// else stays a string, which HandleSearch rejects with the key's message.
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

}  // namespace

std::string_view ErrorCode(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kCorruption: return "corrupt_index";
    case StatusCode::kIOError: return "io_error";
    case StatusCode::kUnimplemented: return "unimplemented";
    case StatusCode::kResourceExhausted: return "resource_exhausted";
    case StatusCode::kInternal: return "internal";
  }
  return "internal";
}

int HttpStatus(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kResourceExhausted: return 400;  // A query over a limit: the caller's to fix.
    case StatusCode::kNotFound: return 404;
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

std::string JsonString(std::string_view s) {
  return Json(std::string(s)).dump(-1, ' ', false, Json::error_handler_t::replace);
}

bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t j = 1; j < len; ++j) {
      const auto cc = static_cast<unsigned char>(s[i + j]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

int JsonDepth(std::string_view text, int limit) {
  int depth = 0, max_depth = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) {
        max_depth = depth;
        if (max_depth > limit) return limit + 1;
      }
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return max_depth;
}

HttpLikeResponse ErrorResponse(int status, std::string_view code, std::string_view message) {
  return {status, "{\"error\":{\"code\":" + JsonString(code) + ",\"message\":" +
                      JsonString(message) + "}}"};
}

HttpLikeResponse StatusResponse(const Status& status) {
  return ErrorResponse(HttpStatus(status.code()), ErrorCode(status.code()), status.message());
}

std::string SearchResponseJson(const SearchResponse& response, bool include_docs) {
  std::string out;
  out.reserve(64 + response.hits.size() * (include_docs ? 512 : 48));
  out += "{\"total\":";
  out += Num(response.total);
  out += ",\"total_exact\":";
  out += response.total_exact ? "true" : "false";
  out += ",\"took_us\":";
  out += Num(response.took_us);
  out += ",\"hits\":[";
  for (size_t i = 0; i < response.hits.size(); ++i) {
    const Hit& h = response.hits[i];
    if (i > 0) out += ',';
    out += "{\"id\":";
    out += JsonString(h.id);
    out += ",\"score\":";
    out += ScoreJson(h.score);
    if (include_docs) {
      // The stored fields are compact JSON already: passed through as is.
      out += ",\"doc\":";
      out += h.doc_json.empty() ? std::string_view("{}") : std::string_view(h.doc_json);
    }
    out += '}';
  }
  out += "]}";
  return out;
}

HttpLikeResponse HandleSearch(const Index& index, std::string_view request_json,
                              const HandleOptions& options) {
  const Limits& limits = options.limits;
  if (request_json.size() > limits.max_body_bytes) {
    return ErrorResponse(413, "payload_too_large",
                         "request body is " + Num(request_json.size()) +
                             " bytes; the limit is " + Num(limits.max_body_bytes));
  }
  if (JsonDepth(request_json, limits.max_depth) > limits.max_depth) {
    return Invalid("request JSON nests deeper than " + Num(limits.max_depth) + " levels");
  }
  const Json body = Json::parse(request_json, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return Invalid("request body is not valid JSON");
  if (!body.is_object()) return Invalid("request body must be a JSON object");

  static constexpr std::string_view kKeys[] = {"query",    "k",        "offset",
                                               "filters",  "fields",   "operator",
                                               "exact_total", "include_docs"};
  for (auto it = body.begin(); it != body.end(); ++it) {
    bool known = false;
    for (std::string_view key : kKeys) known = known || it.key() == key;
    if (!known) {
      return Invalid("unknown key " + JsonString(it.key()) + "; known keys: " +
                     std::string(kKnownKeys));
    }
  }

  SearchRequest req;
  req.include_docs = true;
  bool exact_total = false;
  std::optional<HttpLikeResponse> error;
  if (auto it = body.find("query"); it != body.end()) {
    if (!it->is_string()) return Invalid("query must be a string");
    req.query = it->get<std::string>();
    if (req.query.size() > limits.max_query_bytes) {
      return Invalid("query is " + Num(req.query.size()) + " bytes; the limit is " +
                     Num(limits.max_query_bytes));
    }
  }
  if (auto it = body.find("k"); it != body.end()) {
    if ((error = Bounded(*it, "k", limits.max_k, &req.k))) return *error;
  }
  if (auto it = body.find("offset"); it != body.end()) {
    if ((error = Bounded(*it, "offset", limits.max_offset, &req.offset))) return *error;
  }
  if (auto it = body.find("filters"); it != body.end()) {
    if ((error = StringList(*it, "filters", limits, &req.filters))) return *error;
  }
  if (auto it = body.find("fields"); it != body.end()) {
    if ((error = StringList(*it, "fields", limits, &req.fields))) return *error;
  }
  if (auto it = body.find("operator"); it != body.end()) {
    if (it->is_string() && it->get<std::string>() == "and") {
      req.default_operator = Operator::kAnd;
    } else if (it->is_string() && it->get<std::string>() == "or") {
      req.default_operator = Operator::kOr;
    } else {
      return Invalid("operator must be \"and\" or \"or\"");
    }
  }
  if (auto it = body.find("exact_total"); it != body.end()) {
    if ((error = Flag(*it, "exact_total", &exact_total))) return *error;
  }
  if (auto it = body.find("include_docs"); it != body.end()) {
    if ((error = Flag(*it, "include_docs", &req.include_docs))) return *error;
  }
  if (exact_total) req.total_hits_threshold = SearchRequest::kExactTotal;

  if (options.deadline && std::chrono::system_clock::now() >= *options.deadline) {
    return ErrorResponse(504, "deadline_exceeded",
                         "the invocation deadline passed before the search started");
  }
  Result<SearchResponse> resp = index.Search(req);
  if (!resp.ok()) return StatusResponse(resp.status());
  return {200, SearchResponseJson(*resp, req.include_docs)};
}

QueryStringResult QueryStringToRequestJson(std::string_view raw_query, const Limits& limits) {
  QueryStringResult result;
  if (raw_query.size() > limits.max_body_bytes) {
    result.error = ErrorResponse(413, "payload_too_large",
                                 "query string is " + Num(raw_query.size()) +
                                     " bytes; the limit is " + Num(limits.max_body_bytes));
    return result;
  }
  Json req = Json::object();
  Json filters = Json::array(), fields = Json::array();
  std::string name, value;
  size_t pos = 0;
  while (pos <= raw_query.size()) {
    size_t end = raw_query.find('&', pos);
    if (end == std::string_view::npos) end = raw_query.size();
    const std::string_view part = raw_query.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    const size_t eq = part.find('=');
    const std::string_view raw_name = part.substr(0, eq);
    const std::string_view raw_value =
        eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    if (!UrlDecode(raw_name, &name) || !UrlDecode(raw_value, &value)) {
      result.error = Invalid("query string has an invalid percent escape");
      return result;
    }
    if (!IsValidUtf8(name) || !IsValidUtf8(value)) {
      result.error = Invalid("query string is not valid UTF-8");
      return result;
    }
    if (name == "q" || name == "query") {
      req["query"] = value;
    } else if (name == "k" || name == "offset") {
      req[name] = NumberParam(value);
    } else if (name == "filter" || name == "filters") {
      filters.push_back(value);
    } else if (name == "fields") {
      size_t start = 0;
      while (start <= value.size()) {
        size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        if (comma > start) fields.push_back(value.substr(start, comma - start));
        start = comma + 1;
      }
    } else if (name == "operator") {
      req["operator"] = value;
    } else if (name == "exact_total" || name == "include_docs") {
      req[name] = FlagParam(value);
    } else {
      result.error = Invalid("unknown query parameter " + JsonString(name) +
                             "; known parameters: " + std::string(kKnownParams));
      return result;
    }
  }
  if (!filters.empty()) req["filters"] = std::move(filters);
  if (!fields.empty()) req["fields"] = std::move(fields);
  result.request_json = req.dump();
  return result;
}

HttpLikeResponse HandleQueryString(const Index& index, std::string_view raw_query,
                                   const HandleOptions& options) {
  QueryStringResult r = QueryStringToRequestJson(raw_query, options.limits);
  if (r.error) return *std::move(r.error);
  return HandleSearch(index, r.request_json, options);
}

}  // namespace libsearch::functions
