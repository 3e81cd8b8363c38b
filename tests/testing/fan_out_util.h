// A fan-out coordinator over shard servers in this process (libsearch/
// fan_out.h): shard i of a sharded index opened alone (OpenOptions::shards)
// for each i, behind an InProcessShardTransport, so every request and reply
// goes through the shard protocol's JSON.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "libsearch/fan_out.h"
#include "libsearch/index.h"

namespace libsearch::testing {

inline Result<std::vector<std::shared_ptr<const Index>>> OpenShardServers(const std::string& dir,
                                                                          uint32_t num_shards) {
  std::vector<std::shared_ptr<const Index>> shards;
  for (uint32_t i = 0; i < num_shards; ++i) {
    OpenOptions options;
    options.shards = {i};
    LIBSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Index> shard, Index::Open(dir, options));
    shards.push_back(std::move(shard));
  }
  return shards;
}

inline Result<std::unique_ptr<Index>> OpenInProcessFanOut(const std::string& dir,
                                                          uint32_t num_shards) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto shards, OpenShardServers(dir, num_shards));
  return FanOutIndex::Open(InProcessShardTransport(std::move(shards)));
}

}  // namespace libsearch::testing
