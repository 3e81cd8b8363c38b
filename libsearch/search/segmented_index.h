// SegmentedIndex: the Index of an index directory's commit (a snapshot),
// searched segment by segment and merged. Each segment is an IndexImpl
// whose scorers use the index-wide statistics (GlobalStats) and skip its
// deleted docs; merging keeps a single build's order (score, then doc, with
// segments in doc order), sums totals and facet counts.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "libsearch/index.h"
#include "search/global_stats.h"
#include "search/index_impl.h"
#include "storage/file_watch.h"
#include "storage/manifest.h"

namespace libsearch::internal {

class ShardedIndexImpl;

class SegmentedIndex final : public Index {
 public:
  // Opens `dir`'s latest commit: every segment, delete and tombstone file
  // it names (checked as they open).
  static Result<std::unique_ptr<Index>> Open(const std::string& dir, const OpenOptions& options);

  Result<SearchResponse> Search(const SearchRequest& req) const override;
  Result<std::unique_ptr<Index>> Reopen() const override;
  Result<std::string> ExplainQuery(const SearchRequest& req) const override;
  Result<std::string> StoredDocument(uint32_t doc) const override;
  const Schema& schema() const override { return schema_; }
  uint64_t num_docs() const override { return manifest_.num_live_docs(); }
  Result<IndexInfo> Info() const override;
  Status Verify() const override;

  // A segment as an index over several directories uses it (ShardedIndex,
  // which shares the IndexImpl with hooks of its own).
  struct SegmentView {
    std::shared_ptr<const IndexImpl> impl;
    std::vector<const IndexReader*> tombstones;  // One per delete generation.
    std::shared_ptr<const DocSet> deleted;       // Null without deletes.
  };
  // In doc order; an index of no docs has one empty segment.
  std::vector<SegmentView> SegmentViews() const {
    std::vector<SegmentView> views;
    for (const Segment& s : segments_) views.push_back({s.impl, s.Tombstones(), s.deleted});
    return views;
  }
  uint64_t generation() const { return manifest_.generation; }

 private:
  friend class ShardedIndexImpl;  // Merges facets as this does (MergeFacets).
  // Shared with other snapshots where unchanged (Reopen).
  // A delete generation as open: its docs and its tombstone.
  struct Generation {
    std::string delete_file;  // Which commit's deletes those are.
    std::string identity;     // Of the delete file (as segment_identity).
    std::shared_ptr<const DocSet> docs;
    std::shared_ptr<const IndexReader> tombstone;
  };
  struct Segment {
    std::shared_ptr<const IndexImpl> impl;  // With this snapshot's hooks.
    std::vector<Generation> generations;    // As the manifest lists them.
    std::shared_ptr<const DocSet> deleted;  // Their union; null without deletes.
    std::string update_file;                // The update file the impl reads, if any.
    // The files as they were when opened (device, inode, size, mtime): a
    // file of the same name that is another file (the directory was
    // rebuilt, or a replica downloaded other content) is not shared.
    std::string segment_identity, update_identity;
    uint32_t base = 0;  // Its first doc's number in the index.

    std::vector<const IndexReader*> Tombstones() const {
      std::vector<const IndexReader*> t;
      for (const Generation& g : generations) t.push_back(g.tombstone.get());
      return t;
    }
  };
  // A candidate hit of one segment, with what the merge orders it by.
  struct Candidate;

  SegmentedIndex() = default;
  // Every segment's and tombstone's IndexReader::Intact(), without the
  // fstats while the snapshot's FileWatch stays quiet.
  Status Intact() const { return CheckIntact(watch_ != nullptr && watch_->Quiet()); }
  // As Intact(); `files_unchanged` (the watch was quiet) skips the fstats.
  Status CheckIntact(bool files_unchanged) const;
  Result<SearchResponse> SearchUnchecked(const SearchRequest& req) const;
  // The latest commit's snapshot (re-read if its files go while opening).
  static Result<std::unique_ptr<Index>> LoadLatest(const std::string& dir,
                                                   const OpenOptions& options,
                                                   const SegmentedIndex* previous);
  // The snapshot of `manifest`, sharing what `previous` (if any) has open.
  static Result<std::unique_ptr<SegmentedIndex>> Load(const std::string& dir, Manifest manifest,
                                                      const OpenOptions& options,
                                                      const SegmentedIndex* previous);
  // Opens the delete generations `e` names into *seg, sharing what `old`
  // (the segment in the previous snapshot, or null) has open.
  static Status LoadDeletes(const std::string& dir, const SegmentEntry& e,
                            const OpenOptions& options, const Segment* old, Segment* seg);
  // The segment holding index doc `doc`, or -1.
  int SegmentOf(uint32_t doc) const;
  // The search_after position of the request, if any, as of its segment
  // (set to *segment's number).
  Result<std::optional<ForeignCursor>> ParseCursor(const SearchRequest& req, size_t* segment) const;
  void MergeFacets(const SearchRequest& req, std::vector<std::vector<FacetResult>> parts,
                   SearchResponse* resp) const;
  // Sort keys of candidates (SearchRequest::sort), read from their segments.
  void FillSortKeys(const SearchRequest& req, std::vector<Candidate>* c) const;

  std::string dir_;
  OpenOptions options_;
  Manifest manifest_;
  Schema schema_;
  std::vector<Segment> segments_;
  std::shared_ptr<GlobalStats> stats_;
  uint32_t total_docs_ = 0;  // Deleted docs included.
  // The segment and tombstone files; null where inotify is unavailable.
  std::unique_ptr<FileWatch> watch_;
};

}  // namespace libsearch::internal
