// File: functions/aws_lambda/runtime_api.h
//
// A client of the AWS Lambda Runtime API (version 2018-06-01), over one
// persistent HTTP/1.1 connection on a blocking TCP socket. The API is served
// on the loopback interface ($AWS_LAMBDA_RUNTIME_API, e.g. 127.0.0.1:9001),
// so there is no TLS and no proxy, and the client needs nothing beyond libc:
// that keeps the bootstrap small and free of libcurl/OpenSSL symbol versions.
//
//   GET  /runtime/invocation/next            -> the next event (no timeout:
//                                               the process is frozen between
//                                               invocations)
//   POST /runtime/invocation/{id}/response   -> the result
//   POST /runtime/invocation/{id}/error      -> a function error
//   POST /runtime/init/error                 -> a failed initialisation
//
// A connection that breaks (after a freeze/thaw the peer may have closed it)
// is reopened and the request sent again. Connecting retries with backoff for
// a few seconds: an emulator may open the API just after it starts the
// bootstrap, so the first connection can be refused.
#pragma once

#include <libsearch/status.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace libsearch::functions {

struct HttpReply {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // Names lower-cased.
  std::string body;

  // The value of header `name` (lower-case), or "".
  std::string Header(std::string_view name) const;
};

// One HTTP/1.1 connection to host:port, reopened as needed. Not thread-safe.
class HttpConnection {
 public:
  // How long opening a connection keeps retrying a refused (or otherwise
  // transient) connect before Request fails.
  static constexpr std::chrono::milliseconds kDefaultConnectBudget{5000};

  HttpConnection(std::string host, std::string port,
                 std::chrono::milliseconds connect_budget = kDefaultConnectBudget);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // Sends a request and reads the whole reply (Content-Length or chunked).
  // A reused connection that turns out closed is reopened once. Opening one
  // retries transient failures (ECONNREFUSED and the like), waiting 1 ms,
  // 2 ms, 4 ms ... (at most 100 ms a wait) until the connect budget is spent;
  // then it fails with an IOError naming the address, the attempts, the time
  // and the last error.
  Result<HttpReply> Request(std::string_view method, std::string_view target,
                            const std::vector<std::pair<std::string, std::string>>& headers,
                            std::string_view body);

  // Whether the last Request failed to open a connection (its connect budget
  // is spent, so an immediate retry would not help).
  bool connect_failed() const { return connect_failed_; }

 private:
  Status Connect();
  // One attempt; *transient says whether trying again may succeed.
  Status ConnectOnce(bool* transient);
  void Close();
  Result<HttpReply> RequestOnce(const std::string& request, bool* nothing_received);

  std::string host_, port_;
  std::chrono::milliseconds connect_budget_;
  int fd_ = -1;
  bool connect_failed_ = false;
  std::string buffer_;  // Bytes received past the previous reply.
};

struct Invocation {
  std::string request_id;
  std::string event;
  // Lambda-Runtime-Deadline-Ms, if the header was present and valid.
  std::optional<std::chrono::system_clock::time_point> deadline;
  std::string function_arn;
  std::string trace_id;
};

class RuntimeApiClient {
 public:
  // Reads $AWS_LAMBDA_RUNTIME_API ("host:port", "[v6addr]:port").
  static Result<std::unique_ptr<RuntimeApiClient>> FromEnvironment();
  RuntimeApiClient(std::string host, std::string port);

  // Blocks until the next invocation (no timeout). A request that breaks is
  // tried up to 3 times; a connection that cannot be opened within the
  // connect budget fails at once.
  Result<Invocation> Next();
  Status PostResponse(const std::string& request_id, std::string_view payload,
                      std::string_view content_type = "application/json");
  // `type` goes to the Lambda-Runtime-Function-Error-Type header and the
  // payload's errorType; it should look like Runtime.Xxx or Function.Xxx.
  Status PostError(const std::string& request_id, std::string_view type, std::string_view message);
  Status PostInitError(std::string_view type, std::string_view message);

 private:
  Status Post(const std::string& path, std::string_view body,
              const std::vector<std::pair<std::string, std::string>>& headers);
  HttpConnection conn_;
};

// Splits "host:port" / "[v6]:port"; nullopt if there is no port.
std::optional<std::pair<std::string, std::string>> SplitHostPort(std::string_view address);

}  // namespace libsearch::functions
