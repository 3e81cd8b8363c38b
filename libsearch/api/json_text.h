// JSON text helpers shared by the request and response writers of the JSON
// model (libsearch/json.h).
#pragma once

#include <string>
#include <string_view>

namespace libsearch {

// `s` as a JSON string literal, quotes included; invalid UTF-8 becomes U+FFFD.
std::string JsonQuote(std::string_view s);

}  // namespace libsearch
