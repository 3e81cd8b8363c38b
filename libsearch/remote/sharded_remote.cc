// The sharded side of libsearch/remote.h: the replica of a sharded index in
// object storage (docs/format.md, "Sharded indexes in object storage") and
// the uploads that make one (UploadShard, PublishRemoteShardMap,
// UploadShardedIndex).
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "libsearch/remote.h"
#include "libsearch/sharded_index.h"
#include "remote/object_store.h"
#include "remote/remote_internal.h"
#include "storage/shard_map.h"

namespace libsearch {
namespace internal::remote {
namespace {

using internal::Precondition;

// Downloads object `key` of `store` into `path` (through a temporary name)
// unless the file is there: statistics extracts are named by their
// source's checksum, so a file of that name is that extract.
Status FetchImmutable(ObjectStore& store, const std::string& key, const std::string& path,
                      Transfer* transfer) {
  if (::access(path.c_str(), R_OK) == 0) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) return Status::IOError("cannot create the directory of " + path + ": " + ec.message());
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  return InstallDownload(store.GetToFile(key, tmp), tmp, path, transfer);
}

// A sharded index in an object store (docs/format.md, "Sharded indexes in
// object storage"), mirrored into options.cache_dir as a local sharded
// directory: the map, the served shards (each a remote index, synced as
// ReplicaImpl syncs one) and, for a shard served alone, the statistics.
class ShardedReplicaImpl final : public ReplicaBase {
 public:
  ShardedReplicaImpl(std::string url, std::unique_ptr<ObjectStore> store, ReplicaOptions options)
      : ReplicaBase(std::move(options)), url_(std::move(url)), store_(std::move(store)) {}

  // NotFound if the URL holds no shard map.
  Status Init() {
    Transfer t;
    uint64_t generation = 0;
    // A map whose shards are not all uploaded yet (or already replaced):
    // read it again, for up to about 2 s, as a local sharded index does.
    constexpr int kAttempts = 40;
    for (int attempt = 1;; ++attempt) {
      LIBSEARCH_ASSIGN_OR_RETURN(internal::GetResult got,
                                 store_->Get(std::string(internal::kShardMapName), ""));
      Status synced = Sync(got.body, &t, &generation);
      if (synced.ok()) {
        etag_ = got.etag;
        break;
      }
      if (synced.code() != StatusCode::kAborted || attempt == kAttempts) return synced;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    LIBSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Index> index,
                               Index::Open(options_.cache_dir, options_.open));
    Start(std::move(index), generation, t);
    return Status::Ok();
  }

 private:
  Result<std::optional<Newer>> Check(Transfer* t) override {
    LIBSEARCH_ASSIGN_OR_RETURN(internal::GetResult got,
                               store_->Get(std::string(internal::kShardMapName), etag_));
    if (got.not_modified) return std::optional<Newer>();
    uint64_t generation = 0;
    LIBSEARCH_RETURN_IF_ERROR(Sync(got.body, t, &generation));
    return std::optional<Newer>(
        Newer{generation, [this, etag = std::move(got.etag)] { etag_ = etag; }});
  }

  // Makes the cache the sharded directory of map `text`; the map last.
  Status Sync(const std::string& text, Transfer* t, uint64_t* generation) {
    const std::string& cache = options_.cache_dir;
    LIBSEARCH_ASSIGN_OR_RETURN(internal::ShardMap map,
                               internal::ShardMap::Parse(text, store_->Url("SHARDS")));
    std::vector<bool> serve(map.shards.size(), options_.open.shards.empty());
    for (const uint32_t s : options_.open.shards) {
      if (s >= map.shards.size()) {
        return Status::InvalidArgument("OpenOptions::shards: " + url_ + " has " +
                                       std::to_string(map.shards.size()) + " shards");
      }
      serve[s] = true;
    }
    bool whole = true;
    for (size_t i = 0; i < map.shards.size(); ++i) {
      whole = whole && serve[i];
      if (!serve[i]) continue;
      const internal::ShardEntry& e = map.shards[i];
      LIBSEARCH_ASSIGN_OR_RETURN(auto shard, internal::OpenObjectStore(JoinUrl(url_, e.path)));
      LIBSEARCH_ASSIGN_OR_RETURN(auto remote, ReadRemote(*shard));
      if (remote.first.manifest.generation != e.generation) {
        return Status::Aborted(shard->Url("MANIFEST") + " is at generation " +
                               std::to_string(remote.first.manifest.generation) +
                               ", the shard map names " + std::to_string(e.generation) +
                               " (an upload is under way)");
      }
      LIBSEARCH_RETURN_IF_ERROR(SyncDirectory(*shard, cache + "/" + e.path, remote.first, t));
    }
    if (!whole) {
      const std::string list_key = internal::ShardStatsName(map.generation);
      auto list = store_->Get(list_key, "");
      if (!list.ok() && list.status().code() == StatusCode::kNotFound) {
        return Status::NotFound(store_->Url(list_key) +
                                " does not exist: the sharded index's statistics were not "
                                "published, so a shard cannot be served alone");
      }
      LIBSEARCH_RETURN_IF_ERROR(list.status());
      LIBSEARCH_ASSIGN_OR_RETURN(internal::ShardStats stats,
                                 internal::ShardStats::Parse(list->body, store_->Url(list_key)));
      if (stats.shards.size() != map.shards.size()) {
        return Status::Corruption(store_->Url(list_key) + " names another number of shards");
      }
      std::set<std::string> named;
      for (size_t i = 0; i < stats.shards.size(); ++i) {
        if (serve[i]) continue;
        for (const internal::ShardStatsPart& p : stats.shards[i]) {
          std::vector<const std::string*> keys = {&p.segment};
          for (const std::string& tomb : p.tombstones) keys.push_back(&tomb);
          for (const std::string* key : keys) {
            LIBSEARCH_RETURN_IF_ERROR(FetchImmutable(*store_, *key, cache + "/" + *key, t));
            named.insert(*key);
          }
        }
      }
      LIBSEARCH_RETURN_IF_ERROR(internal::WriteShardStats(cache, stats));
      RemoveOtherStats(map.generation, named);
    }
    LIBSEARCH_RETURN_IF_ERROR(internal::WriteShardMap(cache, map));
    *generation = map.generation;
    return Status::Ok();
  }

  // Removes the cache's extracts and lists that generation `keep` does not
  // name (an open snapshot keeps the files it maps).
  void RemoveOtherStats(uint64_t keep, const std::set<std::string>& named) const {
    namespace fs = std::filesystem;
    const fs::path root = fs::path(options_.cache_dir) / std::string(internal::kShardStatsDir);
    const std::string list = internal::ShardStatsPath(options_.cache_dir, keep);
    std::error_code ec;
    std::vector<fs::path> gone;
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const std::string rel = fs::relative(it->path(), options_.cache_dir, ec).string();
      const std::string name = it->path().filename().string();
      if (name.rfind("STATS-", 0) == 0 ? it->path().string() != list : named.count(rel) == 0) {
        gone.push_back(it->path());
      }
    }
    for (const fs::path& p : gone) fs::remove(p, ec);
  }

  const std::string url_;
  const std::unique_ptr<ObjectStore> store_;
  std::string etag_;  // Of the SHARDS object served; only Check and Init touch it.
};

}  // namespace

Result<std::unique_ptr<IndexReplica>> OpenShardedReplica(const std::string& url,
                                                         const ReplicaOptions& options) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto root, internal::OpenObjectStore(url));
  auto sharded = std::make_unique<ShardedReplicaImpl>(url, std::move(root), options);
  LIBSEARCH_RETURN_IF_ERROR(sharded->Init());
  return std::unique_ptr<IndexReplica>(std::move(sharded));
}

}  // namespace internal::remote

using internal::Precondition;
using internal::remote::JoinUrl;
using internal::remote::UploadDirectory;

Result<RemoteShard> UploadShard(const std::string& dir, const std::string& shard_path,
                                const std::string& url) {
  LIBSEARCH_ASSIGN_OR_RETURN(std::vector<ShardStatsFiles> files,
                             WriteShardStatistics(dir, shard_path));
  LIBSEARCH_ASSIGN_OR_RETURN(auto root, internal::OpenObjectStore(url));
  LIBSEARCH_ASSIGN_OR_RETURN(auto shard, internal::OpenObjectStore(JoinUrl(url, shard_path)));
  RemoteShard out;
  out.path = shard_path;
  // Statistics first: the map that names the shard needs them.
  for (const ShardStatsFiles& f : files) {
    std::vector<const std::string*> rels = {&f.segment};
    for (const std::string& tomb : f.tombstones) rels.push_back(&tomb);
    for (const std::string* rel : rels) {
      Status put = root->PutFile(*rel, dir + "/" + *rel, Precondition::kIfAbsent);
      if (!put.ok() && put.code() != StatusCode::kAborted) return put;  // Aborted: there already.
    }
  }
  LIBSEARCH_RETURN_IF_ERROR(UploadDirectory(*shard, dir + "/" + shard_path, &out.generation));
  out.stats = std::move(files);
  return out;
}

Status PublishRemoteShardMap(const std::string& url, const Schema& schema,
                             const std::vector<RemoteShard>& shards) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto store, internal::OpenObjectStore(url));
  internal::ShardMap map;
  map.generation = 1;
  std::string etag;
  auto old = store->Get(std::string(internal::kShardMapName), "");
  if (old.ok()) {
    LIBSEARCH_ASSIGN_OR_RETURN(internal::ShardMap previous,
                               internal::ShardMap::Parse(old->body, store->Url("SHARDS")));
    map.generation = previous.generation + 1;
    etag = old->etag;
  } else if (old.status().code() != StatusCode::kNotFound) {
    return old.status();
  }
  map.schema_json = schema.ToJson();
  internal::ShardStats stats;
  stats.generation = map.generation;
  for (const RemoteShard& s : shards) {
    map.shards.push_back({s.path, s.generation});
    map.next_seq = std::max(map.next_seq, s.next_seq);
    stats.shard_generations.push_back(s.generation);
    std::vector<internal::ShardStatsPart>& parts = stats.shards.emplace_back();
    for (const ShardStatsFiles& f : s.stats) parts.push_back({f.segment, f.tombstones});
  }
  // Parse checks what a reader checks (1 to 4096 relative, distinct paths).
  LIBSEARCH_RETURN_IF_ERROR(internal::ShardMap::Parse(map.Serialize(), url).status());
  LIBSEARCH_RETURN_IF_ERROR(store
                                ->Put(internal::ShardStatsName(map.generation), stats.Serialize(),
                                      Precondition::kNone, "")
                                .status());
  const auto put =
      store->Put(std::string(internal::kShardMapName), map.Serialize(),
                 etag.empty() ? Precondition::kIfAbsent : Precondition::kIfMatch, etag);
  if (!put.ok() && put.status().code() == StatusCode::kAborted) {
    return Status::Aborted(store->Url("SHARDS") +
                           " was replaced by another publish meanwhile; publish again");
  }
  return put.status();
}

Status UploadShardedIndex(const std::string& dir, const std::string& url) {
  LIBSEARCH_ASSIGN_OR_RETURN(internal::ShardMap map, internal::ReadShardMap(dir));
  LIBSEARCH_ASSIGN_OR_RETURN(Schema schema, Schema::FromJson(map.schema_json));
  std::vector<RemoteShard> shards;
  for (const internal::ShardEntry& e : map.shards) {
    LIBSEARCH_ASSIGN_OR_RETURN(RemoteShard shard, UploadShard(dir, e.path, url));
    if (shard.generation != e.generation) {
      return Status::Aborted("shard '" + e.path + "' of '" + dir + "' is at generation " +
                             std::to_string(shard.generation) + ", its map names " +
                             std::to_string(e.generation) + ": a commit is under way");
    }
    shard.next_seq = map.next_seq;
    shards.push_back(std::move(shard));
  }
  return PublishRemoteShardMap(url, schema, shards);
}

}  // namespace libsearch
