// Parsing JSON that users write (documents, change lines, schemas, search
// requests, batch lines, Lambda events): one entry point, so that every such
// text gets the same depth limit, never throws and never recurses.
//
// nlohmann's parser itself is iterative, but copying, dumping or comparing a
// value recurses once per level, so a line nested 100,000 deep overflowed the
// stack after it was parsed. The limit is checked as the parser goes (a SAX
// handler), so a hostile depth is refused at its first level too many.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "libsearch/status.h"

namespace libsearch::internal {

// The nesting ({} and [] levels) documents, change lines, schemas and Lambda
// events may have; README "Bad input". Requests have their own, smaller
// limit (JsonLimits::max_depth).
inline constexpr int kMaxJsonDepth = 64;

// Parses `text` into `*out`. Fails, with InvalidArgument and `*out` null, on
// a syntax error, invalid UTF-8, a number outside double range ("1e400") or
// nesting deeper than `max_depth`; `what` names the text in the message
// ("request body is not valid JSON: parse error at line 1, column 9: ...").
// Never throws. Defined for nlohmann::json and nlohmann::ordered_json.
template <typename Json>
[[nodiscard]] Status ParseJson(std::string_view text, std::string_view what, int max_depth,
                               Json* out);

// At most `max_bytes` (plus "...") of `value` as JSON text, for error
// messages: only what is shown is serialised, however large the value.
// Invalid UTF-8 in strings becomes U+FFFD.
template <typename Json>
std::string JsonExcerpt(const Json& value, size_t max_bytes = 40);

}  // namespace libsearch::internal
