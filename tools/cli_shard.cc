#include "cli_shard.h"

#include <libsearch/libsearch.h>

#include <chrono>
#include <cstdio>

#include "cli_common.h"
#include "cli_live.h"

namespace libsearch_cli {
namespace {

void PrintShards(const libsearch::ShardedCommitInfo& info) {
  std::printf("  docs per shard:");
  for (const libsearch::CommitInfo& s : info.shards) {
    std::printf(" %llu", static_cast<unsigned long long>(s.live_docs));
  }
  std::printf("\n");
}

}  // namespace

int RunShard(const std::string& schema_path, const std::vector<std::string>& inputs,
             const std::string& output, uint32_t shards, bool skip_bad, const std::string& synonyms,
             size_t threads, bool publish_stats) {
  const auto start = std::chrono::steady_clock::now();
  auto schema = libsearch::Schema::FromFile(schema_path);
  if (!schema.ok()) return Fail(schema.status());
  auto groups = SynonymGroups(synonyms);
  if (!groups.ok()) return Fail(groups.status());
  libsearch::ShardedWriterOptions options;
  options.threads = threads;
  options.publish_stats = publish_stats;
  auto writer = libsearch::ShardedWriter::Create(output, *schema, shards, options, *groups);
  if (!writer.ok()) return Fail(writer.status());
  uint64_t lines = 0, skipped = 0;
  if (const int rc = ApplyInputs(writer->get(), inputs, skip_bad, &lines, &skipped); rc != 0) {
    return rc;
  }
  auto info = (*writer)->Commit();
  if (!info.ok()) return Fail(info.status());
  const double secs = SecondsSince(start);
  std::printf(
      "indexed %llu docs (%llu bad lines skipped) into %u shards at %s in %.2f s (%.0f "
      "docs/s)\n",
      static_cast<unsigned long long>(info->live_docs), static_cast<unsigned long long>(skipped),
      shards, output.c_str(), secs, secs > 0 ? static_cast<double>(info->live_docs) / secs : 0.0);
  PrintShards(*info);
  return 0;
}

int RunShardedUpdate(const std::string& dir, const std::vector<std::string>& inputs, bool skip_bad,
                     bool merge, bool compact) {
  const auto start = std::chrono::steady_clock::now();
  libsearch::ShardedWriterOptions options;
  options.shard.merge_on_commit = merge;
  auto writer = libsearch::ShardedWriter::Open(dir, options);
  if (!writer.ok()) return Fail(writer.status());
  uint64_t lines = 0, skipped = 0;
  if (const int rc = ApplyInputs(writer->get(), inputs, skip_bad, &lines, &skipped); rc != 0) {
    return rc;
  }
  auto info = compact ? (*writer)->Compact() : (*writer)->Commit();
  if (!info.ok()) return Fail(info.status());
  std::printf(
      "%s: %llu changes (%llu bad lines skipped); shard map generation %llu, %llu docs "
      "(%.2f s)\n",
      dir.c_str(), static_cast<unsigned long long>(lines), static_cast<unsigned long long>(skipped),
      static_cast<unsigned long long>(info->generation),
      static_cast<unsigned long long>(info->live_docs), SecondsSince(start));
  PrintShards(*info);
  return 0;
}

}  // namespace libsearch_cli
