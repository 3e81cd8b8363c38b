#include "index/ingest.h"

#include "storage/file.h"

namespace libsearch::internal {

Result<IngestStats> IngestJsonl(const std::string& path, const IngestOptions& options,
                                const std::function<Status(std::string_view)>& add,
                                const std::function<bool(const Status&)>& is_bad_line) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto reader, LineReader::Open(path));
  IngestStats stats;
  std::string line;
  uint64_t line_no = 0;
  while (reader->Next(&line)) {
    ++line_no;
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    ++stats.lines;
    Status s = add(line);
    if (s.ok()) {
      ++stats.docs_added;
    } else {
      Status located = s.WithContext(path + ":" + std::to_string(line_no));
      if (!options.skip_bad || !is_bad_line(s)) return located;
      ++stats.lines_skipped;
      if (stats.errors.size() < options.max_error_messages) {
        stats.errors.push_back(located.message());
      }
    }
    if (options.progress && line_no % 4096 == 0) options.progress(line_no, reader->bytes_read());
  }
  LIBSEARCH_RETURN_IF_ERROR(reader->status());
  if (options.progress) options.progress(line_no, reader->bytes_read());
  return stats;
}

}  // namespace libsearch::internal
