// libsearch side of bench/peers (see bench/peers/README.md). Public API only.
//
//   libsearch_peer index CORPUS.tsv OUT.idx [THREADS]
//                                             build (IndexBuilderOptions::threads,
//                                             default 1), print JSON stats
//   libsearch_peer serve INDEX                answer "MODE\tquery" lines on stdin
//   libsearch_peer analyze INDEX              one word per stdin line -> ExplainQuery
//
// The corpus is already normalised by bench/peers/peers.py (lowercase, one
// space between tokens); the field uses language "none" (no stemming) and no
// accent folding, so the ICU analyzer should return each space-separated word
// unchanged. `analyze` lets peers.py check that on the whole vocabulary.
//
// Reply per request line: "count\tnanos" (nanos = Search() wall time in this
// process); CHECK adds "\tid:score id:score ...". COUNT, TOP_10_COUNT and
// CHECK ask for the exact total (SearchRequest::kExactTotal); TOP_10 lets
// libsearch stop counting after 10 matches and prune.
//
// FUZZY_TOP_10 / FUZZY_CHECK (bench/peers/fuzzy.py): the query is
// "word~N word~N ...", N the edit budget of libsearch's typo rule, which
// fuzzy.py also hands the peers' fuzzy queries; this driver drops the "~N"
// and searches the words (OR) with SearchRequest::typos on, so libsearch
// applies its own rule and tiers. As TOP_10 and CHECK otherwise.
#include <libsearch/libsearch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

namespace {

constexpr const char* kSchema =
    R"({"id": "id", "fields": {"text": {"type": "text", "language": "none",)"
    R"( "fold_accents": false, "stored": false}}})";

int Fail(const libsearch::Status& s) {
  std::cerr << "libsearch_peer: " << s.ToString() << "\n";
  return 1;
}

int Index(const std::string& tsv, const std::string& out_path, uint32_t threads) {
  auto t0 = std::chrono::steady_clock::now();
  auto schema = libsearch::Schema::FromJson(kSchema);
  if (!schema.ok()) return Fail(schema.status());
  libsearch::IndexBuilderOptions options;
  options.threads = threads;
  auto builder = libsearch::IndexBuilder::Create(*schema, options);
  if (!builder.ok()) return Fail(builder.status());
  std::ifstream in(tsv);
  if (!in) {
    std::cerr << "libsearch_peer: cannot open " << tsv << "\n";
    return 3;
  }
  std::string line;
  libsearch::Document doc;
  uint64_t n = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    std::string_view id = std::string_view(line).substr(0, tab);
    std::string_view text =
        tab == std::string::npos ? std::string_view() : std::string_view(line).substr(tab + 1);
    doc.Clear();
    doc.AddString("id", id).AddString("text", text);
    auto s = (*builder)->Add(doc);
    if (!s.ok()) return Fail(s);
    ++n;
  }
  auto s = (*builder)->Build(out_path);
  if (!s.ok()) return Fail(s);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("{\"docs\": %llu, \"libsearch\": \"%s\", \"seconds\": %.3f}\n",
              static_cast<unsigned long long>(n), libsearch::Version(), secs);
  return 0;
}

// "word~N word~N ..." -> "word word ...".
std::string StripEditBudgets(const std::string& q) {
  std::istringstream in(q);
  std::string w, out;
  while (in >> w) {
    const size_t tilde = w.rfind('~');
    if (!out.empty()) out += ' ';
    out += tilde == std::string::npos ? w : w.substr(0, tilde);
  }
  return out;
}

int Serve(const std::string& path) {
  auto index = libsearch::Index::Open(path);
  if (!index.ok()) return Fail(index.status());
  std::ios::sync_with_stdio(false);
  std::string line, reply;
  libsearch::SearchRequest req;
  req.default_operator = libsearch::Operator::kOr;
  req.include_docs = false;
  // No "did you mean" on zero hits: no other engine computes one, and it
  // walks the dictionary (docs/design-notes.md, "Peer benchmarks").
  req.suggest = false;
  while (std::getline(std::cin, line)) {
    size_t tab = line.find('\t');
    std::string_view mode = std::string_view(line).substr(0, tab);
    req.query = tab == std::string::npos ? std::string() : line.substr(tab + 1);
    auto t = std::chrono::steady_clock::now();
    if (mode == "PING") {
      auto ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t)
              .count();
      std::cout << "0\t" << ns << "\n" << std::flush;
      continue;
    }
    bool check = false;
    // Typos on and the budgets stripped for the fuzzy modes (see the top).
    req.typos = mode.substr(0, 6) == "FUZZY_";
    if (req.typos) {
      mode.remove_prefix(6);
      req.query = StripEditBudgets(req.query);
    }
    // What each mode needs, as the other drivers ask their engines:
    //   COUNT         k 0: count every match, no scoring;
    //   TOP_10        k 10, stop counting at 10 (Lucene's TopScoreDocCollectorManager(10, 10));
    //   TOP_10_COUNT  k 10 and the exact total.
    req.total_hits_threshold = libsearch::SearchRequest::kExactTotal;
    // Hits as internal doc numbers, as the other drivers get them (Tantivy's
    // DocAddress, Lucene's ScoreDoc, Xapian's docid); CHECK needs the ids.
    req.include_ids = mode == "CHECK";
    if (mode == "COUNT") {
      req.k = 0;
    } else if (mode == "TOP_10") {
      req.k = 10;
      req.total_hits_threshold = 10;
    } else if (mode == "TOP_10_COUNT") {
      req.k = 10;
    } else if (mode == "CHECK") {
      req.k = 10;
      check = true;
    } else {
      std::cout << "ERROR\tunsupported mode\n" << std::flush;
      continue;
    }
    auto resp = (*index)->Search(req);
    auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t)
            .count();
    if (!resp.ok()) {
      std::cout << "ERROR\t" << resp.status().ToString() << "\n" << std::flush;
      continue;
    }
    if (mode != "TOP_10" && !resp->total_exact) {
      std::cout << "ERROR\tinexact total " << resp->total << "\n" << std::flush;
      continue;
    }
    // TOP_10 reports the number of hits returned (like the other drivers).
    uint64_t count = mode == "TOP_10" ? resp->hits.size() : resp->total;
    reply = std::to_string(count) + "\t" + std::to_string(ns);
    if (check) {
      reply += "\t";
      for (size_t i = 0; i < resp->hits.size(); ++i) {
        if (i) reply += " ";
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g", resp->hits[i].score);
        reply += resp->hits[i].id + ":" + buf;
      }
    }
    std::cout << reply << "\n" << std::flush;
  }
  return 0;
}

// For each input word, the analysed query in Lucene-like notation: a word the
// analyzer keeps as is comes back as "text:word".
int Analyze(const std::string& path) {
  auto index = libsearch::Index::Open(path);
  if (!index.ok()) return Fail(index.status());
  std::ios::sync_with_stdio(false);
  libsearch::SearchRequest req;
  req.default_operator = libsearch::Operator::kOr;
  req.fields = {"text"};
  std::string word;
  while (std::getline(std::cin, word)) {
    // Quoted, so the query syntax (OR, -, field:) never applies to the word.
    req.query = "\"" + word + "\"";
    auto r = (*index)->ExplainQuery(req);
    std::cout << (r.ok() ? *r : "ERROR " + r.status().ToString()) << "\n";
  }
  std::cout << std::flush;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "index" && (argc == 4 || argc == 5)) {
    const int threads = argc == 5 ? std::atoi(argv[4]) : 1;
    if (threads < 1) {
      std::cerr << "libsearch_peer: THREADS must be a positive integer\n";
      return 2;
    }
    return Index(argv[2], argv[3], static_cast<uint32_t>(threads));
  }
  if (cmd == "serve" && argc == 3) return Serve(argv[2]);
  if (cmd == "analyze" && argc == 3) return Analyze(argv[2]);
  std::cerr << "usage: libsearch_peer index CORPUS.tsv OUT.idx [THREADS] | serve INDEX | analyze "
               "INDEX\n";
  return 2;
}
