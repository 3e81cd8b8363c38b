// Reading a JSON Lines file line by line into a callback, with the error
// and skip rules that IndexBuilder::AddJsonl and IndexWriter::ApplyJsonl
// share: errors name FILE:LINE, blank lines are ignored, and with skip_bad
// a bad line is counted and its message kept instead of failing the call.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/index_builder.h"
#include "libsearch/status.h"

namespace libsearch::internal {

// Calls `add` on every non-blank line of `path` (plain, .gz or .zst). A
// status for which `is_bad_line` is true is a bad line (skipped with
// skip_bad); any other error stops the call. IngestStats::docs_added
// counts the lines `add` accepted.
Result<IngestStats> IngestJsonl(const std::string& path, const IngestOptions& options,
                                const std::function<Status(std::string_view)>& add,
                                const std::function<bool(const Status&)>& is_bad_line);

// The same rules, a batch of lines at a time, so that a parallel build can
// parse a batch on several threads: reads up to `batch_lines` non-blank
// lines (fewer once they hold `batch_bytes`), calls `prepare(&lines)` on them, then `add(i)` on
// each in order, then `end_batch()` (also when a line's error stops the call).
struct IngestBatchCalls {
  std::function<void(std::vector<std::string>*)> prepare;
  std::function<Status(size_t)> add;
  std::function<void()> end_batch;
  std::function<bool(const Status&)> is_bad_line;
};
Result<IngestStats> IngestJsonlBatches(const std::string& path, const IngestOptions& options,
                                       size_t batch_lines, size_t batch_bytes,
                                       const IngestBatchCalls& calls);

}  // namespace libsearch::internal
