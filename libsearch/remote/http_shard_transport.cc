// HttpShardTransport (libsearch/fan_out.h): the shard requests of one round
// go out at once on a libcurl multi handle, each on an easy handle of its
// shard's, which keeps its connection for the next round. A round borrows a
// set of handles (one per shard) from a pool, so concurrent searches never
// share a connection and an idle set keeps its connections warm.
#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "libsearch/fan_out.h"
#include "remote/curl_util.h"

namespace libsearch {
namespace internal {
namespace {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  std::string url;      // What is POSTed to.
  std::string display;  // What messages call it (the URL as given).
  bool sign = false;    // AWS Lambda's Invoke API: SigV4.
  std::string sigv4;    // "aws:amz:REGION:lambda".
  std::string userpwd;  // "KEY:SECRET".
  std::string token;    // AWS_SESSION_TOKEN, if any.
};

size_t Append(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// A multi handle and an easy handle per shard, reused round after round.
struct HandleSet {
  explicit HandleSet(size_t n) : multi(curl_multi_init()), easy(n, nullptr) {
    for (CURL*& e : easy) e = curl_easy_init();
  }
  ~HandleSet() {
    for (CURL* e : easy) curl_easy_cleanup(e);
    curl_multi_cleanup(multi);
  }
  HandleSet(const HandleSet&) = delete;
  HandleSet& operator=(const HandleSet&) = delete;
  CURLM* multi;
  std::vector<CURL*> easy;
};

class HttpTransport final : public ShardTransport {
 public:
  explicit HttpTransport(std::vector<Endpoint> endpoints) : endpoints_(std::move(endpoints)) {}

  size_t num_shards() const override { return endpoints_.size(); }
  std::string Describe(size_t shard) const override { return endpoints_[shard].display; }

  std::vector<Result<std::string>> Exchange(const std::vector<std::string>& requests,
                                            Clock::time_point deadline) override {
    const size_t n = endpoints_.size();
    std::vector<Result<std::string>> out(n, std::string());
    std::unique_ptr<HandleSet> set = Borrow();
    std::vector<std::string> bodies(n);
    std::vector<curl_slist*> headers(n, nullptr);
    std::vector<char[CURL_ERROR_SIZE]> errors(n);
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const long timeout_ms = std::max<long>(1, static_cast<long>(left.count()));  // NOLINT
    for (size_t i = 0; i < n && i < requests.size(); ++i) {
      if (requests[i].empty()) continue;
      const Endpoint& e = endpoints_[i];
      CURL* curl = set->easy[i];
      curl_easy_reset(curl);
      errors[i][0] = '\0';
      curl_easy_setopt(curl, CURLOPT_URL, e.url.c_str());
      curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
      curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, requests[i].data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(requests[i].size()));
      headers[i] = curl_slist_append(headers[i], "Content-Type: application/json");
      headers[i] = curl_slist_append(headers[i], "Expect:");  // No 100-continue round trip.
      if (e.sign) {
        curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, e.sigv4.c_str());
        curl_easy_setopt(curl, CURLOPT_USERPWD, e.userpwd.c_str());
        if (!e.token.empty()) {
          headers[i] = curl_slist_append(headers[i], ("X-Amz-Security-Token: " + e.token).c_str());
        }
      }
      curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers[i]);
      curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Append);
      curl_easy_setopt(curl, CURLOPT_WRITEDATA, &bodies[i]);
      curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errors[i]);
      curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
      curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, 5000L));
      curl_multi_add_handle(set->multi, curl);
    }
    int running = 1;
    while (running > 0) {
      if (curl_multi_perform(set->multi, &running) != CURLM_OK) break;
      if (running > 0) curl_multi_poll(set->multi, nullptr, 0, 100, nullptr);
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(set->multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      const size_t i = static_cast<size_t>(
          std::find(set->easy.begin(), set->easy.end(), msg->easy_handle) - set->easy.begin());
      if (i >= n) continue;
      out[i] = Finish(i, msg->easy_handle, msg->data.result, errors[i], timeout_ms, &bodies[i]);
    }
    for (size_t i = 0; i < n && i < requests.size(); ++i) {
      if (requests[i].empty()) continue;
      curl_multi_remove_handle(set->multi, set->easy[i]);
      curl_slist_free_all(headers[i]);
    }
    Return(std::move(set));
    return out;
  }

 private:
  Result<std::string> Finish(size_t i, CURL* curl, CURLcode code, const char* error,
                             long timeout_ms, std::string* body) const {  // NOLINT
    if (code == CURLE_OPERATION_TIMEDOUT) {
      return Status::Unavailable("did not answer within " + std::to_string(timeout_ms) + " ms");
    }
    if (code != CURLE_OK) {
      return Status::IOError(std::string(curl_easy_strerror(code)) +
                             (error[0] != '\0' ? std::string(" (") + error + ")" : ""));
    }
    long status = 0;  // NOLINT(google-runtime-int): curl's type.
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    // Error objects (a shard's refusal, a service's 5xx) are decoded by
    // the coordinator; anything else not 200 is the endpoint's failure.
    if (status != 200 && body->find("\"error\"") == std::string::npos) {
      return Status::IOError("HTTP " + std::to_string(status) + " from " + endpoints_[i].display +
                             ": " + body->substr(0, 200));
    }
    return std::move(*body);
  }

  std::unique_ptr<HandleSet> Borrow() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!free_.empty()) {
        std::unique_ptr<HandleSet> set = std::move(free_.back());
        free_.pop_back();
        return set;
      }
    }
    return std::make_unique<HandleSet>(endpoints_.size());
  }

  void Return(std::unique_ptr<HandleSet> set) {
    std::lock_guard<std::mutex> lock(mu_);
    free_.push_back(std::move(set));
  }

  const std::vector<Endpoint> endpoints_;
  std::mutex mu_;
  std::vector<std::unique_ptr<HandleSet>> free_;
};

}  // namespace
}  // namespace internal

Result<std::shared_ptr<ShardTransport>> HttpShardTransport(const std::vector<std::string>& urls) {
  using internal::EnvOrEmpty;
  if (urls.empty()) return Status::InvalidArgument("a fan-out index needs at least one shard URL");
  internal::InitCurlOnce();
  std::vector<internal::Endpoint> endpoints;
  for (const std::string& url : urls) {
    internal::Endpoint e;
    e.display = url;
    if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) {
      e.url = url;
    } else if (url.rfind("lambda:", 0) == 0 && url.size() > 7) {
      std::string function = url.substr(7), qualifier;
      if (const size_t colon = function.find(':'); colon != std::string::npos) {
        qualifier = function.substr(colon + 1);
        function.resize(colon);
      }
      const std::string key = EnvOrEmpty("AWS_ACCESS_KEY_ID");
      const std::string secret = EnvOrEmpty("AWS_SECRET_ACCESS_KEY");
      if (key.empty() || secret.empty()) {
        return Status::InvalidArgument(
            url +
            ": no AWS credentials; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and "
            "AWS_SESSION_TOKEN for temporary ones; Lambda sets all three)");
      }
      std::string region = EnvOrEmpty("AWS_REGION");
      if (region.empty()) region = EnvOrEmpty("AWS_DEFAULT_REGION");
      if (region.empty()) region = "us-east-1";
      std::string base = EnvOrEmpty("AWS_ENDPOINT_URL_LAMBDA");
      if (base.empty()) base = EnvOrEmpty("AWS_ENDPOINT_URL");
      if (base.empty()) base = "https://lambda." + region + ".amazonaws.com";
      while (!base.empty() && base.back() == '/') base.pop_back();
      e.url = base + "/2015-03-31/functions/" + internal::PercentEncode(function, false) +
              "/invocations";
      if (!qualifier.empty()) e.url += "?Qualifier=" + internal::PercentEncode(qualifier, false);
      e.sign = true;
      e.sigv4 = "aws:amz:" + region + ":lambda";
      e.userpwd = key + ":" + secret;
      e.token = EnvOrEmpty("AWS_SESSION_TOKEN");
    } else {
      return Status::InvalidArgument("shard URL '" + url +
                                     "': give http://HOST:PORT/PATH, https://... or "
                                     "lambda:FUNCTION[:QUALIFIER]");
    }
    endpoints.push_back(std::move(e));
  }
  return std::shared_ptr<ShardTransport>(
      std::make_shared<internal::HttpTransport>(std::move(endpoints)));
}

}  // namespace libsearch
