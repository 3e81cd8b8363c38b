// File: functions/aws_lambda/runtime_api.cc
#include "functions/aws_lambda/runtime_api.h"

#include <libsearch/lambda_event.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <thread>

namespace libsearch::functions {
namespace {

constexpr std::string_view kApiPrefix = "/2018-06-01";
constexpr size_t kMaxHeaderBytes = 64 * 1024;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

Status Errno(std::string_view what) {
  return Status::IOError(std::string(what) + ": " + std::strerror(errno));
}

// Connect errors that a later attempt may not see: nothing listening yet, a
// full backlog, a network or address that is not up yet.
bool TransientConnectError(int err) {
  switch (err) {
    case ECONNREFUSED:
    case ECONNRESET:
    case ECONNABORTED:
    case ETIMEDOUT:
    case EAGAIN:
    case ENETUNREACH:
    case EHOSTUNREACH:
    case EADDRNOTAVAIL: return true;
    default: return false;
  }
}

}  // namespace

std::string HttpReply::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

std::optional<std::pair<std::string, std::string>> SplitHostPort(std::string_view address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == address.size()) return std::nullopt;
  std::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return std::nullopt;
  return std::make_pair(std::string(host), std::string(address.substr(colon + 1)));
}

HttpConnection::HttpConnection(std::string host, std::string port,
                               std::chrono::milliseconds connect_budget)
    : host_(std::move(host)), port_(std::move(port)), connect_budget_(connect_budget) {}

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

Status HttpConnection::Connect() {
  Close();
  using Clock = std::chrono::steady_clock;
  constexpr std::chrono::microseconds kMaxWait{100'000};
  const Clock::time_point start = Clock::now();
  std::chrono::microseconds wait{1000};
  for (int attempt = 1;; ++attempt) {
    bool transient = false;
    Status s = ConnectOnce(&transient);
    if (s.ok()) return s;
    const Clock::duration spent = Clock::now() - start;
    if (!transient || spent + wait > connect_budget_) {
      char context[160];
      std::snprintf(context, sizeof(context),
                    "cannot connect to the Runtime API at %s:%s (%d attempts in %.3f s)",
                    host_.c_str(), port_.c_str(), attempt,
                    std::chrono::duration<double>(spent).count());
      return s.WithContext(context);
    }
    std::this_thread::sleep_for(wait);
    wait = std::min(wait * 2, kMaxWait);
  }
}

Status HttpConnection::ConnectOnce(bool* transient) {
  *transient = false;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &found);
  if (rc != 0) {
    *transient = rc == EAI_AGAIN;
    return Status::IOError("cannot resolve Runtime API address " + host_ + ":" + port_ + ": " +
                           ::gai_strerror(rc));
  }
  Status last = Status::IOError("no address for " + host_);
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last = Errno("socket");
      continue;
    }
    int rc_connect;
    do {
      rc_connect = ::connect(fd, a->ai_addr, a->ai_addrlen);
    } while (rc_connect != 0 && errno == EINTR);
    if (rc_connect == 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      fd_ = fd;
      ::freeaddrinfo(found);
      return Status::Ok();
    }
    if (TransientConnectError(errno)) *transient = true;
    last = Errno("connect");
    ::close(fd);
  }
  ::freeaddrinfo(found);
  return last;
}

Result<HttpReply> HttpConnection::Request(
    std::string_view method, std::string_view target,
    const std::vector<std::pair<std::string, std::string>>& headers, std::string_view body) {
  std::string request;
  request.reserve(256 + body.size());
  request.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ");
  request.append(host_).append(":").append(port_).append("\r\n");
  request.append("User-Agent: libsearch-lambda/").append(LIBSEARCH_FUNCTIONS_VERSION);
  request.append("\r\n");
  for (const auto& [k, v] : headers) request.append(k).append(": ").append(v).append("\r\n");
  if (method != "GET" || !body.empty()) {
    request.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  request.append("\r\n").append(body);

  const bool reused = fd_ >= 0;
  connect_failed_ = false;
  auto connect = [&] {
    Status s = Connect();
    connect_failed_ = !s.ok();
    return s;
  };
  if (!reused) LIBSEARCH_RETURN_IF_ERROR(connect());
  bool nothing_received = false;
  Result<HttpReply> reply = RequestOnce(request, &nothing_received);
  if (!reply.ok() && reused && nothing_received) {
    // The kept connection was closed by the peer (e.g. across a freeze).
    LIBSEARCH_RETURN_IF_ERROR(connect());
    reply = RequestOnce(request, &nothing_received);
  }
  if (!reply.ok()) Close();
  return reply;
}

Result<HttpReply> HttpConnection::RequestOnce(const std::string& request, bool* nothing_received) {
  *nothing_received = true;
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return Errno("send to the Runtime API");
    sent += static_cast<size_t>(n);
  }
  // Reads more bytes into buffer_; false at end of stream.
  auto fill = [&]() -> Result<bool> {
    char chunk[64 * 1024];
    for (;;) {
      const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Errno("receive from the Runtime API");
      if (n == 0) return false;
      *nothing_received = false;
      buffer_.append(chunk, static_cast<size_t>(n));
      return true;
    }
  };
  size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (buffer_.size() > kMaxHeaderBytes) return Status::IOError("Runtime API headers too long");
    LIBSEARCH_ASSIGN_OR_RETURN(bool more, fill());
    if (!more) return Status::IOError("the Runtime API closed the connection");
  }
  HttpReply reply;
  std::string_view head(buffer_.data(), header_end);
  const size_t line_end = head.find("\r\n");
  const std::string_view status_line = head.substr(0, line_end);
  if (status_line.size() < 12 || status_line.substr(0, 5) != "HTTP/") {
    return Status::IOError("bad Runtime API status line '" + std::string(status_line) + "'");
  }
  reply.status = std::atoi(std::string(status_line.substr(9, 3)).c_str());
  if (line_end != std::string_view::npos) {
    std::string_view rest = head.substr(line_end + 2);
    while (!rest.empty()) {
      size_t e = rest.find("\r\n");
      const std::string_view line = rest.substr(0, e);
      rest = e == std::string_view::npos ? std::string_view() : rest.substr(e + 2);
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      reply.headers.emplace_back(Lower(Trim(line.substr(0, colon))),
                                 std::string(Trim(line.substr(colon + 1))));
    }
  }
  buffer_.erase(0, header_end + 4);

  const std::string te = Lower(reply.Header("transfer-encoding"));
  if (te.find("chunked") != std::string::npos) {
    for (;;) {
      size_t eol;
      while ((eol = buffer_.find("\r\n")) == std::string::npos) {
        LIBSEARCH_ASSIGN_OR_RETURN(bool more, fill());
        if (!more) return Status::IOError("truncated chunked reply");
      }
      const size_t size = std::strtoul(buffer_.substr(0, eol).c_str(), nullptr, 16);
      buffer_.erase(0, eol + 2);
      if (size == 0) {
        // Skip trailers up to the empty line.
        for (;;) {
          while ((eol = buffer_.find("\r\n")) == std::string::npos) {
            LIBSEARCH_ASSIGN_OR_RETURN(bool more, fill());
            if (!more) return Status::IOError("truncated chunked reply");
          }
          const bool last = eol == 0;
          buffer_.erase(0, eol + 2);
          if (last) break;
        }
        break;
      }
      while (buffer_.size() < size + 2) {
        LIBSEARCH_ASSIGN_OR_RETURN(bool more, fill());
        if (!more) return Status::IOError("truncated chunked reply");
      }
      reply.body.append(buffer_, 0, size);
      buffer_.erase(0, size + 2);
    }
  } else if (const std::string cl = reply.Header("content-length"); !cl.empty()) {
    const size_t size = std::strtoull(cl.c_str(), nullptr, 10);
    while (buffer_.size() < size) {
      LIBSEARCH_ASSIGN_OR_RETURN(bool more, fill());
      if (!more) return Status::IOError("truncated reply");
    }
    reply.body = buffer_.substr(0, size);
    buffer_.erase(0, size);
  } else if (reply.status >= 200 && reply.status != 204 && reply.status != 304) {
    // No length: the body runs to the end of the connection.
    for (;;) {
      LIBSEARCH_ASSIGN_OR_RETURN(bool more, fill());
      if (!more) break;
    }
    reply.body = std::move(buffer_);
    Close();
    return reply;
  }
  if (Lower(reply.Header("connection")) == "close") Close();
  return reply;
}

Result<std::unique_ptr<RuntimeApiClient>> RuntimeApiClient::FromEnvironment() {
  const char* api = std::getenv("AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr || *api == '\0') {
    return Status::InvalidArgument(
        "AWS_LAMBDA_RUNTIME_API is not set: run this bootstrap inside AWS Lambda or under "
        "the Runtime Interface Emulator (aws-lambda-rie)");
  }
  auto hp = SplitHostPort(api);
  if (!hp) {
    return Status::InvalidArgument(std::string("AWS_LAMBDA_RUNTIME_API '") + api +
                                   "' is not host:port");
  }
  return std::make_unique<RuntimeApiClient>(hp->first, hp->second);
}

RuntimeApiClient::RuntimeApiClient(std::string host, std::string port)
    : conn_(std::move(host), std::move(port)) {}

Result<Invocation> RuntimeApiClient::Next() {
  const std::string target = std::string(kApiPrefix) + "/runtime/invocation/next";
  Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    Result<HttpReply> reply = conn_.Request("GET", target, {}, {});
    if (!reply.ok()) {
      if (conn_.connect_failed()) return reply.status();
      last = reply.status();
      continue;
    }
    if (reply->status != 200) {
      return Status::IOError("GET /runtime/invocation/next returned HTTP " +
                             std::to_string(reply->status) + ": " + reply->body);
    }
    Invocation inv;
    inv.request_id = reply->Header("lambda-runtime-aws-request-id");
    if (inv.request_id.empty()) {
      return Status::IOError("the next invocation has no Lambda-Runtime-Aws-Request-Id");
    }
    const std::string deadline = reply->Header("lambda-runtime-deadline-ms");
    if (!deadline.empty()) {
      char* end = nullptr;
      const unsigned long long ms = std::strtoull(deadline.c_str(), &end, 10);
      if (end != nullptr && *end == '\0' && ms > 0) {
        inv.deadline = std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
      }
    }
    inv.function_arn = reply->Header("lambda-runtime-invoked-function-arn");
    inv.trace_id = reply->Header("lambda-runtime-trace-id");
    inv.event = std::move(reply->body);
    return inv;
  }
  return last.WithContext("GET /runtime/invocation/next failed 3 times");
}

Status RuntimeApiClient::Post(const std::string& path, std::string_view body,
                              const std::vector<std::pair<std::string, std::string>>& headers) {
  LIBSEARCH_ASSIGN_OR_RETURN(HttpReply reply,
                             conn_.Request("POST", std::string(kApiPrefix) + path, headers, body));
  if (reply.status != 202 && reply.status != 200) {
    const std::string what =
        "POST " + path + " returned HTTP " + std::to_string(reply.status) + ": " + reply.body;
    if (reply.status == 413) return Status::ResourceExhausted(what);
    return Status::IOError(what);
  }
  return Status::Ok();
}

Status RuntimeApiClient::PostResponse(const std::string& request_id, std::string_view payload,
                                      std::string_view content_type) {
  return Post("/runtime/invocation/" + request_id + "/response", payload,
              {{"Content-Type", std::string(content_type)}});
}

Status RuntimeApiClient::PostError(const std::string& request_id, std::string_view type,
                                   std::string_view message) {
  return Post("/runtime/invocation/" + request_id + "/error", LambdaErrorPayload(type, message),
              {{"Content-Type", "application/json"},
               {"Lambda-Runtime-Function-Error-Type", std::string(type)}});
}

Status RuntimeApiClient::PostInitError(std::string_view type, std::string_view message) {
  return Post("/runtime/init/error", LambdaErrorPayload(type, message),
              {{"Content-Type", "application/json"},
               {"Lambda-Runtime-Function-Error-Type", std::string(type)}});
}

}  // namespace libsearch::functions
