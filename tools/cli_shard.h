// The commands of sharded indexes (libsearch/sharded_index.h): `shard`
// builds one; `update` and `compact` on a shard map come here. `search`,
// `batch`, `info` and `verify` open a shard map as any index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace libsearch_cli {

// `libsearch shard --schema S --input X --shards N --output DIR`: creates
// the sharded index, routes every input line to its shard, commits once.
int RunShard(const std::string& schema_path, const std::vector<std::string>& inputs,
             const std::string& output, uint32_t shards, bool skip_bad, const std::string& synonyms,
             size_t threads, bool publish_stats);

// `update` (one sharded commit of every line) or, with `compact`, `compact`.
int RunShardedUpdate(const std::string& dir, const std::vector<std::string>& inputs, bool skip_bad,
                     bool merge, bool compact);

}  // namespace libsearch_cli
