// Set up at open: each text field's analyser, and its "surface" twin
// (same folding, no stemming) that prefixes and typos match against.
#include "search/index_impl.h"

namespace libsearch::internal {

Status IndexImpl::InitAnalyzers() {
  const auto& fields = reader_->schema().fields();
  analyzers_.assign(fields.size(), nullptr);
  surface_analyzers_.assign(fields.size(), nullptr);
  for (size_t f = 0; f < fields.size(); ++f) {
    if (fields[f].type != FieldType::kText) continue;
    analysis::AnalyzerOptions ao;
    ao.language = fields[f].language;
    ao.stopwords = fields[f].stopwords;
    ao.fold_accents = fields[f].fold_accents;
    ao.split_codes = fields[f].split_codes;
    LIBSEARCH_ASSIGN_OR_RETURN(auto a, analysis::Analyzer::Create(ao));
    analyzers_[f] = a.get();
    owned_.push_back(std::move(a));
    ao.language = "none";  // Same folding, no stemming: prefixes and typos.
    LIBSEARCH_ASSIGN_OR_RETURN(auto surface, analysis::Analyzer::Create(ao));
    surface_analyzers_[f] = surface.get();
    owned_.push_back(std::move(surface));
    if (fields[f].indexed) default_fields_.push_back(static_cast<uint32_t>(f));
  }
  return Status::Ok();
}

}  // namespace libsearch::internal
