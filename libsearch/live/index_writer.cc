// IndexWriter: pending changes in memory, commits as new immutable files plus
// a new MANIFEST (docs/format.md, "Index directories"), merges after them.
//
// In memory: per committed segment its reader (ids, sources), deleted docs
// and in-place updates, and a map from each live external id to its segment
// and doc. Pending changes are kept apart (upserts by id, deletes of
// committed docs, in-place updates of committed docs), so a failed commit or
// Rollback() leaves the committed state as it was.
#include "libsearch/index_writer.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "index/doc_updates.h"
#include "index/document.h"
#include "index/index_reader.h"
#include "index/ingest.h"
#include "live/merge_policy.h"
#include "storage/file.h"
#include "storage/index_dir.h"
#include "storage/manifest.h"
#include "util/doc_set.h"
#include "util/json_parse.h"

namespace libsearch {
namespace {

using internal::DocSet;
using internal::DocUpdates;
using internal::IndexReader;
using internal::Manifest;
using internal::SegmentEntry;
using Json = nlohmann::json;

// A committed segment.
struct Segment {
  SegmentEntry entry;
  std::unique_ptr<IndexReader> reader;
  std::unique_ptr<DocSet> deleted;  // Never null; empty without deletes.
  // The docs of each of entry.deletes (their union is `deleted`).
  std::vector<std::unique_ptr<DocSet>> generations;
  // The update file's entries by doc (empty without one).
  std::map<uint32_t, DocUpdates::Doc> updates;
};

// Where a committed live id is.
struct Loc {
  Segment* seg = nullptr;
  uint32_t doc = 0;
};

struct PendingDoc {
  uint64_t seq = 0;  // Order of the last upsert: the new segment's doc order.
  std::string source;
};

// An in-place update of a committed doc: its update entry as it will be
// committed (every field changed since the segment was written).
struct PendingSet {
  Loc loc;
  DocUpdates::Doc entry;
};

// 0: missing, 1: directory, 2: something else (a file).
int PathKind(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return S_ISDIR(st.st_mode) ? 1 : 2;
}

Status SingleFileError(const std::string& path) {
  return Status::InvalidArgument("'" + path +
                                 "' is a single-file index, which cannot change; rebuild it as an "
                                 "index directory with `libsearch index --output DIR/ ...`");
}

Status CheckOptions(const IndexWriterOptions& o) {
  const MergePolicyOptions& m = o.merge_policy;
  if (m.segments_per_tier < 2 || m.max_merge_at_once < 2) {
    return Status::InvalidArgument(
        "merge policy: segments_per_tier and max_merge_at_once must be >= 2");
  }
  if (!(m.max_deleted_fraction >= 0 && m.max_deleted_fraction <= 1)) {
    return Status::InvalidArgument("merge policy: max_deleted_fraction must be in [0, 1]");
  }
  if (m.max_segment_docs == 0) {
    return Status::InvalidArgument("merge policy: max_segment_docs must be > 0");
  }
  if (o.first_generation == 0 || o.first_segment == 0) {
    return Status::InvalidArgument("first_generation and first_segment must be >= 1");
  }
  return Status::Ok();
}

class IndexWriterImpl : public IndexWriter {
 public:
  IndexWriterImpl(std::string dir, const IndexWriterOptions& options,
                  std::unique_ptr<internal::WriterLock> lock)
      : dir_(std::move(dir)), options_(options), lock_(std::move(lock)) {
    doc_.keep_source = true;
  }

  // Reads the manifest and every segment it names.
  Status Load(Manifest manifest) {
    LIBSEARCH_ASSIGN_OR_RETURN(schema_, Schema::FromJson(manifest.schema_json));
    if (!manifest.synonyms_json.empty()) {
      Json groups = Json::parse(manifest.synonyms_json, nullptr, false);
      if (!groups.is_array()) return Status::Corruption("manifest of '" + dir_ + "': bad synonyms");
      for (const Json& g : groups) {
        if (!g.is_array()) return Status::Corruption("manifest of '" + dir_ + "': bad synonyms");
        std::vector<std::string>& group = synonyms_.emplace_back();
        for (const Json& w : g) {
          if (!w.is_string()) return Status::Corruption("manifest of '" + dir_ + "': bad synonyms");
          group.push_back(w.get<std::string>());
        }
      }
    }
    for (const SegmentEntry& e : manifest.segments) {
      auto seg = std::make_unique<Segment>();
      seg->entry = e;
      LIBSEARCH_ASSIGN_OR_RETURN(seg->reader, IndexReader::Open(Path(e.SegmentFile())));
      if (seg->reader->num_docs() != e.num_docs || !seg->reader->has_source()) {
        return Status::Corruption("segment '" + Path(e.SegmentFile()) +
                                  "' does not match the manifest (doc count or sources)");
      }
      seg->deleted = std::make_unique<DocSet>();
      for (const internal::DeleteGeneration& g : e.deletes) {
        LIBSEARCH_ASSIGN_OR_RETURN(auto docs,
                                   internal::ReadDeleteFile(Path(g.deletes), e.num_docs));
        if (docs->cardinality() != g.num_docs) {
          return Status::Corruption("delete file '" + Path(g.deletes) +
                                    "' does not match the manifest (doc count)");
        }
        seg->deleted->AddAll(*docs);
        seg->generations.push_back(std::move(docs));
      }
      if (seg->deleted->cardinality() != e.num_deleted) {
        return Status::Corruption("the delete files of '" + Path(e.SegmentFile()) +
                                  "' overlap or do not match the manifest");
      }
      if (!e.updates.empty()) {
        LIBSEARCH_ASSIGN_OR_RETURN(
            auto updates,
            internal::ReadUpdateFile(Path(e.updates), e.num_docs, schema_.fields().size()));
        for (const DocUpdates::Doc& d : updates->docs) seg->updates.emplace(d.doc, d);
      }
      LIBSEARCH_RETURN_IF_ERROR(IndexLiveIds(seg.get()));
      segments_.push_back(std::move(seg));
    }
    manifest_ = std::move(manifest);
    return Status::Ok();
  }

  const Schema& schema() const override { return schema_; }

  Status Upsert(std::string_view json) override {
    LIBSEARCH_RETURN_IF_ERROR(internal::ParseDocument(schema_, json, &doc_));
    DeleteCommitted(doc_.id);
    sets_.erase(doc_.id);
    PendingDoc& p = upserts_[doc_.id];
    p.seq = seq_++;
    p.source = std::move(doc_.source_json);
    return Status::Ok();
  }

  Status Delete(std::string_view id_view) override {
    const std::string id(id_view);
    const bool was_pending = upserts_.erase(id) > 0;
    sets_.erase(id);
    if (!DeleteCommitted(id) && !was_pending) ++not_found_;
    return Status::Ok();
  }

  Status Set(std::string_view id_view, std::string_view fields_json) override {
    const std::string id(id_view);
    Json fields;
    LIBSEARCH_RETURN_IF_ERROR(
        internal::ParseJson(fields_json, "_set", internal::kMaxJsonDepth, &fields));
    if (!fields.is_object()) {
      return Status::InvalidArgument("_set: expected a JSON object of fields to change");
    }
    bool in_place = true;
    for (auto& [key, value] : fields.items()) {
      if (key == schema_.id_field()) {
        return Status::InvalidArgument("_set cannot change the id field '" + key +
                                       "' (delete the document and add it under the new id)");
      }
      const auto f = schema_.FieldIndex(key);
      if (!f) return Status::InvalidArgument("_set: field '" + key + "' is not in the schema");
      in_place = in_place && internal::UpdatableInPlace(schema_, schema_.fields()[*f]);
    }
    if (auto it = upserts_.find(id); it != upserts_.end()) {
      // Not committed yet: the pending document changes.
      LIBSEARCH_RETURN_IF_ERROR(
          internal::PatchDocument(schema_, it->second.source, fields.dump(), &doc_));
      const std::string source = std::move(doc_.source_json);  // Upsert reuses doc_.
      return Upsert(source);
    }
    const auto lit = live_.find(id);
    if (lit == live_.end() || deletes_.count(id) != 0) {
      return Status::NotFound("_set: no live document has id '" + id + "'");
    }
    // Every field changed in place since the segment was written, then these.
    const Loc loc = lit->second;
    Json changed = Json::object();
    if (auto p = sets_.find(id); p != sets_.end()) {
      changed = Json::parse(p->second.entry.fields_json, nullptr, false);
    } else if (auto u = loc.seg->updates.find(loc.doc); u != loc.seg->updates.end()) {
      changed = Json::parse(u->second.fields_json, nullptr, false);
      if (!changed.is_object()) {
        return Status::Corruption("the update of id '" + id + "' in '" + dir_ + "' is damaged");
      }
    }
    for (auto& [key, value] : fields.items()) changed[key] = value;
    LIBSEARCH_ASSIGN_OR_RETURN(std::string source, loc.seg->reader->Source(loc.doc));
    LIBSEARCH_RETURN_IF_ERROR(loc.seg->reader->Intact());
    PendingSet set{loc, {loc.doc, changed.dump(), {}}};
    LIBSEARCH_RETURN_IF_ERROR(
        internal::PatchDocument(schema_, source, set.entry.fields_json, &doc_));
    if (!in_place) {
      // A field with terms: the document is indexed again, as an upsert.
      sets_.erase(id);
      const std::string updated = std::move(doc_.source_json);  // Upsert reuses doc_.
      return Upsert(updated);
    }
    for (auto& [key, value] : changed.items()) {
      const uint32_t f = *schema_.FieldIndex(key);
      const FieldType type = schema_.fields()[f].type;
      if (type == FieldType::kInt || type == FieldType::kFloat) {
        set.entry.numbers.push_back(internal::ColumnValue(schema_, f, doc_));
      }
    }
    sets_[id] = std::move(set);
    return Status::Ok();
  }

  Status Apply(std::string_view line) override {
    Json j;
    // Not JSON or not an object: Upsert reports it with the document
    // parser's message.
    if (!internal::ParseJson(line, "change line", internal::kMaxJsonDepth, &j).ok() ||
        !j.is_object()) {
      return Upsert(line);
    }
    bool has_delete = false, has_set = false;
    for (auto& [key, value] : j.items()) {
      if (key.empty() || key[0] != '_' || schema_.FieldIndex(key)) continue;
      if (key == "_delete") {
        has_delete = true;
      } else if (key == "_set") {
        has_set = true;
      } else {
        return Status::InvalidArgument("unknown key '" + key +
                                       "' (a change line is a document, or has \"_delete\": true "
                                       "or \"_set\": {...} beside its id)");
      }
    }
    if (!has_delete && !has_set) return Upsert(line);
    if (has_delete && has_set) {
      return Status::InvalidArgument("a change line has \"_delete\" or \"_set\", not both");
    }
    const char* op = has_delete ? "_delete" : "_set";
    for (auto& [key, value] : j.items()) {
      if (key != op && key != schema_.id_field()) {
        return Status::InvalidArgument(std::string("a \"") + op +
                                       "\" line has only the id field '" + schema_.id_field() +
                                       "' beside it, not '" + key + "'");
      }
    }
    if (has_delete && j["_delete"] != true) {
      return Status::InvalidArgument("\"_delete\" must be true");
    }
    // The id as a document would have it (a keyword: strings, integers, booleans).
    Json id_only = Json::object();
    if (j.contains(schema_.id_field())) id_only[schema_.id_field()] = j[schema_.id_field()];
    internal::ParsedDocument parsed;
    LIBSEARCH_RETURN_IF_ERROR(internal::ParseDocument(schema_, id_only.dump(), &parsed));
    if (has_delete) return Delete(parsed.id);
    if (!j["_set"].is_object()) {
      return Status::InvalidArgument("\"_set\" must be an object of fields to change");
    }
    return Set(parsed.id, j["_set"].dump());
  }

  Result<IngestStats> ApplyJsonl(const std::string& path, const IngestOptions& options) override {
    return internal::IngestJsonl(
        path, options, [this](std::string_view line) { return Apply(line); },
        [](const Status& s) {
          // A `_set` of an unknown id is a bad line of the file like any other.
          return s.code() == StatusCode::kInvalidArgument || s.code() == StatusCode::kNotFound;
        });
  }

  bool has_pending() const override {
    return !upserts_.empty() || !deletes_.empty() || !sets_.empty();
  }

  Result<CommitInfo> Commit() override {
    CommitInfo info;
    LIBSEARCH_RETURN_IF_ERROR(CommitPending(&info));
    if (info.changed && options_.merge_on_commit) LIBSEARCH_RETURN_IF_ERROR(RunMerges(&info));
    Fill(&info);
    return info;
  }

  Result<CommitInfo> Compact() override {
    CommitInfo info;
    LIBSEARCH_RETURN_IF_ERROR(CommitPending(&info));
    // Deletes and in-place updates are folded in as well.
    const bool has_changes = std::any_of(segments_.begin(), segments_.end(), [](const auto& s) {
      return s->entry.num_deleted > 0 || s->entry.num_updated > 0;
    });
    if (segments_.size() > 1 || has_changes) {
      LIBSEARCH_RETURN_IF_ERROR(Merge(0, segments_.size()));
      ++info.merges;
      info.changed = true;
    }
    Fill(&info);
    return info;
  }

  void Rollback() override {
    upserts_.clear();
    deletes_.clear();
    sets_.clear();
    not_found_ = 0;
  }

 private:
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  IndexBuilderOptions BuilderOptions(bool keep_source) const {
    IndexBuilderOptions o;
    o.docstore_zstd_level = options_.docstore_zstd_level;
    o.docstore_block_bytes = options_.docstore_block_bytes;
    o.synonyms = synonyms_;
    o.keep_source = keep_source;
    return o;
  }

  // Adds the live docs of `seg` to live_. Corruption if an id is live twice.
  Status IndexLiveIds(Segment* seg) {
    std::vector<uint32_t> docs;
    for (uint32_t d = 0; d < seg->entry.num_docs; ++d) {
      if (!seg->deleted->Contains(d)) docs.push_back(d);
    }
    const std::vector<std::string> ids = seg->reader->DocIds(docs);
    LIBSEARCH_RETURN_IF_ERROR(seg->reader->Intact());
    for (size_t i = 0; i < docs.size(); ++i) {
      if (!live_.emplace(ids[i], Loc{seg, docs[i]}).second) {
        return Status::Corruption("index directory '" + dir_ + "': id '" + ids[i] +
                                  "' is live in two segments");
      }
    }
    return Status::Ok();
  }

  // Marks the committed live copy of `id` for deletion. False if none.
  bool DeleteCommitted(const std::string& id) {
    auto it = live_.find(id);
    if (it == live_.end()) return false;
    return deletes_.emplace(id, it->second).second;
  }

  // The committed source of `doc` of `seg`, with its in-place updates.
  Result<std::string> CommittedSource(const Segment& seg, uint32_t doc) const {
    LIBSEARCH_ASSIGN_OR_RETURN(std::string source, seg.reader->Source(doc));
    LIBSEARCH_RETURN_IF_ERROR(seg.reader->Intact());
    const auto u = seg.updates.find(doc);
    if (u == seg.updates.end()) return source;
    internal::ParsedDocument parsed;
    LIBSEARCH_RETURN_IF_ERROR(
        internal::PatchDocument(schema_, source, u->second.fields_json, &parsed)
            .WithContext("the update of doc " + std::to_string(doc) + " of " + seg.reader->path()));
    return std::move(parsed.source_json);
  }

  // Writes the sources of `docs` of `seg` (in order) as an index file.
  Status BuildFromSources(const std::vector<std::pair<const Segment*, uint32_t>>& docs,
                          bool keep_source, const std::string& path) const {
    LIBSEARCH_ASSIGN_OR_RETURN(auto builder,
                               IndexBuilder::Create(schema_, BuilderOptions(keep_source)));
    for (const auto& [seg, doc] : docs) {
      LIBSEARCH_ASSIGN_OR_RETURN(std::string source, CommittedSource(*seg, doc));
      LIBSEARCH_RETURN_IF_ERROR(builder->AddJson(source).WithContext(
          "re-indexing doc " + std::to_string(doc) + " of " + seg->reader->path()));
    }
    return builder->Build(path);
  }

  // Writes the new segment and the changed delete and tombstone files, then
  // the manifest; only then updates the in-memory state.
  Status CommitPending(CommitInfo* info) {
    info->not_found += not_found_;
    if (!has_pending()) {
      not_found_ = 0;
      return Status::Ok();
    }
    Manifest next = manifest_;
    ++next.generation;
    const std::string gen = std::to_string(next.generation);
    // The commit's files are made durable together, before the manifest.
    internal::DeferredSync sync;

    // Deletes and in-place updates, per segment, with the segment's previous
    // ones (null / empty: unchanged).
    struct Change {
      std::unique_ptr<DocSet> deleted;  // All of the segment's deleted docs.
      std::unique_ptr<DocSet> fresh;    // Those this commit deletes.
      // The new delete generation (its docs) and the segment's first one it
      // replaces (docs/design-notes.md, "Delete generations").
      std::unique_ptr<DocSet> generation;
      size_t merged_from = 0;
      bool updated = false;
      std::map<uint32_t, DocUpdates::Doc> updates;
      SegmentEntry entry;
    };
    std::map<Segment*, Change> changes;
    for (const auto& [id, loc] : deletes_) {
      Change& c = changes[loc.seg];
      if (c.deleted == nullptr) {
        c.deleted = loc.seg->deleted->Clone();
        c.fresh = std::make_unique<DocSet>();
      }
      c.deleted->Add(loc.doc);
      c.fresh->Add(loc.doc);
    }
    for (const auto& [id, set] : sets_) {
      Change& c = changes[set.loc.seg];
      if (!c.updated) c.updates = set.loc.seg->updates;
      c.updated = true;
      c.updates[set.loc.doc] = set.entry;
    }
    for (auto& [seg, c] : changes) {
      c.entry = seg->entry;
      if (c.updated) {
        // The entries of deleted docs go: nothing reads them.
        const DocSet& deleted = c.deleted != nullptr ? *c.deleted : *seg->deleted;
        std::erase_if(c.updates, [&deleted](const auto& u) { return deleted.Contains(u.first); });
        DocUpdates file;
        for (const auto& [doc, entry] : c.updates) file.docs.push_back(entry);
        c.entry.num_updated = file.docs.size();
        c.entry.updates.clear();
        if (!file.docs.empty()) {
          c.entry.updates = seg->entry.name + "_" + gen + ".upd";
          LIBSEARCH_RETURN_IF_ERROR(
              internal::WriteUpdateFile(Path(c.entry.updates), file, c.entry.num_docs));
        }
      }
      if (c.deleted == nullptr) continue;
      c.entry.num_deleted = c.deleted->cardinality();
      if (c.entry.num_deleted == c.entry.num_docs) continue;  // Dropped below.
      c.deleted->Optimize();
      // Only the commit's new deletes are indexed into a tombstone, with the
      // newest generations the policy merges into it: earlier ones stay.
      std::vector<uint64_t> sizes;
      for (const internal::DeleteGeneration& g : seg->entry.deletes) sizes.push_back(g.num_docs);
      sizes.push_back(c.fresh->cardinality());
      c.merged_from = internal::DeleteGenerationsToMerge(sizes);
      c.generation = std::move(c.fresh);
      for (size_t g = c.merged_from; g < seg->generations.size(); ++g) {
        c.generation->AddAll(*seg->generations[g]);
      }
      c.generation->Optimize();
      internal::DeleteGeneration next_gen{seg->entry.name + "_" + gen + ".del",
                                          seg->entry.name + "_" + gen + ".tomb",
                                          c.generation->cardinality()};
      LIBSEARCH_RETURN_IF_ERROR(
          internal::WriteDeleteFile(Path(next_gen.deletes), *c.generation, c.entry.num_docs));
      std::vector<std::pair<const Segment*, uint32_t>> dead;
      for (DocSet::Iterator it(*c.generation); it.doc(UINT32_MAX) != UINT32_MAX; it.Next()) {
        dead.emplace_back(seg, it.doc(UINT32_MAX));
      }
      LIBSEARCH_RETURN_IF_ERROR(BuildFromSources(dead, false, Path(next_gen.tombstone)));
      c.entry.deletes.resize(c.merged_from);
      c.entry.deletes.push_back(std::move(next_gen));
    }

    // The new segment: upserts in the order of each id's last upsert.
    std::vector<std::pair<uint64_t, const std::string*>> order;
    for (const auto& [id, p] : upserts_) order.emplace_back(p.seq, &id);
    std::sort(order.begin(), order.end());
    std::unique_ptr<Segment> added;
    if (!order.empty()) {
      added = std::make_unique<Segment>();
      added->entry.name = Manifest::SegmentName(next.next_segment++);
      added->entry.num_docs = order.size();
      added->deleted = std::make_unique<DocSet>();
      LIBSEARCH_ASSIGN_OR_RETURN(auto builder, IndexBuilder::Create(schema_, BuilderOptions(true)));
      for (const auto& [seq, id] : order) {
        LIBSEARCH_RETURN_IF_ERROR(builder->AddJson(upserts_.at(*id).source));
      }
      const std::string path = Path(added->entry.SegmentFile());
      LIBSEARCH_RETURN_IF_ERROR(builder->Build(path));
      LIBSEARCH_ASSIGN_OR_RETURN(added->reader, IndexReader::Open(path));
    }

    // A segment whose docs are all deleted leaves the index (its statistics
    // then need no tombstone).
    next.segments.clear();
    for (const auto& seg : segments_) {
      auto c = changes.find(seg.get());
      if (c == changes.end()) {
        next.segments.push_back(seg->entry);
      } else if (c->second.entry.num_deleted < c->second.entry.num_docs) {
        next.segments.push_back(c->second.entry);
      }
    }
    if (added) next.segments.push_back(added->entry);
    LIBSEARCH_RETURN_IF_ERROR(sync.Finish());
    LIBSEARCH_RETURN_IF_ERROR(internal::WriteManifest(dir_, next));

    // Committed: the in-memory state follows.
    for (const auto& [id, loc] : deletes_) live_.erase(id);
    for (auto& [seg, c] : changes) {
      seg->entry = c.entry;
      if (c.deleted != nullptr) seg->deleted = std::move(c.deleted);
      if (c.generation != nullptr) {
        seg->generations.resize(c.merged_from);
        seg->generations.push_back(std::move(c.generation));
      }
      if (c.updated) seg->updates = std::move(c.updates);
    }
    std::erase_if(segments_, [](const std::unique_ptr<Segment>& s) {
      return s->entry.num_deleted == s->entry.num_docs;
    });
    if (added) {
      for (size_t i = 0; i < order.size(); ++i) {
        live_[*order[i].second] = Loc{added.get(), static_cast<uint32_t>(i)};
      }
      segments_.push_back(std::move(added));
    }
    info->changed = true;
    info->docs_added += order.size();
    info->docs_deleted += deletes_.size();
    info->docs_updated += sets_.size();
    manifest_ = std::move(next);
    upserts_.clear();
    deletes_.clear();
    sets_.clear();
    not_found_ = 0;
    RemoveStaleFiles();
    return Status::Ok();
  }

  // The merge policy's windows, each merged as a commit of its own; from the
  // last window back, so the earlier windows' positions stay valid.
  Status RunMerges(CommitInfo* info) {
    std::vector<internal::SegmentSize> sizes;
    for (const auto& s : segments_) sizes.push_back({s->entry.num_docs, s->entry.num_deleted});
    const std::vector<internal::MergeWindow> windows =
        internal::FindMerges(sizes, options_.merge_policy);
    for (auto w = windows.rbegin(); w != windows.rend(); ++w) {
      LIBSEARCH_RETURN_IF_ERROR(Merge(w->begin, w->end));
      ++info->merges;
    }
    return Status::Ok();
  }

  // Replaces segments [begin, end) by one segment of their live docs, in
  // order, at the same position. REQUIRES: nothing pending.
  Status Merge(size_t begin, size_t end) {
    Manifest next = manifest_;
    ++next.generation;
    internal::DeferredSync sync;
    std::vector<std::pair<const Segment*, uint32_t>> docs;
    std::vector<std::string> ids;
    for (size_t s = begin; s < end; ++s) {
      const Segment* seg = segments_[s].get();
      std::vector<uint32_t> local;
      for (uint32_t d = 0; d < seg->entry.num_docs; ++d) {
        if (!seg->deleted->Contains(d)) local.push_back(d);
      }
      for (uint32_t d : local) docs.emplace_back(seg, d);
      for (std::string& id : seg->reader->DocIds(local)) ids.push_back(std::move(id));
      LIBSEARCH_RETURN_IF_ERROR(seg->reader->Intact());
    }
    std::unique_ptr<Segment> merged;
    if (!docs.empty()) {
      merged = std::make_unique<Segment>();
      merged->entry.name = Manifest::SegmentName(next.next_segment++);
      merged->entry.num_docs = docs.size();
      merged->deleted = std::make_unique<DocSet>();
      const std::string path = Path(merged->entry.SegmentFile());
      LIBSEARCH_RETURN_IF_ERROR(BuildFromSources(docs, true, path));
      LIBSEARCH_ASSIGN_OR_RETURN(merged->reader, IndexReader::Open(path));
    }
    next.segments.clear();
    for (size_t s = 0; s < segments_.size(); ++s) {
      if (s == begin && merged) next.segments.push_back(merged->entry);
      if (s < begin || s >= end) next.segments.push_back(segments_[s]->entry);
    }
    LIBSEARCH_RETURN_IF_ERROR(sync.Finish());
    LIBSEARCH_RETURN_IF_ERROR(internal::WriteManifest(dir_, next));

    if (merged) {
      for (size_t i = 0; i < ids.size(); ++i) {
        live_[ids[i]] = Loc{merged.get(), static_cast<uint32_t>(i)};
      }
    }
    segments_.erase(segments_.begin() + static_cast<ptrdiff_t>(begin),
                    segments_.begin() + static_cast<ptrdiff_t>(end));
    if (merged) {
      segments_.insert(segments_.begin() + static_cast<ptrdiff_t>(begin), std::move(merged));
    }
    manifest_ = std::move(next);
    RemoveStaleFiles();
    return Status::Ok();
  }

  // Older commits' files and dead writers' temporary files. A failure here
  // loses nothing (the commit is done) and the next commit tries again.
  void RemoveStaleFiles() {
    uint64_t removed = 0;
    (void)internal::RemoveUnreferencedFiles(dir_, manifest_, &removed);
  }

  void Fill(CommitInfo* info) const {
    info->generation = manifest_.generation;
    info->segments = segments_.size();
    info->live_docs = live_.size();
  }

  std::string dir_;
  IndexWriterOptions options_;
  std::unique_ptr<internal::WriterLock> lock_;
  Schema schema_;
  std::vector<std::vector<std::string>> synonyms_;
  Manifest manifest_;
  std::vector<std::unique_ptr<Segment>> segments_;  // In manifest order.
  std::unordered_map<std::string, Loc> live_;       // Committed live ids.
  // Pending: upserts by id; committed docs to delete (ids in live_).
  std::unordered_map<std::string, PendingDoc> upserts_;
  std::unordered_map<std::string, Loc> deletes_;
  std::unordered_map<std::string, PendingSet> sets_;  // In-place updates by id.
  uint64_t seq_ = 0;
  uint64_t not_found_ = 0;
  internal::ParsedDocument doc_;  // Reused by Upsert.
};

}  // namespace

Result<std::unique_ptr<IndexWriter>> IndexWriter::Create(
    const std::string& dir, const Schema& schema, const IndexWriterOptions& options,
    const std::vector<std::vector<std::string>>& synonyms) {
  LIBSEARCH_RETURN_IF_ERROR(CheckOptions(options));
  switch (PathKind(dir)) {
    case 0:
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
        return Status::IOError("cannot create index directory '" + dir +
                               "': " + std::strerror(errno));
      }
      break;
    case 2: return Status::InvalidArgument("'" + dir + "' is a file, not a directory");
    default: break;
  }
  // The builder checks the schema and synonyms before anything is written.
  IndexBuilderOptions check;
  check.synonyms = synonyms;
  check.docstore_zstd_level = options.docstore_zstd_level;
  check.docstore_block_bytes = options.docstore_block_bytes;
  LIBSEARCH_RETURN_IF_ERROR(IndexBuilder::Create(schema, check).status());
  auto exists = [&dir]() -> Status {
    if (PathKind(dir + "/" + std::string(internal::kManifestName)) != 0) {
      return Status::InvalidArgument("'" + dir +
                                     "' is already an index directory (it has a MANIFEST); "
                                     "change it with IndexWriter::Open or `libsearch update`");
    }
    return Status::Ok();
  };
  LIBSEARCH_RETURN_IF_ERROR(exists());
  LIBSEARCH_ASSIGN_OR_RETURN(auto lock, internal::WriterLock::Acquire(dir));
  LIBSEARCH_RETURN_IF_ERROR(exists());
  Manifest m;
  m.generation = options.first_generation;
  m.next_segment = options.first_segment;
  m.schema_json = schema.ToJson();
  m.synonyms_json = synonyms.empty() ? "" : Json(synonyms).dump();
  LIBSEARCH_RETURN_IF_ERROR(internal::WriteManifest(dir, m));
  auto writer = std::make_unique<IndexWriterImpl>(dir, options, std::move(lock));
  LIBSEARCH_RETURN_IF_ERROR(writer->Load(std::move(m)));
  return std::unique_ptr<IndexWriter>(std::move(writer));
}

Result<std::unique_ptr<IndexWriter>> IndexWriter::Open(const std::string& dir,
                                                       const IndexWriterOptions& options) {
  LIBSEARCH_RETURN_IF_ERROR(CheckOptions(options));
  switch (PathKind(dir)) {
    case 0: return Status::NotFound("index directory '" + dir + "' does not exist");
    case 2: return SingleFileError(dir);
    default: break;
  }
  // The manifest is read first so that a directory that is no index gets no LOCK file.
  LIBSEARCH_RETURN_IF_ERROR(internal::ReadManifest(dir).status());
  LIBSEARCH_ASSIGN_OR_RETURN(auto lock, internal::WriterLock::Acquire(dir));
  // Again under the lock: the previous writer may have committed meanwhile.
  LIBSEARCH_ASSIGN_OR_RETURN(Manifest m, internal::ReadManifest(dir));
  auto writer = std::make_unique<IndexWriterImpl>(dir, options, std::move(lock));
  LIBSEARCH_RETURN_IF_ERROR(writer->Load(std::move(m)));
  return std::unique_ptr<IndexWriter>(std::move(writer));
}

}  // namespace libsearch
