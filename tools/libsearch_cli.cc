// The `libsearch` command-line tool: a thin adapter over the public API.
#include <libsearch/libsearch.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli_common.h"
#include "cli_live.h"
#include "cli_shard.h"

namespace {

using Json = nlohmann::ordered_json;

using libsearch_cli::Fail;

// `options`: the flags' builder options (allow_empty, surface_words, threads).
int RunIndex(const std::string& schema_path, const std::vector<std::string>& inputs,
             const std::string& output, bool skip_bad, libsearch::IndexBuilderOptions options,
             const std::string& synonyms, double progress_seconds) {
  auto schema = libsearch::Schema::FromFile(schema_path);
  if (!schema.ok()) return Fail(schema.status());
  if (!synonyms.empty()) {
    auto groups = libsearch::LoadSynonyms(synonyms);
    if (!groups.ok()) return Fail(groups.status());
    options.synonyms = std::move(*groups);
  }
  auto builder = libsearch::IndexBuilder::Create(*schema, options);
  if (!builder.ok()) return Fail(builder.status());
  const bool tty = ::isatty(STDERR_FILENO) != 0;
  const auto start = std::chrono::steady_clock::now();
  auto seconds = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  libsearch::IngestOptions opts;
  opts.skip_bad = skip_bad;
  uint64_t skipped = 0;
  // Not a terminal (a CI log, a pipe): a whole line every few seconds, so a
  // long run shows it is alive without filling the log.
  double last_line = 0;
  bool logged = false;
  for (const std::string& input : inputs) {
    if (tty) {
      opts.progress = [&](uint64_t lines, uint64_t bytes) {
        const double s = seconds();
        std::fprintf(stderr, "\r%s: %llu lines, %.1f MB read, %.0f docs/s   ", input.c_str(),
                     static_cast<unsigned long long>(lines), static_cast<double>(bytes) / 1e6,
                     s > 0 ? static_cast<double>((*builder)->num_docs()) / s : 0.0);
      };
    } else {
      opts.progress = [&](uint64_t, uint64_t bytes) {
        const double s = seconds();
        if (s - last_line < progress_seconds) return;
        last_line = s;
        logged = true;
        std::fprintf(stderr, "indexed %llu docs (%.1f s; %s: %.1f MB read)\n",
                     static_cast<unsigned long long>((*builder)->num_docs()), s, input.c_str(),
                     static_cast<double>(bytes) / 1e6);
      };
    }
    auto stats = (*builder)->AddJsonl(input, opts);
    if (tty) std::fprintf(stderr, "\n");
    if (!stats.ok()) {
      std::cerr << "libsearch: nothing written to " << output
                << " (use --skip-bad to skip bad lines)\n";
      return Fail(stats.status());
    }
    skipped += stats->lines_skipped;
    for (const std::string& e : stats->errors) std::cerr << "skipped: " << e << "\n";
    if (stats->lines_skipped > stats->errors.size()) {
      std::cerr << "skipped: ... and " << stats->lines_skipped - stats->errors.size() << " more\n";
    }
  }
  if (logged) {
    std::fprintf(stderr, "writing %s (%llu docs, %.1f s)\n", output.c_str(),
                 static_cast<unsigned long long>((*builder)->num_docs()), seconds());
  }
  const libsearch::Status s = (*builder)->Build(output);
  if (!s.ok()) return Fail(s);
  const double secs = seconds();
  std::printf("indexed %llu docs (%llu bad lines skipped) into %s in %.2f s (%.0f docs/s)\n",
              static_cast<unsigned long long>((*builder)->num_docs()),
              static_cast<unsigned long long>(skipped), output.c_str(), secs,
              secs > 0 ? static_cast<double>((*builder)->num_docs()) / secs : 0.0);
  return 0;
}

struct Scoring {
  libsearch::Bm25Params bm25;  // Checked by Index::Open (ValidateBm25Params).
  std::string synonyms;        // Synonym file applied at search time.
  std::string checksums = libsearch::ChecksumPolicyName(libsearch::OpenOptions().checksums);
};

libsearch::Result<libsearch::OpenOptions> OpenOpts(const Scoring& scoring) {
  libsearch::OpenOptions o;
  auto checksums = libsearch::ParseChecksumPolicy(scoring.checksums);
  if (!checksums.ok()) return checksums.status();
  o.checksums = *checksums;
  o.bm25 = scoring.bm25;
  if (!scoring.synonyms.empty()) {
    auto groups = libsearch::LoadSynonyms(scoring.synonyms);
    if (!groups.ok()) return groups.status();
    o.synonyms = std::move(*groups);
  }
  return o;
}

// Search flags given on the command line, as JSON model keys. Only flags
// given explicitly become keys, so an index's search_defaults still apply.
struct SearchFlags {
  Json keys = Json::object();
};

Json CommaList(const std::string& s) {
  Json out = Json::array();
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// The request flags `search` and `batch` share; each sets its JSON key.
void AddRequestFlags(CLI::App* cmd, SearchFlags* flags) {
  Json* keys = &flags->keys;
  using Strings = std::vector<std::string>;
  cmd->add_option_function<size_t>(
      "--k", [keys](const size_t& v) { (*keys)["k"] = v; }, "Hits to return (default 10)");
  cmd->add_option_function<size_t>(
      "--offset", [keys](const size_t& v) { (*keys)["offset"] = v; }, "Hits to skip (pagination)");
  cmd->add_option_function<std::string>(
      "--fields", [keys](const std::string& v) { (*keys)["fields"] = CommaList(v); },
      "Comma-separated fields for bare words (default: all text fields)");
  cmd->add_option_function<std::string>(
         "--operator", [keys](const std::string& v) { (*keys)["operator"] = v; },
         "Default operator: and | or (default and)")
      ->check(CLI::IsMember({"and", "or"}));
  cmd->add_option_function<Strings>(
      "--filter", [keys](const Strings& v) { (*keys)["filters"] = v; },
      "Filter in query syntax, e.g. 'sugars_100g:<5' (repeatable; never changes scores)");
  cmd->add_option_function<Strings>(
      "--facet", [keys](const Strings& v) { (*keys)["facets"] = v; },
      "Facet counts: FIELD[:SIZE] for keywords, FIELD:LO..HI,... for numbers (repeatable)");
  cmd->add_option_function<Strings>(
      "--disjunctive", [keys](const Strings& v) { (*keys)["disjunctive"] = v; },
      "Count this facet field as if filters on it were lifted (repeatable)");
  cmd->add_option_function<std::string>(
      "--sort", [keys](const std::string& v) { (*keys)["sort"] = v; },
      "Sort by FIELD[:asc|desc],... then score (_score is relevance)");
  cmd->add_option_function<Strings>(
      "--highlight", [keys](const Strings& v) { (*keys)["highlight"] = v; },
      "Stored text field to return a marked snippet of (repeatable)");
  cmd->add_option_function<std::string>(
      "--retrieve", [keys](const std::string& v) { (*keys)["retrieve"] = CommaList(v); },
      "Comma-separated stored fields to return (default: all)");
  cmd->add_option_function<std::string>(
         "--syntax", [keys](const std::string& v) { (*keys)["syntax"] = v; },
         "Query syntax: simple (any text is searched; malformed syntax becomes words) | full "
         "(strict, errors with positions)")
      ->check(CLI::IsMember({"simple", "full"}));
  cmd->add_option_function<std::string>(
         "--field-scoring", [keys](const std::string& v) { (*keys)["field_scoring"] = v; },
         "A word over several text fields: bm25f (scored as one field, each field's length "
         "normalised on its own; the default) | bm25f_combined_length (one length: the "
         "fields' boosted lengths summed, as Lucene's CombinedFieldQuery) | per_field (a BM25 "
         "per field, summed)")
      ->check(CLI::IsMember({"bm25f", "bm25f_combined_length", "per_field"}));
  cmd->add_option_function<uint32_t>(
      "--max-expansions", [keys](const uint32_t& v) { (*keys)["max_expansions"] = v; },
      "Prefix and typo expansions per word (default 50)");
  cmd->add_flag_function(
      "--prefix", [keys](int64_t) { (*keys)["prefix"] = true; },
      "Search-as-you-type: the last word also matches as a prefix");
  cmd->add_flag_function(
      "--typos", [keys](int64_t) { (*keys)["typos"] = true; },
      "Typo tolerance: 1 edit for 5-8 letter words, 2 for longer");
  cmd->add_flag_function(
      "--no-synonyms", [keys](int64_t) { (*keys)["synonyms"] = false; },
      "Do not apply the index's synonym groups");
  cmd->add_flag_function(
      "--no-suggest", [keys](int64_t) { (*keys)["suggest"] = false; },
      "No \"did you mean\" when nothing matches");
  cmd->add_flag_function(
      "--exact-total", [keys](int64_t) { (*keys)["exact_total"] = true; },
      "Count every match exactly (default: exact up to 1000, then a lower bound)");
}

// The CLI is the index owner's tool: network limits do not apply. JSON
// text cannot carry invalid UTF-8: such bytes in a flag become U+FFFD.
libsearch::Result<libsearch::SearchRequest> RequestFor(const libsearch::Index& index,
                                                       const Json& keys) {
  return libsearch::ParseSearchRequest(
      index, keys.dump(-1, ' ', false, Json::error_handler_t::replace), libsearch::OwnerLimits());
}

int RunSearch(const std::string& path, const std::string& query, const SearchFlags& flags,
              bool json, bool explain, const Scoring& scoring) {
  auto opts = OpenOpts(scoring);
  if (!opts.ok()) return Fail(opts.status());
  auto index = libsearch::Index::Open(path, *opts);
  if (!index.ok()) return Fail(index.status());
  auto req = RequestFor(**index, flags.keys);
  if (!req.ok()) return Fail(req.status());
  // As typed, not through JSON: the search rejects invalid UTF-8 with its offset.
  req->query = query;
  if (explain) {
    auto text = (*index)->ExplainQuery(*req);
    if (!text.ok()) return Fail(text.status());
    std::cout << *text << "\n";
    return 0;
  }
  auto resp = (*index)->Search(*req);
  if (!resp.ok()) return Fail(resp.status());
  if (json) {
    std::cout << libsearch::SearchResponseToJson(*resp, *req) << "\n";
    return 0;
  }
  std::printf("%s%llu matches in %llu us\n", resp->total_exact ? "" : "at least ",
              static_cast<unsigned long long>(resp->total),
              static_cast<unsigned long long>(resp->took_us));
  const std::string& id_field = (*index)->schema().id_field();
  for (size_t i = 0; i < resp->hits.size(); ++i) {
    const auto& h = resp->hits[i];
    Json doc = Json::parse(h.doc_json, nullptr, false);
    std::string title;
    // Show the first stored string field other than the id as a title.
    if (doc.is_object()) {
      for (auto it = doc.begin(); it != doc.end(); ++it) {
        if (it.key() != id_field && it.value().is_string() &&
            !it.value().get<std::string>().empty()) {
          title = it.value().get<std::string>();
          break;
        }
      }
    }
    if (title.size() > 90) title = title.substr(0, 87) + "...";
    std::printf("%3zu. %8.4f  %-16s %s\n", req->offset + i + 1, static_cast<double>(h.score),
                h.id.c_str(), title.c_str());
    for (const auto& [field, snippet] : h.highlights) {
      std::printf("       %s: %s\n", field.c_str(), snippet.c_str());
    }
  }
  for (const libsearch::FacetResult& f : resp->facets) {
    std::printf("facet %s:", f.field.c_str());
    for (const auto& v : f.values) {
      std::printf("  %s (%llu)", v.value.c_str(), static_cast<unsigned long long>(v.count));
    }
    std::printf("\n");
  }
  if (!resp->suggestion.empty()) std::printf("did you mean: %s\n", resp->suggestion.c_str());
  if (!resp->next_cursor.empty() && !resp->hits.empty()) {
    std::printf("next page: --search-after %s\n", resp->next_cursor.c_str());
  }
  return 0;
}

// Each line is {"id": ..., ...any request key}; the flags given are the
// keys every line starts from (a line's own keys override them).
int RunBatch(const std::string& path, const std::string& queries, const SearchFlags& flags,
             const std::string& format, const Scoring& scoring, bool skip_bad) {
  auto opts = OpenOpts(scoring);
  if (!opts.ok()) return Fail(opts.status());
  auto index = libsearch::Index::Open(path, *opts);
  if (!index.ok()) return Fail(index.status());
  auto base = RequestFor(**index, flags.keys);
  if (!base.ok()) return Fail(base.status());
  std::ifstream in(queries);
  if (!in) return Fail(libsearch::Status::NotFound("cannot open queries file '" + queries + "'"));
  std::string line;
  size_t line_no = 0, skipped = 0;
  const libsearch::JsonLimits limits = libsearch::OwnerLimits();
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = queries + ":" + std::to_string(line_no);
    libsearch::Status status;
    libsearch::SearchRequest req = *base;
    libsearch::Result<libsearch::BatchQueryId> id =
        libsearch::ParseBatchQueryInto(line, limits, &req);
    if (!id.ok()) status = id.status();
    libsearch::Result<libsearch::SearchResponse> resp =
        status.ok() ? (*index)->Search(req) : libsearch::Result<libsearch::SearchResponse>(status);
    if (!resp.ok()) {
      if (!skip_bad || resp.status().code() != libsearch::StatusCode::kInvalidArgument) {
        return Fail(resp.status().WithContext(where));
      }
      std::cerr << "skipped: " << where << ": " << resp.status().message() << "\n";
      ++skipped;
      continue;
    }
    if (format == "trec") {
      const std::string& qid = id->text;
      for (size_t i = 0; i < resp->hits.size(); ++i) {
        std::printf("%s Q0 %s %zu %.6f libsearch\n", qid.c_str(), resp->hits[i].id.c_str(), i + 1,
                    static_cast<double>(resp->hits[i].score));
      }
    } else {
      // {"id": <as given>, then every response key}.
      const std::string body = libsearch::SearchResponseToJson(*resp, req);
      std::cout << "{\"id\":" << id->json << "," << std::string_view(body).substr(1) << "\n";
    }
  }
  if (skipped > 0) std::cerr << "skipped " << skipped << " bad queries\n";
  return 0;
}

int RunInfo(const std::string& path, const Scoring& scoring) {
  auto opts = OpenOpts(scoring);
  if (!opts.ok()) return Fail(opts.status());
  auto index = libsearch::Index::Open(path, *opts);
  if (!index.ok()) return Fail(index.status());
  const libsearch::Result<libsearch::IndexInfo> read = (*index)->Info();
  if (!read.ok()) return Fail(read.status());
  const libsearch::IndexInfo& info = *read;
  std::printf(
      "index     %s\nformat    %u.%u\ndocuments %llu\nsize      %llu bytes\nid field  %s\n\n",
      info.path.c_str(), info.format_major, info.format_minor,
      static_cast<unsigned long long>(info.num_docs),
      static_cast<unsigned long long>(info.file_bytes), info.id_field.c_str());
  if (info.generation > 0) {  // An index directory: its commit and segments.
    std::printf("generation %llu\n%-10s %12s %12s %12s %14s\n",
                static_cast<unsigned long long>(info.generation), "segment", "docs", "deleted",
                "updated", "bytes");
    for (const auto& seg : info.segments) {
      std::printf("%-10s %12llu %12llu %12llu %14llu\n", seg.name.c_str(),
                  static_cast<unsigned long long>(seg.docs),
                  static_cast<unsigned long long>(seg.deleted),
                  static_cast<unsigned long long>(seg.updated),
                  static_cast<unsigned long long>(seg.file_bytes));
    }
    std::printf("\n");
  }
  // Text and keyword fields: docs with a term, distinct terms, tokens.
  // Int and float fields have no terms but a column (range filters, facets,
  // sorting): docs with a value, and the smallest and largest value.
  std::printf("%-22s %-8s %-7s %-6s %10s %10s %12s\n", "field", "type", "indexed", "stored", "docs",
              "terms", "tokens");
  bool has_numeric = false;
  for (const auto& f : info.fields) {
    const bool numeric =
        f.type == libsearch::FieldType::kInt || f.type == libsearch::FieldType::kFloat;
    std::printf("%-22s %-8s %-7s %-6s %10llu ", f.name.c_str(),
                std::string(libsearch::FieldTypeName(f.type)).c_str(),
                numeric ? "column" : (f.indexed ? "yes" : "no"), f.stored ? "yes" : "no",
                static_cast<unsigned long long>(f.doc_count));
    if (numeric) {
      has_numeric = true;
      char lo[40] = "-", hi[40] = "-";
      if (f.doc_count > 0) {
        std::snprintf(lo, sizeof(lo), "min %.10g", f.min_value);
        std::snprintf(hi, sizeof(hi), "max %.10g", f.max_value);
      }
      std::printf("%10s %12s\n", lo, hi);
    } else {
      std::printf("%10llu %12llu\n", static_cast<unsigned long long>(f.num_terms),
                  static_cast<unsigned long long>(f.total_terms));
    }
  }
  if (has_numeric) {
    std::printf("(int and float fields: docs with a value, smallest and largest value)\n");
  }
  if (info.generation > 0) {
    std::printf("(live docs; terms: the most of any one segment)\n");
    return 0;
  }
  std::printf("\n%-18s %-22s %12s %12s\n", "section", "field", "offset", "bytes");
  for (const auto& s : info.sections) {
    std::printf("%-18s %-22s %12llu %12llu\n", s.kind.c_str(), s.field.c_str(),
                static_cast<unsigned long long>(s.offset),
                static_cast<unsigned long long>(s.bytes));
  }
  return 0;
}

int RunVerify(const std::string& path) {
  auto index = libsearch::Index::Open(path);
  if (!index.ok()) return Fail(index.status());
  const libsearch::Status s = (*index)->Verify();
  if (!s.ok()) return Fail(s);
  std::printf("%s: OK (%llu documents, every section checksum matches)\n", path.c_str(),
              static_cast<unsigned long long>((*index)->num_docs()));
  return 0;
}

int RunCli(int argc, char** argv) {
  CLI::App app{std::string("libsearch ") + libsearch::Version() +
               " - index and search product catalogues"};
  app.set_version_flag("--version", std::string("libsearch ") + libsearch::Version());
  app.require_subcommand(1);

  std::string schema, output, index_path, query, queries, format = "trec";
  std::vector<std::string> inputs;
  SearchFlags search_flags, batch_flags;
  bool skip_bad = false, json = false, explain = false;
  Scoring scoring;
  // Every command that opens an index to read it (verify checks everything).
  auto add_checksums = [&scoring](CLI::App* cmd) {
    cmd->add_option("--checksums", scoring.checksums,
                    "When section checksums are checked: first-use (each section the first "
                    "time it is read), open (the whole file first) or off")
        ->capture_default_str();
  };
  auto add_scoring = [&scoring, &add_checksums](CLI::App* cmd) {
    add_checksums(cmd);
    cmd->add_option("--k1", scoring.bm25.k1, "BM25 k1 (term-frequency saturation, >= 0)")
        ->capture_default_str();
    cmd->add_option("--b", scoring.bm25.b, "BM25 b (length normalisation, 0 to 1)")
        ->capture_default_str();
    cmd->add_option("--synonyms", scoring.synonyms,
                    "Synonym file (one group per line: 'tv, television'), added to the index's own")
        ->check(CLI::ExistingFile);
  };

  CLI::App* idx = app.add_subcommand(
      "index",
      "Build an index file, or an index directory that `update` can change, from JSON Lines");
  idx->add_option("--schema", schema, "Schema JSON file")->required()->check(CLI::ExistingFile);
  idx->add_option("--input", inputs, "JSON Lines input (.jsonl, .jsonl.gz, .jsonl.zst); repeatable")
      ->required();
  idx->add_option("--output", output,
                  "Index file to write (atomically); a path ending in '/' or an existing "
                  "directory makes an index directory")
      ->required();
  bool live = false;
  idx->add_flag("--live", live, "Write an index directory (that `update` can change) at --output");
  idx->add_flag("--skip-bad", skip_bad, "Skip and count bad lines instead of failing");
  bool allow_empty = false;
  idx->add_flag("--allow-empty", allow_empty,
                "Write the index even with 0 documents over an existing non-empty index");
  double progress_seconds = 5;
  idx->add_option("--progress-seconds", progress_seconds,
                  "When stderr is not a terminal, print a progress line this often")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  std::string index_synonyms;
  idx->add_option("--synonyms", index_synonyms, "Synonym file stored in the index")
      ->check(CLI::ExistingFile);
  bool no_surface_words = false;
  idx->add_flag("--no-surface-words", no_surface_words,
                "Leave out the words typos and 'did you mean' match on (smaller; typos then "
                "match stems, and no suggestions)");
  // The document store's compression (IndexBuilderOptions): `make package`
  // builds the bundled index with a higher level and larger blocks, which
  // change the file's size and fetch cost, never the answers.
  int docstore_level = libsearch::IndexBuilderOptions{}.docstore_zstd_level;
  idx->add_option("--docstore-level", docstore_level,
                  "zstd level of the stored-document blocks (1 to 22; higher: smaller file, "
                  "slower build)")
      ->check(CLI::Range(1, 22))
      ->capture_default_str();
  uint32_t docstore_block_bytes = libsearch::IndexBuilderOptions{}.docstore_block_bytes;
  idx->add_option("--docstore-block-bytes", docstore_block_bytes,
                  "Uncompressed bytes per stored-document block (larger: smaller file, each "
                  "fetched hit decompresses more)")
      ->check(CLI::Range(uint32_t{512}, uint32_t{1} << 20))
      ->capture_default_str();
  uint32_t threads = 0;
  idx->add_option("--threads", threads,
                  "Threads that analyse text (0: one per hardware thread; the file is the same "
                  "for any number)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();

  CLI::App* shard = app.add_subcommand(
      "shard",
      "Build a sharded index from JSON Lines: documents routed to N index directories by a hash "
      "of their id, searched as one index (search, batch, info, verify, update, compact)");
  shard->add_option("--schema", schema, "Schema JSON file")->required()->check(CLI::ExistingFile);
  shard
      ->add_option("--input", inputs,
                   "JSON Lines input (.jsonl, .jsonl.gz, .jsonl.zst); repeatable")
      ->required();
  shard->add_option("--output", output, "Directory of the sharded index (its shard map and shards)")
      ->required();
  uint32_t num_shards = 0;
  shard->add_option("--shards", num_shards, "Number of shards (1 to 4096)")->required();
  size_t shard_threads = 0;
  shard->add_option("--threads", shard_threads, "Shards committed at once (0: one per core)")
      ->capture_default_str();
  shard->add_flag("--skip-bad", skip_bad, "Skip and count bad lines instead of failing");
  shard->add_option("--synonyms", index_synonyms, "Synonym file stored in every shard")
      ->check(CLI::ExistingFile);
  bool no_stats = false;
  shard->add_flag("--no-stats", no_stats,
                  "Do not publish the statistics (DIR/stats) that let one shard be served alone "
                  "behind a fan-out coordinator (libsearch-service --shard, LIBSEARCH_SHARD)");

  CLI::App* search = app.add_subcommand(
      "search",
      "Run one query (full syntax by default: malformed syntax is an error; --syntax simple)");
  search->add_option("index", index_path, "Index file, index directory or sharded index")
      ->required();
  search->add_option("query", query, "Query text")->required();
  search->add_flag("--json", json, "Print the JSON model's response (README \"Search API\")");
  search->add_flag("--explain", explain, "Print the parsed query instead of results");
  search->add_option_function<std::string>(
      "--search-after",
      [&search_flags](const std::string& v) { search_flags.keys["search_after"] = v; },
      "Cursor from the previous page (next_cursor)");
  AddRequestFlags(search, &search_flags);
  add_scoring(search);

  CLI::App* batch = app.add_subcommand(
      "batch", "Run many requests from a JSON Lines file (simple syntax by default)");
  batch->add_option("index", index_path, "Index file, index directory or sharded index")
      ->required();
  batch
      ->add_option("--queries", queries,
                   "JSON Lines: {\"id\": ..., \"query\": ..., ...any request key}; flags give "
                   "every line's defaults")
      ->required();
  batch->add_option("--format", format, "trec | json (every response key per line)")
      ->check(CLI::IsMember({"trec", "json"}))
      ->capture_default_str();
  batch->add_flag("--skip-bad", skip_bad, "Report invalid requests on stderr and go on");
  AddRequestFlags(batch, &batch_flags);
  add_scoring(batch);

  CLI::App* update = app.add_subcommand(
      "update", "Apply a change file to an index directory: upserts, deletes, _set; one commit");
  update->add_option("index", index_path, "Index directory or sharded index")->required();
  std::vector<std::string> changes;
  update
      ->add_option(
          "--input", changes,
          "JSON Lines of changes: a document (upsert), {\"ID\": ..., \"_delete\": true} or "
          "{\"ID\": ..., \"_set\": {FIELD: VALUE, ...}}; repeatable")
      ->required();
  update->add_flag("--skip-bad", skip_bad, "Skip and count bad lines instead of failing");
  bool no_merge = false;
  update->add_flag("--no-merge", no_merge, "Do not merge segments after the commit");
  CLI::App* compact = app.add_subcommand(
      "compact", "Merge an index directory's segments into one, dropping deleted documents");
  compact->add_option("index", index_path, "Index directory or sharded index")->required();

  CLI::App* info = app.add_subcommand("info", "Show counts, fields and section sizes");
  info->add_option("index", index_path, "Index file or directory")->required();
  add_checksums(info);
  CLI::App* verify = app.add_subcommand("verify", "Check every checksum in an index file");
  verify->add_option("index", index_path, "Index file, index directory or sharded index")
      ->required();

  app.footer(
      "Which deployment? The advisor is its own command: libsearch-advisor profile|advise "
      "(advisor/).");

  if (const std::optional<int> exit_code = libsearch_cli::ParseCommandLine(app, argc, argv)) {
    return *exit_code;
  }
  if (*idx) {
    if (libsearch_cli::WantsIndexDirectory(output, live)) {
      if (no_surface_words) {
        return Fail(libsearch::Status::InvalidArgument(
            "--no-surface-words is for index files: an index directory's segments always keep "
            "their words (drop the flag, or give a file path as --output)"));
      }
      if (idx->count("--threads") > 0) {
        return Fail(libsearch::Status::InvalidArgument(
            "--threads is for index files: an index directory's commits use one thread per "
            "hardware thread (drop the flag, or give a file path as --output)"));
      }
      if (idx->count("--docstore-level") + idx->count("--docstore-block-bytes") > 0) {
        return Fail(libsearch::Status::InvalidArgument(
            "--docstore-level and --docstore-block-bytes are for index files (drop them, or "
            "give a file path as --output)"));
      }
      return libsearch_cli::RunIndexDirectory(schema, inputs, output, skip_bad, index_synonyms);
    }
    libsearch::IndexBuilderOptions options;
    options.docstore_zstd_level = docstore_level;
    options.docstore_block_bytes = docstore_block_bytes;
    options.allow_empty = allow_empty;
    options.surface_words = !no_surface_words;
    options.threads = threads;
    return RunIndex(schema, inputs, output, skip_bad, options, index_synonyms, progress_seconds);
  }
  if (*shard) {
    return libsearch_cli::RunShard(schema, inputs, output, num_shards, skip_bad, index_synonyms,
                                   shard_threads, !no_stats);
  }
  if (*update) return libsearch_cli::RunUpdate(index_path, changes, skip_bad, !no_merge);
  if (*compact) return libsearch_cli::RunCompact(index_path);
  if (*search) {
    if (!search_flags.keys.contains("syntax")) search_flags.keys["syntax"] = "full";
    return RunSearch(index_path, query, search_flags, json, explain, scoring);
  }
  if (*batch) {
    // trec output lists ids only: no stored documents to fetch.
    if (format == "trec" && !batch_flags.keys.contains("include_docs")) {
      batch_flags.keys["include_docs"] = false;
    }
    return RunBatch(index_path, queries, batch_flags, format, scoring, skip_bad);
  }
  if (*info) return RunInfo(index_path, scoring);
  if (*verify) return RunVerify(index_path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Only allocation failure or a library bug can throw this far.
  try {
    return RunCli(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "libsearch: fatal: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "libsearch: fatal: unknown exception\n");
  }
  return 1;
}
