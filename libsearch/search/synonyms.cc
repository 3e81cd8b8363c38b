// Synonym groups: stored at build time, given at open, or read from a file
// (LoadSynonyms).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "search/index_impl.h"
#include "storage/file.h"

namespace libsearch {
namespace internal {

// Stored groups plus OpenOptions::synonyms, keyed by each alternative's
// analysed terms (the first default text field's analyser, so plurals and
// other inflections of an alternative match too).
Status IndexImpl::InitSynonyms() {
  std::vector<std::vector<std::string>> groups = options_.synonyms;
  if (!reader_->synonyms_json().empty()) {
    const nlohmann::json j = nlohmann::json::parse(reader_->synonyms_json(), nullptr, false);
    if (!j.is_array()) return Status::Corruption("stored synonyms are not a JSON array");
    for (const auto& g : j) {
      std::vector<std::string> group;
      for (const auto& alt : g) {
        if (alt.is_string()) group.push_back(alt.get<std::string>());
      }
      groups.push_back(std::move(group));
    }
  }
  if (groups.empty() || default_fields_.empty()) return Status::Ok();
  synonym_analyzer_ = analyzers_[default_fields_[0]];
  for (auto& group : groups) {
    const size_t id = synonyms_.groups.size();
    for (const std::string& alt : group) {
      const std::vector<std::string> terms = synonym_analyzer_->Terms(alt);
      if (terms.empty()) {
        return Status::InvalidArgument("synonym '" + alt + "' has no searchable words");
      }
      std::string key;
      for (const std::string& t : terms) key += (key.empty() ? "" : " ") + t;
      synonyms_.group_of.emplace(key, id);  // A phrase in two groups: first wins.
      synonyms_.max_words = std::max(synonyms_.max_words, terms.size());
    }
    synonyms_.groups.push_back(std::move(group));
  }
  return Status::Ok();
}

}  // namespace internal

Result<std::vector<std::vector<std::string>>> LoadSynonyms(const std::string& path) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto reader, internal::LineReader::Open(path));
  std::vector<std::vector<std::string>> groups;
  std::string line;
  size_t line_no = 0;
  while (reader->Next(&line)) {
    ++line_no;
    const size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos || line[first] == '#') continue;
    std::vector<std::string> group;
    size_t start = 0;
    while (start <= line.size()) {
      size_t comma = line.find(',', start);
      if (comma == std::string::npos) comma = line.size();
      std::string alt = line.substr(start, comma - start);
      alt.erase(0, alt.find_first_not_of(" \t"));
      alt.erase(alt.find_last_not_of(" \t") + 1);
      if (!alt.empty()) group.push_back(std::move(alt));
      start = comma + 1;
    }
    if (group.size() < 2) {
      return Status::InvalidArgument(path + ":" + std::to_string(line_no) +
                                     ": a synonym group needs at least two alternatives "
                                     "separated by commas (\"tv, television\")");
    }
    groups.push_back(std::move(group));
  }
  LIBSEARCH_RETURN_IF_ERROR(reader->status());
  return groups;
}

}  // namespace libsearch
