// s3://BUCKET/PREFIX through libcurl, whose CURLOPT_AWS_SIGV4 signs each
// request (Signature Version 4), so no signing code lives here. Conditional
// writes use S3's If-None-Match: * and If-Match (both answered 412 when
// they fail); the version token is S3's ETag. Transient failures are
// retried (CurlClient, curl_util.h).
#include <curl/curl.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <utility>
#include <vector>

#include "remote/curl_util.h"
#include "remote/object_store.h"

namespace libsearch::internal {
namespace {

std::string EncodeQuery(std::string_view v) {
  std::string out = PercentEncode(v, true);
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
  }

  Result<GetResult> Get(const std::string& key, const std::string& if_none_match) override {
    std::vector<std::string> headers;
    if (!if_none_match.empty()) headers.push_back("If-None-Match: " + if_none_match);
    LIBSEARCH_ASSIGN_OR_RETURN(HttpResponse r, Call("GET", ObjectUrl(key), headers, key));
    GetResult out;
    out.etag = r.Header("etag");
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
    HttpRequest req{"GET", ObjectUrl(key), {}, Url(key)};
    req.download_path = &path;
    LIBSEARCH_ASSIGN_OR_RETURN(HttpResponse r, Run(req));
    return Check(r, key);
  }

  Result<std::string> Put(const std::string& key, std::string_view body, Precondition p,
                          const std::string& etag) override {
    HttpRequest req{"PUT", ObjectUrl(key), PreconditionHeaders(p, etag), Url(key)};
    req.upload = body;
    LIBSEARCH_ASSIGN_OR_RETURN(HttpResponse r, Run(req));
    LIBSEARCH_RETURN_IF_ERROR(Check(r, key));
    return r.Header("etag");
  }

  Status PutFile(const std::string& key, const std::string& path, Precondition p) override {
    HttpRequest req{"PUT", ObjectUrl(key), PreconditionHeaders(p, ""), Url(key)};
    req.upload_path = &path;
    LIBSEARCH_ASSIGN_OR_RETURN(HttpResponse r, Run(req));
    return Check(r, key);
  }

  Result<std::vector<ObjectInfo>> List(const std::string& prefix) override {
    std::vector<ObjectInfo> out;
    std::string token;
    for (;;) {
      std::string url = base_ + "?list-type=2&prefix=" + EncodeQuery(prefix_ + prefix);
      if (!token.empty()) url += "&continuation-token=" + EncodeQuery(token);
      LIBSEARCH_ASSIGN_OR_RETURN(HttpResponse r, Call("GET", url, {}, prefix));
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
    LIBSEARCH_ASSIGN_OR_RETURN(HttpResponse r, Call("DELETE", ObjectUrl(key), {}, key));
    if (r.status == 404) return Status::Ok();
    return Check(r, key);
  }

  std::string Url(const std::string& key) const override {
    return "s3://" + bucket_ + "/" + prefix_ + key;
  }

 private:
  std::string ObjectUrl(const std::string& key) const {
    return base_ + PercentEncode(prefix_ + key, true);
  }

  static std::vector<std::string> PreconditionHeaders(Precondition p, const std::string& etag) {
    if (p == Precondition::kIfAbsent) return {"If-None-Match: *"};
    if (p == Precondition::kIfMatch) return {"If-Match: " + etag};
    return {};
  }

  Result<HttpResponse> Call(const char* method, std::string url, std::vector<std::string> headers,
                            const std::string& key) {
    return Run(HttpRequest{method, std::move(url), std::move(headers), Url(key)});
  }

  // The status as an error, if it is one (304 is handled by Get).
  Status Check(const HttpResponse& r, const std::string& key) const {
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

  Result<HttpResponse> Run(HttpRequest req) {
    // S3 requires the payload hash header; UNSIGNED-PAYLOAD keeps bodies
    // streamed (segment files' integrity is checked by their own hashes).
    req.headers.emplace_back("x-amz-content-sha256: UNSIGNED-PAYLOAD");
    if (!token_.empty()) req.headers.push_back("x-amz-security-token: " + token_);
    return client_.Send(req, [this](CURL* curl) {
      curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4_.c_str());
      curl_easy_setopt(curl, CURLOPT_USERPWD, user_.c_str());
    });
  }

  const std::string bucket_, prefix_, region_, user_, token_;
  const std::string sigv4_ = "aws:amz:" + region_ + ":s3";
  std::string base_;
  CurlClient client_;
};
}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenS3Store(std::string_view bucket, std::string_view prefix) {
  const std::string key = EnvOrEmpty("AWS_ACCESS_KEY_ID");
  const std::string secret = EnvOrEmpty("AWS_SECRET_ACCESS_KEY");
  if (key.empty() || secret.empty()) {
    return Status::InvalidArgument(
        "s3://" + std::string(bucket) +
        ": no AWS credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
        "AWS_SESSION_TOKEN for temporary ones; Lambda sets all three)");
  }
  std::string region = EnvOrEmpty("AWS_REGION");
  if (region.empty()) region = EnvOrEmpty("AWS_DEFAULT_REGION");
  if (region.empty()) region = "us-east-1";
  std::string endpoint = EnvOrEmpty("AWS_ENDPOINT_URL_S3");
  if (endpoint.empty()) endpoint = EnvOrEmpty("AWS_ENDPOINT_URL");
  return std::unique_ptr<ObjectStore>(new S3Store(std::string(bucket), std::string(prefix),
                                                  endpoint, region, key + ":" + secret,
                                                  EnvOrEmpty("AWS_SESSION_TOKEN")));
}

}  // namespace libsearch::internal
