// The JSON model's responses and errors (libsearch/json.h).
#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "api/json_text.h"
#include "libsearch/json.h"

namespace libsearch {
namespace {

void AppendNum(uint64_t v, std::string* out) { *out += std::to_string(v); }

}  // namespace

std::string ScoreToJson(float score) {
  if (!std::isfinite(score)) return "null";
  // std::to_chars gives the shortest digits that read back to this float;
  // they are laid out as Python's repr() does: fixed notation for
  // 1e-4 <= |x| < 1e16 with at least one fractional digit, else d.ddde+XX.
  char sci[48];
  const auto [end, ec] =
      std::to_chars(sci, sci + sizeof(sci), score, std::chars_format::scientific);
  if (ec != std::errc()) return "null";
  const std::string_view text(sci, static_cast<size_t>(end - sci));
  const size_t e_at = text.find('e');
  std::string out, digits;
  for (char c : text.substr(0, e_at)) {
    if (c == '-') {
      out += '-';
    } else if (c != '.') {
      digits += c;
    }
  }
  int exp = 0;
  const std::string_view e = text.substr(e_at + 1);
  std::from_chars(e.data() + (e[0] == '+' ? 1 : 0), e.data() + e.size(), exp);
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
    char buf[16];
    std::snprintf(buf, sizeof(buf), "e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
    out += buf;
  }
  return out;
}

std::string SearchResponseToJson(const SearchResponse& response, const SearchRequest& request) {
  const bool docs = request.include_docs;
  const bool highlights = !request.highlight.fields.empty();
  std::string out;
  out.reserve(128 + response.hits.size() * (docs ? 512 : 48));
  out += "{\"total\":";
  AppendNum(response.total, &out);
  out += ",\"total_exact\":";
  out += response.total_exact ? "true" : "false";
  out += ",\"took_us\":";
  AppendNum(response.took_us, &out);
  out += ",\"hits\":[";
  for (size_t i = 0; i < response.hits.size(); ++i) {
    const Hit& h = response.hits[i];
    if (i > 0) out += ',';
    out += "{\"id\":";
    out += JsonQuote(h.id);
    out += ",\"score\":";
    out += ScoreToJson(h.score);
    if (docs) {
      // Stored fields are compact, valid JSON already: passed through.
      out += ",\"doc\":";
      if (h.doc_json.empty()) {
        out += "{}";
      } else {
        out += h.doc_json;
      }
    }
    if (highlights) {
      out += ",\"highlights\":{";
      for (size_t j = 0; j < h.highlights.size(); ++j) {
        if (j > 0) out += ',';
        out += JsonQuote(h.highlights[j].first);
        out += ':';
        out += JsonQuote(h.highlights[j].second);
      }
      out += '}';
    }
    out += '}';
  }
  out += "],\"facets\":{";
  for (size_t i = 0; i < response.facets.size(); ++i) {
    const FacetResult& f = response.facets[i];
    if (i > 0) out += ',';
    out += JsonQuote(f.field);
    out += ":[";
    for (size_t j = 0; j < f.values.size(); ++j) {
      if (j > 0) out += ',';
      out += "{\"value\":";
      out += JsonQuote(f.values[j].value);
      out += ",\"count\":";
      AppendNum(f.values[j].count, &out);
      out += '}';
    }
    out += ']';
  }
  out += "},\"next_cursor\":";
  out += response.next_cursor.empty() ? "null" : JsonQuote(response.next_cursor);
  out += ",\"suggestion\":";
  out += response.suggestion.empty() ? "null" : JsonQuote(response.suggestion);
  if (!response.missing_shards.empty()) {  // A fan-out search's partial answer.
    out += ",\"partial\":true,\"missing_shards\":[";
    for (size_t i = 0; i < response.missing_shards.size(); ++i) {
      const MissingShard& m = response.missing_shards[i];
      if (i > 0) out += ',';
      out += "{\"shard\":";
      AppendNum(m.shard, &out);
      out += ",\"error\":{\"code\":";
      out += JsonQuote(m.code);
      out += ",\"message\":";
      out += JsonQuote(m.message);
      out += "}}";
    }
    out += ']';
  }
  out += '}';
  return out;
}

std::string_view ErrorCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kCorruption: return "corrupt_index";
    case StatusCode::kIOError: return "io_error";
    case StatusCode::kUnimplemented: return "unimplemented";
    case StatusCode::kResourceExhausted: return "resource_exhausted";
    case StatusCode::kInternal: return "internal";
    case StatusCode::kAborted: return "conflict";
    case StatusCode::kUnavailable: return "unavailable";
  }
  return "internal";
}

int HttpStatusOf(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kResourceExhausted:
      return 400;  // A request over a limit: the caller's to fix.
    case StatusCode::kNotFound: return 404;
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kAborted: return 409;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kCorruption:
    case StatusCode::kIOError:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

std::string ErrorToJson(const Status& status) {
  return ErrorReply(HttpStatusOf(status.code()), ErrorCodeName(status.code()), status.message())
      .body;
}

JsonReply ErrorReply(int status, std::string_view code, std::string_view message) {
  return {status,
          "{\"error\":{\"code\":" + JsonQuote(code) + ",\"message\":" + JsonQuote(message) + "}}"};
}

}  // namespace libsearch
