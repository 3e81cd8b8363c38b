#include "api/json_text.h"

#include <cstdint>
#include <string>

#include "util/utf8.h"

namespace libsearch {

std::string JsonQuote(std::string_view s) {
  return nlohmann::json(std::string(s))
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ToValidUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const size_t len = internal::Utf8SequenceLength(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
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

Status ParseJson(std::string_view text, std::string_view what, nlohmann::ordered_json* out) {
  // nlohmann reports a number outside double range (1e400) only as an
  // exception; it stays inside this function.
  try {
    *out = nlohmann::ordered_json::parse(text.begin(), text.end());
    return Status::Ok();
  } catch (const nlohmann::json::exception& e) {
    std::string reason = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 9: ..."
    if (const size_t close = reason.find("] ");
        reason.rfind("[json.exception", 0) == 0 && close != std::string::npos) {
      reason.erase(0, close + 2);
    }
    // The parser quotes what it last read, which may hold invalid UTF-8.
    reason = ToValidUtf8(reason);
    return Status::InvalidArgument(std::string(what) + " is not valid JSON: " + reason);
  }
}

}  // namespace libsearch
