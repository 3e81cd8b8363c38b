#include "index/doc_updates.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "index/index_reader.h"
#include "util/json_parse.h"

namespace libsearch::internal {

using Json = nlohmann::ordered_json;

bool UpdatableInPlace(const Schema& schema, const FieldSpec& field) {
  if (field.name == schema.id_field()) return false;
  return field.type == FieldType::kInt || field.type == FieldType::kFloat || !field.indexed;
}

Status PatchDocument(const Schema& schema, std::string_view source, std::string_view fields_json,
                     ParsedDocument* out) {
  Json doc, fields;
  LIBSEARCH_RETURN_IF_ERROR(ParseJson(source, "a document source", kMaxJsonDepth, &doc));
  LIBSEARCH_RETURN_IF_ERROR(ParseJson(fields_json, "_set", kMaxJsonDepth, &fields));
  if (!doc.is_object() || !fields.is_object()) {
    return Status::InvalidArgument("_set: a document and its changed fields are JSON objects");
  }
  for (auto& [key, value] : fields.items()) {
    if (value.is_null()) {
      doc.erase(key);
    } else {
      doc[key] = value;
    }
  }
  out->keep_source = true;
  return ParseDocument(schema, doc.dump(), out);
}

DocUpdates::Number ColumnValue(const Schema& schema, uint32_t field, const ParsedDocument& doc) {
  const FieldValue& v = doc.values[field];
  DocUpdates::Number n;
  n.field = field;
  n.present = v.present;
  if (v.present && schema.fields()[field].type == FieldType::kFloat) {
    std::memcpy(&n.bits, &v.number, 8);
  } else if (v.present) {
    std::memcpy(&n.bits, &v.integer, 8);
  }
  return n;
}

Result<std::string> IndexReader::Updated(const DocUpdates::Doc& doc, bool stored) const {
  Use(Group(kSourceGroup));
  LIBSEARCH_ASSIGN_OR_RETURN(std::string source, source_.Get(doc.doc));
  ParsedDocument parsed;
  const Status s = PatchDocument(schema_, source, doc.fields_json, &parsed);
  if (!s.ok()) {
    return Status::Corruption("index '" + path() + "': the update of doc " +
                              std::to_string(doc.doc) + " does not apply: " + s.message());
  }
  return stored ? std::move(parsed.stored_json) : std::move(parsed.source_json);
}

Status IndexReader::ApplyUpdates(std::shared_ptr<const DocUpdates> updates) {
  if (!has_source_) {
    return Status::Corruption("index '" + path() + "' has updates but keeps no sources");
  }
  const uint64_t words = (uint64_t{num_docs_} + 63) / 64;
  const size_t blocks = (num_docs_ + kNumericBlockDocs - 1) / kNumericBlockDocs;
  // Each numeric field the updates change gets an overlay: its presence
  // words and block bounds copied from the file, then every entry of it
  // written over them (bounds only widen: a wider {min, max} still skips
  // and accepts blocks correctly, so no block is scanned).
  std::vector<int64_t> slot(fields_.size(), -1);
  uint32_t last_doc = 0;
  for (const DocUpdates::Doc& d : updates->docs) {
    if (d.doc >= num_docs_ || (&d != &updates->docs.front() && d.doc <= last_doc)) {
      return Status::Corruption("index '" + path() + "': update entry for doc " +
                                std::to_string(d.doc) + " past the end or out of order");
    }
    last_doc = d.doc;
    for (const DocUpdates::Number& n : d.numbers) {
      const NumericColumn* file = numeric(n.field);
      if (file == nullptr) {
        return Status::Corruption("index '" + path() + "': the update of doc " +
                                  std::to_string(d.doc) + " names a field without a column");
      }
      if (slot[n.field] < 0) {
        slot[n.field] = static_cast<int64_t>(overlays_.size());
        Overlay& o = overlays_.emplace_back();
        o.present.assign(file->present, file->present + words);
        o.docs.assign(words, 0);
        o.bounds.resize(2 * blocks);
        if (file->block_min_max != nullptr) {
          std::memcpy(o.bounds.data(), file->block_min_max, 16 * blocks);
        } else {
          // A file without block bounds: every block is read as unbounded.
          for (size_t b = 0; b < blocks; ++b) {
            o.bounds[2 * b] = -std::numeric_limits<double>::infinity();
            o.bounds[2 * b + 1] = std::numeric_limits<double>::infinity();
          }
        }
      }
      Overlay& o = overlays_[static_cast<size_t>(slot[n.field])];
      const uint64_t bit = uint64_t{1} << (d.doc & 63);
      if ((o.docs[d.doc >> 6] & bit) != 0) {
        return Status::Corruption("index '" + path() + "': the update of doc " +
                                  std::to_string(d.doc) + " names a field twice");
      }
      // Docs increase, so values are appended in rank order.
      o.docs[d.doc >> 6] |= bit;
      o.values.push_back(n.bits);
      o.present[d.doc >> 6] =
          n.present ? (o.present[d.doc >> 6] | bit) : (o.present[d.doc >> 6] & ~bit);
      if (!n.present) continue;
      double v;
      if (file->spec->type == FieldType::kFloat) {
        std::memcpy(&v, &n.bits, 8);
      } else {
        int64_t i;
        std::memcpy(&i, &n.bits, 8);
        v = static_cast<double>(i);
      }
      const size_t b = d.doc / kNumericBlockDocs;
      o.bounds[2 * b] = std::min(o.bounds[2 * b], v);
      o.bounds[2 * b + 1] = std::max(o.bounds[2 * b + 1], v);
    }
  }
  for (uint32_t f = 0; f < slot.size(); ++f) {
    if (slot[f] < 0) continue;
    Overlay& o = overlays_[static_cast<size_t>(slot[f])];
    o.rank.resize(words);
    uint32_t rank = 0;
    for (uint64_t w = 0; w < words; ++w) {
      o.rank[w] = rank;
      rank += static_cast<uint32_t>(std::popcount(o.docs[w]));
    }
    NumericColumn& c = numeric_[f];
    c.present = o.present.data();
    c.block_min_max = o.bounds.data();
    c.overlay_docs = o.docs.data();
    c.overlay_rank = o.rank.data();
    c.overlay_values = o.values.data();
  }
  updates_ = std::move(updates);
  return Status::Ok();
}

void IndexReader::AdoptChecks(const IndexReader& other) {
  if (other.sections_.size() != sections_.size() || other.file_size() != file_size() ||
      std::memcmp(&other.header_, &header_, sizeof(header_)) != 0 ||
      other.groups_.size() != groups_.size() || !other.file_->Unchanged().ok()) {
    return;
  }
  std::lock_guard<std::mutex> lock(other.check_mu_);
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (other.group_checked_[g].load(std::memory_order_acquire)) {
      group_checked_[g].store(true, std::memory_order_release);
    }
  }
  section_checked_ = other.section_checked_;
  if (chunks_ != nullptr && other.chunks_ != nullptr) chunks_->AdoptFrom(*other.chunks_);
}

Status IndexReader::VerifyUpdates() const {
  if (updates_ == nullptr) return Status::Ok();
  for (const DocUpdates::Doc& d : updates_->docs) {
    const auto bad = [&](const std::string& what) {
      return Status::Corruption("index '" + path() + "': the update of doc " +
                                std::to_string(d.doc) + " " + what);
    };
    Json fields;
    if (!ParseJson(d.fields_json, "update", kMaxJsonDepth, &fields).ok() || !fields.is_object()) {
      return bad("is not a JSON object");
    }
    size_t numeric_fields = 0;
    for (auto& [key, value] : fields.items()) {
      const auto f = schema_.FieldIndex(key);
      if (!f || !UpdatableInPlace(schema_, schema_.fields()[*f])) {
        return bad("changes '" + key + "', which cannot change in place");
      }
      const FieldType type = schema_.fields()[*f].type;
      numeric_fields += type == FieldType::kInt || type == FieldType::kFloat;
    }
    if (numeric_fields != d.numbers.size()) return bad("has numbers for other fields");
    Use(Group(kSourceGroup));
    LIBSEARCH_ASSIGN_OR_RETURN(std::string source, source_.Get(d.doc));
    ParsedDocument parsed;
    if (!PatchDocument(schema_, source, d.fields_json, &parsed).ok()) return bad("does not apply");
    // The column values must be what the JSON values parse to.
    for (const DocUpdates::Number& n : d.numbers) {
      const DocUpdates::Number want = ColumnValue(schema_, n.field, parsed);
      if (want.present != n.present || want.bits != n.bits) {
        return bad("has a column value unlike its JSON value");
      }
    }
  }
  return Status::Ok();
}

}  // namespace libsearch::internal
