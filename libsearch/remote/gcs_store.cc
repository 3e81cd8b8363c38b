// gs://BUCKET/PREFIX through the Cloud Storage JSON API over libcurl. The
// C++ SDK (google-cloud-cpp) is not packaged in Debian 12 and would bring
// gRPC, Abseil and protobuf to make six HTTP calls; these are the calls:
//   download  GET    /storage/v1/b/B/o/NAME?alt=media
//   upload    POST   /upload/storage/v1/b/B/o?uploadType=media&name=NAME
//   list      GET    /storage/v1/b/B/o?prefix=P[&pageToken=T]
//   delete    DELETE /storage/v1/b/B/o/NAME
// The version token is the object's generation: a create-only write is
// ifGenerationMatch=0, a replace ifGenerationMatch=<generation> (412 when
// they fail), a conditional read ifGenerationNotMatch=<generation> (304).
//
// Endpoint and credentials, as Google's client libraries find them:
// STORAGE_EMULATOR_HOST (an emulator, no authentication), else a bearer
// token from GOOGLE_OAUTH_ACCESS_TOKEN, else from the metadata server
// (Cloud Run, GCE; GCE_METADATA_HOST overrides its address), cached until a
// minute before it expires. LIBSEARCH_GCS_ENDPOINT replaces
// https://storage.googleapis.com (authentication unchanged).
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "remote/curl_util.h"
#include "remote/object_store.h"

namespace libsearch::internal {
namespace {

// "2026-12-06T23:53:30.123Z" -> seconds since the epoch (0 if malformed).
int64_t ParseRfc3339(const std::string& s) {
  std::tm tm{};
  if (std::sscanf(s.c_str(), "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                  &tm.tm_min, &tm.tm_sec) != 6) {
    return 0;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<int64_t>(timegm(&tm));
}

// A JSON string member (or a number written as one), "" if absent.
std::string Member(const nlohmann::json& j, const char* name) {
  if (!j.is_object()) return {};
  const auto it = j.find(name);
  if (it == j.end()) return {};
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return {};
}

constexpr char kCredentialsHelp[] =
    "set GOOGLE_OAUTH_ACCESS_TOKEN (for example to $(gcloud auth print-access-token)), run "
    "on Google Cloud with a service account that has roles/storage.objectAdmin on the bucket, "
    "or set STORAGE_EMULATOR_HOST for an emulator";

// The metadata server's token for the instance's service account, shared by
// every store in the process.
class MetadataToken {
 public:
  Result<std::string> Get(const std::string& what) {
    std::lock_guard lock(mu_);
    const auto now = std::chrono::steady_clock::now();
    if (!token_.empty() && now < refresh_at_) return token_;
    std::string host = EnvOrEmpty("GCE_METADATA_HOST");
    if (host.empty()) host = "metadata.google.internal";
    const std::string url =
        "http://" + host + "/computeMetadata/v1/instance/service-accounts/default/token";
    const HttpRequest req("GET", url, {"Metadata-Flavor: Google"}, url);
    Result<HttpResponse> r = client_.Send(req);
    if (!r.ok()) {
      return Status::InvalidArgument(what + ": no Google Cloud credentials (" +
                                     r.status().message() + "); " + kCredentialsHelp);
    }
    const nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
    const std::string token = Member(j, "access_token");
    if (r->status != 200 || token.empty()) {
      return Status::IOError(what + ": the metadata server " + req.url + " answered HTTP " +
                             std::to_string(r->status) + " without a token; " + kCredentialsHelp);
    }
    int64_t expires_in = 0;
    if (j.contains("expires_in") && j["expires_in"].is_number_integer()) {
      expires_in = j["expires_in"].get<int64_t>();
    }
    token_ = token;
    // Renewed a minute early, so no request starts with a token that expires
    // on the way.
    refresh_at_ = now + std::chrono::seconds(std::max<int64_t>(expires_in - 60, 0));
    return token_;
  }

  // After a 401: the next Get asks again.
  void Forget() {
    std::lock_guard lock(mu_);
    token_.clear();
  }

 private:
  std::mutex mu_;
  CurlClient client_;
  std::string token_;
  std::chrono::steady_clock::time_point refresh_at_;
};

MetadataToken& SharedMetadataToken() {
  static auto* token = new MetadataToken();  // Never destroyed: used until exit.
  return *token;
}

class GcsStore final : public ObjectStore {
 public:
  GcsStore(std::string bucket, std::string prefix, std::string endpoint, bool emulator,
           int page_size)
      : bucket_(std::move(bucket)),
        prefix_(std::move(prefix)),
        emulator_(emulator),
        page_size_(page_size) {
    while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
    objects_ = endpoint + "/storage/v1/b/" + PercentEncode(bucket_, false) + "/o";
    uploads_ =
        endpoint + "/upload/storage/v1/b/" + PercentEncode(bucket_, false) + "/o?uploadType=media";
  }

  Result<GetResult> Get(const std::string& key, const std::string& if_none_match) override {
    std::string url = ObjectUrl(key) + "?alt=media";
    if (!if_none_match.empty())
      url += "&ifGenerationNotMatch=" + PercentEncode(if_none_match, false);
    LIBSEARCH_ASSIGN_OR_RETURN(HttpResponse r, Call("GET", url, key));
    GetResult out;
    if (r.status == 304) {
      out.not_modified = true;
      out.etag = if_none_match;
      return out;
    }
    LIBSEARCH_RETURN_IF_ERROR(Check(r, key));
    out.etag = r.Header("x-goog-generation");
    if (out.etag.empty()) {
      return Status::IOError(Url(key) + ": the answer has no x-goog-generation header");
    }
    // Emulators may ignore ifGenerationNotMatch and answer 200: same result.
    if (out.etag == if_none_match) {
      out.not_modified = true;
      return out;
    }
    out.body = std::move(r.body);
    return out;
  }

  Status GetToFile(const std::string& key, const std::string& path) override {
    HttpRequest req{"GET", ObjectUrl(key) + "?alt=media", {}, Url(key)};
    req.download_path = &path;
    LIBSEARCH_ASSIGN_OR_RETURN(HttpResponse r, Run(std::move(req)));
    return Check(r, key);
  }

  Result<std::string> Put(const std::string& key, std::string_view body, Precondition p,
                          const std::string& etag) override {
    HttpRequest req{"POST", UploadUrl(key, p, etag), {}, Url(key)};
    req.upload = body;
    return Upload(std::move(req), key);
  }

  Status PutFile(const std::string& key, const std::string& path, Precondition p) override {
    HttpRequest req{"POST", UploadUrl(key, p, ""), {}, Url(key)};
    req.upload_path = &path;
    return Upload(std::move(req), key).status();
  }

  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    std::string token;
    for (;;) {
      std::string url = objects_ + "?prefix=" + PercentEncode(prefix_ + prefix, false) +
                        "&maxResults=" + std::to_string(page_size_) +
                        "&fields=items(name,size,updated),nextPageToken";
      if (!token.empty()) url += "&pageToken=" + PercentEncode(token, false);
      LIBSEARCH_ASSIGN_OR_RETURN(HttpResponse r, Call("GET", url, prefix));
      LIBSEARCH_RETURN_IF_ERROR(Check(r, prefix));
      const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
      if (!j.is_object()) return Status::IOError(Url(prefix) + ": a listing that is not JSON");
      if (const auto items = j.find("items"); items != j.end() && items->is_array()) {
        for (const nlohmann::json& item : *items) {
          const std::string name = Member(item, "name");
          if (name.rfind(prefix_, 0) != 0) continue;
          out.push_back({name.substr(prefix_.size()),
                         std::strtoull(Member(item, "size").c_str(), nullptr, 10),
                         ParseRfc3339(Member(item, "updated"))});
        }
      }
      token = Member(j, "nextPageToken");
      if (token.empty()) break;
    }
    // The JSON API lists in name order already; sorted here so the contract
    // does not rest on an emulator.
    std::sort(out.begin(), out.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    return out;
  }

  Status Delete(const std::string& key) override {
    LIBSEARCH_ASSIGN_OR_RETURN(HttpResponse r, Call("DELETE", ObjectUrl(key), key));
    if (r.status == 404) return Status::Ok();
    return Check(r, key);
  }

  std::string Url(const std::string& key) const override {
    return "gs://" + bucket_ + "/" + prefix_ + key;
  }

 private:
  std::string ObjectUrl(const std::string& key) const {
    return objects_ + "/" + PercentEncode(prefix_ + key, false);
  }

  std::string UploadUrl(const std::string& key, Precondition p, const std::string& generation) {
    std::string url = uploads_ + "&name=" + PercentEncode(prefix_ + key, false);
    if (p == Precondition::kIfAbsent) url += "&ifGenerationMatch=0";
    if (p == Precondition::kIfMatch)
      url += "&ifGenerationMatch=" + PercentEncode(generation, false);
    return url;
  }

  // Sends an upload; returns the new generation.
  Result<std::string> Upload(HttpRequest req, const std::string& key) {
    req.headers.emplace_back("Content-Type: application/octet-stream");
    LIBSEARCH_ASSIGN_OR_RETURN(HttpResponse r, Run(std::move(req)));
    LIBSEARCH_RETURN_IF_ERROR(Check(r, key));
    std::string generation = Member(nlohmann::json::parse(r.body, nullptr, false), "generation");
    if (generation.empty()) {
      return Status::IOError(Url(key) + ": the upload's answer names no generation");
    }
    return generation;
  }

  Result<HttpResponse> Call(const char* method, std::string url, const std::string& key) {
    return Run(HttpRequest{method, std::move(url), {}, Url(key)});
  }

  Result<HttpResponse> Run(HttpRequest req) {
    if (emulator_) return client_.Send(req);
    if (std::string token = EnvOrEmpty("GOOGLE_OAUTH_ACCESS_TOKEN"); !token.empty()) {
      req.headers.push_back("Authorization: Bearer " + token);
      return client_.Send(req);
    }
    const size_t auth = req.headers.size();
    req.headers.emplace_back();
    Result<HttpResponse> r = Status::Internal("no attempt");
    // A 401 means the cached token was revoked or expired early: once more
    // with a fresh one.
    for (int attempt = 0; attempt < 2; ++attempt) {
      if (attempt > 0) SharedMetadataToken().Forget();
      LIBSEARCH_ASSIGN_OR_RETURN(const std::string token, SharedMetadataToken().Get(req.what));
      req.headers[auth] = "Authorization: Bearer " + token;
      r = client_.Send(req);
      if (!r.ok() || r->status != 401) break;
    }
    return r;
  }

  // The status as an error, if it is one (304 is handled by Get).
  Status Check(const HttpResponse& r, const std::string& key) const {
    if (r.status >= 200 && r.status < 300) return Status::Ok();
    const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
    std::string message =
        j.is_object() && j.contains("error") ? Member(j["error"], "message") : std::string();
    const std::string what = Url(key) + ": HTTP " + std::to_string(r.status) +
                             (message.empty() ? std::string() : " " + message);
    switch (r.status) {
      case 404: return Status::NotFound("no object " + what + " (or no bucket " + bucket_ + ")");
      case 409:
      case 412: return Status::Aborted(what + " (another writer changed it first)");
      case 400: return Status::InvalidArgument(what + " (check the bucket name)");
      case 401:
      case 403: return Status::IOError(what + " (access denied: " + kCredentialsHelp + ")");
      default: return Status::IOError(what);
    }
  }

  const std::string bucket_, prefix_;
  const bool emulator_;
  const int page_size_;
  std::string objects_, uploads_;
  CurlClient client_;
};

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenGcsStore(std::string_view bucket, std::string_view prefix,
                                                  int list_page_size) {
  std::string endpoint = EnvOrEmpty("STORAGE_EMULATOR_HOST");
  const bool emulator = !endpoint.empty();
  if (!emulator) {
    // Another endpoint with the same authentication: a Private Service
    // Connect endpoint, or a proxy in tests.
    endpoint = EnvOrEmpty("LIBSEARCH_GCS_ENDPOINT");
    if (endpoint.empty()) endpoint = "https://storage.googleapis.com";
  } else if (endpoint.find("://") == std::string::npos) {
    endpoint = "http://" + endpoint;  // "host:port", as the Python and Go clients accept it.
  }
  return std::unique_ptr<ObjectStore>(new GcsStore(std::string(bucket), std::string(prefix),
                                                   endpoint, emulator,
                                                   list_page_size > 0 ? list_page_size : 1000));
}

}  // namespace libsearch::internal
