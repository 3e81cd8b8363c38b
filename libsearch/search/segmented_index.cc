#include "search/segmented_index.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <utility>

#include "libsearch/index_builder.h"
#include "search/typo_tiers.h"
#include "storage/index_dir.h"

namespace libsearch::internal {

struct SegmentedIndex::Candidate {
  struct Key {
    bool has = false;
    double number = 0;
    std::string text;
  };
  size_t segment = 0;
  uint32_t local = 0;  // Its doc in the segment.
  uint32_t doc = 0;    // Its doc in the index.
  float score = 0;
  uint32_t tier = 0;  // Typo tiers: 0 if it matches without typos.
  std::vector<Key> keys;
};

namespace {

// An index file of no documents, mapped from a file that is gone once open.
Result<std::unique_ptr<IndexReader>> EmptySegment(const Schema& schema) {
  const char* tmp = std::getenv("TMPDIR");
  std::string path =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/libsearch-empty-XXXXXX";
  const int fd = ::mkstemp(path.data());
  if (fd < 0) return Status::IOError("cannot create a temporary file in " + path);
  ::close(fd);
  LIBSEARCH_ASSIGN_OR_RETURN(auto builder, IndexBuilder::Create(schema));
  Status built = builder->Build(path);
  Result<std::unique_ptr<IndexReader>> reader =
      built.ok() ? IndexReader::Open(path) : Result<std::unique_ptr<IndexReader>>(built);
  ::unlink(path.c_str());
  return reader;
}

}  // namespace

Result<std::unique_ptr<Index>> SegmentedIndex::Open(const std::string& dir,
                                                    const OpenOptions& options) {
  return LoadLatest(dir, options, nullptr);
}

Result<std::unique_ptr<Index>> SegmentedIndex::Reopen() const {
  return LoadLatest(dir_, options_, this);
}

Result<std::unique_ptr<Index>> SegmentedIndex::LoadLatest(const std::string& dir,
                                                          const OpenOptions& options,
                                                          const SegmentedIndex* previous) {
  // A writer removes the files of older commits right after it commits: a
  // file of the manifest just read can vanish before it opens. Then a newer
  // manifest is there to read.
  constexpr int kAttempts = 5;
  for (int attempt = 1;; ++attempt) {
    LIBSEARCH_ASSIGN_OR_RETURN(Manifest manifest, ReadManifest(dir));
    const uint64_t generation = manifest.generation;
    auto index = Load(dir, std::move(manifest), options, previous);
    if (index.ok()) return std::unique_ptr<Index>(std::move(*index));
    if (index.status().code() != StatusCode::kNotFound || attempt == kAttempts) {
      return index.status();
    }
    auto now = ReadManifest(dir);
    if (!now.ok() || now->generation == generation) return index.status();
  }
}

namespace {

// Which file `path` is now; "" if it cannot be read.
std::string FileIdentity(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec);
}

}  // namespace

Status SegmentedIndex::LoadDeletes(const std::string& dir, const SegmentEntry& e,
                                   const OpenOptions& options, const Segment* old, Segment* seg) {
  // A commit adds a generation and may merge the newest ones: the others,
  // and often the union, are shared with the previous snapshot.
  std::map<std::string, const Generation*> was;
  if (old != nullptr) {
    for (const Generation& g : old->generations) was[g.delete_file] = &g;
  }
  bool all_shared = old != nullptr && old->generations.size() == e.deletes.size();
  for (const DeleteGeneration& d : e.deletes) {
    Generation g;
    g.delete_file = d.deletes;
    g.identity = FileIdentity(dir + "/" + d.deletes);
    const auto it = was.find(d.deletes);
    if (it != was.end() && it->second->identity == g.identity) {
      g.docs = it->second->docs;
      g.tombstone = it->second->tombstone;
    } else {
      all_shared = false;
      LIBSEARCH_ASSIGN_OR_RETURN(g.docs, ReadDeleteFile(dir + "/" + d.deletes, e.num_docs));
      LIBSEARCH_ASSIGN_OR_RETURN(g.tombstone,
                                 IndexReader::Open(dir + "/" + d.tombstone, options.checksums));
      if (g.docs->cardinality() != d.num_docs || g.tombstone->num_docs() != d.num_docs) {
        return Status::Corruption("delete file '" + d.deletes + "' or tombstone '" + d.tombstone +
                                  "' of '" + dir + "' does not have the manifest's " +
                                  std::to_string(d.num_docs) + " docs");
      }
    }
    seg->generations.push_back(std::move(g));
  }
  if (all_shared) {
    seg->deleted = old->deleted;
    return Status::Ok();
  }
  if (seg->generations.size() == 1) {
    seg->deleted = seg->generations[0].docs;
  } else {
    auto deleted = std::make_shared<DocSet>();
    for (const Generation& g : seg->generations) deleted->AddAll(*g.docs);
    deleted->Optimize();
    seg->deleted = std::move(deleted);
  }
  if (seg->deleted->cardinality() != e.num_deleted) {
    return Status::Corruption("the delete files of segment '" + e.name + "' of '" + dir +
                              "' overlap");
  }
  return Status::Ok();
}

Result<std::unique_ptr<SegmentedIndex>> SegmentedIndex::Load(const std::string& dir,
                                                             Manifest manifest,
                                                             const OpenOptions& options,
                                                             const SegmentedIndex* previous) {
  auto index = std::unique_ptr<SegmentedIndex>(new SegmentedIndex());
  index->dir_ = dir;
  index->options_ = options;
  index->manifest_ = std::move(manifest);
  LIBSEARCH_ASSIGN_OR_RETURN(index->schema_, Schema::FromJson(index->manifest_.schema_json));
  // What a previous snapshot already has open, by file name.
  std::map<std::string, const Segment*> open;
  if (previous != nullptr) {
    for (size_t s = 0; s < previous->manifest_.segments.size(); ++s) {
      open[previous->manifest_.segments[s].name] = &previous->segments_[s];
    }
  }
  std::vector<GlobalStats::Part> parts;
  bool needs_stats = index->manifest_.segments.size() > 1;
  // Every segment has the manifest's schema and synonyms: analysers are set
  // up once, for the first, and shared.
  const IndexImpl* sibling = nullptr;
  if (previous != nullptr && !previous->manifest_.segments.empty()) {  // Not the empty stand-in.
    sibling = previous->segments_[0].impl.get();
  }
  uint64_t base = 0;
  for (const SegmentEntry& e : index->manifest_.segments) {
    Segment seg;
    seg.base = static_cast<uint32_t>(base);
    base += e.num_docs;
    if (base >= kNoMoreDocs) return Status::ResourceExhausted("index '" + dir + "' is too large");
    const auto was = open.find(e.name);
    const Segment* old = was == open.end() ? nullptr : was->second;
    seg.segment_identity = FileIdentity(dir + "/" + e.SegmentFile());
    if (old != nullptr && old->segment_identity != seg.segment_identity) old = nullptr;
    seg.update_file = e.updates;
    if (!e.updates.empty()) seg.update_identity = FileIdentity(dir + "/" + e.updates);
    if (old != nullptr && old->update_file == seg.update_file &&
        old->update_identity == seg.update_identity) {
      seg.impl = old->impl;  // Hooks are set below, on a shared copy.
    } else {
      const std::string path = dir + "/" + e.SegmentFile();
      LIBSEARCH_ASSIGN_OR_RETURN(auto reader, IndexReader::Open(path, options.checksums));
      if (reader->num_docs() != e.num_docs) {
        return Status::Corruption("segment '" + path + "' has " +
                                  std::to_string(reader->num_docs()) + " docs, its manifest says " +
                                  std::to_string(e.num_docs));
      }
      if (old != nullptr) reader->AdoptChecks(old->impl->reader());
      if (!e.updates.empty()) {
        LIBSEARCH_ASSIGN_OR_RETURN(auto updates, ReadUpdateFile(dir + "/" + e.updates, e.num_docs,
                                                                index->schema_.fields().size()));
        if (updates->docs.size() != e.num_updated) {
          return Status::Corruption("update file '" + e.updates + "' of '" + dir + "' has " +
                                    std::to_string(updates->docs.size()) +
                                    " docs, its manifest says " + std::to_string(e.num_updated));
        }
        LIBSEARCH_RETURN_IF_ERROR(reader->ApplyUpdates(std::move(updates)));
      }
      // New values: a new reader with its own filter cache (a cached range
      // filter of the old values would be wrong), the sibling's analysers.
      const IndexImpl* like = old != nullptr ? old->impl.get() : sibling;
      if (like != nullptr) {
        seg.impl = like->Sibling(std::move(reader));
      } else {
        auto impl = std::make_shared<IndexImpl>(std::move(reader), options);
        LIBSEARCH_RETURN_IF_ERROR(impl->Init());
        seg.impl = std::move(impl);
      }
    }
    if (sibling == nullptr) sibling = seg.impl.get();
    if (!e.deletes.empty()) {
      needs_stats = true;
      LIBSEARCH_RETURN_IF_ERROR(LoadDeletes(dir, e, options, old, &seg));
    }
    parts.push_back({&seg.impl->reader(), seg.Tombstones()});
    index->segments_.push_back(std::move(seg));
  }
  if (index->segments_.empty()) {
    // No documents yet: searched as an empty build of the schema, so
    // requests are checked and answered as on any other index.
    LIBSEARCH_ASSIGN_OR_RETURN(auto reader, EmptySegment(index->schema_));
    Segment seg;
    auto impl = std::make_shared<IndexImpl>(std::move(reader), options);
    LIBSEARCH_RETURN_IF_ERROR(impl->Init());
    seg.impl = std::move(impl);
    parts.push_back({&seg.impl->reader(), {}});
    index->segments_.push_back(std::move(seg));
  }
  index->total_docs_ = static_cast<uint32_t>(base);
  index->stats_ = std::make_shared<GlobalStats>(std::move(parts), index->schema_.fields().size());
  for (Segment& seg : index->segments_) {
    // One segment without deletes is a single build: its own statistics
    // (and its block maxima) are the index's.
    seg.impl = seg.impl->Share({needs_stats ? index->stats_.get() : nullptr, seg.deleted});
  }
  // Watched first, then checked with fstats: a change after the check is
  // an event, one before it fails the check.
  std::vector<int> fds;
  for (const Segment& seg : index->segments_) {
    fds.push_back(seg.impl->reader().file_descriptor());
    for (const Generation& g : seg.generations) fds.push_back(g.tombstone->file_descriptor());
  }
  index->watch_ = FileWatch::Create(fds);
  LIBSEARCH_RETURN_IF_ERROR(index->CheckIntact(/*files_unchanged=*/false));
  return index;
}

Status SegmentedIndex::CheckIntact(bool files_unchanged) const {
  auto check = [&](const IndexReader& r) {
    return files_unchanged ? r.SectionsIntact() : r.Intact();
  };
  for (const Segment& seg : segments_) {
    LIBSEARCH_RETURN_IF_ERROR(check(seg.impl->reader()));
    for (const Generation& g : seg.generations) LIBSEARCH_RETURN_IF_ERROR(check(*g.tombstone));
  }
  return Status::Ok();
}

int SegmentedIndex::SegmentOf(uint32_t doc) const {
  if (doc >= total_docs_) return -1;
  const auto it = std::upper_bound(segments_.begin(), segments_.end(), doc,
                                   [](uint32_t d, const Segment& s) { return d < s.base; });
  return static_cast<int>(it - segments_.begin()) - 1;
}

Result<std::optional<ForeignCursor>> SegmentedIndex::ParseCursor(const SearchRequest& req,
                                                                 size_t* segment) const {
  if (req.search_after.empty()) return std::optional<ForeignCursor>();
  char* end = nullptr;
  const unsigned long g = std::strtoul(req.search_after.c_str(), &end, 10);
  const int s = end == req.search_after.c_str() || *end != ':' ? -1 : SegmentOf(g);
  if (s < 0) {
    return Status::InvalidArgument("search_after: '" + req.search_after +
                                   "' is not a cursor from this index (pass next_cursor back "
                                   "unchanged, with the same query)");
  }
  const char* score_text = end + 1;
  const double score = std::strtod(score_text, &end);
  if (end == score_text || *end != '\0') {
    return Status::InvalidArgument("search_after: bad score in cursor '" + req.search_after + "'");
  }
  *segment = static_cast<size_t>(s);
  const Segment& seg = segments_[*segment];
  const uint32_t local = static_cast<uint32_t>(g - seg.base);
  LIBSEARCH_ASSIGN_OR_RETURN(HitOrder order, HitOrder::Create(seg.impl->reader(), req.sort));
  ForeignCursor cursor;
  cursor.values = order.PortableValues(local);
  cursor.score = static_cast<float>(score);
  cursor.doc = local;
  if (IndexImpl::TypoTiered(req) && req.offset + req.k > 0) {
    LIBSEARCH_ASSIGN_OR_RETURN(auto tier, TypoTier::Create(*seg.impl, req));
    cursor.tier = tier->At(local);
  }
  return std::optional<ForeignCursor>(std::move(cursor));
}

void SegmentedIndex::FillSortKeys(const SearchRequest& req, std::vector<Candidate>* cands) const {
  for (Candidate& c : *cands) {
    const IndexReader& r = segments_[c.segment].impl->reader();
    for (const SortField& sf : req.sort) {
      Candidate::Key key;
      const auto f = schema_.FieldIndex(sf.field);
      if (f) {
        if (const NumericColumn* col = r.numeric(*f)) {
          key.has = col->Has(c.local);
          if (key.has) key.number = col->Value(c.local);
        } else if (const KeywordColumn* kw = r.keyword(*f)) {
          const uint32_t *b, *e;
          uint32_t scratch;
          if (kw->Ords(c.local, &scratch, &b, &e) && b != e) {
            // As HitOrder: ascending by the smallest value, descending the largest.
            std::vector<std::string> term;
            if (r.field(*f)->dict.Terms(sf.descending ? e[-1] : *b, 1, &term).ok()) {
              key.has = true;
              key.text = std::move(term[0]);
            }
          }
        }
      }
      c.keys.push_back(std::move(key));
    }
  }
}

void SegmentedIndex::MergeFacets(const SearchRequest& req,
                                 std::vector<std::vector<FacetResult>> parts,
                                 SearchResponse* resp) const {
  MergeFacetCounts(req, std::move(parts), /*keep_all=*/false, &resp->facets);
}

Result<SearchResponse> SegmentedIndex::Search(const SearchRequest& req) const {
  // One segment without deletes: its doc numbers are the index's.
  if (segments_.size() == 1 && segments_[0].deleted == nullptr) {
    return segments_[0].impl->Search(req);
  }
  // A search this one runs (the suggestion's check, CheckedSuggestion) lies
  // between its checks: Intact() is a read of the FileWatch, or an fstat
  // per segment and tombstone once it has fired.
  thread_local const SegmentedIndex* checking = nullptr;
  if (checking == this) return SearchUnchecked(req);
  const auto start = std::chrono::steady_clock::now();
  LIBSEARCH_RETURN_IF_ERROR(Intact());
  const SegmentedIndex* const outer = checking;
  checking = this;
  Result<SearchResponse> resp = SearchUnchecked(req);
  checking = outer;
  LIBSEARCH_RETURN_IF_ERROR(Intact());  // As IndexImpl::Search.
  if (resp.ok()) {
    resp->took_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now() - start)
                                              .count());
  }
  return resp;
}

Result<SearchResponse> SegmentedIndex::SearchUnchecked(const SearchRequest& req) const {
  LIBSEARCH_RETURN_IF_ERROR(segments_[0].impl->Validate(req));
  const bool tiered = IndexImpl::TypoTiered(req) && req.offset + req.k > 0;
  SearchResponse resp;
  std::vector<Candidate> cands;
  std::vector<MatchedTerms> matched(segments_.size());
  std::vector<std::vector<FacetResult>> facets;
  // Each segment runs the whole page from offset 0, after the cursor.
  SearchRequest sub = req;
  sub.offset = 0;
  sub.k = req.offset + req.k;
  sub.suggest = false;
  sub.search_after.clear();
  size_t cursor_segment = 0;
  LIBSEARCH_ASSIGN_OR_RETURN(std::optional<ForeignCursor> cursor,
                             ParseCursor(req, &cursor_segment));
  const int64_t cursor_doc = cursor ? cursor->doc : 0;
  // The query is parsed once (segments share analysers) and copied into
  // each segment's plan; a segment that lacks a required word is skipped.
  LIBSEARCH_ASSIGN_OR_RETURN(const std::unique_ptr<Query> words,
                             segments_[0].impl->ParseWords(sub));
  // Doc freqs and expansions, taken once for all segments.
  const SearchStats memo(stats_.get());
  const SearchStats::Scope scope(&memo);
  for (size_t s = 0; s < segments_.size(); ++s) {
    const Segment& seg = segments_[s];
    // Facets list every value of every segment (KeepAllValues): those run.
    if (req.facets.empty() && !seg.impl->MayMatch(*words)) {
      facets.emplace_back();
      continue;
    }
    if (cursor) {  // Ties fall by doc: a segment before the cursor's ranks before it.
      cursor->doc = s < cursor_segment   ? seg.impl->reader().num_docs()
                    : s > cursor_segment ? -1
                                         : cursor_doc;
    }
    LIBSEARCH_ASSIGN_OR_RETURN(Collected found,
                               seg.impl->Collect(sub, cursor ? &*cursor : nullptr, words.get()));
    resp.total += found.resp.total;
    resp.total_exact = resp.total_exact && found.resp.total_exact;
    facets.push_back(std::move(found.resp.facets));
    matched[s] = std::move(found.matched);
    const size_t first = cands.size();
    for (const Hit& h : found.resp.hits) {
      cands.push_back({s, h.doc, seg.base + h.doc, h.score, 0, {}});
    }
    if (tiered && found.tiers.size() == found.resp.hits.size()) {
      for (size_t i = 0; i < found.tiers.size(); ++i) cands[first + i].tier = found.tiers[i];
    } else if (tiered && cands.size() > first) {
      std::vector<Candidate*> by_doc;
      for (size_t i = first; i < cands.size(); ++i) by_doc.push_back(&cands[i]);
      std::sort(by_doc.begin(), by_doc.end(),
                [](const Candidate* a, const Candidate* b) { return a->local < b->local; });
      LIBSEARCH_ASSIGN_OR_RETURN(auto tier, TypoTier::Create(*seg.impl, req));
      for (Candidate* c : by_doc) c->tier = tier->At(c->local);
      if (tier->corrupt()) {
        return Status::Corruption("index '" + dir_ +
                                  "': postings are damaged; run `libsearch verify` and rebuild");
      }
    }
  }
  FillSortKeys(req, &cands);
  std::sort(cands.begin(), cands.end(), [&](const Candidate& a, const Candidate& b) {
    if (tiered && a.tier != b.tier) return a.tier < b.tier;
    if (auto order = SortKeysOrder(req.sort, a, b)) return *order;
    if (a.score != b.score) return a.score > b.score;
    return a.doc < b.doc;
  });
  MergeFacets(req, std::move(facets), &resp);
  // The page, finished (ids, stored fields, highlights) segment by segment.
  const size_t end = std::min(cands.size(), req.offset + req.k);
  std::vector<SearchResponse> per_segment(segments_.size());
  std::vector<std::pair<size_t, size_t>> where;  // Per page hit: (segment, index there).
  for (size_t i = req.offset; i < end; ++i) {
    Hit hit;
    hit.doc = cands[i].local;
    hit.score = cands[i].score;
    std::vector<Hit>& hits = per_segment[cands[i].segment].hits;
    where.emplace_back(cands[i].segment, hits.size());
    hits.push_back(std::move(hit));
  }
  for (size_t s = 0; s < segments_.size(); ++s) {
    if (per_segment[s].hits.empty()) continue;
    LIBSEARCH_RETURN_IF_ERROR(segments_[s].impl->Finish(req, matched[s], &per_segment[s]));
  }
  for (const auto& [s, i] : where) {
    Hit hit = std::move(per_segment[s].hits[i]);
    hit.doc += segments_[s].base;
    resp.hits.push_back(std::move(hit));
  }
  if (!resp.hits.empty()) {
    resp.next_cursor = HitOrder::Cursor(resp.hits.back().doc, resp.hits.back().score);
  }
  resp.suggestion = CheckedSuggestion(*this, *segments_[0].impl, req, resp.total);
  return resp;
}

Result<std::string> SegmentedIndex::ExplainQuery(const SearchRequest& req) const {
  Result<std::string> explained = segments_[0].impl->ExplainQuery(req);
  LIBSEARCH_RETURN_IF_ERROR(Intact());
  return explained;
}

Result<std::string> SegmentedIndex::StoredDocument(uint32_t doc) const {
  const int s = SegmentOf(doc);
  if (s < 0) return Status::NotFound("doc " + std::to_string(doc) + " out of range");
  const Segment& seg = segments_[static_cast<size_t>(s)];
  const uint32_t local = doc - seg.base;
  if (seg.deleted != nullptr && seg.deleted->Contains(local)) {
    return Status::NotFound("doc " + std::to_string(doc) + " was deleted");
  }
  return seg.impl->StoredDocument(local);
}

Result<IndexInfo> SegmentedIndex::Info() const {
  LIBSEARCH_RETURN_IF_ERROR(Intact());
  LIBSEARCH_ASSIGN_OR_RETURN(IndexInfo info, segments_[0].impl->Info());
  info.path = dir_;
  info.generation = manifest_.generation;
  info.num_docs = manifest_.num_live_docs();
  info.file_bytes = 0;
  info.sections.clear();
  for (size_t s = 0; s < manifest_.segments.size(); ++s) {
    const SegmentEntry& e = manifest_.segments[s];
    const uint64_t bytes = segments_[s].impl->reader().file_size();
    info.segments.push_back({e.name, e.num_docs, e.num_deleted, e.num_updated, bytes});
    info.file_bytes += bytes;
  }
  // Index-wide field statistics of the live docs. (Distinct terms would
  // need a merge of the dictionaries: the most of any segment is shown.)
  for (size_t f = 0; f < info.fields.size(); ++f) {
    FieldInfo& fi = info.fields[f];
    if (fi.indexed) {
      fi.doc_count = stats_->FieldDocCount(static_cast<uint32_t>(f));
      fi.total_terms = stats_->FieldSumTotalTf(static_cast<uint32_t>(f));
      fi.num_terms = 0;
      for (const Segment& seg : segments_) {
        if (const FieldStats* st = seg.impl->reader().field_stats(f)) {
          fi.num_terms = std::max<uint64_t>(fi.num_terms, st->num_terms);
        }
      }
      continue;
    }
    fi.doc_count = 0;
    fi.min_value = fi.max_value = 0;
    for (const Segment& seg : segments_) {
      const NumericColumn* col = seg.impl->reader().numeric(f);
      if (col == nullptr) continue;
      for (uint32_t d = 0; d < seg.impl->reader().num_docs(); ++d) {
        if (!col->Has(d) || (seg.deleted != nullptr && seg.deleted->Contains(d))) continue;
        const double v = col->Value(d);
        fi.min_value = fi.doc_count == 0 ? v : std::min(fi.min_value, v);
        fi.max_value = fi.doc_count == 0 ? v : std::max(fi.max_value, v);
        ++fi.doc_count;
      }
    }
  }
  LIBSEARCH_RETURN_IF_ERROR(Intact());
  return info;
}

Status SegmentedIndex::Verify() const {
  for (const Segment& seg : segments_) {
    LIBSEARCH_RETURN_IF_ERROR(seg.impl->Verify());
    if (Status s = seg.impl->reader().VerifyUpdates(); !s.ok()) {
      return s.WithContext("update file '" + seg.update_file + "'");
    }
    for (const Generation& g : seg.generations) {
      Status s = g.tombstone->Verify();
      if (!s.ok()) return s.WithContext("tombstone '" + g.tombstone->path() + "'");
    }
  }
  return Status::Ok();
}

}  // namespace libsearch::internal
