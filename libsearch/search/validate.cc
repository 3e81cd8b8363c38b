// Stage 1: checks of a request against the index's schema and limits, done
// before anything is parsed or run.
#include <string>

#include "search/index_impl.h"

namespace libsearch::internal {
namespace {

constexpr size_t kMaxResultWindow = 10000;

}  // namespace

Status IndexImpl::Validate(const SearchRequest& req) const {
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
