// Object storage as a remote index uses it: whole objects by key under one
// URL prefix, conditional writes, listing and deletion. Three stores:
//   s3://BUCKET/PREFIX   Amazon S3 or any S3 API (s3_store.cc)
//   gs://BUCKET/PREFIX   Google Cloud Storage's JSON API (gcs_store.cc)
//   file:///DIR          a local directory (local_store.cc), for a shared
//                        file system and for tests
// Keys are relative to the prefix ("MANIFEST", "files/s000001.seg.<hash>").
//
// Each version of an object has a version token, opaque to callers and
// compared only for equality: S3's ETag, GCS's generation, the hash of a
// local file's bytes. The fields and parameters below named `etag` hold it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "libsearch/status.h"

namespace libsearch::internal {

struct ObjectInfo {
  std::string key;  // Relative to the store's prefix.
  uint64_t size = 0;
  int64_t modified_unix = 0;  // Seconds since the epoch.
};

// What a Put requires of the object it replaces.
enum class Precondition {
  kNone,      // Create or replace.
  kIfAbsent,  // Only create: Aborted if the key exists.
  kIfMatch,   // Only replace the version whose token is given: Aborted otherwise.
};

struct GetResult {
  bool not_modified = false;  // The token given to Get is still current.
  std::string etag;           // The version token of the version read.
  std::string body;
};

// Errors: NotFound for a missing key, Aborted for a failed precondition,
// IOError for a store that cannot be reached or refuses (after retrying
// transient failures), InvalidArgument for a bad URL or missing
// credentials. Every message names the object's URL.
//
// Thread-safety: one call at a time per store (a store may keep a
// connection); use one store per thread.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // The object `key`; if `if_none_match` is its current version token, only
  // not_modified = true (and the token).
  virtual Result<GetResult> Get(const std::string& key, const std::string& if_none_match) = 0;
  // Writes the object `key` into the local file `path` (created or
  // truncated); on error the file may hold part of it.
  virtual Status GetToFile(const std::string& key, const std::string& path) = 0;
  // Writes `body` as `key` under precondition `p` (`etag`, a version token,
  // for kIfMatch). Returns the new version's token.
  virtual Result<std::string> Put(const std::string& key, std::string_view body, Precondition p,
                                  const std::string& etag) = 0;
  // Writes the local file `path` as `key` (streamed, not read into memory).
  virtual Status PutFile(const std::string& key, const std::string& path, Precondition p) = 0;
  // Every object whose key starts with `prefix`, in key order.
  virtual Result<std::vector<ObjectInfo>> List(const std::string& prefix) = 0;
  // Removes `key`; a missing key is not an error.
  virtual Status Delete(const std::string& key) = 0;
  // The URL of `key`, for messages.
  virtual std::string Url(const std::string& key) const = 0;
};

// The store for `url`: s3://BUCKET[/PREFIX], gs://BUCKET[/PREFIX] or
// file:///ABSOLUTE/DIR. S3 credentials, region and endpoint come from the
// environment as the AWS SDKs read them (AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION or
// AWS_DEFAULT_REGION, AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL). GCS's: an
// emulator at STORAGE_EMULATOR_HOST (no authentication), else the bearer
// token GOOGLE_OAUTH_ACCESS_TOKEN, else the metadata server's token for the
// instance's service account (Cloud Run, GCE; GCE_METADATA_HOST overrides
// its address); LIBSEARCH_GCS_ENDPOINT replaces storage.googleapis.com.
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view url);

// True if `path` names an object store (a URL this libsearch opens) rather
// than a local path.
bool IsObjectStoreUrl(std::string_view path);

// For each store: an S3 store (s3_store.cc), a GCS one (gcs_store.cc) and a
// local one (local_store.cc). `prefix` is empty or ends in '/'. A GCS
// listing asks for `list_page_size` objects a page (tests make it small).
Result<std::unique_ptr<ObjectStore>> OpenS3Store(std::string_view bucket, std::string_view prefix);
Result<std::unique_ptr<ObjectStore>> OpenGcsStore(std::string_view bucket, std::string_view prefix,
                                                  int list_page_size = 1000);
Result<std::unique_ptr<ObjectStore>> OpenLocalStore(std::string_view dir);

}  // namespace libsearch::internal
