// FanOutIndex (libsearch/fan_out.h): a coordinator over shard functions.
// Each search goes to every shard at once (ShardTransport::Exchange); the
// replies merge as ShardedIndexImpl merges its parts (MergedBefore,
// MergeFacetCounts, ClampPrunedTotal), so the answer is one index's.
#include <algorithm>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "libsearch/fan_out.h"
#include "search/shard_protocol.h"
#include "util/fan_out.h"

namespace libsearch {
namespace internal {
namespace {

using Clock = std::chrono::steady_clock;

// Replies of one round: a decoded reply, or why the shard is missing.
struct Round {
  std::vector<std::optional<ShardReply>> replies;
  std::vector<Status> failures;  // Non-OK for a missing shard.
};

// Where the last hit of each recent page ranks (what a locate round would
// ask its shard), so that the next page needs no locate round. Keyed by the
// cursor and the request less what never moves a document in the order
// (the page, facets, what a hit shows, the partial-results option): the
// position depends on the query, sort and typo options, and a cursor alone
// may end pages of several queries. Each entry names its shard map
// generation: a position from another commit is not used.
class CursorCache {
 public:
  struct Entry {
    ShardPosition at;
    uint64_t generation = 0;
  };

  explicit CursorCache(size_t capacity) : capacity_(capacity) {}

  static std::string KeyOf(const SearchRequest& req, const std::string& cursor) {
    ShardRequest page;
    page.phase = ShardPhase::kLocate;
    page.search = req;
    SearchRequest& r = page.search;
    r.k = 0;
    r.offset = 0;
    r.search_after.clear();
    r.facets.clear();
    r.highlight = {};
    r.include_docs = false;
    r.retrieve.clear();
    r.include_ids = true;
    r.total_hits_threshold = 0;
    r.suggest = false;
    r.allow_partial_results = false;
    return cursor + '\n' + EncodeShardRequest(page);
  }

  std::optional<Entry> Find(const std::string& key) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->second;
  }

  void Put(std::string key, Entry entry) {
    if (capacity_ == 0) return;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) {
      it->second->second = std::move(entry);
      lru_.splice(lru_.begin(), lru_, it->second);
      return;
    }
    lru_.emplace_front(key, std::move(entry));
    map_.emplace(std::move(key), lru_.begin());
    if (lru_.size() > capacity_) {
      map_.erase(lru_.back().first);
      lru_.pop_back();
    }
  }

  size_t capacity() const { return capacity_; }

 private:
  const size_t capacity_;
  std::mutex mu_;
  std::list<std::pair<std::string, Entry>> lru_;  // Most recently used first.
  std::unordered_map<std::string, std::list<std::pair<std::string, Entry>>::iterator> map_;
};

class FanOutIndexImpl final : public Index {
 public:
  static Result<std::unique_ptr<Index>> Open(std::shared_ptr<ShardTransport> transport,
                                             const FanOutOptions& options,
                                             std::shared_ptr<CursorCache> cursors = nullptr) {
    if (transport == nullptr || transport->num_shards() == 0) {
      return Status::InvalidArgument("a fan-out index needs at least one shard");
    }
    if (cursors == nullptr) cursors = std::make_shared<CursorCache>(options.cursor_cache_entries);
    auto index = std::unique_ptr<FanOutIndexImpl>(
        new FanOutIndexImpl(std::move(transport), options, std::move(cursors)));
    const ShardTransport& shards = *index->transport_;
    ShardRequest info;
    info.phase = ShardPhase::kInfo;
    const size_t n = shards.num_shards();
    LIBSEARCH_ASSIGN_OR_RETURN(Round round, index->Exchange(std::vector<ShardRequest>(n, info),
                                                            Clock::now() + options.shard_timeout));
    std::string first_error;
    for (size_t i = 0; i < n; ++i) {
      if (!round.replies[i]) {
        if (first_error.empty()) first_error = round.failures[i].ToString();
        continue;
      }
      const ShardReply& r = *round.replies[i];
      if (r.num_shards != n || r.shards != std::vector<uint32_t>{static_cast<uint32_t>(i)}) {
        return Status::InvalidArgument(
            "fan-out: " + shards.Describe(i) + " serves shard(s) " + Join(r.shards) + " of " +
            std::to_string(r.num_shards) + ", not shard " + std::to_string(i) + " of " +
            std::to_string(n) + ": list one function per shard, in shard order");
      }
      if (index->schema_json_.empty()) {
        index->schema_json_ = r.schema_json;
        LIBSEARCH_ASSIGN_OR_RETURN(index->schema_, Schema::FromJson(r.schema_json));
      } else if (r.schema_json != index->schema_json_) {
        return Status::InvalidArgument("fan-out: " + shards.Describe(i) +
                                       " has another schema than the other shards");
      }
      index->num_docs_ += r.num_docs;
      index->generation_ = std::max(index->generation_, r.generation);
    }
    if (index->schema_json_.empty()) {
      return Status::Unavailable("fan-out: no shard answered (" + first_error + ")");
    }
    return std::unique_ptr<Index>(std::move(index));
  }

  Result<SearchResponse> Search(const SearchRequest& req) const override {
    const auto start = Clock::now();
    // Shards answering from different commits (a commit reaching the
    // functions one by one): ask again, shortly.
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
      Result<SearchResponse> resp =
          SearchOnce(req, start + options_.shard_timeout, /*use_cursor_cache=*/true);
      if (resp.ok()) {
        resp->took_us = static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
      }
      if (resp.ok() || resp.status().code() != StatusCode::kAborted || attempt == kAttempts ||
          Clock::now() + std::chrono::milliseconds(100) > start + options_.shard_timeout) {
        return resp;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50 * attempt));
    }
  }

  Result<std::unique_ptr<Index>> Reopen() const override {
    return Open(transport_, options_, cursors_);
  }

  Result<std::string> ExplainQuery(const SearchRequest& req) const override {
    ShardRequest explain;
    explain.phase = ShardPhase::kExplain;
    explain.search = req;
    return AskOne(explain);
  }

  Result<std::string> StoredDocument(uint32_t doc) const override {
    ShardRequest get;
    get.phase = ShardPhase::kDocument;
    get.doc = doc;
    LIBSEARCH_ASSIGN_OR_RETURN(Round round,
                               Exchange(std::vector<ShardRequest>(transport_->num_shards(), get),
                                        Clock::now() + options_.shard_timeout));
    std::vector<MissingShard> missing;
    for (size_t i = 0; i < round.replies.size(); ++i) {
      if (round.replies[i] && round.replies[i]->text) return *round.replies[i]->text;
      if (!round.replies[i]) missing.push_back(Missing(i, round.failures[i]));
    }
    if (!missing.empty()) return Unavailable(missing);
    return Status::NotFound("doc " + std::to_string(doc) + " is not in this index");
  }

  const Schema& schema() const override { return schema_; }
  uint64_t num_docs() const override { return num_docs_; }

  Result<IndexInfo> Info() const override {
    IndexInfo info;
    info.path = "fan-out over " + std::to_string(transport_->num_shards()) + " shards";
    info.generation = generation_;
    info.num_docs = num_docs_;
    info.id_field = schema_.id_field();
    for (const FieldSpec& f : schema_.fields()) {
      FieldInfo fi;
      fi.name = f.name;
      fi.type = f.type;
      fi.indexed = f.indexed && (f.type == FieldType::kText || f.type == FieldType::kKeyword);
      fi.stored = f.stored;
      info.fields.push_back(std::move(fi));
    }
    return info;
  }

  Status Verify() const override {
    return Status::Unimplemented(
        "a fan-out index cannot verify its shards: run `libsearch verify` on the sharded index");
  }

 private:
  FanOutIndexImpl(std::shared_ptr<ShardTransport> transport, const FanOutOptions& options,
                  std::shared_ptr<CursorCache> cursors)
      : transport_(std::move(transport)), options_(options), cursors_(std::move(cursors)) {}

  static std::string Join(const std::vector<uint32_t>& v) {
    std::string out;
    for (uint32_t s : v) out += (out.empty() ? "" : ",") + std::to_string(s);
    return out.empty() ? "none" : out;
  }

  MissingShard Missing(size_t shard, const Status& why) const {
    return {static_cast<uint32_t>(shard), std::string(ErrorCodeName(why.code())),
            transport_->Describe(shard) + ": " + why.message()};
  }

  static Status Unavailable(const std::vector<MissingShard>& missing) {
    std::string msg = std::to_string(missing.size()) + " shard(s) did not answer:";
    for (const MissingShard& m : missing) {
      msg += " [shard " + std::to_string(m.shard) + "] " + m.message + ";";
    }
    msg.pop_back();
    msg += " (send \"partial_results\": true to get the other shards' answer, marked partial)";
    return Status::Unavailable(std::move(msg));
  }

  // Sends requests[i] (if its phase is set) to shard i. A request error
  // (a shard refused the request itself: InvalidArgument, NotFound,
  // ResourceExhausted, Unimplemented) is returned as such; anything else
  // makes the shard missing in the round.
  Result<Round> Exchange(const std::vector<ShardRequest>& requests, Clock::time_point deadline,
                         const std::vector<bool>* ask = nullptr) const {
    const size_t n = transport_->num_shards();
    std::vector<std::string> bodies(n);
    for (size_t i = 0; i < n; ++i) {
      if (ask == nullptr || (*ask)[i]) bodies[i] = EncodeShardRequest(requests[i]);
    }
    std::vector<Result<std::string>> got = transport_->Exchange(bodies, deadline);
    Round round;
    round.replies.resize(n);
    round.failures.resize(n);
    for (size_t i = 0; i < n; ++i) {
      if (bodies[i].empty()) continue;
      if (i >= got.size()) {
        round.failures[i] = Status::Internal("the transport gave no reply");
        continue;
      }
      if (!got[i].ok()) {
        round.failures[i] = got[i].status();
        continue;
      }
      Result<ShardReply> reply = DecodeShardReply(*got[i]);
      if (reply.ok()) {
        if (reply->phase != requests[i].phase) {
          round.failures[i] = Status::IOError("the shard answered another request");
          continue;
        }
        round.replies[i] = std::move(*reply);
        continue;
      }
      switch (reply.status().code()) {
        case StatusCode::kInvalidArgument:
        case StatusCode::kNotFound:
        case StatusCode::kResourceExhausted:
        case StatusCode::kUnimplemented: return reply.status();
        default: round.failures[i] = reply.status();
      }
    }
    return round;
  }

  // The text of the first shard that answers `request`.
  Result<std::string> AskOne(const ShardRequest& request) const {
    std::vector<MissingShard> missing;
    for (size_t i = 0; i < transport_->num_shards(); ++i) {
      std::vector<bool> ask(transport_->num_shards(), false);
      ask[i] = true;
      LIBSEARCH_ASSIGN_OR_RETURN(
          Round round, Exchange(std::vector<ShardRequest>(transport_->num_shards(), request),
                                Clock::now() + options_.shard_timeout, &ask));
      if (round.replies[i] && round.replies[i]->text) return *round.replies[i]->text;
      missing.push_back(Missing(i, round.failures[i]));
    }
    return Unavailable(missing);
  }

  // Notes the shards missing in `round`; Aborted if the replies are of
  // different commits (of each other's or of `*generation`'s).
  Status Collect(const Round& round, std::vector<std::optional<MissingShard>>* missing,
                 std::optional<uint64_t>* generation) const {
    for (size_t i = 0; i < round.replies.size(); ++i) {
      if (!round.replies[i]) {
        if (!round.failures[i].ok() && !(*missing)[i])
          (*missing)[i] = Missing(i, round.failures[i]);
        continue;
      }
      const uint64_t g = round.replies[i]->generation;
      if (*generation && **generation != g) {
        return Status::Aborted("fan-out: shards answered from different commits (generations " +
                               std::to_string(**generation) + " and " + std::to_string(g) +
                               "); retry");
      }
      *generation = g;
    }
    return Status::Ok();
  }

  Result<SearchResponse> SearchOnce(const SearchRequest& req, Clock::time_point deadline,
                                    bool use_cursor_cache) const {
    const size_t n = transport_->num_shards();
    const bool tiered = IndexImpl::TypoTiered(req) && req.offset + req.k > 0;
    const bool caching = cursors_->capacity() > 0;
    std::vector<std::optional<MissingShard>> missing(n);
    std::optional<uint64_t> generation;
    ShardRequest search;
    search.phase = ShardPhase::kSearch;
    search.search = req;
    std::optional<CursorCache::Entry> cached;
    if (!req.search_after.empty() && caching && use_cursor_cache) {
      cached = cursors_->Find(CursorCache::KeyOf(req, req.search_after));
    }
    if (cached) {
      // This coordinator ended a page with that cursor: its position is
      // known (the tier as Locate gives it: none unless tiered).
      search.after = cached->at;
      if (!tiered) search.after->tier = 0;
      search.search.search_after.clear();
    } else if (!req.search_after.empty()) {
      // The shard holding the cursor's document says where it ranks.
      ShardRequest locate;
      locate.phase = ShardPhase::kLocate;
      locate.search = req;
      LIBSEARCH_ASSIGN_OR_RETURN(Round round,
                                 Exchange(std::vector<ShardRequest>(n, locate), deadline));
      LIBSEARCH_RETURN_IF_ERROR(Collect(round, &missing, &generation));
      for (const auto& r : round.replies) {
        if (r && r->position) search.after = r->position;
      }
      if (!search.after) {
        std::vector<MissingShard> gone;
        for (const auto& m : missing) {
          if (m) gone.push_back(*m);
        }
        if (!gone.empty()) {
          // Which shard holds it is unknown: no page can be placed.
          Status s = Unavailable(gone);
          return Status::Unavailable("search_after: the cursor's document could not be found; " +
                                     s.message());
        }
        return Status::InvalidArgument("search_after: '" + req.search_after +
                                       "' is not a cursor from this index (pass next_cursor "
                                       "back unchanged, with the same query)");
      }
      search.search.search_after.clear();
    }
    LIBSEARCH_ASSIGN_OR_RETURN(Round round,
                               Exchange(std::vector<ShardRequest>(n, search), deadline));
    LIBSEARCH_RETURN_IF_ERROR(Collect(round, &missing, &generation));
    if (cached && generation && *generation != cached->generation) {
      // A commit since: the document may rank elsewhere now, or be gone.
      return SearchOnce(req, deadline, /*use_cursor_cache=*/false);
    }

    // The merge: as ShardedIndexImpl::SearchUnchecked merges its parts.
    SearchResponse resp;
    std::vector<ShardHit*> hits;
    std::vector<std::vector<FacetResult>> facets;
    std::string suggestion;
    double suggest_below = 0;
    for (auto& r : round.replies) {
      if (!r) continue;
      ShardResult& result = r->result;
      resp.total += result.total;
      resp.total_exact = resp.total_exact && result.total_exact;
      facets.push_back(std::move(result.facets));
      for (ShardHit& h : result.hits) hits.push_back(&h);
      if (suggestion.empty() && !result.suggestion.empty()) {
        suggestion = result.suggestion;
        suggest_below = result.suggest_below;
      }
    }
    ClampPrunedTotal(req, &resp.total, &resp.total_exact);
    std::sort(hits.begin(), hits.end(), [&](const ShardHit* a, const ShardHit* b) {
      return MergedBefore(req, tiered, *a, *b);
    });
    MergeFacetCounts(req, std::move(facets), /*keep_all=*/false, &resp.facets);
    const size_t end = std::min(hits.size(), req.offset + req.k);
    for (size_t i = std::min(req.offset, end); i < end; ++i) {
      resp.hits.push_back(std::move(hits[i]->hit));
    }
    if (!resp.hits.empty()) {
      resp.next_cursor = HitOrder::Cursor(resp.hits.back().doc, resp.hits.back().score);
      if (caching && generation) {
        const ShardHit& last = *hits[end - 1];
        cursors_->Put(CursorCache::KeyOf(req, resp.next_cursor),
                      {{last.seq, last.score, last.tier, last.keys}, *generation});
      }
    }
    const bool complete =
        std::none_of(missing.begin(), missing.end(), [](const auto& m) { return m.has_value(); });
    // "Did you mean", checked as CheckedSuggestion does: the suggested
    // query must find more.
    if (complete && req.suggest && req.search_after.empty() && !suggestion.empty() &&
        static_cast<double>(resp.total) < suggest_below) {
      ShardRequest check;
      check.phase = ShardPhase::kSearch;
      check.search = req;
      check.search.query = suggestion;
      check.search.k = 0;
      check.search.offset = 0;
      check.search.facets.clear();
      check.search.typos = false;
      check.search.suggest = false;
      check.search.total_hits_threshold = SearchRequest::kExactTotal;
      LIBSEARCH_ASSIGN_OR_RETURN(Round counted,
                                 Exchange(std::vector<ShardRequest>(n, check), deadline));
      LIBSEARCH_RETURN_IF_ERROR(Collect(counted, &missing, &generation));
      uint64_t total = 0;
      for (const auto& r : counted.replies) {
        if (r) total += r->result.total;
      }
      if (total > resp.total) resp.suggestion = suggestion;
    }
    for (const auto& m : missing) {
      if (m) resp.missing_shards.push_back(*m);
    }
    if (!resp.missing_shards.empty()) {
      // No shard at all is no answer, partial or not.
      if (!req.allow_partial_results || resp.missing_shards.size() == n) {
        return Unavailable(resp.missing_shards);
      }
      resp.total_exact = false;
      resp.suggestion.clear();
    }
    return resp;
  }

  std::shared_ptr<ShardTransport> transport_;
  FanOutOptions options_;
  std::shared_ptr<CursorCache> cursors_;  // Shared with Reopen()'s index.
  std::string schema_json_;
  Schema schema_;
  uint64_t num_docs_ = 0;
  uint64_t generation_ = 0;
};

// Shards in this process: HandleShardRequest on threads of a FanOut.
class InProcessTransport final : public ShardTransport {
 public:
  explicit InProcessTransport(std::vector<std::shared_ptr<const Index>> shards)
      : shards_(std::move(shards)), pool_(std::max<size_t>(1, shards_.size())) {}

  size_t num_shards() const override { return shards_.size(); }

  std::vector<Result<std::string>> Exchange(const std::vector<std::string>& requests,
                                            Clock::time_point) override {
    std::vector<Result<std::string>> out(requests.size(), std::string());
    pool_.Run(std::min(requests.size(), shards_.size()), [&](size_t i) {
      if (requests[i].empty()) return;
      if (shards_[i] == nullptr) {
        out[i] = Status::IOError("no shard");
        return;
      }
      out[i] = HandleShardRequest(*shards_[i], requests[i]).body;
    });
    return out;
  }

  std::string Describe(size_t shard) const override {
    return "shard " + std::to_string(shard) + " (in process)";
  }

 private:
  std::vector<std::shared_ptr<const Index>> shards_;
  FanOut pool_;
};

}  // namespace
}  // namespace internal

Result<std::unique_ptr<Index>> FanOutIndex::Open(std::shared_ptr<ShardTransport> transport,
                                                 const FanOutOptions& options) {
  return internal::FanOutIndexImpl::Open(std::move(transport), options);
}

Result<std::unique_ptr<Index>> FanOutIndex::OpenUrls(std::string_view urls,
                                                     const FanOutOptions& options) {
  std::vector<std::string> list;
  std::string url;
  for (const char c : std::string(urls) + ",") {
    if (c == ',' || c == ' ' || c == '\t' || c == '\n') {
      if (!url.empty()) list.push_back(std::move(url));
      url.clear();
    } else {
      url += c;
    }
  }
  LIBSEARCH_ASSIGN_OR_RETURN(std::shared_ptr<ShardTransport> transport, HttpShardTransport(list));
  return Open(std::move(transport), options);
}

std::shared_ptr<ShardTransport> InProcessShardTransport(
    std::vector<std::shared_ptr<const Index>> shards) {
  return std::make_shared<internal::InProcessTransport>(std::move(shards));
}

#ifndef LIBSEARCH_WITH_S3
Result<std::shared_ptr<ShardTransport>> HttpShardTransport(const std::vector<std::string>&) {
  return Status::Unimplemented(
      "this libsearch was built without libcurl (LIBSEARCH_WITH_S3=OFF): no HTTP shard "
      "transport; use InProcessShardTransport or a ShardTransport of your own");
}
#endif

}  // namespace libsearch
