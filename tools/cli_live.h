// The commands that write index directories (live indexes): `index` into a
// directory, `update`, `compact`.
#pragma once

#include <libsearch/index.h>
#include <libsearch/index_builder.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "cli_common.h"

namespace libsearch_cli {

inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The synonym groups of the file `path` that `index` / `shard` store; none for "".
inline libsearch::Result<std::vector<std::vector<std::string>>> SynonymGroups(
    const std::string& path) {
  if (path.empty()) return std::vector<std::vector<std::string>>();
  return libsearch::LoadSynonyms(path);
}

// Applies every input to `writer` (an IndexWriter or a ShardedWriter);
// prints skipped lines. Returns 0 or the exit code of the failure, and adds
// to *lines and *skipped.
template <typename Writer>
int ApplyInputs(Writer* writer, const std::vector<std::string>& inputs, bool skip_bad,
                uint64_t* lines, uint64_t* skipped) {
  libsearch::IngestOptions opts;
  opts.skip_bad = skip_bad;
  for (const std::string& input : inputs) {
    auto stats = writer->ApplyJsonl(input, opts);
    if (!stats.ok()) {
      std::cerr << "libsearch: nothing committed (use --skip-bad to skip bad lines)\n";
      return Fail(stats.status());
    }
    *lines += stats->docs_added;
    *skipped += stats->lines_skipped;
    for (const std::string& e : stats->errors) std::cerr << "skipped: " << e << "\n";
    if (stats->lines_skipped > stats->errors.size()) {
      std::cerr << "skipped: ... and " << stats->lines_skipped - stats->errors.size() << " more\n";
    }
  }
  return 0;
}

// Whether `index --output PATH` writes an index directory: PATH ends in '/'
// or is an existing directory, or --live was given.
bool WantsIndexDirectory(const std::string& output, bool live_flag);

// `libsearch index --output DIR/`: creates the directory index, applies
// every input line as an upsert and commits once.
int RunIndexDirectory(const std::string& schema_path, const std::vector<std::string>& inputs,
                      const std::string& output, bool skip_bad, const std::string& synonyms);

// `libsearch update INDEX --input changes.jsonl`: one commit of every line
// (of every shard's, for a sharded index).
int RunUpdate(const std::string& index, const std::vector<std::string>& inputs, bool skip_bad,
              bool merge);

// `libsearch compact INDEX`: merges every segment (of each shard) into one.
int RunCompact(const std::string& index);

}  // namespace libsearch_cli
