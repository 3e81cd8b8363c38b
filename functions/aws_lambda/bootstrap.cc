// File: functions/aws_lambda/bootstrap.cc
//
// The AWS Lambda custom runtime (provided.al2023): the executable Lambda
// starts as $LAMBDA_TASK_ROOT/bootstrap. It opens the index once, during the
// init phase, then loops: next invocation -> HandleLambdaEvent -> response.
//
// Index location, first that applies:
//   $LIBSEARCH_INDEX             a path
//   $LAMBDA_TASK_ROOT/index.idx  inside the deployment zip
//   /opt/index.idx               in a layer
// A failure to open it is reported to /runtime/init/error with type
// Runtime.IndexLoadError, and the process exits (Lambda then reports the
// error to the invocation). $LIBSEARCH_CHECKSUMS (first-use, open or off)
// sets when section checksums are checked (OpenOptions::checksums).
#include <libsearch/index.h>
#include <libsearch/lambda_event.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "functions/aws_lambda/runtime_api.h"

namespace {

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

int Run() {
  auto client = libsearch::functions::RuntimeApiClient::FromEnvironment();
  if (!client.ok()) {
    std::fprintf(stderr, "bootstrap: %s\n", client.status().ToString().c_str());
    return 1;
  }
  libsearch::functions::RuntimeApiClient& api = **client;

  const std::string path = IndexPath();
  if (path.rfind("s3://", 0) == 0) {
    // Downloading needs HTTPS and SigV4, which this libc-only binary leaves
    // out; the Python handler can (boto3), or use a layer / container image.
    const std::string message = "LIBSEARCH_INDEX " + path +
                                ": the C++ bootstrap reads local files only; ship the index in "
                                "the zip, a layer (/opt/index.idx) or a container image";
    std::fprintf(stderr, "bootstrap: %s\n", message.c_str());
    const libsearch::Status s = api.PostInitError("Runtime.IndexLoadError", message);
    if (!s.ok()) std::fprintf(stderr, "bootstrap: %s\n", s.ToString().c_str());
    return 1;
  }
  libsearch::OpenOptions open_options;
  const char* checksums = std::getenv("LIBSEARCH_CHECKSUMS");
  auto policy =
      libsearch::ParseChecksumPolicy(checksums != nullptr && *checksums != '\0'
                                         ? checksums
                                         : libsearch::ChecksumPolicyName(open_options.checksums));
  if (policy.ok()) open_options.checksums = *policy;
  auto index = policy.ok() ? libsearch::Index::Open(path, open_options)
                           : libsearch::Result<std::unique_ptr<libsearch::Index>>(
                                 policy.status().WithContext("LIBSEARCH_CHECKSUMS"));
  if (!index.ok()) {
    const std::string message = "cannot open index " + path + ": " + index.status().ToString();
    std::fprintf(stderr, "bootstrap: %s\n", message.c_str());
    const libsearch::Status s = api.PostInitError("Runtime.IndexLoadError", message);
    if (!s.ok()) std::fprintf(stderr, "bootstrap: %s\n", s.ToString().c_str());
    return 1;
  }

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
    libsearch::HandleOptions options;
    options.deadline = inv->deadline;
    const libsearch::LambdaReply reply = libsearch::HandleLambdaEvent(**index, inv->event, options);
    libsearch::Status posted;
    if (reply.is_error) {
      posted = api.PostError(inv->request_id, reply.error_type, reply.payload);
    } else {
      posted = api.PostResponse(inv->request_id, reply.payload);
      if (posted.code() == libsearch::StatusCode::kResourceExhausted) {
        // Over the 6 MB response limit: say so instead of leaving it hanging.
        posted = api.PostError(inv->request_id, "Function.ResponseSizeTooLarge",
                               "the response is " + std::to_string(reply.payload.size()) +
                                   " bytes, over Lambda's limit; ask for fewer hits or "
                                   "include_docs=false");
      }
    }
    if (!posted.ok()) {
      std::fprintf(stderr, "bootstrap: %s\n", posted.ToString().c_str());
      if (posted.code() == libsearch::StatusCode::kIOError) return 1;
    }
  }
}

}  // namespace

int main() { return Run(); }
