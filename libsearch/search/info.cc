// Facts about the open index: its documents, fields and sections.
#include <string>

#include "index/numeric_summary.h"
#include "search/index_impl.h"
#include "storage/format.h"

namespace libsearch::internal {

Result<std::string> IndexImpl::StoredDocument(uint32_t doc) const {
  LIBSEARCH_RETURN_IF_ERROR(reader_->Intact());
  Result<std::string> stored = reader_->StoredDocument(doc);
  LIBSEARCH_RETURN_IF_ERROR(reader_->Intact());
  return stored;
}

Result<IndexInfo> IndexImpl::Info() const {
  LIBSEARCH_RETURN_IF_ERROR(reader_->Intact());
  IndexInfo info;
  info.path = reader_->path();
  info.format_major = reader_->header().format_major;
  info.format_minor = reader_->header().format_minor;
  info.num_docs = reader_->num_docs();
  info.file_bytes = reader_->file_size();
  info.id_field = reader_->schema().id_field();
  const auto& fields = reader_->schema().fields();
  for (size_t f = 0; f < fields.size(); ++f) {
    FieldInfo fi;
    fi.name = fields[f].name;
    fi.type = fields[f].type;
    fi.stored = fields[f].stored;
    if (const FieldStats* st = reader_->field_stats(f)) {
      fi.indexed = true;
      fi.doc_count = st->doc_count;
      fi.num_terms = st->num_terms;
      fi.total_terms = st->sum_total_tf;
    } else if (const NumericColumn* c = reader_->numeric(f)) {
      const NumericSummary n = SummarizeNumeric(*c, reader_->num_docs());
      fi.doc_count = n.docs;
      fi.min_value = n.min;
      fi.max_value = n.max;
    }
    info.fields.push_back(std::move(fi));
  }
  for (const SectionEntry& e : reader_->sections()) {
    SectionInfo si;
    si.kind = std::string(SectionKindName(SectionKind(e.kind)));
    const uint32_t f = e.field & ~kPrefixFieldBit;
    if (e.field != kNoField && f < fields.size()) {
      si.field = fields[f].name + (e.field & kPrefixFieldBit ? " (prefixes)" : "");
    }
    si.offset = e.offset;
    si.bytes = e.length;
    info.sections.push_back(std::move(si));
  }
  LIBSEARCH_RETURN_IF_ERROR(reader_->Intact());  // The numeric columns read above.
  return info;
}

Status IndexImpl::Verify() const { return reader_->Verify(); }

}  // namespace libsearch::internal
