// Snippets: the stretch of a stored text field with the most distinct matched
// terms, the matched words wrapped in tags. IndexImpl::HighlightHits (the
// post-processing stage, in highlight.cc) applies it to each hit of a page.
#pragma once

#include <set>
#include <string>
#include <string_view>

#include "analysis/analyzer.h"
#include "libsearch/index.h"

namespace libsearch::internal {

// Returns the snippet of `text` (empty if no token's term is in `terms`).
// Fragment boundaries fall on token boundaries; "…" marks cut ends.
std::string Highlight(std::string_view text, const analysis::Analyzer& analyzer,
                      const std::set<std::string, std::less<>>& terms,
                      const HighlightOptions& options);

}  // namespace libsearch::internal
