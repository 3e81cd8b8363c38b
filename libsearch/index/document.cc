#include "index/document.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "util/json_parse.h"
#include "util/utf8.h"

namespace libsearch::internal {
namespace {

using Json = nlohmann::ordered_json;

std::string Describe(const Json& v) { return std::string(v.type_name()) + " " + JsonExcerpt(v); }

Status TypeError(const FieldSpec& f, const char* expected, const Json& got) {
  return Status::InvalidArgument("field '" + f.name + "': expected " + expected + " for a " +
                                 std::string(FieldTypeName(f.type)) + " field, got " +
                                 Describe(got));
}

// nlohmann rejects invalid UTF-8 while parsing; find which key's value holds
// the bad byte so the error names a field, not just a byte offset.
std::string KeyBefore(std::string_view json, size_t pos) {
  size_t colon = json.rfind("\":", pos);
  if (colon == std::string_view::npos) return "";
  size_t open = json.rfind('"', colon - 1);
  if (open == std::string_view::npos) return "";
  return std::string(json.substr(open + 1, colon - open - 1));
}

Status AppendStrings(const FieldSpec& f, const Json& v, FieldValue* out) {
  auto add = [&](const Json& item) -> Status {
    if (item.is_string()) {
      out->strings.push_back(item.get<std::string>());
    } else if (f.type == FieldType::kKeyword && item.is_boolean()) {
      out->strings.push_back(item.get<bool>() ? "true" : "false");
    } else if (f.type == FieldType::kKeyword && item.is_number_integer()) {
      out->strings.push_back(item.dump());
    } else {
      return TypeError(f,
                       f.type == FieldType::kKeyword
                           ? "a string, boolean or integer (or an array of them)"
                           : "a string (or an array of strings)",
                       item);
    }
    return Status::Ok();
  };
  if (v.is_array()) {
    for (const Json& item : v) LIBSEARCH_RETURN_IF_ERROR(add(item));
  } else {
    LIBSEARCH_RETURN_IF_ERROR(add(v));
  }
  out->present = !out->strings.empty();
  return Status::Ok();
}

// The schema's checks on a parsed object; shared by JSON and Document input
// so that both accept, reject and store exactly the same.
Status FromObject(const Schema& schema, const Json& root, ParsedDocument* out) {
  out->values.assign(schema.fields().size(), FieldValue());
  out->id.clear();
  Json stored = Json::object();
  Json source = Json::object();
  const auto& fields = schema.fields();
  for (size_t i = 0; i < fields.size(); ++i) {
    const FieldSpec& f = fields[i];
    auto it = root.find(f.name);
    if (it == root.end() || it->is_null()) continue;
    const Json& v = *it;
    FieldValue& fv = out->values[i];
    switch (f.type) {
      case FieldType::kText:
      case FieldType::kKeyword: LIBSEARCH_RETURN_IF_ERROR(AppendStrings(f, v, &fv)); break;
      case FieldType::kInt:
        if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t{INT64_MAX}) {
          return TypeError(f, "an integer from -2^63 to 2^63-1", v);
        } else if (v.is_number_integer()) {
          fv.integer = v.get<int64_t>();
        } else if (v.is_number_float() && std::nearbyint(v.get<double>()) == v.get<double>() &&
                   std::fabs(v.get<double>()) < 9.2e18) {
          fv.integer = static_cast<int64_t>(v.get<double>());
        } else {
          return TypeError(f, "an integer", v);
        }
        fv.present = true;
        break;
      case FieldType::kFloat:
        if (!v.is_number()) return TypeError(f, "a number", v);
        fv.number = v.get<double>();
        fv.present = true;
        break;
    }
    if (f.stored && fv.present) stored[f.name] = v;
    if (out->keep_source && fv.present) source[f.name] = v;
  }
  const auto id_index = schema.FieldIndex(schema.id_field());
  const FieldValue& id = out->values[*id_index];
  if (!id.present) {
    return Status::InvalidArgument("missing id field '" + schema.id_field() +
                                   "' (every document needs a unique, non-empty id)");
  }
  if (id.strings.size() != 1 || id.strings[0].empty()) {
    return Status::InvalidArgument("id field '" + schema.id_field() +
                                   "' must be one non-empty value");
  }
  out->id = id.strings[0];
  out->stored_json = stored.dump();
  if (out->keep_source) out->source_json = source.dump();
  return Status::Ok();
}

}  // namespace

Status ParseDocument(const Schema& schema, std::string_view text, ParsedDocument* out) {
  Json root;
  if (Status parsed = ParseJson(text, "document", kMaxJsonDepth, &root); !parsed.ok()) {
    const size_t bad = FirstInvalidUtf8(text);
    if (bad != std::string_view::npos) {
      const std::string key = KeyBefore(text, bad);
      return Status::InvalidArgument(
          (key.empty() ? std::string("") : "field '" + ToValidUtf8(key.substr(0, 64)) + "': ") +
          "invalid UTF-8 at byte " + std::to_string(bad + 1) + " (re-encode the input as UTF-8)");
    }
    return parsed;
  }
  if (!root.is_object()) {
    return Status::InvalidArgument("expected a JSON object, got " + Describe(root));
  }
  return FromObject(schema, root, out);
}

Status ConvertDocument(const Schema& schema, const Document& doc, ParsedDocument* out) {
  Json root = Json::object();
  for (const Document::Value& v : doc) {
    if (!schema.FieldIndex(v.field).has_value()) {
      std::string names;
      for (const FieldSpec& f : schema.fields()) names += (names.empty() ? "" : ", ") + f.name;
      return Status::InvalidArgument("field '" + v.field +
                                     "' is not in the schema (its fields: " + names + ")");
    }
    Json value;
    switch (v.kind) {
      case Document::Kind::kString: {
        const size_t bad = FirstInvalidUtf8(v.string);
        if (bad != std::string_view::npos) {
          return Status::InvalidArgument("field '" + v.field + "': invalid UTF-8 at byte " +
                                         std::to_string(bad + 1) +
                                         " of the value (re-encode it as UTF-8)");
        }
        value = v.string;
        break;
      }
      case Document::Kind::kInt: value = v.integer; break;
      case Document::Kind::kFloat:
        // JSON has no NaN or infinity, so AddJson can never be given one.
        if (!std::isfinite(v.number)) {
          return Status::InvalidArgument("field '" + v.field + "': expected a finite number, got " +
                                         std::to_string(v.number));
        }
        value = v.number;
        break;
    }
    auto it = root.find(v.field);
    if (it == root.end()) {
      root.emplace(v.field, std::move(value));
      continue;
    }
    if (!it->is_array()) {
      Json first = std::move(*it);
      *it = Json::array();
      it->push_back(std::move(first));
    }
    it->push_back(std::move(value));
  }
  return FromObject(schema, root, out);
}

}  // namespace libsearch::internal

namespace libsearch {

Document::Value& Document::Next(std::string_view field, Kind kind) {
  if (size_ == values_.size()) values_.emplace_back();
  Value& v = values_[size_++];
  v.field.assign(field);
  v.kind = kind;
  return v;
}

Document& Document::AddString(std::string_view field, std::string_view value) {
  Next(field, Kind::kString).string.assign(value);
  return *this;
}

Document& Document::AddInt(std::string_view field, int64_t value) {
  Next(field, Kind::kInt).integer = value;
  return *this;
}

Document& Document::AddFloat(std::string_view field, double value) {
  Next(field, Kind::kFloat).number = value;
  return *this;
}

}  // namespace libsearch
