#include "search/highlight.h"

#include <vector>

namespace libsearch::internal {

std::string Highlight(std::string_view text, const analysis::Analyzer& analyzer,
                      const std::set<std::string, std::less<>>& terms,
                      const HighlightOptions& options) {
  std::vector<analysis::Token> tokens;
  analyzer.Analyze(text, &tokens);
  std::vector<size_t> hits;  // Indexes of matched tokens.
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (terms.count(tokens[i].term)) hits.push_back(i);
  }
  if (hits.empty()) return "";
  // Window start: the matched token whose window holds the most distinct
  // matched terms (earliest on ties).
  const size_t width = std::max<size_t>(options.fragment_bytes, 16);
  size_t best = 0, best_distinct = 0;
  for (size_t h = 0; h < hits.size(); ++h) {
    std::set<std::string_view> distinct;
    for (size_t k = h; k < hits.size() && tokens[hits[k]].end <= tokens[hits[h]].start + width; ++k) {
      distinct.insert(tokens[hits[k]].term);
    }
    if (distinct.size() > best_distinct) {
      best_distinct = distinct.size();
      best = h;
    }
  }
  // Some context before the first match, snapped to token boundaries.
  const size_t anchor = tokens[hits[best]].start;
  size_t first = hits[best];
  while (first > 0 && anchor - tokens[first - 1].start <= width / 4) --first;
  const size_t begin = first == 0 ? 0 : tokens[first].start;
  size_t last = first;
  while (last + 1 < tokens.size() && tokens[last + 1].end <= begin + width) ++last;
  const size_t end = last + 1 == tokens.size() ? text.size() : tokens[last].end;
  std::string out = begin > 0 ? "\u2026" : "";
  size_t pos = begin;
  for (size_t i = first; i <= last; ++i) {
    // Joined code words overlap their parts: mark a span once.
    if (tokens[i].start < pos || !terms.count(tokens[i].term)) continue;
    out.append(text.substr(pos, tokens[i].start - pos));
    out.append(options.pre_tag);
    out.append(text.substr(tokens[i].start, tokens[i].end - tokens[i].start));
    out.append(options.post_tag);
    pos = tokens[i].end;
  }
  out.append(text.substr(pos, end - pos));
  if (end < text.size()) out.append("\u2026");
  return out;
}

}  // namespace libsearch::internal
