// A strict check that bytes are one JSON object, for text the library wrote
// and reads back (stored documents): a damaged file must not put invalid
// JSON into a response. Much faster than parsing (no values are built).
#pragma once

#include <string_view>

namespace libsearch::internal {

// True iff `text` is exactly one JSON object (RFC 8259: strings of valid
// UTF-8 without raw control characters, the number grammar, any nesting;
// whitespace around it allowed). Never recurses.
bool IsJsonObject(std::string_view text);

}  // namespace libsearch::internal
