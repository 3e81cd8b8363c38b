// Stage 1: checks of a request against the index's schema and limits, done
// before anything is parsed or run.
#include <string>

#include "search/index_impl.h"
#include "util/utf8.h"

namespace libsearch::internal {
namespace {

constexpr size_t kMaxResultWindow = 10000;

// Request text must be UTF-8: the analyser reads it as such, and what the
// response echoes (a suggestion, a highlight, an error) must be valid JSON
// and valid Python str.
Status CheckUtf8(std::string_view what, std::string_view text) {
  const size_t bad = FirstInvalidUtf8(text);
  if (bad == std::string_view::npos) return Status::Ok();
  return Status::InvalidArgument(std::string(what) + " is not valid UTF-8 at byte offset " +
                                 std::to_string(bad));
}

Status CheckRequestText(const SearchRequest& req) {
  LIBSEARCH_RETURN_IF_ERROR(CheckUtf8("query", req.query));
  for (const std::string& f : req.filters) LIBSEARCH_RETURN_IF_ERROR(CheckUtf8("filter", f));
  for (const std::string& f : req.fields) LIBSEARCH_RETURN_IF_ERROR(CheckUtf8("fields entry", f));
  for (const FacetRequest& f : req.facets) {
    LIBSEARCH_RETURN_IF_ERROR(CheckUtf8("facet field", f.field));
    for (const auto& r : f.ranges)
      LIBSEARCH_RETURN_IF_ERROR(CheckUtf8("facet range label", r.label));
  }
  for (const SortField& s : req.sort) LIBSEARCH_RETURN_IF_ERROR(CheckUtf8("sort field", s.field));
  for (const std::string& f : req.highlight.fields) {
    LIBSEARCH_RETURN_IF_ERROR(CheckUtf8("highlight field", f));
  }
  LIBSEARCH_RETURN_IF_ERROR(CheckUtf8("highlight pre_tag", req.highlight.pre_tag));
  LIBSEARCH_RETURN_IF_ERROR(CheckUtf8("highlight post_tag", req.highlight.post_tag));
  for (const std::string& f : req.retrieve)
    LIBSEARCH_RETURN_IF_ERROR(CheckUtf8("retrieve entry", f));
  return CheckUtf8("search_after", req.search_after);
}

}  // namespace

Status IndexImpl::Validate(const SearchRequest& req) const {
  LIBSEARCH_RETURN_IF_ERROR(CheckRequestText(req));
  if (req.max_expansions > 1000) {
    return Status::InvalidArgument("max_expansions must be at most 1000");
  }
  if (req.k > kMaxResultWindow || req.offset > kMaxResultWindow - req.k) {
    return Status::InvalidArgument(
        "offset + k must be at most " + std::to_string(kMaxResultWindow) + " (got offset " +
        std::to_string(req.offset) + ", k " + std::to_string(req.k) + ")");
  }
  // Highlight fields must be stored text fields.
  for (const std::string& name : req.highlight.fields) {
    const auto f = reader_->schema().FieldIndex(name);
    if (!f || reader_->schema().fields()[*f].type != FieldType::kText ||
        !reader_->schema().fields()[*f].stored) {
      return Status::InvalidArgument("highlight: '" + name +
                                     "' is not a stored text field (set \"stored\": true in "
                                     "the schema to highlight it)");
    }
  }
  // Fields to return must be stored.
  for (const std::string& name : req.retrieve) {
    const auto f = reader_->schema().FieldIndex(name);
    if (!f || !reader_->schema().fields()[*f].stored) {
      return Status::InvalidArgument("retrieve: '" + name +
                                     "' is not a stored field (set \"stored\": true in the "
                                     "schema to return it)");
    }
  }
  return Status::Ok();
}

}  // namespace libsearch::internal
