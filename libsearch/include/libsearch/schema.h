// File: libsearch/schema.h
//
// The schema names the document id field and, for every other field, how it is
// indexed and whether it is stored. It is written into the index file, so an
// index always knows how its own text was analysed.
//
// JSON form (what `libsearch index --schema` reads):
//   {"id": "barcode",
//    "fields": {"product_name": {"type": "text", "boost": 2.0,
//                                "language": "en", "stored": true},
//               "ingredients":  {"type": "text", "language": "en"},
//               "sugars_100g":  {"type": "float", "stored": true}},
//    "search_defaults": {"typos": true, "prefix": true, "facets": ["brands"]}}
//
// "search_defaults" (optional) is a request object of the JSON model
// (libsearch/json.h) whose keys every JSON request starts from, so a mobile
// client can send only its query; the request's own keys override them.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/export.h"
#include "libsearch/status.h"

namespace libsearch {

enum class FieldType {
  kText,     // Analysed into terms with positions; scored with BM25.
  kKeyword,  // One exact term per value (strings, or booleans as "true"/"false").
  kInt,      // 64-bit signed integer.
  kFloat,    // 64-bit float.
};

// "text", "keyword", "int", "float".
LIBSEARCH_EXPORT std::string_view FieldTypeName(FieldType type);

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kText;
  // Stored fields come back with hits. Default false.
  bool stored = false;
  // Whether the field gets terms in the dictionary (text and keyword only).
  // Default true; set false for display-only fields such as image URLs.
  bool indexed = true;
  // The field's weight (text and keyword). Default 1. For a word over
  // several text fields scored by BM25F (FieldScoring::kBm25f) it multiplies
  // the word's frequency in this field; otherwise it multiplies the field's
  // BM25 score.
  double boost = 1.0;
  // Text only: stemming language ("en", "fr", "english", "none", ...). Default "en".
  std::string language = "en";
  // Text only: drop stop words of the language. Default false.
  bool stopwords = false;
  // Text only: fold accents ("crème" -> "creme"). Default true.
  bool fold_accents = true;
  // Text only: split letter+digit words ("iphone15", "sd500") into parts as
  // well, so they match "iphone 15" and "SD-500". Default false.
  bool split_codes = false;
  // Text only: also index every term's prefixes of 1..index_prefixes
  // characters as merged postings, so search-as-you-type on a prefix that
  // short reads one list instead of a union of its completions. 0 to 4;
  // default 0 (off). Costs index size (see docs/design-notes.md,
  // "Postings layout").
  uint32_t index_prefixes = 0;
};

class LIBSEARCH_EXPORT Schema {
 public:
  // Parses the JSON form above. Errors name the offending field and key.
  static Result<Schema> FromJson(std::string_view json);
  // Reads and parses a schema file.
  static Result<Schema> FromFile(const std::string& path);
  // Builds a schema from specs; validates like FromJson.
  static Result<Schema> Create(std::string id_field, std::vector<FieldSpec> fields);

  // Canonical JSON, parseable by FromJson.
  std::string ToJson() const;

  // Sets the search defaults (a JSON request object; "" for none). Checks
  // that they parse as a request and name only fields of this schema.
  [[nodiscard]] Status SetSearchDefaults(std::string_view json);
  // The search defaults as compact JSON, or "" when there are none.
  const std::string& search_defaults_json() const { return search_defaults_json_; }

  const std::string& id_field() const { return id_field_; }
  const std::vector<FieldSpec>& fields() const { return fields_; }
  // Index into fields(), or nullopt.
  std::optional<size_t> FieldIndex(std::string_view name) const;

 private:
  std::string id_field_;
  std::vector<FieldSpec> fields_;  // In declaration order; ids are positions.
  std::string search_defaults_json_;
};

}  // namespace libsearch
