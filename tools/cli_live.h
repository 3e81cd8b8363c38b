// The commands that write index directories (live indexes): `index` into a
// directory, `update`, `compact`.
#pragma once

#include <string>
#include <vector>

namespace libsearch_cli {

// Whether `index --output PATH` writes an index directory: PATH ends in '/'
// or is an existing directory, or --live was given.
bool WantsIndexDirectory(const std::string& output, bool live_flag);

// `libsearch index --output DIR/`: creates the directory index, applies
// every input line as an upsert and commits once.
int RunIndexDirectory(const std::string& schema_path, const std::vector<std::string>& inputs,
                      const std::string& output, bool skip_bad, const std::string& synonyms);

// `libsearch update INDEX --input changes.jsonl`: one commit of every line.
int RunUpdate(const std::string& index, const std::vector<std::string>& inputs, bool skip_bad,
              bool merge);

// `libsearch compact INDEX`: merges every segment into one.
int RunCompact(const std::string& index);

}  // namespace libsearch_cli
