#include "remote/object_store.h"

namespace libsearch::internal {

#ifndef LIBSEARCH_WITH_S3
Result<std::unique_ptr<ObjectStore>> OpenS3Store(std::string_view bucket, std::string_view) {
  return Status::Unimplemented("s3://" + std::string(bucket) +
                               ": this libsearch was built without S3 support "
                               "(-DLIBSEARCH_WITH_S3=OFF); use file:// or rebuild with it");
}
#endif

bool IsObjectStoreUrl(std::string_view path) {
  return path.rfind("s3://", 0) == 0 || path.rfind("file://", 0) == 0 ||
         path.rfind("gs://", 0) == 0;
}

Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view url) {
  if (url.rfind("file://", 0) == 0) return OpenLocalStore(url.substr(7));
  if (url.rfind("s3://", 0) == 0) {
    std::string_view rest = url.substr(5);
    const size_t slash = rest.find('/');
    const std::string_view bucket = rest.substr(0, slash);
    std::string prefix(slash == std::string_view::npos ? std::string_view()
                                                       : rest.substr(slash + 1));
    if (bucket.empty()) {
      return Status::InvalidArgument("'" + std::string(url) +
                                     "' names no bucket; write s3://BUCKET/PREFIX");
    }
    if (!prefix.empty() && prefix.back() != '/') prefix += '/';
    return OpenS3Store(bucket, prefix);
  }
  if (url.rfind("gs://", 0) == 0) {
    return Status::Unimplemented("'" + std::string(url) +
                                 "': Google Cloud Storage is not supported yet; use s3:// "
                                 "(GCS's XML API with HMAC keys speaks it) or file://");
  }
  return Status::InvalidArgument("'" + std::string(url) +
                                 "' is not an object store URL (s3://BUCKET/PREFIX or "
                                 "file:///DIR)");
}

}  // namespace libsearch::internal
