#include "index/ingest.h"

#include <cstdint>

#include "storage/file.h"

namespace libsearch::internal {

Result<IngestStats> IngestJsonlBatches(const std::string& path, const IngestOptions& options,
                                       size_t batch_lines, size_t batch_bytes,
                                       const IngestBatchCalls& calls) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto reader, LineReader::Open(path));
  IngestStats stats;
  std::vector<std::string> lines(batch_lines);
  std::vector<uint64_t> line_nos(batch_lines);
  uint64_t line_no = 0;
  for (bool more = true; more;) {
    size_t n = 0, bytes = 0;
    while (n < batch_lines && bytes < batch_bytes && (more = reader->Next(&lines[n]))) {
      ++line_no;
      if (lines[n].find_first_not_of(" \t") == std::string::npos) continue;
      bytes += lines[n].size();
      line_nos[n++] = line_no;
    }
    if (n == 0) break;
    lines.resize(n);
    calls.prepare(&lines);
    for (size_t i = 0; i < n; ++i) {
      ++stats.lines;
      Status s = calls.add(i);
      if (s.ok()) {
        ++stats.docs_added;
      } else {
        Status located = s.WithContext(path + ":" + std::to_string(line_nos[i]));
        if (!options.skip_bad || !calls.is_bad_line(s)) {
          calls.end_batch();
          return located;
        }
        ++stats.lines_skipped;
        if (stats.errors.size() < options.max_error_messages) {
          stats.errors.push_back(located.message());
        }
      }
      if (options.progress && line_nos[i] % 4096 == 0) {
        options.progress(line_nos[i], reader->bytes_read());
      }
    }
    calls.end_batch();
    lines.resize(batch_lines);
  }
  LIBSEARCH_RETURN_IF_ERROR(reader->status());
  if (options.progress) options.progress(line_no, reader->bytes_read());
  return stats;
}

Result<IngestStats> IngestJsonl(const std::string& path, const IngestOptions& options,
                                const std::function<Status(std::string_view)>& add,
                                const std::function<bool(const Status&)>& is_bad_line) {
  const std::vector<std::string>* batch = nullptr;
  IngestBatchCalls calls;
  calls.prepare = [&batch](std::vector<std::string>* lines) { batch = lines; };
  calls.add = [&](size_t i) { return add((*batch)[i]); };
  calls.end_batch = [] {};
  calls.is_bad_line = is_bad_line;
  return IngestJsonlBatches(path, options, 1, SIZE_MAX, calls);
}

}  // namespace libsearch::internal
