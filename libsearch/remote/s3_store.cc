// s3://BUCKET/PREFIX through libcurl, whose CURLOPT_AWS_SIGV4 signs each
// request (Signature Version 4), so no signing code lives here. Conditional
// writes use S3's If-None-Match: * and If-Match (both answered 412 when
// they fail). Transient failures (connection errors, timeouts, 500, 502,
// 503, 504) are retried twice with backoff.
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "remote/object_store.h"

namespace libsearch::internal {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

// Percent-encodes a key for a URL path (SigV4's canonical form: unreserved
// characters and '/' stay).
std::string EncodePath(std::string_view key) {
  std::string out;
  for (const unsigned char c : key) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out += static_cast<char>(c);
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string EncodeQuery(std::string_view v) {
  std::string out = EncodePath(v);
  std::string slashes;
  for (const char c : out) slashes += c == '/' ? std::string("%2F") : std::string(1, c);
  return slashes;
}

// The text of each <tag>...</tag> in a ListObjectsV2 answer, with XML's five
// predefined entities decoded. S3's answers are flat and generated, and the
// keys are libsearch's own names, so a scan suffices; an XML library would
// add a dependency for three tags.
std::vector<std::string> XmlValues(std::string_view xml, std::string_view tag) {
  std::vector<std::string> out;
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  for (size_t at = xml.find(open); at != std::string_view::npos; at = xml.find(open, at)) {
    at += open.size();
    const size_t end = xml.find(close, at);
    if (end == std::string_view::npos) break;
    std::string value;
    for (size_t i = at; i < end; ++i) {
      if (xml[i] != '&') {
        value += xml[i];
        continue;
      }
      static constexpr std::pair<std::string_view, char> kEntities[] = {
          {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
      bool decoded = false;
      for (const auto& [name, c] : kEntities) {
        if (xml.substr(i, name.size()) == name) {
          value += c;
          i += name.size() - 1;
          decoded = true;
          break;
        }
      }
      if (!decoded) value += '&';
    }
    out.push_back(std::move(value));
    at = end + close.size();
  }
  return out;
}

// "2026-12-06T23:53:30.000Z" -> seconds since the epoch (0 if malformed).
int64_t ParseIsoTime(const std::string& s) {
  std::tm tm{};
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

struct Response {
  long status = 0;  // NOLINT(google-runtime-int): curl's type.
  std::string etag;
  std::string body;  // Unless streamed to a file.
};

class S3Store final : public ObjectStore {
 public:
  S3Store(std::string bucket, std::string prefix, std::string endpoint, std::string region,
          std::string user, std::string token)
      : bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        region_(std::move(region)),
        user_(std::move(user)),
        token_(std::move(token)) {
    if (endpoint.empty()) {
      // Virtual-hosted style, as AWS recommends.
      base_ = "https://" + bucket_ + ".s3." + region_ + ".amazonaws.com/";
    } else {
      while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
      base_ = endpoint + "/" + bucket_ + "/";  // Path style, as S3 emulators need.
    }
    curl_ = curl_easy_init();
  }
  ~S3Store() override {
    if (curl_ != nullptr) curl_easy_cleanup(curl_);
  }
  S3Store(const S3Store&) = delete;
  S3Store& operator=(const S3Store&) = delete;

  Result<GetResult> Get(const std::string& key, const std::string& if_none_match) override {
    std::vector<std::string> headers;
    if (!if_none_match.empty()) headers.push_back("If-None-Match: " + if_none_match);
    LIBSEARCH_ASSIGN_OR_RETURN(Response r, Call("GET", ObjectUrl(key), headers, key));
    GetResult out;
    out.etag = r.etag;
    if (r.status == 304) {
      out.not_modified = true;
      out.etag = if_none_match;
      return out;
    }
    LIBSEARCH_RETURN_IF_ERROR(Check(r, key));
    out.body = std::move(r.body);
    return out;
  }

  Status GetToFile(const std::string& key, const std::string& path) override {
    Request req{"GET", ObjectUrl(key), {}, key};
    req.download_path = &path;
    LIBSEARCH_ASSIGN_OR_RETURN(Response r, Run(req));
    return Check(r, key);
  }

  Result<std::string> Put(const std::string& key, std::string_view body, Precondition p,
                          const std::string& etag) override {
    Request req{"PUT", ObjectUrl(key), PreconditionHeaders(p, etag), key};
    req.upload = body;
    LIBSEARCH_ASSIGN_OR_RETURN(Response r, Run(req));
    LIBSEARCH_RETURN_IF_ERROR(Check(r, key));
    return r.etag;
  }

  Status PutFile(const std::string& key, const std::string& path, Precondition p) override {
    Request req{"PUT", ObjectUrl(key), PreconditionHeaders(p, ""), key};
    req.upload_path = &path;
    LIBSEARCH_ASSIGN_OR_RETURN(Response r, Run(req));
    return Check(r, key);
  }

  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    std::string token;
    for (;;) {
      std::string url = base_ + "?list-type=2&prefix=" + EncodeQuery(prefix_ + prefix);
      if (!token.empty()) url += "&continuation-token=" + EncodeQuery(token);
      LIBSEARCH_ASSIGN_OR_RETURN(Response r, Call("GET", url, {}, prefix));
      LIBSEARCH_RETURN_IF_ERROR(Check(r, prefix));
      for (const std::string& item : XmlValues(r.body, "Contents")) {
        const auto key = XmlValues(item, "Key");
        const auto size = XmlValues(item, "Size");
        const auto modified = XmlValues(item, "LastModified");
        if (key.empty() || key[0].rfind(prefix_, 0) != 0) continue;
        out.push_back({key[0].substr(prefix_.size()),
                       size.empty() ? 0 : std::strtoull(size[0].c_str(), nullptr, 10),
                       modified.empty() ? 0 : ParseIsoTime(modified[0])});
      }
      const auto truncated = XmlValues(r.body, "IsTruncated");
      const auto next = XmlValues(r.body, "NextContinuationToken");
      if (truncated.empty() || truncated[0] != "true" || next.empty()) break;
      token = next[0];
    }
    return out;
  }

  Status Delete(const std::string& key) override {
    LIBSEARCH_ASSIGN_OR_RETURN(Response r, Call("DELETE", ObjectUrl(key), {}, key));
    if (r.status == 404) return Status::Ok();
    return Check(r, key);
  }

  std::string Url(const std::string& key) const override {
    return "s3://" + bucket_ + "/" + prefix_ + key;
  }

 private:
  struct Request {
    Request(std::string m, std::string u, std::vector<std::string> h, std::string k)
        : method(std::move(m)), url(std::move(u)), headers(std::move(h)), key(std::move(k)) {}
    std::string method;
    std::string url;
    std::vector<std::string> headers;
    std::string key;  // For messages.
    std::string_view upload;
    const std::string* upload_path = nullptr;
    const std::string* download_path = nullptr;
  };

  std::string ObjectUrl(const std::string& key) const { return base_ + EncodePath(prefix_ + key); }

  static std::vector<std::string> PreconditionHeaders(Precondition p, const std::string& etag) {
    if (p == Precondition::kIfAbsent) return {"If-None-Match: *"};
    if (p == Precondition::kIfMatch) return {"If-Match: " + etag};
    return {};
  }

  Result<Response> Call(const char* method, std::string url, std::vector<std::string> headers,
                        const std::string& key) {
    return Run(Request{method, std::move(url), std::move(headers), key});
  }

  // The status as an error, if it is one (304 is handled by Get).
  Status Check(const Response& r, const std::string& key) const {
    if (r.status >= 200 && r.status < 300) return Status::Ok();
    const auto code = XmlValues(r.body, "Code");
    const std::string what = Url(key) + ": HTTP " + std::to_string(r.status) +
                             (code.empty() ? std::string() : " " + code[0]);
    switch (r.status) {
      case 404: return Status::NotFound("no object " + what);
      case 409:
      case 412: return Status::Aborted(what + " (another writer changed it first)");
      case 301:
      case 400: return Status::InvalidArgument(what + " (check the bucket name and AWS_REGION)");
      case 403:
        return Status::IOError(what +
                               " (access denied: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, "
                               "AWS_SESSION_TOKEN and the bucket's permissions)");
      default: return Status::IOError(what);
    }
  }

  static size_t OnHeader(char* data, size_t size, size_t n, void* user) {
    auto* r = static_cast<Response*>(user);
    const std::string_view line(data, size * n);
    if (line.size() > 5 && (line.substr(0, 5) == "ETag:" || line.substr(0, 5) == "etag:")) {
      std::string_view v = line.substr(5);
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == '\r' || v.back() == '\n' || v.back() == ' ')) {
        v.remove_suffix(1);
      }
      r->etag = std::string(v);
    }
    return size * n;
  }
  static size_t OnBody(char* data, size_t size, size_t n, void* user) {
    static_cast<std::string*>(user)->append(data, size * n);
    return size * n;
  }
  static size_t OnFileBody(char* data, size_t size, size_t n, void* user) {
    return std::fwrite(data, 1, size * n, static_cast<FILE*>(user));
  }
  struct Upload {
    std::string_view rest;
  };
  static size_t OnUpload(char* buffer, size_t size, size_t n, void* user) {
    auto* u = static_cast<Upload*>(user);
    const size_t take = std::min(size * n, u->rest.size());
    std::memcpy(buffer, u->rest.data(), take);
    u->rest.remove_prefix(take);
    return take;
  }
  static size_t OnFileUpload(char* buffer, size_t size, size_t n, void* user) {
    return std::fread(buffer, 1, size * n, static_cast<FILE*>(user));
  }

  // One attempt. The connection is kept in curl_ for the next request.
  Result<Response> Once(const Request& req) {
    Response r;
    curl_easy_reset(curl_);
    curl_slist* headers = nullptr;
    // S3 requires the payload hash header; UNSIGNED-PAYLOAD keeps bodies
    // streamed (segment files' integrity is checked by their own hashes).
    headers = curl_slist_append(headers, "x-amz-content-sha256: UNSIGNED-PAYLOAD");
    if (!token_.empty()) {
      headers = curl_slist_append(headers, ("x-amz-security-token: " + token_).c_str());
    }
    for (const std::string& h : req.headers) headers = curl_slist_append(headers, h.c_str());
    curl_easy_setopt(curl_, CURLOPT_URL, req.url.c_str());
    curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl_, CURLOPT_AWS_SIGV4, ("aws:amz:" + region_ + ":s3").c_str());
    curl_easy_setopt(curl_, CURLOPT_USERPWD, user_.c_str());
    curl_easy_setopt(curl_, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl_, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
    // A transfer stalled below 1 KB/s for 15 s fails (then is retried).
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(curl_, CURLOPT_LOW_SPEED_TIME, 15L);
    curl_easy_setopt(curl_, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(curl_, CURLOPT_HEADERDATA, &r);
    FILE* out = nullptr;
    FILE* in = nullptr;
    Upload upload{req.upload};
    if (req.download_path != nullptr) {
      out = std::fopen(req.download_path->c_str(), "wb");
      if (out == nullptr) {
        curl_slist_free_all(headers);
        return Status::IOError("cannot create " + *req.download_path + ": " + std::strerror(errno));
      }
      curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &OnFileBody);
      curl_easy_setopt(curl_, CURLOPT_WRITEDATA, out);
    } else {
      curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, &OnBody);
      curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &r.body);
    }
    if (req.method == "PUT") {
      curl_easy_setopt(curl_, CURLOPT_UPLOAD, 1L);
      if (req.upload_path != nullptr) {
        in = std::fopen(req.upload_path->c_str(), "rb");
        if (in == nullptr) {
          curl_slist_free_all(headers);
          if (out != nullptr) std::fclose(out);
          return Status::IOError("cannot read " + *req.upload_path + ": " + std::strerror(errno));
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
        curl_easy_setopt(curl_, CURLOPT_INFILESIZE_LARGE,
                         static_cast<curl_off_t>(req.upload.size()));
      }
    } else if (req.method != "GET") {
      curl_easy_setopt(curl_, CURLOPT_CUSTOMREQUEST, req.method.c_str());
    }
    const CURLcode rc = curl_easy_perform(curl_);
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(headers);
    bool file_ok = true;
    if (out != nullptr) file_ok = std::fclose(out) == 0;
    if (in != nullptr) std::fclose(in);
    if (rc != CURLE_OK) {
      return Status::IOError(req.method + " " + Url(req.key) + ": " + curl_easy_strerror(rc));
    }
    if (!file_ok) return Status::IOError("cannot write " + *req.download_path);
    return r;
  }

  Result<Response> Run(const Request& req) {
    std::lock_guard lock(mu_);
    if (curl_ == nullptr) return Status::Internal("curl_easy_init failed");
    Result<Response> r = Status::Internal("no attempt");
    for (int attempt = 0; attempt < 3; ++attempt) {
      if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(100 << (2 * attempt)));
      r = Once(req);
      const bool transient =
          !r.ok() ? r.status().code() == StatusCode::kIOError
                  : r->status == 500 || r->status == 502 || r->status == 503 || r->status == 504;
      if (!transient) break;
    }
    return r;
  }

  const std::string bucket_, prefix_, region_, user_, token_;
  std::string base_;
  std::mutex mu_;
  CURL* curl_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenS3Store(std::string_view bucket, std::string_view prefix) {
  static std::once_flag init;
  std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  const std::string key = Env("AWS_ACCESS_KEY_ID");
  const std::string secret = Env("AWS_SECRET_ACCESS_KEY");
  if (key.empty() || secret.empty()) {
    return Status::InvalidArgument(
        "s3://" + std::string(bucket) +
        ": no AWS credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
        "AWS_SESSION_TOKEN for temporary ones; Lambda sets all three)");
  }
  std::string region = Env("AWS_REGION");
  if (region.empty()) region = Env("AWS_DEFAULT_REGION");
  if (region.empty()) region = "us-east-1";
  std::string endpoint = Env("AWS_ENDPOINT_URL_S3");
  if (endpoint.empty()) endpoint = Env("AWS_ENDPOINT_URL");
  return std::unique_ptr<ObjectStore>(new S3Store(std::string(bucket), std::string(prefix),
                                                  endpoint, region, key + ":" + secret,
                                                  Env("AWS_SESSION_TOKEN")));
}

}  // namespace libsearch::internal
