// In-place updates of a live index's segment (IndexWriter `_set` of fields
// that have no terms, docs/format.md "Update files"): which fields qualify,
// and the one rule that turns a document and its changed fields into the
// updated document, for the writer and for readers alike.
#pragma once

#include <string_view>

#include "index/document.h"
#include "libsearch/schema.h"
#include "libsearch/status.h"
#include "storage/index_dir.h"

namespace libsearch::internal {

// Fields whose values reach no term, norm or statistic: numbers (columns)
// and fields that are not indexed (stored only). Changing them leaves every
// score as it was, so `_set` rewrites their values in place.
bool UpdatableInPlace(const Schema& schema, const FieldSpec& field);

// `source` (a document's source JSON) with `fields_json` (an object of
// fields; null removes one) applied, parsed into `out` as IndexBuilder
// would parse it (`out->keep_source` is set, so `out->source_json` and
// `out->stored_json` are the updated documents).
Status PatchDocument(const Schema& schema, std::string_view source, std::string_view fields_json,
                     ParsedDocument* out);

// The column entry of numeric field `field` of a parsed document.
DocUpdates::Number ColumnValue(const Schema& schema, uint32_t field, const ParsedDocument& doc);

}  // namespace libsearch::internal
