// JSON text helpers shared by the request and response writers of the JSON
// model (libsearch/json.h).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "libsearch/status.h"

namespace libsearch {

// `s` as a JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD.
std::string JsonQuote(std::string_view s);

// `s` with each byte that is not part of well-formed UTF-8 replaced by U+FFFD.
std::string ToValidUtf8(std::string_view s);

// The deepest nesting of [] and {} in JSON text (strings skipped); stops
// once `limit` is passed and returns limit + 1. Checked before parsing, so
// a hostile depth costs no recursion.
int JsonDepth(std::string_view text, int limit);

// Parses `text` (named `what` in errors) into `*out`. Syntax errors, invalid
// UTF-8, lone surrogates and numbers outside double range are
// InvalidArgument with the parser's position.
[[nodiscard]] Status ParseJson(std::string_view text, std::string_view what,
                               nlohmann::ordered_json* out);

}  // namespace libsearch
