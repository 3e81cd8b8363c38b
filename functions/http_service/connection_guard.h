// File: functions/http_service/connection_guard.h
//
// libsearch-service's connections: no request body is ever read as a request.
//
// cpp-httplib 0.11.4 (Debian 12) answers some requests without reading their
// bodies: its pre-routing handler runs before the body is read (the service's
// 405s); a request line it cannot parse (a method it does not know, such as
// QUERY; a line over 8 KiB) is answered before even the headers are read; it
// never reads a GET, HEAD or OPTIONS body; a content reader can fail before
// reading (multipart/form-data without a boundary). Its keep-alive loop then
// reads the next request from where the body starts, so a body that is
// itself a request gets answered (request smuggling). A Connection: close
// header on the response does not end that loop in 0.11.4.
//
// GuardedServer replaces the loop (process_and_close_socket, the hook the
// library's SSLServer overrides; each connection runs in it on one thread)
// with one that keeps a connection open only when the request was read to
// its end: request line and headers parsed, then exactly the Content-Length
// bytes of body (none without one). Anything else (a body unread or read in
// part, Transfer-Encoding, whose end cannot be counted here, a Content-Length
// that is not one plain number) ends the connection after the response,
// which then says Connection: close. The rule needs no handler's cooperation:
// a handler that drains the body keeps the connection; one that does not,
// closes it. The close is a lingering one (what the client still sends is
// read and dropped for up to `kLingerSeconds`), so the response is not lost
// to the reset a close with unread data sends.
//
// Also unlike the library's loop, one connection keeps one read buffer
// across requests (the library drops what it read past a request, so
// pipelined requests were lost), a request with neither Content-Length nor
// Transfer-Encoding has no body (the library would wait for one until the
// client closed or its read timeout), and an idle connection ends within
// 100 ms of Server::stop() rather than at its keep-alive timeout.
//
// Why not a Connection: close on the response, or shutdown(SHUT_RD) from a
// handler: 0.11.4 decides keep-alive from the request's headers only, and on
// Linux a read after SHUT_RD still returns what the client sent, before it
// or after it. Nor can a handler find its connection's socket
// (set_socket_options sees only the listening socket); the connection loop
// owns it.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>

namespace libsearch::functions {

class GuardedServer : public httplib::Server {
 public:
  // How long a connection closed with unread request bytes keeps reading
  // (and dropping) them before it closes.
  static constexpr int kLingerSeconds = 2;
  // Bounds on a request's line and headers together (cpp-httplib 0.11.4
  // bounds each line to 8 KiB but not their number: 1M headers grew the
  // process by gigabytes). Past either, the read fails and the answer is
  // 431 (RequestHeadTooLarge).
  static constexpr size_t kMaxHeadBytes = 64 * 1024;
  // A request line this long is ended there, so the library answers 414
  // (its limit is 8 KiB) instead of reading it whole or dropping it.
  static constexpr size_t kMaxRequestLineBytes = 8 * 1024 + 64;
  static constexpr size_t kMaxHeadLines = 100;

  // Installs the post-routing handler that marks a closing response
  // (Connection: close); do not replace it.
  GuardedServer();

  // Whether the request being answered on this thread had its request line
  // and headers parsed; false in the error handler for a request the library
  // refused before its headers (a 400 for an unknown method, a 414), and
  // outside a connection's thread.
  static bool RequestHeadersParsed();
  // Whether the request being answered on this thread was cut off for
  // passing kMaxHeadBytes or kMaxHeadLines, or its deadline.
  static bool RequestHeadTooLarge();
  static bool RequestDeadlinePassed();

  // The time a request has from its first byte to the end of its body
  // (headers and body together; the read timeout bounds each wait within
  // it), so a client trickling bytes cannot hold a connection for long.
  void set_request_time(std::chrono::milliseconds t) { request_time_ = t; }

  // Raises the listening socket's backlog (call after bind_to_port). The
  // library listens with a backlog of 5 (CPPHTTPLIB_LISTEN_BACKLOG, fixed
  // when Debian built it): a burst of connections then overflows the queue
  // and a health probe's SYN is dropped, to be retried a second later.
  // Calling listen() again on a listening socket changes its backlog (Linux).
  bool SetListenBacklog(int backlog);

 private:
  bool process_and_close_socket(socket_t sock) override;

  std::chrono::milliseconds request_time_{std::chrono::seconds(10)};
};

}  // namespace libsearch::functions
