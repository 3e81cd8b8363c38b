// Test support for index directories: what a reader would see, read with the
// internal readers only (manifest, segments, delete files).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "index/index_reader.h"
#include "storage/index_dir.h"
#include "storage/manifest.h"

namespace libsearch::testing {

struct LiveDoc {
  std::string id;
  nlohmann::json source;
};

struct SegmentState {
  std::string name;
  std::vector<std::string> ids;  // All docs, deleted included, in doc order.
  std::vector<bool> deleted;     // Per doc.
  // Docs of each delete generation's tombstone, in order (oldest first).
  std::vector<std::vector<std::string>> tomb_ids;
};

struct DirState {
  internal::Manifest manifest;
  std::vector<SegmentState> segments;
  std::vector<LiveDoc> live;  // In global doc order.
};

// Reads everything the manifest names and checks the contract: files exist
// and open, counts agree, each delete generation's tombstone holds exactly
// its delete file's docs in order, the generations are disjoint and hold the
// deleted docs, every segment keeps sources. Errors become a non-OK status.
inline Result<DirState> ReadDirState(const std::string& dir) {
  DirState st;
  LIBSEARCH_ASSIGN_OR_RETURN(st.manifest, internal::ReadManifest(dir));
  for (const internal::SegmentEntry& e : st.manifest.segments) {
    SegmentState seg;
    seg.name = e.name;
    LIBSEARCH_ASSIGN_OR_RETURN(auto reader,
                               internal::IndexReader::Open(dir + "/" + e.SegmentFile()));
    if (reader->num_docs() != e.num_docs) return Status::Corruption(e.name + ": doc count");
    if (!reader->has_source()) return Status::Corruption(e.name + ": no sources");
    LIBSEARCH_RETURN_IF_ERROR(reader->Verify());
    if (!e.updates.empty()) {
      LIBSEARCH_ASSIGN_OR_RETURN(auto updates,
                                 internal::ReadUpdateFile(dir + "/" + e.updates, e.num_docs,
                                                          reader->schema().fields().size()));
      if (updates->docs.size() != e.num_updated) return Status::Corruption(e.name + ": updated");
      LIBSEARCH_RETURN_IF_ERROR(reader->ApplyUpdates(std::move(updates)));
      LIBSEARCH_RETURN_IF_ERROR(reader->VerifyUpdates());
    }
    std::vector<uint32_t> all(e.num_docs);
    for (uint32_t d = 0; d < e.num_docs; ++d) all[d] = d;
    seg.ids = reader->DocIds(all);
    seg.deleted.assign(e.num_docs, false);
    uint64_t deleted = 0;
    for (const internal::DeleteGeneration& g : e.deletes) {
      LIBSEARCH_ASSIGN_OR_RETURN(auto del,
                                 internal::ReadDeleteFile(dir + "/" + g.deletes, e.num_docs));
      if (del->cardinality() != g.num_docs) return Status::Corruption(e.name + ": deleted count");
      std::vector<std::string> expect;
      for (uint32_t d = 0; d < e.num_docs; ++d) {
        if (!del->Contains(d)) continue;
        if (seg.deleted[d]) return Status::Corruption(e.name + ": delete generations overlap");
        seg.deleted[d] = true;
        expect.push_back(seg.ids[d]);
        ++deleted;
      }
      LIBSEARCH_ASSIGN_OR_RETURN(auto tomb, internal::IndexReader::Open(dir + "/" + g.tombstone));
      std::vector<uint32_t> tall(tomb->num_docs());
      for (uint32_t d = 0; d < tomb->num_docs(); ++d) tall[d] = d;
      seg.tomb_ids.push_back(tomb->DocIds(tall));
      if (seg.tomb_ids.back() != expect) {
        return Status::Corruption(e.name + ": tombstone != deleted docs");
      }
    }
    if (deleted != e.num_deleted) {
      return Status::Corruption(e.name + ": deleted docs and delete files disagree");
    }
    for (uint32_t d = 0; d < e.num_docs; ++d) {
      if (seg.deleted[d]) continue;
      LIBSEARCH_ASSIGN_OR_RETURN(std::string src, reader->Source(d));
      st.live.push_back({seg.ids[d], nlohmann::json::parse(src)});
    }
    st.segments.push_back(std::move(seg));
  }
  return st;
}

inline std::vector<std::string> LiveIds(const DirState& st) {
  std::vector<std::string> ids;
  for (const LiveDoc& d : st.live) ids.push_back(d.id);
  return ids;
}

// The documents an index directory should hold, by the rules of
// IndexWriter: committed docs in order; a commit keeps the untouched ones
// and appends its upserts in the order of each id's last upsert.
class Model {
 public:
  void Upsert(const std::string& id, nlohmann::json doc) {
    pending_[id] = {seq_++, std::move(doc)};
    touched_.insert(id);
    updated_.erase(id);
  }
  void Delete(const std::string& id) {
    pending_.erase(id);
    touched_.insert(id);
    updated_.erase(id);
  }
  // IndexWriter::Set: nothing if the id is not live. With `in_place` (the
  // fields have no terms) a committed doc keeps its place; otherwise, or if
  // the doc is pending, the result is upserted.
  void Set(const std::string& id, const nlohmann::json& fields, bool in_place) {
    std::optional<nlohmann::json> cur = Current(id);
    if (!cur) return;
    for (auto& [k, v] : fields.items()) {
      if (v.is_null()) {
        cur->erase(k);
      } else {
        (*cur)[k] = v;
      }
    }
    if (in_place && pending_.count(id) == 0) {
      updated_[id] = *cur;
    } else {
      Upsert(id, *cur);
    }
  }
  std::optional<nlohmann::json> Current(const std::string& id) const {
    if (auto it = pending_.find(id); it != pending_.end()) return it->second.second;
    if (touched_.count(id)) return std::nullopt;
    if (auto it = updated_.find(id); it != updated_.end()) return it->second;
    for (const LiveDoc& d : docs_) {
      if (d.id == id) return d.source;
    }
    return std::nullopt;
  }
  void Commit() {
    std::vector<LiveDoc> next;
    for (LiveDoc& d : docs_) {
      if (touched_.count(d.id)) continue;
      if (auto it = updated_.find(d.id); it != updated_.end()) d.source = it->second;
      next.push_back(std::move(d));
    }
    std::vector<std::pair<uint64_t, std::string>> order;
    for (const auto& [id, p] : pending_) order.emplace_back(p.first, id);
    std::sort(order.begin(), order.end());
    for (const auto& [seq, id] : order) next.push_back({id, pending_[id].second});
    docs_ = std::move(next);
    pending_.clear();
    touched_.clear();
    updated_.clear();
  }
  void Rollback() {
    pending_.clear();
    touched_.clear();
    updated_.clear();
  }
  const std::vector<LiveDoc>& docs() const { return docs_; }

 private:
  std::vector<LiveDoc> docs_;
  std::map<std::string, std::pair<uint64_t, nlohmann::json>> pending_;
  std::set<std::string> touched_;
  std::map<std::string, nlohmann::json> updated_;  // Pending in-place updates.
  uint64_t seq_ = 0;
};

// Same ids, order and sources.
inline ::testing::AssertionResult SameDocs(const std::vector<LiveDoc>& want,
                                           const std::vector<LiveDoc>& got) {
  if (want.size() != got.size()) {
    return ::testing::AssertionFailure() << "want " << want.size() << " docs, got " << got.size();
  }
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i].id != got[i].id || want[i].source != got[i].source) {
      return ::testing::AssertionFailure()
             << "doc " << i << ": want " << want[i].id << " " << want[i].source.dump() << ", got "
             << got[i].id << " " << got[i].source.dump();
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace libsearch::testing
