// File: libsearch/index.h
//
// Index: an opened, immutable index file, and the search request/response
// types. Opening maps the file and reads its header and section table only,
// so it costs the same for 10 thousand or 10 million documents.
//
// Example:
//   auto index = libsearch::Index::Open("products.idx");
//   libsearch::SearchRequest req;
//   req.query = "organic \"peanut butter\" -salt";
//   auto resp = (*index)->Search(req);
//   for (const auto& hit : resp->hits) std::cout << hit.id << " " << hit.score;
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "libsearch/bm25.h"
#include "libsearch/export.h"
#include "libsearch/schema.h"
#include "libsearch/status.h"

namespace libsearch {

// When the checksums of an index file's sections are checked. Opening
// always checks the header, the section table and the small sections that
// steer the rest (schema, field statistics, BM25 parameters, synonyms).
enum class ChecksumPolicy {
  // Each group of sections (a field's dictionary and postings, its prefix
  // index, a column, the ids, the stored documents) the first time anything
  // reads it: once per open file, thread-safe, the cost of hashing what a
  // search reads. A search, StoredDocument or Info that reads a damaged
  // section returns Corruption, and so does every later call. The default.
  kOnFirstUse,
  // Every section at open (reads the whole file): Open fails on damage.
  kAtOpen,
  // Never: a damaged section can change results unnoticed (decoders still
  // bounds-check). For files checked once (`libsearch verify`) whose first
  // search must not pay for hashing.
  kOff,
};

// "first-use", "open" or "off" (what the CLI's --checksums, the service and
// the functions' LIBSEARCH_CHECKSUMS take); InvalidArgument otherwise.
LIBSEARCH_EXPORT Result<ChecksumPolicy> ParseChecksumPolicy(const std::string& name);
LIBSEARCH_EXPORT const char* ChecksumPolicyName(ChecksumPolicy policy);

struct OpenOptions {
  // When section checksums are checked. Default kOnFirstUse.
  ChecksumPolicy checksums = ChecksumPolicy::kOnFirstUse;
  // BM25 parameters used when scoring (checked by ValidateBm25Params).
  Bm25Params bm25;
  // Query-time synonym groups, added to those stored in the index: each
  // group lists equivalent words or phrases ({"tv", "television"},
  // {"usb c", "type c"}). A run of query words that analyses like one
  // alternative (so "tvs" too) matches any of them (multi-word alternatives
  // as phrases). See LoadSynonyms().
  std::vector<std::vector<std::string>> synonyms;
  // Memory for cached filters: a SearchRequest::filters entry (other than a
  // single range, which its column answers as fast) seen a second time is
  // evaluated once into a Roaring bitmap and reused while it stays among
  // the most recently used that fit. 0 disables. Default 32 MiB.
  size_t filter_cache_bytes = size_t{32} << 20;
  // A sharded index (libsearch/sharded_index.h): open and search only these
  // shards (numbers into its shard map), scoring with the statistics of the
  // whole index that its commit published: what a shard function behind a
  // fan-out coordinator opens (libsearch/fan_out.h). Empty (the default):
  // every shard. Other indexes refuse a non-empty list.
  std::vector<uint32_t> shards;
};

// Reads synonym groups from a file: one group per line, alternatives
// separated by commas ("tv, television"); blank lines and lines starting
// with '#' are skipped. Errors name the file and line.
LIBSEARCH_EXPORT Result<std::vector<std::vector<std::string>>> LoadSynonyms(
    const std::string& path);

enum class Operator { kAnd, kOr };

// How a bare word searched in several text fields is scored.
enum class FieldScoring {
  // BM25F: the word's term frequencies in each field, normalised by that
  // field's length and weighted by its boost, are summed before BM25
  // saturates them, as if the fields were one (Robertson & Zaragoza;
  // Lucene's CombinedFieldQuery). idf from the largest document frequency
  // over the fields. A word in the name and the description thus counts
  // about as much as a word said twice, not as two separate matches.
  // Each field keeps its own length normalisation, so a long field (an
  // ingredients list) does not push down a match in a short one (a name).
  kBm25f,
  // BM25F with one length per document: the fields' lengths, weighted by
  // their boosts, are summed and normalised by the same sum's average, as
  // Lucene's CombinedFieldQuery and Elasticsearch's combined_fields do.
  // With boosts 1 it scores as if the fields were one field holding all
  // their text; suits fields of one kind (a title and its article).
  kBm25fCombinedLength,
  // A BM25 score per field (boost x idf x saturated tf), summed: Lucene's
  // and Elasticsearch's multi_match "most_fields".
  kPerField,
};

// How SearchRequest::query (and each filter) is read.
enum class QuerySyntax {
  // Never fails on any text: well-formed quotes, +word, -word, OR and known
  // field: prefixes keep their meaning; anything malformed or unknown (an
  // unmatched quote or parenthesis, "wars:" where wars is no field, a lone
  // OR) is searched as plain words. What a search box sends.
  kSimple,
  // The strict parser: malformed syntax is an InvalidArgument error with its
  // byte position. A well-formed query means the same in both modes.
  kFull,
};

// Counts of field values over all matching documents.
struct FacetRequest {
  std::string field;
  // Keyword fields: the `size` most frequent values, ties by value. Default 10.
  size_t size = 10;
  // Numeric fields: count documents in each [from, to) range (required there).
  struct Range {
    std::string label;  // Shown as the value; empty = "from..to".
    double from = -std::numeric_limits<double>::infinity();
    double to = std::numeric_limits<double>::infinity();
  };
  std::vector<Range> ranges;
  // Count as if the request's filters that use only this field were lifted,
  // so a shop can show the other brands while one brand is selected.
  bool disjunctive = false;
};

// Snippets of stored text fields with the matched words marked.
struct HighlightOptions {
  // Stored text fields to highlight; empty = no highlighting.
  std::vector<std::string> fields;
  std::string pre_tag = "<em>";
  std::string post_tag = "</em>";
  // Approximate snippet length in bytes; whole words are kept. Default 160.
  size_t fragment_bytes = 160;
};

struct SortField {
  std::string field;  // A numeric or keyword field, or "_score".
  bool descending = false;
};

struct SearchRequest {
  // Query syntax: words, "phrases", +required, -excluded, a OR b, (groups),
  // field:word. See README "Query syntax". Empty = all documents.
  std::string query;
  // Hits to return after skipping `offset`. Default 10; at most 10,000.
  size_t k = 10;
  size_t offset = 0;
  // Filters, each in the query syntax (`sugars_100g:<5`, `is_healthy:true`,
  // `brand:(acme OR zenith)`): every document must match all of them, and they
  // never change scores. Applied inside top-k evaluation, not after it.
  std::vector<std::string> filters;
  // Search-as-you-type: if the query does not end in a space, its last word
  // also matches words it is a prefix of (scored a little lower). Default off.
  bool prefix_last = false;
  // Typo tolerance for bare words in text fields: words of 5-8 letters match
  // terms one edit away (insert, delete, substitute, swap), 9+ letters two;
  // never words with digits; a typo in the first letter counts as two. In
  // relevance order (no sort fields) every hit that matches without typos
  // ranks above every hit that needs one; within each tier, by score (typo
  // matches weigh x0.5 per edit).
  bool typos = false;
  // When nothing matches, look for a "did you mean" correction
  // (SearchResponse::suggestion). Costs a dictionary walk per word, on
  // zero-hit queries only. Default true.
  bool suggest = true;
  // At most this many prefix and typo expansions per word. Default 50.
  uint32_t max_expansions = 50;
  // How `query` is read; filters are always kFull (they are written by
  // programs, not typed). Default kSimple.
  QuerySyntax syntax = QuerySyntax::kSimple;
  // Apply the synonym groups of the index and OpenOptions. Default true.
  bool synonyms = true;
  // Fields bare words search; empty = every indexed text field.
  std::vector<std::string> fields;
  // How a bare word over several text fields scores (keyword fields and
  // phrases are always scored per field). Default kBm25f.
  FieldScoring field_scoring = FieldScoring::kBm25f;
  // How bare words combine. Default kAnd (every word must match), the usual
  // choice for product search; kOr ranks documents matching any word.
  Operator default_operator = Operator::kAnd;
  // Fetch each hit's stored fields (Hit::doc_json). Default true.
  bool include_docs = true;
  // With include_docs: only these stored fields (in stored order); empty =
  // all of them. A name that is not a stored field is an error.
  std::vector<std::string> retrieve;
  // Fill Hit::id from the id field. Default true; false leaves it empty
  // (Hit::doc and score are still set) and saves reading the id column, for
  // callers that map internal doc numbers themselves. Highlights and
  // include_docs do not depend on it.
  bool include_ids = true;
  // Count matches exactly up to this many; past it, stop counting and skip
  // documents that cannot reach the top k (block-max pruning), and report
  // `total` as a lower bound. Default 1000 (as Lucene). Use kExactTotal to
  // always count (and score) every match; k = 0 counts without scoring.
  static constexpr uint64_t kExactTotal = ~uint64_t{0};
  uint64_t total_hits_threshold = 1000;
  // Facet counts to compute over all matches (exact; implies exact totals).
  std::vector<FacetRequest> facets;
  // Order of hits: by these fields in turn (documents without a value come
  // last), then by score, then by doc. Empty = by score.
  std::vector<SortField> sort;
  // Highlighted snippets per hit (Hit::highlights). Matches include stems,
  // prefix and typo expansions; excluded words are never marked. The text is
  // returned as stored, not HTML-escaped.
  HighlightOptions highlight;
  // Deep paging: SearchResponse::next_cursor of the previous page. Returns
  // the hits that rank after it (use with offset = 0).
  std::string search_after;
  // A fan-out search (libsearch/fan_out.h): answer with the shards that
  // answered when some fail or miss the deadline, naming those missing
  // (SearchResponse::missing_shards), instead of failing with Unavailable.
  // Default false. Other indexes have no shards to miss.
  bool allow_partial_results = false;
};

struct Hit {
  std::string id;    // The document's id field.
  uint32_t doc = 0;  // Internal doc number (stable for this file only).
  float score = 0;
  std::string doc_json;  // Stored fields as a JSON object (if requested).
  // (field, snippet) for each highlighted field with a match.
  std::vector<std::pair<std::string, std::string>> highlights;
};

struct FacetValue {
  std::string value;  // Keyword value, or range label.
  uint64_t count = 0;
};

struct FacetResult {
  std::string field;
  std::vector<FacetValue> values;  // Most frequent first (ranges: in request order).
};

// A shard a fan-out search went without (SearchRequest::allow_partial_results).
struct MissingShard {
  uint32_t shard = 0;
  std::string code;     // As an error reply's ("unavailable", "io_error", ...).
  std::string message;  // What went wrong, naming the shard's endpoint.
};

struct SearchResponse {
  uint64_t total = 0;               // Matching documents: exact iff total_exact.
  bool total_exact = true;          // False: more than `total` match (see threshold).
  std::vector<Hit> hits;            // Best first; equal scores by ascending doc.
  std::vector<FacetResult> facets;  // One per FacetRequest, in order.
  std::string next_cursor;          // Pass as search_after for the next page.
  // When nothing matched: the query with misspelt words replaced by the most
  // frequent indexed words within two edits ("did you mean"), if that finds
  // something. Empty otherwise.
  std::string suggestion;
  uint64_t took_us = 0;  // Time spent in Search().
  // A fan-out search that went without some shards (allowed by the
  // request): those shards. Totals, hits and facets are then the other
  // shards' (total_exact false). Empty for a complete answer.
  std::vector<MissingShard> missing_shards;
};

struct SectionInfo {
  std::string kind;   // "postings", "term_blocks", ...
  std::string field;  // Empty for whole-index sections.
  uint64_t offset = 0;
  uint64_t bytes = 0;
};

struct FieldInfo {
  std::string name;
  FieldType type = FieldType::kText;
  bool indexed = false;  // Has terms (text and keyword fields).
  bool stored = false;
  // Text and keyword fields: docs with at least one term; int and float
  // fields: docs with a value.
  uint64_t doc_count = 0;
  uint64_t num_terms = 0;
  uint64_t total_terms = 0;  // Sum of field lengths.
  // Int and float fields: the smallest and largest value (as doubles, so
  // ints beyond 2^53 are rounded); both 0 when no document has a value.
  double min_value = 0;
  double max_value = 0;
};

// One segment of an index directory (docs/format.md, "Index directories").
struct SegmentInfo {
  std::string name;         // "s000001".
  uint64_t docs = 0;        // Docs in the segment, deleted ones included.
  uint64_t deleted = 0;     // Of those, deleted since it was written.
  uint64_t updated = 0;     // Docs with fields changed in place (IndexWriter::Set).
  uint64_t file_bytes = 0;  // Its segment file.
};

struct IndexInfo {
  std::string path;
  // Index directories: the commit's generation and its segments (in doc
  // order); 0 and empty for a single-file index.
  uint64_t generation = 0;
  std::vector<SegmentInfo> segments;
  uint32_t format_major = 0, format_minor = 0;
  uint64_t num_docs = 0;    // Live docs.
  uint64_t file_bytes = 0;  // Of an index directory: its segment files.
  std::string id_field;
  std::vector<FieldInfo> fields;
  std::vector<SectionInfo> sections;
};

// Thread-safety: an Index is immutable; Search() and every other method may
// be called from many threads at once. Lifetime: the Index owns the mapping;
// returned values are copies and outlive it.
//
// Replace an index file by rename (as IndexBuilder::Build does), never by
// writing over it: a file changed in place under an open Index makes every
// later call return Corruption ("changed under this reader"), but a search
// already reading it when it is truncated gets SIGBUS, which no check can
// prevent.
//
// An index directory (written by IndexWriter) opens at its latest commit, a
// snapshot: later commits are not seen. Its segments are searched with
// index-wide statistics and without deleted docs, so hits, scores, order and
// facet counts equal those of a single build of the same live documents
// (Hit::doc numbers differ: they count deleted docs too). Suggestions come
// from the largest segment's dictionary.
class LIBSEARCH_EXPORT Index {
 public:
  static Result<std::unique_ptr<Index>> Open(const std::string& path,
                                             const OpenOptions& options = {});
  virtual ~Index() = default;

  virtual Result<SearchResponse> Search(const SearchRequest& request) const = 0;

  // The index's latest commit as a new snapshot; this one is unchanged.
  // Segments both snapshots have are shared, not read again, so after a
  // small commit this costs about the new segments' opening. A single-file
  // index is opened again. Same options as this one.
  virtual Result<std::unique_ptr<Index>> Reopen() const = 0;

  // Runs each request in order on the calling thread; one result per request,
  // so a bad query fails alone.
  std::vector<Result<SearchResponse>> SearchBatch(const std::vector<SearchRequest>& requests) const;

  // The parsed, analysed query in Lucene-like notation, e.g.
  // "(+(product_name:appl^2 ingredients:appl) -ingredients:salt)".
  virtual Result<std::string> ExplainQuery(const SearchRequest& request) const = 0;

  // Stored fields of doc number `doc` (Hit::doc) as a JSON object; NotFound
  // past the last document. (Not to be confused with libsearch::Document,
  // the builder's input.)
  virtual Result<std::string> StoredDocument(uint32_t doc) const = 0;

  virtual const Schema& schema() const = 0;
  virtual uint64_t num_docs() const = 0;
  // Reads the numeric columns (their counts and ranges): Corruption if one
  // is damaged (ChecksumPolicy::kOff: never).
  virtual Result<IndexInfo> Info() const = 0;

  // Reads the whole file and checks every section checksum.
  virtual Status Verify() const = 0;
};

// The version of the library linked, "0.1.0" (LIBSEARCH_VERSION_STRING of
// libsearch/version.h is that of the headers compiled against).
LIBSEARCH_EXPORT const char* Version();

}  // namespace libsearch
