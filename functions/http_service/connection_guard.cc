// File: functions/http_service/connection_guard.cc
#include "functions/http_service/connection_guard.h"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>

namespace libsearch::functions {
namespace {

using Clock = std::chrono::steady_clock;

// poll() for one event on `fd`, retried on EINTR: >0 ready (or hung up),
// 0 timed out, <0 error.
int PollOne(int fd, short events, int timeout_ms) {
  pollfd pfd{fd, events, 0};
  for (;;) {
    const int r = ::poll(&pfd, 1, timeout_ms);
    if (r >= 0 || errno != EINTR) return r;
  }
}

int Millis(time_t sec, time_t usec) {
  return static_cast<int>(std::min<int64_t>(int64_t{sec} * 1000 + usec / 1000, INT32_MAX));
}

void AddressOf(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
  if (addr.ss_family == AF_INET) {
    port = ntohs(reinterpret_cast<const sockaddr_in&>(addr).sin_port);
  } else if (addr.ss_family == AF_INET6) {
    port = ntohs(reinterpret_cast<const sockaddr_in6&>(addr).sin6_port);
  } else {
    return;
  }
  char host[NI_MAXHOST] = {};
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host, sizeof(host), nullptr, 0,
                  NI_NUMERICHOST) == 0) {
    ip = host;
  }
}

// One accepted connection: the Stream every request on it is read from and
// written to (with the server's timeouts), and what the current request
// declared and consumed.
class Connection final : public httplib::Stream {
 public:
  Connection(int fd, int read_timeout_ms, int write_timeout_ms)
      : fd_(fd), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {}

  // The read timeout bounds each wait, and the request's deadline all of
  // them: a client sending a byte every few seconds still runs out of time.
  bool is_readable() const override {
    if (pos_ < end_) return true;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
    if (left <= 0) {
      deadline_passed_ = true;
      return false;
    }
    if (PollOne(fd_, POLLIN, static_cast<int>(std::min<int64_t>(left, read_timeout_ms_))) > 0) {
      return true;
    }
    deadline_passed_ = left <= read_timeout_ms_;  // The wait ran to the deadline.
    return false;
  }
  bool is_writable() const override { return PollOne(fd_, POLLOUT, write_timeout_ms_) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (pos_ == end_) {
      if (!is_readable()) return -1;
      // Large reads (a body) skip the buffer.
      const bool direct = headers_parsed_ && size >= sizeof(buffer_);
      const ssize_t n = Recv(direct ? ptr : buffer_, direct ? size : sizeof(buffer_));
      if (n <= 0) return n;
      if (direct) {
        consumed_ += static_cast<uint64_t>(n);
        return n;
      }
      pos_ = 0;
      end_ = static_cast<size_t>(n);
    }
    size_t n = std::min(size, end_ - pos_);
    if (!headers_parsed_ && head_lines_ == 0 && !line_cut_) {
      // A request line the library will refuse (414) is ended early: the
      // library reads a whole line before it checks its length, and one cut
      // off by kMaxHeadBytes would get no answer at all.
      if (head_bytes_ >= GuardedServer::kMaxRequestLineBytes) {
        line_cut_ = true;
        ++head_lines_;
        *ptr = '\n';
        return 1;
      }
      n = std::min(n, GuardedServer::kMaxRequestLineBytes - head_bytes_);
    }
    if (!headers_parsed_) {
      // The library reads the request line and headers a byte at a time and
      // keeps every header, with no bound on their number or total size.
      for (size_t i = 0; i < n; ++i) {
        if (++head_bytes_ > GuardedServer::kMaxHeadBytes ||
            (buffer_[pos_ + i] == '\n' && ++head_lines_ > GuardedServer::kMaxHeadLines)) {
          head_too_large_ = true;
          return -1;
        }
      }
    }
    std::memcpy(ptr, buffer_ + pos_, n);
    pos_ += n;
    consumed_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    for (;;) {
      const ssize_t n = ::send(fd_, ptr, size, MSG_NOSIGNAL);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getpeername(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      AddressOf(addr, len, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    if (getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
      AddressOf(addr, len, ip, port);
  }
  socket_t socket() const override { return fd_; }

  // Waits up to `timeout_sec` for the next request's first byte; false on
  // timeout, error, or once `stopped` says the server stopped.
  template <typename Stopped>
  bool WaitForRequest(time_t timeout_sec, Stopped stopped) const {
    if (pos_ < end_) return true;  // Pipelined: already read.
    const auto deadline = Clock::now() + std::chrono::seconds(timeout_sec);
    for (;;) {
      if (stopped()) return false;
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      const int r = PollOne(fd_, POLLIN, static_cast<int>(std::clamp<int64_t>(left, 0, 100)));
      if (r != 0) return r > 0;
      if (left <= 0) return false;
    }
  }

  void StartRequest(std::chrono::milliseconds request_time) {
    headers_parsed_ = false;
    framing_known_ = false;
    declared_ = 0;
    head_bytes_ = 0;
    head_lines_ = 0;
    line_cut_ = false;
    head_too_large_ = false;
    deadline_passed_ = false;
    deadline_ = Clock::now() + request_time;
  }

  bool head_too_large() const { return head_too_large_; }
  bool deadline_passed() const { return deadline_passed_; }

  // The request's line and headers are parsed (httplib's setup_request,
  // called before the body is read or any handler runs).
  void HeadersParsed(httplib::Request& req) {
    headers_parsed_ = true;
    body_start_ = consumed_;
    const size_t lengths = req.get_header_value_count("Content-Length");
    content_lengths_ = lengths;
    const bool transfer_encoding = req.has_header("Transfer-Encoding");
    // A request with neither has no body (RFC 9112 6.3); the library would
    // read one until the client closes or the read timeout.
    if (lengths == 0 && !transfer_encoding) req.set_header("Content-Length", "0");
    framing_known_ = !transfer_encoding && lengths <= 1;
    if (lengths == 1) {
      const std::string value = req.get_header_value("Content-Length");
      framing_known_ = framing_known_ && !value.empty() && value.size() <= 18 &&
                       value.find_first_not_of("0123456789") == std::string::npos;
      if (framing_known_) declared_ = std::stoull(value);
    }
  }

  bool headers_parsed() const { return headers_parsed_; }
  size_t content_length_count() const { return content_lengths_; }

  // Whether the request was read to its end: the next byte on the
  // connection is the next request's.
  bool RequestReadToItsEnd() const {
    return headers_parsed_ && framing_known_ && consumed_ - body_start_ == declared_;
  }

  // Stops sending, then reads and drops what the client still sends until it
  // closes its side or `seconds` pass, so the response already written is
  // not cut off by the reset a close with unread data sends.
  void Linger(int seconds) {
    ::shutdown(fd_, SHUT_WR);
    const auto deadline = Clock::now() + std::chrono::seconds(seconds);
    char sink[16384];
    for (;;) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0 || PollOne(fd_, POLLIN, static_cast<int>(left)) <= 0) return;
      if (Recv(sink, sizeof(sink)) <= 0) return;
    }
  }

 private:
  ssize_t Recv(char* ptr, size_t size) {
    for (;;) {
      const ssize_t n = ::recv(fd_, ptr, size, 0);
      if (n >= 0 || errno != EINTR) return n;
    }
  }

  const int fd_;
  const int read_timeout_ms_, write_timeout_ms_;
  char buffer_[4096];
  size_t pos_ = 0, end_ = 0;  // Unconsumed bytes: buffer_[pos_, end_).
  uint64_t consumed_ = 0;     // Bytes handed to the library so far.
  // The current request.
  Clock::time_point deadline_;  // For its line, headers and body.
  mutable bool deadline_passed_ = false;
  size_t head_bytes_ = 0, head_lines_ = 0;  // Of its request line and headers.
  bool head_too_large_ = false;
  bool line_cut_ = false;       // The request line was ended early (414).
  size_t content_lengths_ = 0;  // Content-Length headers.
  bool headers_parsed_ = false;
  bool framing_known_ = false;  // No Transfer-Encoding, at most one valid Content-Length.
  uint64_t declared_ = 0;       // Its Content-Length.
  uint64_t body_start_ = 0;     // consumed_ when its headers were parsed.
};

// The connection the calling thread serves (a connection stays on one thread).
thread_local Connection* current = nullptr;

}  // namespace

GuardedServer::GuardedServer() {
  // Runs once the response is complete, just before it is written (after
  // the library's own Connection / Keep-Alive headers).
  set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    if (current != nullptr && !current->RequestReadToItsEnd()) {
      res.headers.erase("Keep-Alive");
      res.headers.erase("Connection");  // set_header adds, and the library may have set it.
      res.set_header("Connection", "close");
    }
  });
}

bool GuardedServer::RequestHeadersParsed() {
  return current != nullptr && current->headers_parsed();
}

bool GuardedServer::SetListenBacklog(int backlog) {
  return svr_sock_ != INVALID_SOCKET && ::listen(svr_sock_, backlog) == 0;
}

bool GuardedServer::RequestHeadTooLarge() {
  return current != nullptr && current->head_too_large();
}

bool GuardedServer::RequestDeadlinePassed() {
  return current != nullptr && current->deadline_passed();
}

bool GuardedServer::process_and_close_socket(socket_t sock) {
  Connection conn(sock, Millis(read_timeout_sec_, read_timeout_usec_),
                  Millis(write_timeout_sec_, write_timeout_usec_));
  current = &conn;
  struct Reset {
    ~Reset() { current = nullptr; }
  } reset;
  bool ret = false;
  bool read_to_end = true;
  const auto stopped = [this] { return svr_sock_ == INVALID_SOCKET; };
  for (size_t count = keep_alive_max_count_; count > 0; --count) {
    if (!conn.WaitForRequest(keep_alive_timeout_sec_, stopped)) break;
    conn.StartRequest(request_time_);
    bool connection_closed = false;
    ret = process_request(conn, count == 1, connection_closed,
                          [&conn](httplib::Request& req) { conn.HeadersParsed(req); });
    read_to_end = conn.RequestReadToItsEnd();
    // A request that failed to parse (nothing read: the client closed) ends
    // here too, with ret false.
    if (!ret || connection_closed || !read_to_end) break;
  }
  if (!read_to_end) conn.Linger(kLingerSeconds);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ret;
}

}  // namespace libsearch::functions
