// File: functions/aws_lambda/bootstrap.cc
//
// The AWS Lambda custom runtime (provided.al2023): the executable Lambda
// starts as $LAMBDA_TASK_ROOT/bootstrap. It opens the index once, during the
// init phase, then loops: next invocation -> HandleLambdaEvent -> response.
//
// Index location, first that applies:
//   $LIBSEARCH_INDEX             a path (file or index directory), or
//                                s3://BUCKET/PREFIX: an index in S3, downloaded
//                                to $LIBSEARCH_CACHE_DIR (default /tmp/libsearch)
//   $LAMBDA_TASK_ROOT/index.idx  inside the deployment zip
//   /opt/index.idx               in a layer
// A failure to open it is reported to /runtime/init/error with type
// Runtime.IndexLoadError, and the process exits (Lambda then reports the
// error to the invocation). Before each invocation, at most every
// $LIBSEARCH_REFRESH_SECONDS (default 10; 0 never), the index is checked for
// a newer commit (IndexReplica); a failed check keeps the last snapshot and
// is logged. $LIBSEARCH_CHECKSUMS (first-use, open or off) sets when section
// checksums are checked (OpenOptions::checksums).
//
// With the function's handler set to "update" ($_HANDLER), it is the update
// function instead: each event (an SQS batch, an HTTP POST of JSON Lines,
// {"events": [...]}) is applied to the index at $LIBSEARCH_INDEX
// (s3://BUCKET/PREFIX) as one published commit (libsearch/updates.h), the
// writer working in $LIBSEARCH_WRITER_DIR (default /tmp/libsearch-writer).
// With "rebuild", it is the scheduled rebuild: each event rebuilds that index
// from the catalogue export ($LIBSEARCH_EXPORT or the event's "export") and
// replays the changes logged since the export started.
//
// A sharded index across functions (libsearch/fan_out.h):
//   $LIBSEARCH_SHARD=N           a shard function: $LIBSEARCH_INDEX is a sharded
//                                index, of which only shard N is opened (scoring
//                                with the statistics its commit published); it
//                                answers a coordinator's shard requests.
//   $LIBSEARCH_SHARDS=URL,...    the coordinator: each search goes to these shard
//                                functions at once (lambda:NAME or http(s) URLs,
//                                in shard order) and their answers are merged;
//                                a shard that fails or has not answered within
//                                $LIBSEARCH_SHARD_TIMEOUT_MS (default 10000) fails
//                                the search (503), or with "partial_results": true
//                                is named in the answer. No index is opened.
//                                $LIBSEARCH_CURSOR_CACHE_ENTRIES (default 1024; 0
//                                off): next pages it remembers, each one round.
//
// Each search invocation writes one JSON line to standard output, which
// CloudWatch Logs keeps (libsearch/request_log.h, surface "lambda-cpp"):
// the raw query only with LIBSEARCH_LOG_QUERIES=1, no line with
// LIBSEARCH_REQUEST_LOG=0.
#include <libsearch/fan_out.h>
#include <libsearch/index.h>
#include <libsearch/lambda_event.h>
#include <libsearch/remote.h>
#include <libsearch/request_log.h>
#include <libsearch/updates.h>
#include <sys/stat.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>

#include "functions/aws_lambda/runtime_api.h"

namespace {

std::string EnvOr(const char* name, const char* fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? v : fallback;
}

// A number from the environment: `fallback` if unset, else the whole value
// as a number in [lo, hi] (a whole number if `whole`), or an error naming
// the variable and the range (a typo must not silently become 0: a shard
// timeout of 0, shard 0).
libsearch::Result<double> EnvNumber(const char* name, double fallback, double lo, double hi,
                                    bool whole = true) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  char* end = nullptr;
  const double x = std::strtod(v, &end);
  if (end == v || *end != '\0' || !(x >= lo && x <= hi) || (whole && x != std::floor(x))) {
    return libsearch::Status::InvalidArgument(std::string(name) + "=" + v + ": expected " +
                                              (whole ? "a whole number" : "a number") + " from " +
                                              std::to_string(static_cast<long long>(lo)) + " to " +
                                              std::to_string(static_cast<long long>(hi)));
  }
  return x;
}

// Reports a bad setting as the function's init error.
int InitError(libsearch::functions::RuntimeApiClient& api, const char* type,
              const std::string& message) {
  std::fprintf(stderr, "bootstrap: %s\n", message.c_str());
  const libsearch::Status s = api.PostInitError(type, message);
  if (!s.ok()) std::fprintf(stderr, "bootstrap: %s\n", s.ToString().c_str());
  return 1;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

std::string IndexPath() {
  if (const char* p = std::getenv("LIBSEARCH_INDEX"); p != nullptr && *p != '\0') return p;
  if (const char* root = std::getenv("LAMBDA_TASK_ROOT"); root != nullptr && *root != '\0') {
    std::string in_task = std::string(root) + "/index.idx";
    if (Exists(in_task)) return in_task;
  }
  return "/opt/index.idx";
}

// Posts the reply to invocation `id`; false if the Runtime API is gone.
bool Post(libsearch::functions::RuntimeApiClient& api, const std::string& id,
          const libsearch::LambdaReply& reply) {
  libsearch::Status posted;
  if (reply.is_error) {
    posted = api.PostError(id, reply.error_type, reply.payload);
  } else {
    posted = api.PostResponse(id, reply.payload);
    if (posted.code() == libsearch::StatusCode::kResourceExhausted) {
      // Over the 6 MB response limit: say so instead of leaving it hanging.
      posted = api.PostError(id, "Function.ResponseSizeTooLarge",
                             "the response is " + std::to_string(reply.payload.size()) +
                                 " bytes, over Lambda's limit; ask for fewer hits or "
                                 "include_docs=false");
    }
  }
  if (!posted.ok()) {
    std::fprintf(stderr, "bootstrap: %s\n", posted.ToString().c_str());
    if (posted.code() == libsearch::StatusCode::kIOError) return false;
  }
  return true;
}

// Answers invocations with `handle` until the Runtime API goes away.
template <typename Handle>
int Serve(libsearch::functions::RuntimeApiClient& api, Handle handle) {
  for (;;) {
    auto inv = api.Next();
    if (!inv.ok()) {
      std::fprintf(stderr, "bootstrap: %s\n", inv.status().ToString().c_str());
      return 1;
    }
    if (!Post(api, inv->request_id, handle(inv->event))) return 1;
  }
}

int RunUpdates(libsearch::functions::RuntimeApiClient& api) {
  libsearch::UpdateOptions options;
  options.index_url = EnvOr("LIBSEARCH_INDEX", "");
  options.writer.cache_dir = EnvOr("LIBSEARCH_WRITER_DIR", "/tmp/libsearch-writer");
  if (options.index_url.empty()) {
    const libsearch::Status s = api.PostInitError(
        "Runtime.IndexLoadError", "the update function needs LIBSEARCH_INDEX=s3://BUCKET/PREFIX");
    if (!s.ok()) std::fprintf(stderr, "bootstrap: %s\n", s.ToString().c_str());
    return 1;
  }
  return Serve(api, [&](const std::string& event) {
    return libsearch::HandleUpdateLambdaEvent(event, options);
  });
}

// The scheduled rebuild: each event ({"export": URL, "export_started": ms},
// or $LIBSEARCH_EXPORT) rebuilds the index at $LIBSEARCH_INDEX.
int RunRebuilds(libsearch::functions::RuntimeApiClient& api) {
  libsearch::RebuildOptions options;
  options.index_url = EnvOr("LIBSEARCH_INDEX", "");
  options.export_url = EnvOr("LIBSEARCH_EXPORT", "");
  options.writer.cache_dir = EnvOr("LIBSEARCH_WRITER_DIR", "/tmp/libsearch-rebuild");
  return Serve(
      api, [&](const std::string& event) { return libsearch::HandleRebuildEvent(event, options); });
}

int Run() {
  auto client = libsearch::functions::RuntimeApiClient::FromEnvironment();
  if (!client.ok()) {
    std::fprintf(stderr, "bootstrap: %s\n", client.status().ToString().c_str());
    return 1;
  }
  libsearch::functions::RuntimeApiClient& api = **client;
  const std::string handler = EnvOr("_HANDLER", "");
  if (handler == "update") return RunUpdates(api);
  if (handler == "rebuild") return RunRebuilds(api);

  // The coordinator of shard functions: no index of its own.
  const std::string shard_urls = EnvOr("LIBSEARCH_SHARDS", "");
  std::shared_ptr<const libsearch::Index> coordinator;
  if (!shard_urls.empty()) {
    libsearch::FanOutOptions fan_out;
    const auto timeout_ms = EnvNumber("LIBSEARCH_SHARD_TIMEOUT_MS", 10000, 1, 3600000);
    const auto cursors = EnvNumber("LIBSEARCH_CURSOR_CACHE_ENTRIES",
                                   static_cast<double>(fan_out.cursor_cache_entries), 0, 1 << 24);
    for (const libsearch::Status& s : {timeout_ms.status(), cursors.status()}) {
      if (!s.ok()) return InitError(api, "Runtime.ConfigError", s.ToString());
    }
    fan_out.shard_timeout = std::chrono::milliseconds(static_cast<int64_t>(*timeout_ms));
    fan_out.cursor_cache_entries = static_cast<size_t>(*cursors);
    auto opened = libsearch::FanOutIndex::OpenUrls(shard_urls, fan_out);
    if (!opened.ok()) {
      return InitError(api, "Runtime.IndexLoadError",
                       "cannot reach the shards " + shard_urls + ": " + opened.status().ToString());
    }
    coordinator = std::move(*opened);
  }

  const std::string path = IndexPath();
  libsearch::ReplicaOptions replica_options;
  replica_options.cache_dir = EnvOr("LIBSEARCH_CACHE_DIR", "/tmp/libsearch");
  const auto refresh = EnvNumber("LIBSEARCH_REFRESH_SECONDS", 10, 0, 86400, /*whole=*/false);
  const auto shard = EnvNumber("LIBSEARCH_SHARD", -1, 0, 4095);
  for (const libsearch::Status& s : {refresh.status(), shard.status()}) {
    if (!s.ok()) return InitError(api, "Runtime.ConfigError", s.ToString());
  }
  replica_options.refresh_seconds = *refresh;
  const bool follow = replica_options.refresh_seconds > 0;
  if (!follow) replica_options.refresh_seconds = 0;
  auto policy = libsearch::ParseChecksumPolicy(
      EnvOr("LIBSEARCH_CHECKSUMS", libsearch::ChecksumPolicyName(replica_options.open.checksums)));
  if (policy.ok()) replica_options.open.checksums = *policy;
  if (*shard >= 0) replica_options.open.shards = {static_cast<uint32_t>(*shard)};
  auto index = coordinator != nullptr ? libsearch::Result<std::unique_ptr<libsearch::IndexReplica>>(
                                            std::unique_ptr<libsearch::IndexReplica>())
               : policy.ok() ? libsearch::IndexReplica::Open(path, replica_options)
                             : libsearch::Result<std::unique_ptr<libsearch::IndexReplica>>(
                                   policy.status().WithContext("LIBSEARCH_CHECKSUMS"));
  if (!index.ok()) {
    const std::string message = "cannot open index " + path + ": " + index.status().ToString();
    std::fprintf(stderr, "bootstrap: %s\n", message.c_str());
    const libsearch::Status s = api.PostInitError("Runtime.IndexLoadError", message);
    if (!s.ok()) std::fprintf(stderr, "bootstrap: %s\n", s.ToString().c_str());
    return 1;
  }

  const bool log_requests = EnvOr("LIBSEARCH_REQUEST_LOG", "1") != "0";
  libsearch::RequestLogger request_log(
      {.surface = "lambda-cpp", .include_query = EnvOr("LIBSEARCH_LOG_QUERIES", "") == "1"});
  for (;;) {
    auto inv = api.Next();
    if (!inv.ok()) {
      std::fprintf(stderr, "bootstrap: %s\n", inv.status().ToString().c_str());
      return 1;
    }
    if (inv->trace_id.empty()) {
      ::unsetenv("_X_AMZN_TRACE_ID");
    } else {
      ::setenv("_X_AMZN_TRACE_ID", inv->trace_id.c_str(), 1);
    }
    if (follow && coordinator == nullptr) {
      // Between invocations nothing runs (Lambda freezes the process), so
      // the check happens here, before the search.
      const auto refreshed = (*index)->MaybeRefresh();
      if (!refreshed.ok()) {
        std::fprintf(stderr, "bootstrap: index refresh failed, serving generation %llu: %s\n",
                     static_cast<unsigned long long>((*index)->status().generation),
                     refreshed.status().ToString().c_str());
      }
    }
    libsearch::HandleOptions options;
    options.deadline = inv->deadline;
    const auto start = std::chrono::steady_clock::now();
    const std::shared_ptr<const libsearch::Index> serving =
        coordinator != nullptr ? coordinator : (*index)->index();
    const libsearch::LambdaReply reply =
        libsearch::HandleLambdaEvent(*serving, inv->event, options);
    if (log_requests) {
      const auto took = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - start);
      // One write per line, flushed: the process may be frozen right after.
      std::puts(request_log.LambdaEvent(inv->event, reply, took).c_str());
      std::fflush(stdout);
    }
    if (!Post(api, inv->request_id, reply)) return 1;
  }
}

}  // namespace

int main() {
  // Only allocation failure or a library bug can throw this far.
  try {
    return Run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bootstrap: fatal: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "bootstrap: fatal: unknown exception\n");
  }
  return 1;
}
