// The HTTP client the object stores share (s3_store.cc, gcs_store.cc): one
// libcurl handle per store, bodies from memory or streamed from/to files,
// and one retry rule for transient failures.
#pragma once

#include <curl/curl.h>

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "libsearch/status.h"

namespace libsearch::internal {

struct HttpRequest {
  HttpRequest(std::string m, std::string u, std::vector<std::string> h, std::string w)
      : method(std::move(m)), url(std::move(u)), headers(std::move(h)), what(std::move(w)) {}
  std::string method;  // GET, PUT, POST or DELETE.
  std::string url;
  std::vector<std::string> headers;  // "Name: value".
  std::string what;                  // The object's URL, for messages.
  // A PUT or POST sends `upload_path`'s bytes if set, else `upload`.
  std::string_view upload;
  const std::string* upload_path = nullptr;
  // If set, the response body goes into this file (created or truncated).
  const std::string* download_path = nullptr;
};

struct HttpResponse {
  long status = 0;  // NOLINT(google-runtime-int): curl's type.
  // Of the final response; names lower-cased, values trimmed.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // Unless streamed to a file.

  // The value of header `name` (lower case), or "" if absent.
  std::string Header(std::string_view name) const;
};

// Connection errors and timeouts (IOError) and HTTP 500, 502, 503 and 504:
// worth another attempt.
bool IsTransient(const Result<HttpResponse>& r);

// The environment variable `name`, or "" if it is unset.
std::string EnvOrEmpty(const char* name);

// Percent-encodes all but RFC 3986's unreserved characters; '/' stays only
// with `keep_slash` (an S3 key as a URL path, SigV4's canonical form; a GCS
// object name is one path segment or a query value).
std::string PercentEncode(std::string_view s, bool keep_slash);

// curl_global_init, once per process.
void InitCurlOnce();

// Thread-safe: requests are serialised on the one handle, which keeps its
// connection for the next request.
class CurlClient {
 public:
  CurlClient();
  ~CurlClient();
  CurlClient(const CurlClient&) = delete;
  CurlClient& operator=(const CurlClient&) = delete;

  // Sends `req`, up to three times while IsTransient (backoff 0.4 s, 1.6 s).
  // `sign`, if given, sets per-request options (authentication) on the
  // handle before each attempt. A stalled transfer (below 1 KB/s for
  // LIBSEARCH_STORE_STALL_SECONDS, default 15) or a connect over 5 s fails
  // the attempt. HTTP error statuses are
  // returned as responses, not errors.
  Result<HttpResponse> Send(const HttpRequest& req, const std::function<void(CURL*)>& sign = {});

 private:
  Result<HttpResponse> Once(const HttpRequest& req, const std::function<void(CURL*)>& sign);

  std::mutex mu_;
  CURL* curl_ = nullptr;
};

}  // namespace libsearch::internal
