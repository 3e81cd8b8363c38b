#include "search/highlight.h"

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "search/index_impl.h"

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
    for (size_t k = h; k < hits.size() && tokens[hits[k]].end <= tokens[hits[h]].start + width;
         ++k) {
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

void IndexImpl::HighlightHits(const SearchRequest& req, const MatchedTerms& matched,
                              const std::vector<std::string>& stored, SearchResponse* resp) const {
  std::vector<std::pair<std::string, std::set<std::string, std::less<>>>> hl;
  for (const std::string& name : req.highlight.fields) {
    const uint32_t f = static_cast<uint32_t>(*reader_->schema().FieldIndex(name));
    std::set<std::string, std::less<>> terms;
    for (const auto& [field, term] : matched) {
      if (field == f) terms.insert(term);
    }
    hl.emplace_back(name, std::move(terms));
  }
  if (hl.empty()) return;
  for (size_t i = 0; i < resp->hits.size(); ++i) {
    Hit& hit = resp->hits[i];
    for (const auto& [name, terms] : hl) {
      const nlohmann::json j = nlohmann::json::parse(stored[i], nullptr, false);
      if (terms.empty() || !j.is_object() || !j.contains(name)) continue;
      const nlohmann::json& v = j[name];
      const analysis::Analyzer& a = *analyzers_[*reader_->schema().FieldIndex(name)];
      for (const nlohmann::json& item : v.is_array() ? v : nlohmann::json::array({v})) {
        if (!item.is_string()) continue;
        std::string snippet = Highlight(item.get<std::string>(), a, terms, req.highlight);
        if (!snippet.empty()) {
          hit.highlights.emplace_back(name, std::move(snippet));
          break;
        }
      }
    }
  }
}

}  // namespace libsearch::internal
