#include "remote/curl_util.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace libsearch::internal {
namespace {

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* r = static_cast<HttpResponse*>(user);
  std::string_view line(data, size * n);
  // A new status line (after a 100 Continue or a redirect) starts over.
  if (line.rfind("HTTP/", 0) == 0) {
    r->headers.clear();
    return size * n;
  }
  const size_t colon = line.find(':');
  if (colon == std::string_view::npos) return size * n;
  std::string name(line.substr(0, colon));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string_view v = line.substr(colon + 1);
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) {
    v.remove_suffix(1);
  }
  r->headers.emplace_back(std::move(name), std::string(v));
  return size * n;
}
size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}
size_t OnFileBody(char* data, size_t size, size_t n, void* user) {
  return std::fwrite(data, 1, size * n, static_cast<FILE*>(user));
}
struct Upload {
  std::string_view rest;
};
size_t OnUpload(char* buffer, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const size_t take = std::min(size * n, u->rest.size());
  std::memcpy(buffer, u->rest.data(), take);
  u->rest.remove_prefix(take);
  return take;
}
size_t OnFileUpload(char* buffer, size_t size, size_t n, void* user) {
  return std::fread(buffer, 1, size * n, static_cast<FILE*>(user));
}

// The CA bundle for HTTPS, found once. SSL_CERT_FILE (OpenSSL's own
// override) comes first; then a bundle compiled into libcurl, if it exists
// (a distribution's shared libcurl). The static libcurl of the packaged
// functions has none, because the build machine's path is not the
// runtime's: Debian/Ubuntu's /etc/ssl/certs/ca-certificates.crt, Amazon
// Linux 2023's (the Lambda runtime's) /etc/pki/tls/certs/ca-bundle.crt,
// Alpine's /etc/ssl/cert.pem. Empty: leave curl's default.
const std::string& CaBundle() {
  static const std::string path = [] {
    const char* env = std::getenv("SSL_CERT_FILE");
    if (env != nullptr && *env != '\0') return std::string(env);
    const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
    if (info->cainfo != nullptr && access(info->cainfo, R_OK) == 0) return std::string();
    for (const char* p : {"/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt",
                          "/etc/ssl/cert.pem"}) {
      if (access(p, R_OK) == 0) return std::string(p);
    }
    return std::string();
  }();
  return path;
}

// A transfer slower than 1 KB/s for this long is given up (and retried):
// a store that stops sending mid-object would otherwise hold a refresh, and
// the writer's lock, forever. LIBSEARCH_STORE_STALL_SECONDS sets it (at
// least 1; default 15), e.g. lower for a function with a short timeout.
long StallSeconds() {  // NOLINT(google-runtime-int): curl's type.
  // Read per request (a getenv is nothing next to a request), so a process
  // can change it between stores.
  const char* v = std::getenv("LIBSEARCH_STORE_STALL_SECONDS");
  const long n = v != nullptr ? std::strtol(v, nullptr, 10) : 0;  // NOLINT(google-runtime-int)
  return n >= 1 ? n : 15L;
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

std::string EnvOrEmpty(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

std::string PercentEncode(std::string_view s, bool keep_slash) {
  std::string out;
  for (const unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' ||
        (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

bool IsTransient(const Result<HttpResponse>& r) {
  if (!r.ok()) return r.status().code() == StatusCode::kIOError;
  return r->status == 500 || r->status == 502 || r->status == 503 || r->status == 504;
}

void InitCurlOnce() {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

CurlClient::CurlClient() {
  InitCurlOnce();
  curl_ = curl_easy_init();
}

CurlClient::~CurlClient() {
  if (curl_ != nullptr) curl_easy_cleanup(curl_);
}

Result<HttpResponse> CurlClient::Send(const HttpRequest& req,
                                      const std::function<void(CURL*)>& sign) {
  std::lock_guard lock(mu_);
  if (curl_ == nullptr) return Status::Internal("curl_easy_init failed");
  Result<HttpResponse> r = Status::Internal("no attempt");
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << (2 * attempt)));
    r = Once(req, sign);
    if (!IsTransient(r)) break;
  }
  return r;
}

Result<HttpResponse> CurlClient::Once(const HttpRequest& req,
                                      const std::function<void(CURL*)>& sign) {
  HttpResponse r;
  curl_easy_reset(curl_);
  curl_slist* headers = nullptr;
  for (const std::string& h : req.headers) headers = curl_slist_append(headers, h.c_str());
  curl_easy_setopt(curl_, CURLOPT_URL, req.url.c_str());
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
  if (sign) sign(curl_);
  curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
  if (const std::string& ca = CaBundle(); !ca.empty()) {
    curl_easy_setopt(curl_, CURLOPT_CAINFO, ca.c_str());
  }
  curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, 1024L);
  curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, StallSeconds());
  curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r);
  FILE* out = nullptr;
  FILE* in = nullptr;
  Upload upload{req.upload};
  auto cleanup = [&] {
    curl_slist_free_all(headers);
    bool ok = true;
    if (out != nullptr) ok = std::fclose(out) == 0;
    if (in != nullptr) std::fclose(in);
    return ok;
  };
  if (req.download_path != nullptr) {
    out = std::fopen(req.download_path->c_str(), "wb");
    if (out == nullptr) {
      const int err = errno;
      cleanup();
      return Status::IOError("cannot create " + *req.download_path + ": " + std::strerror(err));
    }
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &OnFileBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, out);
  } else {
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
  }
  if (req.method == "PUT" || req.method == "POST") {
    // An upload is a PUT to curl; CUSTOMREQUEST renames it for a POST.
    curl_easy_setopt(curl_, CURLOPT_UPLOAD, 1L);
    if (req.method != "PUT") curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    if (req.upload_path != nullptr) {
      in = std::fopen(req.upload_path->c_str(), "rb");
      if (in == nullptr) {
        const int err = errno;
        cleanup();
        return Status::IOError("cannot read " + *req.upload_path + ": " + std::strerror(err));
      }
      std::fseek(in, 0, SEEK_END);
      const long size = std::ftell(in);  // NOLINT(google-runtime-int)
      std::fseek(in, 0, SEEK_SET);
      curl_easy_setopt(curl_, CURLOPT_READFUNCTION, &OnFileUpload);
      curl_easy_setopt(curl_, CURLOPT_READDATA, in);
      curl_easy_setopt(curl_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(size));
    } else {
      curl_easy_setopt(curl_, CURLOPT_READFUNCTION, &OnUpload);
      curl_easy_setopt(curl_, CURLOPT_READDATA, &upload);
      curl_easy_setopt(curl_, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(req.upload.size()));
    }
  } else if (req.method != "GET") {
    curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, req.method.c_str());
  }
  const CURLcode rc = curl_easy_perform(curl_);
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
  const bool file_ok = cleanup();
  if (rc == CURLE_OPERATION_TIMEDOUT && r.status != 0) {
    return Status::IOError(req.method + " " + req.what + ": the store stalled (under 1 KB/s for " +
                           std::to_string(StallSeconds()) +
                           " s; LIBSEARCH_STORE_STALL_SECONDS sets how long)");
  }
  if (rc != CURLE_OK) {
    return Status::IOError(req.method + " " + req.what + ": " + curl_easy_strerror(rc));
  }
  if (!file_ok) return Status::IOError("cannot write " + *req.download_path);
  return r;
}

}  // namespace libsearch::internal
