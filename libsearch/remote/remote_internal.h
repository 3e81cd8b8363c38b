// What remote_index.cc (the replica of one index, RemoteWriter) and
// sharded_remote.cc (the replica of a sharded index, shard uploads) share:
// the remote manifest, syncing a directory from a remote index and
// uploading one, and the base of every IndexReplica (libsearch/remote.h;
// docs/format.md, "Remote indexes").
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "libsearch/remote.h"
#include "remote/object_store.h"
#include "storage/manifest.h"

namespace libsearch::internal::remote {

inline constexpr std::string_view kRemoteManifestKey = "MANIFEST";

inline double NowSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The MANIFEST object: the index directory's manifest, the content hash of
// each file it names, and the last event ids applied.
struct RemoteManifest {
  Manifest manifest;
  std::map<std::string, std::string> files;  // Name -> hash.
  std::deque<std::string> events;

  std::string Serialize() const;
  static Result<RemoteManifest> Parse(std::string_view text, const std::string& url);
};

struct Transfer {
  uint64_t files = 0;
  uint64_t bytes = 0;
};

// Finishes a download into `tmp` whose outcome is `got`: renames it to
// `path` and counts it in `transfer`, or removes it and returns the error.
Status InstallDownload(Status got, const std::string& tmp, const std::string& path,
                       Transfer* transfer);

// Makes `dir` an index directory at `remote`'s commit: downloads the files
// the directory lacks (or holds with another hash), checks each hash,
// writes MANIFEST, then removes the files no longer named.
Status SyncDirectory(ObjectStore& store, const std::string& dir, const RemoteManifest& remote,
                     Transfer* transfer);

// Reads the MANIFEST object: NotFound if there is none.
Result<std::pair<RemoteManifest, std::string>> ReadRemote(ObjectStore& store);

// `url` + "/" + `rel`, without doubled slashes.
std::string JoinUrl(const std::string& url, const std::string& rel);

// Uploads index directory `dir` as the remote index of `store`: the files
// it lacks (content-addressed), then MANIFEST, replaced.
Status UploadDirectory(ObjectStore& store, const std::string& dir, uint64_t* generation);

// What both replicas share: the snapshot, one refresh at a time, the
// bookkeeping. A subclass says how to find a newer commit (Check).
class ReplicaBase : public IndexReplica {
 public:
  explicit ReplicaBase(ReplicaOptions options) : options_(std::move(options)) {}

  std::shared_ptr<const Index> index() const override {
    std::lock_guard lock(mu_);
    return index_;
  }

  Result<bool> Refresh() override {
    std::lock_guard refreshing(refresh_mu_);
    return RefreshLocked();
  }

  Result<bool> MaybeRefresh() override {
    std::unique_lock refreshing(refresh_mu_, std::try_to_lock);
    if (!refreshing.owns_lock()) return false;  // Another thread is at it.
    {
      std::lock_guard lock(mu_);
      if (NowSeconds() - last_check_ < options_.refresh_seconds) return false;
    }
    return RefreshLocked();
  }

  ReplicaStatus status() const override {
    std::lock_guard lock(mu_);
    ReplicaStatus s = status_;
    s.last_check_age_seconds = NowSeconds() - last_check_;
    return s;
  }

 protected:
  // A newer commit, made ready on disk, to be reopened; nullopt if none.
  struct Newer {
    uint64_t generation = 0;
    std::function<void()> commit;  // Records what was swapped in (under mu_).
  };
  // Looks for a newer commit and prepares it (downloads); counts transfers
  // into *t. Called with refresh_mu_ held, never mu_.
  virtual Result<std::optional<Newer>> Check(Transfer* t) = 0;

  // The first snapshot.
  void Start(std::unique_ptr<Index> index, uint64_t generation, const Transfer& t) {
    std::lock_guard lock(mu_);
    index_ = std::move(index);
    status_.generation = generation;
    status_.files_downloaded += t.files;
    status_.bytes_downloaded += t.bytes;
    ++status_.checks;
    last_check_ = NowSeconds();
  }

  const ReplicaOptions options_;

 private:
  // REQUIRES: refresh_mu_ held.
  Result<bool> RefreshLocked() {
    Transfer t;
    auto changed = [&]() -> Result<bool> {
      LIBSEARCH_ASSIGN_OR_RETURN(std::optional<Newer> newer, Check(&t));
      if (!newer) return false;
      LIBSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Index> next, index()->Reopen());
      std::lock_guard lock(mu_);
      index_ = std::move(next);
      newer->commit();
      status_.generation = newer->generation;
      ++status_.refreshes;
      return true;
    }();
    std::lock_guard lock(mu_);
    last_check_ = NowSeconds();
    ++status_.checks;
    status_.files_downloaded += t.files;
    status_.bytes_downloaded += t.bytes;
    if (changed.ok()) {
      status_.last_error.clear();
    } else {
      ++status_.failures;
      status_.last_error = changed.status().ToString();
    }
    return changed;
  }

  std::mutex refresh_mu_;  // One refresh at a time; held across the download.
  mutable std::mutex mu_;  // Guards what follows; never held across I/O.
  std::shared_ptr<const Index> index_;
  ReplicaStatus status_;
  double last_check_ = 0;
};

// The replica of a sharded index at `url` (sharded_remote.cc). NotFound
// naming "SHARDS" if `url` holds no shard map.
Result<std::unique_ptr<IndexReplica>> OpenShardedReplica(const std::string& url,
                                                         const ReplicaOptions& options);

}  // namespace libsearch::internal::remote
