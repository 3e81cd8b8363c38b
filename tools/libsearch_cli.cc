// The `libsearch` command-line tool: a thin adapter over the public API.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <libsearch/libsearch.h>
#include <nlohmann/json.hpp>
#include <sstream>

namespace {

using Json = nlohmann::ordered_json;

int Fail(const libsearch::Status& s) {
  std::cerr << "libsearch: " << s.ToString() << "\n";
  switch (s.code()) {
    case libsearch::StatusCode::kInvalidArgument: return 2;
    case libsearch::StatusCode::kNotFound: return 3;
    case libsearch::StatusCode::kCorruption: return 4;
    default: return 1;
  }
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// Scores are floats; print the shortest decimal that reads back to the same
// float (15.7663536), not the double widening (15.766353607177734).
double FloatForJson(float f) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(f));
  return std::strtod(buf, nullptr);
}

Json HitsJson(const libsearch::SearchResponse& resp, bool with_docs) {
  Json hits = Json::array();
  for (const auto& h : resp.hits) {
    Json hit = {{"id", h.id}, {"score", FloatForJson(h.score)}};
    if (with_docs) hit["doc"] = Json::parse(h.doc_json, nullptr, false);
    if (!h.highlights.empty()) {
      Json hl = Json::object();
      for (const auto& [field, snippet] : h.highlights) hl[field] = snippet;
      hit["highlights"] = std::move(hl);
    }
    hits.push_back(std::move(hit));
  }
  return hits;
}

// {"field": [{"value": ..., "count": ...}, ...]} in request order.
Json FacetsJson(const libsearch::SearchResponse& resp) {
  Json facets = Json::object();
  for (const libsearch::FacetResult& f : resp.facets) {
    Json values = Json::array();
    for (const auto& v : f.values) values.push_back({{"value", v.value}, {"count", v.count}});
    facets[f.field] = std::move(values);
  }
  return facets;
}

int RunIndex(const std::string& schema_path, const std::vector<std::string>& inputs,
             const std::string& output, bool skip_bad, const std::string& synonyms) {
  auto schema = libsearch::Schema::FromFile(schema_path);
  if (!schema.ok()) return Fail(schema.status());
  libsearch::IndexBuilderOptions options;
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
  for (const std::string& input : inputs) {
    const uint64_t before = (*builder)->num_docs();
    if (tty) {
      opts.progress = [&](uint64_t lines, uint64_t bytes) {
        const double s = seconds();
        std::fprintf(stderr, "\r%s: %llu lines, %.1f MB read, %.0f docs/s   ", input.c_str(),
                     static_cast<unsigned long long>(lines), static_cast<double>(bytes) / 1e6,
                     s > 0 ? static_cast<double>((*builder)->num_docs()) / s : 0.0);
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
      std::cerr << "skipped: ... and " << stats->lines_skipped - stats->errors.size()
                << " more\n";
    }
    (void)before;
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

libsearch::Operator ParseOperator(const std::string& op) {
  return op == "or" ? libsearch::Operator::kOr : libsearch::Operator::kAnd;
}

struct Scoring {
  float k1 = 1.2f;
  float b = 0.75f;
  bool exact_total = false;
  std::string synonyms;  // Synonym file applied at search time.
};

libsearch::Result<libsearch::OpenOptions> OpenOpts(const Scoring& scoring) {
  libsearch::OpenOptions o;
  o.bm25_k1 = scoring.k1;
  o.bm25_b = scoring.b;
  if (!scoring.synonyms.empty()) {
    auto groups = libsearch::LoadSynonyms(scoring.synonyms);
    if (!groups.ok()) return groups.status();
    o.synonyms = std::move(*groups);
  }
  return o;
}

// `--facet brand`, `--facet brand:20`, `--facet sugars_100g:0..5,5..10,10..*`.
libsearch::Result<libsearch::FacetRequest> ParseFacet(const std::string& spec,
                                                      const std::vector<std::string>& disjunctive) {
  libsearch::FacetRequest f;
  const size_t colon = spec.find(':');
  f.field = spec.substr(0, colon);
  f.disjunctive = std::find(disjunctive.begin(), disjunctive.end(), f.field) != disjunctive.end();
  if (colon == std::string::npos) return f;
  const std::string rest = spec.substr(colon + 1);
  if (rest.find("..") == std::string::npos) {
    char* end = nullptr;
    f.size = std::strtoul(rest.c_str(), &end, 10);
    if (end == rest.c_str() || *end != '\0') {
      return libsearch::Status::InvalidArgument("--facet '" + spec +
                                                "': expected FIELD, FIELD:SIZE or FIELD:LO..HI,...");
    }
    return f;
  }
  for (const std::string& r : SplitComma(rest)) {
    const size_t dots = r.find("..");
    libsearch::FacetRequest::Range range;
    range.label = r;
    const std::string lo = r.substr(0, dots), hi = dots == std::string::npos ? "" : r.substr(dots + 2);
    char* end = nullptr;
    if (dots == std::string::npos) {
      return libsearch::Status::InvalidArgument("--facet '" + spec + "': range '" + r + "' needs LO..HI");
    }
    if (lo != "*" && !lo.empty()) {
      range.from = std::strtod(lo.c_str(), &end);
      if (*end != '\0') return libsearch::Status::InvalidArgument("--facet '" + spec + "': bad number '" + lo + "'");
    }
    if (hi != "*" && !hi.empty()) {
      range.to = std::strtod(hi.c_str(), &end);
      if (*end != '\0') return libsearch::Status::InvalidArgument("--facet '" + spec + "': bad number '" + hi + "'");
    }
    f.ranges.push_back(range);
  }
  return f;
}

// `--sort price,_score` or `--sort price:desc`.
libsearch::Result<std::vector<libsearch::SortField>> ParseSort(const std::string& spec) {
  std::vector<libsearch::SortField> out;
  for (const std::string& item : SplitComma(spec)) {
    libsearch::SortField s;
    const size_t colon = item.find(':');
    s.field = item.substr(0, colon);
    const std::string dir = colon == std::string::npos ? "asc" : item.substr(colon + 1);
    if (dir != "asc" && dir != "desc") {
      return libsearch::Status::InvalidArgument("--sort '" + item + "': direction must be asc or desc");
    }
    s.descending = dir == "desc";
    out.push_back(s);
  }
  return out;
}

struct SearchExtras {
  std::vector<std::string> filters, facets, disjunctive;
  std::string sort, search_after;
  bool prefix = false, typos = false;
  std::vector<std::string> highlight;
};

int RunSearch(const std::string& path, const std::string& query, size_t k, size_t offset,
              const std::string& fields, const std::string& op, bool json, bool explain,
              const Scoring& scoring, const SearchExtras& extras) {
  auto opts = OpenOpts(scoring);
  if (!opts.ok()) return Fail(opts.status());
  auto index = libsearch::Index::Open(path, *opts);
  if (!index.ok()) return Fail(index.status());
  libsearch::SearchRequest req;
  req.query = query;
  req.k = k;
  req.offset = offset;
  req.fields = SplitComma(fields);
  req.default_operator = ParseOperator(op);
  req.filters = extras.filters;
  req.search_after = extras.search_after;
  req.prefix_last = extras.prefix;
  req.highlight.fields = extras.highlight;
  req.typos = extras.typos;
  for (const std::string& spec : extras.facets) {
    auto f = ParseFacet(spec, extras.disjunctive);
    if (!f.ok()) return Fail(f.status());
    req.facets.push_back(std::move(*f));
  }
  auto sort = ParseSort(extras.sort);
  if (!sort.ok()) return Fail(sort.status());
  req.sort = std::move(*sort);
  if (scoring.exact_total) req.total_hits_threshold = libsearch::SearchRequest::kExactTotal;
  if (explain) {
    auto text = (*index)->ExplainQuery(req);
    if (!text.ok()) return Fail(text.status());
    std::cout << *text << "\n";
    return 0;
  }
  auto resp = (*index)->Search(req);
  if (!resp.ok()) return Fail(resp.status());
  if (json) {
    Json out = {{"total", resp->total}, {"total_exact", resp->total_exact},
                {"took_us", resp->took_us}, {"hits", HitsJson(*resp, true)}};
    if (!resp->facets.empty()) out["facets"] = FacetsJson(*resp);
    if (!resp->next_cursor.empty()) out["next_cursor"] = resp->next_cursor;
    if (!resp->suggestion.empty()) out["suggestion"] = resp->suggestion;
    std::cout << out.dump() << "\n";
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
        if (it.key() != id_field && it.value().is_string() && !it.value().get<std::string>().empty()) {
          title = it.value().get<std::string>();
          break;
        }
      }
    }
    if (title.size() > 90) title = title.substr(0, 87) + "...";
    std::printf("%3zu. %8.4f  %-16s %s\n", offset + i + 1, static_cast<double>(h.score),
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

int RunBatch(const std::string& path, const std::string& queries, size_t k,
             const std::string& format, const std::string& fields, const std::string& op,
             const Scoring& scoring, bool skip_bad) {
  auto opts = OpenOpts(scoring);
  if (!opts.ok()) return Fail(opts.status());
  auto index = libsearch::Index::Open(path, *opts);
  if (!index.ok()) return Fail(index.status());
  std::ifstream in(queries);
  if (!in) return Fail(libsearch::Status::NotFound("cannot open queries file '" + queries + "'"));
  std::string line;
  size_t line_no = 0, skipped = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = queries + ":" + std::to_string(line_no);
    Json q = Json::parse(line, nullptr, false);
    if (!q.is_object() || !q.contains("query") || !q["query"].is_string() || !q.contains("id")) {
      return Fail(libsearch::Status::InvalidArgument(
          where + ": expected {\"id\": \"...\", \"query\": \"...\"}"));
    }
    const std::string qid = q["id"].is_string() ? q["id"].get<std::string>() : q["id"].dump();
    libsearch::SearchRequest req;
    req.query = q["query"].get<std::string>();
    req.k = k;
    req.fields = SplitComma(fields);
    req.default_operator = ParseOperator(op);
    req.include_docs = format == "json";
    if (scoring.exact_total) req.total_hits_threshold = libsearch::SearchRequest::kExactTotal;
    auto resp = (*index)->Search(req);
    if (!resp.ok()) {
      if (!skip_bad || resp.status().code() != libsearch::StatusCode::kInvalidArgument) {
        return Fail(resp.status().WithContext(where));
      }
      std::cerr << "skipped: " << where << ": " << resp.status().message() << "\n";
      ++skipped;
      continue;
    }
    if (format == "trec") {
      for (size_t i = 0; i < resp->hits.size(); ++i) {
        std::printf("%s Q0 %s %zu %.6f libsearch\n", qid.c_str(), resp->hits[i].id.c_str(), i + 1,
                    static_cast<double>(resp->hits[i].score));
      }
    } else {
      Json out = {{"id", qid}, {"total", resp->total}, {"total_exact", resp->total_exact},
                  {"took_us", resp->took_us}, {"hits", HitsJson(*resp, true)}};
      std::cout << out.dump() << "\n";
    }
  }
  if (skipped > 0) std::cerr << "skipped " << skipped << " bad queries\n";
  return 0;
}

int RunInfo(const std::string& path) {
  auto index = libsearch::Index::Open(path);
  if (!index.ok()) return Fail(index.status());
  const libsearch::IndexInfo info = (*index)->Info();
  std::printf("index     %s\nformat    %u.%u\ndocuments %llu\nsize      %llu bytes\nid field  %s\n\n",
              info.path.c_str(), info.format_major, info.format_minor,
              static_cast<unsigned long long>(info.num_docs),
              static_cast<unsigned long long>(info.file_bytes), info.id_field.c_str());
  std::printf("%-22s %-8s %-7s %-6s %10s %10s %12s\n", "field", "type", "indexed", "stored",
              "docs", "terms", "tokens");
  for (const auto& f : info.fields) {
    std::printf("%-22s %-8s %-7s %-6s %10llu %10llu %12llu\n", f.name.c_str(),
                std::string(libsearch::FieldTypeName(f.type)).c_str(), f.indexed ? "yes" : "no",
                f.stored ? "yes" : "no", static_cast<unsigned long long>(f.doc_count),
                static_cast<unsigned long long>(f.num_terms),
                static_cast<unsigned long long>(f.total_terms));
  }
  std::printf("\n%-18s %-22s %12s %12s\n", "section", "field", "offset", "bytes");
  for (const auto& s : info.sections) {
    std::printf("%-18s %-22s %12llu %12llu\n", s.kind.c_str(), s.field.c_str(),
                static_cast<unsigned long long>(s.offset), static_cast<unsigned long long>(s.bytes));
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

// `profile` and `advise` are the serverless-vs-service advisor, which lives in
// the Python package (libsearch.advisor): its profiler drives the Python and Go
// function runtimes, and its charts need matplotlib. Replace this process with
// `$LIBSEARCH_PYTHON -m libsearch.advisor COMMAND ARGS...` (default python3),
// saying how to fix it when the package is not importable.
int RunAdvisor(const std::string& command, const std::vector<std::string>& args) {
  const char* env = std::getenv("LIBSEARCH_PYTHON");
  const std::string python = env != nullptr && *env != '\0' ? env : "python3";
  const std::string script =
      "import sys\n"
      "try:\n"
      "    from libsearch.advisor.__main__ import main\n"
      "except ImportError as e:\n"
      "    sys.stderr.write(f'libsearch " + command + ": cannot import libsearch.advisor with {sys.executable} "
      "({e}). Install the Python package into that interpreter (pip install . in the libsearch source tree) "
      "or point LIBSEARCH_PYTHON at a python that has it.\\n')\n"
      "    sys.exit(1)\n"
      "sys.exit(main(sys.argv[1:]))\n";
  std::vector<std::string> argv_s = {python, "-c", script, command};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv_c;
  for (std::string& a : argv_s) argv_c.push_back(a.data());
  argv_c.push_back(nullptr);
  execvp(argv_c[0], argv_c.data());
  std::cerr << "libsearch " << command << ": cannot run " << python << ": " << std::strerror(errno)
            << ". Install Python 3 or set LIBSEARCH_PYTHON to an interpreter with the libsearch package.\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{std::string("libsearch ") + libsearch::Version() +
               " - index and search product catalogues"};
  app.require_subcommand(1);

  std::string schema, output, index_path, query, fields, op = "and", queries, format = "trec";
  std::vector<std::string> inputs;
  SearchExtras extras;
  bool skip_bad = false, json = false, explain = false;
  size_t k = 10, offset = 0;
  Scoring scoring;
  auto add_scoring = [&scoring](CLI::App* cmd) {
    cmd->add_option("--k1", scoring.k1, "BM25 k1 (term-frequency saturation)")
        ->check(CLI::Range(0.0f, 100.0f))->capture_default_str();
    cmd->add_option("--b", scoring.b, "BM25 b (length normalisation)")
        ->check(CLI::Range(0.0f, 1.0f))->capture_default_str();
    cmd->add_option("--synonyms", scoring.synonyms,
                    "Synonym file (one group per line: 'tv, television'), added to the index's own")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--exact-total", scoring.exact_total,
                  "Count every match exactly (default: exact up to 1000, then a lower bound)");
  };

  CLI::App* idx = app.add_subcommand("index", "Build an index file from JSON Lines");
  idx->add_option("--schema", schema, "Schema JSON file")->required()->check(CLI::ExistingFile);
  idx->add_option("--input", inputs, "JSON Lines input (.jsonl, .jsonl.gz, .jsonl.zst); repeatable")
      ->required();
  idx->add_option("--output", output, "Index file to write (atomically)")->required();
  idx->add_flag("--skip-bad", skip_bad, "Skip and count bad lines instead of failing");
  std::string index_synonyms;
  idx->add_option("--synonyms", index_synonyms, "Synonym file stored in the index")
      ->check(CLI::ExistingFile);

  CLI::App* search = app.add_subcommand("search", "Run one query");
  search->add_option("index", index_path, "Index file")->required();
  search->add_option("query", query, "Query text")->required();
  search->add_option("--k", k, "Number of hits")->capture_default_str();
  search->add_option("--offset", offset, "Hits to skip (pagination)")->capture_default_str();
  search->add_option("--fields", fields, "Comma-separated fields for bare words (default: all text fields)");
  search->add_option("--operator", op, "Default operator: and | or")->check(CLI::IsMember({"and", "or"}))->capture_default_str();
  search->add_flag("--json", json, "Print {total, took_us, hits:[{id, score, doc}]}");
  search->add_flag("--explain", explain, "Print the parsed query instead of results");
  search->add_option("--filter", extras.filters,
                     "Filter in query syntax, e.g. 'sugars_100g:<5' (repeatable; never changes scores)");
  search->add_option("--facet", extras.facets,
                     "Facet counts: FIELD[:SIZE] for keywords, FIELD:LO..HI,... for numbers (repeatable)");
  search->add_option("--disjunctive", extras.disjunctive,
                     "Count this facet field as if filters on it were lifted (repeatable)");
  search->add_option("--sort", extras.sort, "Sort by FIELD[:asc|desc],... then score (_score allowed)");
  search->add_option("--search-after", extras.search_after, "Cursor from the previous page (next_cursor)");
  search->add_option("--highlight", extras.highlight,
                     "Stored text field to return a marked snippet of (repeatable)");
  search->add_flag("--prefix", extras.prefix, "Search-as-you-type: the last word also matches as a prefix");
  search->add_flag("--typos", extras.typos, "Typo tolerance: 1 edit for 5-8 letter words, 2 for longer");
  add_scoring(search);

  CLI::App* batch = app.add_subcommand("batch", "Run many queries from a JSON Lines file");
  batch->add_option("index", index_path, "Index file")->required();
  batch->add_option("--queries", queries, "JSON Lines: {\"id\": ..., \"query\": ...}")->required();
  batch->add_option("--k", k, "Hits per query")->capture_default_str();
  batch->add_option("--format", format, "trec | json")->check(CLI::IsMember({"trec", "json"}))->capture_default_str();
  batch->add_option("--fields", fields, "Comma-separated fields for bare words");
  batch->add_option("--operator", op, "Default operator: and | or")->check(CLI::IsMember({"and", "or"}))->capture_default_str();
  batch->add_flag("--skip-bad", skip_bad, "Report invalid queries on stderr and go on");
  add_scoring(batch);

  CLI::App* info = app.add_subcommand("info", "Show counts, fields and section sizes");
  info->add_option("index", index_path, "Index file")->required();
  CLI::App* verify = app.add_subcommand("verify", "Check every checksum in an index file");
  verify->add_option("index", index_path, "Index file")->required();

  // Everything after the subcommand goes to the Python advisor, --help included.
  CLI::App* profile = app.add_subcommand("profile", "Measure each deployment surface here (python3 -m libsearch.advisor)");
  CLI::App* advise = app.add_subcommand("advise", "Serverless-vs-service report for a profile and a traffic file");
  for (CLI::App* cmd : {profile, advise}) cmd->prefix_command()->set_help_flag();

  CLI11_PARSE(app, argc, argv);
  if (*profile) return RunAdvisor("profile", profile->remaining());
  if (*advise) return RunAdvisor("advise", advise->remaining());
  if (*idx) return RunIndex(schema, inputs, output, skip_bad, index_synonyms);
  if (*search) return RunSearch(index_path, query, k, offset, fields, op, json, explain, scoring, extras);
  if (*batch) return RunBatch(index_path, queries, k, format, fields, op, scoring, skip_bad);
  if (*info) return RunInfo(index_path);
  if (*verify) return RunVerify(index_path);
  return 0;
}
