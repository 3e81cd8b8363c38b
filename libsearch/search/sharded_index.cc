#include "search/sharded_index.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>
#include <utility>

#include "search/segmented_index.h"
#include "search/typo_tiers.h"

namespace libsearch {

Result<std::unique_ptr<Index>> ShardedIndex::Open(const std::string& dir,
                                                  const OpenOptions& options,
                                                  const ShardedIndexOptions& sharded) {
  LIBSEARCH_RETURN_IF_ERROR(ValidateBm25Params(options.bm25));
  return internal::ShardedIndexImpl::Open(dir, options, sharded, nullptr);
}

bool ShardedIndex::IsShardMap(const std::string& path) { return internal::IsShardMapDir(path); }

namespace internal {

struct ShardedIndexImpl::Candidate {
  size_t part = 0;
  uint32_t local = 0;  // Its doc in the part.
  uint32_t seq = 0;    // Its doc in the index.
  float score = 0;
  uint32_t tier = 0;  // Typo tiers: 0 if it matches without typos.
  std::vector<HitOrder::Portable> keys;
};

namespace {

// The shards an OpenOptions::shards list opens: all if empty.
Result<std::vector<uint32_t>> ServedShards(const std::vector<uint32_t>& wanted, size_t num_shards,
                                           const std::string& dir) {
  std::vector<uint32_t> out = wanted;
  if (out.empty()) {
    for (uint32_t i = 0; i < num_shards; ++i) out.push_back(i);
    return out;
  }
  std::sort(out.begin(), out.end());
  if (std::adjacent_find(out.begin(), out.end()) != out.end() || out.back() >= num_shards) {
    return Status::InvalidArgument("OpenOptions::shards: sharded index '" + dir + "' has " +
                                   std::to_string(num_shards) +
                                   " shards (numbered from 0); each may be named once");
  }
  return out;
}

}  // namespace

struct ShardedIndexImpl::Found {
  Status status;
  Collected collected;
  std::vector<Candidate> candidates;
};

struct ShardedIndexImpl::Merged {
  uint64_t total = 0;
  bool total_exact = true;
  std::vector<std::vector<FacetResult>> facets;  // Per part.
  std::vector<Candidate> cands;
};

ShardedIndexImpl::Merged ShardedIndexImpl::Merge(const SearchRequest& req, bool tiered,
                                                 std::vector<Found>* found) {
  Merged m;
  for (Found& f : *found) {
    m.total += f.collected.resp.total;
    m.total_exact = m.total_exact && f.collected.resp.total_exact;
    m.facets.push_back(std::move(f.collected.resp.facets));
    for (Candidate& c : f.candidates) m.cands.push_back(std::move(c));
  }
  std::sort(m.cands.begin(), m.cands.end(), [&](const Candidate& a, const Candidate& b) {
    return MergedBefore(req, tiered, a, b);
  });
  return m;
}

Result<std::unique_ptr<Index>> ShardedIndexImpl::Open(const std::string& dir,
                                                      const OpenOptions& options,
                                                      const ShardedIndexOptions& sharded,
                                                      const ShardedIndexImpl* previous) {
  // The writer commits the shards, then the map: a shard ahead of the map
  // is a commit under way, which the next map will name.
  constexpr int kAttempts = 40;
  for (int attempt = 1;; ++attempt) {
    auto index = Load(dir, options, sharded, previous);
    if (index.ok()) return std::unique_ptr<Index>(std::move(*index));
    if (index.status().code() != StatusCode::kAborted || attempt == kAttempts) {
      return index.status();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

Result<std::unique_ptr<Index>> ShardedIndexImpl::Reopen() const {
  return Open(dir_, options_, sharded_, this);
}

Result<std::unique_ptr<ShardedIndexImpl>> ShardedIndexImpl::Load(const std::string& dir,
                                                                 const OpenOptions& options,
                                                                 const ShardedIndexOptions& sharded,
                                                                 const ShardedIndexImpl* previous) {
  auto index = std::unique_ptr<ShardedIndexImpl>(new ShardedIndexImpl());
  index->dir_ = dir;
  index->options_ = options;
  index->sharded_ = sharded;
  LIBSEARCH_ASSIGN_OR_RETURN(index->map_, ReadShardMap(dir));
  LIBSEARCH_ASSIGN_OR_RETURN(index->schema_, Schema::FromJson(index->map_.schema_json));
  LIBSEARCH_ASSIGN_OR_RETURN(std::string shard_schema, ShardSchemaJson(index->map_.schema_json));
  LIBSEARCH_ASSIGN_OR_RETURN(index->served_,
                             ServedShards(options.shards, index->map_.shards.size(), dir));
  std::map<std::string, const Index*> open;
  if (previous != nullptr) {
    for (size_t i = 0; i < previous->served_.size(); ++i) {
      open[previous->map_.shards[previous->served_[i]].path] = previous->shards_[i].get();
    }
  }
  OpenOptions shard_options = options;
  shard_options.shards.clear();
  std::vector<GlobalStats::Part> stats_parts;
  std::vector<SegmentedIndex::SegmentView> views;
  std::vector<uint32_t> shard_of_view;  // Per view: its shard.
  for (const uint32_t s : index->served_) {
    const ShardEntry& e = index->map_.shards[s];
    const std::string path = dir + "/" + e.path;
    const auto was = open.find(e.path);
    Result<std::unique_ptr<Index>> shard =
        was != open.end() ? was->second->Reopen() : SegmentedIndex::Open(path, shard_options);
    LIBSEARCH_RETURN_IF_ERROR(shard.status());
    const auto* seg = dynamic_cast<const SegmentedIndex*>(shard->get());
    if (seg == nullptr) return Status::Corruption("shard '" + path + "' is not an index directory");
    if (seg->generation() != e.generation) {
      return Status::Aborted("sharded index '" + dir + "': shard '" + e.path +
                             "' is at generation " + std::to_string(seg->generation()) +
                             ", its shard map names " + std::to_string(e.generation) +
                             " (a commit is under way, or it was not finished: open the index "
                             "with a ShardedWriter to roll it forward)");
    }
    if (seg->schema().ToJson() != Schema::FromJson(shard_schema)->ToJson()) {
      return Status::Corruption("shard '" + path + "' has another schema than its shard map");
    }
    index->num_docs_ += seg->num_docs();
    for (SegmentedIndex::SegmentView& v : seg->SegmentViews()) {
      stats_parts.push_back({&v.impl->reader(), v.tombstones});
      views.push_back(std::move(v));
      shard_of_view.push_back(s);
    }
    index->shards_.push_back(std::move(*shard));
  }
  if (!index->whole()) LIBSEARCH_RETURN_IF_ERROR(index->LoadStatistics(previous, &stats_parts));
  const size_t num_fields = index->shards_[0]->schema().fields().size();
  index->stats_ = std::make_shared<GlobalStats>(std::move(stats_parts), num_fields);
  const size_t seq_field = num_fields - 1;  // ShardSchemaJson appends it.
  for (size_t i = 0; i < views.size(); ++i) {
    SegmentedIndex::SegmentView& v = views[i];
    Part part;
    part.num_docs = v.impl->reader().num_docs();
    part.seq = v.impl->reader().numeric(seq_field);
    if (part.seq == nullptr && part.num_docs > 0) {
      return Status::Corruption("a segment of sharded index '" + dir + "' has no sequence numbers");
    }
    part.deleted = v.deleted;
    part.shard = shard_of_view[i];
    part.impl = v.impl->Share({index->stats_.get(), v.deleted});
    index->parts_.push_back(std::move(part));
  }
  const size_t threads =
      sharded.threads > 0 ? sharded.threads : FanOut::DefaultThreads(index->parts_.size());
  if (previous != nullptr && previous->pool_->threads() == threads) {
    index->pool_ = previous->pool_;
  } else {
    index->pool_ = std::make_shared<FanOut>(threads);
  }
  return index;
}

Status ShardedIndexImpl::LoadStatistics(const ShardedIndexImpl* previous,
                                        std::vector<GlobalStats::Part>* stats_parts) {
  auto stats = ReadShardStats(dir_, map_.generation);
  if (!stats.ok()) {
    // A commit after the map was read removes the list two commits later:
    // a reader that far behind reads the map again (Open's retries).
    if (stats.status().code() == StatusCode::kNotFound) {
      auto now = ReadShardMap(dir_);
      if (now.ok() && now->generation != map_.generation) {
        return Status::Aborted("sharded index '" + dir_ + "' moved to generation " +
                               std::to_string(now->generation) + " while opening");
      }
    }
    return stats.status();
  }
  if (stats->shards.size() != map_.shards.size()) {
    return Status::Corruption("the statistics of sharded index '" + dir_ + "' name " +
                              std::to_string(stats->shards.size()) + " shards, its map " +
                              std::to_string(map_.shards.size()));
  }
  const ChecksumPolicy checksums = options_.checksums;
  auto open = [&](const std::string& rel) -> Result<const IndexReader*> {
    auto& slot = extracts_[rel];
    if (slot == nullptr && previous != nullptr) {
      const auto it = previous->extracts_.find(rel);
      if (it != previous->extracts_.end()) slot = it->second;
    }
    if (slot == nullptr) {
      LIBSEARCH_ASSIGN_OR_RETURN(auto reader,
                                 IndexReader::OpenDictionaries(dir_ + "/" + rel, checksums));
      slot = std::move(reader);
    }
    return slot.get();
  };
  for (size_t s = 0; s < map_.shards.size(); ++s) {
    if (std::binary_search(served_.begin(), served_.end(), static_cast<uint32_t>(s))) continue;
    if (stats->shard_generations[s] != map_.shards[s].generation) {
      return Status::Corruption("the statistics of sharded index '" + dir_ + "' are of shard '" +
                                map_.shards[s].path + "' at another generation than its map's");
    }
    for (const ShardStatsPart& p : stats->shards[s]) {
      LIBSEARCH_ASSIGN_OR_RETURN(const IndexReader* segment, open(p.segment));
      std::vector<const IndexReader*> tombstones;
      for (const std::string& t : p.tombstones) {
        LIBSEARCH_ASSIGN_OR_RETURN(const IndexReader* tombstone, open(t));
        tombstones.push_back(tombstone);
      }
      if (segment->schema().ToJson() != shards_[0]->schema().ToJson()) {
        return Status::Corruption("statistics extract '" + p.segment + "' of sharded index '" +
                                  dir_ + "' has another schema than its shards");
      }
      stats_parts->push_back({segment, std::move(tombstones)});
    }
  }
  return Status::Ok();
}

uint32_t ShardedIndexImpl::SeqOf(const Part& part, uint32_t local) const {
  return part.seq->Has(local) ? static_cast<uint32_t>(part.seq->Value(local)) : kNoMoreDocs;
}

uint32_t ShardedIndexImpl::SeqBound(const Part& part, uint64_t seq, bool after) const {
  // Sequence numbers grow with doc order in every segment.
  uint32_t lo = 0, hi = part.num_docs;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    const uint64_t s = SeqOf(part, mid);
    if (s < seq || (after && s == seq)) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

Status ShardedIndexImpl::CheckRequest(const SearchRequest& req) const {
  // The sequence field is the index's, not the documents': as unknown as
  // on one index of the same documents.
  auto names = [&](const std::string& f) { return f == kShardSeqField; };
  bool named = std::any_of(req.fields.begin(), req.fields.end(), names) ||
               std::any_of(req.retrieve.begin(), req.retrieve.end(), names) ||
               std::any_of(req.highlight.fields.begin(), req.highlight.fields.end(), names);
  for (const SortField& s : req.sort) named = named || names(s.field);
  for (const FacetRequest& f : req.facets) named = named || names(f.field);
  if (named) {
    return Status::InvalidArgument("unknown field '" + std::string(kShardSeqField) + "'");
  }
  return parts_[0].impl->Validate(req);
}

Result<std::optional<ShardPosition>> ShardedIndexImpl::Locate(const SearchRequest& req) const {
  char* end = nullptr;
  const unsigned long long seq = std::strtoull(req.search_after.c_str(), &end, 10);
  const bool digits = end != req.search_after.c_str() && *end == ':';
  if (!digits) {
    return Status::InvalidArgument("search_after: '" + req.search_after +
                                   "' is not a cursor from this index (pass next_cursor back "
                                   "unchanged, with the same query)");
  }
  const char* score_text = end + 1;
  for (const Part& part : parts_) {
    const uint32_t local = SeqBound(part, seq, false);
    if (local >= part.num_docs || SeqOf(part, local) != seq) continue;
    const double score = std::strtod(score_text, &end);
    if (end == score_text || *end != '\0') {
      return Status::InvalidArgument("search_after: bad score in cursor '" + req.search_after +
                                     "'");
    }
    const IndexImpl& impl = *part.impl;
    LIBSEARCH_ASSIGN_OR_RETURN(HitOrder order, HitOrder::Create(impl.reader(), req.sort));
    ShardPosition at;
    at.seq = seq;
    at.score = static_cast<float>(score);
    at.values = order.PortableValues(local);
    if (IndexImpl::TypoTiered(req) && req.offset + req.k > 0) {
      LIBSEARCH_ASSIGN_OR_RETURN(auto tier, TypoTier::Create(impl, req));
      at.tier = tier->At(local);
    }
    return std::optional<ShardPosition>(std::move(at));
  }
  return std::optional<ShardPosition>();
}

std::vector<ForeignCursor> ShardedIndexImpl::PositionsFor(const ShardPosition& at) const {
  ForeignCursor cursor;
  cursor.values = at.values;
  cursor.score = at.score;
  cursor.tier = at.tier;
  // Ties on everything else fall by sequence number, in every part.
  std::vector<ForeignCursor> positions;
  for (const Part& part : parts_) {
    cursor.doc = static_cast<int64_t>(SeqBound(part, at.seq, true)) - 1;
    positions.push_back(cursor);
  }
  return positions;
}

Result<SearchResponse> ShardedIndexImpl::Search(const SearchRequest& req) const {
  if (!whole()) {
    return Status::InvalidArgument(
        "sharded index '" + dir_ + "' is open for " + std::to_string(served_.size()) + " of its " +
        std::to_string(map_.shards.size()) +
        " shards (OpenOptions::shards): search it through a fan-out coordinator "
        "(libsearch/fan_out.h), which sends shard requests");
  }
  const auto start = std::chrono::steady_clock::now();
  Result<SearchResponse> resp = SearchUnchecked(req);
  if (resp.ok()) {
    resp->took_us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now() - start)
                                              .count());
  }
  return resp;
}

Result<std::vector<ShardedIndexImpl::Found>> ShardedIndexImpl::CollectParts(
    const SearchRequest& req, const std::vector<ForeignCursor>& cursors) const {
  const bool tiered = IndexImpl::TypoTiered(req) && req.offset + req.k > 0;
  // Each part runs the whole page from offset 0, after the cursor.
  SearchRequest sub = req;
  sub.offset = 0;
  sub.k = req.offset + req.k;
  sub.suggest = false;
  sub.search_after.clear();
  std::vector<Found> found(parts_.size());
  pool_->Run(parts_.size(), [&](size_t p) {
    const Part& part = parts_[p];
    Found& out = found[p];
    auto collected = part.impl->Collect(sub, cursors.empty() ? nullptr : &cursors[p]);
    if (!collected.ok()) {
      out.status = collected.status();
      return;
    }
    out.collected = std::move(*collected);
    const std::vector<Hit>& hits = out.collected.resp.hits;
    if (hits.empty()) return;
    auto order = HitOrder::Create(part.impl->reader(), req.sort);
    if (!order.ok()) {
      out.status = order.status();
      return;
    }
    for (const Hit& h : hits) {
      out.candidates.push_back(
          {p, h.doc, SeqOf(part, h.doc), h.score, 0,
           req.sort.empty() ? std::vector<HitOrder::Portable>() : order->PortableValues(h.doc)});
    }
    if (tiered) {  // Tiers are asked in doc order.
      std::vector<Candidate*> by_doc;
      for (Candidate& c : out.candidates) by_doc.push_back(&c);
      std::sort(by_doc.begin(), by_doc.end(),
                [](const Candidate* a, const Candidate* b) { return a->local < b->local; });
      auto tier = TypoTier::Create(*part.impl, req);
      if (!tier.ok()) {
        out.status = tier.status();
        return;
      }
      for (Candidate* c : by_doc) c->tier = (*tier)->At(c->local);
      if ((*tier)->corrupt()) {
        out.status = Status::Corruption("index '" + dir_ +
                                        "': postings are damaged; run `libsearch verify` and "
                                        "rebuild");
      }
    }
  });
  for (const Found& f : found) {
    LIBSEARCH_RETURN_IF_ERROR(f.status);
    for (const Candidate& c : f.candidates) {
      if (c.seq == kNoMoreDocs) {
        return Status::Corruption("sharded index '" + dir_ +
                                  "': a document has no sequence number");
      }
    }
  }
  return found;
}

Result<std::vector<Hit>> ShardedIndexImpl::FinishHits(const SearchRequest& req,
                                                      const std::vector<Candidate>& cands,
                                                      size_t begin, size_t end,
                                                      const std::vector<Found>& found) const {
  // Finished (ids, stored fields, highlights) part by part.
  std::vector<SearchResponse> per_part(parts_.size());
  std::vector<std::pair<size_t, size_t>> where;  // Per hit: (part, index there).
  for (size_t i = begin; i < end; ++i) {
    Hit hit;
    hit.doc = cands[i].local;
    hit.score = cands[i].score;
    std::vector<Hit>& hits = per_part[cands[i].part].hits;
    where.emplace_back(cands[i].part, hits.size());
    hits.push_back(std::move(hit));
  }
  std::vector<Status> finished(parts_.size());
  pool_->Run(parts_.size(), [&](size_t p) {
    if (per_part[p].hits.empty()) return;
    finished[p] = parts_[p].impl->Finish(req, found[p].collected.matched, &per_part[p]);
  });
  for (const Status& s : finished) LIBSEARCH_RETURN_IF_ERROR(s);
  std::vector<Hit> out;
  out.reserve(where.size());
  for (const auto& [p, i] : where) {
    Hit hit = std::move(per_part[p].hits[i]);
    hit.doc = SeqOf(parts_[p], hit.doc);
    out.push_back(std::move(hit));
  }
  return out;
}

Result<SearchResponse> ShardedIndexImpl::SearchUnchecked(const SearchRequest& req) const {
  LIBSEARCH_RETURN_IF_ERROR(CheckRequest(req));
  const bool tiered = IndexImpl::TypoTiered(req) && req.offset + req.k > 0;
  std::vector<ForeignCursor> cursors;
  if (!req.search_after.empty()) {
    LIBSEARCH_ASSIGN_OR_RETURN(std::optional<ShardPosition> at, Locate(req));
    if (!at) {
      return Status::InvalidArgument("search_after: '" + req.search_after +
                                     "' is not a cursor from this index (pass next_cursor back "
                                     "unchanged, with the same query)");
    }
    cursors = PositionsFor(*at);
  }
  LIBSEARCH_ASSIGN_OR_RETURN(std::vector<Found> found, CollectParts(req, cursors));
  SearchResponse resp;
  Merged merged = Merge(req, tiered, &found);
  std::vector<Candidate>& cands = merged.cands;
  resp.total = merged.total;
  resp.total_exact = merged.total_exact;
  ClampPrunedTotal(req, &resp.total, &resp.total_exact);
  // Facets merge as a directory's segments do.
  MergeFacetCounts(req, std::move(merged.facets), /*keep_all=*/false, &resp.facets);
  const size_t end = std::min(cands.size(), req.offset + req.k);
  LIBSEARCH_ASSIGN_OR_RETURN(resp.hits,
                             FinishHits(req, cands, std::min(req.offset, end), end, found));
  if (!resp.hits.empty()) {
    resp.next_cursor = HitOrder::Cursor(resp.hits.back().doc, resp.hits.back().score);
  }
  resp.suggestion = CheckedSuggestion(*this, *parts_[0].impl, req, resp.total);
  return resp;
}

Result<ShardResult> ShardedIndexImpl::SearchShards(const SearchRequest& req,
                                                   const ShardPosition* after) const {
  LIBSEARCH_RETURN_IF_ERROR(CheckRequest(req));
  if (after != nullptr && !req.search_after.empty()) {
    return Status::InvalidArgument("a shard search takes a position or search_after, not both");
  }
  const bool tiered = IndexImpl::TypoTiered(req) && req.offset + req.k > 0;
  std::vector<ForeignCursor> cursors;
  if (after != nullptr) cursors = PositionsFor(*after);
  LIBSEARCH_ASSIGN_OR_RETURN(std::vector<Found> found, CollectParts(req, cursors));
  ShardResult out;
  out.generation = map_.generation;
  Merged merged = Merge(req, tiered, &found);
  std::vector<Candidate>& cands = merged.cands;
  out.total = merged.total;
  out.total_exact = merged.total_exact;
  MergeFacetCounts(req, std::move(merged.facets), /*keep_all=*/true, &out.facets);
  const size_t end = std::min(cands.size(), req.offset + req.k);
  LIBSEARCH_ASSIGN_OR_RETURN(std::vector<Hit> hits, FinishHits(req, cands, 0, end, found));
  for (size_t i = 0; i < hits.size(); ++i) {
    ShardHit h;
    h.seq = cands[i].seq;
    h.score = cands[i].score;
    h.tier = cands[i].tier;
    h.keys = std::move(cands[i].keys);
    h.hit = std::move(hits[i]);
    out.hits.push_back(std::move(h));
  }
  if (req.suggest && req.search_after.empty() && after == nullptr) {
    const IndexImpl& words = *parts_[0].impl;
    out.suggest_below = words.SuggestionLimit();
    out.suggestion = words.SuggestionFor(req, out.total);
  }
  for (const auto& [path, extract] : extracts_) {
    LIBSEARCH_RETURN_IF_ERROR(extract->Intact());
  }
  return out;
}

Result<std::string> ShardedIndexImpl::ExplainQuery(const SearchRequest& req) const {
  LIBSEARCH_RETURN_IF_ERROR(CheckRequest(req));
  return parts_[0].impl->ExplainQuery(req);
}

Result<std::string> ShardedIndexImpl::StoredDocument(uint32_t doc) const {
  for (const Part& part : parts_) {
    const uint32_t local = SeqBound(part, doc, false);
    if (local >= part.num_docs || SeqOf(part, local) != doc) continue;
    if (part.deleted != nullptr && part.deleted->Contains(local)) break;
    return part.impl->StoredDocument(local);
  }
  return Status::NotFound("doc " + std::to_string(doc) + " is not in this index");
}

Result<IndexInfo> ShardedIndexImpl::Info() const {
  // Each shard's figures (already net of its deletes), combined; term
  // statistics index-wide.
  IndexInfo info;
  for (size_t s = 0; s < shards_.size(); ++s) {
    LIBSEARCH_ASSIGN_OR_RETURN(IndexInfo shard, shards_[s]->Info());
    shard.fields.pop_back();  // The sequence field.
    if (s == 0) {
      info = shard;
      info.segments.clear();
      info.num_docs = 0;
      info.file_bytes = 0;
      for (FieldInfo& f : info.fields) {
        if (!f.indexed) f.doc_count = 0;
      }
    }
    for (SegmentInfo seg : shard.segments) {
      seg.name = map_.shards[served_[s]].path + "/" + seg.name;
      info.segments.push_back(std::move(seg));
    }
    info.num_docs += shard.num_docs;
    info.file_bytes += shard.file_bytes;
    for (size_t f = 0; f < info.fields.size(); ++f) {
      FieldInfo& out = info.fields[f];
      const FieldInfo& in = shard.fields[f];
      if (out.indexed) {
        out.doc_count = stats_->FieldDocCount(static_cast<uint32_t>(f));
        out.total_terms = stats_->FieldSumTotalTf(static_cast<uint32_t>(f));
        out.num_terms = std::max(out.num_terms, in.num_terms);
      } else if (in.doc_count > 0) {
        out.min_value = out.doc_count == 0 ? in.min_value : std::min(out.min_value, in.min_value);
        out.max_value = out.doc_count == 0 ? in.max_value : std::max(out.max_value, in.max_value);
        out.doc_count += in.doc_count;
      }
    }
  }
  info.path = dir_;
  info.generation = map_.generation;
  return info;
}

Status ShardedIndexImpl::Verify() const {
  for (size_t s = 0; s < shards_.size(); ++s) {
    Status st = shards_[s]->Verify();
    if (!st.ok()) return st.WithContext("shard '" + map_.shards[served_[s]].path + "'");
  }
  for (const auto& [path, extract] : extracts_) {
    Status st = extract->Verify();
    if (!st.ok()) return st.WithContext("statistics extract '" + path + "'");
  }
  // The rules merging and updates depend on: sequence numbers grow in each
  // part, and every live doc is in the shard its id routes to.
  for (const Part& part : parts_) {
    std::vector<uint32_t> live;
    for (uint32_t d = 0; d < part.num_docs; ++d) {
      if (part.deleted == nullptr || !part.deleted->Contains(d)) live.push_back(d);
    }
    const std::vector<std::string> ids = part.impl->reader().DocIds(live);
    for (const std::string& id : ids) {
      if (ShardOfId(id, num_shards()) != part.shard) {
        return Status::Corruption("sharded index '" + dir_ + "': id '" + id + "' is in shard '" +
                                  map_.shards[part.shard].path + "', not the one it routes to");
      }
    }
    for (uint32_t d = 0; d < part.num_docs; ++d) {
      if (SeqOf(part, d) == kNoMoreDocs || (d > 0 && SeqOf(part, d) <= SeqOf(part, d - 1))) {
        return Status::Corruption("sharded index '" + dir_ +
                                  "': sequence numbers do not grow in doc order");
      }
    }
  }
  return Status::Ok();
}

}  // namespace internal
}  // namespace libsearch
