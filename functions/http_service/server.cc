// File: functions/http_service/server.cc
//
// libsearch-service: a long-running, multi-threaded HTTP server over one
// index (the Cloud Run / Kubernetes / VM surface).
//
//   POST /search        body: the JSON search request (functions/common)
//   GET  /search?q=...  the same as URL parameters
//   GET  /healthz       {"status":"ok","num_docs":N}
//   GET  /metrics       Prometheus text: request counts, latency histogram
//   GET  /schema        the index's schema as JSON (fields and their types)
//   POST /shard         a fan-out coordinator's shard request (libsearch/fan_out.h):
//                       with --shard N, this service is the function of shard N
//   GET  /              the demo page (web/: index.html, app.js, style.css),
//                       compiled into the binary by embed_web.cmake
//
// A sharded index across services (libsearch/fan_out.h): --shard N opens
// only shard N of the sharded index --index (with the statistics its commit
// published) and answers POST /shard; --shards URL,... (instead of --index)
// makes this service the coordinator of such shard services (or functions):
// each search goes to all of them at once and their answers are merged into
// one index's; a shard that fails or misses --shard-timeout-ms fails the
// search with 503, or with "partial_results": true is named in the answer.
//
// --health-port P adds a second listener that answers only /healthz and
// /metrics, with threads of its own: probes and scrapes are then answered
// even while every connection slot of the main port is taken.
//
// SIGTERM or SIGINT: /healthz turns 503 ("draining") while the server keeps
// serving for --drain-seconds (so a load balancer stops sending traffic),
// then it stops accepting connections, finishes the requests being served
// and exits 0. The OpenAPI description is openapi.yaml.
//
// A request answered without its body read to the end (a 405, a refused
// multipart body, a GET with a body, a request line the library cannot
// parse) closes its connection after the answer, so the body is never read
// as a request (connection_guard.h).
//
// Every request to /search, answered or refused, writes one JSON line to
// standard output (libsearch/request_log.h, surface "service"): the raw
// query only with LIBSEARCH_LOG_QUERIES=1, no line with
// LIBSEARCH_REQUEST_LOG=0. Other paths write none.
#include <httplib.h>
#include <libsearch/fan_out.h>
#include <libsearch/index.h>
#include <libsearch/json.h>
#include <libsearch/remote.h>
#include <libsearch/request_log.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "functions/http_service/connection_guard.h"
#include "functions/http_service/metrics.h"
#include "functions/http_service/task_queue.h"
#include "web_assets.h"  // Generated from web/ by embed_web.cmake.

namespace {

using libsearch::functions::Metrics;

constexpr const char* kJson = "application/json";

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

void Send(httplib::Response& res, const libsearch::JsonReply& r) {
  res.status = r.status;
  res.set_content(r.body, kJson);
}

void SendError(httplib::Response& res, int status, std::string_view code,
               std::string_view message) {
  Send(res, libsearch::ErrorReply(status, code, message));
}

// Runs `fn` and records the route, status and time of the request.
template <typename F>
void Measure(Metrics* metrics, Metrics::Route route, httplib::Response& res, F fn) {
  const auto start = std::chrono::steady_clock::now();
  metrics->InFlight(1);
  fn();
  metrics->InFlight(-1);
  if (res.status < 0) res.status = 200;  // The library's default, set after the handler.
  metrics->Record(route, res.status,
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

// The demo page's files: GET / is index.html (not served as /index.html).
// Browsers revalidate them (no-cache) against the ETag, so a new binary's
// page shows at once.
const libsearch::functions::web::Asset* FindAsset(std::string_view path) {
  if (path == "/index.html") return nullptr;
  if (path == "/") path = "/index.html";
  for (const auto& asset : libsearch::functions::web::kAssets) {
    if (asset.path == path) return &asset;
  }
  return nullptr;
}

void SendAsset(const libsearch::functions::web::Asset& asset, const httplib::Request& req,
               httplib::Response& res) {
  res.set_header("Cache-Control", "no-cache");
  res.set_header("ETag", std::string(asset.etag));
  res.set_header("X-Content-Type-Options", "nosniff");
  // The page loads nothing from elsewhere, and no inline script runs.
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; base-uri 'none'; "
                 "form-action 'none'; frame-ancestors 'none'");
  if (req.get_header_value("If-None-Match") == asset.etag) {
    res.status = 304;
    return;
  }
  res.set_content(asset.body.data(), asset.body.size(), std::string(asset.content_type));
}

// Writes one request log line; the line and its newline go in one stdio
// call, so lines from different threads never interleave.
void WriteLogLine(std::string line) {
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

std::chrono::microseconds Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                               start);
}

std::string_view QueryString(const httplib::Request& req) {
  const std::string_view target = req.target;
  const size_t q = target.find('?');
  return q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
}

int Run(int argc, char** argv) {
  std::string index_path = EnvOr("LIBSEARCH_INDEX", "");
  std::string host = EnvOr("HOST", "0.0.0.0");
  int port = std::atoi(EnvOr("PORT", "8080").c_str());
  // Searches run in at most `threads` connections at once; connections (idle
  // keep-alive ones included) get threads of their own (task_queue.h), so
  // health probes never queue behind clients. 4 per core, not 1: a search
  // holding a slot may be preempted or fault in index pages
  // (docs/design-notes.md, "The HTTP service").
  unsigned threads = 4 * std::max(1u, std::thread::hardware_concurrency());
  unsigned max_connections = 512;
  double drain_seconds = std::atof(EnvOr("LIBSEARCH_DRAIN_SECONDS", "0").c_str());
  int health_port = std::atoi(EnvOr("LIBSEARCH_HEALTH_PORT", "-1").c_str());
  int request_seconds = 10;
  std::string cache_dir = EnvOr("LIBSEARCH_CACHE_DIR", "/tmp/libsearch-cache");
  double refresh_seconds = std::atof(EnvOr("LIBSEARCH_REFRESH_SECONDS", "10").c_str());
  std::string checksums = EnvOr("LIBSEARCH_CHECKSUMS",
                                libsearch::ChecksumPolicyName(libsearch::OpenOptions().checksums));
  // Numbers from the environment are read by CLI11 (envname), which checks
  // them as it checks flags: a typo must not become shard 0 or a 0 ms timeout.
  int shard = -1;
  std::string shard_urls = EnvOr("LIBSEARCH_SHARDS", "");
  int shard_timeout_ms = 10000;
  size_t cursor_cache_entries = libsearch::FanOutOptions().cursor_cache_entries;
  CLI::App app{"libsearch-service: search one index over HTTP"};
  app.set_version_flag("--version", std::string("libsearch-service ") + libsearch::Version());
  app.add_option("--index", index_path,
                 "Index file or directory, or s3://BUCKET/PREFIX (default $LIBSEARCH_INDEX)");
  app.add_option("--cache-dir", cache_dir,
                 "Where an s3:// index is downloaded (default $LIBSEARCH_CACHE_DIR or "
                 "/tmp/libsearch-cache)");
  app.add_option("--refresh-seconds", refresh_seconds,
                 "Check the index for a newer commit this often, in the background; 0 never "
                 "(default $LIBSEARCH_REFRESH_SECONDS or 10)")
      ->check(CLI::Range(0.0, 86400.0));
  app.add_option("--host", host, "Address to listen on (default $HOST or 0.0.0.0)");
  app.add_option("--port", port, "Port (default $PORT or 8080; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--threads", threads, "Searches run at once, 1 to 1024 (default: 4 per core)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--max-connections", max_connections,
                 "Connections served at once, idle keep-alive ones included; more wait")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  app.add_option("--drain-seconds", drain_seconds,
                 "After SIGTERM, keep serving this long with /healthz at 503 "
                 "(default $LIBSEARCH_DRAIN_SECONDS or 0)");
  app.add_option("--health-port", health_port,
                 "Also answer /healthz and /metrics (only) on this port, with threads of their "
                 "own (default $LIBSEARCH_HEALTH_PORT or none; 0 picks a free one)")
      ->check(CLI::Range(0, 65535));
  app.add_option("--request-seconds", request_seconds,
                 "Time a request has for its line, headers and body together, 1 to 3600; "
                 "a client slower than that gets 408")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  app.add_option("--shard", shard,
                 "Serve only shard N of the sharded index --index, to a fan-out coordinator "
                 "(POST /shard; default $LIBSEARCH_SHARD)")
      ->envname("LIBSEARCH_SHARD")
      ->check(CLI::Range(0, 4095));
  app.add_option("--shards", shard_urls,
                 "Be the fan-out coordinator of these shard services or functions (URLs "
                 "separated by commas, in shard order: http://HOST:PORT/shard, lambda:NAME) "
                 "instead of opening --index (default $LIBSEARCH_SHARDS)");
  app.add_option("--shard-timeout-ms", shard_timeout_ms,
                 "With --shards: a shard not answering in this time is missing (default "
                 "$LIBSEARCH_SHARD_TIMEOUT_MS or 10000)")
      ->envname("LIBSEARCH_SHARD_TIMEOUT_MS")
      ->check(CLI::Range(1, 3600000));
  app.add_option("--cursor-cache-entries", cursor_cache_entries,
                 "With --shards: how many next pages to remember, each then one round to "
                 "the shards (0: off; default $LIBSEARCH_CURSOR_CACHE_ENTRIES or 1024)")
      ->envname("LIBSEARCH_CURSOR_CACHE_ENTRIES")
      ->check(CLI::Range(0, 1 << 24));
  app.add_option("--checksums", checksums,
                 "When section checksums are checked: first-use, open or off (default "
                 "$LIBSEARCH_CHECKSUMS or first-use; libsearch/index.h, ChecksumPolicy)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // A usage error is bad input: 2, as the CLI's.
  }
  if (port < 0 || port > 65535) {  // $PORT, which CLI11 does not check.
    std::fprintf(stderr, "libsearch-service: port %d is not in 0..65535\n", port);
    return 2;
  }
  if (health_port < -1 || health_port > 65535) {  // $LIBSEARCH_HEALTH_PORT, likewise.
    std::fprintf(stderr, "libsearch-service: health port %d is not in 0..65535\n", health_port);
    return 2;
  }
  if (index_path.empty() == shard_urls.empty()) {
    std::fprintf(stderr,
                 "libsearch-service: give --index (or LIBSEARCH_INDEX) or --shards (or "
                 "LIBSEARCH_SHARDS), one of them\n");
    return 2;
  }

  // Signals are taken by one thread with sigwait; block them everywhere else
  // (threads inherit the mask).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (!(refresh_seconds >= 0 && refresh_seconds <= 86400)) {  // $LIBSEARCH_REFRESH_SECONDS.
    std::fprintf(stderr, "libsearch-service: refresh seconds %g is not in 0..86400\n",
                 refresh_seconds);
    return 2;
  }
  libsearch::ReplicaOptions replica_options;
  replica_options.cache_dir = cache_dir;
  replica_options.refresh_seconds = refresh_seconds;
  if (auto policy = libsearch::ParseChecksumPolicy(checksums); policy.ok()) {
    replica_options.open.checksums = *policy;
  } else {
    std::fprintf(stderr, "libsearch-service: %s\n", policy.status().ToString().c_str());
    return 2;
  }
  if (shard >= 0) replica_options.open.shards = {static_cast<uint32_t>(shard)};
  std::unique_ptr<libsearch::IndexReplica> replica;     // Null for a coordinator.
  std::shared_ptr<const libsearch::Index> coordinator;  // Of --shards.
  libsearch::Status open_status;
  if (!shard_urls.empty()) {
    libsearch::FanOutOptions fan_out;
    fan_out.shard_timeout = std::chrono::milliseconds(shard_timeout_ms);
    fan_out.cursor_cache_entries = cursor_cache_entries;
    auto opened = libsearch::FanOutIndex::OpenUrls(shard_urls, fan_out);
    if (opened.ok()) coordinator = std::move(*opened);
    open_status = opened.status();
    index_path = "shards " + shard_urls;
  } else {
    auto opened = libsearch::IndexReplica::Open(index_path, replica_options);
    if (opened.ok()) replica = std::move(*opened);
    open_status = opened.status();
  }
  if (!open_status.ok()) {
    std::fprintf(stderr, "libsearch-service: cannot open index %s: %s\n", index_path.c_str(),
                 open_status.ToString().c_str());
    switch (open_status.code()) {
      case libsearch::StatusCode::kNotFound: return 3;
      case libsearch::StatusCode::kCorruption: return 4;
      case libsearch::StatusCode::kInvalidArgument: return 2;
      default: return 1;
    }
  }
  // Each request searches the snapshot current when it starts.
  const auto current = [&]() -> std::shared_ptr<const libsearch::Index> {
    return coordinator != nullptr ? coordinator : replica->index();
  };
  const auto replica_status = [&] {
    return replica != nullptr ? replica->status() : libsearch::ReplicaStatus{};
  };
  auto metrics = std::make_unique<Metrics>();
  const libsearch::HandleOptions options;
  const bool log_requests = EnvOr("LIBSEARCH_REQUEST_LOG", "1") != "0";
  libsearch::RequestLogger request_log(
      {.surface = "service", .include_query = EnvOr("LIBSEARCH_LOG_QUERIES", "") == "1"});
  const auto log_refused = [&](int status, std::chrono::microseconds took) {
    if (log_requests) WriteLogLine(request_log.Refused(status, took));
  };

  libsearch::functions::GuardedServer server;
  server.new_task_queue = [&] {
    return new libsearch::functions::ConnectionPool(std::min(threads, max_connections),
                                                    max_connections);
  };
  libsearch::functions::WorkSlots search_slots(threads);
  // Bodies up to 16x the request limit are read (and counted) by the
  // handler, which answers a structured 413; past that the library refuses
  // them unread.
  server.set_payload_max_length(options.limits.max_body_bytes * 16);
  server.set_tcp_nodelay(true);  // Headers and body go out in two writes: no Nagle delay.
  server.set_keep_alive_max_count(10000);
  server.set_keep_alive_timeout(5);
  server.set_read_timeout(request_seconds);
  server.set_write_timeout(10);
  // A request's line, headers and body must all arrive within this time.
  server.set_request_time(std::chrono::seconds(request_seconds));
  const std::string late = "the request did not arrive in time (its line, headers and body have " +
                           std::to_string(request_seconds) + " s)";

  // The body is read through a content reader: the library's own reading
  // would refuse any body over 8 KiB sent as application/x-www-form-urlencoded
  // (curl's default), while the request limit here is 64 KiB for any type.
  server.Post("/search", [&](const httplib::Request& req, httplib::Response& res,
                             const httplib::ContentReader& reader) {
    const auto start = std::chrono::steady_clock::now();
    Measure(metrics.get(), Metrics::Route::kSearch, res, [&] {
      // Bodies over the limit are counted, not kept.
      const size_t limit = options.limits.max_body_bytes;
      std::string body;
      size_t size = 0;
      const bool read = reader([&](const char* data, size_t n) {
        size += n;
        if (size <= limit) body.append(data, n);
        return true;
      });
      if (!read && libsearch::functions::GuardedServer::RequestDeadlinePassed()) {
        SendError(res, 408, "request_timeout", late);
        log_refused(408, Since(start));
        return;
      }
      if (!read) {
        // The library stops reading past its own cap (16x the limit).
        const uint64_t declared =
            std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10);
        if (declared > limit) {
          SendError(res, 413, "payload_too_large",
                    "request body is " + std::to_string(declared) + " bytes; the limit is " +
                        std::to_string(limit));
        } else {
          SendError(res, 400, "invalid_argument", "the request body could not be read");
        }
        log_refused(res.status, Since(start));
        return;
      }
      if (size > limit) {
        SendError(res, 413, "payload_too_large",
                  "request body is " + std::to_string(size) + " bytes; the limit is " +
                      std::to_string(limit));
        log_refused(413, Since(start));
        return;
      }
      const auto slot = search_slots.Acquire();
      const libsearch::JsonReply reply = libsearch::HandleSearchJson(*current(), body, options);
      Send(res, reply);
      if (log_requests) WriteLogLine(request_log.SearchJson(body, reply, Since(start)));
    });
  });
  server.Get("/search", [&](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    Measure(metrics.get(), Metrics::Route::kSearch, res, [&] {
      const auto slot = search_slots.Acquire();
      const libsearch::JsonReply reply =
          libsearch::HandleSearchQueryString(*current(), QueryString(req), options);
      Send(res, reply);
      if (log_requests) {
        WriteLogLine(request_log.SearchQueryString(QueryString(req), reply, Since(start)));
      }
    });
  });
  std::atomic<bool> draining{false};
  const auto add_health_routes = [&](libsearch::functions::GuardedServer& on) {
    on.Get("/healthz", [&](const httplib::Request&, httplib::Response& res) {
      Measure(metrics.get(), Metrics::Route::kHealthz, res, [&] {
        const bool down = draining.load();
        res.status = down ? 503 : 200;
        res.set_content(std::string("{\"status\":\"") + (down ? "draining" : "ok") +
                            "\",\"num_docs\":" + std::to_string(current()->num_docs()) + "}",
                        kJson);
      });
    });
    on.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
      Measure(metrics.get(), Metrics::Route::kMetrics, res, [&] {
        res.set_content(metrics->Render(current()->num_docs(), replica_status()),
                        "text/plain; version=0.0.4");
      });
    });
  };
  add_health_routes(server);
  server.Get("/schema", [&](const httplib::Request&, httplib::Response& res) {
    Measure(metrics.get(), Metrics::Route::kOther, res,
            [&] { res.set_content(current()->schema().ToJson(), kJson); });
  });
  // A coordinator's shard request (the function of one shard). Bodies are
  // written by the coordinator: up to 1 MiB.
  server.Post("/shard", [&](const httplib::Request&, httplib::Response& res,
                            const httplib::ContentReader& reader) {
    Measure(metrics.get(), Metrics::Route::kOther, res, [&] {
      constexpr size_t kMaxShardRequest = size_t{1} << 20;
      std::string body;
      const bool read = reader([&](const char* data, size_t n) {
        body.append(data, n);
        return body.size() <= kMaxShardRequest;
      });
      if (!read || body.size() > kMaxShardRequest) {
        SendError(res, body.size() > kMaxShardRequest ? 413 : 400,
                  body.size() > kMaxShardRequest ? "payload_too_large" : "invalid_argument",
                  "the shard request could not be read (at most 1 MiB)");
        return;
      }
      const auto slot = search_slots.Acquire();
      Send(res, libsearch::HandleShardRequest(*current(), body));
    });
  });
  // The demo page: "/" and each of its files (patterns are regexes: dots escaped).
  for (const auto& asset : libsearch::functions::web::kAssets) {
    std::string pattern = asset.path == "/index.html" ? "/" : std::string(asset.path);
    for (size_t i = pattern.find('.'); i != std::string::npos; i = pattern.find('.', i + 2)) {
      pattern.insert(i, 1, '\\');
    }
    server.Get(pattern, [&](const httplib::Request& req, httplib::Response& res) {
      Measure(metrics.get(), Metrics::Route::kOther, res, [&] { SendAsset(asset, req, res); });
    });
  }
  server.set_pre_routing_handler([&](const httplib::Request& req, httplib::Response& res) {
    // Framing the connection guard cannot count (connection_guard.h) is
    // refused before any body is read: two lengths, or a length that is not
    // a plain number, could each be read differently by a proxy in front.
    const size_t lengths = req.get_header_value_count("Content-Length");
    const std::string length = req.get_header_value("Content-Length");
    if (lengths > 1 || (lengths == 1 && req.has_header("Transfer-Encoding")) ||
        (lengths == 1 && (length.empty() || length.size() > 18 ||
                          length.find_first_not_of("0123456789") != std::string::npos))) {
      SendError(res, 400, "invalid_argument",
                lengths > 1 ? "the request has " + std::to_string(lengths) +
                                  " Content-Length headers; send one"
                : req.has_header("Transfer-Encoding")
                    ? std::string("the request has both Content-Length and Transfer-Encoding")
                    : "Content-Length must be a non-negative integer, got '" +
                          length.substr(0, 32) + "'");
      metrics->Record(Metrics::Route::kOther, 400, 0);
      if (req.path == "/search") log_refused(400, std::chrono::microseconds(0));
      return httplib::Server::HandlerResponse::Handled;
    }
    const bool known = req.path == "/search" || req.path == "/healthz" || req.path == "/metrics" ||
                       req.path == "/schema" || req.path == "/shard" ||
                       FindAsset(req.path) != nullptr;
    const bool allowed = req.path == "/shard" ? req.method == "POST"
                                              : req.method == "GET" || req.method == "HEAD" ||
                                                    (req.method == "POST" && req.path == "/search");
    if (known && !allowed) {
      SendError(res, 405, "method_not_allowed",
                "method " + req.method + " is not allowed on " + req.path);
      res.set_header("Allow", req.path == "/search"  ? "GET, POST"
                              : req.path == "/shard" ? "POST"
                                                     : "GET");
      metrics->Record(Metrics::Route::kOther, 405, 0);
      if (req.path == "/search") log_refused(405, std::chrono::microseconds(0));
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.path == "/search" && req.method == "POST" && req.is_multipart_form_data()) {
      SendError(res, 415, "unsupported_media_type",
                "POST /search takes a JSON body (Content-Type: application/json), not "
                "multipart/form-data");
      metrics->Record(Metrics::Route::kSearch, 415, 0);
      log_refused(415, std::chrono::microseconds(0));
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Errors the library answers itself (unknown path, body over its limit,
  // a request line it cannot parse or over its 8 KiB) get the structured
  // error body too.
  // Every answer it writes is counted here: a handler's answers have a body
  // already and were counted by Measure or the pre-routing handler.
  server.set_error_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    using libsearch::functions::GuardedServer;
    const bool parsed = GuardedServer::RequestHeadersParsed();
    if (res.status == 400 && GuardedServer::RequestHeadTooLarge()) {
      SendError(res, 431, "invalid_argument",
                "the request line and headers are over " +
                    std::to_string(GuardedServer::kMaxHeadBytes / 1024) + " KiB or " +
                    std::to_string(GuardedServer::kMaxHeadLines) + " lines");
    } else if (GuardedServer::RequestDeadlinePassed()) {
      SendError(res, 408, "request_timeout", late);
    } else if (res.status == 404) {
      SendError(res, 404, "not_found",
                "no route for " + req.method + " " + req.path +
                    "; see /search, /healthz, /metrics, /schema, /shard, /");
    } else if (res.status == 413) {
      SendError(res, 413, "payload_too_large",
                "request body is over the limit of " +
                    std::to_string(options.limits.max_body_bytes) + " bytes");
    } else if (res.status == 414) {
      SendError(res, 414, "invalid_argument",
                "the request line is over 8 KiB; send the request as POST /search with a JSON "
                "body");
    } else if (res.status == 400 && !parsed) {
      SendError(res, 400, "invalid_argument",
                "the request line or headers could not be parsed (methods: GET, HEAD, POST; "
                "HTTP/1.0 or HTTP/1.1)");
    } else {
      SendError(res, res.status, res.status >= 500 ? "internal" : "invalid_argument",
                "HTTP " + std::to_string(res.status));
    }
    const bool search = req.path == "/search" || res.status == 413;
    metrics->Record(search ? Metrics::Route::kSearch : Metrics::Route::kOther, res.status, 0);
    if (search) log_refused(res.status, std::chrono::microseconds(0));
  });

  int bound_port = port;
  if (port == 0) {
    bound_port = server.bind_to_any_port(host);
  } else if (!server.bind_to_port(host, port)) {
    bound_port = -1;
  }
  if (bound_port < 0) {
    std::fprintf(stderr, "libsearch-service: cannot listen on %s:%d\n", host.c_str(), port);
    return 1;
  }
  // Up to the kernel's somaxconn: a burst of connections must not drop a probe's SYN.
  if (!server.SetListenBacklog(4096)) {
    std::fprintf(stderr, "libsearch-service: cannot raise the listen backlog: %s\n",
                 std::strerror(errno));
  }

  // The health listener: a few threads of its own, so it answers while the
  // main port's connection slots are all taken (by clients or an attack).
  libsearch::functions::GuardedServer health;
  int bound_health_port = -1;
  if (health_port >= 0) {
    health.new_task_queue = [] { return new libsearch::functions::ConnectionPool(2, 64); };
    health.set_read_timeout(request_seconds);
    health.set_write_timeout(10);
    health.set_request_time(std::chrono::seconds(request_seconds));
    health.set_keep_alive_timeout(5);
    add_health_routes(health);
    health.set_error_handler([&](const httplib::Request& req, httplib::Response& res) {
      if (!res.body.empty()) return;
      SendError(res, res.status, res.status >= 500 ? "internal" : "invalid_argument",
                res.status == 404 ? "no route for " + req.method + " " + req.path +
                                        " on the health port; see /healthz, /metrics"
                                  : "HTTP " + std::to_string(res.status));
      metrics->Record(Metrics::Route::kOther, res.status, 0);
    });
    bound_health_port = health_port == 0                         ? health.bind_to_any_port(host)
                        : health.bind_to_port(host, health_port) ? health_port
                                                                 : -1;
    if (bound_health_port < 0) {
      std::fprintf(stderr, "libsearch-service: cannot listen on %s:%d (--health-port)\n",
                   host.c_str(), health_port);
      return 1;
    }
    if (!health.SetListenBacklog(4096)) {
      std::fprintf(stderr, "libsearch-service: cannot raise the health listen backlog: %s\n",
                   std::strerror(errno));
    }
  }
  std::thread health_thread;
  std::atomic<bool> health_done{false};
  if (bound_health_port >= 0) {
    health_thread = std::thread([&] {
      health.listen_after_bind();
      health_done.store(true);
    });
  }

  // Follows the index: a newer commit is swapped in between requests; a
  // failed check keeps the last good snapshot, logs and counts it (/metrics).
  std::mutex refresher_mu;
  std::condition_variable refresher_wake;
  bool refresher_stop = false;
  std::thread refresher;
  if (refresh_seconds > 0 && replica != nullptr) {
    refresher = std::thread([&] {
      std::unique_lock lock(refresher_mu);
      while (!refresher_wake.wait_for(lock, std::chrono::duration<double>(refresh_seconds),
                                      [&] { return refresher_stop; })) {
        lock.unlock();
        const auto refreshed = replica->Refresh();
        const libsearch::ReplicaStatus s = replica->status();
        if (!refreshed.ok()) {
          std::fprintf(
              stderr, "%s\n",
              libsearch::ErrorReply(500, "index_refresh_failed",
                                    refreshed.status().ToString() + "; still serving generation " +
                                        std::to_string(s.generation))
                  .body.c_str());
        } else if (*refreshed) {
          std::fprintf(stderr, "libsearch-service: index refreshed to generation %llu\n",
                       static_cast<unsigned long long>(s.generation));
        }
        lock.lock();
      }
    });
  }

  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    if (server.is_running() && drain_seconds > 0) {
      draining.store(true);
      std::fprintf(stderr, "libsearch-service: signal %d, draining for %.1f s\n", sig,
                   drain_seconds);
      std::this_thread::sleep_for(std::chrono::duration<double>(drain_seconds));
    }
    std::fprintf(stderr, "libsearch-service: signal %d, shutting down\n", sig);
    server.stop();
    health.stop();
  });
  std::printf(
      "libsearch-service: %llu docs from %s, listening on http://%s:%d with %u search threads, "
      "up to %u connections\n",
      static_cast<unsigned long long>(current()->num_docs()), index_path.c_str(), host.c_str(),
      bound_port, threads, max_connections);
  if (bound_health_port >= 0) {
    std::printf("libsearch-service: /healthz and /metrics also on http://%s:%d\n", host.c_str(),
                bound_health_port);
  }
  std::fflush(stdout);

  const bool ok = server.listen_after_bind();
  // listen_after_bind returns after stop(), once the workers finished the
  // requests they had. Wake the signal thread if it is still waiting.
  if (signal_thread.joinable()) {
    // The signal thread waits in sigwait(), so SIGTERM wakes it, it does not
    // terminate anything.
    // NOLINTNEXTLINE(bugprone-bad-signal-to-kill-thread)
    pthread_kill(signal_thread.native_handle(), SIGTERM);
    signal_thread.join();
  }
  if (refresher.joinable()) {
    {
      std::lock_guard lock(refresher_mu);
      refresher_stop = true;
    }
    refresher_wake.notify_all();
    refresher.join();
  }
  if (health_thread.joinable()) {
    // stop() does nothing until the listener runs: repeat it until it ends.
    while (!health_done.load()) {
      health.stop();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    health_thread.join();
  }
  std::fprintf(stderr, "libsearch-service: stopped\n");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Only allocation failure or a library bug can throw this far.
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "libsearch-service: fatal: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "libsearch-service: fatal: unknown exception\n");
  }
  return 1;
}
