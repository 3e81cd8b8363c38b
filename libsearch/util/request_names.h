// Wire names of request enums, one table for the request JSON model
// (api/request_json.cc) and the shard protocol (search/shard_protocol.cc).
#pragma once

#include <optional>
#include <string_view>
#include <utility>

#include "libsearch/index.h"

namespace libsearch::internal {

inline constexpr std::pair<std::string_view, FieldScoring> kFieldScoringNames[] = {
    {"bm25f", FieldScoring::kBm25f},
    {"bm25f_combined_length", FieldScoring::kBm25fCombinedLength},
    {"per_field", FieldScoring::kPerField}};

// The names, for error messages: "bm25f", "bm25f_combined_length" or "per_field".
inline constexpr std::string_view kFieldScoringChoices =
    "\"bm25f\", \"bm25f_combined_length\" or \"per_field\"";

inline std::string_view FieldScoringName(FieldScoring s) {
  for (const auto& [name, value] : kFieldScoringNames) {
    if (value == s) return name;
  }
  return "bm25f";  // Unreachable: every value is in the table.
}

inline std::optional<FieldScoring> FieldScoringFromName(std::string_view name) {
  for (const auto& [n, value] : kFieldScoringNames) {
    if (n == name) return value;
  }
  return std::nullopt;
}

}  // namespace libsearch::internal
