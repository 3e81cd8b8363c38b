#include "util/json_parse.h"

#include <algorithm>

#include "util/utf8.h"

namespace libsearch::internal {
namespace {

// nlohmann's DOM builder with a depth count, and errors kept as text instead
// of thrown. The parser calls these members on this type (SAX is a template
// parameter), so hiding the base's members is enough.
template <typename Json>
class DepthLimitedDom : public nlohmann::detail::json_sax_dom_parser<Json> {
  using Base = nlohmann::detail::json_sax_dom_parser<Json>;

 public:
  DepthLimitedDom(Json* result, int max_depth)
      : Base(*result, /*allow_exceptions_=*/false), max_depth_(max_depth) {}

  bool start_object(std::size_t len) { return Enter() && Base::start_object(len); }
  bool start_array(std::size_t len) { return Enter() && Base::start_array(len); }
  bool end_object() {
    --depth_;
    return Base::end_object();
  }
  bool end_array() {
    --depth_;
    return Base::end_array();
  }

  template <typename Exception>
  bool parse_error(std::size_t position, const std::string& last_token, const Exception& ex) {
    if (error_.empty()) error_ = ex.what();
    return Base::parse_error(position, last_token, ex);
  }

  bool too_deep() const { return too_deep_; }
  const std::string& error() const { return error_; }

 private:
  bool Enter() {
    if (++depth_ <= max_depth_) return true;
    too_deep_ = true;
    return false;
  }

  const int max_depth_;
  int depth_ = 0;
  bool too_deep_ = false;
  std::string error_;
};

// The byte offset where the nesting passes `max_depth` (strings skipped).
size_t DepthErrorOffset(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if ((c == '[' || c == '{') && ++depth > max_depth) {
      return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return text.size();
}

// The first `max_bytes` of `s`, cut at a character boundary.
std::string_view Prefix(std::string_view s, size_t max_bytes) {
  if (s.size() <= max_bytes) return s;
  size_t end = max_bytes;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return s.substr(0, end);
}

template <typename Json>
void Excerpt(const Json& v, size_t budget, int depth, std::string* out) {
  const size_t start = out->size();
  auto full = [&] { return out->size() - start >= budget; };
  switch (v.type()) {
    case nlohmann::json::value_t::string: {
      const std::string& s = v.template get_ref<const std::string&>();
      *out += '"';
      // Not JSON-escaped: a message shows it, nothing parses it.
      *out += ToValidUtf8(Prefix(s, budget));
      if (s.size() <= budget) *out += '"';
      return;
    }
    case nlohmann::json::value_t::object:
    case nlohmann::json::value_t::array: {
      const bool object = v.is_object();
      *out += object ? '{' : '[';
      if (depth >= 8 && !v.empty()) {
        *out += "...";
        return;
      }
      bool first = true;
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (full()) return;
        if (!first) *out += ',';
        first = false;
        if (object) {
          *out += '"';
          *out += ToValidUtf8(Prefix(it.key(), budget));
          *out += "\":";
        }
        Excerpt(*it, budget - std::min(budget, out->size() - start), depth + 1, out);
      }
      *out += object ? '}' : ']';
      return;
    }
    default: *out += v.dump(); return;  // A number, boolean or null: short.
  }
}

}  // namespace

template <typename Json>
Status ParseJson(std::string_view text, std::string_view what, int max_depth, Json* out) {
  *out = nullptr;
  Json parsed;
  DepthLimitedDom<Json> dom(&parsed, max_depth);
  const bool ok = Json::sax_parse(text.begin(), text.end(), &dom);
  if (ok && dom.error().empty()) {
    *out = std::move(parsed);
    return Status::Ok();
  }
  if (dom.too_deep()) {
    return Status::InvalidArgument(
        std::string(what) + " nests deeper than " + std::to_string(max_depth) +
        " levels ([] and {}) at byte offset " + std::to_string(DepthErrorOffset(text, max_depth)));
  }
  std::string reason = dom.error();
  // "[json.exception.parse_error.101] parse error at line 1, column 9: ..."
  if (const size_t close = reason.find("] ");
      reason.rfind("[json.exception", 0) == 0 && close != std::string::npos) {
    reason.erase(0, close + 2);
  }
  // The parser quotes the token it last read: a whole string, however long,
  // possibly with invalid UTF-8.
  constexpr size_t kMaxReason = 200;
  const bool cut = reason.size() > kMaxReason;
  reason = ToValidUtf8(Prefix(reason, kMaxReason));
  if (cut) reason += "...";
  return Status::InvalidArgument(std::string(what) + " is not valid JSON: " + reason);
}

template <typename Json>
std::string JsonExcerpt(const Json& value, size_t max_bytes) {
  std::string out;
  Excerpt(value, max_bytes, 0, &out);
  if (out.size() > max_bytes) {
    out.resize(Prefix(out, max_bytes).size());
    out += "...";
  }
  return out;
}

template Status ParseJson(std::string_view, std::string_view, int, nlohmann::json*);
template Status ParseJson(std::string_view, std::string_view, int, nlohmann::ordered_json*);
template std::string JsonExcerpt(const nlohmann::json&, size_t);
template std::string JsonExcerpt(const nlohmann::ordered_json&, size_t);

}  // namespace libsearch::internal
