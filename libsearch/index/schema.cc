#include "libsearch/schema.h"

#include <nlohmann/json.hpp>

#include "analysis/analyzer.h"
#include "libsearch/json.h"
#include "storage/file.h"
#include "util/json_parse.h"

namespace libsearch {
namespace {

// ordered_json keeps fields in declaration order: field ids are positions.
using Json = nlohmann::ordered_json;

Result<FieldType> ParseFieldType(std::string_view name, std::string_view field) {
  if (name == "text") return FieldType::kText;
  if (name == "keyword") return FieldType::kKeyword;
  if (name == "int") return FieldType::kInt;
  if (name == "float") return FieldType::kFloat;
  return Status::InvalidArgument("field '" + std::string(field) + "': unknown type '" +
                                 std::string(name) + "' (use text, keyword, int or float)");
}

Status ValidateSpec(const FieldSpec& spec) {
  const std::string where = "field '" + spec.name + "'";
  if (spec.name.empty()) return Status::InvalidArgument("a field has an empty name");
  if (spec.name.find_first_of(":()\" ") != std::string::npos) {
    return Status::InvalidArgument(where +
                                   ": names may not contain ':', '(', ')', '\"' or spaces, since "
                                   "queries use them as 'field:term'");
  }
  if (!(spec.boost > 0) || spec.boost > 1e6) {
    return Status::InvalidArgument(where + ": boost must be in (0, 1e6], got " +
                                   std::to_string(spec.boost));
  }
  if (spec.index_prefixes > 4 || (spec.index_prefixes > 0 && spec.type != FieldType::kText)) {
    return Status::InvalidArgument(where + ": index_prefixes must be 0 to 4, on text fields only");
  }
  if (spec.type == FieldType::kText) {
    analysis::AnalyzerOptions opts;
    opts.language = spec.language;
    auto analyzer = analysis::Analyzer::Create(opts);
    if (!analyzer.ok()) return analyzer.status().WithContext(where);
  }
  return Status::Ok();
}

}  // namespace

std::string_view FieldTypeName(FieldType type) {
  switch (type) {
    case FieldType::kText: return "text";
    case FieldType::kKeyword: return "keyword";
    case FieldType::kInt: return "int";
    case FieldType::kFloat: return "float";
  }
  return "?";
}

Result<Schema> Schema::Create(std::string id_field, std::vector<FieldSpec> fields) {
  if (id_field.empty()) {
    return Status::InvalidArgument(
        "schema: \"id\" must name the field that holds each document's unique id");
  }
  bool has_id = false;
  for (size_t i = 0; i < fields.size(); ++i) {
    LIBSEARCH_RETURN_IF_ERROR(ValidateSpec(fields[i]));
    for (size_t j = 0; j < i; ++j) {
      if (fields[j].name == fields[i].name) {
        return Status::InvalidArgument("field '" + fields[i].name + "' is declared twice");
      }
    }
    if (fields[i].name == id_field) {
      if (fields[i].type != FieldType::kKeyword) {
        return Status::InvalidArgument("id field '" + id_field +
                                       "' must have type keyword (or be left out of "
                                       "\"fields\")");
      }
      fields[i].stored = true;
      fields[i].indexed = true;
      has_id = true;
    }
  }
  // The id is always a stored, indexed keyword, so `barcode:123` finds a doc.
  if (!has_id) {
    FieldSpec id;
    id.name = id_field;
    id.type = FieldType::kKeyword;
    id.stored = true;
    // Checked as a declared field is: the schema written into the index
    // declares it, and must read back.
    LIBSEARCH_RETURN_IF_ERROR(ValidateSpec(id));
    fields.insert(fields.begin(), std::move(id));
  }
  if (fields.size() > 1000) return Status::InvalidArgument("schema: more than 1000 fields");
  Schema schema;
  schema.id_field_ = std::move(id_field);
  schema.fields_ = std::move(fields);
  return schema;
}

Result<Schema> Schema::FromJson(std::string_view text) {
  Json root;
  LIBSEARCH_RETURN_IF_ERROR(internal::ParseJson(text, "schema", internal::kMaxJsonDepth, &root));
  if (!root.is_object()) return Status::InvalidArgument("schema must be a JSON object");
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key() != "id" && it.key() != "fields" && it.key() != "search_defaults") {
      return Status::InvalidArgument("schema: unknown key '" + it.key() +
                                     "' (expected \"id\", \"fields\" and optionally "
                                     "\"search_defaults\")");
    }
  }
  if (!root.contains("id") || !root["id"].is_string()) {
    return Status::InvalidArgument("schema: \"id\" (a string naming the id field) is required");
  }
  if (!root.contains("fields") || !root["fields"].is_object()) {
    return Status::InvalidArgument("schema: \"fields\" must be an object of field specs");
  }
  std::vector<FieldSpec> specs;
  for (auto it = root["fields"].begin(); it != root["fields"].end(); ++it) {
    FieldSpec spec;
    spec.name = it.key();
    const std::string where = "schema field '" + spec.name + "'";
    const Json& f = it.value();
    if (!f.is_object()) return Status::InvalidArgument(where + ": must be an object");
    if (!f.contains("type") || !f["type"].is_string()) {
      return Status::InvalidArgument(where + ": \"type\" is required (text, keyword, int, float)");
    }
    for (auto kv = f.begin(); kv != f.end(); ++kv) {
      const std::string& key = kv.key();
      const Json& v = kv.value();
      auto want = [&](bool ok, const char* kind) -> Status {
        if (ok) return Status::Ok();
        return Status::InvalidArgument(where + ": \"" + key + "\" must be " + kind);
      };
      if (key == "type") {
        LIBSEARCH_ASSIGN_OR_RETURN(spec.type, ParseFieldType(v.get<std::string>(), spec.name));
      } else if (key == "stored") {
        LIBSEARCH_RETURN_IF_ERROR(want(v.is_boolean(), "true or false"));
        spec.stored = v.get<bool>();
      } else if (key == "indexed") {
        LIBSEARCH_RETURN_IF_ERROR(want(v.is_boolean(), "true or false"));
        spec.indexed = v.get<bool>();
      } else if (key == "boost") {
        LIBSEARCH_RETURN_IF_ERROR(want(v.is_number(), "a number"));
        spec.boost = v.get<double>();
      } else if (key == "language") {
        LIBSEARCH_RETURN_IF_ERROR(want(v.is_string(), "a string"));
        spec.language = v.get<std::string>();
      } else if (key == "stopwords") {
        LIBSEARCH_RETURN_IF_ERROR(want(v.is_boolean(), "true or false"));
        spec.stopwords = v.get<bool>();
      } else if (key == "fold_accents") {
        LIBSEARCH_RETURN_IF_ERROR(want(v.is_boolean(), "true or false"));
        spec.fold_accents = v.get<bool>();
      } else if (key == "split_codes") {
        LIBSEARCH_RETURN_IF_ERROR(want(v.is_boolean(), "true or false"));
        spec.split_codes = v.get<bool>();
      } else if (key == "index_prefixes") {
        LIBSEARCH_RETURN_IF_ERROR(
            want(v.is_number_unsigned() && v.get<uint64_t>() <= 4, "an integer from 0 to 4"));
        spec.index_prefixes = v.get<uint32_t>();
      } else {
        return Status::InvalidArgument(
            where + ": unknown key '" + key +
            "' (known: type, stored, indexed, boost, language, stopwords, fold_accents, "
            "split_codes, index_prefixes)");
      }
    }
    specs.push_back(std::move(spec));
  }
  LIBSEARCH_ASSIGN_OR_RETURN(Schema schema,
                             Create(root["id"].get<std::string>(), std::move(specs)));
  if (auto it = root.find("search_defaults"); it != root.end()) {
    if (!it->is_object()) {
      return Status::InvalidArgument(
          "schema: \"search_defaults\" must be a request object, e.g. {\"typos\": true}");
    }
    LIBSEARCH_RETURN_IF_ERROR(schema.SetSearchDefaults(it->dump()));
  }
  return schema;
}

Status Schema::SetSearchDefaults(std::string_view json) {
  if (json.empty()) {
    search_defaults_json_.clear();
    return Status::Ok();
  }
  SearchRequest req;
  Status s = ParseSearchRequestInto(json, OwnerLimits(), &req);
  if (!s.ok()) return s.WithContext("schema: search_defaults");
  auto known = [&](std::string_view key, const std::string& name) -> Status {
    if (FieldIndex(name) || (key == "sort" && name == "_score")) return Status::Ok();
    return Status::InvalidArgument("schema: search_defaults: " + std::string(key) + " names '" +
                                   name + "', which is not a field of the schema");
  };
  for (const std::string& f : req.fields) LIBSEARCH_RETURN_IF_ERROR(known("fields", f));
  for (const FacetRequest& f : req.facets) LIBSEARCH_RETURN_IF_ERROR(known("facets", f.field));
  for (const SortField& f : req.sort) LIBSEARCH_RETURN_IF_ERROR(known("sort", f.field));
  for (const std::string& f : req.highlight.fields)
    LIBSEARCH_RETURN_IF_ERROR(known("highlight", f));
  for (const std::string& f : req.retrieve) LIBSEARCH_RETURN_IF_ERROR(known("retrieve", f));
  search_defaults_json_ = Json::parse(json).dump();
  return Status::Ok();
}

Result<Schema> Schema::FromFile(const std::string& path) {
  std::string text;
  LIBSEARCH_RETURN_IF_ERROR(internal::ReadFileToString(path, &text));
  auto schema = FromJson(text);
  if (!schema.ok()) return schema.status().WithContext(path);
  return schema;
}

std::string Schema::ToJson() const {
  Json fields = Json::object();
  for (const FieldSpec& f : fields_) {
    Json j = {{"type", FieldTypeName(f.type)}, {"stored", f.stored}};
    if (f.type == FieldType::kText || f.type == FieldType::kKeyword) {
      j["indexed"] = f.indexed;
      j["boost"] = f.boost;
    }
    if (f.type == FieldType::kText) {
      j["language"] = f.language;
      j["stopwords"] = f.stopwords;
      j["fold_accents"] = f.fold_accents;
      j["split_codes"] = f.split_codes;
      if (f.index_prefixes > 0) j["index_prefixes"] = f.index_prefixes;
    }
    fields[f.name] = std::move(j);
  }
  Json root = {{"id", id_field_}, {"fields", std::move(fields)}};
  if (!search_defaults_json_.empty()) root["search_defaults"] = Json::parse(search_defaults_json_);
  return root.dump();
}

std::optional<size_t> Schema::FieldIndex(std::string_view name) const {
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (fields_[i].name == name) return i;
  }
  return std::nullopt;
}

}  // namespace libsearch
