// The shard requests and replies a fan-out coordinator (fan_out_index.cc)
// exchanges with shard functions (HandleShardRequest, libsearch/fan_out.h):
// JSON objects, version 1 (docs/design-notes.md, "Fan-out across
// functions").
//
//   {"shard_request": {"version": 1, "phase": "search" | "locate" | "info" |
//                      "document" | "explain",
//                      "search": REQUEST, "after": POSITION, "doc": N}}
//   {"shard_reply": {"version": 1, "phase": ..., "generation": G,
//                    "num_shards": N, "shards": [S, ...], ...}}
//
// REQUEST is every field of a SearchRequest (none left to defaults, so both
// sides read the same request whatever their defaults); scores and sort
// values are JSON numbers that read back to the same float or double;
// stored documents travel as strings (the bytes one index would return).
// An error is the usual error object ({"error": {"code", "message"}}).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/index.h"
#include "search/sharded_index.h"

namespace libsearch::internal {

enum class ShardPhase { kSearch, kLocate, kInfo, kDocument, kExplain };

struct ShardRequest {
  ShardPhase phase = ShardPhase::kSearch;
  SearchRequest search;                // kSearch, kLocate, kExplain.
  std::optional<ShardPosition> after;  // kSearch: rank after this position.
  uint32_t doc = 0;                    // kDocument: a sequence number.
};

std::string EncodeShardRequest(const ShardRequest& request);
// InvalidArgument if malformed.
Result<ShardRequest> DecodeShardRequest(std::string_view json);

struct ShardReply {
  ShardPhase phase = ShardPhase::kSearch;
  uint64_t generation = 0;
  uint32_t num_shards = 0;
  std::vector<uint32_t> shards;           // Those the replying function serves.
  ShardResult result;                     // kSearch.
  std::optional<ShardPosition> position;  // kLocate: none if not held there.
  std::string schema_json;                // kInfo: the index's schema.
  uint64_t num_docs = 0;                  // kInfo: of the shards served.
  std::optional<std::string> text;        // kDocument (if held), kExplain.
  uint64_t took_us = 0;                   // The shard's own time on the request (for measurements).
};

std::string EncodeShardReply(const ShardReply& reply);
// The reply, or the error it carries (its code read back from the error
// object: a shard's InvalidArgument is the request's fault), or IOError if
// it is neither (a proxy's page, a runtime's error).
Result<ShardReply> DecodeShardReply(std::string_view json);

// The StatusCode of an error reply's code name (ErrorCodeName); kInternal
// for an unknown one.
StatusCode StatusCodeOfName(std::string_view code);

}  // namespace libsearch::internal
