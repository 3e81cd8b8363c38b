// A JSON document checked against the schema and split into field values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/index_builder.h"
#include "libsearch/schema.h"
#include "libsearch/status.h"

namespace libsearch::internal {

struct FieldValue {
  bool present = false;
  std::vector<std::string> strings;  // text and keyword values (arrays allowed).
  double number = 0;                 // float fields.
  int64_t integer = 0;               // int fields.
};

struct ParsedDocument {
  std::string id;
  std::vector<FieldValue> values;  // One per schema field, by field id.
  std::string stored_json;         // Compact JSON of the stored fields.
  // Input: also fill source_json. Output: compact JSON of every schema field
  // present (the id too), values as given, so that parsing it again yields
  // this document (a live index's writer re-indexes from it).
  bool keep_source = false;
  std::string source_json;
};

// Parses one JSON object. On error returns InvalidArgument naming the field
// and what was expected ("field 'sugars_100g': expected a number, got
// string \"abc\""); `*out` is then unspecified. Keys not in the schema are
// ignored; null means "absent".
Status ParseDocument(const Schema& schema, std::string_view json, ParsedDocument* out);

// The same for a Document: the checks and results of ParseDocument on the
// equivalent JSON object (one value -> a scalar, several -> an array), except
// that a field not in the schema is InvalidArgument.
Status ConvertDocument(const Schema& schema, const Document& doc, ParsedDocument* out);

}  // namespace libsearch::internal
