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

namespace {

// Doc `doc`'s entry for numeric field `f` in `u`, or null.
const DocUpdates::Number* NumberOf(const DocUpdates::Doc* u, uint32_t f) {
  if (u == nullptr) return nullptr;
  for (const DocUpdates::Number& n : u->numbers) {
    if (n.field == f) return &n;
  }
  return nullptr;
}

}  // namespace

Status IndexReader::ApplyUpdates(std::shared_ptr<const DocUpdates> updates,
                                 const IndexReader* previous) {
  if (!has_source_) {
    return Status::Corruption("index '" + path() + "' has updates but keeps no sources");
  }
  const DocUpdates* before = previous != nullptr ? previous->updates_.get() : nullptr;
  const uint64_t words = (uint64_t{num_docs_} + 63) / 64;
  const size_t blocks = (num_docs_ + kNumericBlockDocs - 1) / kNumericBlockDocs;
  // Each numeric field the updates change: a copy of its column to change,
  // from `previous`'s copy if it has one (then only what differs from its
  // entries is written), else from the file.
  std::vector<int64_t> slot(fields_.size(), -1);
  std::vector<bool> from_previous(fields_.size(), false);
  for (const DocUpdates::Doc& d : updates->docs) {
    if (d.doc >= num_docs_) {
      return Status::Corruption("index '" + path() + "': update entry for doc " +
                                std::to_string(d.doc) + " past the end");
    }
    for (const DocUpdates::Number& n : d.numbers) {
      const NumericColumn* file = numeric(n.field);
      if (file == nullptr) {
        return Status::Corruption("index '" + path() + "': the update of doc " +
                                  std::to_string(d.doc) + " names a field without a column");
      }
      if (slot[n.field] >= 0) continue;
      // `previous` has a copy of this field iff its column is not in its mapping.
      from_previous[n.field] = before != nullptr && previous->num_docs_ == num_docs_ &&
                               n.field < previous->numeric_.size() &&
                               previous->HasUpdatedColumn(n.field);
      const NumericColumn* from = from_previous[n.field] ? &previous->numeric_[n.field] : file;
      slot[n.field] = static_cast<int64_t>(updated_columns_.size());
      uint64_t* col =
          updated_columns_.emplace_back(new uint64_t[words + num_docs_]).get();  // NOLINT
      std::memcpy(col, from->present, 8 * words);
      std::memcpy(col + words, from->values, 8ull * num_docs_);
      std::vector<double>& bounds = updated_blocks_.emplace_back(2 * blocks);
      if (from->block_min_max != nullptr) {
        std::memcpy(bounds.data(), from->block_min_max, 16 * blocks);
      } else {
        // A file without block bounds: every block is read as unbounded.
        for (size_t b = 0; b < blocks; ++b) {
          bounds[2 * b] = -std::numeric_limits<double>::infinity();
          bounds[2 * b + 1] = std::numeric_limits<double>::infinity();
        }
      }
    }
  }
  // A field copied from `previous` starts with its entries applied; one
  // copied from the file starts with none.
  // Writes `doc`'s value of `f`: the entry's, or the file's without one.
  // Bounds only widen (a wider {min, max} still skips and accepts blocks
  // correctly), so no block is scanned again.
  const auto write = [&](uint32_t f, uint32_t doc, const DocUpdates::Number* n) {
    const NumericColumn& file = numeric_[f];  // Still the mapping here.
    uint64_t* col = updated_columns_[slot[f]].get();
    const bool present = n != nullptr ? n->present : file.Has(doc);
    uint64_t bits = 0;
    if (n != nullptr) {
      bits = n->bits;
    } else {
      std::memcpy(&bits, file.values + 8ull * doc, 8);
    }
    const uint64_t bit = uint64_t{1} << (doc & 63);
    col[doc >> 6] = present ? (col[doc >> 6] | bit) : (col[doc >> 6] & ~bit);
    col[words + doc] = bits;
    if (!present) return;
    double v;
    if (file.spec->type == FieldType::kFloat) {
      std::memcpy(&v, &bits, 8);
    } else {
      int64_t i;
      std::memcpy(&i, &bits, 8);
      v = static_cast<double>(i);
    }
    std::vector<double>& bounds = updated_blocks_[slot[f]];
    const size_t b = doc / kNumericBlockDocs;
    bounds[2 * b] = std::min(bounds[2 * b], v);
    bounds[2 * b + 1] = std::max(bounds[2 * b + 1], v);
  };
  // Every doc of either list, each field with a column copy: what it should
  // hold against what the copy holds.
  auto next = updates->docs.begin();
  auto old = before != nullptr ? before->docs.begin() : updates->docs.end();
  const auto old_end = before != nullptr ? before->docs.end() : updates->docs.end();
  while (next != updates->docs.end() || old != old_end) {
    const DocUpdates::Doc* now = nullptr;
    const DocUpdates::Doc* was = nullptr;
    uint32_t doc;
    if (old == old_end || (next != updates->docs.end() && next->doc <= old->doc)) {
      doc = next->doc;
      now = &*next++;
      if (old != old_end && old->doc == doc) was = &*old++;
    } else {
      doc = old->doc;
      was = &*old++;
    }
    if (doc >= num_docs_) continue;
    for (uint32_t f = 0; f < slot.size(); ++f) {
      if (slot[f] < 0) continue;
      const DocUpdates::Number* want = NumberOf(now, f);
      const DocUpdates::Number* have = from_previous[f] ? NumberOf(was, f) : nullptr;
      if (want == nullptr && have == nullptr) continue;
      if (want != nullptr && have != nullptr && want->present == have->present &&
          want->bits == have->bits) {
        continue;
      }
      write(f, doc, want);
    }
  }
  for (uint32_t f = 0; f < slot.size(); ++f) {
    if (slot[f] < 0) continue;
    NumericColumn& c = numeric_[f];
    c.present = updated_columns_[slot[f]].get();
    c.values = reinterpret_cast<const char*>(updated_columns_[slot[f]].get() + words);
    c.block_min_max = updated_blocks_[slot[f]].data();
  }
  updates_ = std::move(updates);
  return Status::Ok();
}

bool IndexReader::HasUpdatedColumn(uint32_t field) const {
  const NumericColumn& c = numeric_[field];
  for (const std::unique_ptr<uint64_t[]>& col : updated_columns_) {
    if (c.present == col.get()) return true;
  }
  return false;
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
