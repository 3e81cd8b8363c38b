#include "cli_live.h"

#include <libsearch/index_writer.h>
#include <libsearch/libsearch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli_common.h"
#include "cli_shard.h"

namespace libsearch_cli {

bool WantsIndexDirectory(const std::string& output, bool live_flag) {
  std::error_code ec;
  return live_flag || (!output.empty() && output.back() == '/') ||
         std::filesystem::is_directory(output, ec);
}

int RunIndexDirectory(const std::string& schema_path, const std::vector<std::string>& inputs,
                      const std::string& output, bool skip_bad, const std::string& synonyms) {
  const auto start = std::chrono::steady_clock::now();
  auto schema = libsearch::Schema::FromFile(schema_path);
  if (!schema.ok()) return Fail(schema.status());
  auto groups = SynonymGroups(synonyms);
  if (!groups.ok()) return Fail(groups.status());
  std::string dir = output;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  auto writer = libsearch::IndexWriter::Create(dir, *schema, {}, *groups);
  if (!writer.ok()) return Fail(writer.status());
  uint64_t lines = 0, skipped = 0;
  if (const int rc = ApplyInputs(writer->get(), inputs, skip_bad, &lines, &skipped); rc != 0) {
    return rc;
  }
  auto info = (*writer)->Commit();
  if (!info.ok()) return Fail(info.status());
  const double secs = SecondsSince(start);
  std::printf(
      "indexed %llu docs (%llu bad lines skipped) into index directory %s in %.2f s (%.0f "
      "docs/s)\n",
      static_cast<unsigned long long>(info->live_docs), static_cast<unsigned long long>(skipped),
      output.c_str(), secs, secs > 0 ? static_cast<double>(info->live_docs) / secs : 0.0);
  return 0;
}

int RunUpdate(const std::string& index, const std::vector<std::string>& inputs, bool skip_bad,
              bool merge) {
  if (libsearch::ShardedIndex::IsShardMap(index)) {
    return RunShardedUpdate(index, inputs, skip_bad, merge, false);
  }
  const auto start = std::chrono::steady_clock::now();
  libsearch::IndexWriterOptions options;
  options.merge_on_commit = merge;
  auto writer = libsearch::IndexWriter::Open(index, options);
  if (!writer.ok()) return Fail(writer.status());
  uint64_t lines = 0, skipped = 0;
  if (const int rc = ApplyInputs(writer->get(), inputs, skip_bad, &lines, &skipped); rc != 0) {
    return rc;
  }
  auto info = (*writer)->Commit();
  if (!info.ok()) return Fail(info.status());
  std::printf(
      "%s: %llu changes (%llu bad lines skipped): %llu docs added, %llu deleted or replaced, %llu "
      "updated in place, %llu deletes not found, %llu merges; generation %llu, %llu segments, "
      "%llu docs (%.2f s)\n",
      index.c_str(), static_cast<unsigned long long>(lines),
      static_cast<unsigned long long>(skipped), static_cast<unsigned long long>(info->docs_added),
      static_cast<unsigned long long>(info->docs_deleted),
      static_cast<unsigned long long>(info->docs_updated),
      static_cast<unsigned long long>(info->not_found),
      static_cast<unsigned long long>(info->merges),
      static_cast<unsigned long long>(info->generation),
      static_cast<unsigned long long>(info->segments),
      static_cast<unsigned long long>(info->live_docs), SecondsSince(start));
  return 0;
}

int RunCompact(const std::string& index) {
  if (libsearch::ShardedIndex::IsShardMap(index))
    return RunShardedUpdate(index, {}, false, true, true);
  const auto start = std::chrono::steady_clock::now();
  auto writer = libsearch::IndexWriter::Open(index);
  if (!writer.ok()) return Fail(writer.status());
  auto info = (*writer)->Compact();
  if (!info.ok()) return Fail(info.status());
  std::printf("%s: %s; generation %llu, %llu segments, %llu docs (%.2f s)\n", index.c_str(),
              info->changed ? "compacted" : "already compact",
              static_cast<unsigned long long>(info->generation),
              static_cast<unsigned long long>(info->segments),
              static_cast<unsigned long long>(info->live_docs), SecondsSince(start));
  return 0;
}

}  // namespace libsearch_cli
