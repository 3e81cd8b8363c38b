// IndexReplica and RemoteWriter (libsearch/remote.h): an index directory
// mirrored to and from an object store (docs/format.md, "Remote indexes").
// Sharded indexes (their replica, the shard uploads): sharded_remote.cc.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <thread>
#include <unordered_set>

#include "libsearch/remote.h"
#include "remote/object_store.h"
#include "remote/remote_internal.h"
#include "storage/file.h"
#include "storage/index_dir.h"
#include "storage/manifest.h"
#include "storage/shard_map.h"
#include "util/hash.h"
#include "util/json_parse.h"

namespace libsearch {
namespace {

using internal::ObjectStore;
using internal::Precondition;
using internal::remote::kRemoteManifestKey;
using internal::remote::ReadRemote;
using internal::remote::RemoteManifest;
using internal::remote::ReplicaBase;
using internal::remote::SyncDirectory;
using internal::remote::Transfer;
using Json = nlohmann::json;

// Beside the local copy: name -> hash of the files known to equal the
// remote's, so a cache survives a restart without hashing everything again.
constexpr std::string_view kSidecarName = "REMOTE";

std::string Hex(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

std::string ObjectKey(const std::string& name, const std::string& hash) {
  return "files/" + name + "." + hash;
}

Result<std::string> FileHash(const std::string& path) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto file, internal::MappedFile::Open(path));
  const std::string_view data = file->data();
  return Hex(internal::Checksum64(data.data(), data.size()));
}

std::map<std::string, std::string> ReadSidecar(const std::string& dir) {
  std::string text;
  std::map<std::string, std::string> out;
  if (!internal::ReadFileToString(dir + "/" + std::string(kSidecarName), &text).ok()) return out;
  Json j;
  if (!internal::ParseJson(text, "REMOTE", 4, &j).ok() || !j.is_object()) return out;
  for (const auto& [name, hash] : j.items()) {
    if (hash.is_string()) out[name] = hash.get<std::string>();
  }
  return out;
}

Status WriteSidecar(const std::string& dir, const std::map<std::string, std::string>& files) {
  LIBSEARCH_ASSIGN_OR_RETURN(
      auto w, internal::AtomicFileWriter::Create(dir + "/" + std::string(kSidecarName)));
  LIBSEARCH_RETURN_IF_ERROR(w->Append(Json(files).dump()));
  return w->Commit();
}

// Removes what an index directory's writer or a replica put in `dir`
// (nothing else), creating it if missing.
Status ClearDirectory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if ((internal::IsIndexDirFile(name) && name != "LOCK") || name == kSidecarName) {
      std::filesystem::remove(e.path(), ec);
    }
  }
  return Status::Ok();
}

// "changes/<unix ms, 13 digits>-<random>.jsonl": in time order when listed.
std::string ChangeLogKey() {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  char buf[64];
  std::snprintf(buf, sizeof buf, "changes/%013lld-%016" PRIx64 ".jsonl",
                static_cast<long long>(ms),  // NOLINT(google-runtime-int): printf's type.
                (static_cast<uint64_t>(std::random_device{}()) << 32) | std::random_device{}());
  return buf;
}

}  // namespace

namespace internal::remote {

std::string RemoteManifest::Serialize() const {
  Json j = {{"format", "libsearch-remote"},
            {"version", 1},
            {"manifest", manifest.Serialize()},
            {"files", files},
            {"events", events}};
  j["checksum"] = Hex(internal::Checksum64(j.dump().data(), j.dump().size()));
  return j.dump();
}

Result<RemoteManifest> RemoteManifest::Parse(std::string_view text, const std::string& url) {
  Json j;
  LIBSEARCH_RETURN_IF_ERROR(internal::ParseJson(text, url, 8, &j).WithContext(url));
  const auto damaged = [&](const std::string& why) {
    return Status::Corruption(url + ": " + why + " (the remote manifest is damaged)");
  };
  if (!j.is_object() || !j.contains("checksum") || !j["checksum"].is_string()) {
    return damaged("not a libsearch remote manifest");
  }
  const std::string checksum = j["checksum"].get<std::string>();
  j.erase("checksum");
  const std::string body = j.dump();
  if (Hex(internal::Checksum64(body.data(), body.size())) != checksum) {
    return damaged("checksum mismatch");
  }
  if (j.value("format", "") != "libsearch-remote") return damaged("wrong format");
  if (!j["version"].is_number_integer() || j["version"].get<int64_t>() != 1) {
    return Status::Corruption(url + ": remote manifest version " + j["version"].dump() +
                              " is not one this libsearch reads (1)");
  }
  if (!j["manifest"].is_string() || !j["files"].is_object() || !j["events"].is_array()) {
    return damaged("missing keys");
  }
  RemoteManifest out;
  LIBSEARCH_ASSIGN_OR_RETURN(out.manifest, Manifest::Parse(j["manifest"].get<std::string>(), url));
  for (const auto& [name, hash] : j["files"].items()) {
    if (!hash.is_string() || !internal::IsIndexDirFile(name) ||
        name.find('/') != std::string::npos) {
      return damaged("bad file entry '" + name + "'");
    }
    out.files[name] = hash.get<std::string>();
  }
  for (const std::string& f : out.manifest.Files()) {
    if (out.files.count(f) == 0) return damaged("no hash for " + f);
  }
  for (const auto& e : j["events"]) {
    if (!e.is_string()) return damaged("bad event id");
    out.events.push_back(e.get<std::string>());
  }
  return out;
}

// Finishes a download into `tmp` whose outcome is `got`: renames it to
// `path` and counts it in `transfer`, or removes it and returns the error.
Status InstallDownload(Status got, const std::string& tmp, const std::string& path,
                       Transfer* transfer) {
  if (got.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    got = Status::IOError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  if (!got.ok()) {
    ::unlink(tmp.c_str());
    return got;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) transfer->bytes += static_cast<uint64_t>(st.st_size);
  ++transfer->files;
  return Status::Ok();
}

// Makes `dir` an index directory at `remote`'s commit: downloads the files
// the directory lacks (or holds with another hash), checks each hash,
// writes MANIFEST, then removes the files no longer named.
Status SyncDirectory(ObjectStore& store, const std::string& dir, const RemoteManifest& remote,
                     Transfer* transfer) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IOError("cannot create " + dir + ": " + ec.message());
  std::map<std::string, std::string> known = ReadSidecar(dir);
  std::random_device rd;
  for (const std::string& name : remote.manifest.Files()) {
    const std::string& hash = remote.files.at(name);
    const std::string path = dir + "/" + name;
    auto k = known.find(name);
    if (k != known.end() && k->second == hash && ::access(path.c_str(), R_OK) == 0) continue;
    const std::string tmp =
        path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(rd() % 1000000);
    Status got = store.GetToFile(ObjectKey(name, hash), tmp);
    if (got.ok()) {
      auto actual = FileHash(tmp);
      if (!actual.ok()) {
        got = actual.status();
      } else if (*actual != hash) {
        got = Status::Corruption(store.Url(ObjectKey(name, hash)) + " has hash " + *actual +
                                 ", not " + hash + " (damaged in storage or in transit)");
      }
    }
    LIBSEARCH_RETURN_IF_ERROR(InstallDownload(std::move(got), tmp, path, transfer));
    known[name] = hash;
  }
  LIBSEARCH_RETURN_IF_ERROR(internal::SyncDirectory(dir));
  LIBSEARCH_RETURN_IF_ERROR(internal::WriteManifest(dir, remote.manifest));
  std::map<std::string, std::string> named;
  for (const std::string& name : remote.manifest.Files()) named[name] = remote.files.at(name);
  LIBSEARCH_RETURN_IF_ERROR(WriteSidecar(dir, named));
  uint64_t removed = 0;
  return internal::RemoveUnreferencedFiles(dir, remote.manifest, &removed);
}

// Reads the MANIFEST object: NotFound if there is none.
Result<std::pair<RemoteManifest, std::string>> ReadRemote(ObjectStore& store) {
  LIBSEARCH_ASSIGN_OR_RETURN(internal::GetResult got,
                             store.Get(std::string(kRemoteManifestKey), ""));
  LIBSEARCH_ASSIGN_OR_RETURN(RemoteManifest remote,
                             RemoteManifest::Parse(got.body, store.Url("MANIFEST")));
  return std::make_pair(std::move(remote), std::move(got.etag));
}

std::string JoinUrl(const std::string& url, const std::string& rel) {
  std::string out = url;
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out + "/" + rel;
}

// Uploads index directory `dir` as the remote index of `store`: the files
// it lacks (content-addressed), then MANIFEST, replaced.
Status UploadDirectory(ObjectStore& store, const std::string& dir, uint64_t* generation) {
  RemoteManifest next;
  LIBSEARCH_ASSIGN_OR_RETURN(next.manifest, internal::ReadManifest(dir));
  for (const std::string& name : next.manifest.Files()) {
    LIBSEARCH_ASSIGN_OR_RETURN(std::string hash, FileHash(dir + "/" + name));
    next.files[name] = hash;
    Status put = store.PutFile(ObjectKey(name, hash), dir + "/" + name, Precondition::kIfAbsent);
    if (!put.ok() && put.code() != StatusCode::kAborted) return put;  // Aborted: there already.
  }
  LIBSEARCH_RETURN_IF_ERROR(
      store.Put(std::string(kRemoteManifestKey), next.Serialize(), Precondition::kNone, "")
          .status());
  *generation = next.manifest.generation;
  return Status::Ok();
}

}  // namespace internal::remote

namespace {

// An index in an object store, mirrored into options.cache_dir.
class ReplicaImpl final : public ReplicaBase {
 public:
  ReplicaImpl(std::unique_ptr<ObjectStore> store, ReplicaOptions options)
      : ReplicaBase(std::move(options)), store_(std::move(store)) {}

  Status Init() {
    LIBSEARCH_ASSIGN_OR_RETURN(auto remote, ReadRemote(*store_));
    Transfer t;
    LIBSEARCH_RETURN_IF_ERROR(SyncDirectory(*store_, options_.cache_dir, remote.first, &t));
    LIBSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Index> index,
                               Index::Open(options_.cache_dir, options_.open));
    etag_ = remote.second;
    Start(std::move(index), remote.first.manifest.generation, t);
    return Status::Ok();
  }

 private:
  Result<std::optional<Newer>> Check(Transfer* t) override {
    LIBSEARCH_ASSIGN_OR_RETURN(internal::GetResult got,
                               store_->Get(std::string(kRemoteManifestKey), etag_));
    if (got.not_modified) return std::optional<Newer>();
    LIBSEARCH_ASSIGN_OR_RETURN(RemoteManifest remote,
                               RemoteManifest::Parse(got.body, store_->Url("MANIFEST")));
    LIBSEARCH_RETURN_IF_ERROR(SyncDirectory(*store_, options_.cache_dir, remote, t));
    return std::optional<Newer>(
        Newer{remote.manifest.generation, [this, etag = std::move(got.etag)] { etag_ = etag; }});
  }

  const std::unique_ptr<ObjectStore> store_;
  std::string etag_;  // Of the MANIFEST object served; only Check and Init touch it.
};

// A local file or index directory: Refresh() reopens it when it changed
// (the file, or the directory's MANIFEST, is another inode or was modified).
class LocalReplicaImpl final : public ReplicaBase {
 public:
  LocalReplicaImpl(std::string path, ReplicaOptions options)
      : ReplicaBase(std::move(options)), path_(std::move(path)) {}

  Status Init() {
    LIBSEARCH_ASSIGN_OR_RETURN(std::unique_ptr<Index> index, Index::Open(path_, options_.open));
    identity_ = Identity();
    LIBSEARCH_ASSIGN_OR_RETURN(const IndexInfo info, index->Info());
    Start(std::move(index), info.generation, Transfer{});
    return Status::Ok();
  }

 private:
  // What changes when the index is replaced or committed to.
  std::string Identity() const {
    std::error_code ec;
    // A sharded index commits by its shard map (storage/shard_map.h).
    const std::string target = !std::filesystem::is_directory(path_, ec) ? path_
                               : internal::IsShardMapDir(path_)
                                   ? path_ + "/" + std::string(internal::kShardMapName)
                                   : path_ + "/" + std::string(internal::kManifestName);
    struct stat st {};
    if (::stat(target.c_str(), &st) != 0) return "";
    return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
           std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
           std::to_string(st.st_mtim.tv_nsec);
  }

  Result<std::optional<Newer>> Check(Transfer*) override {
    std::string now = Identity();
    if (now.empty()) return Status::NotFound("index " + path_ + " is gone");
    if (now == identity_) return std::optional<Newer>();
    // The generation is read from the reopened index by the next Info();
    // a directory's MANIFEST says it now.
    uint64_t generation = 0;
    if (auto m = internal::ReadManifest(path_); m.ok()) generation = m->generation;
    if (auto m = internal::ReadShardMap(path_); m.ok()) generation = m->generation;
    return std::optional<Newer>(
        Newer{generation, [this, now = std::move(now)] { identity_ = now; }});
  }

  const std::string path_;
  std::string identity_;  // Only Check and Init touch it.
};

class RemoteWriterImpl final : public RemoteWriter {
 public:
  RemoteWriterImpl(std::unique_ptr<ObjectStore> store, RemoteWriterOptions options)
      : store_(std::move(store)), options_(std::move(options)) {}

  Status Init() {
    auto remote = ReadRemote(*store_);
    const std::string& dir = options_.cache_dir;
    if (options_.rebuild && remote.ok()) {
      // A fresh index with the remote's schema and synonyms, numbered after
      // its files; published over it (If-Match) by Commit().
      base_ = std::move(remote->first);
      etag_ = remote->second;
      LIBSEARCH_ASSIGN_OR_RETURN(Schema schema, Schema::FromJson(base_.manifest.schema_json));
      std::vector<std::vector<std::string>> synonyms;
      if (!base_.manifest.synonyms_json.empty()) {
        Json groups;
        LIBSEARCH_RETURN_IF_ERROR(
            internal::ParseJson(base_.manifest.synonyms_json, "synonyms", 4, &groups));
        synonyms = groups.get<std::vector<std::vector<std::string>>>();
      }
      IndexWriterOptions w = options_.writer;
      w.first_generation = base_.manifest.generation + 1;
      w.first_segment = base_.manifest.next_segment;
      LIBSEARCH_RETURN_IF_ERROR(ClearDirectory(dir));
      LIBSEARCH_ASSIGN_OR_RETURN(writer_, IndexWriter::Create(dir, schema, w, synonyms));
    } else if (remote.ok()) {
      Transfer t;
      LIBSEARCH_RETURN_IF_ERROR(SyncDirectory(*store_, dir, remote->first, &t));
      base_ = std::move(remote->first);
      etag_ = remote->second;
      LIBSEARCH_ASSIGN_OR_RETURN(writer_, IndexWriter::Open(dir, options_.writer));
    } else if (remote.status().code() == StatusCode::kNotFound && options_.schema != nullptr) {
      // A new index: start from an empty directory.
      LIBSEARCH_RETURN_IF_ERROR(ClearDirectory(dir));
      LIBSEARCH_ASSIGN_OR_RETURN(
          writer_, IndexWriter::Create(dir, *options_.schema, options_.writer, options_.synonyms));
    } else if (remote.status().code() == StatusCode::kNotFound) {
      return Status::NotFound(store_->Url("MANIFEST") +
                              " does not exist: no index there yet (give a schema to create one)");
    } else {
      return remote.status();
    }
    events_.insert(base_.events.begin(), base_.events.end());
    return Status::Ok();
  }

  IndexWriter& writer() override { return *writer_; }
  bool Applied(std::string_view event_id) const override {
    return events_.count(std::string(event_id)) > 0;
  }
  void MarkApplied(std::string event_id) override {
    if (events_.insert(event_id).second) new_events_.push_back(std::move(event_id));
  }

  void LogChanges(const std::vector<std::string>& lines) override {
    log_lines_.insert(log_lines_.end(), lines.begin(), lines.end());
  }

  Status Rebase() override {
    if (!options_.rebuild) {
      return Status::InvalidArgument(
          "Rebase() is for rebuilds (RemoteWriterOptions::rebuild); open a new writer instead");
    }
    LIBSEARCH_ASSIGN_OR_RETURN(auto remote, ReadRemote(*store_));
    for (const std::string& e : base_.events) {
      if (std::find(remote.first.events.begin(), remote.first.events.end(), e) ==
          remote.first.events.end()) {
        remote.first.events.push_back(e);
      }
    }
    base_ = std::move(remote.first);
    etag_ = std::move(remote.second);
    events_.insert(base_.events.begin(), base_.events.end());
    broken_ = false;
    return Status::Ok();
  }

  Result<PublishInfo> Commit() override { return Publish(false); }
  Result<PublishInfo> Compact() override { return Publish(true); }

 private:
  Result<PublishInfo> Publish(bool compact) {
    if (broken_) {
      return Status::Aborted(options_.rebuild
                                 ? "this rebuild lost a race to another writer; call Rebase()"
                                 : "this RemoteWriter lost a race to another writer; open a new "
                                   "one");
    }
    PublishInfo info;
    LIBSEARCH_ASSIGN_OR_RETURN(info.commit, compact ? writer_->Compact() : writer_->Commit());
    if (!info.commit.changed && new_events_.empty() && log_lines_.empty() && !etag_.empty() &&
        !options_.rebuild) {
      return info;
    }
    const std::string& dir = options_.cache_dir;
    RemoteManifest next;
    LIBSEARCH_ASSIGN_OR_RETURN(next.manifest, internal::ReadManifest(dir));
    std::map<std::string, std::string> known = ReadSidecar(dir);
    for (const std::string& name : next.manifest.Files()) {
      auto k = known.find(name);
      std::string hash;
      if (k != known.end()) {
        hash = k->second;
      } else {
        LIBSEARCH_ASSIGN_OR_RETURN(hash, FileHash(dir + "/" + name));
      }
      next.files[name] = hash;
      if (base_.files.count(name) > 0 && base_.files.at(name) == hash) continue;
      // Content-addressed, so an object already there is this very file.
      Status put =
          store_->PutFile(ObjectKey(name, hash), dir + "/" + name, Precondition::kIfAbsent);
      if (!put.ok() && put.code() != StatusCode::kAborted) return put;
      struct stat st {};
      if (::stat((dir + "/" + name).c_str(), &st) == 0) {
        info.bytes_uploaded += static_cast<uint64_t>(st.st_size);
      }
      ++info.files_uploaded;
    }
    if (options_.rebuild) {
      // Never behind the commit it replaces, which may have moved on (Rebase).
      next.manifest.generation = std::max(next.manifest.generation, base_.manifest.generation + 1);
      next.manifest.next_segment =
          std::max(next.manifest.next_segment, base_.manifest.next_segment);
    }
    if (!log_lines_.empty()) {
      std::string entry;
      for (const std::string& l : log_lines_) entry += l + "\n";
      const Status logged =
          store_->Put(ChangeLogKey(), entry, Precondition::kIfAbsent, "").status();
      if (!logged.ok()) return logged;
    }
    next.events = base_.events;
    for (std::string& e : new_events_) next.events.push_back(e);
    while (next.events.size() > options_.max_event_ids) next.events.pop_front();
    const std::string body = next.Serialize();
    auto put = store_->Put(std::string(kRemoteManifestKey), body,
                           etag_.empty() ? Precondition::kIfAbsent : Precondition::kIfMatch, etag_);
    if (!put.ok() && put.status().code() == StatusCode::kAborted) {
      // A retried request whose first try succeeded also ends here: the
      // manifest is then ours.
      auto now = store_->Get(std::string(kRemoteManifestKey), "");
      if (now.ok() && now->body == body) {
        put = now->etag;
      } else {
        broken_ = true;
        return Status::Aborted(store_->Url("MANIFEST") +
                               " was changed by another writer since this one opened it; "
                               "nothing was published: open a new writer and apply the "
                               "changes again");
      }
    }
    if (!put.ok()) return put.status();
    etag_ = *put;
    base_ = std::move(next);
    new_events_.clear();
    log_lines_.clear();
    info.published = true;
    LIBSEARCH_RETURN_IF_ERROR(WriteSidecar(dir, base_.files));
    info.objects_removed = CollectGarbage();
    return info;
  }

  // Removes objects under files/ that the manifest does not name and that
  // are older than the grace period. Best effort: a failure leaves them for
  // the next publish.
  uint64_t CollectGarbage() {
    auto listed = store_->List("files/");
    if (!listed.ok()) return 0;
    std::set<std::string> live;
    for (const auto& [name, hash] : base_.files) live.insert(ObjectKey(name, hash));
    const auto now = static_cast<int64_t>(std::time(nullptr));
    uint64_t removed = 0;
    for (const internal::ObjectInfo& o : *listed) {
      if (live.count(o.key) > 0) continue;
      if (static_cast<double>(now - o.modified_unix) < options_.gc_grace_seconds) continue;
      if (store_->Delete(o.key).ok()) ++removed;
    }
    return removed;
  }

  const std::unique_ptr<ObjectStore> store_;
  const RemoteWriterOptions options_;
  std::unique_ptr<IndexWriter> writer_;
  RemoteManifest base_;  // The remote commit this writer builds on.
  std::string etag_;     // Its MANIFEST object's etag; empty for a new index.
  std::unordered_set<std::string> events_;
  std::vector<std::string> new_events_;
  std::vector<std::string> log_lines_;
  bool broken_ = false;
};

}  // namespace

Result<std::unique_ptr<IndexReplica>> IndexReplica::Open(const std::string& url,
                                                         const ReplicaOptions& options) {
  if (!(options.refresh_seconds >= 0)) {
    return Status::InvalidArgument("refresh_seconds must be >= 0");
  }
  if (!internal::IsObjectStoreUrl(url) && url.find("://") == std::string::npos) {
    auto local = std::make_unique<LocalReplicaImpl>(url, options);
    LIBSEARCH_RETURN_IF_ERROR(local->Init());
    return std::unique_ptr<IndexReplica>(std::move(local));
  }
  if (options.cache_dir.empty()) {
    return Status::InvalidArgument("ReplicaOptions::cache_dir is required for " + url +
                                   " (e.g. /tmp/index)");
  }
  LIBSEARCH_ASSIGN_OR_RETURN(auto store, internal::OpenObjectStore(url));
  auto replica = std::make_unique<ReplicaImpl>(std::move(store), options);
  const Status opened = replica->Init();
  if (opened.code() == StatusCode::kNotFound) {
    // No MANIFEST: a sharded index, if there is a shard map.
    auto sharded = internal::remote::OpenShardedReplica(url, options);
    if (sharded.ok()) return std::move(*sharded);
    const Status& s = sharded.status();
    if (s.code() != StatusCode::kNotFound || s.message().find("/SHARDS") == std::string::npos) {
      return s;
    }
  }
  LIBSEARCH_RETURN_IF_ERROR(opened);
  if (!options.open.shards.empty()) {
    return Status::InvalidArgument(url +
                                   " is not a sharded index: OpenOptions::shards applies to "
                                   "sharded indexes only");
  }
  return std::unique_ptr<IndexReplica>(std::move(replica));
}

Result<std::vector<std::string>> ReadChangeLog(const std::string& url, int64_t since_unix_ms,
                                               std::string* cursor) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto store, internal::OpenObjectStore(url));
  LIBSEARCH_ASSIGN_OR_RETURN(auto entries, store->List("changes/"));
  std::vector<std::string> lines;
  for (const internal::ObjectInfo& e : entries) {
    if (e.key <= *cursor) continue;
    const int64_t ms = std::strtoll(e.key.c_str() + std::strlen("changes/"), nullptr, 10);
    if (ms < since_unix_ms) continue;
    LIBSEARCH_ASSIGN_OR_RETURN(internal::GetResult got, store->Get(e.key, ""));
    size_t at = 0;
    while (at < got.body.size()) {
      size_t nl = got.body.find('\n', at);
      if (nl == std::string::npos) nl = got.body.size();
      if (nl > at) lines.push_back(got.body.substr(at, nl - at));
      at = nl + 1;
    }
    *cursor = e.key;
  }
  return lines;
}

Status PruneChangeLog(const std::string& url, int64_t before_unix_ms) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto store, internal::OpenObjectStore(url));
  LIBSEARCH_ASSIGN_OR_RETURN(auto entries, store->List("changes/"));
  for (const internal::ObjectInfo& e : entries) {
    const int64_t ms = std::strtoll(e.key.c_str() + std::strlen("changes/"), nullptr, 10);
    if (ms < before_unix_ms) LIBSEARCH_RETURN_IF_ERROR(store->Delete(e.key));
  }
  return Status::Ok();
}

namespace {

// The store holding the object at `url` and the object's key in it.
Result<std::pair<std::unique_ptr<internal::ObjectStore>, std::string>> ObjectAt(
    const std::string& url) {
  const size_t slash = url.rfind('/');
  if (slash == std::string::npos || slash + 1 == url.size() || !internal::IsObjectStoreUrl(url) ||
      url.compare(slash - 1, 3, "://") == 0 || url.compare(slash - 2, 3, "://") == 0) {
    return Status::InvalidArgument("'" + url + "' does not name an object (s3://BUCKET/KEY)");
  }
  LIBSEARCH_ASSIGN_OR_RETURN(auto store, internal::OpenObjectStore(url.substr(0, slash + 1)));
  return std::make_pair(std::move(store), url.substr(slash + 1));
}

}  // namespace

Status DownloadObject(const std::string& url, const std::string& path) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto object, ObjectAt(url));
  return object.first->GetToFile(object.second, path);
}

Result<int64_t> ObjectModifiedUnixMs(const std::string& url) {
  LIBSEARCH_ASSIGN_OR_RETURN(auto object, ObjectAt(url));
  LIBSEARCH_ASSIGN_OR_RETURN(auto listed, object.first->List(object.second));
  for (const internal::ObjectInfo& o : listed) {
    if (o.key == object.second) return o.modified_unix * 1000;
  }
  return Status::NotFound("no object " + url);
}

Result<std::unique_ptr<RemoteWriter>> RemoteWriter::Open(const std::string& url,
                                                         const RemoteWriterOptions& options) {
  if (options.cache_dir.empty()) {
    return Status::InvalidArgument("RemoteWriterOptions::cache_dir is required");
  }
  if (!(options.gc_grace_seconds >= 0)) {
    return Status::InvalidArgument("gc_grace_seconds must be >= 0");
  }
  LIBSEARCH_ASSIGN_OR_RETURN(auto store, internal::OpenObjectStore(url));
  auto writer = std::make_unique<RemoteWriterImpl>(std::move(store), options);
  LIBSEARCH_RETURN_IF_ERROR(writer->Init());
  return std::unique_ptr<RemoteWriter>(std::move(writer));
}

}  // namespace libsearch
