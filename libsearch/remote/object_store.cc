#include "remote/object_store.h"

#include <utility>

namespace libsearch::internal {

#ifndef LIBSEARCH_WITH_S3
Result<std::unique_ptr<ObjectStore>> OpenS3Store(std::string_view bucket, std::string_view) {
  return Status::Unimplemented("s3://" + std::string(bucket) +
                               ": this libsearch was built without S3 support "
                               "(-DLIBSEARCH_WITH_S3=OFF); use file:// or rebuild with it");
}
// GCS goes through libcurl too, so the same option builds it.
Result<std::unique_ptr<ObjectStore>> OpenGcsStore(std::string_view bucket, std::string_view, int) {
  return Status::Unimplemented("gs://" + std::string(bucket) +
                               ": this libsearch was built without libcurl's object stores "
                               "(-DLIBSEARCH_WITH_S3=OFF); use file:// or rebuild with it");
}
#endif

namespace {

// "BUCKET/PREFIX" (after the scheme) -> {bucket, prefix ending in '/' or empty}.
Result<std::pair<std::string, std::string>> SplitBucket(std::string_view url, size_t scheme) {
  const std::string_view rest = url.substr(scheme);
  const size_t slash = rest.find('/');
  std::string bucket(rest.substr(0, slash));
  std::string prefix(slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1));
  if (bucket.empty()) {
    return Status::InvalidArgument("'" + std::string(url) + "' names no bucket; write " +
                                   std::string(url.substr(0, scheme)) + "BUCKET/PREFIX");
  }
  if (!prefix.empty() && prefix.back() != '/') prefix += '/';
  return std::make_pair(std::move(bucket), std::move(prefix));
}

}  // namespace

bool IsObjectStoreUrl(std::string_view path) {
  return path.rfind("s3://", 0) == 0 || path.rfind("file://", 0) == 0 ||
         path.rfind("gs://", 0) == 0;
}

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view url) {
  if (url.rfind("file://", 0) == 0) return OpenLocalStore(url.substr(7));
  if (url.rfind("s3://", 0) == 0) {
    LIBSEARCH_ASSIGN_OR_RETURN(auto parts, SplitBucket(url, 5));
    return OpenS3Store(parts.first, parts.second);
  }
  if (url.rfind("gs://", 0) == 0) {
    LIBSEARCH_ASSIGN_OR_RETURN(auto parts, SplitBucket(url, 5));
    return OpenGcsStore(parts.first, parts.second);
  }
  return Status::InvalidArgument("'" + std::string(url) +
                                 "' is not an object store URL (s3://BUCKET/PREFIX, "
                                 "gs://BUCKET/PREFIX or file:///DIR)");
}

}  // namespace libsearch::internal
