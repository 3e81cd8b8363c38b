// File: libsearch/fan_out.h
//
// Searching a sharded index (libsearch/sharded_index.h) across processes or
// functions: one shard function per shard (a Lambda, a Cloud Run service, a
// libsearch-service), each with its shard opened alone (OpenOptions::shards)
// and answering shard requests (HandleShardRequest), and a coordinator
// (FanOutIndex) that sends each search to every shard at once and merges
// their answers into one index's: ids, scores, order, facet counts, totals,
// cursors and suggestions (docs/design-notes.md, "Fan-out across functions").
//
// Index-wide statistics: each commit of a sharded index publishes its
// shards' dictionaries (ShardedWriterOptions::publish_stats), which every
// shard function reads along with its shard, so a search needs no
// statistics round trip: a shard scores with the numbers of the whole index.
//
// Rounds: one per search. A next page (search_after) is one round too when
// the coordinator gave out its cursor itself, recently: it keeps where the
// last hit of each page ranks (FanOutOptions::cursor_cache_entries);
// otherwise it takes one more round first, to the shard that holds the
// cursor's document (where it ranks). A "did you mean" suggestion takes
// one more after, a count of the suggested query.
//
// Partial results: a shard that fails, or has not answered within
// FanOutOptions::shard_timeout, fails the search with Unavailable (HTTP 503
// "unavailable", naming the shard), unless the request allows partial
// results (SearchRequest::allow_partial_results; JSON "partial_results":
// true). The response then names the shards missing (SearchResponse::
// missing_shards; JSON "partial": true and "missing_shards"), counts only
// the other shards' documents (total_exact false) and suggests nothing.
// Never a silently smaller answer. A request the shards refuse (a bad
// query, an unknown field) is an error whatever the option.
//
// Example (the coordinator of three shard functions):
//   auto transport = libsearch::HttpShardTransport(
//       {"lambda:products-shard-0", "lambda:products-shard-1", "lambda:products-shard-2"});
//   auto index = libsearch::FanOutIndex::Open(*transport);
//   auto resp = (*index)->Search(request);  // As one index's.
// and each shard function:
//   libsearch::OpenOptions options;
//   options.shards = {2};
//   auto shard = libsearch::Index::Open("products.shards", options);
//   libsearch::JsonReply r = libsearch::HandleShardRequest(**shard, body);
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/export.h"
#include "libsearch/index.h"
#include "libsearch/json.h"
#include "libsearch/status.h"

namespace libsearch {

// How a coordinator reaches its shards.
//
// Thread-safety: Exchange may be called from many threads at once.
class LIBSEARCH_EXPORT ShardTransport {
 public:
  virtual ~ShardTransport() = default;
  virtual size_t num_shards() const = 0;
  // Sends requests[i] (a shard request, JSON text) to shard i for each i
  // whose request is not empty, all at once, and returns each reply body
  // (JSON text: a shard reply or an error object) by `deadline`, or an
  // error: IOError if the shard could not be reached or answered without a
  // JSON body, Unavailable if it did not answer in time. One result per
  // shard (those not asked: an empty string).
  virtual std::vector<Result<std::string>> Exchange(
      const std::vector<std::string>& requests, std::chrono::steady_clock::time_point deadline) = 0;
  // Shard i for messages: its URL, or "shard 2 (in process)".
  virtual std::string Describe(size_t shard) const = 0;
};

// Shards reached over HTTP, one URL per shard in shard order (libcurl;
// Unimplemented in a build without it):
//   http://HOST:PORT/PATH, https://...   a POST of the request, the reply
//       body back: libsearch-service --shard N's /shard, the invocation URL
//       of a Lambda under the Runtime Interface Emulator, a Cloud Run
//       function.
//   lambda:FUNCTION[:QUALIFIER]          AWS Lambda's Invoke API, signed
//       (SigV4) with AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
//       AWS_SESSION_TOKEN, in AWS_REGION (or AWS_DEFAULT_REGION); the
//       endpoint is https://lambda.REGION.amazonaws.com unless
//       AWS_ENDPOINT_URL_LAMBDA (or AWS_ENDPOINT_URL) names another.
// Connections are kept open between searches.
LIBSEARCH_EXPORT Result<std::shared_ptr<ShardTransport>> HttpShardTransport(
    const std::vector<std::string>& urls);

// Shards in this process: shard i's requests go to HandleShardRequest on
// shards[i], on threads of the transport's own (no deadline applies).
LIBSEARCH_EXPORT std::shared_ptr<ShardTransport> InProcessShardTransport(
    std::vector<std::shared_ptr<const Index>> shards);

struct FanOutOptions {
  // A shard that has not answered this long after a search (or one of its
  // rounds) started is missing. Default 10 s.
  std::chrono::milliseconds shard_timeout{10000};
  // Next pages: how many pages' last-hit positions (where the cursor's
  // document ranks: sort values, typo tier), keyed by cursor and request,
  // the coordinator keeps (least recently used out; about 1 KB each). A
  // next page whose cursor is there takes one round instead of two; one
  // that is not (another coordinator's cursor, evicted, or the shards at
  // another commit) takes two, with the same answer. 0: always two.
  size_t cursor_cache_entries = 1024;
};

// The coordinator.
class LIBSEARCH_EXPORT FanOutIndex {
 public:
  // Asks every shard for its schema, shard number and commit (at least one
  // must answer; those that answer must agree and be shard i at position
  // i). The Index's Search() fans out as above; Reopen() asks again;
  // StoredDocument(doc) asks every shard for the document with sequence
  // number `doc` (Hit::doc); ExplainQuery asks a shard; Info() describes the
  // shards that answered Open (num_docs, generation, schema fields); Verify()
  // is Unimplemented (verify each shard's index where it is). Reopen()'s
  // index shares the cursor cache (its entries name their commit).
  static Result<std::unique_ptr<Index>> Open(std::shared_ptr<ShardTransport> transport,
                                             const FanOutOptions& options = {});
  // Open(HttpShardTransport(urls), options), the URLs given as one string,
  // separated by commas or white space (LIBSEARCH_SHARDS, --shards).
  static Result<std::unique_ptr<Index>> OpenUrls(std::string_view urls,
                                                 const FanOutOptions& options = {});
};

// Answers a coordinator's shard request (JSON text) on `index`, a sharded
// index opened with OpenOptions::shards (or whole): its shards' part of a
// search, where a cursor's document ranks, its schema. 200 with the reply,
// or an error reply as HandleSearchJson's (400 for a bad request; 400 too
// if `index` is not a sharded index).
LIBSEARCH_EXPORT JsonReply HandleShardRequest(const Index& index, std::string_view request_json);

// Whether `json` is a shard request (an object with the key
// "shard_request"): how a function that takes both tells them apart.
LIBSEARCH_EXPORT bool IsShardRequest(std::string_view json);

}  // namespace libsearch
