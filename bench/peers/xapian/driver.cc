// Xapian side of libsearch's bench/peers (see bench/peers/README.md).
//
//   xapian_peer index CORPUS.tsv INDEX_DIR   build (then compact) a glass database
//   xapian_peer serve INDEX_DIR              answer "MODE\tquery" lines on stdin
//
// The corpus is already normalised by bench/peers/peers.py (lowercase, one
// space between tokens), so terms are added directly with their positions:
// no TermGenerator, no stemming, exactly the tokens every engine sees.
// Queries come in the normalised game syntax (words, "phrases", +required,
// -excluded) and are mapped to Xapian operators the way Lucene's BooleanQuery
// reads them: required clauses AND-ed, optional ones AND_MAYBE (or OR when
// nothing is required), exclusions AND_NOT. Weighting: Xapian's default
// BM25Weight (k1 = 1, k2 = 0, k3 = 1, b = 0.5), not Lucene's parameters; the
// comparison is about speed. COUNT uses BoolWeight (no scoring) and asks
// Xapian to check every document so the count is exact.
//
// Reply per request line: "count\tnanos"; CHECK adds "\tid:score id:score ...".
#include <xapian.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

namespace {

std::vector<std::string> SplitSpaces(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    size_t j = i;
    while (j < s.size() && s[j] != ' ') ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

int Index(const std::string& tsv, const std::string& out_dir) {
  auto t0 = std::chrono::steady_clock::now();
  // Fewer, larger batches than the default 10,000 documents.
  setenv("XAPIAN_FLUSH_THRESHOLD", "100000", 0);
  std::string tmp = out_dir + ".building";
  {
    Xapian::WritableDatabase db(tmp, Xapian::DB_CREATE_OR_OVERWRITE);
    std::ifstream in(tsv);
    if (!in) {
      std::cerr << "xapian_peer: cannot open " << tsv << "\n";
      return 3;
    }
    std::string line;
    uint64_t n = 0;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      size_t tab = line.find('\t');
      Xapian::Document doc;
      doc.set_data(line.substr(0, tab));
      if (tab != std::string::npos) {
        std::string_view text = std::string_view(line).substr(tab + 1);
        Xapian::termpos pos = 0;
        size_t i = 0;
        while (i < text.size()) {
          size_t j = text.find(' ', i);
          if (j == std::string_view::npos) j = text.size();
          if (j > i) doc.add_posting(std::string(text.substr(i, j - i)), ++pos);
          i = j + 1;
        }
      }
      db.add_document(doc);
      ++n;
    }
    db.commit();
    // Compacting gives the smallest, fastest form of a read-only database.
    db.compact(out_dir);
    db.close();
    std::printf("{\"docs\": %llu, \"xapian\": \"%s\", \"seconds\": %.3f}\n",
                static_cast<unsigned long long>(n), Xapian::version_string(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::string rm = "rm -rf '" + tmp + "'";
  return std::system(rm.c_str()) == 0 ? 0 : 1;
}

Xapian::Query Clause(const std::vector<std::string>& terms) {
  if (terms.size() == 1) return Xapian::Query(terms[0]);
  return Xapian::Query(Xapian::Query::OP_PHRASE, terms.begin(), terms.end(),
                       static_cast<Xapian::termcount>(terms.size()));
}

// Game syntax -> Xapian query. Returns false on a syntax error.
bool Parse(std::string_view q, Xapian::Query* out) {
  std::vector<Xapian::Query> must, should, must_not;
  size_t i = 0;
  while (i < q.size()) {
    while (i < q.size() && q[i] == ' ') ++i;
    if (i >= q.size()) break;
    char sign = 0;
    if (q[i] == '+' || q[i] == '-') sign = q[i++];
    std::vector<std::string> terms;
    if (i < q.size() && q[i] == '"') {
      size_t end = q.find('"', i + 1);
      if (end == std::string_view::npos) end = q.size();  // unclosed: to the end
      terms = SplitSpaces(q.substr(i + 1, end - i - 1));
      i = end + 1;
    } else {
      size_t end = q.find(' ', i);
      if (end == std::string_view::npos) end = q.size();
      terms = SplitSpaces(q.substr(i, end - i));
      i = end;
    }
    if (terms.empty()) continue;
    Xapian::Query c = Clause(terms);
    (sign == '+' ? must : sign == '-' ? must_not : should).push_back(c);
  }
  Xapian::Query base;
  if (!must.empty()) {
    base = Xapian::Query(Xapian::Query::OP_AND, must.begin(), must.end());
    if (!should.empty())
      base = Xapian::Query(Xapian::Query::OP_AND_MAYBE, base,
                           Xapian::Query(Xapian::Query::OP_OR, should.begin(), should.end()));
  } else if (!should.empty()) {
    base = Xapian::Query(Xapian::Query::OP_OR, should.begin(), should.end());
  } else {
    *out = Xapian::Query();  // nothing to match (as Lucene: no positive clause)
    return true;
  }
  if (!must_not.empty())
    base = Xapian::Query(Xapian::Query::OP_AND_NOT, base,
                         Xapian::Query(Xapian::Query::OP_OR, must_not.begin(), must_not.end()));
  *out = base;
  return true;
}

int Serve(const std::string& dir) {
  Xapian::Database db(dir);
  Xapian::Enquire scored(db);  // default weighting: BM25Weight()
  Xapian::Enquire unscored(db);
  unscored.set_weighting_scheme(Xapian::BoolWeight());
  const Xapian::doccount all = db.get_doccount();
  std::ios::sync_with_stdio(false);
  std::string line, reply;
  while (std::getline(std::cin, line)) {
    size_t tab = line.find('\t');
    std::string_view mode = std::string_view(line).substr(0, tab);
    std::string_view q =
        tab == std::string::npos ? std::string_view() : std::string_view(line).substr(tab + 1);
    auto t = std::chrono::steady_clock::now();
    auto elapsed = [&] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() -
                                                                  t)
          .count();
    };
    if (mode == "PING") {
      std::cout << "0\t" << elapsed() << "\n" << std::flush;
      continue;
    }
    try {
      Xapian::Query query;
      Parse(q, &query);
      if (mode == "COUNT") {
        unscored.set_query(query);
        Xapian::MSet m = unscored.get_mset(0, 0, all);
        reply = std::to_string(m.get_matches_estimated()) + "\t" + std::to_string(elapsed());
      } else if (mode == "TOP_10") {
        scored.set_query(query);
        Xapian::MSet m = scored.get_mset(0, 10);
        reply = std::to_string(m.size()) + "\t" + std::to_string(elapsed());
      } else if (mode == "TOP_10_COUNT" || mode == "CHECK") {
        scored.set_query(query);
        Xapian::MSet m = scored.get_mset(0, 10, all);
        reply = std::to_string(m.get_matches_estimated()) + "\t" + std::to_string(elapsed());
        if (mode == "CHECK") {
          reply += "\t";
          bool first = true;
          for (auto it = m.begin(); it != m.end(); ++it) {
            if (!first) reply += " ";
            first = false;
            char buf[32];
            std::snprintf(buf, sizeof buf, "%.9g", it.get_weight());
            reply += it.get_document().get_data() + ":" + buf;
          }
        }
      } else {
        reply = "ERROR\tunsupported mode";
      }
    } catch (const Xapian::Error& e) {
      reply = "ERROR\t" + e.get_description();
    }
    std::cout << reply << "\n" << std::flush;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string cmd = argc > 1 ? argv[1] : "";
  try {
    if (cmd == "index" && argc == 4) return Index(argv[2], argv[3]);
    if (cmd == "serve" && argc == 3) return Serve(argv[2]);
  } catch (const Xapian::Error& e) {
    std::cerr << "xapian_peer: " << e.get_description() << "\n";
    return 1;
  }
  std::cerr << "usage: xapian_peer index CORPUS.tsv INDEX_DIR | serve INDEX_DIR\n";
  return 2;
}
